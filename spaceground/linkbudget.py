"""Link budgets: free-space loss, the Es/N0 a radio delivers to a receiver, and the DVB-S2 MODCOD (and so the rate)
that Es/N0 supports, with the times along a pass where the MODCOD changes.

Pure functions of numbers and arrays; SI units, decibels where a name says ``_db``.

The budget (clear sky; atmospheric losses enter as ``losses_db``):

    C/N0 [dB-Hz] = EIRP [dBW] - FSL [dB] - losses [dB] + G/T [dB/K] - 10 log10(k) [dBW/(K Hz)]
    Es/N0 [dB]   = C/N0 - 10 log10(symbol rate)
    FSL [dB]     = 20 log10(4 pi d f / c)

A MODCOD is usable where Es/N0 is at or above its threshold plus the margin; adaptive coding and modulation
(ACM) runs the most efficient usable one, so the rate is its spectral efficiency times the symbol rate. As
Es/N0 falls monotonically with range, each threshold is a range, and the MODCOD steps along a pass where the
slant range crosses those ranges: :func:`range_crossings_s` finds them by root finding on the range, not by
sampling.
"""

from __future__ import annotations

import math

import numpy as np

from .search import golden_min

SPEED_OF_LIGHT_M_S = 299_792_458.0  # exact (SI)
BOLTZMANN_J_PER_K = 1.380649e-23  # exact (SI 2019)
BOLTZMANN_DBW_PER_K_HZ = 10.0 * math.log10(BOLTZMANN_J_PER_K)  # -228.5991

# DVB-S2 MODCODs for normal frames (64,800 bits), no pilots: (name, ideal Es/N0 for quasi-error-free
# reception on AWGN [dB], spectral efficiency [bit/symbol]). ETSI EN 302 307-1 V1.4.1 (2014), Table 13.
DVBS2_MODCODS = (
    ("QPSK 1/4", -2.35, 0.490243),
    ("QPSK 1/3", -1.24, 0.656448),
    ("QPSK 2/5", -0.30, 0.789412),
    ("QPSK 1/2", 1.00, 0.988858),
    ("QPSK 3/5", 2.23, 1.188304),
    ("QPSK 2/3", 3.10, 1.322253),
    ("QPSK 3/4", 4.03, 1.487473),
    ("QPSK 4/5", 4.68, 1.587196),
    ("QPSK 5/6", 5.18, 1.654663),
    ("QPSK 8/9", 6.20, 1.766451),
    ("QPSK 9/10", 6.42, 1.788612),
    ("8PSK 3/5", 5.50, 1.779991),
    ("8PSK 2/3", 6.62, 1.980636),
    ("8PSK 3/4", 7.91, 2.228124),
    ("8PSK 5/6", 9.35, 2.478562),
    ("8PSK 8/9", 10.69, 2.646012),
    ("8PSK 9/10", 10.98, 2.679207),
    ("16APSK 2/3", 8.97, 2.637201),
    ("16APSK 3/4", 10.21, 2.966728),
    ("16APSK 4/5", 11.03, 3.165623),
    ("16APSK 5/6", 11.61, 3.300184),
    ("16APSK 8/9", 12.89, 3.523143),
    ("16APSK 9/10", 13.13, 3.567342),
    ("32APSK 3/4", 12.73, 3.703295),
    ("32APSK 4/5", 13.64, 3.951571),
    ("32APSK 5/6", 14.28, 4.119540),
    ("32APSK 8/9", 15.69, 4.397854),
    ("32APSK 9/10", 16.05, 4.453027),
)

