"""One run end to end: scenario -> model -> geometry -> captures -> engine -> results.

Each stage is a plain function of plain values, so any of them can be called,
cached or tested alone: :func:`prepare` computes everything that depends only on
the scenario (geometry, illumination segments, captures), and :func:`execute` plays
it under a policy.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import engine
from .errors import InputError
from .frames import geodetic_to_itrf_m, unit_vector
from .geometry import _Propagator, compute_geometry
from .illumination import SunTable, shadow_angles, sunlit_fraction_from_angles
from .imaging import area_windows, elevation_for_off_nadir_deg, polygon_centre, view_of_points
from .intersat import RANGE_FLOOR_MARGIN_M, find_isl_windows, grid_pairs_at_start, orbit_radii_m, range_floor_m
from .links import LinkWindows, cut_windows, downlink_rate_bps
from .model import resolve, satellites_of
from .orbits import check_epochs, propagate_points
from .orientation import EarthOrientation
from .policies import make_policy
from .progress import stage_progress
from .results import Results
from .scenario import LoadedScenario, load_scenario
from .stations import Station
from .workloads import capture_table, lit_enough, poisson_times_s

GAUSS_NODES, GAUSS_WEIGHTS = np.polynomial.legendre.leggauss(6)


@dataclass(frozen=True)
class Inputs:
    """Everything of a run that does not depend on the policy."""

    geometry: object
    segments: tuple  # per satellite: (start_s array, sunlit fraction array)
    links: object  # spaceground.links.LinkWindows: every link window of the run (downlinks by satellite, start)
    captures: pd.DataFrame
    stage_s: dict
    # The same windows at the rates the policies expect (optical passes under a cloud forecast), or None when
    # the policies see the truth (``links``).
    forecast_links: object = None
    rf_links: object = None  # the downlink windows before the clouds (a reseed draws the optical passes again)


def _rows_by_satellite(sat, n, order):
    """Row indices of each satellite 0..n-1, each in ascending ``order`` (one sort, not a scan per satellite)."""
    sat = np.asarray(sat, dtype=int)
    rows = np.lexsort((np.asarray(order, dtype=float), sat))
    bounds = np.searchsorted(sat[rows], np.arange(n + 1))
    return [rows[bounds[i] : bounds[i + 1]] for i in range(n)]


def _segments(model, geo, orientation):
    """Piecewise-constant sunlit fraction per satellite: 1, 0 in umbra, the exact mean in penumbra."""
    span = model.span
    e = geo.eclipses
    sats = e.norad_id.map({s.norad_id: i for i, s in enumerate(model.constellation)}).to_numpy(int) if len(e) else []
    start = span.seconds_of(e.start_utc) if len(e) else np.zeros(0)
    end = span.seconds_of(e.end_utc) if len(e) else np.zeros(0)
    kind = e.kind.astype(str).to_numpy() if len(e) else np.zeros(0, object)
    mean_fraction = np.zeros(len(e))
    pen = np.flatnonzero(kind == "penumbra")
    if pen.size:
        mid, half = 0.5 * (start[pen] + end[pen]), 0.5 * (end[pen] - start[pen])
        t = (mid[:, None] + half[:, None] * GAUSS_NODES[None, :]).ravel()
        idx = np.repeat(np.asarray(sats)[pen], GAUSS_NODES.size)
        jd_w, jd_f = span.jd_utc(t)
        r, _, _ = propagate_points(model.constellation, idx, jd_w, jd_f)
        sun = SunTable(span, orientation)(t)
        f = sunlit_fraction_from_angles(*shadow_angles(r, sun)).reshape(pen.size, -1)
        mean_fraction[pen] = f @ GAUSS_WEIGHTS / 2.0
    out = []
    for mine in _rows_by_satellite(sats, len(model.constellation), start):
        t = [0.0]
        frac = [1.0]
        for j in mine:
            a, b = start[j], end[j]
            value = 0.0 if kind[j] == "umbra" else mean_fraction[j]
            if a <= t[-1] + 1e-9:
                frac[-1] = value
            else:
                t.append(a)
                frac.append(value)
            t.append(b)
            frac.append(1.0)
        t, frac = np.array(t), np.array(frac)
        keep = np.r_[True, np.diff(t) > 1e-9]
        out.append((t[keep], frac[keep]))
    return tuple(out)


def _check_power_budget(loaded, model, segments):
    """Refuse satellites whose array cannot carry the bus over the span: no policy could keep the reserve."""
    span_s = model.span.duration_s
    for sat, hw, (t, f) in zip(model.constellation, model.hardware, segments):
        mean = float(np.sum(f * np.diff(np.append(t, span_s))) / span_s)
        if hw.solar_w * mean < hw.bus_w:
            raise loaded.error(
                ("satellites",),
                f"{sat.name} (hardware profile {hw.profile!r}): solar_w {hw.solar_w:g} W "
                f"in sunlight {100 * mean:.0f} % of "
                f"the span gives {hw.solar_w * mean:.1f} W on average, less than bus_w {hw.bus_w:g} "
                f"W; the battery would "
                "drain whatever the policy. Raise solar_w or lower bus_w.",
            )


def _windows(model, geo):
    """The downlink windows as a link-window table, rows by satellite then start."""
    c = geo.contacts
    sat_of = {s.norad_id: i for i, s in enumerate(model.constellation)}
    st_of = {g.station.station_id: i for i, g in enumerate(model.stations)}
    sat = c.norad_id.map(sat_of).to_numpy(int)
    st = c.station.astype(str).map(st_of).to_numpy(int)
    aos = model.span.seconds_of(c.aos_utc)
    los = model.span.seconds_of(c.los_utc)
    if model.relay_terminals:  # a relay's feeder link reaches only its ground terminals, and only it does
        relay = np.isin(sat, model.with_role("relay"))
        terminal = np.isin(st, list(model.relay_terminals))
        keep = relay == terminal
        sat, st, aos, los = sat[keep], st[keep], aos[keep], los[keep]
    if any(g.outages_s for g in model.stations):  # known ahead: the policies see the cut windows too
        sat, st, aos, los = cut_windows(sat, st, aos, los, [g.outages_s for g in model.stations])
    rows = _rows_by_satellite(sat, len(model.hardware), aos)
    order = np.concatenate(rows + [np.zeros(0, int)]).astype(int)
    radio = np.array([hw.downlink_bps for hw in model.hardware])
    station_cap = np.array([g.max_rate_bps for g in model.stations])
    rate = downlink_rate_bps(radio[sat[order]], station_cap[st[order]]) if order.size else np.zeros(0)
    table = LinkWindows.constant("downlink", sat[order], st[order], aos[order], los[order], rate)
    if any(hw.eirp_dbw is not None for hw in model.hardware):
        table = _acm_profiles(model, table)
    return table


def _acm_profiles(model, table):
    """The downlink table with each window whose radio has a link budget (``eirp_dbw``) at a station with a G/T
    stepping through the DVB-S2 MODCODs along the pass (:func:`spaceground.linkbudget.acm_steps` on the exact
    slant range), capped by the station's receive chain; the other windows keep their constant rate."""
    from .linkbudget import ACM_TABLES, acm_ladder, acm_rate_bps, acm_steps, esn0_db, threshold_ranges_m

    orientation = EarthOrientation(model.span)
    propagate = _Propagator(model.constellation, model.span, orientation)
    sites = [geodetic_to_itrf_m(g.station.lat_deg, g.station.lon_deg, g.station.alt_m)[0] for g in model.stations]
    atmospheres = {}  # (station, frequency) -> SlantAttenuation, for stations with availability_percent
    starts, rates, first = [], [], [0]
    for w in range(len(table)):
        k, s = int(table.sender[w]), int(table.receiver[w])
        hw, g = model.hardware[k], model.stations[s]
        a, b = float(table.start_s[w]), float(table.end_s[w])
        if hw.eirp_dbw is None or g.gt_db_per_k is None or b - a < 1e-3:
            starts.append(a), rates.append(float(table.rate_bps[table.profile_start[w]]))
            first.append(len(starts))
            continue
        site = np.asarray(sites[s], dtype=float).reshape(3)
        air = None
        if g.exceedance_percent is not None:
            key = (s, hw.downlink_hz)
            if key not in atmospheres:
                atmospheres[key] = _slant_attenuation(g, hw.downlink_hz)
            air = atmospheres[key]
        up = unit_vector(g.station.lat_deg, g.station.lon_deg)  # the geodetic normal

        def slant_m(t, k=k, site=site, air=air, up=up):
            """The slant range along the pass; with ITU-R attenuation, the range that loses as much in clear
            sky (spaceground.atmosphere)."""
            t = np.atleast_1d(np.asarray(t, dtype=float))
            r, _ = propagate.itrf(np.full(len(t), k), t)
            los = np.asarray(r).reshape(-1, 3) - site
            rng = np.linalg.norm(los, axis=1)
            if air is None:
                return rng
            elevation_deg = np.degrees(np.arcsin(np.clip(los @ up / rng, -1.0, 1.0)))
            return air.effective_range_m(rng, elevation_deg)

        budget = (hw.eirp_dbw, hw.downlink_hz, g.gt_db_per_k, hw.symbol_rate_baud)
        ladder = acm_ladder(ACM_TABLES[hw.acm_table], margin_db=g.acm_margin_db)
        ranges = threshold_ranges_m(*budget, ladder[0], g.losses_db)

        def rate_bps(r_m, budget=budget, ladder=ladder, g=g):
            es = esn0_db(budget[0], r_m, budget[1], budget[2], budget[3], g.losses_db)
            return np.minimum(acm_rate_bps(es, budget[3], ladder), g.max_rate_bps)

        t_steps, r_steps = acm_steps(slant_m, a, b, rate_bps, ranges)
        starts += t_steps.tolist()
        rates += r_steps.tolist()
        first.append(len(starts))
    return LinkWindows(
        table.kind, table.sender, table.receiver, table.start_s, table.end_s, starts, rates, np.asarray(first)
    )


