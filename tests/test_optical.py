"""Optical ground stations under clouds: each pass clear or blocked (a seeded draw at the clear-sky probability,
or a cloud-cover series at the pass's middle), a blocked pass falling back to RF or carrying nothing, and the
policies planning on the forecast, not the truth."""

import numpy as np
import pandas as pd
import pytest

from spaceground.engine import Engine
from spaceground.links import downlink_rows
from spaceground.results import build_results
from spaceground.scenario import ScenarioError, parse_scenario
from spaceground.simulate import execute, prepare, reseed

from .conftest import ROOT
from .test_engine import check_invariants

RF_BPS, OPTICAL_BPS = 160e6, 100e9
SCENARIO = f"""
name: optical
start_utc: 2025-10-03T00:00:00Z
duration_h: 24
seed: 4
constellation: {{{{tle: {ROOT}/constellations/eo_2025-10-03.tle, select: ["FLOCK 4G-*", "SENTINEL-2A"]}}}}
satellites:
  default: {{{{downlink_mbps: 160}}}}
  profiles:
    - {{{{match: ["FLOCK*"], optical_gbps: 100}}}}
stations:
  - {{{{id: SVALBARD, antennas: 2, optical: {{optical}}}}}}
  - {{{{id: KIRUNA}}}}
datacenters:
  - {{{{id: dc, lat_deg: 59.91, lon_deg: 10.75, capacity_tops: 10000, servers: 4}}}}
workloads:
  - name: scene
    trigger: {{{{rate_per_sat_per_h: 6}}}}
    raw_mb: 4000
    onboard_allowed: false
policy: {{{{name: ground-only}}}}
"""


def _prepared(optical, tmp_path=None):
    text = SCENARIO.format(optical=optical)
    return prepare(parse_scenario(text, "optical.yaml", str(tmp_path or ROOT)))


def _svalbard_rows(model, links):
    lw = downlink_rows(links)
    flock = np.array([model.constellation[int(k)].name.startswith("FLOCK") for k in lw.sender])
    svalbard = lw.receiver == 0
    return lw, np.flatnonzero(flock & svalbard), np.flatnonzero(~(flock & svalbard))


def test_a_clear_sky_runs_optical_and_a_blocked_one_falls_back_to_rf():
    for p, want in ((1.0, OPTICAL_BPS), (0.0, RF_BPS)):
        model, inputs = _prepared(f"{{rate_gbps: 200, clear_sky_probability: {p}}}")
        lw, optical, other = _svalbard_rows(model, inputs.links)
        assert len(optical) >= 10
        # The lower of the two terminals (the satellite's 100 Gbit/s), one rate a pass; the rest stay RF.
        assert np.allclose(lw.rate_bps[lw.profile_start[optical]], want)
        assert np.allclose(lw.rate_bps[lw.profile_start[other]], RF_BPS)
        fc, _, _ = _svalbard_rows(model, inputs.forecast_links)
        assert np.allclose(fc.rate_bps[fc.profile_start[optical]], want)  # a sure forecast is the truth


def test_passes_are_drawn_at_the_clear_sky_probability_and_policies_see_the_expected_rate():
    model, inputs = _prepared("{clear_sky_probability: 0.6}")
    lw, optical, _ = _svalbard_rows(model, inputs.links)
    rate = lw.rate_bps[lw.profile_start[optical]]
    assert set(np.round(rate)) <= {OPTICAL_BPS, RF_BPS}
    clear = rate == OPTICAL_BPS
    n = len(optical)
    assert abs(clear.mean() - 0.6) < 3 * np.sqrt(0.6 * 0.4 / n)  # binomial, three standard deviations
    # What the policies see: the expected rate of every optical pass, in the plan and in the views.
    expected = 0.6 * OPTICAL_BPS + 0.4 * RF_BPS
    fc, _, _ = _svalbard_rows(model, inputs.forecast_links)
    assert np.allclose(fc.rate_bps[fc.profile_start[optical]], expected)
    plan = Engine.plan(model, inputs, captures=False)
    for sp in plan.satellites:
        if sp.name.startswith("FLOCK"):
            at_svalbard = [r for r, st in zip(sp.window_rate_bps, sp.window_station) if st == 0]
            assert at_svalbard and np.allclose(at_svalbard, expected)
    # The same seed draws the same passes; another seed (a reseed too) others.
    again = _prepared("{clear_sky_probability: 0.6}")[1]
    assert np.array_equal(again.links.rate_bps, inputs.links.rate_bps)
    _, other = reseed(model, inputs, 5)
    lw5, _, _ = _svalbard_rows(model, other.links)
    assert not np.array_equal(lw5.rate_bps[lw5.profile_start[optical]], rate)
    assert np.array_equal(other.forecast_links.rate_bps, inputs.forecast_links.rate_bps)


