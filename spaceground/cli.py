"""The ``spaceground`` command line.

Errors in the input are printed as one ``spaceground: error: ...`` line (exit code 2),
never as a traceback; warnings as ``spaceground: warning: ...`` lines.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
import warnings

import numpy as np
import pandas as pd

from . import __version__
from .atomic import atomic_path, check_output_folder, safe_name, write_text
from .errors import InputError, SpacegroundError
from .progress import Progress, StageProgress
from .timebase import format_utc_ms, parse_utc

ALLOW_CODE_HELP = (
    "run the user policy (module:Class, a file beside the scenario) the scenario names: only if you trust it"
)
TIME_COLUMNS = ("aos_utc", "tca_utc", "los_utc", "start_utc", "end_utc", "closest_utc", "first_failure_utc")


def check_output(path, types=(".csv", ".parquet")):
    """Refuse an output path before any work is done: unknown type or missing folder."""
    if path is None:
        return
    ext = os.path.splitext(path)[1].lower()
    if ext not in types:
        raise SpacegroundError(f"-o {path}: unknown output type {ext or '(none)'}; use {' or '.join(types)}")
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise SpacegroundError(f"-o {path}: is a folder; give a file name ending in {' or '.join(types)}")
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise SpacegroundError(f"-o {path}: {folder} is a file, not a folder")
    if not os.path.isdir(folder):
        raise SpacegroundError(f"-o {path}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise SpacegroundError(f"-o {path}: cannot write in {folder} (permission denied)")


def write_table(df: pd.DataFrame, path: str) -> None:
    """Write ``df`` to ``.csv`` (ISO 8601 UTC times, milliseconds, trailing Z) or ``.parquet``."""
    check_output(path)
    ext = os.path.splitext(path)[1].lower()
    if ext == ".csv":
        out = df.copy()
        for col in TIME_COLUMNS:
            if col in out.columns:
                out[col] = format_utc_ms(out[col]) if len(out) else out[col].astype(object)
        with atomic_path(path) as tmp:
            out.to_csv(tmp, index=False, float_format="%.6f")
    else:
        with atomic_path(path) as tmp:
            df.to_parquet(tmp, index=False)


# Exit codes (README, "Exit codes"): 0 done; 1 the work failed (a sweep with failed variants, the machine
# refused: a full disk); 2 bad input (a file, a key, a flag, a user policy), nothing was run or kept; 130 Ctrl-C.
EXIT_OK, EXIT_FAILED, EXIT_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130
INTERRUPTED = {
    "run": "no run folder was written (one appears only when complete)",
    "compare": "no compare folder was written (one appears only when complete)",
    "sweep": "every run completed so far is kept: run the same command again to resume",
}


def _show_warning(message, category, filename, lineno, file=None, line=None):
    sys.stderr.write(f"spaceground: warning: {message}\n")


def _span_args(p):
    p.add_argument("--tle", required=True, metavar="FILE", help="TLE file, 2- or 3-line format")
    p.add_argument(
        "--select",
        nargs="+",
        action="extend",
        metavar="PATTERN",
        help="NORAD ids or case-insensitive name globs, e.g. 'SENTINEL-2*' 25544 (default: all)",
    )
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
        "--stations",
        nargs="+",
        action="extend",
        metavar="CSV_OR_ID",
        help="a station CSV (station_id, lat_deg, lon_deg, alt_m) or ids of the default catalogue (default: all 21)",
    )
    p.add_argument("--min-elevation-deg", type=float, metavar="DEG", help="elevation mask (default: 10, or the CSV's)")
    p.set_defaults(func=cmd_contacts)

    p = sub.add_parser("links", help="inter-satellite visibility windows of satellite pairs")
    p.add_argument(
        "--tle", required=True, nargs="+", action="extend", metavar="FILE", help="TLE files, read as one set"
    )
    p.add_argument(
        "--select",
        nargs="+",
        action="extend",
        metavar="PATTERN",
        help="one side of the pairs: NORAD ids or name globs, e.g. 'SENTINEL-2*' (default: all)",
    )
    p.add_argument(
        "--to",
        nargs="+",
        action="extend",
        metavar="PATTERN",
        help="the other side: pairs of each selected satellite with each of these (default: all pairs among --select)",
    )
    p.add_argument(
        "--topology",
        choices=["visible", "grid"],
        default="visible",
        help="visible: every pair; grid: a +Grid among --select (neighbours in plane and across planes)",
    )
    p.add_argument("--max-range-km", type=float, metavar="KM", help="longest range a link closes at (default: none)")
    p.add_argument(
        "--grazing-km", type=float, default=80.0, metavar="KM", help="lowest height of the line of sight (default 80)"
    )
    p.add_argument(
        "--start", required=True, metavar="ISO8601", help="span start with a zone, e.g. 2025-10-03T00:00:00Z"
    )
    p.add_argument("--hours", required=True, type=float, metavar="H", help="span length in hours")
    p.add_argument("--allow-stale", action="store_true", help="accept element sets more than 14 days from --start")
    p.add_argument("-o", "--output", metavar="OUT", help="write the table to OUT (.csv or .parquet)")
    p.set_defaults(func=cmd_links)

    p = sub.add_parser("eclipses", help="umbra and penumbra intervals of satellites")
    _span_args(p)
    p.set_defaults(func=cmd_eclipses)

    p = sub.add_parser("validate", help="check a scenario file without running it")
    p.add_argument("scenario", metavar="SCENARIO", help="scenario YAML file")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("run", help="simulate a scenario and write a run folder")
    p.add_argument("scenario", metavar="SCENARIO", help="scenario YAML file")
    p.add_argument("-o", "--output", metavar="DIR", help="run folder (default runs/NAME-POLICY-seedN)")
    p.add_argument("--seed", type=int, metavar="N", help="replace the scenario's seed")
    p.add_argument(
        "--policy", metavar="NAME", help="replace the scenario's policy (registered name or module:callable)"
    )
    p.add_argument("--report", action="store_true", help="write the run folder's report.html straight after the run")
    p.add_argument("--csv", action="store_true", help="write every table of the run folder also as CSV")
    p.add_argument("--overwrite", action="store_true", help="replace an earlier run folder at -o DIR whole")
    p.add_argument("--allow-code", action="store_true", help=ALLOW_CODE_HELP)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("compare", help="run several policies on one scenario and tabulate their metrics")
    p.add_argument("scenario", metavar="SCENARIO", help="scenario YAML file")
    p.add_argument(
        "--policies",
        required=True,
        metavar="A,B,C",
        help="policy names (registered or module:callable), each with an optional parameter set, e.g. "
        "lookahead[energy_margin=0.2]",
    )
    p.add_argument("--seeds", metavar="N-M|N,M", help="seeds to run, e.g. 1-5 or 1,3,7 (default: the scenario's)")
    p.add_argument("-o", "--output", metavar="DIR", help="output folder (default runs/NAME-compare)")
    p.add_argument("--no-bound", action="store_true", help="skip the LP upper bound")
    p.add_argument("--overwrite", action="store_true", help="replace an earlier compare folder at -o DIR whole")
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("plot", help="draw the figures of a run or comparison folder (PNG and SVG)")
    p.add_argument("folder", metavar="RUN_DIR", help="a folder written by `spaceground run` or `spaceground compare`")
    p.add_argument("--only", nargs="+", metavar="NAME", help="figures to draw (default: all the folder supports)")
    p.add_argument("-o", "--output", metavar="DIR", help="output folder (default RUN_DIR/figures)")
    p.set_defaults(func=cmd_plot)

    p = sub.add_parser("report", help="write one self-contained HTML page of a run or comparison folder")
    p.add_argument("folder", metavar="RUN_DIR", help="a folder written by `spaceground run` or `spaceground compare`")
    p.add_argument("-o", "--output", metavar="FILE", help="output file (default RUN_DIR/report.html)")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("export-czml", help="write a run as CZML for Cesium-based 3-D viewers")
    p.add_argument("folder", metavar="RUN_DIR", help="a folder written by `spaceground run`")
    p.add_argument("-o", "--output", metavar="FILE", required=True, help="output file, e.g. scene.czml")
    p.set_defaults(func=cmd_export_czml)

    p = sub.add_parser("sweep", help="run the variants of a sweep file on Dask (a local cluster by default)")
    p.add_argument("sweep", metavar="SWEEP", help="sweep YAML file (base scenario, grid or variants, seeds)")
    p.add_argument("-o", "--output", metavar="DIR", help="output folder (default runs/NAME-sweep)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="an existing Dask scheduler, e.g. tcp://host:8786")
    p.add_argument("--workers", type=int, metavar="N", help="worker processes of the local cluster (default: cores)")
    p.add_argument(
        "--cache", metavar="DIR", help="geometry cache folder (default $SPACEGROUND_CACHE or ~/.cache/spaceground)"
    )
    p.add_argument("--allow-code", action="store_true", help=ALLOW_CODE_HELP)
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser("plot-sweep", help="draw a metric of a sweep against its varied parameters, per policy")
    p.add_argument("results", metavar="RESULTS", help="sweep.parquet (or the sweep's output folder)")
    p.add_argument("--metric", default="net_value", help="a metric column (default net_value)")
    p.add_argument("--x", metavar="KEY", help="parameter on the x axis (default: the first varied)")
    p.add_argument("--by", metavar="KEY", help="one panel per value of this parameter (default: the second varied)")
    p.add_argument("-o", "--output", metavar="FILE", help="output .png or .svg (default beside RESULTS)")
    p.set_defaults(func=cmd_plot_sweep)

    p = sub.add_parser(
        "serve",
        help="keep a warm process: later commands of this install run in it, without their second of start-up",
    )
    p.add_argument(
        "--idle-min", type=float, default=30.0, metavar="MIN", help="stop after MIN minutes without a command (30)"
    )
    p.add_argument("--stop", action="store_true", help="stop the warm process of this install")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("schema", help="write the JSON Schema of scenario files (for editors)")
    p.add_argument("-o", "--output", metavar="FILE", help="output file (default: standard output)")
    p.set_defaults(func=cmd_schema)
    return parser


def _check_span_args(args):
    check_output(args.output)
    args.start = parse_utc(args.start, "--start")
    if not args.hours > 0:
        raise SpacegroundError(f"--hours must be positive, got {args.hours:g}")
    if not math.isfinite(args.hours):
        raise SpacegroundError(f"--hours must be a finite number of hours, got {args.hours:g}")


def _geometry(args, **kw):
    """The geometry of the command's span; one too large for memory is refused naming --hours and the estimate."""
    from .geometry import GeometryTooLarge
    from .queries import geometry  # not .api: it imports the scenario layer, which this command does not need

    try:
        return geometry(
            args.tle, start=args.start, hours=args.hours, select=args.select, allow_stale=args.allow_stale, **kw
        )
    except GeometryTooLarge as exc:
        raise InputError(f"--hours {args.hours:g}: {exc}") from None


