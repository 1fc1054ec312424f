"""``lookahead``: route each capture by estimating every route from the contact and eclipse plan.

For a capture it estimates, from the known contact windows, the sunlight ahead and the
current state (queues, battery, data-centre load):

* **ground**: when the raw capture would be down (earliest-deadline-first behind the
  queued items due before it), then backhaul, queue and processing in the best data
  centre from the station of that window;
* **onboard**: when the onboard computer would finish (behind its backlog), whether the
  battery can pay for it and still carry the bus through the next shadow above the
  reserve, and when the product would be down.

It takes a route that meets the deadline; when both do, the onboard one if the downlink
is contended (queued plus expected raw bytes exceed what the contacts carry before the
deadline), else the one of least weighted cost (scenario ``objective``), then the
earlier. A capture that can meet its deadline by neither route is dropped at once,
freeing storage and downlink for others. Scarcity prices (a small LP over the captures
to come) weigh what each route uses; one they leave at the margin still goes raw if its
own contact will have room for it. Downlinks go earliest deadline first, except
that items which can no longer make it yield to the others, lowest value per byte
first (a weighted Moore-Hodgson rule); onboard jobs likewise, a job whose turn would
make a later one late yielding, lowest value per second of computing first.
"""

from __future__ import annotations

import math

import numpy as np

from ..power import FULL_SUN
from . import GROUND, ONBOARD, UNREACHABLE, drop, register
from .lp import solve_lp
from .pace import sunlit_time_after
from .passes import FreePassFirst
from .planning import (
    PlanningPolicy,
    choose_datacenter,
    edf_with_yield,
    live_backlog_bytes,
    next_shadow_s,
    onboard_finish_s,
    yield_until_in_time,
)
from .routes import relay

URGENT_SLACK_S = 600.0  # a job is urgent if, waiting for sunlight, it would end this close to its deadline
PRIOR_UNTIL = 20  # captures seen before the sample alone stands for those to come