OPTICAL_DRAWS = 0x0C10D  # the stream of the per-pass cloud draws (beside the scenario's seed)


def _optical_links(model, table):
    """(truth, forecast): the downlink table with each window of a satellite with an optical terminal at a station
    with one made optical where the pass is clear, at the lower of the two terminals' rates, and left to the
    station's RF (or nothing, without an RF fallback) where it is blocked. Clear in truth: a seeded draw at the
    station's clear-sky probability (one draw per window, in table order), or the cloud cover at the pass's
    middle at most ``max_cover``. The forecast the policies see: the expected rate at that probability, or the
    forecast series at the pass's middle. A station without an RF fallback hears nothing from a satellite
    without an optical terminal. None for the forecast when no station is optical."""
    stations, hardware = model.stations, model.hardware
    if not any(g.optical is not None for g in stations):
        return table, None
    draws = np.random.default_rng([int(model.seed), OPTICAL_DRAWS]).random(len(table))
    first = table.profile_start
    truth, forecast = ([], [], [0]), ([], [], [0])

    def put(out, steps):
        out[0].extend(t for t, _ in steps), out[1].extend(r for _, r in steps), out[2].append(len(out[0]))

    for w in range(len(table)):
        rf = list(zip(table.rate_start_s[first[w] : first[w + 1]].tolist(), table.rate_bps[first[w] : first[w + 1]]))
        o, sat_bps = stations[int(table.receiver[w])].optical, hardware[int(table.sender[w])].optical_bps
        a, b = float(table.start_s[w]), float(table.end_s[w])
        blocked = rf if o is None or o.rf_fallback else [(a, 0.0)]  # an optical-only station hears no RF
        if o is None or sat_bps is None:
            put(truth, blocked), put(forecast, blocked)
            continue
        optical_bps = min(sat_bps, o.rate_bps)
        mid = 0.5 * (a + b)
        if o.clear_p is not None:
            clear = draws[w] < o.clear_p
            expected = [(t, o.clear_p * optical_bps + (1.0 - o.clear_p) * r) for t, r in blocked]
        else:
            clear = o.cover.value_at(mid) <= o.max_cover
            expected = [(a, optical_bps)] if o.forecast.value_at(mid) <= o.max_cover else blocked
        put(truth, [(a, optical_bps)] if clear else blocked)
        put(forecast, expected)
    tables = [
        LinkWindows(table.kind, table.sender, table.receiver, table.start_s, table.end_s, t, r, np.asarray(f))
        for t, r, f in (truth, forecast)
    ]
    return tables[0], tables[1]


