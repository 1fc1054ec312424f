"""Figures, the HTML report and CZML: each checked against the run's own tables."""

from __future__ import annotations

import json
import os
import re
import shutil

import matplotlib
import numpy as np
import pandas as pd
import pytest

from spaceground import plotting
from spaceground.api import compare, run_scenario
from spaceground.cli import main
from spaceground.czml import build_czml, sessions
from spaceground.errors import InputError
from spaceground.frames import geodetic_to_itrf_m, itrf_to_geodetic
from spaceground.report import build_report
from spaceground.results import read_run

from .browser import headless

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QUICKSTART = os.path.join(ROOT, "scenarios", "quickstart.yaml")
ARTIFACTS = os.path.join(ROOT, "tests", "artifacts")  # kept for CI to show (not committed)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """The quickstart under lookahead: onboard and ground work, several stations and data centres."""
    out = str(tmp_path_factory.mktemp("run") / "quickstart")
    run_scenario(QUICKSTART, policy="lookahead", output=out)
    return out


@pytest.fixture(scope="module")
def res(run_dir):
    return read_run(run_dir)


@pytest.fixture(scope="module")
def compare_dir(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("compare"))
    compare(QUICKSTART, ["ground-only", "onboard-first", "lookahead"], seeds=[1, 2], bound=False, output=out)
    return out


def _rects(ax, gid):
    """(x0, x1, y0, y1) of every rectangle in the collections tagged ``gid``."""
    out = []
    for coll in ax.collections:
        if coll.get_gid() != gid:
            continue
        for path in coll.get_paths():
            v = path.vertices
            out.append((v[:, 0].min(), v[:, 0].max(), v[:, 1].min(), v[:, 1].max()))
    return out


def test_geodetic_round_trip():
    rng = np.random.default_rng(3)
    lat, lon, alt = rng.uniform(-90, 90, 5000), rng.uniform(-180, 180, 5000), rng.uniform(-500, 4.2e7, 5000)
    r, _ = geodetic_to_itrf_m(lat, lon, alt)
    lat2, lon2, alt2 = itrf_to_geodetic(r)
    assert np.max(np.abs(lat2 - lat)) < 1e-9
    assert np.max(np.abs((lon2 - lon + 180) % 360 - 180)) < 1e-9
    assert np.max(np.abs(alt2 - alt)) < 1e-4  # 0.1 mm


def test_scene_tables_match_the_scenario(res):
    sc = res.scene
    assert len(sc["satellites"]) == 10 and set(sc["satellites"].satellite) == set(res.workloads.satellite) | set(
        sc["satellites"].satellite
    )
    # Tracks: one sample a minute over 24 h plus the end, at LEO heights, positions on their geodetic coordinates.
    tr = sc["tracks"]
    assert len(tr) == 10 * (24 * 60 + 1)
    assert tr.alt_km.between(300, 1000).all()
    r, _ = geodetic_to_itrf_m(tr.lat_deg, tr.lon_deg, tr.alt_km * 1e3)
    assert np.allclose(r, tr[["x_m", "y_m", "z_m"]].to_numpy(), atol=1e-3)
    # Every workload's deadline is its capture time plus its class's deadline.
    assert ((res.workloads.deadline_utc - res.workloads.capture_utc).dt.total_seconds() > 0).all()


def test_station_timeline_draws_every_window_and_downlink_inside_its_window(res):
    sc = res.scene
    fig = plotting.station_timeline(res.contacts, res.downlinks, sc["stations"])
    ax = fig.axes[0]
    contacts, downlinks = _rects(ax, "contact"), _rects(ax, "downlink")
    assert len(contacts) == len(res.contacts)
    assert len(downlinks) == len(res.downlinks) > 0
    # Each downlink bar lies inside a contact bar of the same row.
    for x0, x1, y0, y1 in downlinks:
        assert any(a <= x0 + 1e-9 and x1 <= b + 1e-9 and c <= y0 and y1 <= d for a, b, c, d in contacts)
    # No antenna row holds two downlinks at once (the engine's exclusivity, seen in the figure).
    by_row = {}
    for x0, x1, y0, _ in downlinks:
        by_row.setdefault(round(y0), []).append((x0, x1))
    for spans in by_row.values():
        spans.sort()
        assert all(b[0] >= a[1] - 1e-9 for a, b in zip(spans, spans[1:]))
    labels = [t.get_text() for t in ax.get_yticklabels()]
    # One row per antenna that exists: never an invented one (a session that paused while another satellite
    # used the antenna shares its row).
    for st in sc["stations"].itertuples():
        assert sum(lab.startswith(f"{st.station} antenna") for lab in labels) == st.antennas
        assert f"{st.station} (sessions overlapping)" not in labels
    matplotlib.pyplot.close(fig)


