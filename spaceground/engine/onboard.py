"""Captures and the onboard computer (the engine's capture process and each satellite's compute worker)."""

from __future__ import annotations

import math
from heapq import heappush

from ..policies import PolicyError, drop_reason_of
from ..policies.routes import GROUND, ONBOARD, Drop, check_decision
from ..policies.views import (
    OnboardJob,
    _capture_view,
)
from ..records import (
    _CAPTURE_FIELDS,
    CAPTURED,
    DECISION_CODE,
    DROP_BATTERY,
    DROP_STORAGE,
    PRODUCT,
    QUEUED_DOWNLINK,
    QUEUED_ONBOARD,
)
from .clock import EPS_S, _sleep

CAPTURE_BLOCK = 8192  # captures turned into Python values at a time


class OnboardMixin:
    """Captures and the onboard computer: imaging, the policy's route, the compute worker."""

    def _capture_process(self):
        caps = self.captures
        env = self.env
        arrays = [caps[name].to_numpy() for name in _CAPTURE_FIELDS]
        # The captures as Python values a block at a time: a whole table of them would hold hundreds of bytes a
        # capture through the run.
        for lo in range(0, len(caps), CAPTURE_BLOCK):
            for row in zip(*[a[lo : lo + CAPTURE_BLOCK].tolist() for a in arrays]):
                t = row[1]
                if t >= self.end_s:
                    return
                now = env.now
                if t > now:
                    yield env.timeout(t - now)
                self._capture(*row)

    def _capture(
        self,
        cid,
        _t,
        k,
        workload,
        target,
        raw_bytes,
        product_bytes,
        compute_top,
        deadline_s,
        value,
        onboard_allowed,
        cloudy,
    ):
        """One capture (the fields of :data:`_CAPTURE_FIELDS`): storage, energy, then the policy's route."""
        sat = self.sats[k]
        now = self.env.now
        deadline = now + deadline_s
        W = self.records.workloads
        W.status[cid], W.capture_s[cid], W.deadline_s[cid] = CAPTURED, now, deadline
        sat.advance(now)
        hw = sat.hw
        if hw.capture_j > 0.0 and sat.energy_j - hw.capture_j < sat.floor_j(now):
            W.drop(cid, DROP_BATTERY)
            return
        if sat.storage_used + raw_bytes > hw.storage_bytes:
            W.drop(cid, DROP_STORAGE)
            return
        sat.capture(hw.capture_j, raw_bytes)
        W.energy_onboard_j[cid] = hw.capture_j
        view = _capture_view(
            now,
            cid,
            self._workload_names[workload],
            raw_bytes,
            product_bytes,
            compute_top,
            deadline,
            value,
            onboard_allowed,
            sat.view,
            self._dc_views,
        )
        decision = self.policy.on_capture(view)
        if decision is not GROUND and (decision is not ONBOARD or not onboard_allowed):  # the two common ones pass
            decision = check_decision(
                decision,
                policy_name=self.policy.policy_name,
                capture_id=cid,
                now_s=now,
                workload=view.workload,
                onboard_allowed=onboard_allowed,
                satellite=k,
                n_satellites=len(self.sats),
            )
        self.decisions += 1
        if type(decision) is Drop:
            sat.free(raw_bytes)
            W.drop(cid, drop_reason_of(decision, self.policy.policy_name), DECISION_CODE["drop"])
            return
        W.decision[cid] = DECISION_CODE[decision.compute]
        W.route[cid] = decision
        if decision is GROUND:
            self._queue_downlink(sat, cid, "raw", raw_bytes)
        else:
            self._at_node(sat, cid, 0)

    def _at_node(self, sat, cid, hop):
        """The raw capture ``cid`` is stored on ``sat``, ``hop`` satellites along its route: send it on to the
        next satellite of the route, or do what the route says happens here (compute it onboard, or downlink it
        raw)."""
        W = self.records.workloads
        route = W.route[cid]
        if hop < len(route.via):
            self._queue_crossing(sat, cid, route.via[hop], hop + 1)
        elif route.compute == "onboard":
            W.status[cid] = QUEUED_ONBOARD
            W.compute_sat[cid] = sat.index
            run_s = W.compute_top[cid] / sat.hw.compute_tops
            sat.compute_backlog_s += run_s
            sat.onboard_waiting[cid] = OnboardJob(cid, run_s, W.deadline_s[cid], W.value[cid], W.product_bytes[cid])
            sat.job_added.fire()
        else:
            self._queue_downlink(sat, cid, "raw", W.raw_bytes[cid])

    def _product_at_node(self, sat, cid, hop):
        """The product of ``cid`` is stored on ``sat``, ``hop`` satellites along its route's ``then``: send it on
        to the next of them, or down from here."""
        W = self.records.workloads
        then = W.route[cid].then
        if hop < len(then):
            self._queue_crossing(sat, cid, then[hop], hop + 1, PRODUCT)
        else:
            self._queue_downlink(sat, cid, "product", W.product_bytes[cid])

    def _queue_downlink(self, sat, cid, kind, nbytes):
        W = self.records.workloads
        deadline = W.deadline_s[cid]
        sat.downlink_queue[cid] = {
            "kind": kind,
            "bytes": nbytes,
            "remaining": nbytes,
            "deadline": deadline,
            "value": W.value[cid],
        }
        sat.queue_version += 1
        if self._edf:
            heappush(sat.edf, (deadline, cid))
        W.status[cid] = QUEUED_DOWNLINK
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
            W = self.records.workloads
            total = W.compute_top[cid]
            remaining = sat.onboard_left.pop(cid, total)  # tera-ops still to do (less if the job was paused)
            while remaining > 1e-9 * total:
                sat.onboard_running = OnboardJob(
                    cid, remaining / tops, W.deadline_s[cid], W.value[cid], W.product_bytes[cid]
                )
                busy = sat.compute_w == sat.hw.compute_busy_w
                safe = sat.safe_time(0.0 if busy else extra, env.now)
                energy_short = safe <= EPS_S
                safe = min(safe, sat.heat_safe_s(0.0 if busy else extra))  # the node's limit (spaceground.thermal)
                held, recheck = False, math.inf
                if safe > EPS_S and self._may_compute is not None:
                    view = self._sat_view(sat)
                    held = not self._may_compute(view)
                    if self._recheck_compute is not None:  # the policy's answer may change after this long
                        recheck = self._recheck_s(view)
                    if held:
                        safe = 0.0  # the policy holds onboard work back until the power situation changes
                if safe <= EPS_S:
                    sat.set_compute(sat.hw.compute_idle_w)
                    # At the floor while the array charges the battery: resume when it can run a while; stopped by
                    # heat: once the node has cooled to the throttle temperature (both: the later).
                    if held:
                        wake_s = recheck
                    else:
                        wake_s = sat.cool_s()
                        if energy_short:
                            wake_s = max(wake_s, sat.recharge_s(extra, remaining / tops))
                    if picks:
                        # A policy that picks the jobs may pick again when the power changes: this one
                        # waits with the work it has left, and need not be the one resumed.
                        sat.park(sat.onboard_running, remaining)
                        yield _sleep(env, wake_s, (sat.job_added, sat.power_changed))
                        break
                    yield _sleep(env, wake_s, (sat.power_changed,))
                    continue
                if W.onboard_start_s[cid] != W.onboard_start_s[cid]:  # NaN: not started before
                    W.onboard_start_s[cid] = env.now
                sat.set_compute(sat.hw.compute_busy_w)
                t0 = env.now
                dt = max(EPS_S, min(remaining / tops, safe, recheck))
                waiting = len(sat.onboard_waiting)
                sat.computing = (cid, t0)  # what the span end would cut
                timed_out = yield _sleep(env, dt, stretch)
                sat.computing = None
                if timed_out and dt >= remaining / tops:
                    remaining = 0.0
                else:
                    remaining -= (env.now - t0) * tops
                sat.compute_backlog_s = max(0.0, sat.compute_backlog_s - (env.now - t0))
                sat.compute_busy_s += env.now - t0
                W.energy_onboard_j[cid] += sat.hw.compute_busy_w * (env.now - t0)  # the computer's own, busy
                if picks and remaining > 1e-9 * total and len(sat.onboard_waiting) > waiting:
                    # A job was queued while this one ran: it waits with the work it has left, and the
                    # policy picks again (this one may go on at once, with no gap in the computer's power).
                    sat.park(sat.onboard_running._replace(run_s=remaining / tops), remaining)
                    break
            else:
                sat.onboard_running = None
                sat.set_compute(sat.hw.compute_idle_w)
                W.onboard_end_s[cid] = env.now
                sat.free(W.raw_bytes[cid])
                sat.store(W.product_bytes[cid])
                self._product_at_node(sat, cid, 0)

    def _recheck_s(self, view):
        """The policy's ``compute_recheck_s``: seconds until ``may_compute`` may answer otherwise (> 0)."""
        s = self._recheck_compute(view)
        try:
            s = float(s)
        except (TypeError, ValueError):
            s = math.nan
        if not s > 0.0:
            raise PolicyError(
                f"policy {self.policy.policy_name!r}: compute_recheck_s returned {s!r} on {view.name} at "
                f"t={view.now_s:.3f} s; return seconds > 0 (math.inf: ask again only when the power or the jobs change)"
            )
        return max(s, EPS_S)

    def _next_job(self, sat):
        """The onboard job to run next: the policy's choice, else the first queued."""
        if self._pick_job is None:
            return next(iter(sat.onboard_waiting))
        cid = self._pick_job(self._sat_view(sat))
        if cid is not None and cid not in sat.onboard_waiting:
            raise PolicyError(
                f"policy {self.policy.policy_name!r}: next_onboard_job returned {cid!r}, which is not "
                f"waiting on {sat.name} (waiting: {sorted(sat.onboard_waiting)}); return one of them, "
                "or None to run none now"
            )
        self.decisions += 1
        return cid
