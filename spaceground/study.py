"""Studies of one scenario: several policies side by side over seeds, and the LP bound on what any policy
can earn (the orchestration behind ``spaceground compare`` and :mod:`spaceground.api`)."""

from __future__ import annotations

import os
import warnings

import numpy as np
import pandas as pd

from .atomic import atomic_folder
from .engine import Engine
from .errors import BoundWarning, InputError
from .policies import make_policy
from .progress import stage_progress
from .results import _versions, build_results
from .scenario import LoadedScenario, load_scenario, yaml_scalar
from .simulate import execute, prepare, reseed


def split_policies(text) -> list[str]:
    """``--policies`` split at the commas outside brackets: ``a,b[x=1, y=2],c`` gives three entries."""
    out, depth, cur = [], 0, []
    for ch in str(text):
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        if ch == "," and depth == 0:
            out.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
    out.append("".join(cur).strip())
    return [p for p in out if p]


def policy_variant(entry) -> tuple:
    """``(label, name, params)`` of one entry of ``compare``'s policies: a name (``"lookahead"``), a name with a
    parameter set in brackets (``"lookahead[energy_margin=0.2, pricing=false]"``, values read as YAML scalars), or
    a ``(name, params)`` pair. ``params`` is None for a bare name (the scenario's own params for its policy)."""
    if isinstance(entry, (tuple, list)):
        if len(entry) != 2 or not isinstance(entry[1], dict):
            raise InputError(f"policies: {entry!r}: give a name, 'name[key=value, ...]' or a (name, params) pair")
        name, params = str(entry[0]), dict(entry[1])
        label = name + ("[" + ", ".join(f"{k}={v}" for k, v in params.items()) + "]" if params else "")
        return label, name, params
    text = str(entry).strip()
    if "[" not in text:
        if "]" in text:
            raise InputError(f"--policies: {text!r}: a ']' without its '['")
        return text, text, None
    name, _, rest = text.partition("[")
    if not rest.endswith("]") or "[" in rest:
        raise InputError(f"--policies: {text!r}: write a parameter set as name[key=value, key=value]")
    params = {}
    for item in filter(None, (x.strip() for x in rest[:-1].split(","))):
        key, eq, value = item.partition("=")
        if not eq or not key.strip().isidentifier():
            raise InputError(f"--policies: {text!r}: {item!r} is not key=value")
        try:
            params[key.strip()] = yaml_scalar(value.strip()) if value.strip() else None
        except ValueError:
            raise InputError(f"--policies: {text!r}: {value.strip()!r} is not a value") from None
    return text.replace(" ", ""), name.strip(), params


COMPARE_COLUMNS = [
    "policy",
    "seed",
    "captures",
    "time_to_product_p50_min",
    "time_to_product_p90_min",
    "time_to_product_p99_min",
    "deadline_hit_rate",
    "value_delivered",
    "net_value",
    "value_bound",
    "value_over_bound",
    "downlinked_gb",
    "dropped_gb",
    "energy_onboard_kwh",
    "energy_ground_kwh",
    "max_depth_of_discharge",
    "cost_cny",
    "station_cost_cny",
    "carbon_kg",
    "contact_utilisation",
    "engine_s",
]


