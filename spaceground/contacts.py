"""Contact windows: when each satellite is above each station's elevation mask.

All satellite x station pairs at once, in three steps (Skyfield's coarse-then-refine
search, compiled with numba in :mod:`spaceground._kernels`):

1. **Walk** each pair along the common time grid. The satellite's height above the
   station's tangent plane changes by at most ``|v| h`` per step, so samples too
   low to be within a step of the mask are jumped over (a rigorous bound): the work
   follows the time spent near the station, not satellites x stations x samples.
2. **Bracket**: rises and sets are sign changes of ``s - sin(mask)`` (``s`` the sine
   of elevation); culminations are sign changes of ``ds/dt`` from + to -. A
   culmination whose cubic-Hermite estimate comes within 0.02 of the mask is refined
   even if both neighbouring samples are below it, so a grazing pass of a second
   between two samples is found.
3. **Refine** each bracket by safeguarded Newton on the Hermite-interpolated
   trajectory, then correct once with an exact SGP4 evaluation at the converged
   instant (one Newton step on exact values: error ~1e-6 s).

The grid step must be shorter than the time between a culmination and the
neighbouring minimum of elevation (about a quarter of an orbit); it is chosen in
:func:`spaceground.geometry.default_step_s`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _kernels
from .frames import elevation_azimuth_deg, geodetic_to_itrf_m, sin_elevation_and_rate

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
    r_itrf = np.ascontiguousarray(r_itrf)
    v_itrf = np.ascontiguousarray(v_itrf)
    # Below a negative mask a visible satellite may sit under the tangent plane, by at
    # most its range (< 2 |r|) times sin(-mask).
    r_max = float(np.sqrt(np.einsum("nki,nki->nk", r_itrf, r_itrf).max()))
    z_extra = 2.0 * r_max * np.maximum(0.0, -sin_mask)
    events, above_first, above_last = _kernels.scan_contacts(r_itrf, v_itrf, h, P, U, sin_mask, z_extra, HUMP_MARGIN)
    sat, sta, k = (events[:, i].astype(np.int64) for i in range(3))
    kind = events[:, 3].astype(np.int8)
    ends_above = events[:, 4] > 0.5

    # Culminations: roots of the elevation rate on the Hermite trajectory.
    c = kind == _kernels.CULMINATION
    cj, cm, ck = sat[c], sta[c], k[c]
    c_tau, c_s, c_dg = _kernels.refine_contacts(
        r_itrf,
        v_itrf,
        h,
        P,
        U,
        sin_mask,
        cj,
        cm,
        ck,
        np.zeros(ck.size),
        np.ones(ck.size),
        np.ones(ck.size, np.bool_),
        TAU_TOL,
    )
    c_above = c_s - sin_mask[cm] > 0.0
    # Grazing passes hidden between two samples below the mask: a rise before the
    # culmination and a set after it, inside the same grid interval.
    hidden = c_above & ~ends_above[c]
    r = ~c
    rj = np.concatenate([sat[r], cj[hidden], cj[hidden]])
    rm = np.concatenate([sta[r], cm[hidden], cm[hidden]])
    rk = np.concatenate([k[r], ck[hidden], ck[hidden]])
    rising = np.concatenate([kind[r] == _kernels.RISE, np.ones(hidden.sum(), bool), np.zeros(hidden.sum(), bool)])
    lo = np.concatenate([np.zeros(r.sum()), np.zeros(hidden.sum()), c_tau[hidden]])
    hi = np.concatenate([np.ones(r.sum()), c_tau[hidden], np.ones(hidden.sum())])
    r_tau, _, _ = _kernels.refine_contacts(
        r_itrf, v_itrf, h, P, U, sin_mask, rj, rm, rk, lo, hi, np.zeros(rk.size, np.bool_), TAU_TOL
    )
    c_dds = c_dg[c_above] / h[ck[c_above]] ** 2
    cj, cm, ck, c_tau = cj[c_above], cm[c_above], ck[c_above], c_tau[c_above]

    # One exact SGP4 evaluation per event, then one Newton step on it.
    t_root = t_s[rk] + r_tau * h[rk]
    t_culm = t_s[ck] + c_tau * h[ck]
    r_all, v_all = exact_state(np.concatenate([rj, cj]), np.concatenate([t_root, t_culm]))
    nr = rk.size
    s, ds = sin_elevation_and_rate(r_all, v_all, P[np.concatenate([rm, cm])], U[np.concatenate([rm, cm])])
    with np.errstate(divide="ignore", invalid="ignore"):
        dt_root = -(s[:nr] - sin_mask[rm]) / ds[:nr]
        dt_culm = -ds[nr:] / c_dds
    dt_root = np.where(np.isfinite(dt_root) & (np.abs(dt_root) < 0.5), dt_root, 0.0)
    dt_culm = np.where(np.isfinite(dt_culm) & (np.abs(dt_culm) < 0.5), dt_culm, 0.0)
    _, root_az = elevation_azimuth_deg(r_all[:nr], P[rm], stations.lat_deg[rm], stations.lon_deg[rm])
    culm_el = np.degrees(np.arcsin(np.clip(s[nr:] + 0.5 * ds[nr:] * dt_culm, -1.0, 1.0)))

    return _assemble(
        n,
        M,
        t_s,
        rj,
        rm,
        t_root + dt_root,
        rising,
        root_az,
        cj,
        cm,
        t_culm + dt_culm,
        culm_el,
        above_first,
        above_last,
        r_itrf,
        stations,
    )


def _assemble(
    n, M, t_s, rj, rm, t_root, rising, root_az, cj, cm, t_culm, culm_el, above_first, above_last, r_itrf, stations
):
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
