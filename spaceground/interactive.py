"""The interactive parts of the HTML report: a zoomable timeline of a run, a filterable view of a comparison.

Everything is inline (the data as JSON in the page, a small script, no library, nothing fetched): the page
still opens offline from a file. The run timeline has a row per station (contact windows, and the downlinks in
them) and per satellite (captures, onboard jobs, laser-link transfers, eclipses); the wheel or the buttons zoom
around the pointer, dragging pans, hovering an item shows its capture (workload, target, route, station, data
centre, bytes, latency), and the satellite boxes filter rows and items. Colours stand for kinds of activity only
(a satellite is its row, never a colour). The comparison view draws each policy's time-to-product
distribution and filters policies in the figure and the table together.

``window.spacegroundTimeline`` / ``window.spacegroundCompare`` expose the view's state (range, items drawn)
for scripted checks.
"""

from __future__ import annotations

import html
import json
import os

import numpy as np
import pandas as pd

from .results import read_table, routes_of

MAX_SATELLITES = 60  # satellite rows drawn; a larger run shows the first ones and says so
MAX_CAPTURE_ITEMS = 20_000  # capture ticks embedded; beyond, every n-th (said in the page)

# Kinds of activity and their colours (Okabe & Ito; none is used for a satellite in this view).
KINDS = {
    "contact": ("contact window", "#cfe3f3"),
    "downlink": ("downlink", "#0072B2"),
    "capture": ("capture", "#000000"),
    "onboard": ("onboard job", "#E69F00"),
    "isl": ("laser-link transfer", "#CC79A7"),
    "eclipse": ("eclipse (umbra)", "#999999"),
}

CSS = """
.sg-tl { border: 1px solid #ccc; padding: 0.5em; margin: 1em 0; }
.sg-tl .sg-bar { display: flex; gap: 0.5em; align-items: center; flex-wrap: wrap; font-size: 0.85em; }
.sg-tl button { font-size: 0.9em; }
.sg-tl svg { width: 100%; cursor: grab; user-select: none; display: block; }
.sg-tl .sg-sats { max-height: 7em; overflow-y: auto; font-size: 0.8em; columns: 4; margin: 0.3em 0; }
.sg-tip { position: fixed; pointer-events: none; background: #fffff0; border: 1px solid #888; padding: 4px 6px;
          font-size: 0.8em; display: none; white-space: pre; z-index: 10; }
.sg-legend span { display: inline-block; width: 0.9em; height: 0.9em; margin: 0 0.2em 0 0.8em; vertical-align: -0.1em; }
"""


def _seconds(span_start, col):
    return np.round((col - span_start).dt.total_seconds().to_numpy(float), 3)


