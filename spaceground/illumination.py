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

from .constants import SHADOW_EARTH_RADIUS_M, SUN_RADIUS_M
from .search import bracketed_newton, golden_minimum, hermite_state

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
    n, K, _ = r_teme.shape
    h = np.diff(t_s)
    sun_grid = sun_table(t_s)
    theta, a_sun, a_earth = shadow_angles(r_teme, sun_grid[None])
    g = np.stack([theta - (a_earth - a_sun), theta - (a_earth + a_sun)])  # (2, n, K): umbra, any shadow

    def g_at(which, j, k):
        r0, v0, r1, v1 = r_teme[j, k], v_teme[j, k], r_teme[j, k + 1], v_teme[j, k + 1]
        hk = h[k]

        def fun(idx, tau):
            r, _, _ = hermite_state(tau, hk[idx], r0[idx], v0[idx], r1[idx], v1[idx])
            th, a_s, a_e = shadow_angles(r, sun_table(t_s[k[idx]] + tau * hk[idx]))
            return np.where(which[idx] == 0, th - (a_e - a_s), th - (a_e + a_s))

        return fun

    inside = g < 0.0
    w, j, k = np.nonzero(inside[:, :, 1:] != inside[:, :, :-1])
    entering = inside[w, j, k + 1]
    lo = np.zeros(k.size)
    hi = np.ones(k.size)
    # Brief shadows hidden between two sunlit samples: local minima of g near zero.
    dw, dj, dk = np.nonzero(
        (g[:, :, 1:-1] <= g[:, :, :-2]) & (g[:, :, 1:-1] <= g[:, :, 2:]) & (g[:, :, 1:-1] < DIP_MARGIN_RAD)
    )
    dk = dk + 1
    keep = ~inside[dw, dj, dk - 1] & ~inside[dw, dj, dk] & ~inside[dw, dj, dk + 1]
    dw, dj, dk = dw[keep], dj[keep], dk[keep]
    if dk.size:
        # Minimum over [k-1, k+1]: search each half and keep the lower.
        cand = []
        for shift in (-1, 0):
            kk = dk + shift
            fun = g_at(dw, dj, kk)
            tau_min, g_min = golden_minimum(fun, np.zeros(kk.size), np.ones(kk.size), xtol=1e-7)
            cand.append((kk, tau_min, g_min))
        use_left = cand[0][2] < cand[1][2]
        kk = np.where(use_left, cand[0][0], cand[1][0])
        tau_min = np.where(use_left, cand[0][1], cand[1][1])
        g_min = np.where(use_left, cand[0][2], cand[1][2])
        dips = g_min < 0.0
        if dips.any():
            dw, dj, kk, tau_min = dw[dips], dj[dips], kk[dips], tau_min[dips]
            w = np.concatenate([w, dw, dw])
            j = np.concatenate([j, dj, dj])
            k = np.concatenate([k, kk, kk])
            entering = np.concatenate([entering, np.ones(kk.size, bool), np.zeros(kk.size, bool)])
            lo = np.concatenate([lo, np.zeros(kk.size), tau_min])
            hi = np.concatenate([hi, tau_min, np.ones(kk.size)])
    t_event = np.zeros(0)
    if k.size:
        fun = g_at(w, j, k)
        idx = np.arange(k.size)
        tau = bracketed_newton(
            lambda i, x: (fun(i, x), None), lo, hi, fun(idx, lo), fun(idx, hi), xtol=TIME_TOL_S / h.max()
        )
        t_event = t_s[k] + tau * h[k]
    return _assemble_shadow(n, t_s, w, j, t_event, entering, inside[:, :, 0], inside[:, :, -1])


def _assemble_shadow(n, t_s, w, j, t_event, entering, inside_first, inside_last):
    """Turn boundary crossings into disjoint umbra / penumbra intervals per satellite."""
    t_end = float(t_s[-1])
    # Shadow level: 0 sunlit, 1 penumbra, 2 umbra. Each crossing changes it by +-1.
    delta = np.where(entering, 1, -1)
    level0 = inside_first[0].astype(int) + inside_first[1].astype(int)  # (n,)
    order = np.lexsort((t_event, j))
    j, t_event, delta = j[order], t_event[order], delta[order]
    sats, starts, ends, kinds, clipped = [], [], [], [], []
    bounds = np.flatnonzero(np.diff(j)) + 1
    groups = np.split(np.arange(j.size), bounds) if j.size else []
    seen = set()
    for grp in groups:
        sat = int(j[grp[0]])
        seen.add(sat)
        times = np.concatenate([[0.0], t_event[grp], [t_end]])
        levels = level0[sat] + np.concatenate([[0], np.cumsum(delta[grp])])
        for a in range(len(levels)):
            if levels[a] <= 0 or times[a + 1] <= times[a]:
                continue
            sats.append(sat)
            starts.append(times[a])
            ends.append(times[a + 1])
            kinds.append(0 if levels[a] >= 2 else 1)
            clipped.append(a == 0 or a == len(levels) - 1)
    for sat in range(n):
        if sat not in seen and level0[sat] > 0:
            sats.append(sat)
            starts.append(0.0)
            ends.append(t_end)
            kinds.append(0 if level0[sat] >= 2 else 1)
            clipped.append(True)
    return {
        "sat": np.array(sats, dtype=int),
        "kind": np.array(kinds, dtype=int),
        "start_s": np.array(starts, dtype=float),
        "end_s": np.array(ends, dtype=float),
        "clipped": np.array(clipped, dtype=bool),
    }
