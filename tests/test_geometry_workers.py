"""The geometry search in worker processes gives the same tables as in one process."""

import multiprocessing
import os

import pandas as pd
import pytest

from spaceground import geometry as G
from spaceground.errors import InputError
from spaceground.orbits import load_tle
from spaceground.stations import default_catalogue
from spaceground.timebase import Span

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STARLINK = os.path.join(ROOT, "constellations", "starlink_2026-05-30.tle")


def test_worker_processes_find_exactly_what_one_process_finds(monkeypatch):
    sats = load_tle(STARLINK)[:600]  # five chunks of 128
    span = Span.from_hours(pd.Timestamp("2026-05-30T06:00:00Z"), 2)
    stations = default_catalogue()
    seen = []
    monkeypatch.setenv("SPACEGROUND_GEOMETRY_PROCESSES", "2")
    assert G._worker_processes(5) == 2
    workers = G.compute_geometry(sats, stations, span, progress=lambda done, total: seen.append(done))
    monkeypatch.setenv("SPACEGROUND_GEOMETRY_PROCESSES", "1")
    assert G._worker_processes(5) == 1
    alone = G.compute_geometry(sats, stations, span)
    pd.testing.assert_frame_equal(workers.contacts, alone.contacts)
    pd.testing.assert_frame_equal(workers.eclipses, alone.eclipses)
    assert len(workers.contacts) > 1000 and len(workers.eclipses) > 100
    assert seen == [128, 256, 384, 512, 600]  # progress in order, chunk by chunk


def test_the_number_of_processes_is_checked_and_small_or_nested_work_stays_in_one(monkeypatch):
    monkeypatch.setenv("SPACEGROUND_GEOMETRY_PROCESSES", "two")
    with pytest.raises(InputError, match="SPACEGROUND_GEOMETRY_PROCESSES='two'"):
        G._worker_processes(10)
    monkeypatch.delenv("SPACEGROUND_GEOMETRY_PROCESSES")
    assert G._worker_processes(G.MIN_CHUNKS_FOR_WORKERS - 1) == 1  # too little to pay for the start
    monkeypatch.setattr(multiprocessing.current_process(), "daemon", True, raising=False)
    assert G._worker_processes(100) == 1  # a daemonic worker (Dask's) may not have children


def test_two_searches_started_at_once_from_two_threads_keep_their_own_satellites(monkeypatch):
    import threading

    monkeypatch.setenv("SPACEGROUND_GEOMETRY_PROCESSES", "2")
    everyone = load_tle(STARLINK)
    groups = {"first": everyone[:600], "later": everyone[3000:3600]}
    span = Span.from_hours(pd.Timestamp("2026-05-30T06:00:00Z"), 1)
    stations = default_catalogue()
    found = {}
    threads = [
        threading.Thread(target=lambda k=k, c=c: found.__setitem__(k, G.compute_geometry(c, stations, span)))
        for k, c in groups.items()
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    monkeypatch.setenv("SPACEGROUND_GEOMETRY_PROCESSES", "1")
    for k, c in groups.items():
        pd.testing.assert_frame_equal(found[k].contacts, G.compute_geometry(c, stations, span).contacts)
        assert set(found[k].contacts.satellite) <= {s.name for s in c}
