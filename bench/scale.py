"""Large-constellation benchmark and the sweep speed-up.

    python bench/scale.py            # the whole benchmark (about 4 minutes)
    python bench/scale.py --quick    # 1,000 satellites x 1 day and a smaller sweep

Part 1, scale: 1,000 satellites of the Starlink set (element sets of 2026-05-30, treated
as EO satellites with the default hardware profile) x 50 stations (those of
``bench/geometry.py``: the 21 real ones of the catalogue plus 29 points of a Fibonacci
lattice, a load, not a network; 4 antennas each) x 7 days, 3 data centres, one capture per satellite and
hour, end to end (load, geometry, illumination, workloads, simulation, results tables). Every configuration
runs in a fresh process, so its peak resident memory is its own. Goal: under 60 s wall,
peak memory under 4 GB. Then how each stage grows from 100 to 300 to 1,000 satellites
(7 days) and from 1 to 3 to 7 days (1,000 satellites), against linear growth.

Part 2, sweep: 24 variants of the quickstart made a week long (4 battery sizes x 3 policies
x 2 seeds, one geometry) run (a) one after another, each computing its own geometry as separate runs
would, (b) one after another through the geometry cache, (c) as a sweep on a 2-worker
Dask LocalCluster; the speed-ups of (c) over (a) and (b) are printed.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

STARLINK = os.path.join(ROOT, "constellations", "starlink_2026-05-30.tle")
QUICKSTART = os.path.join(ROOT, "scenarios", "quickstart.yaml")


def scenario_text(n_sats, days):
    from geometry import stations_50  # bench/geometry.py: the same 50 stations as the geometry benchmark

    from spaceground.orbits import load_tle

    ids = [int(i) for i in load_tle(STARLINK)[:n_sats].norad_ids]
    stations = [
        f"  - {{id: {s.station_id}, lat_deg: {s.lat_deg:.4f}, lon_deg: {s.lon_deg:.4f}, alt_m: {s.alt_m:g}, "
        "antennas: 4}"
        for s in stations_50()
    ]
    nl = "\n"
    return f"""
name: scale-{n_sats}-{days}d
start_utc: 2026-05-30T12:00:00Z
duration_h: {24 * days}
seed: 11
constellation:
  tle: {STARLINK}
  select: {ids}
stations:
{nl.join(stations)}
datacenters:
  - {{id: east, lat_deg: 31.23, lon_deg: 121.47, capacity_tops: 200000, servers: 64, price_cny_per_kwh: 0.8}}
  - {{id: west, lat_deg: 37.51, lon_deg: 105.19, capacity_tops: 400000, servers: 64, price_cny_per_kwh: 0.4}}
  - {{id: europe, lat_deg: 50.11, lon_deg: 8.68, capacity_tops: 300000, servers: 64, price_cny_per_kwh: 0.9}}
backhaul:
  default: {{bandwidth_gbps: 10, route_factor: 1.5}}
workloads:
  - {{name: scene, trigger: {{rate_per_sat_per_h: 1}}, raw_mb: 400, product_mb: 4, compute_top: 2000}}
