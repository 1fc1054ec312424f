"""Inter-satellite visibility windows against a hand calculation and a brute-force search on exact SGP4."""

import itertools
import os

import numpy as np
import pandas as pd
import pytest

from spaceground.constants import WGS84_EQUATORIAL_RADIUS_M
from spaceground.errors import InputError
from spaceground.intersat import GRAZING_HEIGHT_M, find_isl_windows, line_of_sight_clearance_m
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
