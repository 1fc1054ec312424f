"""Figures of a run (matplotlib), drawn from result DataFrames only.

Every function takes the tables it needs (see :mod:`spaceground.results` and
:mod:`spaceground.scene`) and an optional Axes or Figure, draws, and returns the Figure.
Times are UTC on every time axis; labels carry units; colours come from the Okabe-Ito
palette (safe for the common colour-vision deficiencies) and a satellite keeps its colour
in every figure (:func:`satellite_colours`). :func:`plot_run` writes all of them for a run
folder as PNG and SVG.

Artists that tests and readers may count carry a ``gid``: ``contact`` and ``downlink``
bars in :func:`station_timeline`; ``umbra``, ``penumbra``, ``onboard``, ``downlink`` and ``laser``
bars in :func:`satellite_timeline`; ``soc:<satellite>`` lines in :func:`battery_storage`.
"""

from __future__ import annotations

import json
import os
from importlib.resources import files

import matplotlib

matplotlib.use("Agg")  # files only, no screen; set before pyplot is imported

import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.collections import LineCollection, PolyCollection  # noqa: E402

from .atomic import atomic_path
from .colours import (  # noqa: E402, F401
    ACTIVITY_COLOURS,
    GREY,
    OKABE_ITO,
    SATELLITE_PALETTE,
    TOL_MUTED,
    satellite_colours,
)
from .errors import InputError  # noqa: E402

SHADOW = "#999999"
POLICY_LINESTYLES = ("-", "--", ":", "-.")
FIGURES = (
    "station_timeline",
    "satellite_timeline",
    "battery_storage",
    "temperatures",
    "latency_cdf",
    "where_work_ran",
    "datacenter_load",
    "ground_map",
    "policy_comparison",
)
MAX_SATELLITE_ROWS = 24  # the per-satellite figures show this many satellites (the busiest) at most

plt.rcParams.update(
    {
        "font.size": 9,
        "axes.titlesize": 10,
        "axes.labelsize": 9,
        "legend.fontsize": 8,
        "svg.fonttype": "none",
        "figure.dpi": 100,
    }
)


def _num(times):
    """UTC timestamps to matplotlib date numbers."""
    return mdates.date2num(pd.DatetimeIndex(times).tz_convert("UTC").tz_localize(None))


def _utc_axis(ax, label=True):
    locator = mdates.AutoDateLocator(minticks=4, maxticks=9)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    if label:
        ax.set_xlabel("time (UTC)")


def _figure(fig_or_ax, size):
    if fig_or_ax is None:
        return plt.figure(figsize=size, layout="constrained")
    return fig_or_ax if isinstance(fig_or_ax, matplotlib.figure.Figure) else fig_or_ax.figure


def _axes(ax, size):
    if ax is None:
        fig, ax = plt.subplots(figsize=size, layout="constrained")
    return ax.figure, ax


def _session_lanes(sessions):
    """Lanes of sessions (each a pair of arrays of interval starts and ends): each session in the lowest lane
    where none of its intervals overlaps one already there, sessions taken by their first start."""
    lanes = []  # per lane: list of (start, end)
    out = np.zeros(len(sessions), int)
    for i in sorted(range(len(sessions)), key=lambda k: sessions[k][0].min()):
        mine = list(zip(*sessions[i]))
        for q, taken in enumerate(lanes):
            if all(e <= s0 + 1e-9 or s >= e0 - 1e-9 for s, e in taken for s0, e0 in mine):
                taken.extend(mine)
                out[i] = q
                break
        else:
            lanes.append(mine)
            out[i] = len(lanes) - 1
    return out


def _busiest(workloads, satellites, limit=MAX_SATELLITE_ROWS, also=()):
    """The satellites with the most captures (and rows of the ``also`` columns of satellite names: downlinks,
    laser sessions, so that a computing satellite with no captures of its own can be among them)."""
    names = list(satellites)
    if len(names) <= limit:
        return names
    counts = pd.concat([workloads.satellite, *also]).value_counts()
    top = set(counts.index[:limit])
    return [n for n in names if n in top][:limit]


