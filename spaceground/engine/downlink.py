"""The downlink: each satellite's manager of its contact windows and antennas, and the transmitter."""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from heapq import heappop

import numpy as np

from ..links import assign_antennas
from ..policies import PolicyError
from ..policies.views import OpenPass, _booking_view, _contact_view, _pass_choice_view
from ..records import DELIVERED, ON_GROUND, PRODUCT, RAW
from .clock import EPS_S, _sleep


class DownlinkMixin:
    """Contact windows, antennas and the transmitter: what goes down, when, through which station."""

    send_in_runs = True  # False: an item at a time (the reference the runs are tested against)

    def _remaining_capacity(self, k, now):
        """Bytes the satellite's windows from ``now`` on could carry (overlapping windows counted twice). A window of a
        station with a booking lead time that was not booked when its lead time came is closed for good and carries
        nothing; one whose booking time is still ahead counts (it is booked if data waits then)."""
        aos, los, first, lw = self._aos[k], self._los[k], self._first_row[k], self.link_windows
        hi = bisect_right(aos, now)
        lo = bisect_left(aos, now - self._longest[k])
        closed = self._unbookable[k]
        partial = sum(
            lw.capacity_between(first + w, now, los[w]) for w in range(lo, hi) if los[w] > now and w not in closed
        )
        remaining = self._suffix[k][hi] + partial
        if closed:  # windows ahead whose booking time has passed without a booking
            lead, sta = self._station_lead_s, self._sta[k]
            for w in range(hi, bisect_right(aos, now + self._max_lead_s)):
                if w in closed and aos[w] - lead[sta[w]] < now:
                    remaining -= self._capacity[k][w]
        return remaining

    def _open_windows(self, k, now):
        """Windows of satellite ``k`` open at ``now`` and the next start after it (a window carrying nothing now,
        an optical pass under cloud with no RF, is not open: no station locks on to it)."""
        aos, los, first, lw = self._aos[k], self._los[k], self._first_row[k], self.link_windows
        hi = bisect_right(aos, now + EPS_S)
        lo = bisect_left(aos, now - self._longest[k] - EPS_S)
        closed = self._unbookable[k]  # windows of stations with a booking lead time, not booked
        open_w = [
            w for w in range(lo, hi) if los[w] > now + EPS_S and w not in closed and lw.rate_at(first + w, now) > 0.0
        ]
        return open_w, (aos[hi] if hi < len(aos) else math.inf)

    def _booker(self, sat):
        """Book each pass of a station with a booking lead time at its start minus the lead, if the satellite then
        has data waiting to go down and the policy's ``book_pass`` (if it has one) agrees; a booking before the span
        started cannot be made (the pass stays closed)."""
        env, k = self.env, sat.index
        for when, w in self._lead[k]:
            if when < 0.0:
                continue
            if when >= self.end_s:
                return
            if when > env.now:
                yield env.timeout(when - env.now)
            if sat.downlink_queue and (self._book_pass is None or self._asked_to_book(sat, w)):
                self._unbookable[k].discard(w)
                self._booked[k].add(w)  # billed whole from now on: sending in it costs nothing more
                self.records.bookings.extend((k, w, env.now))

    def _downlink_manager(self, sat):
        """Hand the satellite's queued data to stations in view, one at a time (see the module rules)."""
        env = self.env
        k = sat.index
        los, stations = self._los[k], self._sta[k]

        def until_change(open_w, next_aos):
            """Seconds to the next window start or the first end among the open windows."""
            now = env.now
            dt = next_aos - now
            if open_w:
                dt = min(dt, max(EPS_S, min(min(los[w] for w in open_w), self.end_s) - now))
            return dt

        declined = None  # (window, queue version) of a pass the policy's choice then ordered nothing for
        rule = self._pass_rule
        network = rule == "network"
        while env.now < self.end_s:
            if not sat.downlink_queue:
                # Nothing to send: window starts and ends do not matter until data arrives.
                yield sat.data_added.wait()
                if network:
                    self._network_changed.fire()  # it needs an antenna again
                continue
            open_w, next_aos = self._open_windows(k, env.now)
            if not open_w:
                if next_aos == math.inf:
                    return
                yield env.timeout(next_aos - env.now)
                continue
            free = [w for w in open_w if self.antennas_free[stations[w]]]
            if self._acquisition_s > 0.0:  # a new lock on a pass that sets before it is made would carry nothing
                free = [w for w in free if self._lock[k] == w or los[w] - env.now > self._acquisition_s]
            if network and self._assigned[k] not in free:
                # Its window is the one the network's assignment gives it, once that window's antenna is free.
                signals = [self._assignment_changed[k]] + [self.antenna_freed[stations[q]] for q in open_w]
                yield _sleep(env, until_change(open_w, next_aos), signals)
                continue
            if not free:
                yield _sleep(env, until_change(open_w, next_aos), [self.antenna_freed[stations[w]] for w in open_w])
                continue
            if network:
                w = self._assigned[k]
            elif rule == "best-window":
                now = env.now
                w = max(free, key=lambda q: (self._carries_bytes(k, q, now, los[q]), los[q]))
            elif rule in ("stay", "hold"):
                if self._priced:  # the cheapest pass now (an owned one, or one already booked), then the latest
                    w = min(free, key=lambda q: (self._price_now(k, q), -los[q]))
                else:
                    w = max(free, key=lambda q: los[q])
            else:
                w = self._chosen_pass(sat, free)
                if w is None or (w, sat.queue_version) == declined:
                    # The policy waits (or chose a pass whose order it left empty since the queue last changed):
                    # ask again when data arrives, an antenna is freed or a window starts or ends.
                    signals = [sat.data_added] + [self.antenna_freed[stations[q]] for q in open_w]
                    yield _sleep(env, until_change(open_w, next_aos), signals)
                    continue
            s = stations[w]
            self.antennas_free[s] -= 1
            if self._priced:
                self._booked[k].add(w)
            # With a policy that chooses passes, or handover "best-window", a session ends once another window opens
            # or new data is queued (cutting the item under way), so that the choice may be made again.
            rechoose_s = next_aos if rule in ("policy", "best-window") else math.inf
            why = yield from self._transmit(sat, s, w, los[w], rechoose_s)
            self.antennas_free[s] += 1
            self.antenna_freed[s].fire()
            if network and why == "empty":
                self._network_changed.fire()  # its antenna may serve another satellite
            if why == "rechoose":
                continue
            if why == "policy" and rule == "policy":
                declined = (w, sat.queue_version)  # let it choose another pass
                continue
            if why in ("energy", "policy"):
                open_w, next_aos = self._open_windows(k, env.now)
                signal = sat.power_changed if why == "energy" else sat.data_added
                dt = until_change(open_w, next_aos)
                if why == "energy":  # resume when the charging battery can run the transmitter a while
                    sat.advance()
                    dt = min(dt, sat.recharge_s(sat.hw.tx_w, sat.tx_left_s))
                yield _sleep(env, dt, (signal,))

    def _asked_to_book(self, sat, w):
        """The policy's ``book_pass`` on window ``w`` of ``sat``: True or False."""
        k, now = sat.index, self.env.now
        first = self._first_row[k]
        booking = OpenPass(
            self._sta[k][w],
            self._aos[k][w],
            self._los[k][w],
            self.link_windows.rate_at(first + w, self._aos[k][w]),
            self._price[k][w],
        )
        answer = self._book_pass(_booking_view(now, sat.view, booking))
        self.decisions += 1
        if not isinstance(answer, (bool, np.bool_)):
            raise PolicyError(
                f"policy {self.policy.policy_name!r}: book_pass returned {answer!r} on {sat.name} at t={now:.3f} s; "
                "expected True (book the pass) or False"
            )
        return bool(answer)

    def _carries_bytes(self, k, w, now, until_s):
        """What window ``w`` of satellite ``k`` carries from ``now`` to ``until_s``, less what the acquisition of a new
        lock costs at its rate now (nothing to go on in the window of its last session)."""
        row = self._first_row[k] + w
        carried = self.link_windows.capacity_between(row, now, until_s)
        if self._acquisition_s > 0.0 and self._lock[k] != w:
            carried -= self.link_windows.rate_at(row, now) / 8.0 * self._acquisition_s
        return carried

    def _network_assigner(self):
        """Handover "network": at every window start and end of the run (and whenever a satellite's queue fills or
        empties), give the antennas to the satellites with data so that the most bytes go down until the next such
        time: a maximum-weight assignment of satellites to antennas (weight: what the window carries until then,
        at most what the satellite holds; for a new lock, times one less the share of the window's remaining time
        its acquisition takes). A satellite whose window changes ends its session there."""
        env, lw, n = self.env, self.link_windows, len(self.sats)
        epochs = np.unique(np.r_[lw.start_s, lw.end_s])
        epochs = epochs[(epochs > 0.0) & (epochs < self.end_s)].tolist()
        i = 0
        while env.now < self.end_s:
            now = env.now
            while i < len(epochs) and epochs[i] <= now + EPS_S:
                i += 1
            until = epochs[i] if i < len(epochs) else self.end_s
            edges = []  # (sat, station, bytes, window)
            for k in range(n):
                queue = self.sats[k].downlink_queue
                if not queue:
                    continue
                open_w, _ = self._open_windows(k, now)
                if not open_w:
                    continue
                first, los = self._first_row[k], self._los[k]
                carries = [lw.capacity_between(first + q, now, min(until, los[q])) for q in open_w]
                need, held = max(carries), 0.0
                for item in queue.values():  # what it holds, as far as any window could carry it
                    held += item["remaining"]
                    if held >= need:
                        break
                for q, carried in zip(open_w, carries):
                    carried = min(carried, held)
                    if self._acquisition_s > 0.0 and self._lock[k] != q:
                        # A new lock costs its acquisition once: spread over the rest of the window it may be held.
                        carried *= 1.0 - self._acquisition_s / max(los[q] - now, EPS_S)
                    if carried > 0.0:
                        edges.append((k, self._sta[k][q], carried, q))
            assigned = [None] * n
            for k, (q, _) in assign_antennas(edges, self._antennas).items():
                assigned[k] = q
            for k in range(n):
                if assigned[k] != self._assigned[k]:
                    self._assigned[k] = assigned[k]
                    self._assignment_changed[k].fire()
            yield _sleep(env, until - now, [self._network_changed])

    def _price_now(self, k, w):
        """What sending through window ``w`` of satellite ``k`` costs now: 0 once booked or at an owned station."""
        return 0.0 if w in self._booked[k] else self._price[k][w]

    def _chosen_pass(self, sat, free):
        """The policy's ``choose_pass`` among the open windows ``free`` (antenna free): a window or None."""
        k, now = sat.index, self.env.now
        aos, los, stations, first = self._aos[k], self._los[k], self._sta[k], self._first_row[k]
        free = sorted(free, key=lambda q: -los[q])
        passes = tuple(
            OpenPass(
                stations[q],
                aos[q],
                los[q],
                self.link_windows.rate_at(first + q, now),
                self._price_now(k, q) if self._priced else 0.0,
            )
            for q in free
        )
        choice = self._choose_pass(_pass_choice_view(now, sat.view, passes))
        self.decisions += 1
        if choice is None:
            return None
        for q in free:
            if stations[q] == choice:
                return q
        raise PolicyError(
            f"policy {self.policy.policy_name!r}: choose_pass returned {choice!r} on {sat.name} at t={now:.3f} s; "
            f"expected one of the open passes' stations {[p.station for p in passes]} or None (wait)"
        )

    def _transmit(self, sat, s, window, los, rechoose_s=math.inf):
        """Send queued items through station ``s`` until the window ends, the queue empties,
        the battery reaches its floor, the policy sends nothing, or ``rechoose_s`` has come or (under a
        policy that chooses passes) new data has been queued: then the item under way is cut there, so
        that the policy may choose again. Returns which.

        Under the default order (earliest deadline first) and a policy that does not choose passes, the items
        are sent a run at a time (:meth:`_send_run`): their ends are known in closed form, so a run costs one
        wake-up, not one an item."""
        env = self.env
        lw, row = self.link_windows, self._first_row[sat.index] + window
        t_begin = env.now
        session = [0.0]  # bytes sent in the session (the pieces of a run add theirs as they end)
        why = "window_end"
        order, version = [], -1
        queue = sat.downlink_queue
        tx_w = sat.hw.tx_w
        now = t_begin
        edf = sat.edf if self._edf else None
        chooses, arrived = self._pass_rule not in ("stay", "hold"), sat.queue_version
        hold = self._pass_rule == "hold"
        runs = self.send_in_runs and edf is not None and not chooses
        power = (sat.power_changed, sat.data_added) if chooses else (sat.power_changed,)
        k = sat.index
        assigned = self._pass_rule == "network"
        if assigned:
            power = (*power, self._assignment_changed[k])
        if self._lock[k] != window:
            self._lock[k] = window
            if self._acquisition_s > 0.0:  # the station locks on: the antenna is held, nothing flows yet
                yield env.timeout(max(0.0, min(self._acquisition_s, los - now)))
                now = env.now
        while now < los - EPS_S:
            if not queue:
                if hold:  # the antenna stays on the satellite, idle, until data arrives or the pass ends
                    sat.set_radio(0.0)
                    yield _sleep(env, los - now, (sat.data_added,))
                    now = env.now
                    continue
                why = "empty"
                break
            if (
                now >= rechoose_s - EPS_S
                or (chooses and sat.queue_version != arrived)
                or (assigned and self._assigned[k] != window)
            ):
                why = "rechoose"
                break
            if edf is not None:
                # The default order (earliest deadline first, then capture id) kept as a heap: the same item
                # a sort of the queue at every change would put first, at a cost per item, not per queue.
                while edf[0][1] not in queue:
                    heappop(edf)
                order = [edf[0][1]]
            elif version != sat.queue_version:
                # Ask the policy at the start of the session and whenever new data has arrived.
                view = _contact_view(now, sat.view, s, los, lw.rate_at(row, now), self._queue_view(sat))
                order = list(self.policy.downlink_order(view))
                version = sat.queue_version
                self.decisions += 1
                for cid in order:
                    if cid not in queue:
                        raise PolicyError(
                            f"policy {self.policy.policy_name!r}: downlink_order returned capture {cid!r}, "
                            f"which is not queued on {sat.name} (queued: {sorted(queue)})"
                        )
                order.reverse()  # pop from the end
            while order and order[-1] not in queue:
                order.pop()
            if not order:
                why = "policy"
                break
            cid = order[-1]
            item = queue[cid]
            safe = sat.safe_time(tx_w - sat.radio_w, now)
            if safe <= EPS_S:
                # What the transmitter has left to do here: the item's rest, within the window.
                sat.tx_left_s = min(lw.time_to_send(row, now, item["remaining"]), los - now)
                why = "energy"
                break
            sat.set_radio(tx_w)
            if runs:
                now = yield from self._send_run(sat, s, window, row, los, now, safe, session, t_begin)
                continue
            t0 = now
            remaining = item["remaining"]
            whole = lw.time_to_send(row, now, remaining)
            dt = max(EPS_S, min(whole, los - now, safe, rechoose_s - now))
            sat.sending = (s, window, t_begin, session[0], cid, t0, row)  # what the span end would cut
            timed_out = yield _sleep(env, dt, power)
            sat.sending = None
            now = env.now
            if timed_out and dt >= whole:
                sent = remaining  # planned to the last byte: no float residue left over
            else:
                sent = min(remaining, lw.capacity_between(row, t0, now))
            session[0] += sent
            self._sent(sat, s, cid, item, t0, now, sent)
        sat.set_radio(0.0)
        self.records.contacts.extend((sat.index, s, window, t_begin, env.now, session[0]))
        return why

    def _sent(self, sat, s, cid, item, t0, now, sent, land=True):
        """Write ``sent`` bytes of ``item`` through station ``s`` over [t0, now]; a finished item leaves the queue
        (a raw one lands, unless ``land`` is False: at the span end, where nothing more happens)."""
        item["remaining"] = remaining = item["remaining"] - sent
        if now > t0:
            self.records.downlinks.extend((sat.index, s, cid, RAW if item["kind"] == "raw" else PRODUCT, t0, now, sent))
        W = self.records.workloads
        if W.downlink_start_s[cid] != W.downlink_start_s[cid]:  # NaN: the first piece
            W.downlink_start_s[cid] = t0
        W.station[cid] = s
        if remaining <= 1e-6:
            del sat.downlink_queue[cid]
            sat.free(item["bytes"], now)
            W.downlink_end_s[cid] = now
            if item["kind"] == "product":
                W.delivered_s[cid] = now
                W.status[cid] = DELIVERED
            else:
                W.status[cid] = ON_GROUND
                if land:
                    self._landed(cid, s, now)

    def _close_at_end(self, sat):
        """Record up to the span end the job on the computer and the transmission under way, so that every
        table that holds them agrees (the energy table runs the loads to the end; so do these)."""
        end = self.end_s
        if sat.computing is not None:
            cid, t0 = sat.computing
            self.records.workloads.energy_onboard_j[cid] += sat.hw.compute_busy_w * (end - t0)
        if sat.run is not None and sat.run.next < sat.run.stop:  # a run of pieces: the one under way
            run = sat.run
            cid, item, t0 = run.pieces[run.next][:3]
            sat.sending = (run.station, run.window, run.t_begin, run.session[0], cid, t0, run.row)
        if sat.sending is not None:
            s, window, t_begin, sent_before, cid, t0, row = sat.sending
            item = sat.downlink_queue[cid]
            sent = min(item["remaining"], self.link_windows.capacity_between(row, t0, end))
            self._sent(sat, s, cid, item, t0, end, sent, land=False)
            self.records.contacts.extend((sat.index, s, window, t_begin, end, sent_before + sent))
