"""docs/metrics.md says how each metric is computed: every metric is there, and each one recomputed from the
run's tables by the page's definition equals the code's."""

import os
import re

import numpy as np
import pytest

from spaceground.api import compare, run_scenario
from spaceground.cli import compare_summary, run_summary
from spaceground.engine import DROP_BATTERY, DROP_STORAGE
from spaceground.plotting import policy_comparison
from spaceground.scenario import load_scenario

from .conftest import ROOT

DOC = open(os.path.join(ROOT, "docs", "metrics.md")).read()


@pytest.fixture(scope="module")
def weighted():
    """The quickstart with every objective weight set, so that net value and value delivered differ."""
    loaded = load_scenario(os.path.join(ROOT, "scenarios", "quickstart.yaml"))
    text = loaded.text.replace(
        "policy:\n  name: ground-only",
        "objective: {cost_weight_per_cny: 2.0, carbon_weight_per_kg: "
        "0.5, onboard_energy_weight_per_wh: 0.01}\npolicy:\n  name: lookahead",
    ).replace("- {id: KIRUNA}", "- {id: KIRUNA, price_cny_per_min: 20, price_cny_per_pass: 150}")
    assert "price_cny_per_min" in text
    from spaceground.scenario import parse_scenario

    return parse_scenario(text, loaded.source, loaded.base_dir)


def test_every_metric_is_documented(weighted):
    res = run_scenario(weighted)
    documented = set(re.findall(r"^\| `([a-z0-9_]+)`", DOC, re.M))
    documented |= {"time_to_product_p90_min", "time_to_product_p99_min"}  # on one row with p50
    assert set(res.metrics) <= documented, set(res.metrics) - documented


def test_each_metric_is_what_the_page_says(weighted):
    res = run_scenario(weighted)
    m, w, e, ob = res.metrics, res.workloads, res.energy, weighted.model.objective
    jobs, c, d = res.datacenter_jobs, res.contacts, res.downlinks
    refused = w.drop_reason.fillna("").str.startswith((DROP_BATTERY[:8], DROP_STORAGE[:13]))
    assert set(w.drop_reason.dropna()) <= set(w.drop_reason.dropna()[~refused]) | {DROP_BATTERY, DROP_STORAGE}
    delivered = w[w.status == "delivered"]
    lat = delivered.latency_s / 60
    want = {
        "captures": len(w),
        "delivered": len(delivered),
        "dropped": int((w.status == "dropped").sum()),
        "still_onboard": int(w.status.isin(["queued_onboard", "queued_downlink", "queued_crossing"]).sum()),
        "in_ground_pipeline": int(w.status.isin(["on_ground", "backhaul", "queued_ground"]).sum()),
        "processed_onboard": int(w.onboard_end_utc.notna().sum()),
        "processed_ground": len(jobs),
        "deadline_hit_rate": w.deadline_met.sum() / len(w),
        "value_delivered": w.value[w.deadline_met].sum(),
        "time_to_product_p50_min": np.percentile(lat, 50),
        "time_to_product_p90_min": np.percentile(lat, 90),
        "time_to_product_p99_min": np.percentile(lat, 99),
        "captured_gb": w.raw_bytes[~refused].sum() / 1e9,
        "downlinked_gb": d.bytes.sum() / 1e9,
        "delivered_product_gb": w.bytes_delivered.sum() / 1e9,
        "dropped_gb": w.raw_bytes[w.status == "dropped"].sum() / 1e9,
        "energy_onboard_kwh": w.energy_onboard_j.sum() / 3.6e6,
        "energy_ground_kwh": jobs.energy_j.sum() / 3.6e6,
        "cost_cny": jobs.cost_cny.sum(),
        # Kiruna is priced in this fixture: each of its passes that carried anything, 150 + 20 per started minute.
        "station_cost_cny": (150 + 20 * np.ceil(c.duration_s[(c.station == "KIRUNA") & (c.used_s > 0)] / 60)).sum(),
        "carbon_kg": jobs.carbon_g.sum() / 1000,
        "max_depth_of_discharge": max(1 - g.soc.min() for _, g in e.groupby("satellite")),
        "min_soc": e.soc.min(),
        "curtailed_wh": sum(g.curtailed_wh.iloc[-1] - g.curtailed_wh.iloc[0] for _, g in e.groupby("satellite")),
        "contact_utilisation": c.bytes.sum() / c.capacity_bytes.sum(),
        # No thermal model in the quickstart (tests/test_heat.py checks both against a temperature table).
        "max_temperature_c": float("nan"),
        "throttled_h": 0.0,
    }
    assert len(res.temperatures) == 0
    want["net_value"] = (
        want["value_delivered"]
        - ob.cost_weight_per_cny * (want["cost_cny"] + want["station_cost_cny"])
        - ob.carbon_weight_per_kg * want["carbon_kg"]
        - ob.onboard_energy_weight_per_wh * w.energy_onboard_j.sum() / 3600
    )
    want["planned_value"] = want["executed_over_planned"] = float("nan")  # lookahead plans nothing in advance
    assert set(want) == set(m)
    for key, value in want.items():
        assert m[key] == pytest.approx(value, rel=1e-12, abs=1e-12, nan_ok=True), key
    assert m["net_value"] < m["value_delivered"] - 1  # the weights bite: the two words differ here


def test_value_means_net_value_in_the_terminal_the_report_and_the_figures(weighted, tmp_path):
    res = run_scenario(weighted)
    text = run_summary(res)
    assert f"{res.metrics['value_delivered']:.1f} / {res.metrics['net_value']:.1f}" in text
    table = compare(weighted, ["ground-only", "lookahead"], bound=False, output=str(tmp_path / "c"))
    summary = compare_summary(table)
    header = summary.splitlines()[1]
    assert "net value" in header and "value" not in header.replace("net value", "")
    for policy in ("ground-only", "lookahead"):
        row = next(line for line in summary.splitlines() if line.startswith(policy))
        assert f"{table[table.policy == policy].net_value.mean():.3f}".rstrip("0").rstrip(".") in row
    fig = policy_comparison(table)
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible()]
    assert "net value" in titles and not any(t == "value delivered" or t == "value" for t in titles)
    ax = fig.axes[titles.index("net value")]
    heights = [p.get_height() for p in ax.patches]
    assert heights == pytest.approx(list(table.groupby("policy", sort=False).net_value.mean()))
