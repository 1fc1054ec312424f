"""The discrete-event engine: the only package that imports SimPy, the only stateful code.

Modules, one concern each: ``clock`` (signals, sleeps, and work due at known times), ``records``, ``satellite``
(battery, loads, storage), ``onboard`` (captures, routes and the computer), ``crossing`` (inter-satellite links),
``downlink`` (windows, antennas, the transmitter), ``runs`` (a session's items sent a run at a time),
``ground`` (backhaul, data centres), ``core`` (the run).

State changes only at events (capture, contact start and end, eclipse entry and
exit, job start and end, transfer end); in between every power is constant and
the battery follows :func:`spaceground.power.battery_after_j` exactly.

Rules the engine enforces, whatever the policy decides:

* **Energy**: onboard computing, transmitting and imaging run only while the
  battery holds more than its reserve plus what the bus needs to get through the
  coming (or current) shadow; the battery is clamped at full and the surplus is
  recorded as curtailed. A load stopped at that floor while the array charges the
  battery resumes once the battery could run it for what it has left to do (the job's
  rest; the item's rest within its window), at most ``DUTY_CYCLE_S`` (a minute), or
  earlier if the power changes.
* **Storage**: a capture that does not fit is dropped (``storage_full``).
* **Antennas** (the documented assignment rule): a satellite asks for an antenna
  when it is in view of a station and has data queued; requests wait in the order
  they were made; an antenna serves one satellite until that pass ends or the
  satellite has nothing left to send. A satellite with several stations in view
  transmits through one at a time: the one with a free antenna whose window ends
  last, unless the policy has ``choose_pass`` (then the policy's pass, or none, asked
  again whenever another of the satellite's windows opens or new data is queued: the
  item under way is cut there and goes on later).
* **Downlink** happens only inside contact windows; an item cut by the end of a
  window resumes at the next contact.
* **Routes** (:mod:`spaceground.policies.routes`): items move hop by hop, store and
  forward. A raw capture whose route goes through other satellites waits in its
  satellite's storage for an inter-satellite window to the next one, crosses it (the
  sender's battery pays ``laser_w`` for each session while it sends; each of a satellite's
  laser terminals serves one session at a time, at either end), is stored there, and goes on: another hop, the computer
  there, or its downlink (see :mod:`.crossing`). A product whose route has ``then`` hops crosses them the
  same way after the computer and goes down from the last.
* **Backhaul**: a transfer takes latency plus size over bandwidth, concurrent
  transfers sharing the link equally (processor sharing).
* **Data centres**: FIFO over ``servers`` servers of ``capacity / servers`` TOPS, as many
  at once as ``available_power_kw`` feeds (a running job finishes when the supply drops);
  facility energy is IT energy times PUE; cost and carbon use the price and
  intensity while the job runs.

Every change is written as a flat record (see :class:`Records`).
"""

from ..records import DROP_BATTERY, DROP_STORAGE, Records
from .clock import DUTY_CYCLE_S, EPS_J, EPS_S
from .core import Engine, run
from .ground import BackhaulLink, Ground, ServerPool
from .satellite import Satellite

__all__ = [
    "BackhaulLink",
    "DROP_BATTERY",
    "DROP_STORAGE",
    "DUTY_CYCLE_S",
    "EPS_J",
    "EPS_S",
    "Engine",
    "Ground",
    "Records",
    "Satellite",
    "ServerPool",
    "run",
]
