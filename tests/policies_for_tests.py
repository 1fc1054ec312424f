"""User policies for the tests, loaded as ``module:callable`` like a user's own."""

from spaceground.policies import BasePolicy, drop


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
        return "onboard"


class NeverCompute(BasePolicy):
    """Queues every capture for onboard processing, then never lets a job run."""

    def on_capture(self, view):
        return "onboard"

    def next_onboard_job(self, view):
        return None


class LastJobFirst(BasePolicy):
    """Onboard everything; run the newest waiting job (so a job paused for energy may wait)."""

    def on_capture(self, view):
        return "onboard"

    def next_onboard_job(self, view):
        return max(job.capture_id for job in view.onboard_queue)


class EarliestDeadlineFirst(BasePolicy):
    """Onboard everything; run the waiting job due first."""

    def on_capture(self, view):
        return "onboard"

    def next_onboard_job(self, view):
        return min(view.onboard_queue, key=lambda job: (job.deadline_s, job.capture_id)).capture_id


class DropEverything(BasePolicy):
    def on_capture(self, view):
        return drop("not worth it in this test")


class DropSilently(BasePolicy):
    def on_capture(self, view):
        return "drop"
