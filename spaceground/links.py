"""Links: terrestrial fibre latency from distance, and transfer times.

Pure functions of numbers and arrays, SI units in every name.
"""

from __future__ import annotations

import numpy as np

from .defaults import FIBRE_DELAY_S_PER_KM

MEAN_EARTH_RADIUS_KM = 6371.0088  # IUGG mean radius R1 (Moritz 2000, Geodetic Reference System 1980)


def great_circle_km(lat1_deg, lon1_deg, lat2_deg, lon2_deg):
    """Great-circle distance on the mean sphere [km] (haversine, exact for antipodes too)."""
    p1, p2 = np.radians(lat1_deg), np.radians(lat2_deg)
    dp = p2 - p1
    dl = np.radians(np.asarray(lon2_deg) - np.asarray(lon1_deg))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2.0 * MEAN_EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def fibre_latency_s(distance_km, route_factor=1.5):
    """One-way propagation delay of a fibre route ``route_factor`` times the great circle [s].

    4.9 us/km (refractive index 1.468, the "5-microsecond rule"); ``route_factor``
    1.5 is the MIIT ceiling for China's inter-cluster links.
    """
    return np.asarray(distance_km, dtype=float) * float(route_factor) * FIBRE_DELAY_S_PER_KM


def transfer_time_s(size_bytes, rate_bps, latency_s=0.0):
    """Time to move ``size_bytes`` over a link of ``rate_bps`` with one-way ``latency_s``."""
    return float(latency_s) + 8.0 * np.asarray(size_bytes, dtype=float) / float(rate_bps)
