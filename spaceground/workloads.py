"""Workloads: when Earth-observation captures happen, and what each one carries.

Two kinds of trigger:

* **targets**: a capture at the culmination of every pass in which a target site
  sees the satellite above ``min_elevation_deg`` (the same search as ground-station
  contacts, so it is exact to milliseconds);
* **rate**: a Poisson process of captures per satellite, drawn from an explicit
  ``numpy.random.Generator``.

``daylight_only`` keeps captures with the Sun above the horizon at the imaged point
(the target, or the sub-satellite point for rate captures).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

CAPTURE_COLUMNS = [
    "capture_id",
    "time_s",
    "sat",
    "workload",
    "target",
    "raw_bytes",
    "product_bytes",
    "compute_top",
    "deadline_s",
    "value",
    "onboard_allowed",
]
CLOUD_COLUMN = "cloudy"


def poisson_times_s(rng: np.random.Generator, rate_per_s: float, duration_s: float) -> np.ndarray:
    """Arrival times of a Poisson process of rate ``rate_per_s`` on [0, duration)."""
    if rate_per_s <= 0:
        return np.zeros(0)
    n = rng.poisson(rate_per_s * duration_s)
    return np.sort(rng.uniform(0.0, duration_s, n))


def lit_enough(sun_elevation_deg, min_sun_elevation_deg=None):
    """Whether a daylight capture may be taken: the Sun above the horizon, or at least ``min_sun_elevation_deg``
    high when a class asks for that [deg]."""
    sun = np.asarray(sun_elevation_deg, dtype=float)
    return sun > 0.0 if min_sun_elevation_deg is None else sun >= min_sun_elevation_deg


def sun_elevation_deg(span, t_s, lat_deg, lon_deg):
    """Elevation of the Sun's centre [deg] seen from ground points (geometric, no refraction)."""
    from skyfield.api import wgs84

    from .timebase import ephemeris

    eph = ephemeris()
    t = span.skyfield_times(np.asarray(t_s, dtype=float))
    site = eph["earth"] + wgs84.latlon(np.asarray(lat_deg, dtype=float), np.asarray(lon_deg, dtype=float))
    alt, _, _ = site.at(t).observe(eph["sun"]).apparent().altaz()
    return np.asarray(alt.degrees)


def capture_table(rows, workloads=(), rng=None) -> pd.DataFrame:
    """Captures sorted by time with ids; with ``workloads`` and ``rng``, each capture of a class
    with a ``cloudy_fraction`` is drawn cloudy or clear and a cloudy one keeps ``cloudy_value``
    of its value."""
    df = pd.DataFrame(rows, columns=CAPTURE_COLUMNS)
    df = df.sort_values(["time_s", "sat", "workload"], kind="stable").reset_index(drop=True)
    df["capture_id"] = np.arange(len(df), dtype=np.int64)
    cloudy = np.zeros(len(df), bool)
    if rng is not None and len(df):
        p = np.array([w.cloudy_fraction for w in workloads])[df.workload.to_numpy(int)]
        keep = np.array([w.cloudy_value for w in workloads])[df.workload.to_numpy(int)]
        cloudy = rng.uniform(size=len(df)) < p
        df["value"] = np.where(cloudy, df.value.to_numpy(float) * keep, df.value.to_numpy(float))
    df[CLOUD_COLUMN] = cloudy
    return df
