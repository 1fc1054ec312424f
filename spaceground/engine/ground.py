"""The ground: backhaul links shared by their transfers, data-centre server pools, and the ground route of a
raw capture, in closed form between their own events.

Nothing on the ground waits on the satellites, so the ground needs no process per item: its state is advanced
to a time only when something reads it (a policy's data-centre view, a new arrival, the span end). Between two
reads the transfers on a link share it at rates that change only when one joins or leaves, and the server pools
start and end jobs in FIFO order; :meth:`Ground.advance` plays those changes in time order, writing each
transfer and job record at the instant it happens, with the same arithmetic as a process per item would.
"""

from __future__ import annotations

from collections import deque
from heapq import heappop, heappush

import numpy as np

from ..datacenters import J_PER_KWH, cost_and_carbon
from ..policies import PolicyError
from ..policies.views import _arrival_view
from ..records import BACKHAUL, DELIVERED, QUEUED_GROUND
from .clock import EPS_S

# Ground events, in a heap of (time, sequence, kind, payload): a transfer's wake-up on its link, its arrival at
# the data centre (after the link's latency), a job's end, a change of a pool's supply or tariff.
_WAKE, _QUEUED, _END, _CHANGE = 0, 1, 2, 3


class BackhaulLink:
    """A backhaul link: concurrent transfers share the bandwidth equally (processor sharing).

    ``active`` holds each transfer's bits left as of ``t_last``. A transfer alone on an idle link runs at the
    full rate to its end (``solo``, ending at ``solo_end``: no wake-up on the way, its arrival is known at
    once); when another joins before then, every transfer's bits are charged up to that instant and all of
    them are re-timed at the new share, and again whenever one leaves.
    """

    __slots__ = ("bps", "latency_s", "station", "dc", "active", "solo", "solo_end", "t_last", "wake", "ticks")

    def __init__(self, bps, latency_s, station=-1, dc=-1):
        self.bps, self.latency_s, self.station, self.dc = float(bps), float(latency_s), station, dc
        self.active = {}  # key -> bits left as of t_last
        self.solo = None  # the key of a transfer that began on an idle link and has not shared it since
        self.solo_end = 0.0
        self.t_last = 0.0
        self.wake = {}  # key -> the token of its current wake-up (an older one in the heap is stale)
        self.ticks = 0

    def charge(self, now):
        """Charge every transfer the bits it sent since ``t_last`` at the current share."""
        active = self.active
        if active and now > self.t_last:
            share = self.bps / len(active) * (now - self.t_last)
            for key in active:
                active[key] -= share
        self.t_last = now

    def _wake_at(self, t, key):
        self.ticks += 1
        self.wake[key] = self.ticks
        return t, key, self.ticks

    def retime(self, now, keys):
        """Wake-ups of ``keys`` at the current share, from ``now``: (time, key, token) each."""
        active, bps = self.active, self.bps
        n = len(active)
        out = []
        for key in keys:
            dt = active[key] * n / bps
            out.append(self._wake_at(now + (dt if dt > EPS_S else EPS_S), key))
        return out

    def join(self, key, nbytes, now):
        """A transfer of ``nbytes`` begins at ``now``: (the end of its last bit if it has the link to itself, else
        None; the wake-ups it sets, (time, key, token) each: for a transfer alone, the token of its end)."""
        if self.solo is not None and self.solo_end <= now:  # the transfer alone on the link has ended
            del self.active[self.solo]
            self.solo = None
        if not self.active:
            self.t_last = now
            self.active[key] = 8.0 * nbytes
            self.solo, self.solo_end = key, now + max(EPS_S, 8.0 * nbytes / self.bps)
            return self.solo_end, [self._wake_at(self.solo_end, key)]
        self.charge(now)
        self.solo = None  # it shares the link from now on: its end is re-timed (the arrival set at its start is stale)
        self.active[key] = 8.0 * nbytes
        return None, self.retime(now, list(self.active))

    def ended_alone(self, key, token):
        """Is the arrival set at ``key``'s start (``token``) still its arrival? If so the link forgets it."""
        if self.wake.get(key) != token:
            return False  # it came to share the link before its end
        del self.wake[key]
        if self.solo == key:
            del self.active[key]
            self.solo = None
        return True

    def woken(self, key, token, now):
        """``key``'s wake-up ``token`` at ``now``: (finished, the wake-ups it sets)."""
        if self.wake.get(key) != token:
            return False, []  # stale: re-timed since
        self.charge(now)
        active = self.active
        if active[key] <= self.bps / len(active) * EPS_S:
            del active[key], self.wake[key]
            return True, self.retime(now, list(active))
        return False, self.retime(now, [key])


