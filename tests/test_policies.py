"""Policies on hand-built plans and views (no SimPy), and the MILP against brute-force enumeration."""

import dataclasses
import itertools
import math
import warnings

import numpy as np
import pandas as pd
import pytest

from spaceground.datacenters import StepSeries
from spaceground.model import DataCenter, GroundStation, SatelliteHardware
from spaceground.policies import GROUND, ONBOARD, make_policy
from spaceground.policies.milp import formulate, solve
from spaceground.policies.planning import (
    SatelliteTimeline,
    edf_with_yield,
    onboard_finish_s,
    yield_until_in_time,
)
from spaceground.policies.views import (
    ArrivalView,
    CaptureView,
    ContactView,
    DataCenterView,
    OnboardJob,
    Plan,
    QueuedItem,
    SatellitePlan,
    SatelliteView,
)
from spaceground.scenario import Objective
from spaceground.stations import Station
from spaceground.workloads import CAPTURE_COLUMNS

GB = 1e9


def hardware(**kw):
    base = dict(
        solar_w=40.0,
        battery_j=80 * 3600.0,
        initial_j=72 * 3600.0,
        reserve_j=48 * 3600.0,
        bus_w=7.0,
        capture_j=0.0,
        compute_tops=100.0,
        compute_busy_w=25.0,
        compute_idle_w=0.0,
        storage_bytes=1e15,
        downlink_bps=80e6,
        tx_w=20.0,
        laser_w=50.0,
        profile="test",
    )
    base.update(kw)
    return SatelliteHardware(**base)


def datacenter(ident="dc", price=0.5, carbon=500.0, tops=1000.0, servers=1):
    return DataCenter(
        ident, ident, 0.0, 0.0, tops, servers, 0.65, 1.3, StepSeries.constant(price), StepSeries.constant(carbon)
    )


def plan(windows, captures=(), hw=None, segments=((0.0,), (1.0,)), duration_s=10_000.0, dcs=None, **objective):
    """One satellite, one station; ``windows`` as (aos, los) at 80 Mbit/s (10 MB/s)."""
    hw = hw or hardware()
    dcs = dcs or (datacenter(),)
    sp = SatellitePlan(
        0,
        "S",
        5900.0,
        hw,
        tuple(0 for _ in windows),
        tuple(a for a, _ in windows),
        tuple(b for _, b in windows),
        tuple(hw.downlink_bps for _ in windows),
        *segments,
    )
    st = GroundStation(Station("G", 0.0, 0.0, 0.0, 10.0, "G"), 1, math.inf)
    rows = [dict(zip(CAPTURE_COLUMNS, (i, *c))) for i, c in enumerate(captures)]
    caps = pd.DataFrame(rows, columns=CAPTURE_COLUMNS)
    return Plan(
        duration_s,
        (sp,),
        (st,),
        tuple(dcs),
        np.full((1, len(dcs)), 10e9),
        np.full((1, len(dcs)), 0.001),
        (),
        caps,
        Objective(**objective),
    )


def capture(t, raw_gb=1.0, product_gb=0.01, top=6000.0, deadline_s=5000.0, value=1.0, onboard=True):
    # (time_s, sat, workload, target, raw_bytes, product_bytes, compute_top, deadline_s, value, onboard_allowed)
    return (t, 0, 0, "", raw_gb * GB, product_gb * GB, top, deadline_s, value, onboard)


def sat_view(**kw):
    base = dict(
        index=0,
        name="S",
        energy_j=72 * 3600.0,
        battery_j=80 * 3600.0,
        reserve_j=48 * 3600.0,
        sunlit_fraction=1.0,
        storage_free_bytes=1e15,
        compute_backlog_s=0.0,
        downlink_backlog_bytes=0.0,
        next_contact_s=1000.0,
        contact_capacity_bytes=1e10,
        queue=(),
        now_s=0.0,
        onboard_queue=(),
    )
    base.update(kw)
    return SatelliteView(**base)


def dc_view(index=0, price=0.5, carbon=500.0, reachable=True, latency_s=0.001, busy=0, servers=1, queued=0):
    return DataCenterView(
        index, f"dc{index}", reachable, latency_s, 10e9, busy, servers, queued, 1000.0, 1.3, 0.65, price, carbon
    )


def capture_view(sat=None, now=0.0, value=1.0, deadline=5000.0, onboard=True, raw_gb=1.0, workload="w", cid=1):
    return CaptureView(
        now_s=now,
        capture_id=cid,
        workload=workload,
        raw_bytes=raw_gb * GB,
        product_bytes=0.01 * GB,
        compute_top=6000.0,
        deadline_s=deadline,
        value=value,
        onboard_allowed=onboard,
        satellite=sat or sat_view(now_s=now),
        datacenters=(dc_view(reachable=False),),
    )


def started(name, p, **params):
    policy = make_policy(name, params)
    policy.start(p)
    return policy


# --- planning helpers ------------------------------------------------------------------------------
def test_timeline_bytes_and_send_times_by_hand():
    tl = SatelliteTimeline(plan([(100.0, 200.0), (500.0, 700.0)]).satellites[0], 10_000.0)
    assert tl.bytes_between(0.0, 10_000.0) == pytest.approx(300 * 10e6)
    assert tl.bytes_between(150.0, 600.0) == pytest.approx(150 * 10e6)
    # 1.5 GB from t = 0: 1 GB in the first window, 0.5 GB 50 s into the second.
    assert tl.time_to_send(0.0, 1.5 * GB)[0] == pytest.approx(550.0)
    assert tl.time_to_send(0.0, 4 * GB)[0] == math.inf