# --- schedules -------------------------------------------------------------------------------------
def station_timeline(contacts, downlinks, stations, colours=None, ax=None):
    """Gantt chart of the ground segment: one row per station antenna.

    Each contact window is a pale bar (outlined in its satellite's colour) on the antenna
    row that served it, or on a free one when unused; windows that found every antenna taken
    go to a row ``<station> (no antenna)``. The actual downlinks are solid bars inside,
    coloured by satellite.
    """
    colours = colours or satellite_colours(contacts.satellite)
    rows, row_of_downlink, row_of_contact = [], {}, {}
    for st in stations.itertuples(index=False):
        c = contacts[contacts.station == st.station]
        d = downlinks[downlinks.station == st.station]
        # A session: the downlinks of one satellite inside one window. Sessions first, then free windows.
        c_start, c_end = _num(c.aos_utc), _num(c.los_utc)
        d_start, d_end = _num(d.start_utc), _num(d.end_utc)
        session_of = np.full(len(d), -1)
        for k, (sat, a, b) in enumerate(zip(c.satellite, c_start, c_end)):
            inside = (d.satellite.to_numpy() == sat) & (d_start >= a - 1e-9) & (d_end <= b + 1e-9)
            session_of[inside] = k
        used = np.zeros(len(c), bool)
        used[session_of[session_of >= 0]] = True
        served = np.flatnonzero(used)
        # A session may pause (battery) while the antenna serves another satellite: sessions share a row
        # when none of their downlinks overlap, so a one-antenna station keeps one row.
        lanes = _session_lanes([(d_start[session_of == k], d_end[session_of == k]) for k in served])
        base = len(rows)
        n_lanes = max(st.antennas, int(lanes.max()) + 1 if len(lanes) else 0)
        rows += [
            f"{st.station} antenna {q + 1}" if q < st.antennas else f"{st.station} (sessions overlapping)"
            for q in range(n_lanes)
        ]
        busy = {q: [] for q in range(n_lanes)}
        for k, lane in zip(served, lanes):
            row_of_contact[c.index[k]] = base + lane
            busy[lane].append((c_start[k], c_end[k]))
            for j in np.flatnonzero(session_of == k):
                row_of_downlink[d.index[j]] = base + lane
        spill = None
        for k in np.flatnonzero(~used):
            free = [q for q in range(n_lanes) if all(e <= c_start[k] or s >= c_end[k] for s, e in busy[q])]
            if free:
                busy[free[0]].append((c_start[k], c_end[k]))
                row_of_contact[c.index[k]] = base + free[0]
            else:
                if spill is None:
                    spill = len(rows)
                    rows.append(f"{st.station} (no antenna)")
                row_of_contact[c.index[k]] = spill
    fig, ax = _axes(ax, (10, 0.35 * max(4, len(rows)) + 1.2))
    placed = contacts.loc[list(row_of_contact)]
    for (row, sat), group in placed.groupby([placed.index.map(row_of_contact), "satellite"]):
        a, b = _num(group.aos_utc), _num(group.los_utc)
        ax.broken_barh(
            list(zip(a, b - a)),
            (row - 0.4, 0.8),
            facecolors="#F2F2F2",
            edgecolors=colours.get(sat, GREY),
            linewidth=0.8,
            gid="contact",
        )
    if len(downlinks):
        idx = list(row_of_downlink)
        sub = downlinks.loc[idx]
        for (row, sat), group in sub.groupby([sub.index.map(row_of_downlink), "satellite"]):
            a, b = _num(group.start_utc), _num(group.end_utc)
            ax.broken_barh(list(zip(a, b - a)), (row - 0.25, 0.5), facecolors=colours.get(sat, GREY), gid="downlink")
    ax.set_yticks(range(len(rows)), rows)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    _utc_axis(ax)
    ax.set_title("Ground segment: contact windows (outlined) and downlinks (solid), by antenna")
    _satellite_legend(ax, colours, contacts.satellite)
    return fig


def _satellite_legend(ax, colours, shown, limit=12):
    names = list(dict.fromkeys(shown))
    handles = [matplotlib.patches.Patch(color=colours[n], label=n) for n in names[:limit] if n in colours]
    if handles:
        extra = f" (+{len(names) - limit} more)" if len(names) > limit else ""
        ax.legend(
            handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), title="satellite" + extra, frameon=False
        )