def cmd_contacts(args):
    _check_span_args(args)
    started = time.perf_counter()
    geo = _geometry(
        args,
        stations=args.stations,
        min_elevation_deg=args.min_elevation_deg,
        eclipses=False,
        progress=Progress("contacts"),
    )
    elapsed = time.perf_counter() - started
    df = geo.contacts
    if args.output:
        write_table(df, args.output)
    print(contacts_summary(df, geo, elapsed, args))
    if args.output:
        print(f"wrote {len(df)} passes to {args.output}")
    return 0


def cmd_links(args):
    from .queries import link_windows

    _check_span_args(args)
    if args.max_range_km is not None and not args.max_range_km > 0:
        raise SpacegroundError(f"--max-range-km must be positive, got {args.max_range_km:g}")
    if not args.grazing_km >= 0:
        raise SpacegroundError(f"--grazing-km must be >= 0, got {args.grazing_km:g}")
    started = time.perf_counter()
    df = link_windows(
        args.tle,
        start=args.start,
        hours=args.hours,
        select=args.select,
        to=args.to,
        topology=args.topology,
        grazing_height_km=args.grazing_km,
        max_range_km=args.max_range_km,
        allow_stale=args.allow_stale,
    )
    elapsed = time.perf_counter() - started
    if args.output:
        write_table(df, args.output)
    print(links_summary(df, args, elapsed))
    if args.output:
        print(f"wrote {len(df)} windows to {args.output}")
    return 0


