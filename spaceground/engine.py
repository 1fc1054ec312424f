"""The discrete-event engine: the only module that imports SimPy, the only stateful one.

State changes only at events (capture, contact start and end, eclipse entry and
exit, job start and end, transfer end); in between every power is constant and
the battery follows :func:`spaceground.power.battery_after_j` exactly.

Rules the engine enforces, whatever the policy decides:

* **Energy**: onboard computing, transmitting and imaging run only while the
  battery holds more than its reserve plus what the bus needs to get through the
  coming (or current) shadow; the battery is clamped at full and the surplus is
  recorded as curtailed. A load stopped at that floor while the array charges the
  battery resumes once the battery could run it for ``DUTY_CYCLE_S`` (a minute), or
  earlier if the power changes.
* **Storage**: a capture that does not fit is dropped (``storage_full``).
* **Antennas** (the documented assignment rule): a satellite asks for an antenna
  when it is in view of a station and has data queued; requests wait in the order
  they were made; an antenna serves one satellite until that pass ends or the
  satellite has nothing left to send. A satellite with several stations in view
  transmits through one at a time: the one with a free antenna whose window ends
  last.
* **Downlink** happens only inside contact windows; an item cut by the end of a
  window resumes at the next contact.
* **Backhaul**: a transfer takes latency plus size over bandwidth, concurrent
  transfers sharing the link equally (processor sharing).
* **Data centres**: FIFO over ``servers`` servers of ``capacity / servers`` TOPS, as many
  at once as ``available_power_kw`` feeds (a running job finishes when the supply drops);
  facility energy is IT energy times PUE; cost and carbon use the price and
  intensity while the job runs.

Every change is written as a flat record (see :class:`Records`).
"""

from __future__ import annotations

import gc
import math
from bisect import bisect_left, bisect_right
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import simpy

from .datacenters import J_PER_KWH, cost_and_carbon
from .policies import DECISIONS, PolicyError, drop_reason_of
from .policies.views import (
    DataCenterView,
    OnboardJob,
    Plan,
    QueuedItem,
    SatellitePlan,
    SatelliteView,
    _arrival_view,
    _capture_view,
    _contact_view,
)
from .power import FULL_SUN, ShadowPlan, battery_after_j, energy_floor_j

# The capture table's columns, in the order the engine reads them.
_CAPTURE_FIELDS = (
    "capture_id",
    "time_s",
    "sat",
    "workload",
    "target",
    "raw_bytes",
    "product_bytes",
    "compute_top",
    "deadline_s",
    "value",
    "onboard_allowed",
    "cloudy",
)

EPS_S = 1e-6
EPS_J = 1e-6
DUTY_CYCLE_S = 60.0  # a load paused at the energy floor resumes once the battery can run it this long
# Why the engine itself refuses a capture (a policy's drops carry the policy's own reason).
DROP_BATTERY = "battery: imaging would take it below the floor (reserve plus the bus through the shadow ahead)"
DROP_STORAGE = "storage full: the raw capture does not fit beside the data already onboard"


@dataclass
class Records:
    """Flat records written by the engine (lists of tuples, one list per table). Each fact is written
    once: a workload's transfer and data-centre job are in ``transfers`` and ``dc_jobs``, and the
    results layer joins them into its row."""

    workloads: dict = field(default_factory=dict)  # capture_id -> dict of columns (capture, onboard, downlink)
    downlinks: list = field(default_factory=list)  # (sat, station, capture_id, kind, t0, t1, bytes)
    energy: list = field(
        default_factory=list
    )  # (sat, t, energy_j, generated_j, consumed_j, curtailed_j, unserved_j, storage)
    contacts: list = field(default_factory=list)  # (sat, station, window, aos, los, used_s, bytes)
    dc_jobs: list = field(default_factory=list)  # (dc, capture_id, queued_t, start_t, end_t, energy_j, cost, carbon)
    transfers: list = field(default_factory=list)  # (station, dc, capture_id, t0, t1, bytes)


class _Signal:
    """Wakes the processes waiting on it: ``wait()`` gives an event that fires at the next ``fire()``."""

    def __init__(self, env):
        self.env = env
        self.waiters = []

    def wait(self):
        event = simpy.Event(self.env)
        self.waiters.append(event)
        return event

    def fire(self):
        if self.waiters:
            waiters, self.waiters = self.waiters, []
            for event in waiters:
                if not event.triggered:  # a sleep (see _sleep) that timed out already
                    event.succeed(False)