def timeline_data(folder) -> dict:
    """The timeline's data of a run folder: rows, items in seconds from the span start, and capture details."""
    with open(os.path.join(folder, "scenario.resolved.json")) as f:
        resolved = json.load(f)
    start = pd.Timestamp(resolved["start_utc"]).tz_convert("UTC")
    duration_s = float(resolved["duration_h"]) * 3600.0
    w = read_table(folder, "workloads.parquet")
    contacts = read_table(folder, "contacts.parquet")
    downlinks = read_table(folder, "downlinks.parquet")
    isl = (
        read_table(folder, "isl_transfers.parquet")
        if os.path.exists(os.path.join(folder, "isl_transfers.parquet"))
        else None
    )
    sats_table = read_table(folder, "scene_satellites.parquet")
    stations = read_table(folder, "scene_stations.parquet").station.astype(str).tolist()
    eclipses = read_table(folder, "scene_eclipses.parquet")
    all_sats = sats_table.satellite.astype(str).tolist()
    sats = all_sats[:MAX_SATELLITES]
    sat_row = {s: len(stations) + k for k, s in enumerate(sats)}
    st_row = {s: k for k, s in enumerate(stations)}
    sat_id = {s: k for k, s in enumerate(sats)}

    items = []  # [kind, row, start_s, end_s, satellite index, capture id (-1 none), MB (0 none)]

    def add(kind, df, start_col, end_col, sat_col="satellite", at_station=False, capture=False, mb=False):
        """One item a row of ``df`` whose ``sat_col`` is a satellite shown, in its station's row or its own."""
        if df is None:
            return
        df = df[df[sat_col].astype(str).isin(sat_row)]
        sats = df[sat_col].astype(str)
        rows = df.station.astype(str).map(st_row) if at_station else sats.map(sat_row)
        cids = df.capture_id.to_numpy(int).tolist() if capture else [-1] * len(df)
        sizes = [round(b / 1e6, 1) for b in df.bytes.to_numpy(float)] if mb else [0] * len(df)
        for s, r, a, b, cid, size in zip(
            sats, rows, _seconds(start, df[start_col]), _seconds(start, df[end_col]), cids, sizes
        ):
            items.append([kind, int(r), a, b, sat_id[s], int(cid), size])

    add("contact", contacts, "aos_utc", "los_utc", at_station=True, mb=True)
    add("downlink", downlinks, "start_utc", "end_utc", at_station=True, capture=True, mb=True)
    add("eclipse", eclipses[eclipses.kind.astype(str) == "umbra"] if "kind" in eclipses.columns else eclipses,
        "start_utc", "end_utc")  # fmt: skip
    shown = w[w.satellite.astype(str).isin(sat_row)]
    step = max(1, int(np.ceil(len(shown) / MAX_CAPTURE_ITEMS)))
    add("capture", shown.iloc[::step], "capture_utc", "capture_utc", capture=True)
    jobs = shown[shown.onboard_start_utc.notna()]
    add("onboard", jobs, "onboard_start_utc", "onboard_end_utc",
        sat_col="compute_satellite" if "compute_satellite" in jobs.columns else "satellite", capture=True)  # fmt: skip
    add("isl", isl, "start_utc", "end_utc", capture=True, mb=True)
    routes = routes_of(
        w, isl if isl is not None else pd.DataFrame(columns=["capture_id", "to_satellite", "kind", "start_utc"])
    )
    detail = {}
    for row, route in zip(w.itertuples(), routes.to_numpy()):
        latency = "" if pd.isna(row.latency_s) else f"{row.latency_s / 60:.1f} min"
        detail[int(row.capture_id)] = [
            str(row.satellite),
            str(row.workload),
            str(row.target or ""),
            row.capture_utc.strftime("%H:%M:%S"),
            str(route),
            str(row.status),
            "" if pd.isna(row.station) else str(row.station),
            "" if pd.isna(row.datacenter) else str(row.datacenter),
            round(float(row.raw_bytes) / 1e6, 1),
            latency,
            bool(row.deadline_met),
            float(row.value),
        ]
    notes = []
    if len(all_sats) > len(sats):
        notes.append(f"showing the first {len(sats)} of {len(all_sats)} satellites")
    if step > 1:
        notes.append(f"every {step}th capture tick of {len(shown)}")
    return {
        "start_ms": int(start.value // 1_000_000),
        "span_s": duration_s,
        "rows": [["station", s] for s in stations] + [["satellite", s] for s in sats],
        "satellites": sats,
        "items": items,
        "captures": detail,
        "kinds": KINDS,
        "note": "; ".join(notes),
    }


def _json(data) -> str:
    # Inside <script type="application/json">: a "</" in the data must not end the element.
    return json.dumps(data, separators=(",", ":")).replace("</", "<\\/")


TIMELINE_JS = r"""
(function () {
  const D = JSON.parse(document.getElementById("sg-tl-data").textContent);
  const svg = document.getElementById("sg-tl-svg"), tip = document.getElementById("sg-tip");
  const range = document.getElementById("sg-tl-range");
  const W = 1100, LABEL = 150, ROW = 16, AXIS = 22, NS = "http://www.w3.org/2000/svg";
  let view = [0, D.span_s];
  const hidden = new Set();
  function fmt(s, withDate) {
    const d = new Date(D.start_ms + s * 1000).toISOString();
    return withDate ? d.slice(0, 16).replace("T", " ") : d.slice(11, 16);
  }
  function rows() {
    return D.rows.map((r, i) => [r, i])
      .filter(([r]) => !(r[0] === "satellite" && hidden.has(D.satellites.indexOf(r[1]))));
  }
  function x(t) { return LABEL + (t - view[0]) / (view[1] - view[0]) * (W - LABEL); }
  function el(name, attrs, text) {
    const e = document.createElementNS(NS, name);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  const drawn = {};
  function render() {
    const shown = rows(), y = {};
    shown.forEach(([r, i], k) => { y[i] = AXIS + k * ROW; });
    const H = AXIS + shown.length * ROW + 4;
    svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
    svg.replaceChildren();
    svg.appendChild(el("rect", {x: 0, y: 0, width: W, height: H, fill: "#fff"}));
    const span = view[1] - view[0], steps = [60, 300, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];
    const tick = steps.find((s) => span / s <= 10) || 86400;
    for (let t = Math.ceil(view[0] / tick) * tick; t <= view[1]; t += tick) {
      svg.appendChild(el("line", {x1: x(t), x2: x(t), y1: AXIS - 4, y2: H, stroke: "#e4e4e4"}));
      svg.appendChild(el("text", {x: x(t), y: AXIS - 8, "font-size": 10, "text-anchor": "middle",
                                  class: "sg-tick"}, fmt(t, false)));
    }
    shown.forEach(([r, i]) => {
      svg.appendChild(el("text", {x: 4, y: y[i] + ROW - 5, "font-size": 10,
        "font-weight": r[0] === "station" ? "bold" : "normal", class: "sg-row"}, r[1]));
      svg.appendChild(el("line", {x1: LABEL, x2: W, y1: y[i] + ROW, y2: y[i] + ROW, stroke: "#f0f0f0"}));
    });
    for (const k in D.kinds) drawn[k] = 0;
    const order = ["contact", "eclipse", "onboard", "isl", "downlink", "capture"];
    for (const kind of order) {
      D.items.forEach((it, n) => {
        if (it[0] !== kind || hidden.has(it[4]) || !(it[1] in y)) return;
        if (it[3] < view[0] || it[2] > view[1]) return;
        const colour = D.kinds[kind][1], top = y[it[1]];
        let e;
        if (kind === "capture") {
          const cx = x(it[2]);
          e = el("path", {d: `M${cx} ${top + 2}l4 6l-4 6l-4 -6z`, fill: colour});
        } else {
          const a = Math.max(x(it[2]), LABEL), b = Math.min(x(it[3]), W);
          const inset = kind === "contact" || kind === "eclipse" ? 1 : 4;
          e = el("rect", {x: a, y: top + inset, width: Math.max(b - a, 1.5), height: ROW - 2 * inset, fill: colour});
        }
        e.setAttribute("class", "sg-item sg-" + kind);
        e.setAttribute("data-n", n);
        svg.appendChild(e);
        drawn[kind] += 1;
      });
    }
    range.textContent = `${fmt(view[0], true)} to ${fmt(view[1], true)} UTC`;
  }
  function zoom(factor, at) {
    const span = Math.min(D.span_s, Math.max(60, (view[1] - view[0]) * factor));
    let a = at - (at - view[0]) * span / (view[1] - view[0]);
    a = Math.max(0, Math.min(a, D.span_s - span));
    view = [a, a + span];
    render();
  }
  function timeAt(clientX) {
    const box = svg.getBoundingClientRect(), px = (clientX - box.left) * W / box.width;
    return view[0] + (px - LABEL) / (W - LABEL) * (view[1] - view[0]);
  }
  svg.addEventListener("wheel", (ev) => {
    ev.preventDefault();
    zoom(Math.pow(1.0015, ev.deltaY), Math.max(view[0], Math.min(view[1], timeAt(ev.clientX))));
  }, {passive: false});
  let drag = null;
  svg.addEventListener("mousedown", (ev) => { drag = [ev.clientX, view.slice()]; svg.style.cursor = "grabbing"; });
  window.addEventListener("mouseup", () => { drag = null; svg.style.cursor = "grab"; });
  svg.addEventListener("mousemove", (ev) => {
    if (drag) {
      const box = svg.getBoundingClientRect(), span = drag[1][1] - drag[1][0];
      let a = drag[1][0] - (ev.clientX - drag[0]) * W / box.width / (W - LABEL) * span;
      a = Math.max(0, Math.min(a, D.span_s - span));
      view = [a, a + span];
      render();
      return;
    }
    const n = ev.target.getAttribute && ev.target.getAttribute("data-n");
    if (n === null || n === undefined) { tip.style.display = "none"; return; }
    tip.textContent = describe(D.items[+n]);
    tip.style.left = ev.clientX + 12 + "px";
    tip.style.top = ev.clientY + 12 + "px";
    tip.style.display = "block";
  });
  svg.addEventListener("mouseleave", () => { tip.style.display = "none"; });
  function describe(it) {
    const kind = D.kinds[it[0]][0], sat = D.satellites[it[4]];
    const lines = [`${kind}: ${sat}`, `${fmt(it[2], true)}${it[3] > it[2] ? " to " + fmt(it[3], false) : ""} UTC`];
    if (it[0] === "contact") lines.push(`station ${D.rows[it[1]][1]}, ${it[6]} MB sent`);
    if (it[0] === "downlink" || it[0] === "isl") lines.push(`${it[6]} MB`);
    const c = D.captures[it[5]];
    if (c) {
      lines.push(`capture ${it[5]} (${c[1]}${c[2] ? ", " + c[2] : ""}) at ${c[3]}`);
      lines.push(`route ${c[4]}; ${c[5]}`);
      if (c[6]) lines.push(`station ${c[6]}${c[7] ? ", data centre " + c[7] : ""}`);
      lines.push(`raw ${c[8]} MB${c[9] ? ", time to product " + c[9] : ""}${c[10] ? ", in time" : ""}; value ${c[11]}`);
    }
    return lines.join("\n");
  }
  document.getElementById("sg-tl-in").onclick = () => zoom(0.5, (view[0] + view[1]) / 2);
  document.getElementById("sg-tl-out").onclick = () => zoom(2, (view[0] + view[1]) / 2);
  document.getElementById("sg-tl-reset").onclick = () => { view = [0, D.span_s]; render(); };
  document.querySelectorAll("#sg-tl-sats input").forEach((box) => {
    box.addEventListener("change", () => {
      const k = +box.getAttribute("data-sat");
      if (box.checked) hidden.delete(k); else hidden.add(k);
      render();
    });
  });
  document.getElementById("sg-tl-all").onclick = () => {
    hidden.clear(); document.querySelectorAll("#sg-tl-sats input").forEach((b) => { b.checked = true; }); render();
  };
  document.getElementById("sg-tl-none").onclick = () => {
    D.satellites.forEach((s, k) => hidden.add(k));
    document.querySelectorAll("#sg-tl-sats input").forEach((b) => { b.checked = false; }); render();
  };
  window.spacegroundTimeline = {view: () => view.slice(), drawn: () => Object.assign({}, drawn),
                                hidden: () => Array.from(hidden)};
  render();
})();
"""


def timeline_html(folder) -> str:
    """The interactive timeline section of a run's report."""
    data = timeline_data(folder)
    boxes = "".join(
        f'<label><input type="checkbox" checked data-sat="{k}"> {html.escape(s)}</label><br>'
        for k, s in enumerate(data["satellites"])
    )
    legend = "".join(
        f'<span style="background:{colour}"></span>{html.escape(label)}' for label, colour in KINDS.values()
    )
    note = f" ({html.escape(data['note'])})" if data["note"] else ""
    return f"""<h2>Timeline</h2>
<p>Stations (bold) and satellites, one row each{note}. Wheel or buttons to zoom, drag to pan, hover an item for its
capture and route; the boxes below filter satellites. Colours are kinds of activity, not satellites.</p>
<div class="sg-tl" id="sg-tl">
<div class="sg-bar"><button id="sg-tl-in">zoom in</button><button id="sg-tl-out">zoom out</button>
<button id="sg-tl-reset">whole span</button><span id="sg-tl-range"></span>
<span class="sg-legend">{legend}</span></div>
<div class="sg-bar">satellites: <button id="sg-tl-all">all</button><button id="sg-tl-none">none</button></div>
<div class="sg-sats" id="sg-tl-sats">{boxes}</div>
<svg id="sg-tl-svg" xmlns="http://www.w3.org/2000/svg"></svg>
</div>
<div class="sg-tip" id="sg-tip"></div>
<script type="application/json" id="sg-tl-data">{_json(data)}</script>
<script>{TIMELINE_JS}</script>
"""


COMPARE_JS = r"""
(function () {
  const D = JSON.parse(document.getElementById("sg-cmp-data").textContent);
  const svg = document.getElementById("sg-cmp-svg"), tip = document.getElementById("sg-tip");
  const W = 760, H = 300, L = 50, B = 34, NS = "http://www.w3.org/2000/svg";
  const hidden = new Set();
  const xmax = Math.max(1, ...D.policies.map((p) => p.minutes.length ? p.minutes[p.minutes.length - 1] : 0));
  function el(name, attrs, text) {
    const e = document.createElementNS(NS, name);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  const X = (m) => L + m / xmax * (W - L - 10), Y = (f) => H - B - f * (H - B - 10);
  function render() {
    svg.replaceChildren();
    svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
    svg.appendChild(el("rect", {x: 0, y: 0, width: W, height: H, fill: "#fff"}));
    for (let f = 0; f <= 1.0001; f += 0.25) {
      svg.appendChild(el("line", {x1: L, x2: W - 10, y1: Y(f), y2: Y(f), stroke: "#eee"}));
      svg.appendChild(el("text", {x: L - 4, y: Y(f) + 3, "font-size": 10, "text-anchor": "end"},
                         Math.round(f * 100) + "%"));
    }
    svg.appendChild(el("text", {x: (W + L) / 2, y: H - 4, "font-size": 11, "text-anchor": "middle"},
                       "time to product [min]"));
    for (let m = 0; m <= xmax; m += Math.max(1, Math.ceil(xmax / 8 / 10) * 10)) {
      svg.appendChild(el("text", {x: X(m), y: H - B + 14, "font-size": 10, "text-anchor": "middle"}, m));
    }
    let drawn = 0;
    D.policies.forEach((p, k) => {
      if (hidden.has(k) || !p.minutes.length) return;
      const n = p.total;
      let d = `M${X(0)} ${Y(0)}`;
      p.minutes.forEach((m, i) => { d += `H${X(m)}V${Y((i + 1) / n)}`; });
      const path = el("path", {d: d, fill: "none", stroke: p.colour, "stroke-width": 2,
                               "stroke-dasharray": p.dash, class: "sg-cdf", "data-k": k});
      svg.appendChild(path);
      // A wide, unseen, undashed copy to hover: the pointer finds a dashed curve between its dashes too.
      svg.appendChild(el("path", {d: d, fill: "none", stroke: "transparent", "stroke-width": 9,
                                  "pointer-events": "stroke", "data-k": k}));
      drawn += 1;
    });
    document.querySelectorAll("#sg-cmp-table [data-policy]").forEach((cell) => {
      cell.style.display = hidden.has(D.names.indexOf(cell.getAttribute("data-policy"))) ? "none" : "";
    });
    window.spacegroundCompare.drawn = drawn;
  }
  svg.addEventListener("mousemove", (ev) => {
    const k = ev.target.getAttribute && ev.target.getAttribute("data-k");
    if (k === null || k === undefined) { tip.style.display = "none"; return; }
    const p = D.policies[+k];
    tip.textContent = `${p.name}\n${p.minutes.length} of ${p.total} delivered\np50 ${p.p50} min, p90 ${p.p90} min`;
    tip.style.left = ev.clientX + 12 + "px"; tip.style.top = ev.clientY + 12 + "px"; tip.style.display = "block";
  });
  svg.addEventListener("mouseleave", () => { tip.style.display = "none"; });
  document.querySelectorAll("#sg-cmp-pols input").forEach((box) => {
    box.addEventListener("change", () => {
      const k = +box.getAttribute("data-k");
      if (box.checked) hidden.delete(k); else hidden.add(k);
      render();
    });
  });
  window.spacegroundCompare = {drawn: 0, hidden: () => Array.from(hidden)};
  render();
})();
"""

# Line styles per policy: colour and dash together, so that curves that coincide stay visible (8 alike).
POLICY_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000", "#999933")
POLICY_DASHES = ("", "8 3", "2 2", "8 3 2 3")


def compare_data(folder) -> dict:
    lat = read_table(folder, "compare_latency.parquet")
    names = list(dict.fromkeys(lat.policy.astype(str)))
    policies = []
    for k, name in enumerate(names):
        p = lat[lat.policy.astype(str) == name]
        done = np.sort(p.latency_s.dropna().to_numpy(float) / 60.0)
        policies.append(
            {
                "name": name,
                "minutes": np.round(done, 2).tolist(),
                "total": int(len(p)),
                "p50": round(float(np.percentile(done, 50)), 1) if len(done) else None,
                "p90": round(float(np.percentile(done, 90)), 1) if len(done) else None,
                "colour": POLICY_COLOURS[k % len(POLICY_COLOURS)],
                "dash": POLICY_DASHES[k % len(POLICY_DASHES)],
            }
        )
    return {"names": names, "policies": policies}


def compare_html(folder, table: pd.DataFrame) -> str:
    """The filterable comparison: the table and each policy's time-to-product distribution, one filter for both."""
    data = compare_data(folder)
    boxes = "".join(
        f'<label><input type="checkbox" checked data-k="{k}"> '
        f'<span style="color:{p["colour"]}">&#9644;</span> {html.escape(p["name"])}</label> '
        for k, p in enumerate(data["policies"])
    )
    # Metrics as rows and policies as columns (means over seeds; every seed is in compare.csv): a column a policy
    # keeps the table within the page however many metrics there are.
    order = list(dict.fromkeys(table.policy.astype(str)))
    numeric = [c for c in table.columns if c not in ("policy", "seed") and pd.api.types.is_numeric_dtype(table[c])]
    means = table.groupby(table.policy.astype(str), sort=False)[numeric].mean().reindex(order)
    seeds = table.groupby(table.policy.astype(str), sort=False).seed.nunique().reindex(order)
    head = "<th>metric</th>" + "".join(f'<th data-policy="{html.escape(p)}">{html.escape(p)}</th>' for p in order)
    body = ["<tr><td>seeds</td>" + "".join(f'<td data-policy="{html.escape(p)}">{seeds[p]}</td>' for p in order)]
    for col in numeric:
        cells = "".join(f'<td data-policy="{html.escape(p)}">{means.loc[p, col]:,.4g}</td>' for p in order)
        body.append(f"<tr><td>{html.escape(col)}</td>{cells}</tr>")
    return f"""<h2>Comparison</h2>
<p>Each policy's time to product over every capture of every seed (delivered ones; the curve ends at the share
delivered), and the metrics of each (means over seeds; every seed in <code>compare.csv</code>). Untick a policy to
hide it in the figure and the table; hover a curve for its numbers.</p>
<div class="sg-tl"><div class="sg-bar" id="sg-cmp-pols">{boxes}</div>
<svg id="sg-cmp-svg" xmlns="http://www.w3.org/2000/svg"></svg></div>
<div style="overflow-x:auto"><table id="sg-cmp-table"><thead><tr>{head}</tr></thead>
<tbody>{"</tr>".join(body)}</tr></tbody></table></div>
<div class="sg-tip" id="sg-tip"></div>
<script type="application/json" id="sg-cmp-data">{_json(data)}</script>
<script>{COMPARE_JS}</script>
"""
