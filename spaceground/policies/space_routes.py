"""Routes through the space segment, as a planning policy estimates them: across laser windows to a computing
satellite (computed there, the product down its contacts) or to a data relay (down its feeder link).

The estimates read the plan's link table (the inter-satellite rows) and the timelines of the satellites at
the far end; what those satellites are doing is not in a capturing satellite's view, so the policy keeps
its own account of the work it has sent each of them.
"""

from __future__ import annotations

import heapq
import math
from bisect import bisect_right

import numpy as np

from .pace import sunlit_time_after
from .routes import offload


def laser_rows(plan):
    """The inter-satellite windows of a plan by (sender, receiver): rows of ``plan.links`` in order of start
    (empty without a space segment)."""
    links = plan.links
    out = {}
    if links is None:
        return out
    rows = links.of_kind("inter-satellite")
    for r in rows[np.argsort(links.start_s[rows], kind="stable")].tolist():
        out.setdefault((int(links.sender[r]), int(links.receiver[r])), []).append(r)
    return out


def laser_targets(plan):
    """The laser windows a capture's raw data may take, by sender, and its product from a computing satellite:
    ({sender: {computing sat: rows}}, {sender: {relay: rows}}, {computing sat: {relay: rows}}), rows by start
    (empty without a space segment)."""
    role = [sp.role for sp in plan.satellites]
    to_computing, to_relay, from_computing = {}, {}, {}
    for (a, b), rows in laser_rows(plan).items():
        if role[a] == "computing" and role[b] == "relay":
            from_computing.setdefault(a, {})[b] = rows
        if role[a] != "imaging":
            continue
        if role[b] == "computing" and plan.satellites[b].hardware.compute_tops > 0:
            to_computing.setdefault(a, {})[b] = rows
        elif role[b] == "relay":
            to_relay.setdefault(a, {})[b] = rows
    return to_computing, to_relay, from_computing


def crossing_end_s(links, rows, now_s, nbytes, ends=None):
    """When ``nbytes`` sent from ``now_s`` over the windows ``rows`` (one pair's, by start: they do not
    overlap, so their ends are in order too, ``ends`` if given) would be across, continuing in the next
    window when one closes part way, as the engine sends; inf if they never are."""
    left, end_s = float(nbytes), math.inf
    first = 0 if ends is None else bisect_right(ends, now_s)
    for r in rows[first:]:
        end = links.end_s[r]
        if end <= now_s:
            continue
        t = max(now_s, links.start_s[r])
        room = links.capacity_between(r, t, end)
        if room >= left:
            return t + links.time_to_send(r, t, left)
        left -= room
    return end_s


