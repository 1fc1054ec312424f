"""Which of ``lookahead``'s parameters change anything: each one moved off its default, on the instances of
``bench/policies.py``.

    python bench/knobs.py [--seeds 0,1,2]

For every parameter, ``lookahead`` runs with the default and with each alternative value below on the
same instances (two regimes x four overloads x the seeds), and the net value of each run is compared with
the default's on that instance. A parameter whose alternatives leave every instance's tables unchanged does
nothing on the benchmark; one that changes them is reported with the mean and worst change of the net value
(as a share of the default's).

Run on seeds 0-5 (48 instances) on 2026-12-06, this removed three that did nothing: ``contention`` (1 of 48
instances changed, net value unchanged), ``cautious_start`` (none changed; its rule stays, always on, as it
changes the bundled quickstart) and ``tie_rule: lp`` (the same tables as ``split`` on all 48). The table is in
bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "bench"))

from policies import instance  # noqa: E402

from spaceground.results import build_results  # noqa: E402
from spaceground.simulate import execute  # noqa: E402

ALTERNATIVES = {
    "energy_margin": [0.0, 0.2],
    "pricing": [False],
    "reprice_every": [1, 50],
    "history": [50, 1000],
    "tie": [0.0, 0.2],
    "shadow_min_soc": [0.6, 1.0],
    "tie_rule": ["split", "slack"],
    "surplus_only": [False],
    "margin_split": [False],
    "raw_slack_s": [0.0, 7200.0],
    "room_sigma": [0.0, 4.0],
}


def run(model, inputs, params):
    records, info = execute(model, inputs, "lookahead", params)
    res = build_results(model, inputs, records, info, scene=False)
    w = res.workloads
    # The decisions and their outcome, which any effect of a parameter shows in.
    fingerprint = hash((tuple(w.decision.fillna("")), tuple(w.status), tuple(np.round(w.latency_s.fillna(-1), 6))))
    return res.metrics["net_value"], fingerprint


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--knobs", default=",".join(ALTERNATIVES))
    args = ap.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    knobs = args.knobs.split(",")
    started = time.perf_counter()
    cases = [(r, o, s) for r in ("link", "energy") for o in (1, 2.5, 6, 12) for s in seeds]
    changes = {(k, v): [] for k in knobs for v in ALTERNATIVES[k]}
    for case in cases:
        model, inputs = instance(*case)
        base_value, base_print = run(model, inputs, {})
        for knob in knobs:
            for alt in ALTERNATIVES[knob]:
                value, fingerprint = run(model, inputs, {knob: alt})
                rel = (value - base_value) / abs(base_value) if base_value else 0.0
                changes[knob, alt].append((fingerprint != base_print, rel))
        print(f"{case}: done ({time.perf_counter() - started:.0f} s)", flush=True)
    print(f"\nlookahead parameters on {len(cases)} instances ({time.perf_counter() - started:.0f} s):")
    print("| parameter | value | instances changed | mean net value change | worst | best |")
    print("|---|---|---|---|---|---|")
    for (knob, alt), rows in changes.items():
        changed = sum(c for c, _ in rows)
        rel = np.array([r for _, r in rows])
        print(
            f"| {knob} | {alt} | {changed} of {len(rows)} | {100 * rel.mean():+.2f} % | "
            f"{100 * rel.min():+.2f} % | {100 * rel.max():+.2f} % |"
        )
    for knob in knobs:
        if not any(c for alt in ALTERNATIVES[knob] for c, _ in changes[knob, alt]):
            print(f"{knob}: no effect on any instance")


if __name__ == "__main__":
    main()
