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
    queue: tuple = ()  # QueuedItem of everything waiting for downlink, in the order it was queued
    now_s: float = float("nan")  # the moment the view describes, seconds from the span start
    onboard_queue: tuple = ()  # OnboardJob waiting for the onboard computer (not the one running)
    onboard_running: object = None  # OnboardJob on the computer now (run_s: what is left), or None
    hardware: object = None  # spaceground.model.SatelliteHardware (SI units): compute_tops, downlink_bps, tx_w, ...
    compute_busy_s: float = 0.0  # seconds the onboard computer has run busy since the span start (up to now)
    temperature_k: float = float("nan")  # the thermal node's temperature now (NaN without a thermal model)
    throttled: bool = False  # the computer is stopped by heat until the node cools to hardware.throttle_k


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


class OnboardJob(NamedTuple):
    capture_id: int
    run_s: float  # at full speed
    deadline_s: float
    value: float
    product_bytes: float = 0.0  # what the job leaves to downlink


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
        if values.keys() != self._field_set:
            missing = sorted(set(self._fields) - set(values))
            unknown = sorted(set(values) - set(self._fields))
            raise TypeError(f"{type(self).__name__}: missing fields {missing}, unknown fields {unknown}")
        self.__dict__.update(values)  # the lazy ones sit under properties of the same name

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is read-only")

    def _get(self, name):
        value = self.__dict__[name]
        if callable(value):
            value = value()
            self.__dict__[name] = value
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


def _fields_of(cls):
    cls._field_set = frozenset(cls._fields)
    return cls


@_fields_of
class CaptureView(_View):
    """A capture has just been stored onboard.

    Fields: ``now_s``, ``capture_id``, ``workload``, ``raw_bytes``, ``product_bytes``,
    ``compute_top``, ``deadline_s`` (absolute, seconds from the span start), ``value``,
    ``onboard_allowed``, ``satellite`` (:class:`SatelliteView`), ``datacenters``
    (tuple of :class:`DataCenterView`, none reachable from a satellite: ``reachable`` is False).
    """

    _fields = (
        "now_s",
        "capture_id",
        "workload",
        "raw_bytes",
        "product_bytes",
        "compute_top",
        "deadline_s",
        "value",
        "onboard_allowed",
        "satellite",
        "datacenters",
    )


@_fields_of
class ArrivalView(_View):
    """A raw capture has reached a station and needs a data centre.

    Fields: ``now_s``, ``capture_id``, ``station`` (index), ``raw_bytes``, ``compute_top``,
    ``deadline_s``, ``value``, ``datacenters`` (with ``reachable``, ``latency_s``, ``bandwidth_bps`` of the
    links from this station).
    """

    _fields = ("now_s", "capture_id", "station", "raw_bytes", "compute_top", "deadline_s", "value", "datacenters")


@_fields_of
class ContactView(_View):
    """A satellite holds an antenna and is about to transmit.

    Fields: ``now_s``, ``satellite``, ``station`` (index), ``window_end_s``, ``rate_bps``,
    ``queue`` (tuple of :class:`QueuedItem`).
    """

    _fields = ("now_s", "satellite", "station", "window_end_s", "rate_bps", "queue")


class OpenPass(NamedTuple):
    """A contact window open now at a station with an antenna free for the satellite."""

    station: int
    window_start_s: float
    window_end_s: float
    rate_bps: float  # in force now
    price_cny: float = 0.0  # what sending in it costs now: the pass's price, 0 once booked or at an owned station


@_fields_of
class PassChoiceView(_View):
    """A satellite with data queued has several passes open with a free antenna (policy ``choose_pass``).

    Fields: ``now_s``, ``satellite`` (:class:`SatelliteView`, with its ``queue``), ``passes`` (tuple of
    :class:`OpenPass`, latest end first).
    """

    _fields = ("now_s", "satellite", "passes")


@_fields_of
class BookingView(_View):
    """The booking lead time before a pass at a station bought as a service has come (policy ``book_pass``).

    Fields: ``now_s``, ``satellite`` (:class:`SatelliteView`, with its ``queue``), ``booking`` (:class:`OpenPass`:
    the pass to book, which starts ``booking_lead_h`` later, at its price).
    """

    _fields = ("now_s", "satellite", "booking")


