"""Imaging geometry in a planner's terms: off-nadir angle, elevation and the Sun over the imaged point.

The off-nadir angle is measured at the satellite between its geocentric nadir (towards the Earth's
centre) and the line to the imaged point; the elevation is the satellite's above the point's WGS 84
horizon. On a spherical Earth of radius ``R`` (the point's geocentric distance) and a satellite at
geocentric distance ``r`` they are tied by the law of sines of the triangle centre, point, satellite:

    sin(off_nadir) = (R / r) * cos(elevation)

so the least elevation an imager reaches at a largest off-nadir angle is
``arccos(r / R * sin(off_nadir_max))`` (none, that is 0, when that exceeds the horizon).
"""

from __future__ import annotations

import numpy as np

from .frames import elevation_azimuth_deg, geodetic_to_itrf_m, unit_vector
from .search import golden_min


def off_nadir_deg(r_sat_m, r_point_m):
    """Off-nadir angle [deg] at satellites ``r_sat_m`` of ground points ``r_point_m`` (ITRF, broadcast)."""
    r_sat = np.asarray(r_sat_m, dtype=float)
    look = np.asarray(r_point_m, dtype=float) - r_sat
    nadir = -r_sat
    cos = np.einsum("...i,...i->...", look, nadir) / (np.linalg.norm(look, axis=-1) * np.linalg.norm(nadir, axis=-1))
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def elevation_for_off_nadir_deg(off_nadir_deg, r_sat_m, r_point_m):
    """Elevation [deg] of a satellite at geocentric distance ``r_sat_m`` seen at ``off_nadir_deg`` from a point at
    geocentric distance ``r_point_m`` (spherical triangle, see the module); 0 where the cone reaches past the
    horizon."""
    cos_el = np.asarray(r_sat_m, dtype=float) / np.asarray(r_point_m, dtype=float) * np.sin(np.radians(off_nadir_deg))
    return np.degrees(np.arccos(np.clip(cos_el, 0.0, 1.0)))


def view_of_points(r_sat_itrf_m, lat_deg, lon_deg):
    """Elevation of each satellite above each point's horizon and the off-nadir angle it sees the point at [deg]."""
    point_m, _ = geodetic_to_itrf_m(lat_deg, lon_deg, 0.0)
    elevation, _ = elevation_azimuth_deg(np.asarray(r_sat_itrf_m, dtype=float), point_m, lat_deg, lon_deg)
    return elevation, off_nadir_deg(r_sat_itrf_m, point_m)


# --- area targets -------------------------------------------------------------------------------------------
# An area is a polygon on a sphere of the Earth's local radius; the imager covers the ground within its off-nadir
# cone, a cap of central angle ``footprint_radius_rad`` around the sub-satellite point. The area is accessible
# while any of it lies in the cap: while the central angle from the sub-satellite point to the polygon (0
# inside it) is at most the cap's.


def polygon_centre(polygon):
    """The vertices of a polygon of ``[lat_deg, lon_deg]`` pairs as unit vectors (k, 3), the unit vector of their
    centre (None when they cancel out) and its latitude and longitude [deg]."""
    lat, lon = np.array(polygon, dtype=float).T
    vertices = unit_vector(lat, lon)
    total = vertices.sum(axis=0)
    norm = np.linalg.norm(total)
    if norm < 1e-9:
        return vertices, None, (np.nan, np.nan)
    centre = total / norm
    return (
        vertices,
        centre,
        (float(np.degrees(np.arcsin(centre[2]))), float(np.degrees(np.arctan2(centre[1], centre[0])))),
    )


def footprint_radius_rad(off_nadir_deg, r_sat_m, radius_m):
    """Central angle [rad] of the ground cap an imager at geocentric distance ``r_sat_m`` sees within
    ``off_nadir_deg``, on a sphere of ``radius_m``: asin(r / R sin(eta)) - eta, or the horizon's acos(R / r)
    when the cone reaches past it."""
    eta = np.radians(off_nadir_deg)
    s = np.asarray(r_sat_m, dtype=float) / radius_m * np.sin(eta)
    return np.where(s < 1.0, np.arcsin(np.minimum(s, 1.0)) - eta, np.arccos(radius_m / np.asarray(r_sat_m, float)))