def test_onboard_finish_follows_the_energy_floor_in_closed_form():
    # Sunlit throughout, solar 40 W, bus 7 W, busy +25 W: net +8 W, never at the floor: wall time = work time.
    tl = SatelliteTimeline(plan([(100.0, 200.0)]).satellites[0], 10_000.0)
    assert onboard_finish_s(tl, 0.0, 72 * 3600.0, 600.0) == pytest.approx(600.0)
    # Solar 20 W: net idle +13 W, busy -12 W. 1 Wh above the floor lasts 300 s at full speed, then the
    # surplus pays 13/25 of the time: 600 s of work take 300 + 300 / 0.52 s.
    tl = SatelliteTimeline(plan([(100.0, 200.0)], hw=hardware(solar_w=20.0)).satellites[0], 10_000.0)
    floor = 48 * 3600.0
    assert onboard_finish_s(tl, 0.0, floor + 3600.0, 600.0) == pytest.approx(300.0 + 300.0 / 0.52)


def test_edf_with_yield_drops_the_least_value_per_byte_that_would_be_late():
    tl = SatelliteTimeline(plan([(0.0, 100.0)]).satellites[0], 10_000.0)  # 1 GB in all
    items = [(1, 0.6 * GB, 50.0, 1.0, 0.0), (2, 0.6 * GB, 90.0, 3.0, 0.0), (3, 0.3 * GB, 95.0, 1.0, 0.0)]
    kept, late, finish = edf_with_yield(items, tl, 0.0, 10_000.0)
    # 1 then 2 would end at 120 s > 90: item 1 (1/0.6 GB) yields to 2 (3/0.6 GB); 2 then 3 end at 90 s.
    assert kept == [2, 3] and late == [1]
    assert finish[2] == pytest.approx(60.0) and finish[3] == pytest.approx(90.0)


def test_edf_ends_at_once_are_the_walks_ends():
    # The ends of a queue with none late are computed at once (times_to_send); the reference is the item-by-item
    # walk (yield_until_in_time with time_to_send), on random queues over windows with gaps, an item exactly at
    # a window's end, an item ready later, and queues too big for the windows.
    tl = SatelliteTimeline(plan([(100.0, 200.0), (500.0, 700.0), (900.0, 950.0)]).satellites[0], 10_000.0)
    rng = np.random.default_rng(3)
    at_once = 0
    for trial in range(300):
        now = float(rng.choice([0.0, 150.0, 600.0, 940.0]))
        n = int(rng.integers(2, 12))
        sizes = rng.choice([0.1, 0.25, 0.5, 1.0], n) * GB
        items = [(k, float(sizes[k]), float(now + rng.uniform(50, 2000)), 1.0 + k % 3, now) for k in range(n)]
        if trial % 3 == 0:  # one ready later, as a product after its job
            items[-1] = (*items[-1][:4], now + 120.0)
        before = tl.bytes_before(now)

        def down(q, total, now=now, before=before):
            t = tl.time_to_send(now, total, before)[0]
            return t if q[4] == now else max(t, tl.time_to_send(q[4], q[1])[0])

        ranked = sorted(items, key=lambda q: (q[2], q[0]))
        kept, yielded = yield_until_in_time(
            ranked,
            size=lambda q: q[1],
            density=lambda q: (q[3] / max(q[1], 1.0), -q[2]),
            late=lambda q, total: q[2] <= 10_000.0 and q[2] < down(q, total),
        )
        got_kept, got_late, finish = edf_with_yield(items, tl, now, 10_000.0)
        assert got_kept == [q[0] for q in kept] and sorted(got_late) == sorted(q[0] for q in yielded)
        total = 0.0
        for q in kept:
            total += q[1]
            assert finish[q[0]] == down(q, total)  # to the bit
        at_once += not yielded
    assert 50 < at_once < 300  # both paths taken
    totals = np.array([0.5, 1.0, 1.5, 3.0, 3.5]) * GB  # windows of 1, 2 and 0.5 GB; 3.5 GB never goes down
    assert tl.times_to_send(0.0, totals, 0.0).tolist() == [tl.time_to_send(0.0, x)[0] for x in totals]


def test_onboard_estimate_lets_a_running_job_due_later_yield():
    # Window 1000-1200 s; a capture due at 1500 s needs 60 s of work (6,000 TOPS at 100 TOPS). A running
    # job with 1,000 s left that is due later yields to it (the engine asks the policy again when a job is
    # queued): the 10 MB product is down at 1001 s. One due first keeps the computer: done at 1060 s,
    # product at 1061 s; with 1,150 s left it would miss the window, and no other window comes.
    la = started("lookahead", plan([(1000.0, 1200.0)]))
    for due, left, expect in ((9000.0, 1000.0, 1001.0), (1400.0, 1000.0, 1061.0), (1400.0, 1150.0, math.inf)):
        running = OnboardJob(9, left, due, 1.0, 0.0)
        sat = sat_view(onboard_running=running, compute_backlog_s=left)
        t, _ = la.onboard_route(capture_view(sat=sat, deadline=1500.0), sat, 0.0, 0.0)
        assert t == pytest.approx(expect)


def test_edf_with_yield_yields_until_the_item_is_in_time():
    tl = SatelliteTimeline(plan([(0.0, 100.0)]).satellites[0], 10_000.0)  # 1 GB in all
    items = [(1, 0.3 * GB, 40.0, 0.3, 0.0), (2, 0.3 * GB, 45.0, 0.3, 0.0), (3, 0.8 * GB, 90.0, 8.0, 0.0)]
    kept, late, finish = edf_with_yield(items, tl, 0.0, 10_000.0)
    # 1, 2, 3 would end at 140 s > 90; one small item yielding leaves 110 s: both must yield for 3 (80 s).
    assert kept == [3] and late == [1, 2]
    assert finish[3] == pytest.approx(80.0)


