"""The programme ``milp-optimal`` solves and ``upper_bound`` relaxes: the whole horizon as an event-indexed
mixed-integer programme on HiGHS (the policy that carries out its plan is in :mod:`.milp`).

The formulation (after ``scheduling-notes.md``, extended to many satellites, antennas,
storage and data centres) knows every capture in advance, so it is an offline optimum
and, relaxed, an upper bound on what any policy can earn.

Decisions, one binary per *path* of a capture: raw in contact window ``j`` to data
centre ``d``, or onboard and the product in window ``j``; through the space segment, across laser
window ``w`` to a computing satellite, computed there and the product down its window ``j`` (or across a
second laser window to a data relay and down its feeder window ``j``), or across ``w`` to a data relay and
down its feeder window ``j`` to data centre ``d``; none of them is a drop. A path
exists only if it could meet the deadline at the earliest (downlink from the later of
window start and the moment the data is ready, backhaul at full rate, no queue).
Continuous variables: the minutes of each window *cell* used for transmission (cells
cut at every window, sunlight-segment and data-ready boundary), the share of each
onboard job run in each sunlight segment, the battery energy at segment ends and its
curtailment.

Constraints:

* one path per capture at most; an onboard path's job is run in full, after capture and
  before its product's window closes;
* window capacity: the bytes of the paths through a window that are ready at or after
  any time ``tau`` fit in the cells after ``tau`` (exact for one window with release times);
* antennas: in every interval of a station, used minutes <= antennas x length; a
  satellite transmits through one station at a time;
* laser windows like contact windows (capacity after each release time); a satellite's laser
  terminals in one session each at a time, sending or receiving; an offloaded job runs on the computing
  satellite only in intervals its raw data is across by (the bound: by their end; executable: by
  their start);
* onboard computer time per segment; battery balance per segment (solar x sunlit
  fraction - bus - idle - captures - busy compute - transmitter - curtailment) between
  the reserve and the capacity at every segment end;
* storage at every capture time (raw held until its window starts or its job ends,
  products until their window starts);
* data-centre compute and backhaul volume within capacity over the horizon;
* a pass at a station bought as a service: a binary per window, its price paid when any cell of it is used;

Objective: value of the products minus the scenario's weighted ground cost (data centres' energy and the passes
bought), carbon and onboard compute energy. Units are GB, minutes and Wh so the coefficients stay near 1
(HiGHS presolve has returned wrong optima on bits next to Wh, see scheduling-notes.md).

The *executable* form (``formulate(..., executable=True)``, which ``milp-optimal`` solves) adds the
engine's floor, at the instants the engine applies it (see :func:`formulate`), and each item sent by its
due time within its window (what is ready after ``tau`` and due by ``delta`` fits in the cells between
them).

Every relaxation above is on the optimistic side of what the engine does (no queueing
in data centres, no bus-through-shadow floor, energy checked at segment ends, storage held only
on the capturing satellite), except two: an item is sent within one window, where the engine may
split it across two, and a route has one laser hop at most (a policy's routes of several hops are
outside the programme; ``compare`` leaves the bound out for such a run). So
the LP relaxation is an upper bound for every policy on the same captures, up to that
split, and the policy executes the integer plan in the engine.
"""

from __future__ import annotations

import math
import time
from bisect import bisect_right
from dataclasses import dataclass, field

import numpy as np

from ..power import ShadowPlan, energy_floor_j
from .lp import solve_milp
from .passes import window_price_cny
from .planning import plan_links
from .space_routes import laser_targets

GB = 1e9
MIN = 60.0
WH = 3600.0


@dataclass
class Formulation:
    """A built programme: ``minimise c @ x`` s.t. ``lb <= A @ x <= ub``, bounds, integrality."""

    c: np.ndarray
    A: object  # scipy.sparse.csr_array
    lb: np.ndarray
    ub: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    integrality: np.ndarray
    # (capture_id, kind, sat, window, datacenter, laser row, computer, product's laser row) of each binary, in
    # variable order: kind "raw" (down window ``window`` of ``sat``, the capturing one, to ``datacenter``),
    # "onboard" (computed on ``sat``, the product down its window), "offload" (across laser row ``laser row`` to
    # computing satellite ``sat``, computed there, the product down its window), "offload-relay" (across ``laser
    # row`` to the computing satellite ``computer``, computed there, the product across ``product's laser row``
    # to relay ``sat`` and down its feeder window) or "relay" (across the laser row to relay ``sat``, down its
    # feeder window to ``datacenter``); ``computer`` is the satellite computing it (-1: a data centre); -1 where
    # a field does not apply.
    paths: list
    n_captures: int
    stats: dict = field(default_factory=dict)
    compute_vars: list = field(default_factory=list)  # (variable, sat, energy interval, capture id): work shares
    intervals: list = field(default_factory=list)  # per sat: (starts, ends, sunlit, floor Wh, floor at start Wh)
    energy_vars: list = field(default_factory=list)  # per sat: the battery variable [Wh] at each interval end


