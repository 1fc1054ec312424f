"""Ground stations: the packaged catalogue of real sites and CSV station files.

The default catalogue (``spaceground/data/ground_stations.csv``) holds 21 real
ground-station sites (KSAT, SSC, NASA NEN, DLR, USGS, Geoscience Australia and the
Chinese remote-sensing stations) with the source of every coordinate.
"""

from __future__ import annotations

import csv
import difflib
import math
import os
from dataclasses import dataclass
from importlib import resources

from .errors import InputError, SelectionError

DEFAULT_MIN_ELEVATION_DEG = 10.0  # common X-band practice; gsopt scenarios use 10 deg (reference-numbers #55)
REQUIRED_COLUMNS = ("station_id", "lat_deg", "lon_deg", "alt_m")


@dataclass(frozen=True)
class Station:
    """A ground station on the WGS 84 ellipsoid.

    Attributes
    ----------
    station_id : str
    lat_deg, lon_deg : float
        Geodetic latitude and longitude [deg].
    alt_m : float
        Height above the ellipsoid [m].
    min_elevation_deg : float
        Elevation mask [deg]: contact exists while the satellite is above it.
    name : str
    """

    station_id: str
    lat_deg: float
    lon_deg: float
    alt_m: float = 0.0
    min_elevation_deg: float = DEFAULT_MIN_ELEVATION_DEG
    name: str = ""

    def __post_init__(self):
        where = f"station {self.station_id!r}"
        _check_range(where, "lat_deg", self.lat_deg, -90.0, 90.0)
        _check_range(where, "lon_deg", self.lon_deg, -180.0, 360.0)
        _check_range(where, "alt_m", self.alt_m, -500.0, 9000.0)
        _check_range(where, "min_elevation_deg", self.min_elevation_deg, -5.0, 89.0)

    def with_mask(self, min_elevation_deg: float) -> Station:
        return Station(self.station_id, self.lat_deg, self.lon_deg, self.alt_m, float(min_elevation_deg), self.name)


def _check_range(where, key, value, lo, hi):
    if not isinstance(value, (int, float)) or not math.isfinite(value) or not lo <= value <= hi:
        raise InputError(f"{where}: {key} = {value!r} is outside {lo:g}..{hi:g}")


def _number(text, path, lineno, column):
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise InputError(f"{path}, line {lineno}: column {column!r} holds {text!r}, not a number") from None
    if not math.isfinite(value):
        raise InputError(f"{path}, line {lineno}: column {column!r} holds {text!r}, not a finite number")
    return value


def read_stations_csv(path, min_elevation_deg=None, source=None):
    """Read stations from CSV with columns ``station_id, lat_deg, lon_deg, alt_m``.

    Optional columns ``name`` and ``min_elevation_deg``; other columns are ignored.
    ``min_elevation_deg`` given here overrides the file's masks.
    """
    source = source or os.fspath(path)
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        header = reader.fieldnames or []
        missing = [c for c in REQUIRED_COLUMNS if c not in header]
        if missing:
            raise InputError(
                f"{source}, line 1: missing column(s) {', '.join(missing)}; a station CSV needs "
                f"{', '.join(REQUIRED_COLUMNS)} (found {', '.join(header) or 'no header'})"
            )
        stations = []
        seen = {}
        for row in reader:
            lineno = reader.line_num
            sid = (row["station_id"] or "").strip()
            if not sid:
                raise InputError(f"{source}, line {lineno}: empty station_id")
            if sid in seen:
                raise InputError(f"{source}, line {lineno}: station_id {sid!r} repeats line {seen[sid]}")
            seen[sid] = lineno
            lat = _number(row["lat_deg"], source, lineno, "lat_deg")
            lon = _number(row["lon_deg"], source, lineno, "lon_deg")
            alt = _number(row["alt_m"], source, lineno, "alt_m")
            if min_elevation_deg is not None:
                mask = float(min_elevation_deg)
            elif row.get("min_elevation_deg") not in (None, ""):
                mask = _number(row["min_elevation_deg"], source, lineno, "min_elevation_deg")
            else:
                mask = DEFAULT_MIN_ELEVATION_DEG
            try:
                stations.append(Station(sid, lat, lon, alt, mask, (row.get("name") or "").strip()))
            except InputError as exc:
                raise InputError(f"{source}, line {lineno}: {exc}") from None
    if not stations:
        raise InputError(f"{source}: no stations in the file")
    return stations


def default_catalogue(min_elevation_deg=None):
    """The packaged catalogue of 21 real ground-station sites."""
    ref = resources.files("spaceground") / "data" / "ground_stations.csv"
    with resources.as_file(ref) as path:
        return read_stations_csv(path, min_elevation_deg, source="default station catalogue")


def resolve_stations(spec=None, min_elevation_deg=None):
    """Stations from a spec: None (whole catalogue), a CSV path, or catalogue ids.

    ``spec`` may be a list mixing ids and CSV paths, or one comma-separated string.
    """
    if spec is None or (not isinstance(spec, str) and len(spec) == 0):
        return default_catalogue(min_elevation_deg)
    items = [spec] if isinstance(spec, str) else list(spec)
    tokens = []
    for item in items:
        if isinstance(item, Station):
            tokens.append(item)
            continue
        text = os.fspath(item)
        if text.lower().endswith(".csv") or os.path.isfile(text):
            tokens.append(text)
        else:
            tokens.extend(t.strip() for t in text.split(",") if t.strip())
    catalogue = {s.station_id.upper(): s for s in default_catalogue(min_elevation_deg)}
    out = []
    for token in tokens:
        if isinstance(token, Station):
            out.append(token if min_elevation_deg is None else token.with_mask(min_elevation_deg))
        elif token.lower().endswith(".csv") or os.path.isfile(token):
            if not os.path.isfile(token):
                raise FileNotFoundError(f"station file not found: {token}")
            out.extend(read_stations_csv(token, min_elevation_deg))
        elif token.upper() in catalogue:
            out.append(catalogue[token.upper()])
        else:
            close = difflib.get_close_matches(token.upper(), list(catalogue), n=3, cutoff=0.5)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise SelectionError(
                f"station {token!r} is neither a CSV file nor an id of the default catalogue{hint} "
                f"(ids: {', '.join(sorted(catalogue))})"
            )
    ids = [s.station_id for s in out]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise SelectionError(f"station(s) {', '.join(dupes)} given twice")
    return out
