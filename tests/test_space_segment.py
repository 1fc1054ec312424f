"""A scenario with a computing constellation: its laser rows in the link table by role, and raw data that
crosses to a computing satellite, is processed there and comes down as a product."""

import numpy as np
import pytest

from spaceground.api import run_scenario
from spaceground.intersat import find_isl_windows, grid_pairs
from spaceground.orbits import propagate_teme
from spaceground.results import routes_of
from spaceground.scenario import ScenarioError, parse_scenario
from spaceground.simulate import prepare

from .conftest import ROOT
from .test_engine import check_exclusivity, check_invariants, max_concurrent

SCENARIO = """
name: space
start_utc: 2025-10-03T00:00:00Z
duration_h: 24
seed: 3
constellation: {{tle: constellations/eo_2025-10-03.tle, select: {sats}}}
space_segment:
  computing:
    tle: constellations/space_segment_2025-10-03.tle
    select: [{computing}]
    hardware: {{compute_tops: 744, storage_gb: 30000, solar_w: 1200, battery_wh: 2400, bus_w: 100,
               compute_busy_w: 250, compute_idle_w: 20, downlink_mbps: 1200}}
    laser: {{rate_gbps: 100, acquisition_s: 20, max_range_km: 5000, terminals: {terminals}}}
  imaging_laser: {{rate_gbps: {imaging_gbps}, acquisition_s: 45, max_range_km: 4000}}
  links: {{computing_to_computing: {c2c}}}
satellites:
  default: {{solar_w: 200, battery_wh: 400, downlink_mbps: 520}}
stations:
  - {{id: KIRUNA}}
  - {{id: SVALBARD}}
datacenters:
  - {{id: dc, lat_deg: 59.91, lon_deg: 10.75, capacity_tops: 10000, servers: 4}}
workloads:
  - {{name: scene, trigger: {{rate_per_sat_per_h: 6}}, raw_mb: 2000, product_mb: 20, compute_top: 20000,
     deadline_min: 360}}
policy: {{name: {policy}, params: {params}}}
"""


def _text(**kw):
    base = dict(
        computing='"SCS-01*"',
        c2c="grid",
        policy="ground-only",
        params="{}",
        sats='["SENTINEL-2A", "SENTINEL-2B"]',
        terminals=1,
        imaging_gbps=10,
    )
    return SCENARIO.format(**{**base, **kw})


def _loaded(**kw):
    return parse_scenario(_text(**kw), "space.yaml", ROOT).with_overrides(allow_code=True)


def test_laser_rows_follow_the_roles_the_terminals_and_the_grid():
    model, inputs = prepare(_loaded())
    assert model.roles == ("imaging",) * 2 + ("computing",) * 12
    isl = inputs.links.take(np.flatnonzero(inputs.links.kind == "inter-satellite"))
    assert len(isl) > 0
    sender, receiver = isl.sender, isl.receiver
    # Imaging satellites only send; computing ones send to each other along the grid, both ways.
    assert set(receiver) <= set(range(2, 14))
    assert not np.isin(sender[receiver < 2], range(2, 14)).any()
    span = model.span
    w, f = span.jd_utc(np.array([0.0]))
    r, v, _ = propagate_teme(model.constellation.take(range(2, 14)), w, f)
    grid = {(a + 2, b + 2) for a, b in grid_pairs(r[:, 0], v[:, 0])}
    c2c = {(a, b) for a, b in zip(sender, receiver) if a >= 2}
    assert c2c and {(min(a, b), max(a, b)) for a, b in c2c} <= grid
    assert all((b, a) in c2c for a, b in c2c)
    # Each row is a window of the pair's geometry within the shorter reach, opened after the longer
    # acquisition, at the slower terminal's rate.
    for kind, (a, b), reach_m, acquire_s, rate in [
        ("imaging", (int(sender[sender < 2][0]), int(receiver[sender < 2][0])), 4000e3, 45.0, 10e9),
        ("computing", sorted(next(iter(c2c))), 5000e3, 20.0, 100e9),
    ]:
        truth = find_isl_windows(model.constellation, span, [[a, b]], max_range_m=reach_m)
        truth = truth[truth.end_s > truth.start_s + acquire_s]
        rows = np.flatnonzero((sender == a) & (receiver == b))
        assert len(rows) == len(truth) > 0, kind
        assert np.allclose(isl.start_s[rows], truth.start_s + acquire_s, rtol=0, atol=1e-9)
        assert np.allclose(isl.end_s[rows], truth.end_s, rtol=0, atol=1e-9)
        assert np.all(isl.rate_bps[rows] == rate)
    # Without computing-to-computing links only the imaging satellites' rows remain.
    _, inputs = prepare(_loaded(c2c="none"))
    isl = inputs.links.take(np.flatnonzero(inputs.links.kind == "inter-satellite"))
    assert (isl.sender < 2).all()


