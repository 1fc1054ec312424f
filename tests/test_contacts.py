"""Contact windows against Orekit, against brute-force sampling, and their invariants."""

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spaceground.geometry import compute_geometry
from spaceground.orbits import load_tle
from spaceground.stations import Station, default_catalogue
from spaceground.timebase import Span, timescale

from .conftest import EO_TLE, TRICKY_TLE, case_geometry, orekit_reference, reference_cases

CASES = list(reference_cases())


def matched_passes(case):
    """spaceground passes joined one-to-one with Orekit's (same pair, overlapping windows)."""
    _, span, geo = case_geometry(case)
    mine = geo.contacts.copy()
    for col in ("aos", "tca", "los"):
        mine[f"{col}_s"] = span.seconds_of(mine[f"{col}_utc"])
    ref = orekit_reference(case, "contacts")
    both = mine.merge(ref, on=["norad_id", "station"], suffixes=("", "_ref"))
    both = both[(both.aos_s < both.los_s_ref) & (both.aos_s_ref < both.los_s)]
    return mine, ref, both


@pytest.mark.parametrize("case", CASES)
def test_same_passes_as_orekit(case):
    mine, ref, both = matched_passes(case)
    assert len(mine) == len(ref), "missed or extra passes"
    assert len(both) == len(ref), "some passes do not overlap one-to-one"
    assert not both.duplicated(["norad_id", "station", "aos_s_ref"]).any()
    assert (both.clipped == both.clipped_ref.astype(bool)).all()


@pytest.mark.parametrize("case", CASES)
def test_aos_los_within_25_ms_and_5_ms_above_15_deg(case):
    _, _, both = matched_passes(case)
    for col in ("aos", "los"):
        err_ms = 1e3 * (both[f"{col}_s"] - both[f"{col}_s_ref"]).abs()
        assert err_ms.max() < 25.0, f"{col} worst {err_ms.max():.3f} ms"
        high = both.max_elevation_deg_ref > 15.0
        assert err_ms[high].max() < 5.0, f"{col} worst above 15 deg {err_ms[high].max():.3f} ms"


@pytest.mark.parametrize("case", CASES)
def test_tca_and_max_elevation_match_orekit(case):
    """TCA is compared on passes shorter than an hour (LEO and MEO). Over GEO and Molniya
    apogee arcs the elevation stays within 1e-5 deg of its maximum for minutes, so the
    instant of the maximum is not defined to milliseconds; the maximum elevation is."""
    _, _, both = matched_passes(case)
    el_err = (both.max_elevation_deg - both.max_elevation_deg_ref).abs()
    assert el_err.max() < 0.005, f"max elevation worst {el_err.max():.2e} deg"
    short = both[both.duration_s < 3600.0]
    err_ms = 1e3 * (short.tca_s - short.tca_s_ref).abs()
    assert err_ms.max() < 25.0, f"TCA worst {err_ms.max():.3f} ms"
    high = short.max_elevation_deg_ref > 15.0
    assert err_ms[high].max() < 5.0, f"TCA worst above 15 deg {err_ms[high].max():.3f} ms"


def skyfield_elevation_deg(sat, station, times):
    """Elevation by Skyfield alone (its own TEME, frames and topocentric code) at Skyfield ``times``.

    Reuse one ``times`` object: Skyfield caches its nutation, the slow part, on it.
    """
    from skyfield.api import EarthSatellite, wgs84

    es = EarthSatellite(sat.line1, sat.line2, sat.name, timescale())
    topos = wgs84.latlon(station.lat_deg, station.lon_deg, station.alt_m)
    alt, _, _ = (es - topos).at(times).altaz()
    return alt.degrees


def runs_above(el, mask):
    above = el > mask
    edges = np.flatnonzero(np.diff(above.astype(int)))
    starts = list(edges[~above[edges]] + 1)
    ends = list(edges[above[edges]])
    if above[0]:
        starts.insert(0, 0)
    if above[-1]:
        ends.append(len(el) - 1)
    return list(zip(starts, ends))


@pytest.mark.parametrize(
    "tle, names, start, hours, station_ids, mask",
    [
        (
            TRICKY_TLE,
            ["ISS (ZARYA)", "MOLNIYA 1-91", "JUPITER 3 (ECHOSTAR 24)"],
            "2024-09-15T00:00:00Z",
            36,
            ["SVALBARD", "SINGAPORE", "KASHI", "MCMURDO", "WALLOPS"],
            5.0,
        ),
        (EO_TLE, ["SENTINEL-2A", "TERRA"], "2025-10-03T12:00:00Z", 24, ["SVALBARD", "TROLL", "SANYA"], 10.0),
    ],
)
def test_matches_brute_force_one_second_sampling(tle, names, start, hours, station_ids, mask):
    constellation = load_tle(tle).select(names)
    span = Span.from_hours(start, hours)
    stations = [s.with_mask(mask) for s in default_catalogue() if s.station_id in station_ids]
    geo = compute_geometry(constellation, stations, span, eclipses=False)
    t_s = np.arange(0.0, span.duration_s + 0.5, 1.0)
    times = span.skyfield_times(t_s)
    for sat in constellation:
        for station in stations:
            el = skyfield_elevation_deg(sat, station, times)
            runs = runs_above(el, mask)
            mine = geo.contacts[(geo.contacts.norad_id == sat.norad_id) & (geo.contacts.station == station.station_id)]
            mine = mine.sort_values("aos_utc")
            assert len(mine) == len(runs), f"{sat.name} over {station.station_id}"
            for (a, b), row in zip(runs, mine.itertuples()):
                aos = span.seconds_of([row.aos_utc])[0]
                los = span.seconds_of([row.los_utc])[0]
                assert t_s[a] - 1.0 - 0.01 <= aos <= t_s[a] + 0.01
                assert t_s[b] - 0.01 <= los <= t_s[b] + 1.0 + 0.01
                assert row.max_elevation_deg >= el[a : b + 1].max() - 1e-3
                assert row.max_elevation_deg <= el[a : b + 1].max() + 0.02


