"""The engine: hand-checked tiny scenarios, conservation laws and rules on random scenarios."""

import math
import os

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spaceground.api import run_scenario
from spaceground.engine import DROP_BATTERY, DROP_STORAGE
from spaceground.links import great_circle_km
from spaceground.policies import GROUND, ONBOARD, PolicyError, make_policy
from spaceground.policies.views import ArrivalView, CaptureView, DataCenterView, SatelliteView
from spaceground.results import read_run
from spaceground.scenario import parse_scenario
from spaceground.simulate import execute, prepare

from .conftest import ROOT

TLE = os.path.join(ROOT, "constellations", "eo_2025-10-03.tle")

TINY = f"""
name: tiny
start_utc: 2025-10-03T12:00:00Z
duration_h: {{hours}}
seed: 3
constellation: {{{{tle: {TLE}, select: [{{sats}}]}}}}
satellites:
  default: {{{{{{hardware}}}}}}
stations:
  - {{{{id: SVALBARD, antennas: {{antennas}}}}}}
datacenters:
  - {{{{id: dc, lat_deg: 59.91, lon_deg: 10.75, capacity_tops: 1000, servers: 1, pue: 1.5,
       power_w_per_tops: 0.5, price_cny_per_kwh: 0.8, carbon_g_per_kwh: 400}}}}
backhaul:
  default: {{{{bandwidth_gbps: 10, route_factor: 1.5}}}}
workloads:
  - name: scene
    trigger:
      targets: [{{{{name: Svalbard, lat_deg: 78.23, lon_deg: 15.41}}}}]
      min_elevation_deg: 70
    daylight_only: false
    raw_mb: 600
    product_mb: 6
    compute_top: 3000
    deadline_min: 600
{{extra}}
policy: {{{{name: {{policy}}}}}}
"""


def tiny(policy="ground-only", sats='"SENTINEL-2A"', hours=24, antennas=1, hardware="", extra="", allow_code=True):
    """A one-satellite scenario; its folder is the repository's, so ``tests.policies_for_tests:Name`` is a policy
    file beside it, which the tests (the user here) consent to run unless ``allow_code`` is False."""
    text = TINY.format(policy=policy, sats=sats, hours=hours, antennas=antennas, hardware=hardware, extra=extra)
    return parse_scenario(text, "tiny.yaml", ROOT).with_overrides(allow_code=allow_code)


def test_ground_path_latency_energy_and_cost_by_hand():
    res = run_scenario(tiny("ground-only"))
    end = pd.Timestamp("2025-10-04T12:00:00Z")
    w = res.workloads
    late = w[w.status != "delivered"]
    # Only a capture too close to the span end for its 30 s downlink may be left onboard.
    assert ((end - late.capture_utc).dt.total_seconds() < 30.0).all()
    w = w[w.status == "delivered"]
    assert len(w) >= 2
    c = res.contacts
    rate = 160e6
    distance = great_circle_km(78.229772, 15.407786, 59.91, 10.75)
    backhaul = distance * 1.5 * 4.9e-6 + 8 * 600e6 / 10e9
    for row in w.itertuples():
        # Captured at the culmination over Svalbard: the station's window is open, the queue empty.
        assert ((c.aos_utc <= row.capture_utc) & (c.los_utc > row.capture_utc)).any()
        t0 = row.capture_utc
        assert row.downlink_start_utc == t0
        assert (row.downlink_end_utc - t0).total_seconds() == pytest.approx(8 * 600e6 / rate, abs=1e-6)
        assert (row.backhaul_end_utc - row.downlink_end_utc).total_seconds() == pytest.approx(backhaul, abs=1e-6)
        assert row.dc_queue_wait_s == 0.0
        assert (row.dc_end_utc - row.dc_start_utc).total_seconds() == pytest.approx(3000 / 1000, abs=1e-9)
        assert row.latency_s == pytest.approx(30.0 + backhaul + 3.0, abs=1e-5)
        energy = 3000 * 0.5 * 1.5  # tera-ops x W/TOPS x PUE = J
        assert row.energy_ground_j == pytest.approx(energy)
        assert row.cost_cny == pytest.approx(energy / 3.6e6 * 0.8)
        assert row.carbon_g == pytest.approx(energy / 3.6e6 * 400)
        assert row.energy_onboard_j == pytest.approx(35.0)  # the capture itself
        assert row.deadline_met


def test_onboard_path_by_hand():
    res = run_scenario(tiny("onboard-first"))
    w = res.workloads
    assert (w.status == "delivered").sum() >= 2
    for row in w[w.status == "delivered"].itertuples():
        assert row.decision == "onboard" and row.status == "delivered"
        assert (row.onboard_end_utc - row.onboard_start_utc).total_seconds() == pytest.approx(30.0, abs=1e-6)
        assert row.onboard_start_utc == row.capture_utc
        # The 6 MB product goes down at 160 Mbit/s while Svalbard still sees the satellite.
        assert (row.downlink_end_utc - row.onboard_end_utc).total_seconds() == pytest.approx(0.3, abs=1e-6)
        assert row.latency_s == pytest.approx(30.3, abs=1e-5)
        assert row.energy_onboard_j == pytest.approx(35.0 + 25.0 * 30.0)
        assert row.energy_ground_j == 0 and row.cost_cny == 0 and pd.isna(row.datacenter)


