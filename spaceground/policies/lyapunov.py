"""``lyapunov``: drift-plus-penalty control of data, compute and energy queues (Cheng et al., ICC'22).

Each satellite has three queues, each normalised to about 1:

* data ``Q``: bytes waiting for downlink over the mean contact capacity of an orbit;
* compute ``C``: onboard backlog over the orbital period;
* energy deficit ``Z``: how far the battery is below the middle of its usable range,
  over the battery capacity.

At each capture the action (ground, onboard, drop) minimising

    Q * bytes_added + C * compute_added + Z * energy_used - V * value_if_it_can_arrive

is taken: the drift of the queues against the value earned. ``V`` trades value against
queue length and battery (large V: value first; small V: short queues, shallow
discharge). The policy needs no forecast; the theory makes it asymptotically optimal
for stationary arrivals as V grows, at the price of queues growing with V. Downlinks go
by value per byte (max-weight).
"""

from __future__ import annotations

from . import GROUND, ONBOARD, drop, register
from .planning import PlanningPolicy
from .value_greedy import value_density_order


@register("lyapunov")
class Lyapunov(PlanningPolicy):
    def __init__(self, V=1.0):
        if V < 0:
            raise ValueError(f"V must be >= 0, got {V}")
        self.V = float(V)

    def start(self, plan):
        super().start(plan)
        self.orbit_s, self.orbit_bytes = [], []
        for sp, tl in zip(plan.satellites, self.tl):
            period = sp.period_s
            orbits = max(plan.duration_s / period, 1.0)
            self.orbit_s.append(period)
            self.orbit_bytes.append(max(tl.bytes_between(0.0, plan.duration_s) / orbits, 1.0))

    def on_capture(self, view):
        sat = view.satellite
        k = sat.index
        hw = self.tl[k].hw
        cap, period = self.orbit_bytes[k], self.orbit_s[k]
        q = sat.downlink_backlog_bytes / cap
        c = sat.compute_backlog_s / period
        mid = sat.reserve_j + 0.5 * (sat.battery_j - sat.reserve_j)
        z = max(0.0, mid - sat.energy_j) / sat.battery_j
        left = view.deadline_s - view.now_s
        scores = {"drop": 0.0}
        value = self.V * view.value
        ground_can = sat.next_contact_s < view.deadline_s
        scores["ground"] = q * view.raw_bytes / cap - (value if ground_can else 0.0)
        if view.onboard_allowed and hw.compute_tops > 0:
            run_s = view.compute_top / hw.compute_tops
            energy = hw.compute_busy_w * run_s / sat.battery_j
            onboard_can = sat.compute_backlog_s + run_s < left and sat.energy_j > sat.reserve_j
            scores["onboard"] = (
                q * view.product_bytes / cap + c * run_s / period + z * energy - (value if onboard_can else 0.0)
            )
        best = min(scores, key=lambda a: (scores[a], a != "ground"))
        if best != "drop":
            return ONBOARD if best == "onboard" else GROUND
        if not ground_can and not (view.onboard_allowed and hw.compute_tops > 0 and onboard_can):
            return drop(
                "no route in time: no contact before the deadline, and the computer's backlog or the "
                "battery rules out onboard processing"
            )
        return drop("the queues it would add cost more than its value (drift-plus-penalty)")

    def downlink_order(self, view):
        return value_density_order(view)
