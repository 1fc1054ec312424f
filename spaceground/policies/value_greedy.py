"""``value-greedy``: the literature's value-density greedy, the baseline smarter policies must beat.

Onboard processing turns a raw capture into a product a hundred times smaller, so per
byte of downlink it carries the most value: every capture that allows it is processed
onboard while the battery holds the energy of the onboard backlog plus this job above
its reserve. With a computing constellation, a capture the battery cannot pay for is sent
over a laser link to the computing satellite that would deliver its product first, if one
delivers it by its deadline. With data relays, a raw capture goes through the relay that lands
it first when that is before its own contacts would (and by its deadline). The others go raw.
Downlinks send the highest value per byte first. It looks ahead only as far as those routes'
estimates, and not at deadlines otherwise.
"""

from __future__ import annotations

from . import GROUND, ONBOARD, register
from .planning import PlanningPolicy
from .routes import relay


def value_density_order(view):
    """Capture ids by value per remaining byte, highest first (ties: earliest deadline)."""
    ranked = sorted(view.queue, key=lambda q: (-q.value / max(q.remaining_bytes, 1.0), q.deadline_s, q.capture_id))
    return [q.capture_id for q in ranked]


@register("value-greedy")
class ValueGreedy(PlanningPolicy):
    """Onboard while the battery pays for it, downlink by value per byte."""

    def on_capture(self, view):
        if view.onboard_allowed and self.battery_pays(view):
            return ONBOARD
        route = self.offload_to(view, view.satellite)
        if route is not None:
            return route
        t_r, j, t_x = self.relay_route(view, view.satellite)
        if j is not None and t_r < self.downlink_end(view, view.satellite, view.raw_bytes, view.now_s, view.deadline_s):
            self.relayed(j, view, t_x)
            return relay(j)
        return GROUND

    def battery_pays(self, view):
        sat = view.satellite
        hw = self.tl[sat.index].hw
        if hw.compute_tops <= 0:
            return False
        need_j = (sat.compute_backlog_s + view.compute_top / hw.compute_tops) * (hw.compute_busy_w - hw.compute_idle_w)
        return sat.energy_j - sat.reserve_j > need_j

    def downlink_order(self, view):
        return value_density_order(view)