def cmd_eclipses(args):
    _check_span_args(args)
    started = time.perf_counter()
    geo = _geometry(args, contacts=False, progress=Progress("eclipses"))
    elapsed = time.perf_counter() - started
    df = geo.eclipses
    if args.output:
        write_table(df, args.output)
    print(eclipses_summary(df, geo, elapsed))
    if args.output:
        print(f"wrote {len(df)} intervals to {args.output}")
    return 0


def cmd_validate(args):
    from .api import validate_scenario

    model = validate_scenario(args.scenario)
    print(
        f"{args.scenario}: valid. {model.name}: {len(model.constellation)} satellites, {len(model.stations)} stations, "
        f"{len(model.datacenters)} data centres, {int((model.link_bps > 0).sum())} backhaul links, "
        f"{len(model.workloads)} workload classes, {model.span.duration_s / 3600:g} h from "
        f"{model.span.start.isoformat()}, policy {model.policy_name}, seed {model.seed}"
    )
    return 0


def cmd_run(args):
    from .api import run_scenario
    from .scenario import load_scenario

    if args.seed is not None and not 0 <= args.seed < 2**63:
        raise InputError(f"--seed {args.seed}: seeds are integers from 0 to 2**63 - 1")
    loaded = load_scenario(args.scenario).with_overrides(
        seed=args.seed, policy=args.policy, allow_code=True if args.allow_code else None
    )
    model = loaded.model
    out = args.output or os.path.join("runs", safe_name(f"{model.name}-{model.policy.name}-seed{model.seed}"))
    check_output_folder(out, overwrite=args.overwrite or not args.output)
    results = run_scenario(loaded, output=out, progress=StageProgress(), csv=args.csv)
    print(run_summary(results))
    print(f"run folder: {out}")
    if args.report:
        from .report import write_report

        print(f"report: {write_report(out)}")
    return 0


