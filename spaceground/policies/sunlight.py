"""``sunlight-aware``: onboard work placed in sunlight to keep the depth of discharge low (Phoenix).

Phoenix (Tsinghua, arXiv 2407.07337) cuts battery energy by placing computation where
the Sun pays for it. Here a capture is processed onboard only if its job (behind the
onboard backlog) can be run in sunlight before its deadline still leaves time to
downlink the product; otherwise it goes raw (or is dropped when neither route can meet
the deadline, as in ``lookahead``). The onboard computer runs only in full sunlight,
or in shadow while the state of charge stays above ``shadow_min_soc``.
"""

from __future__ import annotations

import math

from . import register
from .lookahead import Lookahead
from .pace import sunlit_time_after


@register("sunlight-aware")
class SunlightAware(Lookahead):
    def __init__(self, shadow_min_soc=0.9, **kw):
        super().__init__(shadow_min_soc=shadow_min_soc, **kw)

    def onboard_route(self, view, sat, ahead_bytes, margin_j):
        tl = self.tl[sat.index]
        hw = tl.hw
        if not view.onboard_allowed or hw.compute_tops <= 0:
            return math.inf, 0.0
        run_s = view.compute_top / hw.compute_tops
        t_c = sunlit_time_after(
            tl,
            view.now_s,
            sat.compute_backlog_s + run_s,
            heat=True,
            temperature_k=sat.temperature_k,
            throttled=sat.throttled,
        )
        if not math.isfinite(t_c):
            return math.inf, 0.0
        left = max(0.0, ahead_bytes - tl.bytes_between(view.now_s, t_c))
        t_p, _ = tl.time_to_send(t_c, left + view.product_bytes)
        return t_p, self.objective.onboard_energy_weight_per_wh * hw.compute_busy_w * run_s / 3600.0