def _sleep(env, dt, signals):
    """An event that fires after ``dt`` seconds with value True, or with value False at the first
    ``fire()`` of one of ``signals``, whichever comes first (a lighter ``timeout | event``)."""
    wake = simpy.Event(env)
    if len(signals) == 1:
        signals[0].waiters.append(wake)
    else:
        for signal in signals:
            signal.waiters.append(wake)
    if dt < math.inf:
        env.timeout(dt).callbacks.append(lambda _: wake.triggered or wake.succeed(True))
    return wake


def _read_only(array):
    """A view of ``array`` that cannot be written through."""
    view = np.asarray(array).view()
    view.flags.writeable = False
    return view


@contextmanager
def _collector_spared(threshold=20_000):
    """Keep Python's cyclic garbage collector off the objects that live through the whole run.

    The run allocates millions of short-lived events and tuples, which refcounting frees; the
    cyclic collector, left as it is, keeps walking the long-lived model, plans and growing records
    (8 % of the bench's engine time). Inside the block, objects made before it are frozen (left out
    of collections) and young objects are collected every ``threshold`` allocations instead of 700;
    both are restored on exit, whatever happens.
    """
    old = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(threshold, *old[1:])
    try:
        yield
    finally:
        gc.set_threshold(*old)
        gc.unfreeze()