class _Builder:
    def __init__(self):
        self.c, self.lo, self.hi, self.integ = [], [], [], []
        self.rows, self.cols, self.vals, self.lb, self.ub = [], [], [], [], []

    def var(self, cost=0.0, lo=0.0, hi=math.inf, integer=False):
        self.c.append(cost), self.lo.append(lo), self.hi.append(hi), self.integ.append(1 if integer else 0)
        return len(self.c) - 1

    def row(self, terms, lb=-math.inf, ub=math.inf):
        r = len(self.lb)
        for col, val in terms:
            self.rows.append(r), self.cols.append(col), self.vals.append(val)
        self.lb.append(lb), self.ub.append(ub)

    def build(self):
        from scipy.sparse import coo_array

        n = len(self.c)
        A = coo_array((self.vals, (self.rows, self.cols)), shape=(len(self.lb), n)).tocsr()
        return (
            np.array(self.c, float),
            A,
            np.array(self.lb, float),
            np.array(self.ub, float),
            np.array(self.lo, float),
            np.array(self.hi, float),
            np.array(self.integ),
        )


def formulate(plan, captures=None, executable=False) -> Formulation:
    """Build the programme of a :class:`~.views.Plan` (its own ``captures`` unless given).

    ``executable=False`` (the bound): the battery is checked at energy-interval ends only, on the
    optimistic side of the engine. ``executable=True`` (the plan ``milp-optimal`` carries out):
    the engine's energy rule as well, at the instants it applies it: an interval in which the
    plan transmits or computes starts and ends with the battery at or above the floor, and a
    capture the plan keeps finds the battery at or above the floor plus its imaging energy
    (intervals are cut at capture instants). Where the battery without any work would be below
    the floor these rows hold only if the interval is used, by one binary per such interval.
    """
    t_start = time.perf_counter()
    caps = plan.captures if captures is None else captures
    ob = plan.objective
    span = plan.duration_s
    B = _Builder()
    paths = []
    dcs = plan.datacenters
    dc_top = {d: [] for d in range(len(dcs))}  # data centre -> (var, tera-ops)
    link_gb = {}  # (station, dc) -> (var, GB)
    sat_caps = {k: [] for k in range(len(plan.satellites))}
    for row in caps.itertuples(index=False):
        sat_caps[int(row.sat)].append(row)
    window_paths = {}  # (sat, window) -> [(var, ready_s, GB, due_s: when it must be down by)]
    laser_paths = {}  # laser row -> [(var, ready_s, GB, due_s)]: raw data (or a product) crossing it
    jobs = {}  # (capture id, computing sat) -> [(var, due_s: done by, release_s: computing may start)]
    compute_rows = {}  # (capture id, computing sat) -> (t: earliest start, deadline, run_s, extra Wh, offloaded)
    L = plan.links
    to_computing, to_relay, from_computing = laser_targets(plan)
    due_cuts = {}  # computing sat -> when a job whose product goes to a relay must be done

    def to_ground(kind, cid, row, k, j, ready_s, deadline, start_s, raw, laser_row):
        """The paths of ``row``'s raw data down window ``j`` of satellite ``k`` (from ``start_s``) to each data
        centre that finishes it by ``deadline``: their variables."""
        sp = plan.satellites[k]
        down = start_s + plan_links(sp).time_to_send(j, start_s, raw)
        s = sp.window_station[j]
        out = []
        for d, dc in enumerate(dcs):
            bps = float(plan.link_bps[s, d])
            if bps <= 0:
                continue
            after_down = 8.0 * raw / bps + float(plan.link_latency_s[s, d]) + row.compute_top / dc.server_tops
            if down + after_down > deadline:
                continue
            kwh = row.compute_top * dc.power_w_per_tops * dc.pue / 3.6e6
            cost = (
                ob.cost_weight_per_cny * kwh * dc.price_cny_per_kwh.value_at(down)
                + ob.carbon_weight_per_kg * kwh * dc.carbon_g_per_kwh.value_at(down) / 1e3
            )
            v = B.var(-(float(row.value) - cost), 0, 1, True)
            paths.append((cid, kind, k, j, d, laser_row, -1, -1))
            out.append(v)
            window_paths.setdefault((k, j), []).append((v, ready_s, raw / GB, deadline - after_down))
            dc_top[d].append((v, row.compute_top))
            link_gb.setdefault((s, d), []).append((v, raw / GB))
        return out

    def computed_on(kind, cid, row, k, release_s, deadline, product, laser_row):
        """The paths of ``row`` computed on satellite ``k`` from ``release_s``, the product down one of its
        windows by ``deadline``: their variables (the job's rows come after the loop)."""
        sp = plan.satellites[k]
        hw, links, aos, los = sp.hardware, plan_links(sp), sp.window_aos_s, sp.window_los_s
        run_s = row.compute_top / hw.compute_tops
        ready = release_s + run_s
        energy_wh = hw.compute_busy_w * run_s / WH
        out = []
        for j in range(len(aos)):
            if los[j] <= ready or aos[j] >= deadline:
                continue
            if max(aos[j], ready) + links.time_to_send(j, max(aos[j], ready), product) > deadline:
                continue
            v = B.var(-(float(row.value) - ob.onboard_energy_weight_per_wh * energy_wh), 0, 1, True)
            paths.append((cid, kind, k, j, -1, laser_row, k, -1))
            out.append(v)
            # The job is done by the window's close (bound); executable: by its start, or, when the job
            # cannot be done by then, in time to send the product before the close.
            due = los[j]
            if executable:
                due = aos[j] if ready <= aos[j] else los[j] - links.time_to_send(j, ready, product)
            jobs.setdefault((cid, k), []).append((v, due, release_s))
            window_paths.setdefault((k, j), []).append((v, ready, product / GB, deadline))
        # Offloaded, the product may also cross a laser window w2 to a data relay and go down its feeder link.
        for r, rows in from_computing.get(k, {}).items() if kind == "offload" else ():
            sr = plan.satellites[r]
            feeder = plan_links(sr)
            for w2, across in _crossings(L, rows, ready, product, deadline):
                # Done in time to send the product before w2 closes (executable: by its start if it can be).
                due = L.end_s[w2] - (across - max(ready, L.start_s[w2]))
                if executable and ready <= L.start_s[w2]:
                    due = L.start_s[w2]
                due_cuts.setdefault(k, set()).add(due)  # (energy intervals are cut there: done-by rows are exact)
                for j in range(len(sr.window_aos_s)):
                    a, b = sr.window_aos_s[j], sr.window_los_s[j]
                    if (
                        b <= across
                        or a >= deadline
                        or max(a, across) + feeder.time_to_send(j, max(a, across), product) > deadline
                    ):
                        continue
                    v = B.var(-(float(row.value) - ob.onboard_energy_weight_per_wh * energy_wh), 0, 1, True)
                    paths.append((cid, "offload-relay", r, j, -1, laser_row, k, w2))
                    out.append(v)
                    jobs.setdefault((cid, k), []).append((v, due, release_s))
                    laser_paths.setdefault(w2, []).append((v, ready, product / GB, L.end_s[w2]))
                    window_paths.setdefault((r, j), []).append((v, across, product / GB, deadline))
        if out:
            t0 = compute_rows.get((cid, k), (release_s,))[0]
            extra_wh = (hw.compute_busy_w - hw.compute_idle_w) * run_s / WH
            compute_rows[(cid, k)] = (min(t0, release_s), deadline, run_s, extra_wh, kind != "onboard")
        return out

    for k, sp in enumerate(plan.satellites):
        hw = sp.hardware
        aos, los = sp.window_aos_s, sp.window_los_s
        for row in sat_caps[k]:
            cid = int(row.capture_id)
            t = float(row.time_s)
            deadline = min(t + float(row.deadline_s), span)
            raw, product = float(row.raw_bytes), float(row.product_bytes)
            mine = []
            for j in range(len(aos)):
                if los[j] <= t or aos[j] >= deadline:
                    continue
                mine += to_ground("raw", cid, row, k, j, t, deadline, max(aos[j], t), raw, -1)
            if bool(row.onboard_allowed) and hw.compute_tops > 0:
                mine += computed_on("onboard", cid, row, k, t, deadline, product, -1)
            # Through the space segment: raw across one laser window, computed on a computing satellite or sent
            # down a relay's feeder link (an item crosses within one window, like a downlink).
            for c, rows in to_computing.get(k, {}).items() if bool(row.onboard_allowed) else ():
                for w, across in _crossings(L, rows, t, raw, deadline):
                    n = len(mine)
                    mine += computed_on("offload", cid, row, c, across, deadline, product, w)
                    if len(mine) > n:
                        laser_paths.setdefault(w, []).extend((v, t, raw / GB, L.end_s[w]) for v in mine[n:])
            for r, rows in to_relay.get(k, {}).items():
                sr = plan.satellites[r]
                for w, across in _crossings(L, rows, t, raw, deadline):
                    n = len(mine)
                    for j in range(len(sr.window_aos_s)):
                        if sr.window_los_s[j] <= across or sr.window_aos_s[j] >= deadline:
                            continue
                        start = max(sr.window_aos_s[j], across)
                        mine += to_ground("relay", cid, row, r, j, across, deadline, start, raw, w)
                    laser_paths.setdefault(w, []).extend((v, t, raw / GB, L.end_s[w]) for v in mine[n:])
            if len(mine) > 1:
                B.row([(v, 1.0) for v in mine], ub=1.0)
    n_bin = len(paths)

    # --- window cells --------------------------------------------------------------------------
    station_bounds = {}
    for sp in plan.satellites:
        for s, a, b in zip(sp.window_station, sp.window_aos_s, sp.window_los_s):
            station_bounds.setdefault(s, set()).update((a, b))
    station_bounds = {s: sorted(v) for s, v in station_bounds.items()}
    # Each satellite's laser terminal: the bounds of the used laser windows it sends or receives on.
    terminal_bounds = {}
    for w in laser_paths:
        for end in (int(L.sender[w]), int(L.receiver[w])):
            terminal_bounds.setdefault(end, set()).update((float(L.start_s[w]), float(L.end_s[w])))
    terminal_bounds = {k: sorted(v) for k, v in terminal_bounds.items()}
    station_groups, sat_groups, terminal_groups = {}, {}, {}
    seg_tx = {}  # (sat, energy interval) -> [(u var, W while it sends)]
    intervals = [
        _energy_intervals(
            sp,
            span,
            [float(r.time_s) for r in sat_caps[k]] if executable else (),
            [*terminal_bounds.get(k, ()), *due_cuts.get(k, ())],
        )
        for k, sp in enumerate(plan.satellites)
    ]
    sat_bounds_of = [sorted(set(sp.window_aos_s) | set(sp.window_los_s)) for sp in plan.satellites]
    priced = [g.price_per_min_cny > 0.0 or g.price_per_pass_cny > 0.0 for g in plan.stations]
    n_booking = 0
    for k, sp in enumerate(plan.satellites):
        sat_bounds = sat_bounds_of[k]
        seg_t = intervals[k][0]  # sunlight segments cut at this satellite's own window ends
        links = plan_links(sp)
        for j, (s, a, b) in enumerate(zip(sp.window_station, sp.window_aos_s, sp.window_los_s)):
            users = window_paths.get((k, j))
            if not users:
                continue
            bounds = (x for x in station_bounds[s] if a < x < b)
            cells = _window_rows(B, links, j, a, b, users, (bounds, seg_t), executable)
            price = window_price_cny(plan.stations[s], a, b) if priced[s] else 0.0
            if price > 0.0:
                # A pass bought as a service: billed whole once anything is sent in it (a binary, the booking).
                booked = B.var(ob.cost_weight_per_cny * price, 0.0, 1.0, True)
                n_booking += 1
                for c0, c1, u in cells:
                    B.row([(u, 1.0), (booked, -(c1 - c0) / MIN)], ub=0.0)
            for c0, c1, u in cells:
                mid = 0.5 * (c0 + c1)
                station_groups.setdefault((s, bisect_right(station_bounds[s], mid)), []).append((u, j, k))
                sat_groups.setdefault((k, bisect_right(sat_bounds, mid)), []).append((u, j))
                seg_tx.setdefault((k, max(bisect_right(seg_t, mid) - 1, 0)), []).append((u, sp.hardware.tx_w))
    for w, users in laser_paths.items():
        k, r = int(L.sender[w]), int(L.receiver[w])
        a, b, seg_t = float(L.start_s[w]), float(L.end_s[w]), intervals[k][0]
        laser_w = plan.satellites[k].hardware.laser_w  # the sender's battery pays the session
        cuts = (terminal_bounds[k], terminal_bounds[r], seg_t)
        for c0, c1, u in _window_rows(B, L, w, a, b, users, cuts, False):
            mid = 0.5 * (c0 + c1)
            for end in (k, r):
                terminal_groups.setdefault((end, bisect_right(terminal_bounds[end], mid)), []).append((u, w))
            seg_tx.setdefault((k, max(bisect_right(seg_t, mid) - 1, 0)), []).append((u, laser_w))
    for (s, e), members in station_groups.items():
        ant = plan.stations[s].antennas
        if len({(k, j) for _, j, k in members}) > ant:
            bounds = station_bounds[s]
            B.row([(u, 1.0) for u, *_ in members], ub=ant * (bounds[e] - bounds[e - 1]) / MIN)
    for (k, e), members in sat_groups.items():
        if len({j for _, j in members}) > 1:
            bounds = sat_bounds_of[k]
            B.row([(u, 1.0) for u, _ in members], ub=(bounds[e] - bounds[e - 1]) / MIN)
    for (k, e), members in terminal_groups.items():
        terminals = plan.satellites[k].laser_terminals
        if len({w for _, w in members}) > terminals:
            bounds = terminal_bounds[k]
            B.row([(u, 1.0) for u, _ in members], ub=terminals * (bounds[e] - bounds[e - 1]) / MIN)

    # --- onboard compute and energy ------------------------------------------------------------
    share = {}  # (sat, energy interval) -> [(p var, run_s, extra Wh)]
    compute_vars = []
    for (cid, k), (t, deadline, run_s, extra_wh, offloaded) in compute_rows.items():
        seg_t, ends = intervals[k][0], intervals[k][1]
        mine = jobs[(cid, k)]
        terms, done_by = [], []
        for m, (m0, m1) in enumerate(zip(seg_t, ends)):
            overlap = min(m1, deadline) - max(m0, t)
            if overlap <= 0:
                continue
            p = B.var(0.0, 0.0, min(1.0, overlap / run_s))
            compute_vars.append((p, k, m, cid))
            terms.append((p, 1.0))
            done_by.append((m1, p))
            share.setdefault((k, m), []).append((p, run_s, extra_wh))
            if offloaded:
                # It runs only once its raw data is across: in an interval its path's data is across by the
                # end of (the bound) or, executable, by the start of.
                ok = [v for v, _, r in mine if (r <= m0 + 1e-6 if executable else r < m1 - 1e-6)]
                if len(ok) < len(mine):
                    B.row([(p, 1.0)] + [(v, -min(1.0, overlap / run_s)) for v in ok], ub=0.0)
        B.row(terms + [(v, -1.0) for v, _, _ in mine], lb=0.0, ub=0.0)
        # The job is done when its product is due (intervals are cut at window ends).
        for v, due, _ in mine:
            B.row([(p, 1.0) for m1, p in done_by if m1 <= due + 1e-6] + [(v, -1.0)], lb=0.0)
    kept = {}  # capture id -> its binaries (kept in the plan when one of them is 1)
    for idx, (cid, *_rest) in enumerate(paths):
        kept.setdefault(cid, []).append(idx)
    energy_vars = [[] for _ in plan.satellites]
    for k, sp in enumerate(plan.satellites):
        hw = sp.hardware
        seg_t, ends, sunlit, floor_wh, floor_start_wh = intervals[k]
        in_time = sorted(sat_caps[k], key=lambda r: float(r.time_s))
        cap_times = [float(r.time_s) for r in in_time]
        cap_ids = [int(r.capture_id) for r in in_time]
        energy = hw.initial_j / WH
        prev, prev_lo = None, energy  # the energy variable at the previous interval end, and its lower bound
        natural = energy
        for m, (m0, m1) in enumerate(zip(seg_t, ends)):
            length = m1 - m0
            work = share.get((k, m), [])
            if work:
                B.row([(p, run_s) for p, run_s, _ in work], ub=length)
            n_caps = bisect_right(cap_times, m1) - bisect_right(cap_times, m0)
            net_wh = ((hw.solar_w * sunlit[m] - hw.bus_w - hw.compute_idle_w) * length - hw.capture_j * n_caps) / WH
            natural = min(natural + net_wh, hw.battery_j / WH)
            lo = min(floor_wh[m], natural)
            e = B.var(0.0, lo, hw.battery_j / WH)
            spill = B.var(0.0, 0.0, math.inf)
            tx = seg_tx.get((k, m), [])
            terms = [(e, 1.0), (spill, 1.0)] + [(p, wh) for p, _, wh in work]
            terms += [(u, watts * MIN / WH) for u, watts in tx]
            if prev is None:
                B.row(terms, lb=energy + net_wh, ub=energy + net_wh)
            else:
                B.row(terms + [(prev, -1.0)], lb=net_wh, ub=net_wh)
            if executable:
                _floor_rows(B, prev, prev_lo, energy, floor_start_wh[m], e, lo, floor_wh[m], tx, work, length)
                # A capture at this interval's end (intervals are cut there; e is after its imaging
                # energy): the engine images only if that leaves the battery at or above the floor.
                need = floor_wh[m]
                if hw.capture_j > 0 and lo < need:
                    i = bisect_right(cap_times, m1 - 1e-9)
                    while i < len(cap_times) and cap_times[i] <= m1 + 1e-9:
                        ids = kept.get(cap_ids[i], [])
                        if ids:
                            B.row([(e, 1.0)] + [(v, -(need - lo)) for v in ids], lb=lo)
                        i += 1
            prev, prev_lo = e, lo
            energy_vars[k].append(e)

    # --- storage -------------------------------------------------------------------------------
    n_storage = 0
    for k, sp in enumerate(plan.satellites):
        hw = sp.hardware
        rows = sat_caps[k]
        if sum(float(r.raw_bytes) for r in rows) <= hw.storage_bytes:
            continue
        held = []  # (var, from_s, until_s, GB); binaries come first, so a path's index is its variable
        lookup = {int(r.capture_id): r for r in rows}
        # (Held on the capturing satellite only: what crosses to another one is held there until it is across.)
        for idx, (cid, kind, _, j, _, w, _, _) in enumerate(paths):
            r = lookup.get(cid)
            if r is None:
                continue
            t = float(r.time_s)
            if kind == "raw":
                held.append((idx, t, max(sp.window_aos_s[j], t), float(r.raw_bytes) / GB))
            elif kind == "onboard":
                ready = t + r.compute_top / hw.compute_tops
                held.append((idx, t, ready, float(r.raw_bytes) / GB))
                held.append((idx, ready, max(sp.window_aos_s[j], ready), float(r.product_bytes) / GB))
            else:
                held.append((idx, t, _across_s(L, w, t, float(r.raw_bytes)), float(r.raw_bytes) / GB))
        for r in rows:
            tk = float(r.time_s)
            terms = {}
            for v, t0, t1, size in held:
                if t0 <= tk < t1:
                    terms[v] = terms.get(v, 0.0) + size
            if terms and sum(terms.values()) > hw.storage_bytes / GB:
                B.row(list(terms.items()), ub=hw.storage_bytes / GB)
                n_storage += 1

    # --- ground capacity -----------------------------------------------------------------------
    for d, items in dc_top.items():
        cap = dcs[d].capacity_top_between(0.0, span)
        if items and sum(top for _, top in items) > cap:
            B.row(items, ub=cap)
    for (s, d), items in link_gb.items():
        cap = float(plan.link_bps[s, d]) / 8.0 / GB * span
        if sum(g for _, g in items) > cap:
            B.row(items, ub=cap)

    c, A, lb, ub, lo, hi, integ = B.build()
    stats = {
        "binaries": n_bin,
        "variables": len(c),
        "constraints": len(lb),
        "storage_rows": n_storage,
        "booking_binaries": n_booking,
        "build_s": time.perf_counter() - t_start,
    }
    return Formulation(c, A, lb, ub, lo, hi, integ, paths, len(caps), stats, compute_vars, intervals, energy_vars)


