"""ITU-R attenuation in the link budget: the station's table against the recommendations (the itur package)
called directly, its physics (more attenuation at low elevation, at rarer exceedance, in the tropics), the
effective range, and a run's ACM steps where Skyfield's range and elevation, with the attenuation there, meet a
MODCOD threshold."""

import numpy as np
import pytest

from spaceground.atmosphere import SlantAttenuation, slant_attenuation_db
from spaceground.linkbudget import acm_ladder, acm_rate_bps, esn0_db

from .test_linkbudget import ACM_BAUD, ACM_EIRP_DBW, ACM_GT, _acm_quickstart

SVALBARD, SANYA = (78.2298, 15.4078), (18.31, 109.31)


@pytest.mark.parametrize("site, exceedance", [(SVALBARD, 1.0), (SANYA, 1.0), (SANYA, 0.1)])
def test_the_station_table_is_the_recommendations_within_a_hundredth_of_a_db(site, exceedance):
    table = SlantAttenuation(*site, 8.1e9, exceedance, 7.3, 10.0)
    off_grid = np.array([10.13, 12.77, 17.4, 23.9, 38.61, 57.3, 89.9])
    direct = slant_attenuation_db(*site, 8.1e9, off_grid, exceedance, 7.3)
    assert np.allclose(table(off_grid), direct, atol=0.01)


def test_attenuation_grows_at_low_elevation_for_rarer_exceedance_and_in_the_tropics():
    el = np.array([10.0, 20.0, 45.0, 90.0])
    svalbard = slant_attenuation_db(*SVALBARD, 8.1e9, el, 1.0, 7.3)
    assert np.all(np.diff(svalbard) < 0)  # longer paths through the air at lower elevation
    assert svalbard[-1] < 0.3 and 0.2 < svalbard[0] < 3.0  # X-band: tenths of a dB at the zenith, ~1 dB low
    sanya_rare = slant_attenuation_db(*SANYA, 8.1e9, el, 0.1, 7.3)
    sanya = slant_attenuation_db(*SANYA, 8.1e9, el, 1.0, 7.3)
    assert np.all(sanya_rare > sanya) and np.all(sanya > svalbard)  # rain: tropical, and rarer exceedance
    ka = slant_attenuation_db(*SANYA, 26e9, el, 0.1, 7.3)
    assert np.all(ka > 3 * sanya_rare)  # rain attenuation grows steeply with frequency (Ka against X)
    with pytest.raises(ValueError, match="from 5 deg"):
        slant_attenuation_db(*SVALBARD, 8.1e9, [3.0], 1.0, 7.3)


def test_an_attenuation_is_a_longer_range_in_the_budget():
    table = SlantAttenuation(*SANYA, 8.1e9, 0.1, 7.3, 10.0)
    r, el = np.array([1.2e6, 2.5e6]), np.array([60.0, 15.0])
    clear = esn0_db(ACM_EIRP_DBW, r, 8.1e9, ACM_GT, ACM_BAUD, 1.0)
    attenuated = esn0_db(ACM_EIRP_DBW, table.effective_range_m(r, el), 8.1e9, ACM_GT, ACM_BAUD, 1.0)
    assert np.allclose(clear - attenuated, table(el), atol=1e-9)


