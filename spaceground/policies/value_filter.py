"""``value-filter``: onboard triage in the style of Phi-Sat-1 and Kodan.

A cheap onboard screen (a cloud mask: Phi-Sat-1 discards scenes more than 70 %
cloudy, ref #20) sorts captures before they take downlink: a capture worth less than
``min_value_share`` of its workload class's value is discarded at once; the others are
handled as by ``value-greedy`` (onboard while the battery pays, downlink by value per
byte), so what is left of a cloudy pass never crowds out a clear one.
"""

from __future__ import annotations

from . import drop, register
from .value_greedy import ValueGreedy


@register("value-filter")
class ValueFilter(ValueGreedy):
    def __init__(self, min_value_share=0.5):
        if not 0 <= min_value_share <= 1:
            raise ValueError(f"min_value_share must be in [0, 1], got {min_value_share}")
        self.min_value_share = float(min_value_share)

    def start(self, plan):
        super().start(plan)
        self.class_value = {w.name: w.value for w in plan.workloads}

    def on_capture(self, view):
        if view.value < self.min_value_share * self.class_value.get(view.workload, view.value):
            return drop(f"cloudy: worth less than {self.min_value_share:g} of its class's value (value-filter)")
        return super().on_capture(view)
