"""The worked example of docs/policies.md, run as a user would run it."""

import os
import re
import sys

from spaceground.api import run_scenario

from .conftest import ROOT
from .test_engine import check_invariants, tiny


def test_documented_example_policy_runs(tmp_path, monkeypatch):
    doc = open(os.path.join(ROOT, "docs", "policies.md")).read()
    code = re.findall(r"```python\n(.*?)```", doc, re.S)[0]
    (tmp_path / "my_policies.py").write_text(code)
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("my_policies", None)
    res = run_scenario(tiny("my_policies:CarbonAware"))
    check_invariants(res)
    assert set(res.workloads.decision) == {"onboard"}  # plenty of battery in the tiny scenario
    low = run_scenario(tiny("my_policies:CarbonAware", hardware="initial_soc: 0.7"))
    assert "ground" in set(low.workloads.decision)  # 0.7 - 0.6 < the 0.15 margin