def test_battery_follows_the_closed_form_in_sunlight_and_shadow():
    res = run_scenario(tiny("ground-only", hours=3))
    e = res.energy[res.energy.satellite == "SENTINEL-2A"].reset_index(drop=True)
    # No downlink in the first hour? Then between records only bus and solar act.
    t = (e.time_utc - e.time_utc.iloc[0]).dt.total_seconds().to_numpy()
    gen = np.diff(e.generated_wh.to_numpy())
    cons = np.diff(e.consumed_wh.to_numpy())
    dt = np.diff(t)
    quiet = cons > 0
    bus_only = np.isclose(cons[quiet], 7.0 * dt[quiet] / 3600, rtol=1e-9)
    assert bus_only.any()
    assert (gen <= 40.0 * dt / 3600 + 1e-9).all()  # never more than full sun
    assert e.soc.max() <= 1.0 + 1e-12


def holders(res):
    """The satellite holding each capture's data now, found by following it across the inter-satellite
    transfers (a hop counts once all its raw bytes have crossed): capture id -> satellite name."""
    w = res.workloads
    where = dict(zip(w.capture_id, w.satellite))
    raw = dict(zip(w.capture_id, w.raw_bytes))
    x = res.isl_transfers.sort_values("end_utc")
    crossed = {}
    for row in x.itertuples():
        key = (row.capture_id, row.satellite, row.to_satellite)
        crossed[key] = crossed.get(key, 0.0) + row.bytes
        if crossed[key] >= raw[row.capture_id] - 1e-3:
            where[row.capture_id] = row.to_satellite
    return pd.Series(where).reindex(w.capture_id).to_numpy() if len(w) else np.zeros(0, object)


def check_invariants(res, scenario_model=None):
    w = res.workloads
    statuses = {"delivered", "dropped", "queued_onboard", "queued_downlink", "on_ground", "backhaul", "queued_ground"}
    statuses.add("queued_crossing")
    assert set(w.status) <= statuses
    m = res.metrics
    assert m["captures"] == m["delivered"] + m["dropped"] + m["still_onboard"] + m["in_ground_pipeline"]
    e = res.energy
    holder = holders(res)
    for sat, grp in e.groupby("satellite"):
        first, last = grp.iloc[0], grp.iloc[-1]
        # Energy: end = start + generated - consumed - curtailed.
        balance = (
            first.energy_wh
            + (last.generated_wh - first.generated_wh)
            - (last.consumed_wh - first.consumed_wh)
            - (last.curtailed_wh - first.curtailed_wh)
        )
        assert last.energy_wh == pytest.approx(balance, abs=1e-6)
        assert grp.soc.max() <= 1.0 + 1e-9
        # Bytes: what is still stored is exactly the captures still onboard, on the satellite that holds them.
        mine = w[holder == sat]
        raw_left = (
            mine[mine.status.isin(["queued_onboard", "queued_crossing"])].raw_bytes.sum()
            + mine[(mine.status == "queued_downlink") & (mine.decision == "ground")].raw_bytes.sum()
        )
        product_left = mine[(mine.status == "queued_downlink") & (mine.decision == "onboard")].product_bytes.sum()
        assert last.storage_bytes == pytest.approx(raw_left + product_left, abs=1.0)
    if scenario_model is not None:
        for sat, hw in zip(scenario_model.constellation, scenario_model.hardware):
            soc = e[e.satellite == sat.name].soc
            assert soc.min() >= hw.reserve_j / hw.battery_j - 1e-9, f"{sat.name} below its reserve"
        check_energy_adds_up(res, scenario_model)
    check_bytes_add_up(res)
    # Downlinks: inside a window of that pair, one at a time per satellite and per antenna.
    d = res.downlinks
    c = res.contacts
    for row in d.itertuples():
        inside = c[
            (c.satellite == row.satellite)
            & (c.station == row.station)
            & (c.aos_utc <= row.start_utc + pd.Timedelta(microseconds=2))
            & (c.los_utc >= row.end_utc - pd.Timedelta(microseconds=2))
        ]
        assert len(inside) >= 1, f"downlink outside a window: {row}"
    for _, grp in d.groupby("satellite"):
        grp = grp.sort_values("start_utc")
        gap = grp.start_utc.iloc[1:].reset_index(drop=True) - grp.end_utc.iloc[:-1].reset_index(drop=True)
        assert (gap >= -pd.Timedelta(microseconds=1)).all()
    return d


