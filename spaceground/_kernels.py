"""Compiled inner loops of the contact and shadow searches (numba, cached on disk).

These are plain loops over numpy arrays; the physics they evaluate is the same as
in :mod:`spaceground.frames` and :mod:`spaceground.illumination` and is tested
through those modules' public functions. Everything is float64.

Hermite convention: on a grid interval of length ``h`` from state (r0, v0) to
(r1, v1), local time ``tau`` runs 0..1 and the position is the cubic Hermite
polynomial; its first and second derivatives give velocity and acceleration.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

# Event kinds written by scan_contacts.
SET, RISE, CULMINATION = 0, 1, 2


@njit(cache=True, inline="always")
def _hermite(tau, h, r0, v0, r1, v1, i):
    """Position, velocity and acceleration component ``i`` of the cubic Hermite at ``tau``."""
    t2 = tau * tau
    t3 = t2 * tau
    m0 = v0[i] * h
    m1 = v1[i] * h
    p = (2 * t3 - 3 * t2 + 1) * r0[i] + (t3 - 2 * t2 + tau) * m0 + (-2 * t3 + 3 * t2) * r1[i] + (t3 - t2) * m1
    dp = (
        (6 * t2 - 6 * tau) * r0[i] + (3 * t2 - 4 * tau + 1) * m0 + (-6 * t2 + 6 * tau) * r1[i] + (3 * t2 - 2 * tau) * m1
    )
    ddp = (12 * tau - 6) * r0[i] + (6 * tau - 4) * m0 + (-12 * tau + 6) * r1[i] + (6 * tau - 2) * m1
    return p, dp / h, ddp / (h * h)


@njit(cache=True, inline="always")
def _look(rx, ry, rz, vx, vy, vz, ax, ay, az, p, u):
    """Sine of elevation and its first two time derivatives, seen from station ``p`` with up ``u``."""
    qx, qy, qz = rx - p[0], ry - p[1], rz - p[2]
    q2 = qx * qx + qy * qy + qz * qz
    q = math.sqrt(q2)
    z = qx * u[0] + qy * u[1] + qz * u[2]
    dz = vx * u[0] + vy * u[1] + vz * u[2]
    ddz = ax * u[0] + ay * u[1] + az * u[2]
    rv = qx * vx + qy * vy + qz * vz
    dq = rv / q
    ddq = (vx * vx + vy * vy + vz * vz + qx * ax + qy * ay + qz * az) / q - rv * rv / (q2 * q)
    s = z / q
    ds = dz / q - z * dq / q2
    dds = ddz / q - 2.0 * dz * dq / q2 - z * ddq / q2 + 2.0 * z * dq * dq / (q2 * q)
    return s, ds, dds


@njit(cache=True)
def _cubic_max(f0, f1, d0, d1):
    """Maximum over [0, 1] of the cubic Hermite through (f0, d0), (f1, d1) (d: per unit tau)."""
    best = max(f0, f1)
    for i in range(1, 16):
        t = i / 16.0
        t2 = t * t
        t3 = t2 * t
        p = (2 * t3 - 3 * t2 + 1) * f0 + (t3 - 2 * t2 + t) * d0 + (-2 * t3 + 3 * t2) * f1 + (t3 - t2) * d1
        best = max(best, p)
    return best


@njit(cache=True, inline="always")
def _load_interval(r, v, j, k, r0, v0, r1, v1):
    """Copy the states at both ends of grid interval k of satellite j into r0, v0, r1, v1."""
    for i in range(3):
        r0[i] = r[j, k, i]
        v0[i] = v[j, k, i]
        r1[i] = r[j, k + 1, i]
        v1[i] = v[j, k + 1, i]


@njit(cache=True)
def _grow(a, n):
    out = np.empty(max(2 * a.shape[0], n), a.dtype)
    out[: a.shape[0]] = a
    return out


@njit(cache=True)
def _grow_rows(a):
    out = np.empty((2 * a.shape[0], a.shape[1]), a.dtype)
    out[: a.shape[0]] = a
    return out


@njit(cache=True, inline="always")
def _put(events, row, j, m, k, kind, above):
    events[row, 0] = j
    events[row, 1] = m
    events[row, 2] = k
    events[row, 3] = kind
    events[row, 4] = 1.0 if above else 0.0


@njit(cache=True, nogil=True)
def scan_contacts(r, v, h, P, U, sin_mask, z_extra, hump_margin):
    """Walk every (satellite, station) pair along the grid and record bracketed events.

    A sample is skipped when its height above the station's tangent plane, ``z``, is
    below ``-(|v|max h + z_extra)``: ``z`` cannot rise by more than ``|v| h`` a step,
    so no such sample is within one step of the elevation mask, and the walk jumps
    straight to the first sample that could be.

    Returns
    -------
    events : ndarray (n_events, 6)
        Columns: satellite, station, grid interval k (the bracket is [k, k+1]), kind
        (RISE, SET, CULMINATION), whether either end is above the mask, unused.
    above_first, above_last : (n, M) bool
        Whether each pair is above the mask at the first and last grid point.
    """
    n, K = r.shape[0], r.shape[1]
    M = P.shape[0]
    h_max = 0.0
    for k in range(K - 1):
        h_max = max(h_max, h[k])
    events = np.empty((1024, 6))  # sat, station, k, kind, above-either-end, spare
    count = 0
    above_first = np.zeros((n, M), np.bool_)
    above_last = np.zeros((n, M), np.bool_)
    for j in range(n):
        speed = 0.0
        for k in range(K):
            speed = max(speed, math.sqrt(v[j, k, 0] ** 2 + v[j, k, 1] ** 2 + v[j, k, 2] ** 2))
        step_rise = speed * h_max * 1.05 + 1.0
        for m in range(M):
            p = P[m]
            u = U[m]
            d = p[0] * u[0] + p[1] * u[1] + p[2] * u[2]
            threshold = -(step_rise + z_extra[m])
            k = 0
            have_prev = False
            prev_f = 0.0
            prev_rate = 0.0
            while k < K:
                z = r[j, k, 0] * u[0] + r[j, k, 1] * u[1] + r[j, k, 2] * u[2] - d
                if z < threshold:
                    jump = math.ceil((threshold - z) / (speed * h_max + 1e-9))
                    k += max(1, int(jump))
                    have_prev = False
                    continue
                s, rate, _ = _look(
                    r[j, k, 0], r[j, k, 1], r[j, k, 2], v[j, k, 0], v[j, k, 1], v[j, k, 2], 0.0, 0.0, 0.0, p, u
                )
                f = s - sin_mask[m]
                if k == 0:
                    above_first[j, m] = f > 0.0
                if k == K - 1:
                    above_last[j, m] = f > 0.0
                if have_prev:
                    if (prev_f > 0.0) != (f > 0.0):
                        if count == events.shape[0]:
                            events = _grow_rows(events)
                        _put(events, count, j, m, k - 1, RISE if f > 0.0 else SET, prev_f > 0.0 or f > 0.0)
                        count += 1
                    if prev_rate > 0.0 and rate <= 0.0:
                        hk = h[k - 1]
                        if _cubic_max(prev_f, f, prev_rate * hk, rate * hk) > -hump_margin:
                            if count == events.shape[0]:
                                events = _grow_rows(events)
                            _put(events, count, j, m, k - 1, CULMINATION, prev_f > 0.0 or f > 0.0)
                            count += 1
                have_prev = True
                prev_f = f
                prev_rate = rate
                k += 1
    return events[:count], above_first, above_last


@njit(cache=True, nogil=True)
def refine_contacts(r, v, h, P, U, sin_mask, sat, sta, k, lo, hi, culmination, tol):
    """Newton's method on the Hermite trajectory, safeguarded by the bracket [lo, hi] in tau.

    For rises and sets the function is ``sin(el) - sin(mask)``; for culminations its
    rate. Returns tau at the root, the sine of elevation there and the function's
    derivative with respect to tau there.
    """
    N = sat.shape[0]
    tau_out = np.empty(N)
    s_out = np.empty(N)
    dg_out = np.empty(N)
    r0 = np.empty(3)
    v0 = np.empty(3)
    r1 = np.empty(3)
    v1 = np.empty(3)
    for e in range(N):
        j, m, kk = sat[e], sta[e], k[e]
        hk = h[kk]
        _load_interval(r, v, j, kk, r0, v0, r1, v1)
        a, b = lo[e], hi[e]
        ga = _contact_g(a, hk, r0, v0, r1, v1, P[m], U[m], sin_mask[m], culmination[e])[0]
        gb = _contact_g(b, hk, r0, v0, r1, v1, P[m], U[m], sin_mask[m], culmination[e])[0]
        sign = 1.0 if gb >= ga else -1.0
        ga *= sign
        gb *= sign
        x = 0.5 * (a + b) if gb == ga else a - ga * (b - a) / (gb - ga)
        x = min(max(x, a), b)
        for _ in range(60):
            g, dg, s = _contact_g(x, hk, r0, v0, r1, v1, P[m], U[m], sin_mask[m], culmination[e])
            g *= sign
            dg *= sign
            if g == 0.0:
                break
            if g < 0.0:
                a = x
            else:
                b = x
            x_new = x - g / dg if dg > 0.0 else 0.5 * (a + b)
            if not (a < x_new < b):
                x_new = 0.5 * (a + b)
            done = abs(x_new - x) < tol or b - a < tol
            x = x_new
            if done:
                break
        _, dg, s = _contact_g(x, hk, r0, v0, r1, v1, P[m], U[m], sin_mask[m], culmination[e])
        tau_out[e] = x
        s_out[e] = s
        dg_out[e] = dg
    return tau_out, s_out, dg_out


@njit(cache=True, inline="always")
def _contact_g(tau, hk, r0, v0, r1, v1, p, u, sin_mask, culmination):
    rx, vx, ax = _hermite(tau, hk, r0, v0, r1, v1, 0)
    ry, vy, ay = _hermite(tau, hk, r0, v0, r1, v1, 1)
    rz, vz, az = _hermite(tau, hk, r0, v0, r1, v1, 2)
    s, ds, dds = _look(rx, ry, rz, vx, vy, vz, ax, ay, az, p, u)
    if culmination:
        return ds * hk, dds * hk * hk, s
    return s - sin_mask, ds * hk, s


@njit(cache=True, inline="always")
def _shadow_g(rx, ry, rz, sx, sy, sz, earth_radius, sun_radius):
    """Shadow functions (umbra, any shadow) [rad]: negative inside."""
    tx, ty, tz = sx - rx, sy - ry, sz - rz
    d_sun = math.sqrt(tx * tx + ty * ty + tz * tz)
    d_earth = math.sqrt(rx * rx + ry * ry + rz * rz)
    cx = ty * (-rz) - tz * (-ry)
    cy = tz * (-rx) - tx * (-rz)
    cz = tx * (-ry) - ty * (-rx)
    dot = -(tx * rx + ty * ry + tz * rz)
    theta = math.atan2(math.sqrt(cx * cx + cy * cy + cz * cz), dot)
    a_sun = math.asin(min(1.0, sun_radius / d_sun))
    a_earth = math.asin(min(1.0, earth_radius / d_earth))
    return theta - (a_earth - a_sun), theta - (a_earth + a_sun)


@njit(cache=True)
def _shadow_at(tau, hk, r0, v0, r1, v1, s0, s1, which, earth_radius, sun_radius):
    rx = _hermite(tau, hk, r0, v0, r1, v1, 0)[0]
    ry = _hermite(tau, hk, r0, v0, r1, v1, 1)[0]
    rz = _hermite(tau, hk, r0, v0, r1, v1, 2)[0]
    sx = s0[0] + tau * (s1[0] - s0[0])
    sy = s0[1] + tau * (s1[1] - s0[1])
    sz = s0[2] + tau * (s1[2] - s0[2])
    g = _shadow_g(rx, ry, rz, sx, sy, sz, earth_radius, sun_radius)
    return g[0] if which == 0 else g[1]


@njit(cache=True)
def _illinois(tau_a, tau_b, hk, r0, v0, r1, v1, s0, s1, which, er, sr, tol):
    ga = _shadow_at(tau_a, hk, r0, v0, r1, v1, s0, s1, which, er, sr)
    gb = _shadow_at(tau_b, hk, r0, v0, r1, v1, s0, s1, which, er, sr)
    a, b = tau_a, tau_b
    side = 0
    x = 0.5 * (a + b)
    for _ in range(100):
        x = 0.5 * (a + b) if gb == ga else a - ga * (b - a) / (gb - ga)
        if not (a < x < b):
            x = 0.5 * (a + b)
        g = _shadow_at(x, hk, r0, v0, r1, v1, s0, s1, which, er, sr)
        if g == 0.0 or b - a < tol:
            break
        if (g < 0.0) == (ga < 0.0):
            a, ga = x, g
            if side == -1:
                gb *= 0.5
            side = -1
        else:
            b, gb = x, g
            if side == 1:
                ga *= 0.5
            side = 1
    return x


@njit(cache=True)
def _golden_min(a, b, hk, r0, v0, r1, v1, s0, s1, which, er, sr, tol):
    invphi = (math.sqrt(5.0) - 1.0) / 2.0
    c = b - invphi * (b - a)
    d = a + invphi * (b - a)
    fc = _shadow_at(c, hk, r0, v0, r1, v1, s0, s1, which, er, sr)
    fd = _shadow_at(d, hk, r0, v0, r1, v1, s0, s1, which, er, sr)
    while b - a > tol:
        if fc < fd:
            b, d, fd = d, c, fc
            c = b - invphi * (b - a)
            fc = _shadow_at(c, hk, r0, v0, r1, v1, s0, s1, which, er, sr)
        else:
            a, c, fc = c, d, fd
            d = a + invphi * (b - a)
            fd = _shadow_at(d, hk, r0, v0, r1, v1, s0, s1, which, er, sr)
    x = 0.5 * (a + b)
    return x, _shadow_at(x, hk, r0, v0, r1, v1, s0, s1, which, er, sr)


@njit(cache=True, nogil=True)
def shadow_crossings(r, v, sun, h, earth_radius, sun_radius, dip_margin, tol_s):
    """Times at which each satellite enters or leaves the umbra and the whole shadow.

    Returns
    -------
    sat, which (0 umbra, 1 any shadow), t (seconds from the grid start), entering,
    inside_first (n, 2), inside_last (n, 2)
    """
    n, K = r.shape[0], r.shape[1]
    cap = 1024
    o_sat = np.empty(cap, np.int64)
    o_which = np.empty(cap, np.int64)
    o_t = np.empty(cap, np.float64)
    o_in = np.empty(cap, np.bool_)
    count = 0
    inside_first = np.zeros((n, 2), np.bool_)
    inside_last = np.zeros((n, 2), np.bool_)
    t_grid = np.empty(K)
    t_grid[0] = 0.0
    for k in range(1, K):
        t_grid[k] = t_grid[k - 1] + h[k - 1]
    g = np.empty((K, 2))
    r0 = np.empty(3)
    v0 = np.empty(3)
    r1 = np.empty(3)
    v1 = np.empty(3)
    h_max = 0.0
    for k in range(K - 1):
        h_max = max(h_max, h[k])
    for j in range(n):
        # Bound on |dg/dt|: the direction to the Earth's centre turns at most |v|/|r|, the
        # Earth's disc grows at most R |dr/dt| / (|r| sqrt(|r|^2 - R^2)); the Sun barely moves.
        r_min = 1e300
        v_max = 0.0
        rdot_max = 0.0
        for k in range(K):
            rn = math.sqrt(r[j, k, 0] ** 2 + r[j, k, 1] ** 2 + r[j, k, 2] ** 2)
            vn = math.sqrt(v[j, k, 0] ** 2 + v[j, k, 1] ** 2 + v[j, k, 2] ** 2)
            rd = abs(r[j, k, 0] * v[j, k, 0] + r[j, k, 1] * v[j, k, 1] + r[j, k, 2] * v[j, k, 2]) / rn
            r_min = min(r_min, rn)
            v_max = max(v_max, vn)
            rdot_max = max(rdot_max, rd)
        rate_max = 1.05 * (
            v_max / r_min + earth_radius * rdot_max / (r_min * math.sqrt(max(r_min**2 - earth_radius**2, 1.0)))
        )
        rate_max += 1e-6
        far = dip_margin + 2.0 * rate_max * h_max
        k = 0
        while k < K:
            gu, gp = _shadow_g(
                r[j, k, 0], r[j, k, 1], r[j, k, 2], sun[k, 0], sun[k, 1], sun[k, 2], earth_radius, sun_radius
            )
            g[k, 0] = gu
            g[k, 1] = gp
            if gp > far and 0 < k < K - 1:
                # Sunlit and far from any shadow: skip samples that cannot come within reach.
                jump = max(1, int((gp - far) / (rate_max * h_max)))
                for q in range(k + 1, min(k + jump, K - 1)):
                    g[q, 0] = np.inf
                    g[q, 1] = np.inf
                k = min(k + jump, K - 1)
            else:
                k += 1
        for w in range(2):
            inside_first[j, w] = g[0, w] < 0.0
            inside_last[j, w] = g[K - 1, w] < 0.0
        for k in range(K - 1):
            for w in range(2):
                crossing = (g[k, w] < 0.0) != (g[k + 1, w] < 0.0)
                dip = False
                if not crossing and g[k, w] >= 0.0 and g[k + 1, w] >= 0.0:
                    # A brief shadow between two sunlit samples: a minimum near zero inside.
                    left = g[k - 1, w] if k > 0 else g[k, w] + 1.0
                    right = g[k + 2, w] if k + 2 < K else g[k + 1, w] + 1.0
                    dip = min(g[k, w], g[k + 1, w]) < dip_margin and g[k, w] <= left and g[k + 1, w] <= right
                if not (crossing or dip):
                    continue
                hk = h[k]
                _load_interval(r, v, j, k, r0, v0, r1, v1)
                s0 = sun[k]
                s1 = sun[k + 1]
                tol = tol_s / hk
                roots = np.empty(2)
                kinds = np.empty(2, np.bool_)
                nroots = 0
                if crossing:
                    roots[0] = _illinois(0.0, 1.0, hk, r0, v0, r1, v1, s0, s1, w, earth_radius, sun_radius, tol)
                    kinds[0] = g[k + 1, w] < 0.0
                    nroots = 1
                else:
                    x, gmin = _golden_min(0.0, 1.0, hk, r0, v0, r1, v1, s0, s1, w, earth_radius, sun_radius, 1e-7)
                    if gmin < 0.0:
                        roots[0] = _illinois(0.0, x, hk, r0, v0, r1, v1, s0, s1, w, earth_radius, sun_radius, tol)
                        roots[1] = _illinois(x, 1.0, hk, r0, v0, r1, v1, s0, s1, w, earth_radius, sun_radius, tol)
                        kinds[0] = True
                        kinds[1] = False
                        nroots = 2
                for q in range(nroots):
                    if count == o_sat.shape[0]:
                        o_sat = _grow(o_sat, count + 1)
                        o_which = _grow(o_which, count + 1)
                        o_t = _grow(o_t, count + 1)
                        o_in = _grow(o_in, count + 1)
                    o_sat[count] = j
                    o_which[count] = w
                    o_t[count] = t_grid[k] + roots[q] * hk
                    o_in[count] = kinds[q]
                    count += 1
    return o_sat[:count], o_which[:count], o_t[:count], o_in[:count], inside_first, inside_last


@njit(cache=True, nogil=True)
def rotate_states(r, v, m, dm):
    """``r' = m[k] r[j, k]``, ``v' = m[k] v[j, k] + dm[k] r[j, k]`` for states (n, K, 3), matrices (K, 3, 3)."""
    n, K = r.shape[0], r.shape[1]
    r_out = np.empty_like(r)
    v_out = np.empty_like(v)
    for j in range(n):
        for k in range(K):
            for i in range(3):
                r_out[j, k, i] = m[k, i, 0] * r[j, k, 0] + m[k, i, 1] * r[j, k, 1] + m[k, i, 2] * r[j, k, 2]
                v_out[j, k, i] = (
                    m[k, i, 0] * v[j, k, 0]
                    + m[k, i, 1] * v[j, k, 1]
                    + m[k, i, 2] * v[j, k, 2]
                    + dm[k, i, 0] * r[j, k, 0]
                    + dm[k, i, 1] * r[j, k, 1]
                    + dm[k, i, 2] * r[j, k, 2]
                )
    return r_out, v_out


@njit(cache=True, nogil=True)
def interp_rows(table, t0, step, t):
    """Linear interpolation of the rows of ``table`` (samples every ``step`` from ``t0``) at times ``t``."""
    n_rows, n_cols = table.shape
    out = np.empty((t.shape[0], n_cols))
    for e in range(t.shape[0]):
        x = (t[e] - t0) / step
        i = int(math.floor(x))
        i = min(max(i, 0), n_rows - 2)
        w = min(max(x - i, 0.0), 1.0)
        for c in range(n_cols):
            out[e, c] = table[i, c] * (1.0 - w) + table[i + 1, c] * w
    return out
