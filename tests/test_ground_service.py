"""Ground stations as they are bought and run: outages cut the windows, passes are priced."""

import json
import math
import os

import numpy as np
import pandas as pd
import pytest

from spaceground.api import run_scenario
from spaceground.links import cut_windows
from spaceground.scenario import ScenarioError
from spaceground.simulate import validate_scenario

from .test_engine import tiny

ROOT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SVALBARD_LINE = "  - {id: SVALBARD, antennas: 1}"


def _sentinel_2a_day(policy="ground-only", stations=SVALBARD_LINE, extra="", objective=""):
    """The engine tests' tiny scenario for Sentinel-2A over a day, with ``stations`` in place of its one Svalbard
    antenna, ``extra`` workload classes and an ``objective`` line; code from the scenario allowed (test policies)."""
    from spaceground.scenario import parse_scenario

    from .test_engine import ROOT, TINY

    body = TINY.format(policy=policy, sats='"SENTINEL-2A"', hours=24, antennas=1, hardware="", extra=extra)
    body = body.replace(SVALBARD_LINE, stations) + objective
    return parse_scenario(body, "tiny.yaml", ROOT).with_overrides(allow_code=True)


def test_cut_windows_keeps_exactly_the_times_outside_the_outages():
    rng = np.random.default_rng(5)
    starts = np.sort(rng.uniform(0, 1000, 40))
    ends = starts + rng.uniform(0, 80, 40)
    station = rng.integers(0, 3, 40)
    outages = []
    for _ in range(3):
        cuts = np.sort(rng.uniform(0, 1100, 8)).reshape(-1, 2)
        outages.append(tuple(map(tuple, cuts.tolist())))
    sat, st, a, b = cut_windows(np.arange(40), station, starts, ends, outages)
    grid = np.arange(0.0, 1100.0, 0.25) + 0.125  # brute force on a fine grid, off every edge
    for k in range(40):
        inside = (grid > starts[k]) & (grid < ends[k])
        for c, d in outages[station[k]]:
            inside &= ~((grid > c) & (grid < d))
        kept = np.zeros_like(grid, dtype=bool)
        for lo, hi in zip(a[sat == k], b[sat == k]):
            kept |= (grid > lo) & (grid < hi)
        assert (kept == inside).all(), k
    assert (b > a).all() and (st == station[sat]).all()


OUTAGE = """
stations:
  - {id: SVALBARD, outages: [{start_utc: "2025-10-03T14:00:00Z", end_utc: "2025-10-03T20:00:00Z", reason: maintenance}]}
"""


def test_an_outage_removes_the_station_for_its_hours_and_nothing_else():
    base = run_scenario(tiny("ground-only"))
    cut = run_scenario(_with_outage())
    lo, hi = pd.Timestamp("2025-10-03T14:00:00Z"), pd.Timestamp("2025-10-03T20:00:00Z")
    c = cut.contacts
    assert not ((c.aos_utc < hi) & (c.los_utc > lo)).any()  # no window overlaps the outage
    d = cut.downlinks
    assert not ((d.start_utc < hi) & (d.end_utc > lo)).any()
    # Contact time lost = the geometric windows' overlap with the outage, by hand.
    b = base.contacts
    overlap = (np.minimum(b.los_utc, hi) - np.maximum(b.aos_utc, lo)).dt.total_seconds().clip(lower=0).sum()
    assert c.duration_s.sum() == pytest.approx(b.duration_s.sum() - overlap, abs=1e-3)
    assert overlap > 1200  # the outage took several passes (about 10 min each)
    # Outside the outage the windows are the same.
    keep = (b.los_utc <= lo) | (b.aos_utc >= hi)
    assert set(b[keep].aos_utc) <= set(c.aos_utc)


def _with_outage():
    from spaceground.scenario import parse_scenario

    from .test_engine import ROOT, TINY

    body = TINY.format(policy="ground-only", sats='"SENTINEL-2A"', hours=24, antennas=1, hardware="", extra="")
    body = body.replace("stations:\n  - {id: SVALBARD, antennas: 1}\n", OUTAGE.lstrip("\n"))
    assert "outages" in body
    return parse_scenario(body, "tiny.yaml", ROOT)