def _run_folder(folder):
    if not os.path.isdir(folder):
        raise InputError(
            f"{folder}: no such folder; give a folder written by `spaceground run` or `spaceground compare`"
        )


def cmd_plot(args):
    from .plotting import plot_run

    _run_folder(args.folder)
    paths = plot_run(args.folder, only=args.only, output=args.output)
    names = sorted({os.path.splitext(os.path.basename(p))[0] for p in paths})
    print(
        f"wrote {len(names)} figures ({', '.join(names)}) "
        f"as PNG and SVG to {os.path.dirname(paths[0]) if paths else '-'}"
    )
    return 0


def cmd_report(args):
    from .report import write_report

    _run_folder(args.folder)
    if args.output:
        check_output(args.output, (".html", ".htm"))
    print(f"report: {write_report(args.folder, args.output)}")
    return 0


def cmd_sweep(args):
    from .sweep import run_sweep

    if args.workers is not None and args.workers < 1:
        raise InputError(f"--workers must be at least 1, got {args.workers}")
    if args.scheduler and args.workers:
        raise InputError("--workers sets up a local cluster; with --scheduler the cluster's own workers run the sweep")
    table = run_sweep(
        args.sweep,
        output=args.output,
        scheduler=args.scheduler,
        workers=args.workers,
        cache_dir=args.cache,
        allow_code=args.allow_code,
    )
    counts = table.status.value_counts().to_dict()
    geo = table.attrs.get("geometry", {})
    out = table.attrs["output"]
    print(
        f"sweep: {len(table)} runs: {counts.get('done', 0)} done ({int((~table.ran).sum())} from before), "
        f"{counts.get('failed', 0)} failed; geometry: {geo.get('groups', 0)} distinct, {geo.get('computed', 0)} "
        f"tables computed, {geo.get('from_disk', 0)} read from the cache"
    )
    for row in table[table.status == "failed"].itertuples():
        print(f"  variant {row.variant} seed {row.seed} failed: {row.error}")
    print(f"results: {os.path.join(out, 'sweep.parquet')}")
    return 0 if counts.get("failed", 0) == 0 else 1