def compare(
    scenario,
    policies,
    *,
    seeds=None,
    bound=True,
    bound_time_limit_s=120.0,
    max_bound_binaries=400_000,
    output=None,
    progress=None,
) -> pd.DataFrame:
    """Run several policies on one scenario, the geometry computed once; one row per policy and seed.

    ``value_bound`` is the LP relaxation of the ``milp-optimal`` programme on the same
    captures (see :mod:`spaceground.policies.milp`): no policy's ``net_value`` exceeds it,
    so ``value_over_bound`` is a certified quality ratio. It is left out (NaN) where the
    programme would have more than ``max_bound_binaries`` binaries. With ``output``, the
    table is written there as ``compare.csv`` and ``compare.parquet`` beside ``compare.json``
    (scenario, hash, seeds, versions) and ``compare_latency.parquet`` (every workload's
    time to product under each policy and seed, for the CDF figure). ``progress=True`` prints each
    stage's progress on stderr as ``spaceground compare`` does; a callable receives ``(stage, done, total)``.
    """
    import json

    from .policies.milp import formulate, solve

    progress = stage_progress(progress)
    loaded = scenario if isinstance(scenario, LoadedScenario) else load_scenario(scenario)
    variants = []
    for entry in policies:
        label, name, params = policy_variant(entry)
        own = dict(loaded.model.policy.params) if name == loaded.model.policy.name else {}
        params = own if params is None else {**own, **params}  # a parameter set overrides the scenario's params
        try:  # the caller names these policies: its consent to run them
            make_policy(
                name, params, base_dir=loaded.base_dir, allow_code=True, time_limit_s=loaded.model.policy.time_limit_s
            )
        except InputError as exc:
            raise InputError(f"--policies: {label}: {exc}") from None
        variants.append((label, name, params))
    labels = [v[0] for v in variants]
    if len(set(labels)) < len(labels):
        raise InputError(f"--policies: {labels}: an entry is given twice")
    policies = labels
    model0, inputs0 = prepare(loaded, progress=(lambda d, t: progress("geometry", d, t)) if progress else None)
    seeds = [model0.seed] if not seeds else [int(x) for x in seeds]
    rows, latencies = [], []
    deadline_of = {w.name: w.deadline_s for w in model0.workloads}
    for seed in seeds:
        model, inputs = reseed(model0, inputs0, seed) if seed != model0.seed else (model0, inputs0)
        value_bound = float("nan")
        plan = Engine.plan(model, inputs, truth=True) if bound else None
        if bound:
            form = formulate(plan)
            if form.stats["binaries"] <= max_bound_binaries:
                value_bound = solve(form, time_limit_s=bound_time_limit_s, relax=True).objective
            if progress:
                progress(f"bound (seed {seed})", 1, 1)
        for k, (label, name, params) in enumerate(variants):
            records, info = execute(model, inputs, name, params)
            res = build_results(model, inputs, records, info, scene=False)
            m = res.metrics
            w = res.workloads
            row_bound = value_bound
            if value_bound == value_bound and _multi_hop(res.isl_transfers):
                row_bound = float("nan")
                warnings.warn(f"compare: {label} (seed {seed}): {MULTI_HOP}", BoundWarning, stacklevel=2)
            latencies.append(
                pd.DataFrame(
                    {
                        "policy": label,
                        "seed": seed,
                        "workload": w.workload,
                        "status": w.status,
                        "latency_s": w.latency_s,
                        "deadline_s": w.workload.map(deadline_of),
                        "deadline_met": w.deadline_met,
                    }
                )
            )
            rows.append(
                {
                    "policy": label,
                    "seed": seed,
                    **{c: m.get(c) for c in COMPARE_COLUMNS if c in m},
                    "value_bound": row_bound,
                    "value_over_bound": m["net_value"] / row_bound
                    if row_bound and row_bound == row_bound
                    else float("nan"),
                    "engine_s": info["engine_s"],
                }
            )
            if progress:
                progress(f"policies (seed {seed})", k + 1, len(policies))
    table = pd.DataFrame(rows)[COMPARE_COLUMNS]
    if output is not None:
        with atomic_folder(output) as tmp:
            table.to_csv(os.path.join(tmp, "compare.csv"), index=False)
            table.to_parquet(os.path.join(tmp, "compare.parquet"), index=False)
            pd.concat(latencies, ignore_index=True).to_parquet(
                os.path.join(tmp, "compare_latency.parquet"), index=False
            )
            with open(os.path.join(tmp, "compare.json"), "w") as f:
                json.dump(
                    {
                        "scenario": loaded.source,
                        "scenario_sha256": loaded.sha256,
                        "name": model0.name,
                        "policies": policies,
                        "seeds": seeds,
                        "versions": _versions(),
                    },
                    f,
                    indent=2,
                )
    return table


MULTI_HOP = (
    "its routes took captures (or their products) across more than one inter-satellite link; the bound's "
    "programme has routes of one laser hop each way, so it is no bound on this run and is left out (NaN)"
)


def _multi_hop(isl_transfers) -> bool:
    """Did any capture's raw data, or its product, cross inter-satellite links from more than one satellite (a
    route of several hops each way)?"""
    if not len(isl_transfers):
        return False
    return bool((isl_transfers.groupby(["capture_id", "kind"])["satellite"].nunique() > 1).any())


def upper_bound(scenario, *, seed=None, time_limit_s=120.0) -> dict:
    """The LP bound on ``net_value`` for a scenario's captures (see :func:`compare`), with the programme's size."""
    from .policies.milp import upper_bound as lp_bound

    loaded = scenario if isinstance(scenario, LoadedScenario) else load_scenario(scenario)
    model, inputs = prepare(loaded.with_overrides(seed=seed))
    return lp_bound(Engine.plan(model, inputs, truth=True), time_limit_s=time_limit_s)


def ground_network_bound(scenario, *, seed=None) -> dict:
    """The most bytes a scenario's ground network could carry down if every satellite always had data to send from
    its first capture on: the exact optimum of that saturated case without acquisition time, an upper bound on
    every handover rule and policy.

    Time is cut at every window start and end, every rate step (adaptive coding) and every satellite's first
    capture, so each window's rate is constant within a cell; in each cell the antennas go to the satellites by a
    maximum-weight assignment (a satellite transmits through one station at a time, a station serves as many as it
    has antennas). Returns
    ``bound_bytes``, ``windows_bytes`` (the sum of the window capacities: what the network would carry if no two
    windows competed), ``cells`` and ``satellites``."""
    from .links import assign_antennas, downlink_rows

    loaded = scenario if isinstance(scenario, LoadedScenario) else load_scenario(scenario)
    model, inputs = prepare(loaded.with_overrides(seed=seed))
    lw = downlink_rows(inputs.links)
    antennas = [g.antennas for g in model.stations]
    caps = inputs.captures
    first = np.full(len(model.constellation), np.inf)
    if len(caps):
        np.minimum.at(first, caps["sat"].to_numpy(dtype=np.int64), caps["time_s"].to_numpy(dtype=float))
    ready = first[lw.sender]  # per window row: when its satellite first holds data
    cuts = np.unique(np.r_[lw.start_s, lw.end_s, lw.rate_start_s, first[np.isfinite(first)]])
    total = 0.0
    for c0, c1 in zip(cuts[:-1], cuts[1:]):
        rows = np.flatnonzero((lw.start_s <= c0) & (lw.end_s >= c1) & (ready <= c0))
        if not len(rows):
            continue
        edges = [
            (int(lw.sender[row]), int(lw.receiver[row]), lw.capacity_between(int(row), float(c0), float(c1)), int(row))
            for row in rows
        ]
        total += sum(w for _, w in assign_antennas(edges, antennas).values())
    return {
        "bound_bytes": total,
        "windows_bytes": float(lw.capacity_bytes().sum()),
        "cells": int(len(cuts) - 1),
        "satellites": len(model.constellation),
    }
