"""Runs that are never silently wrong: whole or absent outputs, no overwrite or mixing, clear errors on
damaged folders, zero captures as a valid run."""

from __future__ import annotations

import errno
import json
import os

import pandas as pd
import pytest

from spaceground import atomic
from spaceground.api import run_scenario
from spaceground.atomic import safe_name
from spaceground.cli import main
from spaceground.results import read_run
from spaceground.scenario import parse_scenario

from .test_engine import TLE as TLE_PATH
from .test_engine import tiny

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def tiny_file(tmp_path, hours=3, **kw):
    loaded = tiny(hours=hours, **kw)
    path = tmp_path / "tiny.yaml"
    path.write_text(loaded.text)
    return str(path)


def test_run_onto_an_earlier_run_is_refused_unless_overwrite_and_then_replaced_whole(tmp_path, capsys):
    scenario = tiny_file(tmp_path)
    out = tmp_path / "run"
    assert main(["run", scenario, "-o", str(out), "--report"]) == 0
    assert (out / "report.html").exists()
    os.makedirs(out / "figures")
    capsys.readouterr()
    assert main(["run", scenario, "-o", str(out), "--seed", "5"]) == 2
    err = capsys.readouterr().err
    assert "holds an earlier run folder; give --overwrite" in err and err.count("\n") == 1
    assert json.loads((out / "run.json").read_text())["seed"] == 3  # untouched
    assert main(["run", scenario, "-o", str(out), "--seed", "5", "--overwrite"]) == 0
    assert json.loads((out / "run.json").read_text())["seed"] == 5
    # Replaced whole: nothing of the earlier run (its report, its figures) survives beside the new tables.
    assert not (out / "report.html").exists() and not (out / "figures").exists()
    assert not [n for n in os.listdir(tmp_path) if n.startswith(".run.")]  # no temporary folder left


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: p.joinpath("afile").write_text("x") and p / "afile", "is a file, not a folder"),
        (lambda p: p.joinpath("afile").write_text("x") and p / "afile" / "run", "is a file, so no folder can be made"),
        (
            lambda p: (p / "docs").mkdir() or (p / "docs" / "notes.txt").write_text("mine") and p / "docs",
            "holds files that are not a run folder",
        ),
    ],
)
def test_output_paths_are_checked_before_the_run(tmp_path, capsys, make, message):
    scenario = tiny_file(tmp_path)
    out = make(tmp_path)
    assert main(["run", scenario, "-o", str(out), "--overwrite"]) == 2
    err = capsys.readouterr().err
    assert message in err and "simulation" not in err  # refused before any stage ran


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_an_unwritable_output_folder_is_refused_before_the_run(tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    assert main(["run", tiny_file(tmp_path), "-o", str(locked / "run")]) == 2
    assert "permission denied" in capsys.readouterr().err


def test_a_full_disk_leaves_no_run_folder_that_looks_complete(tmp_path, monkeypatch):
    # The disk fills while run.json (the last file) is written: the folder must not appear at all,
    # and an earlier run there must survive untouched.
    out = tmp_path / "run"
    run_scenario(tiny(hours=3), output=str(out))
    before = {n: (out / n).read_bytes() for n in os.listdir(out)}
    import spaceground.results as results

    real = results._write

    def full(path, text):
        if path.endswith("run.json"):
            with open(path, "w") as f:
                f.write(text[:10])
            raise OSError(errno.ENOSPC, "No space left on device")
        real(path, text)

    monkeypatch.setattr(results, "_write", full)
    with pytest.raises(OSError):
        run_scenario(tiny(hours=3).with_overrides(seed=9), output=str(out))
    assert {n: (out / n).read_bytes() for n in os.listdir(out)} == before
    with pytest.raises(OSError):
        run_scenario(tiny(hours=3), output=str(tmp_path / "fresh"))
    assert not (tmp_path / "fresh").exists()
    assert sorted(os.listdir(tmp_path)) == ["run"]  # no partial folder left behind


def test_atomic_file_keeps_the_old_content_when_writing_fails(tmp_path):
    path = tmp_path / "table.csv"
    path.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic.atomic_file(path) as f:
            f.write("half of the new")
            raise RuntimeError("crash")
    assert path.read_text() == "old" and os.listdir(tmp_path) == ["table.csv"]


@pytest.mark.parametrize(
    "name, expected",
    [
        ("quickstart", "quickstart"),
        ("../../etc/passwd", "etc_passwd"),
        ("/abs/path", "abs_path"),
        ("..", "run"),
        ("a b\\c:d", "a_b_c_d"),
        (".hidden", "hidden"),
    ],
)
def test_default_folder_names_are_sanitised(name, expected):
    assert safe_name(name) == expected


def test_a_scenario_name_with_a_path_stays_under_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    text = tiny(hours=2).text.replace("name: tiny", "name: ../../escape")
    (tmp_path / "s.yaml").write_text(text)
    assert main(["run", "s.yaml"]) == 0
    assert os.listdir(tmp_path / "runs") == ["escape-ground-only-seed3"]
    assert not (tmp_path.parent / "escape-ground-only-seed3").exists()


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda d: os.remove(d / "workloads.parquet"), "workloads.parquet: missing"),
        (lambda d: (d / "contacts.parquet").write_bytes(b"PAR1 garbage"), "contacts.parquet: not a readable Parquet"),
        (lambda d: (d / "metrics.json").write_text("{not json"), "metrics.json: not valid JSON"),
        (lambda d: os.remove(d / "run.json"), "not a run folder (no run.json)"),
    ],
)
def test_damaged_run_folders_get_a_clear_error_from_plot_report_and_czml(tmp_path, capsys, damage, message):
    out = tmp_path / "run"
    run_scenario(tiny(hours=3), output=str(out))
    damage(out)
    for args in (["plot", str(out)], ["report", str(out)], ["export-czml", str(out), "-o", str(tmp_path / "a.czml")]):
        assert main(args) == 2, args
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err, (args, err)