def test_satellite_timeline_bars_are_the_jobs_downlinks_and_eclipses(res):
    sc = res.scene
    fig = plotting.satellite_timeline(res.workloads, res.downlinks, sc["eclipses"], sc["satellites"])
    ax = fig.axes[0]
    w = res.workloads
    onboard = w.onboard_start_utc.notna() & w.onboard_end_utc.notna()
    assert len(_rects(ax, "onboard")) == int(onboard.sum()) > 0
    assert len(_rects(ax, "downlink")) == len(res.downlinks)
    assert len(_rects(ax, "umbra")) == int((sc["eclipses"].kind == "umbra").sum())
    # Row k holds satellite k's bars: its onboard jobs, by start time.
    names = [t.get_text() for t in ax.get_yticklabels()]
    k = names.index(w[onboard].satellite.iloc[0])
    starts = sorted(x0 for x0, _, y0, y1 in _rects(ax, "onboard") if y0 < k < y1)
    mine = w[onboard & (w.satellite == names[k])]
    assert np.allclose(starts, sorted(plotting._num(mine.onboard_start_utc)))
    matplotlib.pyplot.close(fig)


def test_battery_lines_stay_between_reserve_and_capacity(res):
    sc = res.scene
    names = list(sc["satellites"].satellite[:4])
    fig = plotting.battery_storage(res.energy, sc["satellites"], sc["eclipses"], names=names)
    ax = fig.axes[0]
    info = sc["satellites"].set_index("satellite")
    lines = {ln.get_gid(): ln for ln in ax.get_lines() if (ln.get_gid() or "").startswith("soc:")}
    assert set(lines) == {f"soc:{n}" for n in names}
    for n in names:
        y = np.asarray(lines[f"soc:{n}"].get_ydata(), float)
        assert len(y) == (res.energy.satellite == n).sum()
        reserve = 100 * info.loc[n, "reserve_wh"] / info.loc[n, "battery_wh"]
        assert y.min() >= reserve - 1e-6 and y.max() <= 100 + 1e-6
    matplotlib.pyplot.close(fig)


def test_latency_cdf_ends_at_the_delivered_share(res):
    lat = plotting._latency_of_run(res)
    fig = plotting.latency_cdf(lat)
    ax = fig.axes[0]
    (line,) = [ln for ln in ax.get_lines() if ln.get_label().startswith("lookahead")]
    share = (res.workloads.status == "delivered").mean()
    assert np.isclose(line.get_ydata()[-1], share)
    assert f"deadline met {100 * res.workloads.deadline_met.mean():.0f} %" in line.get_label()
    matplotlib.pyplot.close(fig)


def test_where_work_ran_bars_are_the_counts(res):
    fig = plotting.where_work_ran(res.workloads)
    done = res.workloads[res.workloads.status == "delivered"]
    onboard = int((done.decision == "onboard").sum())
    per_dc = done[done.decision != "onboard"].datacenter.value_counts()
    heights = [p.get_height() for p in fig.axes[0].patches]
    assert heights[0] == onboard and sorted(heights[1:]) == sorted(per_dc.tolist())
    cost = [p.get_height() for p in fig.axes[2].patches]
    assert np.isclose(sum(cost), done.cost_cny.sum())
    matplotlib.pyplot.close(fig)


