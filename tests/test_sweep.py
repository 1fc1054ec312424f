"""Sweeps on a real Dask LocalCluster (2 workers), the geometry cache, resuming, failures."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pandas as pd
import pytest
import yaml

from spaceground.api import run_scenario
from spaceground.cache import GeometryCache
from spaceground.cli import main
from spaceground.simulate import prepare
from spaceground.sweep import SweepError, build_variants, get_path, load_sweep, run_sweep, set_path

from .test_integrity import _interruptible

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QUICKSTART = os.path.join(ROOT, "scenarios", "quickstart.yaml")
METRICS = [
    "captures",
    "delivered",
    "value_delivered",
    "energy_onboard_kwh",
    "cost_cny",
    "carbon_kg",
    "time_to_product_p50_min",
    "deadline_hit_rate",
]


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    # Workers load a user policy from its file beside the scenario: they need no path of ours.
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


def write(path, data):
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return str(path)


def small_sweep(tmp_path, **extra):
    """Three battery sizes x two policies on the quickstart cut to 6 h (one geometry), plus one
    variant of 3 h (a second geometry); seeds 1 and 2."""
    extra.setdefault("base", QUICKSTART)
    return write(
        tmp_path / "sweep.yaml",
        {
            "name": "small",
            "grid": {
                "duration_h": [6],
                "satellites.profiles.3U dove.battery_wh": [20, 80],
                "policy.name": ["ground-only", "lookahead"],
            },
            "variants": [{"duration_h": 3, "policy.name": "onboard-first"}],
            "seeds": [1, 2],
            **extra,
        },
    )


def test_key_paths_reach_dicts_and_list_entries():
    data = {"datacenters": [{"id": "east", "pue": 1.3}, {"id": "west"}], "satellites": {"default": {}}}
    set_path(data, "datacenters.west.pue", 1.1)
    set_path(data, "datacenters.0.servers", 8)
    set_path(data, "satellites.default.battery_wh", 100)
    set_path(data, "policy.params.V", 5)
    assert data["datacenters"] == [{"id": "east", "pue": 1.3, "servers": 8}, {"id": "west", "pue": 1.1}]
    assert data["satellites"]["default"]["battery_wh"] == 100 and data["policy"] == {"params": {"V": 5}}
    assert get_path(data, "datacenters.west.pue") == 1.1 and get_path(data, "datacenters.north.pue") is None
    with pytest.raises(KeyError, match="no entry with id or name 'north'"):
        set_path(data, "datacenters.north.pue", 1.0)
    with pytest.raises(KeyError, match="the list has 2 entries"):
        set_path(data, "datacenters.5.pue", 1.0)


def test_invalid_variants_are_all_reported_before_anything_runs(tmp_path):
    path = write(
        tmp_path / "bad.yaml",
        {
            "base": QUICKSTART,
            "grid": {"satellites.default.battery_wh": [40, -5], "policy.name": ["ground-only", "no-such-policy"]},
        },
    )
    with pytest.raises(SweepError) as err:
        run_sweep(path, output=str(tmp_path / "out"), cache_dir=str(tmp_path / "cache"))
    text = str(err.value)
    assert "3 of 4 variants are invalid; the sweep did not start" in text
    assert "variant 1 (satellites.default.battery_wh=40, policy.name='no-such-policy')" in text
    assert "satellites.default.battery_wh" in text and "no-such-policy" in text
    assert not os.path.exists(tmp_path / "out" / "runs") or not os.listdir(tmp_path / "out" / "runs")
    for data, message in [
        ({"base": QUICKSTART, "gird": {}}, "unknown key 'gird'; did you mean 'grid'?"),
        ({"grid": {"seed": [1]}}, "base: name the scenario file"),
        ({"base": "nowhere.yaml", "grid": {"seed": [1]}}, "scenario file not found"),
        ({"base": QUICKSTART, "grid": {"seed": []}}, "grid: seed: give a non-empty list"),
        ({"base": QUICKSTART}, "nothing to vary"),
        ({"base": QUICKSTART, "grid": {"seed": [1]}, "seeds": "3-1"}, "seeds"),
    ]:
        with pytest.raises(SweepError, match=message):
            load_sweep(write(tmp_path / "s.yaml", data))


def test_sweep_on_a_local_cluster_equals_runs_one_by_one(tmp_path, client):
    path = small_sweep(tmp_path)
    cache = str(tmp_path / "cache")
    table = run_sweep(path, output=str(tmp_path / "out"), cache_dir=cache, client=client, progress=False)
    assert len(table) == (2 * 2 + 1) * 2 and (table.status == "done").all() and table.ran.all()
    assert set(table.columns) >= {"duration_h", "satellites.profiles.3U dove.battery_wh", "policy.name", *METRICS}
    # The variant that leaves the battery alone shows the base scenario's value.
    assert table[table.variant == 4]["satellites.profiles.3U dove.battery_wh"].eq(40).all()
    for v in build_variants(load_sweep(path)):
        alone = run_scenario(v.loaded()).metrics
        row = table[(table.variant == v.index) & (table.seed == v.seed)].iloc[0]
        for m in METRICS:
            assert row[m] == pytest.approx(alone[m], rel=1e-12, abs=1e-12), (v.index, v.seed, m)
        assert os.path.exists(os.path.join(row.run_dir, "workloads.parquet"))
    # Two geometries (6 h and 3 h), each computed once (main and target access), never per variant.
    geo = table.attrs["geometry"]
    assert geo == {"groups": 2, "computed": 4, "from_disk": 0}
    assert (table.geometry_misses == 0).all() and (table.geometry_hits == 2).all()
    saved = pd.read_parquet(tmp_path / "out" / "sweep.parquet")
    assert len(saved) == len(table) and list(saved.columns) == list(table.columns)


def test_a_failing_variant_leaves_the_others_complete(tmp_path, client):
    base = copy_scenario(tmp_path, "quickstart")
    shutil.copy(os.path.join(ROOT, "tests", "policies_for_tests.py"), tmp_path)  # a policy file beside the scenario
    path = small_sweep(
        tmp_path, base=base, variants=[{"duration_h": 3, "policy.name": "policies_for_tests:NowhereToGo"}]
    )
    with pytest.raises(SweepError, match="add --allow-code"):  # user code runs only with consent
        run_sweep(path, output=str(tmp_path / "out"), cache_dir=str(tmp_path / "cache"), client=client, progress=False)
    table = run_sweep(
        path,
        output=str(tmp_path / "out"),
        cache_dir=str(tmp_path / "cache"),
        client=client,
        progress=False,
        allow_code=True,
    )
    failed = table[table.status == "failed"]
    assert set(failed.variant) == {4} and len(failed) == 2
    assert failed.error.str.contains("PolicyError").all() and failed.error.str.contains("on_arrival returned 99").all()
    assert (table[table.variant != 4].status == "done").all()
    assert not [d for d in os.listdir(tmp_path / "out" / "runs") if d.endswith(".partial")]


def test_an_interrupted_sweep_resumes_without_redoing_completed_runs(tmp_path, client):
    path = small_sweep(tmp_path)
    out, cache = str(tmp_path / "out"), str(tmp_path / "cache")
    first = run_sweep(path, output=out, cache_dir=cache, client=client, progress=False)
    # The interruption: three runs never finished (one of them half written), the results table never saved.
    lost = first.run_dir.iloc[[1, 4, 7]].tolist()
    for folder in lost:
        shutil.rmtree(folder)
    shutil.copytree(first.run_dir.iloc[0], lost[0] + ".partial")
    os.remove(os.path.join(out, "sweep.parquet"))
    kept_mtime = {d: os.path.getmtime(os.path.join(d, "metrics.json")) for d in first.run_dir if d not in lost}
    again = run_sweep(path, output=out, cache_dir=cache, client=client, progress=False)
    assert int(again.ran.sum()) == 3 and set(again[again.ran].run_dir) == set(lost)
    assert (again.status == "done").all()
    for d, t in kept_mtime.items():
        assert os.path.getmtime(os.path.join(d, "metrics.json")) == t  # not rewritten
    cols = ["variant", "seed", *METRICS]
    pd.testing.assert_frame_equal(first[cols], again[cols])
    # The geometry of this second pass came from the disk cache, not recomputed.
    assert again.attrs["geometry"]["computed"] == 0 and again.attrs["geometry"]["from_disk"] > 0


def test_geometry_cache_hits_and_equals_a_fresh_computation(tmp_path):
    from spaceground.scenario import load_scenario

    loaded = load_scenario(QUICKSTART).with_overrides(seed=3)
    cache = GeometryCache(str(tmp_path))
    _, first = prepare(loaded, cache=cache)
    assert (cache.hits, cache.misses) == (0, 2)
    _, second = prepare(loaded, cache=cache)
    assert (cache.hits, cache.misses) == (2, 2)
    _, fresh = prepare(loaded)
    pd.testing.assert_frame_equal(second.geometry.contacts, fresh.geometry.contacts)
    pd.testing.assert_frame_equal(second.geometry.eclipses, fresh.geometry.eclipses)
    pd.testing.assert_frame_equal(second.captures, fresh.captures)
    assert np.array_equal(second.segments[0][0], first.segments[0][0])
    # Another span is another pair of entries (main geometry and target access); the same span, none.
    from spaceground.scenario import parse_scenario

    half = parse_scenario(loaded.text.replace("duration_h: 24", "duration_h: 12"), "half.yaml", loaded.base_dir)
    cache = GeometryCache(str(tmp_path))
    prepare(half, cache=cache)
    prepare(loaded.with_overrides(seed=9), cache=cache)
    assert (cache.hits, cache.misses) == (2, 2)
    assert len([d for d in os.listdir(tmp_path / "geometry") if not d.startswith(".")]) == 4


def test_sweep_and_plot_sweep_commands(tmp_path, capsys):
    path = write(
        tmp_path / "s.yaml",
        {
            "base": QUICKSTART,
            "grid": {"duration_h": [2, 4], "policy.name": ["ground-only", "onboard-first"]},
            "seeds": "1-2",
        },
    )
    out = tmp_path / "out"
    assert main(["sweep", path, "-o", str(out), "--workers", "2", "--cache", str(tmp_path / "cache")]) == 0
    text = capsys.readouterr().out
    assert "sweep: 8 runs: 8 done (0 from before), 0 failed; geometry: 2 distinct" in text
    assert main(["sweep", path, "-o", str(out), "--workers", "2", "--cache", str(tmp_path / "cache")]) == 0
    assert "8 done (8 from before)" in capsys.readouterr().out
    assert main(["plot-sweep", str(out), "--metric", "delivered"]) == 0
    assert (out / "sweep_delivered.png").read_bytes()[:4] == b"\x89PNG"
    assert main(["plot-sweep", str(out), "--metric", "happiness"]) == 2
    assert "no metric 'happiness'" in capsys.readouterr().err
    assert main(["sweep", path, "--workers", "0"]) == 2
    assert main(["sweep", path, "--scheduler", "tcp://127.0.0.1:1", "--workers", "2"]) == 2


def test_the_bundled_sweep_file_is_valid():
    path = os.path.join(ROOT, "scenarios", "sweeps", "quickstart-battery-policy.yaml")
    variants = build_variants(load_sweep(path))
    assert len(variants) == 4 * 3 * 3 and len({v.hash for v in variants}) == 36


def copy_scenario(tmp_path, name):
    """A bundled scenario copied with the files it refers to into ``tmp_path`` (so that a test may edit them)."""
    from spaceground.scenario import load_scenario

    loaded = load_scenario(os.path.join(ROOT, "scenarios", f"{name}.yaml"))
    text = loaded.text
    for rel in loaded.referenced_files():
        target = tmp_path / os.path.basename(rel)
        shutil.copy(loaded.path(rel), target)
        text = text.replace(rel, target.name)
    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    return str(path)


def test_the_run_hash_covers_every_file_the_scenario_refers_to(tmp_path):
    from spaceground.scenario import load_scenario

    path = copy_scenario(tmp_path, "energy-constrained-region")
    before = load_scenario(path).sha256
    csv = tmp_path / "kashi_available_power_2025-10-03.csv"
    csv.write_text(csv.read_text().replace(",15.6\n", ",15.7\n", 1))  # the available_power_kw series
    after_csv = load_scenario(path).sha256
    assert after_csv != before
    tle = next(tmp_path.glob("*.tle"))
    tle.write_text(tle.read_text() + "\n")  # the same elements, another file content
    assert load_scenario(path).sha256 not in (before, after_csv)


def test_the_hash_covers_a_user_policy_module_beside_the_scenario(tmp_path):
    from spaceground.scenario import load_scenario

    path = copy_scenario(tmp_path, "quickstart")
    (tmp_path / "mine.py").write_text(
        "from spaceground.policies import GROUND, BasePolicy\n\nclass Mine(BasePolicy):\n    pass\n"
    )
    loaded = load_scenario(path).with_overrides(policy="mine:Mine")
    before = loaded.sha256
    assert "mine.py" in loaded.referenced_files()
    (tmp_path / "mine.py").write_text(
        "from spaceground.policies import GROUND, BasePolicy\n\nclass Mine(BasePolicy):\n    x = 1\n"
    )
    assert load_scenario(path).with_overrides(policy="mine:Mine").sha256 != before


def test_a_sweep_reruns_a_variant_whose_tle_file_changed(tmp_path, client):
    base = copy_scenario(tmp_path, "quickstart")
    path = write(tmp_path / "s.yaml", {"base": base, "grid": {"duration_h": [2], "policy.name": ["ground-only"]}})
    out, cache = str(tmp_path / "out"), str(tmp_path / "cache")
    first = run_sweep(path, output=out, cache_dir=cache, client=client, progress=False)
    again = run_sweep(path, output=out, cache_dir=cache, client=client, progress=False)
    assert first.ran.all() and not again.ran.any()  # nothing changed: nothing runs again
    tle = next(tmp_path.glob("*.tle"))
    lines = tle.read_text().splitlines()
    tle.write_text("\n".join(lines[:-3]) + "\n")  # one satellite fewer in the file (not one of those selected)
    edited = run_sweep(path, output=out, cache_dir=cache, client=client, progress=False)
    assert edited.ran.all() and (edited.status == "done").all()
    assert edited.hash.iloc[0] != first.hash.iloc[0]


def test_a_varied_key_that_a_profile_overrides_everywhere_is_refused(tmp_path):
    # Every satellite of the quickstart takes battery_wh from a profile: a catalogue preset (Sentinel-2,
    # Landsat 8 and 9) or the '3U dove' profile's own key.
    path = write(tmp_path / "flat.yaml", {"base": QUICKSTART, "grid": {"satellites.default.battery_wh": [40, 160]}})
    with pytest.raises(SweepError) as err:
        build_variants(load_sweep(path))
    text = str(err.value)
    assert "satellites.default.battery_wh: its values ['160', '40'] change nothing the run uses" in text
    assert "sentinel-2 (battery_wh: 2800)" in text and "landsat-8 (battery_wh: 3500)" in text
    assert "3U dove (battery_wh: 40)" in text and "vary satellites.profiles.<name>.battery_wh instead" in text
    # The Doves' own battery is flown: accepted.
    path = write(
        tmp_path / "ok.yaml", {"base": QUICKSTART, "grid": {"satellites.profiles.3U dove.battery_wh": [40, 160]}}
    )
    assert len(build_variants(load_sweep(path))) == 2


def test_the_bundled_sweep_answers_its_question():
    # Its varied battery is one the energy-scarce Doves fly: the value a policy delivers changes with it.
    path = os.path.join(ROOT, "scenarios", "sweeps", "quickstart-battery-policy.yaml")
    variants = [v for v in build_variants(load_sweep(path)) if v.seed == 1 and v.params["policy.name"] == "ground-only"]
    values = {
        v.params["satellites.profiles.3U dove.battery_wh"]: run_scenario(v.loaded().with_overrides(seed=1)).metrics[
            "value_delivered"
        ]
        for v in variants
        if v.params["satellites.profiles.3U dove.battery_wh"] in (10, 40)
    }
    assert values[40] > values[10] + 10


KILLER = """
import os
import signal

