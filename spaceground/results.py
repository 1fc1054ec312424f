"""Results: engine records -> tidy DataFrames, metrics, and run folders on disk.

A run folder holds one Parquet file per table, ``metrics.json``, ``summary.csv``,
the scenario as given (``scenario.yaml``) and as resolved with every default
(``scenario.resolved.json``), the element sets it generated from elements (``generated.tle``, when it did), and
``run.json`` with the seed, the scenario hash,
package versions and stage timings. :func:`read_run` loads a folder back.

Tables (times are UTC Timestamps; energies J, bytes B, money CNY, carbon g):

``workloads``  one row per capture: ``capture_id, workload, target, satellite,
               norad_id, capture_utc, deadline_utc, decision, status, drop_reason, onboard_start_utc,
               onboard_end_utc, station, downlink_start_utc, downlink_end_utc,
               datacenter, backhaul_start_utc, backhaul_end_utc, dc_queue_wait_s,
               dc_start_utc, dc_end_utc, delivered_utc, latency_s, deadline_met,
               raw_bytes, product_bytes, bytes_delivered, energy_onboard_j,
               energy_ground_j, cost_cny, carbon_g, value``
``contacts``   every contact window and how it was used: ``satellite, station, aos_utc,
               los_utc, duration_s, used_s, bytes, capacity_bytes, utilisation,
               booked, station_cost_cny`` (booked: anything was sent in it, or it was booked ahead at a station
               with a booking lead time; the price of the pass when booked)
``downlinks``  every transmission: ``satellite, station, capture_id, kind, start_utc,
               end_utc, bytes``
``energy``     the state of each satellite at every change: ``satellite, time_utc,
               energy_wh, soc, generated_wh, consumed_wh, curtailed_wh, unserved_wh,
               storage_bytes``
``datacenter_jobs``  every ground job: ``datacenter, capture_id, queued_utc,
               start_utc, end_utc, energy_j, cost_cny, carbon_g``
``transfers``  every backhaul transfer: ``station, datacenter, capture_id, start_utc,
               end_utc, bytes``

and the setting of the run (:mod:`spaceground.scene`, in ``Results.scene``, files
``scene_<name>.parquet``): satellites, stations, data centres, backhaul, tariffs,
eclipses and ground tracks.
"""

from __future__ import annotations

import html
import json
import os
import platform
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version

import numpy as np
import pandas as pd
import pyarrow as pa

from .atomic import RUN_MARKER, atomic_folder
from .constants import ZERO_CELSIUS_K
from .errors import InputError
from .links import downlink_rows, pass_price_cny
from .records import (
    BOOKING_FIELDS,
    CONTACT_FIELDS,
    CROSSING_FIELDS,
    DC_JOB_FIELDS,
    DECISIONS,
    DOWNLINK_FIELDS,
    ENERGY_FIELDS,
    KINDS,
    STATUSES,
    TEMPERATURE_FIELDS,
    TRANSFER_FIELDS,
    WORKLOAD_TIMES,
    record_columns,
)
from .scene import SCENE_TABLES, scene_tables
from .workloads import CLOUD_COLUMN

_ARROW_TEXT = int(pd.__version__.split(".")[0]) >= 3  # pandas 3 keeps text as Arrow strings ("str")
TABLES = (
    "workloads",
    "contacts",
    "downlinks",
    "energy",
    "datacenter_jobs",
    "transfers",
    "isl_transfers",
    "temperatures",
)
# Tables an older run folder may lack (read as empty, with these columns).
_ADDED_LATER = {
    "isl_transfers": ["satellite", "to_satellite", "capture_id", "kind", "start_utc", "end_utc", "bytes"],
    "temperatures": ["satellite", "time_utc", "temperature_c", "throttled"],
}


CSV_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"  # the CSV tables' times: ISO 8601 UTC to the microsecond