def _slant_attenuation(station, frequency_hz):
    """The ITU-R attenuation of ``station`` (a model GroundStation with ``exceedance_percent``) against elevation."""
    site = station.station
    try:
        from .atmosphere import SlantAttenuation

        return SlantAttenuation(
            site.lat_deg,
            site.lon_deg,
            frequency_hz,
            station.exceedance_percent,
            station.antenna_m,
            site.min_elevation_deg,
        )
    except ImportError:
        raise InputError(
            f"station {site.station_id}: availability_percent needs the ITU-R models of the itur package, which "
            "is not installed; install it with: pip install 'spaceground[atmosphere]' (or leave "
            "availability_percent out for losses_db only)"
        ) from None


def _laser_windows(model):
    """The inter-satellite rows of the run's link table: the windows of the pairs its space segment allows
    (imaging to computing and to relays, computing to relays, one way; computing to computing, both ways, on a
    grid or every visible pair),
    within the shorter reach of the two terminals, opening once both have acquired (the longer acquisition
    time after the line of sight clears, also for a window open at the span start) and carrying the slower
    terminal's rate."""
    links = model.space_links
    if links is None:
        return None
    imaging, computing, relays = (model.with_role(role).tolist() for role in ("imaging", "computing", "relay"))
    one_way, both_ways = [], []
    if links.imaging_to_computing:
        one_way = [(a, b) for a in imaging for b in computing]
    if links.to_relay:
        one_way += [(a, b) for a in imaging + computing for b in relays]
    if links.computing_to_computing == "visible":
        both_ways = [(a, b) for i, a in enumerate(computing) for b in computing[i + 1 :]]
    elif links.computing_to_computing == "grid" and len(computing) > 1:
        grid = grid_pairs_at_start(model.constellation.take(computing), model.span)
        both_ways = [(computing[a], computing[b]) for a, b in grid.tolist()]
    pairs = np.array(one_way + both_ways, dtype=np.int64).reshape(-1, 2)
    if not len(pairs):
        return None
    laser = model.lasers
    reach_of_m = np.array([t.max_range_km * 1e3 for t in laser])
    reach_m = np.minimum(reach_of_m[pairs[:, 0]], reach_of_m[pairs[:, 1]])
    # Pairs whose orbits never come within reach (a LEO terminal to a geostationary relay) are not searched.
    perigee, apogee = orbit_radii_m(model.constellation)
    a, b = pairs[:, 0], pairs[:, 1]
    floor_m = range_floor_m(perigee[a], apogee[a], perigee[b], apogee[b])
    keep = floor_m <= reach_m + RANGE_FLOOR_MARGIN_M
    pairs, reach_m = pairs[keep], reach_m[keep]
    if not len(pairs):
        return None
    found = find_isl_windows(
        model.constellation, model.span, pairs, grazing_height_m=links.grazing_height_km * 1e3, max_range_m=reach_m
    )
    a, b = found["sat"].to_numpy(np.int64), found["to_sat"].to_numpy(np.int64)
    acquisition_s = np.array([t.acquisition_s for t in laser])
    rate_bps_of = np.array([t.rate_gbps * 1e9 for t in laser])
    acquire_s = np.maximum(acquisition_s[a], acquisition_s[b])
    rate_bps = np.minimum(rate_bps_of[a], rate_bps_of[b])
    start = found["start_s"].to_numpy() + (acquire_s if len(a) else 0.0)
    end = found["end_s"].to_numpy()
    keep = end > start
    a, b, start, end, rate_bps = a[keep], b[keep], start[keep], end[keep], rate_bps[keep]
    both = set(both_ways)
    mutual = np.array([(i, j) in both for i, j in zip(a.tolist(), b.tolist())], dtype=bool)
    sender = np.r_[a, b[mutual]]
    receiver = np.r_[b, a[mutual]]
    order = np.lexsort((np.r_[start, start[mutual]], sender))
    return LinkWindows.constant(
        "inter-satellite",
        sender[order],
        receiver[order],
        np.r_[start, start[mutual]][order],
        np.r_[end, end[mutual]][order],
        np.r_[rate_bps, rate_bps[mutual]][order],
    )


