"""Links: the link-window table, the downlink rate of a radio and a station, fibre latency, transfer times.

Pure functions of numbers and arrays, SI units in every name. :class:`LinkWindows` is the one
table of every window of every link a run can use; its methods are the only place a rate is read.
"""

from __future__ import annotations

import math
from bisect import bisect_right

import numpy as np

from .defaults import FIBRE_DELAY_S_PER_KM

MEAN_EARTH_RADIUS_KM = 6371.0088  # IUGG mean radius R1 (Moritz 2000, Geodetic Reference System 1980)


def great_circle_km(lat1_deg, lon1_deg, lat2_deg, lon2_deg):
    """Great-circle distance on the mean sphere [km] (haversine, exact for antipodes too)."""
    p1, p2 = np.radians(lat1_deg), np.radians(lat2_deg)
    dp = p2 - p1
    dl = np.radians(np.asarray(lon2_deg) - np.asarray(lon1_deg))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2.0 * MEAN_EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def fibre_latency_s(distance_km, route_factor=1.5):
    """One-way propagation delay of a fibre route ``route_factor`` times the great circle [s].

    4.9 us/km (refractive index 1.468, the "5-microsecond rule"); ``route_factor``
    1.5 is the MIIT ceiling for China's inter-cluster links.
    """
    return np.asarray(distance_km, dtype=float) * float(route_factor) * FIBRE_DELAY_S_PER_KM


def transfer_time_s(size_bytes, rate_bps, latency_s=0.0):
    """Time to move ``size_bytes`` over a link of ``rate_bps`` with one-way ``latency_s``."""
    return float(latency_s) + 8.0 * np.asarray(size_bytes, dtype=float) / float(rate_bps)


def downlink_rate_bps(radio_bps, station_cap_bps):
    """Rate of a satellite radio into a station [bit/s]: the radio's, capped by the station's receive chain."""
    return np.minimum(radio_bps, station_cap_bps)


# --- link windows -------------------------------------------------------------------------------
LINK_KINDS = ("downlink", "inter-satellite", "relay", "feeder", "backhaul")


