"""The public Python API of spaceground.

Everything a study needs is importable from here::

    from spaceground.api import contact_windows
    passes = contact_windows("constellations/eo_2025-10-03.tle", select=["SENTINEL*"],
                             start="2025-10-03T12:00:00Z", hours=24)

Functions return pandas DataFrames with documented columns; times are
timezone-aware UTC ``Timestamp`` columns, durations in seconds, angles in degrees.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from .errors import (
    ExcludedSatelliteWarning,
    InputError,
    SelectionError,
    SpacegroundError,
    StaleElementsError,
    StaleElementsWarning,
    TLEFormatError,
)
from .geometry import Geometry, compute_geometry
from .illumination import SunTable, shadow_angles, sunlit_fraction_from_angles
from .orbits import Constellation, Satellite, check_epochs, load_tle, parse_tle, propagate_teme, warn_excluded
from .orientation import EarthOrientation
from .results import Results, read_run
from .scenario import ScenarioError, load_scenario
from .stations import Station, default_catalogue, read_stations_csv, resolve_stations
from .timebase import Span, format_utc_ms, parse_utc

__all__ = [
    "Constellation",
    "ExcludedSatelliteWarning",
    "Geometry",
    "InputError",
    "SelectionError",
    "Satellite",
    "Span",
    "SpacegroundError",
    "StaleElementsError",
    "StaleElementsWarning",
    "Station",
    "TLEFormatError",
    "contact_windows",
    "default_stations",
    "eclipse_intervals",
    "format_utc_ms",
    "geometry",
    "load_constellation",
    "load_tle",
    "parse_tle",
    "parse_utc",
    "read_stations_csv",
    "sunlit_fraction",
    "plot_run",
    "write_report",
    "export_czml",
    "sweep",
    "Results",
    "ScenarioError",
    "load_scenario",
    "read_run",
    "run_scenario",
    "validate_scenario",
    "available_policies",
    "compare",
    "upper_bound",
]


def default_stations(min_elevation_deg=None):
    """The packaged catalogue of 21 real ground stations (list of :class:`Station`)."""
    return default_catalogue(min_elevation_deg)


def load_constellation(tle, select=None) -> Constellation:
    """A :class:`Constellation` from a TLE path (or an existing one), narrowed by ``select``.

    ``select`` holds NORAD ids and case-insensitive name globs (``["SENTINEL-2*", 25544]``).
    """
    if isinstance(tle, Constellation):
        constellation = tle
    elif isinstance(tle, (str, os.PathLike)):
        constellation = load_tle(tle)
    else:
        raise InputError(f"tle must be a TLE file path or a Constellation, got {type(tle).__name__}")
    if select:
        constellation = constellation.select([str(s) for s in select])
    return constellation


def geometry(
    tle,
    *,
    start,
    hours,
    select=None,
    stations=None,
    min_elevation_deg=None,
    contacts=True,
    eclipses=True,
    allow_stale=False,
    step_s=None,
    progress=None,
) -> Geometry:
    """Contact windows and eclipses of a constellation over a span.

    Parameters
    ----------
    tle : path or Constellation
    start : str or Timestamp
        Span start, ISO 8601 with a zone (``"2025-10-03T12:00:00Z"``).
    hours : float
        Span length [h].
    select : list of str, optional
        NORAD ids or name globs.
    stations : list, optional
        Station ids of the default catalogue, station CSV paths or :class:`Station`
        objects; the whole catalogue when omitted.
    min_elevation_deg : float, optional
        Elevation mask for every station [deg]; otherwise each station's own
        (10 deg in the catalogue).
    allow_stale : bool
        Accept element sets more than 14 days from ``start`` (otherwise an error).
    step_s : float, optional
        Search grid step [s]; see :func:`spaceground.geometry.default_step_s`.
    progress : callable(done, total), optional

    Returns
    -------
    Geometry
        ``.contacts``, ``.eclipses`` and ``.excluded`` DataFrames (see
        :func:`contact_windows` and :func:`eclipse_intervals`).
    """
    constellation = load_constellation(tle, select)
    span = Span.from_hours(start, hours)
    check_epochs(constellation, span.start, allow_stale=allow_stale)
    station_list = resolve_stations(stations, min_elevation_deg) if contacts else []
    result = compute_geometry(
        constellation, station_list, span, contacts=contacts, eclipses=eclipses, step_s=step_s, progress=progress
    )
    warn_excluded(result.excluded)
    return result


def contact_windows(tle, *, start, hours, select=None, stations=None, min_elevation_deg=None, allow_stale=False,
                    progress=None) -> pd.DataFrame:  # fmt: skip
    """Every pass of every satellite over every station in the span.

    Returns
    -------
    pandas.DataFrame, one row per pass, sorted by AOS:

    ==================  =============================================================
    satellite           the TLE's name line (``"NORAD <id>"`` for 2-line sets)
    norad_id            catalogue number
    station             station id
    aos_utc             acquisition of signal: rises above the mask (UTC Timestamp)
    tca_utc             culmination: time of maximum elevation
    los_utc             loss of signal: sets below the mask
    duration_s          ``los - aos`` [s]
    max_elevation_deg   elevation at ``tca`` [deg]
    aos_azimuth_deg     azimuth at AOS, clockwise from north [deg]
    los_azimuth_deg     azimuth at LOS [deg]
    clipped             the pass was in progress at the span start or end, and its
                        AOS or LOS (and TCA, elevation) are those of the clipped part
    ==================  =============================================================

    Satellites whose SGP4 fails in the span are left out with an
    :class:`ExcludedSatelliteWarning` naming the reason.
    """
    return geometry(
        tle, start=start, hours=hours, select=select, stations=stations, min_elevation_deg=min_elevation_deg,
        eclipses=False, allow_stale=allow_stale, progress=progress,
    ).contacts  # fmt: skip


def eclipse_intervals(tle, *, start, hours, select=None, allow_stale=False, progress=None) -> pd.DataFrame:
    """Umbra and penumbra intervals of every satellite (conical shadow, spherical Earth).

    Returns
    -------
    pandas.DataFrame, one row per interval, by satellite then start:

    ==========  ==================================================================
    satellite   the TLE's name line
    norad_id    catalogue number
    kind        ``umbra`` (Sun wholly hidden) or ``penumbra`` (partly hidden); the
                kinds do not overlap: a penumbra row is only the partial phase
    start_utc   interval start (UTC Timestamp)
    end_utc     interval end
    duration_s  [s]
    clipped     the interval was in progress at the span start or end
    ==========  ==================================================================
    """
    return geometry(
        tle, start=start, hours=hours, select=select, contacts=False, allow_stale=allow_stale, progress=progress
    ).eclipses


def sunlit_fraction(tle, times, *, select=None) -> pd.DataFrame:
    """Visible fraction of the solar disc (0 in umbra .. 1 in sunlight) at given times.

    Parameters
    ----------
    tle : path or Constellation
    times : sequence of UTC times (ISO strings or Timestamps), ascending

    Returns
    -------
    pandas.DataFrame indexed by ``time_utc`` with one column per satellite name.
    Satellites whose SGP4 fails at a time get NaN there.
    """
    constellation = load_constellation(tle, select)
    index = pd.DatetimeIndex([parse_utc(t, "times") for t in times], name="time_utc")
    if len(index) == 0:
        return pd.DataFrame(index=index, columns=constellation.names, dtype=float)
    span = Span(index[0], max((index[-1] - index[0]).total_seconds(), 1.0))
    t_s = span.seconds_of(index)
    jd_w, jd_f = span.jd_utc(t_s)
    r, _, err = propagate_teme(constellation, jd_w, jd_f)
    sun = SunTable(span, EarthOrientation(span))(t_s)
    frac = sunlit_fraction_from_angles(*shadow_angles(r, sun[None]))
    frac[err != 0] = np.nan
    return pd.DataFrame(frac.T, index=index, columns=constellation.names)


def validate_scenario(path):
    """Load and validate a scenario file and resolve its references (no simulation).

    Returns the resolved :class:`spaceground.model.Model`; raises
    :class:`ScenarioError` naming file, line and key path on any fault.
    """
    from .model import resolve

    loaded = load_scenario(path)
    model = resolve(loaded)
    check_epochs(model.constellation, model.span.start, allow_stale=model.allow_stale)
    from .policies import make_policy

    try:  # checks a user policy's file without running it: validate runs no code from the scenario
        make_policy(model.policy_name, model.policy_params, base_dir=model.base_dir, check_only=True)
    except InputError as exc:
        raise loaded.error(("policy", "name"), str(exc)) from None
    return model


def available_policies():
    """Names of the registered scheduling policies."""
    from .policies import available

    return available()


def run_scenario(scenario, *, seed=None, policy=None, output=None, progress=None, cache=None,
                 allow_code=False) -> Results:
    """Run a scenario and return its :class:`Results` (tables as DataFrames, metrics).

    Parameters
    ----------
    scenario : path or LoadedScenario
    seed : int, optional
        Replaces the scenario's seed.
    policy : str, optional
        Replaces the scenario's policy (its params are kept only for the same policy).
    output : path, optional
        Write a run folder there (see :mod:`spaceground.results`).
    progress : callable(stage, done, total), optional
    cache : spaceground.cache.GeometryCache, optional
        Serve contact windows, eclipses and target access computed before (see :mod:`spaceground.cache`).
    allow_code : bool
        Run the user policy (``module:Class``, a file beside the scenario) that the scenario names;
        without it such a scenario is refused. A ``policy`` given here is consent for that policy.
    """
    import time

    from .results import build_results, write_run
    from .scenario import LoadedScenario
    from .simulate import execute, prepare

    started = time.perf_counter()
    loaded = scenario if isinstance(scenario, LoadedScenario) else load_scenario(scenario)
    loaded = loaded.with_overrides(seed=seed, policy=policy, allow_code=True if allow_code else None)
    model, inputs = prepare(loaded, progress=(lambda d, t: progress("geometry", d, t)) if progress else None,
                            cache=cache)  # fmt: skip
    records, info = execute(model, inputs, progress=(lambda d, t: progress("simulation", d, t)) if progress else None)
    run_info = {
        "scenario": loaded.source,
        "scenario_sha256": loaded.sha256,
        "name": model.name,
        "seed": model.seed,
        "policy": info["policy"],
        "policy_params": model.policy_params if info["policy"] == model.policy_name else {},
        "satellites": len(model.constellation),
        "stations": len(model.stations),
        "datacenters": len(model.datacenters),
        "captures": len(inputs.captures),
        "excluded_satellites": inputs.geometry.excluded.to_dict("records"),
        "stages_s": {**inputs.stage_s, "engine_s": info["engine_s"]},
        "policy_decisions": info["decisions"],
    }
    results = build_results(model, inputs, records, run_info)
    results.run_info["stages_s"]["total_s"] = time.perf_counter() - started
    if output is not None:
        write_run(results, loaded, output)
    return results


COMPARE_COLUMNS = [
    "policy", "seed", "captures", "time_to_product_p50_min", "time_to_product_p90_min", "time_to_product_p99_min",
    "deadline_hit_rate", "value_delivered", "net_value", "value_bound", "value_over_bound", "downlinked_gb",
    "dropped_gb", "energy_onboard_kwh", "energy_ground_kwh", "max_depth_of_discharge", "cost_cny", "carbon_kg",
    "contact_utilisation", "engine_s",
]  # fmt: skip


def compare(scenario, policies, *, seeds=None, bound=True, bound_time_limit_s=120.0, max_bound_binaries=400_000,
            output=None, progress=None) -> pd.DataFrame:
    """Run several policies on one scenario, the geometry computed once; one row per policy and seed.

    ``value_bound`` is the LP relaxation of the ``milp-optimal`` programme on the same
    captures (see :mod:`spaceground.policies.milp`): no policy's ``net_value`` exceeds it,
    so ``value_over_bound`` is a certified quality ratio. It is left out (NaN) where the
    programme would have more than ``max_bound_binaries`` binaries. With ``output``, the
    table is written there as ``compare.csv`` and ``compare.parquet`` beside ``compare.json``
    (scenario, hash, seeds, versions) and ``compare_latency.parquet`` (every workload's
    time to product under each policy and seed, for the CDF figure).
    """
    import json

    from .atomic import atomic_folder
    from .engine import Engine
    from .policies import make_policy
    from .policies.milp import formulate, solve
    from .results import _versions, build_results
    from .scenario import LoadedScenario
    from .simulate import execute, prepare, reseed

    loaded = scenario if isinstance(scenario, LoadedScenario) else load_scenario(scenario)
    policies = list(policies)
    for name in policies:
        try:  # the caller names these policies: its consent to run them
            make_policy(name, loaded.model.policy.params if name == loaded.model.policy.name else {},
                        base_dir=loaded.base_dir, allow_code=True, time_limit_s=loaded.model.policy.time_limit_s)
        except InputError as exc:
            raise InputError(f"--policies: {exc}") from None
    model0, inputs0 = prepare(loaded, progress=(lambda d, t: progress("geometry", d, t)) if progress else None)
    seeds = [model0.seed] if not seeds else [int(x) for x in seeds]
    rows, latencies = [], []
    deadline_of = {w.name: w.deadline_s for w in model0.workloads}
    for seed in seeds:
        model, inputs = reseed(model0, inputs0, seed) if seed != model0.seed else (model0, inputs0)
        value_bound = float("nan")
        if bound:
            form = formulate(Engine.plan(model, inputs))
            if form.stats["binaries"] <= max_bound_binaries:
                value_bound = solve(form, time_limit_s=bound_time_limit_s, relax=True).objective
            if progress:
                progress(f"bound (seed {seed})", 1, 1)
        for k, name in enumerate(policies):
            params = model.policy_params if name == model.policy_name else {}
            records, info = execute(model, inputs, name, params)
            res = build_results(model, inputs, records, info, scene=False)
            m = res.metrics
            w = res.workloads
            latencies.append(pd.DataFrame({"policy": name, "seed": seed, "workload": w.workload, "status": w.status,
                                           "latency_s": w.latency_s, "deadline_s": w.workload.map(deadline_of),
                                           "deadline_met": w.deadline_met}))  # fmt: skip
            rows.append({
                "policy": name, "seed": seed, **{c: m.get(c) for c in COMPARE_COLUMNS if c in m},
                "value_bound": value_bound,
                "value_over_bound": m["net_value"] / value_bound if value_bound and value_bound == value_bound else float("nan"),
                "engine_s": info["engine_s"],
            })  # fmt: skip
            if progress:
                progress(f"policies (seed {seed})", k + 1, len(policies))
    table = pd.DataFrame(rows)[COMPARE_COLUMNS]
    if output is not None:
        with atomic_folder(output) as tmp:
            table.to_csv(os.path.join(tmp, "compare.csv"), index=False)
            table.to_parquet(os.path.join(tmp, "compare.parquet"), index=False)
            pd.concat(latencies, ignore_index=True).to_parquet(os.path.join(tmp, "compare_latency.parquet"), index=False)
            with open(os.path.join(tmp, "compare.json"), "w") as f:
                json.dump({"scenario": loaded.source, "scenario_sha256": loaded.sha256, "name": model0.name,
                           "policies": policies, "seeds": seeds, "versions": _versions()}, f, indent=2)  # fmt: skip
    return table


def upper_bound(scenario, *, seed=None, time_limit_s=120.0) -> dict:
    """The LP bound on ``net_value`` for a scenario's captures (see :func:`compare`), with the programme's size."""
    from .engine import Engine
    from .policies.milp import upper_bound as lp_bound
    from .scenario import LoadedScenario
    from .simulate import prepare

    loaded = scenario if isinstance(scenario, LoadedScenario) else load_scenario(scenario)
    model, inputs = prepare(loaded.with_overrides(seed=seed))
    return lp_bound(Engine.plan(model, inputs), time_limit_s=time_limit_s)


def plot_run(folder, only=None, output=None, formats=("png", "svg")) -> list:
    """Draw the figures of a run or comparison folder (see :mod:`spaceground.plotting`); returns the paths."""
    from .plotting import plot_run as _plot_run

    return _plot_run(folder, only=only, output=output, formats=formats)


def write_report(folder, output=None) -> str:
    """Write the self-contained HTML report of a run or comparison folder; returns its path."""
    from .report import write_report as _write_report

    return _write_report(folder, output)


def export_czml(folder, output) -> str:
    """Write a run folder as CZML for Cesium-based viewers (see :mod:`spaceground.czml`); returns the path."""
    from .czml import write_czml
    from .results import read_run

    return write_czml(read_run(folder), output)


def sweep(path, *, output=None, scheduler=None, workers=None, cache_dir=None, progress=True,
          allow_code=False) -> pd.DataFrame:
    """Run a sweep file on Dask (see :mod:`spaceground.sweep`); returns one row per variant and seed."""
    from .sweep import run_sweep

    return run_sweep(path, output=output, scheduler=scheduler, workers=workers, cache_dir=cache_dir,
                     progress=progress, allow_code=allow_code)  # fmt: skip
