"""Golden tables: a hash of every table of a run, so that a change to the engine or a policy proves
that it leaves the bundled scenario x policy tables equal, or says which tables it changes.

Floats are written with 10 significant digits and times rounded to the microsecond before hashing,
so that the last bits of a floating-point sum (which may differ between machines) do not count;
anything a reader of the tables could see does. ``tests/data/make_golden.py`` writes the file the
tests compare against; run it after a change that is meant to alter the tables, and say why in the
commit.
"""

import hashlib
import json
import os

import pandas as pd

from spaceground.results import TABLES

GOLDEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "golden_tables.json")
SCENARIOS = [
    "quickstart",
    "east-data-west-computing",
    "metro-1ms-latency-circle",
    "space-computing-constellation",
    "energy-constrained-region",
    "three-body-computing-constellation",
    "sentinel-edrs-relay",
    "optical-ground-network",
    "tasking-and-ground-service",
]


def table_hash(df: pd.DataFrame) -> str:
    """SHA-256 (first 16 hex digits) of a table's CSV text, floats at 10 significant digits, times to 1 us."""
    out = df.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.round("us")
    text = out.to_csv(index=False, float_format="%.10g", lineterminator="\n")
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def run_hashes(res) -> dict:
    """The hash of each table of a :class:`~spaceground.results.Results`."""
    return {name: table_hash(getattr(res, name)) for name in TABLES}


def load_golden() -> dict:
    with open(GOLDEN) as f:
        return json.load(f)


def differences(scenario, policy, hashes, golden=None) -> list:
    """The tables of ``scenario`` under ``policy`` whose hash is not the committed one."""
    golden = load_golden() if golden is None else golden
    want = golden.get(scenario, {}).get(policy)
    if want is None:
        return [f"{scenario} x {policy}: no golden hashes; run tests/data/make_golden.py"]
    return [
        f"{scenario} x {policy}: table {name} changed ({want.get(name)} -> {h})"
        for name, h in hashes.items()
        if want.get(name) != h
    ]
