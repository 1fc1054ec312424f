"""`compare` runs one policy under several parameter sets side by side."""

import pytest

from spaceground.api import InputError, compare, run_scenario
from spaceground.cli import main
from spaceground.scenario import parse_scenario
from spaceground.study import policy_variant, split_policies

from .test_engine import ROOT, TINY
from .test_heat import HEAVY

HARDWARE = "battery_wh: 40, solar_w: 60, compute_busy_w: 20"


def scenario(params=""):
    text = TINY.format(policy="lookahead", sats='"SENTINEL-2A"', hours=12, antennas=1, hardware=HARDWARE, extra=HEAVY)
    if params:
        text = text.replace("policy: {name: lookahead}", f"policy: {{name: lookahead, params: {params}}}")
        assert params in text
    return parse_scenario(text, "tiny.yaml", ROOT)


def test_split_and_parse_parameter_sets():
    assert split_policies("ground-only, lookahead[energy_margin=0.3, pricing=false],onboard-first") == [
        "ground-only",
        "lookahead[energy_margin=0.3, pricing=false]",
        "onboard-first",
    ]
    assert policy_variant("lookahead[energy_margin=0.3, pricing=false]") == (
        "lookahead[energy_margin=0.3,pricing=false]",
        "lookahead",
        {"energy_margin": 0.3, "pricing": False},
    )
    assert policy_variant(("lookahead", {"history": 50})) == ("lookahead[history=50]", "lookahead", {"history": 50})
    assert policy_variant("ground-only") == ("ground-only", "ground-only", None)
    for bad, why in (("lookahead[energy_margin]", "is not key=value"), ("lookahead[x=1", "name\\[key=value")):
        with pytest.raises(InputError, match=why):
            policy_variant(bad)


def test_each_parameter_set_runs_as_the_scenario_would_with_those_params():
    table = compare(
        scenario(), ["lookahead", "lookahead[energy_margin=0.3]", ("lookahead", {"pricing": False})], bound=False
    )
    assert list(table.policy) == ["lookahead", "lookahead[energy_margin=0.3]", "lookahead[pricing=False]"]
    for label, params in (("lookahead", ""), ("lookahead[energy_margin=0.3]", "{energy_margin: 0.3}")):
        alone = run_scenario(scenario(params)).metrics
        row = table[table.policy == label].iloc[0]
        assert row.net_value == pytest.approx(alone["net_value"], abs=1e-9)
        assert row.energy_onboard_kwh == pytest.approx(alone["energy_onboard_kwh"], abs=1e-12)


def test_a_parameter_the_policy_does_not_take_is_refused_naming_the_variant():
    with pytest.raises(InputError, match=r"--policies: lookahead\[horizon_days=2\]: "):
        compare(scenario(), ["lookahead[horizon_days=2]"], bound=False)
    with pytest.raises(InputError, match="given twice"):
        compare(scenario(), ["lookahead[history=5]", ("lookahead", {"history": 5})], bound=False)


def test_the_command_line_takes_parameter_sets(tmp_path, capsys):
    path = tmp_path / "tiny.yaml"
    path.write_text(scenario().text)
    out = tmp_path / "cmp"
    code = main(
        [
            "compare",
            str(path),
            "--policies",
            "ground-only,lookahead[energy_margin=0.3, history=50]",
            "--no-bound",
            "-o",
            str(out),
        ]
    )
    assert code == 0
    text = (out / "compare.csv").read_text()
    assert "lookahead[energy_margin=0.3,history=50]" in text and "ground-only" in text