# --- policies on hand-built views ------------------------------------------------------------------
def test_value_greedy_and_value_filter():
    p = plan([(1000.0, 2000.0)])
    vg = started("value-greedy", p)
    assert vg.on_capture(capture_view()) == ONBOARD
    # 60 s x 25 W = 1,500 J needed; only 1,000 J above the reserve.
    poor = sat_view(energy_j=48 * 3600.0 + 1000.0)
    assert vg.on_capture(capture_view(sat=poor)) == GROUND
    queue = (
        QueuedItem(1, "raw", 1e9, 100.0, 1.0),
        QueuedItem(2, "product", 1e7, 900.0, 1.0),
        QueuedItem(3, "raw", 1e9, 50.0, 3.0),
    )
    contact = ContactView(now_s=0.0, satellite=sat_view(), station=0, window_end_s=2000.0, rate_bps=80e6, queue=queue)
    assert vg.downlink_order(contact) == [2, 3, 1]
    vf = started(
        "value-filter", p._replace(workloads=(type("W", (), {"name": "w", "value": 1.0})(),)), min_value_share=0.5
    )
    assert vf.on_capture(capture_view(value=0.2)).decision == "drop"
    assert vf.on_capture(capture_view(value=1.0)) == ONBOARD
    with pytest.raises(Exception, match="min_value_share"):
        make_policy("value-filter", {"min_value_share": 2})


def test_lookahead_routes_by_the_contact_plan():
    p = plan([(1000.0, 2000.0)])
    la = started("lookahead", p)
    # The only window opens after the deadline: neither route can make it.
    assert la.on_capture(capture_view(deadline=900.0)).decision == "drop"
    # Onboard not allowed, the window is ahead: raw.
    assert la.on_capture(capture_view(onboard=False, cid=2)) == GROUND
    # Both routes fit and nothing is contended: the earlier product (onboard: 60 s then 1 s of downlink).
    assert la.on_capture(capture_view(cid=3)) == ONBOARD
    # A deadline past the span end cannot be judged within it: the capture is kept.
    assert la.on_capture(capture_view(deadline=20_000.0, now=9_000.0, cid=4)) in (ONBOARD, GROUND)


def test_green_west_prefers_carbon_within_the_deadline_and_the_fastest_otherwise():
    gw = started("green-west", plan([(1000.0, 2000.0)]), prefer="carbon")
    dcs = (
        dc_view(0, price=0.3, carbon=600.0),
        dc_view(1, price=0.5, carbon=200.0, latency_s=0.05),
        dc_view(2, price=0.1, carbon=100.0, reachable=False),
    )
    view = ArrivalView(
        now_s=0.0,
        capture_id=1,
        station=0,
        raw_bytes=1 * GB,
        compute_top=6000.0,
        deadline_s=5000.0,
        value=1.0,
        datacenters=dcs,
    )
    assert gw.on_arrival(view) == 1
    assert started("green-west", plan([(1000.0, 2000.0)]), prefer="cost").on_arrival(view) == 0
    # A deadline 5 s away: dc1's 0.05 s latency is fine, but a busy dc1 (queue) misses it; none meets it -> fastest.
    busy = (dcs[0], dcs[1]._replace(busy_servers=1, queued=3), dcs[2])
    tight = view.replace(deadline_s=5.0, datacenters=busy)
    assert gw.on_arrival(tight) == 0


def test_lyapunov_trades_value_against_queues():
    p = plan([(1000.0, 2000.0)])
    greedy = started("lyapunov", p, V=100.0)
    assert greedy.on_capture(capture_view(onboard=False)) == GROUND
    # V = 0: only the drift counts; with data queued, adding a raw capture is worse than dropping it.
    queued = sat_view(downlink_backlog_bytes=5 * GB)
    assert started("lyapunov", p, V=0.0).on_capture(capture_view(sat=queued, onboard=False)).decision == "drop"


def test_sunlight_aware_holds_onboard_work_in_shadow():
    sa = started("sunlight-aware", plan([(5000.0, 6000.0)]), shadow_min_soc=0.95)
    assert sa.may_compute(sat_view(sunlit_fraction=1.0))
    assert not sa.may_compute(sat_view(sunlit_fraction=0.0))
    assert sa.may_compute(sat_view(sunlit_fraction=0.0, energy_j=0.96 * 80 * 3600.0))


def test_onboard_jobs_go_earliest_deadline_first_among_those_that_can_make_it():
    la = started("lookahead", plan([(1000.0, 2000.0)]))
    jobs = (OnboardJob(1, 600.0, 5000.0, 1.0), OnboardJob(2, 600.0, 300.0, 3.0), OnboardJob(3, 600.0, 2000.0, 1.0))
    assert la.next_onboard_job(sat_view(onboard_queue=jobs)) == 3  # 2 cannot finish by t = 300 s


def test_jobs_whose_product_cannot_be_down_in_time_are_not_run():
    la = started("lookahead", plan([(1000.0, 2000.0)]))
    # Job 4 would be computed by t = 600 s, but the first contact opens at 1000 s, after its deadline.
    late = OnboardJob(4, 600.0, 900.0, 3.0, 0.01 * GB)
    fine = OnboardJob(5, 600.0, 1500.0, 1.0, 0.01 * GB)
    assert la.next_onboard_job(sat_view(onboard_queue=(late, fine))) == 5
    assert la.next_onboard_job(sat_view(onboard_queue=(late,))) is None
    # The dead job is not counted as work to come either.
    assert la.live_backlog_s(sat_view(onboard_queue=(late, fine), compute_backlog_s=1200.0)) == pytest.approx(600.0)


