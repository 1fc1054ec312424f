"""Estimates for policies that look ahead: pure functions of a :class:`~.views.Plan` and views.

Contact windows and sunlight are known in advance from the orbits; these helpers turn
them into the quantities a decision needs: how long until a number of bytes has been
downlinked, how much solar energy arrives between two times, and when a job would
finish in a data centre. The estimates are optimistic about antenna contention (the
other satellites' traffic is not known to one satellite) and exact otherwise.
"""

from __future__ import annotations

import math
from bisect import bisect_right, insort

import numpy as np

from ..links import LinkWindows
from ..power import FULL_SUN, ShadowPlan, energy_floor_j
from ..thermal import heat_in_w, temperature_after_k, throttle_duty, time_to_reach_s
from . import BasePolicy
from .pace import sunlit_time_after
from .space_routes import SpaceRoutes


def plan_links(sat_plan):
    """The satellite's link windows with their rate profiles (row w: window w); a plan built by hand without
    them has constant rates, ``window_rate_bps``."""
    if sat_plan.links is not None:
        return sat_plan.links
    return LinkWindows.constant(
        "downlink",
        [sat_plan.index] * len(sat_plan.window_aos_s),
        sat_plan.window_station,
        sat_plan.window_aos_s,
        sat_plan.window_los_s,
        sat_plan.window_rate_bps,
    )


