"""Inter-satellite visibility windows against a hand calculation and a brute-force search on exact SGP4."""

import itertools
import os

import numpy as np
import pandas as pd
import pytest

from spaceground.api import link_windows
from spaceground.constants import WGS84_EQUATORIAL_RADIUS_M
from spaceground.errors import InputError
from spaceground.intersat import (
    GRAZING_HEIGHT_M,
    ISL_COLUMNS,
    find_isl_windows,
    grid_pairs,
    line_of_sight_clearance_m,
)
from spaceground.orbits import load_tle, propagate_points, propagate_teme
from spaceground.timebase import Span

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPACE_SEGMENT = os.path.join(ROOT, "constellations", "space_segment_2025-10-03.tle")
RADIUS_M = WGS84_EQUATORIAL_RADIUS_M + GRAZING_HEIGHT_M


def test_clearance_of_a_chord_by_hand():
    # Two points at radius R, +-theta either side of the x axis: the chord's nearest point to the centre is
    # its midpoint, R cos(theta) from it.
    R, theta = 7.0e6, np.radians([10.0, 30.0, 60.0, 89.0])
    a = np.stack([R * np.cos(theta), R * np.sin(theta), np.zeros_like(theta)], axis=-1)
    b = a * np.array([1.0, -1.0, 1.0])
    assert np.allclose(line_of_sight_clearance_m(a, b, 6.4e6), R * np.cos(theta) - 6.4e6, rtol=0, atol=1e-6)
    # Both on one side, the segment's nearest point is its nearer end: the clearance is that end's height.
    near, far = np.array([7.0e6, 0, 0]), np.array([9.0e6, 1.0e6, 0])
    assert line_of_sight_clearance_m(near, far, 6.4e6) == pytest.approx(0.6e6, abs=1e-6)


def _brute_force_edges(constellation, span, pairs, max_range_m, step_s=2.0):
    """Every visibility change of each pair: sign changes of the exact function on a fine grid, each refined
    by bisection on exact SGP4 (the search's own code is not used)."""
    t = np.arange(0.0, span.duration_s + step_s / 2, step_s)
    t[-1] = min(t[-1], span.duration_s)
    jd_w, jd_f = span.jd_utc(t)
    r, _, err = propagate_teme(constellation, jd_w, jd_f)
    assert not err.any()

    def g(ra, rb):
        rng = np.linalg.norm(rb - ra, axis=-1)
        return np.minimum(line_of_sight_clearance_m(ra, rb, RADIUS_M), max_range_m - rng)

    edges = {}
    for a, b in pairs:
        vis = g(r[a], r[b]) > 0
        k = np.flatnonzero(vis[1:] != vis[:-1])
        lo, hi = t[k], t[k + 1]
        for _ in range(40):  # bisection to 2 s / 2^40
            mid = 0.5 * (lo + hi)
            w, f = span.jd_utc(mid)
            ra, _, _ = propagate_points(constellation, np.full(len(mid), a), w, f)
            rb, _, _ = propagate_points(constellation, np.full(len(mid), b), w, f)
            same = (g(ra, rb) > 0) == vis[k]
            lo, hi = np.where(same, mid, lo), np.where(same, hi, mid)
        edges[a, b] = (bool(vis[0]), 0.5 * (lo + hi), ~vis[k])  # (visible at start, times, rising)
    return edges


@pytest.mark.parametrize(
    "tle, n_sats, max_range_km, min_edges",
    [
        # The real space segment of 2025-10-03: twelve computing satellites in one plane (pairs that see each
        # other all day, pairs that drift in and out), ten geostationary relays (LEO-GEO occultations by the
        # Earth, GEO-GEO pairs); no range limit, and one that only the formation's near pairs meet.
        ("space_segment_2025-10-03.tle", 22, np.inf, 800),
        ("space_segment_2025-10-03.tle", 22, 5000.0, 2),
        # Twenty EO satellites in many planes with short terminals: windows of seconds to minutes as they cross.
        ("eo_2025-10-03.tle", 20, 2000.0, 100),
    ],
)
def test_windows_match_a_brute_force_search_on_exact_sgp4(tle, n_sats, max_range_km, min_edges):
    c = load_tle(os.path.join(ROOT, "constellations", tle)).take(np.arange(n_sats))
    span = Span.from_hours(pd.Timestamp("2025-10-03T00:00:00Z"), 6)
    pairs = np.array(list(itertools.combinations(range(len(c)), 2)))
    max_range_m = max_range_km * 1e3
    found = find_isl_windows(c, span, pairs, max_range_m=max_range_m)
    truth = _brute_force_edges(c, span, pairs, max_range_m)
    n_edges = 0
    for (a, b), (visible_at_start, times, rising) in truth.items():
        got = found[(found.sat == a) & (found.to_sat == b)]
        # The brute force's windows from its edges.
        starts = ([0.0] if visible_at_start else []) + list(times[rising])
        ends = list(times[~rising]) + ([span.duration_s] if len(starts) > len(times[~rising]) else [])
        assert len(got) == len(starts) == len(ends), (c[a].name, c[b].name, got, times)
        inner_start = got.start_s.to_numpy() > 0
        inner_end = got.end_s.to_numpy() < span.duration_s
        assert np.abs(got.start_s.to_numpy() - starts).max(initial=0) < 1e-3
        assert np.abs(got.end_s.to_numpy() - ends).max(initial=0) < 1e-3
        assert (got.clipped_start.to_numpy() == ~inner_start).all() and (got.clipped_end.to_numpy() == ~inner_end).all()
        n_edges += int(inner_start.sum() + inner_end.sum())
    assert n_edges >= min_edges  # the case has real edges to compare, not only all-day windows


