"""Simulation benchmark: 200 satellites, 20 stations, 3 data centres, 24 h, > 20,000 workloads.

    python bench/simulate.py [--baseline REV]

Prints the wall time of each stage (resolve, geometry, illumination, workloads,
engine, tables) and the engine's SimPy events per second beside a bare SimPy loop
that processes the same number of events in the same run. Goals: the engine at
least a quarter of the bare SimPy rate, the whole run under a minute.

``--baseline REV`` (default ``58ad32b``, the engine before the network model of issue 16) also
times the engine of that git revision on the same scenario in the same run: its ``spaceground``
package is extracted with ``git archive`` into a temporary folder and run in a child process,
alternating with this tree's engine, best of each kept; the ratio is printed (goal: no slower).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import simpy

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import spaceground.engine.core as engine_module  # noqa: E402  (the module that makes the Environment)
from spaceground.orbits import load_tle  # noqa: E402
from spaceground.results import build_results  # noqa: E402
from spaceground.scenario import parse_scenario  # noqa: E402
from spaceground.simulate import execute, prepare  # noqa: E402
from spaceground.stations import default_catalogue  # noqa: E402

STATIONS = [s.station_id for s in default_catalogue()][:20]
STARLINK = os.path.join(ROOT, "constellations", "starlink_2026-05-30.tle")
FIRST_200 = [int(i) for i in load_tle(STARLINK)[:200].norad_ids]
SCENARIO = f"""
name: bench-200
start_utc: 2026-05-30T12:00:00Z
duration_h: 24
seed: 7
constellation:
  tle: {STARLINK}
  select: {FIRST_200}
satellites:
  default: {{storage_gb: 512, downlink_mbps: 400}}
stations:
{chr(10).join(f"  - {{id: {s}, antennas: 2}}" for s in STATIONS)}
datacenters:
  - {{id: east, lat_deg: 31.23, lon_deg: 121.47, capacity_tops: 50000, servers: 16, price_cny_per_kwh: 0.8}}
  - {{id: west, lat_deg: 37.51, lon_deg: 105.19, capacity_tops: 80000, servers: 16, price_cny_per_kwh: 0.4}}
  - {{id: europe, lat_deg: 50.11, lon_deg: 8.68, capacity_tops: 60000, servers: 16, price_cny_per_kwh: 0.9}}
backhaul:
  default: {{bandwidth_gbps: 10, route_factor: 1.5}}
workloads:
  - {{name: scene, trigger: {{rate_per_sat_per_h: 9}}, raw_mb: 400, product_mb: 4, compute_top: 2000}}
policy: {{name: ground-only}}
"""


REPEAT = 5


class CountingEnvironment(simpy.Environment):
    events = 0

    def step(self):
        CountingEnvironment.events += 1
        return super().step()


def bare_simpy(n_events, n_procs=200):
    env = simpy.Environment()
    per = n_events // n_procs

    def proc(env, k):
        for i in range(per):
            yield env.timeout(1.0 + (k + i) % 7)

    for k in range(n_procs):
        env.process(proc(env, k))
    t0 = time.perf_counter()
    env.run()
    return per * n_procs, time.perf_counter() - t0


CHILD = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
import spaceground
assert spaceground.__file__.startswith(sys.argv[1]), spaceground.__file__
from spaceground.scenario import parse_scenario
from spaceground.simulate import execute, prepare
model, inputs = prepare(parse_scenario(open(sys.argv[2]).read(), "bench-200.yaml", sys.argv[3]))
best = min(execute(model, inputs)[1]["engine_s"] for _ in range(int(sys.argv[4])))
print(json.dumps({"engine_s": best, "captures": len(inputs.captures)}))
"""


