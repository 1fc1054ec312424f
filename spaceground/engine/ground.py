"""The ground: backhaul links shared by their transfers, data-centre server pools, and the ground route of a
raw capture."""

from __future__ import annotations

from collections import deque

import numpy as np
import simpy

from ..datacenters import J_PER_KWH, cost_and_carbon
from ..policies import PolicyError
from ..policies.views import (
    _arrival_view,
)
from .clock import EPS_S


class SharedLink:
    """A backhaul link: concurrent transfers share the bandwidth equally (processor sharing).

    Each transfer sleeps until its own completion at the current share; when a transfer
    starts or ends, the others are woken (interrupted) to re-time themselves.
    """

    def __init__(self, env, bps, latency_s):
        self.env, self.bps, self.latency_s = env, bps, latency_s
        self.active = {}  # key -> remaining bits
        self.procs = {}  # key -> the process sending it
        self.t_last = 0.0

    def _update(self):
        now = self.env.now
        if self.active and now > self.t_last:
            share = self.bps / len(self.active) * (now - self.t_last)
            for key in self.active:
                self.active[key] -= share
        self.t_last = now

    def _retime_others(self, key):
        for other, proc in self.procs.items():
            if other != key and proc.is_alive and proc.target is not None:
                proc.interrupt("retime")

    def start(self, key, nbytes):
        """Begin a transfer on an idle link (the caller sleeps its full-rate time, then calls :meth:`finish`;
        if another transfer joins meanwhile, the caller is interrupted and goes on with :meth:`send`)."""
        self.t_last = self.env.now
        self.active[key] = 8.0 * nbytes
        self.procs[key] = self.env.active_process

    def finish(self, key):
        del self.active[key]
        del self.procs[key]
        if self.active:
            self._retime_others(key)

    def send(self, key, nbytes, joined=False):
        """Generator (``yield from``): returns when the last bit has left; add ``latency_s`` for arrival.
        ``joined``: the transfer was begun by :meth:`start` and another has joined it since."""
        env, active, bps = self.env, self.active, self.bps
        self._update()
        if not joined:
            active[key] = 8.0 * nbytes
            self.procs[key] = env.active_process
            if len(active) > 1:
                self._retime_others(key)
        while True:
            dt = active[key] * len(active) / bps
            try:
                yield env.timeout(dt if dt > EPS_S else EPS_S)
            except simpy.Interrupt:
                continue  # membership changed: _update() already charged the time sent so far
            self._update()
            if active[key] <= bps / len(active) * EPS_S:
                break
        del active[key]
        del self.procs[key]
        if active:
            self._retime_others(key)


class ServerPool:
    """A data centre's servers: FIFO, as many at once as the available power feeds.

    A job holds one server from start to end; when the grid's supply drops, running jobs
    finish and waiting ones start only as servers fall within the new limit. The pool also
    holds the tariff in force (price and carbon intensity), updated at their breakpoints.
    """

    def __init__(self, env, dc, end_s):
        self.env, self.dc = env, dc
        self.busy = 0
        self.queue = deque()
        self.allowed = dc.servers_at(0.0)
        self.price_cny_per_kwh = dc.price_cny_per_kwh.value_at(0.0)
        self.carbon_g_per_kwh = dc.carbon_g_per_kwh.value_at(0.0)
        self.constant_tariff = len(dc.price_cny_per_kwh.t_s) == 1 and len(dc.carbon_g_per_kwh.t_s) == 1
        self.server_tops, self.w_per_tops, self.pue = dc.server_tops, float(dc.power_w_per_tops), float(dc.pue)
        series = [dc.price_cny_per_kwh, dc.carbon_g_per_kwh]
        if dc.available_power_w is not None:
            series.append(dc.available_power_w)
        changes = sorted({t for sr in series for t in sr.t_s.tolist() if 0.0 < t < end_s})
        if changes:
            env.process(self._changes(changes))

    def take(self) -> bool:
        """Take a server now if one is free and no job waits for one."""
        if not self.queue and self.busy < self.allowed:
            self.busy += 1
            return True
        return False

    def request(self):
        """An event that fires when this job has a server (first come, first served)."""
        event = self.env.event()
        if self.take():
            event.succeed()
        else:
            self.queue.append(event)
        return event

    def release(self):
        self.busy -= 1
        self._grant()

    def _grant(self):
        while self.queue and self.busy < self.allowed:
            self.busy += 1
            self.queue.popleft().succeed()

    def _changes(self, times):
        env, dc = self.env, self.dc
        for t in times:
            yield env.timeout(t - env.now)
            self.price_cny_per_kwh = dc.price_cny_per_kwh.value_at(t)
            self.carbon_g_per_kwh = dc.carbon_g_per_kwh.value_at(t)
            self.allowed = dc.servers_at(t)
            self._grant()


class GroundMixin:
    """A raw capture on the ground: backhaul, the data centre's queue and servers."""

    def _ground(self, cid, s):
        """A raw capture landed at station ``s``: backhaul, data-centre queue and compute."""
        env = self.env
        rec = self.records.workloads[cid]
        now = env.now
        raw, top = rec.raw_bytes, rec.compute_top
        b = self.policy.on_arrival(_arrival_view(now, cid, s, raw, top, rec.deadline_s, rec.value, self._dc_views(s)))
        self.decisions += 1
        link = self.links.get((s, b)) if type(b) is int or isinstance(b, np.integer) else None
        if link is None:
            raise PolicyError(
                f"policy {self.policy.policy_name!r}: on_arrival returned {b!r} for capture {cid} at "
                f"station {self.model.stations[s].station.station_id}; it must be the index of a "
                "data centre that station has a backhaul link to"
            )
        b = int(b)
        dc = self.model.datacenters[b]
        rec.datacenter = b
        rec.status = "backhaul"
        rec.backhaul_start_s = sent = now
        if link.active:
            yield from link.send(cid, raw)
        else:  # an idle link: the whole bandwidth, unless another transfer joins (then share it)
            try:
                link.start(cid, raw)
                yield env.timeout(max(EPS_S, 8.0 * raw / link.bps))
                link.finish(cid)
            except simpy.Interrupt:
                yield from link.send(cid, raw, joined=True)
        yield env.timeout(link.latency_s)
        queued = env.now  # the transfer's end and the job's queueing are written once, in their records
        self.records.transfers.extend((s, b, cid, sent, queued, raw))
        rec.status = "queued_ground"
        pool = self.servers[b]
        if not pool.take():  # a free server is taken now, without an event to wait on
            yield pool.request()
        start = env.now
        yield env.timeout(top / pool.server_tops)
        end = env.now
        pool.release()
        energy = top * pool.w_per_tops * pool.pue  # facility_energy_j, its factors held as floats by the pool
        if pool.constant_tariff:  # the same value as the series' mean, without the lookup
            kwh = energy / J_PER_KWH
            cost, carbon = kwh * pool.price_cny_per_kwh, kwh * pool.carbon_g_per_kwh
        else:
            cost, carbon = cost_and_carbon(energy, start, end, dc.price_cny_per_kwh, dc.carbon_g_per_kwh)
        self.records.dc_jobs.extend((b, cid, queued, start, end, energy, cost, carbon))
        rec.delivered_s = end
        rec.status = "delivered"