def test_a_priced_station_bills_each_used_pass_and_the_objective_pays_it():
    weight = "objective: {cost_weight_per_cny: 0.001}\n"
    station = "  - {id: SVALBARD, antennas: 1, price_cny_per_min: 20, price_cny_per_pass: 150}"
    res = run_scenario(_sentinel_2a_day(stations=station, objective=weight))
    c = res.contacts
    used = c[c.used_s > 0]
    assert len(used) >= 2 and len(used) < len(c)  # some passes carry nothing and cost nothing
    by_hand = (150 + 20 * np.ceil(used.duration_s / 60)).sum()  # minutes rounded up
    assert res.metrics["station_cost_cny"] == pytest.approx(by_hand, rel=1e-12)
    assert (c[c.used_s == 0].station_cost_cny == 0).all()
    free = run_scenario(_sentinel_2a_day(objective=weight))
    assert free.metrics["station_cost_cny"] == 0
    # The same schedule (prices do not change ground-only's choices); net value pays the bill at the weight.
    assert free.metrics["value_delivered"] == res.metrics["value_delivered"]
    assert free.metrics["net_value"] - res.metrics["net_value"] == pytest.approx(0.001 * by_hand, rel=1e-9)


def test_an_outage_that_ends_before_it_starts_is_refused(tmp_path):
    from .test_engine import TINY

    body = TINY.format(policy="ground-only", sats='"SENTINEL-2A"', hours=24, antennas=1, hardware="", extra="")
    body = body.replace(
        "  - {id: SVALBARD, antennas: 1}",
        '  - {id: SVALBARD, outages: [{start_utc: "2025-10-03T20:00:00Z", end_utc: "2025-10-03T14:00:00Z"}]}',
    )
    path = tmp_path / "bad.yaml"
    path.write_text(body)
    with pytest.raises(ScenarioError, match=r"stations\.0\.outages\.0.*end_utc 2025-10-03T14:00:00Z is not after"):
        validate_scenario(str(path))


def test_of_two_passes_open_at_once_the_engine_sends_through_the_one_that_costs_nothing():
    twins = (
        "  - {id: BOUGHT, lat_deg: 78.23, lon_deg: 15.41, price_cny_per_min: 100}\n"
        "  - {id: OWNED, lat_deg: 78.23, lon_deg: 15.41}"
    )
    res = run_scenario(_sentinel_2a_day(stations=twins))
    # The same site: every window opens at both at once, and the free one is always there.
    by = res.contacts.groupby("station").bytes.sum()
    assert by["OWNED"] > 0 and by["BOUGHT"] == 0 and res.metrics["station_cost_cny"] == 0
    # The policies see the prices: on a pass choice, and in the plan's stations.
    from spaceground.policies.views import OpenPass

    assert OpenPass(0, 0.0, 60.0, 1e6).price_cny == 0.0


# Captures every few minutes, some during a pass: the policy is asked again in a pass it has booked.
STRIPS = """  - name: strip
    trigger: {rate_per_sat_per_h: 30}
    daylight_only: false
    raw_mb: 3000
    product_mb: 30
"""


def test_a_policy_choosing_passes_is_offered_each_pass_at_its_price_until_it_is_booked(tmp_path):
    twins = (
        "  - {id: BOUGHT, lat_deg: 78.23, lon_deg: 15.41, price_cny_per_min: 100, price_cny_per_pass: 7}\n"
        "  - {id: OWNED, lat_deg: 78.23, lon_deg: 15.41}"
    )
    policy = f"tests.policies_for_tests:PricesSeen, params: {{path: {tmp_path / 'seen.json'}}}"
    res = run_scenario(_sentinel_2a_day(policy, stations=twins, extra=STRIPS))
    offers = [p for choice in json.loads((tmp_path / "seen.json").read_text()) for p in choice]
    bought = [(a, b, price) for station, a, b, price in offers if station == 0]
    assert all(price == 0.0 for station, _, _, price in offers if station == 1)
    # Each BOUGHT window is offered at 7 + 100 per started minute until it carries something, then at nothing.
    for a, b, price in bought:
        assert price in (0.0, 7 + 100 * math.ceil((b - a) / 60 - 1e-9))
    used = res.contacts[(res.contacts.station == "BOUGHT") & (res.contacts.used_s > 0)]
    assert len(used) > 0
    assert res.metrics["station_cost_cny"] == pytest.approx((7 + 100 * np.ceil(used.duration_s / 60)).sum())
    assert any(price > 0 for _, _, price in bought) and any(price == 0 for _, _, price in bought)


