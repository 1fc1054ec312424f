"""Tasking plans: captures a planner has already scheduled, read from a CSV file and checked row by row.

A plan file has one capture a row::

    satellite,time_utc,lat_deg,lon_deg,target,class
    SENTINEL-2A,2025-10-03T03:12:40Z,39.90,116.40,Beijing,optical

``satellite`` is a NORAD id or a satellite's name as in the element file (case-insensitive), ``time_utc``
an ISO 8601 time with its zone, ``lat_deg``/``lon_deg`` the imaged point (WGS 84); ``target`` (a name for
the tables) and ``class`` (the workload class that takes the row, when several classes name the same
file) may be left out. Every row is checked before anything runs: the satellite is one of the scenario's
imaging satellites that the class may use, the time lies in the span, and the satellite can image the point
then (its elevation above the point's horizon, its off-nadir angle, and for a daylight class the Sun over
the point). A row that fails is refused, naming its line and the reason with the numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import InputError
from .imaging import view_of_points
from .orbits import propagate_points, sgp4_error_message
from .textfiles import read_csv_table
from .workloads import lit_enough, sun_elevation_deg

REQUIRED = ("satellite", "time_utc", "lat_deg", "lon_deg")
OPTIONAL = ("target", "class")
MAX_REASONS = 10  # refused rows listed in one error; the count of the rest follows


@dataclass(frozen=True)
class PlannedCaptures:
    """The rows of a plan one workload class takes, checked: time from the span start [s], satellite index."""

    t_s: np.ndarray
    sat: np.ndarray
    target: tuple
    lat_deg: np.ndarray
    lon_deg: np.ndarray
    line: np.ndarray  # the file line of each row, for messages

    def __len__(self):
        return len(self.t_s)


def read_plan(path) -> pd.DataFrame:
    """The rows of a plan file as strings, with their file ``line``; structural faults are InputErrors."""
    df = read_csv_table(
        path,
        "tasking plan",
        f"give a header line ({', '.join(REQUIRED)}) and a row a capture",
        dtype=str,
        keep_default_na=False,
        skipinitialspace=True,
    )
    df.columns = [str(c).strip() for c in df.columns]
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise InputError(
            f"{path}: no column {', '.join(map(repr, missing))} (columns: {', '.join(df.columns)}); "
            f"a plan needs {', '.join(REQUIRED)} and may have {', '.join(OPTIONAL)}"
        )
    unknown = [c for c in df.columns if c not in REQUIRED + OPTIONAL]
    if unknown:
        raise InputError(
            f"{path}: unknown column {', '.join(map(repr, unknown))}; a plan has {', '.join(REQUIRED + OPTIONAL)}"
        )
    if len(df) == 0:
        raise InputError(f"{path}: no rows below the header; give one capture a row")
    df = df.apply(lambda col: col.str.strip())
    df["line"] = np.arange(len(df)) + 2
    return df


def _number(df, col, lo, hi, path):
    values = pd.to_numeric(df[col], errors="coerce")
    bad = values.isna() | ~np.isfinite(values) | (values < lo) | (values > hi)
    if bad.any():
        k = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            f"{path}, line {df['line'].iloc[k]}: {col} must be a number from {lo:g} to {hi:g}, got {df[col].iloc[k]!r}"
        )
    return values.to_numpy(float)


def _satellite_index(df, constellation, allowed, path):
    by_id = {s.norad_id: i for i, s in enumerate(constellation)}
    by_name = {}
    for i, s in enumerate(constellation):
        by_name.setdefault(s.name.strip().upper(), i)
    out = np.empty(len(df), dtype=int)
    for k, (text, line) in enumerate(zip(df["satellite"], df["line"])):
        i = by_id.get(int(text)) if text.isdigit() else by_name.get(text.upper())
        if i is None:
            raise InputError(
                f"{path}, line {line}: satellite {text!r} is not among the scenario's imaging satellites "
                "(give a NORAD id or the name as in the element file)"
            )
        if i not in allowed:
            raise InputError(
                f"{path}, line {line}: satellite {text!r} does not capture this class (its 'satellites' leave it out)"
            )
        out[k] = i
    return out


def check_plan(df, path, constellation, allowed, span, orientation, trigger, daylight_only, min_sun_elevation_deg):
    """The checked captures of plan rows ``df`` (from :func:`read_plan`, already those of one class).

    ``allowed`` holds the satellite indices the class may use; ``trigger`` carries ``min_elevation_deg`` and
    ``max_off_nadir_deg``. Rows that cannot be imaged are refused together, each with its reason.
    """
    if len(df) == 0:
        return PlannedCaptures(np.zeros(0), np.zeros(0, int), (), np.zeros(0), np.zeros(0), np.zeros(0, int))
    lat = _number(df, "lat_deg", -90.0, 90.0, path)
    lon = _number(df, "lon_deg", -180.0, 360.0, path)
    sat = _satellite_index(df, constellation, allowed, path)
    try:
        times = pd.DatetimeIndex(pd.to_datetime(df["time_utc"], format="ISO8601"))
    except (ValueError, TypeError, OverflowError):
        times = None
    if times is None or times.tz is None:
        for text, line in zip(df["time_utc"], df["line"]):
            try:
                ts = pd.Timestamp(text)
            except (ValueError, TypeError, OverflowError):
                raise InputError(
                    f"{path}, line {line}: time_utc {text!r} is not a time; write it like 2025-10-03T12:00:00Z"
                ) from None
            if ts.tzinfo is None:
                raise InputError(
                    f"{path}, line {line}: time_utc {text!r} has no zone; write it like 2025-10-03T12:00:00Z"
                )
        raise InputError(f"{path}: column time_utc mixes zones; write every time in UTC with a Z")
    t_s = span.seconds_of(times.tz_convert("UTC"))
    lines = df["line"].to_numpy()
    outside = (t_s < 0.0) | (t_s >= span.duration_s)
    if outside.any():
        k = int(np.flatnonzero(outside)[0])
        raise InputError(
            f"{path}, line {lines[k]}: time_utc {df['time_utc'].iloc[k]} lies outside the span "
            f"{span.start.isoformat()} + {span.duration_s / 3600:g} h"
        )
    jd_w, jd_f = span.jd_utc(t_s)
    r_teme, v_teme, err = propagate_points(constellation, sat, jd_w, jd_f)
    reasons = []
    for k in np.flatnonzero(err):
        reasons.append((k, f"SGP4 fails then ({sgp4_error_message(int(err[k]))})"))
    good = err == 0
    r_itrf, _ = orientation.teme_to_itrf(r_teme, v_teme, t_s)
    elevation, off_nadir = view_of_points(r_itrf, lat, lon)
    floor = trigger.elevation_floor_deg()
    for k in np.flatnonzero(good & (elevation < floor)):
        reasons.append((k, f"the satellite stands {elevation[k]:.1f} deg above the target's horizon, below {floor:g}"))
    if trigger.max_off_nadir_deg is not None:
        limit = trigger.max_off_nadir_deg
        for k in np.flatnonzero(good & (elevation >= floor) & (off_nadir > limit)):
            reasons.append(
                (
                    k,
                    f"the target is {off_nadir[k]:.1f} deg off nadir, beyond {limit:g} (max_off_nadir_deg)",
                )
            )
    if daylight_only:
        sun_floor = 0.0 if min_sun_elevation_deg is None else min_sun_elevation_deg
        sun = sun_elevation_deg(span, t_s, lat, lon)
        dark = ~lit_enough(sun, min_sun_elevation_deg)
        refused = {k for k, _ in reasons}
        for k in np.flatnonzero(dark):
            if k not in refused:
                reasons.append(
                    (k, f"the Sun stands {sun[k]:.1f} deg over the target, below {sun_floor:g} (a daylight class)")
                )
    if reasons:
        reasons.sort()
        shown = [
            f"  line {lines[k]}: {df['satellite'].iloc[k]} at {df['time_utc'].iloc[k]} over "
            f"{df['target'].iloc[k] + ' ' if 'target' in df.columns and df['target'].iloc[k] else ''}"
            f"({lat[k]:.4f}, {lon[k]:.4f}): {why}"
            for k, why in reasons[:MAX_REASONS]
        ]
        more = f"\n  and {len(reasons) - MAX_REASONS} more" if len(reasons) > MAX_REASONS else ""
        raise InputError(
            f"{path}: {len(reasons)} of {len(df)} planned captures cannot be imaged; correct or remove them:\n"
            + "\n".join(shown)
            + more
        )
    names = tuple(df["target"]) if "target" in df.columns else ("",) * len(df)
    order = np.argsort(t_s, kind="stable")
    return PlannedCaptures(t_s[order], sat[order], tuple(names[k] for k in order), lat[order], lon[order], lines[order])