@register("lookahead")
class Lookahead(PlanningPolicy):
    """Route each capture by its estimated completion and cost over every route (module docstring)."""

    def __init__(
        self,
        energy_margin=0.05,
        pricing=True,
        reprice_every=10,
        history=200,
        tie=0.05,
        shadow_min_soc=0.9,
        tie_rule="auto",
        surplus_only=True,
        margin_split=True,
        raw_slack_s=1800.0,
        room_sigma=2.0,
    ):
        if not 0 <= energy_margin < 1:
            raise ValueError(f"energy_margin must be in [0, 1), got {energy_margin}")
        self.energy_margin = float(energy_margin)
        self.pricing, self.reprice_every, self.history = bool(pricing), int(reprice_every), int(history)
        self.tie = float(tie)  # scores closer than this share of the value are a tie
        if tie_rule not in ("split", "slack", "auto"):
            raise ValueError(f"tie_rule must be 'auto', 'split' or 'slack', got {tie_rule!r}")
        self.tie_rule = tie_rule
        self.surplus_only = bool(surplus_only)
        self.margin_split = bool(margin_split)
        if raw_slack_s < 0:
            raise ValueError(f"raw_slack_s must be >= 0, got {raw_slack_s}")
        self.raw_slack_s = float(raw_slack_s)
        if room_sigma < 0:
            raise ValueError(f"room_sigma must be >= 0, got {room_sigma}")
        self.room_sigma = float(room_sigma)
        if not 0 <= shadow_min_soc <= 1:
            raise ValueError(f"shadow_min_soc must be in [0, 1], got {shadow_min_soc}")
        self.shadow_min_soc = float(shadow_min_soc)

    def start(self, plan):
        super().start(plan)
        self.prices = [
            ScarcityPrices(tl, plan.duration_s, self.history, self._live, class_mix(plan, sp, tl))
            for sp, tl in zip(plan.satellites, self.tl)
        ]
        self.energy_short = [self._energy_short(plan, tl) for tl in self.tl]
        passes = FreePassFirst(plan)
        if passes.any_priced:  # station time is bought: only when waiting loses more than it costs
            self.choose_pass, self.book_pass = passes, passes.book_pass

    @staticmethod
    def _energy_short(plan, tl):
        """Would the array's surplus over the span pay for fewer onboard jobs than the rate-triggered
        workload classes are expected to bring? (Known in advance: the capture plan's rates.)"""
        hw = tl.hw
        expected, work_s = 0.0, 0.0
        for w in plan.workloads:
            if w.rate_per_sat_per_h is not None and w.onboard_allowed and hw.compute_tops > 0:
                n = w.rate_per_sat_per_h * plan.duration_s / 3600.0
                expected += n
                work_s += n * w.compute_top / hw.compute_tops
        if expected == 0:
            return False
        return work_s * (hw.compute_busy_w - hw.compute_idle_w) > tl.surplus_j(0.0, plan.duration_s)

    def on_capture(self, view):
        """The first of :data:`CAPTURE_RULES`, in order, that decides (docs/policies.md lists them)."""
        sat, (g_t, g_cost), (o_t, o_cost) = self.routes(view)
        c = _Capture(view, sat, g_t, g_cost, o_t, o_cost, g_t <= view.deadline_s, o_t <= view.deadline_s)
        for rule in CAPTURE_RULES:
            decision = rule(self, c)
            if decision is not None:
                return decision
        raise AssertionError("the last capture rule always decides")  # pragma: no cover

    def on_arrival(self, view):
        return choose_datacenter(view, self.objective)

    def may_compute(self, sat):
        """Never at the radio's expense; a job that cannot wait for sunlight runs now; otherwise with a
        nearly full battery, or in sunlight on energy the array would give back before the shadow
        (the battery still reaches ``shadow_min_soc`` by then), so that the charge carried into the
        shadow stays for the jobs that cannot wait."""
        if not self.radio_energy_first(sat):
            return False
        if sat.energy_j >= self.shadow_min_soc * sat.battery_j or self.urgent_job(sat):
            return True
        if sat.sunlit_fraction < FULL_SUN:
            return False
        job = sat.onboard_running
        if job is None or not self.surplus_only:
            return True
        tl = self.tl[sat.index]
        now = sat.now_s
        shadow = next_shadow_s(tl, now)
        need_j = (tl.hw.compute_busy_w - tl.hw.compute_idle_w) * min(job.run_s, shadow - now)
        return sat.energy_j + tl.surplus_j(now, shadow) - need_j >= self.shadow_min_soc * sat.battery_j

    def _room(self, view, sat, prices):
        """Will the contact this capture's raw would go down in have room for it, for what is queued and for
        what the captures to come are expected to bring before it closes (at the prices' shares of each kind,
        raw and product, and ``room_sigma`` standard deviations of Poisson arrivals more; none for a capture
        of the kind worth most per byte), and will the battery pay the transmitter for it after the onboard
        work? Then the downlink is not short here, whatever its price over the span (at 12x overload the
        prices leave whole contacts empty otherwise)."""
        if prices.rate_per_s is None or not prices.prior:
            return False
        tl = self.tl[sat.index]
        hw = tl.hw
        now = view.now_s
        t_down, _ = tl.time_to_send(now, self.due_first_bytes(view, sat) + view.raw_bytes)
        if not math.isfinite(t_down):
            return False
        los, rate = tl.window_at(t_down)
        queued = live_backlog_bytes(sat)
        gb_per_s = 0.0
        # No capture to come is worth more per byte than one of the densest kind: for it, first come first
        # served (keeping room for later ones of its kind gains nothing, and loses this one).
        mine = view.value / max(view.raw_bytes / 1e9, 1e-12)
        densest = all(item[0] / max(item[1], 1e-12) <= mine * (1 + 1e-9) for item in prices.prior)
        for item in () if densest else prices.prior:
            raw_share, onboard_share = prices.route_share.get(prices._kind(item), (0.0, 0.0))
            gb_per_s += raw_share * item[1] + onboard_share * item[2]
        expected = prices.rate_per_s / len(prices.prior) * gb_per_s * 1e9 * max(0.0, los - now)
        expected += self.room_sigma * math.sqrt(expected * view.raw_bytes)
        capacity = tl.bytes_between(now, los)
        if queued + view.raw_bytes + expected > capacity:
            return False
        sent = min(queued + view.raw_bytes, capacity)
        need_j = hw.tx_w * sent / rate + (hw.compute_busy_w - hw.compute_idle_w) * self.live_backlog_s(sat)
        return sat.energy_j - tl.floor_max_j(now, los) + tl.surplus_j(now, los) >= need_j

    def _energy_free(self, sat):
        """Is the array giving energy away now: battery nearly full (``shadow_min_soc``) in sunlight,
        with the computer idle? Then onboard work costs no energy the prices count on."""
        return (
            sat.sunlit_fraction >= FULL_SUN
            and sat.energy_j >= self.shadow_min_soc * sat.battery_j
            and sat.onboard_running is None
            and not sat.onboard_queue
        )

    def urgent_job(self, sat):
        """Must the job on the computer run now? Yes if, with it and the waiting jobs that can still make
        it run one after another (earliest deadline first), some product would miss its deadline's
        contact were the work to wait for sunlight (in sunlight: for the sunlight after the next shadow),
        but not if it runs at once."""
        job = sat.onboard_running
        if job is None:
            return False
        tl = self.tl[sat.index]
        now = sat.now_s
        chain = [job] + sorted((j for j in sat.onboard_queue if self._live(sat, j)), key=lambda j: j.deadline_s)
        # Held now, the work waits for the sunlight after the shadow it is in or, in sunlight, after the
        # next one (may_compute holds it in sunlight too, until the array's surplus pays for it).
        wait_from = now if sat.sunlit_fraction < FULL_SUN else next_shadow_s(tl, now)
        done_s = 0.0
        for j in chain:
            done_s += j.run_s
            if tl.time_to_send(now + done_s, j.product_bytes)[0] > j.deadline_s:
                continue  # too late either way
            in_sun_done = sunlit_time_after(tl, wait_from, done_s)
            if tl.time_to_send(in_sun_done, j.product_bytes)[0] > j.deadline_s - URGENT_SLACK_S:
                return True
        return False

    def next_onboard_job(self, sat):
        """Earliest deadline first among the jobs that can still make it, except that a job whose turn
        would make a later one late yields, least value per second of computing first (the weighted
        Moore-Hodgson rule of :func:`~.planning.edf_with_yield`, on the computer). Each job's finish is the
        onboard fluid model's (:func:`~.planning.onboard_finish_s`) with the jobs kept before it, the battery
        less the transmitter's energy for the queued bytes the contacts before its deadline carry, then its
        product's first contact. With every job yielding, the earliest deadline runs."""
        live = sorted((j for j in sat.onboard_queue if self._live(sat, j)), key=lambda j: (j.deadline_s, j.capture_id))
        if len(live) <= 1:
            return live[0].capture_id if live else None
        tl = self.tl[sat.index]
        now = sat.now_s

        def late(job, work_s):
            t_c = onboard_finish_s(
                tl,
                now,
                sat.energy_j - self.radio_due_j(sat, now, job.deadline_s),
                work_s,
                temperature_k=sat.temperature_k,
                throttled=sat.throttled,
            )
            return tl.time_to_send(t_c, job.product_bytes)[0] > job.deadline_s

        kept, _ = yield_until_in_time(
            live, size=lambda j: j.run_s, density=lambda j: (j.value / max(j.run_s, 1e-9), -j.deadline_s), late=late
        )
        if not kept:
            return live[0].capture_id
        return kept[0].capture_id

    def downlink_order(self, view):
        return deadline_order_with_yield(view, self.tl[view.satellite.index], self.duration_s)


