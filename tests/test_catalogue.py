"""The hardware catalogue: a source for every number, presets that are valid hardware, accelerators' throughput
against their power cap by hand, and presets used and overridden in a scenario."""

import re

import pytest

from spaceground.scenario import Hardware, ScenarioError, accelerator_tops, hardware_catalogue, parse_scenario
from spaceground.simulate import prepare

from .conftest import ROOT

SCENARIO = f"""
name: presets
start_utc: 2025-10-03T12:00:00Z
duration_h: 2
seed: 1
constellation: {{{{tle: {ROOT}/constellations/eo_2025-10-03.tle, select: ["SENTINEL-2*", "LANDSAT*"]}}}}
satellites:
  default: {{{{{{default}}}}}}
  profiles:
    - {{{{{{profile}}}}}}
stations:
  - {{{{id: SVALBARD}}}}
datacenters:
  - {{{{id: dc, lat_deg: 59.91, lon_deg: 10.75, capacity_tops: 1000}}}}
workloads:
  - name: scene
    trigger: {{{{rate_per_sat_per_h: 4}}}}
policy: {{{{name: lookahead}}}}
"""


def _scenario(default, profile):
    return parse_scenario(SCENARIO.format(default=default, profile=profile), "presets.yaml", ROOT)


def test_every_number_of_the_catalogue_has_a_source():
    cat = hardware_catalogue()
    assert len(cat["satellites"]) >= 6 and len(cat["accelerators"]) >= 5
    for name, preset in cat["satellites"].items():
        assert preset["name"]
        assert set(preset["values"]) == set(preset["sources"]), name
        for key, source in preset["sources"].items():
            assert isinstance(source, str) and len(source) > 10, (name, key)
            # A source names a reference, a document or an organisation, or says it is an assumption or "verify".
            assert re.search(r"ref #\d+|assumption|ESA|NASA|USGS|eoPortal|as [a-z-]+|Landsat 8|verify", source), (
                name,
                key,
            )
        Hardware(**preset["values"])  # every preset is valid hardware
    for name, acc in cat["accelerators"].items():
        assert set(acc["sources"]) == {"points", "idle_w"}, name
        assert acc["points"] and all(p["power_w"] > 0 and p["tops"] > 0 for p in acc["points"])


def test_units_of_the_catalogue_against_the_published_figures():
    sats = hardware_catalogue()["satellites"]
    # Landsat 8's recorder: 3.14 Tbit (ref #6) is 392 GB; Sentinel-2's mass memory 2.4 Tbit is 300 GB.
    assert sats["landsat-8"]["values"]["storage_gb"] == pytest.approx(3.14e12 / 8 / 1e9, abs=1)
    assert sats["sentinel-2"]["values"]["storage_gb"] == pytest.approx(2.4e12 / 8 / 1e9)
    # Sentinel-2's two 280 Mbit/s X-band channels, Sentinel-1's two of 260.
    assert sats["sentinel-2"]["values"]["downlink_mbps"] == 2 * 280
    assert sats["sentinel-1"]["values"]["downlink_mbps"] == 2 * 260
    # A granule: 3.48 s of imaging (ref #4) at the MSI's 266 W.
    assert sats["sentinel-2"]["values"]["capture_j"] == pytest.approx(3.48 * 266, abs=5)


def test_an_accelerator_s_throughput_against_its_power_cap_by_hand():
    # Orin NX 16GB: 100 TOPS at 25 W, 157 at 40 W; at 30 W, a third of the way: 100 + 57 / 3 = 119.
    assert accelerator_tops("jetson-orin-nx-16gb", 30) == pytest.approx((119.0, 30.0, 3.0))
    assert accelerator_tops("jetson-orin-nx-16gb", 25) == pytest.approx((100.0, 25.0, 3.0))
    assert accelerator_tops("jetson-orin-nx-16gb") == pytest.approx((157.0, 40.0, 3.0))  # its top point
    assert accelerator_tops("jetson-agx-orin-64gb", 60) == pytest.approx((275.0, 60.0, 5.0))
    with pytest.raises(ValueError, match=r"outside the published points .* between 25 and 40 W"):
        accelerator_tops("jetson-orin-nx-16gb", 10)
    with pytest.raises(ValueError, match=r"give a cap 60 W"):
        accelerator_tops("jetson-agx-orin-64gb", 30)


def test_a_scenario_takes_a_preset_and_overrides_any_field():
    loaded = _scenario(
        "preset: sentinel-2, accelerator: jetson-orin-nx-16gb, power_cap_w: 30",
        'match: ["LANDSAT*"], preset: landsat-8, accelerator: jetson-orin-nano-8gb, battery_wh: 3000',
    )
    model, _ = prepare(loaded)
    by_name = {s.name: h for s, h in zip(model.constellation, model.hardware)}
    s2, l8 = by_name["SENTINEL-2A"], by_name["LANDSAT 8"]
    s2_values = hardware_catalogue()["satellites"]["sentinel-2"]["values"]
    assert s2.solar_w == s2_values["solar_w"] and s2.downlink_bps == s2_values["downlink_mbps"] * 1e6
    assert (s2.compute_tops, s2.compute_busy_w, s2.compute_idle_w) == pytest.approx((119.0, 30.0, 3.0))
    assert s2.capture_j == s2_values["capture_j"]
    # The profile's preset replaces the default's values; its own key overrides its preset; its accelerator runs
    # at its top point; a key neither sets keeps the package default.
    assert l8.profile == "landsat-8" and l8.solar_w == 4300 and l8.battery_j == 3000 * 3600.0
    assert (l8.compute_tops, l8.compute_busy_w) == (67.0, 25.0)
    assert l8.storage_bytes == 392e9 and l8.capture_j == s2_values["capture_j"]  # the default block's, inherited


@pytest.mark.parametrize(
    "default, words",
    [
        (
            "preset: sentinel2",
            r"satellites\.default\.preset: 'sentinel2' is not a satellite preset .* did you mean 'sentinel-2'",
        ),
        ("accelerator: jetson-orin-nano-8gb, power_cap_w: 50", r"power_cap_w 50 is outside the published points"),
        ("power_cap_w: 20", r"power_cap_w is given without an accelerator"),
        ("accelerator: orin", r"'orin' is not an accelerator of the hardware catalogue"),
    ],
)
def test_a_preset_or_accelerator_that_is_not_in_the_catalogue_is_refused(default, words):
    with pytest.raises(ScenarioError, match=words) as err:
        _scenario(default, 'match: ["LANDSAT*"], name: l')
    assert "presets.yaml, line 8" in str(err.value)
