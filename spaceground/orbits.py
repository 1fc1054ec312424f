"""Orbits: two- and three-line element sets, selection, epoch checks and batch SGP4.

A TLE line has exactly 69 columns (CelesTrak, "NORAD Two-Line Element Set Format",
https://celestrak.org/columns/v04n03/); the reader checks every field's column, its
characters and the modulo-10 checksum, and names file, line and column on error.
Propagation uses ``sgp4.api.SatrecArray`` (Vallado's C++ SGP4/SDP4, WGS 72 constants)
over all satellites and times at once.
"""

from __future__ import annotations

import difflib
import fnmatch
import math
import os
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .errors import (
    ExcludedSatelliteWarning,
    SelectionError,
    StaleElementsError,
    StaleElementsWarning,
    TLEFormatError,
)

TLE_LINE_LENGTH = 69

# (first column, last column, name) 1-based inclusive, and columns that must be blank.
_LINE1_FIELDS = [
    (3, 7, "satellite number"),
    (10, 17, "international designator"),
    (19, 20, "epoch year"),
    (21, 32, "epoch day of year"),
    (34, 43, "first derivative of mean motion"),
    (45, 52, "second derivative of mean motion"),
    (54, 61, "BSTAR drag term"),
    (65, 68, "element set number"),
]
_LINE1_BLANKS = (2, 9, 18, 33, 44, 53, 62, 64)
_LINE2_FIELDS = [
    (3, 7, "satellite number"),
    (9, 16, "inclination [deg]"),
    (18, 25, "right ascension of the ascending node [deg]"),
    (27, 33, "eccentricity (decimal point assumed)"),
    (35, 42, "argument of perigee [deg]"),
    (44, 51, "mean anomaly [deg]"),
    (53, 63, "mean motion [rev/day]"),
    (64, 68, "revolution number"),
]
_LINE2_BLANKS = (2, 8, 17, 26, 34, 43, 52)
_ALPHA5 = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # Alpha-5 catalogue numbers skip I and O


def tle_checksum(line: str) -> int:
    """Modulo-10 checksum of columns 1-68: digits count their value, a minus sign 1."""
    total = 0
    for ch in line[:68]:
        if ch.isdigit():
            total += int(ch)
        elif ch == "-":
            total += 1
    return total % 10


def _decode_satnum(text: str) -> int:
    text = text.strip()
    if text[:1].isalpha():
        return (10 + _ALPHA5.index(text[0].upper())) * 10000 + int(text[1:])
    return int(text)


@dataclass(frozen=True)
class Satellite:
    """One element set, as read from a TLE file.

    Attributes
    ----------
    name : str
        The name line (3-line format) or ``"NORAD <id>"`` for 2-line sets.
    norad_id : int
        Catalogue number (Alpha-5 decoded).
    epoch : pandas.Timestamp
        Element-set epoch, UTC.
    line1, line2 : str
        The element lines.
    source : str
        File the set came from; ``line_number`` is its line-1 position there.
    """

    name: str
    norad_id: int
    epoch: pd.Timestamp
    line1: str
    line2: str
    source: str = "<string>"
    line_number: int = 1
    satrec: object = field(default=None, compare=False, repr=False)

    @property
    def mean_motion_rev_day(self) -> float:
        return float(self.line2[52:63])

    @property
    def eccentricity(self) -> float:
        return float("0." + self.line2[26:33].strip())

    @property
    def inclination_deg(self) -> float:
        return float(self.line2[8:16])

    @property
    def period_s(self) -> float:
        return 86400.0 / self.mean_motion_rev_day

    @property
    def max_angular_rate_rad_s(self) -> float:
        """Angular rate at perigee, n (1+e)^2 / (1-e^2)^(3/2) [rad/s]."""
        n = 2.0 * math.pi / self.period_s
        e = min(self.eccentricity, 0.99)
        return n * (1.0 + e) ** 2 / (1.0 - e * e) ** 1.5


