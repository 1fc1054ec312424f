"""The typed decisions a policy returns for a capture: a :class:`Route` through the network, or a :class:`Drop`
with its reason.

A route names where the capture is computed and the satellites its raw data crosses first, over
inter-satellite links, hop by hop (store and forward). The two routes of the bent pipe and of onboard
processing are :data:`GROUND` and :data:`ONBOARD`; an offload to a computing satellite is
``offload(j)`` (``offload(j, product_via=(r,))``: the product then down through relay ``r``), a relay
through another satellite's downlink ``relay(j)``. The station a downlink uses is
the antennas' to assign (see :mod:`spaceground.engine`), and the data centre is chosen when the raw data
lands (``on_arrival``): those next hops are picked at their node, not at the capture.
"""

from __future__ import annotations

from typing import NamedTuple

COMPUTE_PLACES = ("onboard", "ground")


class Route(NamedTuple):
    """Where a capture goes: ``via``, the satellites (indices) its raw data crosses by inter-satellite link, in
    order; then ``compute``: ``"onboard"`` on the computer of the satellite that holds it at the end of ``via``
    (the capturing one when ``via`` is empty), the product then downlinked from there, or ``"ground"``: the raw
    data downlinked from there and computed in a data centre. ``then`` (with ``"onboard"`` only): the
    satellites the product crosses after the computer, in order (a data relay), downlinked from the last."""

    compute: str
    via: tuple = ()
    then: tuple = ()

    @property
    def decision(self) -> str:
        """The word the workloads table's ``decision`` column carries: where the compute happens."""
        return self.compute


class Drop(NamedTuple):
    """Discard the capture, for ``reason`` (words a planner can act on: the ``drop_reason`` of its row)."""

    reason: str

    @property
    def decision(self) -> str:
        return "drop"


ONBOARD = Route("onboard")
GROUND = Route("ground")


def drop(reason: str) -> Drop:
    """Discard a capture, saying why (``drop("worth less than the energy it needs")``)."""
    return Drop(str(reason))


def offload(*satellites: int, product_via=()) -> Route:
    """Send the raw capture over inter-satellite links through ``satellites`` and compute it on the last; the
    product then crosses ``product_via`` (satellite indices: a data relay) and goes down from the last of them
    (by default, down the computing satellite's own contacts)."""
    return Route("onboard", tuple(int(s) for s in satellites), tuple(int(s) for s in product_via))


def relay(*satellites: int) -> Route:
    """Send the raw capture over inter-satellite links through ``satellites`` and downlink it raw from the last."""
    return Route("ground", tuple(int(s) for s in satellites))


HOW_TO_DECIDE = "return spaceground.policies.ONBOARD, GROUND, offload(j), relay(j) (a Route) or drop('why') (a Drop)"


def check_decision(decision, *, policy_name, capture_id, now_s, workload, onboard_allowed, satellite, n_satellites):
    """``decision`` if the engine can carry it out for this capture, else a
    :class:`~spaceground.policies.PolicyError` naming the policy, the capture and what to return instead."""
    from . import PolicyError

    where = f"policy {policy_name!r} returned {decision!r} for capture {capture_id} at t = {now_s:.1f} s"
    if type(decision) is Drop:
        return decision
    if type(decision) is not Route:
        if isinstance(decision, str) and decision in ("onboard", "ground", "drop"):
            raise PolicyError(f"{where}: decisions are typed, not words; {HOW_TO_DECIDE}")
        raise PolicyError(f"{where}; on_capture must {HOW_TO_DECIDE}")
    if decision.compute not in COMPUTE_PLACES:
        raise PolicyError(f"{where}: a route computes at one of {COMPUTE_PLACES}")
    via, then = decision.via, decision.then
    for name, hops in (("via", via), ("then", then)):
        if hops and (not isinstance(hops, tuple) or not all(type(s) is int and 0 <= s < n_satellites for s in hops)):
            raise PolicyError(f"{where}: {name} must be a tuple of satellite indices 0..{n_satellites - 1}")
    if then and decision.compute != "onboard":
        raise PolicyError(f"{where}: then (the product's hops) needs a route that computes in orbit (offload)")
    hops = (satellite, *via, *then)
    if any(a == b for a, b in zip(hops, hops[1:])):
        raise PolicyError(f"{where}: a hop from a satellite to itself (the route starts at satellite {satellite})")
    if decision.compute == "onboard" and not onboard_allowed:
        raise PolicyError(
            f"policy {policy_name!r} chose onboard processing for capture {capture_id} of workload {workload!r}, "
            "which does not allow it (onboard_allowed: false)"
        )
    return decision
