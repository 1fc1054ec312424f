"""Geometry of a span: contact windows and eclipses for a whole constellation.

Satellites are propagated once, in chunks, on one time grid; each chunk's states
feed both the contact search (ITRF) and the shadow search (TEME), so the cost is
dominated by the batch SGP4 itself. A satellite whose SGP4 fails anywhere on the
grid (decayed, eccentricity out of range) is left out and reported in
``Geometry.excluded`` with the reason.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import _kernels
from .compiling import announce_compilation
from .contacts import CONTACT_COLUMNS, StationSet, find_contacts_chunk
from .errors import InputError
from .frames import teme_to_itrf_matrices
from .illumination import ECLIPSE_COLUMNS, SunTable, find_eclipses_chunk
from .orbits import excluded_table, propagate_points, propagate_teme
from .orientation import EarthOrientation

MAX_STEP_S = 60.0
MIN_STEP_S = 5.0
# Arc swept per step at the fastest point of the orbit. 0.066 rad is 60 s for a
# 550 km LEO orbit: cubic Hermite interpolation then reproduces SGP4 to ~0.3 m, and a
# culmination and the next minimum of elevation (a quarter orbit apart) are ~24
# steps apart, far more than the one step the bracketing needs.
MAX_STEP_ARC_RAD = 0.066
DEFAULT_CHUNK = 128


def default_step_s(constellation) -> float:
    """Grid step [s]: ``MAX_STEP_ARC_RAD`` of the fastest perigee, within 5..60 s."""
    if len(constellation) == 0:
        return MAX_STEP_S
    fastest = max(s.max_angular_rate_rad_s for s in constellation)
    return float(np.clip(MAX_STEP_ARC_RAD / fastest, MIN_STEP_S, MAX_STEP_S))


def time_grid(span, step_s) -> np.ndarray:
    """Grid from 0 to the span's end [s]; the last step is shortened to end exactly there."""
    n = int(math.floor(span.duration_s / step_s + 1e-9))
    t = np.arange(n + 1) * float(step_s)
    if span.duration_s - t[-1] > 1e-6:
        t = np.append(t, span.duration_s)
    else:
        t[-1] = span.duration_s
    return t


@dataclass(frozen=True)
class Geometry:
    """Contact windows, eclipses and excluded satellites of a span.

    Attributes
    ----------
    contacts : pandas.DataFrame
        One row per pass (columns in :data:`spaceground.contacts.CONTACT_COLUMNS`).
    eclipses : pandas.DataFrame
        One row per umbra or penumbra interval (:data:`spaceground.illumination.ECLIPSE_COLUMNS`).
    excluded : pandas.DataFrame
        Satellites left out: ``satellite, norad_id, first_failure_utc, sgp4_error, reason``.
    step_s : float
        Grid step used for the search.
    """

    span: object
    contacts: pd.DataFrame
    eclipses: pd.DataFrame
    excluded: pd.DataFrame
    step_s: float


class _Propagator:
    """Exact ITRF states at scattered (satellite, time) points."""

    def __init__(self, constellation, span, orientation):
        self.constellation = constellation
        self.span = span
        self.orientation = orientation

    def itrf(self, sat_index, t_s):
        jd_w, jd_f = self.span.jd_utc(t_s)
        r, v, _ = propagate_points(self.constellation, sat_index, jd_w, jd_f)
        return self.orientation.teme_to_itrf(r, v, t_s)


