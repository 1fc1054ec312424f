"""User policies: found only beside the scenario or as an installed entry point, run only with consent,
never by validate, and every fault in them (exception, sys.exit, a call that never returns) a clear error."""

from __future__ import annotations

import threading
import time

import pytest

from spaceground.api import run_scenario, validate_scenario
from spaceground.cli import main
from spaceground.policies import PolicyError, make_policy

from .test_engine import tiny

POLICIES = """
import sys
import time

from spaceground.policies import BasePolicy, policy_factory

open(MARKER, "a").write("imported\\n")


class Fine(BasePolicy):
    pass


def plain_function(**params):
    return Fine()


@policy_factory
def factory(**params):
    return Fine()


class Raises(BasePolicy):
    def on_capture(self, view):
        return 1 / 0


class Exits(BasePolicy):
    def on_capture(self, view):
        sys.exit(3)


class Loops(BasePolicy):
    def on_capture(self, view):
        while True:
            pass


class Sleeps(BasePolicy):
    def on_capture(self, view):
        time.sleep(3600)


class BadInit(BasePolicy):
    def __init__(self, x=1):
        raise RuntimeError("cannot start")
"""


@pytest.fixture
def folder(tmp_path):
    marker = tmp_path / "marker.txt"
    (tmp_path / "mine.py").write_text(f"MARKER = {str(marker)!r}\n" + POLICIES)
    return tmp_path


def scenario(folder, policy, limit=None):
    spec = f"{policy}" + (f", time_limit_s: {limit}" if limit else "")
    path = folder / "s.yaml"
    path.write_text(tiny(spec, hours=6).text)
    return str(path)


def test_validate_checks_a_user_policy_without_running_it(folder, capsys):
    assert main(["validate", scenario(folder, "mine:Fine")]) == 0
    assert main(["validate", scenario(folder, "mine:Nothing")]) == 2
    assert "defines no 'Nothing' at its top level" in capsys.readouterr().err
    assert not (folder / "marker.txt").exists()  # the module was never imported


def test_modules_that_are_not_beside_the_scenario_are_refused(folder, capsys):
    # subprocess:call with params would run a program; it names no file beside the scenario.
    path = scenario(folder, "subprocess:call")
    for args in (["validate", path], ["run", path, "--allow-code", "-o", str(folder / "r")]):
        assert main(args) == 2
        err = capsys.readouterr().err
        assert "no file subprocess.py beside the scenario" in err and "Traceback" not in err


def test_a_scenario_s_code_runs_only_with_consent(folder):
    with pytest.raises(Exception, match="runs only with your consent"):
        run_scenario(scenario(folder, "mine:Fine"))
    assert not (folder / "marker.txt").exists()
    assert len(run_scenario(scenario(folder, "mine:Fine"), allow_code=True).workloads)
    # A policy the caller names itself is its consent.
    assert len(run_scenario(scenario(folder, "ground-only"), policy="mine:Fine").workloads)


def test_only_policy_classes_and_marked_factories_are_called(folder):
    with pytest.raises(Exception, match="not a policy class or factory"):
        run_scenario(scenario(folder, "mine:plain_function"), allow_code=True)
    assert len(run_scenario(scenario(folder, "mine:factory"), allow_code=True).workloads)


@pytest.mark.parametrize(
    "policy, message",
    [
        (
            "mine:Raises",
            r"on_capture\(\) \(simulation time [0-9.]+ s\): "
            r"raised ZeroDivisionError: division by zero at .*mine.py, line 2[0-9]",
        ),
        ("mine:Exits", r"on_capture\(\) .*: the policy called sys.exit\(3\) at .*mine.py"),
        ("mine:BadInit", r"creating it with params \[\]: raised RuntimeError: cannot start at .*mine.py"),
    ],
)
def test_faults_in_a_user_policy_are_named_errors(folder, capsys, policy, message):
    assert main(["run", scenario(folder, policy), "--allow-code", "-o", str(folder / "r")]) == 2
    err = capsys.readouterr().err
    last = err.splitlines()[-1]
    assert last.startswith("spaceground: error: policy") and "Traceback" not in err
    import re

    assert re.search(message, err), err
    assert not (folder / "r").exists()


@pytest.mark.parametrize("policy", ["mine:Loops", "mine:Sleeps"])
def test_a_call_that_never_returns_ends_at_the_time_limit(folder, capsys, policy):
    started = time.monotonic()
    assert main(["run", scenario(folder, policy, limit=0.5), "--allow-code", "-o", str(folder / "r")]) == 2
    assert time.monotonic() - started < 30
    assert "no answer within the time limit of 0.5 s" in capsys.readouterr().err


def test_the_time_limit_holds_off_the_main_thread_too(folder):
    # As on a Dask worker's thread: the watchdog raises in the looping thread.
    out = {}

    def work():
        try:
            run_scenario(scenario(folder, "mine:Loops", limit=0.5), allow_code=True)
        except PolicyError as exc:
            out["error"] = str(exc)

    t = threading.Thread(target=work)
    t.start()
    t.join(30)
    assert not t.is_alive() and "no answer within the time limit" in out["error"]


def test_unknown_names_and_bad_params_of_registered_policies(folder):
    with pytest.raises(Exception, match="did you mean 'lookahead'"):
        make_policy("lookahed")
    with pytest.raises(Exception, match="bad params"):
        make_policy("lookahead", {"energy_margin": 3})
    with pytest.raises(Exception, match="bad params"):
        make_policy("lookahead", {"no_such": 1})
    with pytest.raises(Exception, match="line 27: policy.name: policy 'lookahead': bad params"):
        validate_scenario(scenario(folder, "lookahead, params: {nope: 1}"))


def test_an_installed_entry_point_is_a_policy_by_name_without_more_consent(tmp_path, monkeypatch, capsys):
    # A package installed on the path that registers its policy under the group spaceground.policies.
    site = tmp_path / "site"
    (site / "greenpolicies-1.0.dist-info").mkdir(parents=True)
    (site / "greenpolicies-1.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: greenpolicies\nVersion: 1.0\n"
    )
    (site / "greenpolicies-1.0.dist-info" / "entry_points.txt").write_text(
        "[spaceground.policies]\ngreen-installed = greenpolicies_mod:Green\n"
    )
    marker = tmp_path / "imported"
    (site / "greenpolicies_mod.py").write_text(
        f"open({str(marker)!r}, 'w').write('x')\nfrom spaceground.policies import GROUND, BasePolicy\n\n"
        "class Green(BasePolicy):\n    def on_capture(self, view):\n        return GROUND\n"
    )
    monkeypatch.syspath_prepend(str(site))
    path = scenario(tmp_path, "green-installed")
    assert main(["validate", path]) == 0
    assert not marker.exists()  # validate found the name without importing the package
    res = run_scenario(path)  # installing the package was the consent
    assert marker.exists() and set(res.workloads.decision) == {"ground"}
