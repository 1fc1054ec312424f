"""The run's clock: tolerances, the wake-up signals and sleeps the processes wait on, the collector kept
off the long-lived objects."""

from __future__ import annotations

import gc
import math
from contextlib import contextmanager

import simpy

EPS_S = 1e-6
EPS_J = 1e-6
DUTY_CYCLE_S = 60.0  # a load paused at the energy floor resumes once the battery can run it this long


class _Signal:
    """Wakes the processes waiting on it: ``wait()`` gives an event that fires at the next ``fire()``."""

    def __init__(self, env):
        self.env = env
        self.waiters = []

    def wait(self):
        event = simpy.Event(self.env)
        self.waiters.append(event)
        return event

    def fire(self):
        if self.waiters:
            waiters, self.waiters = self.waiters, []
            for event in waiters:
                if not event.triggered:  # a sleep (see _sleep) that timed out already
                    event.succeed(False)


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
