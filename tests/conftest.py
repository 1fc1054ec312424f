"""Shared fixtures: repository paths and the geometry of the Orekit reference cases."""

import functools
import json
import os
import warnings

import pandas as pd
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "tests", "data")
EO_TLE = os.path.join(ROOT, "constellations", "eo_2025-10-03.tle")
TRICKY_TLE = os.path.join(DATA, "tricky_2024-09-14.tle")


def reference_cases():
    with open(os.path.join(DATA, "reference_cases.json")) as f:
        return json.load(f)


@functools.cache
def case_geometry(case):
    """spaceground's geometry of one reference case (computed once per test session)."""
    from spaceground.geometry import compute_geometry
    from spaceground.orbits import load_tle
    from spaceground.stations import default_catalogue
    from spaceground.timebase import Span

    spec = reference_cases()[case]
    constellation = load_tle(os.path.join(ROOT, spec["tle"]))
    if spec["select"]:
        constellation = constellation.select(spec["select"])
    span = Span.from_hours(spec["start"], spec["hours"])
    stations = default_catalogue(spec["min_elevation_deg"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        geo = compute_geometry(constellation, stations, span)
    return constellation, span, geo


def orekit_reference(case, what):
    path = os.path.join(DATA, "orekit", f"{case}_{what}.csv")
    if not os.path.exists(path):
        pytest.fail(f"missing reference file {path}; run tests/data/make_orekit_references.py")
    return pd.read_csv(path)


@pytest.fixture
def eo_tle():
    return EO_TLE


@pytest.fixture
def tricky_tle():
    return TRICKY_TLE