@dataclass
class Results:
    """The tables and metrics of one run."""

    workloads: pd.DataFrame
    contacts: pd.DataFrame
    downlinks: pd.DataFrame
    energy: pd.DataFrame
    datacenter_jobs: pd.DataFrame
    transfers: pd.DataFrame
    isl_transfers: pd.DataFrame  # raw data crossing inter-satellite links, one row per piece sent
    temperatures: pd.DataFrame  # the thermal nodes of satellites with a thermal model, one row per state change
    metrics: dict
    run_info: dict = field(default_factory=dict)
    scene: dict = field(default_factory=dict)  # the setting: see spaceground.scene
    generated_tle: str = ""  # the element sets the scenario generated (Walker shells, clones): ``generated.tle``

    def summary(self) -> pd.DataFrame:
        """The metrics as a two-column table (metric, value)."""
        return pd.DataFrame({"metric": list(self.metrics), "value": list(self.metrics.values())})

    def __repr__(self):
        info = self.run_info
        head = f"Results of {info.get('name', 'a run')} under {info.get('policy', '?')} (seed {info.get('seed', '?')})"
        rows = ", ".join(f"{name} {len(getattr(self, name)):,}" for name in TABLES)
        m = self.metrics
        key = ", ".join(f"{k} {m[k]:.4g}" for k in ("value_delivered", "net_value", "deadline_hit_rate") if k in m)
        return f"{head}: {key}; rows: {rows}"

    def _repr_html_(self):
        """A notebook's view: the run, its metrics and the size of each table (every text escaped)."""
        info = self.run_info
        title = html.escape(f"{info.get('name', 'run')} under {info.get('policy', '?')}, seed {info.get('seed', '?')}")

        def cell(value):
            if isinstance(value, float):
                return "NaN" if value != value else f"{value:,.6g}"
            return html.escape(str(value))

        metrics = "".join(f"<tr><td>{html.escape(k)}</td><td>{cell(v)}</td></tr>" for k, v in self.metrics.items())
        tables = "".join(
            f"<tr><td>{name}</td><td>{len(getattr(self, name)):,}</td>"
            f"<td>{html.escape(', '.join(map(str, getattr(self, name).columns)))}</td></tr>"
            for name in TABLES
        )
        return (
            f"<div><strong>spaceground results: {title}</strong>"
            f"<table><tr><th>metric</th><th>value</th></tr>{metrics}</table>"
            f"<table><tr><th>table</th><th>rows</th><th>columns</th></tr>{tables}</table></div>"
        )


def _times(span, values):
    """UTC timestamps of seconds ``values`` from the span start (NaN: NaT), built in one array (a table may
    have millions of rows)."""
    values = np.asarray(values, dtype=float)
    ok = np.isfinite(values)
    ns = np.full(values.shape, np.iinfo(np.int64).min, dtype=np.int64)  # NaT
    if ok.any():
        ns[ok] = span.datetimes(values[ok]).asi8
    return pd.DatetimeIndex(ns.view("datetime64[ns]")).tz_localize("UTC").array


def _words(codes, words):
    """A text column of ``words[code]`` for each code (-1 or a word None: missing), made from the codes in one
    step (a table may have millions of rows, of a few distinct words each): pandas' text type (Arrow strings)
    under pandas 3, as it would infer from the words; Python strings under pandas 2."""
    codes = np.asarray(codes, dtype=np.int64)
    valid = np.array([w is not None for w in words] + [False])  # [False]: code -1
    missing = ~valid[codes]
    if not _ARROW_TEXT:
        return np.asarray([*words, None], dtype=object)[codes]
    dictionary = pa.array(["" if w is None else w for w in words], type=pa.string())
    indices = pa.array(np.where(missing, 0, codes).astype(np.int32), mask=missing)
    return pd.array(pa.DictionaryArray.from_arrays(indices, dictionary).cast(pa.large_string()), dtype="str")


