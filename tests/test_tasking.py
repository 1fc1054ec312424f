"""Tasking plans from CSV, off-nadir limits and the Sun over the target, against Skyfield and a hand triangle."""

import math
import os
import re

import numpy as np
import pandas as pd
import pytest
from skyfield.api import EarthSatellite, load, wgs84
from skyfield.framelib import itrs

from spaceground.api import contact_windows, run_scenario
from spaceground.imaging import elevation_for_off_nadir_deg, off_nadir_deg
from spaceground.orbits import load_tle
from spaceground.scenario import ScenarioError, load_scenario
from spaceground.simulate import validate_scenario
from spaceground.stations import Station
from spaceground.timebase import ephemeris

from .conftest import ROOT

TLE = os.path.join(ROOT, "constellations", "eo_2025-10-03.tle")
BEIJING = (39.9, 116.4)
SCENARIO = f"""
name: plan
start_utc: 2025-10-03T00:00:00Z
duration_h: 24
seed: 1
constellation: {{tle: {TLE}, select: ["SENTINEL-2A", "LANDSAT 9"]}}
stations: [{{id: SVALBARD}}, {{id: KASHI}}]
datacenters:
  - {{id: dc, lat_deg: 39.9, lon_deg: 116.4, capacity_tops: 1000, servers: 1, pue: 1.5,
     power_w_per_tops: 0.5, price_cny_per_kwh: 0.8, carbon_g_per_kwh: 400}}
backhaul: {{default: {{bandwidth_gbps: 10}}}}
workloads:
WORKLOADS
"""
PLAN_CLASS = """  - name: optical
    trigger: {plan: plan.csv, max_off_nadir_deg: 45}
"""


def write(tmp_path, plan_rows, workloads=PLAN_CLASS, header="satellite,time_utc,lat_deg,lon_deg,target"):
    (tmp_path / "plan.csv").write_text(header + "\n" + "\n".join(plan_rows) + "\n")
    path = tmp_path / "plan.yaml"
    path.write_text(SCENARIO.replace("WORKLOADS", workloads.rstrip("\n")))
    return str(path)


def skyfield_view(name, time_utc, lat, lon):
    """Elevation of the satellite above the point's horizon and the point's off-nadir angle, by Skyfield alone."""
    sat = next(s for s in load_tle(TLE) if s.name == name)
    ts = load.timescale(builtin=True)
    t = ts.from_datetime(pd.Timestamp(time_utc).round("us").to_pydatetime())
    es = EarthSatellite(sat.line1, sat.line2, sat.name, ts)
    point = wgs84.latlon(lat, lon)
    elevation = (es - point).at(t).altaz()[0].degrees
    r_sat = es.at(t).frame_xyz(itrs).m
    look = point.itrs_xyz.m - r_sat
    off_nadir = math.degrees(math.acos(np.dot(look, -r_sat) / np.linalg.norm(look) / np.linalg.norm(r_sat)))
    return elevation, off_nadir


def passes_over(point, names, mask=10.0):
    station = Station("P", point[0], point[1], 0.0, mask, "P")
    return contact_windows(TLE, start="2025-10-03T00:00:00Z", hours=24, select=names, stations=[station])


def test_off_nadir_and_elevation_follow_the_triangle_of_centre_point_and_satellite():
    # A point on a sphere at (R, 0, 0), the satellite at distance r and central angle lam in the x-y plane: by
    # hand, the off-nadir angle is atan2(R sin lam, r - R cos lam) and the elevation 90 - off_nadir - lam.
    R, r = 6_371_000.0, 7_150_000.0
    for lam_deg in (0.0, 3.0, 11.0, 19.0):
        lam = math.radians(lam_deg)
        sat = np.array([r * math.cos(lam), r * math.sin(lam), 0.0])
        eta = math.degrees(math.atan2(R * math.sin(lam), r - R * math.cos(lam)))
        assert off_nadir_deg(sat, np.array([R, 0.0, 0.0])) == pytest.approx(eta, abs=1e-9)
        assert elevation_for_off_nadir_deg(eta, r, R) == pytest.approx(90.0 - eta - lam_deg, abs=1e-9)
    # Past the horizon (a cone wider than the Earth's limb) there is no elevation limit left.
    assert elevation_for_off_nadir_deg(80.0, r, R) == 0.0