# Capacity rows of one window above which only the rows linear in its users are written (see _window_rows).
MAX_WINDOW_ROWS = 2000


def _across_s(links, row, t_s, nbytes):
    """When ``nbytes`` sent from ``t_s`` through laser window ``row`` alone are across (inf if they do not fit)."""
    start, end = max(float(links.start_s[row]), t_s), float(links.end_s[row])
    if start >= end or links.capacity_between(row, start, end) < nbytes:
        return math.inf
    return start + links.time_to_send(row, start, nbytes)


def _crossings(links, rows, t_s, nbytes, deadline_s):
    """(row, when across) of each laser window of ``rows`` (by start) that ``nbytes`` sent from ``t_s`` cross
    alone before ``deadline_s``."""
    for w in rows:
        if links.start_s[w] >= deadline_s:
            break
        across = _across_s(links, w, t_s, nbytes)
        if across < deadline_s:
            yield w, across


def _window_rows(B, links, row, a, b, users, cut_sets, executable):
    """The cells of window ``row`` of ``links`` (open ``a`` to ``b``) and its capacity rows for ``users`` ((var,
    ready_s, GB, due_s) of the paths through it): cut at the window's ends, at the given sets of instants
    inside it, at the users' ready times (and, executable, due times) and at its rate steps. Returns the cells
    as (start, end, u: minutes of transmission)."""
    cuts = {a, b}
    for times in cut_sets:
        cuts.update(x for x in times if a < x < b)
    cuts.update(r for _, r, _, _ in users if a < r < b)
    dues = sorted({due for *_, due in users if a < due < b}) if executable else []
    cuts.update(dues)
    cuts.update(x for x in links.rate_start_s[links.profile_start[row] : links.profile_start[row + 1]] if a < x < b)
    cuts = sorted(cuts)
    cells = []  # (start, end, minutes of transmission, GB a minute there: the window's rate in force)
    for c0, c1 in zip(cuts[:-1], cuts[1:]):
        u = B.var(0.0, 0.0, (c1 - c0) / MIN)
        cells.append((c0, c1, u, links.rate_at(row, c0) / 8.0 / GB * MIN))
    # What is ready at or after tau and due by delta (the window's end, or, executable, an earlier due time)
    # fits in the cells between them: with the engine's deadline, exact for one window.
    pairs = [(tau, delta) for tau in sorted({a} | {r for _, r, _, _ in users if r > a}) for delta in [*dues, b]]
    if len(pairs) > MAX_WINDOW_ROWS:
        # A long window with many users (a relay's feeder link open all day): what is ready at or after tau by
        # the window's end, and each user's own interval from its ready to its due time (necessary conditions
        # of the pairs above, in rows linear in the users rather than quadratic).
        pairs = [(tau, b) for tau, delta in pairs if delta == b]
        pairs += sorted({(max(r, a), min(due, b)) for _, r, _, due in users if min(due, b) < b})
    for tau, delta in pairs:
        if delta <= tau:
            continue
        terms = [(v, size) for v, r, size, due in users if max(r, a) >= tau and min(due, b) <= delta]
        if not terms:
            continue
        terms += [(u, -rate) for c0, c1, u, rate in cells if c0 >= tau - 1e-9 and c1 <= delta + 1e-9]
        B.row(terms, ub=0.0)
    return [(c0, c1, u) for c0, c1, u, _ in cells]


