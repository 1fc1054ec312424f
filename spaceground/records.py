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
# A satellite's thermal node (only satellites with a thermal model): its temperature, and 1 while its computer is
# stopped by heat (from reaching the limit until cooled to the throttle temperature), else 0.
TEMPERATURE_FIELDS = ("sat", "time_s", "temperature_k", "throttled")
# A pass booked ahead at a station with a booking lead time (billed whether or not anything is sent in it).
BOOKING_FIELDS = ("sat", "window", "time_s")
TEXT_FIELDS = ("kind",)
KINDS = ("raw", "product")  # the values of a ``kind`` field, written as their index
RAW, PRODUCT = 0.0, 1.0


# The words of a workload's ``status``, written by the engine as their index: 0 for a capture the span ended
# before (it has no row).
STATUSES = (
    "",
    "captured",
    "dropped",
    "queued_onboard",
    "queued_crossing",
    "queued_downlink",
    "on_ground",
    "backhaul",
    "queued_ground",
    "delivered",
)
(
    CAPTURED,
    DROPPED,
    QUEUED_ONBOARD,
    QUEUED_CROSSING,
    QUEUED_DOWNLINK,
    ON_GROUND,
    BACKHAUL,
    QUEUED_GROUND,
    DELIVERED,
) = range(1, len(STATUSES))
DECISIONS = ("", "drop", "onboard", "ground")  # the words of ``decision``, by index ("": none made)
DECISION_CODE = {word: k for k, word in enumerate(DECISIONS)}

# The times and node indices the engine writes as an item goes on (NaN until then), and the energy it charges.
WORKLOAD_TIMES = (
    "capture_s",
    "deadline_s",
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


def _floats(values):
    """A flat buffer of doubles holding ``values`` (any array-like)."""
    out = array("d")
    out.frombytes(np.ascontiguousarray(values, dtype=float).tobytes())
    return out


class WorkloadColumns:
    """The workloads' rows as the engine fills them in, a column a field, one entry a capture (indexed by capture
    id, which is the capture table's row): flat buffers of doubles and small codes, no Python object a capture
    (a run may hold millions). The capture's own fields are read from the capture table; ``status``
    (:data:`STATUSES`), ``decision`` (:data:`DECISIONS`) and ``drop_reason`` (an index into ``reasons``, 0 for
    none) are codes; the times and node indices of :data:`WORKLOAD_TIMES` are NaN until set; ``route`` holds
    each capture's typed route (None until the policy routes it)."""

    def __init__(self, captures):
        n = len(captures)
        self.n = n
        # What the engine reads of each capture, as Python floats on access.
        self.raw_bytes = _floats(captures["raw_bytes"].to_numpy())
        self.product_bytes = _floats(captures["product_bytes"].to_numpy())
        self.compute_top = _floats(captures["compute_top"].to_numpy())
        self.value = _floats(captures["value"].to_numpy())
        self.status = array("b", bytes(n))
        self.decision = array("b", bytes(n))
        self.drop_reason = array("q", bytes(8 * n))
        self.reasons = [None]  # the words of each drop reason code
        self._reason_code = {}
        self.energy_onboard_j = _floats(np.zeros(n))
        for name in WORKLOAD_TIMES:
            setattr(self, name, _floats(np.full(n, np.nan)))
        self.route = [None] * n

    def drop(self, cid, reason, decision=0):
        """Mark ``cid`` dropped for ``reason`` (words), with the ``decision`` code that dropped it (0: the engine)."""
        code = self._reason_code.get(reason)
        if code is None:
            code = self._reason_code[reason] = len(self.reasons)
            self.reasons.append(reason)
        self.status[cid], self.drop_reason[cid] = DROPPED, code
        if decision:
            self.decision[cid] = decision


def _log():
    return array("d")


@dataclass
class Records:
    """Flat records written by the engine, one log per table: the fields of each record (``*_FIELDS`` above)
    appended in order to a flat buffer of doubles (``log.extend(record)``: 8 bytes a field, no Python object
    a record; a ``kind`` is written as its index in :data:`KINDS`). Each fact is written once: a workload's
    transfer and data-centre job are in ``transfers`` and ``dc_jobs``, and the results layer joins them into
    its row."""

    workloads: WorkloadColumns | None = None  # set by the engine from the run's capture table
    downlinks: array = field(default_factory=_log)  # DOWNLINK_FIELDS
    energy: array = field(default_factory=_log)  # ENERGY_FIELDS
    contacts: array = field(default_factory=_log)  # CONTACT_FIELDS
    dc_jobs: array = field(default_factory=_log)  # DC_JOB_FIELDS
    transfers: array = field(default_factory=_log)  # TRANSFER_FIELDS
    crossings: array = field(default_factory=_log)  # CROSSING_FIELDS
    temperatures: array = field(default_factory=_log)  # TEMPERATURE_FIELDS
    bookings: array = field(default_factory=_log)  # BOOKING_FIELDS

    def take(self, name):
        """The log (or the workload columns) ``name``, which the records then no longer hold: the results layer
        reads each once and frees it as it goes, so that a run of millions of captures never holds its records
        and its tables whole at once. A second take is an error, not an empty table."""
        log = getattr(self, name)
        if log is None:
            raise ValueError(
                f"the run's records of {name!r} were already turned into results (each is read once); "
                "run the engine again to build its results again"
            )
        setattr(self, name, None)
        return log


def record_columns(log, fields) -> dict:
    """The records of ``log`` (a flat buffer of ``fields`` per record) as one column per field, by name: numbers
    as float arrays, the text fields (:data:`TEXT_FIELDS`) as integer codes (the index of a word of :data:`KINDS`).
    The columns are copies: none of them holds on to ``log``."""
    values = np.frombuffer(log, dtype=float).reshape(-1, len(fields)) if len(log) else np.zeros((0, len(fields)))
    return {
        name: values[:, k].astype(np.int64) if name in TEXT_FIELDS else np.ascontiguousarray(values[:, k])
        for k, name in enumerate(fields)
    }
