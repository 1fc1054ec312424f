"""The warm process (``spaceground serve``): a command run through it does exactly what it does on its own."""

import os
import re
import shutil
import subprocess
import sys

import pytest

from spaceground import launch, warm

from .test_integrity import interrupt_a_slow_run

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EO = os.path.join(ROOT, "constellations", "eo_2025-10-03.tle")
EXE = shutil.which("spaceground", path=os.path.dirname(sys.executable))

pytestmark = pytest.mark.skipif(EXE is None, reason="the spaceground command is not installed")


@pytest.fixture
def server():
    """A warm process of its own (its socket in a runtime folder of the test's, short: a socket's path has at most
    107 bytes), and the environment that reaches it; its log lines are read from ``proc.stdout``."""
    import tempfile

    runtime = tempfile.mkdtemp(prefix="sgw", dir="/tmp")
    env = dict(os.environ, XDG_RUNTIME_DIR=str(runtime), SPACEGROUND_WARM="1")
    proc = subprocess.Popen(
        [EXE, "serve", "--idle-min", "5"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    line = proc.stdout.readline()
    assert "ready" in line, line + proc.stderr.read()
    yield proc, env
    proc.terminate()
    proc.wait(timeout=30)
    shutil.rmtree(runtime, ignore_errors=True)


def command(args, env, cwd=None, warm_on=True):
    env = dict(env, SPACEGROUND_WARM="1" if warm_on else "0")
    return subprocess.run([EXE, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=300)


def test_a_command_through_the_warm_process_prints_and_writes_what_it_does_on_its_own(server, tmp_path):
    proc, env = server
    work = tmp_path / "work"
    work.mkdir()
    args = [
        "contacts",
        *("--tle", EO, "--select", "SENTINEL-2*", "LANDSAT*"),
        *("--start", "2025-10-03T12:00:00Z", "--hours", "12"),
        *("-o", "contacts.csv"),  # relative: the command's working folder, not the warm process's
    ]
    served = command(args, env, cwd=work)
    assert proc.stdout.readline().startswith("spaceground: served contacts (exit 0)")
    table = (work / "contacts.csv").read_bytes()
    (work / "contacts.csv").unlink()
    alone = command(args, env, cwd=work, warm_on=False)
    assert served.returncode == alone.returncode == 0
    timing = re.compile(r"computed in [0-9.]+ s")  # the one thing that differs: it computes faster warm
    assert timing.sub("", served.stdout) == timing.sub("", alone.stdout) and "passes" in served.stdout
    assert (work / "contacts.csv").read_bytes() == table and len(table) > 1000
    # The warm process served the first one only (the second ran on its own, and left no line in its log).
    proc.terminate()
    rest, _ = proc.communicate(timeout=30)
    assert "served" not in rest


def test_bad_input_gets_the_same_one_line_error_and_exit_status(server, tmp_path):
    _, env = server
    args = ["eclipses", "--tle", str(tmp_path / "missing.tle"), "--start", "2025-10-03T12:00:00Z", "--hours", "1"]
    served, alone = command(args, env), command(args, env, warm_on=False)
    assert served.returncode == alone.returncode == 2
    assert served.stderr == alone.stderr and served.stderr.startswith("spaceground: error:")
    assert "missing.tle" in served.stderr and "Traceback" not in served.stderr
    usage = command(["contacts", "--hours", "x"], env)  # argparse's own error: exit 2 and its usage
    assert usage.returncode == 2 and "usage: spaceground contacts" in usage.stderr


def test_ctrl_c_interrupts_the_command_it_serves_and_leaves_nothing(server, tmp_path):
    _, env = server
    status, err, out = interrupt_a_slow_run([EXE], tmp_path, env)
    assert status == 130
    assert err.strip().splitlines()[-1] == (
        "spaceground: interrupted; no run folder was written (one appears only when complete)"
    )
    assert not out.exists() and not [n for n in os.listdir(tmp_path) if n.startswith(".run")]


def test_stop_ends_it_and_commands_then_run_on_their_own(server):
    proc, env = server
    stopped = command(["serve", "--stop"], env)
    assert stopped.returncode == 0 and "stops" in stopped.stdout
    assert proc.wait(timeout=30) == 0
    assert not os.listdir(os.path.join(env["XDG_RUNTIME_DIR"], f"spaceground-{os.getuid()}"))  # socket removed
    again = command(["serve", "--stop"], env)
    assert again.returncode == 1 and "no warm process" in again.stdout
    alone = command(["eclipses", "--tle", EO, "--start", "2025-10-03T12:00:00Z", "--hours", "1"], env)
    assert alone.returncode == 0 and "eclipses" in alone.stdout


def test_the_key_changes_with_the_code_and_the_libraries_environment_only(tmp_path, monkeypatch):
    copy = tmp_path / "pkg"
    shutil.copytree(warm.package_dir(), copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(warm, "package_dir", lambda: str(copy))
    base = {"HOME": "/home/x", "NUMBA_NUM_THREADS": "2"}
    key = warm.install_key(base)
    assert warm.install_key(dict(base, EDITOR="vi")) == key  # not read by a library at import
    assert warm.install_key(dict(base, SPACEGROUND_WARM="0")) == key
    assert warm.install_key(dict(base, NUMBA_NUM_THREADS="1")) != key
    assert warm.install_key(dict(base, SPACEGROUND_CACHE="/tmp/c")) != key
    source = copy / "links.py"
    st = source.stat()
    os.utime(source, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))  # the code changed
    assert warm.install_key(base) != key


def test_a_socket_not_in_a_private_folder_of_this_user_is_never_used(tmp_path, monkeypatch):
    import socket

    folder = tmp_path / f"spaceground-{os.getuid()}"
    folder.mkdir(mode=0o700)
    path = folder / "k.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    try:
        assert warm.is_ours(str(path))
        folder.chmod(0o755)  # others may enter: someone else could have placed it
        assert not warm.is_ours(str(path))
        monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
        monkeypatch.setattr(warm, "install_key", lambda environ=None: "k")
        assert launch._through_warm(["--version"]) is None  # not used: the command runs on its own
        with pytest.raises(OSError, match="not a private folder"):
            warm._private_folder(str(folder))
    finally:
        listener.close()


def test_the_entry_point_imports_nothing_heavy_before_it_knows_where_to_run():
    import subprocess

    code = (
        "import sys, spaceground.launch\n"
        "heavy = [m for m in ('numpy', 'pandas', 'numba', 'spaceground.cli', 'spaceground.api') if m in sys.modules]\n"
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
