"""Reference frames: TEME (SGP4's output) to ITRF, and station geometry on WGS 84.

TEME -> ITRF: the rotation by the Greenwich mean sidereal time of 1982 (from UT1)
of AIAA 2006-6753 appendix C gives the pseudo Earth-fixed frame, then polar motion
(x_p, y_p) gives ITRF. One refinement: the TEME pole is taken, as Orekit does and as
the US catalogue's own reductions do, to be the IAU-1980 true pole of date *without*
the IERS nutation corrections (Orekit: TEME's parent is "TOD/1996 without EOP").
That pole sits 30-50 mas from the real one, 1 m at LEO and 7 m at GEO distances; a
small, slowly varying rotation ``teme_correction_rad`` (computed from the IAU 1976
precession and 1980 nutation of ERFA, and the IAU 2006/2000A ones of Skyfield)
carries SGP4 vectors onto that convention before the sidereal rotation. Small
rotations are applied to first order, exact to 1e-12 relative for angles < 1".

All functions take and return numpy arrays; positions in metres, velocities in m/s,
the last axis holds x, y, z.
"""

from __future__ import annotations

import numpy as np

from .constants import SECONDS_PER_DAY, WGS84_ECCENTRICITY_SQ, WGS84_EQUATORIAL_RADIUS_M


def gmst82_rad(jd_ut1_whole, jd_ut1_fraction):
    """Greenwich mean sidereal angle (IAU 1982) [rad] and its rate [rad/s].

    Parameters
    ----------
    jd_ut1_whole, jd_ut1_fraction : array_like
        UT1 Julian date split in two parts for precision.
    """
    from skyfield.sgp4lib import theta_GMST1982

    theta_rad, theta_dot_rad_per_day = theta_GMST1982(jd_ut1_whole, jd_ut1_fraction)
    return theta_rad, theta_dot_rad_per_day / SECONDS_PER_DAY


def teme_to_itrf_matrices(theta_rad, theta_dot_rad_s, xp_rad, yp_rad, teme_correction_rad=None):
    """Matrices ``M``, ``dM`` (..., 3, 3) with ``r_itrf = M r_teme`` and ``v_itrf = M v_teme + dM r_teme``.

    ``M = W R3(theta) D``: ``D`` the small TEME-convention rotation, ``R3`` the sidereal
    rotation, ``W`` the polar motion (small angles to first order); ``dM`` is the time
    derivative of ``M`` from the sidereal rate (the others vary over days).
    """
    theta = np.asarray(theta_rad, dtype=float)
    shape = theta.shape
    c, s = np.cos(theta), np.sin(theta)
    zero, one = np.zeros(shape), np.ones(shape)
    xp = np.broadcast_to(np.asarray(xp_rad, dtype=float), shape)
    yp = np.broadcast_to(np.asarray(yp_rad, dtype=float), shape)
    rot = rotation_z(theta)
    rate = np.asarray(theta_dot_rad_s, dtype=float)[..., None, None] * np.stack(
        [np.stack([-s, c, zero], -1), np.stack([-c, -s, zero], -1), np.stack([zero, zero, zero], -1)], -2
    )
    w = np.stack([np.stack([one, zero, xp], -1), np.stack([zero, one, -yp], -1), np.stack([-xp, yp, one], -1)], -2)
    m, dm = w @ rot, w @ rate
    if teme_correction_rad is not None:
        corr = np.broadcast_to(np.asarray(teme_correction_rad, dtype=float), shape + (3,))
        wx, wy, wz = corr[..., 0], corr[..., 1], corr[..., 2]
        d = np.stack([np.stack([one, -wz, wy], -1), np.stack([wz, one, -wx], -1), np.stack([-wy, wx, one], -1)], -2)
        m, dm = m @ d, dm @ d
    return m, dm


