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

from .frames import elevation_azimuth_deg, geodetic_to_itrf_m


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