def class_mix(plan, sat_plan, timeline):
    """(captures per second, one sample item per kind) of a satellite's capture classes, known from the
    scenario when every class is rate-triggered over all satellites; None otherwise. Each class gives a
    clear and a cloudy kind in proportion, daylight-only classes at the satellite's sunlit share."""
    hw = sat_plan.hardware
    sunlit = timeline.sunlit_seconds_between(0.0, plan.duration_s) / plan.duration_s if plan.duration_s > 0 else 1.0
    kinds = []
    for w in plan.workloads:
        if w.rate_per_sat_per_h is None or w.satellites:
            return None
        rate = w.rate_per_sat_per_h / 3600.0 * (sunlit if w.daylight_only else 1.0)
        run_h = w.compute_top / hw.compute_tops / 3600.0 if hw.compute_tops > 0 else math.inf
        allowed = w.onboard_allowed and hw.compute_tops > 0
        for share, value in ((1.0 - w.cloudy_fraction, w.value), (w.cloudy_fraction, w.value * w.cloudy_value)):
            if share > 0:
                item = (
                    value,
                    w.raw_bytes / 1e9,
                    w.product_bytes / 1e9,
                    (hw.compute_busy_w - hw.compute_idle_w) * run_h,
                    run_h,
                    allowed,
                    True,
                )
                kinds.append((rate * share, item))
    total = sum(r for r, _ in kinds)
    if total <= 0:
        return None
    # A sample of PRIOR_UNTIL items in proportion to the rates (largest remainders; one of each kind at least).
    quota = [PRIOR_UNTIL * r / total for r, _ in kinds]
    count = [math.floor(q) for q in quota]
    for k in sorted(range(len(kinds)), key=lambda k: count[k] - quota[k])[: PRIOR_UNTIL - sum(count)]:
        count[k] += 1
    prior = [item for (_, item), n in zip(kinds, count) for _ in range(max(1, n))]
    return total, prior