def cmd_plot_sweep(args):
    from .plotting import plot_sweep, save_figure

    path = os.path.join(args.results, "sweep.parquet") if os.path.isdir(args.results) else args.results
    if not os.path.exists(path):
        raise InputError(f"{args.results}: no sweep results (sweep.parquet); run `spaceground sweep SWEEP` first")
    out = args.output or os.path.join(os.path.dirname(os.path.abspath(path)), f"sweep_{args.metric}.png")
    check_output(out, (".png", ".svg"))
    save_figure(plot_sweep(pd.read_parquet(path), args.metric, args.x, args.by), out)
    print(f"wrote {out}")
    return 0


def cmd_export_czml(args):
    from .czml import write_czml
    from .results import read_run

    _run_folder(args.folder)
    check_output(args.output, (".czml", ".json"))
    res = read_run(args.folder)
    path = write_czml(res, args.output)
    print(f"wrote {path}: {res.scene['satellites'].shape[0]} satellites, {len(res.downlinks)} downlinks")
    return 0


def cmd_compare(args):
    from .api import compare
    from .scenario import load_scenario, parse_seeds
    from .study import split_policies

    seeds = parse_seeds(args.seeds)
    policies = split_policies(args.policies)
    if not policies:
        raise InputError("--policies: give at least one policy name")
    loaded = load_scenario(args.scenario)
    out = args.output or os.path.join("runs", safe_name(f"{loaded.model.name}-compare"))
    check_output_folder(out, overwrite=args.overwrite or not args.output, what="compare folder", marker="compare.json")
    progress = StageProgress()
    table = compare(loaded, policies, seeds=seeds, bound=not args.no_bound, output=out, progress=progress)
    print(compare_summary(table))
    print(f"table: {os.path.join(out, 'compare.csv')}")
    return 0


def compare_summary(table) -> str:
    """The compare table as text: one row per policy (means over seeds)."""
    cols = {
        "p50 min": "time_to_product_p50_min",
        "p90 min": "time_to_product_p90_min",
        "p99 min": "time_to_product_p99_min",
        "hit %": "deadline_hit_rate",
        "net value": "net_value",
        "net value/bound": "value_over_bound",
        "down GB": "downlinked_gb",
        "drop GB": "dropped_gb",
        "onboard kWh": "energy_onboard_kwh",
        "ground kWh": "energy_ground_kwh",
        "DoD %": "max_depth_of_discharge",
        "cost CNY": "cost_cny",
        "station CNY": "station_cost_cny",
        "CO2 kg": "carbon_kg",
        "contact %": "contact_utilisation",
    }
    if "station_cost_cny" not in table.columns or not (table.station_cost_cny > 0).any():
        del cols["station CNY"]  # no station priced: a column of zeros says nothing
    g = table.groupby("policy", sort=False)[list(cols.values())].mean()
    g.columns = list(cols)
    for c in ("hit %", "DoD %", "contact %"):
        g[c] = 100 * g[c]
    seeds = sorted(set(table.seed))
    head = f"{len(g)} policies x {len(seeds)} seed(s) {seeds} (means over seeds)"
    return head + "\n" + g.round(3).to_string()


