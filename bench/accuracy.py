"""Accuracy of contacts, eclipses and inter-satellite windows against the Orekit references in tests/data/orekit.

    python bench/accuracy.py

Prints, per reference case and overall, the worst and 99th-percentile differences
that the tests bound (the tests fail beyond the requirements; this shows the margins).
"""

from __future__ import annotations

import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from tests.conftest import case_geometry, reference_cases  # noqa: E402
from tests.test_contacts import matched_passes  # noqa: E402
from tests.test_illumination import boundaries, orekit_events  # noqa: E402


def main():
    rows = []
    for case in reference_cases():
        mine, ref, both = matched_passes(case)
        short = both.duration_s < 3600.0
        high = both.max_elevation_deg_ref > 15.0
        d = {c: 1e3 * (both[f"{c}_s"] - both[f"{c}_s_ref"]).abs() for c in ("aos", "tca", "los")}
        edges = np.maximum(d["aos"], d["los"])
        constellation, span, geo = case_geometry(case)
        ours = boundaries(geo.eclipses, span)
        ev = orekit_events(case)
        ecl = []
        for sat in constellation:
            for det in ("umbra", "penumbra"):
                theirs = np.sort(ev[(ev.norad_id == sat.norad_id) & (ev.detector == det)].t_s.to_numpy())
                mine_t = np.array(ours.get(sat.norad_id, {}).get(det, []))
                if len(mine_t) == len(theirs) and len(theirs):
                    ecl.append(np.abs(mine_t - theirs).max())
        rows.append(
            (
                case,
                len(ref),
                len(mine),
                len(both),
                edges.max(),
                np.percentile(edges, 99),
                edges[high].max(),
                d["tca"][short].max(),
                d["tca"][short & high].max(),
                (both.max_elevation_deg - both.max_elevation_deg_ref).abs().max(),
                max(ecl) * 1e3,
            )
        )
    print("case      Orekit  ours matched  AOS/LOS worst  p99     >15deg   TCA<1h  TCA>15   max-el [deg]  eclipse")
    for r in rows:
        print(
            f"{r[0]:9s} {r[1]:6d} {r[2]:5d} {r[3]:7d}  {r[4]:9.3f} ms {r[5]:6.3f} {r[6]:8.3f} {r[7]:8.3f} {r[8]:7.3f}"
            f"   {r[9]:.1e}      {r[10]:.2f} ms"
        )
    print("requirements: 0 missed/extra; AOS/LOS 25 ms (5 ms above 15 deg); TCA 25 ms (5 ms); 0.005 deg; eclipses 1 s")
    isl()


def isl():
    """Inter-satellite windows against Orekit's InterSatDirectViewDetector (tests/data/orekit/isl_*.csv)."""
    import pandas as pd

    from spaceground.intersat import find_isl_windows
    from tests.test_intersat import _case_pairs

    print("\ninter-satellite   pairs  Orekit  ours  edges  worst       p99        median")
    key = ["satellite", "to_satellite", "start_s"]
    for case in ("formation", "leo_geo", "crossing"):
        constellation, span, spec, pairs = _case_pairs(case)
        ref = pd.read_csv(os.path.join(ROOT, "tests", "data", "orekit", f"isl_{case}.csv"))
        ref = ref.sort_values(key).reset_index(drop=True)
        got = find_isl_windows(constellation, span, pairs, grazing_height_m=spec["grazing_height_m"])
        got = got.sort_values(key).reset_index(drop=True)
        if len(got) != len(ref):
            print(f"{case:16s} {len(pairs):6d} {len(ref):7d} {len(got):5d}  windows differ")
            continue
        inner_start, inner_end = ~ref.clipped_start.astype(bool), ~ref.clipped_end.astype(bool)
        err_ms = 1e3 * np.r_[np.abs(got.start_s - ref.start_s)[inner_start], np.abs(got.end_s - ref.end_s)[inner_end]]
        print(
            f"{case:16s} {len(pairs):6d} {len(ref):7d} {len(got):5d} {len(err_ms):6d}  {err_ms.max():.4f} ms  "
            f"{np.percentile(err_ms, 99):.4f} ms  {np.median(err_ms):.5f} ms"
        )
    print("requirement: the same windows; starts and ends within 25 ms")


if __name__ == "__main__":
    main()
