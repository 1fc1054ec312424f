"""The flat records the engine writes (one list of tuples per table, fields named here), how the results layer
reads them by name, and the reasons the engine refuses a capture. No SimPy: results and readers import it alone."""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field

import numpy as np

from .workloads import CAPTURE_COLUMNS, CLOUD_COLUMN

# The capture table's columns, in the order the engine reads them.
_CAPTURE_FIELDS = (*CAPTURE_COLUMNS, CLOUD_COLUMN)

# Why the engine itself refuses a capture (a policy's drops carry the policy's own reason).
DROP_BATTERY = "battery: imaging would take it below the floor (reserve plus the bus through the shadow ahead)"
DROP_STORAGE = "storage full: the raw capture does not fit beside the data already onboard"


# The fields of each record, in the order the engine writes them: the results layer reads them by these names.
DOWNLINK_FIELDS = ("sat", "station", "capture_id", "kind", "start_s", "end_s", "bytes")
ENERGY_FIELDS = ("sat", "time_s", "energy_j", "generated_j", "consumed_j", "curtailed_j", "unserved_j", "storage_bytes")
CONTACT_FIELDS = ("sat", "station", "window", "start_s", "end_s", "bytes")  # one transmission session
DC_JOB_FIELDS = ("dc", "capture_id", "queued_s", "start_s", "end_s", "energy_j", "cost_cny", "carbon_g")
TRANSFER_FIELDS = ("station", "dc", "capture_id", "start_s", "end_s", "bytes")
CROSSING_FIELDS = ("sender", "receiver", "capture_id", "kind", "start_s", "end_s", "bytes")  # inter-satellite
TEXT_FIELDS = ("kind",)
KINDS = ("raw", "product")  # the values of a ``kind`` field, written as their index
RAW, PRODUCT = 0.0, 1.0


WORKLOAD_FIELDS = (
    "capture_id",
    "sat",
    "workload",
    "target",
    "capture_s",
    "raw_bytes",
    "product_bytes",
    "compute_top",
    "deadline_s",
    "value",
    "cloudy",
    "status",
    "decision",
    "drop_reason",
    "energy_onboard_j",
    "route",
    "compute_sat",
    "onboard_start_s",
    "onboard_end_s",
    "downlink_start_s",
    "downlink_end_s",
    "station",
    "datacenter",
    "backhaul_start_s",
    "delivered_s",
)


class WorkloadRecord:
    """One capture's row as the engine fills it in (fields :data:`WORKLOAD_FIELDS`; None until set). Slots, not
    a dict: a run may hold millions of them."""

    __slots__ = WORKLOAD_FIELDS

    def __init__(
        self,
        capture_id,
        sat,
        workload,
        target,
        capture_s,
        raw_bytes,
        product_bytes,
        compute_top,
        deadline_s,
        value,
        cloudy,
    ):
        self.capture_id, self.sat, self.workload, self.target = capture_id, sat, workload, target
        self.capture_s, self.raw_bytes, self.product_bytes = capture_s, raw_bytes, product_bytes
        self.compute_top, self.deadline_s, self.value, self.cloudy = compute_top, deadline_s, value, cloudy
        self.status, self.decision, self.drop_reason, self.energy_onboard_j = "captured", None, None, 0.0
        self.route = self.compute_sat = self.onboard_start_s = self.onboard_end_s = None
        self.downlink_start_s = self.downlink_end_s = self.station = self.datacenter = None
        self.backhaul_start_s = self.delivered_s = None


def _log():
    return array("d")


@dataclass
class Records:
    """Flat records written by the engine, one log per table: the fields of each record (``*_FIELDS`` above)
    appended in order to a flat buffer of doubles (``log.extend(record)``: 8 bytes a field, no Python object
    a record; a ``kind`` is written as its index in :data:`KINDS`). Each fact is written once: a workload's
    transfer and data-centre job are in ``transfers`` and ``dc_jobs``, and the results layer joins them into
    its row."""

    workloads: dict = field(default_factory=dict)  # capture_id -> WorkloadRecord
    downlinks: array = field(default_factory=_log)  # DOWNLINK_FIELDS
    energy: array = field(default_factory=_log)  # ENERGY_FIELDS
    contacts: array = field(default_factory=_log)  # CONTACT_FIELDS
    dc_jobs: array = field(default_factory=_log)  # DC_JOB_FIELDS
    transfers: array = field(default_factory=_log)  # TRANSFER_FIELDS
    crossings: array = field(default_factory=_log)  # CROSSING_FIELDS


def record_columns(log, fields) -> dict:
    """The records of ``log`` (a flat buffer of ``fields`` per record) as one column per field, by name:
    numbers as float arrays, the text fields (:data:`TEXT_FIELDS`) as lists of words."""
    values = np.frombuffer(log, dtype=float).reshape(-1, len(fields)) if len(log) else np.zeros((0, len(fields)))
    return {
        name: np.asarray(KINDS, dtype=object)[values[:, k].astype(np.int64)].tolist()
        if name in TEXT_FIELDS
        else values[:, k]
        for k, name in enumerate(fields)
    }
