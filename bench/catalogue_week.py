"""The whole Starlink catalogue for a week: reading its element sets, and its contacts with 50 stations end to end.

    python bench/catalogue_week.py            # 10,395 satellites x 50 stations x 7 days (about two minutes)
    python bench/catalogue_week.py --days 1   # one day

Part 1 reads the 10,395 element sets of ``constellations/starlink_2026-05-30.tle`` (every line checked: columns,
checksums, fields, then SGP4's initialisation), best of 3, and the first 10,000 of them; goal: 10,000 under 2 s.
Part 2 runs ``spaceground contacts`` for the whole catalogue over the 50 stations of ``bench/geometry.py`` (21
real, 29 lattice points) for 7 days, writing the table as Parquet, as a whole process on its own (no warm
process): wall time and the process's peak resident memory; goal: under 120 s and 4 GB. The baseline in the same
run is the same command for one day: the week should cost about seven days, not more.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from geometry import stations_50  # noqa: E402

STARLINK = os.path.join(ROOT, "constellations", "starlink_2026-05-30.tle")
SPACEGROUND = os.path.join(os.path.dirname(sys.executable), "spaceground")
START = "2026-05-30T00:00:00Z"


def read_times(repeat=3):
    from spaceground.orbits import load_tle, parse_tle

    text = open(STARLINK).read()
    lines = [s for s in text.splitlines() if s.strip()]
    first = "\n".join(lines[: 3 * 10000]) + "\n"
    best_all, best_10k = float("inf"), float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        c = load_tle(STARLINK)
        best_all = min(best_all, time.perf_counter() - t0)
        t0 = time.perf_counter()
        c10 = parse_tle(first, "first 10,000")
        best_10k = min(best_10k, time.perf_counter() - t0)
    return len(c), best_all, len(c10), best_10k


def contacts_run(stations_csv, days, out):
    """Wall time and peak resident memory [bytes] of one ``spaceground contacts`` process."""
    cmd = [
        SPACEGROUND, "contacts", "--tle", STARLINK, "--stations", stations_csv,
        "--start", START, "--hours", f"{24 * days:g}", "-o", out,
    ]  # fmt: skip
    env = dict(os.environ, SPACEGROUND_WARM="0")
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"contacts failed:\n{proc.stderr[-2000:]}")
    # The largest of the children so far: run the smaller case first.
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    return {"wall": wall, "peak": peak}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=float, default=7.0)
    opts = ap.parse_args()
    n, t_all, n10, t_10k = read_times()
    print(f"read {n:,} element sets in {t_all:.2f} s; the first {n10:,} in {t_10k:.2f} s (goal < 2 s)")
    tmp = tempfile.mkdtemp(prefix="sg-week-")
    stations = os.path.join(tmp, "stations.csv")
    with open(stations, "w") as f:
        f.write("station_id,lat_deg,lon_deg,alt_m\n")
        for s in stations_50():
            f.write(f"{s.station_id},{s.lat_deg!r},{s.lon_deg!r},{s.alt_m!r}\n")
    out = os.path.join(tmp, "contacts.parquet")
    base = contacts_run(stations, 1.0, out)
    print(f"1 day: {base['wall']:.1f} s, peak {base['peak'] / 1e9:.2f} GB")
    week = contacts_run(stations, opts.days, out)
    import pandas as pd

    rows = len(pd.read_parquet(out, columns=["station"]))
    print(
        f"{opts.days:g} days: {week['wall']:.1f} s ({week['wall'] / base['wall']:.2f}x the day), peak "
        f"{week['peak'] / 1e9:.2f} GB, {rows:,} passes (goal < 120 s and < 4 GB: "
        f"{'met' if week['wall'] < 120 and week['peak'] < 4e9 else 'NOT met'})"
    )


if __name__ == "__main__":
    main()
