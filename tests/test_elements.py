"""Walker shells from elements: the generated element sets have the stated geometry, and keep it in flight."""

import os

import numpy as np
import pandas as pd
import pytest
from sgp4.api import Satrec

from spaceground.elements import (
    along_track_deg_per_s,
    brouwer_semi_major_axis_km,
    clone_tle,
    tle_lines,
    tle_mean_motion_rev_day,
    walker_tle,
)
from spaceground.intersat import grid_pairs
from spaceground.orbits import parse_tle, propagate_teme
from spaceground.scenario import ScenarioError, parse_scenario
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


# --- from the scenario: Walker shells and clones of a real element set -------------------------------------------


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EO = os.path.join(ROOT, "constellations", "eo_2025-10-03.tle")

SCENARIO = """
name: from-elements
start_utc: 2025-10-03T12:00:00Z
duration_h: 3
seed: 1
constellation:
{constellation}
stations:
  - {{id: SVALBARD}}
datacenters:
  - {{id: dc, lat_deg: 59.91, lon_deg: 10.75, capacity_tops: 1000, servers: 1, pue: 1.5, power_w_per_tops: 0.5,
     price_cny_per_kwh: 0.8, carbon_g_per_kwh: 400}}
workloads:
  - {{name: scene, trigger: {{rate_per_sat_per_h: 2}}, raw_mb: 600, product_mb: 6, compute_top: 3000,
     deadline_min: 600}}
"""


def _scenario(constellation, base_dir=ROOT):
    return parse_scenario(SCENARIO.format(constellation=constellation), "elements.yaml", base_dir)


@pytest.mark.parametrize("altitude_km, inclination_deg", [(300.0, 97.0), (550.0, 53.0), (1200.0, 87.9), (780, 0.0)])
def test_the_mean_motion_written_gives_sgp4_the_semi_major_axis_asked_for(altitude_km, inclination_deg):
    n = tle_mean_motion_rev_day(altitude_km, inclination_deg)
    line1, line2 = tle_lines(90000, "2025-10-03T00:00:00Z", inclination_deg, 0.0, 0.0, n)
    satrec = Satrec.twoline2rv(line1, line2)  # the sgp4 library's own initialisation (Kozai -> Brouwer)
    assert satrec.a * 6378.135 == pytest.approx(6378.137 + altitude_km, abs=1e-5)  # 1 cm
    written = float(line2[52:63])
    assert brouwer_semi_major_axis_km(written, inclination_deg) == pytest.approx(satrec.a * 6378.135, abs=1e-7)
    # The plain Keplerian mean motion (what the shells wrote before) misses by kilometres where J2's term,
    # proportional to 3 cos^2 i - 1, is large (not near 54.7 deg).
    kepler = np.sqrt(3.986008e14 / ((6378.137 + altitude_km) * 1e3) ** 3) * 86400 / (2 * np.pi)
    if abs(3 * np.cos(np.radians(inclination_deg)) ** 2 - 1) > 0.5:
        assert abs(brouwer_semi_major_axis_km(kepler, inclination_deg) - 6378.137 - altitude_km) > 1.0


def test_clones_follow_the_reference_along_its_track_and_keep_their_planes_apart_for_a_day():
    lines = open(EO).read().splitlines()
    i = lines.index("SENTINEL-2A")
    ref = parse_tle("\n".join(lines[i : i + 3]), "ref")
    slot_s = 300.0  # each copy five minutes behind the one before
    slot_deg = -slot_s * along_track_deg_per_s(ref[0].satrec)
    text = clone_tle(lines[i], lines[i + 1], lines[i + 2], planes=3, per_plane=4, slot_spacing_deg=slot_deg)
    c = parse_tle(text, "clones")
    assert len(c) == 12 and c[0].name == "SENTINEL-2A-P0-S0"
    for sat in c:  # every element but the node and the mean anomaly is the reference's, drag terms included
        assert sat.line1[7:68] == lines[i + 1][7:68]
        assert sat.line2[7:17] == lines[i + 2][7:17] and sat.line2[25:43] == lines[i + 2][25:43]
        assert sat.line2[51:68] == lines[i + 2][51:68]
    span = Span.from_hours(pd.Timestamp("2025-10-03T12:00:00Z"), 30)
    node_deg_per_s = np.degrees(ref[0].satrec.nodedot) / 60.0
    for hours in (0.0, 24.0):
        w, f = span.jd_utc(np.array([hours * 3600.0]))
        r_copy, v_copy, _ = propagate_teme(c, w, f)
        raan, u, inc = _node_and_latitude_deg(r_copy[:, 0], v_copy[:, 0])
        # Copy j of plane 0 is where the reference was j x 300 s before, in a plane the node's precession has
        # since turned by j x 300 s x its rate (SSO: about 1 deg a day).
        w2, f2 = span.jd_utc(hours * 3600.0 - slot_s * np.arange(4))
        r_ref, v_ref, _ = propagate_teme(ref, w2, f2)
        raan_ref, u_ref, _ = _node_and_latitude_deg(r_ref[0], v_ref[0])
        d_u = (u[:4] - u_ref + 180.0) % 360.0 - 180.0
        d_node = (raan[:4] - raan_ref - node_deg_per_s * slot_s * np.arange(4) + 180.0) % 360.0 - 180.0
        assert np.all(np.abs(d_u) < 0.01) and np.all(np.abs(d_node) < 0.001), (d_u, d_node)
        # Planes 120 deg apart in node, at the reference's inclination, after a day as at the epoch.
        plane = np.arange(12) // 4
        d = (raan - raan[0] - 120.0 * plane + 180.0) % 360.0 - 180.0
        assert np.all(np.abs(d) < 0.05) and np.allclose(inc, inc[0], atol=0.05)


