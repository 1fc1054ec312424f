"""Heat in the engine: the satellite's lumped thermal node between every two records against an independent
fourth-order Runge-Kutta integration, the throttle's rules (the computer stops at the limit and resumes once cooled
to the throttle temperature), long jobs slowed in sunlight and not in shadow, and the policies' onboard estimate
with heat against the engine."""

import math

import numpy as np
import pytest

from spaceground.api import run_scenario
from spaceground.constants import ZERO_CELSIUS_K
from spaceground.thermal import STEFAN_BOLTZMANN_W_M2_K4, throttle_duty, time_to_reach_s

from .test_engine import tiny

C_J_PER_K, RADIATOR_M2, EMISSIVITY, SUN_W, EARTH_W = 3000.0, 0.1, 0.85, 30.0, 6.0
BUS_W, BUSY_W, THROTTLE_C, LIMIT_C = 7.0, 40.0, 45.0, 55.0
# Energy never binds (a large array and battery) and the loads are the bus and the computer only (no transmitter
# or capture energy), so the energy table gives the heat between records: the load is d(consumed)/dt, the sunlit
# fraction d(generated)/dt over the array. Busy in sunlight the node heads for 89 degC (beyond the limit); idle in
# sunlight for 29 degC (below the throttle temperature); busy in shadow for 51 degC (short of the limit).
HARDWARE = (
    f"solar_w: 400, battery_wh: 2000, bus_w: {BUS_W}, capture_j: 0, tx_w: 0, compute_busy_w: {BUSY_W}, "
    f"compute_idle_w: 0, heat_capacity_j_per_k: {C_J_PER_K}, radiator_m2: {RADIATOR_M2}, emissivity: {EMISSIVITY}, "
    f"absorbed_sun_w: {SUN_W}, absorbed_earth_w: {EARTH_W}, initial_c: 20, throttle_c: {THROTTLE_C}, "
    f"limit_c: {LIMIT_C}"
)
HEAVY = """  - name: heavy
    trigger: {rate_per_sat_per_h: 2}
    daylight_only: false
    raw_mb: 100
    product_mb: 1
    compute_top: 200000
    deadline_min: 1440
"""


def _rk4_k(from_k, dt_s, heat_w, step_s=1.0):
    """The node integrated numerically, independent of the closed form."""
    k = EMISSIVITY * STEFAN_BOLTZMANN_W_M2_K4 * RADIATOR_M2

    def rate(t_k):
        return (heat_w - k * t_k**4) / C_J_PER_K

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


@pytest.fixture(scope="module")
def hot_run():
    return run_scenario(tiny("onboard-first", hours=12, hardware=HARDWARE, extra=HEAVY))


def _history(res):
    """The energy and temperature records side by side (written together), with the load and the sunlit fraction
    of the interval each row starts."""
    e = res.energy.reset_index(drop=True)
    h = res.temperatures.reset_index(drop=True)
    assert len(e) == len(h) and (e.time_utc.to_numpy() == h.time_utc.to_numpy()).all()
    t = (e.time_utc - e.time_utc.iloc[0]).dt.total_seconds().to_numpy()
    dt = np.diff(t)
    with np.errstate(invalid="ignore", divide="ignore"):
        load_w = np.diff(e.consumed_wh.to_numpy()) * 3600.0 / dt
        sunlit = np.diff(e.generated_wh.to_numpy()) * 3600.0 / dt / 400.0
    temp_k = h.temperature_c.to_numpy() + ZERO_CELSIUS_K
    return t, dt, load_w, sunlit, temp_k, h.throttled.to_numpy(bool)


def test_the_node_follows_an_independent_integration_between_every_two_records(hot_run):
    t, dt, load_w, sunlit, temp_k, _ = _history(hot_run)
    steps = np.flatnonzero(dt > 1e-3)
    assert len(steps) > 50
    worst = 0.0
    for i in steps:
        heat_w = SUN_W * sunlit[i] + EARTH_W + load_w[i]
        worst = max(worst, abs(_rk4_k(temp_k[i], dt[i], heat_w, step_s=min(5.0, dt[i])) - temp_k[i + 1]))
    assert worst < 0.01  # the issue asks for 0.1 K