def test_captures_cross_to_a_computing_satellite_and_come_down_as_products(tmp_path):
    # Satellite 0's captures go to SCS-01 A (index 2) and are processed there; the others go down raw.
    loaded = _loaded(policy='"tests.policies_for_tests:RouteOf"', params="{via: [2], compute: onboard}")
    res = run_scenario(loaded)
    w = res.workloads
    assert set(w.satellite) <= {"SENTINEL-2A", "SENTINEL-2B"}  # computing satellites never capture
    crossed = w[w.compute_satellite == "SCS-01 A"]
    assert len(crossed) > 0 and (crossed.satellite == "SENTINEL-2A").all()
    done = crossed[crossed.status == "delivered"]
    assert len(done) > 0
    x = res.isl_transfers
    assert (x.satellite == "SENTINEL-2A").all() and (x.to_satellite == "SCS-01 A").all()
    # Every delivered product crossed whole before its onboard run, and came down from the computing satellite.
    sent = x.groupby("capture_id").bytes.sum()
    assert np.allclose(sent.reindex(done.capture_id).to_numpy(), done.raw_bytes.to_numpy())
    last_piece = x.groupby("capture_id").end_utc.max().reindex(done.capture_id).to_numpy()
    assert (last_piece <= done.onboard_start_utc.to_numpy()).all()
    down = res.downlinks[res.downlinks.capture_id.isin(done.capture_id)]
    assert (down.satellite == "SCS-01 A").all() and (down.kind == "product").all()
    check_invariants(res)
    assert (routes_of(w, x)[done.capture_id] == "offload to SCS-01 A").all()
    _outputs_show_the_laser_sessions(res, loaded, tmp_path, "offload to SCS-01 A")


def test_a_satellite_in_both_roles_is_refused_with_the_key_path():
    text = _text(sats='["SCS-01 A"]').replace(
        "constellations/eo_2025-10-03.tle", "constellations/space_segment_2025-10-03.tle"
    )
    with pytest.raises(ScenarioError, match=r"space_segment\.computing\.select.*SCS-01 A.*one role"):
        prepare(parse_scenario(text, "space.yaml", ROOT))
    with pytest.raises(ScenarioError, match="computing_to_computing"):
        parse_scenario(_text(c2c="mesh"), "s.yaml", ROOT)


RELAYS = """
name: relay
start_utc: 2025-10-03T00:00:00Z
duration_h: 12
seed: 5
constellation: {tle: constellations/eo_2025-10-03.tle, select: ["SENTINEL-2A", "SENTINEL-1A"]}
space_segment:
  relays:
    tle: constellations/space_segment_2025-10-03.tle
    select: ["EDRS-C", "EUTELSAT 9B"]
    hardware: {solar_w: 5000, battery_wh: 10000, bus_w: 1000, storage_gb: 1000, downlink_mbps: 1800}
    ground_terminals: [HARWELL, WEILHEIM]
  imaging_laser: {rate_gbps: 1.8, max_range_km: 45000}   # the Sentinels' LEO-GEO terminals
satellites:
  default: {solar_w: 200, battery_wh: 400, downlink_mbps: 520}
stations:
  - {id: KIRUNA}
  - {id: HARWELL, lat_deg: 51.57, lon_deg: -1.31, alt_m: 120}
  - {id: WEILHEIM, lat_deg: 47.88, lon_deg: 11.08, alt_m: 600}
datacenters:
  - {id: dc, lat_deg: 50.11, lon_deg: 8.68, capacity_tops: 10000, servers: 4}
workloads:
  - {name: scene, trigger: {rate_per_sat_per_h: 4}, raw_mb: 2000, product_mb: 20, compute_top: 3000,
     deadline_min: 720}
policy: {name: "tests.policies_for_tests:RouteOf", params: {via: [2], compute: ground}}
"""


