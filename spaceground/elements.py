"""Constellations from orbital elements: Walker shells written as TLE text.

Design studies start from elements rather than catalogue element sets. :func:`walker_tle` writes a Walker
delta or star shell (``planes`` planes of ``per_plane`` satellites, phasing ``phasing``) as 3-line TLE text
that :func:`spaceground.orbits.parse_tle` reads like any other file, so the generated satellites can be
saved beside a run and checked. Circular orbits; the mean motion is the Keplerian one of the semi-major
axis (SGP4's WGS 72 gravity constant), without SGP4's own J2 conversion, so the mean altitude is within a
few kilometres of the one asked for.
"""

from __future__ import annotations

import math

import pandas as pd

from .constants import SGP4_WGS72_MU_M3_S2, WGS84_EQUATORIAL_RADIUS_M
from .orbits import tle_checksum


def _with_checksum(line):
    return line + str(tle_checksum(line))


def tle_lines(norad_id, epoch, inclination_deg, raan_deg, mean_anomaly_deg, mean_motion_rev_day, designator="00000A"):
    """Line 1 and line 2 of a circular orbit's element set (eccentricity 0, no drag terms)."""
    if not 0 < norad_id < 100000:
        raise ValueError(f"NORAD id must be 1..99999, got {norad_id}")
    epoch = pd.Timestamp(epoch).tz_convert("UTC")
    day = epoch.day_of_year + (epoch - epoch.normalize()).total_seconds() / 86400.0
    line1 = f"1 {norad_id:05d}U {designator:8s} {epoch.year % 100:02d}{day:012.8f}  .00000000  00000-0  00000-0 0  999"
    line2 = (
        f"2 {norad_id:05d} {inclination_deg % 360.0:8.4f} {raan_deg % 360.0:8.4f} 0000000 {0.0:8.4f} "
        f"{mean_anomaly_deg % 360.0:8.4f} {mean_motion_rev_day:11.8f}{0:5d}"
    )
    return _with_checksum(line1), _with_checksum(line2)


def walker_tle(
    planes,
    per_plane,
    phasing,
    altitude_km,
    inclination_deg,
    epoch,
    pattern="delta",
    name="WALKER",
    first_id=90000,
):
    """3-line TLE text of a Walker shell of ``planes`` x ``per_plane`` satellites.

    ``pattern``: ``"delta"`` spreads the planes' ascending nodes over 360 deg, ``"star"`` over 180 deg.
    Satellite ``j`` of plane ``p`` has right ascension of the node ``p * spread / planes`` and mean anomaly
    (the argument of latitude of a circular orbit) ``360 j / per_plane + 360 phasing p / (planes per_plane)``.
    Names are ``{name}-P{p}-S{j}``; NORAD ids count up from ``first_id``.
    """
    if planes < 1 or per_plane < 1:
        raise ValueError("a Walker shell needs at least one plane of one satellite")
    if not 0 <= phasing < planes:
        raise ValueError(f"phasing must be 0..{planes - 1}, got {phasing}")
    if first_id + planes * per_plane > 100000:
        raise ValueError("the shell's NORAD ids would pass 99999: lower first_id")
    spread = {"delta": 360.0, "star": 180.0}.get(pattern)
    if spread is None:
        raise ValueError(f"pattern must be 'delta' or 'star', got {pattern!r}")
    a_m = WGS84_EQUATORIAL_RADIUS_M + altitude_km * 1e3
    n_rev_day = math.sqrt(SGP4_WGS72_MU_M3_S2 / a_m**3) * 86400.0 / (2.0 * math.pi)
    total = planes * per_plane
    out = []
    for p in range(planes):
        for j in range(per_plane):
            k = p * per_plane + j
            line1, line2 = tle_lines(
                first_id + k,
                epoch,
                inclination_deg,
                p * spread / planes,
                360.0 * j / per_plane + 360.0 * phasing * p / total,
                n_rev_day,
            )
            out += [f"{name}-P{p}-S{j}", line1, line2]
    return "\n".join(out) + "\n"