def test_a_plan_runs_its_captures_at_the_planned_times(tmp_path):
    p = passes_over(BEIJING, ["SENTINEL-2A", "LANDSAT 9"])
    day = p[(p.tca_utc.dt.hour >= 1) & (p.tca_utc.dt.hour <= 5) & (p.max_elevation_deg > 35)]
    assert len(day) >= 2  # daytime passes over Beijing (UTC+8)
    times = [t.strftime("%Y-%m-%dT%H:%M:%SZ") for t in day.tca_utc.dt.round("s")]
    rows = [f"{s},{t},{BEIJING[0]},{BEIJING[1]},Beijing" for s, t in zip(day.satellite.astype(str), times)]
    res = run_scenario(write(tmp_path, rows))
    w = res.workloads.sort_values("capture_utc")
    assert list(w.capture_utc.dt.strftime("%Y-%m-%dT%H:%M:%SZ")) == sorted(times)
    assert set(w.target) == {"Beijing"} and list(w.satellite.astype(str)) == list(day.sort_values("tca_utc").satellite)
    assert "plan.csv" in " ".join(load_scenario(write(tmp_path, rows)).referenced_files())


def test_a_row_the_satellite_cannot_image_is_refused_with_its_line_and_numbers(tmp_path):
    p = passes_over(BEIJING, ["SENTINEL-2A", "LANDSAT 9"])
    low = p[(p.tca_utc.dt.hour < 10) & (p.max_elevation_deg < 30)].iloc[0]  # daytime, far off nadir
    night = p[(p.tca_utc.dt.hour >= 12) & (p.max_elevation_deg > 60)].iloc[0]  # about 22:00 in Beijing
    good = p[(p.tca_utc.dt.hour < 10) & (p.max_elevation_deg > 60)].iloc[0]
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    rows = [
        f"{r.satellite},{r.tca_utc.round('s').strftime(fmt)},{BEIJING[0]},{BEIJING[1]},Beijing"
        for r in (good, low, night)
    ]
    with pytest.raises(ScenarioError) as err:
        validate_scenario(write(tmp_path, rows))
    text = str(err.value)
    assert "2 of 3 planned captures cannot be imaged" in text and "workloads.0.trigger.plan" in text
    assert "line 2" not in text
    # Line 3: beyond the off-nadir limit, by the angle Skyfield gives.
    found = float(re.search(r"line 3: .* the target is ([\d.]+) deg off nadir, beyond 45", text).group(1))
    _, off_nadir = skyfield_view(str(low.satellite), low.tca_utc.round("s"), *BEIJING)
    assert found == pytest.approx(off_nadir, abs=0.06) and off_nadir > 45
    # Line 4: at night over Beijing, for a daylight class.
    assert re.search(r"line 4: .* the Sun stands -[\d.]+ deg over the target, below 0 \(a daylight class\)", text)


def test_an_elevation_condition_refuses_by_the_elevation_skyfield_gives(tmp_path):
    p = passes_over(BEIJING, ["SENTINEL-2A"])
    low = p[(p.tca_utc.dt.hour < 10)].sort_values("max_elevation_deg").iloc[0]
    t = low.tca_utc.round("s")
    rows = [f"SENTINEL-2A,{t.strftime('%Y-%m-%dT%H:%M:%SZ')},{BEIJING[0]},{BEIJING[1]},"]
    classes = "  - name: optical\n    trigger: {plan: plan.csv, min_elevation_deg: 60}\n"
    with pytest.raises(ScenarioError, match=r"line 2: SENTINEL-2A .*stands ([\d.]+) deg above") as err:
        validate_scenario(write(tmp_path, rows, classes))
    found = float(re.search(r"stands ([\d.]+) deg above", str(err.value)).group(1))
    assert found == pytest.approx(skyfield_view("SENTINEL-2A", t, *BEIJING)[0], abs=0.06)