from spaceground.policies import GROUND, BasePolicy

MARKER = {marker!r}


class KillOnce(BasePolicy):
    # The first time it is created, the worker process running it dies (as a machine would fail).
    def __init__(self):
        if not os.path.exists(MARKER):
            open(MARKER, "w").write(str(os.getpid()))
            os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_killed_worker_loses_no_completed_run(tmp_path, client):
    base = copy_scenario(tmp_path, "quickstart")
    (tmp_path / "killer.py").write_text(KILLER.format(marker=str(tmp_path / "killed")))
    path = write(
        tmp_path / "s.yaml",
        {
            "base": base,
            "grid": {"duration_h": [2], "policy.name": ["ground-only", "onboard-first", "killer:KillOnce"]},
            "seeds": [1, 2],
        },
    )
    out, cache = str(tmp_path / "out"), str(tmp_path / "cache")
    first = run_sweep(path, output=out, cache_dir=cache, client=client, progress=False, allow_code=True)
    assert (tmp_path / "killed").exists()  # a worker did die
    # Dask re-runs the lost task elsewhere, or the sweep records it as failed; nothing else is lost.
    assert (first[first["policy.name"] != "killer:KillOnce"].status == "done").all()
    again = run_sweep(path, output=out, cache_dir=cache, client=client, progress=False, allow_code=True)
    assert (again.status == "done").all()
    done_before = set(first[first.status == "done"].hash)
    assert set(again[~again.ran].hash) == done_before  # completed runs were not redone