class SpaceRoutes:
    """Mixin of :class:`~spaceground.policies.planning.PlanningPolicy`: the offload and relay route estimates
    (``self.plan`` and ``self.tl``, the timelines, are the policy's)."""

    def start_space_routes(self, plan):
        self._sunlit_after = sunlit_time_after
        self._lasers = laser_rows(plan)
        links = plan.links
        self._laser_ends = {pair: links.end_s[rows].tolist() for pair, rows in self._lasers.items()}
        # Each imaging satellite's windows to computing satellites, by start (for a scan that stops at the best so
        # far).
        self._to_computing = {
            a: [r for rows in by_receiver.values() for r in rows] for a, by_receiver in laser_targets(plan)[0].items()
        }
        self._fastest_Bps = {}  # each sender's fastest laser rate to a computing satellite [bytes/s]
        fastest = np.maximum.reduceat(links.rate_bps, links.profile_start[:-1]) if self._to_computing else None
        for a, rows in self._to_computing.items():
            rows.sort(key=lambda r: links.start_s[r])
            self._to_computing[a] = (rows, links.start_s[rows].tolist())
            self._fastest_Bps[a] = float(np.max(fastest[rows])) / 8.0
        # Each sender's sweep over its windows to computing satellites (route estimates come in time order):
        # [time of the last estimate, index of the first window not yet started, heap of (end, row) of the
        # windows started by then].
        self._sweep = {a: [-math.inf, 0, []] for a in self._to_computing}
        # When each computing satellite's computer is free of the work this policy has sent it (its own
        # estimate: the computing satellites' state is not in a capturing satellite's view).
        self._sent_busy_until = {s.index: 0.0 for s in plan.satellites if s.role == "computing"}
        # When each relay's feeder link is free of the raw data this policy has sent through it.
        self._feeder_busy_until = {s.index: 0.0 for s in plan.satellites if s.role == "relay"}

    def relay_route(self, view, sat):
        """(landing time, relay, when the raw data is across to it) of the best route through a data relay: the
        raw data across the first laser windows to a relay, then down its feeder link behind the raw data this
        policy sent it; (inf, None, inf) if no relay lands it by the deadline."""
        return self._relay_landing(sat.index, view.now_s, view.raw_bytes, view.deadline_s)

    def _relay_landing(self, sender, t_s, nbytes, deadline_s):
        """(landing time, relay, when the bytes are across to it) of ``nbytes`` on ``sender`` at ``t_s`` sent down
        through the relay that lands them first, behind what this policy sent down its feeder link; (inf, None,
        inf) if none lands them by ``deadline_s``."""
        best, best_j, best_x = math.inf, None, math.inf
        links = self.plan.links
        for j, busy in self._feeder_busy_until.items():
            rows = self._lasers.get((sender, j))
            if not rows:
                continue
            t_x = crossing_end_s(links, rows, t_s, nbytes, self._laser_ends[(sender, j)])
            if not t_x < deadline_s:
                continue
            t_d = self.tl[j].time_to_send(max(t_x, busy), nbytes)[0]
            if t_d <= deadline_s and t_d < best:
                best, best_j, best_x = t_d, j, t_x
        return best, best_j, best_x

    def relayed(self, j, view, t_cross_s, nbytes=None):
        """Book the raw data of ``view`` (or ``nbytes``: its product), across by ``t_cross_s``, on relay ``j``'s
        feeder link (for the next :meth:`relay_route`)."""
        busy = self._feeder_busy_until[j]
        size = view.raw_bytes if nbytes is None else nbytes
        self._feeder_busy_until[j] = self.tl[j].time_to_send(max(t_cross_s, busy), size)[0]

    def offload_route(self, view, sat):
        """(finish time, computing satellite, when the raw data is across to it) of the best route through the
        computing constellation: the raw data across the first laser windows to a computing satellite, behind
        the work this policy sent it, computed there in sunlight, and its product down that satellite's
        contacts; (inf, None, inf) if none delivers by the deadline (the earliest, and of those the lowest
        index).

        The computing satellites with a window open now are tried in the order of a lower bound on their
        finish (the raw data across at the sender's fastest rate, the job run from then at full speed, the
        product sent as soon as it is done), and the search stops at the first bound past the best finish
        found; then those whose next window opens later, in that order, up to a window opening after the best
        finish (a route is never done before its window opens). The bounds only skip what could not be
        better, so the answer is the one of trying every computing satellite."""
        found = self._to_computing.get(sat.index) if view.onboard_allowed else None
        if not found:
            return math.inf, None, math.inf
        rows, starts = found
        links, now, deadline = self.plan.links, view.now_s, view.deadline_s
        receiver = links.receiver
        sweep = self._sweep[sat.index]
        if now < sweep[0]:  # an estimate back in time: sweep again from the span start
            sweep[:] = [-math.inf, 0, []]
        sweep[0] = now
        i, heap = sweep[1], sweep[2]
        end_s = links.end_s
        while i < len(rows) and starts[i] <= now:
            heapq.heappush(heap, (float(end_s[rows[i]]), rows[i]))
            i += 1
        sweep[1] = i
        while heap and heap[0][0] <= now:
            heapq.heappop(heap)
        best = (math.inf, math.inf, math.inf)  # (finish, satellite, across)
        tried = set()
        candidates = []
        across = now + view.raw_bytes / self._fastest_Bps[sat.index]  # the raw data is across no sooner
        for _, r in heap:
            j = int(receiver[r])
            if j not in tried:
                tried.add(j)
                bound = self._offload_bound(view, j, across)
                if bound <= deadline:
                    candidates.append((bound, j))
        candidates.sort()
        for bound, j in candidates:
            if (bound, j) >= best[:2]:
                break
            best = min(best, self._offload_finish(view, sat, j))
        for k in range(i, len(rows)):
            if starts[k] >= min(best[0], deadline):
                break
            j = int(receiver[rows[k]])
            if j in tried:
                continue
            tried.add(j)
            if (self._offload_bound(view, j, max(starts[k], across)), j) < best[:2]:
                best = min(best, self._offload_finish(view, sat, j))
        return (best[0], int(best[1]), best[2]) if best[1] != math.inf else (math.inf, None, math.inf)

    def _offload_bound(self, view, j, across_s):
        """A lower bound on when computing satellite ``j`` could deliver the product of ``view`` if the raw data
        were across at ``across_s`` (no sooner than it can be): its job run from then (or when the work sent it
        ends) at full speed, the product sent from then (inf: never)."""
        tl = self.tl[j]
        if tl.hw.compute_tops <= 0:
            return math.inf
        ready = max(across_s, self._sent_busy_until[j]) + view.compute_top / tl.hw.compute_tops
        return tl.time_to_send(ready, view.product_bytes)[0]

    def _offload_finish(self, view, sat, j):
        """(finish, j, across) of the route through computing satellite ``j`` ((inf, inf, inf) if it does not
        deliver by the deadline)."""
        tl = self.tl[j]
        pair = (sat.index, j)
        t_x = crossing_end_s(self.plan.links, self._lasers[pair], view.now_s, view.raw_bytes, self._laser_ends[pair])
        if not t_x < view.deadline_s:
            return math.inf, math.inf, math.inf
        t_c = self._sunlit_after(
            tl, max(t_x, self._sent_busy_until[j]), view.compute_top / tl.hw.compute_tops, heat=True
        )
        t_p = tl.time_to_send(t_c, view.product_bytes)[0] if math.isfinite(t_c) else math.inf
        return (t_p, j, t_x) if t_p <= view.deadline_s else (math.inf, math.inf, math.inf)

    def offload_to(self, view, sat):
        """``offload(j)`` to the computing satellite of :meth:`offload_route`, its work booked; None if none
        delivers by the deadline. The product then goes down through the data relay that lands it first
        (``offload(j, product_via=(r,))``, booked on its feeder link) when that is sooner than ``j``'s own
        contacts."""
        t_p, j, t_x = self.offload_route(view, sat)
        if j is None:
            return None
        self.sent_to(j, view, t_x)
        if self._feeder_busy_until:
            t_c = self._sent_busy_until[j]  # when the job is done there
            t_land, r, t_x2 = self._relay_landing(j, t_c, view.product_bytes, view.deadline_s)
            if r is not None and t_land < t_p:
                self.relayed(r, view, t_x2, view.product_bytes)
                return offload(j, product_via=(r,))
        return offload(j)

    def sent_to(self, j, view, t_cross_s):
        """Book the job of ``view`` on computing satellite ``j`` (for the next :meth:`offload_route`)."""
        tl = self.tl[j]
        start = max(t_cross_s, self._sent_busy_until[j])
        self._sent_busy_until[j] = self._sunlit_after(tl, start, view.compute_top / tl.hw.compute_tops, heat=True)