def test_a_booking_lead_time_books_passes_ahead_when_data_waits_and_closes_the_rest():
    # Scenes captured over Svalbard itself: two hours before a pass the satellite often holds nothing.
    station = "  - {id: SVALBARD, antennas: 1, booking_lead_h: 2, price_cny_per_min: 10, price_cny_per_pass: 50}"
    res = run_scenario(_sentinel_2a_day(stations=station))
    c, w, d = res.contacts, res.workloads, res.downlinks
    start = pd.Timestamp("2025-10-03T12:00:00Z")
    lead = pd.Timedelta(hours=2)
    n_checked, outcomes = 0, set()
    for row in c.itertuples():
        t_book = row.aos_utc - lead
        if t_book < start:
            assert not row.booked and row.used_s == 0  # too late to book: a pass before the run could book it
            continue
        # By hand from the tables: did the satellite hold data for downlink at the booking time?
        end = w.downlink_end_utc.fillna(pd.Timestamp.max.tz_localize("UTC"))
        waiting = bool(((w.capture_utc <= t_book) & (end > t_book)).any())
        assert row.booked == waiting, (row.aos_utc, waiting)
        n_checked += 1
        outcomes.add(waiting)
        if not waiting:  # closed: nothing goes down in it
            assert row.used_s == 0
    assert n_checked >= 5 and outcomes == {True, False}
    # Every transmission lies in a booked window; a booked window is billed whether used or not.
    for row in d.itertuples():
        assert ((c.aos_utc <= row.start_utc) & (c.los_utc >= row.end_utc) & c.booked).any()
    bill = (50 + 10 * np.ceil(c.duration_s[c.booked] / 60)).sum()
    assert res.metrics["station_cost_cny"] == pytest.approx(bill)


def test_free_pass_first_waits_only_when_the_free_pass_meets_every_deadline():
    from types import SimpleNamespace as NS

    from spaceground.policies.passes import FreePassFirst
    from spaceground.policies.views import OpenPass, QueuedItem

    # Station 0 bought, station 1 owned; the satellite's owned pass opens at 1000 s for 600 s at 8 Mbit/s.
    plan = NS(
        stations=[
            NS(price_per_min_cny=10.0, price_per_pass_cny=0.0),
            NS(price_per_min_cny=0.0, price_per_pass_cny=0.0),
        ],
        satellites=[
            NS(
                window_station=(0, 1),
                window_aos_s=(0.0, 1000.0),
                window_los_s=(600.0, 1600.0),
                window_rate_bps=(8e6, 8e6),
            )
        ],
    )
    choose = FreePassFirst(plan)
    bought = OpenPass(0, 0.0, 600.0, 8e6, 60.0)

    def view(queue, passes=(bought,)):
        return NS(now_s=100.0, passes=passes, satellite=NS(index=0, queue=queue))

    # 100 MB at 8 Mbit/s take 100 s: done at 1100 s in the owned pass.
    assert choose(view([QueuedItem(1, "raw", 100e6, 1200.0, 1.0)])) is None  # 1100 <= 1200: wait
    assert choose(view([QueuedItem(1, "raw", 100e6, 1050.0, 1.0)])) == 0  # 1100 > 1050: buy now
    assert choose(view([QueuedItem(1, "raw", 700e6, 9e9, 1.0)])) == 0  # 700 s > the 600 s pass: buy now
    # A free pass open now is taken at once; and one already booked costs nothing more.
    assert choose(view([QueuedItem(1, "raw", 1e6, 9e9, 1.0)], (bought, OpenPass(1, 50.0, 700.0, 8e6, 0.0)))) == 1
    assert choose(view([QueuedItem(1, "raw", 1e6, 50.0, 1.0)], (OpenPass(0, 0.0, 600.0, 8e6, 0.0),))) == 0


