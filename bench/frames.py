"""Frame-level benchmark: the EO day at one capture per image frame, and per satellite-minute.

    python bench/frames.py                      # the three runs below, each in its own process
    python bench/frames.py --level frame --policy ground-only [--hours 24]   # one of them

The day: the 50 EO satellites of 2025-10-03 (``constellations/eo_2025-10-03.tle``), the stations
Svalbard, Troll, Kiruna, Fairbanks, Punta Arenas and Alice Springs, 24 h. Each satellite images
while the Sun is up at its sub-satellite point (the radar satellites, Sentinel-1, image all the
time) and writes one 2.76 MB frame every 0.872 s: the 190 MB of a satellite-minute of imaging
(the frame figures of the issue). ``frame`` level: one capture per frame (about 3.4 million);
``minute`` level: one 190 MB capture per satellite-minute of imaging.

Each run prints its stages and the peak resident memory of its process after each. Goals (issue 16):
the frame-level day with ``ground-only`` under 30 s and 2 GB end to end; on the minute level,
``lookahead``'s whole run at most 3x ``ground-only``'s, both measured here in the same invocation.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np
import pandas as pd

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from spaceground.illumination import SunTable  # noqa: E402
from spaceground.orbits import propagate_points  # noqa: E402
from spaceground.orientation import EarthOrientation  # noqa: E402
from spaceground.results import build_results  # noqa: E402
from spaceground.scenario import parse_scenario  # noqa: E402
from spaceground.simulate import execute, prepare  # noqa: E402
from spaceground.workloads import CAPTURE_COLUMNS, CLOUD_COLUMN  # noqa: E402

TLE = os.path.join(ROOT, "constellations", "eo_2025-10-03.tle")
STATIONS = ["SVALBARD", "TROLL", "KIRUNA", "FAIRBANKS", "PUNTA_ARENAS", "ALICE_SPRINGS"]
FRAME_MB = 2.76
FRAME_S = 0.872  # 190 MB a minute of imaging / 2.76 MB a frame = 68.8 frames a minute
GRID_S = 10.0  # the imaging state (Sun up under the satellite) is sampled on this grid
SCENARIO = """
name: frames
start_utc: 2025-10-03T00:00:00Z
duration_h: {hours}
seed: 1
constellation: {{tle: {tle}}}
satellites:
  default: {{solar_w: 200, battery_wh: 400, storage_gb: 2000, downlink_mbps: 520, compute_tops: 100}}
stations:
{stations}
datacenters:
  - {{id: dc, lat_deg: 50.11, lon_deg: 8.68, capacity_tops: 100000, servers: 64}}
backhaul:
  default: {{bandwidth_gbps: 100, route_factor: 1.5}}
workloads:
  - {{name: frame, trigger: {{rate_per_sat_per_h: 0.001}}, raw_mb: {raw_mb}, product_mb: {product_mb},
      compute_top: {compute_top}, deadline_min: 720}}
