"""The flat records the engine writes (one list of tuples per table, fields named here), how the results layer
reads them by name, and the reasons the engine refuses a capture. No SimPy: results and readers import it alone."""

from __future__ import annotations

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


@dataclass
class Records:
    """Flat records written by the engine (lists of tuples, one list per table, fields as the ``*_FIELDS``
    above). Each fact is written once: a workload's transfer and data-centre job are in ``transfers``
    and ``dc_jobs``, and the results layer joins them into its row."""

    workloads: dict = field(default_factory=dict)  # capture_id -> dict of columns (capture, onboard, downlink)
    downlinks: list = field(default_factory=list)  # DOWNLINK_FIELDS
    energy: list = field(default_factory=list)  # ENERGY_FIELDS
    contacts: list = field(default_factory=list)  # CONTACT_FIELDS
    dc_jobs: list = field(default_factory=list)  # DC_JOB_FIELDS
    transfers: list = field(default_factory=list)  # TRANSFER_FIELDS
    crossings: list = field(default_factory=list)  # CROSSING_FIELDS


def record_columns(rows, fields) -> dict:
    """The records ``rows`` (tuples of ``fields``) as one column per field, by name: numbers as float arrays,
    the text fields (:data:`TEXT_FIELDS`) as lists."""
    text = [k for k, name in enumerate(fields) if name in TEXT_FIELDS]
    out = {fields[k]: [r[k] for r in rows] for k in text}
    if text:
        rows = [tuple(0.0 if k in text else v for k, v in enumerate(r)) for r in rows]
    values = np.array(rows, dtype=float).reshape(-1, len(fields))
    out.update({name: values[:, k] for k, name in enumerate(fields) if k not in text})
    return out