def _floor_rows(B, prev, prev_lo, energy0, floor0, e, lo, floor1, tx, work, length):
    """The engine's floor on an interval's loads: where the plan transmits or computes in it, the
    battery at its start and at its end is at or above the floor there. Unconditional where the
    battery without work is above the floor anyway; else through a binary ``y`` (loads only if 1)."""
    if not tx and not work:
        return
    start_ok = (prev_lo if prev is not None else energy0) >= floor0 - 1e-9
    if start_ok and lo >= floor1 - 1e-9:
        return  # the bounds already hold the battery at the floor
    if prev is None and energy0 < floor0 - 1e-9:
        for u, _ in tx:
            B.row([(u, 1.0)], ub=0.0)
        for p, _, _ in work:
            B.row([(p, 1.0)], ub=0.0)
        return
    y = B.var(0.0, 0.0, 1.0, True)
    for u, _ in tx:
        B.row([(u, 1.0), (y, -length / MIN)], ub=0.0)
    for p, _, _ in work:
        B.row([(p, 1.0), (y, -1.0)], ub=0.0)
    if not start_ok:
        B.row([(prev, 1.0), (y, -(floor0 - prev_lo))], lb=prev_lo)
    if lo < floor1 - 1e-9:
        B.row([(e, 1.0), (y, -(floor1 - lo))], lb=lo)


