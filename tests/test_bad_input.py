"""The catalogue of bad and hostile input: every case ends in exit code 2 and one clear message that
names the file, line, key path or flag, what was wrong, and what to do; never a traceback, never a
hang, never a result accepted without a word.

Each case builds its input in a temporary folder and runs the command line in this process. The
message must contain the case's fragment (where it is and what is wrong) and no traceback, and the
command must end within :data:`LIMIT_S` (an alarm fails the case otherwise).
"""

from __future__ import annotations

import os
import signal
import time

import pytest
import yaml

from spaceground.cli import main

from .test_engine import TLE, tiny

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LIMIT_S = 60


def base_data():
    """The tiny scenario as plain data: one Sentinel-2 over Svalbard for 2 hours."""
    return yaml.safe_load(tiny(hours=2).text)


def put(data, path, value):
    node = data
    parts = path.split(".")
    for p in parts[:-1]:
        node = node[int(p)] if isinstance(node, list) else node.setdefault(p, {})
    if isinstance(node, list):
        node[int(parts[-1])] = value
    elif value is DELETE:
        del node[parts[-1]]
    else:
        node[parts[-1]] = value


DELETE = object()


def scenario(tmp, changes=(), text=None, name="s.yaml", raw=None):
    """Write a scenario: the tiny one with ``changes`` (key path, value), or ``text``, or ``raw`` bytes."""
    path = tmp / name
    if raw is not None:
        path.write_bytes(raw)
    elif text is not None:
        path.write_text(text, encoding="utf-8")
    else:
        data = base_data()
        for key, value in changes:
            put(data, key, value)
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return str(path)


def yaml_text(tmp, mutate):
    """The tiny scenario's YAML text with a text edit ``mutate(text) -> text``."""
    return scenario(tmp, text=mutate(tiny(hours=2).text))


def validate(tmp, **kw):
    return ["validate", scenario(tmp, **kw)]


def run(tmp, *extra, **kw):
    return ["run", scenario(tmp, **kw), "-o", str(tmp / "out"), *extra]


def csv_series(tmp, content, changes=(), raw=None):
    path = tmp / "power.csv"
    if raw is not None:
        path.write_bytes(raw)
    else:
        path.write_text(content)
    return run(
        tmp, changes=[("datacenters.0.available_power_kw", {"csv": "power.csv", "value_column": "kw"}), *changes]
    )


def tle_file(tmp, content=None, raw=None):
    path = tmp / "sats.tle"
    if raw is not None:
        path.write_bytes(raw)
    else:
        path.write_text(content)
    return validate(tmp, changes=[("constellation", {"tle": "sats.tle"})])


GOOD_TLE = open(TLE).read().split("\n")
S2A = next(i for i, line in enumerate(GOOD_TLE) if line.strip() == "SENTINEL-2A")
S2A_LINES = GOOD_TLE[S2A : S2A + 3]
POWER = "time_utc,kw\n2025-10-03T11:00:00Z,100\n2025-10-03T15:00:00Z,100\n"


def sweep_file(tmp, data, text=None):
    path = tmp / "sweep.yaml"
    base = scenario(tmp)
    if text is not None:
        path.write_text(text)
    else:
        path.write_text(yaml.safe_dump({"base": base, **data}, sort_keys=False))
    return ["sweep", str(path), "-o", str(tmp / "sw"), "--cache", str(tmp / "cache")]


def run_folder(tmp):
    """A real run folder of the tiny scenario (for the cases that damage one)."""
    out = tmp / "run"
    assert main(["run", scenario(tmp, name="ok.yaml"), "-o", str(out)]) == 0
    return out


def policy_file(tmp, code, name="mine:P", command="run"):
    (tmp / "mine.py").write_text(code)
    path = scenario(tmp, changes=[("policy", {"name": name})])
    if command == "validate":
        return ["validate", path]
    return ["run", path, "--allow-code", "-o", str(tmp / "out")]


def then(_effect, argv):
    """The argv of a case whose set-up is done by evaluating ``_effect`` first."""
    return argv


def truncate(path, nbytes):
    path.write_bytes(path.read_bytes()[:nbytes])


BOMB = (
    "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    + "".join(f"{c}: &{c} [{', '.join(['*' + p] * 10)}]\n" for p, c in zip("abcdefgh", "bcdefghi"))
    + "name: *i\n"
)