def test_lookahead_buys_less_station_time_and_loses_less_value_than_it_saves():
    from spaceground.policies import passes

    path = os.path.join(ROOT_DIR, "scenarios", "tasking-and-ground-service.yaml")
    waits = run_scenario(path).metrics
    original = passes.FreePassFirst.any_priced
    try:
        passes.FreePassFirst.any_priced = property(lambda self: False)  # the engine's cheapest-open-pass rule alone
        buys = run_scenario(path).metrics
    finally:
        passes.FreePassFirst.any_priced = original
    assert waits["station_cost_cny"] < 0.9 * buys["station_cost_cny"]
    # What it gave up (scenes whose value was below the pass that would have saved them) is less than it saved.
    lost = buys["value_delivered"] - waits["value_delivered"]
    saved = 0.001 * (buys["station_cost_cny"] - waits["station_cost_cny"])  # the scenario's cost weight
    assert 0 <= lost < saved and waits["net_value"] > buys["net_value"]


def _priced_tiny(policy, price_per_pass, weight=0.01, lead_h=0):
    station = f"  - {{id: SVALBARD, antennas: 1, price_cny_per_pass: {price_per_pass}, booking_lead_h: {lead_h}}}"
    return _sentinel_2a_day(policy, stations=station, objective=f"objective: {{cost_weight_per_cny: {weight}}}\n")


def test_milp_optimal_buys_a_pass_only_where_what_it_carries_is_worth_its_price():
    from spaceground.study import upper_bound

    # Scenes of value 1 captured over Svalbard at 12:29, 17:27 and 19:07 (and one at the span's end), due in 10 h;
    # every pass is bought at 0.01 x price. By hand: all three fit in one pass after 19:07 and before 22:29, so
    # the best is one pass, 3 - 0.01 x price, when that is positive, else nothing at all.
    runs = {}
    for price in (10, 150, 1000):
        res = run_scenario(_priced_tiny("milp-optimal", price))
        w = res.workloads
        assert w.capture_utc.iloc[:3].dt.strftime("%H:%M").tolist() == ["12:29", "17:27", "19:07"]
        runs[price] = m = res.metrics
        best = max(3 - 0.01 * price, 0.0)
        assert m["net_value"] == pytest.approx(best, abs=1e-9)
        assert m["station_cost_cny"] == (price if best > 0 else 0)
        bound = upper_bound(_priced_tiny("milp-optimal", price))["bound"]
        assert bound >= m["net_value"] - 1e-6
    # ground-only buys every pass that carries a scene: four, whatever they cost.
    greedy = run_scenario(_priced_tiny("ground-only", 150)).metrics
    assert greedy["station_cost_cny"] == 600 and greedy["net_value"] == pytest.approx(
        3 - 6.0, abs=1e-3
    )  # and the data centre's energy
    assert runs[150]["net_value"] > greedy["net_value"]


def test_lookahead_buys_no_pass_whose_price_exceeds_the_value_at_risk():
    dear = run_scenario(_priced_tiny("lookahead", 1000)).metrics  # 10 a pass against scenes of value 1
    assert dear["station_cost_cny"] == 0 and dear["net_value"] == 0
    cheap = run_scenario(_priced_tiny("lookahead", 10)).metrics  # 0.1 a pass: every scene is worth a pass
    assert cheap["value_delivered"] == 3 and cheap["net_value"] == pytest.approx(3 - 0.1 * 4)