class Satellite:
    """Battery, loads, storage and queues of one satellite."""

    def __init__(self, env, index, name, hw, segments, records, end_s):
        self.env, self.index, self.name, self.hw, self.records = env, index, name, hw, records
        self._write_energy = records.energy.append
        # Piecewise-constant sunlit fraction (Python lists: the hot path reads scalars).
        self.seg_t, self.seg_f = segments[0].tolist(), segments[1].tolist()
        self.seg = 0
        self.fraction = self.seg_f[0]  # sunlit fraction now
        self.solar_now_w = hw.solar_w * self.fraction
        self.energy_j = hw.initial_j
        self.battery_j = hw.battery_j
        self.t_last = 0.0
        self.generated_j = self.consumed_j = self.curtailed_j = self.unserved_j = 0.0
        self.bus_w, self.compute_w, self.radio_w = hw.bus_w, hw.compute_idle_w, 0.0  # the loads [W]
        self.load_w = self.bus_w + self.compute_w + self.radio_w
        self.storage_used = 0.0
        self.onboard_waiting = {}  # capture id -> OnboardJob, in the order queued
        self.onboard_running = None  # OnboardJob of the job on the computer (run_s: what is left)
        self.onboard_left = {}  # capture id -> tera-ops left of a job paused part way
        self.computing = None  # (capture id, since) of the job the computer is running now
        self.sending = None  # (station, window, session start, bytes sent before, capture id, since, link row) now
        self.job_added = _Signal(env)
        self.compute_backlog_s = 0.0
        self.downlink_queue = {}  # capture_id -> item dict
        self.queue_version = 0  # counts additions, so a contact asks the policy again
        self.power_changed = _Signal(env)
        self.data_added = _Signal(env)
        self.shadows = ShadowPlan(self.seg_t, self.seg_f, end_s)  # the shadow ahead, for the energy floor
        self._record()

    # --- power -----------------------------------------------------------------------
    def advance(self, now=None):
        if now is None:
            now = self.env.now
        dt = now - self.t_last
        if dt <= 0:
            return
        self.energy_j, gen, load, curtailed, unserved = battery_after_j(
            self.energy_j, self.solar_now_w, self.load_w, dt, self.battery_j
        )
        self.generated_j += gen
        self.consumed_j += load
        if curtailed:
            self.curtailed_j += curtailed
        elif unserved:
            self.unserved_j += unserved
        self.t_last = now

    def set_compute(self, watts):
        if self.compute_w != watts:
            self._set_loads(watts, self.radio_w)

    def set_radio(self, watts):
        if self.radio_w != watts:
            self._set_loads(self.compute_w, watts)

    def _set_loads(self, compute_w, radio_w):
        """New computer and transmitter powers from now on: the battery is advanced, the state written,
        and the loads waiting on the power re-time themselves."""
        self.advance()
        self.compute_w, self.radio_w = compute_w, radio_w
        self.load_w = self.bus_w + compute_w + radio_w
        self._record()
        self.power_changed.fire()

    def capture(self, joules, nbytes):
        """Take a capture's impulse of energy and store its bytes; loads already running re-time themselves.
        The battery must have been advanced to now."""
        self.energy_j -= joules
        self.consumed_j += joules
        self.storage_used += nbytes
        self._record()
        self.power_changed.fire()

    def enter_segment(self, i):
        self.advance()
        self.seg = i
        self.fraction = self.seg_f[i]
        self.solar_now_w = self.hw.solar_w * self.fraction
        self._record()
        self.power_changed.fire()

    def floor_j(self, now=None):
        """Energy below which optional loads stop: reserve + bus through the shadow ahead."""
        now = self.env.now if now is None else now
        return energy_floor_j(self.hw.reserve_j, self.hw.bus_w, self.shadows.ahead_in_segment_s(self.seg, now))

    def safe_time(self, extra_w, now):
        """Seconds the current loads plus ``extra_w`` can run from ``now`` before the floor (within this segment)."""
        self.advance(now)
        margin = self.energy_j - self.floor_j(now)
        if margin <= EPS_J:
            return 0.0
        net = self.solar_now_w - self.load_w - extra_w
        if self.fraction < FULL_SUN:
            net += self.hw.bus_w  # the floor itself falls at the bus rate in shadow
        if net >= 0:
            return math.inf
        return margin / -net

    def recharge_s(self, extra_w, run_s):
        """Seconds until the battery, charging at the current loads, holds enough above its floor to
        run ``extra_w`` more for ``min(run_s, DUTY_CYCLE_S)`` (inf if it is not charging or never
        will hold that much); the battery must have been advanced to now."""
        rate = self.solar_now_w - self.load_w
        if self.fraction < FULL_SUN:
            rate += self.hw.bus_w  # the floor falls at the bus rate in shadow
        if rate <= 0:
            return math.inf
        floor = self.floor_j(self.t_last)
        drain_w = self.load_w + extra_w - self.solar_now_w
        need = max(1.0, drain_w * min(run_s, DUTY_CYCLE_S))
        if floor + need > self.battery_j:
            need = max(1.0, self.battery_j - floor - 1.0)  # as much as the battery can hold
            if floor + need > self.battery_j:
                return math.inf
        return max(EPS_S, (floor + need - self.energy_j) / rate)

    def park(self, job, remaining_top):
        """Take the running ``job`` off the computer back to the waiting jobs, with the tera-ops it has left."""
        self.onboard_waiting[job.capture_id], self.onboard_running = job, None
        self.onboard_left[job.capture_id] = remaining_top

    def _record(self):
        """Write the energy and storage state; the battery must have been advanced to now."""
        self._write_energy(
            (self.index, self.t_last, self.energy_j, self.generated_j, self.consumed_j, self.curtailed_j,
             self.unserved_j, self.storage_used)
        )  # fmt: skip

    def store(self, nbytes):
        self.advance()
        self.storage_used += nbytes
        self._record()

    def free(self, nbytes, now=None):
        self.advance(now)
        self.storage_used = max(0.0, self.storage_used - nbytes)
        self._record()


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

    def request(self):
        event = self.env.event()
        if not self.queue and self.busy < self.allowed:
            self.busy += 1
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