def _geometry(constellation, stations, span, cache, eclipses=True, progress=None):
    if cache is None:
        return compute_geometry(constellation, stations, span, eclipses=eclipses, progress=progress)
    return cache.geometry(constellation, stations, span, eclipses=eclipses, progress=progress)[0]


def _capture_row(w_index, w, t_s, sat, target):
    """A row of the capture table (CAPTURE_COLUMNS; the id is set by capture_table) for class ``w``."""
    return (
        0,
        float(t_s),
        int(sat),
        w_index,
        target,
        w.raw_bytes,
        w.product_bytes,
        w.compute_top,
        w.deadline_s,
        w.value,
        w.onboard_allowed,
    )


OFF_NADIR_MASK_MARGIN_DEG = 0.5  # the elevation searched below the off-nadir limit's (geodetic against spherical)


def _target_masks_deg(trigger, sub):
    """Elevation mask [deg] per target for the access search: the trigger's elevation floor, lowered for an
    off-nadir limit to the least elevation any of ``sub`` may see a target at within it (at its apogee, with a
    margin); the captures found are then kept by their exact off-nadir angle."""
    floor = trigger.elevation_floor_deg()
    if trigger.max_off_nadir_deg is None:
        return [floor] * len(trigger.targets)
    _, apogee_m = orbit_radii_m(sub)
    masks = []
    for tg in trigger.targets:
        point_m, _ = geodetic_to_itrf_m(tg.lat_deg, tg.lon_deg, 0.0)
        bound = elevation_for_off_nadir_deg(trigger.max_off_nadir_deg, apogee_m.max(), np.linalg.norm(point_m))
        masks.append(max(floor, float(bound) - OFF_NADIR_MASK_MARGIN_DEG))
    return masks


