"""Read-only views that policies decide on. Plain frozen dataclasses, no SimPy."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SatelliteView:
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


@dataclass(frozen=True)
class DataCenterView:
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


@dataclass(frozen=True)
class QueuedItem:
    capture_id: int
    kind: str  # "raw" or "product"
    remaining_bytes: float
    deadline_s: float  # absolute, seconds from the span start
    value: float


@dataclass(frozen=True)
class CaptureView:
    now_s: float
    capture_id: int
    workload: str
    raw_bytes: float
    product_bytes: float
    compute_top: float
    deadline_s: float  # absolute
    value: float
    onboard_allowed: bool
    satellite: SatelliteView
    datacenters: tuple


@dataclass(frozen=True)
class ArrivalView:
    now_s: float
    capture_id: int
    station: int
    compute_top: float
    deadline_s: float
    value: float
    datacenters: tuple  # DataCenterView, reachable flags for this station


@dataclass(frozen=True)
class ContactView:
    now_s: float
    satellite: SatelliteView
    station: int
    window_end_s: float
    rate_bps: float
    queue: tuple  # QueuedItem