def test_a_job_held_in_sunlight_would_wait_past_the_next_shadow_so_it_is_urgent():
    # Sunlight to 1000 s, shadow to 3000 s, then sunlight; one contact, 1500-2000 s. The job on the
    # computer (600 s left, due at 2500 s) run now is done at 600 s and its product down at 1500 s. Held
    # in sunlight (the battery at 60 of 80 Wh would not refill to the 0.9 mark with it running: 60 Wh +
    # 33 W x 1000 s - 25 W x 600 s = 64.9 Wh < 72 Wh), it would wait for the sunlight after the shadow,
    # done at 3600 s, after the last contact: it must run now.
    segments = ((0.0, 1000.0, 3000.0), (1.0, 0.0, 1.0))
    la = started("lookahead", plan([(1500.0, 2000.0)], segments=segments))
    job = OnboardJob(7, 600.0, 2500.0, 3.0, 0.01 * GB)
    sat = sat_view(energy_j=60 * 3600.0, onboard_running=job, compute_backlog_s=600.0)
    assert la.urgent_job(sat) and la.may_compute(sat)
    # Due at 9000 s with a contact at 5000 s too, waiting costs nothing: held for the surplus.
    la = started("lookahead", plan([(1500.0, 2000.0), (5000.0, 5500.0)], segments=segments))
    sat = sat_view(energy_j=60 * 3600.0, onboard_running=job._replace(deadline_s=9000.0), compute_backlog_s=600.0)
    assert not la.urgent_job(sat) and not la.may_compute(sat)


def test_the_onboard_estimate_pays_the_transmitter_only_for_bytes_the_contacts_before_the_deadline_carry():
    # Solar 20 W in constant sunlight, bus 7 W: idle +13 W, busy -12 W; the battery 1 Wh above its floor.
    # 10 GB queued, due at 9000 s; a capture due at 1000 s, 60 s of work. Before its deadline one contact
    # (100-200 s) carries 1 GB: its 100 s on air cost 2000 J, leaving 1600 J, 133 s at -12 W: the job runs at
    # full speed, done at 60 s, and its 10 MB product (due first) is down at 101 s. Paying for all 10 GB
    # (20,000 J) would start it at the floor, at 13/25 duty: done at 60 / 0.52 = 115.4 s, product at 116.4 s.
    hw = hardware(solar_w=20.0)
    la = started("lookahead", plan([(100.0, 200.0), (8000.0, 9000.0)], hw=hw))
    queued = (QueuedItem(5, "raw", 10 * GB, 9000.0, 1.0),)
    sat = sat_view(energy_j=48 * 3600.0 + 3600.0, queue=queued, downlink_backlog_bytes=10 * GB)
    t, _ = la.onboard_route(capture_view(sat=sat, deadline=1000.0), sat, 0.0, 0.0)
    assert t == pytest.approx(101.0)
    assert 1.0 + onboard_finish_s(la.tl[0], 0.0, 48 * 3600.0 + 3600.0 - 20_000.0, 60.0) == pytest.approx(
        1.0 + 60.0 / 0.52
    )


def test_the_radio_comes_first_only_with_bytes_worth_more_per_joule_than_the_job_has_left():
    # Solar 7 W = bus: no surplus; the battery 2000 J above its reserve (no shadow ahead). The job on the
    # computer has 30 s left: 25 W x 30 s + 20 W x 1 s for its 10 MB product = 770 J for a value of 3.
    # Running on to the contact at 1000 s takes 750 J, leaving 1250 J. A queued 2 GB raw item worth 1 would
    # take 20 W x 200 s = 4000 J (1 / 4000 per J < 3 / 770): it does not hold the job. Worth 100, it does.
    hw = hardware(solar_w=7.0)
    la = started("lookahead", plan([(1000.0, 2000.0)], hw=hw))
    job = OnboardJob(7, 30.0, 5000.0, 3.0, 0.01 * GB)
    for value, first in ((1.0, True), (100.0, False)):
        queued = (QueuedItem(5, "raw", 2 * GB, 5000.0, value),)
        sat = sat_view(energy_j=48 * 3600.0 + 2000.0, queue=queued, onboard_running=job, compute_backlog_s=30.0)
        assert la.radio_energy_first(sat) is first


def test_the_radio_counts_the_computer_running_on_through_the_transmission():
    # Solar 7 W = bus: no surplus, no shadow; the battery 6000 J above its reserve. The job on the computer
    # has 600 s left (25 W); a contact opens at 100 s and a queued 1 GB raw item worth 100 takes 100 s on
    # air at 20 W = 2000 J. Running on to the window takes 2500 J, leaving 3500 J, but the job keeps drawing
    # through the 100 s of transmission: another 2500 J, so 1000 J would be left for 2000 J of transmitting.
    # The radio comes first. With 7200 J: 7200 - 25 W x 200 s = 2200 J >= 2000 J, and the job runs.
    hw = hardware(solar_w=7.0)
    la = started("lookahead", plan([(100.0, 2000.0)], hw=hw))
    job = OnboardJob(7, 600.0, 5000.0, 3.0, 0.01 * GB)
    queued = (QueuedItem(5, "raw", 1 * GB, 5000.0, 100.0),)
    for above_j, runs in ((6000.0, False), (7200.0, True)):
        sat = sat_view(energy_j=48 * 3600.0 + above_j, queue=queued, onboard_running=job, compute_backlog_s=600.0)
        assert la.radio_energy_first(sat) is runs


def test_the_radio_reserves_against_the_floor_after_sunrise():
    # Shadow to 1000 s, sunlight to 5000 s, shadow to 7000 s, then sunlight; bus 7 W, solar 7 W (no surplus
    # in sunlight). The floor above the reserve is the bus through the shadow ahead: 7 W x 500 s = 3500 J
    # at 500 s, but from sunrise 7 W x 2000 s = 14,000 J; at 6000 s, 7000 J. Its highest over 500-6000 s is
    # the sunrise's, between the two ends.
    segments = ((0.0, 1000.0, 5000.0, 7000.0), (0.0, 1.0, 0.0, 1.0))
    la = started("lookahead", plan([(1200.0, 2000.0)], hw=hardware(solar_w=7.0), segments=segments))
    tl = la.tl[0]
    reserve = 48 * 3600.0
    assert tl.floor_j(500.0) - reserve == pytest.approx(3500.0)
    assert tl.floor_max_j(500.0, 1500.0) - reserve == pytest.approx(14_000.0)
    assert tl.floor_max_j(500.0, 6000.0) - reserve == pytest.approx(14_000.0)
    assert tl.floor_max_j(5500.0, 6000.0) - reserve == pytest.approx(10_500.0)
    # At 500 s a 1 GB item is queued for the window at 1200 s (100 s on air at 20 W: 2000 J). The shadow
    # takes 3500 J by sunrise, and the transmitter then stops at the 14,000 J floor: the battery needs
    # 3500 + 14,000 + 2000 = 19,500 J above the reserve for the radio. With 15,000 J onboard work waits
    # (judged against the floor of the moment, 3500 J, it would not); with 20,000 J it may run.
    queued = (QueuedItem(5, "raw", 1 * GB, 5000.0, 1.0),)
    for above_j, runs in ((15_000.0, False), (20_000.0, True)):
        sat = sat_view(energy_j=reserve + above_j, queue=queued, now_s=500.0, sunlit_fraction=0.0)
        assert la.radio_energy_first(sat) is runs


