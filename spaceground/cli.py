"""The ``spaceground`` command line.

Errors in the input are printed as one ``spaceground: error: ...`` line (exit code 2),
never as a traceback; warnings as ``spaceground: warning: ...`` lines.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

import pandas as pd

from . import __version__
from .errors import SpacegroundError
from .timebase import format_utc_ms, parse_utc

TIME_COLUMNS = ("aos_utc", "tca_utc", "los_utc", "start_utc", "end_utc", "first_failure_utc")


class Progress:
    """Progress on stderr: a self-rewriting line on a terminal, a few plain lines otherwise."""

    def __init__(self, what, stream=None):
        self.what = what
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.started = time.perf_counter()
        self.last_pct = -100

    def __call__(self, done, total):
        pct = 100 * done // max(total, 1)
        elapsed = time.perf_counter() - self.started
        line = f"{self.what}: {done}/{total} satellites ({pct}%), {elapsed:.1f} s"
        if self.tty:
            self.stream.write("\r" + line + ("\n" if done >= total else ""))
            self.stream.flush()
        elif pct - self.last_pct >= 25 or done >= total:
            self.stream.write(line + "\n")
            self.last_pct = pct


def check_output(path):
    """Refuse an output path before any work is done: unknown type or missing folder."""
    if path is None:
        return
    ext = os.path.splitext(path)[1].lower()
    if ext not in (".csv", ".parquet"):
        raise SpacegroundError(f"-o {path}: unknown output type {ext or '(none)'}; use .csv or .parquet")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise SpacegroundError(f"-o {path}: folder {folder} does not exist")


def write_table(df: pd.DataFrame, path: str) -> None:
    """Write ``df`` to ``.csv`` (ISO 8601 UTC times, milliseconds, trailing Z) or ``.parquet``."""
    check_output(path)
    ext = os.path.splitext(path)[1].lower()
    if ext == ".csv":
        out = df.copy()
        for col in TIME_COLUMNS:
            if col in out.columns:
                out[col] = format_utc_ms(out[col]) if len(out) else out[col].astype(object)
        out.to_csv(path, index=False, float_format="%.6f")
    else:
        df.to_parquet(path, index=False)


def _show_warning(message, category, filename, lineno, file=None, line=None):
    sys.stderr.write(f"spaceground: warning: {message}\n")


def _span_args(p):
    p.add_argument("--tle", required=True, metavar="FILE", help="TLE file, 2- or 3-line format")
    p.add_argument(
        "--select", nargs="+", action="extend", metavar="PATTERN",
        help="NORAD ids or case-insensitive name globs, e.g. 'SENTINEL-2*' 25544 (default: all)",
    )  # fmt: skip
    p.add_argument(
        "--start", required=True, metavar="ISO8601", help="span start with a zone, e.g. 2025-10-03T12:00:00Z"
    )
    p.add_argument("--hours", required=True, type=float, metavar="H", help="span length in hours")
    p.add_argument("--allow-stale", action="store_true", help="accept element sets more than 14 days from --start")
    p.add_argument("-o", "--output", metavar="OUT", help="write the table to OUT (.csv or .parquet)")


def build_parser():
    parser = argparse.ArgumentParser(
        prog="spaceground",
        description="Space-ground computing co-scheduling on real orbits.",
    )
    parser.add_argument("--version", action="version", version=f"spaceground {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("contacts", help="contact windows of satellites over ground stations")
    _span_args(p)
    p.add_argument(
        "--stations", nargs="+", action="extend", metavar="CSV_OR_ID",
        help="a station CSV (station_id, lat_deg, lon_deg, alt_m) or ids of the default catalogue (default: all 21)",
    )  # fmt: skip
    p.add_argument("--min-elevation-deg", type=float, metavar="DEG", help="elevation mask (default: 10, or the CSV's)")
    p.set_defaults(func=cmd_contacts)

    p = sub.add_parser("eclipses", help="umbra and penumbra intervals of satellites")
    _span_args(p)
    p.set_defaults(func=cmd_eclipses)
    return parser


def _check_span_args(args):
    check_output(args.output)
    args.start = parse_utc(args.start, "--start")
    if not args.hours > 0:
        raise SpacegroundError(f"--hours must be positive, got {args.hours:g}")


def cmd_contacts(args):
    from .api import geometry

    _check_span_args(args)
    started = time.perf_counter()
    geo = geometry(
        args.tle, start=args.start, hours=args.hours, select=args.select, stations=args.stations,
        min_elevation_deg=args.min_elevation_deg, eclipses=False, allow_stale=args.allow_stale,
        progress=Progress("contacts"),
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    df = geo.contacts
    if args.output:
        write_table(df, args.output)
    print(contacts_summary(df, geo, elapsed, args))
    if args.output:
        print(f"wrote {len(df)} passes to {args.output}")
    return 0


def cmd_eclipses(args):
    from .api import geometry

    _check_span_args(args)
    started = time.perf_counter()
    geo = geometry(
        args.tle, start=args.start, hours=args.hours, select=args.select, contacts=False,
        allow_stale=args.allow_stale, progress=Progress("eclipses"),
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    df = geo.eclipses
    if args.output:
        write_table(df, args.output)
    print(eclipses_summary(df, geo, elapsed))
    if args.output:
        print(f"wrote {len(df)} intervals to {args.output}")
    return 0


def _span_line(geo):
    s = geo.span
    return f"{s.start.strftime('%Y-%m-%d %H:%M')} UTC + {s.duration_s / 3600:g} h (search grid {geo.step_s:.1f} s)"


def _excluded_lines(geo):
    if geo.excluded.empty:
        return []
    lines = [f"left out ({len(geo.excluded)}): SGP4 fails in the span"]
    for row in geo.excluded.itertuples():
        lines.append(f"  {row.satellite} (NORAD {row.norad_id}): {row.reason}")
    return lines


def contacts_summary(df, geo, elapsed_s, args=None) -> str:
    lines = [
        f"contacts {_span_line(geo)}: {len(df)} passes of {df['satellite'].nunique()} satellites "
        f"over {df['station'].nunique()} stations, computed in {elapsed_s:.1f} s"
    ]
    if len(df):
        by_station = df.groupby("station").agg(
            passes=("satellite", "size"),
            contact_min=("duration_s", lambda x: x.sum() / 60.0),
            mean_pass_min=("duration_s", lambda x: x.mean() / 60.0),
            max_elev_deg=("max_elevation_deg", "max"),
        )
        lines += ["", "per station:", by_station.sort_values("passes", ascending=False).round(1).to_string()]
        by_sat = df.groupby("satellite").agg(
            passes=("station", "size"),
            stations=("station", "nunique"),
            contact_min=("duration_s", lambda x: x.sum() / 60.0),
            longest_gap_h=("aos_utc", lambda x: _longest_gap_h(x, geo)),
        )
        by_sat = by_sat.sort_values("contact_min", ascending=False).round(1)
        shown = by_sat if len(by_sat) <= 20 else by_sat.head(20)
        title = "per satellite:" if len(by_sat) <= 20 else f"per satellite (20 of {len(by_sat)}, most contact first):"
        lines += ["", title, shown.to_string()]
        n_clipped = int(df["clipped"].sum())
        if n_clipped:
            lines.append(f"\n{n_clipped} passes clipped at the span edges (flagged in column 'clipped')")
    lines += _excluded_lines(geo)
    return "\n".join(lines)


def _longest_gap_h(aos, geo):
    t = sorted(aos)
    edges = [geo.span.start, *t, geo.span.end]
    return max((b - a).total_seconds() for a, b in zip(edges[:-1], edges[1:])) / 3600.0


def eclipses_summary(df, geo, elapsed_s) -> str:
    lines = [
        f"eclipses {_span_line(geo)}: {len(df)} intervals for {df['satellite'].nunique()} satellites, "
        f"computed in {elapsed_s:.1f} s"
    ]
    if len(df):
        span_s = geo.span.duration_s
        per = df.pivot_table(index="satellite", columns="kind", values="duration_s", aggfunc="sum", fill_value=0.0)
        for kind in ("umbra", "penumbra"):
            if kind not in per.columns:
                per[kind] = 0.0
        table = pd.DataFrame(
            {
                "umbra_passes": df[df.kind == "umbra"].groupby("satellite").size(),
                "umbra_min": per["umbra"] / 60.0,
                "penumbra_min": per["penumbra"] / 60.0,
                "sunlit_pct": 100.0 * (1.0 - (per["umbra"] + per["penumbra"]) / span_s),
            }
        ).fillna(0)
        table["umbra_passes"] = table["umbra_passes"].astype(int)
        lines += ["", table.round(1).to_string()]
    lines += _excluded_lines(geo)
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    warnings.showwarning = _show_warning
    try:
        return args.func(args)
    except (SpacegroundError, FileNotFoundError, IsADirectoryError, PermissionError) as exc:
        sys.stderr.write(f"spaceground: error: {exc}\n")
        return 2
    except BrokenPipeError:
        # The reader of our output went away (``spaceground ... | head``): stop quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
