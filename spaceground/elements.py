"""Constellations from orbital elements: Walker shells, and clones of one satellite's element set, written as TLEs.

Design studies start from elements rather than catalogue element sets. :func:`walker_tle` writes a Walker
delta or star shell (``planes`` planes of ``per_plane`` satellites, phasing ``phasing``) and :func:`clone_tle`
copies one real element set into planes and slots (the node and mean anomaly offset, every other element kept,
drag terms included, as the orbital-edge-computing studies build their constellations). Both give 3-line TLE text
that :func:`spaceground.orbits.parse_tle` reads like any other file, so the generated satellites can be saved
beside a run, reused and checked.

Altitude: a TLE's mean motion is Kozai's; SGP4 turns it into Brouwer's before anything else
(Hoots & Roehrich, Spacetrack Report No. 3, 1980; Vallado et al., AIAA 2006-6753). :func:`tle_mean_motion_rev_day`
inverts that step, so that the mean semi-major axis SGP4 works with is exactly the WGS 84 equatorial radius plus
the altitude asked for (to the TLE's eight decimals of rev/day: millimetres).
"""

from __future__ import annotations

import math

import pandas as pd

from .constants import SGP4_WGS72_MU_M3_S2, WGS84_EQUATORIAL_RADIUS_M
from .orbits import tle_checksum

# SGP4's WGS 72 constants (Vallado et al. 2006, getgravconst "wgs72"): Earth radius, J2 and ke, the square root of
# the gravitational parameter in Earth radii^1.5 per minute.
SGP4_RADIUS_KM = 6378.135
SGP4_J2 = 0.001082616
SGP4_KE_PER_MIN = 60.0 / math.sqrt(SGP4_RADIUS_KM**3 / (SGP4_WGS72_MU_M3_S2 / 1e9))
MIN_PER_DAY = 1440.0


def brouwer_semi_major_axis_km(mean_motion_rev_day, inclination_deg, eccentricity=0.0):
    """The mean semi-major axis SGP4 derives from a TLE's (Kozai) mean motion [km] (its initialisation, inverted by
    :func:`tle_mean_motion_rev_day`)."""
    n0 = mean_motion_rev_day * 2.0 * math.pi / MIN_PER_DAY
    d1 = _d1(inclination_deg, eccentricity)
    a1 = (SGP4_KE_PER_MIN / n0) ** (2.0 / 3.0)
    delta = d1 / (a1 * a1)
    adel = a1 * (1.0 - delta * delta - delta * (1.0 / 3.0 + 134.0 * delta * delta / 81.0))
    delta = d1 / (adel * adel)
    n_brouwer = n0 / (1.0 + delta)
    return (SGP4_KE_PER_MIN / n_brouwer) ** (2.0 / 3.0) * SGP4_RADIUS_KM


def _d1(inclination_deg, eccentricity):
    cos_i = math.cos(math.radians(inclination_deg))
    return 0.75 * SGP4_J2 * (3.0 * cos_i * cos_i - 1.0) / (1.0 - eccentricity * eccentricity) ** 1.5


def tle_mean_motion_rev_day(altitude_km, inclination_deg, eccentricity=0.0):
    """The TLE (Kozai) mean motion [rev/day] whose SGP4 mean semi-major axis is the WGS 84 equatorial radius plus
    ``altitude_km``."""
    a_er = (WGS84_EQUATORIAL_RADIUS_M / 1e3 + altitude_km) / SGP4_RADIUS_KM
    if a_er <= 1.0:
        raise ValueError(f"altitude {altitude_km} km is below the Earth's surface")
    n_brouwer = SGP4_KE_PER_MIN / a_er**1.5  # rad/min
    n0 = n_brouwer
    for _ in range(50):  # n0 = n'' (1 + delta(n0)): a contraction (delta ~ 1e-3)
        a1 = (SGP4_KE_PER_MIN / n0) ** (2.0 / 3.0)
        d1 = _d1(inclination_deg, eccentricity)
        delta = d1 / (a1 * a1)
        adel = a1 * (1.0 - delta * delta - delta * (1.0 / 3.0 + 134.0 * delta * delta / 81.0))
        delta = d1 / (adel * adel)
        n_next = n_brouwer * (1.0 + delta)
        if abs(n_next - n0) < 1e-16:
            break
        n0 = n_next
    return n0 * MIN_PER_DAY / (2.0 * math.pi)