def test_the_computer_stops_at_the_limit_and_resumes_at_the_throttle_temperature(hot_run):
    t, dt, load_w, sunlit, temp_k, throttled = _history(hot_run)
    limit_k, throttle_k = LIMIT_C + ZERO_CELSIUS_K, THROTTLE_C + ZERO_CELSIUS_K
    starts = np.flatnonzero(throttled[1:] & ~throttled[:-1]) + 1
    ends = np.flatnonzero(~throttled[1:] & throttled[:-1]) + 1
    assert len(starts) >= 3 and len(ends) >= 3
    assert np.allclose(temp_k[starts], limit_k, atol=1e-4)  # stopped at the limit
    assert np.allclose(temp_k[ends], throttle_k, atol=1e-4)  # resumed at the throttle temperature
    busy = load_w > BUS_W + 1.0  # the computer draws its busy power in these intervals
    assert busy.any() and not (busy & throttled[:-1]).any()  # never busy while stopped by heat
    assert temp_k.max() <= limit_k + 1e-4  # busy or idle, the node never passes the limit here
    # Throttled hours in the metrics are the stopped intervals of the table.
    stopped_s = float(dt[throttled[:-1]].sum()) + (hot_run.metrics["throttled_h"] * 0 if throttled[-1] else 0.0)
    if not throttled[-1]:
        assert hot_run.metrics["throttled_h"] == pytest.approx(stopped_s / 3600.0, rel=1e-9)
    assert hot_run.metrics["max_temperature_c"] == pytest.approx(temp_k.max() - ZERO_CELSIUS_K)


def test_long_jobs_slow_down_in_sunlight_and_not_in_shadow(hot_run):
    t, dt, load_w, sunlit, temp_k, throttled = _history(hot_run)
    busy = load_w > BUS_W + 1.0
    sun, shade = sunlit > 0.999, sunlit < 0.001
    # In shadow the computer never reaches its limit (busy there the node heads for 51 degC, short of it): it is
    # stopped only while it cools from a stop begun in sunlight, and then runs all the time.
    starts = np.flatnonzero(throttled[1:] & ~throttled[:-1]) + 1
    assert (sunlit[starts - 1] > 0.999).all()
    stopped = throttled[:-1]
    work_left = ~(busy | stopped)  # idle and not stopped: no job waiting
    share_sun = dt[busy & sun].sum() / dt[sun & ~work_left].sum()
    assert dt[busy & shade].sum() == pytest.approx(dt[shade & ~work_left & ~stopped].sum())
    assert dt[shade & stopped].sum() < dt[shade & busy].sum()
    # In sunlight, once in the band, the computer runs the throttle duty of the time (the start of the run, before
    # the node first reaches its limit, runs at full speed: a little above it).
    k_sun = SUN_W + EARTH_W + BUS_W
    duty = throttle_duty(k_sun + BUSY_W, k_sun, THROTTLE_C + 273.15, LIMIT_C + 273.15, C_J_PER_K, EMISSIVITY, 0.1)
    assert 0.2 < duty < 0.8
    assert duty - 0.02 < share_sun < duty + 0.15
    # A job takes longer than its 2,000 s at full speed.
    w = hot_run.workloads.dropna(subset=["onboard_end_utc"])
    run_s = (w.onboard_end_utc - w.onboard_start_utc).dt.total_seconds()
    assert run_s.max() > 2000.0 * 1.2