def satellite_timeline(workloads, downlinks, eclipses, satellites, colours=None, ax=None, isl_transfers=None):
    """One row per satellite: eclipses shaded, captures as ticks, onboard jobs, downlinks and (given
    ``isl_transfers``) laser sessions as bars, a laser session in its sender's row, hatched."""
    x = isl_transfers if isl_transfers is not None else pd.DataFrame(columns=["satellite", "start_utc", "end_utc"])
    names = _busiest(workloads, satellites.satellite, also=(downlinks.satellite, x.satellite))
    colours = colours or satellite_colours(satellites.satellite)
    fig, ax = _axes(ax, (10, 0.45 * max(3, len(names)) + 1.4))
    for row, name in enumerate(names):
        e = eclipses[eclipses.satellite == name]
        for kind, alpha in (("umbra", 0.35), ("penumbra", 0.15)):
            ek = e[e.kind == kind]
            a, b = _num(ek.start_utc), _num(ek.end_utc)
            ax.broken_barh(
                list(zip(a, b - a)), (row - 0.45, 0.9), facecolors=SHADOW, alpha=alpha, linewidth=0, gid=kind
            )
        w = workloads[workloads.satellite == name]
        ax.plot(_num(w.capture_utc), np.full(len(w), row - 0.3), "|", color="black", markersize=5)
        ob = w.dropna(subset=["onboard_start_utc", "onboard_end_utc"])
        a, b = _num(ob.onboard_start_utc), _num(ob.onboard_end_utc)
        ax.broken_barh(list(zip(a, b - a)), (row - 0.1, 0.25), facecolors=OKABE_ITO[5], gid="onboard")
        d = downlinks[downlinks.satellite == name]
        a, b = _num(d.start_utc), _num(d.end_utc)
        ax.broken_barh(list(zip(a, b - a)), (row + 0.18, 0.25), facecolors=colours[name], gid="downlink")
        sent = x[x.satellite == name]
        if len(sent):
            a, b = _num(sent.start_utc), _num(sent.end_utc)
            ax.broken_barh(
                list(zip(a, b - a)), (row - 0.42, 0.25), facecolors="none", edgecolors="black", hatch="////",
                linewidth=0.5, gid="laser",
            )  # fmt: skip
    ax.set_yticks(range(len(names)), names)
    ax.set_ylim(len(names) - 0.5, -0.5)
    _utc_axis(ax)
    handles = [
        matplotlib.lines.Line2D([], [], marker="|", linestyle="", color="black", label="capture"),
        matplotlib.patches.Patch(color=OKABE_ITO[5], label="onboard job"),
        matplotlib.patches.Patch(color=GREY, label="downlink (satellite colour)"),
        *(
            [matplotlib.patches.Patch(facecolor="none", edgecolor="black", hatch="////", label="laser session (sent)")]
            if len(x)
            else []
        ),
        matplotlib.patches.Patch(color=SHADOW, alpha=0.35, label="umbra"),
        matplotlib.patches.Patch(color=SHADOW, alpha=0.15, label="penumbra"),
    ]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    shown = f" ({len(names)} busiest of {len(satellites)})" if len(names) < len(satellites) else ""
    ax.set_title("Satellites: captures, onboard processing, downlinks and eclipses" + shown)
    return fig


# --- energy and storage ------------------------------------------------------------------------------
def battery_storage(energy, satellites, eclipses, colours=None, names=None, fig=None, limit=6):
    """Battery state of charge (with each satellite's reserve) and storage fill over time.

    Eclipses of the first satellite shown are shaded. ``names`` picks the satellites
    (default: the first ``limit``).
    """
    colours = colours or satellite_colours(satellites.satellite)
    names = list(names) if names is not None else list(satellites.satellite)[:limit]
    fig = _figure(fig, (10, 5.5))
    ax_soc, ax_sto = fig.subplots(2, 1, sharex=True)
    info = satellites.set_index("satellite")
    for name in names:
        e = energy[energy.satellite == name]
        t = _num(e.time_utc)
        ax_soc.plot(t, 100 * e.soc, color=colours[name], linewidth=1.1, label=name, gid=f"soc:{name}")
        reserve = 100 * info.loc[name, "reserve_wh"] / info.loc[name, "battery_wh"]
        ax_soc.axhline(reserve, color=colours[name], linestyle="--", linewidth=0.8)
        ax_sto.plot(
            t,
            100 * e.storage_bytes / info.loc[name, "storage_bytes"],
            color=colours[name],
            linewidth=1.1,
            drawstyle="steps-post",
        )
    if names:
        ecl = eclipses[(eclipses.satellite == names[0]) & (eclipses.kind == "umbra")]
        for a, b in zip(_num(ecl.start_utc), _num(ecl.end_utc)):
            for ax in (ax_soc, ax_sto):
                ax.axvspan(a, b, color=SHADOW, alpha=0.2, linewidth=0)
    ax_soc.set_ylabel("state of charge (%)")
    ax_soc.set_ylim(0, 102)
    shown = f" ({len(names)} of {len(satellites)} satellites)" if len(names) < len(satellites) else ""
    ax_soc.set_title(
        f"Battery (dashed: reserve) and storage; shaded: umbra of {names[0]}{shown}" if names else "Battery"
    )
    ax_soc.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, title="satellite")
    ax_sto.set_ylabel("storage used (%)")
    ax_sto.set_ylim(bottom=0)
    _utc_axis(ax_sto)
    return fig


