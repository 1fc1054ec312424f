"""Scenario files: every kind of bad input gets a clear error naming file, line and key."""

import json
import math
import os
import re

import numpy as np
import pytest

from spaceground.api import validate_scenario
from spaceground.model import resolve
from spaceground.scenario import ScenarioError, json_schema, load_scenario, parse_scenario

from .conftest import ROOT

QUICKSTART = os.path.join(ROOT, "scenarios", "quickstart.yaml")
TEXT = open(QUICKSTART).read()


def problems(text, tmp_path=None, name="s.yaml"):
    base = str(tmp_path) if tmp_path else os.path.join(ROOT, "scenarios")
    with pytest.raises(ScenarioError) as info:
        loaded = parse_scenario(text, source=name, base_dir=base)
        resolve(loaded)
    return str(info.value)


def test_quickstart_is_valid_and_resolves():
    model = validate_scenario(QUICKSTART)
    assert len(model.constellation) == 10
    assert [g.station.station_id for g in model.stations] == ["SVALBARD", "KIRUNA", "KASHI", "SANYA"]
    assert model.stations[0].antennas == 2
    flock = [hw for s, hw in zip(model.constellation, model.hardware) if s.name.startswith("FLOCK")]
    assert flock and all(hw.battery_j == 40 * 3600 and hw.profile == "3U dove" for hw in flock)
    s2 = model.hardware[0]  # the catalogue's Sentinel-2 with the default block's Jetson Orin NX at 25 W
    assert s2.battery_j == 2800 * 3600 and s2.reserve_j == pytest.approx(0.6 * 2800 * 3600)
    assert (s2.compute_tops, s2.compute_busy_w, s2.profile) == (100.0, 25.0, "sentinel-2")
    # Backhaul latency from fibre distance: great circle x 1.5 x 4.9 us/km (spherical law of cosines here).
    kashi, ningxia = 2, 1
    p1, l1, p2, l2 = map(math.radians, (39.47, 75.99, 37.51, 105.19))
    km = 6371.0088 * math.acos(math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(l2 - l1))
    assert model.link_latency_s[kashi, ningxia] == pytest.approx(km * 1.5 * 4.9e-6, rel=1e-9)
    assert model.link_bps[kashi, ningxia] == 10e9


@pytest.mark.parametrize(
    "old, new, message",
    [
        (
            "power_cap_w: 25",
            "power_cap: 25",
            r"line LINE: satellites\.default\.power_cap: unknown key; did you mean 'power_cap_w'\?",
        ),
        ("antennas: 2", "antennas: 0", r"line LINE: stations\.0\.antennas: Input should be greater than or equal to 1"),
        ("pue: 1.15", "pue: 0.9", r"line LINE: datacenters\.1\.pue: Input should be greater than or equal to 1"),
        (
            "start_utc: 2025-10-03T12:00:00Z",
            "start_utc: 2025-10-03T12:00:00",
            r"line LINE: start_utc: .* has no time zone",
        ),
        ("duration_h: 24", "duration_h: -2", r"line LINE: duration_h: Input should be greater than 0"),
        (
            "rate_per_sat_per_h: 6",
            "rate_per_sat_per_hour: 6",
            r"workloads\.1\.trigger: a trigger needs .* did you mean 'rate_per_sat_per_h'\?",
        ),
        (
            "price_cny_per_kwh: 0.4",
            "price_cny_per_kwh: {hourli: [1]}",
            r"line LINE: datacenters\.1\.price_cny_per_kwh: expected a number.*did you mean 'hourly'\?",
        ),
        ("product_mb: 20", "product_mb: 2300", r"product_mb \(2300.0\) is larger than raw_mb \(2000.0\)"),
        ("name: quickstart\n", "", r"line LINE: name: required key is missing"),
        ("seed: 1", "seed: 2\nseed: 1", r"line LINE\+1: seed: key given twice"),
        ("  - {id: KASHI}", "  - {id: KASHI}\n  - {id: KASHI}", r"station 'KASHI' is defined twice"),
        (
            "power_cap_w: 15",
            "power_cap_w: fast",
            r"line LINE: satellites\.profiles\.3\.power_cap_w: Input should be a valid number",
        ),
    ],
)
def test_model_errors_name_line_and_key(old, new, message):
    assert old in TEXT
    line = TEXT[: TEXT.index(old)].count("\n") + 1
    if old.startswith("name: "):
        line = 1 + next(i for i, text in enumerate(TEXT.splitlines()) if text and not text.startswith("#"))
    message = message.replace(r"LINE\+1", str(line + 1)).replace("LINE", str(line))
    assert re.search(message, problems(TEXT.replace(old, new, 1)))