def test_throttle_duty_is_the_cycle_of_the_integrated_node():
    # The node cycled between 45 and 55 degC (busy up, idle down) by the integrator: the share of busy time.
    busy_w, idle_w = 83.0, 43.0
    lo, hi = THROTTLE_C + 273.15, LIMIT_C + 273.15
    up = time_to_reach_s(lo, hi, busy_w, C_J_PER_K, EMISSIVITY, RADIATOR_M2)
    down = time_to_reach_s(hi, lo, idle_w, C_J_PER_K, EMISSIVITY, RADIATOR_M2)

    # Independent: step the integrator until each crossing.
    def crossing_s(from_k, to_k, heat_w):
        t, temp = 0.0, from_k
        while (temp < to_k) == (from_k < to_k):
            temp = _rk4_k(temp, 0.5, heat_w, step_s=0.5)
            t += 0.5
        return t

    assert crossing_s(lo, hi, busy_w) == pytest.approx(up, abs=1.0)
    assert crossing_s(hi, lo, idle_w) == pytest.approx(down, abs=1.0)
    duty = throttle_duty(busy_w, idle_w, lo, hi, C_J_PER_K, EMISSIVITY, RADIATOR_M2)
    assert duty == pytest.approx(up / (up + down))
    # A node whose busy equilibrium is short of the limit runs all the time; one that cannot cool to the throttle
    # temperature idle never resumes.
    assert throttle_duty(40.0, 20.0, lo, hi, C_J_PER_K, EMISSIVITY, RADIATOR_M2) == 1.0
    assert throttle_duty(200.0, 120.0, lo, hi, C_J_PER_K, EMISSIVITY, RADIATOR_M2) == 0.0
    assert math.isinf(time_to_reach_s(hi, lo, 120.0, C_J_PER_K, EMISSIVITY, RADIATOR_M2))


def test_the_onboard_estimate_with_heat_is_the_engines_cycle():
    # In full sun with energy to spare, from the throttle temperature: the engine runs up to the limit (t_up),
    # stops until cooled (t_down), and so on; n rises of work take n t_up + (n - 1) t_down. The policies' fluid
    # estimate runs at full speed to the limit, then at the duty t_up / (t_up + t_down): the same, at every
    # cycle's end.
    from spaceground.model import SatelliteHardware
    from spaceground.policies.planning import SatelliteTimeline, onboard_finish_s

    from .test_policies import hardware, plan

    hw = hardware(
        solar_w=400.0,
        battery_j=2000 * 3600.0,
        bus_w=BUS_W,
        compute_busy_w=BUSY_W,
        compute_idle_w=0.0,
        heat_capacity_j_per_k=C_J_PER_K,
        radiator_m2=RADIATOR_M2,
        emissivity=EMISSIVITY,
        absorbed_sun_w=SUN_W,
        absorbed_earth_w=EARTH_W,
        throttle_k=THROTTLE_C + ZERO_CELSIUS_K,
        limit_k=LIMIT_C + ZERO_CELSIUS_K,
    )
    assert isinstance(hw, SatelliteHardware) and hw.thermal
    tl = SatelliteTimeline(plan([(100.0, 200.0)], hw=hw, duration_s=200_000.0).satellites[0], 200_000.0)
    lo, hi = THROTTLE_C + ZERO_CELSIUS_K, LIMIT_C + ZERO_CELSIUS_K
    q_idle = SUN_W + EARTH_W + BUS_W
    t_up = time_to_reach_s(lo, hi, q_idle + BUSY_W, C_J_PER_K, EMISSIVITY, RADIATOR_M2)
    t_down = time_to_reach_s(hi, lo, q_idle, C_J_PER_K, EMISSIVITY, RADIATOR_M2)
    energy = 1500 * 3600.0
    for n in (1, 2, 5):
        got = onboard_finish_s(tl, 0.0, energy, n * t_up, temperature_k=lo)
        assert got == pytest.approx(n * t_up + (n - 1) * t_down, rel=1e-9)
    # Stopped by heat at the limit: the work starts at the duty at once.
    duty = t_up / (t_up + t_down)
    assert onboard_finish_s(tl, 0.0, energy, 100.0, temperature_k=hi, throttled=True) == pytest.approx(100.0 / duty)
    # Without a temperature (a policy's view of a satellite with no thermal model) the computer runs at full speed.
    assert onboard_finish_s(tl, 0.0, energy, 3 * t_up) == pytest.approx(3 * t_up)


@pytest.mark.parametrize(
    "extra, words",
    [
        ("throttle_c: 60, limit_c: 60", r"throttle_c 60.0 is not below limit_c 60.0"),
        ("initial_c: 70, limit_c: 60", r"initial_c 70.0 is not below limit_c 60.0"),
    ],
)
def test_a_thermal_node_with_its_temperatures_in_the_wrong_order_is_refused(extra, words):
    from spaceground.scenario import ScenarioError
    from spaceground.simulate import prepare

    with pytest.raises(ScenarioError, match=words) as err:
        prepare(tiny(hardware=f"heat_capacity_j_per_k: 9000, {extra}"))
    assert "tiny.yaml" in str(err.value) and "SENTINEL-2A" in str(err.value)


