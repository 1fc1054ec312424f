"""Eclipses against Orekit's EclipseDetector, the shadow geometry and the sunlit fraction."""

import numpy as np
import pandas as pd
import pytest

from spaceground.api import sunlit_fraction
from spaceground.geometry import compute_geometry
from spaceground.illumination import shadow_angles, sunlit_fraction_from_angles
from spaceground.orbits import load_tle
from spaceground.timebase import Span

from .conftest import EO_TLE, case_geometry, orekit_reference, reference_cases


def boundaries(eclipses, span):
    """Per satellite: umbra boundaries and boundaries of the whole shadow (umbra + penumbra)."""
    out = {}
    for norad, grp in eclipses.groupby("norad_id"):
        rows = grp.sort_values("start_utc")
        a = span.seconds_of(rows.start_utc)
        b = span.seconds_of(rows.end_utc)
        kinds = rows.kind.to_numpy()
        umbra = [x for x, k in zip(a, kinds) if k == "umbra"] + [x for x, k in zip(b, kinds) if k == "umbra"]
        merged = []
        for x, y in zip(a, b):
            if merged and abs(merged[-1][1] - x) < 1e-9:
                merged[-1][1] = y
            else:
                merged.append([x, y])
        shadow = [x for pair in merged for x in pair]
        edge = lambda x: 0.0 < x < span.duration_s  # noqa: E731
        out[norad] = {"umbra": sorted(filter(edge, umbra)), "penumbra": sorted(filter(edge, shadow))}
    return out


def orekit_events(case):
    ref = orekit_reference(case, "eclipse_events").sort_values("t_s")
    # Orekit 13 logs some events twice, a microsecond apart: keep one per direction.
    keep = ~((ref.t_s.diff().abs() < 1e-3) & (ref.event == ref.event.shift()) & (ref.detector == ref.detector.shift()))
    return ref[keep]


@pytest.mark.parametrize("case", list(reference_cases()))
def test_eclipse_boundaries_within_one_second_of_orekit(case):
    constellation, span, geo = case_geometry(case)
    mine = boundaries(geo.eclipses, span)
    ref = orekit_events(case)
    worst = 0.0
    for sat in constellation:
        for detector in ("umbra", "penumbra"):
            theirs = np.sort(ref[(ref.norad_id == sat.norad_id) & (ref.detector == detector)].t_s.to_numpy())
            ours = np.array(mine.get(sat.norad_id, {}).get(detector, []))
            assert len(ours) == len(theirs), f"{sat.name} {detector}: {len(ours)} vs Orekit {len(theirs)}"
            if len(ours):
                worst = max(worst, np.abs(ours - theirs).max())
    assert worst < 1.0, f"worst boundary {worst:.4f} s"


def test_intervals_are_disjoint_and_penumbra_flanks_umbra():
    _, span, geo = case_geometry("eo")
    e = geo.eclipses
    assert set(e.kind) == {"umbra", "penumbra"}
    for _, grp in e.groupby("norad_id"):
        grp = grp.sort_values("start_utc")
        assert (grp.start_utc.iloc[1:].to_numpy() >= grp.end_utc.iloc[:-1].to_numpy()).all()
        kinds = grp.kind.tolist()
        for i, k in enumerate(kinds):
            if k == "umbra" and not grp.clipped.iloc[i]:
                assert kinds[i - 1] == "penumbra" and kinds[i + 1] == "penumbra"
                assert grp.start_utc.iloc[i] == grp.end_utc.iloc[i - 1]
                assert grp.end_utc.iloc[i] == grp.start_utc.iloc[i + 1]
    # Dawn-dusk Sentinel-1 never enters the shadow in October; Sentinel-2 does every orbit.
    assert not (e.satellite == "SENTINEL-1A").any()
    s2 = e[(e.satellite == "SENTINEL-2A") & (e.kind == "umbra")]
    assert 14 <= len(s2) <= 16
    assert s2[~s2.clipped].duration_s.between(30 * 60, 36 * 60).all()  # ~34 min per the SSO figures (ref #41)


def test_circle_overlap_against_numerical_integration():
    """Visible share of a disc of radius 1 behind a disc of radius 1.7 at various separations."""
    a_sun, a_earth = 1.0, 1.7
    g = np.linspace(-1, 1, 1601)
    x, y = np.meshgrid(g, g)
    in_sun = x**2 + y**2 <= 1.0
    for theta in (0.0, 0.5, 0.7, 1.2, 2.0, 2.69, 2.71):
        hidden = (x - theta) ** 2 + y**2 <= a_earth**2
        expected = (in_sun & ~hidden).sum() / in_sun.sum()
        got = sunlit_fraction_from_angles(np.array([theta]), np.array([a_sun]), np.array([a_earth]))[0]
        assert got == pytest.approx(expected, abs=2e-3), theta
    assert sunlit_fraction_from_angles(np.array([0.6]), np.array([1.0]), np.array([1.7]))[0] == 0.0
    assert sunlit_fraction_from_angles(np.array([2.8]), np.array([1.0]), np.array([1.7]))[0] == 1.0


def test_shadow_angles_hand_case():
    # Satellite 7000 km out on +x, Sun 1 AU on -x: the Earth's centre hides the Sun's.
    r_sat = np.array([7.0e6, 0.0, 0.0])
    r_sun = np.array([-1.496e11, 0.0, 0.0])
    theta, a_sun, a_earth = shadow_angles(r_sat, r_sun)
    assert theta == pytest.approx(0.0, abs=1e-12)
    assert a_earth == pytest.approx(np.arcsin(6378137.0 / 7.0e6))
    assert a_sun == pytest.approx(np.arcsin(6.957e8 / (1.496e11 + 7.0e6)))


def test_sunlit_fraction_follows_the_intervals():
    constellation = load_tle(EO_TLE).select(["SENTINEL-2A", "SENTINEL-1A"])
    span = Span.from_hours("2025-10-03T12:00:00Z", 6)
    e = compute_geometry(constellation, [], span, contacts=False).eclipses
    umbra = e[e.kind == "umbra"].iloc[1]
    pen = e[(e.kind == "penumbra") & (e.start_utc > umbra.end_utc - pd.Timedelta(seconds=1))].iloc[0]
    mid_umbra = umbra.start_utc + (umbra.end_utc - umbra.start_utc) / 2
    mid_pen = pen.start_utc + (pen.end_utc - pen.start_utc) / 2
    times = [
        mid_umbra,
        pen.start_utc + pd.Timedelta(seconds=0.5),
        mid_pen,
        pen.end_utc - pd.Timedelta(seconds=0.5),
        pen.end_utc + pd.Timedelta(seconds=60),
    ]
    f = sunlit_fraction(constellation, times)
    s2 = f["SENTINEL-2A"].to_numpy()
    assert s2[0] == 0.0
    assert 0.0 < s2[1] < s2[2] < s2[3] < 1.0  # leaving the shadow the visible disc grows
    assert s2[4] == 1.0
    assert (f["SENTINEL-1A"] == 1.0).all()