def test_a_class_column_shares_one_plan_among_classes(tmp_path):
    p = passes_over(BEIJING, ["SENTINEL-2A", "LANDSAT 9"])
    day = p[(p.tca_utc.dt.hour < 10) & (p.max_elevation_deg > 35)].head(2)
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    rows = [
        f"{r.satellite},{r.tca_utc.round('s').strftime(fmt)},{BEIJING[0]},{BEIJING[1]},Beijing,{c}"
        for r, c in zip(day.itertuples(), ("urgent", "routine"))
    ]
    classes = (
        "  - {name: urgent, trigger: {plan: plan.csv, max_off_nadir_deg: 45}, deadline_min: 30, value: 5}\n"
        "  - {name: routine, trigger: {plan: plan.csv, max_off_nadir_deg: 45}}\n"
    )
    header = "satellite,time_utc,lat_deg,lon_deg,target,class"
    res = run_scenario(write(tmp_path, rows, classes, header))
    assert sorted(res.workloads.workload) == ["routine", "urgent"]
    with pytest.raises(ScenarioError, match=r"line 3: class 'later' is not a workload class that names this plan"):
        validate_scenario(write(tmp_path, [rows[0], rows[1].replace("routine", "later")], classes, header))
    with pytest.raises(ScenarioError, match=r"give it a 'class' column"):
        validate_scenario(write(tmp_path, [r.rsplit(",", 1)[0] for r in rows], classes))


@pytest.mark.parametrize(
    "rows, header, message",
    [
        (
            ["SENTINEL-2A,2025-10-03T02:37:13Z,39.9,116.4,x"],
            "satellite,time,lat_deg,lon_deg,target",
            "no column 'time_utc'",
        ),
        (["SENTINEL-9Z,2025-10-03T02:37:13Z,39.9,116.4,x"], None, "line 2: satellite 'SENTINEL-9Z' is not among"),
        (["SENTINEL-2A,2025-10-05T02:37:13Z,39.9,116.4,x"], None, "line 2: time_utc 2025-10-05T02:37:13Z lies outside"),
        (["SENTINEL-2A,2025-10-03T02:37:13,39.9,116.4,x"], None, "line 2: time_utc '2025-10-03T02:37:13' has no zone"),
        (["SENTINEL-2A,2025-10-03T02:37:13Z,95,116.4,x"], None, "line 2: lat_deg must be a number from -90 to 90"),
        ([], None, "no rows below the header"),
    ],
)
def test_a_malformed_plan_is_refused_naming_file_line_and_fix(tmp_path, rows, header, message):
    kw = {"header": header} if header else {}
    with pytest.raises(ScenarioError, match=re.escape(message)) as err:
        validate_scenario(write(tmp_path, rows, **kw))
    assert "plan.csv" in str(err.value)


def test_a_plan_trigger_needs_a_view_condition_and_a_sun_limit_needs_daylight(tmp_path):
    with pytest.raises(ScenarioError, match="a plan trigger needs max_off_nadir_deg"):
        validate_scenario(write(tmp_path, [], "  - {name: optical, trigger: {plan: plan.csv}}"))
    classes = "  - {name: optical, trigger: {rate_per_sat_per_h: 1}, daylight_only: false, min_sun_elevation_deg: 10}"
    with pytest.raises(ScenarioError, match="min_sun_elevation_deg is given but daylight_only is false"):
        validate_scenario(write(tmp_path, [], classes))


