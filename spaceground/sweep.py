"""Parameter sweeps: many variants of a scenario, each run independently on Dask.

A sweep file (YAML)::

    name: battery-vs-policy
    base: quickstart.yaml                 # the scenario, relative to this file
    grid:                                 # every combination of these values
      satellites.default.battery_wh: [40, 80, 160]
      policy.name: [ground-only, lookahead]
    variants:                             # and/or an explicit list
      - {satellites.default.battery_wh: 20, policy.name: onboard-first}
    seeds: 1-3                            # or [1, 2, 3]; default: the scenario's seed

A key path is dotted; a list element is picked by its index (``datacenters.0``) or by
its ``id`` or ``name`` (``datacenters.ningxia.price_cny_per_kwh``). Every variant is
built and validated (the whole scenario check, cross references included) before
anything runs; all invalid variants are reported together, with their key paths.

Running (:func:`run_sweep`): one Dask task per variant and seed, on a ``LocalCluster``
of this machine or on an existing scheduler. Variants that share orbits, stations and
span share their geometry: one task per distinct geometry fills the on-disk
:class:`~spaceground.cache.GeometryCache` first, the variants then read it. Each run
writes its folder ``runs/<hash>`` (the hash of its full scenario text and seed),
renamed into place when complete; a sweep started again skips the variants whose
folder is complete, so an interrupted sweep resumes. A failing variant records its
error and the others go on. The results: ``sweep.parquet`` and ``sweep.csv``, one row
per variant and seed, the varied parameters as columns, then every metric of the run.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import itertools
import json
import logging
import math
import os
import sys
import time

import pandas as pd

from .atomic import atomic_path, write_text
from .cache import GeometryCache, default_cache_dir, geometry_key
from .errors import InputError, SpacegroundError
from .scenario import hardware_catalogue, read_yaml, write_yaml
from .textfiles import read_text_file

MAX_RUNS = 100_000  # runs in one sweep (variants x seeds); more is not a study one means to start at once
SWEEP_KEYS = ("name", "description", "base", "grid", "variants", "seeds")


class SweepError(InputError):
    """A sweep file or one of its variants is invalid."""


class Variant:
    """One variant: its parameters, seed, full scenario text and hash, and the cache key of its
    geometry (variants with the same key share one geometry computation)."""

    def __init__(self, index, params, seed, text, source, base_dir, geometry, scenario_sha256, allow_code=False):
        self.index, self.params, self.seed, self.allow_code = index, params, seed, allow_code
        self.text, self.source, self.base_dir, self.geometry = text, source, base_dir, geometry
        # Everything that determines the run: the scenario with every file it refers to and the
        # version (see LoadedScenario.sha256), and the seed. A run folder under this hash is never stale.
        self.hash = hashlib.sha256(f"{scenario_sha256}\nseed: {seed}\n".encode()).hexdigest()

    def loaded(self):
        from .scenario import parse_scenario

        return parse_scenario(self.text, self.source, self.base_dir).with_overrides(
            seed=self.seed, allow_code=self.allow_code
        )


class Sweep:
    """A parsed sweep file: the base scenario (path and plain data), the variants (parameters per
    variant) and seeds."""

    def __init__(self, path, name, base_path, base, params, seeds, text):
        self.path, self.name, self.base_path, self.base, self.params, self.seeds, self.text = (
            path,
            name,
            base_path,
            base,
            params,
            seeds,
            text,
        )

    @property
    def keys(self):
        """Every varied key path, in first-seen order."""
        return list(dict.fromkeys(k for p in self.params for k in p))


def _seeds(value, where):
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return [value]
    if isinstance(value, str):
        from .scenario import parse_seeds

        try:
            return parse_seeds(value, max_count=MAX_RUNS)
        except InputError as exc:
            raise SweepError(f"{where}: seeds: {exc}".replace("--seeds: ", "")) from None
    if (
        isinstance(value, list)
        and value
        and all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in value)
    ):
        return list(value)
    raise SweepError(f"{where}: seeds must be a list of integers >= 0 or a range like 1-5, got {value!r}")


def load_sweep(path) -> Sweep:
    """Read a sweep file and expand its grid and variants (the scenario check comes in :func:`build_variants`)."""
    path = os.fspath(path)
    text = read_text_file(path, "sweep")
    try:
        data = read_yaml(text, path)
    except InputError as exc:
        raise SweepError(str(exc)) from None
    if not isinstance(data, dict):
        raise SweepError(f"{path}: a sweep file is a mapping with keys {', '.join(SWEEP_KEYS)}")
    for key in data:
        if key not in SWEEP_KEYS:
            close = difflib.get_close_matches(str(key), SWEEP_KEYS, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; the keys are {', '.join(SWEEP_KEYS)}"
            raise SweepError(f"{path}: unknown key {key!r}{hint}")
    if "base" not in data or not isinstance(data["base"], str):
        raise SweepError(f"{path}: base: name the scenario file to vary (a path relative to the sweep file)")
    base = (
        data["base"]
        if os.path.isabs(data["base"])
        else os.path.join(os.path.dirname(os.path.abspath(path)), data["base"])
    )
    if not os.path.exists(base):
        raise SweepError(f"{path}: base: scenario file not found: {base}")
    params = []
    grid = data.get("grid")
    if grid is not None:
        if not isinstance(grid, dict) or not grid:
            raise SweepError(f"{path}: grid: a mapping of key path -> list of values")
        for key, values in grid.items():
            if not isinstance(values, list) or not values:
                raise SweepError(f"{path}: grid: {key}: give a non-empty list of values, got {values!r}")
        keys = list(grid)
        combos = math.prod(len(grid[k]) for k in keys)
        if combos > MAX_RUNS:
            raise SweepError(
                f"{path}: grid: {' x '.join(str(len(grid[k])) for k in keys)} = {combos:,} variants; at "
                f"most {MAX_RUNS:,} runs in one sweep: narrow the grid"
            )
        params += [dict(zip(keys, combo)) for combo in itertools.product(*(grid[k] for k in keys))]
    listed = data.get("variants")
    if listed is not None:
        if not isinstance(listed, list) or not all(isinstance(v, dict) and v for v in listed):
            raise SweepError(f"{path}: variants: a list of mappings of key path -> value")
        params += [dict(v) for v in listed]
    if not params:
        raise SweepError(f"{path}: nothing to vary: give a grid, a list of variants, or both")
    seeds = _seeds(data.get("seeds"), path)
    runs = len(params) * (len(seeds) if seeds else 1)
    if runs > MAX_RUNS:
        raise SweepError(
            f"{path}: {len(seeds) if seeds else 1:,} seeds x {len(params):,} variants = {runs:,} runs; at "
            f"most {MAX_RUNS:,} in one sweep: narrow the grid or the seeds"
        )
    name = str(data.get("name") or os.path.splitext(os.path.basename(path))[0])
    base = os.path.abspath(base)
    return Sweep(path, name, base, read_yaml(read_text_file(base, "scenario"), base), params, seeds, text)


def set_path(data, key_path, value):
    """Set ``value`` at a dotted key path in nested dicts and lists (see the module docstring)."""
    parts = str(key_path).split(".")
    node = data
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        here = ".".join(parts[: depth + 1])
        if isinstance(node, list):
            if part.lstrip("-").isdigit():
                k = int(part)
                if not -len(node) <= k < len(node):
                    raise KeyError(f"{here}: the list has {len(node)} entries")
            else:
                found = [
                    i
                    for i, item in enumerate(node)
                    if isinstance(item, dict) and part in (str(item.get("id")), str(item.get("name")))
                ]
                if not found:
                    known = [str(item.get("id", item.get("name"))) for item in node if isinstance(item, dict)]
                    raise KeyError(f"{here}: no entry with id or name {part!r} (entries: {', '.join(known)})")
                k = found[0]
            if last:
                node[k] = value
            else:
                node = node[k]
        elif isinstance(node, dict):
            if last:
                node[part] = value
            else:
                if node.get(part) is None:
                    node[part] = {}
                node = node[part]
        else:
            raise KeyError(f"{here}: {'.'.join(parts[:depth]) or 'the scenario'} is a value, not a mapping or list")


def get_path(data, key_path, default=None):
    """The value at a dotted key path (as :func:`set_path` reads it), or ``default``."""
    node = data
    for part in str(key_path).split("."):
        if isinstance(node, list):
            if part.lstrip("-").isdigit() and -len(node) <= int(part) < len(node):
                node = node[int(part)]
                continue
            found = [
                item for item in node if isinstance(item, dict) and part in (str(item.get("id")), str(item.get("name")))
            ]
            if not found:
                return default
            node = found[0]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return default
    return node


def build_variants(sweep: Sweep, allow_code=False) -> list:
    """Every variant x seed as a :class:`Variant`, each validated as a whole scenario.

    Raises :class:`SweepError` listing every invalid variant (nothing has run)."""
    from .model import resolve
    from .policies import make_policy
    from .scenario import parse_scenario

    base_dir = os.path.dirname(sweep.base_path)
    problems, out = [], []
    fingerprints = {}
    for k, params in enumerate(sweep.params):
        label = f"{sweep.path}: variant {k} ({', '.join(f'{p}={v!r}' for p, v in params.items())})"
        data = copy.deepcopy(sweep.base)
        try:
            for key, value in params.items():
                set_path(data, key, value)
        except KeyError as exc:
            problems.append(f"{label}: {exc.args[0]}")
            continue
        text = write_yaml(data)
        source = f"{sweep.base_path} [variant {k}]"
        try:
            loaded = parse_scenario(text, source, base_dir)
            model = resolve(loaded)
            make_policy(
                loaded.model.policy.name,
                loaded.model.policy.params,
                base_dir=base_dir,
                check_only=True,
                allow_code=allow_code,
            )
            if ":" in loaded.model.policy.name and not allow_code:
                raise SweepError(
                    f"policy {loaded.model.policy.name!r} is code from a file beside the scenario; it runs "
                    "only with your consent: if you trust it, add --allow-code"
                )
        except SpacegroundError as exc:
            detail = str(exc).replace(f"{source}, ", "").replace(source + ": ", "")
            problems.append(f"{label}: {detail}")
            continue
        seeds = sweep.seeds or [loaded.model.seed]
        fingerprints[k] = _fingerprint(loaded, model)
        geometry = geometry_key(model.constellation, [g.station for g in model.stations], model.span)
        out += [
            Variant(
                k, params, seed, text, source, base_dir, geometry, loaded.with_overrides(seed=seed).sha256, allow_code
            )
            for seed in seeds
        ]
    if problems:
        raise SweepError(
            f"{len(problems)} of {len(sweep.params)} variants are invalid; the sweep did not start:\n"
            + "\n".join(problems)
        )
    flat = _keys_without_effect(sweep, fingerprints)
    if flat:
        raise SweepError(f"{sweep.path}: " + "; ".join(flat) + "; the sweep did not start (vary what the run uses)")
    return out


def _fingerprint(loaded, model):
    """What a run depends on, resolved: the hardware each satellite flies, the backhaul, and every other key."""
    data = loaded.model.model_dump(mode="json")
    data.pop("satellites"), data.pop("backhaul")
    return (
        repr(model.hardware),
        model.link_bps.tobytes(),
        model.link_latency_s.tobytes(),
        json.dumps(data, sort_keys=True),
    )


def _keys_without_effect(sweep, fingerprints):
    """The varied key paths whose values change nothing a run depends on (another key overrides them
    everywhere they would apply), each with what overrides it where that can be said."""
    out = []
    for key in sweep.keys:
        groups = {}
        for k, params in enumerate(sweep.params):
            if key in params and k in fingerprints:
                rest = json.dumps({p: v for p, v in params.items() if p != key}, sort_keys=True, default=str)
                groups.setdefault(rest, []).append((params[key], fingerprints[k]))
        varied = [g for g in groups.values() if len({json.dumps(v, default=str) for v, _ in g}) > 1]
        if varied and all(len({f for _, f in g}) == 1 for g in varied):
            out.append(
                f"{key}: its values {sorted({json.dumps(v, default=str) for g in varied for v, _ in g})} change "
                f"nothing the run uses{_overridden_by(sweep, key)}"
            )
    return out


def _overridden_by(sweep, key):
    parts = str(key).split(".")
    if parts[:2] != ["satellites", "default"] or len(parts) != 3:
        return ""
    presets = hardware_catalogue()["satellites"]

    def value(p):  # what the profile sets the key to: its own value, else its catalogue preset's
        if parts[2] in p:
            return p[parts[2]]
        return presets.get(p.get("preset"), {}).get("values", {}).get(parts[2])

    profiles = [p for p in (get_path(sweep.base, "satellites.profiles") or []) if isinstance(p, dict)]
    profiles = [p for p in profiles if value(p) is not None]
    if not profiles:
        return ""
    names = ", ".join(
        f"{p.get('name') or p.get('preset') or p.get('match')!s} ({parts[2]}: {value(p)})" for p in profiles
    )
    return (
        f": every selected satellite takes {parts[2]} from a profile that sets it ({names}); vary "
        f"satellites.profiles.<name>.{parts[2]} instead"
    )


# --- tasks (run on Dask workers: plain functions of plain values) -------------------------------
def warm_geometry(variant: Variant, cache_dir) -> dict:
    """Fill the geometry cache for a variant's orbits, stations and span (and its target access)."""
    from .simulate import prepare

    cache = GeometryCache(cache_dir)
    prepare(variant.loaded(), cache=cache)
    return {"hits": cache.hits, "misses": cache.misses}