def temperatures(temperatures, satellites, eclipses, colours=None, names=None, fig=None, limit=6):
    """The thermal node of each satellite that has one over time, with its limit (dashed: the computer stops
    there) and throttle temperature (dotted: it resumes there); the stretches stopped by heat drawn thick.

    Eclipses of the first satellite shown are shaded. ``names`` picks the satellites (default: the first
    ``limit`` with a thermal node, hottest first)."""
    colours = colours or satellite_colours(satellites.satellite)
    if names is None:
        hottest = temperatures.groupby("satellite").temperature_c.max().sort_values(ascending=False)
        names = list(hottest.index[:limit])
    names = list(names)
    fig = _figure(fig, (10, 4.2))
    ax = fig.subplots()
    info = satellites.set_index("satellite")
    for name in names:
        h = temperatures[temperatures.satellite == name]
        t, temp = _num(h.time_utc), h.temperature_c.to_numpy(float)
        ax.plot(t, temp, color=colours[name], linewidth=1.1, label=name, gid=f"temperature:{name}")
        stopped = np.ma.masked_where(~h.throttled.to_numpy(bool), temp)
        ax.plot(t, stopped, color=colours[name], linewidth=3.0, alpha=0.6)
        ax.axhline(info.loc[name, "limit_c"], color=colours[name], linestyle="--", linewidth=0.8)
        ax.axhline(info.loc[name, "throttle_c"], color=colours[name], linestyle=":", linewidth=0.8)
    if names:
        ecl = eclipses[(eclipses.satellite == names[0]) & (eclipses.kind == "umbra")]
        for a, b in zip(_num(ecl.start_utc), _num(ecl.end_utc)):
            ax.axvspan(a, b, color=SHADOW, alpha=0.2, linewidth=0)
    ax.set_ylabel("temperature (degC)")
    shown = f"{len(names)} of {temperatures.satellite.nunique()} satellites, hottest first" if names else ""
    ax.set_title(
        "Thermal node (dashed: limit, the computer stops; dotted: it resumes; thick: stopped by heat); "
        f"shaded: umbra of {names[0]}; {shown}"
        if names
        else "Thermal node"
    )
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, title="satellite")
    _utc_axis(ax)
    return fig


# --- outcomes -------------------------------------------------------------------------------------
def latency_cdf(latency, ax=None):
    """Time-to-product CDF per policy, each distinct deadline marked; hit rates in the legend.

    ``latency`` has ``policy, latency_s, deadline_s, deadline_met`` (a run's workloads table
    with a ``policy`` column, or ``compare_latency.parquet``); undelivered workloads count
    as never arriving, so each curve ends at the delivered share.
    """
    fig, ax = _axes(ax, (7, 4.2))
    for k, (policy, g) in enumerate(latency.groupby("policy", sort=False)):
        lat = np.sort(g.latency_s.dropna().to_numpy(float)) / 60.0
        frac = np.arange(1, len(lat) + 1) / max(1, len(g))
        colour = OKABE_ITO[k % len(OKABE_ITO)]
        hit = 100.0 * g.deadline_met.mean() if len(g) else 0.0
        ax.step(
            np.r_[0.0, lat],
            np.r_[0.0, frac],
            where="post",
            color=colour,
            linestyle=POLICY_LINESTYLES[k % len(POLICY_LINESTYLES)],  # curves that coincide stay visible
            label=f"{policy} (deadline met {hit:.0f} %)",
        )
    for d in sorted(latency.deadline_s.dropna().unique()):
        ax.axvline(d / 60.0, color="black", linestyle=":", linewidth=1)
        ax.annotate(f"deadline {d / 60:.0f} min", (d / 60.0, 0.02), rotation=90, ha="right", va="bottom", fontsize=7)
    ax.set_xscale("symlog", linthresh=10)
    ax.set_xlim(left=0)
    ax.set_xlabel("time to product (min, log beyond 10)")
    ax.set_ylabel("share of workloads delivered")
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.set_title("Time to product")
    return fig


def where_work_ran(workloads, fig=None):
    """Where the work ran (onboard or each data centre): workloads, energy, cost and carbon."""
    done = workloads[workloads.status == "delivered"].copy()
    done["place"] = np.where(done.decision == "onboard", "onboard", done.datacenter.fillna("?"))
    places = ["onboard"] + sorted(p for p in done.place.unique() if p != "onboard")
    g = done.groupby("place")
    count = g.size().reindex(places, fill_value=0)
    onboard_kwh = (g.energy_onboard_j.sum() / 3.6e6).reindex(places, fill_value=0.0)
    ground_kwh = (g.energy_ground_j.sum() / 3.6e6).reindex(places, fill_value=0.0)
    cost = g.cost_cny.sum().reindex(places, fill_value=0.0)
    carbon = (g.carbon_g.sum() / 1e3).reindex(places, fill_value=0.0)
    fig = _figure(fig, (10, 3.4))
    axes = fig.subplots(1, 4)
    x = np.arange(len(places))
    colours = [OKABE_ITO[5]] + [OKABE_ITO[(k + 0) % 5] for k in range(len(places) - 1)]
    axes[0].bar(x, count, color=colours)
    axes[0].set_ylabel("workloads delivered")
    axes[1].bar(x, onboard_kwh, color=OKABE_ITO[5], label="onboard (capture, compute)")
    axes[1].bar(x, ground_kwh, bottom=onboard_kwh, color=OKABE_ITO[0], label="ground (facility)")
    axes[1].set_ylabel("energy (kWh)")
    axes[1].legend(fontsize=7, loc="lower left", bbox_to_anchor=(0.0, 1.02), frameon=False)
    axes[2].bar(x, cost, color=colours)
    axes[2].set_ylabel("electricity cost (CNY)")
    axes[3].bar(x, carbon, color=colours)
    axes[3].set_ylabel("carbon (kg CO2)")
    for ax in axes:
        ax.set_xticks(x, places, rotation=30, ha="right")
    fig.suptitle("Where the delivered work ran")
    return fig