class ScarcityPrices:
    """Prices of downlink bytes, onboard energy and accelerator time for one satellite.

    The captures seen so far are a sample of those to come (arriving at the rate seen so
    far); a small LP shares the rest of the span's downlink capacity, spare energy and
    computer time among them, onboard or raw, for the most value. Its dual values are the
    prices: a capture is worth taking by a route if its value exceeds what that route
    uses at these prices (the primal-dual rule of online stochastic packing).
    """

    def __init__(self, timeline, duration_s, history, live, mix=None):
        self.tl, self.duration_s, self.history = timeline, duration_s, history
        self.live = live  # (satellite view, onboard job) -> can the job still make it?
        self.sample = []  # (value, raw GB, product GB, onboard Wh, compute h, onboard ok, raw ok)
        self._kinds = {}  # sample item -> its kind (_kind), computed once
        self.seen = 0
        self.price_gb = self.price_wh = self.price_h = 0.0
        self.onboard_share, self.split = {}, {}
        self.take_share, self.taken = {}, {}
        self.route_share = {}  # kind -> (share taken raw, share taken onboard) in the LP
        self.priced = False
        self.tx_wh_per_gb = timeline.hw.tx_w * 1e9 / timeline.mean_rate_Bps / 3600.0
        # The scenario's capture classes, when all are rate-triggered: their mean rate is known in
        # advance, and their mix stands in for the sample until enough captures have been seen.
        self.rate_per_s, self.prior = (None, []) if mix is None else mix
        if self.prior:
            hw = timeline.hw
            self._price(0.0, hw.initial_j, (), (), 0.0)

    def _item(self, view):
        hw = self.tl.hw
        run_h = view.compute_top / hw.compute_tops / 3600.0 if hw.compute_tops > 0 else math.inf
        return (
            view.value,
            view.raw_bytes / 1e9,
            view.product_bytes / 1e9,
            (hw.compute_busy_w - hw.compute_idle_w) * run_h,
            run_h,
            view.onboard_allowed and hw.compute_tops > 0,
        )

    def observe(self, view, onboard_ok=True, ground_ok=True):
        """Add a capture to the sample, with the routes that could meet its deadline when it came."""
        v, raw, product, wh, h, allowed = self._item(view)
        self.sample.append((v, raw, product, wh, h, allowed and onboard_ok, ground_ok))
        if len(self.sample) > self.history:
            self.sample.pop(0)
        self.seen += 1

    def score(self, view, route, downlink=True):
        """Value less the resources the route uses at the prices (``downlink=False``: the bytes for free)."""
        v, raw, product, wh, h, _ = self._item(view)[:6]
        if route == "ground":
            return v - (self.price_gb if downlink else 0.0) * raw - self.price_wh * self.tx_wh_per_gb * raw
        return v - self.price_gb * product - self.price_wh * (wh + self.tx_wh_per_gb * product) - self.price_h * h

    def update(self, view, sat, live_backlog_s):
        self._price(
            view.now_s, sat.energy_j, sat.queue, [j for j in sat.onboard_queue if self.live(sat, j)], live_backlog_s
        )

    def _price(self, now, energy_j, queue, onboard_jobs, live_backlog_s):
        """Solve the LP from the state at ``now`` and keep its duals as the prices."""
        end = self.duration_s
        if end <= now:
            return
        sample = self.sample
        if len(sample) < PRIOR_UNTIL and self.prior:
            sample = self.prior + sample  # the known mix until the captures seen are a fair sample
        elif now <= 0 or len(sample) < 5:
            return
        tl, hw = self.tl, self.tl.hw
        rate = self.rate_per_s if self.rate_per_s is not None else self.seen / now
        n_future = rate * (end - now)
        w = n_future / len(sample)
        extra_w = hw.compute_busy_w - hw.compute_idle_w
        # What is already on board competes with the captures to come (a better capture may take the
        # place of a queued one, which then yields): the queued items still in time, and the waiting
        # onboard jobs that can still make it; the job on the computer is committed.
        known = [
            (q.value, q.remaining_bytes / 1e9, self.tx_wh_per_gb * q.remaining_bytes / 1e9, 0.0)
            for q in queue
            if q.deadline_s >= now
        ]
        for j in onboard_jobs:
            h = j.run_s / 3600.0
            known.append((j.value, j.product_bytes / 1e9, extra_w * h + self.tx_wh_per_gb * j.product_bytes / 1e9, h))
        running_h = max(0.0, live_backlog_s - sum(k[3] for k in known)) / 3600.0
        cap_gb = tl.bytes_between(now, end) / 1e9
        # Energy the rest of the span can spend on optional loads: the battery above its reserve plus
        # the array's surplus over the bus (not clamped at full: loads can run while the Sun shines).
        spare_wh = max(0.0, (energy_j - hw.reserve_j + tl.surplus_j(now, end)) / 3600.0 - running_h * extra_w)
        time_h = max(0.0, (end - now) / 3600.0 - running_h)
        n, m = len(sample), len(known)
        c = np.zeros(2 * n + m)
        a = np.zeros((3 + n, 2 * n + m))
        ub = np.zeros(2 * n + m)
        v, raw, product, wh, h, allowed, ground_ok = np.array(sample, dtype=float).T
        allowed, ground_ok = allowed > 0, ground_ok > 0
        tx = self.tx_wh_per_gb
        c[:n] = c[n : 2 * n] = -w * v  # each sampled capture stands for w captures to come
        a[0, :n], a[0, n : 2 * n] = w * product, w * raw
        a[1, :n], a[1, n : 2 * n] = w * (wh + tx * product), w * tx * raw
        a[2, :n] = np.where(allowed, w * h, 0.0)
        rows = np.arange(n)
        a[3 + rows, rows] = a[3 + rows, n + rows] = 1.0
        ub[:n], ub[n : 2 * n] = allowed, ground_ok
        for k, (v, gb, wh, h) in enumerate(known):
            col = 2 * n + k
            c[col], a[0, col], a[1, col], a[2, col], ub[col] = -v, gb, wh, h, 1.0
        b = np.concatenate([[cap_gb, spare_wh, time_h], np.ones(n)])
        solved = solve_lp(c, a, b, ub)
        if solved is not None:
            x, marginals = solved
            duals = -marginals
            self.price_gb, self.price_wh, self.price_h = (max(0.0, float(d)) for d in duals[:3])
            self.priced = True
            # Where the prices leave a kind of capture indifferent between routes, the LP's own
            # split says how often to take each.
            shares, counts = {}, {}
            x = x.tolist()
            for i, item in enumerate(sample):
                kind = self._kinds.get(item)
                if kind is None:
                    kind = self._kinds[item] = self._kind(item)
                o, r = shares.get(kind, (0.0, 0.0))
                shares[kind] = (o + x[i], r + x[n + i])
                counts[kind] = counts.get(kind, 0) + 1
            if len(self._kinds) > 8 * self.history:  # the kinds of items long out of the sample
                self._kinds.clear()
            self.onboard_share = {k: o / (o + r) for k, (o, r) in shares.items() if o + r > 1e-9}
            self.take_share = {k: min(1.0, (o + r) / counts[k]) for k, (o, r) in shares.items()}
            self.route_share = {k: (min(1.0, r / counts[k]), min(1.0, o / counts[k])) for k, (o, r) in shares.items()}

    @staticmethod
    def _kind(item):
        return tuple(round(x, 6) for x in item[:5])

    def energy_share(self, view):
        """Is onboard energy, rather than downlink, what this capture's onboard route costs most in?"""
        v, raw, product, wh, h, _ = self._item(view)
        return self.price_wh * wh > self.price_gb * (raw - product)

    def admit(self, view):
        """For a capture the prices leave at the margin (worth about what it would take): take the
        share of its kind the LP takes, spread evenly over the captures of that kind."""
        choice = _even_split(self.taken, self._kind(self._item(view)), self.take_share)
        return True if choice is None else choice

    def prefer_onboard(self, view):
        """Between two routes the prices value alike: keep the split the LP chose for this kind."""
        return _even_split(self.split, self._kind(self._item(view)), self.onboard_share)