def _workload_columns(columns, captures, transfers, dc_jobs) -> dict:
    """The engine's :class:`~spaceground.records.WorkloadColumns` as arrays, one entry a capture made before the
    span ended, in the capture table's order: the capture's own fields from the capture table, the rest as the
    engine wrote them (codes as words, None where unset; times and nodes NaN where unset), and the ground part
    from the transfer and data-centre job records (``record_columns`` of each; each fact is written once by the
    engine, and a capture has at most one of each)."""
    ids = captures["capture_id"].to_numpy(np.int64)
    status = np.frombuffer(columns.status, dtype=np.int8)
    rows = np.flatnonzero(status[ids] > 0)
    cid = ids[rows]
    out = {"capture_id": cid, "sat": captures["sat"].to_numpy(np.int64)[rows]}
    out["workload"] = captures["workload"].to_numpy(np.int64)[rows]
    out["target"] = captures["target"].to_numpy(object)[rows]
    out["cloudy"] = captures[CLOUD_COLUMN].to_numpy(bool)[rows]
    out["status"] = _words(status[cid], STATUSES)
    out["decision"] = _words(np.frombuffer(columns.decision, np.int8)[cid], (None, *DECISIONS[1:]))
    out["drop_reason"] = _words(np.frombuffer(columns.drop_reason, dtype=np.int64)[cid], columns.reasons)
    for name in ("raw_bytes", "product_bytes", "compute_top", "value", "energy_onboard_j", *WORKLOAD_TIMES):
        out[name] = np.frombuffer(getattr(columns, name), dtype=float)[cid]
    for name, rec, field_name in (
        ("backhaul_end_s", transfers, "end_s"),
        ("dc_queued_s", dc_jobs, "queued_s"),
        ("dc_start_s", dc_jobs, "start_s"),
        ("dc_end_s", dc_jobs, "end_s"),
        ("energy_ground_j", dc_jobs, "energy_j"),
        ("cost_cny", dc_jobs, "cost_cny"),
        ("carbon_g", dc_jobs, "carbon_g"),
    ):
        full = np.full(columns.n, np.nan)
        full[rec["capture_id"].astype(np.int64)] = rec[field_name]
        out[name] = full[cid]
    return out