def test_a_coarse_grid_finds_the_windows_between_its_samples():
    # With a 10-minute grid, most windows of the drifting pairs start and end between two samples, and the
    # short ones lie wholly between them: the extremum search must find the same windows as the fine grid.
    c = load_tle(os.path.join(ROOT, "constellations", "eo_2025-10-03.tle")).take(np.arange(20))
    span = Span.from_hours(pd.Timestamp("2025-10-03T00:00:00Z"), 6)
    pairs = np.array(list(itertools.combinations(range(len(c)), 2)))
    fine = find_isl_windows(c, span, pairs, max_range_m=2000e3)
    coarse = find_isl_windows(c, span, pairs, max_range_m=2000e3, step_s=600.0)
    short = fine[(fine.duration_s < 600.0) & ~fine.clipped_start & ~fine.clipped_end]
    assert len(short) > 0  # the case holds windows shorter than the coarse step
    assert len(coarse) == len(fine)
    assert np.abs(coarse.start_s.to_numpy() - fine.start_s.to_numpy()).max() < 1e-3
    assert np.abs(coarse.end_s.to_numpy() - fine.end_s.to_numpy()).max() < 1e-3


def test_closest_approach_and_end_ranges_against_dense_sampling():
    c = load_tle(SPACE_SEGMENT)
    span = Span.from_hours(pd.Timestamp("2025-10-03T00:00:00Z"), 6)
    pairs = np.array([[10, 11], [10, 16], [12, 18], [0, 14]])
    found = find_isl_windows(c, span, pairs, max_range_m=5000e3)
    assert len(found) > 0
    for row in found.itertuples():
        t = np.linspace(row.start_s, row.end_s, 4001)
        w, f = span.jd_utc(t)
        ra, _, _ = propagate_points(c, np.full(len(t), row.sat), w, f)
        rb, _, _ = propagate_points(c, np.full(len(t), row.to_sat), w, f)
        rng_km = np.linalg.norm(rb - ra, axis=1) / 1e3
        assert row.range_start_km == pytest.approx(rng_km[0], abs=1e-3)
        assert row.range_end_km == pytest.approx(rng_km[-1], abs=1e-3)
        assert row.closest_range_km <= rng_km.min() + 1e-3  # never above a sample
        assert row.closest_range_km >= rng_km.min() - 5.0  # and no lower than the samples allow


def test_bad_pairs_are_refused_with_the_reason():
    c = load_tle(SPACE_SEGMENT)
    span = Span.from_hours(pd.Timestamp("2025-10-03T00:00:00Z"), 1)
    with pytest.raises(InputError, match="itself"):
        find_isl_windows(c, span, [[3, 3]])
    with pytest.raises(InputError, match="indices must be"):
        find_isl_windows(c, span, [[0, 99]])
    with pytest.raises(InputError, match="max_range_m"):
        find_isl_windows(c, span, [[0, 1]], max_range_m=0.0)


ISL_CASES = os.path.join(ROOT, "tests", "data", "isl_reference_cases.json")


def _case_pairs(name):
    import json

    spec = json.load(open(ISL_CASES))[name]
    c = load_tle(os.path.join(ROOT, spec["tle"]))
    index = {n: k for k, n in enumerate(c.names)}
    first = spec["first"]
    same = spec["second"] == "same"
    second = first if same else spec["second"]
    pairs = [(a, b) for i, a in enumerate(first) for b in (second[i + 1 :] if same else second)]
    span = Span.from_hours(pd.Timestamp(spec["start"]), spec["hours"])
    return c, span, spec, np.array([[index[a], index[b]] for a, b in pairs])