def _energy_intervals(sp, span, capture_s=(), laser_s=()):
    """Intervals where the battery is checked: sunlight segments cut at every window start and end
    (and at the given instants: captures, offloaded data across; the bounds of the laser windows used).

    Returns (starts, ends, sunlit fraction, floor [Wh], floor at the start [Wh]) where the floor is the engine's just
    before each interval end: the reserve plus the bus through the shadow ahead (the next one
    from sunlight, what is left of it in shadow). Optional loads stop there and captures are
    refused below it, so a battery lower than this at an interval end is the bus's doing alone:
    the programme's lower bound is the smaller of the floor and the no-work battery.
    """
    hw = sp.hardware
    seg_t = list(sp.segment_start_s)
    seg_f = list(sp.segment_sunlit)
    cuts = sorted(
        {
            *seg_t,
            *(x for x in sp.window_aos_s if 0 < x < span),
            *(x for x in sp.window_los_s if 0 < x < span),
            *(x for x in capture_s if 0 < x < span),
            *(x for x in laser_s if 0 < x < span),
        }
    )
    starts, ends = cuts, cuts[1:] + [span]
    shadows = ShadowPlan(seg_t, seg_f, span)
    frac, floor, floor_start = [], [], []
    for t0, t1 in zip(starts, ends):
        m = max(bisect_right(seg_t, 0.5 * (t0 + t1)) - 1, 0)
        frac.append(seg_f[m])
        # The engine's floor at the interval's end: in sunlight the whole next shadow, in shadow what is left.
        floor.append(energy_floor_j(hw.reserve_j, hw.bus_w, shadows.ahead_in_segment_s(m, t1)) / WH)
        floor_start.append(energy_floor_j(hw.reserve_j, hw.bus_w, shadows.ahead_in_segment_s(m, t0)) / WH)
    return starts, ends, frac, floor, floor_start


