"""Scheduling policies: pure decisions over read-only views of the simulation.

A policy is an object with three methods, each called by the engine at a decision
point with a frozen view (:mod:`spaceground.policies.views`) and returning a plain
value; policies never see SimPy and never change state:

``on_capture(view: CaptureView) -> "onboard" | "ground" | "drop"``
    A capture has just been stored onboard: process it onboard and downlink the
    product, downlink it raw for ground processing, or discard it.
``on_arrival(view: ArrivalView) -> int``
    A raw capture has reached a station: index of the data centre to process it
    (one that the station has a backhaul link to).
``downlink_order(view: ContactView) -> list[int]``
    A satellite is about to transmit: capture ids of its queued items in the
    order to send them (items left out are not sent in this contact).

Register a policy with :func:`register`; a scenario may also name any
``module:callable`` that returns a policy when called with the scenario's
``policy.params`` as keyword arguments. ``docs/policies.md`` has a worked example.
"""

from __future__ import annotations

import importlib
from operator import attrgetter

from ..errors import InputError
from .views import ArrivalView, CaptureView, ContactView, DataCenterView, SatelliteView  # noqa: F401

DECISIONS = ("onboard", "ground", "drop")
_REGISTRY = {}


class PolicyError(InputError):
    """A policy returned something the engine cannot carry out."""


def register(name):
    """Class decorator: make a policy available by ``name`` in scenarios."""

    def deco(cls):
        _REGISTRY[name] = cls
        cls.policy_name = name
        return cls

    return deco


def available():
    """Names of the registered policies."""
    _load_builtins()
    return sorted(_REGISTRY)


def make_policy(name, params=None):
    """A policy instance from a registered name or ``module:callable``."""
    _load_builtins()
    params = dict(params or {})
    if name in _REGISTRY:
        factory = _REGISTRY[name]
    elif ":" in name:
        module_name, _, attr = name.partition(":")
        try:
            factory = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError) as exc:
            raise InputError(f"policy {name!r}: cannot import {attr!r} from {module_name!r} ({exc})") from None
    else:
        import difflib

        close = difflib.get_close_matches(name, list(_REGISTRY), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise InputError(f"unknown policy {name!r}{hint} (registered: {', '.join(sorted(_REGISTRY))}; "
                         "or give module:callable)")  # fmt: skip
    try:
        policy = factory(**params)
    except TypeError as exc:
        raise InputError(f"policy {name!r} does not take these params {sorted(params)}: {exc}") from None
    for method in ("on_capture", "on_arrival", "downlink_order"):
        if not callable(getattr(policy, method, None)):
            raise InputError(f"policy {name!r} has no method {method}(view); see docs/policies.md")
    policy.policy_name = getattr(policy, "policy_name", name)
    return policy


class BasePolicy:
    """Defaults every policy may keep: earliest deadline first, cheapest data centre."""

    def on_capture(self, view: CaptureView) -> str:
        return "ground"

    def on_arrival(self, view: ArrivalView) -> int:
        return cheapest_datacenter(view)

    def downlink_order(self, view: ContactView) -> list:
        return [item.capture_id for item in sorted(view.queue, key=attrgetter("deadline_s", "capture_id"))]


def cheapest_datacenter(view: ArrivalView) -> int:
    """The reachable data centre where this job's electricity costs least right now."""
    best, best_cost = None, None
    top = view.compute_top
    for dc in view.datacenters:
        if dc.reachable:
            cost = dc.price_cny_per_kwh * dc.pue * dc.power_w_per_tops * top
            if best_cost is None or cost < best_cost:
                best, best_cost = dc.index, cost
    return best


def _load_builtins():
    from . import baselines, green_west, lookahead, lyapunov, milp, sunlight, value_filter, value_greedy  # noqa: F401