def _even_split(counts, kind, shares):
    """Say yes to a ``shares[kind]`` share of the calls for ``kind``, spread evenly: yes when that keeps the
    count of yeses nearer the share of the calls so far (``counts``: kind -> (yeses, calls), updated);
    None if the kind has no share."""
    share = shares.get(kind)
    if share is None:
        return None
    yes, n = counts.get(kind, (0, 0))
    choice = (yes + 1) - share * (n + 1) <= share * (n + 1) - yes
    counts[kind] = (yes + int(choice), n + 1)
    return choice


def deadline_order_with_yield(view, tl, duration_s):
    """Earliest deadline first; items that would be late yield (lowest value per byte first) and go last.

    Items already past their deadline are worth nothing delivered: they are not sent (and spend
    no transmitter energy) unless storage runs short, when they go last to make room."""
    now = view.now_s
    live = [q for q in view.queue if q.deadline_s >= now]
    items = [(q.capture_id, q.remaining_bytes, q.deadline_s, q.value, now) for q in live]
    kept, late, _ = edf_with_yield(items, tl, now, duration_s)
    order = kept + late
    sat = view.satellite
    if sat.storage_free_bytes < 0.1 * (sat.storage_free_bytes + sum(q.remaining_bytes for q in view.queue)) + 1.0:
        order += [q.capture_id for q in sorted(view.queue, key=lambda q: q.deadline_s) if q.deadline_s < now]
    return order