def check_bytes_add_up(res):
    """Every byte a contact carried is a byte of a downlink, per satellite and station (a transmission
    still under way at the span end counts up to the end in both), and per capture the workloads table
    says as much as the downlinks."""
    c = res.contacts.groupby(["satellite", "station"]).bytes.sum()
    d = res.downlinks.groupby(["satellite", "station"]).bytes.sum()
    both = pd.concat([c, d], axis=1, keys=["contacts", "downlinks"]).fillna(0.0)
    assert np.allclose(both.contacts, both.downlinks, rtol=0, atol=1e-3), both[both.contacts != both.downlinks]
    per = res.downlinks.groupby("capture_id").bytes.sum()
    w = res.workloads.set_index("capture_id")
    assert np.allclose(w.bytes_downlinked.reindex(per.index), per, rtol=0, atol=1e-3)


def check_energy_adds_up(res, model):
    """Per satellite, the energy the energy table says was used (consumed, plus any load the empty battery
    could not serve) is the sum of what the other tables say each load used, to 1e-6 Wh: the bus all span,
    each capture taken, the computer (busy for the onboard jobs of the workloads table, idle otherwise)
    and the transmitter for every downlink, the laser terminal for every inter-satellite transfer (a job's
    computer energy is its compute satellite's; its capture's, the capturing satellite's)."""
    span_s = model.span.duration_s
    e, w, d, x = res.energy, res.workloads, res.downlinks, res.isl_transfers
    not_taken = w.drop_reason.isin([DROP_BATTERY, DROP_STORAGE])
    capture_j = {sat.name: hw.capture_j for sat, hw in zip(model.constellation, model.hardware)}
    busy = w.energy_onboard_j - np.where(not_taken, 0.0, w.satellite.map(capture_j))
    for sat, hw in zip(model.constellation, model.hardware):
        g = e[e.satellite == sat.name]
        used_j = 3600.0 * (
            (g.consumed_wh.iloc[-1] - g.consumed_wh.iloc[0]) + (g.unserved_wh.iloc[-1] - g.unserved_wh.iloc[0])
        )
        mine = w[w.satellite == sat.name]
        captures_j = hw.capture_j * int((~not_taken[mine.index]).sum())
        busy_j = float(busy[w.compute_satellite == sat.name].sum())  # the computer's busy energy
        busy_s = busy_j / hw.compute_busy_w if hw.compute_busy_w > 0 else 0.0
        mine_d = d[d.satellite == sat.name]
        tx_s = float((mine_d.end_utc - mine_d.start_utc).dt.total_seconds().sum())
        mine_x = x[x.satellite == sat.name]
        laser_s = float((mine_x.end_utc - mine_x.start_utc).dt.total_seconds().sum())
        parts_j = hw.bus_w * span_s + captures_j + busy_j + hw.compute_idle_w * (span_s - busy_s) + hw.tx_w * tx_s
        parts_j += hw.laser_w * laser_s
        assert used_j / 3600.0 == pytest.approx(parts_j / 3600.0, abs=1e-6), sat.name


def max_concurrent(starts, ends):
    events = sorted([(t, 1) for t in starts] + [(t, -1) for t in ends], key=lambda x: (x[0], x[1]))
    now = best = 0
    for _, step in events:
        now += step
        best = max(best, now)
    return best


def test_invariants_on_the_quickstart_under_both_baselines():
    loaded = parse_scenario(
        open(os.path.join(ROOT, "scenarios", "quickstart.yaml")).read(),
        os.path.join(ROOT, "scenarios", "quickstart.yaml"),
        os.path.join(ROOT, "scenarios"),
    )
    model, inputs = prepare(loaded)
    from spaceground.results import build_results

    names = dict(zip(model.constellation.norad_ids.tolist(), [s.name for s in model.constellation]))
    for policy in ("ground-only", "onboard-first"):
        records, info = execute(model, inputs, policy)
        res = build_results(model, inputs, records, info)
        check_invariants(res, model)
        check_exclusivity(res, model)
        # The records are read once (freed as the tables are built): a second build is an error, not empty tables.
        with pytest.raises(ValueError, match="already turned into results"):
            build_results(model, inputs, records, info)
        # Text columns made from codes are plain text: each row names the satellite of its NORAD id, and a
        # missing value takes any text (as a column of words would).
        w = res.workloads
        assert w.satellite.tolist() == [names[i] for i in w.norad_id.tolist()]
        assert set(w.station.fillna("none")) <= {g.station.station_id for g in model.stations} | {"none"}


