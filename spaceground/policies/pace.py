"""How long onboard work takes when it runs in sunlight only: the one rule the planning policies and the space-route
estimates share (a module of its own, so that neither has to import the other for it)."""

from __future__ import annotations

import math
from bisect import bisect_right

from ..power import FULL_SUN
from ..thermal import temperature_after_k, time_to_reach_s


def sunlit_time_after(timeline, t0_s, seconds, heat=False, temperature_k=math.nan, throttled=False):
    """Earliest time by which ``seconds`` of full sunlight have passed from ``t0`` (inf if not in the span): work
    run in sunlight only. With ``heat``, by the thermal node of a hardware that has one (without, it runs all the
    sunlight): from ``temperature_k`` (``throttled``: stopped by heat now) the computer runs at full speed until the
    node reaches its limit, then the share of the time :func:`~spaceground.thermal.throttle_duty` gives, the node
    idle in shadow (cooling from the limit, it runs at full speed again once below the throttle temperature);
    without a temperature (a node the policy does not see) at that share from the start: the sustained pace."""
    if seconds <= 0:
        return t0_s
    hw = timeline.hw
    heat = heat and hw.thermal
    known = heat and temperature_k == temperature_k
    temp_k, hot = temperature_k, throttled or (heat and not known)
    t, f = timeline._seg_t, timeline._seg_f
    i = max(bisect_right(t, t0_s) - 1, 0)
    now, left = t0_s, seconds
    while i < len(t):
        end = t[i + 1] if i + 1 < len(t) else timeline.duration_s
        span = max(0.0, end - now)
        if f[i] >= FULL_SUN:
            pace = 1.0
            if heat:
                q_idle, duty = timeline.heat_idle_w(f[i]), timeline.sustained_duty(f[i])
                if duty >= 1.0:
                    hot = False
                if hot or (known and duty < 1.0 and temp_k >= hw.limit_k - 1e-6):
                    hot, pace = True, duty
                elif known and duty < 1.0:  # full speed to the limit, then the duty
                    q_busy = q_idle + hw.compute_busy_w - hw.compute_idle_w
                    to_limit = time_to_reach_s(temp_k, hw.limit_k, q_busy, *hw.node)
                    if left <= min(span, to_limit):
                        return now + left
                    if to_limit < span:
                        left -= to_limit
                        now += to_limit
                        span = end - now
                        hot, pace = True, duty
                    else:
                        temp_k = temperature_after_k(temp_k, span, q_busy, *hw.node)
                        left -= span
                        now, i = end, i + 1
                        continue
            if pace > 0 and now + left / pace <= end:
                return now + left / pace
            left -= pace * span
        elif known:  # idle in shadow: the node cools (from the band's top if it was stopped there)
            temp_k = temperature_after_k(hw.limit_k if hot else temp_k, span, timeline.heat_idle_w(f[i]), *hw.node)
            hot = hot and temp_k > hw.throttle_k
        now = end
        i += 1
    return math.inf