def test_a_target_trigger_with_an_off_nadir_limit_captures_every_pass_within_it_and_no_other(tmp_path):
    # Brute force: every 10 s of the day, the off-nadir angle of each satellite over Beijing (our frames), the
    # least of each pass; captures must fall in exactly the passes whose least angle is within the limit.
    limit = 30.0
    classes = (
        f"  - {{name: optical, trigger: {{targets: [{{name: Beijing, lat_deg: {BEIJING[0]}, lon_deg: {BEIJING[1]}}}],"
        f" max_off_nadir_deg: {limit}}}, daylight_only: false}}"
    )
    res = run_scenario(write(tmp_path, [], classes))
    w = res.workloads
    p = passes_over(BEIJING, ["SENTINEL-2A", "LANDSAT 9"], mask=0.0)
    captured, expected = 0, 0
    for row in p.itertuples():
        t = pd.date_range(row.aos_utc, row.los_utc, freq="10s")
        views = [skyfield_view(str(row.satellite), ti, *BEIJING)[1] for ti in t[:: max(1, len(t) // 60)]]
        least = min(views)
        hit = (
            (w.satellite.astype(str) == str(row.satellite))
            & (w.capture_utc >= row.aos_utc)
            & (w.capture_utc <= row.los_utc)
        ).sum()
        if least < limit - 0.5:
            expected += 1
            assert hit == 1, (row.satellite, row.tca_utc, least)
        elif least > limit + 0.5:
            assert hit == 0, (row.satellite, row.tca_utc, least)
        captured += hit
    assert expected >= 2 and captured == len(w)
    for r in w.itertuples():
        assert skyfield_view(str(r.satellite), r.capture_utc, *BEIJING)[1] <= limit + 0.01


def test_a_sun_elevation_limit_keeps_only_captures_with_the_sun_that_high(tmp_path):
    classes = "  - {name: optical, trigger: {rate_per_sat_per_h: 20}, min_sun_elevation_deg: 25}"
    res = run_scenario(write(tmp_path, [], classes))
    w = res.workloads
    assert len(w) > 20
    ts = load.timescale(builtin=True)
    eph = ephemeris()  # DE421 of skyfield-data, read by Skyfield
    sats = {s.name: EarthSatellite(s.line1, s.line2, s.name, ts) for s in load_tle(TLE)}
    for r in w.itertuples():
        t = ts.from_datetime(r.capture_utc.round("us").to_pydatetime())
        lat, lon = wgs84.latlon_of(sats[str(r.satellite)].at(t))
        sun = (eph["earth"] + wgs84.latlon(lat.degrees, lon.degrees)).at(t).observe(eph["sun"]).apparent().altaz()[0]
        assert sun.degrees >= 25.0 - 0.3  # the sub-satellite point's geocentric vertical against the geodetic one
    # The limit took away captures that daylight alone keeps.
    daylight = run_scenario(write(tmp_path, [], classes.replace(", min_sun_elevation_deg: 25", ""))).workloads
    assert len(daylight) > len(w) and set(w.capture_utc) < set(daylight.capture_utc)


# Area targets: the Yangtze River Delta as a polygon (lat, lon), a region of about 250 x 300 km.
DELTA = [[30.0, 119.5], [30.0, 122.0], [32.5, 122.0], [32.5, 119.5]]
OFF_NADIR = 30  # an agile imager's pointing range: several accesses a day


def test_angle_to_a_polygon_by_hand():
    from spaceground.frames import unit_vector
    from spaceground.imaging import angle_to_polygon_rad

    square = unit_vector([0, 0, 1, 1], [0, 1, 1, 0])
    points = unit_vector([0.5, 0.5, 3.0, -1.0], [0.5, 3.0, 0.5, -1.0])
    got = np.degrees(angle_to_polygon_rad(points, square))
    # Inside; 2 deg east of the meridian edge at lon 1 (on the equator's neighbourhood, about 2 deg of arc);
    # 2 deg north of the edge at lat 1 (a great circle close to the parallel); the corner (0, 0) at sqrt(2).
    assert got[0] == 0.0
    assert got[1] == pytest.approx(2.0, abs=2e-3) and got[2] == pytest.approx(2.0, abs=2e-3)
    assert got[3] == pytest.approx(math.degrees(math.acos(math.cos(math.radians(1)) ** 2)), abs=1e-9)


def test_an_area_is_captured_once_in_each_pass_whose_cone_covers_it(tmp_path):
    # Brute force with Skyfield alone: every 2 s, is any of 400 points of the area (its edges and inside) within
    # OFF_NADIR of the satellite's nadir, and above its horizon? Each run of such seconds is a window; the run must
    # capture once in each,
    # at a time the brute force finds covered, and never outside one.
    classes = (
        f"  - {{name: strip, trigger: {{areas: [{{name: Delta, polygon: {DELTA}}}], max_off_nadir_deg: {OFF_NADIR}}},"
        " daylight_only: false}"
    )
    res = run_scenario(write(tmp_path, [], classes))
    w = res.workloads
    lat = np.linspace(30.0, 32.5, 20)
    lon = np.linspace(119.5, 122.0, 20)
    grid = np.array([(a, b) for a in lat for b in lon])
    points = wgs84.latlon(grid[:, 0], grid[:, 1]).itrs_xyz.m  # (3, 400)
    ts = load.timescale(builtin=True)
    windows = []
    for sat in [s for s in load_tle(TLE) if s.name in ("SENTINEL-2A", "LANDSAT 9")]:
        es = EarthSatellite(sat.line1, sat.line2, sat.name, ts)
        seconds = np.arange(0, 86400, 2.0)
        t = ts.utc(2025, 10, 3, 0, 0, seconds)
        r = es.at(t).frame_xyz(itrs).m  # (3, n)
        look = points[:, :, None] - r[:, None, :]  # (3, 400, n)
        cos = -np.einsum("ipn,in->pn", look, r) / np.linalg.norm(look, axis=0) / np.linalg.norm(r, axis=0)
        above = np.einsum("ipn,ip->pn", -look, points) > 0.0  # and above the point's horizon, not through the Earth
        covered = ((cos >= math.cos(math.radians(OFF_NADIR))) & above).any(axis=0)
        edges = np.flatnonzero(np.diff(covered.astype(int)))
        starts, ends = seconds[edges[covered[edges + 1]] + 1], seconds[edges[~covered[edges + 1]]]
        windows += [(sat.name, a, b) for a, b in zip(starts, ends)]
    assert len(windows) >= 2
    start = pd.Timestamp("2025-10-03T00:00:00Z")
    for name, a, b in windows:
        inside = w[
            (w.satellite.astype(str) == name) & ((w.capture_utc - start).dt.total_seconds().between(a - 3, b + 3))
        ]
        assert len(inside) == 1, (name, a, b)
    assert len(w) == len(windows) and set(w.target) == {"Delta"}


def test_an_area_too_large_or_too_thin_is_refused(tmp_path):
    huge = (
        "  - {name: a, trigger: {areas: [{name: Asia, polygon: [[0, 60], [0, 140], [50, 140], [50, 60]]}],"
        " max_off_nadir_deg: 10}}"
    )
    with pytest.raises(ScenarioError, match="reaches .* deg from its centre; an area target is at most 20 deg"):
        validate_scenario(write(tmp_path, [], huge))
    line = (
        "  - {name: a, trigger: {areas: [{name: L, polygon: [[30, 120], [31, 121], [30, 120]]}],"
        " max_off_nadir_deg: 10}}"
    )
    with pytest.raises(ScenarioError, match="at least three distinct vertices"):
        validate_scenario(write(tmp_path, [], line))


def test_an_access_shorter_than_the_search_grid_is_found_between_two_grid_points():
    from spaceground.frames import unit_vector
    from spaceground.imaging import area_windows, footprint_radius_rad

    # A satellite 500 km up, along the equator, passing the meridian at t = 1002.5 s, between two points of a
    # 5 s grid; a tiny area just inside the edge of its 30 deg cone, north of the meridian: covered about 3 s.
    R, r_sat, omega = 6378137.0, 6878137.0, 2 * math.pi / 5676.0

    def position(t):
        a = omega * (np.asarray(t, float) - 1002.5)
        return r_sat * np.stack([np.cos(a), np.sin(a), np.zeros_like(a)], axis=1)

    rho = math.degrees(float(footprint_radius_rad(30.0, r_sat, R)))
    lat = rho - 0.0017
    area = unit_vector([lat, lat, lat + 1e-4, lat + 1e-4], [-1e-4, 1e-4, 1e-4, -1e-4])
    grid = np.arange(0.0, 2000.0 + 5.0, 5.0)
    found = area_windows(position, grid, area, 30.0, R, tolerance_s=0.001)
    # The truth from the same margin on a 1 ms grid (the cone's cap against the angle to the area).
    fine = np.arange(995.0, 1010.0, 0.001)
    truth = area_windows(position, fine, area, 30.0, R, tolerance_s=0.001)
    assert len(truth) == 1 and 2.0 < truth[0][1] - truth[0][0] < 5.0  # shorter than a step of the grid
    assert len(found) == 1
    assert found[0][0] == pytest.approx(truth[0][0], abs=0.002) and found[0][1] == pytest.approx(truth[0][1], abs=0.002)
    # An area a little farther out is never covered, and nothing is found.
    far = rho + 0.01
    out = unit_vector([far, far, far + 1e-4, far + 1e-4], [-1e-4, 1e-4, 1e-4, -1e-4])
    assert area_windows(position, grid, out, 30.0, R) == []