def datacenter_load(datacenter_jobs, tariffs, datacenters, fig=None, bins=144):
    """Per data centre: mean busy servers and mean jobs queued in each of ``bins`` time bins,
    against its price and carbon intensity."""
    ids = list(datacenters.datacenter)
    fig = _figure(fig, (10, 2.3 * max(1, len(ids)) + 0.6))
    axes = np.atleast_1d(fig.subplots(max(1, len(ids)), 1, sharex=True, squeeze=False)[:, 0])
    times = pd.concat([datacenter_jobs.queued_utc, datacenter_jobs.end_utc, tariffs.time_utc]).dropna()
    start, end = (times.min(), times.max()) if len(times) else (pd.Timestamp(0, tz="UTC"), pd.Timestamp(1, tz="UTC"))
    if len(tariffs) > 0 and end <= tariffs.time_utc.max():
        end = tariffs.time_utc.max() + pd.Timedelta(hours=1)
    for ax, dc in zip(axes, ids):
        j = datacenter_jobs[datacenter_jobs.datacenter == dc]
        edges = np.linspace(_num([start])[0], _num([end])[0], bins + 1)
        busy = _mean_occupancy(_num(j.start_utc), _num(j.end_utc), edges)
        queue = _mean_occupancy(_num(j.queued_utc), _num(j.start_utc), edges)
        ax.stairs(busy, edges, color=OKABE_ITO[0], label="busy servers (mean per bin)")
        ax.stairs(queue, edges, color=OKABE_ITO[5], label="jobs queued (mean per bin)")
        tr = tariffs[tariffs.datacenter == dc]
        row = datacenters[datacenters.datacenter == dc].iloc[0]
        if len(tr) and tr.available_power_kw.notna().any() and "server_facility_kw" in datacenters.columns:
            fed = np.minimum(
                row.servers, np.floor(tr.available_power_kw.to_numpy(float) / row.server_facility_kw + 1e-9)
            )
            t = np.r_[_num(tr.time_utc), _num([end])]
            ax.stairs(fed, t, color="black", linewidth=0.9, label="servers the grid supply feeds")
        ax.set_ylabel(f"{dc}\nservers / jobs")
        ax.set_ylim(bottom=0)
        if len(tr):
            t = np.r_[_num(tr.time_utc), _num([end])]
            twin = ax.twinx()
            twin.step(
                t,
                np.r_[tr.price_cny_per_kwh, tr.price_cny_per_kwh.iloc[-1]],
                where="post",
                color=OKABE_ITO[2],
                linestyle="--",
                label="price (CNY/kWh)",
            )
            twin.set_ylabel("price (CNY/kWh)", color=OKABE_ITO[2])
            twin.set_ylim(bottom=0)
            twin2 = ax.twinx()
            twin2.spines["right"].set_position(("axes", 1.09))
            twin2.step(
                t,
                np.r_[tr.carbon_g_per_kwh, tr.carbon_g_per_kwh.iloc[-1]],
                where="post",
                color=OKABE_ITO[3],
                linestyle=":",
                label="carbon (g/kWh)",
            )
            twin2.set_ylabel("carbon (g CO2/kWh)", color=OKABE_ITO[3])
            twin2.set_ylim(bottom=0)
        ax.legend(loc="upper left", bbox_to_anchor=(1.08, 1.0), fontsize=7, frameon=False)
    _utc_axis(axes[-1])
    fig.suptitle("Data-centre load against price (dashed) and carbon intensity (dotted)")
    return fig


def _mean_occupancy(starts, ends, edges):
    """Mean number of the intervals [start, end) open in each bin between ``edges`` (same units)."""
    starts, ends = np.asarray(starts, float), np.asarray(ends, float)
    if starts.size == 0:
        return np.zeros(len(edges) - 1)
    # Integral of the open count up to each edge, then differences over the bin widths.
    covered = np.array([np.clip(e - starts, 0.0, ends - starts).sum() for e in edges])
    return np.diff(covered) / np.diff(edges)


# --- map -----------------------------------------------------------------------------------------------
def world_outlines():
    """Country outlines (Natural Earth 1:110m, packaged): a list of (n, 2) arrays of lon, lat [deg]."""
    with files("spaceground").joinpath("data/world_countries_110m.json").open() as f:
        return [np.asarray(ring, float) for ring in json.load(f)]


