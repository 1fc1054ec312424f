"""The worked example of docs/policies.md, run as a user would run it: a file beside the scenario."""

import os
import re

from spaceground.api import run_scenario
from spaceground.cli import main
from spaceground.results import read_run

from .conftest import ROOT
from .test_engine import check_invariants, tiny


def test_documented_example_policy_runs_from_a_file_beside_the_scenario(tmp_path, capsys):
    doc = open(os.path.join(ROOT, "docs", "policies.md")).read()
    code = re.findall(r"```python\n(.*?)```", doc, re.S)[0]
    (tmp_path / "my_policies.py").write_text(code)
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(tiny("my_policies:CarbonAware").text)
    # Not on any path, not installed: found beside the scenario, and run only with consent.
    assert main(["run", str(scenario), "-o", str(tmp_path / "refused")]) == 2
    assert "runs only with your consent" in capsys.readouterr().err
    assert main(["validate", str(scenario)]) == 0  # validate reads the file, runs none of it
    assert main(["run", str(scenario), "-o", str(tmp_path / "run"), "--allow-code"]) == 0
    res = read_run(str(tmp_path / "run"))
    check_invariants(res)
    assert set(res.workloads.decision) == {"onboard"}  # plenty of battery in the tiny scenario
    scenario.write_text(tiny("my_policies:CarbonAware", hardware="initial_soc: 0.7").text)
    low = run_scenario(str(scenario), allow_code=True)
    assert "ground" in set(low.workloads.decision)  # 0.7 - 0.6 < the 0.15 margin


def test_lookahead_capture_rules_are_listed_in_order_in_the_docs():
    from spaceground.policies.lookahead import CAPTURE_RULES

    doc = open(os.path.join(ROOT, "docs", "policies.md")).read()
    listed = re.findall(r"^\d+\. `([a-z_]+)`:", doc.split("### `lookahead`'s capture rules, in order")[1], re.M)
    assert listed == [r.__name__ for r in CAPTURE_RULES]
    assert all(r.__doc__ and len(r.__doc__.split()) >= 8 for r in CAPTURE_RULES)  # each says why it exists