# --- the capture rules of lookahead, in the order on_capture asks them ----------------------------------
class _Capture:
    """What the capture rules judge: the capture, its satellite, both routes' finish time and cost, whether
    each makes the deadline, and (once priced) the routes' scores at the scarcity prices."""

    __slots__ = (
        "view",
        "sat",
        "g_t",
        "g_cost",
        "o_t",
        "o_cost",
        "g_ok",
        "o_ok",
        "prices",
        "g_score",
        "o_score",
        "best",
        "marginal",
        "tie",
    )

    def __init__(self, view, sat, g_t, g_cost, o_t, o_cost, g_ok, o_ok):
        self.view, self.sat, self.g_t, self.g_cost, self.o_t, self.o_cost = view, sat, g_t, g_cost, o_t, o_cost
        self.g_ok, self.o_ok = g_ok, o_ok
        self.prices = None  # set by price_routes when the policy prices


def through_space(policy, c):
    """Neither the satellite's own computer nor its contacts make the deadline, but the space segment would:
    send it to the computing satellite that delivers its product first, else through the relay that lands it
    first (a capture the next rule would drop is worth what it delivers)."""
    if c.g_ok or c.o_ok:
        return None
    route = policy.offload_to(c.view, c.sat)
    if route is not None:
        return route
    _, j, t_x = policy.relay_route(c.view, c.sat)
    if j is not None:
        policy.relayed(j, c.view, t_x)
        return relay(j)
    return None


def unreachable(policy, c):
    """Neither route makes the deadline: drop it, freeing storage and the downlink for the others (a deadline
    after the span is judged after it: keep the capture on the route that finishes)."""
    if c.g_ok or c.o_ok:
        return None
    if c.view.deadline_s <= policy.duration_s:
        return drop(UNREACHABLE)
    return ONBOARD if math.isfinite(c.o_t) else GROUND


def price_routes(policy, c):
    """Not a decision: price both routes at the satellite's scarcity prices (the LP over the captures to come,
    re-solved every ``reprice_every`` captures), for the rules below."""
    if not policy.pricing:
        return None
    view, sat = c.view, c.sat
    prices = c.prices = policy.prices[sat.index]
    prices.observe(view, *policy.structural_routes(view, sat))
    if prices.seen % policy.reprice_every == 0:
        prices.update(view, sat, policy.live_backlog_s(sat))
    c.g_score = prices.score(view, "ground") if c.g_ok else -math.inf
    c.o_score = prices.score(view, "onboard") if c.o_ok else -math.inf
    c.best = max(c.g_score, c.o_score)
    scale = policy.tie * max(view.value, 1e-12)
    c.marginal = c.best <= scale
    c.tie = abs(c.g_score - c.o_score) <= scale
    return None