def _check_line(line: str, number: int, source: str, lineno: int):
    if len(line) < TLE_LINE_LENGTH:
        raise TLEFormatError(
            source,
            lineno,
            f"truncated record: TLE line {number} has {len(line)} characters, "
            f"a TLE line has {TLE_LINE_LENGTH} (columns 1-68 data, column 69 the checksum)",
        )
    if len(line) > TLE_LINE_LENGTH:
        raise TLEFormatError(
            source,
            lineno,
            f"TLE line {number} has {len(line)} characters, a TLE line has {TLE_LINE_LENGTH}: "
            f"extra text {line[TLE_LINE_LENGTH:]!r} after column 69",
        )
    blanks = _LINE1_BLANKS if number == 1 else _LINE2_BLANKS
    for col in blanks:
        if line[col - 1] != " ":
            raise TLEFormatError(
                source,
                lineno,
                f"wrong column: column {col} of TLE line {number} must be blank but holds "
                f"{line[col - 1]!r}; a field is shifted (compare with the 69-column TLE layout)",
            )
    fields = _LINE1_FIELDS if number == 1 else _LINE2_FIELDS
    for first, last, what in fields:
        text = line[first - 1 : last]
        _check_field(text, first, last, what, number, source, lineno)
    if not line[68].isdigit():
        raise TLEFormatError(
            source, lineno, f"column 69 of TLE line {number} must be the checksum digit, got {line[68]!r}"
        )
    expected = tle_checksum(line)
    if int(line[68]) != expected:
        raise TLEFormatError(
            source,
            lineno,
            f"bad checksum: TLE line {number} ends with {line[68]} but its columns 1-68 sum to "
            f"{expected} (mod 10); the line is corrupt, fetch the element set again",
        )


def _check_field(text, first, last, what, number, source, lineno):
    where = f"columns {first}-{last} ({what}) of TLE line {number}"
    stripped = text.strip()
    if what == "international designator":
        return  # free text, may be blank for analyst objects
    if what == "satellite number":
        ok = stripped.isdigit() or (len(stripped) == 5 and stripped[0].upper() in _ALPHA5 and stripped[1:].isdigit())
        if not ok:
            raise TLEFormatError(source, lineno, f"{where} hold {text!r}, not a catalogue number")
        return
    if what in ("element set number", "revolution number"):
        if stripped and not stripped.isdigit():
            raise TLEFormatError(source, lineno, f"{where} hold {text!r}, not a whole number")
        return
    if what in ("first derivative of mean motion",):
        candidate = stripped
    elif what in ("second derivative of mean motion", "BSTAR drag term"):
        # Assumed decimal point with exponent: " 12345-3" means 0.12345e-3.
        body = stripped.replace(" ", "")
        if len(body) >= 2 and body[-2] in "+-" and body[-1].isdigit():
            mantissa = body[:-2]
            if mantissa in ("", "+", "-") or not mantissa.lstrip("+-").isdigit():
                raise TLEFormatError(source, lineno, f"{where} hold {text!r}, not a TLE exponent number")
            return
        raise TLEFormatError(source, lineno, f"{where} hold {text!r}, expected a mantissa and exponent like ' 12345-3'")
    elif what.startswith("eccentricity"):
        if not stripped.isdigit():
            raise TLEFormatError(source, lineno, f"{where} hold {text!r}, expected 7 digits like 0001354")
        return
    else:
        candidate = stripped
    try:
        value = float(candidate)
    except ValueError:
        raise TLEFormatError(source, lineno, f"{where} hold {text!r}, not a number") from None
    if not math.isfinite(value):
        raise TLEFormatError(source, lineno, f"{where} hold {text!r}, not a finite number")
    limits = {
        "epoch day of year": (1.0, 367.0),
        "inclination [deg]": (0.0, 180.0),
        "right ascension of the ascending node [deg]": (0.0, 360.0),
        "argument of perigee [deg]": (0.0, 360.0),
        "mean anomaly [deg]": (0.0, 360.0),
    }
    if what in limits:
        lo, hi = limits[what]
        if not lo <= value <= hi:
            raise TLEFormatError(source, lineno, f"{where} hold {value}, outside {lo}..{hi}")
    if what == "mean motion [rev/day]" and value <= 0.0:
        raise TLEFormatError(source, lineno, f"{where} hold {value}; mean motion must be positive")


def _epoch_from_line1(line1: str) -> pd.Timestamp:
    yy = int(line1[18:20])
    year = 1900 + yy if yy >= 57 else 2000 + yy
    day = float(line1[20:32])
    return pd.Timestamp(year=year, month=1, day=1, tz="UTC") + pd.to_timedelta((day - 1.0) * 86400e9, "ns")


