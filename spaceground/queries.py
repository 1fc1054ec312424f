"""Geometry queries on a TLE file: contact windows, eclipses and the sunlit fraction over a span.

The orchestration behind :mod:`spaceground.api`'s geometry functions: load and select the
element sets, check their age, compute (:mod:`spaceground.geometry`) and warn about the
satellites SGP4 leaves out. Functions return pandas DataFrames with documented columns;
times are timezone-aware UTC ``Timestamp`` columns, durations in seconds, angles in degrees.
"""

from __future__ import annotations

import math
import os

import numpy as np
import pandas as pd

from .errors import InputError
from .geometry import Geometry, compute_geometry
from .illumination import SunTable, shadow_angles, sunlit_fraction_from_angles
from .intersat import GRAZING_HEIGHT_M, ISL_COLUMNS, find_isl_windows, grid_pairs_at_start
from .orbits import Constellation, check_epochs, load_tle, propagate_teme, warn_excluded
from .orientation import EarthOrientation
from .progress import satellite_progress
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
    progress : bool or callable(done, total), optional
        ``True`` prints progress on stderr as the command line does; a callable receives the counts.

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
    progress = satellite_progress(progress, "contacts" if contacts else "eclipses")
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


def link_windows(
    tle,
    *,
    start,
    hours,
    select=None,
    to=None,
    topology="visible",
    grazing_height_km=GRAZING_HEIGHT_M / 1e3,
    max_range_km=None,
    allow_stale=False,
) -> pd.DataFrame:
    """Inter-satellite visibility windows: when satellite pairs see each other over the Earth's limb.

    Parameters
    ----------
    tle : path, Constellation, or a list of paths
        Several files are read as one set (the EO satellites and the space segment, say); a satellite in
        two files is kept once.
    select : list of str, optional
        NORAD ids or name globs of the satellites on one side (default: all).
    to : list of str, optional
        The other side: pairs are every selected satellite with every one of these. Without it, every pair
        among the selected satellites.
    topology : ``"visible"`` or ``"grid"``
        ``"grid"``: only the pairs of a +Grid among the selected satellites (neighbours in each orbital plane
        and across neighbouring planes, found at the span start; :func:`spaceground.intersat.grid_pairs`).
    grazing_height_km : float
        Height over the WGS 84 equatorial sphere the line of sight must clear (default 80 km).
    max_range_km : float, optional
        Longest range the terminals close a link at (default: no limit).

    Returns
    -------
    pandas.DataFrame, one row per window, by pair then start:

    ==================  ==================================================================
    satellite           the first satellite of the pair (a link is symmetric)
    to_satellite        the second
    start_utc           the two see each other from (UTC Timestamp)
    end_utc             until
    duration_s          [s]
    range_start_km      range at ``start_utc`` [km]
    range_end_km        range at ``end_utc`` [km]
    closest_utc         closest approach inside the window
    closest_range_km    its range [km]
    clipped_start       the window was open at the span start (its start is the span's)
    clipped_end         the window was still open at the span end
    ==================  ==================================================================
    """
    if isinstance(tle, (list, tuple)):
        seen, sats = set(), []
        for path in tle:
            for sat in load_constellation(path):
                if sat.norad_id not in seen:
                    seen.add(sat.norad_id)
                    sats.append(sat)
        constellation = Constellation(sats)
    else:
        constellation = load_constellation(tle)
    span = Span.from_hours(start, hours)
    first = _indices(constellation, select)
    if topology not in ("visible", "grid"):
        raise InputError(f"topology must be 'visible' or 'grid', got {topology!r}")
    if topology == "grid":
        if to:
            raise InputError("topology 'grid' links the selected satellites among themselves; leave out 'to'")
        pairs = first[grid_pairs_at_start(constellation.take(first), span)]
    elif to:
        second = _indices(constellation, to)
        pairs = np.array([(a, b) for a in first for b in second if a != b], dtype=np.int64).reshape(-1, 2)
        pairs = np.unique(np.sort(pairs, axis=1), axis=0)
    else:
        pairs = np.array([(a, b) for i, a in enumerate(first) for b in first[i + 1 :]], dtype=np.int64).reshape(-1, 2)
    if not len(pairs):
        raise InputError("no satellite pairs to search: select at least two satellites (or one and 'to')")
    involved = constellation.take(np.unique(pairs))
    check_epochs(involved, span.start, allow_stale=allow_stale)
    max_range_m = math.inf if max_range_km is None else float(max_range_km) * 1e3
    if not float(grazing_height_km) >= 0:
        raise InputError(f"grazing_height_km must be >= 0, got {grazing_height_km!r}")
    found = find_isl_windows(
        constellation, span, pairs, grazing_height_m=float(grazing_height_km) * 1e3, max_range_m=max_range_m
    )
    return found[ISL_COLUMNS].reset_index(drop=True)


def _indices(constellation, patterns):
    """Indices of the satellites ``patterns`` select (all without patterns)."""
    if not patterns:
        return np.arange(len(constellation))
    wanted = {id(s) for s in constellation.select([str(p) for p in patterns])}
    return np.array([k for k, s in enumerate(constellation) if id(s) in wanted], dtype=np.int64)


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
