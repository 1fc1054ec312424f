"""Walker shells from elements: the generated element sets have the stated geometry, and keep it in flight."""

import numpy as np
import pandas as pd
import pytest

from spaceground.elements import walker_tle
from spaceground.intersat import grid_pairs
from spaceground.orbits import parse_tle, propagate_teme
from spaceground.timebase import Span


def _states(c, hours):
    span = Span.from_hours(pd.Timestamp("2025-10-03T00:00:00Z"), max(hours, 1))
    w, f = span.jd_utc(np.array([hours * 3600.0]))
    r, v, err = propagate_teme(c, w, f)
    assert not err.any()
    return r[:, 0], v[:, 0]


def _node_and_latitude_deg(r, v):
    h = np.cross(r, v)
    node = np.cross([0.0, 0.0, 1.0], h)
    raan = np.degrees(np.arctan2(node[:, 1], node[:, 0])) % 360.0
    n = node / np.linalg.norm(node, axis=1, keepdims=True)
    hn = h / np.linalg.norm(h, axis=1, keepdims=True)
    u = np.degrees(np.arctan2(np.einsum("ij,ij->i", np.cross(n, r), hn), np.einsum("ij,ij->i", n, r))) % 360.0
    inc = np.degrees(np.arccos(hn[:, 2]))
    return raan, u, inc


@pytest.mark.parametrize("hours", [0.0, 24.0])
def test_a_walker_delta_has_its_planes_and_phasing_at_epoch_and_a_day_later(hours):
    planes, per_plane, phasing = 6, 8, 1
    c = parse_tle(walker_tle(planes, per_plane, phasing, 550.0, 53.0, "2025-10-03T00:00:00Z"), "walker")
    assert len(c) == 48 and c[9].name == "WALKER-P1-S1"
    r, v = _states(c, hours)
    raan, u, inc = _node_and_latitude_deg(r, v)
    alt_km = np.linalg.norm(r, axis=1) / 1e3 - 6378.137
    assert np.all(np.abs(alt_km - 550.0) < 15.0)  # mean altitude asked for, SGP4's short-period terms aside
    assert np.allclose(inc, 53.0, atol=0.1)
    p, j = np.divmod(np.arange(48), per_plane)
    # Planes 60 deg apart in node (all precess together), slots 45 deg apart, each plane 7.5 deg ahead.
    d_raan = (raan - raan[0] - 60.0 * p + 180.0) % 360.0 - 180.0
    assert np.all(np.abs(d_raan) < 0.05)
    d_u = (u - u[0] - 45.0 * j - 7.5 * p + 180.0) % 360.0 - 180.0
    assert np.all(np.abs(d_u) < 0.3)  # osculating, not mean: J2's short-period terms move u by up to 0.2 deg
    # The mean elements as written: exactly the shell's.
    ma = np.array([float(s.line2[43:51]) for s in c])
    node = np.array([float(s.line2[17:25]) for s in c])
    assert np.allclose(node, 60.0 * p) and np.allclose(ma, (45.0 * j + 7.5 * p) % 360.0)
    # The +Grid of the generated shell is the hand-built one (in-plane ring, same slot of the next plane,
    # the next slot across the seam).
    want = set()
    for k in range(48):
        pk, jk = divmod(k, per_plane)
        ring = pk * per_plane + (jk + 1) % per_plane
        across = ((pk + 1) % planes) * per_plane + ((jk + 1) % per_plane if pk == planes - 1 else jk)
        want |= {tuple(sorted((k, ring))), tuple(sorted((k, across)))}
    assert {tuple(x) for x in grid_pairs(r, v).tolist()} == want


def test_a_walker_star_spreads_its_planes_over_half_the_equator_and_bad_shells_are_refused():
    c = parse_tle(walker_tle(4, 3, 0, 780.0, 86.4, "2025-10-03T00:00:00Z", pattern="star"), "star")
    raan, _, _ = _node_and_latitude_deg(*_states(c, 0.0))
    plane = np.arange(12) // 3
    assert np.all(np.abs((raan - 45.0 * plane + 180.0) % 360.0 - 180.0) < 0.1)
    with pytest.raises(ValueError, match="phasing"):
        walker_tle(4, 3, 4, 780.0, 86.4, "2025-10-03T00:00:00Z")
    with pytest.raises(ValueError, match="pattern"):
        walker_tle(4, 3, 0, 780.0, 86.4, "2025-10-03T00:00:00Z", pattern="rosette")
    with pytest.raises(ValueError, match="99999"):
        walker_tle(101, 100, 0, 780.0, 86.4, "2025-10-03T00:00:00Z")