def room_at_the_margin(policy, c):
    """A capture at the margin goes raw when the contact it would go down in will have room for it (what is
    queued, and what the captures to come bring before it closes) and the battery pays the transmitter: the
    span's downlink is short, but this contact is not."""
    if c.prices is None or not (c.marginal and c.g_ok):
        return None
    if c.prices.score(c.view, "ground", downlink=False) > 0 and policy._room(c.view, c.sat, c.prices):
        return GROUND
    return None


def worth_less_than_it_takes(policy, c):
    """Worth less than the contact time and energy it would take from the captures to come: drop it."""
    if c.prices is not None and c.best < -1e-9 * max(c.view.value, 1e-12):
        return drop("worth less than the contact time and energy it would take from the captures to come")
    return None


def share_at_the_margin(policy, c):
    """At the margin, only the share of its kind the prices' LP takes is admitted (``margin_split``)."""
    p = c.prices
    if p is not None and policy.margin_split and p.price_wh > 0 and c.marginal and not p.admit(c.view):
        return drop("at the margin: its kind's share of the scarce contacts and energy is taken")
    return None


def _priced_tie(c):
    return c.prices is not None and c.g_ok and c.o_ok and c.tie


def free_energy(policy, c):
    """Between routes worth alike, onboard when the array is giving energy away (battery at
    ``shadow_min_soc`` in sunlight, computer idle): the computer's energy costs nothing now."""
    if _priced_tie(c) and policy._energy_free(c.sat):
        return ONBOARD
    return None


def slack_rule(policy, c):
    """A tie over energy (or with ``tie_rule: slack``): keep the onboard computer and its energy for the
    captures that have no other way, so raw if that route leaves ``raw_slack_s`` of slack. Before the first
    prices nothing is known of scarcity: a satellite whose array cannot pay for the expected onboard work is
    judged as the energy case (it changes the bundled quickstart; no instance of bench/policies.py)."""
    if not _priced_tie(c):
        return None
    rule = policy.tie_rule
    energy_bound = c.prices.energy_share(c.view) or (not c.prices.priced and policy.energy_short[c.sat.index])
    if rule == "slack" or (rule == "auto" and energy_bound):
        return GROUND if c.g_t <= c.view.deadline_s - policy.raw_slack_s else ONBOARD
    return None


def lp_split(policy, c):
    """A tie otherwise goes the way the prices' LP splits the capture's kind, where it does."""
    if _priced_tie(c):
        choice = c.prices.prefer_onboard(c.view)
        if choice is not None:
            return ONBOARD if choice else GROUND
    return None


def best_price(policy, c):
    """Not a tie: the route worth more at the prices."""
    if c.prices is not None and c.g_ok and c.o_ok and not c.tie:
        return GROUND if c.g_score > c.o_score else ONBOARD
    return None


def contended_downlink(policy, c):
    """Both routes make it (unpriced, or a tie nothing above settled): onboard when the raw bytes would
    contend for a downlink that other items need."""
    if c.g_ok and c.o_ok and policy.contended(c.view, c.sat, c.view.raw_bytes):
        return ONBOARD
    return None


def cheaper_route(policy, c):
    """Both routes make it: the cheaper one (objective cost), the earlier on equal cost."""
    if c.g_ok and c.o_ok:
        return GROUND if (c.g_cost, c.g_t) < (c.o_cost, c.o_t) else ONBOARD
    return None


def only_route(policy, c):
    """Only one route makes the deadline: take it (the other would deliver late, for nothing)."""
    return GROUND if c.g_ok else ONBOARD


CAPTURE_RULES = (
    through_space,
    unreachable,
    price_routes,
    room_at_the_margin,
    worth_less_than_it_takes,
    share_at_the_margin,
    free_energy,
    slack_rule,
    lp_split,
    best_price,
    contended_downlink,
    cheaper_route,
    only_route,
)
