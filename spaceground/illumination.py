"""Illumination: umbra and penumbra of a spherical Earth (conical shadow model).

Seen from the satellite, the Sun is a disc of angular radius ``a_sun`` and the
Earth a disc of angular radius ``a_earth``, their centres ``theta`` apart. The
satellite is

* in **umbra** while ``theta < a_earth - a_sun`` (the Sun wholly hidden),
* in **penumbra** while ``a_earth - a_sun <= theta < a_earth + a_sun`` (partly hidden),
* sunlit otherwise.

The Sun's position is DE421 (skyfield-data) seen geometrically from the Earth's
centre, rotated into TEME; the Earth is a sphere of ``SHADOW_EARTH_RADIUS_M``. The
sunlit fraction is the visible share of the solar disc's area (flat-disc overlap
of two circles, exact to ~1e-5 for these angular sizes).

Eclipse intervals come out disjoint: a ``penumbra`` row covers only the partial
phase, so ``umbra`` and ``penumbra`` durations add up to the time in shadow.
"""

from __future__ import annotations

import numpy as np

from . import _kernels
from .constants import SHADOW_EARTH_RADIUS_M, SUN_RADIUS_M

SUN_TABLE_STEP_S = 600.0
DIP_MARGIN_RAD = 0.02  # local minima of the shadow functions within this of zero are refined
TIME_TOL_S = 1e-4

ECLIPSE_COLUMNS = ["satellite", "norad_id", "kind", "start_utc", "end_utc", "duration_s", "clipped"]


def sun_position_gcrs_m(span, t_s):
    """Geometric Sun position relative to the Earth's centre (DE421), GCRS axes [m], shape (n, 3)."""
    from .timebase import ephemeris

    eph = ephemeris()
    t = span.skyfield_times(np.atleast_1d(np.asarray(t_s, dtype=float)))
    return np.asarray((eph["sun"] - eph["earth"]).at(t).position.m).T


class SunTable:
    """Sun positions (TEME axes) every 10 min over a span, linearly interpolated (error < 300 m)."""

    def __init__(self, span, orientation):
        self.t_s = np.arange(-SUN_TABLE_STEP_S, span.duration_s + 2 * SUN_TABLE_STEP_S, SUN_TABLE_STEP_S)
        self.r_m = orientation.gcrs_to_teme(sun_position_gcrs_m(span, self.t_s), self.t_s)

    def __call__(self, t_s):
        t_s = np.asarray(t_s, dtype=float)
        return np.stack([np.interp(t_s, self.t_s, self.r_m[:, i]) for i in range(3)], axis=-1)


def shadow_angles(r_sat_m, r_sun_m, earth_radius_m=SHADOW_EARTH_RADIUS_M, sun_radius_m=SUN_RADIUS_M):
    """Separation of the Earth's and Sun's centres and their angular radii, seen from the satellite [rad].

    ``r_sat_m`` and ``r_sun_m`` are geocentric positions in the same inertial axes,
    broadcasting against each other (..., 3).
    """
    to_sun = r_sun_m - r_sat_m
    to_earth = -r_sat_m
    d_sun = np.linalg.norm(to_sun, axis=-1)
    d_earth = np.linalg.norm(to_earth, axis=-1)
    cross = np.linalg.norm(np.cross(to_sun, to_earth), axis=-1)
    dot = np.einsum("...i,...i->...", to_sun, to_earth)
    theta = np.arctan2(cross, dot)
    a_sun = np.arcsin(np.clip(sun_radius_m / d_sun, -1.0, 1.0))
    a_earth = np.arcsin(np.clip(earth_radius_m / d_earth, -1.0, 1.0))
    return theta, a_sun, a_earth