@pytest.mark.parametrize("case", ["formation", "leo_geo", "crossing"])
def test_windows_match_orekit_inter_sat_direct_view(case):
    # Orekit's InterSatDirectViewDetector on a sphere of 6378137 m with an 80 km skimming altitude, each
    # satellite propagated by Orekit's own SGP4 (tests/data/make_orekit_isl_references.py; no shared code).
    c, span, spec, pairs = _case_pairs(case)
    ref = pd.read_csv(os.path.join(ROOT, "tests", "data", "orekit", f"isl_{case}.csv"))
    got = find_isl_windows(c, span, pairs, grazing_height_m=spec["grazing_height_m"])
    key = ["satellite", "to_satellite"]
    assert sorted(map(tuple, got[key].drop_duplicates().to_numpy())) == sorted(
        map(tuple, ref[key].drop_duplicates().to_numpy())
    )
    assert len(got) == len(ref) > 0
    got = got.sort_values([*key, "start_s"]).reset_index(drop=True)
    ref = ref.sort_values([*key, "start_s"]).reset_index(drop=True)
    assert (got[key].to_numpy() == ref[key].to_numpy()).all()
    assert (got.clipped_start.to_numpy() == ref.clipped_start.astype(bool).to_numpy()).all()
    assert (got.clipped_end.to_numpy() == ref.clipped_end.astype(bool).to_numpy()).all()
    # Start and end within 25 ms of Orekit's (the standard of the ground contacts).
    worst = max(np.abs(got.start_s - ref.start_s).max(), np.abs(got.end_s - ref.end_s).max())
    assert worst < 0.025, worst


def _circular_states(raan_deg, u_deg, inclination_deg, radius_m=6.928e6, mu=3.986004418e14):
    """Positions and velocities of circular orbits from their elements (hand-built, for the grid tests)."""
    raan, u, inc = np.radians(raan_deg), np.radians(u_deg), np.radians(inclination_deg)
    speed = np.sqrt(mu / radius_m)
    # In-plane: position along (cos u, sin u), velocity along (-sin u, cos u); rotate by inclination, then RAAN.
    p = np.stack([np.cos(u), np.sin(u), np.zeros_like(u)], axis=-1)
    q = np.stack([-np.sin(u), np.cos(u), np.zeros_like(u)], axis=-1)

    def rotate(x):
        x1 = np.stack([x[:, 0], x[:, 1] * np.cos(inc) - x[:, 2] * np.sin(inc), x[:, 1] * np.sin(inc)], axis=-1)
        x1[:, 2] += x[:, 2] * np.cos(inc)
        return np.stack(
            [
                x1[:, 0] * np.cos(raan) - x1[:, 1] * np.sin(raan),
                x1[:, 0] * np.sin(raan) + x1[:, 1] * np.cos(raan),
                x1[:, 2],
            ],
            axis=-1,
        )

    return rotate(p) * radius_m, rotate(q) * speed


def test_grid_pairs_of_a_walker_delta_by_hand():
    # Walker delta 53 deg: 6 planes of 8, phasing 1: plane p at RAAN 60p, satellite j at u = 45j + 7.5p.
    planes, per_plane = 6, 8
    p, j = np.divmod(np.arange(planes * per_plane), per_plane)
    r, v = _circular_states(60.0 * p, 45.0 * j + 7.5 * p, 53.0)
    pairs = {tuple(x) for x in grid_pairs(r, v).tolist()}
    want = set()
    for k in range(planes * per_plane):
        pk, jk = divmod(k, per_plane)
        ring = pk * per_plane + (jk + 1) % per_plane  # next in the plane
        # The same slot of the next plane is 7.5 deg ahead, the nearest; across the seam (plane 5 to plane 0) the
        # phasing has added up to one slot (6 x 7.5 = 45 deg), so the nearest is the next slot.
        across = ((pk + 1) % planes) * per_plane + ((jk + 1) % per_plane if pk == planes - 1 else jk)
        want |= {tuple(sorted((k, ring))), tuple(sorted((k, across)))}
    assert pairs == want  # 48 in-plane and 48 cross-plane links: four a satellite
    # A star (planes over 180 deg only): no link across the seam between the last plane and the first.
    r, v = _circular_states(30.0 * p, 45.0 * j, 86.4)
    star = {tuple(x) for x in grid_pairs(r, v).tolist()}
    seam = {tuple(sorted((5 * per_plane + s, s))) for s in range(per_plane)}
    assert len(star) == 48 + 40 and not (star & seam)