def angle_to_polygon_rad(points, vertices):
    """Central angle [rad] from each unit vector of ``points`` (m, 3) to the spherical polygon with unit-vector
    ``vertices`` (k, 3) (edges are great-circle arcs; the polygon spans less than a hemisphere): 0 inside.

    Inside: the point projected gnomonically about the polygon's centre (which keeps great circles straight) is
    inside the projected polygon (even-odd rule). Outside: the least angle to an edge, measured to the foot of
    the perpendicular when it falls on the arc and to the nearer end otherwise."""
    p = np.atleast_2d(np.asarray(points, dtype=float))
    v = np.asarray(vertices, dtype=float)
    a, b = v, np.roll(v, -1, axis=0)
    centre = v.sum(axis=0)
    centre /= np.linalg.norm(centre)
    east = np.cross([0.0, 0.0, 1.0], centre)
    east = east / np.linalg.norm(east) if np.linalg.norm(east) > 1e-12 else np.array([1.0, 0.0, 0.0])
    north = np.cross(centre, east)

    def gnomonic(x):
        d = x @ centre
        return np.stack([(x @ east) / d, (x @ north) / d], axis=-1), d

    q, dp = gnomonic(p)
    qv, _ = gnomonic(v)
    x0, y0 = qv[:, 0], qv[:, 1]
    x1, y1 = np.roll(x0, -1), np.roll(y0, -1)
    px, py = q[:, :1], q[:, 1:]
    crosses = ((y0 > py) != (y1 > py)) & (px < (x1 - x0) * (py - y0) / np.where(y1 != y0, y1 - y0, 1.0) + x0)
    inside = (np.count_nonzero(crosses, axis=1) % 2 == 1) & (dp > 0.0)
    n = np.cross(a, b)
    n /= np.linalg.norm(n, axis=1, keepdims=True)
    s = p @ n.T  # sine of the angle to each edge's great circle
    foot = p[:, None, :] - s[..., None] * n[None, :, :]  # the point's projection on each great circle
    on_arc = (np.einsum("mkj,kj->mk", np.cross(a[None], foot), n) >= 0.0) & (
        np.einsum("mkj,kj->mk", np.cross(foot, b[None]), n) >= 0.0
    )
    to_line = np.arcsin(np.clip(np.abs(s), 0.0, 1.0))
    to_ends = np.arccos(np.clip(np.maximum(p @ a.T, p @ b.T), -1.0, 1.0))
    angle = np.where(on_arc, to_line, to_ends).min(axis=1)
    return np.where(inside, 0.0, angle)


def area_windows(position_itrf_m, t_grid_s, vertices, off_nadir_deg, radius_m, tolerance_s=0.05):
    """Windows in which a satellite's off-nadir cone covers part of an area: (start, end) pairs [s].

    ``position_itrf_m(t_s)`` gives the satellite's ITRF positions (n, 3) at times; ``t_grid_s`` is the search grid.
    The margin (footprint radius less the angle to the area) changes between two grid points by at most a rate
    bound taken from the grid itself (1.5 times the fastest change of nadir direction and footprint seen); a step
    whose two ends are outside but close enough for the margin to reach zero between them is searched for its
    highest margin, so an access shorter than a step is found too. Edges are refined by bisection to
    ``tolerance_s``. A window open at the grid's ends is clipped there."""
    t = np.asarray(t_grid_s, dtype=float)

    def margin_of(r):
        dist = np.linalg.norm(r, axis=1)
        return footprint_radius_rad(off_nadir_deg, dist, radius_m) - angle_to_polygon_rad(r / dist[:, None], vertices)

    def margin(ts):
        return margin_of(position_itrf_m(np.atleast_1d(ts)))

    def edge(lo, hi, rising):
        """The instant in [lo, hi] where the margin crosses zero (rising: from below)."""
        while hi - lo > tolerance_s:
            mid = 0.5 * (lo + hi)
            if (margin(mid)[0] >= 0.0) == rising:
                hi = mid
            else:
                lo = mid
        return 0.5 * (lo + hi)

    r = position_itrf_m(t)
    dist = np.linalg.norm(r, axis=1)
    g = margin_of(r)
    covered = g >= 0.0
    found = [
        (edge(t[k], t[k + 1], not covered[k]), not covered[k]) for k in np.flatnonzero(covered[1:] != covered[:-1])
    ]
    if len(t) > 1:
        # How fast the margin can change: the nadir direction's angular rate plus the footprint's, with a margin.
        u = r / dist[:, None]
        turn = np.arccos(np.clip(np.einsum("ij,ij->i", u[1:], u[:-1]), -1.0, 1.0))
        grow = np.abs(np.diff(footprint_radius_rad(off_nadir_deg, dist, radius_m)))
        h = np.diff(t)
        rate = 1.5 * float(np.max((turn + grow) / h))
        # A hidden access needs g[k] + rate x tau >= 0 and g[k+1] + rate x (h - tau) >= 0 for some tau.
        hidden = np.flatnonzero(~covered[:-1] & ~covered[1:] & (g[:-1] + g[1:] + rate * h >= 0.0))
        for k in hidden:
            # Within one grid step the margin has one peak (the satellite passes the area once).
            peak_t = golden_min(lambda ts: -margin(ts), t[k], t[k + 1], tolerance_s)
            if margin(peak_t)[0] >= 0.0:
                found += [(edge(t[k], peak_t, True), True), (edge(peak_t, t[k + 1], False), False)]
        found.sort(key=lambda e: e[0])
    windows, start = [], (t[0] if covered[0] else None)
    for when, rising in found:
        if rising:
            start = when
        elif start is not None:
            windows.append((start, when))
            start = None
    if start is not None:
        windows.append((start, t[-1]))
    return windows