def build_results(model, inputs, records, run_info=None, scene=True) -> Results:
    """The tables and metrics of a run; ``scene=False`` leaves out the setting (for metrics only).

    ``records`` are consumed: each log is freed once its tables are built (a run of millions of captures would
    otherwise hold its records and its tables at once); building from them again raises ``ValueError``."""
    span = model.span
    names = [s.name for s in model.constellation]
    ids = model.constellation.norad_ids
    st_ids = [g.station.station_id for g in model.stations]
    dc_ids = [d.id for d in model.datacenters]
    # Captures after the end of the span have no row; a run with no capture (a target never overflown) has the
    # same columns, and no rows.
    # Each record log is read once and freed as its tables are built (Records.take).
    d = record_columns(records.take("downlinks"), DOWNLINK_FIELDS)
    t = record_columns(records.take("transfers"), TRANSFER_FIELDS)
    j = record_columns(records.take("dc_jobs"), DC_JOB_FIELDS)
    w = _workload_columns(records.take("workloads"), inputs.captures, t, j)
    n = len(w["capture_id"])
    sat = w["sat"]
    delivered = w["delivered_s"]
    is_delivered = w["status"] == "delivered"
    workload_names = [spec.name for spec in model.workloads]
    workloads = pd.DataFrame(
        {
            "capture_id": w["capture_id"],
            "workload": _words(w["workload"], workload_names),
            "target": w["target"],
            "satellite": _named(names, sat),
            "norad_id": ids[sat] if n else np.zeros(0, np.int64),
            "capture_utc": _times(span, w["capture_s"]),
            "deadline_utc": _times(span, w["deadline_s"]),
            "decision": w["decision"],
            "status": w["status"],
            "drop_reason": w["drop_reason"],
            "compute_satellite": _named(names, w["compute_sat"]),
            "onboard_start_utc": _times(span, w["onboard_start_s"]),
            "onboard_end_utc": _times(span, w["onboard_end_s"]),
            "station": _named(st_ids, w["station"]),
            "downlink_start_utc": _times(span, w["downlink_start_s"]),
            "downlink_end_utc": _times(span, w["downlink_end_s"]),
            "datacenter": _named(dc_ids, w["datacenter"]),
            "backhaul_start_utc": _times(span, w["backhaul_start_s"]),
            "backhaul_end_utc": _times(span, w["backhaul_end_s"]),
            "dc_queue_wait_s": w["dc_start_s"] - w["dc_queued_s"],
            "dc_start_utc": _times(span, w["dc_start_s"]),
            "dc_end_utc": _times(span, w["dc_end_s"]),
            "delivered_utc": _times(span, delivered),
            "latency_s": delivered - w["capture_s"],
            "deadline_met": is_delivered & (delivered <= w["deadline_s"]),
            "raw_bytes": w["raw_bytes"],
            "product_bytes": w["product_bytes"],
            "bytes_downlinked": _bytes_downlinked(d, w),
            "bytes_delivered": np.where(is_delivered, w["product_bytes"], 0.0),
            "energy_onboard_j": w["energy_onboard_j"],
            "energy_ground_j": np.nan_to_num(w["energy_ground_j"], nan=0.0),
            "cost_cny": np.nan_to_num(w["cost_cny"], nan=0.0),
            "carbon_g": np.nan_to_num(w["carbon_g"], nan=0.0),
            "value": w["value"],
            "cloudy": w["cloudy"],
        },
        copy=False,
    )

    del w, sat, delivered, is_delivered
    downlinks = _pieces_table(span, d, ("satellite", names, "sat"), ("station", st_ids, "station"))
    del d
    contacts = _contacts_table(model, inputs, records.take("contacts"), names, st_ids, records.take("bookings"))
    e = record_columns(records.take("energy"), ENERGY_FIELDS)
    battery_j = np.array([hw.battery_j for hw in model.hardware])
    energy = pd.DataFrame(
        {
            "satellite": _named(names, e["sat"]),
            "time_utc": _times(span, e["time_s"]),
            "energy_wh": e["energy_j"] / 3600.0,
            "soc": e["energy_j"] / battery_j[e["sat"].astype(int)] if len(e["sat"]) else np.zeros(0),
            "generated_wh": e["generated_j"] / 3600.0,
            "consumed_wh": e["consumed_j"] / 3600.0,
            "curtailed_wh": e["curtailed_j"] / 3600.0,
            "unserved_wh": e["unserved_j"] / 3600.0,
            "storage_bytes": e["storage_bytes"],
        },
        copy=False,
    )
    datacenter_jobs = pd.DataFrame(
        {
            "datacenter": _named(dc_ids, j["dc"]),
            "capture_id": j["capture_id"].astype(np.int64),
            "queued_utc": _times(span, j["queued_s"]),
            "start_utc": _times(span, j["start_s"]),
            "end_utc": _times(span, j["end_s"]),
            "energy_j": j["energy_j"],
            "cost_cny": j["cost_cny"],
            "carbon_g": j["carbon_g"],
        },
        copy=False,
    )
    transfers = pd.DataFrame(
        {
            "station": _named(st_ids, t["station"]),
            "datacenter": _named(dc_ids, t["dc"]),
            "capture_id": t["capture_id"].astype(np.int64),
            "start_utc": _times(span, t["start_s"]),
            "end_utc": _times(span, t["end_s"]),
            "bytes": t["bytes"],
        },
        copy=False,
    )
    del e
    x = record_columns(records.take("crossings"), CROSSING_FIELDS)
    isl_transfers = _pieces_table(span, x, ("satellite", names, "sender"), ("to_satellite", names, "receiver"))
    h = record_columns(records.take("temperatures"), TEMPERATURE_FIELDS)
    temperatures = pd.DataFrame(
        {
            "satellite": _named(names, h["sat"]),
            "time_utc": _times(span, h["time_s"]),
            "temperature_c": h["temperature_k"] - ZERO_CELSIUS_K,
            "throttled": h["throttled"] > 0.5,
        },
        copy=False,
    )
    res = Results(
        workloads,
        contacts,
        downlinks,
        energy,
        datacenter_jobs,
        transfers,
        isl_transfers,
        temperatures,
        {},
        run_info or {},
        scene_tables(model, inputs) if scene else {},
    )
    res.metrics = compute_metrics(res, model)
    res.metrics.update(plan_metrics(res.metrics, (run_info or {}).get("policy_report")))
    return res


