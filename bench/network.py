"""Network benchmark: the planned computing constellation at full size, its laser links and a whole run.

    python bench/network.py                  # geometry, its Skyfield baseline and the whole run
    python bench/network.py --skip-run       # geometry only
    python bench/network.py --growth         # link geometry as the computing shell grows, 350 to 2,800

The network (all at the epoch 2025-10-03T00:00Z, 24 h):

* 2,800 computing satellites: the Three-Body constellation's planned size (ADA Space and Zhejiang Lab;
  constellations/SOURCES.md). Its shells are not published; assumed here is one sun-synchronous star
  shell of 40 planes x 70 at 500 km and 97.4 deg, the orbit of its first twelve satellites.
* 100 imaging satellites: the 50 real EO satellites of 2025-10-03 and a synthetic sun-synchronous shell
  of 5 planes x 10 at 650 km.
* The 10 real geostationary relays of the space segment file.
* 50 stations: the 21 real sites of the catalogue and 29 lattice points (load only), as in
  bench/geometry.py.

Laser pairs: each imaging satellite with each computing satellite within 5,000 km, the computing
constellation's +Grid, and every imaging and computing satellite with every relay within 45,000 km.

It prints the link geometry's time and peak memory per kind of pair, against Skyfield's own per-pair
search (``find_discrete`` over a line-of-sight-and-range function, the way its ``find_events`` searches a
station pass) timed on a random sample of pairs and extrapolated; then a whole run of a scenario over
the network (geometry, engine, tables) with its peak memory. Goals (issue 17): link geometry at least
100x Skyfield's loop; the whole run under 120 s and 8 GB on this 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
import tracemalloc

import numpy as np
import pandas as pd

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "bench"))

from geometry import stations_50  # noqa: E402

from spaceground.constants import WGS84_EQUATORIAL_RADIUS_M  # noqa: E402
from spaceground.elements import walker_tle  # noqa: E402
from spaceground.intersat import GRAZING_HEIGHT_M, find_isl_windows, grid_pairs_at_start  # noqa: E402
from spaceground.orbits import Constellation, load_tle, parse_tle  # noqa: E402
from spaceground.timebase import Span  # noqa: E402

START = "2025-10-03T00:00:00Z"
EO = os.path.join(ROOT, "constellations", "eo_2025-10-03.tle")
SPACE = os.path.join(ROOT, "constellations", "space_segment_2025-10-03.tle")
LEO_RANGE_M, GEO_RANGE_M = 5000e3, 45000e3


def network_tles():
    """(imaging TLE text, computing TLE text): the synthetic shells written as TLE, the real EO sets added."""
    imaging = open(EO).read() + walker_tle(5, 10, 0, 650.0, 98.0, START, pattern="star", name="EO-SYN", first_id=80000)
    computing = walker_tle(40, 70, 0, 500.0, 97.4, START, pattern="star", name="TB", first_id=90000)
    return imaging, computing


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def skyfield_per_pair_s(constellation, span, pairs, max_range_m, sample, rng):
    """Mean seconds of Skyfield's per-pair search (find_discrete over line of sight and range) on a sample."""
    from skyfield.api import EarthSatellite, load
    from skyfield.searchlib import find_discrete

    ts = load.timescale(builtin=True)
    t0, t1 = ts.from_datetime(span.start.to_pydatetime()), ts.from_datetime(span.end.to_pydatetime())
    radius_km = (WGS84_EQUATORIAL_RADIUS_M + GRAZING_HEIGHT_M) / 1e3
    picks = rng.choice(len(pairs), size=min(sample, len(pairs)), replace=False)
    started = time.perf_counter()
    for q in picks:
        a, b = (constellation[int(k)] for k in pairs[q])
        sa = EarthSatellite(a.line1, a.line2, a.name, ts)
        sb = EarthSatellite(b.line1, b.line2, b.name, ts)

        def visible(t, sa=sa, sb=sb):
            ra, rb = sa.at(t).position.km, sb.at(t).position.km
            d = rb - ra
            d2 = np.sum(d * d, axis=0)
            s = np.clip(-np.sum(ra * d, axis=0) / d2, 0.0, 1.0)
            nearest = ra + s * d
            clear = np.sqrt(np.sum(nearest * nearest, axis=0)) > radius_km
            return clear & (np.sqrt(d2) <= max_range_m / 1e3)

        visible.step_days = 30.0 / 86400.0  # the grid of our search, 30 s (LEO-LEO windows last minutes)
        find_discrete(t0, t1, visible)
    return (time.perf_counter() - started) / len(picks)