class ServerPool:
    """A data centre's servers: FIFO, as many at once as the available power feeds.

    A job holds one server from start to end; when the grid's supply drops, running jobs finish and waiting
    ones start only as servers fall within the new limit. The pool also holds the tariff in force (price and
    carbon intensity), updated at their breakpoints.
    """

    def __init__(self, dc, end_s):
        self.dc = dc
        self.busy = 0
        self.queue = deque()  # (capture id, queued time) of jobs waiting for a server
        self.allowed = dc.servers_at(0.0)
        self.price_cny_per_kwh = dc.price_cny_per_kwh.value_at(0.0)
        self.carbon_g_per_kwh = dc.carbon_g_per_kwh.value_at(0.0)
        self.constant_tariff = len(dc.price_cny_per_kwh.t_s) == 1 and len(dc.carbon_g_per_kwh.t_s) == 1
        self.server_tops, self.w_per_tops, self.pue = dc.server_tops, float(dc.power_w_per_tops), float(dc.pue)
        series = [dc.price_cny_per_kwh, dc.carbon_g_per_kwh]
        if dc.available_power_w is not None:
            series.append(dc.available_power_w)
        self.changes = sorted({t for sr in series for t in sr.t_s.tolist() if 0.0 < t < end_s})

    def change(self, t):
        """The supply and tariff in force from ``t``."""
        dc = self.dc
        self.price_cny_per_kwh = dc.price_cny_per_kwh.value_at(t)
        self.carbon_g_per_kwh = dc.carbon_g_per_kwh.value_at(t)
        self.allowed = dc.servers_at(t)

    def energy_cost_carbon(self, top, start, end):
        """Facility energy [J], cost [CNY] and carbon [g] of a job of ``top`` tera-ops run over [start, end]."""
        energy = top * self.w_per_tops * self.pue  # facility_energy_j, its factors held as floats
        if self.constant_tariff:  # the same value as the series' mean, without the lookup
            kwh = energy / J_PER_KWH
            return energy, kwh * self.price_cny_per_kwh, kwh * self.carbon_g_per_kwh
        cost, carbon = cost_and_carbon(energy, start, end, self.dc.price_cny_per_kwh, self.dc.carbon_g_per_kwh)
        return energy, cost, carbon