def routes_of(workloads: pd.DataFrame, isl_transfers: pd.DataFrame) -> pd.Series:
    """The route each capture took, in words, by capture id: ``dropped``, ``onboard`` (computed where it was
    captured), ``raw down`` (downlinked raw from its own satellite), ``offload to X`` (across inter-satellite links
    to X, computed there; ``offload via A, B`` over several hops; ``..., product through R`` when the product
    crossed on to R and came down from there) or ``relay through X`` (across to X and down raw from there). A
    capture still on its way when the span ended is named by the route it was given."""
    hops = {}  # capture id -> (raw hops, product hops)
    if len(isl_transfers):
        x = isl_transfers.sort_values("start_utc", kind="stable")
        for cid, to, kind in zip(x.capture_id.to_numpy(), x.to_satellite.to_numpy(), x.kind.to_numpy()):
            via = hops.setdefault(int(cid), ([], []))[kind == "product"]
            if not via or via[-1] != to:
                via.append(to)
    out = []
    for cid, decision in zip(workloads.capture_id.to_numpy(), workloads.decision.to_numpy()):
        via, then = hops.get(int(cid), ((), ()))
        if decision == "drop":
            out.append("dropped")
        elif via:
            word = "offload" if decision == "onboard" else "relay"
            route = (
                f"{word} {'to' if word == 'offload' else 'through'} {via[0]}"
                if len(via) == 1
                else f"{word} via {', '.join(via)}"
            )
            out.append(route + (f", product through {', '.join(then)}" if then else ""))
        else:
            out.append("onboard" if decision == "onboard" else "raw down")
    return pd.Series(out, index=workloads.capture_id.to_numpy(), name="route")


def _pieces_table(span, columns, sender, receiver) -> pd.DataFrame:
    """Pieces of items sent over a link (downlinks, inter-satellite transfers): ``sender`` and ``receiver`` are
    (column name, node names, record field)."""
    return pd.DataFrame(
        {
            sender[0]: _named(sender[1], columns[sender[2]]),
            receiver[0]: _named(receiver[1], columns[receiver[2]]),
            "capture_id": columns["capture_id"].astype(np.int64),
            "kind": _words(columns["kind"], KINDS),
            "start_utc": _times(span, columns["start_s"]),
            "end_utc": _times(span, columns["end_s"]),
            "bytes": columns["bytes"],
        },
        copy=False,
    )


def _named(names, index):
    """``names[index]`` for each index (a NaN index: missing), as a text column (see :func:`_words`)."""
    index = np.asarray(index, dtype=float)
    return _words(np.where(np.isfinite(index), index, -1).astype(np.int64), names)


def _bytes_downlinked(downlinks, w):
    """Bytes downlinked of each workload ``w`` (its capture ids), from the downlink pieces (``record_columns``)."""
    cid = w["capture_id"]
    if not len(cid):
        return np.zeros(0)
    size = int(max(cid.max(), downlinks["capture_id"].max() if len(downlinks["capture_id"]) else 0)) + 1
    per = np.bincount(downlinks["capture_id"].astype(np.int64), weights=downlinks["bytes"], minlength=size)
    return per[cid]


