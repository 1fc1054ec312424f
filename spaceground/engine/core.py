"""One run: the engine that builds the satellites, stations and data centres, starts their processes, runs
the clock and answers the policy's views."""

from __future__ import annotations

import gc
import math
from bisect import bisect_left
from functools import partial

import numpy as np

from ..links import downlink_rows, pass_price_cny
from ..policies import BasePolicy
from ..policies.views import (
    DataCenterView,
    Plan,
    QueuedItem,
    SatellitePlan,
    SatelliteView,
)
from ..records import Records, WorkloadColumns
from .clock import _Clock, _collector_spared, _Signal
from .crossing import CrossingMixin
from .downlink import DownlinkMixin
from .ground import Ground, GroundMixin
from .onboard import OnboardMixin
from .runs import RunMixin
from .satellite import Satellite


def _read_only(array):
    """A view of ``array`` that cannot be written through."""
    view = np.asarray(array).view()
    view.flags.writeable = False
    return view


class Engine(OnboardMixin, CrossingMixin, DownlinkMixin, RunMixin, GroundMixin):
    """One run of a resolved :class:`~spaceground.model.Model` under a policy."""

    def __init__(self, model, inputs, policy):
        self.model, self.policy = model, policy
        self.env = _Clock()
        self.records = Records(workloads=WorkloadColumns(inputs.captures))
        env = self.env
        self.sats = [
            Satellite(env, i, s.name, model.hardware[i], inputs.segments[i], self.records, model.span.duration_s)
            for i, s in enumerate(model.constellation)
        ]
        self._antennas = [st.antennas for st in model.stations]
        self.antennas_free = list(self._antennas)  # taken only when free, so no queue
        self.antenna_freed = [_Signal(env) for _ in model.stations]
        self.ground = Ground(model, self.records, model.span.duration_s)
        pools = self.ground.pools
        # The parts of data-centre views that never change, per station (and for "no station": -1).
        dc_fixed = [(dc.server_tops, dc.pue, dc.power_w_per_tops) for dc in model.datacenters]
        self._dc_static = [
            [
                (
                    b,
                    dc.id,
                    bool(model.link_bps[a, b] > 0),
                    float(model.link_latency_s[a, b]),
                    float(model.link_bps[a, b]),
                    *dc_fixed[b],
                    pools[b],
                )
                for b, dc in enumerate(model.datacenters)
            ]
            for a in range(len(model.stations))
        ] + [[(b, dc.id, False, math.inf, 0.0, *dc_fixed[b], pools[b]) for b, dc in enumerate(model.datacenters)]]
        self.captures = inputs.captures
        self._workload_names = [w.name for w in model.workloads]
        self.end_s = model.span.duration_s
        n = len(self.sats)
        # The link-window table (spaceground.links.LinkWindows) is the only place a rate is read. Its downlink
        # rows, grouped by satellite and by start: a satellite's window w is row first_row[k] + w of them.
        self.link_windows = lw = downlink_rows(inputs.links)
        first = lw.first_rows(n)
        self._first_row = first.tolist()
        self._aos, self._los, self._sta, self._longest, self._suffix, self._capacity = [], [], [], [], [], []
        # What the windows ahead will carry, as the policies know it: the forecast (clouds over optical stations)
        # where the run has one; a pass already open shows its true rate.
        seen = lw if inputs.forecast_links is None else downlink_rows(inputs.forecast_links)
        capacity = seen.capacity_bytes()
        for k in range(n):
            rows = slice(first[k], first[k + 1])
            self._aos.append(lw.start_s[rows].tolist())
            self._los.append(lw.end_s[rows].tolist())
            self._sta.append(lw.receiver[rows].tolist())
            self._longest.append(float(np.max(lw.end_s[rows] - lw.start_s[rows])) if first[k + 1] > first[k] else 0.0)
            cap = capacity[rows]  # bytes of all windows starting at or after index i (summed from the last one)
            self._suffix.append(np.r_[np.cumsum(cap[::-1])[::-1], 0.0].tolist())
            self._capacity.append(cap.tolist())
        # Ground station as a service: what each window costs if booked, and the windows booked so far (a window is
        # booked, and billed whole, once anything is sent in it; spaceground.links.pass_price_cny).
        per_pass = np.array([g.price_per_pass_cny for g in model.stations])
        per_min = np.array([g.price_per_min_cny for g in model.stations])
        self._priced = bool(per_pass.any() or per_min.any())
        self._price = [
            pass_price_cny(per_pass[st], per_min[st], np.asarray(b) - np.asarray(a)).tolist() if self._priced else None
            for st, a, b in zip(self._sta, self._aos, self._los)
        ]
        self._booked = [set() for _ in range(n)]
        # Stations with a booking lead time: each such window is booked at its start minus the lead if the satellite
        # then has data waiting to go down (the operator's request), and cannot be used otherwise.
        lead = [g.booking_lead_s for g in model.stations]
        self._lead = [
            sorted((a - lead[st], w) for w, (st, a) in enumerate(zip(sts, aos)) if lead[st] > 0.0) if any(lead) else []
            for sts, aos in zip(self._sta, self._aos)
        ]
        self._unbookable = [{w for _, w in rows} for rows in self._lead]  # until booked
        self._station_lead_s, self._max_lead_s = lead, (max(lead) if lead else 0.0)
        # Handover between stations in view (spaceground.scenario.GroundNetwork) and the acquisition a new lock pays.
        self._acquisition_s = float(model.acquisition_s)
        self._lock = [None] * n  # per satellite: the window its last session was in (no acquisition to go on there)
        self._assigned = [None] * n  # handover "network": the window each satellite is given now, or None
        self._assignment_changed = [_Signal(env) for _ in range(n)]
        self._network_changed = _Signal(env)  # a satellite's queue filled or emptied: assign again
        # Inter-satellite rows: per sender, in order of start.
        self._isl = isl = inputs.links.take(np.flatnonzero(inputs.links.kind == "inter-satellite"))
        order = np.lexsort((isl.start_s, isl.sender))
        bounds = np.searchsorted(isl.sender[order], np.arange(n + 1))  # each sender's rows, one sort
        self._isl_rows = [order[bounds[k] : bounds[k + 1]].tolist() for k in range(n)]
        self._isl_starts = [isl.start_s[rows].tolist() for rows in self._isl_rows]
        self._isl_ends, self._isl_receivers = isl.end_s.tolist(), isl.receiver.tolist()  # read item by item
        # Each satellite's free laser terminals (each serves one session at a time, sending or receiving).
        self.terminals = [model.laser_terminals(k) for k in range(n)]
        self.terminal_free = list(self.terminals)
        self.terminal_freed = [_Signal(env) for _ in range(n)]
        for sat in self.sats:
            sat.view = partial(self._sat_view, sat)  # what a view's lazy ``satellite`` field calls
            env.process(self._illumination(sat))
            env.process(self._compute_worker(sat))
            env.process(self._downlink_manager(sat))
            if self._lead[sat.index]:
                env.process(self._booker(sat))
            if self._isl_rows[sat.index]:
                for _ in range(self.terminals[sat.index]):  # one manager a terminal: its sessions as a sender
                    env.process(self._crossing_manager(sat))
        env.process(self._capture_process())
        self.decisions = 0
        self._may_compute = getattr(policy, "may_compute", None)
        self._recheck_compute = getattr(policy, "compute_recheck_s", None)
        self._pick_job = getattr(policy, "next_onboard_job", None)
        self._choose_pass = getattr(policy, "choose_pass", None)
        # A policy with the default downlink order (BasePolicy's: earliest deadline first) is not asked for it:
        # the engine keeps each queue in that order (a heap), so a session costs per item, not per queue.
        self._edf = getattr(type(policy), "downlink_order", None) is BasePolicy.downlink_order
        start = getattr(policy, "start", None)
        if callable(start):  # the future captures only for a policy that declares itself an offline planner
            start(self.plan(model, inputs, captures=bool(getattr(policy, "offline_planner", False))))
            # A policy may take up choosing passes in ``start``, from what its plan holds (lookahead does when a
            # station is bought as a service).
            self._choose_pass = getattr(policy, "choose_pass", None)
        self._book_pass = getattr(policy, "book_pass", None)
        # Who chooses each satellite's pass: the policy (``choose_pass``), else the scenario's handover rule.
        self._pass_rule = "policy" if self._choose_pass is not None else model.handover
        if self._pass_rule == "network":
            env.process(self._network_assigner())

    @staticmethod
    def plan(model, inputs, captures=True, truth=False):
        """The :class:`~spaceground.policies.views.Plan` a policy's ``start`` receives, read-only: its arrays
        cannot be written and the capture table is a copy, so nothing a policy does to it reaches the
        engine. ``captures``: include the run's captures (the future), for offline planners only. The link
        windows are the forecast the policies know (clouds over optical stations), or with ``truth`` what the
        run plays (for the LP bound: a bound with hindsight of the sky, as of the captures)."""
        known = inputs.links if truth or inputs.forecast_links is None else inputs.forecast_links
        links = downlink_rows(known)
        first = links.first_rows(len(model.constellation))
        sats = tuple(
            SatellitePlan(
                i,
                s.name,
                s.period_s,
                model.hardware[i],
                tuple(mine.receiver.tolist()),
                tuple(mine.start_s.tolist()),
                tuple(mine.end_s.tolist()),
                tuple(mine.rate_bps[mine.profile_start[:-1]].tolist()),
                tuple(seg[0].tolist()),
                tuple(seg[1].tolist()),
                mine,
                model.role_of(i),
                model.laser_terminals(i),
            )
            for i, (s, seg) in enumerate(zip(model.constellation, inputs.segments))
            for mine in [links.take(np.arange(first[i], first[i + 1]))]
        )
        return Plan(
            model.span.duration_s,
            sats,
            model.stations,
            model.datacenters,
            _read_only(model.link_bps),
            _read_only(model.link_latency_s),
            model.workloads,
            inputs.captures.copy() if captures else None,
            model.objective,
            known,
        )

    # --- driver ----------------------------------------------------------------------------
    def run(self, progress=None):
        steps = 20
        with _collector_spared():
            for k in range(1, steps + 1):
                self.env.run(until=self.end_s * k / steps)
                if progress is not None:
                    progress(k, steps)
        self.ground.advance(self.end_s, before=True)  # what the ground does before the span ends
        for sat in self.sats:
            sat.advance(self.end_s)
            self._close_at_end(sat)
            self._close_crossing_at_end(sat)
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
            index=sat.index,
            name=sat.name,
            energy_j=sat.energy_j,
            battery_j=sat.hw.battery_j,
            reserve_j=sat.hw.reserve_j,
            sunlit_fraction=float(sat.fraction),
            storage_free_bytes=sat.hw.storage_bytes - sat.storage_used,
            compute_backlog_s=sat.compute_backlog_s,
            downlink_backlog_bytes=sum(it["remaining"] for it in sat.downlink_queue.values()),
            next_contact_s=nxt,
            contact_capacity_bytes=self._remaining_capacity(sat.index, now),
            queue=self._queue_view(sat),
            now_s=now,
            onboard_queue=tuple(sat.onboard_waiting.values()),
            onboard_running=sat.onboard_running,
            hardware=sat.hw,
            compute_busy_s=sat.compute_busy_s + (now - sat.computing[1] if sat.computing else 0.0),
            temperature_k=sat.temperature_k if sat.thermal else math.nan,
            throttled=sat.hot,
        )

    @staticmethod
    def _queue_view(sat):
        new = tuple.__new__
        return tuple(
            [
                new(QueuedItem, (cid, it["kind"], it["remaining"], it["deadline"], it["value"]))
                for cid, it in sat.downlink_queue.items()
            ]
        )

    def _dc_views(self, station=-1, now=None):
        """The data centres as seen from ``station`` (-1: from orbit, no link) at ``now`` (default: the clock's):
        the ground is advanced to it."""
        self.ground.advance(self.env.now if now is None else now)
        new = tuple.__new__
        return tuple(
            [
                new(
                    DataCenterView,
                    (
                        b,
                        ident,
                        reachable,
                        latency,
                        bandwidth,
                        pool.busy,
                        pool.allowed,
                        len(pool.queue),
                        tops,
                        pue,
                        w_per_tops,
                        pool.price_cny_per_kwh,
                        pool.carbon_g_per_kwh,
                    ),
                )
                for b, ident, reachable, latency, bandwidth, tops, pue, w_per_tops, pool in self._dc_static[station]
            ]
        )

    # --- processes --------------------------------------------------------------------------
    def _illumination(self, sat):
        for i in range(1, len(sat.seg_t)):
            t = sat.seg_t[i]
            if t >= self.end_s:
                break
            yield self.env.timeout(t - self.env.now)
            sat.enter_segment(i)


def run(model, inputs, policy, progress=None):
    """Run the engine; returns its :class:`Records` and the count of policy decisions."""
    engine = Engine(model, inputs, policy)
    records = engine.run(progress)
    decisions = engine.decisions
    # The engine's satellites, processes and views refer to each other (and a satellite to the energy log): free
    # them now, so that the results layer can free each log once it has read it.
    del engine
    gc.collect()
    return records, decisions