# (id, build(tmp) -> argv, fragment of the message)
CASES = [
    # --- YAML --------------------------------------------------------------------------------
    ("yaml-syntax", lambda t: validate(t, text="name: [x\nstart_utc: 1"), "s.yaml, line 2, column 10: not valid YAML"),
    (
        "yaml-tabs",
        lambda t: validate(t, text="name: x\nstations:\n\t- {id: KIRUNA}\n"),
        "s.yaml, line 3, column 1: not valid YAML",
    ),
    (
        "yaml-duplicate-key",
        lambda t: yaml_text(t, lambda s: s.replace("seed: 3", "seed: 3\nseed: 4")) and ["validate", str(t / "s.yaml")],
        "seed: key given twice",
    ),
    (
        "yaml-latin1",
        lambda t: validate(t, raw=tiny(hours=2).text.replace("name: tiny", "name: Kiruna-\u00e5").encode("latin-1")),
        "s.yaml: not UTF-8 text (byte 0xe5 at line 2",
    ),
    ("yaml-utf16", lambda t: validate(t, raw=tiny(hours=2).text.encode("utf-16")), "s.yaml: not UTF-8 text"),
    (
        "yaml-python-tag",
        lambda t: validate(t, text="name: !!python/object/apply:os.system ['echo hacked']\n"),
        "s.yaml, line 1: not valid YAML: tag !!python/object/apply:os.system is not allowed",
    ),
    (
        "yaml-python-name",
        lambda t: validate(t, text="name: !!python/name:os.system\n"),
        "tag !!python/name:os.system is not allowed",
    ),
    ("yaml-unknown-tag", lambda t: validate(t, text="name: !secret x\n"), "tag !secret is not allowed"),
    (
        "yaml-recursive-anchor",
        lambda t: validate(t, text="name: &a [1, *a]\n"),
        "s.yaml, line 1: an alias refers to its own anchor",
    ),
    ("yaml-alias-bomb", lambda t: validate(t, text=BOMB), "s.yaml: aliases expand to more than"),
    (
        "yaml-huge-file",
        lambda t: validate(t, text="name: x\n" + "# padding\n" * 1_100_000),
        "s.yaml: 11.0 MB; a scenario file is at most 10 MB",
    ),
    ("yaml-empty", lambda t: validate(t, text=""), "s.yaml: the file is empty"),
    ("yaml-only-comments", lambda t: validate(t, text="# nothing\n"), "s.yaml: the file is empty"),
    ("yaml-list-top", lambda t: validate(t, text="- a\n- b\n"), "a scenario is a mapping of keys"),
    ("yaml-scalar-top", lambda t: validate(t, text="hello\n"), "a scenario is a mapping of keys"),
    ("yaml-binary", lambda t: validate(t, raw=bytes(range(256)) * 4), "s.yaml: not UTF-8 text"),
    ("yaml-nul", lambda t: validate(t, text="name: a\x00b\n"), "s.yaml"),
    ("yaml-directory", lambda t: (t / "d.yaml").mkdir() or ["validate", str(t / "d.yaml")], "d.yaml"),
    ("yaml-missing", lambda t: ["validate", str(t / "none.yaml")], "scenario file not found"),
    ("yaml-key-not-string", lambda t: validate(t, text="1: x\nname: a\n"), "s.yaml"),
    (
        "yaml-multiple-documents",
        lambda t: validate(t, text="name: a\n---\nname: b\n"),
        "s.yaml, line 2, column 1: not valid YAML: but found another document",
    ),
    # --- numbers -----------------------------------------------------------------------------
    (
        "num-nan-duration",
        lambda t: validate(t, changes=[("duration_h", float("nan"))]),
        "duration_h: Input should be a finite number",
    ),
    (
        "num-inf-duration",
        lambda t: validate(t, changes=[("duration_h", float("inf"))]),
        "duration_h: Input should be a finite number",
    ),
    (
        "num-1e308-duration",
        lambda t: validate(t, changes=[("duration_h", 1e308)]),
        "duration_h: Input should be less than or equal to 744",
    ),
    (
        "num-nan-battery",
        lambda t: validate(t, changes=[("satellites.default.battery_wh", float("nan"))]),
        "satellites.default.battery_wh: Input should be a finite number",
    ),
    (
        "num-inf-battery",
        lambda t: validate(t, changes=[("satellites.default.battery_wh", float("inf"))]),
        "satellites.default.battery_wh: Input should be a finite number",
    ),
    (
        "num-1e308-battery",
        lambda t: validate(t, changes=[("satellites.default.battery_wh", 1e308)]),
        "satellites.default.battery_wh: Input should be less than or equal to",
    ),
    (
        "num-1e308-solar",
        lambda t: validate(t, changes=[("satellites.default.solar_w", 1e308)]),
        "satellites.default.solar_w: Input should be less than or equal to",
    ),
    (
        "num-1e308-capacity",
        lambda t: validate(t, changes=[("datacenters.0.capacity_tops", 1e308)]),
        "datacenters.0.capacity_tops: Input should be less than or equal to",
    ),
    (
        "num-1e308-raw",
        lambda t: validate(t, changes=[("workloads.0.raw_mb", 1e308)]),
        "workloads.0.raw_mb: Input should be less than or equal to",
    ),
    (
        "num-bool-battery",
        lambda t: validate(t, changes=[("satellites.default.battery_wh", True)]),
        "satellites.default.battery_wh: a number is needed here, not a boolean",
    ),
    (
        "num-bool-duration",
        lambda t: validate(t, changes=[("duration_h", True)]),
        "duration_h: a number is needed here, not a boolean",
    ),
    ("num-bool-seed", lambda t: validate(t, changes=[("seed", True)]), "seed: a number is needed here, not a boolean"),
    (
        "num-bool-antennas",
        lambda t: validate(t, changes=[("stations.0.antennas", False)]),
        "stations.0.antennas: a number is needed here, not a boolean",
    ),
    ("num-seed-float", lambda t: validate(t, changes=[("seed", 1.5)]), "seed: Input should be a valid integer"),
    (
        "num-seed-negative",
        lambda t: validate(t, changes=[("seed", -1)]),
        "seed: Input should be greater than or equal to 0",
    ),
    ("num-seed-huge", lambda t: validate(t, changes=[("seed", 2**70)]), "seed: Input should be less than"),
    (
        "num-duration-zero",
        lambda t: validate(t, changes=[("duration_h", 0)]),
        "duration_h: Input should be greater than 0",
    ),
    (
        "num-duration-negative",
        lambda t: validate(t, changes=[("duration_h", -3)]),
        "duration_h: Input should be greater than 0",
    ),
    (
        "num-deadline-zero",
        lambda t: validate(t, changes=[("workloads.0.deadline_min", 0)]),
        "workloads.0.deadline_min: Input should be greater than 0",
    ),
    (
        "num-raw-negative",
        lambda t: validate(t, changes=[("workloads.0.raw_mb", -1)]),
        "workloads.0.raw_mb: Input should be greater than 0",
    ),
    (
        "num-product-larger",
        lambda t: validate(t, changes=[("workloads.0.product_mb", 700)]),
        "product_mb (700.0) is larger than raw_mb (600.0)",
    ),
    (
        "num-min-soc-one",
        lambda t: validate(t, changes=[("satellites.default.min_soc", 1.0)]),
        "satellites.default.min_soc: Input should be less than 1",
    ),
    (
        "num-initial-soc-two",
        lambda t: validate(t, changes=[("satellites.default.initial_soc", 2)]),
        "satellites.default.initial_soc: Input should be less than or equal to 1",
    ),
    (
        "num-initial-below-reserve",
        lambda t: validate(t, changes=[("satellites.default.initial_soc", 0.5)]),
        "initial_soc 0.5 is not above min_soc 0.6",
    ),
    (
        "num-antennas-zero",
        lambda t: validate(t, changes=[("stations.0.antennas", 0)]),
        "stations.0.antennas: Input should be greater than or equal to 1",
    ),
    (
        "num-antennas-fraction",
        lambda t: validate(t, changes=[("stations.0.antennas", 1.5)]),
        "stations.0.antennas: Input should be a valid integer",
    ),
    (
        "num-lat-91",
        lambda t: validate(t, changes=[("datacenters.0.lat_deg", 91)]),
        "datacenters.0.lat_deg: Input should be less than or equal to 90",
    ),
    (
        "num-lon-minus-181",
        lambda t: validate(t, changes=[("datacenters.0.lon_deg", -181)]),
        "datacenters.0.lon_deg: Input should be greater than or equal to -180",
    ),
    (
        "num-mask-95",
        lambda t: validate(t, changes=[("stations.0.min_elevation_deg", 95)]),
        "stations.0.min_elevation_deg: Input should be less than or equal to 89",
    ),
    (
        "num-pue-half",
        lambda t: validate(t, changes=[("datacenters.0.pue", 0.5)]),
        "datacenters.0.pue: Input should be greater than or equal to 1",
    ),
    (
        "num-capacity-zero",
        lambda t: validate(t, changes=[("datacenters.0.capacity_tops", 0)]),
        "datacenters.0.capacity_tops: Input should be greater than 0",
    ),
    (
        "num-servers-zero",
        lambda t: validate(t, changes=[("datacenters.0.servers", 0)]),
        "datacenters.0.servers: Input should be greater than or equal to 1",
    ),
    (
        "num-price-word",
        lambda t: validate(t, changes=[("datacenters.0.price_cny_per_kwh", "cheap")]),
        "datacenters.0.price_cny_per_kwh: expected a number",
    ),
    (
        "num-price-negative",
        lambda t: validate(t, changes=[("datacenters.0.price_cny_per_kwh", -0.1)]),
        "datacenters.0.price_cny_per_kwh",
    ),
    (
        "num-hourly-23",
        lambda t: validate(t, changes=[("datacenters.0.carbon_g_per_kwh", {"hourly": [1.0] * 23})]),
        "datacenters.0.carbon_g_per_kwh.hourly: List should have at least 24 items",
    ),
    (
        "num-hourly-negative",
        lambda t: validate(t, changes=[("datacenters.0.carbon_g_per_kwh", {"hourly": [1.0] * 23 + [-1.0]})]),
        "datacenters.0.carbon_g_per_kwh.hourly.23",
    ),
    (
        "num-hourly-nan",
        lambda t: validate(t, changes=[("datacenters.0.carbon_g_per_kwh", {"hourly": [1.0] * 23 + [float("nan")]})]),
        "datacenters.0.carbon_g_per_kwh.hourly.23: Input should be a finite number",
    ),
    (
        "num-rate-zero",
        lambda t: validate(t, changes=[("workloads.0.trigger", {"rate_per_sat_per_h": 0})]),
        "workloads.0.trigger.rate_per_sat_per_h: Input should be greater than 0",
    ),
    (
        "num-rate-absurd",
        lambda t: validate(t, changes=[("workloads.0.trigger", {"rate_per_sat_per_h": 1e9})]),
        "workloads.0.trigger.rate_per_sat_per_h: Input should be less than or equal to",
    ),
    (
        "num-captures-too-many",
        lambda t: validate(t, changes=[("workloads.0.trigger", {"rate_per_sat_per_h": 3000}), ("duration_h", 744)]),
        "workloads.0.trigger.rate_per_sat_per_h: about 2,232,000 "
        "captures expected (1 satellites x 744 h x 3000 per hour)",
    ),
    (
        "num-cloudy-1.5",
        lambda t: validate(t, changes=[("workloads.0.cloudy_fraction", 1.5)]),
        "workloads.0.cloudy_fraction: Input should be less than or equal to 1",
    ),
    (
        "num-value-negative",
        lambda t: validate(t, changes=[("workloads.0.value", -1)]),
        "workloads.0.value: Input should be greater than or equal to 0",
    ),
    (
        "num-time-limit-zero",
        lambda t: validate(t, changes=[("policy.time_limit_s", 0)]),
        "policy.time_limit_s: Input should be greater than 0",
    ),
    (
        "num-bandwidth-zero",
        lambda t: validate(t, changes=[("backhaul.default.bandwidth_gbps", 0)]),
        "backhaul.default.bandwidth_gbps: Input should be greater than 0",
    ),
    # --- dates -------------------------------------------------------------------------------
    (
        "date-feb-30",
        lambda t: validate(t, changes=[("start_utc", "2025-02-30T00:00:00Z")]),
        "start_utc: '2025-02-30T00:00:00Z' is not an ISO 8601 time",
    ),
    (
        "date-hour-25",
        lambda t: validate(t, changes=[("start_utc", "2025-10-03T25:00:00Z")]),
        "start_utc: '2025-10-03T25:00:00Z' is not an ISO 8601 time",
    ),
    (
        "date-no-zone",
        lambda t: validate(t, changes=[("start_utc", "2025-10-03T12:00:00")]),
        "start_utc: '2025-10-03T12:00:00' has no time zone",
    ),
    (
        "date-word",
        lambda t: validate(t, changes=[("start_utc", "yesterday")]),
        "start_utc: 'yesterday' is not an ISO 8601 time",
    ),
    ("date-number", lambda t: validate(t, changes=[("start_utc", 20251003)]), "start_utc"),
    (
        "date-year-9999",
        lambda t: validate(t, changes=[("start_utc", "9999-01-01T00:00:00Z")]),
        "start_utc: '9999-01-01T00:00:00Z' is outside the years 1957-2200",
    ),
    (
        "date-year-1900",
        lambda t: validate(t, changes=[("start_utc", "1900-01-01T00:00:00Z")]),
        "is outside the years 1957-2200",
    ),
    ("date-stale-elements", lambda t: validate(t, changes=[("start_utc", "2027-01-01T00:00:00Z")]), "days from"),
    (
        "date-year-0001",
        lambda t: validate(t, changes=[("start_utc", "0001-01-01T00:00:00Z")]),
        "start_utc: '0001-01-01T00:00:00Z' is outside the years 1957-2200",
    ),
    # --- units and key names -----------------------------------------------------------------
    (
        "unit-in-string",
        lambda t: validate(t, changes=[("satellites.default.battery_wh", "80 Wh")]),
        "satellites.default.battery_wh: Input should be a valid number",
    ),
    (
        "unit-kwh-key",
        lambda t: validate(t, changes=[("satellites.default.battery_kwh", 0.08)]),
        "satellites.default.battery_kwh: unknown key; did you mean 'battery_wh'?",
    ),
    (
        "unit-gbps-key",
        lambda t: validate(t, changes=[("satellites.default.downlink_gbps", 1)]),
        "satellites.default.downlink_gbps: unknown key; did you mean 'downlink_mbps'?",
    ),
    (
        "unit-duration-key",
        lambda t: validate(t, changes=[("duration", 24), ("duration_h", DELETE)]),
        "duration: unknown key; did you mean 'duration_h'?",
    ),
    (
        "unit-minutes-deadline",
        lambda t: validate(t, changes=[("workloads.0.deadline_h", 2)]),
        "workloads.0.deadline_h: unknown key; did you mean 'deadline_min'?",
    ),
    # --- cross references --------------------------------------------------------------------
    (
        "ref-backhaul-station",
        lambda t: validate(t, changes=[("backhaul.links", [{"station": "KIRUNA", "datacenter": "dc"}])]),
        "backhaul.links.0.station: 'KIRUNA' is not a station of this scenario",
    ),
    (
        "ref-backhaul-dc",
        lambda t: validate(t, changes=[("backhaul.links", [{"station": "SVALBARD", "datacenter": "dcc"}])]),
        "did you mean 'dc'?",
    ),
    (
        "ref-station-unknown",
        lambda t: validate(t, changes=[("stations.0.id", "ATLANTIS")]),
        "'ATLANTIS' is not in the station catalogue",
    ),
    (
        "ref-profile-no-match",
        lambda t: validate(t, changes=[("satellites.profiles", [{"match": ["LANDSAT*"], "battery_wh": 9}])]),
        "satellites.profiles.0.match: ['LANDSAT*'] matches no satellite",
    ),
    (
        "ref-workload-sats",
        lambda t: validate(t, changes=[("workloads.0.satellites", ["NOPE*"])]),
        "workloads.0.satellites: ['NOPE*'] matches no satellite",
    ),
    ("ref-select-none", lambda t: validate(t, changes=[("constellation.select", ["NOPE*"])]), "constellation.select"),
    (
        "ref-duplicate-dc",
        lambda t: validate(t, changes=[("datacenters", base_data()["datacenters"] * 2)]),
        "datacenter 'dc' is defined twice",
    ),
    (
        "ref-lat-without-lon",
        lambda t: validate(t, changes=[("stations.0.lat_deg", 10.0)]),
        "give both lat_deg and lon_deg",
    ),
    (
        "ref-no-backhaul",
        lambda t: validate(t, changes=[("backhaul", {"links": []})]),
        "station 'SVALBARD' has no backhaul link",
    ),
    ("ref-policy-unknown", lambda t: validate(t, changes=[("policy.name", "lookahaed")]), "did you mean 'lookahead'?"),
    (
        "ref-policy-params",
        lambda t: validate(t, changes=[("policy", {"name": "lyapunov", "params": {"W": 1}})]),
        "policy.name: policy 'lyapunov': bad params",
    ),
    (
        "ref-policy-param-value",
        lambda t: validate(t, changes=[("policy", {"name": "lyapunov", "params": {"V": -1}})]),
        "V must be >= 0",
    ),
    # --- TLEs --------------------------------------------------------------------------------
    (
        "tle-missing",
        lambda t: validate(t, changes=[("constellation.tle", "none.tle")]),
        "constellation.tle: file not found",
    ),
    (
        "tle-checksum",
        lambda t: tle_file(
            t,
            "\n".join(
                [
                    S2A_LINES[0],
                    S2A_LINES[1][:-1] + "0" if S2A_LINES[1][-1] != "0" else S2A_LINES[1][:-1] + "1",
                    S2A_LINES[2],
                ]
            )
            + "\n",
        ),
        "sats.tle, line 2",
    ),
    (
        "tle-truncated",
        lambda t: tle_file(t, "\n".join([S2A_LINES[0], S2A_LINES[1][:40], S2A_LINES[2]]) + "\n"),
        "sats.tle, line 2",
    ),
    ("tle-empty", lambda t: tle_file(t, ""), "sats.tle"),
    ("tle-binary", lambda t: tle_file(t, raw=bytes(range(256))), "sats.tle"),
    ("tle-one-line", lambda t: tle_file(t, S2A_LINES[1] + "\n"), "sats.tle"),
    (
        "tle-latin1",
        lambda t: tle_file(t, raw=("SENTINEL-\u00e5\n" + "\n".join(S2A_LINES[1:]) + "\n").encode("latin-1")),
        "sats.tle",
    ),
    (
        "tle-directory",
        lambda t: (t / "sats.tle").mkdir() or validate(t, changes=[("constellation", {"tle": "sats.tle"})]),
        "sats.tle",
    ),
    (
        "tle-swapped-lines",
        lambda t: tle_file(t, "\n".join([S2A_LINES[0], S2A_LINES[2], S2A_LINES[1]]) + "\n"),
        "sats.tle, line 2",
    ),
    # --- CSV series --------------------------------------------------------------------------
    (
        "csv-missing",
        lambda t: run(t, changes=[("datacenters.0.price_cny_per_kwh", {"csv": "none.csv", "value_column": "p"})]),
        "datacenters.0.price_cny_per_kwh: time-series file not found",
    ),
    ("csv-empty", lambda t: csv_series(t, ""), "power.csv: the file is empty"),
    ("csv-header-only", lambda t: csv_series(t, "time_utc,kw\n"), "power.csv: no rows"),
    ("csv-no-column", lambda t: csv_series(t, POWER.replace("kw", "kilowatts")), "power.csv: no column 'kw'"),
    ("csv-no-zone", lambda t: csv_series(t, POWER.replace("Z", "")), "have no zone"),
    (
        "csv-word",
        lambda t: csv_series(t, POWER.replace("100\n2025", "lots\n2025")),
        "power.csv, line 2: kw must be a number >= 0, got 'lots'",
    ),
    (
        "csv-negative",
        lambda t: csv_series(t, POWER.replace("100\n2025", "-5\n2025")),
        "power.csv, line 2: kw must be a number >= 0",
    ),
    (
        "csv-nan",
        lambda t: csv_series(t, POWER.replace("100\n2025", "nan\n2025")),
        "power.csv, line 2: kw must be a number >= 0",
    ),
    (
        "csv-inf",
        lambda t: csv_series(t, POWER.replace("100\n2025", "inf\n2025")),
        "power.csv, line 2: kw must be a finite number",
    ),
    (
        "csv-starts-late",
        lambda t: csv_series(t, POWER.replace("11:00", "13:00")),
        "power.csv: the series starts at 2025-10-03 13:00:00+00:00, after the span starts",
    ),
    (
        "csv-ends-early",
        lambda t: csv_series(t, POWER.replace("15:00", "13:00")),
        "power.csv: the series ends at 2025-10-03 13:00:00+00:00, before the span ends",
    ),
    (
        "csv-duplicate-time",
        lambda t: csv_series(t, POWER + "2025-10-03T15:00:00Z,3\n"),
        "power.csv: two rows have the same time",
    ),
    (
        "csv-latin1",
        lambda t: csv_series(t, None, raw=POWER.replace("kw\n", "kw\u00e5\n").encode("latin-1")),
        "power.csv",
    ),
    ("csv-binary", lambda t: csv_series(t, None, raw=bytes(range(256)) * 8), "power.csv"),
    ("csv-bad-time", lambda t: csv_series(t, POWER.replace("2025-10-03T15", "2025-13-03T15")), "power.csv"),
    (
        "csv-repeat-bad",
        lambda t: csv_series(t, POWER, changes=[("datacenters.0.available_power_kw.repeat_h", -1)]),
        "datacenters.0.available_power_kw.repeat_h",
    ),
    # --- command-line arguments --------------------------------------------------------------
    (
        "cli-output-is-file",
        lambda t: (t / "f").write_text("x") and ["run", scenario(t), "-o", str(t / "f")],
        "is a file, not a folder",
    ),
    (
        "cli-output-below-file",
        lambda t: (t / "f").write_text("x") and ["run", scenario(t), "-o", str(t / "f" / "run")],
        "is a file, so no folder can be made below it",
    ),
    (
        "cli-output-foreign",
        lambda t: (
            (t / "mine").mkdir()
            or (t / "mine" / "a.txt").write_text("x")
            and ["run", scenario(t), "-o", str(t / "mine")]
        ),
        "holds files that are not a run folder",
    ),
    (
        "cli-output-earlier-run",
        lambda t: ["run", scenario(t), "-o", str(run_folder(t))],
        "holds an earlier run folder; give --overwrite",
    ),
    ("cli-seed-negative", lambda t: ["run", scenario(t), "--seed", "-1", "-o", str(t / "o")], "seed"),
    (
        "cli-policy-unknown",
        lambda t: ["run", scenario(t), "--policy", "best", "-o", str(t / "o")],
        "unknown policy 'best'",
    ),
    (
        "cli-contacts-decades",
        lambda t: ["contacts", "--tle", TLE, "--start", "2025-10-03T12:00:00Z", "--hours", "262800"],
        "--hours 262800: about",
    ),
    (
        "cli-contacts-nan",
        lambda t: ["contacts", "--tle", TLE, "--start", "2025-10-03T12:00:00Z", "--hours", "nan"],
        "--hours must be positive",
    ),
    (
        "cli-contacts-inf",
        lambda t: ["contacts", "--tle", TLE, "--start", "2025-10-03T12:00:00Z", "--hours", "inf"],
        "--hours",
    ),
    ("cli-contacts-start", lambda t: ["contacts", "--tle", TLE, "--start", "tomorrow", "--hours", "1"], "--start"),
    (
        "cli-contacts-type",
        lambda t: ["contacts", "--tle", TLE, "--start", "2025-10-03T12:00:00Z", "--hours", "1", "-o", str(t / "x.txt")],
        "unknown output type .txt",
    ),
    (
        "cli-contacts-folder",
        lambda t: [
            "contacts",
            "--tle",
            TLE,
            "--start",
            "2025-10-03T12:00:00Z",
            "--hours",
            "1",
            "-o",
            str(t / "no" / "x.csv"),
        ],
        "does not exist",
    ),
    (
        "cli-contacts-station",
        lambda t: [
            "contacts",
            "--tle",
            TLE,
            "--start",
            "2025-10-03T12:00:00Z",
            "--hours",
            "1",
            "--stations",
            "ATLANTIS",
        ],
        "ATLANTIS",
    ),
    (
        "cli-compare-seeds-huge",
        lambda t: ["compare", scenario(t), "--policies", "ground-only", "--seeds", "1-100000000", "-o", str(t / "c")],
        "--seeds: 100,000,000 seeds",
    ),
    (
        "cli-compare-seeds-word",
        lambda t: ["compare", scenario(t), "--policies", "ground-only", "--seeds", "many"],
        "--seeds: 'many' is not a seed list",
    ),
    (
        "cli-compare-no-policy",
        lambda t: ["compare", scenario(t), "--policies", ",", "-o", str(t / "c")],
        "--policies: give at least one policy name",
    ),
    (
        "cli-compare-output-file",
        lambda t: (
            (t / "f").write_text("x") and ["compare", scenario(t), "--policies", "ground-only", "-o", str(t / "f")]
        ),
        "is a file, not a folder",
    ),
    ("cli-plot-missing", lambda t: ["plot", str(t / "nothing")], "no such folder"),
    ("cli-plot-not-a-run", lambda t: (t / "x").mkdir() or ["plot", str(t / "x")], "not a run folder"),
    ("cli-plot-unknown-figure", lambda t: ["plot", str(run_folder(t)), "--only", "pie"], "unknown figure(s) ['pie']"),
    (
        "cli-plot-corrupt",
        lambda t: then((run_folder(t) / "energy.parquet").write_bytes(b"junk"), ["plot", str(t / "run")]),
        "energy.parquet: not a readable Parquet table",
    ),
    ("cli-report-type", lambda t: ["report", str(run_folder(t)), "-o", str(t / "r.pdf")], "unknown output type .pdf"),
    (
        "cli-report-corrupt-json",
        lambda t: then((run_folder(t) / "run.json").write_text("[1, 2"), ["report", str(t / "run")]),
        "run.json: not valid JSON",
    ),
    (
        "cli-czml-no-run",
        lambda t: (t / "x").mkdir() or ["export-czml", str(t / "x"), "-o", str(t / "a.czml")],
        "not a run folder",
    ),
    ("cli-plot-sweep-missing", lambda t: ["plot-sweep", str(t / "nothing.parquet")], "no sweep results"),
    (
        "cli-schema-below-file",
        lambda t: (t / "f").write_text("x") and ["schema", "-o", str(t / "f" / "s.json")],
        "f/s.json",
    ),
    # --- run folders -------------------------------------------------------------------------
    (
        "folder-missing-table",
        lambda t: os.remove(run_folder(t) / "transfers.parquet") or ["report", str(t / "run")],
        "transfers.parquet: missing",
    ),
    (
        "folder-metrics-list",
        lambda t: then((run_folder(t) / "metrics.json").write_text("[]"), ["report", str(t / "run")]),
        "metrics.json: not a JSON object",
    ),
    (
        "folder-truncated-table",
        lambda t: then(
            truncate(run_folder(t) / "workloads.parquet", 100), ["export-czml", str(t / "run"), "-o", str(t / "a.czml")]
        ),
        "workloads.parquet: not a readable Parquet table",
    ),
    # --- sweep files -------------------------------------------------------------------------
    (
        "sweep-seeds-huge",
        lambda t: sweep_file(t, {"grid": {"duration_h": [1, 2]}, "seeds": "0-10000000"}),
        "seeds: 10,000,001 seeds; at most 100,000",
    ),
    (
        "sweep-grid-huge",
        lambda t: sweep_file(
            t,
            {
                "grid": {
                    "workloads.0.value": list(range(100)),
                    "workloads.0.raw_mb": list(range(1, 101)),
                    "workloads.0.product_mb": [1] * 100,
                    "duration_h": [1] * 100,
                }
            },
        ),
        "100 x 100 x 100 x 100 = 100,000,000 variants",
    ),
    (
        "sweep-unknown-key",
        lambda t: sweep_file(t, {"grids": {"duration_h": [1]}}),
        "unknown key 'grids'; did you mean 'grid'?",
    ),
    (
        "sweep-base-missing",
        lambda t: sweep_file(t, {}, text="base: none.yaml\ngrid: {duration_h: [1]}\n"),
        "base: scenario file not found",
    ),
    (
        "sweep-grid-scalar",
        lambda t: sweep_file(t, {"grid": {"duration_h": 2}}),
        "grid: duration_h: give a non-empty list of values",
    ),
    ("sweep-syntax", lambda t: sweep_file(t, {}, text="grid: [\n"), "sweep.yaml, line 2, column 1: not valid YAML"),
    ("sweep-not-mapping", lambda t: sweep_file(t, {}, text="- 1\n"), "a sweep file is a mapping"),
    (
        "sweep-bad-path",
        lambda t: sweep_file(t, {"grid": {"datacenters.west.pue": [1.1]}}),
        "no entry with id or name 'west'",
    ),
    ("sweep-bad-value", lambda t: sweep_file(t, {"grid": {"duration_h": [2, -1]}}), "variant 1 (duration_h=-1)"),
    (
        "sweep-seeds-negative",
        lambda t: sweep_file(t, {"grid": {"duration_h": [1]}, "seeds": [-1]}),
        "seeds must be a list of integers >= 0",
    ),
    (
        "sweep-workers-zero",
        lambda t: sweep_file(t, {"grid": {"duration_h": [1]}}) + ["--workers", "0"],
        "--workers must be at least 1",
    ),
    (
        "sweep-python-tag",
        lambda t: sweep_file(t, {}, text="base: !!python/object/apply:os.system ['echo x']\n"),
        "not valid YAML",
    ),
    # Every station-data-centre pair has an explicit link with its latency: the default's route factor is unused.
    (
        "sweep-no-effect",
        lambda t: sweep_file(
            t,
            {
                "grid": {
                    "backhaul.default.route_factor": [1.5, 2.0],
                    "backhaul.links": [
                        [{"station": "SVALBARD", "datacenter": "dc", "latency_ms": 9, "bandwidth_gbps": 10}]
                    ],
                }
            },
        ),
        "backhaul.default.route_factor: its values ['1.5', '2.0'] change nothing the run uses",
    ),
    # --- user policies -----------------------------------------------------------------------
    (
        "policy-syntax-error",
        lambda t: policy_file(t, "class P(:\n", command="validate"),
        "mine.py, line 1: not valid Python",
    ),
    ("policy-import-error", lambda t: policy_file(t, "import no_such_module_xyz\n"), "importing"),
    (
        "policy-not-a-policy",
        lambda t: policy_file(t, "def P(**kw):\n    return 1\n"),
        "is not a policy class or factory",
    ),
    (
        "policy-class-missing-methods",
        lambda t: policy_file(t, "class P:\n    pass\n"),
        "is a class without on_capture, on_arrival, downlink_order",
    ),
    (
        "policy-raises",
        lambda t: policy_file(
            t,
            "from spaceground.policies import BasePolicy\n"
            "class P(BasePolicy):\n    def on_capture(self, v):\n        raise KeyError('x')\n",
        ),
        "on_capture() (simulation time",
    ),
    (
        "policy-exit",
        lambda t: policy_file(
            t,
            "import sys\nfrom spaceground.policies import BasePolicy\n"
            "class P(BasePolicy):\n    def __init__(self):\n        sys.exit(1)\n",
        ),
        "the policy called sys.exit(1)",
    ),
    (
        "policy-bad-return",
        lambda t: policy_file(
            t,
            "from spaceground.policies import BasePolicy\n"
            "class P(BasePolicy):\n    def on_capture(self, v):\n        return 'maybe'\n",
        ),
        "returned 'maybe' for capture",
    ),
    (
        "policy-os-module",
        lambda t: validate(t, changes=[("policy.name", "os:system")]),
        "no file os.py beside the scenario",
    ),
    (
        "policy-path-traversal",
        lambda t: validate(t, changes=[("policy.name", "../evil:P")]),
        "is not a Python module name",
    ),
]


@pytest.fixture
def alarm():
    """Fail a case that runs past LIMIT_S (a hang) instead of waiting for ever."""

    def hang(signum, frame):
        raise AssertionError(f"no answer within {LIMIT_S} s: a hang")

    old = signal.signal(signal.SIGALRM, hang)
    signal.alarm(LIMIT_S)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


@pytest.mark.parametrize("case, build, fragment", CASES, ids=[c[0] for c in CASES])
def test_bad_input_gets_a_clear_error(tmp_path, capsys, alarm, case, build, fragment):
    argv = build(tmp_path)
    capsys.readouterr()
    started = time.monotonic()
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2, f"{case}: exit {code}, stderr: {err}"
    assert "Traceback" not in err
    assert fragment in err, f"{case}: {fragment!r} not in:\n{err}"
    assert time.monotonic() - started < LIMIT_S


def test_the_catalogue_is_large():
    assert len(CASES) >= 100 and len({c[0] for c in CASES}) == len(CASES)