def test_a_job_whose_turn_would_make_a_more_valuable_one_late_yields():
    # Constant sunlight, battery near full: the computer runs at full speed. One contact, 1000-1300 s; jobs of
    # 600 s with 10 MB products (1 s on air). A (due 1100 s, worth 0.3) first: done at 600 s, product down at
    # 1000 s; then B done at 1200 s, product at 1201 s, after B's 1150 s. Only one can make it: A, worth
    # less per second of computing, yields and B runs (earliest deadline first would run A). Due at 1300 s,
    # B makes it after A, and A (due first) runs.
    la = started("lookahead", plan([(1000.0, 1300.0)]))
    a = OnboardJob(1, 600.0, 1100.0, 0.3, 0.01 * GB)
    for b_deadline, first in ((1150.0, 2), (1300.0, 1)):
        b = OnboardJob(2, 600.0, b_deadline, 3.0, 0.01 * GB)
        assert la.next_onboard_job(sat_view(energy_j=79 * 3600.0, onboard_queue=(a, b))) == first


def test_a_capture_at_the_margin_goes_raw_when_its_contact_will_have_room():
    # One contact, 1000-2000 s (10 GB). Two kinds of 1 GB capture, worth 1 and 0.5, one an hour each, half of
    # each taken raw; prices (downlink 1 per GB, computer time) under which both are worth less than they
    # take. A capture worth 0.5 keeps room for the captures to come before the contact closes:
    # 2/3600 x 0.5 GB x 2000 s = 0.556 GB, plus two standard deviations (2 x sqrt(0.556) GB = 1.491 GB);
    # with itself, 3.046 GB. Room is left with 6.9 GB queued, not with 7.0 GB, nor when the battery (no
    # surplus) cannot pay the transmitter for all. A capture worth 1 is of the densest kind: no
    # capture to come is worth more per byte, so it keeps no room for others (first come, first served) and
    # goes raw with 8.9 GB queued, not 9.1 GB.
    def decide(queued_gb, value, hw=None, energy_j=72 * 3600.0):
        la = started("lookahead", plan([(1000.0, 2000.0)], hw=hw))
        prices = la.prices[0]
        kinds = [(v, 1.0, 0.01, 25.0 * 60.0 / 3600.0, 60.0 / 3600.0, True, True) for v in (1.0, 0.5)]
        prices.rate_per_s, prices.prior = 2.0 / 3600.0, kinds
        prices.route_share = {prices._kind(item): (0.5, 0.0) for item in kinds}
        prices.price_gb, prices.price_wh, prices.price_h, prices.priced = 1.0, 0.1, 58.0, True
        queue = (QueuedItem(5, "raw", queued_gb * GB, 9000.0, 1.0),)
        sat = sat_view(queue=queue, downlink_backlog_bytes=queued_gb * GB, energy_j=energy_j)
        view = capture_view(sat=sat, value=value, deadline=5000.0)
        assert max(prices.score(view, "ground"), prices.score(view, "onboard")) < 0
        return la.on_capture(view)

    assert decide(6.9, 0.5) == GROUND
    assert decide(7.0, 0.5).decision == "drop"
    # 7.9 GB on air take 15,800 J; the battery holds 10,000 J above its floor and the array adds nothing.
    assert decide(6.9, 0.5, hw=hardware(solar_w=7.0), energy_j=48 * 3600.0 + 10_000.0).decision == "drop"
    assert decide(8.9, 1.0) == GROUND
    assert decide(9.1, 1.0).decision == "drop"


def test_the_class_mix_known_from_the_scenario_by_hand():
    from spaceground.model import WorkloadSpec
    from spaceground.policies.lookahead import class_mix
    from spaceground.scenario import RateTrigger

    def spec(name, rate, value):
        return WorkloadSpec(
            name,
            RateTrigger(rate_per_sat_per_h=rate),
            False,
            (),
            2 * GB,
            0.02 * GB,
            12_000.0,
            5400.0,
            value,
            True,
            0.5,
            0.1,
        )

    hw = hardware(compute_tops=20.0, compute_busy_w=20.0, compute_idle_w=2.0)
    p = plan([(1000.0, 2000.0)], hw=hw)._replace(workloads=(spec("urgent", 3.0, 3.0), spec("routine", 9.0, 1.0)))
    rate_per_s, prior = class_mix(p, p.satellites[0], SatelliteTimeline(p.satellites[0], p.duration_s))
    assert rate_per_s == pytest.approx(12.0 / 3600.0)
    # 20 items in proportion to 1.5, 1.5, 4.5 and 4.5 captures an hour (clear and cloudy of each class):
    # quotas 2.5, 2.5, 7.5 and 7.5, each kind within one item of its quota.
    values = [round(item[0], 9) for item in prior]
    assert len(prior) == 20
    for value, quota in ((3.0, 2.5), (0.3, 2.5), (1.0, 7.5), (0.1, 7.5)):
        assert abs(values.count(value) - quota) < 1
    # Each item: raw and product GB, the computer's extra Wh for 600 s (18 W), 1/6 h, onboard allowed.
    assert prior[0][1:] == pytest.approx((2.0, 0.02, 3.0, 1 / 6, True, True))
    # A target-triggered class makes the mix unknown in advance.
    targeted = spec("t", 1.0, 1.0)
    object.__setattr__(targeted, "trigger", object())
    assert (
        class_mix(p._replace(workloads=(targeted,)), p.satellites[0], SatelliteTimeline(p.satellites[0], 1e4)) is None
    )


