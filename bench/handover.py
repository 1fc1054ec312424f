"""Handover rules on a saturated network of real stations: bytes carried against the network's exact bound.

    python bench/handover.py            # the bundled day: 50 EO satellites x 21 stations x 24 h (about a minute)
    python bench/handover.py --small    # 7 satellites x 3 stations x 4 h, with milp-optimal beside the rules

Each satellite captures more than its passes can carry (``scenarios/saturated-ground-network.yaml``), so the rule that
gives stations to satellites decides what goes down. For each rule (``stay``, ``best-window``, ``network``) and
acquisition time (0 and 30 s) it prints the bytes carried, as a share of (a) the exact optimum of the saturated
network without acquisition (:func:`spaceground.study.ground_network_bound`: a maximum-weight assignment of antennas
in every interval between window edges) and (b) the sum of the window capacities, which counts overlapping windows
twice and is no bound to aim at. With ``--small``, ``milp-optimal`` (which maximises the captures delivered whole, not
bytes) runs beside them.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from spaceground.api import run_scenario  # noqa: E402
from spaceground.scenario import parse_scenario  # noqa: E402
from spaceground.study import ground_network_bound  # noqa: E402

SATURATED = os.path.join(ROOT, "scenarios", "saturated-ground-network.yaml")


def variant(text, rule, acquisition_s):
    text = text.replace("handover: stay", f"handover: {rule}").replace(
        "acquisition_s: 0", f"acquisition_s: {acquisition_s}"
    )
    return parse_scenario(text, SATURATED, os.path.dirname(SATURATED))


def small_text():
    text = open(SATURATED).read()
    text = text.replace(
        "  tle: ../constellations/eo_2025-10-03.tle\n",
        '  tle: ../constellations/eo_2025-10-03.tle\n  select: ["SENTINEL-2*", "LANDSAT*", "SENTINEL-1*"]\n',
    )
    head, rest = text.split("stations:\n", 1)
    block, tail = rest.split("\ndatacenters:", 1)
    keep = {"SVALBARD", "KIRUNA", "INUVIK"}
    block = "\n".join(ln for ln in block.splitlines() if not ln.strip() or ln.split("id: ")[1].rstrip("}") in keep)
    text = head + "stations:\n" + block + "\ndatacenters:" + tail
    text = text.replace("duration_h: 24", "duration_h: 4").replace("rate_per_sat_per_h: 8", "rate_per_sat_per_h: 40")
    return text.replace("raw_mb: 5000", "raw_mb: 2000")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--small", action="store_true")
    opts = ap.parse_args()
    text = small_text() if opts.small else open(SATURATED).read()
    base = variant(text, "stay", 0)
    t0 = time.perf_counter()
    bound = ground_network_bound(base)
    print(
        f"{bound['satellites']} satellites; exact saturated bound {bound['bound_bytes'] / 1e12:.3f} TB "
        f"({bound['cells']} cells, {time.perf_counter() - t0:.1f} s); sum of window capacities "
        f"{bound['windows_bytes'] / 1e12:.3f} TB"
    )
    head = ("rule", "acq s", "carried TB", "of bound", "of windows", "captures", "run s")
    print("{:14s} {:>5s} {:>10s} {:>8s} {:>10s} {:>8s} {:>6s}".format(*head))
    rules = [(r, a) for a in (0, 30) for r in ("stay", "best-window", "network")]
    if opts.small:
        rules += [("milp-optimal", 0)]
    for rule, acq in rules:
        if rule == "milp-optimal":
            sc = parse_scenario(
                text.replace("{name: ground-only}", "{name: milp-optimal}"), SATURATED, os.path.dirname(SATURATED)
            )
        else:
            sc = variant(text, rule, acq)
        t0 = time.perf_counter()
        res = run_scenario(sc)
        dt = time.perf_counter() - t0
        sent = float(res.downlinks.bytes.sum())
        whole = int(res.workloads.downlink_end_utc.notna().sum())
        print(
            f"{rule:14s} {acq:5d} {sent / 1e12:10.3f} {sent / bound['bound_bytes']:8.3f} "
            f"{sent / bound['windows_bytes']:10.3f} {whole:8d} {dt:6.1f}"
        )


if __name__ == "__main__":
    main()