class SatelliteTimeline:
    """Downlink capacity and solar input of one satellite over the span.

    Overlapping windows (two stations in view) merge into one interval at the higher
    rate: the engine transmits through one station at a time.
    """

    def __init__(self, sat_plan, duration_s):
        self.hw = sat_plan.hardware
        self.duration_s = duration_s
        links = plan_links(sat_plan)
        # Intervals between window edges and rate steps, each at the best rate any open window offers.
        cuts = sorted(set(sat_plan.window_aos_s) | set(sat_plan.window_los_s) | set(links.rate_start_s.tolist()))
        starts, ends, rates, stations = [], [], [], []
        # A sweep over the cuts with the windows open there (each covers whole intervals: the cuts hold its ends).
        aos, los, station_of = sat_plan.window_aos_s, sat_plan.window_los_s, sat_plan.window_station
        by_start = sorted(range(len(aos)), key=lambda w: aos[w])
        nxt, open_windows = 0, []
        for a, b in zip(cuts[:-1], cuts[1:]):
            while nxt < len(by_start) and aos[by_start[nxt]] <= a:
                insort(open_windows, by_start[nxt])
                nxt += 1
            best, station = 0.0, -1
            for w in [w for w in open_windows if los[w] < b]:
                open_windows.remove(w)
            for w in open_windows:  # in window order: the first at the best rate wins, as before
                rate = links.rate_at(w, a)
                if rate > best:
                    best, station = rate, station_of[w]
            if best > 0:
                if starts and ends[-1] == a and rates[-1] == best and stations[-1] == station:
                    ends[-1] = b
                else:
                    starts.append(a), ends.append(b), rates.append(best), stations.append(station)
        self.start_s, self.end_s = np.array(starts), np.array(ends)
        self.rate_Bps = np.array(rates) / 8.0
        self.station = stations
        self._start, self._end = starts, ends
        cap = (self.end_s - self.start_s) * self.rate_Bps
        self._cum = np.concatenate([[0.0], np.cumsum(cap)]).tolist()  # bytes before interval i
        self._rate = self.rate_Bps.tolist()
        self._cum_array = np.asarray(self._cum)
        self.mean_rate_Bps = float(np.mean(self.rate_Bps)) if len(rates) else 1.0  # for transmitter energy estimates
        # Sunlight as cumulative solar energy at segment starts.
        t = list(sat_plan.segment_start_s)
        f = list(sat_plan.segment_sunlit)
        self._seg_t, self._seg_f = t, f
        self.shadows = ShadowPlan(t, f, duration_s)
        seg_end = t[1:] + [duration_s]
        self._solar_cum = np.concatenate([[0.0], np.cumsum(np.array(f) * (np.array(seg_end) - np.array(t)))]).tolist()

    # --- downlink ------------------------------------------------------------------------------
    def bytes_before(self, t):
        """Capacity from the span start to ``t`` [bytes]."""
        i = bisect_right(self._start, t) - 1
        if i < 0:
            return 0.0
        return self._cum[i] + self._rate[i] * (min(t, self._end[i]) - self._start[i])

    def bytes_between(self, t0_s, t1_s):
        """Bytes the satellite's windows could carry in [t0, t1]."""
        if t1_s <= t0_s:
            return 0.0
        return self.bytes_before(t1_s) - self.bytes_before(t0_s)

    def time_to_send(self, t0_s, nbytes, before_bytes=None):
        """(time, station) at which ``nbytes`` sent from ``t0`` on would be down; (inf, -1) if never.
        ``before_bytes``: ``bytes_before(t0_s)`` if the caller has it already."""
        target = (self.bytes_before(t0_s) if before_bytes is None else before_bytes) + nbytes
        cum = self._cum
        i = bisect_right(cum, target) - 1  # interval whose start cumulative is <= target
        if i >= len(self._start):
            if nbytes <= 0 and len(self._start):
                return max(t0_s, self._start[-1]), self.station[-1]
            return math.inf, -1
        t = self._start[i] + (target - cum[i]) / self._rate[i]
        if t > self._end[i]:  # target lies exactly between intervals
            i += 1
            if i >= len(self._start):
                return math.inf, -1
            t = self._start[i]
        return max(t, t0_s), self.station[i]

    def times_to_send(self, t0_s, totals, before_bytes):
        """:meth:`time_to_send`'s time for each of ``totals`` (> 0) bytes sent from ``t0`` on (``before_bytes``:
        ``bytes_before(t0_s)``), as an array: the same arithmetic, element by element."""
        target = before_bytes + totals
        n = len(self._start)
        i = np.searchsorted(self._cum_array, target, side="right") - 1
        out = np.full(target.shape, math.inf)
        ok = np.flatnonzero(i < n)
        if ok.size:
            j = i[ok]
            t = self.start_s[j] + (target[ok] - self._cum_array[j]) / self.rate_Bps[j]
            over = t > self.end_s[j]  # exactly between intervals: the next one's start, if any
            if over.any():
                nxt = j[over] + 1
                t[over] = np.where(nxt < n, self.start_s[np.minimum(nxt, n - 1)], math.inf)
            out[ok] = np.maximum(t, t0_s)
        return out

    # --- energy --------------------------------------------------------------------------------
    def sunlit_seconds_between(self, t0_s, t1_s):
        """Seconds of full-sun equivalent (sunlit fraction integrated) in [t0, t1]."""
        if t1_s <= t0_s:
            return 0.0
        return self._sunlit_before(t1_s) - self._sunlit_before(t0_s)

    def _sunlit_before(self, t):
        i = max(bisect_right(self._seg_t, t) - 1, 0)
        return self._solar_cum[i] + self._seg_f[i] * (t - self._seg_t[i])

    def sustained_duty(self, sunlit_fraction):
        """The share of the time the computer runs at ``sunlit_fraction`` once its thermal node cycles between the
        throttle and limit temperatures (1 without a thermal model): :func:`~spaceground.thermal.throttle_duty`
        with the bus and the idle or busy computer as the dissipation."""
        hw = self.hw
        if not hw.thermal:
            return 1.0
        q_idle = self.heat_idle_w(sunlit_fraction)
        q_busy = q_idle + hw.compute_busy_w - hw.compute_idle_w
        return throttle_duty(q_busy, q_idle, hw.throttle_k, hw.limit_k, *hw.node)

    def heat_idle_w(self, sunlit_fraction):
        """Heat into the thermal node at ``sunlit_fraction`` with the bus and the idle computer [W] (the transmitter
        left out)."""
        hw = self.hw
        return heat_in_w(sunlit_fraction, hw.absorbed_sun_w, hw.absorbed_earth_w, hw.bus_w + hw.compute_idle_w)

    def floor_j(self, t_s):
        """The engine's energy floor at ``t_s``: the reserve plus the bus through the shadow ahead [J]."""
        return energy_floor_j(self.hw.reserve_j, self.hw.bus_w, self.shadows.ahead_s(t_s))

    def floor_max_j(self, t0_s, t1_s):
        """The highest :meth:`floor_j` over [t0, t1] [J]: what a load running through the interval meets.
        In shadow the floor falls as the shadow passes; at sunrise it jumps to the reserve plus the bus
        through the whole next shadow, so the highest is at an end or at a sunrise in between."""
        t, f = self._seg_t, self._seg_f
        best = max(self.floor_j(t0_s), self.floor_j(t1_s))
        for i in range(bisect_right(t, t0_s), bisect_right(t, t1_s)):
            if f[i] >= FULL_SUN and i > 0 and f[i - 1] < FULL_SUN:
                best = max(best, self.floor_j(t[i]))
        return best

    def window_at(self, t_s):
        """(end [s], rate [B/s]) of the merged window holding ``t_s`` (the last one starting at or before it)."""
        i = bisect_right(self._start, t_s) - 1
        return self._end[i], self._rate[i]

    def surplus_j(self, t0_s, t1_s):
        """Energy the array delivers in [t0, t1] beyond the bus and the idle computer [J]."""
        hw = self.hw
        return hw.solar_w * self.sunlit_seconds_between(t0_s, t1_s) - (hw.bus_w + hw.compute_idle_w) * (t1_s - t0_s)


