"""Package structure: the curated API and the layering of modules."""

import ast
import os

import spaceground
from spaceground import api

PACKAGE = os.path.dirname(spaceground.__file__)
PHYSICS = [
    "constants",
    "errors",
    "timebase",
    "frames",
    "orbits",
    "stations",
    "contacts",
    "illumination",
    "orientation",
    "geometry",
    "power",
    "links",
    "datacenters",
    "workloads",
    "defaults",
    "_kernels",
]
FORBIDDEN_IN_PHYSICS = {"simpy", "yaml", "matplotlib", "spaceground.cli", "spaceground.api", "spaceground.engine"}


def imports_of(module):
    tree = ast.parse(open(os.path.join(PACKAGE, f"{module}.py")).read())
    package = "spaceground." + module.replace(os.sep, ".").rsplit(".", 1)[0] if os.sep in module else "spaceground"
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package if node.level == 1 else package.rsplit(".", node.level - 1)[0]
                found.add(base + "." + (node.module or ""))
            else:
                found.add(node.module)
    return found


def test_physics_layer_imports_no_engine_yaml_plotting_or_cli():
    for module in PHYSICS:
        bad = {m for m in imports_of(module) if any(m == f or m.startswith(f + ".") for f in FORBIDDEN_IN_PHYSICS)}
        assert not bad, f"spaceground/{module}.py imports {bad}"


def _all_modules():
    out = []
    for folder, _, files in os.walk(PACKAGE):
        for f in files:
            if f.endswith(".py"):
                rel = os.path.relpath(os.path.join(folder, f), PACKAGE)[:-3]
                out.append(rel)
    return out


def test_only_the_engine_imports_simpy_and_only_the_scenario_reads_yaml():
    for module in _all_modules():
        found = imports_of(module)
        if any(m == "simpy" or m.startswith("simpy.") for m in found):
            assert module == "engine" or module.startswith("engine/"), f"spaceground/{module}.py imports simpy"
        if "yaml" in found:
            assert module == "scenario", f"spaceground/{module}.py imports yaml"


def test_policies_do_not_touch_the_engine():
    for module in _all_modules():
        if module.startswith("policies"):
            found = imports_of(module)
            assert not any("engine" in m or m.startswith("simpy") for m in found), module


def test_api_exports_exist_and_are_documented():
    assert sorted(api.__all__) == sorted(set(api.__all__))
    for name in api.__all__:
        obj = getattr(api, name)
        assert obj.__doc__, f"api.{name} has no docstring"


def test_packaged_data_ships_without_network(tmp_path):
    from spaceground.timebase import ephemeris, finals_table

    assert len(finals_table()) > 10000
    assert ephemeris()["sun"] is not None