def geometry(args):
    imaging_text, computing_text = network_tles()
    imaging = parse_tle(imaging_text, "imaging")
    computing = parse_tle(computing_text, "computing")
    relays = load_tle(SPACE).select(["EDRS-C", "EUTELSAT 9B", "ALPHASAT", "TIANLIAN*"])
    network = Constellation([*imaging, *computing, *relays])
    n_i, n_c = len(imaging), len(computing)
    im = np.arange(n_i)
    co = np.arange(n_i, n_i + n_c)
    re = np.arange(n_i + n_c, len(network))
    span = Span.from_hours(pd.Timestamp(START), args.hours)
    print(f"network: {n_i} imaging, {n_c} computing, {len(re)} relays; {args.hours:g} h", flush=True)
    groups = {
        "imaging -> computing (5,000 km)": (
            np.stack(np.meshgrid(im, co, indexing="ij"), -1).reshape(-1, 2),
            LEO_RANGE_M,
        ),
        "computing +Grid (5,000 km)": (co[grid_pairs_at_start(computing, span)], LEO_RANGE_M),
        "all -> relays (45,000 km)": (
            np.stack(np.meshgrid(np.r_[im, co], re, indexing="ij"), -1).reshape(-1, 2),
            GEO_RANGE_M,
        ),
    }
    rng = np.random.default_rng(1)
    total_ours = total_sky = 0.0
    head = ("pairs", "count", "windows", "ours", "peak", "Skyfield/pair", "Skyfield all", "ratio")
    widths = (34, 9, 9, 8, 8, 14, 13, 7)
    print(" ".join(f"{h:{w}s}" if k == 0 else f"{h:>{w}s}" for k, (h, w) in enumerate(zip(head, widths))))
    for name, (pairs, reach) in groups.items():
        tracemalloc.start()
        t0 = time.perf_counter()
        found = find_isl_windows(network, span, pairs, max_range_m=reach)
        ours = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        per = skyfield_per_pair_s(network, span, pairs, reach, args.sample, rng)
        sky = per * len(pairs)
        total_ours += ours
        total_sky += sky
        print(
            f"{name:34s} {len(pairs):9,d} {len(found):9,d} {ours:7.1f}s {peak:6.0f}MiB {per * 1e3:11.1f} ms "
            f"{sky:12,.0f}s {sky / ours:6.0f}x",
            flush=True,
        )
    print(
        f"link geometry: {total_ours:.1f} s against Skyfield's per-pair loop {total_sky:,.0f} s (extrapolated): "
        f"{total_sky / total_ours:.0f}x (goal >= 100x)"
    )
    return imaging_text, computing_text


SCENARIO = """
name: network
start_utc: {start}
duration_h: {hours}
seed: 1
constellation: {{tle: {imaging}}}
space_segment:
  computing:
    tle: {computing}
    hardware: {{compute_tops: 744, storage_gb: 30000, compute_busy_w: 250, compute_idle_w: 20, solar_w: 1200,
               battery_wh: 2400, bus_w: 250, downlink_mbps: 1200, tx_w: 80}}
    laser: {{rate_gbps: 100, max_range_km: 5000}}
  relays:
    tle: {space}
    select: ["EDRS-C", "EUTELSAT 9B", "ALPHASAT", "TIANLIAN*"]
    hardware: {{solar_w: 10000, battery_wh: 20000, bus_w: 2000, storage_gb: 2000, downlink_mbps: 1800}}
    laser: {{rate_gbps: 1.8, max_range_km: 45000}}
    ground_terminals: [HARWELL, WEILHEIM]
  imaging_laser: {{rate_gbps: 10, max_range_km: 45000}}
satellites:
  default: {{solar_w: 120, battery_wh: 150, bus_w: 30, compute_tops: 20, compute_busy_w: 25, downlink_mbps: 450}}
stations:
{stations}
  - {{id: HARWELL, lat_deg: 51.57, lon_deg: -1.31}}
  - {{id: WEILHEIM, lat_deg: 47.88, lon_deg: 11.08}}
datacenters:
  - {{id: zhongwei, lat_deg: 37.51, lon_deg: 105.19, capacity_tops: 100000, servers: 16}}
workloads:
  - {{name: scene, trigger: {{rate_per_sat_per_h: 6}}, daylight_only: true, raw_mb: 4000, product_mb: 40,
     compute_top: 60000, deadline_min: 120}}
policy: {{name: value-greedy}}
"""


