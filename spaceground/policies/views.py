"""Read-only views that policies decide on: named tuples and read-only objects, no SimPy."""

from __future__ import annotations

from typing import NamedTuple


class SatelliteView(NamedTuple):
    index: int
    name: str
    energy_j: float  # stored now
    battery_j: float  # capacity
    reserve_j: float  # onboard work never goes below this (plus the bus through the next eclipse)
    sunlit_fraction: float  # now
    storage_free_bytes: float
    compute_backlog_s: float  # queued onboard work at full speed
    downlink_backlog_bytes: float
    next_contact_s: float  # start of the next contact window (inf if none), seconds from the span start
    contact_capacity_bytes: float  # bytes the contacts of the rest of the span could carry


class DataCenterView(NamedTuple):
    index: int
    id: str
    reachable: bool  # from the station at hand
    latency_s: float  # backhaul one way
    bandwidth_bps: float
    busy_servers: int
    servers: int
    queued: int
    server_tops: float
    pue: float
    power_w_per_tops: float
    price_cny_per_kwh: float  # now
    carbon_g_per_kwh: float  # now


class QueuedItem(NamedTuple):
    capture_id: int
    kind: str  # "raw" or "product"
    remaining_bytes: float
    deadline_s: float  # absolute, seconds from the span start
    value: float


class _View:
    """A read-only decision view. ``satellite`` and ``datacenters`` may be given as zero-argument
    callables: they are then built on first use, during the policy call (a view describes the
    moment of its decision; do not keep it for later)."""

    _lazy = ("satellite", "datacenters")

    def __init__(self, **values):
        if len(values) != len(self._fields) or not values.keys() >= set(self._fields):
            missing = sorted(set(self._fields) - set(values))
            unknown = sorted(set(values) - set(self._fields))
            raise TypeError(f"{type(self).__name__}: missing fields {missing}, unknown fields {unknown}")
        d = self.__dict__
        for name, value in values.items():
            d[("_" + name) if name in self._lazy else name] = value

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is read-only")

    def _get(self, name):
        value = self.__dict__["_" + name]
        if callable(value):
            value = value()
            self.__dict__["_" + name] = value
        return value

    @property
    def satellite(self) -> SatelliteView:
        return self._get("satellite")

    @property
    def datacenters(self) -> tuple:
        return self._get("datacenters")

    def replace(self, **changes):
        """A copy with some fields changed."""
        values = {name: getattr(self, name) for name in self._fields}
        values.update(changes)
        return type(self)(**values)

    def __repr__(self):
        shown = ", ".join(f"{n}={getattr(self, n)!r}" for n in self._fields if n not in self._lazy)
        return f"{type(self).__name__}({shown})"


class CaptureView(_View):
    """A capture has just been stored onboard.

    Fields: ``now_s``, ``capture_id``, ``workload``, ``raw_bytes``, ``product_bytes``,
    ``compute_top``, ``deadline_s`` (absolute, seconds from the span start), ``value``,
    ``onboard_allowed``, ``satellite`` (:class:`SatelliteView`), ``datacenters``
    (tuple of :class:`DataCenterView`, none reachable from a satellite: ``reachable`` is False).
    """

    _fields = ("now_s", "capture_id", "workload", "raw_bytes", "product_bytes", "compute_top", "deadline_s", "value",
               "onboard_allowed", "satellite", "datacenters")  # fmt: skip


class ArrivalView(_View):
    """A raw capture has reached a station and needs a data centre.

    Fields: ``now_s``, ``capture_id``, ``station`` (index), ``compute_top``, ``deadline_s``,
    ``value``, ``datacenters`` (with ``reachable``, ``latency_s``, ``bandwidth_bps`` of the
    links from this station).
    """

    _fields = ("now_s", "capture_id", "station", "compute_top", "deadline_s", "value", "datacenters")


class ContactView(_View):
    """A satellite holds an antenna and is about to transmit.

    Fields: ``now_s``, ``satellite``, ``station`` (index), ``window_end_s``, ``rate_bps``,
    ``queue`` (tuple of :class:`QueuedItem`).
    """

    _fields = ("now_s", "satellite", "station", "window_end_s", "rate_bps", "queue")