def test_a_cloud_cover_series_blocks_passes_and_the_forecast_may_be_wrong(tmp_path):
    # Truth: overcast until 12:00, clear after; the forecast says the opposite.
    hours = pd.date_range("2025-10-03T00:00:00Z", periods=25, freq="h")
    cover = np.where(hours.hour < 12, 0.9, 0.1)
    cover[-1] = 0.1
    pd.DataFrame({"time_utc": hours.strftime("%Y-%m-%dT%H:%M:%SZ"), "truth": cover, "forecast": 1.0 - cover}).to_csv(
        tmp_path / "clouds.csv", index=False
    )
    tle = f"{ROOT}/constellations/eo_2025-10-03.tle"
    optical = (
        "{cloud_cover: {csv: clouds.csv, value_column: truth}, "
        "forecast_cloud_cover: {csv: clouds.csv, value_column: forecast}}"
    )
    text = SCENARIO.format(optical=optical).replace(f"{ROOT}/constellations/eo_2025-10-03.tle", tle)
    loaded = parse_scenario(text, "optical.yaml", str(tmp_path))
    assert "clouds.csv" in loaded.referenced_files()  # the run hash covers the cloud series
    model, inputs = prepare(loaded)
    lw, optical_rows, _ = _svalbard_rows(model, inputs.links)
    fc, _, _ = _svalbard_rows(model, inputs.forecast_links)
    mid = 0.5 * (lw.start_s[optical_rows] + lw.end_s[optical_rows])
    morning = mid < 12 * 3600.0
    assert morning.any() and (~morning).any()
    truth = lw.rate_bps[lw.profile_start[optical_rows]]
    seen = fc.rate_bps[fc.profile_start[optical_rows]]
    assert np.allclose(truth[morning], RF_BPS) and np.allclose(truth[~morning], OPTICAL_BPS)
    assert np.allclose(seen[morning], OPTICAL_BPS) and np.allclose(seen[~morning], RF_BPS)


def test_a_pass_under_cloud_carries_nothing_without_an_rf_fallback():
    model, inputs = _prepared("{clear_sky_probability: 0.5, rf_fallback: false}")
    lw, optical, _ = _svalbard_rows(model, inputs.links)
    rate = lw.rate_bps[lw.profile_start[optical]]
    assert set(np.round(rate)) == {0.0, OPTICAL_BPS}
    res = build_results(model, inputs, *execute(model, inputs, "lookahead"), scene=False)
    check_invariants(res, model)
    d = res.downlinks
    flock = d.satellite.str.startswith("FLOCK") & (d.station == "SVALBARD")
    # Nothing goes down a blocked pass: every byte at Svalbard from a Dove went in a clear one.
    blocked = [(lw.sender[w], lw.start_s[w], lw.end_s[w]) for w, r in zip(optical, rate) if r == 0.0]
    assert len(blocked) >= 5
    t0 = model.span.start
    starts = (d.start_utc - t0).dt.total_seconds().to_numpy()
    names = d.satellite.to_numpy()
    for k, a, b in blocked:
        mine = flock.to_numpy() & (names == model.constellation[int(k)].name)
        assert not (mine & (starts >= a) & (starts < b)).any()
    assert res.downlinks[flock].bytes.sum() > 0 and (res.downlinks.bytes > 0).all()


@pytest.mark.parametrize(
    "optical, words",
    [
        ("{rate_gbps: 200}", r"give the clouds one way"),
        ("{clear_sky_probability: 0.5, cloud_cover: {csv: c.csv, value_column: x}}", r"give the clouds one way"),
        ("{cloud_cover: {csv: c.csv, value_column: x}}", r"give forecast_cloud_cover too"),
        ("{clear_sky_probability: 1.5}", r"clear_sky_probability: Input should be less than or equal to 1"),
    ],
)
def test_an_optical_terminal_without_a_cloud_model_is_refused(optical, words):
    with pytest.raises(ScenarioError, match=words) as err:
        parse_scenario(SCENARIO.format(optical=optical), "optical.yaml", ROOT)
    assert "optical.yaml, line 12: stations.0.optical" in str(err.value)


def test_an_optical_only_station_hears_nothing_from_a_satellite_without_optics():
    model, inputs = _prepared("{clear_sky_probability: 1.0, rf_fallback: false}")
    lw = downlink_rows(inputs.links)
    s2 = np.array([model.constellation[int(k)].name == "SENTINEL-2A" for k in lw.sender])
    at_svalbard = s2 & (lw.receiver == 0)
    assert at_svalbard.any()
    assert np.allclose(lw.rate_bps[lw.profile_start[np.flatnonzero(at_svalbard)]], 0.0)
    assert np.allclose(lw.rate_bps[lw.profile_start[np.flatnonzero(s2 & (lw.receiver == 1))]], RF_BPS)  # Kiruna


def test_the_bound_plans_on_the_drawn_sky_and_the_policies_on_the_forecast():
    model, inputs = _prepared("{clear_sky_probability: 0.6}")
    seen = Engine.plan(model, inputs, captures=False)
    drawn = Engine.plan(model, inputs, captures=False, truth=True)
    assert seen.links is inputs.forecast_links and drawn.links is inputs.links
    for a, b in zip(seen.satellites, drawn.satellites):
        truth = downlink_rows(inputs.links)
        rows = np.flatnonzero(truth.sender == a.index)
        assert b.window_rate_bps == tuple(truth.rate_bps[truth.profile_start[rows]].tolist())
        if a.name.startswith("FLOCK"):
            assert a.window_rate_bps != b.window_rate_bps