def run_summary(results) -> str:
    m = results.metrics
    info = results.run_info
    w = results.workloads
    lines = [
        f"{info.get('name')} under {info.get('policy')} (seed {info.get('seed')}): {m['captures']} captures by "
        f"{info.get('satellites')} satellites, {info.get('policy_decisions')} policy decisions, "
        f"{info['stages_s']['total_s']:.1f} s",
        "",
    ]
    rows = [
        ("delivered / dropped / still onboard", f"{m['delivered']} / {m['dropped']} / {m['still_onboard']}"),
        ("processed onboard / on the ground", f"{m['processed_onboard']} / {m['processed_ground']}"),
        ("deadline hit rate", f"{100 * m['deadline_hit_rate']:.1f} %"),
        ("value delivered in time (gross) / net", f"{m['value_delivered']:.1f} / {m['net_value']:.1f}"),
        (
            "time to product p50 / p90 / p99",
            f"{m['time_to_product_p50_min']:.1f} / {m['time_to_product_p90_min']:.1f} / "
            f"{m['time_to_product_p99_min']:.1f} min",
        ),
        (
            "captured / downlinked / dropped",
            f"{m['captured_gb']:.1f} / {m['downlinked_gb']:.1f} / {m['dropped_gb']:.1f} GB",
        ),
        ("energy onboard / on the ground", f"{m['energy_onboard_kwh']:.3f} / {m['energy_ground_kwh']:.3f} kWh"),
        ("ground cost / carbon", f"{m['cost_cny']:.3f} CNY / {m['carbon_kg']:.3f} kg CO2"),
        *(
            [("ground-station time bought", f"{m['station_cost_cny']:,.0f} CNY")]
            if m.get("station_cost_cny", 0.0) > 0
            else []
        ),
        ("max depth of discharge / min SoC", f"{100 * m['max_depth_of_discharge']:.1f} % / {100 * m['min_soc']:.1f} %"),
        ("contact utilisation", f"{100 * m['contact_utilisation']:.1f} %"),
    ]
    if not len(w):
        lines.insert(
            1,
            "no captures in the span: no satellite overflew a target of a target-triggered class "
            "(or the Sun was down there), and no rate-triggered class captured; the tables are empty",
        )
    width = max(len(r[0]) for r in rows)
    lines += [f"  {a:<{width}}  {b}" for a, b in rows]
    left_out = info.get("excluded_satellites") or []
    if left_out:
        lines += ["", f"left out ({len(left_out)}): SGP4 fails in the span"]
        lines += [f"  {x['satellite']} (NORAD {x['norad_id']}): {x['reason']}" for x in left_out]
    if len(w):
        ran = np.where(
            w.datacenter.notna(),
            w.datacenter.astype(object),
            np.where(
                w.status == "dropped", "dropped", np.where(w.decision == "onboard", "onboard", "not processed yet")
            ),
        )
        where = w.assign(ran=ran)
        table = where.groupby("ran").agg(
            jobs=("capture_id", "size"),
            deadline_met=("deadline_met", "mean"),
            cost_cny=("cost_cny", "sum"),
            carbon_g=("carbon_g", "sum"),
        )
        table["deadline_met"] = (100 * table["deadline_met"]).round(1)
        lines += ["", "where the work ran:", table.round(3).to_string()]
    return "\n".join(lines)


def cmd_schema(args):
    import json

    from .scenario import json_schema

    text = json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"
    if args.output:
        check_output(args.output, (".json",))
        write_text(args.output, text)
        print(f"wrote the scenario JSON Schema to {args.output}")
    else:
        sys.stdout.write(text)
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
            contact_min=("duration_s", "sum"),
            mean_pass_min=("duration_s", "mean"),
            max_elev_deg=("max_elevation_deg", "max"),
        )
        by_station[["contact_min", "mean_pass_min"]] /= 60.0
        lines += ["", "per station:", by_station.sort_values("passes", ascending=False).round(1).to_string()]
        by_sat = df.groupby("satellite").agg(
            passes=("station", "size"), stations=("station", "nunique"), contact_min=("duration_s", "sum")
        )
        by_sat["contact_min"] /= 60.0
        by_sat["longest_gap_h"] = _longest_gaps_h(df, geo).reindex(by_sat.index)
        by_sat = by_sat.sort_values("contact_min", ascending=False).round(1)
        shown = by_sat if len(by_sat) <= 20 else by_sat.head(20)
        title = "per satellite:" if len(by_sat) <= 20 else f"per satellite (20 of {len(by_sat)}, most contact first):"
        lines += ["", title, shown.to_string()]
        n_clipped = int(df["clipped"].sum())
        if n_clipped:
            lines.append(f"\n{n_clipped} passes clipped at the span edges (flagged in column 'clipped')")
    lines += _excluded_lines(geo)
    return "\n".join(lines)


