"""The vectorised search primitives, against closed forms."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spaceground.search import bracketed_newton, cubic_max_on_unit, golden_minimum, hermite_state


def test_hermite_is_exact_for_cubics():
    rng = np.random.default_rng(3)
    coef = rng.normal(size=(4, 3))  # r(t) = c0 + c1 t + c2 t^2 + c3 t^3 per axis

    def r(t):
        return coef[0] + coef[1] * t + coef[2] * t**2 + coef[3] * t**3

    def v(t):
        return coef[1] + 2 * coef[2] * t + 3 * coef[3] * t**2

    def a(t):
        return 2 * coef[2] + 6 * coef[3] * t

    t0, h = 10.0, 60.0
    tau = np.array([0.0, 0.25, 0.7, 1.0])
    n = tau.size
    rr, vv, aa = hermite_state(tau, np.full(n, h), *(np.tile(x, (n, 1)) for x in (r(t0), v(t0), r(t0 + h), v(t0 + h))))
    t = t0 + tau * h
    np.testing.assert_allclose(rr, np.array([r(x) for x in t]), rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(vv, np.array([v(x) for x in t]), rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(aa, np.array([a(x) for x in t]), rtol=1e-10, atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0.05, 0.95), min_size=1, max_size=20), st.booleans())
def test_bracketed_newton_finds_known_roots(roots, with_derivative):
    roots = np.array(roots)

    def fun(idx, x):
        g = np.tanh(3 * (x - roots[idx])) + 0.2 * (x - roots[idx]) ** 3
        dg = 3 / np.cosh(3 * (x - roots[idx])) ** 2 + 0.6 * (x - roots[idx]) ** 2
        return (g, dg) if with_derivative else (g, None)

    lo, hi = np.zeros(roots.size), np.ones(roots.size)
    all_idx = np.arange(roots.size)
    g_lo, _ = fun(all_idx, lo)
    g_hi, _ = fun(all_idx, hi)
    # Flip half the brackets to decreasing functions: orientation must not matter.
    x = bracketed_newton(fun, lo, hi, g_lo, g_hi, xtol=1e-12)
    np.testing.assert_allclose(x, roots, atol=1e-10)


def test_bracketed_newton_decreasing_function():
    target = np.array([0.3, 0.8])

    def fun(idx, x):
        return target[idx] - x, -np.ones_like(x)

    x = bracketed_newton(fun, np.zeros(2), np.ones(2), target, target - 1, xtol=1e-13)
    np.testing.assert_allclose(x, target, atol=1e-12)


def test_golden_minimum_and_cubic_bound():
    centres = np.array([0.2, 0.55, 0.9])
    x, g = golden_minimum(lambda idx, x: (x - centres[idx]) ** 2 - 1.0, np.zeros(3), np.ones(3), xtol=1e-9)
    np.testing.assert_allclose(x, centres, atol=1e-8)
    np.testing.assert_allclose(g, -1.0, atol=1e-12)
    # p(tau) = -(tau - 0.5)^2 + 0.25 has p(0)=p(1)=0, p'(0)=1, p'(1)=-1 and a maximum 0.25.
    assert cubic_max_on_unit(np.array([0.0]), np.array([0.0]), np.array([1.0]), np.array([-1.0]))[0] == pytest.approx(
        0.25
    )