def test_every_problem_is_reported_at_once():
    text = TEXT.replace("power_cap_w: 25", "power_cap: 25").replace("antennas: 2", "antennas: 0")
    msg = problems(text)
    assert "2 problems" in msg and "power_cap" in msg and "antennas" in msg


def test_malformed_yaml_names_line_and_column():
    line = TEXT[: TEXT.index("  select: [")].count("\n") + 1
    msg = problems(TEXT.replace("  select: [", "  select: [[", 1))
    found = re.search(r"line (\d+), column \d+: not valid YAML", msg)
    # Where the parser notices: at the next key after the line (comments and blank lines between do not count).
    lines = TEXT.splitlines()
    next_key = next(k for k in range(line, len(lines)) if lines[k].strip() and not lines[k].lstrip().startswith("#"))
    assert found and line <= int(found.group(1)) <= next_key + 1


def test_cross_references_are_checked():
    text = TEXT.replace(
        "  default: {bandwidth_gbps: 10, route_factor: 1.5}", "  links:\n    - {station: KASHY, datacenter: ningxia}"
    )
    msg = problems(text)
    assert "backhaul.links.0.station: 'KASHY' is not a station of this scenario; did you mean 'KASHI'?" in msg
    assert "station 'SVALBARD' has no backhaul link" in msg


def test_resolution_errors(tmp_path):
    text = TEXT.replace("../constellations/eo_2025-10-03.tle", "../constellations/nope.tle")
    line = TEXT[: TEXT.index("  tle: ")].count("\n") + 1
    assert f"line {line}: constellation.tle: file not found" in problems(text)
    text = TEXT.replace('"FLOCK 4G-*"]', '"FLOCKK*"]')
    assert "constellation.select: selection 'FLOCKK*' matches no satellite" in problems(text)
    text = TEXT.replace('- match: ["FLOCK*"]', '- match: ["DOVE*"]')
    assert "satellites.profiles.3.match: ['DOVE*'] matches no satellite" in problems(text)
    text = TEXT.replace("{id: KIRUNA}", "{id: ATLANTIS}")
    assert "stations.1.id: 'ATLANTIS' is not in the station catalogue; give lat_deg and lon_deg" in problems(text)
    text = TEXT.replace("price_cny_per_kwh: 0.4", "price_cny_per_kwh: {csv: prices.csv, value_column: cny}")
    (tmp_path / "prices.csv").write_text("time_utc,yuan\n2025-10-03T00:00:00Z,0.4\n")
    tle = os.path.join(ROOT, "constellations", "eo_2025-10-03.tle")
    text = text.replace("../constellations/eo_2025-10-03.tle", tle)
    assert "prices.csv: no column 'cny'" in problems(text, tmp_path)