class Engine:
    """One run of a resolved :class:`~spaceground.model.Model` under a policy."""

    def __init__(self, model, inputs, policy):
        self.model, self.policy = model, policy
        self.env = simpy.Environment()
        self.records = Records()
        env = self.env
        self.sats = [
            Satellite(env, i, s.name, model.hardware[i], inputs.segments[i], self.records, model.span.duration_s)
            for i, s in enumerate(model.constellation)
        ]
        self.antennas_free = [st.antennas for st in model.stations]  # taken only when free, so no queue
        self.antenna_freed = [_Signal(env) for _ in model.stations]
        self.servers = [ServerPool(env, dc, model.span.duration_s) for dc in model.datacenters]
        # The parts of data-centre views that never change, per station (and for "no station": -1).
        dc_fixed = [(dc.server_tops, dc.pue, dc.power_w_per_tops) for dc in model.datacenters]
        self._dc_static = [
            [(b, dc.id, bool(model.link_bps[a, b] > 0), float(model.link_latency_s[a, b]), float(model.link_bps[a, b]),
              *dc_fixed[b], self.servers[b]) for b, dc in enumerate(model.datacenters)]
            for a in range(len(model.stations))
        ] + [[(b, dc.id, False, math.inf, 0.0, *dc_fixed[b], self.servers[b]) for b, dc in enumerate(model.datacenters)]]  # fmt: skip
        self.links = {}
        for a in range(len(model.stations)):
            for b in range(len(model.datacenters)):
                if model.link_bps[a, b] > 0:
                    self.links[a, b] = SharedLink(env, model.link_bps[a, b], model.link_latency_s[a, b])
        self.windows = inputs.windows_by_sat  # per sat: arrays (station, aos, los), sorted by aos
        self._aos = [w[1].tolist() for w in self.windows]
        self._los = [w[2].tolist() for w in self.windows]
        self._sta = [w[0].tolist() for w in self.windows]
        self._longest = [float(np.max(w[2] - w[1])) if len(w[1]) else 0.0 for w in self.windows]
        self.captures = inputs.captures
        self._workload_names = [w.name for w in model.workloads]
        self.end_s = model.span.duration_s
        # The downlink windows' table (spaceground.links.LinkWindows) is the only place a rate is read; a
        # satellite's window w is its row first_row[k] + w.
        self.link_windows = lw = inputs.links
        self._first_row = np.r_[0, np.cumsum([len(w[1]) for w in self.windows])].astype(int).tolist()
        self._suffix = []  # bytes of all windows starting at or after index i (summed from the last one)
        capacity = lw.capacity_bytes()
        for k in range(len(self.windows)):
            cap = capacity[self._first_row[k] : self._first_row[k + 1]]
            self._suffix.append(np.r_[np.cumsum(cap[::-1])[::-1], 0.0].tolist())
        for sat in self.sats:
            sat.view = partial(self._sat_view, sat)  # what a view's lazy ``satellite`` field calls
            env.process(self._illumination(sat))
            env.process(self._compute_worker(sat))
            env.process(self._downlink_manager(sat))
        env.process(self._capture_process())
        self.decisions = 0
        self._may_compute = getattr(policy, "may_compute", None)
        self._pick_job = getattr(policy, "next_onboard_job", None)
        start = getattr(policy, "start", None)
        if callable(start):  # the future captures only for a policy that declares itself an offline planner
            start(self.plan(model, inputs, captures=bool(getattr(policy, "offline_planner", False))))

    @staticmethod
    def plan(model, inputs, captures=True):
        """The :class:`~spaceground.policies.views.Plan` a policy's ``start`` receives, read-only: its arrays
        cannot be written and the capture table is a copy, so nothing a policy does to it reaches the
        engine. ``captures``: include the run's captures (the future), for offline planners only."""
        sats = tuple(
            SatellitePlan(i, s.name, s.period_s, model.hardware[i], tuple(w[0].tolist()), tuple(w[1].tolist()),
                          tuple(w[2].tolist()), tuple(r.tolist()), tuple(seg[0].tolist()), tuple(seg[1].tolist()))
            for i, (s, w, r, seg) in enumerate(zip(model.constellation, inputs.windows_by_sat, inputs.window_rates_bps,
                                                   inputs.segments))
        )  # fmt: skip
        return Plan(model.span.duration_s, sats, model.stations, model.datacenters, _read_only(model.link_bps),
                    _read_only(model.link_latency_s), model.workloads, inputs.captures.copy() if captures else None,
                    model.objective)  # fmt: skip

    # --- driver ----------------------------------------------------------------------------
    def run(self, progress=None):
        steps = 20
        with _collector_spared():
            for k in range(1, steps + 1):
                self.env.run(until=self.end_s * k / steps)
                if progress is not None:
                    progress(k, steps)
        for sat in self.sats:
            sat.advance(self.end_s)
            self._close_at_end(sat)
            sat._record()
        return self.records

    # --- views ------------------------------------------------------------------------------
    def _sat_view(self, sat):
        now = self.env.now
        aos = self._aos[sat.index]
        i = bisect_left(aos, now)
        nxt = aos[i] if i < len(aos) else math.inf
        sat.advance()
        return SatelliteView(
            index=sat.index, name=sat.name, energy_j=sat.energy_j, battery_j=sat.hw.battery_j,
            reserve_j=sat.hw.reserve_j, sunlit_fraction=float(sat.fraction),
            storage_free_bytes=sat.hw.storage_bytes - sat.storage_used, compute_backlog_s=sat.compute_backlog_s,
            downlink_backlog_bytes=sum(it["remaining"] for it in sat.downlink_queue.values()), next_contact_s=nxt,
            contact_capacity_bytes=self._remaining_capacity(sat.index, now), queue=self._queue_view(sat), now_s=now,
            onboard_queue=tuple(sat.onboard_waiting.values()), onboard_running=sat.onboard_running, hardware=sat.hw,
        )  # fmt: skip

    @staticmethod
    def _queue_view(sat):
        new = tuple.__new__
        return tuple([new(QueuedItem, (cid, it["kind"], it["remaining"], it["deadline"], it["value"]))
                      for cid, it in sat.downlink_queue.items()])  # fmt: skip

    def _dc_views(self, station=-1):
        """The data centres as seen from ``station`` (-1: from orbit, no link)."""
        new = tuple.__new__
        return tuple([
            new(DataCenterView, (b, ident, reachable, latency, bandwidth, pool.busy, pool.allowed, len(pool.queue), tops, pue, w_per_tops,
                  pool.price_cny_per_kwh, pool.carbon_g_per_kwh))
            for b, ident, reachable, latency, bandwidth, tops, pue, w_per_tops, pool in self._dc_static[station]
        ])  # fmt: skip

    def _row(self, cid):
        return self.records.workloads[cid]

    # --- processes --------------------------------------------------------------------------
    def _illumination(self, sat):
        for i in range(1, len(sat.seg_t)):
            t = sat.seg_t[i]
            if t >= self.end_s:
                break
            yield self.env.timeout(t - self.env.now)
            sat.enter_segment(i)

    def _capture_process(self):
        caps = self.captures
        env = self.env
        columns = [caps[name].tolist() for name in _CAPTURE_FIELDS]
        for row in zip(*columns):
            t = row[1]
            if t >= self.end_s:
                break
            now = env.now
            if t > now:
                yield env.timeout(t - now)
            self._capture(*row)

    def _capture(self, cid, _t, k, workload, target, raw_bytes, product_bytes, compute_top, deadline_s, value,
                 onboard_allowed, cloudy):  # fmt: skip
        """One capture (the fields of :data:`_CAPTURE_FIELDS`): storage, energy, then the policy's route."""
        sat = self.sats[k]
        now = self.env.now
        deadline = now + deadline_s
        rec = self.records.workloads[cid] = {
            "capture_id": cid, "sat": k, "workload": workload, "target": target,
            "capture_s": now, "raw_bytes": raw_bytes, "product_bytes": product_bytes,
            "compute_top": compute_top, "deadline_s": deadline, "value": value,
            "cloudy": cloudy, "status": "captured", "decision": None, "drop_reason": None, "energy_onboard_j": 0.0,
        }  # fmt: skip
        sat.advance(now)
        hw = sat.hw
        if hw.capture_j > 0.0 and sat.energy_j - hw.capture_j < sat.floor_j(now):
            rec["status"], rec["drop_reason"] = "dropped", DROP_BATTERY
            return
        if sat.storage_used + raw_bytes > hw.storage_bytes:
            rec["status"], rec["drop_reason"] = "dropped", DROP_STORAGE
            return
        sat.capture(hw.capture_j, raw_bytes)
        rec["energy_onboard_j"] = hw.capture_j
        view = _capture_view(now, cid, self._workload_names[workload], raw_bytes, product_bytes, compute_top, deadline,
                             value, onboard_allowed, sat.view, self._dc_views)  # fmt: skip
        decision = self.policy.on_capture(view)
        self.decisions += 1
        if decision not in DECISIONS:
            raise PolicyError(f"policy {self.policy.policy_name!r} returned {decision!r} for capture {cid} at "
                              f"t = {now:.1f} s; on_capture must return one of {DECISIONS}")  # fmt: skip
        if decision == "onboard" and not onboard_allowed:
            raise PolicyError(f"policy {self.policy.policy_name!r} chose onboard processing for capture {cid} of "
                              f"workload {view.workload!r}, which does not allow it (onboard_allowed: false)")  # fmt: skip
        rec["decision"] = decision
        if decision == "drop":
            sat.free(raw_bytes)
            rec["status"], rec["drop_reason"] = "dropped", drop_reason_of(decision, self.policy.policy_name)
        elif decision == "onboard":
            rec["status"] = "queued_onboard"
            run_s = compute_top / hw.compute_tops
            sat.compute_backlog_s += run_s
            sat.onboard_waiting[cid] = OnboardJob(cid, run_s, deadline, value, product_bytes)
            sat.job_added.fire()
        else:
            self._queue_downlink(sat, cid, "raw", raw_bytes)

    def _queue_downlink(self, sat, cid, kind, nbytes):
        rec = self.records.workloads[cid]
        sat.downlink_queue[cid] = {"kind": kind, "bytes": nbytes, "remaining": nbytes, "deadline": rec["deadline_s"],
                                   "value": rec["value"]}  # fmt: skip
        sat.queue_version += 1
        rec["status"] = "queued_downlink"
        sat.data_added.fire()

    def _compute_worker(self, sat):
        env = self.env
        tops = sat.hw.compute_tops
        extra = sat.hw.compute_busy_w - sat.hw.compute_idle_w
        picks = self._pick_job is not None
        # A policy that picks the jobs picks again when a job is queued while one runs (preemption).
        stretch = (sat.power_changed, sat.job_added) if picks else (sat.power_changed,)
        while True:
            if not sat.onboard_waiting:
                yield sat.job_added.wait()
                continue
            cid = self._next_job(sat)
            if cid is None:  # the policy runs none of the waiting jobs now: ask again when something changes
                sat.set_compute(sat.hw.compute_idle_w)  # (it may have stopped a job to pick again)
                yield _sleep(env, math.inf, (sat.job_added, sat.power_changed))
                continue
            del sat.onboard_waiting[cid]
            rec = self._row(cid)
            total = rec["compute_top"]
            remaining = sat.onboard_left.pop(cid, total)  # tera-ops still to do (less if the job was paused)
            while remaining > 1e-9 * total:
                sat.onboard_running = OnboardJob(
                    cid, remaining / tops, rec["deadline_s"], rec["value"], rec["product_bytes"]
                )
                busy = sat.compute_w == sat.hw.compute_busy_w
                safe = sat.safe_time(0.0 if busy else extra, env.now)
                held = False
                if safe > EPS_S and self._may_compute is not None and not self._may_compute(self._sat_view(sat)):
                    safe, held = 0.0, True  # the policy holds onboard work back until the power situation changes
                if safe <= EPS_S:
                    sat.set_compute(sat.hw.compute_idle_w)
                    # At the floor while the array charges the battery: resume when it can run a while.
                    wake_s = math.inf if held else sat.recharge_s(extra, remaining / tops)
                    if picks:
                        # A policy that picks the jobs may pick again when the power changes: this one
                        # waits with the work it has left, and need not be the one resumed.
                        sat.park(sat.onboard_running, remaining)
                        yield _sleep(env, wake_s, (sat.job_added, sat.power_changed))
                        break
                    yield _sleep(env, wake_s, (sat.power_changed,))
                    continue
                rec.setdefault("onboard_start_s", env.now)
                sat.set_compute(sat.hw.compute_busy_w)
                t0 = env.now
                dt = max(EPS_S, min(remaining / tops, safe))
                waiting = len(sat.onboard_waiting)
                sat.computing = (cid, t0)  # what the span end would cut
                timed_out = yield _sleep(env, dt, stretch)
                sat.computing = None
                if timed_out and dt >= remaining / tops:
                    remaining = 0.0
                else:
                    remaining -= (env.now - t0) * tops
                sat.compute_backlog_s = max(0.0, sat.compute_backlog_s - (env.now - t0))
                rec["energy_onboard_j"] += sat.hw.compute_busy_w * (env.now - t0)  # the computer's own, busy
                if picks and remaining > 1e-9 * total and len(sat.onboard_waiting) > waiting:
                    # A job was queued while this one ran: it waits with the work it has left, and the
                    # policy picks again (this one may go on at once, with no gap in the computer's power).
                    sat.park(sat.onboard_running._replace(run_s=remaining / tops), remaining)
                    break
            else:
                sat.onboard_running = None
                sat.set_compute(sat.hw.compute_idle_w)
                rec["onboard_end_s"] = env.now
                sat.free(rec["raw_bytes"])
                sat.store(rec["product_bytes"])
                self._queue_downlink(sat, cid, "product", rec["product_bytes"])

    def _next_job(self, sat):
        """The onboard job to run next: the policy's choice, else the first queued."""
        if self._pick_job is None:
            return next(iter(sat.onboard_waiting))
        cid = self._pick_job(self._sat_view(sat))
        if cid is not None and cid not in sat.onboard_waiting:
            raise PolicyError(f"policy {self.policy.policy_name!r}: next_onboard_job returned {cid!r}, which is not "
                              f"waiting on {sat.name} (waiting: {sorted(sat.onboard_waiting)}); return one of them, "
                              "or None to run none now")  # fmt: skip
        self.decisions += 1
        return cid

    def _remaining_capacity(self, k, now):
        """Bytes the satellite's windows from ``now`` on could carry (overlapping windows counted twice)."""
        aos, los, first, lw = self._aos[k], self._los[k], self._first_row[k], self.link_windows
        hi = bisect_right(aos, now)
        lo = bisect_left(aos, now - self._longest[k])
        partial = sum(lw.capacity_between(first + w, now, los[w]) for w in range(lo, hi) if los[w] > now)
        return self._suffix[k][hi] + partial

    def _open_windows(self, k, now):
        """Windows of satellite ``k`` open at ``now`` and the next start after it."""
        aos, los = self._aos[k], self._los[k]
        hi = bisect_right(aos, now + EPS_S)
        lo = bisect_left(aos, now - self._longest[k] - EPS_S)
        open_w = [w for w in range(lo, hi) if los[w] > now + EPS_S]
        return open_w, (aos[hi] if hi < len(aos) else math.inf)

    def _downlink_manager(self, sat):
        """Hand the satellite's queued data to stations in view, one at a time (see the module rules)."""
        env = self.env
        k = sat.index
        los, stations = self._los[k], self._sta[k]

        def until_change(open_w, next_aos):
            """Seconds to the next window start or the first end among the open windows."""
            now = env.now
            dt = next_aos - now
            if open_w:
                dt = min(dt, max(EPS_S, min(min(los[w] for w in open_w), self.end_s) - now))
            return dt

        while env.now < self.end_s:
            if not sat.downlink_queue:
                # Nothing to send: window starts and ends do not matter until data arrives.
                yield sat.data_added.wait()
                continue
            open_w, next_aos = self._open_windows(k, env.now)
            if not open_w:
                if next_aos == math.inf:
                    return
                yield env.timeout(next_aos - env.now)
                continue
            free = [w for w in open_w if self.antennas_free[stations[w]]]
            if not free:
                yield _sleep(env, until_change(open_w, next_aos), [self.antenna_freed[stations[w]] for w in open_w])
                continue
            w = max(free, key=lambda q: los[q])
            s = stations[w]
            self.antennas_free[s] -= 1
            why = yield from self._transmit(sat, s, w, los[w])
            self.antennas_free[s] += 1
            self.antenna_freed[s].fire()
            if why in ("energy", "policy"):
                open_w, next_aos = self._open_windows(k, env.now)
                signal = sat.power_changed if why == "energy" else sat.data_added
                dt = until_change(open_w, next_aos)
                if why == "energy":  # resume when the charging battery can run the transmitter a while
                    sat.advance()
                    dt = min(dt, sat.recharge_s(sat.hw.tx_w, DUTY_CYCLE_S))
                yield _sleep(env, dt, (signal,))

    def _transmit(self, sat, s, window, los):
        """Send queued items through station ``s`` until the window ends, the queue empties,
        the battery reaches its floor, or the policy sends nothing. Returns which."""
        env = self.env
        lw, row = self.link_windows, self._first_row[sat.index] + window
        t_begin = env.now
        sent_total = 0.0
        why = "window_end"
        order, version = [], -1
        queue = sat.downlink_queue
        tx_w = sat.hw.tx_w
        now = t_begin
        power = (sat.power_changed,)
        while now < los - EPS_S:
            if not queue:
                why = "empty"
                break
            if version != sat.queue_version:
                # Ask the policy at the start of the session and whenever new data has arrived.
                view = _contact_view(now, sat.view, s, los, lw.rate_at(row, now), self._queue_view(sat))
                order = list(self.policy.downlink_order(view))
                version = sat.queue_version
                self.decisions += 1
                for cid in order:
                    if cid not in queue:
                        raise PolicyError(f"policy {self.policy.policy_name!r}: downlink_order returned capture {cid!r}, "
                                          f"which is not queued on {sat.name} (queued: {sorted(queue)})")  # fmt: skip
                order.reverse()  # pop from the end
            while order and order[-1] not in queue:
                order.pop()
            if not order:
                why = "policy"
                break
            cid = order[-1]
            item = queue[cid]
            safe = sat.safe_time(tx_w - sat.radio_w, now)
            if safe <= EPS_S:
                why = "energy"
                break
            sat.set_radio(tx_w)
            t0 = now
            remaining = item["remaining"]
            whole = lw.time_to_send(row, now, remaining)
            dt = max(EPS_S, min(whole, los - now, safe))
            sat.sending = (s, window, t_begin, sent_total, cid, t0, row)  # what the span end would cut
            timed_out = yield _sleep(env, dt, power)
            sat.sending = None
            now = env.now
            if timed_out and dt >= whole:
                sent = remaining  # planned to the last byte: no float residue left over
            else:
                sent = min(remaining, lw.capacity_between(row, t0, now))
            sent_total += sent
            self._sent(sat, s, cid, item, t0, now, sent)
        sat.set_radio(0.0)
        self.records.contacts.append((sat.index, s, window, t_begin, env.now, sent_total))
        return why

    def _sent(self, sat, s, cid, item, t0, now, sent):
        """Write ``sent`` bytes of ``item`` through station ``s`` over [t0, now]; a finished item leaves the queue."""
        item["remaining"] = remaining = item["remaining"] - sent
        if now > t0:
            self.records.downlinks.append((sat.index, s, cid, item["kind"], t0, now, sent))
        rec = self.records.workloads[cid]
        rec.setdefault("downlink_start_s", t0)
        rec["station"] = s
        if remaining <= 1e-6:
            del sat.downlink_queue[cid]
            sat.free(item["bytes"], now)
            rec["downlink_end_s"] = now
            if item["kind"] == "product":
                rec["delivered_s"] = now
                rec["status"] = "delivered"
            else:
                rec["status"] = "on_ground"
                self.env.process(self._ground(cid, s))

    def _close_at_end(self, sat):
        """Record up to the span end the job on the computer and the transmission under way, so that every
        table that holds them agrees (the energy table runs the loads to the end; so do these)."""
        end = self.end_s
        if sat.computing is not None:
            cid, t0 = sat.computing
            self.records.workloads[cid]["energy_onboard_j"] += sat.hw.compute_busy_w * (end - t0)
        if sat.sending is not None:
            s, window, t_begin, sent_before, cid, t0, row = sat.sending
            item = sat.downlink_queue[cid]
            sent = min(item["remaining"], self.link_windows.capacity_between(row, t0, end))
            self._sent(sat, s, cid, item, t0, end, sent)
            self.records.contacts.append((sat.index, s, window, t_begin, end, sent_before + sent))

    def _ground(self, cid, s):
        """A raw capture landed at station ``s``: backhaul, data-centre queue and compute."""
        env = self.env
        rec = self.records.workloads[cid]
        now = env.now
        raw, top = rec["raw_bytes"], rec["compute_top"]
        b = self.policy.on_arrival(_arrival_view(now, cid, s, raw, top, rec["deadline_s"], rec["value"],
                                                 self._dc_views(s)))  # fmt: skip
        self.decisions += 1
        link = self.links.get((s, b)) if type(b) is int or isinstance(b, np.integer) else None
        if link is None:
            raise PolicyError(f"policy {self.policy.policy_name!r}: on_arrival returned {b!r} for capture {cid} at "
                              f"station {self.model.stations[s].station.station_id}; it must be the index of a "
                              "data centre that station has a backhaul link to")  # fmt: skip
        b = int(b)
        dc = self.model.datacenters[b]
        rec["datacenter"] = b
        rec["status"] = "backhaul"
        rec["backhaul_start_s"] = sent = now
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
        self.records.transfers.append((s, b, cid, sent, queued, raw))
        rec["status"] = "queued_ground"
        pool = self.servers[b]
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
        self.records.dc_jobs.append((b, cid, queued, start, end, energy, cost, carbon))
        rec["delivered_s"] = end
        rec["status"] = "delivered"


def run(model, inputs, policy, progress=None):
    """Run the engine; returns its :class:`Records` and the count of policy decisions."""
    engine = Engine(model, inputs, policy)
    records = engine.run(progress)
    return records, engine.decisions