def test_acm_steps_with_itu_attenuation_sit_where_skyfield_s_pass_meets_a_threshold():
    from skyfield.api import EarthSatellite, wgs84

    from spaceground.simulate import prepare
    from spaceground.timebase import timescale

    loaded = _acm_quickstart()
    text = loaded.text
    for sid in ("SVALBARD, antennas: 2", "KIRUNA", "KASHI", "SANYA"):
        text = text.replace(
            "{id: " + sid + ", gt_db_per_k: 31}", "{id: " + sid + ", gt_db_per_k: 31, availability_percent: 99.9}"
        )
    from spaceground.scenario import parse_scenario

    model, inputs = prepare(parse_scenario(text, loaded.source, loaded.base_dir))
    clear_model, clear_inputs = prepare(loaded)
    links, clear = inputs.links, clear_inputs.links
    rows = np.flatnonzero(links.kind == "downlink")
    assert np.array_equal(links.start_s, clear.start_s)
    capacity, clear_capacity = links.capacity_bytes()[rows], clear.capacity_bytes()[rows]
    assert np.all(capacity <= clear_capacity + 1.0) and capacity.sum() < 0.99 * clear_capacity.sum()
    ladder = acm_ladder(margin_db=1.0)
    levels = ladder[0]  # the thresholds plus the margin [dB]
    ts = timescale()
    tables = {}
    checked = 0
    for w in rows[:: max(1, len(rows) // 10)]:
        sat, g = model.constellation[int(links.sender[w])], model.stations[int(links.receiver[w])]
        st = g.station
        if st.station_id not in tables:
            tables[st.station_id] = SlantAttenuation(st.lat_deg, st.lon_deg, 8.1e9, 0.1, 7.3, st.min_elevation_deg)
        es = EarthSatellite(sat.line1, sat.line2, sat.name, ts)
        topos = wgs84.latlon(st.lat_deg, st.lon_deg, st.alt_m)
        lo, hi = links.profile_start[w], links.profile_start[w + 1]
        for t in links.rate_start_s[lo + 1 : hi]:
            times = ts.from_datetimes(model.span.datetimes(np.array([t - 0.5, t + 0.5])).to_pydatetime())
            alt, _, dist = (es - topos).at(times).altaz()
            # Independent: the range and elevation from Skyfield, the attenuation straight from the ITU-R models.
            a_db = slant_attenuation_db(st.lat_deg, st.lon_deg, 8.1e9, alt.degrees, 0.1, 7.3)
            es_db = esn0_db(ACM_EIRP_DBW, dist.m, 8.1e9, ACM_GT, ACM_BAUD, 1.0) - a_db
            # A threshold lies between Es/N0 half a second before and after the step.
            assert np.any((levels >= es_db.min() - 0.02) & (levels <= es_db.max() + 0.02)), (w, t, es_db)
            checked += 1
        rate = acm_rate_bps(esn0_db(ACM_EIRP_DBW, 1e6, 8.1e9, ACM_GT, ACM_BAUD, 1.0), ACM_BAUD, ladder)
        assert links.rate_bps[lo:hi].max() <= rate + 1.0
    assert checked > 15


def test_availability_without_a_link_budget_or_below_5_deg_or_without_itur_is_refused(monkeypatch):
    import sys

    from spaceground.scenario import ScenarioError, parse_scenario
    from spaceground.simulate import prepare

    loaded = _acm_quickstart()
    for old, new, words in (
        ("{id: KIRUNA, gt_db_per_k: 31}", "{id: KIRUNA, availability_percent: 99}", "give the station's gt_db_per_k"),
        (
            "{id: KIRUNA, gt_db_per_k: 31}",
            "{id: KIRUNA, gt_db_per_k: 31, availability_percent: 99, min_elevation_deg: 2}",
            "min_elevation_deg 2 is below 5 deg",
        ),
    ):
        with pytest.raises(ScenarioError, match=words):
            parse_scenario(loaded.text.replace(old, new), loaded.source, loaded.base_dir)
    text = loaded.text.replace(
        "{id: KIRUNA, gt_db_per_k: 31}", "{id: KIRUNA, gt_db_per_k: 31, availability_percent: 99}"
    )
    monkeypatch.setitem(sys.modules, "itur", None)  # as if it were not installed
    with pytest.raises(
        Exception, match=r"KIRUNA: availability_percent needs .* pip install 'spaceground\[atmosphere\]'"
    ):
        prepare(parse_scenario(text, loaded.source, loaded.base_dir))


def test_a_relay_feeder_link_in_ka_band_runs_the_modcod_its_budget_and_the_rain_allow():
    # EDRS's Ka-band feeder links (a GEO relay to its ground terminals), given a link budget: 26 GHz, 48 dBW,
    # 500 Mbaud, G/T 35 dB/K, 99.5 % availability (assumptions for the check). Every 10 minutes of every feeder
    # window the table's rate is the one a hand budget gives: Skyfield's range and elevation, the ITU-R
    # attenuation called directly there, the best DVB-S2 MODCOD whose threshold plus margin it meets.
    import os

    from skyfield.api import EarthSatellite, wgs84

    from spaceground.scenario import load_scenario, parse_scenario
    from spaceground.simulate import prepare
    from spaceground.timebase import timescale

    from .conftest import ROOT

    path = os.path.join(ROOT, "scenarios", "sentinel-edrs-relay.yaml")
    text = load_scenario(path).text.replace(
        "downlink_mbps: 1800,", "downlink_mbps: 1800, eirp_dbw: 48, downlink_ghz: 26, symbol_rate_mbaud: 500,"
    )
    for site in ("HARWELL", "WEILHEIM", "REDU"):
        text = text.replace("{id: " + site + ",", "{id: " + site + ", gt_db_per_k: 35, availability_percent: 99.5,")
    model, inputs = prepare(parse_scenario(text, path, os.path.dirname(path)))
    links = inputs.links
    relays = set(model.with_role("relay").tolist())
    rows = [w for w in np.flatnonzero(links.kind == "downlink") if int(links.sender[w]) in relays]
    assert rows
    ladder = acm_ladder(margin_db=1.0)
    ts = timescale()
    checked = 0
    for w in rows:
        sat, st = model.constellation[int(links.sender[w])], model.stations[int(links.receiver[w])].station
        es, topos = EarthSatellite(sat.line1, sat.line2, sat.name, ts), wgs84.latlon(st.lat_deg, st.lon_deg, st.alt_m)
        t = np.arange(links.start_s[w] + 1.0, links.end_s[w], 600.0)
        alt, _, dist = (es - topos).at(ts.from_datetimes(model.span.datetimes(t).to_pydatetime())).altaz()
        a_db = slant_attenuation_db(st.lat_deg, st.lon_deg, 26e9, alt.degrees, 0.5, 7.3)
        hand = acm_rate_bps(esn0_db(48.0, dist.m, 26e9, 35.0, 500e6, 1.0) - a_db, 500e6, ladder)
        table = np.array([links.rate_at(w, x) for x in t])
        assert np.allclose(table, hand), (st.station_id, table[:3], hand[:3])
        checked += len(t)
    assert checked > 300
    assert 0 < table.max() < 4.4 * 500e6  # mid-ladder, not the top MODCOD (which any budget would reach)
