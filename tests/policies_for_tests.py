"""User policies for the tests, loaded as ``module:callable`` like a user's own."""

from spaceground.policies import BasePolicy


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