def _contacts_table(model, inputs, log, names, st_ids, bookings=None):
    c = record_columns(log, CONTACT_FIELDS)
    # One row per window of the link table (grouped by satellite, by start within each).
    links = downlink_rows(inputs.links)
    sat, station = links.sender.astype(int), links.receiver.astype(int)
    aos, los = links.start_s, links.end_s
    used_s, used_bytes = np.zeros(len(aos)), np.zeros(len(aos))
    if len(c["sat"]):
        at = links.first_rows(len(model.constellation))[c["sat"].astype(np.int64)] + c["window"].astype(np.int64)
        np.add.at(used_s, at, c["end_s"] - c["start_s"])
        np.add.at(used_bytes, at, c["bytes"])
    capacity = links.capacity_bytes()
    with np.errstate(divide="ignore", invalid="ignore"):
        utilisation = np.where(capacity > 0, used_bytes / capacity, 0.0)
    # Ground station as a service: a pass is booked, and billed whole, when anything is sent in it; its minutes are
    # rounded up, as AWS Ground Station bills (reference-numbers #61).
    # A pass booked ahead (a station with a booking lead time) is billed whether or not anything was sent in it.
    booked = used_s > 0.0
    b = record_columns(bookings if bookings is not None else [], BOOKING_FIELDS)
    if len(b["sat"]):
        booked[links.first_rows(len(model.constellation))[b["sat"].astype(np.int64)] + b["window"].astype(np.int64)] = (
            True
        )
    per_min = np.array([g.price_per_min_cny for g in model.stations], dtype=float)[station]
    per_pass = np.array([g.price_per_pass_cny for g in model.stations], dtype=float)[station]
    station_cost = np.where(booked, pass_price_cny(per_pass, per_min, los - aos), 0.0)
    return pd.DataFrame(
        {
            "satellite": _words(sat, names),
            "station": _words(station, st_ids),
            "aos_utc": _times(model.span, aos),
            "los_utc": _times(model.span, los),
            "duration_s": los - aos,
            "used_s": used_s,
            "bytes": used_bytes,
            "capacity_bytes": capacity,
            "utilisation": utilisation,
            "booked": booked,
            "station_cost_cny": station_cost,
        },
        copy=False,
    )


