"""``milp-optimal``: solve the horizon's programme (:mod:`.programme`) at the start and carry out its plan.

The policy plans with the programme's *executable* form (``formulate(..., executable=True)``): the
engine's floor as well, at the instants the engine applies it, and each item sent by its due time within
its window. It meters each onboard job to the busy seconds the plan gives it by each interval's end, and
chooses passes (``choose_pass``): the planned pass closing first, unless an item planned for another open
pass would then miss its deadline, waiting rather than taking an antenna the plan gives to another
satellite. Without a plan in its time limit it hands the run to ``lookahead`` and says so.
"""

from __future__ import annotations

import math
import warnings
from bisect import bisect_right
from operator import attrgetter

import numpy as np

from . import GROUND, ONBOARD, drop, register
from .planning import PlanningPolicy, choose_datacenter
from .programme import Formulation, Solution, formulate, solve, upper_bound
from .routes import offload, relay

__all__ = ["Formulation", "MilpOptimal", "Solution", "formulate", "solve", "upper_bound"]


def _send_s(nbytes, rate_bps):
    """Seconds to send ``nbytes`` at ``rate_bps`` (inf at no rate)."""
    return 8.0 * nbytes / rate_bps if rate_bps > 0 else math.inf


@register("milp-optimal")
class MilpOptimal(PlanningPolicy):
    """Solve the horizon's programme at the start and carry out its plan (module docstring)."""

    offline_planner = True  # it plans on the run's captures, known in advance

    # The solve stops once its plan is proven within 1 % of the optimum. HiGHS's own default (0.01 %) runs the
    # bundled east-data-west scenario into the time limit (a gap of 0.16 % after 60 s), and a plan cut by the
    # time limit depends on the machine's speed; at 1 % every bundled scenario stops on the gap, reproducibly.
    def __init__(self, time_limit_s=120.0, mip_rel_gap=1e-2):
        if time_limit_s <= 0:
            raise ValueError(f"time_limit_s must be > 0, got {time_limit_s}")
        self.time_limit_s, self.mip_rel_gap = float(time_limit_s), float(mip_rel_gap)

    def start(self, plan):
        super().start(plan)
        form = formulate(plan, executable=True)
        self.solution = solve(form, self.time_limit_s, self.mip_rel_gap)
        # Without a plan (no integer solution within the time limit) the run is carried out by ``lookahead``,
        # the best of the heuristics on the bench, rather than dropping every capture; the report says so.
        self.fallback = None
        if self.solution.x is None:
            from .lookahead import Lookahead

            self.fallback = Lookahead()
            self.fallback.start(plan)
            warnings.warn(
                f"milp-optimal: no plan within its time limit ({self.time_limit_s:g} s; solver status "
                f"{self.solution.status}); the run is carried out by lookahead instead (its metrics' "
                "milp_fallback says so). For a plan raise policy.time_limit_s",
                stacklevel=2,
            )
        elif self.solution.status == "time_limit":
            warnings.warn(
                f"milp-optimal: the solve stopped at its time limit ({self.time_limit_s:g} s) with the plan "
                f"{self.solution.gap:.2%} from its bound, above mip_rel_gap {self.mip_rel_gap:g}; a plan cut by "
                "the time limit depends on the machine's speed, so a rerun may differ. For a reproducible plan "
                "raise policy.time_limit_s or policy.mip_rel_gap",
                stacklevel=2,
            )
        self.form_stats = form.stats
        self.chosen = self.solution.chosen
        # Onboard work follows the plan job by job: by the end of each energy interval a job has run at
        # most as long as the plan has it run by then (any job, whenever the battery is full), so that
        # the computer does not spend ahead of the plan the energy a later transmission needs.
        x = self.solution.x
        self._intervals = form.intervals
        self.form = form  # the programme it solved, for analysis
        self._run_s = {}  # capture id -> its job's length at full speed
        self._job_plan = {}  # capture id -> (energy intervals, planned busy seconds by each one's end)
        if x is not None:
            for r in plan.captures.itertuples(index=False):
                p = self.chosen.get(int(r.capture_id))
                # The job runs where the plan computes it: onboard, or on the computing satellite it is sent to.
                where = p[5] if p is not None and p[5] >= 0 else int(r.sat)
                tops = plan.satellites[where].hardware.compute_tops
                if tops > 0:
                    self._run_s[int(r.capture_id)] = float(r.compute_top) / tops
            shares = {}
            for var, _k, m, cid in form.compute_vars:
                if x[var] > 1e-6:
                    shares.setdefault(cid, []).append((m, x[var] * self._run_s[cid]))
            for cid, ms in shares.items():
                ms.sort()
                self._job_plan[cid] = ([m for m, _ in ms], np.cumsum([s for _, s in ms]))
        self._window_of = {}
        for k, sp in enumerate(plan.satellites):
            for j, (s, los) in enumerate(zip(sp.window_station, sp.window_los_s)):
                self._window_of[k, s, round(los, 6)] = j

    def report(self):
        s = self.solution
        return {
            "planned_value": s.objective,
            "milp_status": s.status,
            "milp_objective": s.objective,
            "milp_bound": s.bound,
            "milp_gap": s.gap,
            "milp_solve_s": s.solve_s,
            "milp_fallback": "lookahead" if self.fallback is not None else "",
            **{f"milp_{k}": v for k, v in self.form_stats.items()},
        }

    def _interval(self, sat):
        starts = self._intervals[sat.index][0]
        return max(bisect_right(starts, sat.now_s + 1e-6) - 1, 0)

    def _left_s(self, sat, job):
        """Seconds ``job`` may still run now before it is ahead of the plan (by this interval's end)."""
        plan = self._job_plan.get(job.capture_id)
        if plan is None:
            return 0.0
        i = bisect_right(plan[0], self._interval(sat)) - 1
        planned = plan[1][i] if i >= 0 else 0.0
        return planned - (self._run_s[job.capture_id] - job.run_s)

    def may_compute(self, sat):
        if self.fallback is not None:
            return self.fallback.may_compute(sat)
        job = sat.onboard_running
        return sat.energy_j >= 0.98 * sat.battery_j or (job is not None and self._left_s(sat, job) > 1e-6)

    def compute_recheck_s(self, sat):
        """Ask again when the job reaches the plan's budget for now, or when the next interval starts."""
        if self.fallback is not None:
            return math.inf  # lookahead's answer changes only with the power or the jobs
        m = self._interval(sat)
        to_next = self._intervals[sat.index][1][m] - sat.now_s if self._intervals[sat.index][0] else math.inf
        job = sat.onboard_running
        left = self._left_s(sat, job) if job is not None else 0.0
        return max(1e-3, min(to_next, left) if left > 1e-6 else to_next)

    def next_onboard_job(self, sat):
        """Of the waiting jobs the plan runs now (all, when the battery is full), the one whose product's
        planned window comes first."""
        if self.fallback is not None:
            return self.fallback.next_onboard_job(sat)
        aos = self.plan.satellites[sat.index].window_aos_s
        links = self.plan.links

        def key(job):
            p = self.chosen.get(job.capture_id)
            # When the product leaves: its window here, or the laser window to its relay.
            window = math.inf if p is None else links.start_s[p[6]] if p[0] == "offload-relay" else aos[p[2]]
            return (self._left_s(sat, job) <= 1e-6, window, job.deadline_s, job.capture_id)

        return min(sat.onboard_queue, key=key).capture_id

    def on_capture(self, view):
        if self.fallback is not None:
            return self.fallback.on_capture(view)
        plan = self.chosen.get(view.capture_id)
        if plan is None:
            return drop("left out of the optimal plan: the contacts and energy are worth more to other captures")
        kind = plan[0]
        if kind == "offload":
            return offload(plan[1])
        if kind == "offload-relay":
            return offload(plan[5], product_via=(plan[1],))
        if kind == "relay":
            return relay(plan[1])
        return ONBOARD if kind == "onboard" else GROUND

    def _planned_window(self, capture_id):
        p = self.chosen.get(capture_id)
        return p[2] if p is not None else None

    def _leave_by_s(self, k, now_s, queue, here=None):
        """The latest time the transmitter may stay on window ``here``: for each other open window, what the
        plan sends through it in deadline order, each item's deadline less the time to send it and those
        before it there (inf when no other open window has planned items)."""
        sp = self.plan.satellites[k]
        waiting = {}
        for q in queue:
            j = self._planned_window(q.capture_id)
            if j is not None and j != here and sp.window_aos_s[j] <= now_s + 1e-6 < sp.window_los_s[j]:
                waiting.setdefault(j, []).append(q)
        latest = {}
        for j, items in waiting.items():
            rate, sent_s, latest[j] = sp.window_rate_bps[j], 0.0, math.inf
            for q in sorted(items, key=attrgetter("deadline_s", "capture_id")):
                sent_s += _send_s(q.remaining_bytes, rate)
                latest[j] = min(latest[j], q.deadline_s - sent_s)
        return latest

    def _overdue(self, k, j, now_s):
        """An item whose planned window has closed (or that has none) goes down at the first chance."""
        return j is None or self.plan.satellites[k].window_los_s[j] <= now_s + 1e-6

    def choose_pass(self, view):
        """The open pass the plan sends queued items through, the one closing first; else, for items
        whose planned window has passed, the pass open longest; else wait (the antenna stays free for
        the satellite the plan gave it to)."""
        if self.fallback is not None:
            return view.passes[0].station  # the engine's own rule: the pass open longest
        k, now = view.satellite.index, view.now_s
        window = {self._window_of.get((k, p.station, round(p.window_end_s, 6))): p for p in view.passes}
        planned, overdue = [], False
        for q in view.satellite.queue:
            j = self._planned_window(q.capture_id)
            if j in window:
                planned.append(window[j])
            elif self._overdue(k, j, now):
                overdue = True
        if planned:
            first = min(planned, key=lambda p: (p.window_end_s, p.station))
            # Unless staying for its first item would make an item planned for another open pass late.
            here = self._window_of.get((k, first.station, round(first.window_end_s, 6)))
            mine = [q for q in view.satellite.queue if self._planned_window(q.capture_id) == here]
            first_s = _send_s(min(mine, key=attrgetter("deadline_s", "capture_id")).remaining_bytes, first.rate_bps)
            latest = self._leave_by_s(k, now, view.satellite.queue, here)
            urgent = [j for j, t in latest.items() if t < now + first_s and j in window]
            if urgent:
                return window[min(urgent, key=lambda j: latest[j])].station
            return first.station
        return view.passes[0].station if overdue else None

    def downlink_order(self, view):
        """The items the plan sends in this window (earliest deadline first), then those whose planned
        window has passed; items planned for another window stay queued for it."""
        if self.fallback is not None:
            return self.fallback.downlink_order(view)
        k, now = view.satellite.index, view.now_s
        here = self._window_of.get((k, view.station, round(view.window_end_s, 6)))
        first, late = [], []
        for q in view.queue:
            j = self._planned_window(q.capture_id)
            if j is not None and j == here:
                first.append(q)
            elif self._overdue(k, j, now):
                late.append(q)
        key = attrgetter("deadline_s", "capture_id")
        order = sorted(first, key=key) + sorted(late, key=key)
        # Stop where going on would make an item planned for another open window late: the policy is then
        # asked for a pass again.
        leave_s = min(self._leave_by_s(k, now, view.queue, here).values(), default=math.inf)
        t, out = now, []
        for q in order:
            t += _send_s(q.remaining_bytes, view.rate_bps)
            if t > leave_s:
                break
            out.append(q.capture_id)
        return out

    def on_arrival(self, view):
        if self.fallback is not None:
            return self.fallback.on_arrival(view)
        p = self.chosen.get(view.capture_id)
        if p is not None and p[3] >= 0 and view.datacenters[p[3]].reachable:
            return p[3]
        return choose_datacenter(view, self.objective)
