"""Items move hop by hop: a route through another satellite, checked by hand against a link-window table built
by hand (an inter-satellite window whose rate steps inside it, then a downlink, backhaul and a data centre)."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from spaceground.links import LinkWindows, great_circle_km
from spaceground.policies import GROUND, PolicyError, Route, offload, relay
from spaceground.results import build_results
from spaceground.simulate import execute, prepare

from .test_engine import check_bytes_add_up, check_energy_adds_up, check_invariants, tiny

RAW_B = 1.5e9
PRODUCT_B = 6e6
T_CAPTURE_S = 100.0
# Inter-satellite window 0 -> 1 from 200 s to 500 s: 100 Mbit/s, stepping down to 40 Mbit/s at 300 s.
ISL = dict(start=200.0, end=500.0, steps=((200.0, 100e6), (300.0, 40e6)))
# Downlink window of satellite 1 over the station from 1000 s to 2000 s: 50 Mbit/s, then 200 Mbit/s from 1050 s.
DOWN = dict(start=1000.0, end=2000.0, steps=((1000.0, 50e6), (1050.0, 200e6)))


def _table():
    """The two windows as one link-window table (downlink rows first, by satellite)."""
    rows = [("downlink", 1, 0, DOWN), ("inter-satellite", 0, 1, ISL)]
    t = [s for *_, w in rows for s, _ in w["steps"]]
    r = [b for *_, w in rows for _, b in w["steps"]]
    first = np.r_[0, np.cumsum([len(w["steps"]) for *_, w in rows])]
    return LinkWindows(
        [k for k, *_ in rows],
        [a for _, a, _, _ in rows],
        [b for _, _, b, _ in rows],
        [w["start"] for *_, w in rows],
        [w["end"] for *_, w in rows],
        t,
        r,
        first,
    )


def _run(compute="ground", via=(1,), raw=RAW_B):
    loaded = tiny(
        f"tests.policies_for_tests:RouteOf, params: {{via: {list(via)}, compute: {compute}}}",
        sats='"SENTINEL-2A", "SENTINEL-2B"',
        hours=1,
    )
    model, inputs = prepare(loaded)
    assert [s.name for s in model.constellation] == ["SENTINEL-2A", "SENTINEL-2B"]
    one = inputs.captures.iloc[[0]].copy() if len(inputs.captures) else None
    assert one is not None, "the tiny scenario should capture something to copy the row of"
    one[["capture_id", "time_s", "sat", "raw_bytes", "product_bytes"]] = [0, T_CAPTURE_S, 0, raw, PRODUCT_B]
    one["deadline_s"] = 3000.0
    inputs = replace(inputs, links=_table(), captures=one.reset_index(drop=True))
    records, info = execute(model, inputs)
    res = build_results(model, inputs, records, info)
    check_invariants(res, model)
    return model, inputs, res


def test_a_relayed_capture_crosses_to_the_next_satellite_then_goes_down_and_to_the_data_centre_by_hand():
    model, inputs, res = _run("ground")
    hw0, hw1 = model.hardware
    # Crossing: 1.0e10 bits in the 100 s at 100 Mbit/s, the other 2.0e9 bits at 40 Mbit/s: 50 s more.
    bits = 8 * RAW_B
    crossed_s = 300.0 + (bits - 100e6 * 100.0) / 40e6
    assert crossed_s == 350.0
    x = res.isl_transfers
    assert list(x.satellite) == ["SENTINEL-2A"] and list(x.to_satellite) == ["SENTINEL-2B"]
    start = res.workloads.capture_utc.iloc[0] - pd.Timedelta(seconds=T_CAPTURE_S)  # the span start
    assert (x.start_utc.iloc[0] - start).total_seconds() == pytest.approx(200.0, abs=1e-6)
    assert (x.end_utc.iloc[0] - start).total_seconds() == pytest.approx(crossed_s, abs=1e-6)
    assert x.bytes.sum() == pytest.approx(RAW_B)
    # Downlink from satellite 1: 2.5e9 bits in the 50 s at 50 Mbit/s, the other 9.5e9 at 200 Mbit/s: 47.5 s.
    down_end_s = 1050.0 + (bits - 50e6 * 50.0) / 200e6
    assert down_end_s == 1097.5
    d = res.downlinks
    assert list(d.satellite.unique()) == ["SENTINEL-2B"] and d.bytes.sum() == pytest.approx(RAW_B)
    w = res.workloads.iloc[0]
    assert w.decision == "ground" and w.status == "delivered" and w.station == "SVALBARD"
    assert (w.downlink_start_utc - start).total_seconds() == pytest.approx(1000.0, abs=1e-6)
    assert (w.downlink_end_utc - start).total_seconds() == pytest.approx(down_end_s, abs=1e-6)
    # Backhaul to the data centre (Oslo): fibre 1.5 x great circle at 4.9 us/km, plus 1.2e10 bits at 10 Gbit/s.
    km = great_circle_km(78.229772, 15.407786, 59.91, 10.75)
    backhaul_s = km * 1.5 * 4.9e-6 + bits / 10e9
    assert (w.backhaul_end_utc - w.downlink_end_utc).total_seconds() == pytest.approx(backhaul_s, abs=1e-6)
    # 3000 tera-ops on one 1000 TOPS server: 3 s.
    assert w.latency_s == pytest.approx(down_end_s + backhaul_s + 3.0 - T_CAPTURE_S, abs=1e-5)
    # Energy: the sender's laser terminal for the 150 s it sent; the relay's radio for the 97.5 s it sent.
    assert w.energy_onboard_j == pytest.approx(hw0.capture_j)
    e = res.energy
    check_energy_adds_up(res, model)
    check_bytes_add_up(res)
    # Storage: the capture on satellite 0 from 100 s to 350 s, then on satellite 1 until it is down.
    at = (e.time_utc - start).dt.total_seconds()
    s0, s1 = e[e.satellite == "SENTINEL-2A"], e[e.satellite == "SENTINEL-2B"]
    assert s0[at[s0.index] < T_CAPTURE_S].storage_bytes.max() == 0.0
    assert s0[(at[s0.index] >= T_CAPTURE_S) & (at[s0.index] < crossed_s)].storage_bytes.max() == RAW_B
    assert s0[at[s0.index] >= crossed_s].storage_bytes.max() == 0.0
    assert s1[at[s1.index] < crossed_s].storage_bytes.max() == 0.0
    assert s1[(at[s1.index] >= crossed_s) & (at[s1.index] < down_end_s)].storage_bytes.max() == RAW_B
    assert s1[at[s1.index] >= down_end_s].storage_bytes.iloc[-1] == 0.0
    assert hw1.laser_w > 0 and hw0.tx_w > 0


def test_an_offloaded_capture_is_computed_on_the_satellite_it_crossed_to():
    model, _, res = _run("onboard")
    hw1 = model.hardware[1]
    w = res.workloads.iloc[0]
    start = w.capture_utc - pd.Timedelta(seconds=T_CAPTURE_S)
    # Computed on satellite 1 from the crossing's end (350 s): 3000 tera-ops at its compute_tops.
    run_s = 3000.0 / hw1.compute_tops
    assert (w.onboard_start_utc - start).total_seconds() == pytest.approx(350.0, abs=1e-6)
    assert (w.onboard_end_utc - start).total_seconds() == pytest.approx(350.0 + run_s, abs=1e-6)
    # The 6 MB product goes down from satellite 1 when its window opens: 4.8e7 bits at 50 Mbit/s.
    assert (w.delivered_utc - start).total_seconds() == pytest.approx(1000.0 + 8 * PRODUCT_B / 50e6, abs=1e-6)
    assert list(res.downlinks.satellite) == ["SENTINEL-2B"] and w.status == "delivered"
    assert w.energy_onboard_j == pytest.approx(model.hardware[0].capture_j + hw1.compute_busy_w * run_s)
    check_energy_adds_up(res, model)
    check_bytes_add_up(res)


def test_a_crossing_cut_by_its_window_end_goes_on_in_no_other_and_stays_with_the_sender():
    # 4 GB cannot cross in the window (1e10 + 8e9 bits fit): the rest waits; the bytes stay on satellite 0.
    _, _, res = _run("ground", raw=4e9)
    sent = res.isl_transfers.bytes.sum()
    assert sent == pytest.approx((100e6 * 100.0 + 40e6 * 200.0) / 8)
    w = res.workloads.iloc[0]
    assert w.status == "queued_crossing" and res.downlinks.empty
    assert res.energy[res.energy.satellite == "SENTINEL-2A"].storage_bytes.iloc[-1] == 4e9


@pytest.mark.parametrize(
    "route, words",
    [
        ("onboard", "decisions are typed, not words"),
        (Route("orbit"), "computes at one of"),
        (Route("ground", (0,)), "a hop from a satellite to itself"),
        (Route("ground", (7,)), "satellite indices 0..1"),
        (Route("ground", [1]), "via must be a tuple"),
    ],
)
def test_a_route_the_engine_cannot_follow_is_refused_with_what_to_return(route, words):
    from spaceground.policies.routes import check_decision

    with pytest.raises(PolicyError, match=words):
        check_decision(
            route,
            policy_name="p",
            capture_id=3,
            now_s=1.0,
            workload="w",
            onboard_allowed=True,
            satellite=0,
            n_satellites=2,
        )
    assert relay(1) == Route("ground", (1,)) and offload(1).compute == "onboard" and GROUND.via == ()
