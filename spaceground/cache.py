"""An on-disk cache of geometry: contact windows and eclipses depend only on the orbits,
the stations with their masks and the span, so variants of a study that share those share
one computation.

The key is a SHA-256 over the element lines of every selected satellite, every station's
coordinates and mask, the span, and the spaceground version (a new version may compute
differently, so it never reads an older version's entries). An entry is a folder
``<key>/`` with ``contacts.parquet``, ``eclipses.parquet``, ``excluded.parquet`` and
``meta.json`` (written last: an entry without it is incomplete and ignored).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile

import pandas as pd

from . import __version__
from .geometry import Geometry, compute_geometry

DEFAULT_CACHE_ENV = "SPACEGROUND_CACHE"


def default_cache_dir() -> str:
    """``$SPACEGROUND_CACHE``, else ``~/.cache/spaceground`` (``$XDG_CACHE_HOME`` honoured)."""
    if os.environ.get(DEFAULT_CACHE_ENV):
        return os.environ[DEFAULT_CACHE_ENV]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "spaceground")


def geometry_key(constellation, stations, span, eclipses=True) -> str:
    """The cache key of the geometry of ``constellation`` over ``stations`` in ``span``."""
    h = hashlib.sha256()
    h.update(f"spaceground {__version__} geometry eclipses={bool(eclipses)}\n".encode())
    h.update(f"{span.start.isoformat()} {span.duration_s!r}\n".encode())
    for s in constellation:
        h.update(f"{s.name}\n{s.line1}\n{s.line2}\n".encode())
    for st in stations:
        h.update(f"{st.station_id} {st.lat_deg!r} {st.lon_deg!r} {st.alt_m!r} {st.min_elevation_deg!r}\n".encode())
    return h.hexdigest()


class GeometryCache:
    """Geometry entries in ``folder/geometry``; ``hits`` and ``misses`` count the look-ups."""

    def __init__(self, folder=None):
        self.folder = os.path.join(folder or default_cache_dir(), "geometry")
        self.hits = 0
        self.misses = 0

    def _entry(self, key):
        return os.path.join(self.folder, key)

    def get(self, key, span):
        entry = self._entry(key)
        meta_path = os.path.join(entry, "meta.json")
        if not os.path.exists(meta_path):
            return None
        with open(meta_path) as f:
            meta = json.load(f)
        tables = {
            name: pd.read_parquet(os.path.join(entry, f"{name}.parquet"))
            for name in ("contacts", "eclipses", "excluded")
        }
        return Geometry(span, tables["contacts"], tables["eclipses"], tables["excluded"], meta["step_s"])

    def put(self, key, geo):
        """Write an entry atomically (a temporary folder renamed into place)."""
        os.makedirs(self.folder, exist_ok=True)
        tmp = tempfile.mkdtemp(prefix=f".{key[:12]}-", dir=self.folder)
        for name in ("contacts", "eclipses", "excluded"):
            getattr(geo, name).to_parquet(os.path.join(tmp, f"{name}.parquet"), index=False)
        with open(os.path.join(tmp, "meta.json"), "w") as f:
            json.dump(
                {
                    "step_s": geo.step_s,
                    "start_utc": geo.span.start.isoformat(),
                    "duration_s": geo.span.duration_s,
                    "version": __version__,
                },
                f,
            )
        try:
            os.rename(tmp, self._entry(key))
        except OSError:  # another process wrote the same entry first: keep theirs
            for name in os.listdir(tmp):
                os.remove(os.path.join(tmp, name))
            os.rmdir(tmp)

    def geometry(self, constellation, stations, span, eclipses=True, progress=None):
        """The cached geometry, computed and stored on a miss; returns (geometry, hit)."""
        key = geometry_key(constellation, stations, span, eclipses)
        geo = self.get(key, span)
        if geo is not None:
            self.hits += 1
            return geo, True
        self.misses += 1
        geo = compute_geometry(constellation, stations, span, eclipses=eclipses, progress=progress)
        self.put(key, geo)
        return geo, False