def teme_to_itrf(r_teme_m, v_teme_m_s, theta_rad, theta_dot_rad_s, xp_rad, yp_rad, teme_correction_rad=None):
    """Rotate TEME position and velocity into ITRF (the same transform as :func:`teme_to_itrf_matrices`).

    Parameters
    ----------
    r_teme_m, v_teme_m_s : ndarray (..., 3)
        TEME position [m] and velocity [m/s].
    theta_rad, theta_dot_rad_s, xp_rad, yp_rad : ndarray broadcastable to (...)
        GMST82 [rad] and its rate [rad/s], polar motion angles [rad].
    teme_correction_rad : ndarray (..., 3), optional
        Small rotation of the TEME convention (see the module notes), from
        :func:`teme_correction_rad`.

    Returns
    -------
    r_itrf_m, v_itrf_m_s : ndarray (..., 3)
    """
    if teme_correction_rad is not None:
        r_teme_m = _rotate_small(r_teme_m, teme_correction_rad)
        v_teme_m_s = _rotate_small(v_teme_m_s, teme_correction_rad)
    c = np.cos(theta_rad)
    s = np.sin(theta_rad)
    x, y, z = r_teme_m[..., 0], r_teme_m[..., 1], r_teme_m[..., 2]
    vx, vy, vz = v_teme_m_s[..., 0], v_teme_m_s[..., 1], v_teme_m_s[..., 2]
    # PEF = R3(theta) TEME; velocity in the rotating frame gains -omega x r.
    px = c * x + s * y
    py = -s * x + c * y
    pvx = c * vx + s * vy + theta_dot_rad_s * py
    pvy = -s * vx + c * vy - theta_dot_rad_s * px
    # ITRF = W PEF with W ~ [[1, 0, xp], [0, 1, -yp], [-xp, yp, 1]] (first order).
    r_itrf = np.stack([px + xp_rad * z, py - yp_rad * z, z - xp_rad * px + yp_rad * py], axis=-1)
    v_itrf = np.stack([pvx + xp_rad * vz, pvy - yp_rad * vz, vz - xp_rad * pvx + yp_rad * pvy], axis=-1)
    return r_itrf, v_itrf


def _rotate_small(vectors, rotation_rad):
    """``vectors + rotation x vectors``: a rotation by a small angle vector [rad], broadcasting."""
    wx, wy, wz = rotation_rad[..., 0], rotation_rad[..., 1], rotation_rad[..., 2]
    x, y, z = vectors[..., 0], vectors[..., 1], vectors[..., 2]
    return np.stack([x + wy * z - wz * y, y + wz * x - wx * z, z + wx * y - wy * x], axis=-1)


def rotation_z(angle_rad):
    """Coordinate rotation about z, stacked: shape (..., 3, 3)."""
    c, s = np.cos(angle_rad), np.sin(angle_rad)
    zero, one = np.zeros_like(c), np.ones_like(c)
    return np.stack([np.stack([c, s, zero], -1), np.stack([-s, c, zero], -1), np.stack([zero, zero, one], -1)], -2)


def teme_to_gcrs_matrix(tt_whole, tt_fraction):
    """Rotation TEME -> GCRS, (..., 3, 3), with TEME's pole the uncorrected IAU-1980 true pole.

    GCRS = B^T P76^T N80^T R3(-EE94) TEME, with B the IAU 2000 frame bias, P76 the
    IAU 1976 precession, N80 the IAU 1980 nutation and EE94 the IAU 1994 equation of
    the equinoxes (all from ERFA), as in Orekit's TEME -> TOD/1996 -> MOD/1996 ->
    EME2000 -> GCRF chain.
    """
    import erfa

    precession = erfa.pmat76(tt_whole, tt_fraction)
    dpsi, deps = erfa.nut80(tt_whole, tt_fraction)
    nutation = erfa.numat(erfa.obl80(tt_whole, tt_fraction), dpsi, deps)
    bias = erfa.bp00(tt_whole, tt_fraction)[0]
    equinoxes = rotation_z(-erfa.eqeq94(tt_whole, tt_fraction))
    t = np.swapaxes
    return t(bias, -1, -2) @ t(precession, -1, -2) @ t(nutation, -1, -2) @ equinoxes


def teme_correction_rad(teme_to_gcrs, gcrs_to_tirs, gmst82):
    """Small rotation (..., 3) [rad] from the GMST82-only TEME to the Orekit TEME convention.

    Parameters
    ----------
    teme_to_gcrs : ndarray (..., 3, 3)
        From :func:`teme_to_gcrs_matrix`.
    gcrs_to_tirs : ndarray (..., 3, 3)
        GCRS -> terrestrial intermediate frame (ITRS before polar motion), e.g.
        Skyfield's ``R3(GAST) @ t.M``.
    gmst82 : ndarray (...)
        Greenwich mean sidereal angle 1982 [rad].
    """
    d = np.swapaxes(rotation_z(gmst82), -1, -2) @ gcrs_to_tirs @ teme_to_gcrs
    return 0.5 * np.stack([d[..., 2, 1] - d[..., 1, 2], d[..., 0, 2] - d[..., 2, 0], d[..., 1, 0] - d[..., 0, 1]], -1)


def unit_vector(lat_deg, lon_deg):
    """Unit vectors (..., 3) (ITRF axes) of latitudes and longitudes [deg]: the local up (the ellipsoid's normal)
    at geodetic coordinates, the geocentric direction at spherical ones."""
    lat = np.radians(np.asarray(lat_deg, dtype=float))
    lon = np.radians(np.asarray(lon_deg, dtype=float))
    return np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], axis=-1)


