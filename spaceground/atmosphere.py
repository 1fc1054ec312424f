"""Atmospheric attenuation of an Earth-space link by the ITU-R recommendations: gases (P.676), clouds (P.840),
rain (P.618 with P.837 and P.839) and tropospheric scintillation (P.618), combined as P.618 section 2.5 does, at a
station for the share of an average year a link may be worse (``exceedance_percent``: 1 for 99 % availability).

The recommendations' maps and procedures are those of the ``itur`` package (Iñigo del Portillo, MIT; its data
files ship in its wheel, so nothing downloads). An attenuation depends on the elevation; :class:`SlantAttenuation`
tabulates it once per station and frequency and interpolates along a pass, vectorised.

Attenuation adds to the free-space loss, so on a link budget it acts as a longer range: A dB more loss is the
range times 10^(A / 20) (free-space loss is 20 log10 of the range). :meth:`SlantAttenuation.effective_range_m`
turns a pass's slant range into that range, which is monotone on each side of the culmination as the range is
(the attenuation falls as the elevation rises), so the MODCOD crossings are still found by root finding on a
range.
"""

from __future__ import annotations

import warnings

import numpy as np

ITU_MIN_ELEVATION_DEG = 5.0  # P.676's slant-path approximation holds from 5 to 90 deg (itur warns below)
TABLE_STEP_DEG = 0.1  # the elevation grid of a station's table [deg]


def slant_attenuation_db(lat_deg, lon_deg, frequency_hz, elevation_deg, exceedance_percent, antenna_diameter_m):
    """Total attenuation of the slant path from a station at ``lat_deg``, ``lon_deg`` at ``elevation_deg`` (array,
    at least 5 deg) exceeded for ``exceedance_percent`` of an average year [dB]: gases, clouds, rain and
    scintillation (ITU-R P.618 section 2.5), by the ``itur`` package."""
    import itur  # (imported only where a scenario asks for ITU-R attenuation: it loads its maps)

    el = np.atleast_1d(np.asarray(elevation_deg, dtype=float))
    if np.any(el < ITU_MIN_ELEVATION_DEG - 1e-9):
        raise ValueError(f"ITU-R slant-path attenuation holds from {ITU_MIN_ELEVATION_DEG:g} deg of elevation up")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        a = itur.atmospheric_attenuation_slant_path(
            lat_deg, lon_deg, frequency_hz / 1e9, el, exceedance_percent, antenna_diameter_m
        )
    return np.asarray(getattr(a, "value", a), dtype=float).reshape(el.shape)


class SlantAttenuation:
    """A station's attenuation against elevation, tabulated every :data:`TABLE_STEP_DEG` from the mask (at least
    5 deg) to 90 deg and interpolated linearly (within 0.01 dB of the recommendation at X-band: tested)."""

    def __init__(self, lat_deg, lon_deg, frequency_hz, exceedance_percent, antenna_diameter_m, min_elevation_deg):
        low = max(ITU_MIN_ELEVATION_DEG, float(min_elevation_deg))
        self.elevation_deg = np.unique(np.r_[np.arange(low, 90.0, TABLE_STEP_DEG), 90.0])
        self.attenuation_db = slant_attenuation_db(
            lat_deg, lon_deg, frequency_hz, self.elevation_deg, exceedance_percent, antenna_diameter_m
        )

    def __call__(self, elevation_deg):
        """Attenuation at ``elevation_deg`` [dB] (held at the table's ends beyond them)."""
        return np.interp(np.asarray(elevation_deg, dtype=float), self.elevation_deg, self.attenuation_db)

    def effective_range_m(self, range_m, elevation_deg):
        """The range at which the clear-sky budget loses as much as the true range plus this attenuation [m]."""
        return np.asarray(range_m, dtype=float) * 10.0 ** (self(elevation_deg) / 20.0)
