"""The command line: outputs, summaries and error messages."""

import re
import subprocess
import sys

import pandas as pd
import pytest

from spaceground.api import contact_windows
from spaceground.cli import main

from .conftest import EO_TLE

ISO_MS_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
ARGS = ["--tle", EO_TLE, "--select", "SENTINEL-2*", "LANDSAT 9", "--start", "2025-10-03T12:00:00Z", "--hours", "12"]


def test_contacts_csv_has_the_documented_columns_and_times(tmp_path, capsys):
    out = tmp_path / "passes.csv"
    assert main(["contacts", *ARGS, "--stations", "SVALBARD", "KIRUNA", "-o", str(out)]) == 0
    df = pd.read_csv(out)
    assert list(df.columns) == [
        "satellite",
        "norad_id",
        "station",
        "aos_utc",
        "tca_utc",
        "los_utc",
        "duration_s",
        "max_elevation_deg",
        "aos_azimuth_deg",
        "los_azimuth_deg",
        "clipped",
    ]
    for col in ("aos_utc", "tca_utc", "los_utc"):
        assert df[col].map(lambda s: bool(ISO_MS_Z.match(s))).all()
    api = contact_windows(
        EO_TLE,
        select=["SENTINEL-2*", "LANDSAT 9"],
        start="2025-10-03T12:00:00Z",
        hours=12,
        stations=["SVALBARD", "KIRUNA"],
    )
    assert len(api) == len(df)
    assert (pd.to_datetime(df.aos_utc) - api.aos_utc).abs().max() <= pd.Timedelta(microseconds=500)
    printed = capsys.readouterr().out
    assert f"{len(df)} passes of 4 satellites over 2 stations" in printed
    assert "per station:" in printed and "per satellite:" in printed and "SVALBARD" in printed


def test_contacts_parquet_keeps_timestamps(tmp_path, capsys):
    out = tmp_path / "passes.parquet"
    assert main(["contacts", *ARGS, "--stations", "TROLL", "--min-elevation-deg", "5", "-o", str(out)]) == 0
    df = pd.read_parquet(out)
    assert str(df.aos_utc.dtype).startswith("datetime64") and df.aos_utc.dt.tz is not None
    assert (df.max_elevation_deg[~df.clipped] >= 5.0 - 1e-6).all()


def test_custom_station_csv(tmp_path, capsys):
    csv = tmp_path / "mine.csv"
    csv.write_text("station_id,lat_deg,lon_deg,alt_m,owner\nDISH,52.0,4.4,0,me\n")
    assert main(["contacts", *ARGS, "--stations", str(csv)]) == 0
    assert "over 1 stations" in capsys.readouterr().out


def test_eclipses_csv(tmp_path, capsys):
    out = tmp_path / "shadow.csv"
    assert main(["eclipses", *ARGS, "-o", str(out)]) == 0
    df = pd.read_csv(out)
    assert list(df.columns) == ["satellite", "norad_id", "kind", "start_utc", "end_utc", "duration_s", "clipped"]
    assert set(df.kind) == {"umbra", "penumbra"}
    assert df.start_utc.map(lambda s: bool(ISO_MS_Z.match(s))).all()
    assert "umbra_min" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args, message",
    [
        (["--start", "2025-10-03T12:00"], "--start: '2025-10-03T12:00' has no time zone"),
        (["--stations", "SVALBAD"], "did you mean SVALBARD"),
        (["--select", "NOSUCHSAT"], "'NOSUCHSAT' matches no satellite"),
        (["-o", "out.xlsx"], "unknown output type .xlsx; use .csv or .parquet"),
        (["--hours", "-3"], "--hours must be positive, got -3"),
        (["--start", "2026-03-01T00:00:00Z"], "more than 14 days from the span start"),
    ],
)
def test_errors_are_one_line_with_exit_code_2(tmp_path, capsys, args, message):
    base = {"--tle": EO_TLE, "--start": "2025-10-03T12:00:00Z", "--hours": "6"}
    argv = ["contacts"]
    given = dict(zip(args[::2], args[1::2]))
    for key, value in {**base, **given}.items():
        argv += [key, value if key != "-o" else str(tmp_path / value)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("spaceground: error: ") and message in err
    assert "Traceback" not in err


def test_corrupt_tle_file_names_file_and_line(tmp_path, capsys):
    lines = open(EO_TLE).read().splitlines()
    lines[4] = lines[4][:68] + str((int(lines[4][68]) + 1) % 10)
    bad = tmp_path / "corrupt.tle"
    bad.write_text("\n".join(lines) + "\n")
    assert main(["contacts", "--tle", str(bad), "--start", "2025-10-03T12:00:00Z", "--hours", "1"]) == 2
    err = capsys.readouterr().err
    assert f"{bad}, line 5: bad checksum" in err


def test_console_script_runs_as_a_module():
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "spaceground.cli",
            "contacts",
            "--tle",
            EO_TLE,
            "--select",
            "TERRA",
            "--stations",
            "SVALBARD",
            "--start",
            "2025-10-03T12:00:00Z",
            "--hours",
            "3",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "passes of 1 satellites over 1 stations" in result.stdout
    assert "contacts: 1/1 satellites (100%)" in result.stderr


def test_installed_command_runs_the_quickstart_from_elsewhere(tmp_path):
    """Run the installed console script outside the repository, as the README's Quickstart does.

    Catches packaging faults (a subpackage or data file missing from the wheel) that
    tests importing the source tree cannot see."""
    import os
    import shutil

    from .conftest import ROOT

    exe = shutil.which("spaceground", path=os.path.dirname(sys.executable))
    assert exe, "the spaceground console script is not installed next to this Python"
    scenario = os.path.join(ROOT, "scenarios", "quickstart.yaml")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run(
        [exe, "run", scenario, "-o", str(tmp_path / "run"), "--report"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "quickstart under ground-only (seed 1)" in result.stdout
    assert (tmp_path / "run" / "workloads.parquet").exists()
    # The report's map needs the packaged country outlines: a wheel without them fails here.
    assert '<figure id="ground_map">' in (tmp_path / "run" / "report.html").read_text()
