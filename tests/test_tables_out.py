"""Run folders as CSV beside Parquet (`--csv`), and a Results that shows itself in a notebook."""

import os

import numpy as np
import pandas as pd
import pytest

from spaceground.api import run_scenario
from spaceground.cli import main
from spaceground.results import TABLES, read_run

from .test_engine import tiny
from .test_heat import HARDWARE, HEAVY


@pytest.fixture(scope="module")
def csv_run(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("csv") / "run")
    # Ground and onboard work, and a thermal node: every table has rows.
    res = run_scenario(tiny("lookahead", hours=12, hardware=HARDWARE, extra=HEAVY), output=out, csv=True)
    return out, res


def test_every_table_as_csv_holds_what_its_parquet_holds(csv_run):
    out, _ = csv_run
    res = read_run(out)
    for name in TABLES:
        parquet = getattr(res, name)
        csv = pd.read_csv(os.path.join(out, f"{name}.csv"))
        assert list(csv.columns) == list(parquet.columns), name
        assert len(csv) == len(parquet), name
        for col in parquet.columns:
            p = parquet[col]
            if isinstance(p.dtype, pd.DatetimeTZDtype):
                c = pd.to_datetime(csv[col], utc=True, format="ISO8601")
                assert (c.isna() == p.isna()).all() and (c[p.notna()] == p[p.notna()].dt.floor("us")).all(), col
            elif pd.api.types.is_bool_dtype(p):
                assert (csv[col].astype(bool) == p).all(), (name, col)
            elif pd.api.types.is_numeric_dtype(p):
                assert np.allclose(csv[col].to_numpy(float), p.to_numpy(float), rtol=0, atol=0, equal_nan=True), col
            else:
                assert (
                    csv[col].astype(object).fillna("").astype(str) == p.astype(object).fillna("").astype(str)
                ).all(), (
                    name,
                    col,
                )
    assert len(res.workloads) > 5 and len(res.downlinks) > 0 and len(res.temperatures) > 0


def test_the_run_command_writes_csv_on_request(tmp_path, capsys):
    from .test_engine import ROOT, TINY

    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(
        TINY.format(policy="ground-only", sats='"SENTINEL-2A"', hours=3, antennas=1, hardware="", extra="")
    )
    assert main(["run", str(scenario), "-o", str(tmp_path / "with"), "--csv"]) == 0
    assert main(["run", str(scenario), "-o", str(tmp_path / "without")]) == 0
    capsys.readouterr()
    assert {f"{t}.csv" for t in TABLES} <= set(os.listdir(tmp_path / "with"))
    assert not any(f.endswith(".csv") and f[:-4] in TABLES for f in os.listdir(tmp_path / "without"))
    assert ROOT


def test_results_show_themselves_in_a_notebook_and_a_terminal(csv_run):
    _, res = csv_run
    page = res._repr_html_()
    assert "spaceground results: tiny under lookahead, seed 3" in page
    for key in res.metrics:
        assert f"<td>{key}</td>" in page
    for name in TABLES:
        assert f"<tr><td>{name}</td><td>{len(getattr(res, name)):,}</td>" in page
    text = repr(res)
    assert text.startswith("Results of tiny under lookahead (seed 3)") and f"workloads {len(res.workloads):,}" in text
    # Text from a scenario is escaped, not markup.
    res.run_info["name"] = "<b>x</b>"
    assert "&lt;b&gt;x&lt;/b&gt;" in res._repr_html_() and "<b>x</b>" not in res._repr_html_()
