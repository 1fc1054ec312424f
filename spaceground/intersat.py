"""Inter-satellite visibility: when two satellites see each other over the Earth's limb, within range.

Two satellites see each other while the segment between them clears a sphere of the WGS 84
equatorial radius plus a grazing height (the atmosphere an optical beam must not cross) and
they are no farther apart than their terminals reach. The search follows the contact search of
:mod:`spaceground.contacts`: every pair on one time grid, walked with a rigorous skip-ahead (the
work follows the time pairs spend near the boundary, not pairs x samples), each bracketed
crossing refined on the cubic Hermite trajectories and corrected once on exact SGP4 states;
where two samples on one side could hide a window or an occultation between them, the
extremum in between is searched, so grazing windows are not missed. Windows in progress at the
span's edges are clipped there and flagged.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from . import _isl_kernels
from .compiling import announce_compilation
from .constants import WGS84_EQUATORIAL_RADIUS_M, WGS84_MU_M3_S2
from .errors import InputError
from .geometry import default_step_s, time_grid
from .orbits import propagate_points, propagate_teme, sgp4_error_message

# Lowest height a line of sight between two satellites may pass over the Earth: 80 km, the bound
# below which laser inter-satellite links are taken to be unusable (atmospheric absorption and
# turbulence) in Handley, "Delay is Not an Option: Low Latency Routing in Space", ACM HotNets 2018.
GRAZING_HEIGHT_M = 80e3
TAU_TOL = 1e-10  # interval-local tolerance of the roots and extrema (60 s steps: 6 ns)

ISL_COLUMNS = [
    "satellite",
    "to_satellite",
    "start_utc",
    "end_utc",
    "duration_s",
    "range_start_km",
    "range_end_km",
    "closest_utc",
    "closest_range_km",
    "clipped_start",
    "clipped_end",
]


def _nearest_on_segment(r_a_m, d_m):
    """Where along the segment from ``r_a_m`` by ``d_m`` (``(..., 3)``) the point nearest the Earth's centre
    lies (0..1), and that point [m]."""
    d2 = np.einsum("...i,...i->...", d_m, d_m)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.clip(np.where(d2 > 0, -np.einsum("...i,...i->...", r_a_m, d_m) / d2, 0.0), 0.0, 1.0)
    return s, r_a_m + s[..., None] * d_m


def line_of_sight_clearance_m(r_a_m, r_b_m, radius_m):
    """Height [m] by which the segment from ``r_a_m`` to ``r_b_m`` (positions [m] from the Earth's centre,
    ``(..., 3)``) clears a sphere of ``radius_m`` about the centre: negative where the sphere blocks it."""
    r_a_m, r_b_m = np.asarray(r_a_m, dtype=float), np.asarray(r_b_m, dtype=float)
    _, nearest = _nearest_on_segment(r_a_m, r_b_m - r_a_m)
    return np.sqrt(np.einsum("...i,...i->...", nearest, nearest)) - radius_m


def orbit_radii_m(constellation):
    """Perigee and apogee radius [m] of each satellite, from its element set's mean motion and eccentricity
    (SGP4's periodic terms move them by kilometres)."""
    a_m = np.array([(WGS84_MU_M3_S2 * (s.period_s / (2 * np.pi)) ** 2) ** (1 / 3) for s in constellation])
    e = np.array([s.eccentricity for s in constellation])
    return a_m * (1 - e), a_m * (1 + e)


# What the orbit radii of ``orbit_radii_m`` may be off by (SGP4's periodic terms and drag move a LEO radius by
# kilometres, GEO's by less): a pair is taken to be able to come within reach up to this beyond it.
RANGE_FLOOR_MARGIN_M = 50e3


def range_floor_m(perigee_a_m, apogee_a_m, perigee_b_m, apogee_b_m):
    """The least range two orbits allow [m]: never below the gap between one's perigee radius and the other's
    apogee radius (arrays broadcast)."""
    return np.maximum(0.0, np.maximum(np.subtract(perigee_b_m, apogee_a_m), np.subtract(perigee_a_m, apogee_b_m)))


def _g_and_rate(ra, va, rb, vb, radius_m, max_range_m):
    """The visibility function ``min(clearance, max_range - range)`` [m] and its time derivative [m/s] for
    exact states (``(n, 3)`` each); the derivative of the clearance is the velocity of the segment's point
    nearest the centre, along its direction (the nearest point's own motion along the segment does not count)."""
    d, dv = rb - ra, vb - va
    s, p = _nearest_on_segment(ra, d)
    pn = np.sqrt(np.einsum("ij,ij->i", p, p))
    clearance = pn - radius_m
    clearance_rate = np.einsum("ij,ij->i", p, va + s[:, None] * dv) / pn
    rng = np.sqrt(np.einsum("ij,ij->i", d, d))
    reach = max_range_m - rng
    reach_rate = -np.einsum("ij,ij->i", d, dv) / rng
    use_reach = reach < clearance
    return np.where(use_reach, reach, clearance), np.where(use_reach, reach_rate, clearance_rate)


def grid_pairs(r_m, v_m_s, plane_tolerance_deg=2.0):
    """The pairs of a +Grid topology among satellites with states ``r_m``, ``v_m_s`` (``(n, 3)``, one instant,
    an Earth-centred inertial frame): each satellite linked to its two neighbours in its orbital plane and to
    the satellite nearest in argument of latitude in each neighbouring plane.

    Planes are the satellites whose orbit normals lie within ``plane_tolerance_deg`` of each other; planes are
    ordered by right ascension of the ascending node, and the last links to the first only where the planes go
    round the whole equator (a Walker delta, not a star's seam). Returns an ``(m, 2)`` array of index pairs,
    each once, smaller index first.
    """
    r_m, v_m_s = np.asarray(r_m, dtype=float), np.asarray(v_m_s, dtype=float)
    normal = np.cross(r_m, v_m_s)
    normal /= np.linalg.norm(normal, axis=1, keepdims=True)
    node = np.cross([0.0, 0.0, 1.0], normal)
    node_norm = np.linalg.norm(node, axis=1, keepdims=True)
    node = np.where(node_norm > 1e-12, node / np.where(node_norm > 0, node_norm, 1.0), [1.0, 0.0, 0.0])
    raan = np.mod(np.arctan2(node[:, 1], node[:, 0]), 2 * np.pi)
    u = np.mod(
        np.arctan2(np.einsum("ij,ij->i", np.cross(node, r_m), normal), np.einsum("ij,ij->i", node, r_m)), 2 * np.pi
    )
    cos_tol = math.cos(math.radians(plane_tolerance_deg))
    planes = []  # (normal, members), in order of right ascension
    for i in np.argsort(raan, kind="stable"):
        for plane_normal, members in planes:
            if float(normal[i] @ plane_normal) >= cos_tol:
                members.append(int(i))
                break
        else:
            planes.append((normal[i], [int(i)]))
    pairs = set()
    rings = []
    for _, members in planes:
        ring = sorted(members, key=lambda k: u[k])
        rings.append(ring)
        if len(ring) == 2:
            pairs.add((min(ring), max(ring)))
        elif len(ring) > 2:
            for a, b in zip(ring, ring[1:] + ring[:1]):
                pairs.add((min(a, b), max(a, b)))
    plane_raan = np.array([raan[members[0]] for _, members in planes])  # its first member's (no mean of angles)
    neighbours = list(zip(range(len(rings) - 1), range(1, len(rings))))
    if len(rings) > 2:
        gaps = np.diff(np.r_[plane_raan, plane_raan[0] + 2 * np.pi])
        if gaps[-1] < 1.5 * np.median(gaps[:-1]):  # the planes go round: the last neighbours the first
            neighbours.append((len(rings) - 1, 0))
    for p, q in neighbours:
        others = np.array(rings[q])
        for a in rings[p]:
            gap = np.abs(np.angle(np.exp(1j * (u[others] - u[a]))))
            b = int(others[np.argmin(gap)])
            pairs.add((min(a, b), max(a, b)))
    return np.array(sorted(pairs), dtype=np.int64).reshape(-1, 2)


def grid_pairs_at_start(constellation, span):
    """:func:`grid_pairs` of ``constellation`` from its states at the span's start (indices into it)."""
    jd_w, jd_f = span.jd_utc(np.array([0.0]))
    r, v, err = propagate_teme(constellation, jd_w, jd_f)
    if err.any():
        k = int(np.flatnonzero(err[:, 0])[0])
        raise InputError(
            f"+Grid: SGP4 fails at the span start for {constellation[k].name} "
            f"({sgp4_error_message(int(err[k, 0]))}); leave it out or choose a span nearer its element set's epoch"
        )
    return grid_pairs(r[:, 0], v[:, 0])


def find_isl_windows(
    constellation,
    span,
    pairs,
    grazing_height_m=GRAZING_HEIGHT_M,
    max_range_m=math.inf,
    step_s=None,
) -> pd.DataFrame:
    """Visibility windows of satellite pairs over a span.

    Parameters
    ----------
    constellation : Constellation
    span : Span
    pairs : array-like of shape (n, 2)
        Indices into ``constellation`` of the pairs to search (each pair once; a link is symmetric).
    grazing_height_m : float
        Height over the WGS 84 equatorial sphere the line of sight must clear (default 80 km).
    max_range_m : float or array-like (n,)
        Longest range at which the pair's terminals close the link (per pair, or one for all).
    step_s : float, optional
        Grid step; by default that of the contact search (:func:`spaceground.geometry.default_step_s`).

    Returns
    -------
    DataFrame with :data:`ISL_COLUMNS` plus ``sat``, ``to_sat`` (indices), ``start_s``, ``end_s``
    and ``closest_s`` (seconds from the span start), one row a window, by pair then start.
    """
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    n_sats = len(constellation)
    announce_compilation(_isl_kernels, ["scan_isl", "closest_approach"], "inter-satellite link", 10)
    if len(pairs) and (pairs.min() < 0 or pairs.max() >= n_sats):
        raise InputError(f"inter-satellite pairs: indices must be 0..{n_sats - 1}, got {pairs.min()}..{pairs.max()}")
    if np.any(pairs[:, 0] == pairs[:, 1]):
        raise InputError("inter-satellite pairs: a satellite cannot link to itself")
    ranges = np.broadcast_to(np.asarray(max_range_m, dtype=float), (len(pairs),))
    if np.any(~(ranges > 0)):
        raise InputError("inter-satellite pairs: max_range_m must be > 0 (math.inf: no limit)")
    radius_m = WGS84_EQUATORIAL_RADIUS_M + float(grazing_height_m)
    involved = np.unique(pairs)
    sub = constellation.take(involved)
    local = np.searchsorted(involved, pairs)
    step = float(step_s) if step_s is not None else default_step_s(sub)
    t = time_grid(span, step)
    jd_w, jd_f = span.jd_utc(t)
    r, v, err = propagate_teme(sub, jd_w, jd_f)
    bad = np.flatnonzero(err.any(axis=1))
    if len(bad):
        k = int(bad[0])
        code = int(err[k][err[k] > 0][0])
        raise InputError(
            f"inter-satellite windows: SGP4 fails for {sub[k].name} inside the span ({sgp4_error_message(code)}); "
            "leave it out of the pairs or choose a span nearer its element set's epoch"
        )
    speed_max = np.sqrt(np.einsum("ijk,ijk->ij", v, v)).max(axis=1) * 1.001  # margin over the sampled maximum
    parts = []
    # Pairs with one range share a search; the searches are independent.
    for max_range in np.unique(ranges):
        sel = np.flatnonzero(ranges == max_range)
        parts.append(_search(sub, span, t, r, v, speed_max, local[sel], sel, radius_m, float(max_range)))
    found = pd.concat(parts, ignore_index=True) if parts else _empty()
    found = found.sort_values(["pair", "start_s"], kind="stable").reset_index(drop=True)
    sat = involved[found["pair_a"].to_numpy(np.int64)]
    to_sat = involved[found["pair_b"].to_numpy(np.int64)]
    names = np.array(constellation.names, dtype=object)
    out = pd.DataFrame(
        {
            "satellite": names[sat],
            "to_satellite": names[to_sat],
            "start_utc": span.datetimes(found["start_s"].to_numpy()),
            "end_utc": span.datetimes(found["end_s"].to_numpy()),
            "duration_s": found["end_s"] - found["start_s"],
            "range_start_km": found["range_start_m"] / 1e3,
            "range_end_km": found["range_end_m"] / 1e3,
            "closest_utc": span.datetimes(found["closest_s"].to_numpy()),
            "closest_range_km": found["closest_m"] / 1e3,
            "clipped_start": found["clipped_start"].to_numpy(bool),
            "clipped_end": found["clipped_end"].to_numpy(bool),
            "sat": sat,
            "to_sat": to_sat,
            "start_s": found["start_s"].to_numpy(float),
            "end_s": found["end_s"].to_numpy(float),
            "closest_s": found["closest_s"].to_numpy(float),
        }
    )
    return out


def _empty():
    cols = ["pair", "pair_a", "pair_b", "start_s", "end_s", "clipped_start", "clipped_end"]
    cols += ["closest_s", "closest_m", "range_start_m", "range_end_m"]
    return pd.DataFrame({c: np.zeros(0) for c in cols})


def _search(sub, span, t, r, v, speed_max, local, pair_ids, radius_m, max_range_m):
    """The windows of pairs ``local`` (rows of ``r``; ``pair_ids``: their positions in the caller's list)."""
    a, b = np.ascontiguousarray(local[:, 0]), np.ascontiguousarray(local[:, 1])
    events, visible = _isl_kernels.scan_isl(r, v, t, a, b, speed_max, radius_m, max_range_m, TAU_TOL)
    p = events[:, 0].astype(np.int64)
    k = events[:, 1].astype(np.int64)
    when = t[k] + events[:, 2] * (t[k + 1] - t[k])
    when = _exact_correction(sub, span, a[p], b[p], when, t, radius_m, max_range_m)
    rising = events[:, 3] == _isl_kernels.RISE
    starts, ends, owners, clip_a, clip_b = [], [], [], [], []
    bounds = np.searchsorted(p, np.arange(len(a) + 1))
    end_s = t[-1]
    for q in range(len(a)):
        lo, hi = bounds[q], bounds[q + 1]
        open_at, clipped = (0.0, True) if visible[q] else (None, False)
        for e in range(lo, hi):
            if rising[e]:
                open_at, clipped = when[e], False
            elif open_at is not None:
                starts.append(open_at), ends.append(when[e]), owners.append(q)
                clip_a.append(clipped), clip_b.append(False)
                open_at = None
        if open_at is not None:  # still open at the span's end
            starts.append(open_at), ends.append(end_s), owners.append(q)
            clip_a.append(clipped), clip_b.append(True)
    owners = np.asarray(owners, dtype=np.int64)
    starts, ends = np.asarray(starts, dtype=float), np.asarray(ends, dtype=float)
    order = np.argsort(starts, kind="stable")
    order = order[np.argsort(owners[order], kind="stable")]
    owners, starts, ends = owners[order], starts[order], ends[order]
    clip_a, clip_b = np.asarray(clip_a, bool)[order], np.asarray(clip_b, bool)[order]
    closest = _isl_kernels.closest_approach(r, v, t, a[owners], b[owners], starts, ends, TAU_TOL)
    return pd.DataFrame(
        {
            "pair": pair_ids[owners],
            "pair_a": a[owners],
            "pair_b": b[owners],
            "start_s": starts,
            "end_s": ends,
            "clipped_start": clip_a,
            "clipped_end": clip_b,
            "closest_s": closest[:, 0],
            "closest_m": closest[:, 1],
            "range_start_m": closest[:, 2],
            "range_end_m": closest[:, 3],
        }
    )


def _exact_correction(sub, span, a, b, when, t, radius_m, max_range_m, steps=2):
    """Newton steps on exact SGP4 states at each crossing found on the Hermite trajectories (the first removes
    the interpolation's error, centimetres on the default grid; the second what is left on a coarse one)."""
    if not len(when):
        return when
    idx = np.concatenate([a, b])
    n = len(when)
    h = t[1] - t[0]
    for _ in range(steps):
        jd_w, jd_f = span.jd_utc(when)
        rr, vv, err = propagate_points(sub, idx, np.concatenate([jd_w, jd_w]), np.concatenate([jd_f, jd_f]))
        g, rate = _g_and_rate(rr[:n], vv[:n], rr[n:], vv[n:], radius_m, max_range_m)
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.where((np.abs(rate) > 1e-9) & (err[:n] == 0) & (err[n:] == 0), g / rate, 0.0)
        # A correction of the interpolation's error: never one that leaves the crossing's grid step.
        when = np.clip(when - np.clip(step, -0.5 * h, 0.5 * h), 0.0, t[-1])
    return when
