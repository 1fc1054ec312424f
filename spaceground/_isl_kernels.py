"""Compiled inner loops of the inter-satellite visibility search (numba, cached on disk).

Two satellites see each other when the segment between them clears a sphere of ``radius_m`` about
the Earth's centre and they are no farther apart than ``max_range_m``. Both conditions are one
function, ``g = min(clearance, max_range - range)`` [m], positive while they see each other. The
physics is :func:`spaceground.intersat.line_of_sight_clearance_m`; these loops evaluate it on the
cubic Hermite trajectories of :mod:`spaceground._kernels` and are tested through
:func:`spaceground.intersat.find_isl_windows`.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ._kernels import _cubic_max, _grow_rows, _hermite

RISE, SET = 1.0, 0.0
# A step whose two samples lie on one side is searched for a crossing between them when the cubic through
# the samples' values and rates comes within this of zero [m]. The cubic's own error over a grid step is
# under a metre for LEO pairs (the step's h^4/384 times g's fourth derivative), so 10 km misses nothing.
HUMP_MARGIN_M = 10e3
# Steps longer than this (a coarse grid asked for) skip the cubic test and search every step the speed
# bound leaves open: the cubic's error grows as the step's fourth power.
CUBIC_STEP_MAX_S = 120.0


@njit(cache=True, inline="always")
def _nearest(ax, ay, az, dx, dy, dz):
    """Where along the segment from a by d the point nearest the Earth's centre lies (0..1), that point, and
    the squared length of d."""
    d2 = dx * dx + dy * dy + dz * dz
    s = 0.0
    if d2 > 0.0:
        s = min(1.0, max(0.0, -(ax * dx + ay * dy + az * dz) / d2))
    return s, ax + s * dx, ay + s * dy, az + s * dz, d2


@njit(cache=True, inline="always")
def _pair_g(ax, ay, az, bx, by, bz, radius_m, max_range_m):
    """Visibility function of two positions [m] and their range [m]."""
    _, px, py, pz, d2 = _nearest(ax, ay, az, bx - ax, by - ay, bz - az)
    rng = math.sqrt(d2)
    clearance = math.sqrt(px * px + py * py + pz * pz) - radius_m
    return min(clearance, max_range_m - rng), rng


@njit(cache=True)
def _g_at(tau, h, r, v, a, b, k, radius_m, max_range_m):
    """(g, range) of satellites ``a`` and ``b`` at ``tau`` (0..1) of grid interval ``k`` (Hermite)."""
    ax, _, _ = _hermite(tau, h, r[a, k], v[a, k], r[a, k + 1], v[a, k + 1], 0)
    ay, _, _ = _hermite(tau, h, r[a, k], v[a, k], r[a, k + 1], v[a, k + 1], 1)
    az, _, _ = _hermite(tau, h, r[a, k], v[a, k], r[a, k + 1], v[a, k + 1], 2)
    bx, _, _ = _hermite(tau, h, r[b, k], v[b, k], r[b, k + 1], v[b, k + 1], 0)
    by, _, _ = _hermite(tau, h, r[b, k], v[b, k], r[b, k + 1], v[b, k + 1], 1)
    bz, _, _ = _hermite(tau, h, r[b, k], v[b, k], r[b, k + 1], v[b, k + 1], 2)
    return _pair_g(ax, ay, az, bx, by, bz, radius_m, max_range_m)


@njit(cache=True)
def _g_sample(r, a, b, k, radius_m, max_range_m):
    return _pair_g(r[a, k, 0], r[a, k, 1], r[a, k, 2], r[b, k, 0], r[b, k, 1], r[b, k, 2], radius_m, max_range_m)


@njit(cache=True)
def _g_rate(r, v, a, b, k, radius_m, max_range_m):
    """Time derivative of g at sample ``k`` [m/s]: of the clearance, the nearest point's velocity along its
    direction; of the reach, minus the range rate (whichever of the two is the smaller now)."""
    dx, dy, dz = r[b, k, 0] - r[a, k, 0], r[b, k, 1] - r[a, k, 1], r[b, k, 2] - r[a, k, 2]
    ux, uy, uz = v[b, k, 0] - v[a, k, 0], v[b, k, 1] - v[a, k, 1], v[b, k, 2] - v[a, k, 2]
    s, px, py, pz, d2 = _nearest(r[a, k, 0], r[a, k, 1], r[a, k, 2], dx, dy, dz)
    pn = math.sqrt(px * px + py * py + pz * pz)
    clearance = pn - radius_m
    rng = math.sqrt(d2)
    if max_range_m - rng < clearance:
        return -(dx * ux + dy * uy + dz * uz) / rng
    qx, qy, qz = v[a, k, 0] + s * ux, v[a, k, 1] + s * uy, v[a, k, 2] + s * uz
    return (px * qx + py * qy + pz * qz) / pn


@njit(cache=True)
def _root(lo, hi, h, r, v, a, b, k, radius_m, max_range_m, tol):
    """A zero of g in [lo, hi] (tau of interval ``k``; g changes sign there): Illinois false position."""
    ga = _g_at(lo, h, r, v, a, b, k, radius_m, max_range_m)[0]
    gb = _g_at(hi, h, r, v, a, b, k, radius_m, max_range_m)[0]
    x, side = 0.5 * (lo + hi), 0
    for _ in range(200):
        x = 0.5 * (lo + hi) if gb == ga else lo - ga * (hi - lo) / (gb - ga)
        if not (lo < x < hi):
            x = 0.5 * (lo + hi)
        g = _g_at(x, h, r, v, a, b, k, radius_m, max_range_m)[0]
        if g == 0.0 or hi - lo < tol:
            break
        if (g > 0.0) == (ga > 0.0):
            lo, ga = x, g
            if side == -1:
                gb *= 0.5
            side = -1
        else:
            hi, gb = x, g
            if side == 1:
                ga *= 0.5
            side = 1
    return x


@njit(cache=True)
def _extremum(h, r, v, a, b, k, radius_m, max_range_m, which, tol):
    """Golden-section search over interval ``k`` for the extremum of g (``which`` 1: maximum, 2: the range's
    minimum, else g's minimum); returns (tau, value)."""
    invphi = (math.sqrt(5.0) - 1.0) / 2.0
    lo, hi = 0.0, 1.0
    c, d = hi - invphi * (hi - lo), lo + invphi * (hi - lo)
    fc = _signed(c, h, r, v, a, b, k, radius_m, max_range_m, which)
    fd = _signed(d, h, r, v, a, b, k, radius_m, max_range_m, which)
    while hi - lo > tol:
        if fc < fd:
            hi, d, fd = d, c, fc
            c = hi - invphi * (hi - lo)
            fc = _signed(c, h, r, v, a, b, k, radius_m, max_range_m, which)
        else:
            lo, c, fc = c, d, fd
            d = lo + invphi * (hi - lo)
            fd = _signed(d, h, r, v, a, b, k, radius_m, max_range_m, which)
    x = 0.5 * (lo + hi)
    f = _signed(x, h, r, v, a, b, k, radius_m, max_range_m, which)
    return x, (-f if which == 1 else f)


@njit(cache=True, inline="always")
def _signed(tau, h, r, v, a, b, k, radius_m, max_range_m, which):
    g, rng = _g_at(tau, h, r, v, a, b, k, radius_m, max_range_m)
    if which == 1:
        return -g
    if which == 2:
        return rng
    return g


@njit(cache=True, nogil=True)
def scan_isl(r, v, t_s, pair_a, pair_b, speed_max, radius_m, max_range_m, tol):
    """Every visibility change of every pair (``pair_a[p]``, ``pair_b[p]``: rows of ``r``, ``v``) on grid ``t_s``.

    Walks each pair with a skip-ahead: g changes no faster than the sum of the two speeds (the range, and
    the distance of the segment from the centre, move no faster than the ends), so a sample ``|g|`` away
    from zero skips the grid steps it cannot cross in. Where two neighbouring samples on one side could
    hold a crossing between them (``|g0| + |g1|`` within what g can change in the step) and the cubic
    through their values and rates comes within ``HUMP_MARGIN_M`` of zero, the extremum of g in the step
    is searched, so that a grazing window or a brief occultation between two samples is not missed.

    Returns ``events`` rows (pair, grid interval, tau, kind: RISE or SET) in pair and time order, and
    ``visible_at_start`` per pair.
    """
    n_pairs = pair_a.shape[0]
    n_t = t_s.shape[0]
    h0 = t_s[1] - t_s[0]
    events = np.empty((64, 4))
    n_ev = 0
    visible = np.zeros(n_pairs, dtype=np.bool_)
    for p in range(n_pairs):
        a, b = pair_a[p], pair_b[p]
        bound = speed_max[a] + speed_max[b]  # [m/s]
        g0 = _g_sample(r, a, b, 0, radius_m, max_range_m)[0]
        visible[p] = g0 > 0.0
        j = 0
        while j < n_t - 1:
            m = int(abs(g0) / (bound * h0))
            if m >= 1:  # no crossing can happen before sample j + m
                j = min(j + m, n_t - 1)
                g0 = _g_sample(r, a, b, j, radius_m, max_range_m)[0]
                continue
            h = t_s[j + 1] - t_s[j]
            g1 = _g_sample(r, a, b, j + 1, radius_m, max_range_m)[0]
            if (g0 > 0.0) != (g1 > 0.0):
                tau = _root(0.0, 1.0, h, r, v, a, b, j, radius_m, max_range_m, tol)
                if n_ev + 1 > events.shape[0]:
                    events = _grow_rows(events)
                events[n_ev, 0], events[n_ev, 1], events[n_ev, 2] = p, j, tau
                events[n_ev, 3] = RISE if g1 > 0.0 else SET
                n_ev += 1
            elif abs(g0) + abs(g1) < bound * h:
                # Both samples on one side, close enough to the boundary that g may cross and come back: does
                # the cubic through their values and rates come near zero?
                near = True
                if h <= CUBIC_STEP_MAX_S:
                    d0 = _g_rate(r, v, a, b, j, radius_m, max_range_m) * h
                    d1 = _g_rate(r, v, a, b, j + 1, radius_m, max_range_m) * h
                    if g0 > 0.0:
                        near = -_cubic_max(-g0, -g1, -d0, -d1) < HUMP_MARGIN_M
                    else:
                        near = _cubic_max(g0, g1, d0, d1) > -HUMP_MARGIN_M
                if not near:
                    j += 1
                    g0 = g1
                    continue
                if g0 > 0.0:
                    tau_x, gx = _extremum(h, r, v, a, b, j, radius_m, max_range_m, 0, tol)
                    crossed = gx <= 0.0
                else:
                    tau_x, gx = _extremum(h, r, v, a, b, j, radius_m, max_range_m, 1, tol)
                    crossed = gx > 0.0
                if crossed:
                    first = _root(0.0, tau_x, h, r, v, a, b, j, radius_m, max_range_m, tol)
                    second = _root(tau_x, 1.0, h, r, v, a, b, j, radius_m, max_range_m, tol)
                    if n_ev + 2 > events.shape[0]:
                        events = _grow_rows(events)
                    for tau, kind in ((first, SET if g0 > 0.0 else RISE), (second, RISE if g0 > 0.0 else SET)):
                        events[n_ev, 0], events[n_ev, 1], events[n_ev, 2], events[n_ev, 3] = p, j, tau, kind
                        n_ev += 1
            j += 1
            g0 = g1
    return events[:n_ev], visible


@njit(cache=True, nogil=True)
def closest_approach(r, v, t_s, pair_a, pair_b, start_s, end_s, tol):
    """Time and range [m] of the closest approach of each window (pair ``pair_a[i]``, ``pair_b[i]`` from
    ``start_s[i]`` to ``end_s[i]``), over the grid samples inside it and a golden-section search in the
    steps around the nearest, and the ranges at its two ends."""
    n = pair_a.shape[0]
    out = np.empty((n, 4))  # closest time, closest range, range at start, range at end
    n_t = t_s.shape[0]
    for i in range(n):
        a, b = pair_a[i], pair_b[i]
        ends = np.empty(2)
        for e in range(2):
            t = start_s[i] if e == 0 else end_s[i]
            k = min(max(np.searchsorted(t_s, t, side="right") - 1, 0), n_t - 2)
            h = t_s[k + 1] - t_s[k]
            ends[e] = _g_at((t - t_s[k]) / h, h, r, v, a, b, k, 0.0, 0.0)[1]
        best_t, best = start_s[i], ends[0]
        if ends[1] < best:
            best_t, best = end_s[i], ends[1]
        lo = np.searchsorted(t_s, start_s[i], side="left")
        hi = np.searchsorted(t_s, end_s[i], side="right")
        k_best = -1
        for k in range(lo, hi):
            rng = _g_sample(r, a, b, k, 0.0, 0.0)[1]
            if rng < best:
                best, best_t, k_best = rng, t_s[k], k
        if k_best >= 0:
            for k in (k_best - 1, k_best):
                if 0 <= k < n_t - 1:
                    h = t_s[k + 1] - t_s[k]
                    tau, rng = _extremum(h, r, v, a, b, k, 0.0, 0.0, 2, tol)
                    t = t_s[k] + tau * h
                    if rng < best and start_s[i] <= t <= end_s[i]:
                        best, best_t = rng, t
        out[i, 0], out[i, 1], out[i, 2], out[i, 3] = best_t, best, ends[0], ends[1]
    return out
