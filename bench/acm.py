"""Adaptive coding and modulation on the quickstart: contact capacity per pass and the onboard-versus-ground
decision, with the satellites' constant catalogue rates (Sentinel-2 560, Landsat 384, Dove 160 Mbit/s) against
DVB-S2 ACM link budgets.

    python bench/acm.py

The ACM cases give every satellite an X-band radio of 12 dBW (or 6 dBW) EIRP at 75 Mbaud and every station a
G/T of 31 dB/K (a 10-13 m X-band dish), 1 dB of losses and a 1 dB ACM margin: assumptions for a comparison,
not any mission's figures.
"""

from __future__ import annotations

import os
import sys
import warnings

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from spaceground.results import build_results  # noqa: E402
from spaceground.scenario import parse_scenario  # noqa: E402
from spaceground.simulate import execute, prepare  # noqa: E402

PATH = os.path.join(ROOT, "scenarios", "quickstart.yaml")


def scenario(radio=""):
    """The quickstart, with ``radio`` (hardware lines) added to every satellite and G/T at every station."""
    text = open(PATH).read()
    if radio:
        if "  default:\n" not in text:
            raise SystemExit(f"{PATH}: no satellites.default block to add the radio to")
        text = text.replace("  default:\n", "  default:\n" + radio, 1)
        for sid in ("SVALBARD, antennas: 2", "KIRUNA", "KASHI", "SANYA"):
            text = text.replace("{id: " + sid + "}", "{id: " + sid + ", gt_db_per_k: 31}")
    return parse_scenario(text, PATH, os.path.dirname(PATH))


def main():
    warnings.simplefilter("ignore")
    cases = (
        ("constant (catalogue rates)", ""),
        ("ACM, 12 dBW", "    eirp_dbw: 12\n    symbol_rate_mbaud: 75\n"),
        ("ACM, 6 dBW", "    eirp_dbw: 6\n    symbol_rate_mbaud: 75\n"),
    )
    print("| radio | passes | GB a pass (mean / median) | mean rate | policy | value | onboard | raw down |")
    print("|---|---|---|---|---|---|---|---|")
    for label, radio in cases:
        model, inputs = prepare(scenario(radio))
        links = inputs.links
        rows = np.flatnonzero(links.kind == "downlink")
        gb = links.capacity_bytes()[rows] / 1e9
        seconds = float(np.sum(links.end_s[rows] - links.start_s[rows]))
        for policy in ("ground-only", "lookahead"):
            records, info = execute(model, inputs, policy)
            res = build_results(model, inputs, records, info, scene=False)
            w = res.workloads
            rate = 8e3 * gb.sum() / seconds
            print(
                f"| {label} | {len(rows)} | {gb.mean():.2f} / {np.median(gb):.2f} | {rate:.0f} Mbit/s | {policy} "
                f"| {res.metrics['value_delivered']:.0f} | {int((w.decision == 'onboard').sum())} "
                f"| {int((w.decision == 'ground').sum())} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