def check_exclusivity(res, model):
    """No antenna serves two satellites at once, no laser terminal two sessions; no data centre runs more jobs
    than it has servers (or than its available power feeds when each job starts)."""
    d = res.downlinks
    for station in d.station.unique():
        mine = d[d.station == station]
        antennas = next(g.antennas for g in model.stations if g.station.station_id == station)
        assert max_concurrent(list(mine.start_utc), list(mine.end_utc)) <= antennas
    # Each laser terminal serves one session at a time, sending or receiving.
    x = res.isl_transfers
    for k, sat in enumerate(model.constellation):
        mine = x[(x.satellite == sat.name) | (x.to_satellite == sat.name)]
        if len(mine):
            assert max_concurrent(list(mine.start_utc), list(mine.end_utc)) <= model.laser_terminals(k), sat.name
    jobs = res.datacenter_jobs
    for dc in model.datacenters:
        mine = jobs[jobs.datacenter == dc.id]
        assert max_concurrent(list(mine.start_utc), list(mine.end_utc)) <= dc.servers
        if dc.available_power_w is not None and len(mine):
            start = model.span.seconds_of(mine.start_utc)
            end = model.span.seconds_of(mine.end_utc)
            for t in start:  # a job starts only while the busy servers, itself included, have power
                running = int(((start <= t) & (end > t)).sum())
                assert running <= dc.servers_at(t), (
                    f"{dc.id}: {running} jobs at t = {t} s, power for {dc.servers_at(t)}"
                )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    battery=st.sampled_from([20, 40, 80]),
    solar=st.sampled_from([14, 25, 40]),
    tops=st.sampled_from([5, 20, 100]),
    storage=st.sampled_from([2, 8, 64]),
    rate=st.sampled_from([2.0, 8.0]),
    antennas=st.sampled_from([1, 2]),
    policy=st.sampled_from(["ground-only", "onboard-first"]),
)
def test_invariants_hold_on_random_scenarios(battery, solar, tops, storage, rate, antennas, policy):
    hardware = f"battery_wh: {battery}, solar_w: {solar}, compute_tops: {tops}, storage_gb: {storage}"
    extra = f"  - {{name: strip, trigger: {{rate_per_sat_per_h: {rate}}}, raw_mb: 900, compute_top: 9000}}"
    loaded = tiny(
        policy, sats='"SENTINEL-2*", "FLOCK 4G-1"', hours=8, antennas=antennas, hardware=hardware, extra=extra
    )
    model, inputs = prepare(loaded)
    from spaceground.results import build_results

    records, info = execute(model, inputs)
    res = build_results(model, inputs, records, info)
    d = check_invariants(res, model)
    assert max_concurrent(list(d.start_utc), list(d.end_utc)) <= antennas