AREA_GRID_S = 5.0  # the area access search's grid (an access shorter than a step is found by its rate bound)


def _area_captures(model, orientation, w, sats):
    """(time, satellite, area name) of each capture of an area trigger: one in each window in which a satellite's
    off-nadir cone covers part of the area, at the window's middle (:func:`spaceground.imaging.area_windows`);
    for a daylight class, kept when the Sun stands high enough over the area's centre then."""
    from .workloads import sun_elevation_deg

    span = model.span
    propagate = _Propagator(model.constellation, span, orientation)
    grid = np.arange(0.0, span.duration_s + AREA_GRID_S, AREA_GRID_S)
    grid[-1] = min(grid[-1], span.duration_s)
    out = []
    for area in w.trigger.areas:
        vertices, _, (c_lat, c_lon) = polygon_centre(area.polygon)
        radius_m = float(np.linalg.norm(geodetic_to_itrf_m(c_lat, c_lon, 0.0)[0]))
        for k in sats:
            windows = area_windows(
                lambda t, k=k: propagate.itrf(np.full(len(t), k), t)[0],
                grid,
                vertices,
                w.trigger.max_off_nadir_deg,
                radius_m,
            )
            out += [(0.5 * (a + b), int(k), area.name, c_lat, c_lon) for a, b in windows if b > a]
    if not out:
        return []
    out.sort()
    if w.daylight_only:
        t = np.array([o[0] for o in out])
        sun = sun_elevation_deg(span, t, np.array([o[3] for o in out]), np.array([o[4] for o in out]))
        lit = lit_enough(sun, w.min_sun_elevation_deg)
        out = [o for o, keep in zip(out, lit) if keep]
    return [(t, k, name) for t, k, name, _, _ in out]


