"""The public Python API of spaceground.

Everything a study needs is importable from here::

    from spaceground.api import contact_windows
    passes = contact_windows("constellations/eo_2025-10-03.tle", select=["SENTINEL*"],
                             start="2025-10-03T12:00:00Z", hours=24)

Functions return pandas DataFrames with documented columns; times are
timezone-aware UTC ``Timestamp`` columns, durations in seconds, angles in degrees.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from .elements import clone_tle, walker_tle
from .errors import (
    ExcludedSatelliteWarning,
    InputError,
    SelectionError,
    SpacegroundError,
    StaleElementsError,
    StaleElementsWarning,
    TLEFormatError,
)
from .geometry import Geometry
from .orbits import Constellation, Satellite, load_tle, parse_tle
from .queries import (
    contact_windows,
    default_stations,
    eclipse_intervals,
    geometry,
    link_windows,
    load_constellation,
    sunlit_fraction,
)
from .results import Results, read_run
from .scenario import ScenarioError, load_scenario
from .stations import Station, read_stations_csv
from .timebase import Span, format_utc_ms, parse_utc

# Imported when first used (``from spaceground.api import compare`` works as usual): they bring in the
# engine, the solver, Dask or matplotlib, which a geometry query does not need.
_LAZY = {
    "run_scenario": ("simulate", "run_scenario"),
    "validate_scenario": ("simulate", "validate_scenario"),
    "available_policies": ("simulate", "available_policies"),
    "compare": ("study", "compare"),
    "upper_bound": ("study", "upper_bound"),
    "ground_network_bound": ("study", "ground_network_bound"),
    "COMPARE_COLUMNS": ("study", "COMPARE_COLUMNS"),
    "plot_run": ("plotting", "plot_run"),
    "write_report": ("report", "write_report"),
    "export_czml": ("czml", "export_czml"),
    "sweep": ("sweep", "run_sweep"),
}

if TYPE_CHECKING:  # for readers and type checkers; at run time __getattr__ imports them
    from .czml import export_czml
    from .plotting import plot_run
    from .report import write_report
    from .simulate import available_policies, run_scenario, validate_scenario
    from .study import compare, ground_network_bound, upper_bound
    from .sweep import run_sweep as sweep

__all__ = [
    "Constellation",
    "ExcludedSatelliteWarning",
    "Geometry",
    "InputError",
    "SelectionError",
    "Satellite",
    "Span",
    "SpacegroundError",
    "StaleElementsError",
    "StaleElementsWarning",
    "Station",
    "TLEFormatError",
    "contact_windows",
    "link_windows",
    "default_stations",
    "eclipse_intervals",
    "format_utc_ms",
    "geometry",
    "load_constellation",
    "load_tle",
    "parse_tle",
    "parse_utc",
    "read_stations_csv",
    "sunlit_fraction",
    "walker_tle",
    "clone_tle",
    "plot_run",
    "write_report",
    "export_czml",
    "sweep",
    "Results",
    "ScenarioError",
    "load_scenario",
    "read_run",
    "run_scenario",
    "validate_scenario",
    "available_policies",
    "compare",
    "upper_bound",
    "ground_network_bound",
]


def __getattr__(name):
    if name in _LAZY:
        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(f"{__package__}.{module}"), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