policy: {{name: ground-only}}
"""


def one_configuration(n_sats, days):
    """Run one configuration end to end in this process; prints a JSON line of stage times."""
    from spaceground.results import build_results
    from spaceground.scenario import parse_scenario
    from spaceground.simulate import execute, prepare

    started = time.perf_counter()
    t0 = time.perf_counter()
    loaded = parse_scenario(scenario_text(n_sats, days), f"scale-{n_sats}.yaml", ROOT)
    parse_s = time.perf_counter() - t0
    model, inputs = prepare(loaded)
    records, info = execute(model, inputs)
    t0 = time.perf_counter()
    res = build_results(model, inputs, records, info)
    tables_s = time.perf_counter() - t0
    out = {
        "satellites": len(model.constellation),
        "days": days,
        "stations": len(model.stations),
        "workloads": len(inputs.captures),
        "contacts": len(inputs.geometry.contacts),
        "parse_s": parse_s,
        **{k: v for k, v in inputs.stage_s.items()},
        "engine_s": info["engine_s"],
        "tables_s": tables_s,
        "total_s": time.perf_counter() - started,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        "delivered": res.metrics["delivered"],
    }
    print(json.dumps(out))


def measure(n_sats, days):
    proc = subprocess.run(
        [sys.executable, __file__, "--one", str(n_sats), str(days)], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise SystemExit(f"configuration {n_sats} x {days} d failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


STAGES = ["parse_s", "resolve_s", "geometry_s", "illumination_s", "workloads_s", "engine_s", "tables_s", "total_s"]


def growth(rows, key):
    base = rows[0]
    print(f"  {key:>10s} " + " ".join(f"{s[:-2]:>12s}" for s in STAGES) + f" {'peak MB':>9s} {'workloads':>10s}")
    for r in rows:
        print(
            f"  {r[key]:>10g} " + " ".join(f"{r[s]:11.2f}s" for s in STAGES) + f" {r['peak_mb']:9.0f} "
            f"{r['workloads']:10d}"
        )
    scale = rows[-1][key] / base[key]
    print(f"  growth from {base[key]:g} to {rows[-1][key]:g} ({scale:g}x; linear would be {scale:g}x):")
    for s in STAGES:
        if base[s] > 0.05:
            ratio = rows[-1][s] / base[s]
            note = (
                "   <- super-linear"
                if ratio > 1.3 * scale
                else "   (sub-linear: a fixed part)"
                if ratio < 0.7 * scale
                else ""
            )
            print(f"    {s[:-2]:12s} {ratio:6.2f}x{note}")


def part_scale(quick):
    print("== scale: Starlink as EO satellites, 50 stations (21 real + 29 synthetic), 3 data centres ==")
    main = measure(1000, 1 if quick else 7)
    print(
        f"1,000 satellites x {main['days']:g} d: {main['workloads']:,} workloads, {main['contacts']:,} contact "
        f"windows, {main['delivered']:,} delivered"
    )
    for s in STAGES:
        print(f"  {s:16s} {main[s]:7.2f} s")
    print(
        f"  whole run {main['total_s']:.1f} s (goal < 60 s), peak memory {main['peak_mb'] / 1024:.2f} GB (goal < 4 GB)"
    )
    if quick:
        return
    print("\ngrowth with satellites (7 days):")
    growth([measure(100, 7), measure(300, 7), main], "satellites")
    print("\ngrowth with days (1,000 satellites):")
    growth([measure(1000, 1), measure(1000, 3), main], "days")


def part_sweep(quick):
    import yaml

    from spaceground.api import run_scenario
    from spaceground.cache import GeometryCache
    from spaceground.sweep import build_variants, load_sweep, run_sweep

    print("\n== sweep: 24 variants of the quickstart over 7 days (4 batteries x 3 policies x 2 seeds) ==")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "sweep.yaml")
        grid = {
            "duration_h": [24 if quick else 168],
            "satellites.default.battery_wh": [40, 80] if quick else [40, 80, 120, 160],
            "policy.name": ["ground-only", "onboard-first", "lookahead"],
        }
        with open(path, "w") as f:
            yaml.safe_dump({"name": "bench", "base": QUICKSTART, "grid": grid, "seeds": [1, 2]}, f)
        variants = build_variants(load_sweep(path))
        t0 = time.perf_counter()
        alone = [run_scenario(v.loaded()).metrics for v in variants]
        naive_s = time.perf_counter() - t0
        cache = GeometryCache(os.path.join(tmp, "cache-seq"))
        t0 = time.perf_counter()
        for v in variants:
            run_scenario(v.loaded(), cache=cache)
        cached_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        table = run_sweep(
            path, output=os.path.join(tmp, "out"), workers=2, cache_dir=os.path.join(tmp, "cache"), progress=False
        )
        sweep_s = time.perf_counter() - t0
        from distributed import Client, LocalCluster

        t0 = time.perf_counter()
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
            Client(cluster).close()
        cluster_s = time.perf_counter() - t0
        same = all(abs(row.value_delivered - m["value_delivered"]) < 1e-9 for row, m in zip(table.itertuples(), alone))
    print(f"{len(variants)} runs; sweep results equal to the runs one by one: {same}")
    print(f"  one after another, each its own geometry: {naive_s:6.1f} s")
    print(f"  one after another, geometry cache:        {cached_s:6.1f} s")
    print(
        f"  sweep on a 2-worker LocalCluster:         {sweep_s:6.1f} s "
        f"(of which {cluster_s:.1f} s starting and stopping "
        "the cluster)"
    )
    print(
        f"  speed-up of the sweep: {naive_s / sweep_s:.2f}x over separate runs, {cached_s / sweep_s:.2f}x over the "
        "cached loop"
    )


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--one":
        one_configuration(int(sys.argv[2]), float(sys.argv[3]))
    else:
        quick = "--quick" in sys.argv
        part_scale(quick)
        part_sweep(quick)