class LinkWindows:
    """Every window of every link the simulation can use, as columns, one row a window.

    ``kind`` (one of :data:`LINK_KINDS`), ``sender`` and ``receiver`` (node indices of their
    kinds), ``start_s`` and ``end_s`` (seconds of the span), and a piecewise-constant rate
    profile per row: the rate ``rate_bps[k]`` holds from ``rate_start_s[k]`` to the next step of
    that row (``profile_start[i]`` to ``profile_start[i + 1]`` index row ``i``'s steps; its
    first step starts at ``start_s``). :meth:`capacity_between` and :meth:`time_to_send` are the
    only places a rate is read.
    """

    def __init__(self, kind, sender, receiver, start_s, end_s, rate_start_s, rate_bps, profile_start):
        self.kind = np.asarray(kind, dtype=object)
        self.sender = np.asarray(sender, dtype=np.int64)
        self.receiver = np.asarray(receiver, dtype=np.int64)
        self.start_s = np.asarray(start_s, dtype=float)
        self.end_s = np.asarray(end_s, dtype=float)
        self.rate_start_s = np.asarray(rate_start_s, dtype=float)
        self.rate_bps = np.asarray(rate_bps, dtype=float)
        self.profile_start = np.asarray(profile_start, dtype=np.int64)
        n = len(self.start_s)
        if not (
            len(self.kind) == len(self.sender) == len(self.receiver) == len(self.end_s) == n
            and len(self.profile_start) == n + 1
            and self.profile_start[-1] == len(self.rate_bps)
        ):
            raise ValueError("link windows: columns of different lengths")
        if n and (np.any(np.diff(self.profile_start) < 1) or np.any(self.end_s < self.start_s)):
            raise ValueError("link windows: every window needs a rate step and an end after its start")
        if n and not np.allclose(self.rate_start_s[self.profile_start[:-1]], self.start_s, rtol=0, atol=1e-9):
            raise ValueError("link windows: a window's first rate step must start with it")
        # Scalar look-ups in the engine's hot path read Python lists.
        self._first = self.profile_start.tolist()
        self._t = self.rate_start_s.tolist()
        self._r = self.rate_bps.tolist()
        self._end = self.end_s.tolist()

    @classmethod
    def constant(cls, kind, sender, receiver, start_s, end_s, rate_bps):
        """Windows whose rate does not change inside them."""
        start_s = np.asarray(start_s, dtype=float)
        return cls(
            np.broadcast_to(np.asarray(kind, dtype=object), start_s.shape),
            sender,
            receiver,
            start_s,
            end_s,
            start_s,
            np.broadcast_to(np.asarray(rate_bps, dtype=float), start_s.shape),
            np.arange(len(start_s) + 1),
        )

    def __len__(self):
        return len(self.start_s)

    @classmethod
    def concat(cls, tables):
        """The rows of ``tables`` one after the other, as one table."""
        steps = [t.profile_start[-1] for t in tables]
        offsets = np.r_[0, np.cumsum(steps)[:-1]]
        return cls(
            np.concatenate([t.kind for t in tables]),
            np.concatenate([t.sender for t in tables]),
            np.concatenate([t.receiver for t in tables]),
            np.concatenate([t.start_s for t in tables]),
            np.concatenate([t.end_s for t in tables]),
            np.concatenate([t.rate_start_s for t in tables]),
            np.concatenate([t.rate_bps for t in tables]),
            np.r_[np.concatenate([t.profile_start[:-1] + o for t, o in zip(tables, offsets)]), sum(steps)],
        )

    def first_rows(self, n_senders) -> np.ndarray:
        """Where each sender's rows begin, for a table whose rows are grouped by sender in ascending order
        (as the run's downlink table is): sender ``k``'s rows are ``first[k]`` to ``first[k + 1]``."""
        return np.searchsorted(self.sender, np.arange(n_senders + 1))

    def take(self, rows):
        """The windows ``rows`` (in that order) as a table of their own."""
        rows = np.asarray(rows, dtype=np.int64)
        lo, hi = self.profile_start[rows], self.profile_start[rows + 1]
        counts = hi - lo
        first = np.r_[0, np.cumsum(counts)]
        # Each row's steps lo .. hi - 1, laid end to end: the position in the output less where the row's run
        # starts there, plus lo.
        steps = np.arange(first[-1], dtype=np.int64) - np.repeat(first[:-1] - lo, counts)
        return LinkWindows(
            self.kind[rows],
            self.sender[rows],
            self.receiver[rows],
            self.start_s[rows],
            self.end_s[rows],
            self.rate_start_s[steps],
            self.rate_bps[steps],
            first,
        )

    def is_constant(self, row) -> bool:
        return self._first[row + 1] - self._first[row] == 1

    def rate_at(self, row, t_s) -> float:
        """Rate of window ``row`` at ``t_s`` [bit/s] (the step in force)."""
        a, b = self._first[row], self._first[row + 1]
        return self._r[max(a, bisect_right(self._t, t_s, a, b) - 1)]

    def capacity_between(self, row, t0_s, t1_s) -> float:
        """Bytes window ``row`` carries from ``t0_s`` to ``t1_s`` (clipped to the window) [B]."""
        t0_s, t1_s = max(t0_s, self._t[self._first[row]]), min(t1_s, self._end[row])
        if t1_s <= t0_s:
            return 0.0
        a, b = self._first[row], self._first[row + 1]
        if b - a == 1:
            return (t1_s - t0_s) * self._r[a] / 8.0
        k = max(a, bisect_right(self._t, t0_s, a, b) - 1)
        total, t = 0.0, t0_s
        while True:
            step_end = self._t[k + 1] if k + 1 < b else math.inf
            if t1_s <= step_end:
                return total + (t1_s - t) * self._r[k] / 8.0
            total += (step_end - t) * self._r[k] / 8.0
            t, k = step_end, k + 1

    def time_to_send(self, row, t_s, nbytes) -> float:
        """Seconds from ``t_s`` to send ``nbytes`` through window ``row`` at its rates, the last step held on
        past the window's end (the caller stops at the end: :meth:`capacity_between` says what got through);
        inf if the rate is zero from there on."""
        a, b = self._first[row], self._first[row + 1]
        if b - a == 1:
            rate = self._r[a]
            return 8.0 * nbytes / rate if rate > 0 else math.inf
        k = max(a, bisect_right(self._t, t_s, a, b) - 1)
        left, t = 8.0 * nbytes, t_s
        while True:
            step_end = self._t[k + 1] if k + 1 < b else math.inf
            rate = self._r[k]
            if rate > 0 and t + left / rate <= step_end:
                return t + left / rate - t_s
            if step_end == math.inf:
                return math.inf
            left -= rate * (step_end - t)
            t, k = step_end, k + 1

    def of_kind(self, kind) -> np.ndarray:
        """Rows of ``kind`` (one of :data:`LINK_KINDS`), in table order."""
        return np.flatnonzero(self.kind == kind)

    def capacity_bytes(self) -> np.ndarray:
        """Bytes each whole window carries [B] (vectorised)."""
        step_end = np.r_[self.rate_start_s[1:], 0.0]
        last = self.profile_start[1:] - 1
        step_end[last] = self.end_s
        per_step = np.maximum(step_end - self.rate_start_s, 0.0) * self.rate_bps / 8.0
        if len(self) and np.all(np.diff(self.profile_start) == 1):
            return (self.end_s - self.start_s) * self.rate_bps / 8.0
        return np.add.reduceat(per_step, self.profile_start[:-1]) if len(self) else np.zeros(0)