class SatellitePlan(NamedTuple):
    """What is known in advance about one satellite: its hardware, contact windows and sunlight."""

    index: int
    name: str
    period_s: float  # orbital period from the element set
    hardware: object  # spaceground.model.SatelliteHardware (SI units)
    window_station: tuple  # station index of each contact window, sorted by start
    window_aos_s: tuple
    window_los_s: tuple
    window_rate_bps: tuple
    segment_start_s: tuple  # piecewise-constant sunlit fraction: segment starts ...
    segment_sunlit: tuple  # ... and the fraction in each (1 sunlit, 0 umbra, between in penumbra)
    links: object = None  # spaceground.links.LinkWindows of these windows (row w: window w), rate profiles and all
    role: str = "imaging"  # "imaging", "computing" (computes what others send it) or "relay" (sends it down)
    laser_terminals: int = 1  # laser terminals: inter-satellite sessions at once, sending or receiving


class Plan(NamedTuple):
    """The scenario as known before the run, given once to a policy's optional ``start(plan)``.

    Contact windows and eclipses are predictable from the orbits, so online policies may
    plan on them. ``captures`` (a copy of the capture table of the whole run) is knowledge
    of the future: it is given only to a policy whose class sets ``offline_planner = True``
    (``milp-optimal``); every other policy gets None. The arrays cannot be written.
    """

    duration_s: float
    satellites: tuple  # SatellitePlan
    stations: tuple  # spaceground.model.GroundStation
    datacenters: tuple  # spaceground.model.DataCenter
    link_bps: object  # (stations, datacenters) array, 0 without a link
    link_latency_s: object  # (stations, datacenters) array, inf without a link
    workloads: tuple  # spaceground.model.WorkloadSpec
    captures: object  # pandas DataFrame (capture_id, time_s, sat, workload, raw_bytes, ..., value)
    objective: object  # weights: cost_weight_per_cny, carbon_weight_per_kg, onboard_energy_weight_per_wh
    links: object = None  # spaceground.links.LinkWindows: every link window of the run, inter-satellite ones too


# The engine's constructors of its three decision views: positional, no checks, the dict built as a
# literal (a third cheaper than keywords, and these are made once per decision).
_new, _adopt = object.__new__, object.__setattr__


def _capture_view(
    now_s,
    capture_id,
    workload,
    raw_bytes,
    product_bytes,
    compute_top,
    deadline_s,
    value,
    onboard_allowed,
    satellite,
    datacenters,
):
    view = _new(CaptureView)
    _adopt(
        view,
        "__dict__",
        {
            "now_s": now_s,
            "capture_id": capture_id,
            "workload": workload,
            "raw_bytes": raw_bytes,
            "product_bytes": product_bytes,
            "compute_top": compute_top,
            "deadline_s": deadline_s,
            "value": value,
            "onboard_allowed": onboard_allowed,
            "satellite": satellite,
            "datacenters": datacenters,
        },
    )
    return view


def _arrival_view(now_s, capture_id, station, raw_bytes, compute_top, deadline_s, value, datacenters):
    view = _new(ArrivalView)
    _adopt(
        view,
        "__dict__",
        {
            "now_s": now_s,
            "capture_id": capture_id,
            "station": station,
            "raw_bytes": raw_bytes,
            "compute_top": compute_top,
            "deadline_s": deadline_s,
            "value": value,
            "datacenters": datacenters,
        },
    )
    return view


def _contact_view(now_s, satellite, station, window_end_s, rate_bps, queue):
    view = _new(ContactView)
    _adopt(
        view,
        "__dict__",
        {
            "now_s": now_s,
            "satellite": satellite,
            "station": station,
            "window_end_s": window_end_s,
            "rate_bps": rate_bps,
            "queue": queue,
        },
    )
    return view


def _pass_choice_view(now_s, satellite, passes):
    view = _new(PassChoiceView)
    _adopt(view, "__dict__", {"now_s": now_s, "satellite": satellite, "passes": passes})
    return view


def _booking_view(now_s, satellite, booking):
    view = _new(BookingView)
    _adopt(view, "__dict__", {"now_s": now_s, "satellite": satellite, "booking": booking})
    return view