class _ChunkSetup:
    """What every chunk's search shares: the grid, the frame rotations, the stations and the Sun table."""

    def __init__(self, constellation, span, t, jd_w, jd_f, to_itrf, to_itrf_rate, station_set, sun_table, contacts,
                 eclipses, propagator):  # fmt: skip
        self.constellation, self.span, self.t, self.jd_w, self.jd_f = constellation, span, t, jd_w, jd_f
        self.to_itrf, self.to_itrf_rate = to_itrf, to_itrf_rate
        self.station_set, self.sun_table, self.propagator = station_set, sun_table, propagator
        self.contacts, self.eclipses = contacts, eclipses

    def search(self, idx, r_teme, v_teme, err):
        """Contacts, eclipses and excluded satellites of one propagated chunk (mostly compiled, GIL-free code)."""
        excluded = None
        bad = err.any(axis=1)
        if bad.any():
            excluded = excluded_table(self.constellation.take(idx), err, self.t, self.span)
        good = np.flatnonzero(~bad)
        idx, r_teme, v_teme = idx[good], r_teme[good], v_teme[good]
        found_contacts = found_eclipses = None
        if not good.size:
            return None, None, excluded
        if self.contacts and len(self.station_set):
            r_itrf, v_itrf = _kernels.rotate_states(r_teme, v_teme, self.to_itrf, self.to_itrf_rate)
            itrf = self.propagator.itrf
            found_contacts = find_contacts_chunk(
                r_itrf, v_itrf, self.t, self.station_set, lambda j, ts: itrf(idx[j], ts)
            )
            found_contacts["sat"] = idx[found_contacts["sat"]]
        if self.eclipses:
            found_eclipses = find_eclipses_chunk(r_teme, v_teme, self.t, self.sun_table)
            found_eclipses["sat"] = idx[found_eclipses["sat"]]
        return found_contacts, found_eclipses, excluded


_SETUP = None  # in a worker process: the set-up of the search it serves (see compute_geometry)


def _adopt_setup(setup):
    global _SETUP
    _SETUP = setup


MIN_CHUNKS_FOR_WORKERS = 4  # fewer chunks than this do not pay for starting worker processes


def _chunk_in_worker(bounds):
    """In a worker process: propagate and search the satellites ``first:stop`` of the inherited set-up."""
    first, stop = bounds
    idx = np.arange(first, stop)
    r_teme, v_teme, err = _propagate_in_slices(_SETUP.constellation.take(idx), _SETUP.jd_w, _SETUP.jd_f)
    return _SETUP.search(idx, r_teme, v_teme, err)


def _worker_processes(n_chunks):
    """Worker processes for the search: one per core this process may use, when there are enough chunks and
    processes can be forked (not from a daemonic worker); 1 (this process alone) otherwise.
    ``SPACEGROUND_GEOMETRY_PROCESSES`` sets the number."""
    wanted = os.environ.get("SPACEGROUND_GEOMETRY_PROCESSES")
    if wanted is not None:
        try:
            n = int(wanted)
        except ValueError:
            raise InputError(
                f"SPACEGROUND_GEOMETRY_PROCESSES={wanted!r}: give a whole number of processes (1: no workers)"
            ) from None
    else:
        try:
            n = len(os.sched_getaffinity(0))
        except AttributeError:
            n = os.cpu_count() or 1
    if n_chunks < MIN_CHUNKS_FOR_WORKERS or not hasattr(os, "fork"):
        return 1
    import multiprocessing

    if multiprocessing.current_process().daemon:  # a Dask or pool worker: it may not have children
        return 1
    return max(1, min(n, n_chunks))


BYTES_PER_GRID_POINT = 320  # the shared grid: Julian dates, frame rotations and their rates, the Sun
BYTES_PER_STATE = 100  # one satellite at one grid point: TEME and ITRF states, flags (a chunk at a time)


def memory_estimate_bytes(n_satellites, span, step_s, chunk_size=None) -> float:
    """Memory the geometry search needs [B]: the shared time grid plus one chunk of propagated states."""
    points = span.duration_s / step_s + 1
    chunk = min(n_satellites, chunk_size or DEFAULT_CHUNK)
    return points * (BYTES_PER_GRID_POINT + BYTES_PER_STATE * chunk)


def machine_memory_bytes() -> float:
    try:
        return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return 8e9


class GeometryTooLarge(InputError):
    """A geometry search that would need more memory than the machine can give it."""


