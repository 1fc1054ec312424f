"""Progress from API calls as from the command line, and a first run that says it is compiling."""

import os
import subprocess
import sys

import pytest

from spaceground import _isl_kernels, _kernels
from spaceground.api import InputError, contact_windows, run_scenario
from spaceground.compiling import uncompiled_kernels
from spaceground.progress import satellite_progress, stage_progress

from .test_engine import tiny

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TLE = os.path.join(ROOT, "constellations", "eo_2025-10-03.tle")


def test_api_progress_true_prints_as_the_command_line_does(capsys):
    df = contact_windows(
        TLE, start="2025-10-03T12:00:00Z", hours=2, select=["SENTINEL-2A", "SENTINEL-2B"], progress=True
    )
    err = capsys.readouterr().err
    assert len(df) and "contacts: 2/2 satellites (100%)" in err
    run_scenario(tiny("ground-only", hours=3), progress=True)
    err = capsys.readouterr().err
    assert "geometry: 1/1 satellites" in err and "simulation: 100% of the span" in err
    # A callable receives the counts and nothing is printed; False prints nothing either.
    seen = []
    run_scenario(tiny("ground-only", hours=3), progress=lambda *a: seen.append(a))
    run_scenario(tiny("ground-only", hours=3), progress=False)
    assert capsys.readouterr().err == ""
    assert seen[-1] == ("simulation", seen[-1][2], seen[-1][2]) and ("geometry", 1, 1) in seen


def test_a_progress_that_is_neither_a_flag_nor_a_callable_is_refused():
    with pytest.raises(InputError, match=r"progress='yes': give True"):
        satellite_progress("yes", "contacts")
    with pytest.raises(InputError, match=r"callable\(stage, done, total\)"):
        stage_progress(3)


def test_the_first_run_after_an_install_says_it_is_compiling_and_the_second_does_not(tmp_path):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "numba"))
    env.pop("NUMBA_DISABLE_JIT", None)
    cmd = [sys.executable, "-m", "spaceground.cli", "contacts", "--tle", TLE, "--select", "SENTINEL-2A"]
    cmd += ["--start", "2025-10-03T12:00:00Z", "--hours", "1"]
    first = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    second = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert "compiling the geometry kernels once after an install" in first.stderr
    assert "compiling" not in second.stderr
    assert (
        first.stdout.splitlines()[0].split(" computed in")[0] == second.stdout.splitlines()[0].split(" computed in")[0]
    )
    # The cache the notice reads is the one numba wrote: the contact kernels are on disk, the inter-satellite
    # ones (not used by this command) are not.
    probe = (
        "from spaceground import _kernels, _isl_kernels; from spaceground.compiling import uncompiled_kernels as u;"
        "print(u(_kernels, ['scan_contacts', 'refine_contacts', 'rotate_states']),"
        " u(_isl_kernels, ['scan_isl', 'closest_approach']))"
    )
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "[] ['scan_isl', 'closest_approach']"


def test_inlined_helpers_are_not_counted_as_kernels_to_compile():
    # Helpers inlined into their callers are never cached on their own: counting them would show the notice
    # on every run.
    assert "_hermite" not in uncompiled_kernels(_kernels) + uncompiled_kernels(_isl_kernels)
