"""One self-contained HTML page per run (or comparison) folder.

The page embeds its figures as inline SVG and its interactive timeline (or, for a comparison, its filterable
policies) as inline data and script (no external file, script, font or style: it opens offline in any browser
and prints cleanly), then the summary metrics, where the workloads went, the scenario as given, the seed, the
scenario hash and the versions.
"""

from __future__ import annotations

import html
import io
import os

import matplotlib.pyplot as plt
import pandas as pd

from .atomic import write_text
from .interactive import CSS as INTERACTIVE_CSS
from .interactive import compare_html, timeline_html
from .plotting import figures_of
from .results import read_json, read_table, routes_of

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto; max-width: 1150px;
       color: #222; padding: 0 1em; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; } h2 { font-size: 1.15em; margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0; }
th, td { border: 1px solid #ccc; padding: 2px 8px; text-align: right; } th { background: #f2f2f2; }
td:first-child, th:first-child { text-align: left; }
figure { margin: 1em 0; } figure svg { max-width: 100%; height: auto; }
figcaption { font-size: 0.85em; color: #555; } pre { background: #f7f7f7; padding: 0.8em; overflow-x: auto;
       font-size: 0.8em; } .meta { color: #555; font-size: 0.9em; }
"""

CAPTIONS = {
    "station_timeline": "Contact windows per station antenna and the downlinks inside them.",
    "satellite_timeline": "Per satellite: captures, onboard jobs, downlinks and eclipses.",
    "battery_storage": "Battery state of charge against each reserve, and storage fill.",
    "temperatures": "Thermal node of each satellite with one, against the limit where its computer stops.",
    "latency_cdf": "Time from capture to product on the ground, with the deadlines.",
    "where_work_ran": "Where the delivered work ran, with its energy, cost and carbon.",
    "datacenter_load": "Data-centre load and queue against price and grid carbon intensity.",
    "ground_map": "Ground tracks, stations, data centres and backhaul links.",
    "policy_comparison": "The policies side by side (mean over seeds, whiskers lowest to highest).",
}


def _svg(fig) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg") :]  # drop the XML prolog and doctype: inline SVG needs neither


def _table(df: pd.DataFrame, floatfmt="{:,.4g}") -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    rows = []
    for row in df.itertuples(index=False):
        cells = []
        for v in row:
            text = floatfmt.format(v) if isinstance(v, float) else str(v)
            cells.append(f"<td>{html.escape(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _read(folder, name):
    path = os.path.join(folder, name)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return f.read()


def build_report(folder, only=None) -> str:
    """The HTML page of a run or comparison folder, as a string."""
    figures = figures_of(folder, only)
    is_compare = os.path.exists(os.path.join(folder, "compare.csv"))
    info = read_json(folder, "compare.json" if is_compare else "run.json")
    name = info.get("name", os.path.basename(os.path.abspath(folder)))
    parts = [f"<h1>spaceground {'comparison' if is_compare else 'run'}: {html.escape(str(name))}</h1>"]
    meta = [("scenario", info.get("scenario")), ("scenario sha256", info.get("scenario_sha256"))]
    if is_compare:
        meta += [
            ("policies", ", ".join(info.get("policies", []))),
            ("seeds", ", ".join(map(str, info.get("seeds", [])))),
        ]
    else:
        meta += [
            ("policy", info.get("policy")),
            ("seed", info.get("seed")),
            ("satellites", info.get("satellites")),
            ("stations", info.get("stations")),
            ("data centres", info.get("datacenters")),
            ("captures", info.get("captures")),
        ]
    parts.append(
        '<p class="meta">'
        + "<br>".join(f"<b>{html.escape(k)}</b>: {html.escape(str(v))}" for k, v in meta if v is not None)
        + "</p>"
    )
    if is_compare:
        table = pd.read_csv(os.path.join(folder, "compare.csv"))
        if os.path.exists(os.path.join(folder, "compare_latency.parquet")):
            parts.append(compare_html(folder, table))
        else:
            parts.append("<h2>Comparison</h2>" + _table(table))
    else:
        metrics = read_json(folder, "metrics.json")
        parts.append(
            "<h2>Summary metrics</h2>"
            + _table(pd.DataFrame({"metric": list(metrics), "value": list(metrics.values())}))
        )
        w = read_table(folder, "workloads.parquet")
        where = (
            w.fillna({"datacenter": "-", "drop_reason": "-"})
            .groupby(["decision", "status", "datacenter", "drop_reason"], dropna=False)
            .size()
        )
        parts.append("<h2>Where the workloads went</h2>" + _table(where.rename("workloads").reset_index()))
        x = (
            read_table(folder, "isl_transfers.parquet")
            if os.path.exists(os.path.join(folder, "isl_transfers.parquet"))
            else None
        )
        if x is not None and len(x):
            routes = w.assign(route=routes_of(w, x).to_numpy(), delivered=w.value.where(w.deadline_met, 0.0))
            used = routes.groupby(["route", "status"]).agg(captures=("capture_id", "size"), value=("delivered", "sum"))
            parts.append(
                "<h2>Routes used</h2><p>Each capture's route through the space segment: computed where it was "
                "captured, down raw, across laser links to a computing satellite (offload) or to a data relay "
                "(relay); <i>value</i> is what it delivered by its deadline.</p>" + _table(used.reset_index())
            )
    if not is_compare:
        parts.append(timeline_html(folder))
    parts.append("<h2>Figures</h2>")
    for fig_name, fig in figures.items():
        parts.append(
            f'<figure id="{fig_name}">{_svg(fig)}<figcaption>{html.escape(CAPTIONS.get(fig_name, fig_name))}'
            "</figcaption></figure>"
        )
    scenario = _read(folder, "scenario.yaml")
    if scenario:
        parts.append("<h2>Scenario</h2><pre>" + html.escape(scenario) + "</pre>")
    versions = info.get("versions", {})
    if versions:
        parts.append(
            "<h2>Versions</h2>"
            + _table(pd.DataFrame({"package": list(versions), "version": [str(v) for v in versions.values()]}))
        )
    body = "\n".join(parts)
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>spaceground: {html.escape(str(name))}'
        f"</title><style>{CSS}{INTERACTIVE_CSS}</style></head><body>\n{body}\n</body></html>\n"
    )


def write_report(folder, output=None, only=None) -> str:
    """Write the report of a folder (default ``FOLDER/report.html``); returns its path."""
    output = output or os.path.join(folder, "report.html")
    text = build_report(folder, only)
    write_text(output, text)
    return output