def test_a_scenario_generates_shells_and_clones_writes_them_with_the_run_and_reads_them_back(tmp_path):
    from spaceground.api import run_scenario
    from spaceground.model import resolve
    from spaceground.results import read_run

    spec = (
        "  tle: constellations/eo_2025-10-03.tle\n"
        "  select: [SENTINEL-2B]\n"
        "  walker: {planes: 3, per_plane: 4, phasing: 1, altitude_km: 550, inclination_deg: 53, name: W}\n"
        "  clone: {tle: constellations/eo_2025-10-03.tle, satellite: SENTINEL-2A, per_plane: 2, slot_spacing_s: 600,"
        " first_id: 91000}\n"
    )
    loaded = _scenario(spec)
    model = resolve(loaded)
    names = [s.name for s in model.constellation]
    assert names[0] == "SENTINEL-2B" and names[1:13] == [f"W-P{p}-S{j}" for p in range(3) for j in range(4)]
    assert names[13:] == ["SENTINEL-2A-P0-S0", "SENTINEL-2A-P0-S1"]
    # Walker F=1 of 3 x 4: plane p is 30 deg ahead; slots 90 deg apart; epoch the scenario's start.
    w = list(model.constellation)[1:13]
    assert [float(s.line2[43:51]) for s in w] == [(90.0 * j + 30.0 * p) % 360 for p in range(3) for j in range(4)]
    assert [float(s.line2[17:25]) for s in w] == [120.0 * p for p in range(3) for j in range(4)]
    assert w[0].line1[18:32] == "25276.50000000"
    # 600 s behind along the track: about 600 s / the period x 360 deg (SGP4's rate adds J2's secular terms).
    clones = list(model.constellation)[13:]
    n = float(clones[0].line2[52:63])
    behind = (float(clones[0].line2[43:51]) - float(clones[1].line2[43:51])) % 360.0
    assert behind == pytest.approx(360.0 * 600.0 * n / 86400.0, rel=2e-3)
    out = tmp_path / "run"
    res = run_scenario(loaded, output=str(out))
    again = read_run(str(out))
    assert again.generated_tle == model.generated_tle and (out / "generated.tle").exists()
    back = parse_tle((out / "generated.tle").read_text(), "generated.tle")
    assert [(s.line1, s.line2) for s in back] == [(s.line1, s.line2) for s in list(model.constellation)[1:]]
    # The written file is a constellation of its own: the same satellites, the same contacts.
    reused = _scenario(f"  tle: {out / 'generated.tle'}\n")
    assert [s.line2 for s in resolve(reused).constellation] == [s.line2 for s in back]
    contacts = run_scenario(reused).contacts
    mine = res.contacts[res.contacts.satellite != "SENTINEL-2B"].reset_index(drop=True)
    pd.testing.assert_frame_equal(
        contacts[["satellite", "aos_utc", "los_utc"]], mine[["satellite", "aos_utc", "los_utc"]]
    )


def test_generated_constellations_refuse_bad_input_by_key_path(tmp_path):
    from spaceground.model import resolve

    def error(spec):
        with pytest.raises(ScenarioError) as info:
            resolve(_scenario(spec))
        return str(info.value)

    msg = error("  walker: {planes: 3, per_plane: 4, phasing: 3, altitude_km: 550, inclination_deg: 53}\n")
    assert "constellation.walker" in msg and "phasing 3 must be 0..2" in msg
    msg = error(
        "  tle: constellations/eo_2025-10-03.tle\n  clone: {tle: constellations/eo_2025-10-03.tle, satellite: NOPE}\n"
    )
    assert "constellation.clone.0.satellite" in msg and "'NOPE' is not in" in msg and "SENTINEL-1A" in msg
    msg = error(
        "  tle: constellations/eo_2025-10-03.tle\n"
        "  walker: {planes: 1, per_plane: 2, altitude_km: 550, inclination_deg: 53, first_id: 39634}\n"
    )
    assert "constellation.walker.0.first_id" in msg and "39634" in msg and "already taken by the tle file" in msg
    assert "give the satellites" in error("  allow_stale: true\n")
    assert "select picks satellites of the tle file" in error(
        "  select: [X]\n  walker: {planes: 1, per_plane: 1, altitude_km: 550, inclination_deg: 53}\n"
    )
    msg = error("  walker: {planes: 1, per_plane: 1, altitude_km: 50, inclination_deg: 53}\n")
    assert "constellation.walker" in msg and "altitude_km" in msg


def test_the_run_hash_covers_the_reference_file_of_a_clone(tmp_path):
    text = open(EO).read()
    (tmp_path / "ref.tle").write_text(text)
    spec = "  clone: {tle: ref.tle, satellite: SENTINEL-2A, per_plane: 2}\n"
    before = _scenario(spec, str(tmp_path)).sha256
    (tmp_path / "ref.tle").write_text(text.replace("SENTINEL-1A", "SENTINEL-1X"))
    assert _scenario(spec, str(tmp_path)).sha256 != before