def test_grazing_pass_of_a_few_seconds_between_grid_points():
    """Put the mask 0.01 deg below a high culmination: a pass of about a second, between grid points 60 s apart."""
    constellation = load_tle(EO_TLE).select(["SENTINEL-2A"])
    span = Span.from_hours("2025-10-03T12:00:00Z", 24)
    svalbard = next(s for s in default_catalogue() if s.station_id == "SVALBARD")
    geo = compute_geometry(constellation, [svalbard], span, eclipses=False)
    top = geo.contacts.sort_values("max_elevation_deg").iloc[-1]
    assert top.max_elevation_deg > 60
    grazing = svalbard.with_mask(top.max_elevation_deg - 0.01)
    found = compute_geometry(constellation, [grazing], span, eclipses=False).contacts
    assert len(found) == 1
    row = found.iloc[0]
    assert 0.1 < row.duration_s < 5.0
    t_tca = span.seconds_of([top.tca_utc])[0]
    t_s = np.arange(t_tca - 10.0, t_tca + 10.0, 0.005)
    el = skyfield_elevation_deg(constellation[0], grazing, span.skyfield_times(t_s))
    ((a, b),) = runs_above(el, grazing.min_elevation_deg)
    # Skyfield's TEME pole differs from ours by ~1 m at this range; allow 0.1 s.
    assert abs(span.seconds_of([row.aos_utc])[0] - t_s[a]) < 0.1
    assert abs(span.seconds_of([row.los_utc])[0] - t_s[b]) < 0.1


@pytest.fixture(scope="module")
def eo_day():
    constellation = load_tle(EO_TLE)
    span = Span.from_hours("2025-10-03T12:00:00Z", 24)
    stations = default_catalogue()
    return constellation, span, stations, compute_geometry(constellation, stations, span, eclipses=False)


def test_pass_invariants(eo_day):
    constellation, span, stations, geo = eo_day
    c = geo.contacts
    assert (c.aos_utc <= c.tca_utc).all() and (c.tca_utc <= c.los_utc).all()
    assert (c.duration_s > 0).all()
    edge = (c.aos_utc == span.start) | (c.los_utc == span.end)
    assert (edge == c.clipped).all()
    assert (c.max_elevation_deg[~c.clipped] >= 10.0 - 1e-6).all()
    assert ((c.aos_azimuth_deg >= 0) & (c.aos_azimuth_deg < 360)).all()
    for _, grp in c.groupby(["norad_id", "station"]):
        grp = grp.sort_values("aos_utc")
        assert (grp.aos_utc.iloc[1:].to_numpy() > grp.los_utc.iloc[:-1].to_numpy()).all()


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    offset_s=st.floats(0.0, 40000.0), length_s=st.floats(3600.0, 40000.0), step_s=st.sampled_from([20.0, 45.0, 60.0])
)
def test_passes_do_not_depend_on_the_window_or_grid(eo_day, offset_s, length_s, step_s):
    """A sub-span with another grid alignment finds the same passes, to the microsecond."""
    constellation, span, stations, geo = eo_day
    sub = Span(span.start + pd.Timedelta(seconds=offset_s), length_s)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        part = compute_geometry(constellation[::5], stations, sub, eclipses=False, step_s=step_s).contacts
    full = geo.contacts[geo.contacts.norad_id.isin(constellation[::5].norad_ids)]
    inside = full[(full.aos_utc > sub.start) & (full.los_utc < sub.end)]
    part = part[~part.clipped]
    assert len(part) == len(inside)
    a = inside.sort_values(["norad_id", "station", "aos_utc"]).reset_index(drop=True)
    b = part.sort_values(["norad_id", "station", "aos_utc"]).reset_index(drop=True)
    assert (a.norad_id == b.norad_id).all() and (a.station == b.station).all()
    for col in ("aos_utc", "tca_utc", "los_utc"):
        assert (a[col] - b[col]).abs().max() < pd.Timedelta(microseconds=5)
    assert (a.max_elevation_deg - b.max_elevation_deg).abs().max() < 1e-7


def test_per_station_masks():
    constellation = load_tle(EO_TLE).select(["LANDSAT 9"])
    span = Span.from_hours("2025-10-03T12:00:00Z", 24)
    base = Station("HERE", 60.0, 10.0, 0.0, 5.0)
    low, high = base, Station("THERE", 60.0, 10.0, 0.0, 20.0)
    c = compute_geometry(constellation, [low, high], span, eclipses=False).contacts
    lo = c[c.station == "HERE"]
    hi = c[c.station == "THERE"]
    assert len(hi) < len(lo)
    # Every 20 deg pass sits inside a 5 deg pass of the same culmination.
    for row in hi.itertuples():
        outer = lo[(lo.aos_utc < row.aos_utc) & (lo.los_utc > row.los_utc)]
        assert len(outer) == 1
        assert abs((outer.iloc[0].tca_utc - row.tca_utc).total_seconds()) < 1e-3
