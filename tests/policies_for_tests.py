"""User policies for the tests, loaded as ``module:callable`` like a user's own."""

from spaceground.policies import GROUND, ONBOARD, BasePolicy, drop


class Maybe(BasePolicy):
    def __init__(self, answer="maybe"):
        self.answer = answer

    def on_capture(self, view):
        return self.answer


class NowhereToGo(BasePolicy):
    def on_arrival(self, view):
        return 99


class OnboardEverything(BasePolicy):
    def on_capture(self, view):
        return ONBOARD


class NeverCompute(BasePolicy):
    """Queues every capture for onboard processing, then never lets a job run."""

    def on_capture(self, view):
        return ONBOARD

    def next_onboard_job(self, view):
        return None


class LastJobFirst(BasePolicy):
    """Onboard everything; run the newest waiting job (so a job paused for energy may wait)."""

    def on_capture(self, view):
        return ONBOARD

    def next_onboard_job(self, view):
        return max(job.capture_id for job in view.onboard_queue)


class EarliestDeadlineFirst(BasePolicy):
    """Onboard everything; run the waiting job due first."""

    def on_capture(self, view):
        return ONBOARD

    def next_onboard_job(self, view):
        return min(view.onboard_queue, key=lambda job: (job.deadline_s, job.capture_id)).capture_id


class DropEverything(BasePolicy):
    def on_capture(self, view):
        return drop("not worth it in this test")


class DropSilently(BasePolicy):
    def on_capture(self, view):
        return drop("")


class Snoop(BasePolicy):
    """Writes what its plan and views hold to the JSON file ``path``, and tries to change the plan (which must
    not reach the engine)."""

    def __init__(self, path):
        self.path, self.seen = path, {}

    def _save(self):
        import json

        with open(self.path, "w") as f:
            json.dump(self.seen, f)

    def start(self, plan):
        self.seen["captures"] = None if plan.captures is None else len(plan.captures)
        try:
            plan.link_bps[0, 0] = 1.0
            self.seen["link_write"] = "allowed"
        except ValueError:
            self.seen["link_write"] = "refused"
        self._save()

    def on_capture(self, view):
        import dataclasses

        self.seen["hardware"] = dataclasses.asdict(view.satellite.hardware)
        self._save()
        return GROUND


class OfflineSnoop(Snoop):
    """The same, declared an offline planner: it gets the captures (a copy) and moves them all to the start."""

    offline_planner = True

    def start(self, plan):
        super().start(plan)
        plan.captures["time_s"] = 0.0


class RouteOf(BasePolicy):
    """Satellite 0's captures (every satellite's with ``everyone``) take the route ``relay(*via)`` (``compute:
    ground``) or ``offload(*via, product_via=then)`` (``compute: onboard``); the others go down raw."""

    def __init__(self, via=(1,), compute="ground", everyone=False, then=()):
        from spaceground.policies import offload, relay

        self.route = relay(*via) if compute == "ground" else offload(*via, product_via=tuple(then))
        self.everyone = bool(everyone)

    def on_capture(self, view):
        return self.route if self.everyone or view.satellite.index == 0 else GROUND


class ComputeInSlots(BasePolicy):
    """Onboard everything; the computer may run only in the first 120 s of every 600 s of the span."""

    def on_capture(self, view):
        return ONBOARD

    def may_compute(self, view):
        return view.now_s % 600.0 < 120.0 - 1e-6

    def compute_recheck_s(self, view):
        phase = view.now_s % 600.0
        return (120.0 - phase) if phase < 120.0 - 1e-6 else (600.0 - phase)


class ComputeBudget(BasePolicy):
    """Onboard everything; the computer may run 200 s in all (read from ``compute_busy_s``)."""

    def on_capture(self, view):
        return ONBOARD

    def may_compute(self, view):
        return view.compute_busy_s < 200.0 - 1e-6

    def compute_recheck_s(self, view):
        return max(200.0 - view.compute_busy_s, 1e-3) if view.compute_busy_s < 200.0 - 1e-6 else float("inf")


class RecheckNever(ComputeInSlots):
    def compute_recheck_s(self, view):
        return 0.0


class PassClosingFirst(BasePolicy):
    """Everything raw; of the passes open with a free antenna, the one that closes first."""

    def choose_pass(self, view):
        return min(view.passes, key=lambda p: p.window_end_s).station


class OnlyStation(BasePolicy):
    """Everything raw, sent only through station ``station`` (index): other passes are declined (wait)."""

    def __init__(self, station=1):
        self.station = station

    def choose_pass(self, view):
        return self.station if any(p.station == self.station for p in view.passes) else None


class PassNowhere(BasePolicy):
    def choose_pass(self, view):
        return 99


class PricesSeen(BasePolicy):
    """Everything raw through the dearest open pass (to see a price paid once), writing every offer (station,
    window start, end, price) to the JSON file ``path``."""

    def __init__(self, path):
        self.path, self.seen = path, []

    def choose_pass(self, view):
        import json

        self.seen.append([(p.station, p.window_start_s, p.window_end_s, p.price_cny) for p in view.passes])
        with open(self.path, "w") as f:
            json.dump(self.seen, f)
        return max(view.passes, key=lambda p: p.price_cny).station


class BooksEveryOther(BasePolicy):
    """Everything raw; at a station with a booking lead time, books every other pass it is asked about, writing each
    booking view (now, window start, end, price, queue length) to the JSON file ``path``."""

    def __init__(self, path):
        self.path, self.asked = path, []

    def book_pass(self, view):
        import json

        p = view.booking
        self.asked.append((view.now_s, p.window_start_s, p.window_end_s, p.price_cny, len(view.satellite.queue)))
        with open(self.path, "w") as f:
            json.dump(self.asked, f)
        return len(self.asked) % 2 == 1


class CapacitySeen(BasePolicy):
    """Everything raw; writes (time, the contact capacity its satellite view shows) at each capture to ``path``."""

    def __init__(self, path):
        self.path, self.seen = path, []

    def on_capture(self, view):
        import json

        self.seen.append((view.now_s, view.satellite.contact_capacity_bytes))
        with open(self.path, "w") as f:
            json.dump(self.seen, f)
        return GROUND