def sunlit_fraction_from_angles(theta, a_sun, a_earth):
    """Visible fraction of the solar disc (0 in umbra, 1 in sunlight), element-wise."""
    theta, a_sun, a_earth = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (theta, a_sun, a_earth)))
    out = np.ones(theta.shape)
    full = theta <= a_earth - a_sun
    out[full] = 0.0
    partial = (theta < a_earth + a_sun) & ~full
    if partial.any():
        d = theta[partial]
        r1 = a_sun[partial]
        r2 = a_earth[partial]
        with np.errstate(invalid="ignore"):
            d1 = (d * d + r1 * r1 - r2 * r2) / (2.0 * d)
            d2 = d - d1
            c1 = np.clip(d1 / r1, -1.0, 1.0)
            c2 = np.clip(d2 / r2, -1.0, 1.0)
            area = r1 * r1 * np.arccos(c1) - d1 * np.sqrt(np.maximum(r1 * r1 - d1 * d1, 0.0))
            area += r2 * r2 * np.arccos(c2) - d2 * np.sqrt(np.maximum(r2 * r2 - d2 * d2, 0.0))
        out[partial] = np.clip(1.0 - area / (np.pi * r1 * r1), 0.0, 1.0)
    return out


def find_eclipses_chunk(r_teme, v_teme, t_s, sun_table):
    """Umbra and penumbra intervals of a chunk of satellites.

    The two shadow functions ``theta - (a_earth -+ a_sun)`` are sampled on the grid;
    their sign changes, and minima near zero between two sunlit samples (a brief
    grazing shadow), are refined on the Hermite-interpolated trajectory to 0.1 ms
    (compiled loop: :func:`spaceground._kernels.shadow_crossings`).

    Parameters
    ----------
    r_teme, v_teme : ndarray (n, K, 3)
        TEME states on the grid ``t_s`` [m, m/s].
    sun_table : SunTable

    Returns
    -------
    dict of arrays, one entry per interval: ``sat`` (local index), ``kind`` (0 umbra,
    1 penumbra), ``start_s``, ``end_s``, ``clipped``.
    """
    n = r_teme.shape[0]
    h = np.diff(t_s)
    sun = np.ascontiguousarray(sun_table(t_s))
    sat, _, t_event, entering, inside_first, _ = _kernels.shadow_crossings(
        np.ascontiguousarray(r_teme),
        np.ascontiguousarray(v_teme),
        sun,
        h,
        SHADOW_EARTH_RADIUS_M,
        SUN_RADIUS_M,
        DIP_MARGIN_RAD,
        TIME_TOL_S,
    )
    return _assemble_shadow(n, t_s, sat, t_event + t_s[0], entering, inside_first)


def _assemble_shadow(n, t_s, j, t_event, entering, inside_first):
    """Turn boundary crossings into disjoint umbra / penumbra intervals per satellite.

    The shadow level is 0 in sunlight, 1 in penumbra and 2 in umbra; every crossing of
    either boundary moves it by one. Each stretch between consecutive crossings (or the
    span edges) at level 1 or 2 is an interval.
    """
    t_end = float(t_s[-1])
    order = np.lexsort((t_event, j))
    j, t_event = j[order], t_event[order]
    delta = np.where(entering[order], 1, -1)
    level0 = inside_first.sum(axis=1)
    first_of_sat = np.r_[True, j[1:] != j[:-1]] if j.size else np.zeros(0, bool)
    group_start = np.flatnonzero(first_of_sat)
    csum = np.cumsum(delta)
    offset = np.repeat(csum[group_start] - delta[group_start], np.diff(np.r_[group_start, j.size]))
    level_after = level0[j] + csum - offset
    last_of_sat = np.r_[j[1:] != j[:-1], True] if j.size else np.zeros(0, bool)
    next_t = np.where(last_of_sat, t_end, np.r_[t_event[1:], t_end])
    # Stretches after each crossing, from the span start to a satellite's first crossing,
    # and whole spans of satellites that never cross.
    no_events = np.setdiff1d(np.arange(n), j)
    sat = np.concatenate([j, j[first_of_sat], no_events])
    start = np.concatenate([t_event, np.zeros(group_start.size), np.zeros(no_events.size)])
    end = np.concatenate([next_t, t_event[first_of_sat], np.full(no_events.size, t_end)])
    level = np.concatenate([level_after, level0[j[first_of_sat]], level0[no_events]])
    keep = (level > 0) & (end > start)
    sat, start, end, level = sat[keep], start[keep], end[keep], level[keep]
    return {
        "sat": sat.astype(int),
        "kind": np.where(level >= 2, 0, 1),
        "start_s": start,
        "end_s": end,
        "clipped": (start <= 0.0) | (end >= t_end),
    }
