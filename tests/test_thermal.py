"""The lumped thermal node against a hand equilibrium, the closed-form cooling law and an independent
fourth-order Runge-Kutta integration of C dT/dt = P - e s A T^4 (the issue's standard: 0.1 K; here 0.01 K)."""

import math

import pytest

from spaceground.thermal import STEFAN_BOLTZMANN_W_M2_K4, equilibrium_k, temperature_after_k, time_to_reach_s

C_J_PER_K, EMISSIVITY, AREA_M2 = 5000.0, 0.85, 0.5


def _rk4_k(from_k, dt_s, heat_w, step_s=0.5):
    """The node integrated numerically, independent of the closed form."""

    def rate(t_k):
        return (heat_w - EMISSIVITY * STEFAN_BOLTZMANN_W_M2_K4 * AREA_M2 * t_k**4) / C_J_PER_K

    t, left = from_k, dt_s
    while left > 1e-12:
        h = min(step_s, left)
        k1 = rate(t)
        k2 = rate(t + 0.5 * h * k1)
        k3 = rate(t + 0.5 * h * k2)
        k4 = rate(t + h * k3)
        t += h * (k1 + 2 * k2 + 2 * k3 + k4) / 6.0
        left -= h
    return t


def test_equilibrium_by_hand():
    # 100 W through 0.5 m2 at emissivity 0.85: (100 / 2.40991e-8)^(1/4) = (4.14953e9)^(1/4) = 253.81 K.
    assert equilibrium_k(100.0, EMISSIVITY, AREA_M2) == pytest.approx(253.81, abs=0.01)
    assert equilibrium_k(0.0, EMISSIVITY, AREA_M2) == 0.0


@pytest.mark.parametrize("from_k, heat_w", [(250.0, 200.0), (330.0, 200.0), (300.0, 60.0), (200.0, 500.0)])
def test_the_closed_form_follows_the_integrated_node(from_k, heat_w):
    # Heating towards the equilibrium (301.8 K at 200 W) and cooling to it, over three hours.
    for dt in (60.0, 600.0, 3600.0, 10800.0):
        exact = temperature_after_k(from_k, dt, heat_w, C_J_PER_K, EMISSIVITY, AREA_M2)
        assert exact == pytest.approx(_rk4_k(from_k, dt, heat_w), abs=0.01)
    a = equilibrium_k(heat_w, EMISSIVITY, AREA_M2)
    late = temperature_after_k(from_k, 1e7, heat_w, C_J_PER_K, EMISSIVITY, AREA_M2)
    assert late == pytest.approx(a, abs=1e-3) and (late - a) * (from_k - a) >= 0  # never crosses it


def test_pure_cooling_is_the_inverse_cube_law():
    k = EMISSIVITY * STEFAN_BOLTZMANN_W_M2_K4 * AREA_M2 / C_J_PER_K
    for dt in (100.0, 5000.0):
        law = (300.0**-3 + 3 * k * dt) ** (-1 / 3)
        assert temperature_after_k(300.0, dt, 0.0, C_J_PER_K, EMISSIVITY, AREA_M2) == pytest.approx(law, rel=1e-12)
        assert law == pytest.approx(_rk4_k(300.0, dt, 0.0), abs=0.01)
    assert time_to_reach_s(300.0, 250.0, 0.0, C_J_PER_K, EMISSIVITY, AREA_M2) == pytest.approx(
        (250.0**-3 - 300.0**-3) / (3 * k)
    )


def test_a_throttle_crossing_in_closed_form():
    # 400 W heats the node towards 358.9 K: it reaches a 340 K throttle temperature, where the integrated node
    # is at 340 K too, and never reaches 360 K or anything beyond the equilibrium.
    t = time_to_reach_s(300.0, 340.0, 400.0, C_J_PER_K, EMISSIVITY, AREA_M2)
    assert 0 < t < math.inf
    assert _rk4_k(300.0, t, 400.0, step_s=0.1) == pytest.approx(340.0, abs=0.01)
    assert time_to_reach_s(300.0, 360.0, 400.0, C_J_PER_K, EMISSIVITY, AREA_M2) == math.inf
    assert time_to_reach_s(300.0, 290.0, 400.0, C_J_PER_K, EMISSIVITY, AREA_M2) == math.inf  # the wrong way
    assert time_to_reach_s(300.0, 300.0, 400.0, C_J_PER_K, EMISSIVITY, AREA_M2) == 0.0
    # And the two functions are inverses.
    assert temperature_after_k(300.0, t, 400.0, C_J_PER_K, EMISSIVITY, AREA_M2) == pytest.approx(340.0, abs=1e-6)