def test_a_relay_takes_raw_data_over_laser_and_sends_it_down_to_its_ground_terminals(tmp_path):
    loaded = parse_scenario(RELAYS, "relay.yaml", ROOT).with_overrides(allow_code=True)
    model, inputs = prepare(loaded)
    assert model.roles == ("imaging", "imaging", "relay", "relay")
    down = inputs.links.take(np.flatnonzero(inputs.links.kind == "downlink"))
    relay = down.sender >= 2
    # Feeder links only from the relays to their terminals; the imaging satellites never reach those.
    assert relay.any() and set(down.receiver[relay]) <= {1, 2} and set(down.receiver[~relay]) == {0}
    isl = inputs.links.take(np.flatnonzero(inputs.links.kind == "inter-satellite"))
    assert set(isl.sender) <= {0, 1} and set(isl.receiver) <= {2, 3} and np.all(isl.rate_bps == 1.8e9)
    res = run_scenario(loaded)
    w = res.workloads
    first, second = model.constellation[0].name, model.constellation[1].name  # RouteOf routes satellite 0's
    via = w[(w.satellite == first) & (w.status == "delivered")]
    assert len(via) > 0 and via.station.isin(["HARWELL", "WEILHEIM"]).all()
    x = res.isl_transfers
    relay = model.constellation[2].name
    assert set(x.to_satellite) == {relay}
    sent = x.groupby("capture_id").bytes.sum().reindex(via.capture_id).to_numpy()
    assert np.allclose(sent, via.raw_bytes.to_numpy())  # crossed whole, then went down raw from the relay
    d = res.downlinks[res.downlinks.capture_id.isin(via.capture_id)]
    assert (d.satellite == relay).all() and (d.kind == "raw").all()
    others = w[(w.satellite == second) & (w.status == "delivered")]
    assert len(others) > 0 and (others.station == "KIRUNA").all()
    check_invariants(res)
    # The outputs name the route and show the laser sessions.
    routes = routes_of(w, x)
    assert (routes[via.capture_id] == f"relay through {relay}").all()
    assert (routes[others.capture_id] == "raw down").all()
    _outputs_show_the_laser_sessions(res, loaded, tmp_path, "relay through")


def _outputs_show_the_laser_sessions(res, loaded, tmp_path, route_words):
    import json

    import matplotlib

    from spaceground import plotting
    from spaceground.czml import build_czml, sessions
    from spaceground.report import build_report
    from spaceground.results import write_run

    x = res.isl_transfers
    sc = res.scene
    fig = plotting.satellite_timeline(res.workloads, res.downlinks, sc["eclipses"], sc["satellites"], isl_transfers=x)
    bars = [p for c in fig.axes[0].collections if c.get_gid() == "laser" for p in c.get_paths()]
    assert len(bars) == len(x) > 0
    matplotlib.pyplot.close(fig)
    # On the map (all day): the sessions, between their sub-satellite points at their start.
    merged = sessions(x, peer="to_satellite")
    tracks = sc["tracks"]
    ns = plotting._utc_ns
    early = merged[ns(merged.start_utc) <= ns(tracks.time_utc).max()]
    fig = plotting.ground_map(tracks, sc["stations"], sc["datacenters"], sc["backhaul"], hours=24, isl_transfers=x)
    lines = [seg for c in fig.axes[0].collections if c.get_gid() == "laser" for seg in c.get_segments()]
    assert 0 < len(lines) <= len(early)
    mine = tracks[tracks.satellite == early.satellite.iloc[0]]
    i = int(np.searchsorted(ns(mine.time_utc), ns([early.start_utc.iloc[0]])[0]))
    assert any(abs(seg[0][0] - mine.lon_deg.iloc[i]) < 1e-9 for seg in lines)
    matplotlib.pyplot.close(fig)
    lasers = [p for p in build_czml(res) if p["id"].startswith("laser/")]
    assert len(lasers) == len(merged) > 0 and len(merged) <= len(x)
    assert np.isclose(merged.bytes.sum(), x.bytes.sum())
    first = json.dumps(lasers[0])
    assert merged.satellite.iloc[0] in lasers[0]["name"] and merged.to_satellite.iloc[0] in lasers[0]["name"]
    assert "#position" in first
    folder = write_run(res, loaded, str(tmp_path / "run"))
    page = build_report(folder, only=["satellite_timeline"])
    assert "Routes used" in page and route_words in page