def compute_metrics(res: Results, model) -> dict:
    """The metrics of a run, from its tables alone; ``docs/metrics.md`` defines each (tested against it)."""
    w = res.workloads
    # Column by column (a filtered copy of the whole table would double a run of millions of captures).
    is_delivered = (w.status == "delivered").to_numpy(bool)
    lat_min = w.latency_s[is_delivered] / 60.0
    e = res.energy
    last = e.groupby("satellite").tail(1)
    first = e.groupby("satellite").head(1)
    dod = 1.0 - e.groupby("satellite").soc.min()
    stored = w.decision.notna()  # the policy decided on it: the engine took the capture (refused ones have no decision)
    captured_bytes = float(w.raw_bytes[stored].sum())
    is_dropped = (w.status == "dropped").to_numpy(bool)
    contacts = res.contacts
    value = float((w.value * w.deadline_met).sum())
    cost = float(res.datacenter_jobs.cost_cny.sum())
    station_cost = float(contacts.station_cost_cny.sum()) if "station_cost_cny" in contacts.columns else 0.0
    carbon_kg = float(res.datacenter_jobs.carbon_g.sum() / 1e3)
    ob = model.objective
    return {
        "captures": int(len(w)),
        "delivered": int(is_delivered.sum()),
        "dropped": int(is_dropped.sum()),
        "still_onboard": int(w.status.isin(["queued_onboard", "queued_downlink", "queued_crossing"]).sum()),
        "in_ground_pipeline": int(w.status.isin(["on_ground", "backhaul", "queued_ground"]).sum()),
        "processed_onboard": int(w.onboard_end_utc.notna().sum()),
        "processed_ground": int(len(res.datacenter_jobs)),
        "deadline_hit_rate": float(w.deadline_met.sum() / len(w)) if len(w) else 0.0,
        "value_delivered": value,
        "net_value": value
        - ob.cost_weight_per_cny * (cost + station_cost)
        - ob.carbon_weight_per_kg * carbon_kg
        - ob.onboard_energy_weight_per_wh * float(w.energy_onboard_j.sum() / 3600.0),
        "time_to_product_p50_min": float(np.percentile(lat_min, 50)) if len(lat_min) else float("nan"),
        "time_to_product_p90_min": float(np.percentile(lat_min, 90)) if len(lat_min) else float("nan"),
        "time_to_product_p99_min": float(np.percentile(lat_min, 99)) if len(lat_min) else float("nan"),
        "captured_gb": captured_bytes / 1e9,
        "downlinked_gb": float(res.downlinks.bytes.sum() / 1e9),
        "delivered_product_gb": float(w.bytes_delivered.sum() / 1e9),
        "dropped_gb": float(w.raw_bytes[is_dropped].sum() / 1e9),
        "energy_onboard_kwh": float(w.energy_onboard_j.sum() / 3.6e6),
        "energy_ground_kwh": float(res.datacenter_jobs.energy_j.sum() / 3.6e6),
        "cost_cny": cost,
        "station_cost_cny": station_cost,
        "carbon_kg": carbon_kg,
        "max_depth_of_discharge": float(dod.max()) if len(dod) else 0.0,
        "min_soc": float(e.soc.min()) if len(e) else float("nan"),
        "curtailed_wh": float(last.curtailed_wh.sum() - first.curtailed_wh.sum()),
        "contact_utilisation": float(contacts.bytes.sum() / contacts.capacity_bytes.sum())
        if contacts.capacity_bytes.sum() > 0
        else 0.0,
        "max_temperature_c": float(res.temperatures.temperature_c.max()) if len(res.temperatures) else float("nan"),
        "throttled_h": _throttled_s(res.temperatures, model.span.end) / 3600.0,
    }


def _throttled_s(temperatures, end_utc) -> float:
    """Seconds the satellites' computers were stopped by heat, summed over satellites: each row of the temperature
    table holds until the satellite's next row (its last until ``end_utc``)."""
    if not len(temperatures):
        return 0.0
    t = temperatures.sort_values(["satellite", "time_utc"], kind="stable")
    nxt = t.groupby("satellite").time_utc.shift(-1).fillna(pd.Timestamp(end_utc))
    held = (nxt - t.time_utc).dt.total_seconds()
    return float(held[t.throttled.to_numpy(bool)].sum())


def plan_metrics(metrics, policy_report) -> dict:
    """What an offline planner planned beside what the engine made of its plan: ``planned_value`` (the
    net value the plan expected; its ``report()`` gives it) and ``executed_over_planned`` (``net_value``
    over it); NaN for a policy that plans nothing."""
    planned = (policy_report or {}).get("planned_value")
    if planned is None or not np.isfinite(planned):
        return {"planned_value": float("nan"), "executed_over_planned": float("nan")}
    ratio = metrics["net_value"] / planned if planned > 0 else float("nan")
    return {"planned_value": float(planned), "executed_over_planned": float(ratio)}


def _versions():
    out = {"python": platform.python_version()}
    for pkg in (
        "spaceground",
        "numpy",
        "pandas",
        "simpy",
        "sgp4",
        "skyfield",
        "skyfield-data",
        "astropy-iers-data",
        "numba",
        "pyerfa",
        "pydantic",
        "pyyaml",
        "pyarrow",
    ):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = None
    return out


GENERATED_TLE = "generated.tle"


