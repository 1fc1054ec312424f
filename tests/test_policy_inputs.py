"""What a policy is given: read-only inputs, the future only for offline planners, its hardware in the
view, and an offline planner's plan beside what the engine made of it."""

import dataclasses
import json
import math

import pytest

from spaceground.api import run_scenario
from spaceground.simulate import prepare

from .test_engine import tiny


def snoop(name, tmp_path):
    return f"tests.policies_for_tests:{name}, params: {{path: {tmp_path / 'seen.json'}}}"


def test_online_policies_get_no_future_and_cannot_write_the_plan(tmp_path):
    res = run_scenario(tiny(snoop("Snoop", tmp_path), hours=24))
    seen = json.loads((tmp_path / "seen.json").read_text())
    assert seen["captures"] is None and seen["link_write"] == "refused"
    model, _ = prepare(tiny(hours=24))
    # The view carries the hardware (compute rate, radio rate and power): a policy needs no numbers of its own.
    assert seen["hardware"] == json.loads(json.dumps(dataclasses.asdict(model.hardware[0])))
    assert len(res.workloads) > 0


def test_an_offline_planner_gets_a_copy_of_the_captures_the_engine_keeps(tmp_path):
    base = run_scenario(tiny("ground-only", hours=24))
    res = run_scenario(tiny(snoop("OfflineSnoop", tmp_path), hours=24))
    seen = json.loads((tmp_path / "seen.json").read_text())
    assert seen["captures"] == len(base.workloads) > 0  # it saw the run's captures (then moved its copy's) ...
    assert list(res.workloads.capture_utc) == list(base.workloads.capture_utc)  # ... the engine's did not move


def test_milp_optimal_reports_what_it_planned_beside_what_ran():
    res = run_scenario(tiny("milp-optimal", hours=24))
    m = res.metrics
    assert math.isfinite(m["planned_value"]) and m["planned_value"] > 0
    assert m["executed_over_planned"] == pytest.approx(m["net_value"] / m["planned_value"], rel=1e-12)
    assert res.run_info["policy_report"]["milp_objective"] == m["planned_value"]
    assert math.isnan(run_scenario(tiny("ground-only", hours=6)).metrics["planned_value"])