def test_relay_ground_terminals_must_be_stations():
    bad = RELAYS.replace("ground_terminals: [HARWELL, WEILHEIM]", "ground_terminals: [HARWELL, REDU]")
    with pytest.raises(ScenarioError, match=r"space_segment\.relays\.ground_terminals\.1.*'REDU' is not one of"):
        prepare(parse_scenario(bad, "relay.yaml", ROOT))


def test_terminals_that_cannot_reach_a_relay_are_refused():
    short = RELAYS.replace("imaging_laser: {rate_gbps: 1.8, max_range_km: 45000}", "imaging_laser: {rate_gbps: 1.8}")
    with pytest.raises(ScenarioError, match=r"space_segment\.imaging_laser\.max_range_km.*never nearer than about"):
        prepare(parse_scenario(short, "relay.yaml", ROOT))


def test_value_greedy_hands_scenes_to_the_three_body_constellation():
    # The bundled scenario on the real SCS-01 orbits: scenes the imaging satellites' batteries cannot pay for
    # cross to a computing satellite, are computed there and come down as products from it.
    import os
    import re

    from spaceground.api import load_scenario

    path = os.path.join(ROOT, "scenarios", "three-body-computing-constellation.yaml")
    res = run_scenario(load_scenario(path))
    w = res.workloads
    computed = w[w.compute_satellite.fillna("").str.startswith("SCS-01")]
    done = computed[computed.status == "delivered"]
    assert len(done) > 50
    x = res.isl_transfers
    assert np.allclose(x.groupby("capture_id").bytes.sum().reindex(done.capture_id), done.raw_bytes)
    d = res.downlinks[res.downlinks.capture_id.isin(done.capture_id)].set_index("capture_id")
    assert (d.kind == "product").all()
    assert (d.satellite.to_numpy() == done.set_index("capture_id").compute_satellite.reindex(d.index).to_numpy()).all()
    check_invariants(res)
    # Without the computing constellation the same policy delivers less value in time (its satellites' own
    # computers and the four stations cannot keep up with the scenes by their two-hour deadline).
    text = open(path).read()
    alone = re.sub(r"\nspace_segment:.*?\n\nsatellites:", "\n\nsatellites:", text, flags=re.S)
    assert "space_segment" not in alone
    res_alone = run_scenario(parse_scenario(alone, path, os.path.dirname(path)))
    assert res.metrics["value_delivered"] > 1.5 * res_alone.metrics["value_delivered"]


def test_the_lp_bound_covers_the_laser_routes_and_milp_optimal_carries_them_out():
    # The programme has the routes of one laser hop: its relaxation bounds value-greedy, which offloads, and
    # milp-optimal sends scenes to the computing satellites and delivers what it planned.
    from spaceground.api import compare

    table = compare(_loaded(), ["value-greedy", "milp-optimal"]).set_index("policy")
    bound = table.value_bound.iloc[0]
    assert np.isfinite(bound) and (table.value_bound == bound).all()
    assert (table.net_value <= bound + 1e-6).all()
    assert table.net_value["milp-optimal"] >= table.net_value["value-greedy"] - 1e-6
    res = run_scenario(_loaded(policy="milp-optimal"))
    assert (res.workloads.compute_satellite.str.startswith("SCS-01")).sum() > 0
    assert res.metrics["value_delivered"] >= 0.99 * res.metrics["planned_value"]
    check_invariants(res)