def test_same_seed_same_results_and_a_new_seed_new_captures(tmp_path):
    extra = "  - {name: strip, trigger: {rate_per_sat_per_h: 3}}"
    a = run_scenario(tiny(extra=extra, hours=6), output=tmp_path / "a")
    b = run_scenario(tiny(extra=extra, hours=6), output=tmp_path / "b")
    for name in ("workloads", "contacts", "downlinks", "energy", "datacenter_jobs", "transfers"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
        assert (tmp_path / "a" / f"{name}.parquet").read_bytes() == (tmp_path / "b" / f"{name}.parquet").read_bytes()
    c = run_scenario(tiny(extra=extra, hours=6), seed=4)
    assert not a.workloads.capture_utc.equals(c.workloads.capture_utc)
    back = read_run(tmp_path / "a")
    pd.testing.assert_frame_equal(back.workloads, a.workloads)
    assert back.run_info["seed"] == 3 and len(back.run_info["scenario_sha256"]) == 64
    assert back.run_info["versions"]["simpy"]


def test_an_array_too_small_for_the_bus_is_refused():
    from spaceground.scenario import ScenarioError

    with pytest.raises(
        ScenarioError, match=r"SENTINEL-2A .*solar_w 8 W in sunlight \d+ % of the span gives .* less than bus_w 7 W"
    ):
        run_scenario(tiny(hardware="solar_w: 8"))


def test_policies_returning_nonsense_get_named_errors():
    with pytest.raises(PolicyError, match=r"policy 'tests.policies_for_tests:Maybe' returned 'maybe' for capture 0"):
        run_scenario(tiny("tests.policies_for_tests:Maybe"))
    with pytest.raises(PolicyError, match=r"on_arrival returned 99 for capture 0 at station SVALBARD"):
        run_scenario(tiny("tests.policies_for_tests:NowhereToGo"))
    extra = "    onboard_allowed: false"
    loaded = tiny("tests.policies_for_tests:OnboardEverything", extra=extra)
    with pytest.raises(PolicyError, match=r"chose onboard processing for capture 0 of workload 'scene'"):
        run_scenario(loaded)


def test_a_policy_may_leave_the_computer_idle():
    res = run_scenario(tiny("tests.policies_for_tests:NeverCompute"))
    w = res.workloads
    assert len(w) >= 2 and (w.status == "queued_onboard").all()
    assert w.onboard_start_utc.isna().all() and (w.bytes_downlinked == 0).all()
    assert w.energy_onboard_j.to_numpy() == pytest.approx(35.0)  # the capture only: the computer never ran


def test_paused_jobs_keep_their_work_and_their_energy_adds_up():
    # A battery too small to finish a job in one go: jobs pause at the floor and resume (or wait while a
    # newer one runs). Each finished job drew busy power for exactly its compute time, in however many runs.
    hw = "solar_w: 30, battery_wh: 12, min_soc: 0.5, initial_soc: 0.6, compute_tops: 20, compute_busy_w: 60"
    sats = '"SENTINEL-2A", "SENTINEL-2B", "LANDSAT 8"'
    res = run_scenario(tiny("tests.policies_for_tests:LastJobFirst", hardware=hw, sats=sats))
    w = res.workloads
    done = w[w.onboard_end_utc.notna()]
    assert len(done) >= 2
    run_s = 3000 / 20.0
    assert done.energy_onboard_j.to_numpy() == pytest.approx(35.0 + 60.0 * run_s, rel=1e-6)
    elapsed = (done.onboard_end_utc - done.onboard_start_utc).dt.total_seconds()
    assert (elapsed >= run_s - 1e-6).all() and (elapsed > run_s + 1).any()  # some were paused part way
    # Unfinished jobs are charged for the part they ran, never more than a whole job.
    rest = w[w.onboard_end_utc.isna()]
    assert (rest.energy_onboard_j <= 35.0 + 60.0 * run_s + 1e-6).all()


def test_a_policy_meters_the_computer_by_time_and_by_its_busy_seconds():
    # Power to spare; jobs of 150 s (3000 tera-ops at 20 TOPS), first come first served. The policy lets the
    # computer run only in the first 120 s of every 600 s and says when its answer changes
    # (compute_recheck_s): each job runs exactly in those slots, computed here slot by slot.
    hw = "solar_w: 500, battery_wh: 5000, compute_tops: 20, compute_busy_w: 10"
    res = run_scenario(tiny("tests.policies_for_tests:ComputeInSlots", hardware=hw))
    w = res.workloads.sort_values("capture_utc")
    t0 = pd.Timestamp("2025-10-03T12:00:00Z")
    free = 0.0  # when the computer is next free [s from the span start]
    done = 0
    for row in w.itertuples():
        t = max((row.capture_utc - t0).total_seconds(), free)
        left, start = 150.0, None
        while left > 1e-9:
            phase = t % 600.0
            if phase >= 120.0 - 1e-9:
                t += 600.0 - phase
                continue
            start = t if start is None else start
            run = min(left, 120.0 - phase)
            t, left = t + run, left - run
        if t > 86400.0:
            break
        assert (row.onboard_start_utc - t0).total_seconds() == pytest.approx(start, abs=1e-6)
        assert (row.onboard_end_utc - t0).total_seconds() == pytest.approx(t, abs=1e-6)
        assert row.energy_onboard_j == pytest.approx(35.0 + 10.0 * 150.0, rel=1e-9)
        free, done = t, done + 1
    assert done >= 2 and (w.onboard_end_utc - w.onboard_start_utc).dt.total_seconds().max() > 400
    # A budget read from the view's busy seconds: 200 s of computing in the whole run, then none.
    w = run_scenario(tiny("tests.policies_for_tests:ComputeBudget", hardware=hw)).workloads
    assert (w.energy_onboard_j - 35.0).sum() == pytest.approx(10.0 * 200.0, rel=1e-9)
    assert w.onboard_end_utc.notna().sum() == 1  # the first job (150 s) and 50 s of the second
    with pytest.raises(PolicyError, match=r"compute_recheck_s returned 0\.0 .*return seconds > 0"):
        run_scenario(tiny("tests.policies_for_tests:RecheckNever", hardware=hw))


def two_stations(policy):
    """``tiny`` with Kiruna beside Svalbard (windows that overlap) and captures at random times as well."""
    extra = (
        "  - {name: strip, trigger: {rate_per_sat_per_h: 4}, daylight_only: false, raw_mb: 600, product_mb: 6,\n"
        "      compute_top: 3000, deadline_min: 600}"
    )
    text = TINY.format(policy=policy, sats='"SENTINEL-2A"', hours=24, antennas=1, hardware="", extra=extra)
    text = text.replace(
        "  - {id: SVALBARD, antennas: 1}", "  - {id: SVALBARD, antennas: 1}\n  - {id: KIRUNA, antennas: 1}"
    )
    return parse_scenario(text, "tiny.yaml", ROOT).with_overrides(allow_code=True)


def test_a_policy_chooses_the_pass_and_is_asked_again_when_another_window_opens():
    # Under a policy with choose_pass each piece sent starts at a decision (a session start, or the instant
    # another window opened or data was queued, the item under way cut there), so at its start its station's
    # window is, of the windows open then, the one that closes first under PassClosingFirst. The default rule
    # decides at session starts only (a session keeps its antenna), and takes the window that closes last.
    def pieces(policy):
        res = run_scenario(two_stations(policy))
        c, d = res.contacts, res.downlinks
        overlapped = 0
        ends = set(zip(d.station, d.end_utc))
        for piece in d.itertuples():
            open_ = c[(c.aos_utc <= piece.start_utc) & (c.los_utc > piece.start_utc)]
            mine = open_[open_.station == piece.station].los_utc.iloc[0]
            yield mine, open_.los_utc.min(), open_.los_utc.max(), (piece.station, piece.start_utc) not in ends
            overlapped += len(open_) > 1
        assert overlapped >= 5  # the case is tested, not vacuous

    chosen = list(pieces("tests.policies_for_tests:PassClosingFirst"))
    assert all(mine == first for mine, first, _, _ in chosen)
    default = list(pieces("ground-only"))
    assert all(mine == last for mine, _, last, session_start in default if session_start)
    assert any(first != last for _, first, last, _ in chosen)
    # Declining passes: everything goes through Kiruna (index 1), and still goes down.
    res = run_scenario(two_stations("tests.policies_for_tests:OnlyStation"))
    assert set(res.downlinks.station) == {"KIRUNA"} and (res.workloads.status == "delivered").sum() >= 10
    with pytest.raises(PolicyError, match=r"choose_pass returned 99 .*expected one of the open passes' stations"):
        run_scenario(two_stations("tests.policies_for_tests:PassNowhere"))


def test_a_job_due_first_preempts_the_running_one_under_a_picking_policy():
    # Power to spare (no pause at the floor): 50 min jobs due in 10 h, 10 min jobs due in 2 h arriving at
    # random. Preemptive earliest deadline first: a job due first that is queued while another runs starts
    # at once, and the one it stopped finishes after it, with all its work (busy energy = its compute time).
    hw = "solar_w: 500, battery_wh: 5000, compute_tops: 1, compute_busy_w: 10"
    extra = (
        "  - {name: quick, trigger: {rate_per_sat_per_h: 3}, daylight_only: false, raw_mb: 600, product_mb: 6,\n"
        "      compute_top: 600, deadline_min: 120}"
    )
    res = run_scenario(tiny("tests.policies_for_tests:EarliestDeadlineFirst", hardware=hw, extra=extra))
    w = res.workloads[res.workloads.onboard_end_utc.notna()]
    run_s = {"scene": 3000.0, "quick": 600.0}
    assert w.energy_onboard_j.to_numpy() == pytest.approx(35.0 + 10.0 * w.workload.map(run_s).to_numpy(), rel=1e-9)
    quick = w[w.workload == "quick"]
    preempted = 0
    for a in w[w.workload == "scene"].itertuples():
        for b in quick.itertuples():
            if not (a.onboard_start_utc < b.capture_utc < a.onboard_end_utc and b.deadline_utc < a.deadline_utc):
                continue
            busy = (quick.capture_id != b.capture_id) & (quick.onboard_start_utc <= b.capture_utc)
            if (busy & (quick.onboard_end_utc > b.capture_utc)).any():
                continue  # another short job (due before b) is on the computer
            assert b.onboard_start_utc == b.capture_utc  # started at once
            assert a.onboard_end_utc > b.onboard_end_utc
            preempted += 1
    assert preempted >= 2
    stretched = (w.onboard_end_utc - w.onboard_start_utc).dt.total_seconds() - w.workload.map(run_s)
    assert (stretched >= -1e-6).all() and (stretched[w.workload == "scene"] > 1).any()
    # A policy that does not pick jobs gets them first come, first served, one after another.
    fifo = run_scenario(tiny("onboard-first", hardware=hw, extra=extra)).workloads
    fifo = fifo[fifo.onboard_start_utc.notna()].sort_values("capture_utc")
    assert (fifo.onboard_start_utc.diff().dropna() > pd.Timedelta(0)).all()
    assert (fifo.onboard_start_utc.iloc[1:].to_numpy() >= fifo.onboard_end_utc.iloc[:-1].to_numpy()).all()


def _sat_view(**kw):
    base = dict(
        index=0,
        name="S",
        energy_j=2e5,
        battery_j=2.9e5,
        reserve_j=1.7e5,
        sunlit_fraction=1.0,
        storage_free_bytes=1e11,
        compute_backlog_s=0.0,
        downlink_backlog_bytes=0.0,
        next_contact_s=100.0,
        contact_capacity_bytes=1e10,
    )
    base.update(kw)
    return SatelliteView(**base)


def _dc(index, price, reachable=True, pue=1.3):
    return DataCenterView(
        index=index,
        id=f"dc{index}",
        reachable=reachable,
        latency_s=0.01,
        bandwidth_bps=1e10,
        busy_servers=0,
        servers=1,
        queued=0,
        server_tops=1000,
        pue=pue,
        power_w_per_tops=0.65,
        price_cny_per_kwh=price,
        carbon_g_per_kwh=500,
    )


def test_baseline_policies_on_hand_built_views():
    capture = CaptureView(
        now_s=0,
        capture_id=1,
        workload="w",
        raw_bytes=6e8,
        product_bytes=6e6,
        compute_top=3000,
        deadline_s=1e4,
        value=1,
        onboard_allowed=True,
        satellite=_sat_view(),
        datacenters=(),
    )
    assert make_policy("ground-only").on_capture(capture) == GROUND
    assert make_policy("onboard-first").on_capture(capture) == ONBOARD
    no_onboard = capture.replace(onboard_allowed=False)
    assert make_policy("onboard-first").on_capture(no_onboard) == GROUND
    arrival = ArrivalView(
        now_s=0,
        capture_id=1,
        station=0,
        raw_bytes=6e8,
        compute_top=3000,
        deadline_s=1e4,
        value=1,
        datacenters=(_dc(0, 0.8), _dc(1, 0.3, reachable=False), _dc(2, 0.5), _dc(3, 0.45, pue=1.6)),
    )
    # 0.5 x 1.3 = 0.65 beats 0.45 x 1.6 = 0.72 and 0.8 x 1.3; dc1 is cheaper but unreachable.
    assert make_policy("ground-only").on_arrival(arrival) == 2
    with pytest.raises(Exception, match="unknown policy 'grund-only'; did you mean 'ground-only'"):
        make_policy("grund-only")
    assert math.isfinite(arrival.datacenters[0].latency_s)


def test_backhaul_link_shares_bandwidth_by_hand():
    from spaceground.engine import BackhaulLink

    link = BackhaulLink(bps=8e9, latency_s=0.0)  # 1 GB/s
    wakes, done = [], {}

    def join(key, nbytes, now):
        alone_end, more = link.join(key, nbytes, now)
        wakes.extend(more)
        return alone_end

    def play_until(t):
        # Wake-ups in time order, as the ground's clock plays them; a stale one (re-timed since) does nothing.
        while wakes and min(wakes)[0] <= t:
            wake = min(wakes)
            wakes.remove(wake)
            finished, more = link.woken(wake[1], wake[2], wake[0])
            wakes.extend(more)
            if finished:
                done[wake[1]] = wake[0]

    # A: 1 GB from t=0; B: 1 GB from t=0.5; C: 0.25 GB from t=0.5.
    assert join("A", 1e9, 0.0) == pytest.approx(1.0)  # alone, A would end at 1 s: superseded when B joins
    play_until(0.5)
    assert join("B", 1e9, 0.5) is None and join("C", 0.25e9, 0.5) is None
    play_until(10.0)
    # 0-0.5 s: A alone sends 0.5 GB. Three then share 1/3 GB/s each: C's 0.25 GB ends at t = 1.25, when A
    # has 0.25 GB and B 0.75 GB left. Two share 0.5 GB/s: A ends at 1.75 with B at 0.5 GB, alone: 2.25.
    assert done["C"] == pytest.approx(1.25)
    assert done["A"] == pytest.approx(1.75)
    assert done["B"] == pytest.approx(2.25)
    assert not link.active and not wakes
    # Alone on the idle link D's 0.1 GB ends 0.1 s after it starts; E, joining after that, is alone too.
    assert join("D", 0.1e9, 5.0) == pytest.approx(5.1)
    d_token = wakes.pop()[2]
    assert join("E", 0.2e9, 5.2) == pytest.approx(5.4)
    assert link.ended_alone("D", d_token) and list(link.active) == ["E"]


def test_energy_floor_counts_a_final_shadow_only_to_the_span_end():
    import simpy

    from spaceground.engine import Records, Satellite
    from spaceground.model import SatelliteHardware

    hw = SatelliteHardware(
        solar_w=40,
        battery_j=288000,
        initial_j=259200,
        reserve_j=172800,
        bus_w=7,
        capture_j=35,
        compute_tops=100,
        compute_busy_w=25,
        compute_idle_w=0,
        storage_bytes=1e11,
        downlink_bps=1.6e8,
        tx_w=20,
        laser_w=50,
        profile="t",
    )
    segments = (np.array([0.0, 1000.0]), np.array([1.0, 0.0]))  # sun, then shadow from 1000 s past the span end
    sat = Satellite(simpy.Environment(), 0, "S", hw, segments, Records(), end_s=2500.0)
    # In sunlight the floor holds the bus through the coming shadow, cut at the span end: 1,500 s.
    assert sat.floor_j() == pytest.approx(172800 + 7 * 1500)


def test_a_load_paused_at_the_floor_resumes_when_the_battery_can_run_it_a_minute():
    import simpy

    from spaceground.engine import DUTY_CYCLE_S, Records, Satellite

    from .test_policies import hardware

    hw = hardware(solar_w=20.0, initial_j=48 * 3600.0, storage_bytes=1e12)
    env = simpy.Environment()
    sunlit = Satellite(env, 0, "S", hw, (np.array([0.0]), np.array([1.0])), Records(), 10_000.0)
    # At the floor (the reserve: no shadow ahead), charging at 20 - 7 = 13 W; computing would drain
    # 7 + 25 - 20 = 12 W, so a minute of it needs 720 J above the floor: 720 / 13 s from now.
    assert sunlit.safe_time(25.0, 0.0) == 0.0
    assert sunlit.recharge_s(25.0, 600.0) == pytest.approx(12.0 * DUTY_CYCLE_S / 13.0)
    assert sunlit.recharge_s(25.0, 10.0) == pytest.approx(12.0 * 10.0 / 13.0)  # the job's last 10 s
    # In shadow nothing charges the battery: only a change of power can wake the load.
    shadow = Satellite(env, 1, "S", hw, (np.array([0.0]), np.array([0.0])), Records(), 10_000.0)
    assert shadow.recharge_s(25.0, 600.0) == math.inf


def test_a_transmitter_stopped_at_the_floor_resumes_once_the_battery_can_send_the_rest_of_its_item():
    # A 10 Wh battery (floor: half of it plus the bus through the shadow ahead) and a 1 kW transmitter: each
    # 600 MB capture (30 s at 160 Mbit/s) drains it to the floor part way. In full sun the battery then charges
    # at 400 - 1 = 399 W, and sending drains 1 + 1000 - 400 = 601 W: the transmitter resumes once the battery
    # holds 601 W x the seconds its item has left (not a whole minute of sending).
    hw = "solar_w: 400, battery_wh: 10, initial_soc: 1.0, min_soc: 0.5, bus_w: 1, tx_w: 1000, capture_j: 0"
    res = run_scenario(tiny("ground-only", hardware=hw, hours=20))
    pieces = res.downlinks.groupby("capture_id")
    checked = 0
    for _, p in pieces:
        if len(p) != 2:
            continue
        first, second = p.iloc[0], p.iloc[1]
        left_s = 8.0 * second.bytes / 160e6
        gap_s = (second.start_utc - first.end_utc).total_seconds()
        assert gap_s == pytest.approx(601.0 * left_s / 399.0, rel=1e-6)
        assert left_s < 30.0 and gap_s < 601.0 * 60.0 / 399.0 / 10  # a minute's worth would be 90 s
        checked += 1
    assert checked >= 2


def test_a_downlink_and_a_job_cut_by_the_span_end_count_up_to_it_in_every_table():
    # A 600 MB capture downlinks in 30 s at 160 Mbit/s; the span ends 10 s into it. Under onboard-first
    # (3000 tera-ops at 100 TOPS: 30 s) a job runs when the span ends 10 s after the capture.
    full = run_scenario(tiny("ground-only"))
    first = full.workloads.sort_values("capture_utc").iloc[0]
    start = pd.Timestamp("2025-10-03T12:00:00Z")
    hours = ((first.downlink_start_utc - start).total_seconds() + 10.0) / 3600.0
    res = run_scenario(tiny("ground-only", hours=hours))
    cut = res.downlinks[res.downlinks.capture_id == first.capture_id]
    assert len(cut) == 1 and cut.end_utc.iloc[0] == res.energy.time_utc.max()
    assert cut.bytes.iloc[0] == pytest.approx(10.0 * 160e6 / 8.0, rel=1e-9)  # 200 MB, by hand
    assert res.contacts.bytes.sum() == pytest.approx(cut.bytes.iloc[0], rel=1e-9)
    assert res.workloads.set_index("capture_id").loc[first.capture_id, "bytes_downlinked"] == pytest.approx(200e6)
    model, _ = prepare(tiny("ground-only", hours=hours))
    check_invariants(res, model)
    hours = ((first.capture_utc - start).total_seconds() + 10.0) / 3600.0
    res = run_scenario(tiny("onboard-first", hours=hours))
    row = res.workloads.set_index("capture_id").loc[first.capture_id]
    assert row.status == "queued_onboard"
    assert row.energy_onboard_j == pytest.approx(35.0 + 25.0 * 10.0, rel=1e-9)  # capture + 10 s busy at 25 W
    model, _ = prepare(tiny("onboard-first", hours=hours))
    check_invariants(res, model)


def test_a_capture_that_costs_no_energy_is_never_lost_to_the_battery_rule():
    # A battery at its reserve from the start (initial_soc 0.61 over min_soc 0.6, with a 7 W bus in
    # shadow ahead) is below the floor: a 35 J capture is refused for it, a 0 J capture never is.
    hw = "initial_soc: 0.6001, capture_j: {j}"
    refused = run_scenario(tiny("ground-only", hardware=hw.format(j=35.0)))
    free = run_scenario(tiny("ground-only", hardware=hw.format(j=0.0)))
    assert (refused.workloads.drop_reason == DROP_BATTERY).any()
    assert not (free.workloads.drop_reason == DROP_BATTERY).any()
    assert len(free.workloads) == len(refused.workloads)


def test_every_drop_says_why_in_words():
    loaded = tiny("tests.policies_for_tests:DropEverything")
    res = run_scenario(loaded)
    assert (res.workloads.drop_reason == "not worth it in this test").all() and len(res.workloads)
    res = run_scenario(tiny("tests.policies_for_tests:DropSilently"))
    assert res.workloads.drop_reason.str.contains("gave no reason").all()
