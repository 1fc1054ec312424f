"""Earth orientation over a span: UT1, polar motion and the TEME convention, tabulated.

Everything that turns SGP4's TEME vectors into Earth-fixed ITRF ones varies slowly
except the sidereal angle, so it is tabulated hourly over the span (padded by an
hour each side) and interpolated linearly; the sidereal angle GMST82 is computed
exactly at every instant from UT1.

Sources (all packaged, nothing downloaded): UT1 - UTC and polar motion from the IERS
``finals2000A.all`` of ``astropy-iers-data`` (see :mod:`spaceground.timebase`);
precession and nutation from ERFA (IAU 1976/1980) and Skyfield (IAU 2006/2000A).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ._kernels import interp_rows
from .constants import ARCSEC_TO_RAD, SECONDS_PER_DAY
from .errors import EarthOrientationWarning
from .frames import gmst82_rad, rotation_z, teme_correction_rad, teme_to_gcrs_matrix, teme_to_itrf
from .timebase import finals_table

TABLE_STEP_S = 3600.0


class EarthOrientation:
    """Tabulated Earth orientation of a :class:`~spaceground.timebase.Span`."""

    def __init__(self, span):
        self.span = span
        self.t_s = np.arange(-TABLE_STEP_S, span.duration_s + 2 * TABLE_STEP_S, TABLE_STEP_S)
        t = span.skyfield_times(self.t_s)
        self.dut1_s = np.asarray(t.dut1, dtype=float)
        table = finals_table()
        mjd = table["utc_mjd"]
        whole, frac = span.jd_utc(self.t_s)
        utc_mjd = whole + frac - 2400000.5
        if utc_mjd[-1] > mjd[-1] or utc_mjd[0] < mjd[0]:
            last = pd.Timestamp("1858-11-17", tz="UTC") + pd.Timedelta(days=float(mjd[-1]))
            warnings.warn(
                f"the span {span.start.date()}..{span.end.date()} runs beyond the Earth-orientation table "
                f"(IERS finals2000A of astropy-iers-data, predictions end {last.date()}); polar motion is held "
                "at its last value and UT1 follows Skyfield's long-term model, which moves ground positions by "
                "metres to kilometres; upgrade astropy-iers-data (pip install -U astropy-iers-data)",
                EarthOrientationWarning,
                stacklevel=3,
            )
        self.xp_rad = np.interp(utc_mjd, mjd, table["x_arcseconds"]) * ARCSEC_TO_RAD
        self.yp_rad = np.interp(utc_mjd, mjd, table["y_arcseconds"]) * ARCSEC_TO_RAD
        self.teme_to_gcrs = teme_to_gcrs_matrix(t.whole, t.tt_fraction)
        gast_rad = np.asarray(t.gast) * (2.0 * np.pi / 24.0)
        gcrs_to_tirs = rotation_z(gast_rad) @ np.moveaxis(np.asarray(t.M), -1, 0)
        theta, _ = gmst82_rad(t.whole, t.ut1_fraction)
        self.teme_correction_rad = teme_correction_rad(self.teme_to_gcrs, gcrs_to_tirs, theta)

    def _interpolate(self, table, t_s):
        """Linear interpolation of the rows of ``table`` (uniform hourly grid) at ``t_s``."""
        t_s = np.asarray(t_s, dtype=float)
        flat = np.ascontiguousarray(table.reshape(table.shape[0], -1))
        out = interp_rows(flat, float(self.t_s[0]), TABLE_STEP_S, np.ascontiguousarray(t_s.ravel()))
        return out.reshape(t_s.shape + table.shape[1:])

    def at(self, t_s):
        """UT1-UTC [s], polar motion x, y [rad] and TEME correction (n, 3) [rad] at ``t_s``."""
        values = self._interpolate(self._table, t_s)
        return values[..., 0], values[..., 1], values[..., 2], values[..., 3:6]

    @property
    def _table(self):
        table = getattr(self, "_packed", None)
        if table is None:
            table = np.column_stack([self.dut1_s, self.xp_rad, self.yp_rad, self.teme_correction_rad])
            self._packed = table
        return table

    def sidereal(self, t_s):
        """GMST82 [rad] and its rate [rad/s] at ``t_s`` (from UT1)."""
        jd_w, jd_f = self.span.jd_utc(t_s)
        dut1, _, _, _ = self.at(t_s)
        return gmst82_rad(jd_w, jd_f + dut1 / SECONDS_PER_DAY)

    def teme_to_itrf(self, r_teme_m, v_teme_m_s, t_s):
        """ITRF states from TEME ones at times ``t_s``; the time axis is the second-last one."""
        t_s = np.asarray(t_s, dtype=float)
        theta, theta_dot = self.sidereal(t_s)
        _, xp, yp, corr = self.at(t_s)
        return teme_to_itrf(r_teme_m, v_teme_m_s, theta, theta_dot, xp, yp, corr)

    def gcrs_to_teme(self, vectors_gcrs, t_s):
        """Rotate GCRS vectors (n, 3) at times ``t_s`` (n,) into TEME (matrices interpolated)."""
        m = self._interpolate(self.teme_to_gcrs, t_s)
        return np.einsum("nji,nj->ni", m, vectors_gcrs)