def along_track_deg_per_s(satrec):
    """How fast a near-circular orbit's argument of latitude advances on average under SGP4 [deg/s]: the mean
    anomaly's rate plus the perigee's (J2's secular terms included), from an initialised ``sgp4`` ``Satrec``."""
    return math.degrees(satrec.mdot + satrec.argpdot) / 60.0


def check_ids(first_id, count, what="satellites"):
    """Refuse ``count`` generated NORAD ids from ``first_id`` that would pass 99999 (ValueError)."""
    if first_id + count > 100000:
        raise ValueError(f"{count} {what} from first_id {first_id} pass NORAD id 99999: lower first_id")


def check_phasing(phasing, planes):
    """Refuse a Walker phasing outside 0..planes-1 (ValueError)."""
    if not 0 <= phasing < planes:
        raise ValueError(f"phasing {phasing} must be 0..{planes - 1} (below the number of planes)")


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
    raan_deg=0.0,
):
    """3-line TLE text of a Walker shell of ``planes`` x ``per_plane`` satellites.

    ``pattern``: ``"delta"`` spreads the planes' ascending nodes over 360 deg, ``"star"`` over 180 deg.
    Satellite ``j`` of plane ``p`` has right ascension of the node ``raan_deg + p * spread / planes`` and mean
    anomaly
    (the argument of latitude of a circular orbit) ``360 j / per_plane + 360 phasing p / (planes per_plane)``.
    Names are ``{name}-P{p}-S{j}``; NORAD ids count up from ``first_id``.
    """
    if planes < 1 or per_plane < 1:
        raise ValueError("a Walker shell needs at least one plane of one satellite")
    check_phasing(phasing, planes)
    check_ids(first_id, planes * per_plane)
    spread = {"delta": 360.0, "star": 180.0}.get(pattern)
    if spread is None:
        raise ValueError(f"pattern must be 'delta' or 'star', got {pattern!r}")
    n_rev_day = tle_mean_motion_rev_day(altitude_km, inclination_deg)
    total = planes * per_plane
    out = []
    for p in range(planes):
        for j in range(per_plane):
            k = p * per_plane + j
            line1, line2 = tle_lines(
                first_id + k,
                epoch,
                inclination_deg,
                raan_deg + p * spread / planes,
                360.0 * j / per_plane + 360.0 * phasing * p / total,
                n_rev_day,
            )
            out += [f"{name}-P{p}-S{j}", line1, line2]
    return "\n".join(out) + "\n"


def clone_tle(
    name,
    line1,
    line2,
    planes=1,
    per_plane=1,
    plane_spacing_deg=None,
    slot_spacing_deg=None,
    phasing_deg=0.0,
    first_id=90000,
    clone_name=None,
):
    """3-line TLE text of ``planes`` x ``per_plane`` copies of one element set (``line1``, ``line2``).

    Copy ``j`` of plane ``p`` has the reference's right ascension of the node plus ``p * plane_spacing_deg``
    (default ``360 / planes``) and its mean anomaly plus ``j * slot_spacing_deg + p * phasing_deg`` (default
    ``360 / per_plane``): copies in one plane follow each other along the same track. Every other element
    (epoch, inclination, eccentricity, perigee, mean motion, drag terms) is the reference's. Copy 0 of plane 0
    is the reference itself under a new id. Names are ``{clone_name or name}-P{p}-S{j}``; ids count up from
    ``first_id``.
    """
    if planes < 1 or per_plane < 1:
        raise ValueError("a clone needs at least one plane of one satellite")
    check_ids(first_id, planes * per_plane, "copies")
    plane_spacing_deg = 360.0 / planes if plane_spacing_deg is None else plane_spacing_deg
    slot_spacing_deg = 360.0 / per_plane if slot_spacing_deg is None else slot_spacing_deg
    raan0, ma0 = float(line2[17:25]), float(line2[43:51])
    label = clone_name or name.strip()
    out = []
    for p in range(planes):
        for j in range(per_plane):
            k = first_id + p * per_plane + j
            raan = (raan0 + p * plane_spacing_deg) % 360.0
            ma = (ma0 + j * slot_spacing_deg + p * phasing_deg) % 360.0
            l1 = f"1 {k:05d}" + line1[7:68]
            l2 = f"2 {k:05d}" + line2[7:17] + f"{raan:8.4f}" + line2[25:43] + f"{ma:8.4f}" + line2[51:68]
            out += [f"{label}-P{p}-S{j}", _with_checksum(l1), _with_checksum(l2)]
    return "\n".join(out) + "\n"