def test_csv_and_hourly_series_resolve(tmp_path):
    tle = os.path.join(ROOT, "constellations", "eo_2025-10-03.tle")
    (tmp_path / "carbon.csv").write_text(
        "time_utc,g\n2025-10-03T00:00:00Z,500\n2025-10-03T18:00:00Z,300\n2025-10-04T12:00:00Z,300\n"
    )
    text = TEXT.replace("../constellations/eo_2025-10-03.tle", tle)
    text = text.replace("carbon_g_per_kwh: 585.7", "carbon_g_per_kwh: {csv: carbon.csv, value_column: g}")
    text = text.replace("price_cny_per_kwh: 0.4", "price_cny_per_kwh: {hourly: " + str([0.3] * 12 + [0.5] * 12) + "}")
    model = resolve(parse_scenario(text, "s.yaml", str(tmp_path)))
    dc = model.datacenters[1]
    # The span starts 2025-10-03T12:00Z: carbon 500 until 18:00 (t = 6 h), then 300.
    assert dc.carbon_g_per_kwh.at(0.0) == 500 and dc.carbon_g_per_kwh.at(6.5 * 3600) == 300
    assert dc.price_cny_per_kwh.at(0.0) == 0.5 and dc.price_cny_per_kwh.at(12.5 * 3600) == 0.3
    assert dc.carbon_g_per_kwh.mean(5 * 3600, 7 * 3600) == pytest.approx(400)
    # Not covering the span is refused; with repeat_h the rows are one period, laid over the whole span:
    # 500 from 00:00, 300 from 18:00, every day (at 00:30 the next day it is 500 again).
    (tmp_path / "carbon.csv").write_text("time_utc,g\n2025-10-03T00:00:00Z,500\n2025-10-03T18:00:00Z,300\n")
    with pytest.raises(ScenarioError, match="carbon.csv: the series ends at 2025-10-03 18:00:00"):
        resolve(parse_scenario(text.replace(", value_column: g}", ", value_column: g}"), "s.yaml", str(tmp_path)))
    daily = (
        resolve(
            parse_scenario(
                text.replace(", value_column: g}", ", value_column: g, repeat_h: 24}"), "s.yaml", str(tmp_path)
            )
        )
        .datacenters[1]
        .carbon_g_per_kwh
    )
    assert [daily.at(h * 3600.0) for h in (0.0, 5.9, 6.5, 11.9, 12.5, 23.9)] == [500, 500, 300, 300, 500, 500]


def test_unknown_policy_is_caught_by_validate(tmp_path):
    path = tmp_path / "p.yaml"
    tle = os.path.join(ROOT, "constellations", "eo_2025-10-03.tle")
    path.write_text(
        TEXT.replace("name: ground-only", "name: grund-only").replace("../constellations/eo_2025-10-03.tle", tle)
    )
    with pytest.raises(ScenarioError, match=r"policy\.name: unknown policy 'grund-only'; did you mean 'ground-only'\?"):
        validate_scenario(path)


def test_json_schema_is_current_and_docs_cover_every_key():
    committed = json.load(open(os.path.join(ROOT, "docs", "scenario.schema.json")))
    assert committed == json.loads(json.dumps(json_schema(), sort_keys=True)), (
        "run: spaceground schema -o docs/scenario.schema.json"
    )
    doc = open(os.path.join(ROOT, "docs", "scenario-format.md")).read()
    for model in json_schema()["$defs"].values():
        for key in model.get("properties", {}):
            assert f"`{key}`" in doc, f"docs/scenario-format.md does not document {key}"


def test_hash_changes_with_content_and_referenced_files(tmp_path):
    a = load_scenario(QUICKSTART)
    b = parse_scenario(TEXT.replace("seed: 1", "seed: 2"), QUICKSTART, os.path.dirname(QUICKSTART))
    c = parse_scenario(TEXT + "\n# a comment changes nothing\n", QUICKSTART, os.path.dirname(QUICKSTART))
    assert a.sha256 != b.sha256 and a.sha256 == c.sha256


def test_a_regular_trigger_captures_on_every_satellite_at_the_same_instants_one_period_apart():
    from spaceground.simulate import prepare

    text = TEXT.replace("trigger: {rate_per_sat_per_h: 6}", "trigger: {rate_per_sat_per_h: 7.5, spacing: regular}")
    text = text.replace("duration_h: 24", "duration_h: 2").replace("daylight_only: true", "daylight_only: false")
    text = text.replace("    deadline_min: 360\n", "    deadline_min: 360\n    daylight_only: false\n")
    model, inputs = prepare(parse_scenario(text, QUICKSTART, os.path.dirname(QUICKSTART)))
    caps = inputs.captures[inputs.captures.workload == 1]
    # 3600 / 7.5 = 480 s apart from 480 s on, inside 2 h: 480, 960, ..., 6720 (14 instants) on every satellite.
    want = 480.0 * np.arange(1, 15)
    assert len(caps) == 14 * len(model.constellation)
    for _, mine in caps.groupby("sat"):
        assert np.allclose(np.sort(mine.time_s.to_numpy()), want, rtol=0, atol=1e-9)
    with pytest.raises(ScenarioError, match=r"line 81: workloads\.1\.trigger\.spacing.*poisson.*regular"):
        parse_scenario(text.replace("spacing: regular", "spacing: often"), QUICKSTART, os.path.dirname(QUICKSTART))