def test_datacenter_load_conserves_server_time(res):
    sc = res.scene
    fig = plotting.datacenter_load(res.datacenter_jobs, sc["tariffs"], sc["datacenters"])
    for ax, dc in zip(fig.axes, sc["datacenters"].datacenter):
        (busy,) = [p for p in ax.patches if p.get_label().startswith("busy servers")]
        edges, values = busy._edges, busy._values  # the stairs' bins [days] and mean servers
        j = res.datacenter_jobs[res.datacenter_jobs.datacenter == dc]
        server_days = ((j.end_utc - j.start_utc).dt.total_seconds() / 86400).sum()
        assert np.isclose(float(np.sum(values * np.diff(edges))), server_days, rtol=1e-6, atol=1e-12)
    matplotlib.pyplot.close(fig)


def test_ground_map_places_stations_and_datacenters(res):
    sc = res.scene
    fig = plotting.ground_map(sc["tracks"], sc["stations"], sc["datacenters"], sc["backhaul"])
    ax = fig.axes[0]
    (st,) = [ln for ln in ax.get_lines() if ln.get_label() == "ground station"]
    assert np.allclose(st.get_xdata(), sc["stations"].lon_deg) and np.allclose(st.get_ydata(), sc["stations"].lat_deg)
    links = [ln for ln in ax.get_lines() if ln.get_label().startswith("_")]
    assert len(links) == len(sc["backhaul"])
    # The land outlines come from the packaged Natural Earth file: all within the globe.
    rings = plotting.world_outlines()
    assert len(rings) > 200 and all(np.abs(r[:, 0]).max() <= 180 and np.abs(r[:, 1]).max() <= 90 for r in rings)
    matplotlib.pyplot.close(fig)


def test_policy_comparison_bars_are_the_means(compare_dir):
    table = pd.read_csv(os.path.join(compare_dir, "compare.csv"))
    fig = plotting.policy_comparison(table)
    ax = [a for a in fig.axes if a.get_title() == "net value"][0]
    means = table.groupby("policy", sort=False).net_value.mean()
    assert np.allclose([p.get_height() for p in ax.patches], means.to_numpy())
    matplotlib.pyplot.close(fig)
    with pytest.raises(InputError, match="none of the metrics"):
        plotting.policy_comparison(table[["policy", "seed"]])


