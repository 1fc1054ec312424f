"""``green-west``: the East-Data-West-Computing trade for ground work.

Raw work goes to the cheapest (``prefer: cost``) or lowest-carbon (``prefer: carbon``,
intensity x PUE) data centre whose extra backhaul latency, transfer and queue still fit
the deadline, and to the one that finishes first when none does. Capture and downlink
decisions are those of ``lookahead``, with the ground route judged by this choice.
"""

from __future__ import annotations

from . import register
from .lookahead import Lookahead
from .planning import choose_datacenter


@register("green-west")
class GreenWest(Lookahead):
    def __init__(self, prefer="cost", **kw):
        if prefer not in ("cost", "carbon"):
            raise ValueError(f"prefer must be 'cost' or 'carbon', got {prefer!r}")
        super().__init__(**kw)
        self.prefer = prefer

    def on_arrival(self, view):
        return choose_datacenter(view, self.objective, prefer=self.prefer)