def whole_run(args, imaging_text, computing_text):
    from spaceground.results import build_results
    from spaceground.scenario import parse_scenario
    from spaceground.simulate import execute, prepare

    folder = tempfile.mkdtemp(prefix="network-")
    paths = {}
    for name, text in (("imaging", imaging_text), ("computing", computing_text)):
        paths[name] = os.path.join(folder, f"{name}.tle")
        with open(paths[name], "w") as f:
            f.write(text)
    stations = "\n".join(
        f"  - {{id: {s.station_id}, lat_deg: {s.lat_deg:.4f}, lon_deg: {s.lon_deg:.4f}}}" for s in stations_50()
    )
    text = SCENARIO.format(
        start=START,
        hours=args.hours,
        imaging=paths["imaging"],
        computing=paths["computing"],
        space=SPACE,
        stations=stations,
    )
    t_all = t0 = time.perf_counter()
    model, inputs = prepare(parse_scenario(text, os.path.join(folder, "network.yaml"), folder))
    t_prep = time.perf_counter() - t0
    n_isl = int((inputs.links.kind == "inter-satellite").sum())
    t0 = time.perf_counter()
    records, info = execute(model, inputs)
    t_eng = time.perf_counter() - t0
    t0 = time.perf_counter()
    res = build_results(model, inputs, records, info, scene=False)
    t_tab = time.perf_counter() - t0
    total = time.perf_counter() - t_all
    m = res.metrics
    stages = ", ".join(f"{k} {v:.1f}" for k, v in inputs.stage_s.items())
    in_orbit = int(res.workloads.compute_satellite.fillna("").str.startswith("TB").sum())
    print(
        f"whole run ({len(model.constellation):,} satellites, {len(model.stations)} stations, "
        f"{len(inputs.captures):,} captures, {n_isl:,} laser windows): prepare {t_prep:.1f} s ({stages}), "
        f"engine {t_eng:.1f} s, tables {t_tab:.1f} s; whole {total:.1f} s (goal < 120 s); "
        f"peak {peak_mb():,.0f} MB (goal < 8,192 MB); delivered {m['delivered']:,} of {m['captures']:,}, "
        f"{in_orbit:,} computed by the computing constellation"
    )


def growth(args):
    """The link geometry as the computing shell grows (planes of 70, the 100 imaging satellites and the 10
    relays kept): time, windows and time per pair at each size."""
    imaging_text, _ = network_tles()
    imaging = parse_tle(imaging_text, "imaging")
    relays = load_tle(SPACE).select(["EDRS-C", "EUTELSAT 9B", "ALPHASAT", "TIANLIAN*"])
    span = Span.from_hours(pd.Timestamp(START), args.hours)
    print("growth: computing satellites | pairs | windows | link geometry | per 1,000 pairs")
    for planes in (5, 10, 20, 40):
        computing = parse_tle(
            walker_tle(planes, 70, 0, 500.0, 97.4, START, pattern="star", name="TB", first_id=90000), "computing"
        )
        network = Constellation([*imaging, *computing, *relays])
        n_i, n_c = len(imaging), len(computing)
        im, co, re = np.arange(n_i), np.arange(n_i, n_i + n_c), np.arange(n_i + n_c, len(network))
        t0 = time.perf_counter()
        windows = 0
        n_pairs = 0
        for pairs, reach in (
            (np.stack(np.meshgrid(im, co, indexing="ij"), -1).reshape(-1, 2), LEO_RANGE_M),
            (co[grid_pairs_at_start(computing, span)], LEO_RANGE_M),
            (np.stack(np.meshgrid(np.r_[im, co], re, indexing="ij"), -1).reshape(-1, 2), GEO_RANGE_M),
        ):
            windows += len(find_isl_windows(network, span, pairs, max_range_m=reach))
            n_pairs += len(pairs)
        took = time.perf_counter() - t0
        print(
            f"  {n_c:6,d} | {n_pairs:9,d} | {windows:10,d} | {took:7.1f} s | {1e3 * took / n_pairs:6.3f} s", flush=True
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--sample", type=int, default=20, help="pairs per kind timed with Skyfield")
    parser.add_argument("--skip-run", action="store_true", help="the link geometry and its baseline only")
    parser.add_argument("--skip-geometry", action="store_true", help="the whole run only")
    parser.add_argument(
        "--growth", action="store_true", help="only the link geometry at 350 to 2,800 computing satellites"
    )
    args = parser.parse_args()
    if args.growth:
        growth(args)
        return
    imaging_text, computing_text = network_tles() if args.skip_geometry else geometry(args)
    if not args.skip_run:
        whole_run(args, imaging_text, computing_text)


if __name__ == "__main__":
    main()
