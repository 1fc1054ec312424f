"""The seed scenarios under every policy: engine invariants, the LP bound above every policy, compare."""

import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from spaceground.api import compare
from spaceground.engine import Engine
from spaceground.policies import available
from spaceground.policies.milp import upper_bound
from spaceground.results import TABLES, build_results
from spaceground.scenario import load_scenario, parse_scenario
from spaceground.simulate import execute, prepare, reseed

from .conftest import ROOT
from .golden import differences, run_hashes
from .test_engine import TINY, check_exclusivity, check_invariants

SEED_SCENARIOS = [
    "east-data-west-computing",
    "metro-1ms-latency-circle",
    "space-computing-constellation",
    "energy-constrained-region",
    "three-body-computing-constellation",
    "sentinel-edrs-relay",
    "optical-ground-network",
    "tasking-and-ground-service",
]
POLICIES = available()


@pytest.fixture(scope="module", params=SEED_SCENARIOS)
def scenario_runs(request):
    loaded = load_scenario(os.path.join(ROOT, "scenarios", f"{request.param}.yaml"))
    model, inputs = prepare(loaded)
    bound = upper_bound(Engine.plan(model, inputs, truth=True))["bound"]
    runs = {}
    for name in POLICIES:
        params = model.policy_params if name == model.policy_name else {}
        records, info = execute(model, inputs, name, params)
        runs[name] = build_results(model, inputs, records, info, scene=False)
    return request.param, model, bound, runs


def test_every_policy_keeps_the_engine_invariants(scenario_runs):
    name, model, _, runs = scenario_runs
    for policy, res in runs.items():
        check_invariants(res, model)
        check_exclusivity(res, model)
        assert res.metrics["captures"] > 100, f"{name} under {policy}: too few captures to mean anything"


def test_tables_hash_equal_to_the_committed_golden_tables(scenario_runs):
    # A change that alters any table of a bundled scenario under any policy must say so: regenerate
    # tests/data/golden_tables.json with tests/data/make_golden.py and explain each difference.
    name, _, _, runs = scenario_runs
    diffs = [d for policy, res in runs.items() for d in differences(name, policy, run_hashes(res))]
    assert not diffs, "\n".join(diffs)


def test_quickstart_tables_hash_equal_to_the_committed_golden_tables():
    loaded = load_scenario(os.path.join(ROOT, "scenarios", "quickstart.yaml"))
    model, inputs = prepare(loaded)
    diffs = []
    for name in POLICIES:
        records, info = execute(model, inputs, name, model.policy_params if name == model.policy_name else {})
        res = build_results(model, inputs, records, info, scene=False)
        check_invariants(res, model)
        diffs += differences("quickstart", name, run_hashes(res))
    assert not diffs, "\n".join(diffs)


def test_the_lp_bound_is_above_every_policy(scenario_runs):
    name, model, bound, runs = scenario_runs
    for policy, res in runs.items():
        assert res.metrics["net_value"] <= bound + 1e-6, f"{name}: {policy} beats the bound {bound}"


def test_no_policy_wins_every_metric(scenario_runs):
    # A real trade-off: the best on value is not also the best on onboard energy, ground cost and latency.
    name, _, _, runs = scenario_runs
    m = pd.DataFrame({p: r.metrics for p, r in runs.items()}).T
    best_value = m.net_value.astype(float).idxmax()
    others = {"energy_onboard_kwh": "min", "cost_cny": "min", "max_depth_of_discharge": "min"}
    wins = [
        m[c].astype(float).idxmin() == best_value or m[c].astype(float).min() == m.loc[best_value, c] for c in others
    ]
    assert not all(wins), f"{name}: {best_value} is best on value and on {list(others)}"
    # And the co-scheduling policies beat the bent pipe on value.
    assert m.loc["lookahead", "net_value"] > m.loc["ground-only", "net_value"]


def test_data_centre_power_limits_jobs_by_hand():
    # One satellite, one data centre of 2 servers x 500 TOPS (0.5 W/TOPS x 1.5 PUE: 375 W each) whose
    # supply allows one server (400 W): the jobs never overlap though there are two servers.
    extra = ""
    text = TINY.format(
        policy="ground-only", sats='"SENTINEL-2A", "SENTINEL-2B"', hours=24, antennas=2, hardware="", extra=extra
    )
    text = text.replace("capacity_tops: 1000, servers: 1,", "capacity_tops: 1000, servers: 2, available_power_kw: 0.4,")
    text = text.replace("compute_top: 3000", "compute_top: 600000")
    loaded = parse_scenario(text, "power.yaml", ROOT)
    model, inputs = prepare(loaded)
    assert model.datacenters[0].servers_at(0.0) == 1
    records, info = execute(model, inputs)
    res = build_results(model, inputs, records, info)
    jobs = res.datacenter_jobs.sort_values("start_utc")
    assert len(jobs) >= 3
    assert (jobs.start_utc.iloc[1:].to_numpy() >= jobs.end_utc.iloc[:-1].to_numpy()).all()
    assert (res.workloads.dc_queue_wait_s.dropna() > 0).any()  # someone waited for power


