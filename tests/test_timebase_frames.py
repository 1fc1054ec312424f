"""Times, spans, Earth orientation and frames, against Skyfield and Orekit."""

import numpy as np
import pandas as pd
import pytest

from spaceground.errors import InputError
from spaceground.frames import elevation_azimuth_deg, geodetic_to_itrf_m, sin_elevation_and_rate, teme_to_itrf
from spaceground.orbits import load_tle, propagate_points
from spaceground.orientation import EarthOrientation
from spaceground.timebase import Span, format_utc_ms, parse_utc, timescale

from .conftest import ROOT, case_geometry, orekit_reference, reference_cases


def test_parse_utc_needs_a_zone():
    assert parse_utc("2025-10-03T20:00:00+08:00") == pd.Timestamp("2025-10-03T12:00:00Z")
    assert parse_utc("2025-10-03T12:00Z").tzname() == "UTC"
    with pytest.raises(InputError, match=r"--start: '2025-10-03T12:00' has no time zone; add Z"):
        parse_utc("2025-10-03T12:00", "--start")
    with pytest.raises(InputError, match="not an ISO 8601 time"):
        parse_utc("yesterday noon", "--start")


def test_format_utc_ms_rounds_and_ends_with_z():
    times = pd.DatetimeIndex(["2025-10-03T12:00:00.0004Z", "2025-10-03T12:00:59.9996Z"])
    assert list(format_utc_ms(times)) == ["2025-10-03T12:00:00.000Z", "2025-10-03T12:01:00.000Z"]


def test_span_julian_dates_and_round_trip():
    span = Span.from_hours("2025-10-03T12:00:00Z", 24)
    whole, frac = span.jd_utc([0.0, 43200.0])
    # 2025-10-03 00:00 UTC is JD 2460951.5 (MJD 60951, the finals2000A row of that day).
    assert whole[0] == 2460951.5 and frac[0] == pytest.approx(0.5) and frac[1] == pytest.approx(1.0)
    t = np.array([0.0, 1.234, 86399.999])
    np.testing.assert_allclose(span.seconds_of(span.datetimes(t)), t, atol=1e-9)
    with pytest.raises(InputError, match="hours must be positive"):
        Span.from_hours("2025-10-03T12:00:00Z", 0)


def test_span_across_a_leap_second_is_refused():
    with pytest.raises(InputError, match="contains a leap second"):
        Span.from_hours("2016-12-31T23:00:00Z", 2)
    Span.from_hours("2017-01-01T00:00:01Z", 2)


def test_earth_orientation_matches_skyfield():
    span = Span.from_hours("2025-10-03T12:00:00Z", 48)
    eo = EarthOrientation(span)
    t_s = np.array([0.0, 5000.0, 86400.0, 170000.0])
    dut1, xp, yp, corr = eo.at(t_s)
    t = timescale().from_datetimes(span.datetimes(t_s).to_pydatetime())
    np.testing.assert_allclose(dut1, t.dut1, atol=2e-6)
    _, x_as, y_as = t.polar_motion_angles()
    np.testing.assert_allclose(xp, np.radians(x_as / 3600), atol=1e-12)
    np.testing.assert_allclose(yp, np.radians(y_as / 3600), atol=1e-12)
    # The TEME convention shift is tens of milliarcseconds (IAU-1980 pole vs the real one).
    assert 10e-3 < np.degrees(np.linalg.norm(corr, axis=1)).max() * 3600 < 100e-3


def test_matrix_and_component_forms_of_teme_to_itrf_agree():
    from spaceground.frames import teme_to_itrf_matrices

    rng = np.random.default_rng(7)
    r = rng.normal(size=(4, 5, 3)) * 7e6
    v = rng.normal(size=(4, 5, 3)) * 7e3
    theta = rng.uniform(0, 6.3, 5)
    args = (theta, np.full(5, 7.29e-5), np.full(5, 1.1e-6), np.full(5, 2.1e-6), np.tile([1.5e-7, -2e-7, 7e-8], (5, 1)))
    r1, v1 = teme_to_itrf(r, v, *args)
    m, dm = teme_to_itrf_matrices(*args)
    np.testing.assert_allclose(r1, np.einsum("kij,nkj->nki", m, r), atol=1e-6)
    np.testing.assert_allclose(v1, np.einsum("kij,nkj->nki", m, v) + np.einsum("kij,nkj->nki", dm, r), atol=1e-8)