def geodetic_to_itrf_m(lat_deg, lon_deg, alt_m):
    """WGS 84 geodetic coordinates to ITRF position [m] and the local up (normal) vector.

    Returns
    -------
    position_m, up : ndarray (..., 3)
    """
    lat = np.radians(np.asarray(lat_deg, dtype=float))
    lon = np.radians(np.asarray(lon_deg, dtype=float))
    alt = np.asarray(alt_m, dtype=float)
    sin_lat, cos_lat = np.sin(lat), np.cos(lat)
    n = WGS84_EQUATORIAL_RADIUS_M / np.sqrt(1.0 - WGS84_ECCENTRICITY_SQ * sin_lat**2)
    position = np.stack(
        [
            (n + alt) * cos_lat * np.cos(lon),
            (n + alt) * cos_lat * np.sin(lon),
            (n * (1.0 - WGS84_ECCENTRICITY_SQ) + alt) * sin_lat,
        ],
        axis=-1,
    )
    return position, unit_vector(lat_deg, lon_deg)


def itrf_to_geodetic(position_m, iterations=4):
    """ITRF position [m] to WGS 84 geodetic latitude, longitude [deg] and height [m].

    Fixed-point iteration on the latitude (Bowring's form); four passes reach well below a
    millimetre for any height from the ground to geostationary orbit.
    """
    r = np.asarray(position_m, dtype=float)
    x, y, z = r[..., 0], r[..., 1], r[..., 2]
    p = np.hypot(x, y)
    lon = np.arctan2(y, x)
    lat = np.arctan2(z, p * (1.0 - WGS84_ECCENTRICITY_SQ))
    for _ in range(iterations):
        sin_lat = np.sin(lat)
        n = WGS84_EQUATORIAL_RADIUS_M / np.sqrt(1.0 - WGS84_ECCENTRICITY_SQ * sin_lat**2)
        lat = np.arctan2(z + WGS84_ECCENTRICITY_SQ * n * sin_lat, p)
    sin_lat, cos_lat = np.sin(lat), np.cos(lat)
    n = WGS84_EQUATORIAL_RADIUS_M / np.sqrt(1.0 - WGS84_ECCENTRICITY_SQ * sin_lat**2)
    # Height along the normal, stable at every latitude (p / cos near the equator, z / sin near the poles).
    alt = p * cos_lat + z * sin_lat - n * (1.0 - WGS84_ECCENTRICITY_SQ * sin_lat**2)
    return np.degrees(lat), np.degrees(lon), alt


def enu_basis(lat_deg, lon_deg):
    """East, north and up unit vectors (ITRF) at geodetic latitude and longitude."""
    lat = np.radians(np.asarray(lat_deg, dtype=float))
    lon = np.radians(np.asarray(lon_deg, dtype=float))
    east = np.stack([-np.sin(lon), np.cos(lon), np.zeros_like(lon)], axis=-1)
    north = np.stack([-np.sin(lat) * np.cos(lon), -np.sin(lat) * np.sin(lon), np.cos(lat)], axis=-1)
    return east, north, unit_vector(lat_deg, lon_deg)


def sin_elevation_and_rate(r_m, v_m_s, station_m, up):
    """Sine of elevation and its time derivative [1/s] of satellites seen from stations.

    ``r_m``, ``v_m_s`` (ITRF) and ``station_m``, ``up`` broadcast against each other.
    """
    rho = r_m - station_m
    rho_sq = np.einsum("...i,...i->...", rho, rho)
    rho_len = np.sqrt(rho_sq)
    rho_up = np.einsum("...i,...i->...", rho, up)
    rho_dot_v = np.einsum("...i,...i->...", rho, v_m_s)
    v_up = np.einsum("...i,...i->...", v_m_s, up)
    sin_el = rho_up / rho_len
    rate = v_up / rho_len - sin_el * rho_dot_v / rho_sq
    return sin_el, rate


def elevation_azimuth_deg(r_m, station_m, lat_deg, lon_deg):
    """Elevation and azimuth (degrees, azimuth clockwise from north in [0, 360))."""
    east, north, up = enu_basis(lat_deg, lon_deg)
    rho = r_m - station_m
    e = np.einsum("...i,...i->...", rho, east)
    n = np.einsum("...i,...i->...", rho, north)
    u = np.einsum("...i,...i->...", rho, up)
    elevation = np.degrees(np.arctan2(u, np.hypot(e, n)))
    azimuth = np.degrees(np.arctan2(e, n)) % 360.0
    azimuth = np.where(azimuth >= 360.0, 0.0, azimuth)  # -1e-15 % 360 rounds to 360.0
    return elevation, azimuth