def test_between_routes_alike_an_idle_computer_on_a_full_battery_in_sunlight_takes_the_capture():
    def decide(energy_j):
        la = started("lookahead", plan([(1000.0, 2000.0)]))
        prices = la.prices[0]
        sat = sat_view(energy_j=energy_j, sunlit_fraction=1.0)
        view = capture_view(sat=sat, value=10.0, deadline=5000.0)
        # Prices under which onboard energy is what the onboard route costs most in, and the computer
        # time is priced so that both routes are worth exactly the same.
        prices.price_gb, prices.price_wh, prices.price_h, prices.priced = 0.5, 2.0, 0.0, True
        gap = prices.score(view, "onboard") - prices.score(view, "ground")
        prices.price_h = gap / (view.compute_top / 100.0 / 3600.0)
        assert prices.score(view, "onboard") == pytest.approx(prices.score(view, "ground"))
        assert prices.energy_share(view)
        return la, sat, la.on_capture(view)

    # A tie over energy: the raw route, which leaves more than raw_slack_s before the deadline ...
    la, sat, decision = decide(60 * 3600.0)
    assert decision == GROUND and not la._energy_free(sat)
    # ... unless the array is giving energy away (battery at the high-charge mark, idle computer).
    la, sat, decision = decide(79 * 3600.0)
    assert decision == ONBOARD and la._energy_free(sat)
    assert not la._energy_free(sat_view(energy_j=79 * 3600.0, sunlit_fraction=0.0))
    assert not la._energy_free(sat_view(energy_j=79 * 3600.0, onboard_queue=(OnboardJob(9, 60.0, 5000.0, 1.0),)))


def test_captures_at_the_margin_are_admitted_in_the_share_the_lp_takes():
    from spaceground.policies.lookahead import ScarcityPrices

    p = plan([(1000.0, 2000.0)])
    prices = ScarcityPrices(SatelliteTimeline(p.satellites[0], p.duration_s), p.duration_s, 200, lambda s, j: True)
    view = capture_view()
    prices.take_share = {prices._kind(prices._item(view)): 0.25}
    taken = []
    for k in range(1, 13):
        taken.append(prices.admit(view))
        assert abs(sum(taken) - 0.25 * k) <= 1.0  # spread evenly, never more than one ahead or behind
    assert sum(taken) == 3
    # A kind the LP did not see is admitted.
    assert prices.admit(capture_view(value=7.0))


# --- the MILP against brute force ------------------------------------------------------------------
def _brute_force(p):
    """Best value over every assignment of each capture to nothing, raw in window j, or onboard with the
    product in window j, judged by direct simulation: each window sends its items in release order at
    the link rate; onboard jobs draw their extra energy from what is above the reserve (solar = loads)."""
    sp = p.satellites[0]
    hw = sp.hardware
    rate = hw.downlink_bps / 8.0
    caps = list(p.captures.itertuples(index=False))
    options = []
    for c in caps:
        opts = [None]
        for j, (a, b) in enumerate(zip(sp.window_aos_s, sp.window_los_s)):
            deadline = c.time_s + c.deadline_s
            if (
                b > c.time_s
                and max(a, c.time_s) + c.raw_bytes / rate + c.raw_bytes * 8 / 10e9 + 0.001 + c.compute_top / 1000.0
                <= deadline
            ):
                opts.append(("raw", j))
            ready = c.time_s + c.compute_top / hw.compute_tops
            if c.onboard_allowed and b > ready and max(a, ready) + c.product_bytes / rate <= deadline:
                opts.append(("onboard", j))
        options.append(opts)
    best = 0.0
    budget = hw.initial_j - hw.reserve_j
    for combo in itertools.product(*options):
        energy = sum(
            (hw.compute_busy_w - hw.compute_idle_w) * c.compute_top / hw.compute_tops
            for c, o in zip(caps, combo)
            if o and o[0] == "onboard"
        )
        if energy > budget + 1e-6:
            continue
        ok = True
        for j, (a, b) in enumerate(zip(sp.window_aos_s, sp.window_los_s)):
            items = sorted(
                (
                    c.time_s if o[0] == "raw" else c.time_s + c.compute_top / hw.compute_tops,
                    c.raw_bytes if o[0] == "raw" else c.product_bytes,
                )
                for c, o in zip(caps, combo)
                if o and o[1] == j
            )
            t = a
            for release, size in items:
                t = max(t, release) + size / rate
            ok &= t <= b + 1e-6
        if ok:
            best = max(best, sum(c.value for c, o in zip(caps, combo) if o))
    return best


def _random_captures(seed, n=5):
    rng = np.random.default_rng(seed)
    return [
        capture(
            float(rng.uniform(0, 2500)),
            raw_gb=float(rng.choice([0.5, 0.8, 1.2])),
            product_gb=float(rng.choice([0.05, 0.3])),
            top=float(rng.choice([3000, 12000])),
            deadline_s=float(rng.choice([1500, 4000])),
            value=float(rng.choice([1, 2, 3])),
            onboard=bool(rng.uniform() < 0.7),
        )
        for _ in range(n)
    ]