def ground_map(
    tracks, stations, datacenters, backhaul, colours=None, ax=None, limit=MAX_SATELLITE_ROWS, hours=2.0,
    isl_transfers=None, targets=None,
):  # fmt: skip
    """Ground tracks over the first ``hours`` (about an orbit: more only hides the map), stations
    (triangles), data centres (squares), backhaul links, the target sites of the workloads (crosses, given
    ``targets``) and, given ``isl_transfers``, the laser sessions that start in those hours between satellites
    shown (dashed, between the two sub-satellite points at the session's start) on a world map. The legends
    stand beside the map, hiding none of it."""
    fig, ax = _axes(ax, (10, 5.4))
    ax.add_collection(PolyCollection(world_outlines(), facecolors="#EDEDED", edgecolors="#A0A0A0", linewidths=0.4))
    names = list(dict.fromkeys(tracks.satellite))[:limit]
    colours = colours or satellite_colours(names)
    if len(tracks):
        tracks = tracks[tracks.time_utc <= tracks.time_utc.min() + pd.Timedelta(hours=hours)]
    for name in names:
        tr = tracks[tracks.satellite == name]
        lon, lat = tr.lon_deg.to_numpy(float), tr.lat_deg.to_numpy(float)
        cut = np.flatnonzero(np.abs(np.diff(lon)) > 180.0) + 1  # break the line at the antimeridian
        segments = [s for s in np.split(np.column_stack([lon, lat]), cut) if len(s) > 1]
        ax.add_collection(LineCollection(segments, colors=colours.get(name, GREY), linewidths=1.0))
    n_laser = _laser_sessions_on_map(ax, tracks, isl_transfers, set(names))
    pos = {r.station: (r.lon_deg, r.lat_deg) for r in stations.itertuples(index=False)}
    dpos = {r.datacenter: (r.lon_deg, r.lat_deg) for r in datacenters.itertuples(index=False)}
    for r in backhaul.itertuples(index=False):
        (x0, y0), (x1, y1) = pos[r.station], dpos[r.datacenter]
        ax.plot([x0, x1], [y0, y1], color="black", linewidth=0.6, alpha=0.5)
    ax.plot(stations.lon_deg, stations.lat_deg, "^", color="black", markersize=6, label="ground station")
    ax.plot(datacenters.lon_deg, datacenters.lat_deg, "s", color=OKABE_ITO[5], markersize=6, label="data centre")
    if targets is not None and len(targets):
        sites = targets.drop_duplicates(["lat_deg", "lon_deg"])
        ax.plot(
            sites.lon_deg,
            sites.lat_deg,
            "x",
            color=ACTIVITY_COLOURS["target"],
            markersize=5,
            label=f"target ({len(sites)})",
        )
    if n_laser:
        ax.plot([], [], linestyle="--", color="black", linewidth=0.8, label=f"laser session ({n_laser}, at its start)")
    for r in stations.itertuples(index=False):
        ax.annotate(r.station, (r.lon_deg, r.lat_deg), xytext=(3, 3), textcoords="offset points", fontsize=6)
    for r in datacenters.itertuples(index=False):
        ax.annotate(
            r.datacenter,
            (r.lon_deg, r.lat_deg),
            xytext=(3, -8),
            textcoords="offset points",
            fontsize=6,
            color=OKABE_ITO[5],
        )
    ax.set_xlim(-180, 180)
    ax.set_ylim(-90, 90)
    ax.set_aspect("equal")
    ax.set_xlabel("longitude (deg)")
    ax.set_ylabel("latitude (deg)")
    ax.add_artist(ax.legend(loc="lower left", bbox_to_anchor=(1.01, 0.0), fontsize=7, frameon=False))
    _satellite_legend(ax, colours, names)
    shown = (
        f" ({len(names)} of {tracks.satellite.nunique()} satellites)" if len(names) < tracks.satellite.nunique() else ""
    )
    ax.set_title(f"Ground tracks of the first {hours:g} h, stations, data centres and backhaul" + shown)
    return fig


def _laser_sessions_on_map(ax, tracks, isl_transfers, shown):
    """Draw each laser session between shown satellites that starts within ``tracks``' times as a dashed line
    between the two sub-satellite points at the track sample nearest its start; returns how many."""
    from .czml import sessions

    if isl_transfers is None or not len(isl_transfers) or not len(tracks):
        return 0
    s = sessions(isl_transfers, peer="to_satellite")
    start_ns = _utc_ns(s.start_utc)
    keep = s.satellite.isin(shown).to_numpy() & s.to_satellite.isin(shown).to_numpy()
    keep &= start_ns <= _utc_ns(tracks.time_utc).max()
    where = {}
    for name, tr in tracks.groupby("satellite"):
        if name in shown:
            t = _utc_ns(tr.time_utc)
            order = np.argsort(t, kind="stable")
            where[name] = (t[order], tr.lon_deg.to_numpy(float)[order], tr.lat_deg.to_numpy(float)[order])
    segments = []
    for a, b, t0 in zip(s.satellite[keep], s.to_satellite[keep], start_ns[keep]):
        ends = []
        for name in (a, b):
            t, lon, lat = where[name]
            i = min(int(np.searchsorted(t, t0)), len(t) - 1)
            ends.append((lon[i], lat[i]))
        if abs(ends[0][0] - ends[1][0]) <= 180.0:  # a link across the antimeridian is left out of the flat map
            segments.append(ends)
    ax.add_collection(LineCollection(segments, colors="black", linestyles="--", linewidths=0.8, gid="laser"))
    return len(segments)