def _view_at(model, orientation, span, t, owner, targets, k):
    """Elevation and off-nadir angle [deg] at which satellite ``owner[i]`` sees target ``targets[k[i]]`` at ``t[i]``."""
    jd_w, jd_f = span.jd_utc(t)
    r, v, _ = propagate_points(model.constellation, owner, jd_w, jd_f)
    r_itrf, _ = orientation.teme_to_itrf(r, v, t)
    lat = np.array([targets[q].lat_deg for q in k])
    lon = np.array([targets[q].lon_deg for q in k])
    return view_of_points(r_itrf, lat, lon)


def _captures(model, orientation, progress=None, cache=None):
    """Capture table of every workload class (target access through ``cache`` when given)."""
    span = model.span
    rows = []
    seeds = np.random.SeedSequence(model.seed).spawn(len(model.workloads) + 1)  # the last one draws clouds
    for w_index, (w, seed) in enumerate(zip(model.workloads, seeds)):
        sats = satellites_of(model, w)
        if w.rate_per_sat_per_h is not None:
            rngs = [np.random.default_rng(s) for s in seed.spawn(len(model.constellation))]
            times, owner = [], []
            regular = None
            if w.trigger.spacing == "regular":  # one period apart, from one period after the start, inside the span
                period_s = 3600.0 / w.rate_per_sat_per_h
                regular = period_s * np.arange(1, int(np.ceil(span.duration_s / period_s - 1e-9)))
            for i in sats:
                if regular is not None:
                    t = regular
                else:
                    t = poisson_times_s(rngs[i], w.rate_per_sat_per_h / 3600.0, span.duration_s)
                times.append(t)
                owner.append(np.full(t.size, i))
            t = np.concatenate(times) if times else np.zeros(0)
            owner = np.concatenate(owner).astype(int) if owner else np.zeros(0, int)
            if w.daylight_only and t.size:
                jd_w, jd_f = span.jd_utc(t)
                r, _, _ = propagate_points(model.constellation, owner, jd_w, jd_f)
                sun = SunTable(span, orientation)(t)
                if w.min_sun_elevation_deg is None:
                    lit = np.einsum("ij,ij->i", r, sun) > 0.0  # the Sun is above the sub-satellite point's horizon
                else:  # the Sun's elevation over the sub-satellite point (geocentric vertical)
                    cos_zenith = np.einsum("ij,ij->i", r, sun) / np.linalg.norm(r, axis=1) / np.linalg.norm(sun, axis=1)
                    lit = cos_zenith >= np.sin(np.radians(w.min_sun_elevation_deg))
                t, owner = t[lit], owner[lit]
            rows += [_capture_row(w_index, w, ti, oi, "") for ti, oi in zip(t, owner)]
        elif hasattr(w.trigger, "areas"):
            rows += [
                _capture_row(w_index, w, ti, oi, name) for ti, oi, name in _area_captures(model, orientation, w, sats)
            ]
        elif w.plan is not None:  # checked row by row when the scenario was resolved
            rows += [
                _capture_row(w_index, w, ti, oi, name) for ti, oi, name in zip(w.plan.t_s, w.plan.sat, w.plan.target)
            ]
        else:
            sub = model.constellation.take(sats)
            masks = _target_masks_deg(w.trigger, sub)
            targets = [
                Station(f"T{k}", tg.lat_deg, tg.lon_deg, 0.0, mask, tg.name)
                for k, (tg, mask) in enumerate(zip(w.trigger.targets, masks))
            ]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                access = _geometry(sub, targets, span, cache, eclipses=False).contacts
            if len(access) == 0:
                continue
            t = span.seconds_of(access.tca_utc)
            sat_of = {s.norad_id: int(i) for i, s in zip(sats, sub)}
            owner = access.norad_id.map(sat_of).to_numpy(int)
            k = access.station.astype(str).str[1:].astype(int).to_numpy()
            if w.trigger.max_off_nadir_deg is not None:  # the searched mask was a bound: keep what the imager sees
                _, off_nadir = _view_at(model, orientation, span, t, owner, targets, k)
                keep = off_nadir <= w.trigger.max_off_nadir_deg
                t, owner, k = t[keep], owner[keep], k[keep]
            if w.daylight_only:
                from .workloads import sun_elevation_deg

                lat = np.array([targets[q].lat_deg for q in k])
                lon = np.array([targets[q].lon_deg for q in k])
                sun = sun_elevation_deg(span, t, lat, lon)
                lit = lit_enough(sun, w.min_sun_elevation_deg)
                t, owner, k = t[lit], owner[lit], k[lit]
            rows += [_capture_row(w_index, w, ti, oi, targets[ki].name) for ti, oi, ki in zip(t, owner, k)]
    return capture_table(rows, model.workloads, np.random.default_rng(seeds[-1]))


