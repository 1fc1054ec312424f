"""Accuracy of contacts and eclipses against the Orekit references in tests/data/orekit.

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


if __name__ == "__main__":
    main()