def check_memory(n_satellites, span, step_s, chunk_size=None):
    """Refuse, with the estimate, a search that would need more than half of this machine's memory."""
    need = memory_estimate_bytes(n_satellites, span, step_s, chunk_size)
    have = machine_memory_bytes()
    if need > 0.5 * have:
        raise GeometryTooLarge(
            f"about {need / 1e9:,.0f} GB for the geometry of {n_satellites} satellites over "
            f"{span.duration_s / 3600:,.0f} h ({span.duration_s / step_s:,.0f} grid steps of {step_s:g} s), "
            f"more than half of this machine's {have / 1e9:,.0f} GB: shorten the span or split it into "
            "parts"
        )


def compute_geometry(
    constellation,
    stations,
    span,
    *,
    contacts=True,
    eclipses=True,
    step_s=None,
    chunk_size=DEFAULT_CHUNK,
    progress=None,
) -> Geometry:
    """Contact windows and eclipses of every satellite over ``span``.

    Parameters
    ----------
    constellation : Constellation
    stations : list of Station
    span : Span
    contacts, eclipses : bool
        Which searches to run.
    step_s : float, optional
        Grid step [s]; by default :func:`default_step_s`.
    chunk_size : int
        Satellites propagated together (memory ~ chunk x grid points x 100 bytes).
    progress : callable(done, total), optional
        Called after each chunk with the number of satellites processed.
    """
    step = float(step_s) if step_s is not None else default_step_s(constellation)
    check_memory(len(constellation), span, step, chunk_size)
    announce_compilation(
        _kernels,
        ["interp_rows"]
        + ["scan_contacts", "refine_contacts", "rotate_states"] * contacts
        + ["shadow_crossings"] * eclipses,
        "geometry",
        15,
    )
    t = time_grid(span, step)
    jd_w, jd_f = span.jd_utc(t)
    orientation = EarthOrientation(span)
    theta, theta_dot = orientation.sidereal(t)
    _, xp, yp, teme_corr = orientation.at(t)
    to_itrf, to_itrf_rate = teme_to_itrf_matrices(theta, theta_dot, xp, yp, teme_corr)
    station_set = StationSet.from_stations(stations) if contacts else None
    sun_table = SunTable(span, orientation) if eclipses else None

    contact_parts, eclipse_parts, excluded_parts = [], [], []
    total = len(constellation)
    setup = _ChunkSetup(constellation, span, t, jd_w, jd_f, to_itrf, to_itrf_rate, station_set, sun_table, contacts,
                        eclipses, _Propagator(constellation, span, orientation))  # fmt: skip
    chunks = [np.arange(first, min(first + chunk_size, total)) for first in range(0, total, chunk_size)]

    def collect(idx, result):
        found_contacts, found_eclipses, excluded = result
        if found_contacts is not None:
            contact_parts.append(found_contacts)
        if found_eclipses is not None:
            eclipse_parts.append(found_eclipses)
        if excluded is not None:
            excluded_parts.append(excluded)
        if progress is not None:
            progress(int(idx[-1]) + 1, total)

    processes = _worker_processes(len(chunks))
    if processes > 1:
        # Worker processes forked from this one (they share its set-up without copying it), each propagating and
        # searching whole chunks: SGP4 and the search's Python parts hold the GIL, so threads could not use the
        # cores. Results come back in chunk order.
        import multiprocessing

        # The set-up reaches each worker through the fork itself (a fork's process arguments are not pickled), so
        # that two searches started at once from two threads each keep their own.
        context = multiprocessing.get_context("fork")
        with context.Pool(processes, initializer=_adopt_setup, initargs=(setup,)) as pool:
            for idx, result in zip(chunks, pool.imap(_chunk_in_worker, [(int(c[0]), int(c[-1]) + 1) for c in chunks])):
                collect(idx, result)
    else:
        # One core: SGP4 of the next chunk (which holds the GIL) runs while a thread searches the previous one
        # in compiled code that releases it.
        with ThreadPoolExecutor(max_workers=1) as worker:
            pending = None
            for idx in chunks:
                r_teme, v_teme, err = _propagate_in_slices(constellation.take(idx), jd_w, jd_f)
                if pending is not None:
                    collect(pending[0], pending[1].result())
                pending = (idx, worker.submit(setup.search, idx, r_teme, v_teme, err))
            if pending is not None:
                collect(pending[0], pending[1].result())

    excluded = (
        pd.concat(excluded_parts, ignore_index=True)
        if excluded_parts
        else excluded_table(constellation[:0], np.zeros((0, len(t)), np.uint8), t, span)
    )
    return Geometry(
        span=span,
        contacts=_contacts_frame(contact_parts, constellation, station_set, span),
        eclipses=_eclipses_frame(eclipse_parts, constellation, span),
        excluded=excluded,
        step_s=step,
    )


