"""The run's clock: tolerances, the wake-up signals and sleeps the processes wait on, the collector kept
off the long-lived objects."""

from __future__ import annotations

import gc
import math
from contextlib import contextmanager
from heapq import heappop, heappush

import simpy

EPS_S = 1e-6
EPS_J = 1e-6
DUTY_CYCLE_S = 60.0  # a load paused at the energy floor resumes once the battery can run it this long


class _Signal:
    """Wakes the processes waiting on it: ``wait()`` gives an event that fires at the next ``fire()``."""

    def __init__(self, env):
        self.env = env
        self.waiters = []
        self.fired = 0  # how many times it has fired (a waiter woken by several signals tells which by this)

    def wait(self):
        event = simpy.Event(self.env)
        self.waiters.append(event)
        return event

    def fire(self):
        self.fired += 1
        if self.waiters:
            waiters, self.waiters = self.waiters, []
            for event in waiters:
                if not event.triggered:  # a sleep (see _sleep) that timed out already
                    event.succeed(False)


class _Clock(simpy.Environment):
    """SimPy's environment, with work due at known times done in time order without an event each.

    A process that knows when each of a run of things will happen (the items of a downlink session end one after
    another at times known in closed form) hands them to :meth:`due`; each is done just before the first event
    at or after its time, so everything else in the run sees them in time order, as if each had been an event,
    at the cost of a heap entry. ``fn(t, *args)`` must not read ``now``: it runs at its own time ``t``. A process
    that changes its plan cancels what it handed over through its own state (``fn`` then does nothing).
    """

    def __init__(self):
        super().__init__()
        self._due = []
        self._due_seq = 0

    def due(self, t, fn, *args):
        self._due_seq += 1
        heappush(self._due, (t, self._due_seq, fn, args))

    def settle(self, t):
        """Do what is due at or before ``t``, in time order."""
        due = self._due
        while due and due[0][0] <= t:
            t_due, _, fn, args = heappop(due)
            fn(t_due, *args)

    def step(self):
        if self._due:
            t = self.peek()
            if self._due[0][0] <= t:
                self.settle(t)
        super().step()


def _sleep(env, dt, signals):
    """An event that fires after ``dt`` seconds with value True, or with value False at the first
    ``fire()`` of one of ``signals``, whichever comes first (a lighter ``timeout | event``)."""
    wake = simpy.Event(env)
    if len(signals) == 1:
        signals[0].waiters.append(wake)
    else:
        for signal in signals:
            signal.waiters.append(wake)
    if dt < math.inf:
        env.timeout(dt).callbacks.append(lambda _: wake.triggered or wake.succeed(True))
    return wake


@contextmanager
def _collector_spared(threshold=20_000):
    """Keep Python's cyclic garbage collector off the objects that live through the whole run.

    The run allocates millions of short-lived events and tuples, which refcounting frees; the
    cyclic collector, left as it is, keeps walking the long-lived model, plans and growing records
    (8 % of the bench's engine time). Inside the block, objects made before it are frozen (left out
    of collections) and young objects are collected every ``threshold`` allocations instead of 700;
    both are restored on exit, whatever happens.
    """
    old = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(threshold, *old[1:])
    try:
        yield
    finally:
        gc.set_threshold(*old)
        gc.unfreeze()