SLOW = """
import os
import time

from spaceground.policies import GROUND, BasePolicy


class Slow(BasePolicy):
    # Slow only where the test asks (the interrupted sweep); its decisions are the same either way.
    def on_capture(self, view):
        if os.environ.get("SLOW_POLICY_S"):
            time.sleep(float(os.environ["SLOW_POLICY_S"]))
        return GROUND
"""


def test_ctrl_c_ends_a_sweep_with_one_line_and_it_resumes(tmp_path):
    import signal
    import subprocess
    import sys

    from .test_engine import tiny

    (tmp_path / "slow.py").write_text(SLOW)
    (tmp_path / "base.yaml").write_text(tiny("slow:Slow", hours=24).text)
    path = write(tmp_path / "s.yaml", {"base": "base.yaml", "grid": {"duration_h": [12, 24]}, "seeds": [1, 2, 3]})
    cmd = [
        sys.executable,
        "-m",
        "spaceground.cli",
        "sweep",
        path,
        "-o",
        str(tmp_path / "out"),
        "--workers",
        "1",
        "--allow-code",
        "--cache",
        str(tmp_path / "cache"),
    ]
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "SLOW_POLICY_S": "2"},
        preexec_fn=_interruptible,
    )
    seen = ""
    while "completed" not in seen:  # a first run is complete
        line = proc.stderr.readline()
        assert line, seen
        seen += line
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130
    assert err.strip().splitlines() == [
        "spaceground: interrupted; every run completed so far is kept: run the same command again to resume"
    ]
    kept = [d for d in os.listdir(tmp_path / "out" / "runs") if not d.startswith(".")]
    assert 1 <= len(kept) < 6
    table = run_sweep(
        path,
        output=str(tmp_path / "out"),
        cache_dir=str(tmp_path / "cache"),
        workers=1,
        progress=False,
        allow_code=True,
    )
    assert (table.status == "done").all() and int((~table.ran).sum()) == len(kept)