@pytest.mark.parametrize("seed", range(6))
def test_milp_matches_brute_force_on_tiny_instances(seed):
    windows = [(1000.0, 1150.0), (3000.0, 3100.0)]  # 1.5 GB and 1 GB at 10 MB/s
    caps = _random_captures(seed)
    # Solar exactly pays bus and idle, no transmitter or capture energy: the battery above the reserve
    # (3,000 J) is the onboard budget: 750 J per 3,000 tera-ops, 3,000 J per 12,000.
    for budget_j in (3000.0, 1e5):
        hw = hardware(solar_w=7.0, tx_w=0.0, initial_j=48 * 3600.0 + budget_j)
        p = plan(windows, caps, hw=hw)
        sol = solve(formulate(p), time_limit_s=30)
        assert sol.status == "optimal"
        assert sol.objective == pytest.approx(_brute_force(p), abs=1e-6)


def test_the_brute_force_cases_bind_on_links_and_on_energy():
    # Guard on the test above: seed 0 loses value to the energy budget, and no seed delivers everything.
    caps = _random_captures(0)
    windows = [(1000.0, 1150.0), (3000.0, 3100.0)]
    tight = _brute_force(plan(windows, caps, hw=hardware(solar_w=7.0, tx_w=0.0, initial_j=48 * 3600.0 + 3000.0)))
    rich = _brute_force(plan(windows, caps, hw=hardware(solar_w=7.0, tx_w=0.0, initial_j=80 * 3600.0)))
    assert tight < rich < sum(c[8] for c in caps)


def test_lp_bound_is_above_the_milp_and_the_milp_plan_is_feasible_in_its_own_terms():
    caps = [capture(float(t), value=v) for t, v in zip(range(0, 2500, 250), [1, 3, 2, 1, 1, 3, 2, 2, 1, 3])]
    p = plan([(1000.0, 1150.0), (3000.0, 3100.0)], caps)
    form = formulate(p)
    mip, lp = solve(form, time_limit_s=30), solve(form, relax=True)
    assert lp.objective >= mip.objective - 1e-6
    x = mip.x
    assert np.all(form.A @ x <= form.ub + 1e-6) and np.all(form.A @ x >= form.lb - 1e-6)
    assert sum(1 for v in mip.chosen.values()) == sum(x[: len(form.paths)] > 0.5)


def test_the_milp_carries_only_what_a_window_s_rate_profile_carries():
    # One window 1000-1100 s whose rate (80 Mbit/s = 10 MB/s) drops to 0 after 50 s: 500 MB, not the 1000 MB
    # its first rate would carry. Two captures of 0.3 GB raw (value 1 each), no onboard route: one fits.
    from spaceground.links import LinkWindows

    caps = [capture(900.0, raw_gb=0.3, onboard=False), capture(950.0, raw_gb=0.3, onboard=False)]
    p = plan([(1000.0, 1100.0)], caps)
    assert solve(formulate(p), time_limit_s=30).objective == pytest.approx(2.0)  # constant rate: both
    stepped = LinkWindows(["downlink"], [0], [0], [1000.0], [1100.0], [1000.0, 1050.0], [80e6, 0.0], [0, 2])
    p = p._replace(satellites=(p.satellites[0]._replace(links=stepped),))
    sol = solve(formulate(p), time_limit_s=30)
    assert sol.status == "optimal" and sol.objective == pytest.approx(1.0)


def test_the_executable_milp_sends_each_item_by_its_due_time_within_a_window():
    # One window 1000-1150 s at 10 MB/s. Two raw captures at 900 s (no onboard route): A 0.8 GB (80 s, value 2),
    # B 0.5 GB (50 s, value 1), each due down by 1090 s (its deadline less backhaul 8 x size / 10 Gbit/s, latency
    # 1 ms and 3 s of data-centre compute). Each alone meets its deadline and both fit the window (130 s of
    # 150 s), so the bound keeps both (3); but by 1090 s the window carries 90 s: the engine can deliver one in
    # time, and the executable form keeps A (2). With B due at 1150 s both are on time (EDF: A, then B).
    def caps(due_b):
        return [
            capture(
                900.0, raw_gb=gb, top=3000.0, deadline_s=due - 900.0 + 8 * gb / 10 + 0.001 + 3.0, value=v, onboard=False
            )
            for gb, due, v in ((0.8, 1090.0, 2.0), (0.5, due_b, 1.0))
        ]

    p = plan([(1000.0, 1150.0)], caps(1090.0))
    assert solve(formulate(p), time_limit_s=30).objective == pytest.approx(3.0)
    sol = solve(formulate(p, executable=True), time_limit_s=30)
    assert sol.status == "optimal" and sol.objective == pytest.approx(2.0) and list(sol.chosen) == [0]
    p = plan([(1000.0, 1150.0)], caps(1150.0))
    assert solve(formulate(p, executable=True), time_limit_s=30).objective == pytest.approx(3.0)


def test_a_milp_plan_cut_by_the_time_limit_says_it_is_not_reproducible(monkeypatch):
    from spaceground.policies import milp

    caps = [capture(float(t), value=1 + t % 3) for t in range(0, 3000, 250)]
    p = plan([(1000.0, 1150.0), (3000.0, 3100.0)], caps)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # solved to its gap: no warning
        assert started("milp-optimal", p).report()["milp_status"] == "optimal"
    real = milp.solve
    # The same solution as if the time limit had stopped the search (the solver's status is all that differs).
    monkeypatch.setattr(milp, "solve", lambda *a, **k: dataclasses.replace(real(*a, **k), status="time_limit"))
    with pytest.warns(UserWarning, match="time limit .*rerun may differ"):
        policy = started("milp-optimal", p)
    assert policy.report()["milp_status"] == "time_limit" and policy.report()["milp_fallback"] == ""


def test_without_a_plan_milp_optimal_hands_the_run_to_lookahead_and_says_so():
    # 60 captures over two windows: more than HiGHS finds an integer plan for in a microsecond.
    caps = [capture(float(t), value=1 + t % 3) for t in range(0, 3000, 50)]
    p = plan([(1000.0, 1150.0), (3000.0, 3100.0)], caps)
    with pytest.warns(UserWarning, match="no plan within its time limit .*carried out by lookahead"):
        policy = started("milp-optimal", p, time_limit_s=1e-6)
    assert policy.report()["milp_fallback"] == "lookahead"
    assert math.isnan(policy.report()["planned_value"])
    reference = started("lookahead", p)
    sat = sat_view(energy_j=40 * 3600.0)
    for k, value in enumerate([1.0, 3.0, 0.2, 2.0, 1.0]):
        view = capture_view(sat=sat, now=100.0 * k, value=value, cid=k)
        assert policy.on_capture(view) == reference.on_capture(view)