class Ground:
    """Every backhaul link and server pool of a run, advanced in time order on demand.

    ``links[station, dc]`` and ``pools[dc]``; :meth:`send` starts a raw capture's transfer at the current
    time (the caller has advanced the ground to it); :meth:`advance` plays the ground's events up to a time.
    """

    def __init__(self, model, records, end_s):
        self.records = records
        self.pools = [ServerPool(dc, end_s) for dc in model.datacenters]
        self.links = {}
        for a in range(len(model.stations)):
            for b in range(len(model.datacenters)):
                if model.link_bps[a, b] > 0:
                    self.links[a, b] = BackhaulLink(model.link_bps[a, b], model.link_latency_s[a, b], a, b)
        self.heap = []
        self.seq = 0
        for b, pool in enumerate(self.pools):
            t = 0.0
            for change in pool.changes:
                t = t + (change - t)  # as a sleep from the previous change would reach it
                self._push(t, _CHANGE, b)

    def _push(self, t, kind, payload):
        self.seq += 1
        heappush(self.heap, (t, self.seq, kind, payload))

    def send(self, cid, link, now):
        """The raw capture ``cid`` starts across ``link`` at ``now``."""
        alone_end, wakes = link.join(cid, self.records.workloads.raw_bytes[cid], now)
        if alone_end is not None:  # alone on the link: it arrives after its last bit and the link's latency
            self._push(alone_end + link.latency_s, _QUEUED, (link, cid, wakes[0][2]))
            return
        for t, key, token in wakes:
            self._push(t, _WAKE, (link, key, token))

    def advance(self, t, before=False):
        """Play the ground's events up to ``t`` (or those before it, with ``before``)."""
        heap, W = self.heap, self.records.workloads
        while heap and (heap[0][0] < t or (not before and heap[0][0] == t)):
            now, _, kind, payload = heappop(heap)
            if kind == _WAKE:
                link, key, token = payload
                done, wakes = link.woken(key, token, now)
                for w, other, tok in wakes:
                    self._push(w, _WAKE, (link, other, tok))
                if done:
                    self._push(now + link.latency_s, _QUEUED, (link, key, None))
            elif kind == _QUEUED:
                link, cid, token = payload
                if token is not None and not link.ended_alone(cid, token):
                    continue
                sent, nbytes = W.backhaul_start_s[cid], W.raw_bytes[cid]
                self.records.transfers.extend((link.station, link.dc, cid, sent, now, nbytes))
                W.status[cid] = QUEUED_GROUND
                pool = self.pools[link.dc]
                if not pool.queue and pool.busy < pool.allowed:
                    pool.busy += 1
                    self._start(link.dc, cid, now, now)
                else:
                    pool.queue.append((cid, now))
            elif kind == _END:
                b, cid, queued, start = payload
                pool = self.pools[b]
                pool.busy -= 1
                self._grant(b, now)
                energy, cost, carbon = pool.energy_cost_carbon(W.compute_top[cid], start, now)
                self.records.dc_jobs.extend((b, cid, queued, start, now, energy, cost, carbon))
                W.delivered_s[cid] = now
                W.status[cid] = DELIVERED
            else:
                self.pools[payload].change(now)
                self._grant(payload, now)

    def _start(self, b, cid, queued, now):
        top = self.records.workloads.compute_top[cid]
        self._push(now + top / self.pools[b].server_tops, _END, (b, cid, queued, now))

    def _grant(self, b, now):
        pool = self.pools[b]
        while pool.queue and pool.busy < pool.allowed:
            pool.busy += 1
            cid, queued = pool.queue.popleft()
            self._start(b, cid, queued, now)


class GroundMixin:
    """A raw capture lands: the policy chooses its data centre, and its transfer starts."""

    def _landed(self, cid, s, now):
        """The raw capture ``cid`` landed at station ``s`` at ``now``."""
        W = self.records.workloads
        view = _arrival_view(
            now,
            cid,
            s,
            W.raw_bytes[cid],
            W.compute_top[cid],
            W.deadline_s[cid],
            W.value[cid],
            self._dc_views(s, now),  # (the ground advanced to now)
        )
        b = self.policy.on_arrival(view)
        self.decisions += 1
        link = self.ground.links.get((s, b)) if type(b) is int or isinstance(b, np.integer) else None
        if link is None:
            raise PolicyError(
                f"policy {self.policy.policy_name!r}: on_arrival returned {b!r} for capture {cid} at "
                f"station {self.model.stations[s].station.station_id}; it must be the index of a "
                "data centre that station has a backhaul link to"
            )
        W.datacenter[cid] = int(b)
        W.status[cid] = BACKHAUL
        W.backhaul_start_s[cid] = now
        self.ground.send(cid, link, now)
