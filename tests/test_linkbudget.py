"""Link budgets against hand calculations, the ACM ladder against the ETSI table, MODCOD steps along a pass
against the analytic crossing times of a straight-line pass, and a pass's capacity against brute force."""

import math

import numpy as np
import pytest

from spaceground.linkbudget import (
    DVBS2_MODCODS,
    acm_ladder,
    acm_rate_bps,
    esn0_db,
    free_space_loss_db,
    range_crossings_s,
    slant_range_m,
    threshold_ranges_m,
)
from spaceground.links import LinkWindows


def test_free_space_loss_and_es_n0_by_hand():
    # The textbook form FSL = 92.45 + 20 log10(d / km) + 20 log10(f / GHz): 1,000 km at 8.1 GHz.
    assert free_space_loss_db(1000e3, 8.1e9) == pytest.approx(92.4478 + 60.0 + 20 * math.log10(8.1), abs=1e-3)
    # 20 dBW EIRP, 1 dB of losses, G/T 31 dB/K, 100 Mbaud: 20 - 170.6175 - 1 + 31 + 228.5991 - 80 = 27.98 dB.
    assert esn0_db(20.0, 1000e3, 8.1e9, 31.0, 100e6, losses_db=1.0) == pytest.approx(27.9816, abs=1e-3)
    # Twice the range: 6.02 dB less.
    d = esn0_db(20.0, 1000e3, 8.1e9, 31.0, 100e6) - esn0_db(20.0, 2000e3, 8.1e9, 31.0, 100e6)
    assert d == pytest.approx(20 * math.log10(2), abs=1e-9)


def test_the_acm_ladder_keeps_the_modcods_worth_choosing():
    thresholds, efficiency, names = acm_ladder()
    assert len(DVBS2_MODCODS) == 28  # ETSI EN 302 307-1, Table 13: 11 QPSK, 6 8PSK, 6 16APSK, 5 32APSK
    assert np.all(np.diff(thresholds) > 0) and np.all(np.diff(efficiency) > 0)
    # QPSK 8/9 (6.20 dB, 1.77) needs more than 8PSK 3/5 (5.50 dB, 1.78) for less; 8PSK 5/6 (9.35 dB) more than
    # 16APSK 2/3 (8.97 dB, 2.64 > 2.48): neither is ever chosen.
    assert "QPSK 8/9" not in names and "8PSK 5/6" not in names and "8PSK 8/9" not in names
    assert names[0] == "QPSK 1/4" and names[-1] == "32APSK 9/10"
    # At QPSK 1/2's threshold exactly it runs; just below, QPSK 2/5; below QPSK 1/4 nothing; a 2 dB margin moves
    # every threshold up.
    rs = 100e6
    assert acm_rate_bps(1.00, rs, acm_ladder()) == pytest.approx(0.988858 * rs)
    assert acm_rate_bps(0.999, rs, acm_ladder()) == pytest.approx(0.789412 * rs)
    assert acm_rate_bps(-2.36, rs, acm_ladder()) == 0.0
    assert acm_rate_bps(3.0, rs, acm_ladder(margin_db=2.0)) == pytest.approx(0.988858 * rs)
    assert acm_rate_bps(40.0, rs, acm_ladder()) == pytest.approx(4.453027 * rs)


def test_slant_range_at_the_zenith_and_the_horizon():
    earth, orbit = 6378137.0, 6378137.0 + 786e3
    assert slant_range_m(math.pi / 2, orbit, earth) == pytest.approx(786e3, abs=1e-6)
    assert slant_range_m(0.0, orbit, earth) == pytest.approx(math.sqrt(orbit**2 - earth**2), abs=1e-6)
    # Law of sines in the triangle: at 10 deg the Earth angle is 90 - 10 - asin(R cos e / r).
    e = math.radians(10.0)
    nadir = math.asin(earth * math.cos(e) / orbit)
    central = math.pi / 2 - e - nadir
    assert slant_range_m(e, orbit, earth) == pytest.approx(orbit * math.sin(central) / math.cos(e), rel=1e-12)


def _straight_pass(closest_m=800e3, speed_m_s=7000.0):
    """A straight-line pass: range sqrt(d0^2 + (v t)^2), closest at t = 0 (analytic crossings)."""
    return lambda t: math.hypot(closest_m, speed_m_s * t), closest_m, speed_m_s


# An X-band radio and station: 18 dBW EIRP, 2 dB of losses, G/T 30 dB/K, 150 Mbaud; ACM with a 1 dB margin.
EIRP_DBW, FREQ_HZ, GT_DB_PER_K, BAUD, LOSSES_DB = 18.0, 8.1e9, 30.0, 150e6, 2.0
LADDER = acm_ladder(margin_db=1.0)
RANGES_M = threshold_ranges_m(EIRP_DBW, FREQ_HZ, GT_DB_PER_K, BAUD, LADDER[0], LOSSES_DB)
HALF_S = 600.0  # the pass from -600 s to 600 s reaches 4,270 km


def _rate_bps(range_m):
    return float(acm_rate_bps(esn0_db(EIRP_DBW, range_m, FREQ_HZ, GT_DB_PER_K, BAUD, LOSSES_DB), BAUD, LADDER))


def test_modcod_steps_along_a_pass_match_the_analytic_crossings_to_a_millisecond():
    rng, d0, v = _straight_pass()
    # Each threshold range is where the budget gives that Es/N0.
    es = esn0_db(EIRP_DBW, RANGES_M, FREQ_HZ, GT_DB_PER_K, BAUD, LOSSES_DB)
    assert np.allclose(es, LADDER[0], atol=1e-9)
    crossed = (RANGES_M > d0) & (RANGES_M < rng(HALF_S))
    assert 3 <= crossed.sum() < len(RANGES_M)  # the pass steps through several MODCODs, not all
    rising = range_crossings_s(rng, 0.0, HALF_S, RANGES_M, tol_s=1e-4)
    falling = range_crossings_s(rng, -HALF_S, 0.0, RANGES_M, tol_s=1e-4)
    exact = np.sqrt(np.maximum(RANGES_M**2 - d0**2, 0.0)) / v
    assert np.all(np.isnan(rising[~crossed])) and np.all(np.isnan(falling[~crossed]))
    assert np.max(np.abs(rising[crossed] - exact[crossed])) < 1e-3
    assert np.max(np.abs(falling[crossed] + exact[crossed])) < 1e-3


def test_a_pass_s_capacity_is_the_integral_of_its_acm_profile():
    # The profile from the crossings, as a link window's rate steps, against the rate integrated every 10 ms.
    rng, _, _ = _straight_pass()
    cuts = np.r_[
        -HALF_S,
        range_crossings_s(rng, -HALF_S, 0.0, RANGES_M, 1e-6),
        range_crossings_s(rng, 0.0, HALF_S, RANGES_M, 1e-6),
    ]
    steps = np.sort(cuts[np.isfinite(cuts)])
    rates = [_rate_bps(rng(t)) for t in np.r_[0.5 * (steps[:-1] + steps[1:]), HALF_S - 1e-6]]
    assert len(set(rates)) >= 3
    window = LinkWindows(["downlink"], [0], [0], [-HALF_S], [HALF_S], steps, rates, [0, len(steps)])
    t = np.arange(-HALF_S, HALF_S, 0.01) + 0.005
    brute = sum(_rate_bps(rng(x)) for x in t) * 0.01 / 8.0
    assert window.capacity_between(0, -HALF_S, HALF_S) == pytest.approx(brute, rel=2e-4)