def parse_tle(text: str, source: str = "<string>") -> Constellation:
    """Read two- or three-line element sets from text.

    Blank lines and lines starting with ``#`` are skipped. A name line may carry
    Space-Track's ``"0 "`` prefix. Errors name ``source`` and the line number.
    """
    from sgp4.api import Satrec

    sats = []
    pending_name = None  # (name, lineno)
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        raw = lines[i].rstrip()
        lineno = i + 1
        if not raw.strip() or raw.lstrip().startswith("#"):
            i += 1
            continue
        if raw.startswith("1 ") and len(raw) >= 60:
            _check_line(raw, 1, source, lineno)
            if i + 1 >= len(lines) or not lines[i + 1].startswith("2"):
                got = "the end of the file" if i + 1 >= len(lines) else repr(lines[i + 1][:30])
                raise TLEFormatError(
                    source, lineno, f"truncated record: TLE line 1 must be followed by line 2, found {got}"
                )
            line2 = lines[i + 1].rstrip()
            _check_line(line2, 2, source, lineno + 1)
            if line1_satnum := raw[2:7].strip():
                if line2[2:7].strip() != line1_satnum:
                    raise TLEFormatError(
                        source,
                        lineno + 1,
                        f"TLE line 2 is for satellite {line2[2:7].strip()!r} but line 1 is for {line1_satnum!r}",
                    )
            norad = _decode_satnum(raw[2:7])
            if pending_name is not None:
                name = pending_name[0]
            else:
                name = f"NORAD {norad}"
            satrec = Satrec.twoline2rv(raw, line2)
            sats.append(
                Satellite(
                    name=name,
                    norad_id=norad,
                    epoch=_epoch_from_line1(raw),
                    line1=raw,
                    line2=line2,
                    source=source,
                    line_number=lineno,
                    satrec=satrec,
                )
            )
            pending_name = None
            i += 2
            continue
        if raw.startswith("2 ") and len(raw) >= 60:
            raise TLEFormatError(source, lineno, "TLE line 2 without a line 1 before it")
        if pending_name is not None:
            raise TLEFormatError(
                source,
                lineno,
                f"expected TLE line 1 after the name line {pending_name[0]!r} (line {pending_name[1]}), "
                f"found {raw[:40]!r}; a record is truncated or a line is malformed",
            )
        name = raw.strip()
        if name.startswith("0 "):
            name = name[2:].strip()
        pending_name = (name, lineno)
        i += 1
    if pending_name is not None:
        raise TLEFormatError(
            source, pending_name[1], f"truncated record: name line {pending_name[0]!r} has no TLE lines after it"
        )
    if not sats:
        raise TLEFormatError(source, 1, "no element sets found (expected TLE line pairs starting '1 ' and '2 ')")
    return Constellation(_drop_duplicates(sats, source))


def _drop_duplicates(sats, source):
    newest = {}
    for sat in sats:
        prev = newest.get(sat.norad_id)
        if prev is None or sat.epoch > prev.epoch:
            newest[sat.norad_id] = sat
    if len(newest) == len(sats):
        return sats
    kept = [s for s in sats if newest[s.norad_id] is s]
    dupes = sorted({s.norad_id for s in sats if newest[s.norad_id] is not s})
    warnings.warn(
        f"{source}: {len(sats) - len(kept)} repeated element sets (NORAD "
        f"{', '.join(map(str, dupes[:5]))}{'...' if len(dupes) > 5 else ''}); kept the newest epoch of each",
        UserWarning,
        stacklevel=3,
    )
    return kept


def load_tle(path) -> Constellation:
    """Read a TLE file (2- or 3-line format)."""
    path = os.fspath(path)
    try:
        with open(path, encoding="ascii", errors="strict") as f:
            text = f.read()
    except FileNotFoundError:
        raise FileNotFoundError(f"TLE file not found: {path}") from None
    except UnicodeDecodeError as exc:
        line = text_line_of_offset(path, exc.start)
        raise TLEFormatError(path, line, f"non-ASCII byte {exc.object[exc.start]:#04x}; TLE files are ASCII") from None
    return parse_tle(text, source=path)