def test_zero_captures_is_a_valid_run(tmp_path, capsys):
    # A target in the middle of the Pacific that no Sentinel-2 overflies within 80 deg of zenith in 2 h.
    text = tiny(hours=2).text.replace(
        "{name: Svalbard, lat_deg: 78.23, lon_deg: 15.41}", "{name: Nowhere, lat_deg: -48.9, lon_deg: -123.4}"
    )
    (tmp_path / "s.yaml").write_text(text)
    assert main(["run", str(tmp_path / "s.yaml"), "-o", str(tmp_path / "run")]) == 0
    out = capsys.readouterr().out
    assert "0 captures" in out and "no captures in the span" in out
    res = read_run(str(tmp_path / "run"))
    assert len(res.workloads) == 0 and res.metrics["captures"] == 0 and res.metrics["deadline_hit_rate"] == 0.0
    assert main(["report", str(tmp_path / "run")]) == 0
    assert main(["plot", str(tmp_path / "run")]) == 0


def test_zero_captures_names_the_satellites_left_out(tmp_path, capsys):
    from spaceground.cli import run_summary

    res = run_scenario(
        parse_scenario(
            tiny(hours=2).text.replace(
                "{name: Svalbard, lat_deg: 78.23, lon_deg: 15.41}", "{name: Nowhere, lat_deg: -48.9, lon_deg: -123.4}"
            ),
            "s.yaml",
            ROOT,
        )
    )
    res.run_info["excluded_satellites"] = [{"satellite": "OLDSAT", "norad_id": 1, "reason": "decayed"}]
    text = run_summary(res)
    assert "no captures in the span" in text and "OLDSAT (NORAD 1): decayed" in text
    assert pd.isna(res.metrics["time_to_product_p50_min"])


SLOW_POLICY = """
import time

from spaceground.policies import GROUND, BasePolicy


class Slow(BasePolicy):
    def on_capture(self, view):
        time.sleep(0.5)
        return GROUND
"""


def _interruptible():
    """In the child before it starts: Ctrl-C as at a terminal. A test run started in the background by a
    non-interactive shell ignores SIGINT, and a child inherits that (Python then never raises KeyboardInterrupt)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


def interrupt_a_slow_run(command, tmp_path, env=None):
    """Start ``command`` + ``run s.yaml --allow-code -o run`` on a slow policy in ``tmp_path``, press Ctrl-C once the
    engine runs (its first progress line), and return (exit status, stderr, the output folder)."""
    import signal
    import subprocess

    (tmp_path / "slow.py").write_text(SLOW_POLICY)
    (tmp_path / "s.yaml").write_text(tiny("slow:Slow", hours=24).text)
    out = tmp_path / "run"
    proc = subprocess.Popen(
        [*command, "run", str(tmp_path / "s.yaml"), "--allow-code", "-o", str(out)],
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env=env,
        preexec_fn=_interruptible,
    )
    seen = ""
    while "simulation" not in seen:
        line = proc.stderr.readline()
        assert line, f"the run ended before the engine started: {seen}"
        seen += line
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    return proc.returncode, err, out


def test_ctrl_c_ends_a_run_with_one_line_and_no_folder(tmp_path):
    import sys

    status, err, out = interrupt_a_slow_run([sys.executable, "-m", "spaceground.cli"], tmp_path)
    assert status == 130
    assert err.strip().splitlines()[-1] == (
        "spaceground: interrupted; no run folder was written (one appears only when complete)"
    )
    assert "Traceback" not in err and not out.exists()
    assert not [n for n in os.listdir(tmp_path) if n.startswith(".run")]


def test_every_satellite_decayed_is_a_valid_run_naming_them(tmp_path, capsys):
    from .test_orbits import UNDERGROUND

    (tmp_path / "dead.tle").write_text("\n".join(UNDERGROUND) + "\n")
    text = tiny(hours=24).text.replace('select: ["SENTINEL-2A"]', "select: []")
    text = text.replace(TLE_PATH, str(tmp_path / "dead.tle"))
    (tmp_path / "s.yaml").write_text(text)
    assert main(["run", str(tmp_path / "s.yaml"), "-o", str(tmp_path / "run")]) == 0
    out = capsys.readouterr().out
    assert "0 captures by 0 satellites" in out and "no captures in the span" in out
    assert "UNDERGROUND TEST SAT (NORAD 99002)" in out and "decayed" in out
    res = read_run(str(tmp_path / "run"))
    assert len(res.workloads) == 0 and len(res.energy) == 0
