"""The two baselines: everything to the ground, or everything onboard that may be."""

from __future__ import annotations

from . import GROUND, ONBOARD, BasePolicy, register


@register("ground-only")
class GroundOnly(BasePolicy):
    """Bent pipe: downlink every capture raw and process it in the cheapest reachable data centre."""

    def on_capture(self, view):
        return GROUND


@register("onboard-first")
class OnboardFirst(BasePolicy):
    """Process onboard every capture that allows it; downlink the others raw."""

    def on_capture(self, view):
        return ONBOARD if view.onboard_allowed else GROUND