def _scipy_carries_the_pinned_highs():
    """Is the HiGHS inside the installed SciPy the one ``highspy`` pins? Then the two solve to the bit."""
    import highspy

    try:
        from scipy.optimize._highspy import _core as bundled  # (private: only to read which HiGHS it is)

        carried = f"{bundled.HIGHS_VERSION_MAJOR}.{bundled.HIGHS_VERSION_MINOR}.{bundled.HIGHS_VERSION_PATCH}"
    except (ImportError, AttributeError):
        return False
    return carried == highspy.Highs().version()


def test_the_scarcity_lp_solves_by_hand_and_as_scipy_does():
    from scipy.optimize import linprog

    from spaceground.policies.lp import solve_lp

    # By hand: min -x1 - 2 x2, x1 + x2 <= 1.5, 0 <= x <= 1. x2 sits at its bound, x1 = 0.5 is basic, so the
    # row's dual makes x1's reduced cost zero: -1 - y = 0, y = -1 (the row's price is 1 a unit).
    x, duals = solve_lp([-1.0, -2.0], [[1.0, 1.0]], [1.5], [1.0, 1.0])
    assert x.tolist() == [0.5, 1.0] and duals.tolist() == [-1.0]
    # No optimum (a row no x >= 0 meets): None, not a stale answer from the LP before.
    assert solve_lp([1.0], [[-1.0]], [-2.0], [1.0]) is None
    # The model is the one scipy's linprog hands HiGHS: with the HiGHS scipy carries being the pinned one, the
    # same x and duals to the bit (so the tables did not change), else the same optimum, on LPs of the scarcity
    # LP's shape (three resource rows, one row a sampled capture), solved in turn on one instance.
    to_the_bit = _scipy_carries_the_pinned_highs()
    rng = np.random.default_rng(7)
    for _ in range(60):
        n, m = int(rng.integers(5, 50)), int(rng.integers(0, 15))
        cols = 2 * n + m
        c = -rng.random(cols) * (rng.random(cols) > 0.1)
        a = np.zeros((3 + n, cols))
        a[:3] = rng.random((3, cols)) * (rng.random((3, cols)) > 0.2)
        a[3 + np.arange(n), np.arange(n)] = a[3 + np.arange(n), n + np.arange(n)] = 1.0
        b = np.r_[rng.random(3) * n / 4, np.ones(n)]
        upper = (rng.random(cols) > 0.2).astype(float)
        ref = linprog(c, A_ub=a, b_ub=b, bounds=list(zip(np.zeros(cols), upper)), method="highs")
        x, duals = solve_lp(c, a, b, upper)
        if to_the_bit:
            assert np.array_equal(x, ref.x) and np.array_equal(duals, ref.ineqlin.marginals)
        assert c @ x == pytest.approx(ref.fun, rel=1e-9, abs=1e-12)


def test_the_programme_solver_by_hand_and_as_scipy_milp():
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import csc_array

    from spaceground.policies.lp import solve_milp

    # By hand: a knapsack of weight 5; items (weight, value) (2, 5), (3, 4), (1, 3): the first two (9) beat
    # the first and last (8); all three weigh 6. Its relaxation takes a third of the last item as well.
    a = csc_array(np.array([[2.0, 3.0, 1.0]]))
    c = np.array([-5.0, -4.0, -3.0])
    status, x, dual = solve_milp(c, a, [-np.inf], [5.0], np.zeros(3), np.ones(3), np.ones(3), 60.0, 0.0)
    assert status == "optimal" and x.tolist() == [1.0, 1.0, 0.0] and dual == pytest.approx(-9.0)
    status, x, dual = solve_milp(c, a, [-np.inf], [5.0], np.zeros(3), np.ones(3), np.zeros(3), 60.0, 0.0)
    assert x.tolist() == pytest.approx([1.0, 2.0 / 3.0, 1.0]) and dual is None  # 5 + 8/3 + 3
    status, x, _ = solve_milp(c, a, [6.5], [np.inf], np.zeros(3), np.ones(3), np.ones(3), 60.0, 0.0)
    assert status == "infeasible" and x is None  # weight 6 at most
    # The model and options scipy.optimize.milp hands HiGHS: the same plans on random assignment-like
    # programmes (to the bit when scipy carries the pinned HiGHS, else the same optimum).
    to_the_bit = _scipy_carries_the_pinned_highs()
    rng = np.random.default_rng(11)
    for _ in range(20):
        items, bins = int(rng.integers(4, 12)), int(rng.integers(2, 4))
        cols = items * bins
        c = -rng.random(cols)
        rows = np.zeros((items + bins, cols))
        for i in range(items):
            rows[i, i * bins : (i + 1) * bins] = 1.0  # each item in at most one bin
        for b in range(bins):
            rows[items + b, b::bins] = rng.uniform(1, 5, items)  # each bin's capacity
        upper_rows = np.r_[np.ones(items), rng.uniform(4, 10, bins)]
        ref = milp(
            c, integrality=np.ones(cols), bounds=Bounds(0, 1), constraints=LinearConstraint(rows, -np.inf, upper_rows)
        )
        status, x, _ = solve_milp(
            c,
            csc_array(rows),
            np.full(items + bins, -np.inf),
            upper_rows,
            np.zeros(cols),
            np.ones(cols),
            np.ones(cols),
            60.0,
            1e-4,
        )
        assert status == "optimal" and c @ x == pytest.approx(ref.fun, rel=1e-4)
        if to_the_bit:
            assert np.array_equal(x, ref.x)