def timelines(plan):
    return [SatelliteTimeline(s, plan.duration_s) for s in plan.satellites]


def ground_finish_s(now_s, raw_bytes, compute_top, dc):
    """Estimated completion of a raw job sent now over ``dc``'s link (a :class:`DataCenterView`):
    transfer at the full link rate, one-way latency, queue behind the jobs ahead, processing."""
    if not dc.reachable or dc.bandwidth_bps <= 0:
        return math.inf
    if dc.servers <= 0:  # no power for any server now; when it returns is not in the view
        return math.inf
    service = compute_top / dc.server_tops
    ahead = dc.busy_servers + dc.queued - dc.servers + 1
    wait = max(0, ahead) * service / dc.servers
    return now_s + 8.0 * raw_bytes / dc.bandwidth_bps + dc.latency_s + wait + service


def job_cost(compute_top, dc, objective):
    """Weighted cost [value units] and the plain electricity cost [CNY] of a job at ``dc`` now."""
    kwh = compute_top * dc.power_w_per_tops * dc.pue / 3.6e6
    cny = kwh * dc.price_cny_per_kwh
    weighted = objective.cost_weight_per_cny * cny + objective.carbon_weight_per_kg * kwh * dc.carbon_g_per_kwh / 1e3
    return weighted, cny


def choose_datacenter(view, objective, prefer=None):
    """The data centre for a raw job at a station (an :class:`ArrivalView`).

    Among those that meet the deadline, the least weighted cost (``prefer`` = "cost" or
    "carbon" overrides the scenario weights), then the least electricity cost; if none
    meets it, the one that finishes first.
    """
    best, best_key, fastest, fastest_t = None, None, None, math.inf
    for dc in view.datacenters:
        if not dc.reachable:
            continue
        t = ground_finish_s(view.now_s, view.raw_bytes, view.compute_top, dc)
        if t < fastest_t:
            fastest, fastest_t = dc.index, t
        if t > view.deadline_s:
            continue
        weighted, cny = job_cost(view.compute_top, dc, objective)
        if prefer == "carbon":
            key = (dc.carbon_g_per_kwh * dc.pue, cny, t)
        elif prefer == "cost":
            key = (cny, t)
        else:
            key = (weighted, cny, t)
        if best_key is None or key < best_key:
            best, best_key = dc.index, key
    return best if best is not None else fastest