def test_free_pass_first_weighs_the_value_at_risk_against_the_price():
    from types import SimpleNamespace as NS

    from spaceground.policies.passes import FreePassFirst
    from spaceground.policies.views import OpenPass, QueuedItem

    # Station 0 bought, station 1 owned: owned passes at 1000-1600 s and 5000-5600 s, 8 Mbit/s (600 MB a pass).
    plan = NS(
        stations=[NS(price_per_min_cny=0.0, price_per_pass_cny=40.0), NS(price_per_min_cny=0.0, price_per_pass_cny=0)],
        satellites=[
            NS(
                window_station=(0, 1, 1),
                window_aos_s=(0.0, 1000.0, 5000.0),
                window_los_s=(600.0, 1600.0, 5600.0),
                window_rate_bps=(8e6, 8e6, 8e6),
            )
        ],
        objective=NS(cost_weight_per_cny=0.1),  # the pass costs 4 in value
    )
    policy = FreePassFirst(plan)
    a = QueuedItem(1, "raw", 500e6, 1550.0, 3.0)  # done at 1500 s in the first owned pass: safe
    b = QueuedItem(2, "raw", 200e6, 1700.0, 5.0)  # after a: 100 MB at 1600 s, the rest at 5100 s: late
    c = QueuedItem(3, "raw", 100e6, 9000.0, 2.0)  # done at 5200 s in the second owned pass: safe
    assert policy.value_at_risk(0, 100.0, [c, b, a]) == 5.0  # by hand: only b
    assert policy.value_at_risk(0, 100.0, [c, a]) == 0.0
    bought = OpenPass(0, 0.0, 600.0, 8e6, 40.0)

    def view(queue):
        return NS(now_s=100.0, passes=(bought,), satellite=NS(index=0, queue=queue))

    assert policy(view([a, b, c])) == 0  # 5 at risk > 4: buy
    assert policy(view([a, QueuedItem(2, "raw", 200e6, 1700.0, 3.5), c])) is None  # 3.5 < 4: wait, lose it
    # Booking ahead: the same weighing from the pass's start; an item due before the pass starts does not count.
    ahead = OpenPass(0, 1500.0, 2100.0, 8e6, 40.0)
    assert policy.book_pass(NS(now_s=100.0, booking=ahead, satellite=NS(index=0, queue=[a, b, c])))
    due_before = QueuedItem(2, "raw", 200e6, 1400.0, 5.0)
    assert not policy.book_pass(NS(now_s=100.0, booking=ahead, satellite=NS(index=0, queue=[due_before])))
    assert not policy.book_pass(NS(now_s=100.0, booking=ahead, satellite=NS(index=0, queue=[])))


def test_the_engine_asks_book_pass_at_the_lead_time_and_opens_only_the_passes_booked(tmp_path):
    path = tmp_path / "asked.json"
    policy = f"tests.policies_for_tests:BooksEveryOther, params: {{path: {path}}}"
    res = run_scenario(_priced_tiny(policy, 50, lead_h=2))
    asked = json.loads(path.read_text())
    c = res.contacts.reset_index(drop=True)
    start = pd.Timestamp("2025-10-03T12:00:00Z")
    aos_s = (c.aos_utc - start).dt.total_seconds()
    assert len(asked) >= 3
    booked_aos = []
    for i, (now, a, b, price, queued) in enumerate(asked):
        assert now == pytest.approx(a - 7200.0) and queued > 0  # asked at the lead time, only with data waiting
        assert price == 50.0 and b > a
        if i % 2 == 0:
            booked_aos.append(a)
    # The passes it said yes to are booked and billed; the others stay closed.
    assert sorted(aos_s[c.booked].tolist()) == pytest.approx(sorted(booked_aos))
    assert (c.used_s[~c.booked] == 0).all()
    assert res.metrics["station_cost_cny"] == pytest.approx(50.0 * len(booked_aos))


def test_the_capacity_ahead_leaves_out_the_passes_whose_booking_time_passed_without_a_booking(tmp_path):
    path = tmp_path / "seen.json"
    policy = f"tests.policies_for_tests:CapacitySeen, params: {{path: {path}}}"
    res = run_scenario(
        _sentinel_2a_day(policy, stations="  - {id: SVALBARD, antennas: 1, booking_lead_h: 2}", extra=STRIPS)
    )
    c = res.contacts
    start = pd.Timestamp("2025-10-03T12:00:00Z")
    aos = (c.aos_utc - start).dt.total_seconds().to_numpy()
    los = (c.los_utc - start).dt.total_seconds().to_numpy()
    seen = json.loads(path.read_text())
    assert len(seen) > 20 and (~c.booked).any() and c.booked.any()
    for now, shown in seen:
        # By hand: what is left of each window after now, unless its booking time (start - 2 h) has passed and it
        # was not booked (the table's `booked` is final for those); one whose booking time is ahead counts.
        left = np.clip(los - np.maximum(aos, now), 0.0, None) / (los - aos) * c.capacity_bytes.to_numpy()
        open_for_it = c.booked.to_numpy() | (aos - 7200.0 >= now)
        assert shown == pytest.approx(left[open_for_it].sum(), rel=1e-9, abs=1.0), now
