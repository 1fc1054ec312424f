"""Satellite power: solar generation, loads and the battery between events.

Between two events every power is constant, so the battery follows a straight
line, clamped at full charge (the surplus is *curtailed*: the array is
shunted). These closed forms replace fixed small time steps.
"""

from __future__ import annotations

from bisect import bisect_right


def battery_after_j(energy_j, generation_w, load_w, dt_s, capacity_j):
    """The battery after ``dt_s`` of constant generation and load, in closed form.

    Returns ``(energy_j, generated_j, consumed_j, curtailed_j, unserved_j)``: the stored energy,
    clamped at ``capacity_j`` (the surplus is curtailed: the array is shunted) and at zero (the
    load the empty battery could not serve is unserved and not consumed).
    """
    gen = generation_w * dt_s
    load = load_w * dt_s
    e = energy_j + gen - load
    if e > capacity_j:
        return capacity_j, gen, load, e - capacity_j, 0.0
    if e < 0.0:
        return 0.0, gen, load + e, 0.0, -e
    return e, gen, load, 0.0, 0.0


# --- the energy floor ------------------------------------------------------------------------------
FULL_SUN = 0.999  # sunlit fraction at or above which a satellite is in full sun (below: penumbra or umbra)


class ShadowPlan:
    """The shadows of one satellite over a span, from its piecewise-constant sunlit fraction.

    Segment ``i`` runs from ``start_s[i]`` to the next start (the last to ``end_s``) at sunlit fraction
    ``sunlit[i]``. Consecutive segments below :data:`FULL_SUN` form one shadow (penumbra, umbra,
    penumbra). A shadow still under way at the span end counts up to the span end.
    """

    def __init__(self, start_s, sunlit, end_s):
        self.start_s, self.sunlit, self.end_s = list(map(float, start_s)), list(map(float, sunlit)), float(end_s)
        n = len(self.start_s)
        seg_end = self.start_s[1:] + [self.end_s]
        # Per segment: in shadow, the end of its shadow; in sunlight, the length of the next shadow.
        self.shadow_end_s = [0.0] * n
        self.next_shadow_len_s = [0.0] * n
        end, next_len = self.end_s, 0.0
        for i in range(n - 1, -1, -1):
            if self.sunlit[i] >= FULL_SUN:
                end = self.start_s[i]
                self.next_shadow_len_s[i] = next_len
                next_len = 0.0
            else:
                next_len += seg_end[i] - self.start_s[i]
            self.shadow_end_s[i] = end

    def segment_at(self, t_s) -> int:
        """The segment holding ``t_s`` (the last one starting at or before it)."""
        return max(bisect_right(self.start_s, t_s) - 1, 0)

    def ahead_in_segment_s(self, i, t_s) -> float:
        """Seconds of shadow the bus must get through from ``t_s`` in segment ``i``: what is left of the
        shadow it is in, or in sunlight the whole next shadow [s]."""
        if self.sunlit[i] >= FULL_SUN:
            return self.next_shadow_len_s[i]
        return max(0.0, self.shadow_end_s[i] - t_s)

    def ahead_s(self, t_s) -> float:
        """:meth:`ahead_in_segment_s` of the segment holding ``t_s``."""
        return self.ahead_in_segment_s(self.segment_at(t_s), t_s)


def energy_floor_j(reserve_j, bus_w, shadow_ahead_s):
    """The energy below which optional loads (computer, transmitter, imager) stop [J]: the reserve plus
    what the bus needs through the shadow ahead, so that the bus never takes the battery below its reserve."""
    return reserve_j + bus_w * shadow_ahead_s
