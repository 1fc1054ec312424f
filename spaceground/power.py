"""Satellite power: solar generation, loads and the battery between events.

Between two events every power is constant, so the battery follows a straight
line, clamped at full charge (the surplus is *curtailed*: the array is
shunted). These closed forms replace fixed small time steps.
"""

from __future__ import annotations

import math

WH_PER_J = 1.0 / 3600.0


def solar_power_w(solar_w, sunlit_fraction):
    """Array output [W]: full-sun output times the visible share of the solar disc."""
    return float(solar_w) * float(sunlit_fraction)


def battery_step(energy_wh, generation_w, load_w, dt_s, capacity_wh):
    """Battery after ``dt_s`` of constant generation and load.

    Returns
    -------
    energy_wh : float
        New stored energy, at most ``capacity_wh`` (it may go below zero only if the
        loads exceed what is stored; callers gate optional loads before that).
    curtailed_wh : float
        Generation that did not fit in the battery.
    """
    if dt_s < 0:
        raise ValueError(f"negative time step {dt_s}")
    e = energy_wh + (generation_w - load_w) * dt_s * WH_PER_J
    curtailed = max(0.0, e - capacity_wh)
    return min(e, capacity_wh), curtailed


def time_to_energy_s(energy_wh, net_w, target_wh):
    """Seconds until the stored energy reaches ``target_wh`` at constant net power (inf if never)."""
    if net_w == 0.0:
        return math.inf if energy_wh != target_wh else 0.0
    dt = (target_wh - energy_wh) / (net_w * WH_PER_J)
    return dt if dt >= 0.0 else math.inf
