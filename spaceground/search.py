"""Scalar searches shared by the physics modules. Pure functions of callables and numbers."""

from __future__ import annotations

import math

import numpy as np


def golden_min(f, a, b, tol):
    """Where ``f`` (vectorised: an array of points in, values out; one minimum on [a, b]) is least, by golden-section
    search until the bracket is at most ``tol`` wide: the bracket's middle."""
    g = (math.sqrt(5.0) - 1.0) / 2.0
    a, b = float(a), float(b)
    while b - a > tol:
        c, d = b - g * (b - a), a + g * (b - a)
        fc, fd = f(np.array([c, d]))
        if fc <= fd:
            b = d
        else:
            a = c
    return 0.5 * (a + b)
