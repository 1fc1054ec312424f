"""The power physics every user of it shares (engine, planning policies, MILP): the battery between events
and the energy floor, by hand."""

import pytest

from spaceground.power import FULL_SUN, ShadowPlan, battery_after_j, energy_floor_j


def test_battery_between_events_by_hand():
    # 40 W in, 25 W out for 100 s: +1500 J.
    assert battery_after_j(1000.0, 40.0, 25.0, 100.0, 10_000.0) == (2500.0, 4000.0, 2500.0, 0.0, 0.0)
    # Full: 9500 J + 1500 J into a 10,000 J battery curtails 1000 J.
    assert battery_after_j(9500.0, 40.0, 25.0, 100.0, 10_000.0) == (10_000.0, 4000.0, 2500.0, 1000.0, 0.0)
    # Empty: 500 J with 10 W net out for 100 s serves 500 J of the 1000 J asked; 500 J unserved.
    assert battery_after_j(500.0, 0.0, 10.0, 100.0, 10_000.0) == (0.0, 0.0, 500.0, 0.0, 500.0)


def test_the_shadow_ahead_and_the_floor_by_hand():
    # Sunlit to 100 s; penumbra 100-110, umbra 110-150, penumbra 150-160 (one 60 s shadow); sunlit to 500 s;
    # a partial shadow from 500 s still under way at the span end, 600 s (counted to the end: 100 s).
    shadows = ShadowPlan([0, 100, 110, 150, 160, 500], [1.0, 0.5, 0.0, 0.5, 1.0, 0.2], 600.0)
    assert [shadows.ahead_s(t) for t in (0.0, 99.0, 100.0, 120.0, 159.0, 160.0, 300.0, 550.0, 600.0)] == [
        60.0,
        60.0,
        60.0,
        40.0,
        1.0,
        100.0,
        100.0,
        50.0,
        0.0,
    ]
    assert energy_floor_j(1000.0, 7.0, shadows.ahead_s(0.0)) == 1000.0 + 7.0 * 60.0
    assert FULL_SUN == 0.999 and ShadowPlan([0], [0.9989], 10.0).ahead_s(0.0) == 10.0  # 0.9989 is not full sun


def test_engine_and_plan_meet_the_same_floor():
    # The engine's floor (its segment as its clock sees it) and a planning policy's (by time) agree on a real
    # satellite at every segment start and in between: one definition, no copy to drift.
    from spaceground.engine import Engine
    from spaceground.policies import make_policy
    from spaceground.policies.planning import SatelliteTimeline
    from spaceground.simulate import prepare

    from .test_engine import tiny

    model, inputs = prepare(tiny(hours=24))
    engine = Engine(model, inputs, make_policy("ground-only"))
    sat = engine.sats[0]
    timeline = SatelliteTimeline(Engine.plan(model, inputs).satellites[0], model.span.duration_s)
    for i, t0 in enumerate(sat.seg_t):
        sat.seg = i
        sat.fraction = sat.seg_f[i]
        for t in (t0, t0 + 1.0):
            assert sat.floor_j(t) == pytest.approx(timeline.floor_j(t), rel=0, abs=1e-9), (i, t)