def write_run(res: Results, loaded, folder, csv=False) -> str:
    """Write a run folder, whole or not at all; returns its path.

    The folder is built under a temporary name beside ``folder`` and renamed into place when
    every file is in it (:mod:`spaceground.atomic`); an earlier folder there is replaced whole.
    ``run.json`` is written last: a folder without it is not a run folder. With ``csv`` every table is
    also written as CSV (times in ISO 8601 UTC, text as written, missing values empty)."""
    with atomic_folder(folder) as tmp:
        for name in TABLES:
            getattr(res, name).to_parquet(os.path.join(tmp, f"{name}.parquet"), index=False)
            if csv:
                getattr(res, name).to_csv(os.path.join(tmp, f"{name}.csv"), index=False, date_format=CSV_TIME_FORMAT)
        for name, table in res.scene.items():
            table.to_parquet(os.path.join(tmp, f"scene_{name}.parquet"), index=False)
        _write(os.path.join(tmp, "metrics.json"), json.dumps(res.metrics, indent=2))
        res.summary().to_csv(os.path.join(tmp, "summary.csv"), index=False)
        if res.generated_tle:  # to reuse them (``constellation: {tle: generated.tle}``) and check them
            _write(os.path.join(tmp, GENERATED_TLE), res.generated_tle)
        _write(os.path.join(tmp, "scenario.yaml"), loaded.text)
        _write(
            os.path.join(tmp, "scenario.resolved.json"),
            json.dumps(loaded.model.model_dump(mode="json"), indent=2, sort_keys=True),
        )
        info = {**res.run_info, "versions": _versions()}
        _write(os.path.join(tmp, RUN_MARKER), json.dumps(info, indent=2, default=str))
    return folder


def _write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())


def read_run(folder) -> Results:
    """Load a run folder written by :func:`write_run`."""
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"run folder not found: {folder}")
    if not os.path.isfile(os.path.join(folder, RUN_MARKER)):
        raise InputError(f"{folder}: not a run folder (no {RUN_MARKER}); give a folder written by `spaceground run`")
    tables = {
        name: read_table(folder, f"{name}.parquet")
        for name in TABLES
        if name not in _ADDED_LATER or os.path.exists(os.path.join(folder, f"{name}.parquet"))
    }
    for name in set(_ADDED_LATER) - set(tables):  # a folder written before the table existed: none of its rows
        tables[name] = pd.DataFrame(columns=_ADDED_LATER[name])
    metrics = read_json(folder, "metrics.json")
    info = read_json(folder, RUN_MARKER)
    scene = {}
    for name in SCENE_TABLES:
        if os.path.exists(os.path.join(folder, f"scene_{name}.parquet")):  # older folders have no scene tables
            scene[name] = read_table(folder, f"scene_{name}.parquet")
    generated = ""
    if os.path.exists(os.path.join(folder, GENERATED_TLE)):
        with open(os.path.join(folder, GENERATED_TLE), encoding="utf-8") as f:
            generated = f.read()
    return Results(**tables, metrics=metrics, run_info=info, scene=scene, generated_tle=generated)


def _corrupt(folder, name, why):
    return InputError(
        f"{os.path.join(folder, name)}: {why}; the run folder is damaged: run the scenario again "
        "(`spaceground run SCENARIO -o FOLDER --overwrite`)"
    )


def read_table(folder, name) -> pd.DataFrame:
    """A Parquet table of a run or compare folder; a missing or damaged one is an :class:`InputError` naming it."""
    path = os.path.join(folder, name)
    if not os.path.isfile(path):
        raise _corrupt(folder, name, "missing")
    try:
        return pd.read_parquet(path)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises many kinds for a damaged file
        raise _corrupt(folder, name, f"not a readable Parquet table ({type(exc).__name__}: {exc})") from None


def read_json(folder, name) -> dict:
    """A JSON object of a run or compare folder; a missing or damaged one is an :class:`InputError` naming it."""
    path = os.path.join(folder, name)
    if not os.path.isfile(path):
        raise _corrupt(folder, name, "missing")
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _corrupt(folder, name, f"not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise _corrupt(folder, name, "not a JSON object")
    return data