def live_backlog_bytes(sat):
    """Bytes queued for downlink that are still in time (late items are not sent: see ``lookahead``)."""
    now = sat.now_s
    return sum(q.remaining_bytes for q in sat.queue if q.deadline_s >= now)


def next_shadow_s(timeline, t_s):
    """When the satellite next enters shadow at or after ``t_s`` (``t_s`` if in shadow; the span end if never)."""
    t, f = timeline._seg_t, timeline._seg_f
    i = max(bisect_right(t, t_s) - 1, 0)
    while i < len(t) and f[i] >= FULL_SUN:
        i += 1
    return timeline.duration_s if i >= len(t) else max(t_s, t[i])


def yield_until_in_time(ranked, size, density, late):
    """The weighted Moore-Hodgson rule on one server (the downlink, the onboard computer).

    Walk ``ranked`` (earliest deadline first), adding each item to the kept set; while the item just
    added is ``late(item, total size kept)``, the kept item of least ``density`` (value per unit of
    size, ties broken inside the key) yields. Items differ in size, so one yielding may not free
    enough: yield until the item is in time or has yielded itself. Returns (kept in order, yielded in
    the order they yielded)."""
    kept, yielded = [], []
    total = 0.0
    for item in ranked:
        kept.append(item)
        total += size(item)
        while kept and kept[-1] is item and late(item, total):
            worst = min(kept, key=density)
            kept.remove(worst)
            total -= size(worst)
            yielded.append(worst)
    return kept, yielded


def edf_with_yield(items, tl, now_s, duration_s):
    """Predicted downlink of queued items sent earliest deadline first, late ones yielding.

    ``items``: (id, bytes, deadline_s, value, release_s). Walk them by deadline, adding each to
    the kept set; while the last kept one would finish after its deadline, the kept item of least
    value per byte yields (a weighted Moore-Hodgson rule) and goes last. Items due after the span
    are judged against the span end only. Returns (kept ids in order, yielded ids best first,
    {id: predicted end of downlink for kept ones}).
    """

    before = tl.bytes_before(now_s)
    seen = {}  # (id, bytes up to it) -> its end: the walk below and the finish times ask for the same ones

    def down(q, total):  # the item is down once the bytes up to its own are sent, and not before it is ready
        key = (q[0], total)
        t = seen.get(key)
        if t is None:
            t = tl.time_to_send(now_s, total, before)[0]
            # Ready now: sending its own bytes from now ends no later than sending all up to it (total >= size).
            t = seen[key] = t if q[4] == now_s else max(t, tl.time_to_send(q[4], q[1])[0])
        return t

    ranked = sorted(items, key=lambda q: (q[2], q[0]))
    # Mostly none is late with every item kept: then all are kept, in order, and their ends are those at the bytes
    # up to each, computed at once (the same arithmetic as the walk below, which decides when one is late).
    totals = np.cumsum([q[1] for q in ranked])
    if len(ranked) > 1 and totals[0] > 0:
        ends = tl.times_to_send(now_s, totals, before)
        for k, q in enumerate(ranked):
            if q[4] != now_s:
                ends[k] = max(ends[k], tl.time_to_send(q[4], q[1])[0])
        deadlines = np.array([q[2] for q in ranked])
        if not ((deadlines <= duration_s) & (deadlines < ends)).any():
            ids = [q[0] for q in ranked]
            return ids, [], dict(zip(ids, ends.tolist()))
    kept, late = yield_until_in_time(
        ranked,
        size=lambda q: q[1],
        density=lambda q: (q[3] / max(q[1], 1.0), -q[2]),
        late=lambda q, total: q[2] <= duration_s and q[2] < down(q, total),
    )
    late.sort(key=lambda q: (-q[3] / max(q[1], 1.0), q[2]))
    finish = {}
    total = 0.0
    for item in kept:
        total += item[1]
        finish[item[0]] = down(item, total)
    return [q[0] for q in kept], [q[0] for q in late], finish