def prepare(loaded, progress=None, cache=None) -> tuple:
    """Resolve a loaded scenario and compute everything that does not depend on the policy.

    ``cache`` (a :class:`spaceground.cache.GeometryCache`) serves contact windows, eclipses
    and target access computed before for the same orbits, stations and span."""
    stage = {}
    t0 = time.perf_counter()
    model = resolve(loaded)
    check_epochs(model.constellation, model.span.start, allow_stale=model.allow_stale)
    stage["resolve_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    stations = [g.station for g in model.stations]
    geo = _geometry(model.constellation, stations, model.span, cache, progress=progress)
    if len(geo.excluded):
        keep = [i for i, s in enumerate(model.constellation) if s.norad_id not in set(geo.excluded.norad_id)]
        model = _without(model, keep)
    stage["geometry_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    orientation = EarthOrientation(model.span)
    segments = _segments(model, geo, orientation)
    _check_power_budget(loaded, model, segments)
    rf_links = _windows(model, geo)
    stage["illumination_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    lasers = _laser_windows(model)
    if lasers is not None:
        stage["laser_links_s"] = time.perf_counter() - t0
    links, forecast = _with_lasers(_optical_links(model, rf_links), lasers)
    t0 = time.perf_counter()
    captures = _captures(model, orientation, cache=cache)
    stage["workloads_s"] = time.perf_counter() - t0
    return model, Inputs(geo, segments, links, captures, stage, forecast, rf_links)


def _with_lasers(downlinks, lasers):
    """(truth, forecast) link tables: the downlink tables of :func:`_optical_links` with the laser rows after."""
    truth, forecast = downlinks
    if lasers is None:
        return truth, forecast
    return LinkWindows.concat([truth, lasers]), None if forecast is None else LinkWindows.concat([forecast, lasers])


def reseed(model, inputs, seed):
    """The same geometry with the captures of another seed: (model, inputs) for ``seed``."""
    from dataclasses import replace

    t0 = time.perf_counter()
    model = replace(model, seed=int(seed))
    captures = _captures(model, EarthOrientation(model.span))
    stage = {**inputs.stage_s, "workloads_s": time.perf_counter() - t0}
    inputs = replace(inputs, captures=captures, stage_s=stage)
    if inputs.forecast_links is not None and inputs.rf_links is not None:  # the seed draws the clouds too
        lasers = inputs.links.take(np.flatnonzero(inputs.links.kind != "downlink"))
        links, forecast = _with_lasers(_optical_links(model, inputs.rf_links), lasers if len(lasers) else None)
        inputs = replace(inputs, links=links, forecast_links=forecast)
    return model, inputs


def _without(model, keep):
    from dataclasses import replace

    return replace(model, constellation=model.constellation.take(keep), hardware=tuple(model.hardware[i] for i in keep))


def execute(model, inputs, policy_name=None, policy_params=None, progress=None):
    """Run the engine under a policy: the scenario's own by default (a user policy then runs only if the
    scenario was loaded with the caller's consent), or ``policy_name``, which the caller names (its consent)."""
    name = policy_name or model.policy_name
    params = policy_params if policy_params is not None else (model.policy_params if name == model.policy_name else {})
    consent = model.allow_code or policy_name is not None
    policy = make_policy(
        name, params, base_dir=model.base_dir, allow_code=consent, time_limit_s=model.policy_time_limit_s
    )
    t0 = time.perf_counter()
    records, decisions = engine.run(model, inputs, policy, progress)
    info = {"engine_s": time.perf_counter() - t0, "decisions": decisions, "policy": name}
    report = getattr(policy, "report", None)
    if callable(report):
        info["policy_report"] = report()
    return records, info


def validate_scenario(path):
    """Load and validate a scenario file and resolve its references (no simulation).

    Returns the resolved :class:`spaceground.model.Model`; raises
    :class:`ScenarioError` naming file, line and key path on any fault.
    """
    loaded = load_scenario(path)
    model = resolve(loaded)
    check_epochs(model.constellation, model.span.start, allow_stale=model.allow_stale)
    try:  # checks a user policy's file without running it: validate runs no code from the scenario
        make_policy(model.policy_name, model.policy_params, base_dir=model.base_dir, check_only=True)
    except InputError as exc:
        raise loaded.error(("policy", "name"), str(exc)) from None
    return model


def available_policies():
    """Names of the registered scheduling policies."""
    from .policies import available

    return available()


def run_scenario(
    scenario, *, seed=None, policy=None, output=None, progress=None, cache=None, allow_code=False, csv=False
) -> Results:
    """Run a scenario and return its :class:`Results` (tables as DataFrames, metrics).

    Parameters
    ----------
    scenario : path or LoadedScenario
    seed : int, optional
        Replaces the scenario's seed.
    policy : str, optional
        Replaces the scenario's policy (its params are kept only for the same policy).
    output : path, optional
        Write a run folder there (see :mod:`spaceground.results`).
    progress : bool or callable(stage, done, total), optional
        ``True`` prints each stage's progress on stderr as ``spaceground run`` does; a callable receives
        the stage (``"geometry"``, ``"simulation"``) and the counts.
    cache : spaceground.cache.GeometryCache, optional
        Serve contact windows, eclipses and target access computed before (see :mod:`spaceground.cache`).
    allow_code : bool
        Run the user policy (``module:Class``, a file beside the scenario) that the scenario names;
        without it such a scenario is refused. A ``policy`` given here is consent for that policy.
    csv : bool
        With ``output``: every table of the run folder also as CSV (``NAME.csv`` beside ``NAME.parquet``).
    """
    from .results import build_results, write_run

    started = time.perf_counter()
    progress = stage_progress(progress)
    loaded = scenario if isinstance(scenario, LoadedScenario) else load_scenario(scenario)
    loaded = loaded.with_overrides(seed=seed, policy=policy, allow_code=True if allow_code else None)
    model, inputs = prepare(
        loaded, progress=(lambda d, t: progress("geometry", d, t)) if progress else None, cache=cache
    )
    records, info = execute(model, inputs, progress=(lambda d, t: progress("simulation", d, t)) if progress else None)
    run_info = {
        "scenario": loaded.source,
        "scenario_sha256": loaded.sha256,
        "name": model.name,
        "seed": model.seed,
        "policy": info["policy"],
        "policy_params": model.policy_params if info["policy"] == model.policy_name else {},
        "satellites": len(model.constellation),
        "stations": len(model.stations),
        "datacenters": len(model.datacenters),
        "captures": len(inputs.captures),
        "excluded_satellites": inputs.geometry.excluded.to_dict("records"),
        "stages_s": {**inputs.stage_s, "engine_s": info["engine_s"]},
        "policy_decisions": info["decisions"],
        "policy_report": info.get("policy_report"),
    }
    results = build_results(model, inputs, records, run_info)
    results.generated_tle = model.generated_tle
    results.run_info["stages_s"]["total_s"] = time.perf_counter() - started
    if output is not None:
        write_run(results, loaded, output, csv=csv)
    return results