policy: {{name: ground-only}}
"""


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def imaging_frames(model, level):
    """The capture table of the day: frame times of every satellite while it images, or one capture per
    satellite-minute of imaging (its frames' bytes)."""
    span = model.span
    grid = np.arange(0.0, span.duration_s, GRID_S)
    n = len(model.constellation)
    idx = np.repeat(np.arange(n), grid.size)
    t = np.tile(grid, n)
    jd_w, jd_f = span.jd_utc(t)
    r, _, _ = propagate_points(model.constellation, idx, jd_w, jd_f)
    sun = SunTable(span, EarthOrientation(span))(t)
    lit = (np.einsum("ij,ij->i", r, sun) > 0.0).reshape(n, grid.size)
    radar = np.array(["SENTINEL-1" in s.name for s in model.constellation])
    lit[radar] = True
    times, owner = [], []
    for k in range(n):
        # Frames every FRAME_S from the start of each imaging stretch (grid cells joined).
        cells = lit[k]
        edges = np.flatnonzero(np.diff(np.r_[0, cells.astype(np.int8), 0]))
        for a, b in zip(edges[::2], edges[1::2]):
            f = np.arange(grid[a], min(grid[b - 1] + GRID_S, span.duration_s), FRAME_S)
            times.append(f)
            owner.append(np.full(f.size, k))
    t = np.concatenate(times)
    sat = np.concatenate(owner)
    raw = np.full(t.size, FRAME_MB * 1e6)
    if level == "minute":
        minute = np.floor(t / 60.0).astype(np.int64)
        key = sat * 10_000 + minute
        keys, first, counts = np.unique(key, return_index=True, return_counts=True)
        t = np.minimum((keys % 10_000 + 1) * 60.0, span.duration_s - 1e-3)  # written at the minute's end
        sat = keys // 10_000
        raw = counts * FRAME_MB * 1e6
    order = np.lexsort((sat, t))
    t, sat, raw = t[order], sat[order], raw[order]
    w = model.workloads[0]
    m = t.size
    df = pd.DataFrame(
        {
            "capture_id": np.arange(m, dtype=np.int64),
            "time_s": t,
            "sat": sat.astype(np.int64),
            "workload": np.zeros(m, np.int64),
            "target": np.full(m, "", dtype=object),
            "raw_bytes": raw,
            "product_bytes": raw * (w.product_bytes / w.raw_bytes),
            "compute_top": raw * (w.compute_top / w.raw_bytes),
            "deadline_s": np.full(m, w.deadline_s),
            "value": raw / (FRAME_MB * 1e6),
            "onboard_allowed": np.ones(m, bool),
            CLOUD_COLUMN: np.zeros(m, bool),
        }
    )
    return df[[*CAPTURE_COLUMNS, CLOUD_COLUMN]]


def one(level, policy, hours):
    """One run; prints its stages and returns them."""
    from dataclasses import replace

    stations = "\n".join(f"  - {{id: {s}, antennas: 1}}" for s in STATIONS)
    text = SCENARIO.format(
        hours=hours, tle=TLE, stations=stations, raw_mb=FRAME_MB, product_mb=FRAME_MB / 100, compute_top=14.0
    )
    out = {"level": level, "policy": policy}
    t_all = t0 = time.perf_counter()
    model, inputs = prepare(parse_scenario(text, "frames.yaml", ROOT))
    out["prepare_s"], out["prepare_peak_mb"] = time.perf_counter() - t0, peak_mb()
    t0 = time.perf_counter()
    captures = imaging_frames(model, level)
    inputs = replace(inputs, captures=captures)
    out["captures"] = len(captures)
    out["frames_s"], out["frames_peak_mb"] = time.perf_counter() - t0, peak_mb()
    t0 = time.perf_counter()
    records, info = execute(model, inputs, policy)
    out["engine_s"], out["engine_peak_mb"] = time.perf_counter() - t0, peak_mb()
    t0 = time.perf_counter()
    res = build_results(model, inputs, records, info, scene=False)
    out["tables_s"], out["tables_peak_mb"] = time.perf_counter() - t0, peak_mb()
    out["total_s"] = time.perf_counter() - t_all
    out["delivered"] = int(res.metrics["delivered"])
    out["us_per_capture"] = 1e6 * out["engine_s"] / max(1, out["captures"])
    return out


def show(o):
    print(
        f"{o['level']:6s} {o['policy']:12s} {o['captures']:>9,} captures: prepare {o['prepare_s']:5.1f} s, "
        f"frames {o['frames_s']:5.1f} s, engine {o['engine_s']:6.1f} s ({o['us_per_capture']:.1f} us a capture), "
        f"tables {o['tables_s']:5.1f} s; whole {o['total_s']:6.1f} s; peak {o['tables_peak_mb']:,.0f} MB "
        f"(after prepare {o['prepare_peak_mb']:,.0f}, frames {o['frames_peak_mb']:,.0f}, engine "
        f"{o['engine_peak_mb']:,.0f}); delivered {o['delivered']:,}",
        flush=True,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--level", choices=["frame", "minute"])
    parser.add_argument("--policy")
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON line (for the parent)")
    args = parser.parse_args()
    if args.level:
        o = one(args.level, args.policy or "ground-only", args.hours)
        print(json.dumps(o) if args.json else "", flush=True)
        if not args.json:
            show(o)
        return
    runs = {}
    for level, policy in [("minute", "ground-only"), ("minute", "lookahead"), ("frame", "ground-only")]:
        cmd = [sys.executable, __file__, "--level", level, "--policy", policy, "--hours", str(args.hours), "--json"]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode:
            print(f"{level} x {policy} failed:\n{done.stderr[-3000:]}")
            continue
        runs[level, policy] = o = json.loads(done.stdout.strip().splitlines()[-1])
        show(o)
    if ("minute", "lookahead") in runs and ("minute", "ground-only") in runs:
        ratio = runs["minute", "lookahead"]["total_s"] / runs["minute", "ground-only"]["total_s"]
        print(f"minute level: lookahead / ground-only whole run {ratio:.2f}x   (goal <= 3x)")
    if ("frame", "ground-only") in runs:
        o = runs["frame", "ground-only"]
        print(
            f"frame level, ground-only: {o['total_s']:.1f} s (goal < 30 s), "
            f"peak {o['tables_peak_mb']:,.0f} MB (goal < 2,048 MB)"
        )


if __name__ == "__main__":
    main()