def text_line_of_offset(path, offset):
    with open(path, "rb") as f:
        return f.read(offset).count(b"\n") + 1


class Constellation:
    """An ordered, immutable collection of :class:`Satellite` with batch SGP4."""

    def __init__(self, satellites):
        self._sats = tuple(satellites)
        self._array = None

    def __len__(self):
        return len(self._sats)

    def __iter__(self):
        return iter(self._sats)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return Constellation(self._sats[index])
        return self._sats[index]

    def __repr__(self):
        return f"<Constellation of {len(self)} satellites>"

    @property
    def names(self):
        return [s.name for s in self._sats]

    @property
    def norad_ids(self):
        return np.array([s.norad_id for s in self._sats], dtype=np.int64)

    def take(self, indices) -> Constellation:
        return Constellation([self._sats[i] for i in indices])

    def select(self, patterns) -> Constellation:
        """Satellites matching any pattern: a NORAD id (digits) or a name glob.

        Globs are case-insensitive (``"SENTINEL-2*"``, ``"*FLOCK*"``). A pattern that
        matches nothing raises :class:`SelectionError` with the closest names.
        """
        if patterns is None or len(patterns) == 0:
            return self
        if isinstance(patterns, str):
            patterns = [patterns]
        chosen = []
        seen = set()
        for pattern in patterns:
            pattern = str(pattern).strip()
            if pattern.isdigit():
                matches = [i for i, s in enumerate(self._sats) if s.norad_id == int(pattern)]
            else:
                pat = pattern.upper()
                matches = [i for i, s in enumerate(self._sats) if fnmatch.fnmatchcase(s.name.upper(), pat)]
            if not matches:
                close = difflib.get_close_matches(pattern.upper(), [n.upper() for n in self.names], n=3, cutoff=0.5)
                hint = f"; closest names: {', '.join(close)}" if close else ""
                raise SelectionError(
                    f"selection {pattern!r} matches no satellite among {len(self)}{hint} "
                    "(use a NORAD id or a glob such as 'SENTINEL*')"
                )
            for i in matches:
                if i not in seen:
                    seen.add(i)
                    chosen.append(i)
        chosen.sort()
        return self.take(chosen)

    def satrec_array(self):
        from sgp4.api import SatrecArray

        if self._array is None:
            self._array = SatrecArray([s.satrec for s in self._sats])
        return self._array

    def summary(self) -> pd.DataFrame:
        """One row per satellite: name, NORAD id, epoch, inclination, period, eccentricity."""
        return pd.DataFrame(
            {
                "satellite": self.names,
                "norad_id": self.norad_ids,
                "epoch_utc": pd.DatetimeIndex([s.epoch for s in self._sats]),
                "inclination_deg": [s.inclination_deg for s in self._sats],
                "period_min": [s.period_s / 60.0 for s in self._sats],
                "eccentricity": [s.eccentricity for s in self._sats],
            }
        )


# --- epochs ----------------------------------------------------------------------
STALE_WARN_DAYS = 3.0
STALE_ERROR_DAYS = 14.0


def check_epochs(constellation, start, warn_days=STALE_WARN_DAYS, max_days=STALE_ERROR_DAYS, allow_stale=False):
    """Warn about element sets a few days from ``start``; refuse ones weeks away.

    SGP4 errors grow by roughly 1-3 km per day from the epoch for LEO (Vallado et al.
    2006; CelesTrak guidance), so contact times drift by ~0.1-0.4 s per day of age.
    Element sets more than ``max_days`` from ``start`` raise
    :class:`StaleElementsError` unless ``allow_stale`` is true.

    Returns
    -------
    numpy.ndarray of float
        Age of each element set at ``start`` in days (positive when the epoch is earlier).
    """
    start = pd.Timestamp(start)
    age_days = np.array([(start - s.epoch).total_seconds() / 86400.0 for s in constellation])
    if len(age_days) == 0:
        return age_days
    worst = int(np.argmax(np.abs(age_days)))
    too_old = np.abs(age_days) > max_days
    if too_old.any() and not allow_stale:
        names = [f"{constellation[i].name} ({age_days[i]:+.1f} d)" for i in np.flatnonzero(too_old)[:5]]
        more = "" if too_old.sum() <= 5 else f" and {too_old.sum() - 5} more"
        raise StaleElementsError(
            f"{too_old.sum()} element sets are more than {max_days:g} days from the span start "
            f"{start.isoformat()}: {', '.join(names)}{more}. SGP4 errors reach tens of km at that age. "
            "Use element sets from near the span, or allow them explicitly (--allow-stale / allow_stale=True)."
        )
    stale = np.abs(age_days) > warn_days
    if stale.any():
        w = constellation[worst]
        warnings.warn(
            f"{stale.sum()} of {len(constellation)} element sets are more than {warn_days:g} days from the "
            f"span start {start.isoformat()} (worst: {w.name}, epoch {w.epoch.isoformat()}, "
            f"{age_days[worst]:+.1f} days); expect position errors of a few km",
            StaleElementsWarning,
            stacklevel=2,
        )
    return age_days