def downlink_rows(links: LinkWindows) -> LinkWindows:
    """The downlink windows of ``links``, grouped by satellite and by start within each (the engine's and the
    plan's order: a satellite's window ``w`` is row ``first_rows(n)[k] + w``)."""
    rows = links.of_kind("downlink")
    rows = rows[np.lexsort((links.start_s[rows], links.sender[rows]))]
    return links if len(rows) == len(links) and np.array_equal(rows, np.arange(len(links))) else links.take(rows)


def cut_windows(owner, station, start_s, end_s, outages_s):
    """Windows with the outages of their stations cut out: ``outages_s[station]`` is a sorted tuple of disjoint
    ``(start, end)`` intervals; a window that overlaps one is split into the parts before and after it (parts of
    no length are dropped). Returns the four columns of the remaining windows, in the given order."""
    out = ([], [], [], [])
    for k, s, a, b in zip(np.asarray(owner).tolist(), np.asarray(station).tolist(), start_s, end_s):
        a, b = float(a), float(b)
        for c, d in outages_s[s]:
            if d <= a or c >= b:
                continue
            if c > a:
                for col, v in zip(out, (k, s, a, c)):
                    col.append(v)
            a = max(a, d)
            if a >= b:
                break
        if b > a:
            for col, v in zip(out, (k, s, a, b)):
                col.append(v)
    return (
        np.asarray(out[0], dtype=np.int64),
        np.asarray(out[1], dtype=np.int64),
        np.asarray(out[2], dtype=float),
        np.asarray(out[3], dtype=float),
    )


def pass_price_cny(price_per_pass_cny, price_per_min_cny, duration_s):
    """What a booked pass costs (ground station as a service): its price per pass plus its minutes, each started
    minute whole, as AWS Ground Station bills (reference-numbers #61). Broadcasts."""
    minutes = np.ceil(np.asarray(duration_s, dtype=float) / 60.0 - 1e-9)
    return np.asarray(price_per_pass_cny, dtype=float) + np.asarray(price_per_min_cny, dtype=float) * minutes


def assign_antennas(edges, antennas):
    """The most valuable way to give stations' antennas to satellites at one moment: a maximum-weight assignment in
    which a satellite uses one antenna at most and a station serves as many satellites as it has ``antennas``
    (per station index). ``edges``: (satellite, station, weight, key) of each window open to it (weights > 0;
    of two edges between a satellite and a station the heavier counts). Returns {satellite: (key, weight)}."""
    from scipy.optimize import linear_sum_assignment

    edges = list(edges)
    if not edges:
        return {}
    sats = sorted({k for k, *_ in edges})
    stations = sorted({s for _, s, _, _ in edges})
    first_slot = dict(zip(stations, np.cumsum([0] + [antennas[s] for s in stations[:-1]]).tolist()))
    row_of = {k: r for r, k in enumerate(sats)}
    weight = np.zeros((len(sats), sum(antennas[s] for s in stations)))
    key_of = {}
    for k, s, w, key in edges:
        r = row_of[k]
        for c in range(first_slot[s], first_slot[s] + antennas[s]):
            if w > weight[r, c]:
                weight[r, c] = w
                key_of[(r, c)] = key
    rows, cols = linear_sum_assignment(weight, maximize=True)
    return {sats[r]: (key_of[(r, c)], float(weight[r, c])) for r, c in zip(rows, cols) if weight[r, c] > 0.0}