def test_the_bound_is_left_out_for_a_run_whose_routes_take_several_laser_hops():
    import warnings

    from spaceground.api import compare
    from spaceground.errors import BoundWarning

    loaded = _loaded(
        c2c="visible", policy='"tests.policies_for_tests:RouteOf"', params="{via: [2, 4], compute: onboard}"
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = compare(loaded, ["tests.policies_for_tests:RouteOf"])
    assert table.value_bound.isna().all()
    assert any(issubclass(w.category, BoundWarning) and "more than one" in str(w.message) for w in caught)


def test_value_greedy_sends_sentinel_scenes_through_edrs_sooner_than_their_own_contacts():
    import os

    from spaceground.api import load_scenario

    path = os.path.join(ROOT, "scenarios", "sentinel-edrs-relay.yaml")
    relayed = run_scenario(load_scenario(path))
    direct = run_scenario(load_scenario(path).with_overrides(policy="ground-only"))
    w = relayed.workloads
    via = w[w.capture_id.isin(relayed.isl_transfers.capture_id)]
    done = via[via.status == "delivered"]
    assert len(done) > 0.5 * len(w)
    # Through a relay, down one of its three terminals and nowhere else; the bytes crossed whole.
    assert done.station.isin(["HARWELL", "WEILHEIM", "REDU"]).all()
    assert (w[~w.capture_id.isin(via.capture_id)].station.dropna().isin(["SVALBARD", "NEUSTRELITZ"])).all()
    sent = relayed.isl_transfers.groupby("capture_id").bytes.sum().reindex(done.capture_id).to_numpy()
    assert np.allclose(sent, done.raw_bytes.to_numpy())
    check_invariants(relayed)
    # What the relays buy: the scenes are processed sooner than through the satellites' own contacts.
    lat_relay = relayed.workloads.latency_s.median()
    lat_direct = direct.workloads.latency_s.median()
    assert lat_relay < 0.5 * lat_direct
    assert relayed.metrics["value_delivered"] > direct.metrics["value_delivered"]


def test_relay_links_only_where_a_terminal_reaches_the_relays():
    # Computing satellites with 5,000 km terminals beside imaging ones that reach 45,000 km: the computing
    # satellites simply have no relay windows (their pairs are not even searched); no error.
    both = RELAYS.replace(
        "  imaging_laser: {rate_gbps: 1.8, max_range_km: 45000}",
        "  computing: {tle: constellations/space_segment_2025-10-03.tle, select: ['SCS-01 A', 'SCS-01 B'],\n"
        "              laser: {max_range_km: 5000}}\n"
        "  imaging_laser: {rate_gbps: 1.8, max_range_km: 45000}",
    )
    model, inputs = prepare(parse_scenario(both, "relay.yaml", ROOT).with_overrides(allow_code=True))
    assert model.roles == ("imaging", "imaging", "computing", "computing", "relay", "relay")
    isl = inputs.links.take(np.flatnonzero(inputs.links.kind == "inter-satellite"))
    to_relays = isl.receiver >= 4
    assert to_relays.any() and set(isl.sender[to_relays]) <= {0, 1}


def test_each_laser_terminal_serves_one_session_at_a_time():
    # Every capture of eight EO satellites goes to SCS-01 A over slow (50 Mbit/s) imaging links: 320 s an item.
    # With one terminal SCS-01 A receives from one satellite at a time; with two, from two at once at times,
    # and the scenes come across sooner.
    crossed = {}
    for terminals in (1, 2):

        def loaded(via, terminals=terminals):
            return _loaded(
                sats='["SENTINEL-*", "LANDSAT*", "GAOFEN-1*"]',
                terminals=terminals,
                imaging_gbps=0.05,
                c2c="none",
                computing='"SCS-01 A"',
                policy='"tests.policies_for_tests:RouteOf"',
                params=f"{{via: [{via}], compute: onboard, everyone: true}}",
            )

        model, _ = prepare(loaded(0))
        a = [s.name for s in model.constellation].index("SCS-01 A")
        res = run_scenario(loaded(a))
        check_exclusivity(res, model)  # at most ``terminals`` sessions at once at every satellite
        x = res.isl_transfers
        assert set(x.to_satellite) == {"SCS-01 A"} and x.satellite.nunique() > 2
        assert max_concurrent(list(x.start_utc), list(x.end_utc)) == terminals
        crossed[terminals] = x.groupby("capture_id").end_utc.max()
    both = crossed[1].index.intersection(crossed[2].index)
    assert len(crossed[2]) >= len(crossed[1]) and (crossed[2][both] <= crossed[1][both]).mean() > 0.5


def test_a_product_computed_in_orbit_comes_down_through_a_relay(tmp_path):
    # Satellite 0's scenes cross to SCS-01 A (index 2), are computed there, and their products cross on to relay
    # 3 and come down its feeder link to Harwell or Weilheim.
    text = _computing_and_relays().replace(
        "params: {via: [2], compute: ground}", "params: {via: [2], compute: onboard, then: [3]}"
    )
    loaded = parse_scenario(text, "relay.yaml", ROOT).with_overrides(allow_code=True)
    model, _ = prepare(loaded)
    assert model.roles == ("imaging", "imaging", "computing", "relay", "relay")
    first, relay = model.constellation[0].name, model.constellation[3].name
    res = run_scenario(loaded)
    w, x = res.workloads, res.isl_transfers
    done = w[(w.satellite == first) & (w.status == "delivered")]
    assert len(done) > 0 and (done.compute_satellite == "SCS-01 A").all()
    assert done.station.isin(["HARWELL", "WEILHEIM"]).all()
    raw, product = x[x.kind == "raw"], x[x.kind == "product"]
    assert set(zip(raw.satellite, raw.to_satellite)) == {(first, "SCS-01 A")}
    assert set(zip(product.satellite, product.to_satellite)) == {("SCS-01 A", relay)}
    # Each delivered product crossed whole after its job ended, and came down whole from the relay.
    sent = product.groupby("capture_id").bytes.sum().reindex(done.capture_id).to_numpy()
    assert np.allclose(sent, done.product_bytes.to_numpy())
    first = product.groupby("capture_id").start_utc.min().reindex(done.capture_id).to_numpy()
    assert (first >= done.onboard_end_utc.to_numpy()).all()
    d = res.downlinks[res.downlinks.capture_id.isin(done.capture_id)]
    assert (d.satellite == relay).all() and (d.kind == "product").all()
    check_invariants(res)
    check_exclusivity(res, model)
    assert (routes_of(w, x)[done.capture_id] == f"offload to SCS-01 A, product through {relay}").all()


def _computing_and_relays():
    """RELAYS with the computing satellite SCS-01 A (index 2) reaching the relays too."""
    return RELAYS.replace(
        "space_segment:\n",
        "space_segment:\n  computing:\n    tle: constellations/space_segment_2025-10-03.tle\n"
        '    select: ["SCS-01 A"]\n    hardware: {compute_tops: 744, solar_w: 1200, battery_wh: 2400, bus_w: 100,'
        " compute_busy_w: 250, storage_gb: 30000}\n    laser: {rate_gbps: 10, max_range_km: 45000}\n",
    )


def test_value_greedy_and_milp_optimal_send_products_down_through_a_relay():
    # With 1 TOPS onboard, scenes go to SCS-01 A; its products reach the ground sooner through a relay than
    # down its own contacts. value-greedy takes that route; milp-optimal plans it and carries its plan out;
    # the LP bound (which has these paths) lies above both.
    from spaceground.api import compare

    text = _computing_and_relays().replace(
        "default: {solar_w: 200, battery_wh: 400, downlink_mbps: 520}",
        "default: {solar_w: 200, battery_wh: 400, downlink_mbps: 520, compute_tops: 1}",
    )
    loaded = parse_scenario(text, "relay.yaml", ROOT)
    for policy in ("value-greedy", "milp-optimal"):
        res = run_scenario(loaded, policy=policy)
        routes = routes_of(res.workloads, res.isl_transfers)
        assert routes.str.contains("product through").sum() > 0, policy
        check_invariants(res)
        if policy == "milp-optimal":
            assert res.metrics["value_delivered"] >= 0.99 * res.metrics["planned_value"]
    table = compare(loaded, ["value-greedy", "milp-optimal"])
    assert np.isfinite(table.value_bound.iloc[0]) and (table.net_value <= table.value_bound + 1e-6).all()