def test_the_sunlight_only_estimate_with_heat_by_hand():
    # Sunlit for 20,000 s, then shadow. From the throttle temperature: full speed to the limit (t_up), then the
    # duty; in shadow nothing (the work waits for sunlight). Without a temperature: the duty from the start.
    from spaceground.policies.pace import sunlit_time_after
    from spaceground.policies.planning import SatelliteTimeline

    from .test_policies import hardware, plan

    hw = hardware(
        solar_w=400.0,
        battery_j=2000 * 3600.0,
        bus_w=BUS_W,
        compute_busy_w=BUSY_W,
        heat_capacity_j_per_k=C_J_PER_K,
        radiator_m2=RADIATOR_M2,
        emissivity=EMISSIVITY,
        absorbed_sun_w=SUN_W,
        absorbed_earth_w=EARTH_W,
        throttle_k=THROTTLE_C + ZERO_CELSIUS_K,
        limit_k=LIMIT_C + ZERO_CELSIUS_K,
    )
    segments = ((0.0, 20_000.0, 30_000.0), (1.0, 0.0, 1.0))
    tl = SatelliteTimeline(plan([(100.0, 200.0)], hw=hw, segments=segments, duration_s=90_000.0).satellites[0], 9e4)
    lo, hi = THROTTLE_C + ZERO_CELSIUS_K, LIMIT_C + ZERO_CELSIUS_K
    q_idle = SUN_W + EARTH_W + BUS_W
    t_up = time_to_reach_s(lo, hi, q_idle + BUSY_W, C_J_PER_K, EMISSIVITY, RADIATOR_M2)
    t_down = time_to_reach_s(hi, lo, q_idle, C_J_PER_K, EMISSIVITY, RADIATOR_M2)
    duty = t_up / (t_up + t_down)
    assert sunlit_time_after(tl, 0.0, 0.5 * t_up, heat=True, temperature_k=lo) == pytest.approx(0.5 * t_up)
    work = t_up + 0.2 * duty * (20_000.0 - t_up)
    assert sunlit_time_after(tl, 0.0, work, heat=True, temperature_k=lo) == pytest.approx(
        t_up + 0.2 * (20_000.0 - t_up)
    )
    assert sunlit_time_after(tl, 0.0, 1000.0, heat=True) == pytest.approx(1000.0 / duty)  # the sustained pace
    assert sunlit_time_after(tl, 0.0, 1000.0) == pytest.approx(1000.0)  # heat left out
    # Work left at the shadow waits for the sunlight after it; the node, stopped at the limit, cools in the
    # 10,000 s of shadow below the throttle temperature and runs at full speed again.
    left = 0.5 * t_up
    done_in_sun = duty * 20_000.0
    assert sunlit_time_after(tl, 0.0, done_in_sun + left, heat=True, throttled=True, temperature_k=hi) == (
        pytest.approx(30_000.0 + left)
    )


def test_the_temperature_figure_draws_the_table_and_the_limits(tmp_path):
    from spaceground.plotting import FIGURES, figures_of
    from spaceground.results import read_run

    out = str(tmp_path / "hot")
    run_scenario(tiny("onboard-first", hours=12, hardware=HARDWARE, extra=HEAVY), output=out)
    figs = figures_of(out)
    assert "temperatures" in FIGURES and "temperatures" in figs
    ax = figs["temperatures"].axes[0]
    h = read_run(out).temperatures
    line = next(a for a in ax.lines if a.get_gid() == "temperature:SENTINEL-2A")
    assert np.allclose(line.get_ydata(), h.temperature_c.to_numpy())
    levels = {round(float(a.get_ydata()[0]), 6) for a in ax.lines if a.get_linestyle() in ("--", ":")}
    assert levels == {LIMIT_C, THROTTLE_C}
    assert "1 of 1 satellites" in ax.get_title()
