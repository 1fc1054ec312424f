"""The link-window table: rates, capacities and send times by hand, and the engine reading a window whose
rate changes inside it."""

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from spaceground.links import LinkWindows
from spaceground.results import build_results
from spaceground.simulate import execute, prepare

from .test_engine import check_invariants, tiny


def stepped():
    # Row 0: 100 s to 400 s at 80 Mbit/s, then 20 Mbit/s from 200 s, 0 from 300 s. Row 1: constant 10 Mbit/s.
    return LinkWindows(
        ["downlink", "downlink"],
        [0, 1],
        [0, 0],
        [100.0, 50.0],
        [400.0, 60.0],
        [100.0, 200.0, 300.0, 50.0],
        [80e6, 20e6, 0.0, 10e6],
        [0, 3, 4],
    )


def test_capacity_rate_and_send_time_by_hand():
    lw = stepped()
    assert [lw.rate_at(0, t) for t in (100.0, 199.9, 200.0, 350.0)] == [80e6, 80e6, 20e6, 0.0]
    # 150 -> 250 s: 50 s at 80 Mbit/s (500 MB) and 50 s at 20 Mbit/s (125 MB).
    assert lw.capacity_between(0, 150.0, 250.0) == pytest.approx(500e6 + 125e6)
    assert lw.capacity_between(0, 0.0, 1e9) == pytest.approx(100 * 10e6 + 100 * 2.5e6)  # clipped to the window
    assert lw.capacity_between(0, 320.0, 390.0) == 0.0
    assert lw.capacity_between(1, 50.0, 60.0) == pytest.approx(10 * 10e6 / 8)
    assert list(lw.capacity_bytes()) == pytest.approx([1000e6 + 250e6, 12.5e6])
    # 700 MB from 150 s: 500 MB by 200 s, the other 200 MB at 2.5 MB/s takes 80 s: 130 s in all.
    assert lw.time_to_send(0, 150.0, 700e6) == pytest.approx(130.0)
    assert lw.time_to_send(0, 150.0, 1000e6) == math.inf  # the rate drops to 0 before it is sent
    assert lw.time_to_send(1, 55.0, 25e6) == pytest.approx(20.0)  # the last step holds on past the end
    one = lw.take([0])
    assert len(one) == 1 and list(one.capacity_bytes()) == pytest.approx([1250e6])
    with pytest.raises(ValueError, match="first rate step must start with it"):
        LinkWindows(["downlink"], [0], [0], [0.0], [10.0], [5.0], [1.0], [0, 1])
    with pytest.raises(ValueError, match="different lengths"):
        LinkWindows(["downlink"], [0, 1], [0], [0.0], [10.0], [0.0], [1.0], [0, 1])


def test_the_engine_sends_through_a_window_whose_rate_changes_inside_it():
    # The first capture goes down from its culmination at 160 Mbit/s; the window's rate drops to 40 Mbit/s
    # 10 s later. 600 MB = 4800 Mbit: 1600 Mbit in the first 10 s, the other 3200 Mbit take 80 s: 90 s in all
    # (30 s at a constant 160 Mbit/s).
    model, inputs = prepare(tiny("ground-only", hours=24))
    first = inputs.captures.sort_values("time_s").iloc[0]
    lw = inputs.links
    k = int(first.sat)
    rows = np.flatnonzero((lw.sender == k) & (lw.start_s <= first.time_s) & (lw.end_s > first.time_s))
    assert len(rows) == 1
    row = int(rows[0])
    step = first.time_s + 10.0
    n = len(lw)
    t = np.r_[lw.start_s[:row], lw.start_s[row], step, lw.start_s[row + 1 :]]
    r = np.r_[lw.rate_bps[:row], 160e6, 40e6, lw.rate_bps[row + 1 :]]
    profile = np.r_[np.arange(row + 1), np.arange(row + 1, n + 1) + 1]
    changed = LinkWindows(lw.kind, lw.sender, lw.receiver, lw.start_s, lw.end_s, t, r, profile)
    inputs = replace(inputs, links=changed)
    records, info = execute(model, inputs)
    res = build_results(model, inputs, records, info, scene=False)
    w = res.workloads.set_index("capture_id").loc[int(first.capture_id)]
    assert (w.downlink_end_utc - w.downlink_start_utc).total_seconds() == pytest.approx(90.0, abs=1e-6)
    window = res.contacts.iloc[row]
    assert window.capacity_bytes == pytest.approx(
        (step - lw.start_s[row]) * 160e6 / 8 + (lw.end_s[row] - step) * 40e6 / 8
    )
    check_invariants(res, model)
    assert isinstance(res.contacts.aos_utc.iloc[0], pd.Timestamp)


def test_a_planning_policy_sees_the_rate_steps_of_a_window():
    from spaceground.policies.planning import SatelliteTimeline
    from spaceground.policies.views import SatellitePlan

    one = stepped().take([0])  # 100-400 s: 80 Mbit/s, 20 from 200 s, 0 from 300 s
    plan = SatellitePlan(0, "S", 5400.0, None, (0,), (100.0,), (400.0,), (80e6,), (0.0,), (1.0,), one)
    tl = SatelliteTimeline(plan, 1000.0)
    assert tl.bytes_between(150.0, 250.0) == pytest.approx(500e6 + 125e6)  # by hand, as the table says
    assert tl.bytes_between(0.0, 1000.0) == pytest.approx(one.capacity_bytes()[0])
    t, station = tl.time_to_send(150.0, 700e6)
    assert t == pytest.approx(280.0) and station == 0  # 500 MB by 200 s, 200 MB more at 2.5 MB/s


def test_take_keeps_each_window_s_rate_profile():
    # Four windows with 2, 1, 3 and 1 rate steps; a selection in any order (repeats too) keeps each one's steps.
    table = LinkWindows(
        ["downlink"] * 4, [0, 0, 1, 1], [0, 1, 0, 1], [0, 10, 20, 30], [5, 15, 25, 35],
        [0, 2, 10, 20, 22, 24, 30], [1, 2, 3, 4, 5, 6, 7], [0, 2, 3, 6, 7],
    )  # fmt: skip
    for rows, rates, bounds in (
        ([3, 0, 2], [7, 1, 2, 4, 5, 6], [0, 1, 3, 6]),
        ([2, 2], [4, 5, 6, 4, 5, 6], [0, 3, 6]),
        ([1], [3], [0, 1]),
        ([], [], [0]),
    ):
        part = table.take(rows)
        assert part.rate_bps.tolist() == rates and part.profile_start.tolist() == bounds
        assert part.start_s.tolist() == [table.start_s[r] for r in rows]