# --- propagation -----------------------------------------------------------------
def sgp4_error_message(code: int) -> str:
    from sgp4.api import SGP4_ERRORS

    return SGP4_ERRORS.get(int(code), f"SGP4 error {code}")


def propagate_teme(constellation, jd_whole, jd_fraction):
    """Batch SGP4 of every satellite at every time.

    Parameters
    ----------
    jd_whole, jd_fraction : ndarray (n_times,)
        UTC Julian dates split in two parts.

    Returns
    -------
    r_teme_m : ndarray (n_sats, n_times, 3)
    v_teme_m_s : ndarray (n_sats, n_times, 3)
    error : ndarray (n_sats, n_times) of uint8
        SGP4 error code, 0 where propagation succeeded (positions are NaN elsewhere).
    """
    error, r_km, v_km_s = constellation.satrec_array().sgp4(
        np.ascontiguousarray(jd_whole, dtype=float), np.ascontiguousarray(jd_fraction, dtype=float)
    )
    r_km *= 1e3
    v_km_s *= 1e3
    return r_km, v_km_s, error


def propagate_points(constellation, sat_index, jd_whole, jd_fraction):
    """SGP4 of satellite ``sat_index[i]`` at time ``i``, for scattered (satellite, time) points.

    Returns TEME position [m], velocity [m/s] (shape (n, 3)) and the error code per point.
    """
    sat_index = np.asarray(sat_index)
    n = len(sat_index)
    r = np.empty((n, 3))
    v = np.empty((n, 3))
    err = np.zeros(n, dtype=np.uint8)
    if n == 0:
        return r, v, err
    order = np.argsort(sat_index, kind="stable")
    sorted_idx = sat_index[order]
    bounds = np.flatnonzero(np.diff(sorted_idx)) + 1
    starts = np.concatenate([[0], bounds])
    stops = np.concatenate([bounds, [n]])
    jd_whole = np.asarray(jd_whole, dtype=float)
    jd_fraction = np.asarray(jd_fraction, dtype=float)
    for a, b in zip(starts, stops):
        sel = order[a:b]
        satrec = constellation[int(sorted_idx[a])].satrec
        e, rr, vv = satrec.sgp4_array(jd_whole[sel], jd_fraction[sel])
        r[sel] = rr
        v[sel] = vv
        err[sel] = e
    r *= 1e3
    v *= 1e3
    return r, v, err


def excluded_table(constellation, error, t_s, span) -> pd.DataFrame:
    """Satellites whose SGP4 fails somewhere on the grid: name, id, first failure, reason."""
    rows = []
    failing = np.flatnonzero(error.any(axis=1))
    for i in failing:
        k = int(np.flatnonzero(error[i])[0])
        code = int(error[i, k])
        rows.append(
            {
                "satellite": constellation[i].name,
                "norad_id": constellation[i].norad_id,
                "first_failure_utc": span.datetimes([t_s[k]])[0],
                "sgp4_error": code,
                "reason": sgp4_error_message(code),
            }
        )
    return pd.DataFrame(rows, columns=["satellite", "norad_id", "first_failure_utc", "sgp4_error", "reason"])


def warn_excluded(excluded: pd.DataFrame):
    for row in excluded.itertuples():
        warnings.warn(
            f"{row.satellite} (NORAD {row.norad_id}) left out: SGP4 fails from "
            f"{row.first_failure_utc.isoformat()} ({row.reason})",
            ExcludedSatelliteWarning,
            stacklevel=3,
        )