def test_the_computing_constellation_grid_links_each_satellite_to_its_nearest_in_its_plane():
    # The twelve SCS-01 satellites share one plane: the grid is a ring, and a satellite's two ring partners are
    # the two satellites nearest to it in range (on one circle, range grows with the angle between them).
    c = load_tle(SPACE_SEGMENT).select(["SCS-01*"])
    span = Span.from_hours(pd.Timestamp("2025-10-03T00:00:00Z"), 1)
    w, f = span.jd_utc(np.array([0.0]))
    r, v, _ = propagate_teme(c, w, f)
    pairs = grid_pairs(r[:, 0], v[:, 0])
    assert len(pairs) == 12 and (np.bincount(pairs.ravel(), minlength=12) == 2).all()
    rng = np.linalg.norm(r[:, 0][:, None] - r[:, 0][None], axis=-1)
    np.fill_diagonal(rng, np.inf)
    for k in range(12):
        partners = set(pairs[pairs[:, 0] == k, 1]) | set(pairs[pairs[:, 1] == k, 0])
        nearest = set(np.argsort(rng[k])[:2])
        # The ring's ends may pass over a nearer satellite across the gap of the ring only if it is the same one.
        assert partners == nearest or len(partners & nearest) == 1, (c[k].name, partners, nearest)


def test_link_windows_reads_several_files_and_pairs_two_sides(tmp_path):
    eo = os.path.join(ROOT, "constellations", "eo_2025-10-03.tle")
    w = link_windows(
        [eo, SPACE_SEGMENT], start="2025-10-03T00:00Z", hours=6, select=["SENTINEL-2*"], to=["EDRS-C", "SCS-01 A"]
    )
    assert list(w.columns) == ISL_COLUMNS
    pairs = set(map(tuple, w[["satellite", "to_satellite"]].to_numpy()))
    assert {a for a, _ in pairs} <= {"SENTINEL-2A", "SENTINEL-2B", "SENTINEL-2C"}
    assert {b for _, b in pairs} == {"EDRS-C", "SCS-01 A"}
    with pytest.raises(InputError, match="topology"):
        link_windows(SPACE_SEGMENT, start="2025-10-03T00:00Z", hours=1, topology="mesh")
    with pytest.raises(InputError, match="leave out 'to'"):
        link_windows(SPACE_SEGMENT, start="2025-10-03T00:00Z", hours=1, topology="grid", to=["EDRS-C"])
    with pytest.raises(InputError, match="no satellite pairs"):
        link_windows(SPACE_SEGMENT, start="2025-10-03T00:00Z", hours=1, select=["EDRS-C"])


def test_links_command_writes_the_windows_and_refuses_bad_flags(tmp_path, capsys):
    from spaceground.cli import main

    out = tmp_path / "links.csv"
    args = ["links", "--tle", SPACE_SEGMENT, "--start", "2025-10-03T00:00:00Z", "--hours", "6"]
    assert main([*args, "--select", "SCS-01*", "--topology", "grid", "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    table = pd.read_csv(out)
    assert list(table.columns) == ISL_COLUMNS
    assert table.start_utc.str.endswith("Z").all() and table.closest_utc.str.endswith("Z").all()
    api = link_windows(SPACE_SEGMENT, start="2025-10-03T00:00:00Z", hours=6, select=["SCS-01*"], topology="grid")
    assert len(table) == len(api) and f"{len(api)} windows" in printed
    assert np.allclose(table.duration_s, api.duration_s)
    assert main([*args, "--max-range-km", "-5"]) == 2
    assert "--max-range-km must be positive" in capsys.readouterr().err
    assert main([*args, "--select", "NOPE*"]) == 2
    assert "matches no satellite" in capsys.readouterr().err


def test_range_floor_of_two_orbits_by_hand():
    from spaceground.intersat import range_floor_m

    # A circular LEO at 7,000 km and a geostationary orbit at 42,164 km: never nearer than 35,164 km.
    assert range_floor_m(7.0e6, 7.0e6, 42.164e6, 42.164e6) == pytest.approx(35.164e6)
    # Either way round.
    assert range_floor_m(42.164e6, 42.164e6, 7.0e6, 7.0e6) == pytest.approx(35.164e6)
    # A Molniya orbit (perigee 7,000 km, apogee 46,000 km) crosses the geostationary radius: no floor.
    assert range_floor_m(7.0e6, 46.0e6, 42.164e6, 42.164e6) == 0.0