class PlanningPolicy(SpaceRoutes, BasePolicy):
    """Base of the policies that plan on the contact and sunlight plan (given by ``start``)."""

    plan = None
    energy_margin = 0.05  # share of the battery kept above the reserve by planned onboard work
    contention = 1.0  # the downlink is contended when demand exceeds this share of capacity
    shadow_min_soc = 0.0  # onboard work in shadow only above this state of charge (0: whenever above the floor)

    def start(self, plan):
        self.plan = plan
        self.tl = timelines(plan)
        self.objective = plan.objective
        self.duration_s = plan.duration_s
        self._captured = [0.0] * len(plan.satellites)  # raw bytes captured so far, per satellite
        self.start_space_routes(plan)

    # --- estimates -----------------------------------------------------------------------------
    def fastest_ground_s(self, raw_bytes, compute_top, datacenters):
        """The least :func:`ground_finish_s` from now (0) over every station and data centre: per data
        centre, that function at the station whose link gives the shortest transfer plus latency (the
        wait and service it adds are the same for every station and rounding is monotone, so this is
        the minimum over all stations to the bit)."""
        bps, latency = self.plan.link_bps, self.plan.link_latency_s
        best = math.inf
        for dc in datacenters:
            col = bps[:, dc.index]
            ok = np.flatnonzero(col > 0)
            if ok.size == 0:
                continue
            station = int(ok[np.argmin(0.0 + 8.0 * raw_bytes / col[ok] + latency[ok, dc.index])])
            best = min(best, ground_finish_s(0.0, raw_bytes, compute_top, self._dc_from(station, dc)))
        return best

    def _dc_from(self, station, dc):
        """A data-centre view as seen from ``station`` (links from the plan, state from ``dc``)."""
        bps = float(self.plan.link_bps[station, dc.index])
        return dc._replace(
            reachable=bps > 0, latency_s=float(self.plan.link_latency_s[station, dc.index]), bandwidth_bps=bps
        )

    def downlink_end(self, view, sat, nbytes, release_s, deadline_s):
        """When an item of ``nbytes`` ready at ``release_s`` would be down among the queued items
        (earliest deadline first, late ones yielding: see :func:`edf_with_yield`); inf if it
        would yield."""
        tl = self.tl[sat.index]
        now = view.now_s
        items = [
            (q.capture_id, q.remaining_bytes, q.deadline_s, q.value, now) for q in sat.queue if q.deadline_s >= now
        ]
        items.append((-1, nbytes, deadline_s, view.value, release_s))
        _, _, finish = edf_with_yield(items, tl, now, self.duration_s)
        return finish.get(-1, math.inf)

    def due_first_bytes(self, view, sat):
        """Queued bytes due before this capture and still in time: what goes down ahead of its raw."""
        return sum(q.remaining_bytes for q in sat.queue if view.now_s <= q.deadline_s <= view.deadline_s)

    def ground_route(self, view, sat, ahead_bytes):
        """(finish time, weighted cost, data centre) of the raw route; finish inf if impossible."""
        tl = self.tl[sat.index]
        best = (math.inf, 0.0, None)
        # The raw must be down early enough for the ground part: judge it against the deadline
        # less the fastest ground part, then time the ground part from the window it lands in.
        fastest = self.fastest_ground_s(view.raw_bytes, view.compute_top, view.datacenters)
        if not math.isfinite(fastest):
            return best
        t_down = self.downlink_end(view, sat, view.raw_bytes, view.now_s, view.deadline_s - fastest)
        if not math.isfinite(t_down):
            return best
        _, station = tl.time_to_send(view.now_s, ahead_bytes + view.raw_bytes)
        for dc in view.datacenters:
            d = self._dc_from(station, dc)
            t = ground_finish_s(t_down, view.raw_bytes, view.compute_top, d)
            if not math.isfinite(t):
                continue
            weighted, _ = job_cost(view.compute_top, d, self.objective)
            key = (t > view.deadline_s, weighted, t)
            if best[2] is None or key < (best[0] > view.deadline_s, best[1], best[0]):
                best = (t, weighted, d.index)
        return best

    def onboard_route(self, view, sat, ahead_bytes, margin_j):
        """(finish time, weighted cost) of the onboard route: the job behind the onboard backlog,
        run as the battery allows, then the product's downlink among the queued items.
        (``ahead_bytes``, the queued bytes due first, is for overrides that time the product
        behind them directly, as ``sunlight-aware`` does.)"""
        tl = self.tl[sat.index]
        hw = tl.hw
        if not view.onboard_allowed or hw.compute_tops <= 0:
            return math.inf, 0.0
        run_s = view.compute_top / hw.compute_tops
        # Ahead of this job: those due first, earliest deadline first (the running one too: the engine
        # asks again which job to run when one is queued, so a running job due later yields).
        waiting = sum(j.run_s for j in sat.onboard_queue)
        running = max(0.0, sat.compute_backlog_s - waiting)
        if sat.onboard_running is not None and sat.onboard_running.deadline_s > view.deadline_s:
            running = 0.0
        ahead_s = running + sum(
            j.run_s for j in sat.onboard_queue if view.now_s + j.run_s <= j.deadline_s <= view.deadline_s
        )
        # The transmitter's energy for what is queued comes first (see radio_energy_first).
        tx_j = self.radio_due_j(sat, view.now_s, view.deadline_s)
        shadow_min_j = self.shadow_min_soc * hw.battery_j
        heat = {"temperature_k": sat.temperature_k, "throttled": sat.throttled}
        t_c = onboard_finish_s(tl, view.now_s, sat.energy_j - margin_j - tx_j, ahead_s + run_s, shadow_min_j, **heat)
        t_p = self.downlink_end(view, sat, view.product_bytes, t_c, view.deadline_s) if math.isfinite(t_c) else math.inf
        if t_p > view.deadline_s and shadow_min_j > 0:  # too late in sunlight: an urgent job runs in shadow too
            t_c = onboard_finish_s(tl, view.now_s, sat.energy_j - margin_j - tx_j, ahead_s + run_s, **heat)
            t_p = (
                self.downlink_end(view, sat, view.product_bytes, t_c, view.deadline_s)
                if math.isfinite(t_c)
                else math.inf
            )
        if not math.isfinite(t_p):
            return math.inf, 0.0
        energy_wh = hw.compute_busy_w * run_s / 3600.0
        return t_p, self.objective.onboard_energy_weight_per_wh * energy_wh

    def radio_due_j(self, sat, t0_s, deadline_s):
        """The transmitter's energy for the queued bytes still in time, as many of them as the contacts in
        [t0, deadline] can carry (what goes down later is paid for later) [J]."""
        tl = self.tl[sat.index]
        if not len(tl.rate_Bps):
            return 0.0
        return tl.hw.tx_w * min(live_backlog_bytes(sat), tl.bytes_between(t0_s, deadline_s)) / tl.mean_rate_Bps

    def contended(self, view, sat, extra_bytes):
        """Would the downlink be short before the deadline if this capture went raw?"""
        tl = self.tl[sat.index]
        now = view.now_s
        rate = self._captured[sat.index] / now if now > 0 else 0.0
        horizon = min(view.deadline_s, self.duration_s)
        demand = sum(q.remaining_bytes for q in sat.queue) + extra_bytes + rate * max(0.0, horizon - now)
        return demand > self.contention * tl.bytes_between(now, horizon)

    def routes(self, view):
        sat = view.satellite
        self._captured[sat.index] += view.raw_bytes
        # Items due before this one go first; those already late yield to everything.
        ahead = self.due_first_bytes(view, sat)
        g_t, g_cost, _ = self.ground_route(view, sat, ahead)
        o_t, o_cost = self.onboard_route(view, sat, ahead, self.energy_margin * self.tl[sat.index].hw.battery_j)
        return sat, (g_t, g_cost), (o_t, o_cost)

    def structural_routes(self, view, sat):
        """Could each route meet the deadline if this capture had the satellite to itself?
        (No queues: the contacts, the sunlight and the ground path only.) What kinds of capture
        can use which route, for the scarcity prices, without the queues of the moment."""
        tl = self.tl[sat.index]
        hw = tl.hw
        now, deadline = view.now_s, view.deadline_s
        t_down, station = tl.time_to_send(now, view.raw_bytes)
        ground = False
        if math.isfinite(t_down):
            ground = any(
                ground_finish_s(t_down, view.raw_bytes, view.compute_top, self._dc_from(station, dc)) <= deadline
                for dc in view.datacenters
            )
        onboard = False
        if view.onboard_allowed and hw.compute_tops > 0:
            t_c = sunlit_time_after(tl, now, view.compute_top / hw.compute_tops)
            onboard = math.isfinite(t_c) and tl.time_to_send(t_c, view.product_bytes)[0] <= deadline
        return onboard, ground

    def _live(self, sat, job):
        """Could this job's product still be down in time (run at full speed from now, then the first contact)?"""
        done = sat.now_s + job.run_s
        return done <= job.deadline_s and self.tl[sat.index].time_to_send(done, job.product_bytes)[0] <= job.deadline_s

    def live_backlog_s(self, sat):
        """Onboard work that will run: the job on the computer and the waiting ones that can still make it."""
        waiting = sum(j.run_s for j in sat.onboard_queue)
        running = max(0.0, sat.compute_backlog_s - waiting)
        return running + sum(j.run_s for j in sat.onboard_queue if self._live(sat, j))

    def next_onboard_job(self, sat):
        """Earliest deadline first among the jobs whose product could still be down in time (run at
        full speed from now, then the first contact after); None if no job can make it any more:
        a late product is worth nothing, and its energy is kept for the jobs to come."""
        live = [j for j in sat.onboard_queue if self._live(sat, j)]
        if not live:
            return None
        return min(live, key=lambda j: (j.deadline_s, j.capture_id)).capture_id

    def radio_energy_first(self, sat):
        """Hold onboard work that would leave too little energy for the next contact's downlink.

        Until the queued bytes are down in the next window the battery gains the sunlight and
        loses the bus and the computer (if it runs the whole time, up to its backlog, through
        the transmission too); what is left above the floor (the highest it will be by then: see
        :meth:`SatelliteTimeline.floor_max_j`) must pay the transmitter for the
        queued bytes worth more per joule than the job on the computer has left to do, up to
        the window's length, and a few captures."""
        tl = self.tl[sat.index]
        hw = tl.hw
        now = sat.now_s
        if not math.isfinite(now):
            return True
        i = bisect_right(tl._end, now)  # first merged window ending after now
        if i >= len(tl._start):
            return True
        aos, los = max(tl._start[i], now), tl._end[i]
        rate = tl._rate[i]
        backlog = live_backlog_bytes(sat)
        job = sat.onboard_running
        if job is not None and rate > 0:
            # Only the queued items worth more per joule than what the job has left to do come first
            # (a job nearly done is worth finishing before bytes of little value go down).
            job_j = (hw.compute_busy_w - hw.compute_idle_w) * job.run_s + hw.tx_w * job.product_bytes / rate
            per_j = job.value / max(job_j, 1e-9)
            backlog = sum(
                q.remaining_bytes
                for q in sat.queue
                if q.deadline_s >= now and q.value * rate > per_j * hw.tx_w * q.remaining_bytes
            )
        tx_s = min(los - aos, backlog / rate) if rate > 0 else 0.0
        need = hw.tx_w * tx_s + 3 * hw.capture_j
        # A job that runs on draws through the transmission too: count the computer until the queued
        # bytes are down, not only until the window opens (else a job started before a window drains
        # the battery the transmitter needs once it opens).
        until = aos + tx_s
        run = min(self.live_backlog_s(sat), until - now)
        extra = hw.compute_busy_w - hw.compute_idle_w
        return sat.energy_j - tl.floor_max_j(now, until) + tl.surplus_j(now, until) - extra * run >= need