def engine_of_revision(rev, repeat):
    """Best engine time of ``rev``'s spaceground on the same scenario, in a child process."""
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(["git", "-C", ROOT, "archive", rev, "spaceground"], capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
        scenario = os.path.join(tmp, "bench.yaml")
        with open(scenario, "w") as f:
            f.write(SCENARIO)
        out = subprocess.run(
            [sys.executable, "-c", CHILD, tmp, scenario, ROOT, str(repeat)], capture_output=True, text=True
        )
        if out.returncode:
            raise SystemExit(f"baseline {rev} failed:\n{out.stderr[-2000:]}")
        return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="58ad32b", help="git revision of the engine to compare with")
    parser.add_argument("--no-baseline", action="store_true", help="skip the comparison with --baseline")
    args = parser.parse_args()
    started = time.perf_counter()
    loaded = parse_scenario(SCENARIO, "bench-200.yaml", ROOT)
    t0 = time.perf_counter()
    model, inputs = prepare(loaded)
    prepare_s = time.perf_counter() - t0
    print(
        f"scenario: {len(model.constellation)} satellites, {len(model.stations)} stations, "
        f"{len(model.datacenters)} data "
        f"centres, 24 h, {len(inputs.captures)} workloads"
    )
    for stage, seconds in inputs.stage_s.items():
        print(f"  {stage:18s} {seconds:6.2f} s")
    records, info = execute(model, inputs)
    print(f"  {'engine_s':18s} {info['engine_s']:6.2f} s   ({info['decisions']} policy decisions)")
    first_s = time.perf_counter() - started

    # The engine stage is timed as in a run, before any tables exist. Events are counted in a separate,
    # instrumented run (the counting hook would slow a timed one); then the engine and the bare loop are
    # timed REPEAT times each, alternating, best of each kept.
    engine_module.simpy.Environment, original = CountingEnvironment, engine_module.simpy.Environment
    try:
        CountingEnvironment.events = 0
        execute(model, inputs)
    finally:
        engine_module.simpy.Environment = original
    events = CountingEnvironment.events
    engine_s, bare_s = [info["engine_s"]], []
    for k in range(REPEAT):
        if k:
            engine_s.append(execute(model, inputs)[1]["engine_s"])
        n, seconds = bare_simpy(events)
        bare_s.append(seconds)

    t0 = time.perf_counter()
    res = build_results(model, inputs, records, info)
    tables_s = time.perf_counter() - t0
    print(f"  {'tables_s':18s} {tables_s:6.2f} s")
    print(f"whole run: {first_s + tables_s:.1f} s (prepare {prepare_s:.1f} s)   (goal < 60 s)")
    engine_rate = events / min(engine_s)
    bare_rate = n / min(bare_s)
    print(
        f"engine: {events} SimPy events, best of {REPEAT}: {min(engine_s):.2f} s = {engine_rate:,.0f} events/s "
        f"(runs {', '.join(f'{t:.2f}' for t in engine_s)} s)"
    )
    print(f"bare SimPy loop: {n} events, best of {REPEAT}: {min(bare_s):.2f} s = {bare_rate:,.0f} events/s")
    print(f"  engine / bare SimPy rate: {engine_rate / bare_rate:.3f}   (goal >= 0.25)")
    if not args.no_baseline:
        # Alternate: baseline, this tree, baseline, this tree; best of each.
        base, mine = [], []
        for _ in range(2):
            base.append(engine_of_revision(args.baseline, 2))
            mine.append(min(execute(model, inputs)[1]["engine_s"] for _ in range(2)))
        old = min(b["engine_s"] for b in base)
        print(
            f"engine of {args.baseline} (same scenario, {base[0]['captures']} workloads): best {old:.2f} s; "
            f"this tree: best {min(mine):.2f} s; this / {args.baseline}: {min(mine) / old:.3f}   (goal <= 1.0)"
        )
    m = res.metrics
    print(
        f"delivered {m['delivered']} of {m['captures']}, deadline hit rate {100 * m['deadline_hit_rate']:.1f} %, "
        f"contact utilisation {100 * m['contact_utilisation']:.1f} %"
    )


if __name__ == "__main__":
    main()
