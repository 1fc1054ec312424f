"""One satellite's battery, loads, storage and queues, advanced in closed form between events."""

from __future__ import annotations

import math

from ..power import FULL_SUN, ShadowPlan, battery_after_j, energy_floor_j
from ..thermal import heat_in_w, temperature_after_k, time_to_reach_s
from .clock import DUTY_CYCLE_S, EPS_J, EPS_S, _Signal
from .runs import RUN_MIN

EPS_K = 1e-6  # a node this close to a temperature is at it [K]


class Satellite:
    """Battery, loads, storage and queues of one satellite."""

    def __init__(self, env, index, name, hw, segments, records, end_s):
        self.env, self.index, self.name, self.hw, self.records = env, index, name, hw, records
        self._write_energy = records.energy.extend
        # Piecewise-constant sunlit fraction (Python lists: the hot path reads scalars).
        self.seg_t, self.seg_f = segments[0].tolist(), segments[1].tolist()
        self.seg = 0
        self.fraction = self.seg_f[0]  # sunlit fraction now
        self.solar_now_w = hw.solar_w * self.fraction
        self.energy_j = hw.initial_j
        self.battery_j = hw.battery_j
        self.t_last = 0.0
        self.generated_j = self.consumed_j = self.curtailed_j = self.unserved_j = 0.0
        self.bus_w, self.compute_w, self.radio_w, self.laser_w = hw.bus_w, hw.compute_idle_w, 0.0, 0.0  # loads [W]
        self.load_w = self.bus_w + self.compute_w
        self.storage_used = 0.0
        self.onboard_waiting = {}  # capture id -> OnboardJob, in the order queued
        self.onboard_running = None  # OnboardJob of the job on the computer (run_s: what is left)
        self.onboard_left = {}  # capture id -> tera-ops left of a job paused part way
        self.computing = None  # (capture id, since) of the job the computer is running now
        self.compute_busy_s = 0.0  # seconds the computer has run busy, up to the start of the running stretch
        self.tx_left_s = 0.0  # seconds the transmitter (or laser) had left to send when it stopped at the floor
        self.sending = None  # (station, window, session start, bytes sent before, capture id, since, link row) now
        self.run = None  # the run of pieces the transmitter is sending (engine.runs._Run), if any
        self.run_len = RUN_MIN  # how many pieces the next run plans (adapted to how long runs go uncut)
        # The laser sessions this satellite sends in: receiver -> (capture id, since, link row) of the transfer under
        # way, or None between items; ``lasers_on`` of them draw ``laser_w`` now.
        self.laser_sessions = {}
        self.lasers_on = 0
        self.crossing_queue = {}  # capture id -> item dict waiting to cross to another satellite
        self.crossing_added = _Signal(env)
        self.job_added = _Signal(env)
        self.compute_backlog_s = 0.0
        self.downlink_queue = {}  # capture_id -> item dict
        self.queue_version = 0  # counts additions, so a contact asks the policy again
        self.edf = []  # (deadline, capture id) of queued items, for a policy that keeps the default order
        self.power_changed = _Signal(env)
        self.data_added = _Signal(env)
        self.shadows = ShadowPlan(self.seg_t, self.seg_f, end_s)  # the shadow ahead, for the energy floor
        # The thermal node (spaceground.thermal), if the hardware has one: its temperature now, and whether the
        # computer is stopped by heat (from the limit until the node has cooled to the throttle temperature).
        self.thermal = hw.thermal
        self.temperature_k = hw.initial_k
        self.hot = False
        self._write_temperature = records.temperatures.extend
        self._record()

    # --- power -----------------------------------------------------------------------
    def advance(self, now=None):
        if now is None:
            now = self.env.now
        dt = now - self.t_last
        if dt <= 0:
            return
        cooled = False
        if self.thermal:
            self.temperature_k = temperature_after_k(self.temperature_k, dt, self.heat_w(), *self.hw.node)
            cooled = self.hot and self.temperature_k <= self.hw.throttle_k + EPS_K
        self.energy_j, gen, load, curtailed, unserved = battery_after_j(
            self.energy_j, self.solar_now_w, self.load_w, dt, self.battery_j
        )
        self.generated_j += gen
        self.consumed_j += load
        if curtailed:
            self.curtailed_j += curtailed
        elif unserved:
            self.unserved_j += unserved
        self.t_last = now
        if cooled:  # cooled to the throttle temperature: the computer may run again
            self.hot = False
            self._record()

    def set_compute(self, watts):
        if self.compute_w != watts:
            self._set_loads(watts, self.radio_w, self.laser_w)

    def set_radio(self, watts):
        if self.radio_w != watts:
            self._set_loads(self.compute_w, watts, self.laser_w)

    def set_laser(self, watts):
        if self.laser_w != watts:
            self._set_loads(self.compute_w, self.radio_w, watts)

    def _set_loads(self, compute_w, radio_w, laser_w):
        """New computer, transmitter and laser-terminal powers from now on: the battery is advanced, the state
        written, and the loads waiting on the power re-time themselves."""
        self.advance()
        self.compute_w, self.radio_w, self.laser_w = compute_w, radio_w, laser_w
        self.load_w = self.bus_w + compute_w + radio_w + laser_w
        self._record()
        self.power_changed.fire()

    def capture(self, joules, nbytes):
        """Take a capture's impulse of energy and store its bytes; loads already running re-time themselves.
        The battery must have been advanced to now."""
        self.energy_j -= joules
        self.consumed_j += joules
        self.storage_used += nbytes
        self._record()
        self.power_changed.fire()

    def enter_segment(self, i):
        self.advance()
        self.seg = i
        self.fraction = self.seg_f[i]
        self.solar_now_w = self.hw.solar_w * self.fraction
        self._record()
        self.power_changed.fire()

    def floor_j(self, now=None):
        """Energy below which optional loads stop: reserve + bus through the shadow ahead."""
        now = self.env.now if now is None else now
        return energy_floor_j(self.hw.reserve_j, self.hw.bus_w, self.shadows.ahead_in_segment_s(self.seg, now))

    def safe_time(self, extra_w, now):
        """Seconds the current loads plus ``extra_w`` can run from ``now`` before the floor (within this segment)."""
        self.advance(now)
        margin = self.energy_j - self.floor_j(now)
        if margin <= EPS_J:
            return 0.0
        net = self.solar_now_w - self.load_w - extra_w
        if self.fraction < FULL_SUN:
            net += self.hw.bus_w  # the floor itself falls at the bus rate in shadow
        if net >= 0:
            return math.inf
        return margin / -net

    # --- heat ------------------------------------------------------------------------
    def heat_w(self, extra_w=0.0):
        """Heat into the thermal node now, with ``extra_w`` more load [W]."""
        hw = self.hw
        return heat_in_w(self.fraction, hw.absorbed_sun_w, hw.absorbed_earth_w, self.load_w + extra_w)

    def heat_safe_s(self, extra_w):
        """Seconds the computer may run (the current loads plus ``extra_w``) before the node reaches its limit: 0
        while the computer is stopped by heat (it then stays stopped until the node has cooled to the throttle
        temperature); inf without a thermal model or below an equilibrium short of the limit. The node must have
        been advanced to now."""
        if not self.thermal:
            return math.inf
        if self.hot:
            return 0.0
        limit = self.hw.limit_k
        s = (
            0.0
            if self.temperature_k >= limit - EPS_K
            else time_to_reach_s(self.temperature_k, limit, self.heat_w(extra_w), *self.hw.node)
        )
        if s <= EPS_S:  # at the limit: the computer stops until the node has cooled
            self.hot = True
            self._record()
            return 0.0
        return s

    def cool_s(self):
        """Seconds until the node, at the current loads, has cooled to the throttle temperature (0 if the
        computer is not stopped by heat; inf if it never cools that far under these loads)."""
        if not self.hot:
            return 0.0
        return max(EPS_S, time_to_reach_s(self.temperature_k, self.hw.throttle_k, self.heat_w(), *self.hw.node))

    def recharge_s(self, extra_w, run_s):
        """Seconds until the battery, charging at the current loads, holds enough above its floor to
        run ``extra_w`` more for ``min(run_s, DUTY_CYCLE_S)`` (inf if it is not charging or never
        will hold that much); the battery must have been advanced to now."""
        rate = self.solar_now_w - self.load_w
        if self.fraction < FULL_SUN:
            rate += self.hw.bus_w  # the floor falls at the bus rate in shadow
        if rate <= 0:
            return math.inf
        floor = self.floor_j(self.t_last)
        drain_w = self.load_w + extra_w - self.solar_now_w
        need = max(1.0, drain_w * min(run_s, DUTY_CYCLE_S))
        if floor + need > self.battery_j:
            need = max(1.0, self.battery_j - floor - 1.0)  # as much as the battery can hold
            if floor + need > self.battery_j:
                return math.inf
        return max(EPS_S, (floor + need - self.energy_j) / rate)

    def park(self, job, remaining_top):
        """Take the running ``job`` off the computer back to the waiting jobs, with the tera-ops it has left."""
        self.onboard_waiting[job.capture_id], self.onboard_running = job, None
        self.onboard_left[job.capture_id] = remaining_top

    def _record(self):
        """Write the energy and storage state; the battery must have been advanced to now."""
        self._write_energy(
            (
                self.index,
                self.t_last,
                self.energy_j,
                self.generated_j,
                self.consumed_j,
                self.curtailed_j,
                self.unserved_j,
                self.storage_used,
            )
        )
        if self.thermal:
            self._write_temperature((self.index, self.t_last, self.temperature_k, 1.0 if self.hot else 0.0))

    def store(self, nbytes):
        self.advance()
        self.storage_used += nbytes
        self._record()

    def free(self, nbytes, now=None):
        self.advance(now)
        self.storage_used = max(0.0, self.storage_used - nbytes)
        self._record()