def onboard_finish_s(timeline, t0_s, energy_j, work_s, shadow_min_j=0.0, temperature_k=math.nan, throttled=False):
    """When ``work_s`` seconds of onboard computing started at ``t0`` would be done, given energy and heat.

    A fluid model of the engine's rules: the computer runs while the battery is above its
    floor (reserve plus the bus through the shadow ahead); at the floor in sunlight it
    runs the share of the time the array's surplus pays for, and in shadow not at all.
    The battery is clamped at full. In shadow the computer runs only above ``shadow_min_j``
    (a policy that holds onboard work to sunlight). With a thermal node (the hardware's, at
    ``temperature_k`` now; ``throttled``: stopped by heat) the computer runs at full speed until the node
    reaches its limit, then the share of the time :func:`~spaceground.thermal.throttle_duty` gives (the engine
    stops it at the limit and resumes it at the throttle temperature: on average that share), with the bus and the
    idle or busy computer as the node's dissipation (the transmitter's is left out). ``inf`` if the span ends
    first.
    """
    hw = timeline.hw
    extra = hw.compute_busy_w - hw.compute_idle_w
    t, f = timeline._seg_t, timeline._seg_f
    i = max(bisect_right(t, t0_s) - 1, 0)
    now, e, left = t0_s, energy_j, work_s
    if left <= 0:
        return t0_s
    heat = hw.thermal and temperature_k == temperature_k
    temp_k, hot = temperature_k, throttled
    while i < len(t):
        end = t[i + 1] if i + 1 < len(t) else timeline.duration_s
        p_idle = hw.solar_w * f[i] - hw.bus_w - hw.compute_idle_w
        floor = timeline.floor_j(now)
        if f[i] < FULL_SUN:
            floor = max(floor, shadow_min_j)
        duty_heat, q_idle = 1.0, 0.0
        if heat:
            q_idle = timeline.heat_idle_w(f[i])
            duty_heat = timeline.sustained_duty(f[i])
            if duty_heat >= 1.0:  # the busy node stays short of its limit here: it runs at full speed
                hot = False
        while now < end - 1e-9 and left > 0:
            if heat and not hot and duty_heat < 1.0 and temp_k >= hw.limit_k - 1e-6:
                hot = True  # at the limit, where the busy node would go beyond it: it cycles in the band
            speed = duty_heat if hot else 1.0  # the share of the time heat lets it run
            p_busy = p_idle - extra * speed
            if e > floor + 1e-6:  # run (at that share) until done, the floor, the limit or the segment end
                dt = end - now if p_busy >= 0 else min(end - now, (e - floor) / -p_busy)
                dt = min(dt, left / speed) if speed > 0 else dt
                if heat and not hot:
                    if duty_heat < 1.0:
                        dt = min(dt, time_to_reach_s(temp_k, hw.limit_k, q_idle + extra, *hw.node))
                    temp_k = temperature_after_k(temp_k, dt, q_idle + extra, *hw.node)
                e = min(e + p_busy * dt, hw.battery_j)
                now += dt
                left -= speed * dt
            elif p_idle > 0:  # at the floor in sunlight: run the share the surplus pays for
                duty = min(speed, p_idle / extra) if extra > 0 else speed
                dt = end - now if duty <= 0 else min(end - now, left / duty)
                if heat and not hot:
                    temp_k = temperature_after_k(temp_k, dt, q_idle + extra * duty, *hw.node)
                left -= duty * dt
                now += dt
            else:
                if heat and not hot:
                    temp_k = temperature_after_k(temp_k, end - now, q_idle, *hw.node)
                now = end
        if left <= 1e-9:
            return now
        i += 1
    return math.inf