@dataclass
class Solution:
    status: str  # "optimal", "time_limit" (best found, with gap), "infeasible"...
    objective: float  # value of the best integer plan (relaxation: of the LP), value units
    bound: float  # proven upper bound on the objective
    gap: float  # (bound - objective) / |bound|
    chosen: dict  # capture id -> (kind, sat, window, datacenter, laser row, computer, product's laser row): paths
    solve_s: float
    x: object = None  # the solution vector


def solve(form: Formulation, time_limit_s=60.0, mip_rel_gap=1e-4, relax=False) -> Solution:
    """Solve the programme (HiGHS, through the pinned ``highspy``: see :mod:`.lp`), or its LP relaxation."""
    from scipy.sparse import csc_array

    t0 = time.perf_counter()
    if len(form.c) == 0:
        return Solution("optimal", 0.0, 0.0, 0.0, {}, 0.0)
    integrality = np.zeros_like(form.integrality) if relax else form.integrality
    a = csc_array(form.A) if form.A.shape[0] else csc_array((0, len(form.c)))
    status, x, dual = solve_milp(
        form.c, a, form.lb, form.ub, form.lo, form.hi, integrality, float(time_limit_s), float(mip_rel_gap)
    )
    elapsed = time.perf_counter() - t0
    if x is None:
        return Solution(status, math.nan, math.nan, math.nan, {}, elapsed)
    objective = -float(form.c @ x)
    if relax:
        return Solution("optimal", objective, objective, 0.0, {}, elapsed)
    bound = -float(dual) if dual is not None and np.isfinite(dual) else objective
    bound = max(bound, objective)
    chosen = {}
    for i, (cid, kind, k, j, d, w, computer, w2) in enumerate(form.paths):
        if x[i] > 0.5:
            chosen[cid] = (kind, k, j, d, w, computer, w2)
    gap = (bound - objective) / abs(bound) if bound else 0.0
    return Solution(status, objective, bound, gap, chosen, elapsed, x)


def upper_bound(plan, captures=None, time_limit_s=120.0) -> dict:
    """The LP relaxation's value: no policy earns more on these captures (see the module docstring)."""
    form = formulate(plan, captures)
    sol = solve(form, time_limit_s=time_limit_s, relax=True)
    return {"bound": sol.objective, "solve_s": sol.solve_s, **form.stats}