# DVB-S2X MODCODs added for normal frames (64,800 bits): (name, ideal Es/N0 on AWGN [dB], spectral efficiency
# [bit/symbol]). ETSI EN 302 307-2 V1.1.1 (2014), Table 20a; "-L" marks the MODCODs designed for linear
# channels. A radio with ``acm_table: dvb-s2x`` uses these beside the DVB-S2 ones.
DVBS2X_MODCODS = (
    ("QPSK 2/9", -2.85, 0.434841),
    ("QPSK 13/45", -2.03, 0.567805),
    ("QPSK 9/20", 0.22, 0.889135),
    ("QPSK 11/20", 1.45, 1.088581),
    ("8APSK 5/9-L", 4.73, 1.647211),
    ("8APSK 26/45-L", 5.13, 1.713601),
    ("8PSK 23/36", 6.12, 1.896173),
    ("8PSK 25/36", 7.02, 2.062148),
    ("8PSK 13/18", 7.49, 2.145136),
    ("16APSK 1/2-L", 5.97, 1.972253),
    ("16APSK 8/15-L", 6.55, 2.104850),
    ("16APSK 5/9-L", 6.84, 2.193247),
    ("16APSK 26/45", 7.51, 2.281645),
    ("16APSK 3/5", 7.80, 2.370043),
    ("16APSK 3/5-L", 7.41, 2.370043),
    ("16APSK 28/45", 8.10, 2.458441),
    ("16APSK 23/36", 8.38, 2.524739),
    ("16APSK 2/3-L", 8.43, 2.635236),
    ("16APSK 25/36", 9.27, 2.745734),
    ("16APSK 13/18", 9.71, 2.856231),
    ("16APSK 7/9", 10.65, 3.077225),
    ("16APSK 77/90", 11.99, 3.386618),
    ("32APSK 2/3-L", 11.10, 3.289502),
    ("32APSK 32/45", 11.75, 3.510192),
    ("32APSK 11/15", 12.17, 3.620536),
    ("32APSK 7/9", 13.05, 3.841226),
    ("64APSK 32/45-L", 13.98, 4.206428),
    ("64APSK 11/15", 14.81, 4.338659),
    ("64APSK 7/9", 15.47, 4.603122),
    ("64APSK 4/5", 15.87, 4.735354),
    ("64APSK 5/6", 16.55, 4.933701),
    ("128APSK 3/4", 17.73, 5.163248),
    ("128APSK 7/9", 18.53, 5.355556),
    ("256APSK 29/45-L", 16.98, 5.065690),
    ("256APSK 2/3-L", 17.24, 5.241514),
    ("256APSK 31/45-L", 18.10, 5.417338),
    ("256APSK 32/45", 18.59, 5.593162),
    ("256APSK 11/15-L", 18.84, 5.768987),
    ("256APSK 3/4", 19.57, 5.900855),
)
SHANNON_STEP_RATIO = 1.01  # each step of the Shannon staircase is 1 % more efficient than the one below


def shannon_steps(ratio=SHANNON_STEP_RATIO, lowest_bit_per_symbol=0.01, highest_bit_per_symbol=12.0):
    """The Shannon capacity B log2(1 + C/N) as a ladder in the shape of :data:`DVBS2_MODCODS`: spectral efficiencies
    growing by ``ratio`` from ``lowest_bit_per_symbol``, each usable from the C/N where capacity reaches it,
    10 log10(2^eta - 1) [dB]. With the symbol rate as the noise bandwidth (Es/N0 = C/N), ACM on this ladder runs
    at most ``ratio - 1`` below the capacity, at any C/N whose capacity is between the two limits. Studies that
    model the link as ideal (e.g. Denby and Lucia, ASPLOS 2020) use the capacity itself."""
    count = int(math.floor(math.log(highest_bit_per_symbol / lowest_bit_per_symbol) / math.log(ratio))) + 1
    efficiency = lowest_bit_per_symbol * ratio ** np.arange(count)
    threshold_db = 10.0 * np.log10(np.expm1(efficiency * math.log(2.0)))
    return tuple((f"Shannon {e:.4f} bit/symbol", float(t), float(e)) for e, t in zip(efficiency, threshold_db))


ACM_TABLES = {"dvb-s2": DVBS2_MODCODS, "dvb-s2x": DVBS2_MODCODS + DVBS2X_MODCODS, "shannon": shannon_steps()}


def free_space_loss_db(range_m, frequency_hz):
    """Free-space path loss 20 log10(4 pi d f / c) [dB]."""
    return 20.0 * np.log10(4.0 * math.pi * np.asarray(range_m, dtype=float) * float(frequency_hz) / SPEED_OF_LIGHT_M_S)


def esn0_db(eirp_dbw, range_m, frequency_hz, gt_db_per_k, symbol_rate_baud, losses_db=0.0):
    """Es/N0 at the receiver [dB] of a transmitter of ``eirp_dbw`` at ``range_m`` (module docstring)."""
    cn0 = eirp_dbw - free_space_loss_db(range_m, frequency_hz) - losses_db + gt_db_per_k - BOLTZMANN_DBW_PER_K_HZ
    return cn0 - 10.0 * math.log10(float(symbol_rate_baud))


def acm_ladder(modcods=DVBS2_MODCODS, margin_db=0.0):
    """The MODCODs ACM uses, as (thresholds [dB], spectral efficiencies [bit/symbol], names), both ascending:
    the table less every MODCOD that needs more Es/N0 than one at least as efficient (never chosen); each
    threshold includes ``margin_db``."""
    rows = sorted(modcods, key=lambda m: (m[1], -m[2]))
    kept = []
    for name, threshold, efficiency in rows:
        if kept and efficiency <= kept[-1][2]:
            continue
        kept.append((name, threshold, efficiency))
    return (
        np.array([t + margin_db for _, t, _ in kept]),
        np.array([e for _, _, e in kept]),
        tuple(n for n, _, _ in kept),
    )