def run_variant(variant: Variant, runs_dir, cache_dir) -> dict:
    """Run one variant into ``runs_dir/<hash>``; a failure is returned as a record, not raised."""
    from .simulate import run_scenario

    started = time.perf_counter()
    final = os.path.join(runs_dir, variant.hash[:16])
    cache = GeometryCache(cache_dir)
    try:
        res = run_scenario(variant.loaded(), output=final, cache=cache)  # written whole or not at all
    except Exception as exc:  # noqa: BLE001 - a sweep records any failure of a variant and goes on
        return {
            "status": "failed",
            "error": f"{type(exc).__name__}: {exc}",
            "geometry_hits": cache.hits,
            "geometry_misses": cache.misses,
            "seconds": time.perf_counter() - started,
        }
    return {
        "status": "done",
        "error": None,
        "run_dir": final,
        "geometry_hits": cache.hits,
        "geometry_misses": cache.misses,
        "seconds": time.perf_counter() - started,
        **res.metrics,
    }


def _completed(variant, runs_dir):
    folder = os.path.join(runs_dir, variant.hash[:16])
    path = os.path.join(folder, "metrics.json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        metrics = json.load(f)
    return {
        "status": "done",
        "error": None,
        "run_dir": folder,
        "geometry_hits": 0,
        "geometry_misses": 0,
        "seconds": 0.0,
        **metrics,
    }


class SweepProgress:
    """Completed, failed and remaining variants on stderr."""

    def __init__(self, total, skipped=0, stream=None):
        self.total, self.stream = total, stream or sys.stderr
        self.done = self.failed = 0
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        if skipped:
            self.stream.write(f"sweep: {skipped} runs complete from before, skipped\n")

    def __call__(self, status):
        if status == "failed":
            self.failed += 1
        else:
            self.done += 1
        left = self.total - self.done - self.failed
        line = f"sweep: {self.done} completed, {self.failed} failed, {left} remaining"
        if self.tty:
            self.stream.write(f"\r{line}   " + ("\n" if left == 0 else ""))
        elif left == 0 or (self.done + self.failed) % max(1, self.total // 10) == 0:
            self.stream.write(line + "\n")  # a log gets about ten lines, not one per run
        self.stream.flush()


def _client(scheduler, workers):
    from distributed import Client, LocalCluster

    if scheduler:
        return Client(scheduler), None
    n = workers or max(1, os.cpu_count() or 1)
    # Our own cluster keeps quiet below errors: its shutdown warnings (on Ctrl-C, say) are not the user's business.
    cluster = LocalCluster(
        n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=logging.ERROR
    )
    return Client(cluster), cluster


def run_sweep(
    path, output=None, scheduler=None, workers=None, cache_dir=None, progress=True, client=None, allow_code=False
):
    """Run a sweep file; returns the results DataFrame (also written to ``output``).

    ``scheduler``: address of an existing Dask scheduler (``tcp://host:8786``); otherwise a
    ``LocalCluster`` of ``workers`` processes (default: one per core) is started and
    stopped. ``client``: an existing ``distributed.Client`` to use instead of either. ``allow_code``: run
    the user policies (``module:Class`` files beside the base scenario) the variants name."""
    sweep = load_sweep(path)
    variants = build_variants(sweep, allow_code=allow_code)
    # Absolute paths: workers of an existing cluster may run in another folder.
    output = os.path.abspath(output or os.path.join("runs", f"{sweep.name}-sweep"))
    runs_dir = os.path.join(output, "runs")
    os.makedirs(runs_dir, exist_ok=True)
    cache_dir = os.path.abspath(cache_dir or default_cache_dir())
    records = {}
    todo = []
    for v in variants:
        done = _completed(v, runs_dir)
        if done is not None:
            records[v.hash] = {**done, "ran": False}
        else:
            todo.append(v)
    geometry = {"groups": 0, "computed": 0, "from_disk": 0}
    started = time.perf_counter()
    if todo:
        own = client is None
        cluster = None
        if own:
            client, cluster = _client(scheduler, workers)
        try:
            groups = {}
            for v in todo:
                groups.setdefault(v.geometry, v)
            geometry["groups"] = len(groups)
            from distributed import as_completed

            # One task per distinct geometry first, so that no two variants compute the same one.
            warm = [client.submit(warm_geometry, v, cache_dir, pure=False) for v in groups.values()]
            for w in client.gather(warm):
                geometry["computed"] += w["misses"]
                geometry["from_disk"] += w["hits"]
            bar = SweepProgress(len(todo), len(variants) - len(todo)) if progress else None
            futures = {client.submit(run_variant, v, runs_dir, cache_dir, pure=False): v for v in todo}
            for fut in as_completed(futures):
                v = futures[fut]
                try:
                    rec = fut.result()
                except Exception as exc:  # noqa: BLE001 - the task itself was lost (a worker died, say)
                    rec = {"status": "failed", "error": f"{type(exc).__name__} on the cluster: {exc}"}
                records[v.hash] = {**rec, "ran": True}
                if bar:
                    bar(rec["status"])
        finally:
            if own:
                client.close()
                if cluster is not None:
                    cluster.close()
    table = _table(sweep, variants, records)
    table.attrs.update(geometry=geometry, wall_s=time.perf_counter() - started, output=output)
    os.makedirs(output, exist_ok=True)
    with atomic_path(os.path.join(output, "sweep.parquet")) as tmp:
        table.to_parquet(tmp, index=False)
    with atomic_path(os.path.join(output, "sweep.csv")) as tmp:
        table.to_csv(tmp, index=False)
    from .results import _versions

    write_text(
        os.path.join(output, "sweep.json"),
        json.dumps(
            {
                "sweep": sweep.path,
                "base": sweep.base_path,
                "keys": sweep.keys,
                "seeds": sweep.seeds,
                "variants": len(sweep.params),
                "runs": len(variants),
                "geometry": geometry,
                "versions": _versions(),
            },
            indent=2,
        ),
    )
    return table


def _table(sweep, variants, records):
    rows = []
    # A parameter a variant leaves alone has the base scenario's value (None where the base leaves it to the default).
    base_value = {k: get_path(sweep.base, k) for k in sweep.keys}
    for v in variants:
        rec = records.get(v.hash, {"status": "not run"})
        row = {"variant": v.index, "seed": v.seed}
        row.update({k: v.params.get(k, base_value[k]) for k in sweep.keys})
        row.update(
            {
                "status": rec.get("status"),
                "ran": rec.get("ran", False),
                "error": rec.get("error"),
                "hash": v.hash[:16],
                "run_dir": rec.get("run_dir"),
                "seconds": rec.get("seconds"),
                "geometry_hits": rec.get("geometry_hits"),
                "geometry_misses": rec.get("geometry_misses"),
            }
        )
        row.update({k: val for k, val in rec.items() if k not in row and k not in ("ran",)})
        rows.append(row)
    table = pd.DataFrame(rows)
    for k in sweep.keys:  # mixed-type parameter columns (numbers and text) stay readable in Parquet
        if table[k].map(type).nunique() > 1:
            table[k] = table[k].astype(str)
    return table
