"""A lumped thermal node: one heat capacity, heated by absorbed sunlight, Earth infrared and its own
dissipation, cooled by a radiator to deep space, exact between events like the battery.

    C dT/dt = P - e s A T^4        (P: heat in [W], constant between events; e s A T^4: radiated)

With P constant the node tends to its equilibrium a = (P / (e s A))^(1/4). Separating variables,

    t(T) = C / (e s A) * (F(T) - F(T0)),   F(T) = (ln|(a + T) / (a - T)| + 2 atan(T / a)) / (4 a^3)

which is exact on either side of ``a`` (the node never crosses it); with P = 0 it cools as
T = (T0^-3 + 3 e s A t / C)^(-1/3). :func:`time_to_reach_s` gives the time to a temperature (a throttle or
limit crossing) in closed form, :func:`temperature_after_k` inverts it by bisection.

Pure functions of numbers; SI units (kelvin, watts, joules per kelvin, square metres, seconds).
"""

from __future__ import annotations

import math

STEFAN_BOLTZMANN_W_M2_K4 = 5.670374419e-8  # exact (SI 2019, from h, k and c)


def equilibrium_k(heat_w, emissivity, radiator_m2):
    """The temperature at which the radiator sheds ``heat_w`` [K]."""
    if heat_w <= 0:
        return 0.0
    return (heat_w / (emissivity * STEFAN_BOLTZMANN_W_M2_K4 * radiator_m2)) ** 0.25


def _f(t_k, a_k):
    """The antiderivative of 1 / (a^4 - T^4) in T (times 4 a^3), either side of a."""
    return math.log(abs((a_k + t_k) / (a_k - t_k))) + 2.0 * math.atan(t_k / a_k)


def time_to_reach_s(from_k, to_k, heat_w, heat_capacity_j_per_k, emissivity, radiator_m2):
    """Seconds for the node to go from ``from_k`` to ``to_k`` under constant ``heat_w``: inf if it never gets
    there (``to_k`` at or beyond the equilibrium, or on the other side of ``from_k`` from it); 0 if equal."""
    if to_k == from_k:
        return 0.0
    k = emissivity * STEFAN_BOLTZMANN_W_M2_K4 * radiator_m2 / heat_capacity_j_per_k  # [1/(K^3 s)]
    if heat_w <= 0:
        if to_k > from_k or to_k <= 0:
            return math.inf
        return (to_k**-3 - from_k**-3) / (3.0 * k)
    a = equilibrium_k(heat_w, emissivity, radiator_m2)
    # It moves towards a and never reaches it: a target beyond a, at a, or behind it is never reached.
    if (from_k < a and not from_k < to_k < a) or (from_k > a and not a < to_k < from_k) or from_k == a:
        return math.inf
    return (_f(to_k, a) - _f(from_k, a)) / (4.0 * a**3 * k)


def temperature_after_k(from_k, dt_s, heat_w, heat_capacity_j_per_k, emissivity, radiator_m2):
    """The node's temperature ``dt_s`` after ``from_k`` under constant ``heat_w`` [K]: the closed-form time
    inverted by Newton's method on t(T) = dt, kept inside the bracket between ``from_k`` and the equilibrium
    (bisection where a step leaves it); exact to 1e-9 K."""
    if dt_s <= 0:
        return from_k
    k = emissivity * STEFAN_BOLTZMANN_W_M2_K4 * radiator_m2 / heat_capacity_j_per_k  # [1/(K^3 s)]
    if heat_w <= 0:
        return (from_k**-3 + 3.0 * k * dt_s) ** (-1.0 / 3.0)
    a = equilibrium_k(heat_w, emissivity, radiator_m2)
    if from_k == a:
        return a
    heating = from_k < a
    lo, hi = (from_k, a) if heating else (a, from_k)
    c_a = 4.0 * a**3 * k
    f0 = _f(from_k, a)
    # A first guess from the rate at the start, inside the bracket.
    t_k = from_k + dt_s * (heat_w / heat_capacity_j_per_k - k * from_k**4)
    if not lo < t_k < hi:
        t_k = 0.5 * (lo + hi)
    for _ in range(100):
        g = (_f(t_k, a) - f0) / c_a - dt_s  # time to t_k less dt: negative while t_k is short of the answer
        if (g < 0) == heating:
            lo = t_k
        else:
            hi = t_k
        slope = 1.0 / (k * (a**4 - t_k**4))  # dt/dT [s/K]; the sign of (a - T)
        step = t_k - g / slope
        if abs(step - t_k) < 1e-10:
            return step
        t_k = step if lo < step < hi else 0.5 * (lo + hi)
        if hi - lo < 1e-9:
            break
    return t_k


def heat_in_w(sunlit_fraction, absorbed_sun_w, absorbed_earth_w, dissipated_w):
    """The heat into the node [W]: sunlight absorbed in proportion to the sunlit fraction (with the albedo),
    the Earth's infrared (sunlit or not) and the electrical power dissipated aboard (every load ends as heat)."""
    return absorbed_sun_w * sunlit_fraction + absorbed_earth_w + dissipated_w


def throttle_duty(busy_w, idle_w, throttle_k, limit_k, heat_capacity_j_per_k, emissivity, radiator_m2):
    """The share of the time a computer throttled between two temperatures runs, once the node cycles in that
    band: busy (heat ``busy_w``) from ``throttle_k`` up to ``limit_k``, idle (``idle_w``) back down. 1 if the
    busy node never reaches the limit; 0 if the idle node never cools to the throttle temperature."""
    args = (heat_capacity_j_per_k, emissivity, radiator_m2)
    up = time_to_reach_s(throttle_k, limit_k, busy_w, *args)
    if math.isinf(up):
        return 1.0
    down = time_to_reach_s(limit_k, throttle_k, idle_w, *args)
    if math.isinf(down):
        return 0.0
    return up / (up + down)
