"""Geometry queries on a TLE file: contact windows, eclipses and the sunlit fraction over a span.

The orchestration behind :mod:`spaceground.api`'s geometry functions: load and select the
element sets, check their age, compute (:mod:`spaceground.geometry`) and warn about the
satellites SGP4 leaves out. Functions return pandas DataFrames with documented columns;
times are timezone-aware UTC ``Timestamp`` columns, durations in seconds, angles in degrees.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from .errors import InputError
from .geometry import Geometry, compute_geometry
from .illumination import SunTable, shadow_angles, sunlit_fraction_from_angles
from .orbits import Constellation, check_epochs, load_tle, propagate_teme, warn_excluded
from .orientation import EarthOrientation
from .stations import default_catalogue, resolve_stations
from .timebase import Span, parse_utc


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


def contact_windows(
    tle, *, start, hours, select=None, stations=None, min_elevation_deg=None, allow_stale=False, progress=None
) -> pd.DataFrame:
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
        tle,
        start=start,
        hours=hours,
        select=select,
        stations=stations,
        min_elevation_deg=min_elevation_deg,
        eclipses=False,
        allow_stale=allow_stale,
        progress=progress,
    ).contacts


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