def test_plot_command_writes_png_and_svg(run_dir, compare_dir, tmp_path, capsys):
    out = tmp_path / "figs"
    assert main(["plot", run_dir, "-o", str(out)]) == 0
    run_figures = set(plotting.FIGURES) - {"policy_comparison", "temperatures"}  # no thermal node here
    assert not (out / "temperatures.png").exists()
    for name in run_figures:
        assert (out / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert "<svg" in (out / f"{name}.svg").read_text()[:2000]
    assert main(["plot", compare_dir, "-o", str(tmp_path / "c")]) == 0
    assert sorted(os.listdir(tmp_path / "c")) == sorted(
        f"{n}.{e}" for n in ("policy_comparison", "latency_cdf") for e in ("png", "svg")
    )
    assert main(["plot", run_dir, "--only", "ground_map", "-o", str(tmp_path / "one")]) == 0
    assert sorted(os.listdir(tmp_path / "one")) == ["ground_map.png", "ground_map.svg"]
    capsys.readouterr()
    assert main(["plot", run_dir, "--only", "gantt"]) == 2
    assert "unknown figure(s) ['gantt']" in capsys.readouterr().err
    assert main(["plot", str(tmp_path / "nothing")]) == 2
    assert "no such folder" in capsys.readouterr().err
    assert main(["plot", str(tmp_path)]) == 2
    assert "not a run folder" in capsys.readouterr().err


def test_report_is_self_contained_and_renders_in_chromium(run_dir, tmp_path):
    page = tmp_path / "report.html"
    assert main(["report", run_dir, "-o", str(page)]) == 0
    text = page.read_text()
    # Self-contained: no scripts, stylesheets or images fetched from anywhere (the interactive parts are inline).
    for tag in ("<link", "<img", "<iframe", "@import"):
        assert tag not in text
    assert not re.search(r"<script[^>]*\bsrc=", text)
    assert not re.search(r"url\((?!#)", text)  # only references inside the page (SVG clip paths)
    assert not re.search(r"(?:src|href)=\"(?!#)", text)
    profile = tmp_path / "chromium-profile"
    dom = headless(profile, "--dump-dom", page.as_uri()).stdout
    figures = set(plotting.FIGURES) - {"policy_comparison", "temperatures"}  # the quickstart has no thermal node
    assert dom.count("<figure") == len(figures)
    for name in figures:
        assert f'<figure id="{name}"><svg' in dom
    assert dom.count("<table") >= 3  # metrics, where the workloads went, versions
    metrics = json.load(open(os.path.join(run_dir, "metrics.json")))
    assert f"<td>{metrics['captures']}</td>" in dom
    os.makedirs(ARTIFACTS, exist_ok=True)
    shot = os.path.join(ARTIFACTS, "report.png")
    headless(profile, "--window-size=1280,3000", f"--screenshot={shot}", page.as_uri())
    data = open(shot, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1280, 3000)


def test_run_with_report_flag(tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["run", QUICKSTART, "-o", str(out), "--report"]) == 0
    assert (out / "report.html").exists()
    assert "report:" in capsys.readouterr().out
    assert main(["report", str(out), "-o", str(tmp_path / "x.pdf")]) == 2


def test_comparison_report(compare_dir):
    text = build_report(compare_dir)
    assert '<figure id="policy_comparison">' in text and '<figure id="latency_cdf">' in text
    assert "onboard-first" in text


def test_czml_document_matches_the_run(res, run_dir, tmp_path):
    czml3 = pytest.importorskip("czml3")
    path = tmp_path / "scene.czml"
    assert main(["export-czml", run_dir, "-o", str(path)]) == 0
    doc = json.loads(path.read_text())
    assert doc == json.loads(json.dumps(build_czml(res)))
    assert doc[0]["id"] == "document" and doc[0]["version"] == "1.0"
    ids = [p["id"] for p in doc]
    assert len(ids) == len(set(ids))
    sc = res.scene
    start = sc["tracks"].time_utc.min()
    t_expected = (sc["tracks"].time_utc.drop_duplicates() - start).dt.total_seconds().to_numpy()
    sats = [p for p in doc if p["id"].startswith("satellite/")]
    assert len(sats) == len(sc["satellites"])
    for p, s in zip(sats, sc["satellites"].itertuples()):
        samples = np.asarray(p["position"]["cartesian"]).reshape(-1, 4)
        assert np.allclose(samples[:, 0], t_expected)  # positions at the run's sampled times
        tr = sc["tracks"][sc["tracks"].satellite == s.satellite]
        assert np.allclose(samples[:, 1:], tr[["x_m", "y_m", "z_m"]].to_numpy(), atol=1e-3)
        assert p["position"]["referenceFrame"] == "FIXED"
    links = [p for p in doc if p["id"].startswith("downlink/")]
    assert len(links) == len(sessions(res.downlinks)) > 0
    # Each downlink link is shown within the run and refers to packets that exist.
    lo, hi = doc[0]["clock"]["interval"].split("/")
    for p in links:
        a, b = p["availability"].split("/")
        assert pd.Timestamp(lo) <= pd.Timestamp(a) <= pd.Timestamp(b) <= pd.Timestamp(hi)
        for ref in p["polyline"]["positions"]["references"]:
            assert ref.split("#")[0] in ids
    # Downlinked bytes are all there, session by session.
    total = sum(float(p["name"].split(": ")[1].split(" GB")[0]) for p in links)
    assert np.isclose(total, res.downlinks.bytes.sum() / 1e9, rtol=1e-3)
    for p in doc:
        czml3.Packet.model_validate(p)
    assert main(["export-czml", run_dir, "-o", str(tmp_path / "scene.kml")]) == 2


def test_folders_without_scene_tables_get_a_clear_error(run_dir, tmp_path, capsys):
    old = tmp_path / "old-run"
    shutil.copytree(run_dir, old)
    for name in os.listdir(old):
        if name.startswith("scene_"):
            os.remove(old / name)
    assert main(["plot", str(old)]) == 2
    assert "written by an older spaceground: run the scenario again" in capsys.readouterr().err
    assert main(["export-czml", str(old), "-o", str(tmp_path / "x.czml")]) == 2
    assert "no scene tables" in capsys.readouterr().err
