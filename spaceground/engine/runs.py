"""Downlink runs: the items a session sends back to back, planned at once, each end written by the clock.

Under the default downlink order (earliest deadline first) and a policy that does not choose passes, nothing
decides between two items of a session: the next is the queue's first, and its end follows from the window's
rate profile. A run plans the first items, sleeps once, and hands each end to the clock (``_Clock.due``),
which writes it just before the first event at or after it, so the rest of the run sees every end in time
order, as if it had been an event. What the item-by-item loop would do on a change is kept: a change of the
loads cuts the piece under way there; new data lets it end and the next is chosen then.
"""

from __future__ import annotations

from heapq import heappop, heappush

from .clock import EPS_S, _sleep

RUN_MIN, RUN_MAX = 4, 256  # items a downlink run plans at once: it doubles after a run sent whole, and shrinks
# to what was sent before a change cut it (what a change puts back costs a heap entry an item)
FLOOR_GUARD_S = 1e-3  # a run's items after the first end at least this long before the battery's floor


class RunMixin:
    """Sending a downlink session's items a run at a time."""

    def _send_run(self, sat, s, window, row, los, now, safe, session, t_begin):
        """Send the queue's first items back to back from ``now`` (the transmitter on, ``safe`` seconds to the
        floor): as many as end before the window does and well before the floor, at most ``sat.run_len`` (which
        doubles after a run sent whole, up to :data:`RUN_MAX`, and shrinks to what a cut run had sent). Each
        ends at a time known in closed form (the rate profile of the window), so the run sleeps once; each piece
        is written at its own end, in time order with the rest of the run (:meth:`_Clock.due`). A change of
        the loads cuts the piece under way there and puts the rest back in the queue's order; new data without
        one lets the piece under way end and puts the rest back. Returns the time the run stopped, as the
        item-by-item loop would have reached it."""
        env, lw, queue, edf = self.env, self.link_windows, sat.downlink_queue, sat.edf
        floor_at = now + safe
        pieces = []  # (capture id, item, start, end, whole item, heap key)
        t = now
        most = sat.run_len
        while edf and t < los - EPS_S and len(pieces) < most:
            key = edf[0]
            if key[1] not in queue:
                heappop(edf)
                continue
            item = queue[key[1]]
            whole = lw.time_to_send(row, t, item["remaining"])
            if pieces:  # after the first, only items that end well before the floor (the loop's own check)
                if t + whole >= floor_at - FLOOR_GUARD_S:
                    break
                dt = max(EPS_S, min(whole, los - t))
            else:
                dt = max(EPS_S, min(whole, los - t, safe))
            heappop(edf)
            pieces.append((key[1], item, t, t + dt, dt >= whole, key))
            t += dt
            if dt < whole:
                break  # cut by the window's end or the floor: the last piece
        run = _Run(s, window, row, pieces, session, t_begin)
        for k, piece in enumerate(pieces):
            if piece[3] < self.end_s:  # one ending at the span end or later is the span end's to cut
                env.due(piece[3], self._piece_ended, sat, run, k)
        sat.run = run
        t_end = pieces[-1][3]
        signals = (sat.power_changed, sat.data_added)
        while True:
            fired = sat.power_changed.fired
            timed_out = yield _sleep(env, t_end - env.now, signals)
            k = run.next  # the piece under way: the clock has written those that ended by now
            if timed_out or k >= run.stop:
                break
            now = env.now
            sat.run_len = max(RUN_MIN, k + 1)  # (runs as long as the stretches between changes)
            if sat.power_changed.fired != fired:  # the loads changed: cut the piece under way here
                self._put_back(sat, run, k)
                self._write_piece(sat, run, k, now, whole=False)
                sat.run = None
                return now
            self._put_back(sat, run, k + 1)  # new data: the piece under way ends, the next is chosen then
            t_end = pieces[k][3]
        if run.stop == len(pieces):
            sat.run_len = min(RUN_MAX, 2 * sat.run_len)
        for k in range(run.next, run.stop):  # (written by the clock before this wake-up; none is left)
            self._piece_ended(pieces[k][3], sat, run, k)
        sat.run = None
        return t_end

    @staticmethod
    def _put_back(sat, run, k):
        """Cancel the pieces of ``run`` from ``k`` on: their items go back to the queue's order."""
        for piece in run.pieces[k : run.stop]:
            heappush(sat.edf, piece[5])
        run.stop = min(run.stop, k)

    def _piece_ended(self, t, sat, run, k):
        """Piece ``k`` of ``run`` ended at ``t`` (unless cancelled or written already)."""
        if k != run.next or k >= run.stop:
            return
        run.next = k + 1
        cid, _, _, _, whole, key = run.pieces[k]
        self._write_piece(sat, run, k, t, whole)
        if cid in sat.downlink_queue:  # cut by the window's end or the floor: back in the queue's order
            heappush(sat.edf, key)

    def _write_piece(self, sat, run, k, t, whole):
        """Write piece ``k`` of ``run`` as sent up to ``t``: the item's rest if ``whole``, else what the window
        carried since the piece began."""
        cid, item, t0 = run.pieces[k][:3]
        if whole:
            sent = item["remaining"]
        else:
            sent = min(item["remaining"], self.link_windows.capacity_between(run.row, t0, t))
        run.session[0] += sent
        self._sent(sat, run.station, cid, item, t0, t, sent)


class _Run:
    """A run of pieces a downlink session sends back to back (see :meth:`RunMixin._send_run`): ``pieces`` are
    (capture id, item, start, end, whole item, heap key); those before ``next`` are written, those from ``stop``
    on cancelled; ``session`` holds the bytes the session has sent."""

    __slots__ = ("station", "window", "row", "pieces", "session", "t_begin", "next", "stop")

    def __init__(self, station, window, row, pieces, session, t_begin):
        self.station, self.window, self.row, self.pieces = station, window, row, pieces
        self.session, self.t_begin = session, t_begin
        self.next, self.stop = 0, len(pieces)