def _concat(parts, keys):
    """The parts' arrays of each key, concatenated; each part's array is dropped once its key is done, so that at most
    one column is held twice (the contact table of the whole Starlink catalogue for a week has 12.8 million rows)."""
    if not parts:
        return {k: np.zeros(0) for k in keys}
    return {k: np.concatenate([p.pop(k) for p in parts]) for k in keys}


def _sorted_columns(d, order):
    """Reorder every column of ``d`` by ``order``, one column at a time."""
    for k in d:
        d[k] = d[k][order]
    return d


def _propagate_in_slices(constellation, jd_w, jd_f, per_call=16):
    """Batch SGP4 in calls of a few satellites. SGP4 holds the GIL for a whole call; short
    calls let the worker thread step into its GIL-free search between them."""
    parts = [
        propagate_teme(constellation[i : i + per_call], jd_w, jd_f) for i in range(0, len(constellation), per_call)
    ]
    return tuple(np.concatenate([p[k] for p in parts]) for k in range(3))


def _satellite_columns(constellation, sat):
    """Satellite name (categorical: a few names repeated many times) and NORAD id columns."""
    names = (
        pd.Categorical.from_codes(sat, categories=pd.Index(constellation.names).unique())
        if _unique_names(constellation)
        else np.array(constellation.names, dtype=object)[sat]
    )
    return {"satellite": names, "norad_id": constellation.norad_ids[sat].astype(np.int64)}


def _unique_names(constellation):
    return len(set(constellation.names)) == len(constellation)


def _contacts_frame(parts, constellation, station_set, span) -> pd.DataFrame:
    keys = [
        "sat",
        "station",
        "aos_s",
        "tca_s",
        "los_s",
        "max_elevation_deg",
        "aos_azimuth_deg",
        "los_azimuth_deg",
        "clipped",
    ]
    d = _concat(parts, keys)
    d = _sorted_columns(d, np.lexsort((d["station"], d["sat"], d["aos_s"])))
    station_ids = list(station_set.ids) if station_set is not None else []
    # Column by column, each source array dropped once its column is built: the peak stays near one table.
    cols = _satellite_columns(constellation, d.pop("sat").astype(int))
    cols["station"] = pd.Categorical.from_codes(d.pop("station").astype(int), categories=station_ids)
    cols["duration_s"] = d["los_s"] - d["aos_s"]
    for name in ("aos", "tca", "los"):
        cols[f"{name}_utc"] = span.datetimes(d.pop(f"{name}_s"))
    for name in ("max_elevation_deg", "aos_azimuth_deg", "los_azimuth_deg"):
        cols[name] = d.pop(name).astype(float, copy=False)
    cols["clipped"] = d.pop("clipped").astype(bool, copy=False)
    return pd.DataFrame({k: cols.pop(k) for k in CONTACT_COLUMNS}, columns=CONTACT_COLUMNS, copy=False)


def _eclipses_frame(parts, constellation, span) -> pd.DataFrame:
    d = _concat(parts, ["sat", "kind", "start_s", "end_s", "clipped"])
    d = _sorted_columns(d, np.lexsort((d["start_s"], d["sat"])))
    sat = d["sat"].astype(int)
    return pd.DataFrame(
        {
            **_satellite_columns(constellation, sat),
            "kind": pd.Categorical.from_codes(d["kind"].astype(int), categories=["umbra", "penumbra"]),
            "start_utc": span.datetimes(d["start_s"]),
            "end_utc": span.datetimes(d["end_s"]),
            "duration_s": d["end_s"] - d["start_s"],
            "clipped": d["clipped"].astype(bool),
        },
        columns=ECLIPSE_COLUMNS,
    )
