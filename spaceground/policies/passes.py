"""Pass choice when ground-station time is bought: wait for a free pass when waiting costs no deadline.

A pass at a station bought as a service costs its price the first time anything is sent in it (``OpenPass.price_cny``;
0 at an owned station or once booked). Of the passes open now, a free one is taken (the one that closes last, as the
engine's default does). When every open pass costs money, the satellite waits for its next free pass if that pass
can carry the whole queue before the earliest deadline in it, at the rate the plan gives; otherwise it buys the
cheapest open pass (the one that closes last among equals). Waiting never loses a deadline the plan can see, and a
purchase is made only when waiting would.
"""

from __future__ import annotations

from bisect import bisect_right


class FreePassFirst:
    """``choose_pass`` for one run, from the plan's windows and the stations' prices."""

    def __init__(self, plan):
        self.priced = [g.price_per_min_cny > 0.0 or g.price_per_pass_cny > 0.0 for g in plan.stations]
        # Per satellite: the windows at free (unpriced) stations, by start, with their rates.
        self.free = []
        for sp in plan.satellites:
            rows = [
                (a, b, r)
                for st, a, b, r in zip(sp.window_station, sp.window_aos_s, sp.window_los_s, sp.window_rate_bps)
                if not self.priced[st] and r > 0.0
            ]
            self.free.append(rows)
        self.starts = [[a for a, _, _ in rows] for rows in self.free]

    @property
    def any_priced(self):
        return any(self.priced)

    def __call__(self, view):
        passes = view.passes
        free = [p for p in passes if p.price_cny == 0.0]
        if free:
            return max(free, key=lambda p: p.window_end_s).station
        sat = view.satellite
        if self._free_pass_in_time(sat.index, view.now_s, sat.queue):
            return None
        cheapest = min(p.price_cny for p in passes)
        return max((p for p in passes if p.price_cny == cheapest), key=lambda p: p.window_end_s).station

    def _free_pass_in_time(self, k, now_s, queue):
        """Can the satellite's next free pass (after ``now_s``) carry the whole queue before its earliest
        deadline? (The plan's constant rate of that pass; a queue of nothing never buys.)"""
        if not queue:
            return True
        rows, starts = self.free[k], self.starts[k]
        i = bisect_right(starts, now_s)
        if i >= len(rows):
            return False
        a, b, rate = rows[i]
        total = sum(q.remaining_bytes for q in queue)
        deadline = min(q.deadline_s for q in queue)
        done = a + 8.0 * total / rate
        return done <= min(b, deadline)
