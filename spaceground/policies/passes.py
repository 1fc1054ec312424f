"""Buying ground-station time by what is at stake: wait for free passes unless waiting loses more than a pass costs.

A pass at a station bought as a service costs its price the first time anything is sent in it (``OpenPass.price_cny``;
0 at an owned station or once booked), or, at a station with a booking lead time, from the moment it is booked.

*Choosing among open passes* (``choose_pass``): a free pass open now is taken (the one that closes last, as the
engine's default does). When every open pass costs money, the value at risk is the value of the queued items that
the satellite's free passes ahead, taken one after another at the plan's rates in deadline order, would deliver after
their deadlines. The cheapest open pass is bought when that value exceeds its price times the objective's
``cost_weight_per_cny``; otherwise the satellite waits. With no weight on cost, any deadline at risk buys.

*Booking ahead* (``book_pass``, at a station with a booking lead time, when the lead time before the pass has come):
the same rule from the pass's start, on the queue held at booking time (what will be captured by then is unknown,
so a pass is never booked for nothing).
"""

from __future__ import annotations

from bisect import bisect_left

from ..links import pass_price_cny


class FreePassFirst:
    """``choose_pass`` and ``book_pass`` for one run, from the plan's windows, the stations' prices and the
    objective's weight on cost."""

    def __init__(self, plan):
        self.priced = [g.price_per_min_cny > 0.0 or g.price_per_pass_cny > 0.0 for g in plan.stations]
        objective = getattr(plan, "objective", None)
        self.cost_weight = float(getattr(objective, "cost_weight_per_cny", 0.0) or 0.0)
        # Per satellite: the windows at free (unpriced) stations, by end, with their rates.
        self.free = []
        for sp in plan.satellites:
            rows = sorted(
                (b, a, r)
                for st, a, b, r in zip(sp.window_station, sp.window_aos_s, sp.window_los_s, sp.window_rate_bps)
                if not self.priced[st] and r > 0.0
            )
            self.free.append(rows)
        self.ends = [[b for b, _, _ in rows] for rows in self.free]

    @property
    def any_priced(self):
        return any(self.priced)

    def __call__(self, view):
        passes = view.passes
        free = [p for p in passes if p.price_cny == 0.0]
        if free:
            return max(free, key=lambda p: p.window_end_s).station
        cheapest = min(p.price_cny for p in passes)
        sat = view.satellite
        if not self.worth_buying(sat.index, view.now_s, sat.queue, view.now_s, cheapest):
            return None
        return max((p for p in passes if p.price_cny == cheapest), key=lambda p: p.window_end_s).station

    def book_pass(self, view):
        """Book the pass ``view.booking`` (an :class:`~spaceground.policies.views.OpenPass` that starts later)?"""
        p, sat = view.booking, view.satellite
        return self.worth_buying(sat.index, view.now_s, sat.queue, p.window_start_s, p.price_cny)

    def worth_buying(self, k, now_s, queue, from_s, price_cny):
        """Does the value the free passes would lose exceed ``price_cny`` at the objective's weight? Only items still
        due after ``from_s`` (when the bought pass could start sending them) count."""
        if not queue:
            return False
        at_risk = self.value_at_risk(k, now_s, queue, from_s)
        return at_risk > 0.0 and at_risk > self.cost_weight * price_cny

    def value_at_risk(self, k, now_s, queue, from_s=None):
        """The value of the queued items (due after ``from_s``) that satellite ``k``'s free passes after ``now_s``,
        used one after another in deadline order at the plan's rates, would deliver after their deadlines."""
        from_s = now_s if from_s is None else from_s
        items = sorted(queue, key=lambda q: q.deadline_s)
        rows = self.free[k]
        i = bisect_left(self.ends[k], now_s)
        cursor = now_s  # the free passes send one at a time: the time sent up to
        left = 0.0  # bits of the item under way still to send
        value = 0.0
        it = iter(items)
        item = next(it, None)
        if item is not None:
            left = 8.0 * item.remaining_bytes
        while item is not None:
            if i >= len(rows):
                done_s = float("inf")
            else:
                b, a, rate = rows[i]
                t0 = max(a, cursor)
                if t0 >= b:
                    i += 1
                    continue
                if left > (b - t0) * rate:  # the item runs past this pass
                    left -= (b - t0) * rate
                    cursor = b
                    i += 1
                    continue
                done_s = t0 + left / rate
                cursor = done_s
            if done_s > item.deadline_s and item.deadline_s > from_s:
                value += item.value
            item = next(it, None)
            if item is not None:
                left = 8.0 * item.remaining_bytes
        return value


def window_price_cny(station, aos_s, los_s):
    """What one window at ``station`` costs if booked (0 at an owned station)."""
    return float(pass_price_cny(station.price_per_pass_cny, station.price_per_min_cny, los_s - aos_s))
