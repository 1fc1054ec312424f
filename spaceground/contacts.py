"""Contact windows: when each satellite is above each station's elevation mask.

All satellite x station pairs at once, in three steps (Skyfield's coarse-then-refine
search, vectorised over pairs):

1. **Screen** on the common time grid: the sine of the elevation ``s`` and its rate
   ``ds/dt`` for every pair, in float32 blocks that stay in cache (values within
   1e-4 of the mask, or rates within 1e-6 /s of zero, are recomputed in float64 so
   that no sign is wrong).
2. **Bracket**: rises and sets are sign changes of ``s - sin(mask)``; culminations are
   sign changes of ``ds/dt`` from + to -. A culmination whose cubic-Hermite estimate
   comes within 0.02 of the mask is refined even if both neighbouring samples are
   below it, so a grazing pass of a few seconds between two samples is found.
3. **Refine** each bracket by Newton's method on the Hermite-interpolated trajectory,
   then correct once with an exact SGP4 evaluation at the converged instant.

The grid step must be shorter than the time between a culmination and the
neighbouring minimum of elevation (about a quarter of an orbit); it is chosen in
:func:`spaceground.geometry.default_step_s`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .frames import elevation_azimuth_deg, geodetic_to_itrf_m, sin_elevation_and_rate
from .search import bracketed_newton, cubic_max_on_unit, hermite_state

F_NEAR_ZERO = 1e-4  # |s - sin(mask)| below this is recomputed in float64
RATE_NEAR_ZERO_PER_S = 1e-6  # |ds/dt| below this is recomputed in float64
HUMP_MARGIN = 0.02  # culminations estimated within this (in sine of elevation) are refined
TAU_TOL = 1e-9  # interval-local tolerance (60 s intervals: 60 ns)

CONTACT_COLUMNS = [
    "satellite",
    "norad_id",
    "station",
    "aos_utc",
    "tca_utc",
    "los_utc",
    "duration_s",
    "max_elevation_deg",
    "aos_azimuth_deg",
    "los_azimuth_deg",
    "clipped",
]


@dataclass(frozen=True)
class StationSet:
    """Station positions as arrays, in the order given."""

    ids: tuple
    lat_deg: np.ndarray
    lon_deg: np.ndarray
    alt_m: np.ndarray
    min_elevation_deg: np.ndarray
    position_m: np.ndarray  # (M, 3) ITRF
    up: np.ndarray  # (M, 3)

    @classmethod
    def from_stations(cls, stations):
        lat = np.array([s.lat_deg for s in stations], dtype=float)
        lon = np.array([s.lon_deg for s in stations], dtype=float)
        alt = np.array([s.alt_m for s in stations], dtype=float)
        mask = np.array([s.min_elevation_deg for s in stations], dtype=float)
        pos, up = geodetic_to_itrf_m(lat, lon, alt)
        return cls(tuple(s.station_id for s in stations), lat, lon, alt, mask, pos.reshape(-1, 3), up.reshape(-1, 3))

    @property
    def sin_mask(self):
        return np.sin(np.radians(self.min_elevation_deg))

    def __len__(self):
        return len(self.ids)


def _screen_one(r, v, st32, sin_mask32):
    """float32 sine of elevation minus mask, and its rate, for one satellite: (K, M) each."""
    ut, pt, d, pp = st32
    R = r.astype(np.float32)
    V = v.astype(np.float32)
    z = R @ ut
    z -= d
    rr = R @ pt
    rr *= -2.0
    rr += np.einsum("ij,ij->i", R, R)[:, None]
    rr += pp
    zd = V @ ut
    rv = V @ pt
    rv *= -1.0
    rv += np.einsum("ij,ij->i", R, V)[:, None]
    rho = np.sqrt(rr)
    s = z / rho
    rate = zd / rho
    rate -= s * rv / rr
    s -= sin_mask32
    return s, rate


def find_contacts_chunk(r_itrf, v_itrf, t_s, stations: StationSet, exact_state):
    """Passes of a chunk of satellites over all stations.

    Parameters
    ----------
    r_itrf, v_itrf : ndarray (n, K, 3)
        ITRF states [m, m/s] on the grid ``t_s`` (K,).
    stations : StationSet
    exact_state : callable(local_sat_index, t_s) -> (r_itrf, v_itrf)
        Exact SGP4 states at scattered (satellite, time) points.

    Returns
    -------
    dict of arrays, one entry per pass: ``sat`` (local index), ``station``, ``aos_s``,
    ``tca_s``, ``los_s``, ``max_elevation_deg``, ``aos_azimuth_deg``,
    ``los_azimuth_deg``, ``clipped``.
    """
    n, K, _ = r_itrf.shape
    M = len(stations)
    P, U = stations.position_m, stations.up
    sin_mask = stations.sin_mask
    h = np.diff(t_s)
    st32 = (
        U.T.astype(np.float32).copy(),
        P.T.astype(np.float32).copy(),
        np.einsum("ij,ij->i", P, U).astype(np.float32),
        np.einsum("ij,ij->i", P, P).astype(np.float32),
    )
    sin_mask32 = sin_mask.astype(np.float32)

    roots = {"j": [], "m": [], "k": [], "rising": []}
    culm = {"j": [], "m": [], "k": []}
    above_first = np.empty((n, M), dtype=bool)
    above_last = np.empty((n, M), dtype=bool)
    for j in range(n):
        f, rate = _screen_one(r_itrf[j], v_itrf[j], st32, sin_mask32)
        near = np.abs(f) < F_NEAR_ZERO
        near |= np.abs(rate) < RATE_NEAR_ZERO_PER_S
        kk, mm = np.nonzero(near)
        if kk.size:
            s64, rate64 = sin_elevation_and_rate(r_itrf[j, kk], v_itrf[j, kk], P[mm], U[mm])
            f[kk, mm] = s64 - sin_mask[mm]
            rate[kk, mm] = rate64
        above = f > 0.0
        above_first[j] = above[0]
        above_last[j] = above[-1]
        kk, mm = np.nonzero(above[1:] != above[:-1])
        roots["j"].append(np.full(kk.size, j))
        roots["m"].append(mm)
        roots["k"].append(kk)
        roots["rising"].append(above[kk + 1, mm])
        kk, mm = np.nonzero((rate[:-1] > 0.0) & (rate[1:] <= 0.0))
        if kk.size:
            hk = h[kk]
            est = cubic_max_on_unit(f[kk, mm], f[kk + 1, mm], rate[kk, mm] * hk, rate[kk + 1, mm] * hk)
            keep = est > -HUMP_MARGIN
            kk, mm = kk[keep], mm[keep]
        culm["j"].append(np.full(kk.size, j))
        culm["m"].append(mm)
        culm["k"].append(kk)

    roots = {key: np.concatenate(val) if val else np.zeros(0, int) for key, val in roots.items()}
    culm = {key: np.concatenate(val) if val else np.zeros(0, int) for key, val in culm.items()}
    roots["rising"] = roots["rising"].astype(bool)

    def interval_eval(j, k):
        """Hermite state on interval k of satellite j: at(idx, tau) -> r, v, a."""
        r0, v0 = r_itrf[j, k], v_itrf[j, k]
        r1, v1 = r_itrf[j, k + 1], v_itrf[j, k + 1]
        hk = h[k]

        def at(idx, tau):
            return hermite_state(tau, hk[idx], r0[idx], v0[idx], r1[idx], v1[idx])

        return at

    # --- culminations -----------------------------------------------------------------
    cj, cm, ck = culm["j"], culm["m"], culm["k"]
    c_tau = np.zeros(0)
    c_s = np.zeros(0)
    if ck.size:
        at = interval_eval(cj, ck)
        hk = h[ck]

        def rate_fun(idx, tau):
            r, v, a = at(idx, tau)
            s, ds, dds = _sin_el_derivatives(r, v, a, P[cm[idx]], U[cm[idx]])
            return ds * hk[idx], dds * hk[idx] ** 2

        g0, _ = rate_fun(np.arange(ck.size), np.zeros(ck.size))
        g1, _ = rate_fun(np.arange(ck.size), np.ones(ck.size))
        c_tau = bracketed_newton(rate_fun, np.zeros(ck.size), np.ones(ck.size), g0, g1, xtol=TAU_TOL)
        r, v, a = at(np.arange(ck.size), c_tau)
        c_s, _, _ = _sin_el_derivatives(r, v, a, P[cm], U[cm])
        c_f = c_s - sin_mask[cm]
        # Grazing passes hidden between two samples below the mask: add their rise and set.
        hidden = (c_f > 0.0) & ~_above_at(above_first, above_last, r_itrf, v_itrf, cj, cm, ck, P, U, sin_mask)
        if hidden.any():
            hj, hm, hk_ = cj[hidden], cm[hidden], ck[hidden]
            roots = _add_hidden_roots(roots, hj, hm, hk_, c_tau[hidden])
        keep = c_f > 0.0
        cj, cm, ck, c_tau = cj[keep], cm[keep], ck[keep], c_tau[keep]

    # --- rises and sets ---------------------------------------------------------------
    rj, rm, rk = roots["j"], roots["m"], roots["k"]
    lo = roots.get("lo", np.zeros(rk.size))
    hi = roots.get("hi", np.ones(rk.size))
    r_tau = np.zeros(0)
    if rk.size:
        at = interval_eval(rj, rk)
        hk = h[rk]

        def f_fun(idx, tau):
            r, v, a = at(idx, tau)
            s, ds = sin_elevation_and_rate(r, v, P[rm[idx]], U[rm[idx]])
            return s - sin_mask[rm[idx]], ds * hk[idx]

        all_idx = np.arange(rk.size)
        g_lo, _ = f_fun(all_idx, lo)
        g_hi, _ = f_fun(all_idx, hi)
        r_tau = bracketed_newton(f_fun, lo, hi, g_lo, g_hi, xtol=TAU_TOL)

    # --- one exact SGP4 correction per event ------------------------------------------
    t_root = t_s[rk] + r_tau * h[rk] if rk.size else np.zeros(0)
    t_culm = t_s[ck] + c_tau * h[ck] if ck.size else np.zeros(0)
    root_az = np.zeros(rk.size)
    if rk.size:
        r, v = exact_state(rj, t_root)
        s, ds = sin_elevation_and_rate(r, v, P[rm], U[rm])
        with np.errstate(divide="ignore", invalid="ignore"):
            dt = -(s - sin_mask[rm]) / ds
        dt = np.where(np.isfinite(dt) & (np.abs(dt) < 0.5), dt, 0.0)
        t_root = t_root + dt
        _, root_az = elevation_azimuth_deg(r, P[rm], stations.lat_deg[rm], stations.lon_deg[rm])
    culm_el = np.zeros(ck.size)
    if ck.size:
        r, v = exact_state(cj, t_culm)
        _, _, a = interval_eval(cj, ck)(np.arange(ck.size), c_tau)
        s, ds, dds = _sin_el_derivatives(r, v, a, P[cm], U[cm])
        with np.errstate(divide="ignore", invalid="ignore"):
            dt = -ds / dds
        dt = np.where(np.isfinite(dt) & (np.abs(dt) < 0.5), dt, 0.0)
        t_culm = t_culm + dt
        s_max = np.clip(s + 0.5 * ds * dt, -1.0, 1.0)
        culm_el = np.degrees(np.arcsin(s_max))

    return _assemble(
        n, M, t_s, rj, rm, t_root, roots["rising"], root_az, cj, cm, t_culm, culm_el,
        above_first, above_last, r_itrf, stations,
    )  # fmt: skip


def _sin_el_derivatives(r, v, a, station_m, up):
    """Sine of elevation and its first and second time derivatives."""
    rho = r - station_m
    q2 = np.einsum("ij,ij->i", rho, rho)
    q = np.sqrt(q2)
    z = np.einsum("ij,ij->i", rho, up)
    dz = np.einsum("ij,ij->i", v, up)
    ddz = np.einsum("ij,ij->i", a, up)
    rv = np.einsum("ij,ij->i", rho, v)
    dq = rv / q
    ddq = (np.einsum("ij,ij->i", v, v) + np.einsum("ij,ij->i", rho, a)) / q - rv * rv / (q2 * q)
    s = z / q
    ds = dz / q - z * dq / q2
    dds = ddz / q - 2.0 * dz * dq / q2 - z * ddq / q2 + 2.0 * z * dq * dq / (q2 * q)
    return s, ds, dds


def _above_at(above_first, above_last, r_itrf, v_itrf, j, m, k, P, U, sin_mask):
    """Whether either end of interval k is above the mask (float64, exact grid states)."""
    s0, _ = sin_elevation_and_rate(r_itrf[j, k], v_itrf[j, k], P[m], U[m])
    s1, _ = sin_elevation_and_rate(r_itrf[j, k + 1], v_itrf[j, k + 1], P[m], U[m])
    return (s0 - sin_mask[m] > 0.0) | (s1 - sin_mask[m] > 0.0)


def _add_hidden_roots(roots, j, m, k, tau_peak):
    n_old = roots["k"].size
    lo = np.concatenate([np.zeros(n_old), np.zeros(k.size), tau_peak])
    hi = np.concatenate([np.ones(n_old), tau_peak, np.ones(k.size)])
    return {
        "j": np.concatenate([roots["j"], j, j]),
        "m": np.concatenate([roots["m"], m, m]),
        "k": np.concatenate([roots["k"], k, k]),
        "rising": np.concatenate([roots["rising"], np.ones(k.size, bool), np.zeros(k.size, bool)]),
        "lo": lo,
        "hi": hi,
    }


def _assemble(n, M, t_s, rj, rm, t_root, rising, root_az, cj, cm, t_culm, culm_el,
              above_first, above_last, r_itrf, stations):  # fmt: skip
    """Pair rises with sets per (satellite, station), clip at the span edges, attach culminations."""
    t_end = float(t_s[-1])
    P = stations.position_m
    # Virtual rises at the start and sets at the end for pairs already above the mask.
    sj, sm = np.nonzero(above_first)
    ej, em = np.nonzero(above_last)
    el0 = az0 = el1 = az1 = np.zeros(0)
    if sj.size:
        el0, az0 = elevation_azimuth_deg(r_itrf[sj, 0], P[sm], stations.lat_deg[sm], stations.lon_deg[sm])
    if ej.size:
        el1, az1 = elevation_azimuth_deg(r_itrf[ej, -1], P[em], stations.lat_deg[em], stations.lon_deg[em])
    pair = np.concatenate([rj * M + rm, sj * M + sm, ej * M + em])
    time = np.concatenate([t_root, np.zeros(sj.size), np.full(ej.size, t_end)])
    is_rise = np.concatenate([rising, np.ones(sj.size, bool), np.zeros(ej.size, bool)])
    az = np.concatenate([root_az, az0, az1])
    edge = np.concatenate([np.zeros(rj.size, bool), np.ones(sj.size + ej.size, bool)])
    edge_el = np.concatenate([np.full(rj.size, -np.inf), el0, el1])
    # At equal times a rise sorts before a set only for the virtual start; use the flag.
    order = np.lexsort((~is_rise, time, pair))
    pair, time, is_rise, az, edge, edge_el = (x[order] for x in (pair, time, is_rise, az, edge, edge_el))
    if pair.size % 2 or not (np.all(is_rise[0::2]) and not np.any(is_rise[1::2])) or np.any(pair[0::2] != pair[1::2]):
        raise RuntimeError("internal error: rises and sets do not alternate; please report this scenario")
    p_pair = pair[0::2]
    aos, los = time[0::2], time[1::2]
    out = {
        "sat": p_pair // M,
        "station": p_pair % M,
        "aos_s": aos,
        "los_s": los,
        "aos_azimuth_deg": az[0::2],
        "los_azimuth_deg": az[1::2],
        "clipped": edge[0::2] | edge[1::2],
    }
    # Highest point: the best culmination inside the pass, or a clipped edge.
    best_el = np.maximum(edge_el[0::2], edge_el[1::2])
    best_t = np.where(edge_el[0::2] >= edge_el[1::2], aos, los)
    if cj.size:
        c_pair = cj * M + cm
        key_start = p_pair.astype(float) * (4.0 * t_end + 4.0) + aos
        key_c = c_pair.astype(float) * (4.0 * t_end + 4.0) + t_culm
        which = np.searchsorted(key_start, key_c, side="right") - 1
        ok = (which >= 0) & (p_pair[np.clip(which, 0, None)] == c_pair) & (t_culm <= los[np.clip(which, 0, None)])
        which, c_el, c_t = which[ok], culm_el[ok], t_culm[ok]
        order = np.lexsort((c_el, which))
        which, c_el, c_t = which[order], c_el[order], c_t[order]
        last = np.r_[which[1:] != which[:-1], True] if which.size else np.zeros(0, bool)
        w, e, t = which[last], c_el[last], c_t[last]
        better = e > best_el[w]
        best_el[w[better]] = e[better]
        best_t[w[better]] = t[better]
    unresolved = ~np.isfinite(best_el)
    if unresolved.any():
        raise RuntimeError(
            f"internal error: {unresolved.sum()} passes have no culmination; please report this scenario"
        )
    out["tca_s"] = best_t
    out["max_elevation_deg"] = best_el
    return out