def test_teme_to_itrf_without_convention_shift_equals_skyfield_itrs():
    from skyfield.api import EarthSatellite
    from skyfield.framelib import itrs

    c = load_tle(f"{ROOT}/constellations/eo_2025-10-03.tle").select(["SENTINEL-2A", "TERRA"])
    span = Span.from_hours("2025-10-03T12:00:00Z", 6)
    eo = EarthOrientation(span)
    t_s = np.linspace(0, 21600, 7)
    jd_w, jd_f = span.jd_utc(t_s)
    ts = timescale()
    for i, sat in enumerate(c):
        r, v, _ = propagate_points(c, np.full(t_s.size, i), jd_w, jd_f)
        theta, theta_dot = eo.sidereal(t_s)
        _, xp, yp, _ = eo.at(t_s)
        mine, _ = teme_to_itrf(r, v, theta, theta_dot, xp, yp)
        es = EarthSatellite(sat.line1, sat.line2, sat.name, ts)
        theirs = es.at(span.skyfield_times(t_s)).frame_xyz(itrs).m.T
        # Skyfield's TEME -> GCRS -> ITRS round trip; its polar motion adds s' (0.1 mm).
        np.testing.assert_allclose(mine, theirs, rtol=0, atol=2e-3)


@pytest.mark.parametrize("case", list(reference_cases()))
def test_itrf_positions_match_orekit(case):
    """Orekit's TLEPropagator states in ITRF: the TEME convention matters here (1-7 m without it)."""
    constellation, span, _ = case_geometry(case)
    ref = orekit_reference(case, "itrf_samples")
    ids = list(constellation.norad_ids)
    idx = np.array([ids.index(i) for i in ref.norad_id])
    t_s = ref.t_s.to_numpy(float)
    jd_w, jd_f = span.jd_utc(t_s)
    r, v, _ = propagate_points(constellation, idx, jd_w, jd_f)
    mine, _ = EarthOrientation(span).teme_to_itrf(r, v, t_s)
    err_m = np.linalg.norm(mine - ref[["x_m", "y_m", "z_m"]].to_numpy(), axis=1)
    radius_m = np.linalg.norm(mine, axis=1)
    # Equivalent to < 1.5 mas of rotation (Orekit applies dX, dY of 0.4 mas and its own UT1 table).
    assert (err_m / radius_m).max() < 7e-9, f"worst {err_m.max():.3f} m"


def test_station_positions_and_look_angles_match_skyfield():
    from skyfield.api import wgs84

    lat, lon, alt = 78.229772, 15.407786, 450.0
    pos, up = geodetic_to_itrf_m(lat, lon, alt)
    theirs = wgs84.latlon(lat, lon, alt).itrs_xyz.m
    np.testing.assert_allclose(pos, theirs, atol=1e-6)
    assert np.linalg.norm(up) == pytest.approx(1.0)
    # A point 1000 km straight up along the normal is at 90 deg; one due north on the tangent plane at 0 deg.
    el, _ = elevation_azimuth_deg(pos + 1e6 * up, pos, lat, lon)
    assert el == pytest.approx(90.0, abs=1e-9)
    north = np.array(
        [
            -np.sin(np.radians(lat)) * np.cos(np.radians(lon)),
            -np.sin(np.radians(lat)) * np.sin(np.radians(lon)),
            np.cos(np.radians(lat)),
        ]
    )
    el, az = elevation_azimuth_deg(pos + 1e5 * north, pos, lat, lon)
    assert el == pytest.approx(0.0, abs=1e-9) and az == pytest.approx(0.0, abs=1e-9)


def test_elevation_rate_is_the_derivative_of_elevation():
    pos, up = geodetic_to_itrf_m(40.0, 116.0, 0.0)
    r0 = pos + np.array([3e5, -2e5, 5e5])
    v = np.array([-6000.0, 3000.0, 2500.0])
    h = 1e-3
    s_plus, _ = sin_elevation_and_rate(r0 + v * h, v, pos, up)
    s_minus, _ = sin_elevation_and_rate(r0 - v * h, v, pos, up)
    _, rate = sin_elevation_and_rate(r0, v, pos, up)
    assert rate == pytest.approx((s_plus - s_minus) / (2 * h), rel=1e-7)