def links_summary(df, args, elapsed_s) -> str:
    reach = "no range limit" if args.max_range_km is None else f"range <= {args.max_range_km:g} km"
    lines = [
        f"links {args.start.strftime('%Y-%m-%d %H:%M')} UTC + {args.hours:g} h ({args.topology}, line of sight above "
        f"{args.grazing_km:g} km, {reach}): {len(df)} windows of "
        f"{df.groupby(['satellite', 'to_satellite']).ngroups if len(df) else 0} pairs, computed in {elapsed_s:.1f} s"
    ]
    if len(df):
        by_pair = df.groupby(["satellite", "to_satellite"]).agg(
            windows=("duration_s", "size"),
            in_view_h=("duration_s", "sum"),
            longest_min=("duration_s", "max"),
            closest_km=("closest_range_km", "min"),
        )
        by_pair["in_view_h"] /= 3600.0
        by_pair["longest_min"] /= 60.0
        by_pair = by_pair.sort_values("in_view_h", ascending=False).round(1)
        shown = by_pair if len(by_pair) <= 20 else by_pair.head(20)
        title = "per pair:" if len(by_pair) <= 20 else f"per pair (20 of {len(by_pair)}, most time in view first):"
        lines += ["", title, shown.to_string()]
        n_clipped = int((df["clipped_start"] | df["clipped_end"]).sum())
        if n_clipped:
            lines.append(f"\n{n_clipped} windows clipped at the span edges (columns 'clipped_start', 'clipped_end')")
    return "\n".join(lines)


def _longest_gaps_h(df, geo) -> pd.Series:
    """Per satellite, the longest time between consecutive acquisitions (span start and end included) [h].

    On integer codes, not names: the table of the whole Starlink catalogue for a week has 12.8 million rows, and a
    sort of the frame by name took 16 s and 3.4 GB where this takes a second."""
    start, end = geo.span.start, geo.span.end
    codes, names = pd.factorize(df["satellite"], sort=False)
    t_s = (df["aos_utc"] - start).dt.total_seconds().to_numpy()
    order = np.lexsort((t_s, codes))
    codes, t_s = codes[order], t_s[order]
    first = np.r_[True, codes[1:] != codes[:-1]]
    last = np.r_[codes[1:] != codes[:-1], True]
    gap_before = np.where(first, t_s, t_s - np.r_[0.0, t_s[:-1]])  # from the span start, or the previous AOS
    starts = np.flatnonzero(first)
    longest = np.maximum(np.maximum.reduceat(gap_before, starts), (end - start).total_seconds() - t_s[last])
    return pd.Series(longest / 3600.0, index=pd.Index(np.asarray(names)[codes[starts]]))


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


def cmd_serve(args) -> int:
    from . import warm

    if args.stop:
        return warm.stop()
    if not args.idle_min > 0:
        raise SpacegroundError(f"--idle-min {args.idle_min:g}: give a number of minutes above 0")
    return warm.serve(main, idle_min=args.idle_min)


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    warnings.showwarning = _show_warning
    try:
        return args.func(args)
    except (SpacegroundError, FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError) as exc:
        sys.stderr.write(f"spaceground: error: {exc}\n")
        return EXIT_INPUT
    except KeyboardInterrupt:
        fresh_line = "\n" if sys.stderr.isatty() else ""  # after a progress line that rewrites itself
        sys.stderr.write(
            f"{fresh_line}spaceground: interrupted; {INTERRUPTED.get(args.command, 'nothing was written')}\n"
        )
        return EXIT_INTERRUPTED
    except OSError as exc:  # the machine, not the input: a full disk, say
        where = f": {exc.filename}" if exc.filename else ""
        sys.stderr.write(f"spaceground: error: {exc.strerror or exc}{where}; nothing incomplete was left behind\n")
        return EXIT_FAILED
    except BrokenPipeError:
        # The reader of our output went away (``spaceground ... | head``): stop quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
