"""The flat records the engine writes (one list of tuples per table) and the reasons it refuses a capture."""

from __future__ import annotations

from dataclasses import dataclass, field

# The capture table's columns, in the order the engine reads them.
_CAPTURE_FIELDS = (
    "capture_id",
    "time_s",
    "sat",
    "workload",
    "target",
    "raw_bytes",
    "product_bytes",
    "compute_top",
    "deadline_s",
    "value",
    "onboard_allowed",
    "cloudy",
)

# Why the engine itself refuses a capture (a policy's drops carry the policy's own reason).
DROP_BATTERY = "battery: imaging would take it below the floor (reserve plus the bus through the shadow ahead)"
DROP_STORAGE = "storage full: the raw capture does not fit beside the data already onboard"


@dataclass
class Records:
    """Flat records written by the engine (lists of tuples, one list per table). Each fact is written
    once: a workload's transfer and data-centre job are in ``transfers`` and ``dc_jobs``, and the
    results layer joins them into its row."""

    workloads: dict = field(default_factory=dict)  # capture_id -> dict of columns (capture, onboard, downlink)
    downlinks: list = field(default_factory=list)  # (sat, station, capture_id, kind, t0, t1, bytes)
    energy: list = field(
        default_factory=list
    )  # (sat, t, energy_j, generated_j, consumed_j, curtailed_j, unserved_j, storage)
    contacts: list = field(default_factory=list)  # (sat, station, window, aos, los, used_s, bytes)
    dc_jobs: list = field(default_factory=list)  # (dc, capture_id, queued_t, start_t, end_t, energy_j, cost, carbon)
    transfers: list = field(default_factory=list)  # (station, dc, capture_id, t0, t1, bytes)
