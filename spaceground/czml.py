"""CZML for Cesium-based 3-D viewers: orbits, stations, data centres and every downlink.

CZML is a JSON array of packets (https://github.com/AnalyticalGraphicsInc/czml-writer/wiki/CZML-Guide).
The document written here has

* ``document``: the clock over the run (start, end, 60x);
* ``satellite/<norad id>``: Earth-fixed (``FIXED``, ITRF) positions sampled at the run's
  track times, Lagrange-interpolated (degree 5), a point, a label and a trailing path;
* ``station/<id>`` and ``datacenter/<id>``: fixed positions in ``cartographicDegrees``;
* ``backhaul/<station>/<datacenter>``: a static polyline between the two;
* ``downlink/<k>``: one packet per downlink session (one satellite to one station through one
  window), a polyline between the satellite and the station shown only during the session;
* ``laser/<k>``: one packet per inter-satellite session (one satellite sending to another), a
  dashed polyline between the two shown only during the session.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from .atomic import write_text
from .colours import satellite_colours
from .errors import InputError

STATION_RGBA = [0, 0, 0, 255]
DC_RGBA = [213, 94, 0, 255]


def _iso(t) -> str:
    return pd.Timestamp(t).tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%S.%fZ").replace(".000000Z", "Z")


def _rgba(hex_colour, alpha=255):
    h = hex_colour.lstrip("#")
    return [int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16), alpha]


def sessions(downlinks: pd.DataFrame, gap_s=1.0, peer="station") -> pd.DataFrame:
    """Merge the downlinks of one satellite to one station into sessions (gaps up to ``gap_s`` closed); with
    ``peer="to_satellite"``, the inter-satellite transfers of one satellite to another."""
    if len(downlinks) == 0:
        return pd.DataFrame(columns=["satellite", peer, "start_utc", "end_utc", "bytes", "downlinks"])
    rows = []
    for (sat, st), g in downlinks.sort_values("start_utc").groupby(["satellite", peer], sort=False):
        start, end, nbytes, count = None, None, 0.0, 0
        for r in g.itertuples(index=False):
            if start is not None and (r.start_utc - end).total_seconds() <= gap_s:
                end, nbytes, count = max(end, r.end_utc), nbytes + r.bytes, count + 1
                continue
            if start is not None:
                rows.append((sat, st, start, end, nbytes, count))
            start, end, nbytes, count = r.start_utc, r.end_utc, r.bytes, 1
        rows.append((sat, st, start, end, nbytes, count))
    out = pd.DataFrame(rows, columns=["satellite", peer, "start_utc", "end_utc", "bytes", "downlinks"])
    return out.sort_values(["start_utc", "satellite"], ignore_index=True)


def build_czml(res) -> list:
    """The CZML packets of a :class:`~spaceground.results.Results` with its scene tables."""
    sc = res.scene
    missing = [n for n in ("tracks", "satellites", "stations", "datacenters", "backhaul") if n not in sc]
    if missing:
        raise InputError(
            f"the run has no scene tables {missing} (a folder written by an older spaceground): run the scenario again"
        )
    tracks, sats = sc["tracks"], sc["satellites"]
    start, end = tracks.time_utc.min(), tracks.time_utc.max()
    interval = f"{_iso(start)}/{_iso(end)}"
    name = res.run_info.get("name", "spaceground run")
    packets = [
        {
            "id": "document",
            "name": f"spaceground: {name}",
            "version": "1.0",
            "clock": {
                "interval": interval,
                "currentTime": _iso(start),
                "multiplier": 60,
                "range": "LOOP_STOP",
                "step": "SYSTEM_CLOCK_MULTIPLIER",
            },
        }
    ]
    sat_id = {}
    colours = satellite_colours(sats.satellite)
    for s in sats.itertuples(index=False):
        tr = tracks[tracks.satellite == s.satellite]
        if len(tr) == 0:
            continue
        ident = f"satellite/{int(s.norad_id)}"
        sat_id[s.satellite] = ident
        t = (tr.time_utc - start).dt.total_seconds().to_numpy(float)
        samples = np.column_stack([t, tr.x_m.to_numpy(float), tr.y_m.to_numpy(float), tr.z_m.to_numpy(float)])
        colour = _rgba(colours[s.satellite])
        packets.append(
            {
                "id": ident,
                "name": s.satellite,
                "availability": interval,
                "description": f"NORAD {int(s.norad_id)}, {s.profile} hardware, period {s.period_min:.1f} min",
                "position": {
                    "epoch": _iso(start),
                    "referenceFrame": "FIXED",
                    "interpolationAlgorithm": "LAGRANGE",
                    "interpolationDegree": 5,
                    "cartesian": [round(float(v), 3) for v in samples.ravel()],
                },
                "point": {"pixelSize": 6, "color": {"rgba": colour}},
                "label": {
                    "text": s.satellite,
                    "font": "11px sans-serif",
                    "pixelOffset": {"cartesian2": [8, 0]},
                    "fillColor": {"rgba": colour},
                },
                "path": {
                    "leadTime": 0,
                    "trailTime": float(s.period_min) * 60.0,
                    "width": 1,
                    "material": {"solidColor": {"color": {"rgba": colour}}},
                },
            }
        )
    for r in sc["stations"].itertuples(index=False):
        packets.append(
            {
                "id": f"station/{r.station}",
                "name": r.name or r.station,
                "position": {"cartographicDegrees": [float(r.lon_deg), float(r.lat_deg), float(r.alt_m)]},
                "point": {"pixelSize": 8, "color": {"rgba": STATION_RGBA}},
                "label": {"text": r.station, "font": "11px sans-serif", "pixelOffset": {"cartesian2": [8, 8]}},
            }
        )
    for r in sc["datacenters"].itertuples(index=False):
        packets.append(
            {
                "id": f"datacenter/{r.datacenter}",
                "name": r.name or r.datacenter,
                "position": {"cartographicDegrees": [float(r.lon_deg), float(r.lat_deg), 0.0]},
                "point": {"pixelSize": 9, "color": {"rgba": DC_RGBA}},
                "label": {"text": r.datacenter, "font": "11px sans-serif", "pixelOffset": {"cartesian2": [8, -8]}},
            }
        )
    for r in sc["backhaul"].itertuples(index=False):
        packets.append(
            {
                "id": f"backhaul/{r.station}/{r.datacenter}",
                "name": f"backhaul {r.station} - {r.datacenter} ({r.bandwidth_bps / 1e9:g} Gbit/s"
                f", {1e3 * r.latency_s:.1f} ms)",
                "polyline": {
                    "positions": {
                        "references": [f"station/{r.station}#position", f"datacenter/{r.datacenter}#position"]
                    },
                    "width": 1,
                    "material": {"solidColor": {"color": {"rgba": [90, 90, 90, 160]}}},
                    "arcType": "GEODESIC",
                },
            }
        )
    for k, s in enumerate(sessions(res.downlinks).itertuples(index=False)):
        if s.satellite not in sat_id:
            continue
        packets.append(
            {
                "id": f"downlink/{k}",
                "name": f"{s.satellite} -> {s.station}: {s.bytes / 1e9:.3f} GB",
                "availability": f"{_iso(s.start_utc)}/{_iso(s.end_utc)}",
                "polyline": {
                    "positions": {"references": [f"{sat_id[s.satellite]}#position", f"station/{s.station}#position"]},
                    "width": 2,
                    "arcType": "NONE",
                    "material": {"solidColor": {"color": {"rgba": [0, 158, 115, 255]}}},
                },
            }
        )
    for k, s in enumerate(sessions(res.isl_transfers, peer="to_satellite").itertuples(index=False)):
        if s.satellite not in sat_id or s.to_satellite not in sat_id:
            continue
        packets.append(
            {
                "id": f"laser/{k}",
                "name": f"{s.satellite} -> {s.to_satellite} (laser): {s.bytes / 1e9:.3f} GB",
                "availability": f"{_iso(s.start_utc)}/{_iso(s.end_utc)}",
                "polyline": {
                    "positions": {
                        "references": [f"{sat_id[s.satellite]}#position", f"{sat_id[s.to_satellite]}#position"]
                    },
                    "width": 2,
                    "arcType": "NONE",
                    "material": {"polylineDash": {"color": {"rgba": [204, 121, 167, 255]}, "dashLength": 12}},
                },
            }
        )
    return packets


def write_czml(res, path) -> str:
    """Write the CZML document of a run (see :func:`build_czml`); returns the path."""
    text = json.dumps(build_czml(res), separators=(",", ":"))
    write_text(path, text)
    return path


def export_czml(folder, output) -> str:
    """Write a run folder as CZML for Cesium-based viewers; returns the path."""
    from .results import read_run

    return write_czml(read_run(folder), output)
