"""Ground data centres: energy of work, and electricity price and carbon over time.

A job of ``compute_top`` tera-operations on hardware drawing ``power_w_per_tops``
watts per TOPS uses ``compute_top x power_w_per_tops`` joules of IT energy whatever
its speed; the facility draws ``PUE`` times that. Price and carbon intensity are
step functions of UTC time: a constant, a 24-hour profile, or a CSV time series;
cost and carbon integrate them over the interval the work runs.
"""

from __future__ import annotations

from bisect import bisect_right

import numpy as np
import pandas as pd

from .errors import InputError
from .textfiles import read_csv_table

J_PER_KWH = 3.6e6


def facility_energy_j(compute_top, power_w_per_tops, pue):
    """Facility energy of a job [J]: IT energy (tera-ops x W/TOPS) times PUE."""
    return float(compute_top) * float(power_w_per_tops) * float(pue)


class StepSeries:
    """A value that holds from each breakpoint to the next; times in seconds of a span.

    Parameters
    ----------
    t_s : ndarray
        Breakpoints [s], ascending; the first value holds before the first breakpoint.
    values : ndarray
    """

    def __init__(self, t_s, values):
        self.t_s = np.asarray(t_s, dtype=float)
        self.values = np.asarray(values, dtype=float)
        if self.t_s.ndim != 1 or self.t_s.shape != self.values.shape or self.t_s.size == 0:
            raise InputError("a step series needs as many times as values, at least one")
        if np.any(np.diff(self.t_s) <= 0):
            raise InputError("step-series times must increase strictly")
        self._t = self.t_s.tolist()  # scalar look-ups (the engine's hot path) use bisect on lists
        self._v = self.values.tolist()

    @classmethod
    def constant(cls, value):
        return cls([0.0], [value])

    @classmethod
    def hourly(cls, values_24, span_start: pd.Timestamp, duration_s: float):
        """A 24-hour UTC profile repeated over a span."""
        start = pd.Timestamp(span_start).tz_convert("UTC")
        first_hour = start.floor("h")
        n = int(np.ceil((duration_s + (start - first_hour).total_seconds()) / 3600.0)) + 1
        hours = first_hour + pd.to_timedelta(np.arange(n), "h")
        t = (hours - start).total_seconds().to_numpy()
        return cls(t, np.asarray(values_24, dtype=float)[hours.hour])

    @classmethod
    def from_csv(cls, path, time_column, value_column, span_start: pd.Timestamp, span_s=None, repeat_h=None):
        """A series from a CSV file. It must cover the span (a row at or before its start, one at or after its
        end), unless ``repeat_h`` says it repeats with that period [h]: then its rows lie within one period
        from the first, and the pattern is laid over the whole span."""
        df = read_csv_table(path, "time-series", "give a header line and rows of time and value")
        for col in (time_column, value_column):
            if col not in df.columns:
                raise InputError(f"{path}: no column {col!r} (columns: {', '.join(map(str, df.columns))})")
        if len(df) == 0:
            raise InputError(f"{path}: no rows below the header; give one time and value per row")
        try:
            times = pd.DatetimeIndex(pd.to_datetime(df[time_column], utc=False, format="ISO8601"))
        except (ValueError, TypeError, OverflowError) as exc:
            raise InputError(f"{path}: column {time_column!r} holds something that is not a time: {exc}") from None
        if times.tz is None:
            raise InputError(f"{path}: times in {time_column!r} have no zone; write them like 2025-10-03T12:00:00Z")
        values = pd.to_numeric(df[value_column], errors="coerce")
        bad = values.isna() | (values < 0)
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0]) + 2
            raise InputError(
                f"{path}, line {row}: {value_column} must be a number >= 0, got {df[value_column].iloc[row - 2]!r}"
            )
        if not np.isfinite(values.to_numpy(float)).all():
            row = int(np.flatnonzero(~np.isfinite(values.to_numpy(float)))[0]) + 2
            raise InputError(
                f"{path}, line {row}: {value_column} must be a finite number, got {df[value_column].iloc[row - 2]!r}"
            )
        start = pd.Timestamp(span_start).tz_convert("UTC")
        t = (times.tz_convert("UTC") - start).total_seconds().to_numpy()
        order = np.argsort(t, kind="stable")
        t, v = t[order], values.to_numpy(float)[order]
        if np.any(np.diff(t) <= 0):
            raise InputError(f"{path}: two rows have the same time")
        first, last = start + pd.Timedelta(seconds=float(t[0])), start + pd.Timedelta(seconds=float(t[-1]))
        if repeat_h is not None:
            period = float(repeat_h) * 3600.0
            if t[-1] - t[0] >= period:
                raise InputError(
                    f"{path}: the rows span {(t[-1] - t[0]) / 3600:g} h, not less than repeat_h "
                    f"{repeat_h:g} h; keep one period of rows"
                )
            k0 = int(np.floor(-t[0] / period))
            k1 = int(np.ceil(((span_s or 0.0) - t[0]) / period))
            reps = np.arange(k0, k1 + 1)
            t = (t[None, :] + period * reps[:, None]).ravel()
            v = np.tile(v, reps.size)
            return cls(t, v)
        if t[0] > 1e-9:
            raise InputError(
                f"{path}: the series starts at {first}, after the span starts ({start}); add a row at or "
                "before the start, or set repeat_h if the series repeats (e.g. 24 for a daily profile)"
            )
        if span_s is not None and t[-1] < span_s - 1e-9:
            end = start + pd.Timedelta(seconds=float(span_s))
            raise InputError(
                f"{path}: the series ends at {last}, before the span ends ({end}); add rows up to the "
                "end, or set repeat_h if the series repeats (e.g. 24 for a daily profile)"
            )
        return cls(t, v)

    def at(self, t_s):
        """Value at times ``t_s`` (the step in force)."""
        i = np.searchsorted(self.t_s, np.asarray(t_s, dtype=float), side="right") - 1
        return self.values[np.clip(i, 0, None)]

    def value_at(self, t_s: float) -> float:
        """Value at one time (fast scalar form of :meth:`at`)."""
        return self._v[max(bisect_right(self._t, t_s) - 1, 0)]

    def integral(self, t0_s, t1_s):
        """Integral of the series over [t0, t1] [value x s]."""
        if t1_s <= t0_s:
            return 0.0
        i = max(bisect_right(self._t, t0_s) - 1, 0)
        total, t = 0.0, t0_s
        while i + 1 < len(self._t) and self._t[i + 1] < t1_s:
            total += self._v[i] * (self._t[i + 1] - t)
            t = self._t[i + 1]
            i += 1
        return total + self._v[i] * (t1_s - t)

    def mean(self, t0_s, t1_s):
        """Time average over [t0, t1]; the value at t0 for an empty interval."""
        if t1_s <= t0_s or len(self._t) == 1:
            return self.value_at(t0_s)
        return self.integral(t0_s, t1_s) / (t1_s - t0_s)


def cost_and_carbon(energy_j, t0_s, t1_s, price: StepSeries, carbon: StepSeries):
    """Cost [CNY] and carbon [g] of ``energy_j`` drawn evenly over [t0, t1]."""
    kwh = energy_j / J_PER_KWH
    return kwh * price.mean(t0_s, t1_s), kwh * carbon.mean(t0_s, t1_s)