def test_reseed_gives_the_captures_of_a_fresh_run_with_that_seed():
    path = os.path.join(ROOT, "scenarios", "quickstart.yaml")
    model, inputs = prepare(load_scenario(path))
    _, again = reseed(model, inputs, 7)
    _, fresh = prepare(load_scenario(path).with_overrides(seed=7))
    pd.testing.assert_frame_equal(again.captures, fresh.captures)
    assert not again.captures.equals(inputs.captures)


def test_compare_command_writes_one_row_per_policy_and_seed(tmp_path):
    out = tmp_path / "cmp"
    cmd = [
        sys.executable,
        "-m",
        "spaceground.cli",
        "compare",
        os.path.join(ROOT, "scenarios", "quickstart.yaml"),
        "--policies",
        "ground-only,onboard-first,lookahead",
        "--seeds",
        "1-2",
        "-o",
        str(out),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "value/bound" in proc.stdout and "lookahead" in proc.stdout
    table = pd.read_parquet(out / "compare.parquet")
    assert len(table) == 6 and set(table.seed) == {1, 2}
    assert (table.value_over_bound <= 1 + 1e-9).all() and (table.value_over_bound > 0).all()
    info = json.loads((out / "compare.json").read_text())
    assert info["seeds"] == [1, 2] and len(info["scenario_sha256"]) == 64
    # The same rows from the API.
    api = compare(load_scenario(os.path.join(ROOT, "scenarios", "quickstart.yaml")), ["ground-only"], seeds=[2])
    row = table[(table.policy == "ground-only") & (table.seed == 2)].iloc[0]
    assert api.iloc[0].net_value == row.net_value and np.isclose(api.iloc[0].value_bound, row.value_bound)


def test_compare_rejects_bad_input_clearly(tmp_path):
    path = os.path.join(ROOT, "scenarios", "quickstart.yaml")
    for args, message in (
        (["--policies", "lookahed"], "did you mean 'lookahead'"),
        (["--policies", "lookahead", "--seeds", "5-1"], "is not a seed list"),
    ):
        proc = subprocess.run(
            [sys.executable, "-m", "spaceground.cli", "compare", path, *args, "-o", str(tmp_path)],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode != 0 and message in proc.stderr and "Traceback" not in proc.stderr


# A backlog a small battery cannot send in one go: 100 MB captures (5 s each at 160 Mbit/s) queue between passes;
# sending drains 200 + 1 - 50 = 149 W from a battery with 2 Wh above its floor, so runs meet the floor part way.
FLOOR_MID_RUN = (
    "solar_w: 50, battery_wh: 4, initial_soc: 1.0, min_soc: 0.5, bus_w: 1, tx_w: 200, capture_j: 0",
    "  - {name: small, trigger: {rate_per_sat_per_h: 30}, raw_mb: 100, compute_top: 100}",
)


@pytest.mark.parametrize("scenario", ["space-computing-constellation", "energy-constrained-region", "floor-mid-run"])
def test_downlink_runs_write_what_the_item_by_item_loop_writes(scenario, monkeypatch):
    # A downlink session sends its items a run at a time (their ends known in closed form, written by the clock
    # in time order); the reference is the item-by-item loop, one wake-up an item. Every table must be equal,
    # and the runs must have met what can happen to them: several items at once, a cut by a change of the
    # loads (a capture, an eclipse, the computer), items put back for new data or at the cut, the floor.
    from spaceground.engine.downlink import DownlinkMixin
    from spaceground.engine.runs import RunMixin

    seen = {"runs": 0, "long": 0, "put_back": 0}
    send_run, put_back = RunMixin._send_run, RunMixin._put_back

    def counting_run(self, sat, *args):
        seen["runs"] += 1
        seen["long"] += sat.run_len > 1 and len(sat.downlink_queue) > 1
        return (yield from send_run(self, sat, *args))

    def counting_put_back(sat, run, k):
        seen["put_back"] += run.stop - k
        put_back(sat, run, k)

    monkeypatch.setattr(RunMixin, "_send_run", counting_run)
    monkeypatch.setattr(RunMixin, "_put_back", staticmethod(counting_put_back))
    if scenario == "floor-mid-run":
        loaded = parse_scenario(
            TINY.format(
                policy="ground-only",
                sats='"SENTINEL-2A"',
                hours=12,
                antennas=1,
                hardware=FLOOR_MID_RUN[0],
                extra=FLOOR_MID_RUN[1],
            ),
            "tiny.yaml",
            ROOT,
        )
    else:
        loaded = load_scenario(os.path.join(ROOT, "scenarios", f"{scenario}.yaml"))
    model, inputs = prepare(loaded)
    for policy in ("ground-only", "onboard-first", "value-greedy"):
        runs = build_results(model, inputs, *execute(model, inputs, policy), scene=False)
        monkeypatch.setattr(DownlinkMixin, "send_in_runs", False)
        items = build_results(model, inputs, *execute(model, inputs, policy), scene=False)
        monkeypatch.setattr(DownlinkMixin, "send_in_runs", True)
        for name in TABLES:
            pd.testing.assert_frame_equal(getattr(runs, name), getattr(items, name), obj=f"{policy}: {name}")
    assert seen["runs"] > 100 and seen["long"] > 10 and seen["put_back"] > 10, seen