def acm_rate_bps(esn0, symbol_rate_baud, ladder):
    """The rate ACM runs at ``esn0`` [dB]: the most efficient usable MODCOD's efficiency x the symbol rate
    (0 below the lowest threshold). ``ladder``: :func:`acm_ladder`."""
    thresholds, efficiency, _ = ladder
    i = np.searchsorted(thresholds, np.asarray(esn0, dtype=float), side="right") - 1
    return np.where(i >= 0, efficiency[np.maximum(i, 0)] * float(symbol_rate_baud), 0.0)


def threshold_ranges_m(eirp_dbw, frequency_hz, gt_db_per_k, symbol_rate_baud, thresholds_db, losses_db=0.0):
    """The slant range at which Es/N0 equals each threshold [m] (Es/N0 falls as 20 log10 of the range)."""
    at_1m = esn0_db(eirp_dbw, 1.0, frequency_hz, gt_db_per_k, symbol_rate_baud, losses_db)
    return 10.0 ** ((at_1m - np.asarray(thresholds_db, dtype=float)) / 20.0)


def range_crossings_s(range_m, t0_s, t1_s, target_m, tol_s=1e-3):
    """Times in [t0, t1] where ``range_m(t)`` (vectorised: an array of times in, ranges out; monotone on the
    interval) equals ``target_m``: each target's crossing by bisection to ``tol_s`` on the bracketing sign
    change, all targets at once, NaN where it is not crossed. Call it on each side of a pass's closest approach."""
    targets = np.atleast_1d(np.asarray(target_m, dtype=float))
    r0, r1 = (float(x) for x in range_m(np.array([t0_s, t1_s], dtype=float)))
    out = np.full(len(targets), np.nan)
    inside = (np.minimum(r0, r1) <= targets) & (targets <= np.maximum(r0, r1))
    if not inside.any():
        return out
    want = targets[inside]
    lo = np.full(len(want), float(t0_s))
    hi = np.full(len(want), float(t1_s))
    rising = r1 >= r0
    for _ in range(max(1, math.ceil(math.log2(max(t1_s - t0_s, tol_s) / tol_s)))):
        mid = 0.5 * (lo + hi)
        below = np.asarray(range_m(mid), dtype=float) < want  # short of the target range
        move_lo = below if rising else ~below
        lo = np.where(move_lo, mid, lo)
        hi = np.where(move_lo, hi, mid)
    out[inside] = 0.5 * (lo + hi)
    return out


def closest_approach_s(range_m, t0_s, t1_s, tol_s=1e-3):
    """When ``range_m`` (vectorised, with one minimum on [t0, t1], as a pass has) is least, by golden-section
    search to ``tol_s``."""
    return golden_min(range_m, t0_s, t1_s, tol_s)


def acm_steps(range_m, start_s, end_s, rate_of_range_bps, threshold_ranges, tol_s=1e-3):
    """The piecewise-constant ACM rate of a pass from ``start_s`` to ``end_s``: (step starts [s], rates [bit/s]),
    the first step at ``start_s``. Steps fall where the slant range crosses a threshold range (found on each
    side of the closest approach); each step's rate is ``rate_of_range_bps`` at its middle; equal neighbours
    merge."""
    tca = closest_approach_s(range_m, start_s, end_s, tol_s)
    cuts = [start_s]
    for a, b in ((start_s, tca), (tca, end_s)):
        if b - a > tol_s:
            found = range_crossings_s(range_m, a, b, threshold_ranges, tol_s)
            cuts += [float(x) for x in found if np.isfinite(x) and start_s + tol_s < x < end_s - tol_s]
    cuts = np.unique(np.asarray(cuts, dtype=float))
    ends = np.r_[cuts[1:], end_s]
    rates = np.asarray(rate_of_range_bps(range_m(0.5 * (cuts + ends))), dtype=float)
    keep = np.r_[True, rates[1:] != rates[:-1]]
    return cuts[keep], rates[keep]


def slant_range_m(elevation_rad, orbit_radius_m, earth_radius_m):
    """Slant range from a station on a sphere of ``earth_radius_m`` to a satellite at ``orbit_radius_m`` seen at
    ``elevation_rad`` [m] (the law of cosines in the station-centre-satellite triangle)."""
    e = np.asarray(elevation_rad, dtype=float)
    return np.sqrt(orbit_radius_m**2 - (earth_radius_m * np.cos(e)) ** 2) - earth_radius_m * np.sin(e)
