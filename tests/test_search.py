"""The compiled search primitives, against closed forms."""

import numpy as np
import pytest

from spaceground import _kernels


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
    for tau in (0.0, 0.25, 0.7, 1.0):
        t = t0 + tau * h
        for i in range(3):
            p, dp, ddp = _kernels._hermite(tau, h, r(t0), v(t0), r(t0 + h), v(t0 + h), i)
            assert p == pytest.approx(r(t)[i], rel=1e-12, abs=1e-9)
            assert dp == pytest.approx(v(t)[i], rel=1e-12, abs=1e-9)
            assert ddp == pytest.approx(a(t)[i], rel=1e-10, abs=1e-9)


def test_cubic_max_bound():
    # p(tau) = -(tau - 0.5)^2 + 0.25 has p(0)=p(1)=0, p'(0)=1, p'(1)=-1 and its maximum 0.25 at 0.5.
    assert _kernels._cubic_max(0.0, 0.0, 1.0, -1.0) == pytest.approx(0.25)
    assert _kernels._cubic_max(-1.0, 2.0, 0.0, 0.0) == pytest.approx(2.0)


def test_interpolation_of_table_rows():
    table = np.array([[0.0, 10.0], [1.0, 30.0], [4.0, 30.0]])
    out = _kernels.interp_rows(table, 100.0, 10.0, np.array([100.0, 105.0, 117.5, 90.0, 130.0]))
    np.testing.assert_allclose(out, [[0, 10], [0.5, 20], [3.25, 30], [0, 10], [4, 30]])


def test_rotate_states_applies_matrices_per_time():
    rng = np.random.default_rng(1)
    r = rng.normal(size=(2, 3, 3))
    v = rng.normal(size=(2, 3, 3))
    m = rng.normal(size=(3, 3, 3))
    dm = rng.normal(size=(3, 3, 3))
    r2, v2 = _kernels.rotate_states(r, v, m, dm)
    np.testing.assert_allclose(r2, np.einsum("kij,nkj->nki", m, r))
    np.testing.assert_allclose(v2, np.einsum("kij,nkj->nki", m, v) + np.einsum("kij,nkj->nki", dm, r))
