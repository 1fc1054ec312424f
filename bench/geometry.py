"""Geometry benchmark: contacts and eclipses of 1,000 Starlink satellites x 50 stations x 24 h.

Run on demand (not part of the tests):

    python bench/geometry.py            # full benchmark, a few minutes
    python bench/geometry.py --quick    # smaller baselines, for a fast look

It prints, from measurements taken in this same run:

* spaceground's time for contacts + eclipses, and the peak memory of that call;
* the bare batch SGP4 propagation of the same satellites on the same time grid, and
  the ratio of the two (goal: at most 3x);
* Skyfield's own loops, ``EarthSatellite.find_events`` per satellite-station pair and
  ``find_discrete`` over ``is_sunlit`` per satellite, timed on a random sample and
  extrapolated to all pairs and satellites, and the speed-up (goal: at least 100x);
* how the time grows with satellites (100, 300, 1000), stations (10, 25, 50) and
  days (1 and 7).

The 50 stations are the 21 real sites of the packaged catalogue plus 29 points of a
Fibonacci lattice between 60 S and 60 N (load only, not real sites).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
import tracemalloc
import warnings

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from spaceground.geometry import compute_geometry, time_grid  # noqa: E402
from spaceground.orbits import load_tle, propagate_teme  # noqa: E402
from spaceground.stations import Station, default_catalogue  # noqa: E402
from spaceground.timebase import Span, ephemeris, timescale  # noqa: E402

START = "2026-05-30T12:00:00Z"


def stations_50():
    real = default_catalogue()
    n = 50 - len(real)
    i = np.arange(n) + 0.5
    lat = np.degrees(np.arcsin((1 - 2 * i / n) * np.sin(np.radians(60))))
    lon = (np.degrees(np.pi * (1 + 5**0.5) * i) % 360.0) - 180.0
    return real + [Station(f"GRID{q + 1:02d}", float(a), float(b), 0.0) for q, (a, b) in enumerate(zip(lat, lon))]


def timed(fn, repeat=1):
    best = float("inf")
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def ours(constellation, stations, span):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return compute_geometry(constellation, stations, span)


def bare_sgp4(constellation, span, step_s, chunk=64):
    t = time_grid(span, step_s)
    jd_w, jd_f = span.jd_utc(t)
    for first in range(0, len(constellation), chunk):
        propagate_teme(constellation[first : first + chunk], jd_w, jd_f)
    return len(t)


def skyfield_loops(constellation, stations, span, n_pairs, n_sats, rng):
    from skyfield.api import EarthSatellite, wgs84
    from skyfield.searchlib import find_discrete

    ts = timescale()
    eph = ephemeris()
    t0 = ts.from_datetime(span.start.to_pydatetime())
    t1 = ts.from_datetime(span.end.to_pydatetime())
    pair_sat = rng.integers(0, len(constellation), n_pairs)
    pair_sta = rng.integers(0, len(stations), n_pairs)
    started = time.perf_counter()
    events = 0
    for i, m in zip(pair_sat, pair_sta):
        sat = constellation[int(i)]
        es = EarthSatellite(sat.line1, sat.line2, sat.name, ts)
        st = stations[int(m)]
        t, ev = es.find_events(wgs84.latlon(st.lat_deg, st.lon_deg, st.alt_m), t0, t1, altitude_degrees=10.0)
        events += len(ev)
    per_pair = (time.perf_counter() - started) / n_pairs
    started = time.perf_counter()
    for i in rng.integers(0, len(constellation), n_sats):
        sat = constellation[int(i)]
        es = EarthSatellite(sat.line1, sat.line2, sat.name, ts)

        def sunlit(t, es=es):
            return es.at(t).is_sunlit(eph)

        sunlit.step_days = 5.0 / 1440.0
        find_discrete(t0, t1, sunlit)
    per_sat = (time.perf_counter() - started) / n_sats
    return per_pair, per_sat, events / n_pairs


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller Skyfield samples, no 7-day run")
    parser.add_argument("--seed", type=int, default=20260530)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)

    t_load, starlink = timed(lambda: load_tle(os.path.join(ROOT, "constellations", "starlink_2026-05-30.tle")))
    sats = starlink[:1000]
    stations = stations_50()
    day = Span.from_hours(START, 24)
    print(f"Starlink file: {len(starlink)} element sets read in {t_load:.2f} s; using the first {len(sats)}")
    print(f"stations: {len(stations)} (21 real + 29 lattice points); span {START} + 24 h; {os.cpu_count()} CPUs")

    t_compile, _ = timed(lambda: ours(sats[:4], stations[:3], Span.from_hours(START, 2)))
    print(f"first call (numba compilation or cache load): {t_compile:.2f} s")

    t_ours, geo = timed(lambda: ours(sats, stations, day), repeat=2)
    tracemalloc.start()
    ours(sats, stations, day)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    t_bare, n_grid = timed(lambda: bare_sgp4(sats, day, geo.step_s), repeat=2)
    print(
        f"\nspaceground contacts + eclipses: {t_ours:.2f} s -> {len(geo.contacts)} passes, {len(geo.eclipses)} "
        f"shadow intervals, {len(geo.excluded)} satellites left out"
    )
    print(
        f"  peak memory of the call (tracemalloc): {peak / 2**20:.0f} MiB; process max RSS "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
    )
    print(
        f"bare SGP4 of the same {len(sats)} satellites on the same grid ({n_grid} points, {geo.step_s:.1f} s): "
        f"{t_bare:.2f} s"
    )
    print(f"  ratio spaceground / bare propagation: {t_ours / t_bare:.2f}x   (goal <= 3x)")

    n_pairs, n_sats = (8, 3) if args.quick else (40, 10)
    per_pair, per_sat, ev = skyfield_loops(sats, stations, day, n_pairs, n_sats, rng)
    pairs = len(sats) * len(stations)
    sky_total = per_pair * pairs + per_sat * len(sats)
    print(
        f"\nSkyfield find_events: {per_pair * 1e3:.0f} ms per pair ({n_pairs} random pairs, {ev:.1f} events each) "
        f"-> {per_pair * pairs:.0f} s for {pairs} pairs"
    )
    print(
        f"Skyfield find_discrete(is_sunlit): {per_sat * 1e3:.0f} ms per satellite ({n_sats} sampled) "
        f"-> {per_sat * len(sats):.0f} s for {len(sats)}"
    )
    print(f"  speed-up of spaceground over the Skyfield loops: {sky_total / t_ours:.0f}x   (goal >= 100x)")

    print("\nscaling (seconds; ideal growth is linear):")
    for n in (100, 300, 1000):
        t, _ = timed(lambda n=n: ours(sats[:n], stations, day), repeat=2)
        tb, _ = timed(lambda n=n: bare_sgp4(sats[:n], day, geo.step_s), repeat=2)
        print(
            f"  {n:5d} satellites x 50 stations x 1 day: {t:6.2f} s  ({t / n * 1000:.2f} s per 1000; bare {tb:.2f} s)"
        )
    for m in (10, 25, 50):
        t, _ = timed(lambda m=m: ours(sats[:300], stations[:m], day), repeat=2)
        print(f"  300 satellites x {m:2d} stations x 1 day: {t:6.2f} s")
    if not args.quick:
        week = Span.from_hours(START, 24 * 7)
        t7, g7 = timed(lambda: ours(sats, stations, week))
        tracemalloc.start()
        ours(sats[:300], stations, week)
        _, peak7 = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        tb7, _ = timed(lambda: bare_sgp4(sats, week, geo.step_s))
        print(
            f"  1000 satellites x 50 stations x 7 days: {t7:6.2f} s ({t7 / t_ours:.2f}x the 1-day time; "
            f"bare {tb7:.2f} s, ratio {t7 / tb7:.2f}x); {len(g7.contacts)} passes; "
            f"peak {peak7 / 2**20:.0f} MiB for 300 satellites"
        )


if __name__ == "__main__":
    main()
