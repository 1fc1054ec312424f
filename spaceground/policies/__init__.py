"""Scheduling policies: pure decisions over read-only views of the simulation.

A policy is an object with three methods, each called by the engine at a decision
point with a frozen view (:mod:`spaceground.policies.views`) and returning a plain
value; policies never see SimPy and never change state:

``on_capture(view: CaptureView) -> Route | Drop``
    A capture has just been stored onboard: a typed decision (:mod:`.routes`):
    ``ONBOARD`` (process it onboard, downlink the product), ``GROUND`` (downlink it
    raw for a data centre), a :class:`Route` through other satellites
    (``offload(j)``, ``relay(j)``), or ``drop("why")``: a discard says why in words a
    planner can act on; the reason is the ``drop_reason`` of the workloads table.
``on_arrival(view: ArrivalView) -> int``
    A raw capture has reached a station: index of the data centre to process it
    (one that the station has a backhaul link to).
``downlink_order(view: ContactView) -> list[int]``
    A satellite is about to transmit: capture ids of its queued items in the
    order to send them (items left out are not sent in this contact).

Register a policy with :func:`register`; a scenario may also name a user policy as
``module:Class`` (a file beside the scenario, run only with the caller's consent; see
:mod:`spaceground.policies.user`) whose class or :func:`policy_factory` is called with
the scenario's ``policy.params`` as keyword arguments. ``docs/policies.md`` has a worked example.
"""

from __future__ import annotations

import os
from operator import attrgetter

from ..errors import InputError
from . import user
from .routes import GROUND, ONBOARD, Drop, Route, drop, offload, relay  # noqa: F401 - the typed decisions
from .user import DEFAULT_TIME_LIMIT_S, policy_factory  # noqa: F401 - public: the marker of policy factories
from .views import ArrivalView, CaptureView, ContactView, DataCenterView, SatelliteView  # noqa: F401

_REGISTRY = {}


UNREACHABLE = "deadline unreachable: neither onboard processing nor a downlink can deliver it in time"


def drop_reason_of(decision, policy_name) -> str:
    """The words a dropped capture's row carries: the policy's reason, or what to do when it gave none."""
    return decision.reason.strip() or (
        f"dropped by policy {policy_name!r}, which gave no reason (return spaceground.policies.drop('why'))"
    )


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


def make_policy(
    name, params=None, *, base_dir=None, allow_code=False, time_limit_s=DEFAULT_TIME_LIMIT_S, check_only=False
):
    """A policy instance from a registered name, an installed entry point or ``module:callable``.

    A ``module:callable`` is a file beside the scenario (``base_dir``) and runs only with
    ``allow_code`` (see :mod:`spaceground.policies.user`); every call into it is guarded with the
    per-call ``time_limit_s``. ``check_only``: check the name without running any user code (for
    ``validate``); returns None for a user policy."""
    _load_builtins()
    params = dict(params or {})
    name = str(name)
    if name in _REGISTRY:
        policy = _construct_builtin(name, _REGISTRY[name], params)
        for method in ("on_capture", "on_arrival", "downlink_order"):
            if not callable(getattr(policy, method, None)):
                raise InputError(f"policy {name!r} has no method {method}(view); see docs/policies.md")
        policy.policy_name = getattr(policy, "policy_name", name)
        return policy
    ep = user.entry_point(name)
    if ep is not None:  # an installed package registers it: installing it was the consent
        if check_only:
            return None
        factory = ep.load()
    elif ":" in name:
        if check_only:
            user.check_source(name, base_dir or os.getcwd())
            return None
        path, _ = user.locate(name, base_dir or os.getcwd())
        if not allow_code:
            raise InputError(
                f"policy {name!r} is code from {path}; it runs only with your consent: if you trust it, "
                "add --allow-code (allow_code=True in the API)"
            )
        factory = user.load_callable(name, base_dir or os.getcwd())
    else:
        import difflib

        close = difflib.get_close_matches(name, list(_REGISTRY), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise InputError(
            f"unknown policy {name!r}{hint} (registered: {', '.join(sorted(_REGISTRY))}; "
            "or give module:callable for a policy file beside the scenario)"
        )
    user.check_factory(name, factory)
    policy = user.construct(name, factory, params, time_limit_s)
    missing = [m for m in user.POLICY_METHODS if not callable(getattr(policy, m, None))]
    if missing:
        raise InputError(f"policy {name!r} returned an object without {', '.join(missing)}; see docs/policies.md")
    return user.GuardedPolicy(policy, name, time_limit_s)


def _construct_builtin(name, factory, params):
    try:
        return factory(**params)
    except (TypeError, ValueError) as exc:
        raise InputError(f"policy {name!r}: bad params {params}: {exc}") from None


class BasePolicy:
    """Defaults every policy may keep: earliest deadline first, cheapest data centre."""

    def on_capture(self, view: CaptureView) -> Route:
        return GROUND

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
