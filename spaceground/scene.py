"""The setting of a run as flat tables: who and where, for figures, reports and 3-D viewers.

The engine's records say what happened; these tables say to whom and where, so that
:mod:`spaceground.plotting`, :mod:`spaceground.report` and :mod:`spaceground.czml` can
work from a run folder alone (see ``ARCHITECTURE.md``: they read DataFrames only).

``satellites``   ``satellite, norad_id, profile, period_min, battery_wh, reserve_wh,
                 storage_bytes, solar_w, throttle_c, limit_c`` (the last two NaN without a thermal node)
``stations``     ``station, name, lat_deg, lon_deg, alt_m, antennas, min_elevation_deg``
``datacenters``  ``datacenter, name, lat_deg, lon_deg, capacity_tops, servers, pue, server_facility_kw``
                 (the facility power of one busy server)
``backhaul``     ``station, datacenter, bandwidth_bps, latency_s``
``tariffs``      the step series of each data centre, one row per change:
                 ``datacenter, time_utc, price_cny_per_kwh, carbon_g_per_kwh, available_power_kw``
                 (NaN where the supply is unlimited)
``eclipses``     ``satellite, start_utc, end_utc, kind`` (umbra or penumbra)
``targets``      ``workload, target, lat_deg, lon_deg``: the imaged sites of target triggers and tasking plans,
                 and the centres of area targets
``tracks``       Earth-fixed positions sampled every ``track_step_s``: ``satellite, time_utc,
                 x_m, y_m, z_m`` (ITRF), ``lat_deg, lon_deg, alt_km`` (WGS 84)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .constants import ZERO_CELSIUS_K
from .frames import itrf_to_geodetic
from .imaging import polygon_centre
from .orbits import propagate_teme
from .orientation import EarthOrientation

SCENE_TABLES = ("satellites", "stations", "datacenters", "backhaul", "tariffs", "eclipses", "targets", "tracks")
MAX_TRACK_POINTS = 400_000  # the track step widens past this many points (a large constellation)


def track_step_s(n_sats, duration_s, step_s=60.0):
    """The track sampling step: ``step_s``, widened so that no more than MAX_TRACK_POINTS are kept."""
    points = n_sats * (duration_s / step_s + 1)
    if points <= MAX_TRACK_POINTS:
        return step_s
    return float(np.ceil(step_s * points / MAX_TRACK_POINTS / 60.0) * 60.0)


def tracks(model, step_s=60.0) -> pd.DataFrame:
    """Earth-fixed positions of every satellite over the span, every ``step_s`` seconds (and at the end)."""
    span = model.span
    step = track_step_s(len(model.constellation), span.duration_s, step_s)
    t = np.arange(0.0, span.duration_s, step)
    t = np.append(t, span.duration_s)
    if len(model.constellation) == 0:
        return pd.DataFrame(columns=["satellite", "time_utc", "x_m", "y_m", "z_m", "lat_deg", "lon_deg", "alt_km"])
    jd_w, jd_f = span.jd_utc(t)
    r, v, _ = propagate_teme(model.constellation, jd_w, jd_f)
    orientation = EarthOrientation(span)
    n_sat, n_t = r.shape[:2]
    r_itrf, _ = orientation.teme_to_itrf(r.reshape(-1, 3), v.reshape(-1, 3), np.tile(t, n_sat))
    lat, lon, alt = itrf_to_geodetic(r_itrf)
    names = [s.name for s in model.constellation]
    return pd.DataFrame(
        {
            "satellite": np.repeat(names, n_t),
            "time_utc": np.tile(span.datetimes(t), n_sat),
            "x_m": r_itrf[:, 0],
            "y_m": r_itrf[:, 1],
            "z_m": r_itrf[:, 2],
            "lat_deg": lat,
            "lon_deg": lon,
            "alt_km": alt / 1e3,
        }
    )


def scene_tables(model, inputs, step_s=60.0) -> dict:
    """Every table of the module docstring, keyed by name."""
    span = model.span
    names = [s.name for s in model.constellation]
    satellites = pd.DataFrame(
        {
            "satellite": names,
            "norad_id": model.constellation.norad_ids,
            "profile": [hw.profile for hw in model.hardware],
            "period_min": [s.period_s / 60.0 for s in model.constellation],
            "battery_wh": [hw.battery_j / 3600.0 for hw in model.hardware],
            "reserve_wh": [hw.reserve_j / 3600.0 for hw in model.hardware],
            "storage_bytes": [hw.storage_bytes for hw in model.hardware],
            "solar_w": [hw.solar_w for hw in model.hardware],
            # The thermal node's limits (NaN without one): the computer stops at limit_c, resumes at throttle_c.
            "throttle_c": [hw.throttle_k - ZERO_CELSIUS_K if hw.thermal else np.nan for hw in model.hardware],
            "limit_c": [hw.limit_k - ZERO_CELSIUS_K if hw.thermal else np.nan for hw in model.hardware],
        }
    )
    stations = pd.DataFrame(
        [
            (
                g.station.station_id,
                g.station.name,
                g.station.lat_deg,
                g.station.lon_deg,
                g.station.alt_m,
                g.antennas,
                g.station.min_elevation_deg,
            )
            for g in model.stations
        ],
        columns=["station", "name", "lat_deg", "lon_deg", "alt_m", "antennas", "min_elevation_deg"],
    )
    datacenters = pd.DataFrame(
        [
            (d.id, d.name, d.lat_deg, d.lon_deg, d.capacity_tops, d.servers, d.pue, d.server_facility_w / 1e3)
            for d in model.datacenters
        ],
        columns=["datacenter", "name", "lat_deg", "lon_deg", "capacity_tops", "servers", "pue", "server_facility_kw"],
    )
    links = [
        (g.station.station_id, d.id, float(model.link_bps[a, b]), float(model.link_latency_s[a, b]))
        for a, g in enumerate(model.stations)
        for b, d in enumerate(model.datacenters)
        if model.link_bps[a, b] > 0
    ]
    backhaul = pd.DataFrame(links, columns=["station", "datacenter", "bandwidth_bps", "latency_s"])
    rows = []
    for d in model.datacenters:
        series = [d.price_cny_per_kwh, d.carbon_g_per_kwh] + ([d.available_power_w] if d.available_power_w else [])
        times = sorted({0.0, *(float(x) for s in series for x in s.t_s if 0.0 < x < span.duration_s)})
        for t in times:
            power = d.available_power_w.value_at(t) / 1e3 if d.available_power_w else np.nan
            rows.append((d.id, t, d.price_cny_per_kwh.value_at(t), d.carbon_g_per_kwh.value_at(t), power))
    tariffs = pd.DataFrame(
        rows, columns=["datacenter", "t_s", "price_cny_per_kwh", "carbon_g_per_kwh", "available_power_kw"]
    )
    tariffs.insert(1, "time_utc", span.datetimes(tariffs.pop("t_s").to_numpy(float)))
    e = inputs.geometry.eclipses
    by_id = dict(zip(model.constellation.norad_ids.tolist(), names))
    e = e[e.norad_id.isin(list(by_id))]
    eclipses = pd.DataFrame(
        {
            "satellite": e.norad_id.map(by_id).to_numpy(object),
            "start_utc": e.start_utc.to_numpy(),
            "end_utc": e.end_utc.to_numpy(),
            "kind": e.kind.astype(str).to_numpy(object),
        }
    )
    sites = []
    for w in model.workloads:
        for tg in getattr(w.trigger, "targets", None) or ():
            sites.append((w.name, tg.name, float(tg.lat_deg), float(tg.lon_deg)))
        for area in getattr(w.trigger, "areas", None) or ():  # an area at its centre
            sites.append((w.name, area.name, *polygon_centre(area.polygon)[2]))
        if w.plan is not None:
            seen = set()
            for name, lat, lon in zip(w.plan.target, w.plan.lat_deg.tolist(), w.plan.lon_deg.tolist()):
                if (name, lat, lon) not in seen:
                    seen.add((name, lat, lon))
                    sites.append((w.name, name, lat, lon))
    targets = pd.DataFrame(sites, columns=["workload", "target", "lat_deg", "lon_deg"])
    return {
        "satellites": satellites,
        "stations": stations,
        "datacenters": datacenters,
        "backhaul": backhaul,
        "tariffs": tariffs,
        "eclipses": eclipses,
        "targets": targets,
        "tracks": tracks(model, step_s),
    }
