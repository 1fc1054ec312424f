"""Time: parsing and formatting UTC, the analysis span, packaged IERS and JPL data.

Inside spaceground a time is a float number of seconds since the start of a
:class:`Span` (``t_s``), on the UTC scale. Spans that contain a leap second are
refused, so UTC seconds are uniform within a span.

Earth orientation comes only from packaged data, never from the network: UT1 - UTC,
leap seconds and polar motion from the IERS ``finals2000A.all`` (Bulletin A: measured
values, then a year of predictions) of the ``astropy-iers-data`` package, which the
Astropy project re-releases every week. It is newer than the copy in skyfield-data
(measured to 2025-08) or Skyfield's built-in table; at 2026-05-30 the three differ by
up to 19 ms in UT1 (8 m of Earth rotation). The JPL ephemeris DE421 comes from
``skyfield-data``.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .constants import SECONDS_PER_DAY
from .errors import InputError

UNIX_EPOCH_JD = 2440587.5
_NS_PER_DAY = 86_400_000_000_000


def parse_utc(value, what: str = "time") -> pd.Timestamp:
    """Read an ISO 8601 time with an explicit zone and return it as a UTC Timestamp.

    Parameters
    ----------
    value : str, datetime.datetime or pandas.Timestamp
        ``"2025-10-03T12:00:00Z"``, ``"2025-10-03T20:00+08:00"``... A value without
        a time zone is refused rather than guessed.
    what : str
        Name of the value, used in the error message (``"--start"``, ``"start_utc"``).
    """
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        ts = pd.Timestamp(value)
    else:
        text = str(value).strip()
        try:
            ts = pd.Timestamp(text)
        except (ValueError, TypeError) as exc:
            raise InputError(f"{what}: {value!r} is not an ISO 8601 time; write it like 2025-10-03T12:00:00Z") from exc
    if ts is pd.NaT:
        raise InputError(f"{what}: {value!r} is not a time; write it like 2025-10-03T12:00:00Z")
    if ts.tzinfo is None:
        raise InputError(f"{what}: {value!r} has no time zone; add Z for UTC (for example {ts.isoformat()}Z)")
    return ts.tz_convert("UTC")


def format_utc_ms(times) -> np.ndarray:
    """Format UTC times as ISO 8601 strings with milliseconds and a trailing Z.

    Parameters
    ----------
    times : array-like of datetime64 / pandas Timestamps (UTC)

    Returns
    -------
    numpy.ndarray of str, for example ``"2025-10-03T12:34:56.789Z"``.
    """
    index = pd.DatetimeIndex(times)
    if index.tz is not None:
        index = index.tz_convert("UTC").tz_localize(None)
    rounded = index.round("ms")
    return np.asarray(rounded.strftime("%Y-%m-%dT%H:%M:%S.%f").str[:-3] + "Z", dtype=object)


@functools.lru_cache(maxsize=1)
def timescale():
    """Skyfield timescale built from the packaged ``finals2000A.all``, polar motion installed."""
    from skyfield.data import iers
    from skyfield.timelib import Timescale

    table = finals_table()
    daily_tt, daily_delta_t, leap_dates, leap_offsets = iers.build_timescale_arrays(table["utc_mjd"], table["dut1"])
    ts = Timescale((daily_tt, daily_delta_t), leap_dates, leap_offsets)
    iers.install_polar_motion_table(ts, table)
    return ts


def finals_path() -> str:
    """Path of the IERS ``finals2000A.all`` shipped in the astropy-iers-data package."""
    import astropy_iers_data

    return os.path.join(os.path.dirname(astropy_iers_data.__file__), "data", "finals2000A.all")


@functools.lru_cache(maxsize=1)
def finals_table():
    """IERS finals2000A table of skyfield-data: ``utc_mjd``, ``x_arcseconds``, ``y_arcseconds``, ``dut1``."""
    from skyfield.data import iers

    with open(finals_path(), "rb") as f:
        return iers.parse_x_y_dut1_from_finals_all(f)


@functools.lru_cache(maxsize=1)
def ephemeris():
    """DE421 from the skyfield-data package (covers 1900-2050)."""
    import skyfield_data
    from skyfield.api import load_file

    return load_file(os.path.join(os.path.dirname(skyfield_data.__file__), "data", "de421.bsp"))


def _tai_minus_utc_s(ts, when: pd.Timestamp) -> float:
    """Whole seconds TAI - UTC at a UTC instant (the leap-second count)."""
    t = ts.utc(when.year, when.month, when.day, when.hour, when.minute, when.second)
    whole_second = when.floor("s")
    jd_utc = UNIX_EPOCH_JD + whole_second.value / _NS_PER_DAY
    return float(np.round((t.tai - jd_utc) * SECONDS_PER_DAY))


@dataclass(frozen=True)
class Span:
    """An analysis interval: ``start`` (UTC) and a length in seconds.

    Times inside the span are ``t_s``: seconds since ``start`` on the UTC scale.
    """

    start: pd.Timestamp
    duration_s: float

    def __post_init__(self):
        start = parse_utc(self.start, "start")
        object.__setattr__(self, "start", start)
        duration_s = float(self.duration_s)
        if not np.isfinite(duration_s) or duration_s <= 0.0:
            raise InputError(f"span length must be a positive number of seconds, got {self.duration_s!r}")
        object.__setattr__(self, "duration_s", duration_s)
        ts = timescale()
        tai_minus_utc = [_tai_minus_utc_s(ts, x) for x in (self.start, self.end)]
        if tai_minus_utc[0] != tai_minus_utc[1]:
            raise InputError(
                f"the span {self.start.isoformat()} + {duration_s:.0f} s contains a leap second; "
                "split it into two spans at the leap second"
            )

    @classmethod
    def from_hours(cls, start, hours: float) -> Span:
        """Span of ``hours`` hours from ``start`` (ISO 8601 text or a Timestamp)."""
        try:
            hours_f = float(hours)
        except (TypeError, ValueError) as exc:
            raise InputError(f"hours must be a number, got {hours!r}") from exc
        if not np.isfinite(hours_f) or hours_f <= 0:
            raise InputError(f"hours must be positive, got {hours!r}")
        return cls(parse_utc(start, "start"), hours_f * 3600.0)

    @property
    def end(self) -> pd.Timestamp:
        return self.start + pd.Timedelta(seconds=self.duration_s)

    # --- Julian dates -------------------------------------------------------------
    def _start_jd_parts(self):
        ns = int(self.start.value)
        day, ns_of_day = divmod(ns, _NS_PER_DAY)
        return UNIX_EPOCH_JD + day, ns_of_day / _NS_PER_DAY

    def _utc_jd_float(self, t_s):
        whole, frac = self.jd_utc(t_s)
        return whole + frac

    def jd_utc(self, t_s):
        """Split UTC Julian dates ``(whole, fraction)`` of ``t_s``, as SGP4 expects them."""
        whole, frac0 = self._start_jd_parts()
        t_s = np.asarray(t_s, dtype=float)
        return np.full(t_s.shape, whole), frac0 + t_s / SECONDS_PER_DAY

    def datetimes(self, t_s) -> pd.DatetimeIndex:
        """UTC timestamps (nanosecond resolution) of ``t_s``."""
        ns = np.round(np.asarray(t_s, dtype=float) * 1e9).astype("int64")
        return pd.DatetimeIndex(self.start.value + ns).tz_localize("UTC")

    def seconds_of(self, times) -> np.ndarray:
        """Inverse of :meth:`datetimes`: seconds since the span start of UTC times."""
        index = pd.DatetimeIndex(times)
        if index.tz is None:
            raise InputError("times must carry a time zone (UTC)")
        return (index.tz_convert("UTC").as_unit("ns").asi8 - self.start.as_unit("ns").value) / 1e9  # any resolution

    @functools.cached_property
    def _tai_minus_utc_s(self) -> float:
        return _tai_minus_utc_s(timescale(), self.start)

    def skyfield_times(self, t_s):
        """Skyfield ``Time`` array of ``t_s`` (for Skyfield-based computations and tests)."""
        whole, frac = self.jd_utc(t_s)
        return timescale().tai_jd(whole, frac + self._tai_minus_utc_s / SECONDS_PER_DAY)
