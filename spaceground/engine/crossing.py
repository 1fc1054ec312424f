"""Inter-satellite links: each satellite's manager of the raw captures it sends on to another satellite of their
route, over the inter-satellite rows of the link-window table (store and forward)."""

from __future__ import annotations

import math
from bisect import bisect_right

from ..records import QUEUED_CROSSING, RAW
from .clock import EPS_S, _sleep


class CrossingMixin:
    """Items crossing inter-satellite links (raw captures along a route's ``via``, products along its ``then``):
    queued at the sender, sent in the order queued through a window to their next satellite, stored there, then
    on along their route (:meth:`OnboardMixin._at_node`, :meth:`OnboardMixin._product_at_node`).

    Rules: each of a satellite's laser terminals serves one session at a time, sending or receiving (a session
    takes a free terminal at both ends; a sender has one session to a receiver at most, and as many at once as it
    has terminals, one manager process each); the sender's battery pays ``laser_w`` for each session while it
    sends, under the same energy floor as every optional load; an item is stored at the receiver when its last
    byte arrives (a receiver without room for it drops it, saying so); an item cut by the end of a window goes
    on in the next one.
    """

    def _queue_crossing(self, sat, cid, to, hop, kind=RAW):
        """Queue ``cid``'s raw data (or, ``kind`` PRODUCT, its product) on ``sat`` to cross to satellite ``to``,
        the ``hop``-th satellite of its route's ``via`` (or ``then``)."""
        W = self.records.workloads
        nbytes = W.raw_bytes[cid] if kind == RAW else W.product_bytes[cid]
        sat.crossing_queue[cid] = {"to": to, "hop": hop, "bytes": nbytes, "remaining": nbytes, "kind": kind}
        W.status[cid] = QUEUED_CROSSING
        sat.crossing_added.fire()

    def _crossing_manager(self, sat):
        """Open sessions to the satellites the queued items go to next, one at a time."""
        env, k = self.env, sat.index
        rows, starts = self._isl_rows[k], self._isl_starts[k]
        ends, receivers = self._isl_ends, self._isl_receivers
        lo = 0  # rows before this one have all ended (rows are by start; a satellite may have thousands a day)
        while env.now < self.end_s:
            queue = sat.crossing_queue
            if not queue:
                yield sat.crossing_added.wait()
                continue
            now = env.now
            while lo < len(rows) and ends[rows[lo]] <= now + EPS_S:
                lo += 1
            wanted = {item["to"] for item in queue.values()}
            hi = bisect_right(starts, now + EPS_S)
            open_rows = [r for r in rows[lo:hi] if ends[r] > now + EPS_S and receivers[r] in wanted]
            next_start = next((starts[i] for i in range(hi, len(rows)) if receivers[rows[i]] in wanted), math.inf)
            free = self.terminal_free
            busy = sat.laser_sessions
            ready = [r for r in open_rows if free[k] and free[receivers[r]] and receivers[r] not in busy]
            if not ready:
                dt = min([next_start - now] + [ends[r] - now for r in open_rows])
                signals = [sat.crossing_added] + [self.terminal_freed[receivers[r]] for r in open_rows]
                signals.append(self.terminal_freed[k])
                if dt == math.inf and not open_rows:
                    yield sat.crossing_added.wait()
                else:
                    yield _sleep(env, max(dt, EPS_S), signals)
                continue
            first = next(item["to"] for item in queue.values() if any(receivers[r] == item["to"] for r in ready))
            row = max((r for r in ready if receivers[r] == first), key=lambda r: ends[r])
            free[k] -= 1
            free[first] -= 1
            busy[first] = None
            why = yield from self._cross(sat, self.sats[first], row)
            del busy[first]
            free[k] += 1
            free[first] += 1
            self.terminal_freed[k].fire()
            self.terminal_freed[first].fire()
            if why == "energy":  # resume when the charging battery can run the terminal a while
                sat.advance()
                wait_s = min(sat.recharge_s(sat.hw.laser_w, sat.tx_left_s), max(EPS_S, ends[row] - env.now))
                yield _sleep(env, wait_s, (sat.power_changed,))

    def _cross(self, sat, rx, row):
        """Send the items queued for ``rx``, in the order queued, through inter-satellite window ``row`` until it
        ends, none is left, or the battery reaches its floor. Returns which."""
        env, isl = self.env, self._isl
        end = isl.end_s[row]
        laser_w = sat.hw.laser_w
        queue = sat.crossing_queue
        power = (sat.power_changed,)
        now = env.now
        why = "window_end"
        on = False  # this session draws laser_w
        while now < end - EPS_S:
            cid = next((c for c, item in queue.items() if item["to"] == rx.index), None)
            if cid is None:
                why = "empty"
                break
            item = queue[cid]
            remaining = item["remaining"]
            whole = isl.time_to_send(row, now, remaining)
            safe = sat.safe_time(0.0 if on else laser_w, now)
            if safe <= EPS_S:
                sat.tx_left_s = min(whole, end - now)  # what the terminal has left to send here
                why = "energy"
                break
            if not on:
                on = True
                sat.lasers_on += 1
                sat.set_laser(laser_w * sat.lasers_on)
            dt = max(EPS_S, min(whole, end - now, safe))
            t0 = now
            sat.laser_sessions[rx.index] = (cid, t0, row)  # what the span end would cut
            timed_out = yield _sleep(env, dt, power)
            sat.laser_sessions[rx.index] = None
            now = env.now
            if timed_out and dt >= whole:
                sent = remaining
            else:
                sent = min(remaining, isl.capacity_between(row, t0, now))
            self._crossed(sat, rx, cid, item, t0, now, sent)
        if on:
            sat.lasers_on -= 1
            sat.set_laser(laser_w * sat.lasers_on)
        return why

    def _crossed(self, sat, rx, cid, item, t0, now, sent):
        """Write ``sent`` bytes of ``item`` over [t0, now]; a whole item leaves ``sat`` and is stored on ``rx``."""
        item["remaining"] = remaining = item["remaining"] - sent
        if now > t0:
            self.records.crossings.extend((sat.index, rx.index, cid, item["kind"], t0, now, sent))
        if remaining > 1e-6:
            return
        del sat.crossing_queue[cid]
        sat.free(item["bytes"], now)
        rx.advance(now)
        what = "raw capture" if item["kind"] == RAW else "product"
        if rx.storage_used + item["bytes"] > rx.hw.storage_bytes:
            self.records.workloads.drop(cid, f"storage full on {rx.name}: the {what} crossed to it")
            return
        rx.store(item["bytes"])
        if item["kind"] == RAW:
            self._at_node(rx, cid, item["hop"])
        else:
            self._product_at_node(rx, cid, item["hop"])

    def _close_crossing_at_end(self, sat):
        """Record the inter-satellite transfer under way up to the span end, like a downlink cut by it."""
        for rx, under_way in list(sat.laser_sessions.items()):
            if under_way is not None:
                cid, t0, row = under_way
                item = sat.crossing_queue[cid]
                sent = min(item["remaining"], self._isl.capacity_between(row, t0, self.end_s))
                self._crossed(sat, self.sats[rx], cid, item, t0, self.end_s, sent)
