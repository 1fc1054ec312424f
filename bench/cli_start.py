"""Command-line start-up: each geometry command as a whole process against its work in process.

    python bench/cli_start.py            # 1,000 Starlink x 50 stations x 24 h (about a minute)
    python bench/cli_start.py --quick    # 200 satellites

For ``contacts``, ``eclipses`` and ``links`` it times (a) the whole process, ``spaceground COMMAND ... -o
table.parquet`` from a shell, on its own (``SPACEGROUND_WARM=0``) and through the warm process of ``spaceground
serve`` (:mod:`spaceground.warm`), interpreter start, imports, kernel cache load, the work, the summary
and the table written; and (b) the same call in a warm process, ``contact_windows`` / ``eclipse_intervals`` /
``link_windows`` on the same element file. The ratio (a) / (b) is what a user pays for using the command
rather than the library; goal: at most 1.5x (through the warm process: on its own, a process pays about a second of
imports first, whatever its work). It also prints the import time of ``spaceground.cli`` and where
the whole process's time beyond the work goes. The kernels' disk cache is warmed first (it is compiled once
after an install, and the first run says so).

The 50 stations are those of ``bench/geometry.py`` (21 real, 29 lattice points); the satellites are the
first of the Starlink set of 2026-05-30, written to a temporary TLE file read by both.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import warnings

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from geometry import stations_50  # noqa: E402

STARLINK = os.path.join(ROOT, "constellations", "starlink_2026-05-30.tle")
START = "2026-05-30T12:00:00Z"
HOURS = 24.0


def first_sets(n, path):
    lines = [s for s in open(STARLINK).read().splitlines() if s.strip()]
    with open(path, "w") as f:
        f.write("\n".join(lines[: 3 * n]) + "\n")


def write_stations(path):
    with open(path, "w") as f:
        f.write("station_id,lat_deg,lon_deg,alt_m\n")
        for s in stations_50():
            f.write(f"{s.station_id},{s.lat_deg!r},{s.lon_deg!r},{s.alt_m!r}\n")


SPACEGROUND = os.path.join(os.path.dirname(sys.executable), "spaceground")


def whole_process(args, repeat, warm=False):
    """Best time of the command as a whole process: on its own (``SPACEGROUND_WARM=0``) or through the warm process
    (which must be running)."""
    cmd = [SPACEGROUND, *args]
    env = dict(os.environ, SPACEGROUND_WARM="1" if warm else "0")
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = subprocess.run(cmd, capture_output=True, text=True, env=env)
        best = min(best, time.perf_counter() - t0)
        if out.returncode != 0:
            sys.exit(f"{' '.join(args)} failed:\n{out.stderr}")
    return best


def in_process(fn, repeat):
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeat", type=int, default=3)
    opts = ap.parse_args()
    n = 200 if opts.quick else 1000
    tmp = tempfile.mkdtemp(prefix="sg-clistart-")
    tle, stations = os.path.join(tmp, "sats.tle"), os.path.join(tmp, "stations.csv")
    first_sets(n, tle)
    write_stations(stations)
    py = sys.executable
    t0 = time.perf_counter()
    subprocess.run([py, "-c", "import spaceground.cli"], check=True)
    bare = time.perf_counter() - t0
    t0 = time.perf_counter()
    subprocess.run([py, "-c", "pass"], check=True)
    interpreter = time.perf_counter() - t0
    print(f"== {n} Starlink x 50 stations x {HOURS:g} h; best of {opts.repeat} ==")
    print(f"python start {interpreter:.2f} s; python + import spaceground.cli {bare:.2f} s")

    from spaceground.api import contact_windows, eclipse_intervals, link_windows

    span = ["--start", START, "--hours", f"{HOURS:g}"]
    grid_n = min(n, 200)  # the +Grid links among the first satellites
    cases = [
        (
            "contacts",
            ["contacts", "--tle", tle, "--stations", stations, *span],
            lambda: contact_windows(tle, start=START, hours=HOURS, stations=[stations]),
        ),
        ("eclipses", ["eclipses", "--tle", tle, *span], lambda: eclipse_intervals(tle, start=START, hours=HOURS)),
        (
            f"links (+Grid of {grid_n})",
            [
                "links",
                "--tle",
                tle,
                "--select",
                *[str(k) for k in norad_ids(tle)[:grid_n]],
                "--topology",
                "grid",
                *span,
            ],
            lambda: link_windows(
                tle, start=START, hours=HOURS, select=[str(k) for k in norad_ids(tle)[:grid_n]], topology="grid"
            ),
        ),
    ]
    # Warm the kernels' disk cache and this process (the first call of each kind compiles or loads kernels).
    for _, argv, fn in cases:
        whole_process(argv, 1)
        in_process(fn, 1)
    server = start_warm()
    try:
        for _, argv, _fn in cases:
            whole_process(argv, 1, warm=True)
        print(
            f"{'command':34s} {'own process':>12s} {'ratio':>7s} {'warm process':>13s} {'ratio':>7s} "
            f"{'in process':>11s}  goal (warm)"
        )
        worst = 0.0
        whole_times, inside_times = {}, {}
        for name, argv, fn in cases:
            whole = whole_times[name] = whole_process(argv, opts.repeat)
            warm = whole_process(argv, opts.repeat, warm=True)
            inside = inside_times[name] = in_process(fn, opts.repeat)
            worst = max(worst, warm / inside)
            print(
                f"{name:34s} {whole:10.2f} s {whole / inside:6.2f}x {warm:11.2f} s {warm / inside:6.2f}x "
                f"{inside:9.2f} s  <= 1.5x"
            )
        # Writing the table: the command with -o against the call and the same write in process.
        name, argv, fn = cases[0]
        out = os.path.join(tmp, "out.parquet")
        whole = whole_process([*argv, "-o", out], opts.repeat)
        warm = whole_process([*argv, "-o", out], opts.repeat, warm=True)
        inside = in_process(lambda: fn().to_parquet(out, index=False), opts.repeat)
        print(
            f"{name + ' -o table.parquet':34s} {whole:10.2f} s {whole / inside:6.2f}x {warm:11.2f} s "
            f"{warm / inside:6.2f}x {inside:9.2f} s  (call + to_parquet)"
        )
    finally:
        stop_warm(server)
    print(f"worst ratio of the commands through the warm process {worst:.2f}x: {'met' if worst <= 1.5 else 'NOT met'}")
    # The floor: a process that does the least of the same work (one satellite, one station, one hour) pays
    # interpreter start, pandas and numba imports, numba's first kernel load and the time scale's tables.
    one = os.path.join(tmp, "one.tle")
    first_sets(1, one)
    floor = whole_process(["contacts", "--tle", one, "--stations", "SVALBARD", *span[:-1], "1"], opts.repeat)
    print(f"floor: a whole process for 1 satellite x 1 station x 1 h takes {floor:.2f} s")
    for name, _, _fn in cases:
        above = whole_times[name] - floor
        print(f"  {name}: whole process minus the floor = {above:.2f} s for {inside_times[name]:.2f} s of work")


def start_warm():
    """``spaceground serve`` in the background, once it says it is ready."""
    proc = subprocess.Popen([SPACEGROUND, "serve", "--idle-min", "10"], stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if "ready" not in line and "already serves" not in line:
        proc.kill()
        sys.exit(f"spaceground serve did not start: {line}")
    print(line.strip())
    return proc


def stop_warm(proc):
    proc.terminate()
    proc.wait(timeout=30)


def norad_ids(tle):
    lines = [s for s in open(tle).read().splitlines() if s.startswith("1 ")]
    return [int(s[2:7]) for s in lines]


if __name__ == "__main__":
    main()