def _utc_ns(times):
    """Nanoseconds since 1970 UTC of timestamps, naive ones read as UTC (tables of older runs may be naive)."""
    return pd.to_datetime(pd.Series(times), utc=True).astype("int64").to_numpy()


# --- comparison ----------------------------------------------------------------------------------
COMPARISON_METRICS = (
    ("net_value", "net value"),
    ("deadline_hit_rate", "deadline hit rate"),
    ("time_to_product_p90_min", "time to product p90 (min)"),
    ("dropped_gb", "data dropped (GB)"),
    ("energy_onboard_kwh", "onboard energy (kWh)"),
    ("cost_cny", "cost (CNY)"),
    ("carbon_kg", "carbon (kg CO2)"),
    ("value_over_bound", "net value / LP bound"),
)


def policy_comparison(compare, metrics=COMPARISON_METRICS, fig=None):
    """The ``compare`` table as grouped bars: one panel per metric, one bar per policy (mean over
    seeds, whiskers from the lowest to the highest seed)."""
    present = [(m, label) for m, label in metrics if m in compare.columns and compare[m].notna().any()]
    if not present:
        raise InputError("policy_comparison: the table has none of the metrics " + ", ".join(m for m, _ in metrics))
    policies = list(dict.fromkeys(compare.policy))
    cols = 4
    rows = -(-len(present) // cols)
    fig = _figure(fig, (11, 2.6 * rows + 0.8))
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
    g = compare.groupby("policy", sort=False)
    x = np.arange(len(policies))
    colours = [OKABE_ITO[k % len(OKABE_ITO)] for k in range(len(policies))]
    for ax, (m, label) in zip(axes, present):
        mean = g[m].mean().reindex(policies)
        lo, hi = g[m].min().reindex(policies), g[m].max().reindex(policies)
        ax.bar(x, mean, color=colours, yerr=[mean - lo, hi - mean], capsize=2, error_kw={"linewidth": 0.8})
        ax.set_title(label)
        ax.set_xticks(x, policies, rotation=40, ha="right", fontsize=7)
    for ax in axes[len(present) :]:
        ax.set_visible(False)
    seeds = compare.seed.nunique() if "seed" in compare.columns else 1
    fig.suptitle(f"Policy comparison ({seeds} seed{'s' if seeds != 1 else ''}; whiskers: lowest to highest seed)")
    return fig


# --- run folders ------------------------------------------------------------------------------------
def figures_of(folder, only=None) -> dict:
    """Draw every figure a run folder (``spaceground run``) or comparison folder (``spaceground compare``)
    supports: name -> Figure. ``only`` restricts to some names of FIGURES."""
    from .results import read_run, read_table

    wanted = list(FIGURES) if not only else list(only)
    unknown = [n for n in wanted if n not in FIGURES]
    if unknown:
        raise InputError(f"unknown figure(s) {unknown}; choose from {list(FIGURES)}")
    out = {}
    if os.path.exists(os.path.join(folder, "compare.csv")):
        compare = read_table(folder, "compare.parquet")
        if "policy_comparison" in wanted:
            out["policy_comparison"] = policy_comparison(compare)
        lat_path = os.path.join(folder, "compare_latency.parquet")
        if "latency_cdf" in wanted and os.path.exists(lat_path):
            out["latency_cdf"] = latency_cdf(read_table(folder, "compare_latency.parquet"))
        return out
    if not os.path.exists(os.path.join(folder, "run.json")):
        raise InputError(
            f"{folder}: not a run folder (no run.json) nor a comparison folder (no compare.csv); "
            "make one with `spaceground run SCENARIO -o DIR` or `spaceground compare ...`"
        )
    res = read_run(folder)
    sc = res.scene
    missing = [n for n in ("satellites", "stations", "eclipses") if n not in sc]
    if missing:
        raise InputError(
            f"{folder}: the run folder has no scene tables ({', '.join(missing)}); it was written by "
            "an older spaceground: run the scenario again"
        )
    colours = satellite_colours(sc["satellites"].satellite)
    w = res.workloads
    draw = {
        "station_timeline": lambda: station_timeline(res.contacts, res.downlinks, sc["stations"], colours),
        "satellite_timeline": lambda: satellite_timeline(
            w, res.downlinks, sc["eclipses"], sc["satellites"], colours, isl_transfers=res.isl_transfers
        ),
        "battery_storage": lambda: battery_storage(
            res.energy, sc["satellites"], sc["eclipses"], colours, names=_busiest(w, sc["satellites"].satellite, 6)
        ),
        "temperatures": lambda: temperatures(res.temperatures, sc["satellites"], sc["eclipses"], colours),
        "latency_cdf": lambda: latency_cdf(_latency_of_run(res)),
        "where_work_ran": lambda: where_work_ran(w),
        "datacenter_load": lambda: datacenter_load(res.datacenter_jobs, sc["tariffs"], sc["datacenters"]),
        "ground_map": lambda: ground_map(
            sc["tracks"],
            sc["stations"],
            sc["datacenters"],
            sc["backhaul"],
            colours,
            isl_transfers=res.isl_transfers,
            targets=sc.get("targets"),
        ),
    }
    for name in wanted:
        if name == "temperatures" and (not len(res.temperatures) or "limit_c" not in sc["satellites"]):
            continue  # no satellite of the run has a thermal node
        if name in draw:
            out[name] = draw[name]()
    return out


def _latency_of_run(res):
    w = res.workloads
    lat = w[["workload", "latency_s", "deadline_met"]].copy()
    lat["deadline_s"] = (w.deadline_utc - w.capture_utc).dt.total_seconds().round(3)
    lat.insert(0, "policy", res.run_info.get("policy", "run"))
    return lat


def write_figure(fig, path, dpi=150):
    """Write a figure to ``path`` (its type from the extension), whole or not at all."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, bbox_inches="tight", format=os.path.splitext(path)[1][1:].lower())
    return path


def save_figure(fig, path, dpi=150):
    """:func:`write_figure`, then close the figure."""
    write_figure(fig, path, dpi)
    plt.close(fig)
    return path


def plot_run(folder, only=None, output=None, formats=("png", "svg"), dpi=150) -> list:
    """Write the figures of a run or comparison folder as PNG and SVG; returns the paths written."""
    output = output or os.path.join(folder, "figures")
    os.makedirs(output, exist_ok=True)
    paths = []
    for name, fig in figures_of(folder, only).items():
        paths += [write_figure(fig, os.path.join(output, f"{name}.{ext}"), dpi) for ext in formats]
        plt.close(fig)
    return paths


# --- sweeps ----------------------------------------------------------------------------------------
def plot_sweep(table, metric="net_value", x=None, by=None, fig=None):
    """A metric against a varied parameter, one line per policy (mean over seeds, band from the
    lowest to the highest seed), one panel per value of a second parameter ``by``.

    ``table`` is a sweep's results (``sweep.parquet``); ``x`` and ``by`` default to the first
    and second varied parameters other than ``policy.name``."""
    if metric not in table.columns:
        raise InputError(
            f"plot-sweep: no metric {metric!r} in the sweep table; metrics: "
            + ", ".join(c for c in table.columns if table[c].dtype.kind in "fi")
        )
    done = table[table.status == "done"]
    cols = list(table.columns)
    if "seed" not in cols or "status" not in cols:
        raise InputError("plot-sweep: not a sweep table (it needs the seed and status columns of sweep.parquet)")
    keys = cols[cols.index("seed") + 1 : cols.index("status")]  # the varied parameters sit between the two
    varied = [c for c in keys if c != "policy.name" and table[c].nunique(dropna=True) > 1]
    x = x or (varied[0] if varied else None)
    if x is None or x not in table.columns:
        raise InputError(f"plot-sweep: name the parameter for the x axis with --x (varied: {varied or 'none'})")
    others = [c for c in varied if c != x]
    by = by if by is not None else (others[0] if others else None)
    if by is not None and by not in table.columns:
        raise InputError(f"plot-sweep: --by {by!r} is not a varied parameter (varied: {varied})")
    panels = list(pd.unique(done[by].dropna())) if by else [None]
    fig = _figure(fig, (4.2 * min(3, len(panels)) + 1.5, 3.4 * -(-len(panels) // 3)))
    axes = np.atleast_1d(fig.subplots(-(-len(panels) // 3), min(3, len(panels)), squeeze=False)).ravel()
    policy_col = "policy.name" if "policy.name" in done.columns else None
    policy_colour = (
        {p: OKABE_ITO[k % len(OKABE_ITO)] for k, p in enumerate(pd.unique(done[policy_col]))} if policy_col else {}
    )
    for ax, panel in zip(axes, panels):
        sub = done if by is None else done[done[by] == panel]
        groups = sub.groupby(policy_col, sort=False) if policy_col else [("run", sub)]
        for policy, g in groups:
            stats = g.groupby(x)[metric].agg(["mean", "min", "max"]).sort_index()
            xs = stats.index.to_numpy()
            colour = policy_colour.get(policy, OKABE_ITO[0])
            ax.plot(xs, stats["mean"], "o-", color=colour, label=str(policy))
            if g.seed.nunique() > 1:
                ax.fill_between(xs, stats["min"], stats["max"], color=colour, alpha=0.2, linewidth=0)
        ax.set_xlabel(x)
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
        if by is not None:
            ax.set_title(f"{by} = {panel}")
        ax.legend(fontsize=7)
    for ax in axes[len(panels) :]:
        ax.set_visible(False)
    seeds = done.seed.nunique()
    fig.suptitle(f"{metric} against {x} ({seeds} seed{'s' if seeds != 1 else ''}; band: lowest to highest)")
    return fig
