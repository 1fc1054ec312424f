"""Scenario files: YAML in, a frozen and validated model out.

The only module that reads YAML. Validation happens once, here: unknown keys are
refused with a "did you mean", values are range-checked, cross references
(a backhaul link names a known station and data centre) are resolved, and every
error names the file, the line and the key path. Keys carry their units
(``battery_wh``, ``downlink_mbps``, ``latency_ms``). Defaults and their sources are
in :mod:`spaceground.defaults`; ``docs/scenario-format.md`` documents every key.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import json
import os
from importlib import resources
from typing import Annotated, Any, Literal

import pandas as pd
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    create_model,
    field_validator,
    model_validator,
)

from . import defaults
from .elements import check_ids, check_phasing
from .errors import InputError
from .textfiles import nul_line, read_text_file


class ScenarioError(InputError):
    """A scenario file is malformed; ``problems`` lists every fault found."""

    def __init__(self, source, problems):
        self.source = source
        self.problems = list(problems)
        head = f"{source}: {len(self.problems)} problem{'s' if len(self.problems) > 1 else ''}"
        super().__init__(head + "\n" + "\n".join(f"  {p}" for p in self.problems))


class _Model(BaseModel):
    # NaN and infinities are refused everywhere: no physical quantity of a scenario is either.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def _not_bool(value):
    if isinstance(value, bool):
        raise ValueError(f"a number is needed here, not a boolean ({str(value).lower()})")
    return value


NoBool = BeforeValidator(_not_bool)
# Every quantity has an upper bound far above any real mission (1e12 in its unit) so that a typo like
# 1e308 is refused instead of overflowing to inf in the energy or byte arithmetic.
LARGEST = 1e12
Positive = Annotated[float, NoBool, Field(gt=0, le=LARGEST)]
NonNegative = Annotated[float, NoBool, Field(ge=0, le=LARGEST)]
Fraction = Annotated[float, NoBool, Field(ge=0, le=1)]
Count = Annotated[int, NoBool]


FIRST_YEAR, LAST_YEAR = 1957, 2200  # Sputnik 1 to the end of the long-term Earth-orientation predictions


def _outside_the_years(value):
    return ValueError(
        f"{value!r} is outside the years {FIRST_YEAR}-{LAST_YEAR} that element sets and the Earth-orientation "
        "tables can cover"
    )


# --- time-varying values ------------------------------------------------------------------
class HourlyProfile(_Model):
    """A 24-hour profile by UTC hour, repeated every day: ``hourly: [24 values]``."""

    hourly: list[NonNegative] = Field(min_length=24, max_length=24, description="24 values, hour 0 to 23 (UTC)")


class CsvSeries(_Model):
    """A time series from a CSV file (path relative to the scenario file)."""

    csv: str = Field(description="CSV file path, relative to the scenario file")
    time_column: str = Field("time_utc", description="column of ISO 8601 UTC times")
    value_column: str = Field(description="column of values")
    repeat_h: Annotated[float, NoBool, Field(gt=0, le=8784)] | None = Field(
        None,
        description="the series repeats with this period [h] (e.g. 24 for a daily profile); without it the "
        "series must cover the whole span",
    )


def _series_kind(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return "constant"
    if isinstance(value, HourlyProfile) or (isinstance(value, dict) and "hourly" in value):
        return "hourly"
    if isinstance(value, CsvSeries) or (isinstance(value, dict) and "csv" in value):
        return "csv"
    return None


TimeVarying = Annotated[
    Annotated[NonNegative, Tag("constant")]
    | Annotated[HourlyProfile, Tag("hourly")]
    | Annotated[CsvSeries, Tag("csv")],
    Discriminator(
        _series_kind,
        custom_error_type="series",
        custom_error_message="expected a number, {hourly: [24 values]} or {csv: FILE, value_column: NAME}",
    ),
]


# --- satellites -------------------------------------------------------------------------
_HARDWARE_FIELDS = {
    "solar_w": (Positive, "solar array output in full sunlight [W]"),
    "battery_wh": (Positive, "battery capacity [Wh]"),
    "initial_soc": (Fraction, "state of charge at the span start [0-1]"),
    "min_soc": (
        Annotated[float, NoBool, Field(ge=0, lt=1)],
        "reserve: onboard jobs never take the battery below this [0-1]",
    ),
    "bus_w": (NonNegative, "housekeeping load, always on [W]"),
    "capture_j": (NonNegative, "energy of one capture [J]"),
    "compute_tops": (Positive, "onboard compute throughput [tera-operations per second]"),
    "compute_busy_w": (NonNegative, "onboard computer power while running a job [W]"),
    "compute_idle_w": (NonNegative, "onboard computer power while idle [W]"),
    "storage_gb": (Positive, "onboard storage for raw data and products [GB]"),
    "downlink_mbps": (Positive, "radio downlink rate [Mbit/s]"),
    "tx_w": (NonNegative, "radio power while transmitting [W]"),
    "laser_w": (NonNegative, "laser terminal power while sending over an inter-satellite link [W]"),
    "eirp_dbw": (
        Annotated[float, NoBool, Field(ge=-30, le=90)] | None,
        "radio EIRP [dBW]: with a station's gt_db_per_k the downlink runs DVB-S2 ACM along each pass "
        "(none: the constant downlink_mbps)",
    ),
    "downlink_ghz": (Annotated[float, NoBool, Field(gt=0.1, le=100)], "downlink carrier frequency [GHz]"),
    "symbol_rate_mbaud": (Positive | None, "radio symbol rate [Mbaud] (with eirp_dbw)"),
    "acm_table": (
        Literal["dvb-s2", "dvb-s2x", "shannon"],
        "the MODCODs ACM chooses from: DVB-S2 (ETSI EN 302 307-1), with the DVB-S2X ones too (EN 302 307-2), or "
        "shannon: the ideal capacity B log2(1 + C/N) with B the symbol rate, as steps within 1 % below it",
    ),
    "optical_gbps": (
        Positive | None,
        "the satellite's optical downlink terminal [Gbit/s]: with a station's optical terminal, a clear pass runs "
        "at the lower of the two rates (none: RF only)",
    ),
    "heat_capacity_j_per_k": (
        Positive | None,
        "heat capacity of the satellite's lumped thermal node [J/K]: with it the node's temperature is followed "
        "and the onboard computer throttles between throttle_c and limit_c (none: no thermal model)",
    ),
    "radiator_m2": (Positive, "radiating area of the thermal node [m2]"),
    "emissivity": (Annotated[float, NoBool, Field(gt=0, le=1)], "infrared emissivity of the radiator [0-1]"),
    "absorbed_sun_w": (NonNegative, "sunlight and albedo the node absorbs in full sun [W]"),
    "absorbed_earth_w": (NonNegative, "Earth infrared the node absorbs, in sunlight and shadow [W]"),
    "initial_c": (Annotated[float, NoBool, Field(ge=-150, le=150)], "node temperature at the span start [degC]"),
    "throttle_c": (
        Annotated[float, NoBool, Field(ge=-150, le=150)],
        "a computer stopped at limit_c resumes once the node has cooled to this [degC]",
    ),
    "limit_c": (
        Annotated[float, NoBool, Field(ge=-150, le=150)],
        "the onboard computer stops when the node reaches this [degC]",
    ),
}

Hardware = create_model(
    "Hardware",
    __base__=_Model,
    __doc__="Satellite hardware, every field with its default (see spaceground.defaults).",
    **{
        name: (typ, Field(defaults.SATELLITE[name], description=desc)) for name, (typ, desc) in _HARDWARE_FIELDS.items()
    },
)


@functools.cache
def hardware_catalogue() -> dict:
    """The package's hardware catalogue (``spaceground/data/hardware.yaml``): ``satellites`` (presets: ``name``,
    ``values`` by hardware key, ``sources`` by key) and ``accelerators`` (``name``, ``points``: the published
    (``power_w``, ``tops``) pairs, ``idle_w``, ``sources``)."""
    import yaml

    with resources.files("spaceground").joinpath("data/hardware.yaml").open(encoding="utf-8") as f:
        return yaml.safe_load(f)


def accelerator_tops(name, power_cap_w=None) -> tuple:
    """(throughput [TOPS], busy power [W], idle power [W]) of catalogue accelerator ``name`` at ``power_cap_w``
    (its highest published point if None): between two published points on the straight line joining them. A cap
    outside the published points raises ValueError naming them."""
    acc = hardware_catalogue()["accelerators"][name]
    points = sorted((float(p["power_w"]), float(p["tops"])) for p in acc["points"])
    if power_cap_w is None:
        power_w, tops = points[-1]
        return tops, power_w, float(acc["idle_w"])
    for (w0, t0), (w1, t1) in zip(points, points[1:]):
        if w0 <= power_cap_w <= w1:
            return t0 + (t1 - t0) * (power_cap_w - w0) / (w1 - w0), float(power_cap_w), float(acc["idle_w"])
    for w, t in points:
        if power_cap_w == w:
            return t, w, float(acc["idle_w"])
    caps = ", ".join(f"{w:g} W ({t:g} TOPS)" for w, t in points)
    span = f"between {points[0][0]:g} and {points[-1][0]:g} W" if len(points) > 1 else f"{points[0][0]:g} W"
    raise ValueError(
        f"power_cap_w {power_cap_w:g} is outside the published points of {name} ({caps}); give a cap {span}"
    )


def _in_catalogue(part, what):
    def check(value):
        names = list(hardware_catalogue()[part])
        if value is not None and value not in names:
            close = difflib.get_close_matches(str(value), names, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise ValueError(f"{value!r} is not {what} of the hardware catalogue; {hint}known: {', '.join(names)}")
        return value

    return BeforeValidator(check)


class _HardwareBlock(_Model):
    """A block of hardware keys, with a preset from the catalogue."""

    preset: Annotated[str | None, _in_catalogue("satellites", "a satellite preset")] = Field(
        None, description="a satellite preset of the hardware catalogue (spaceground/data/hardware.yaml)"
    )
    accelerator: Annotated[str | None, _in_catalogue("accelerators", "an accelerator")] = Field(
        None, description="an onboard accelerator of the catalogue: sets compute_tops, compute_busy_w, compute_idle_w"
    )
    power_cap_w: Positive | None = Field(
        None, description="the accelerator's power cap [W] (default: its highest published point)"
    )

    @model_validator(mode="after")
    def _accelerator_cap(self):
        if self.power_cap_w is not None and self.accelerator is None:
            raise ValueError("power_cap_w is given without an accelerator; name the accelerator it caps")
        if self.accelerator is not None:
            accelerator_tops(self.accelerator, self.power_cap_w)  # a cap outside its published points is refused
        return self

    def expanded(self) -> dict:
        """The hardware keys this block sets: its preset's values, then its accelerator's (at its power cap), then
        its own keys (each overrides the one before)."""
        out = {}
        if self.preset is not None:
            out.update(hardware_catalogue()["satellites"][self.preset]["values"])
        if self.accelerator is not None:
            tops, busy_w, idle_w = accelerator_tops(self.accelerator, self.power_cap_w)
            out.update(compute_tops=tops, compute_busy_w=busy_w, compute_idle_w=idle_w)
        out.update(self.model_dump(exclude_none=True, include=set(_HARDWARE_FIELDS)))
        return out


HardwareOverride = create_model(
    "HardwareOverride",
    __base__=_HardwareBlock,
    __doc__="Satellite hardware fields to change (a catalogue preset, an accelerator, keys); those left out keep "
    "their defaults.",
    **{name: (typ | None, Field(None, description=desc)) for name, (typ, desc) in _HARDWARE_FIELDS.items()},
)


class SatelliteProfile(HardwareOverride):
    """Hardware for the satellites whose names match ``match`` (first matching profile wins)."""

    match: list[str] = Field(min_length=1, description="NORAD ids or name globs")
    name: str = Field("", description="label of the profile")


class Satellites(_Model):
    default: HardwareOverride = Field(default_factory=HardwareOverride, description="changes to the defaults, for all")
    profiles: list[SatelliteProfile] = Field(default_factory=list, description="per-pattern hardware")


Degrees = Annotated[float, NoBool, Field(ge=-360, le=360)]
NoradId = Annotated[int, NoBool, Field(ge=1, le=99999)]


class WalkerShell(_Model):
    """A Walker shell generated from its elements (circular orbits; see :func:`spaceground.elements.walker_tle`)."""

    planes: Annotated[int, NoBool, Field(ge=1, le=1000)] = Field(description="orbital planes")
    per_plane: Annotated[int, NoBool, Field(ge=1, le=10000)] = Field(description="satellites in each plane")
    phasing: Annotated[int, NoBool, Field(ge=0)] = Field(
        0, description="Walker phasing F: plane p is F p 360 / (planes x per_plane) deg ahead of plane 0 (0..planes-1)"
    )
    altitude_km: Annotated[float, NoBool, Field(ge=150, le=50000)] = Field(
        description="mean altitude above the WGS 84 equatorial radius (SGP4's mean semi-major axis) [km]"
    )
    inclination_deg: Annotated[float, NoBool, Field(ge=0, le=180)] = Field(description="inclination [deg]")
    pattern: Literal["delta", "star"] = Field(
        "delta", description="delta: ascending nodes over 360 deg; star: over 180 deg (polar shells)"
    )
    raan_deg: Degrees = Field(0.0, description="right ascension of plane 0's ascending node [deg]")
    epoch_utc: str | None = Field(None, description="epoch of the elements (ISO 8601 with a zone; default: start_utc)")
    name: str = Field("WALKER", min_length=1, max_length=40, description="names are NAME-P{plane}-S{slot}")
    first_id: NoradId = Field(90000, description="NORAD id of the first satellite; the others count up")

    @field_validator("epoch_utc", mode="before")
    @classmethod
    def _zone(cls, v):
        return None if v is None else _utc_text(v)

    @model_validator(mode="after")
    def _fits(self):
        check_phasing(self.phasing, self.planes)
        check_ids(self.first_id, self.planes * self.per_plane)
        return self


class CloneSpec(_Model):
    """Copies of one real element set in planes and slots (see :func:`spaceground.elements.clone_tle`)."""

    tle: str = Field(description="TLE file holding the reference satellite, relative to the scenario file")
    satellite: str | int = Field(description="the reference: its NORAD id or exact name")
    planes: Annotated[int, NoBool, Field(ge=1, le=1000)] = Field(1, description="planes of copies")
    per_plane: Annotated[int, NoBool, Field(ge=1, le=10000)] = Field(1, description="copies in each plane")
    plane_spacing_deg: Degrees | None = Field(
        None, description="ascending-node offset between neighbouring planes [deg] (default 360 / planes)"
    )
    slot_spacing_deg: Degrees | None = Field(
        None, description="mean-anomaly offset between neighbouring copies in a plane [deg] (default 360 / per_plane)"
    )
    slot_spacing_s: Annotated[float, NoBool, Field(gt=0, le=1e6)] | None = Field(
        None,
        description="or as the time each copy follows the one before along the track [s] (the mean anomaly behind "
        "by that time at SGP4's rate, J2 included)",
    )
    phasing_deg: Degrees = Field(0.0, description="extra mean-anomaly offset of each plane over the previous [deg]")
    name: str | None = Field(
        None, max_length=40, description="names are NAME-P{plane}-S{slot} (default: the reference's)"
    )
    first_id: NoradId = Field(90000, description="NORAD id of the first copy; the others count up")

    @model_validator(mode="after")
    def _fits(self):
        if self.slot_spacing_deg is not None and self.slot_spacing_s is not None:
            raise ValueError("give the in-plane spacing one way: slot_spacing_deg or slot_spacing_s")
        check_ids(self.first_id, self.planes * self.per_plane, "copies")
        return self


def _one_or_list(v):
    return [v] if isinstance(v, dict) else v


class ConstellationSpec(_Model):
    """Satellites from a TLE file, generated from elements (Walker shells, clones of one element set), or both."""

    tle: str | None = Field(None, description="TLE file, relative to the scenario file")
    select: list[str | int] = Field(default_factory=list, description="NORAD ids or name globs of the TLE file's")
    walker: Annotated[list[WalkerShell], BeforeValidator(_one_or_list)] = Field(
        default_factory=list, description="Walker shells generated from their elements (one, or a list)"
    )
    clone: Annotated[list[CloneSpec], BeforeValidator(_one_or_list)] = Field(
        default_factory=list, description="copies of a real element set in planes and slots (one, or a list)"
    )
    allow_stale: bool = Field(False, description="accept element sets more than 14 days from the start")

    @model_validator(mode="after")
    def _some_satellites(self):
        if self.tle is None and not self.walker and not self.clone:
            raise ValueError("give the satellites: a tle file, walker shells or clones of an element set")
        if self.select and self.tle is None:
            raise ValueError("select picks satellites of the tle file; there is none")
        return self


# --- space segment ----------------------------------------------------------------------
class LaserTerminal(_Model):
    """A satellite's laser inter-satellite terminals (each one session at a time; each draws ``laser_w`` while it
    sends)."""

    rate_gbps: Positive = Field(defaults.LASER["rate_gbps"], description="data rate once linked [Gbit/s]")
    acquisition_s: NonNegative = Field(
        defaults.LASER["acquisition_s"], description="pointing and acquisition before data flows [s]"
    )
    max_range_km: Positive = Field(defaults.LASER["max_range_km"], description="longest range it links at [km]")
    terminals: Count = Field(
        defaults.LASER["terminals"], ge=1, le=16, description="laser terminals on each satellite: sessions at once"
    )


class ComputingConstellation(ConstellationSpec):
    """Computing satellites: their own TLE file and selection, hardware and laser terminals."""

    hardware: HardwareOverride = Field(
        default_factory=HardwareOverride,
        description="hardware of the computing satellites (over satellites.default; profiles still match by name)",
    )
    laser: LaserTerminal = Field(default_factory=LaserTerminal, description="their laser terminals")


class RelayConstellation(ConstellationSpec):
    """Data-relay satellites (geostationary, like EDRS and Tianlian): they take raw data over laser links and
    send it down their feeder links to their own ground terminals."""

    hardware: HardwareOverride = Field(
        default_factory=HardwareOverride,
        description="hardware of the relays (over satellites.default): downlink_mbps is the feeder link's rate",
    )
    laser: LaserTerminal = Field(
        default_factory=lambda: LaserTerminal(
            rate_gbps=defaults.RELAY_LASER["rate_gbps"], max_range_km=defaults.RELAY_LASER["max_range_km"]
        ),
        description="their laser terminals",
    )
    ground_terminals: list[str] = Field(
        min_length=1, description="ids of the scenario's stations that receive the relays' feeder links (and only them)"
    )


class SpaceLinks(_Model):
    """Which inter-satellite links a run may use."""

    imaging_to_computing: bool = Field(True, description="imaging satellites send raw data to computing ones")
    computing_to_computing: Literal["grid", "visible", "none"] = Field(
        "grid",
        description="grid: neighbours in plane and across planes (found at the start); visible: every pair in view",
    )
    to_relay: bool = Field(True, description="imaging and computing satellites send raw data to the relays")
    grazing_height_km: NonNegative = Field(
        defaults.GRAZING_HEIGHT_KM, description="lowest height of a line of sight over the Earth [km]"
    )


class SpaceSegment(_Model):
    """Satellites beside the imaging ones, and the laser links between them."""

    computing: ComputingConstellation | None = Field(None, description="the computing constellation")
    relays: RelayConstellation | None = Field(None, description="the data-relay satellites")
    imaging_laser: LaserTerminal = Field(
        default_factory=LaserTerminal, description="laser terminals of the imaging satellites"
    )
    links: SpaceLinks = Field(default_factory=SpaceLinks)

    @model_validator(mode="after")
    def _something(self):
        if self.computing is None and self.relays is None:
            raise ValueError("give computing satellites, relays or both")
        return self


# --- ground segment ---------------------------------------------------------------------
class OpticalTerminal(_Model):
    """A station's optical (laser) downlink terminal: a pass under cloud carries nothing optical. The truth of
    each pass is a seeded draw at ``clear_sky_probability`` (policies see that probability: the expected rate)
    or the ``cloud_cover`` series at the pass's middle (policies see ``forecast_cloud_cover`` there)."""

    rate_gbps: Positive = Field(
        defaults.OPTICAL_STATION["rate_gbps"], description="the terminal's receive rate [Gbit/s]"
    )
    clear_sky_probability: Fraction | None = Field(
        None, description="chance that a pass is clear (a seeded draw per pass; policies see the chance)"
    )
    cloud_cover: CsvSeries | None = Field(None, description="cloud cover over the site [0-1], the truth")
    forecast_cloud_cover: CsvSeries | None = Field(
        None, description="the cloud cover forecast an operator has, which policies see (with cloud_cover)"
    )
    max_cloud_cover: Fraction = Field(
        defaults.OPTICAL_STATION["max_cloud_cover"], description="a pass at more cover than this is blocked"
    )
    rf_fallback: bool = Field(
        True, description="the station also receives RF: a blocked pass (or a satellite without optics) uses it"
    )

    @model_validator(mode="after")
    def _one_cloud_model(self):
        if (self.clear_sky_probability is None) == (self.cloud_cover is None):
            raise ValueError(
                "give the clouds one way: clear_sky_probability (a seeded draw per pass) or cloud_cover (a CSV "
                "series, with forecast_cloud_cover for the policies)"
            )
        if self.cloud_cover is not None and self.forecast_cloud_cover is None:
            raise ValueError(
                "cloud_cover is the truth of each pass; give forecast_cloud_cover too (the forecast an operator "
                "would have, which the policies see: the same series for a perfect forecast)"
            )
        if self.clear_sky_probability is not None and self.forecast_cloud_cover is not None:
            raise ValueError("forecast_cloud_cover goes with cloud_cover, not with clear_sky_probability")
        return self


def _utc_text(v):
    """An ISO 8601 time with a zone, as given (a YAML datetime as ISO text); a ValueError saying what is wrong."""
    import datetime as dt

    if isinstance(v, dt.datetime):
        if v.tzinfo is None:
            raise ValueError(f"{v.isoformat()} has no time zone; add Z for UTC")
        v = pd.Timestamp(v).tz_convert("UTC").isoformat().replace("+00:00", "Z")
    try:
        ts = pd.Timestamp(v) if isinstance(v, str) else None
    except (ValueError, OverflowError):
        ts = None
    if ts is None and isinstance(v, str):
        import re

        year = re.match(r"\s*(\d{4})-\d\d-\d\d", v)
        if year and not FIRST_YEAR <= int(year.group(1)) <= LAST_YEAR:
            raise _outside_the_years(v)
    if ts is None or ts is pd.NaT:
        raise ValueError(f"{v!r} is not an ISO 8601 time")
    if ts.tzinfo is None:
        raise ValueError(f"{v!r} has no time zone; add Z for UTC")
    if not FIRST_YEAR <= ts.year <= LAST_YEAR:
        raise _outside_the_years(v)
    return v


class Outage(_Model):
    start_utc: str = Field(description="ISO 8601 with a zone")
    end_utc: str = Field(description="ISO 8601 with a zone, after start_utc")
    reason: str = Field("", description="e.g. maintenance (for the tables)")

    @field_validator("start_utc", "end_utc", mode="before")
    @classmethod
    def _zone(cls, v):
        return _utc_text(v)

    @model_validator(mode="after")
    def _ordered(self):
        if pd.Timestamp(self.end_utc) <= pd.Timestamp(self.start_utc):
            raise ValueError(f"end_utc {self.end_utc} is not after start_utc {self.start_utc}")
        return self


class StationSpec(_Model):
    id: str = Field(description="station id; a catalogue id needs no coordinates")
    lat_deg: Annotated[float, NoBool] | None = Field(None, ge=-90, le=90, description="geodetic latitude [deg]")
    lon_deg: Annotated[float, NoBool] | None = Field(None, ge=-180, le=360, description="longitude [deg]")
    alt_m: Annotated[float, NoBool] = Field(0.0, ge=-500, le=9000, description="height above the WGS 84 ellipsoid [m]")
    antennas: Count = Field(defaults.STATION["antennas"], ge=1, le=100, description="antennas, one satellite each")
    min_elevation_deg: Annotated[float, NoBool] = Field(
        defaults.STATION["min_elevation_deg"], ge=-5, le=89, description="mask [deg]"
    )
    max_downlink_mbps: Positive | None = Field(None, description="receive-chain cap on the link rate [Mbit/s]")
    gt_db_per_k: Annotated[float, NoBool] | None = Field(
        None, ge=-30, le=70, description="receive G/T [dB/K]: with a radio's eirp_dbw, ACM link budgets"
    )
    losses_db: NonNegative = Field(defaults.STATION["losses_db"], description="atmospheric and pointing losses [dB]")
    acm_margin_db: NonNegative = Field(
        defaults.STATION["acm_margin_db"], description="margin ACM keeps above each MODCOD's threshold [dB]"
    )
    optical: OpticalTerminal | None = Field(
        None, description="an optical downlink terminal (with a satellite's optical_gbps), blocked by cloud"
    )
    availability_percent: Annotated[float, NoBool] | None = Field(
        None,
        ge=50,
        lt=100,
        description="with a link budget: the share of an average year the link holds against the ITU-R "
        "attenuation of gases, clouds, rain and scintillation at the site [%] (none: losses_db only)",
    )
    antenna_m: Positive = Field(
        defaults.STATION["antenna_m"], description="receive antenna diameter [m] (for ITU-R scintillation)"
    )
    outages: list[Outage] = Field(
        default_factory=list, description="times the station hears nothing (maintenance, failures); known ahead"
    )
    price_cny_per_min: NonNegative = Field(
        0.0, description="ground station as a service: price of each minute of a pass booked [CNY/min]"
    )
    price_cny_per_pass: NonNegative = Field(0.0, description="price of each pass booked, on top of its minutes [CNY]")
    booking_lead_h: Annotated[float, NoBool] = Field(
        0.0,
        ge=0,
        le=24 * 31,
        description="a pass must be booked this long before it starts; the engine books one then if the "
        "satellite has data waiting, an unbooked pass cannot be used, a booked one is billed whole [h]",
    )

    @model_validator(mode="after")
    def _both_or_neither(self):
        if (self.lat_deg is None) != (self.lon_deg is None):
            raise ValueError("give both lat_deg and lon_deg, or neither (to take them from the catalogue)")
        if self.availability_percent is not None and self.gt_db_per_k is None:
            raise ValueError("availability_percent is for a link budget: give the station's gt_db_per_k too")
        if self.availability_percent is not None and self.min_elevation_deg < 5:
            raise ValueError(
                f"min_elevation_deg {self.min_elevation_deg:g} is below 5 deg, where the ITU-R slant-path "
                "attenuation of availability_percent holds; raise the mask to 5 deg or more"
            )
        return self


class DataCenterSpec(_Model):
    id: str
    name: str = ""
    lat_deg: Annotated[float, NoBool] = Field(ge=-90, le=90)
    lon_deg: Annotated[float, NoBool] = Field(ge=-180, le=360)
    capacity_tops: Positive = Field(description="total compute throughput [TOPS]")
    servers: Count = Field(
        defaults.DATACENTER["servers"], ge=1, le=100_000, description="jobs that run at once (capacity is split)"
    )
    power_w_per_tops: Positive = Field(defaults.DATACENTER["power_w_per_tops"], description="IT power per TOPS [W]")
    pue: Annotated[float, NoBool] = Field(
        defaults.DATACENTER["pue"], ge=1.0, le=3.0, description="power usage effectiveness"
    )
    price_cny_per_kwh: TimeVarying = Field(defaults.DATACENTER["price_cny_per_kwh"], description="[CNY/kWh]")
    carbon_g_per_kwh: TimeVarying = Field(defaults.DATACENTER["carbon_g_per_kwh"], description="[g CO2/kWh]")
    available_power_kw: TimeVarying | None = Field(
        None, description="facility power the grid supplies [kW]; servers beyond it wait (unlimited if left out)"
    )


class LinkDefaults(_Model):
    bandwidth_gbps: Positive = Field(defaults.BACKHAUL["bandwidth_gbps"], description="[Gbit/s]")
    route_factor: Annotated[float, NoBool] = Field(
        defaults.BACKHAUL["route_factor"], ge=1.0, le=5.0, description="fibre / great circle"
    )


class LinkSpec(_Model):
    station: str
    datacenter: str
    bandwidth_gbps: Positive | None = Field(None, description="[Gbit/s]; the default when left out")
    latency_ms: NonNegative | None = Field(None, description="one way [ms]; from fibre distance when left out")


class Backhaul(_Model):
    default: LinkDefaults | None = Field(None, description="connect every station to every data centre")
    links: list[LinkSpec] = Field(default_factory=list, description="explicit links (override the default)")


# --- workloads --------------------------------------------------------------------------
class Target(_Model):
    name: str
    lat_deg: Annotated[float, NoBool] = Field(ge=-90, le=90)
    lon_deg: Annotated[float, NoBool] = Field(ge=-180, le=360)


DEFAULT_TARGET_ELEVATION_DEG = 60.0  # a target trigger with no view condition: near-nadir scenes


class TargetTrigger(_Model):
    targets: list[Target] = Field(min_length=1)
    min_elevation_deg: Annotated[float, NoBool] | None = Field(
        None,
        ge=0,
        le=89,
        description="the target sees the satellite above this (60 when neither this nor max_off_nadir_deg is given)",
    )
    max_off_nadir_deg: Annotated[float, NoBool] | None = Field(
        None, gt=0, lt=90, description="the satellite images at most this far off nadir [deg]"
    )

    def elevation_floor_deg(self):
        """The elevation condition: as given; none (0) when only an off-nadir limit is given; else 60."""
        if self.min_elevation_deg is not None:
            return self.min_elevation_deg
        return 0.0 if self.max_off_nadir_deg is not None else DEFAULT_TARGET_ELEVATION_DEG


MAX_AREA_EXTENT_DEG = 20.0  # an area target is a region, not a continent: its vertices within this of its centre


class Area(_Model):
    name: str
    polygon: list[tuple[Annotated[float, NoBool], Annotated[float, NoBool]]] = Field(
        min_length=3, description="vertices as [lat_deg, lon_deg] in order (edges are great-circle arcs)"
    )

    @model_validator(mode="after")
    def _a_region(self):
        import numpy as np

        from .imaging import polygon_centre

        for k, (lat, lon) in enumerate(self.polygon):
            if not (-90 <= lat <= 90 and -180 <= lon <= 360):
                raise ValueError(f"vertex {k} [{lat}, {lon}]: latitude -90..90 and longitude -180..360 [deg]")
        v, centre, _ = polygon_centre(self.polygon)
        if len({tuple(np.round(x, 12)) for x in v}) < 3:
            raise ValueError("a polygon needs at least three distinct vertices")
        extent = 180.0 if centre is None else np.degrees(np.arccos(np.clip(v @ centre, -1, 1))).max()
        if extent > MAX_AREA_EXTENT_DEG:
            raise ValueError(
                f"the polygon reaches {extent:.1f} deg from its centre; an area target is at most "
                f"{MAX_AREA_EXTENT_DEG:g} deg across each way: split a larger region into several areas"
            )
        return self


class AreaTrigger(_Model):
    areas: list[Area] = Field(min_length=1)
    max_off_nadir_deg: Annotated[float, NoBool] = Field(
        gt=0, lt=90, description="half-angle of what the imager covers (its swath, or its pointing range) [deg]"
    )


class PlanTrigger(_Model):
    plan: str = Field(
        description="tasking plan CSV (satellite, time_utc, lat_deg, lon_deg; optional target, class), "
        "relative to the scenario file"
    )
    min_elevation_deg: Annotated[float, NoBool] | None = Field(
        None, ge=0, le=89, description="a row is refused unless the target sees the satellite above this"
    )
    max_off_nadir_deg: Annotated[float, NoBool] | None = Field(
        None, gt=0, lt=90, description="a row is refused unless the satellite sees the target at most this off nadir"
    )

    @model_validator(mode="after")
    def _a_view_condition(self):
        if self.min_elevation_deg is None and self.max_off_nadir_deg is None:
            raise ValueError(
                "a plan trigger needs max_off_nadir_deg (how far off nadir the satellites image) or "
                "min_elevation_deg (or both): a row at a time the satellite cannot image is refused by them"
            )
        return self

    def elevation_floor_deg(self):
        return 0.0 if self.min_elevation_deg is None else self.min_elevation_deg


class RateTrigger(_Model):
    rate_per_sat_per_h: Annotated[float, NoBool] = Field(
        gt=0, le=3600, description="mean captures per satellite and hour (at most one a second)"
    )
    spacing: Literal["poisson", "regular"] = Field(
        "poisson",
        description="poisson: each satellite's captures at random (seeded) times; regular: every satellite captures "
        "at the same instants, one period (3600 / rate s) apart from one period after the start",
    )


def _trigger_kind(value):
    if isinstance(value, TargetTrigger) or (isinstance(value, dict) and "targets" in value):
        return "targets"
    if isinstance(value, RateTrigger) or (isinstance(value, dict) and "rate_per_sat_per_h" in value):
        return "rate"
    if isinstance(value, PlanTrigger) or (isinstance(value, dict) and "plan" in value):
        return "plan"
    if isinstance(value, AreaTrigger) or (isinstance(value, dict) and "areas" in value):
        return "areas"
    return None


Trigger = Annotated[
    Annotated[TargetTrigger, Tag("targets")]
    | Annotated[RateTrigger, Tag("rate")]
    | Annotated[PlanTrigger, Tag("plan")]
    | Annotated[AreaTrigger, Tag("areas")],
    Discriminator(
        _trigger_kind,
        custom_error_type="trigger",
        custom_error_message="a trigger needs 'targets', 'areas', 'rate_per_sat_per_h' or 'plan' (a CSV)",
    ),
]


class WorkloadClass(_Model):
    name: str
    trigger: Trigger
    daylight_only: bool = Field(True, description="optical: capture only with the Sun above the horizon")
    min_sun_elevation_deg: Annotated[float, NoBool] | None = Field(
        None,
        ge=-18,
        le=89,
        description="optical: the Sun must stand at least this high over the imaged point [deg] (0 when left out)",
    )
    satellites: list[str] = Field(default_factory=list, description="patterns of satellites that capture; all if empty")
    raw_mb: Positive = Field(defaults.WORKLOAD["raw_mb"], description="raw capture size [MB]")
    product_mb: Positive = Field(defaults.WORKLOAD["product_mb"], description="processed product size [MB]")
    compute_top: Positive = Field(defaults.WORKLOAD["compute_top"], description="processing demand [tera-ops]")
    deadline_min: Positive = Field(defaults.WORKLOAD["deadline_min"], description="capture to product [min]")
    value: NonNegative = Field(defaults.WORKLOAD["value"], description="value of a product in time")
    onboard_allowed: bool = Field(defaults.WORKLOAD["onboard_allowed"], description="may be processed onboard")
    cloudy_fraction: Fraction = Field(
        defaults.WORKLOAD["cloudy_fraction"],
        description="probability a capture is cloudy (drawn per capture with the seed)",
    )
    cloudy_value: Fraction = Field(
        defaults.WORKLOAD["cloudy_value"], description="share of its value a cloudy capture keeps"
    )

    @model_validator(mode="after")
    def _product_smaller(self):
        if self.min_sun_elevation_deg is not None and not self.daylight_only:
            raise ValueError(
                "min_sun_elevation_deg is given but daylight_only is false: drop one (a Sun condition applies "
                "only to classes captured in daylight)"
            )
        if self.product_mb > self.raw_mb:
            raise ValueError(f"product_mb ({self.product_mb}) is larger than raw_mb ({self.raw_mb})")
        return self


class GroundNetwork(_Model):
    """Which station serves a satellite when several are in view (see docs/ground-network.md)."""

    handover: Literal["stay", "hold", "best-window", "network"] = Field(
        "stay",
        description="stay: keep the station until it sets or nothing is left to send (of several open, the cheapest, "
        "then the one that closes last); hold: as stay, but the station tracks the satellite to the end of its pass "
        "even while nothing is left to send (a pass flown whole); best-window: at each window start, take the open "
        "window that carries the most from now (a switch pays acquisition_s); network: at every window start and end "
        "in the network, assign satellites to antennas to carry the most bytes until the next one, all at once",
    )
    acquisition_s: NonNegative = Field(
        0.0, description="a station's lock on a satellite before data flows, paid at each new pass or switch [s]"
    )


class Objective(_Model):
    """What a schedule is worth: delivered value minus weighted costs (used by policies, the MILP and metrics)."""

    cost_weight_per_cny: NonNegative = Field(0.0, description="value given up per yuan of ground electricity")
    carbon_weight_per_kg: NonNegative = Field(0.0, description="value given up per kg of CO2 on the ground")
    onboard_energy_weight_per_wh: NonNegative = Field(0.0, description="value given up per Wh of onboard energy")


class PolicySpec(_Model):
    name: str = Field(
        "ground-only",
        description="a registered policy, an installed one, or 'module:Class' (a file "
        "beside the scenario; runs only with --allow-code)",
    )
    params: dict[str, Any] = Field(default_factory=dict, description="policy parameters")
    time_limit_s: Annotated[float, NoBool, Field(gt=0, le=3600)] = Field(
        10.0, description="longest a user policy may take over one call [s]; past it the run ends with an error"
    )


class Scenario(_Model):
    """A whole scenario. Load one with :func:`load_scenario`."""

    name: str = Field(description="short name, used for run folders")
    description: str = ""
    start_utc: str = Field(description="ISO 8601 with a zone, e.g. 2025-10-03T12:00:00Z")
    duration_h: Annotated[float, NoBool] = Field(gt=0, le=24 * 31, description="length [h]")
    seed: Count = Field(0, ge=0, le=2**63 - 1, description="seed of every random draw")
    constellation: ConstellationSpec
    space_segment: SpaceSegment | None = Field(None, description="computing satellites and laser links")
    satellites: Satellites = Field(default_factory=Satellites)
    stations: list[StationSpec] = Field(min_length=1)
    datacenters: list[DataCenterSpec] = Field(min_length=1)
    backhaul: Backhaul = Field(default_factory=lambda: Backhaul(default=LinkDefaults()))
    ground_network: GroundNetwork = Field(
        default_factory=GroundNetwork, description="handover between stations in view, and its acquisition time"
    )
    workloads: list[WorkloadClass] = Field(min_length=1)
    policy: PolicySpec = Field(default_factory=PolicySpec)
    objective: Objective = Field(default_factory=Objective)

    @field_validator("start_utc", mode="before")
    @classmethod
    def _zone(cls, v):
        return _utc_text(v)

    @model_validator(mode="after")
    def _cross_references(self):
        problems = []
        for kind, items in (("station", self.stations), ("datacenter", self.datacenters), ("workload", self.workloads)):
            seen = set()
            for item in items:
                key = item.id if kind != "workload" else item.name
                if key in seen:
                    problems.append(f"{kind} {key!r} is defined twice")
                seen.add(key)
        station_ids = [s.id for s in self.stations]
        dc_ids = [d.id for d in self.datacenters]
        for i, link in enumerate(self.backhaul.links):
            for what, value, known in (("station", link.station, station_ids), ("datacenter", link.datacenter, dc_ids)):
                if value not in known:
                    close = difflib.get_close_matches(value, known, n=1)
                    hint = f"; did you mean {close[0]!r}?" if close else f" (known: {', '.join(known)})"
                    problems.append(f"backhaul.links.{i}.{what}: {value!r} is not a {what} of this scenario{hint}")
        if self.backhaul.default is None:
            linked = {link.station for link in self.backhaul.links}
            for s in station_ids:
                if s not in linked:
                    problems.append(
                        f"station {s!r} has no backhaul link to any data centre; add one or set backhaul.default"
                    )
        if problems:
            raise ValueError("; ".join(problems))
        return self

    # --- derived values ------------------------------------------------------------------
    @property
    def start(self) -> pd.Timestamp:
        return pd.Timestamp(self.start_utc).tz_convert("UTC")


# --- loading -----------------------------------------------------------------------------
def _compose_with_lines(text, source):
    """Parse YAML into plain data plus a map from key paths to line numbers."""
    import yaml

    line = nul_line(text)  # (a text given as a string has not been through read_text_file)
    if line is not None:
        raise ScenarioError(source, [f"{source}, line {line}: a NUL character; this is not a text file"])
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "somewhere"
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(source, [f"{source}, {where}: not valid YAML: {problem}"]) from None
    finally:
        loader.dispose()
    if node is None:
        raise ScenarioError(source, [f"{source}: the file is empty"])
    lines = {}
    problems = []
    count = [0]
    ancestors = set()

    def build(n, path):
        lines[path] = n.start_mark.line + 1
        count[0] += 1
        if count[0] > MAX_YAML_NODES:
            raise ScenarioError(
                source,
                [
                    f"{source}: aliases expand to more than {MAX_YAML_NODES:,} values (an alias "
                    "bomb?); write the values out, or use fewer anchors"
                ],
            )
        if not n.tag.startswith(_STANDARD_TAG) or n.tag[len(_STANDARD_TAG) :] not in _PLAIN_TAGS:
            shown = "!!" + n.tag[len(_STANDARD_TAG) :] if n.tag.startswith(_STANDARD_TAG) else n.tag
            raise ScenarioError(
                source,
                [
                    f"{source}, line {n.start_mark.line + 1}: not valid YAML: tag {shown} is not "
                    "allowed (a scenario holds plain values: no tags, no code)"
                ],
            )
        if isinstance(n, yaml.CollectionNode):
            if id(n) in ancestors:
                raise ScenarioError(
                    source,
                    [
                        f"{source}, line {n.start_mark.line + 1}: an alias refers to its own anchor "
                        "(a structure that contains itself); remove the alias"
                    ],
                )
            ancestors.add(id(n))
            try:
                return _build_collection(n, path, build, problems, lines, source)
            finally:
                ancestors.discard(id(n))
        return _scalar(n)

    data = build(node, ())
    if problems:
        raise ScenarioError(source, problems)
    return data, lines


def _build_collection(n, path, build, problems, lines, source):
    import yaml

    if isinstance(n, yaml.MappingNode):
        out = {}
        for key_node, value_node in n.value:
            key = build(key_node, path + ("<key>",))
            if isinstance(key, list | dict):
                raise ScenarioError(
                    source,
                    [
                        f"{source}, line {key_node.start_mark.line + 1}: not valid YAML here: a key "
                        "is a list or mapping; keys are names"
                    ],
                )
            if key in out:
                problems.append(
                    f"{source}, line {key_node.start_mark.line + 1}: {_dotted(path + (key,))}: key given twice"
                )
            out[key] = build(value_node, path + (key,))
            lines[path + (key,)] = key_node.start_mark.line + 1
        return out
    return [build(item, path + (i,)) for i, item in enumerate(n.value)]


MAX_YAML_NODES = 200_000  # values a scenario may hold once aliases are expanded (real ones hold a few thousand)
_STANDARD_TAG = "tag:yaml.org,2002:"
_PLAIN_TAGS = {"str", "int", "float", "bool", "null", "map", "seq", "timestamp"}


def _scalar(node):
    import yaml

    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


def _dotted(path):
    return ".".join(str(p) for p in path if p != "<key>") or "(top level)"


def _line_of(lines, loc):
    path = tuple(loc)
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return lines.get((), 1)


def _fields_at(model, loc):
    """Field names allowed at a location, for "did you mean" on unknown keys."""
    current = model
    for part in loc:
        if isinstance(part, int):
            continue
        fields = getattr(current, "model_fields", None)
        if not fields or part not in fields:
            return sorted(getattr(current, "model_fields", {}) or [])
        annotation = fields[part].annotation
        current = _model_in(annotation)
        if current is None:
            return []
    return sorted(getattr(current, "model_fields", {}) or [])


def _model_in(annotation):
    import typing

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _problems_from(exc: ValidationError, lines, source):
    problems = []
    for err in exc.errors():
        loc = _field_path(err["loc"])
        line = _line_of(lines, loc)
        path = _dotted(loc)
        if err["type"] == "extra_forbidden":
            allowed = _fields_at(Scenario, loc[:-1])
            close = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else f"; allowed here: {', '.join(allowed)}"
            problems.append(f"{source}, line {line}: {path}: unknown key{hint}")
        elif err["type"] in ("trigger", "series") and isinstance(err.get("input"), dict):
            keys = [str(k) for k in err["input"]]
            wanted = (
                ["targets", "areas", "rate_per_sat_per_h", "plan"] if err["type"] == "trigger" else ["hourly", "csv"]
            )
            close = [m for k in keys for m in difflib.get_close_matches(k, wanted, n=1, cutoff=0.6)]
            hint = f"; did you mean {close[0]!r}?" if close else ""
            problems.append(f"{source}, line {line}: {path}: {err['msg']} (given keys {', '.join(keys)}){hint}")
        elif err["type"] == "missing":
            problems.append(f"{source}, line {line}: {path}: required key is missing")
        else:
            msg = err["msg"].removeprefix("Value error, ")
            given = err.get("input")
            shown = f" (given {given!r})" if not isinstance(given, dict | list) else ""
            problems.append(f"{source}, line {line}: {path}: {msg}{shown}")
    # A union (e.g. a trigger) reports each branch; keep distinct messages only.
    return list(dict.fromkeys(problems))


def _field_path(loc):
    """A pydantic error location without the tags of unions: a tag precedes the fields of its branch, and
    some tags are also field names (``hourly: {hourly: [...]}``), so only the first of such a pair is dropped."""
    out, i = [], 0
    while i < len(loc):
        p = loc[i]
        if isinstance(p, str) and p.startswith("function-"):
            i += 1
            continue
        if isinstance(p, str) and p in _UNION_TAGS:
            if i + 1 < len(loc) and loc[i + 1] == p:
                out.append(p)
                i += 2
                continue
            i += 1
            continue
        out.append(p)
        i += 1
    return out


_UNION_TAGS = {"targets", "rate", "plan", "areas", "constant", "hourly", "csv", "str", "int"}


def read_yaml(text: str, source: str):
    """Plain data of a YAML text (for sweep files and scenario variants); errors name the source."""
    try:
        return _compose_with_lines(text, source)[0]
    except ScenarioError as exc:
        raise InputError("\n".join(exc.problems)) from None


def write_yaml(data) -> str:
    """YAML text of plain data, keys in their order (the text a scenario variant is parsed from)."""
    import yaml

    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def parse_scenario(text: str, source: str = "<string>", base_dir: str = ".") -> LoadedScenario:
    """Validate scenario YAML text; relative paths resolve from ``base_dir``."""
    data, lines = _compose_with_lines(text, source)
    if not isinstance(data, dict):
        raise ScenarioError(source, [f"{source}, line 1: a scenario is a mapping of keys (name, start_utc, ...)"])
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(source, _problems_from(exc, lines, source)) from None
    return LoadedScenario(scenario, source, os.path.abspath(base_dir), text, lines)


def load_scenario(path) -> LoadedScenario:
    """Read and validate a scenario file."""
    path = os.fspath(path)
    text = read_text_file(path, "scenario")
    return parse_scenario(text, source=path, base_dir=os.path.dirname(os.path.abspath(path)))


class LoadedScenario:
    """A validated :class:`Scenario` with where it came from (to resolve paths, hash it)."""

    def __init__(self, scenario, source, base_dir, text, lines, allow_code=False):
        self.model = scenario
        self.source = source
        self.base_dir = base_dir
        self.text = text
        self.lines = lines
        self.allow_code = allow_code  # the caller consents to running the user policy the scenario names

    def path(self, relative):
        """A path of the scenario, resolved from the scenario file's folder."""
        return relative if os.path.isabs(relative) else os.path.normpath(os.path.join(self.base_dir, relative))

    def line(self, *key_path):
        return _line_of(self.lines, key_path)

    def error(self, key_path, message):
        """A :class:`ScenarioError` for one key path, naming file and line."""
        return ScenarioError(
            self.source, [f"{self.source}, line {self.line(*key_path)}: {_dotted(key_path)}: {message}"]
        )

    def with_overrides(self, seed=None, policy=None, allow_code=None):
        """The scenario with another seed or policy; a policy the caller names is the caller's consent to run it."""
        data = self.model.model_dump()
        consent = self.allow_code if allow_code is None else bool(allow_code)
        if seed is not None:
            data["seed"] = int(seed)
        if policy is not None:
            data["policy"] = {
                **data["policy"],
                "name": policy,
                "params": data["policy"]["params"] if data["policy"]["name"] == policy else {},
            }
            consent = True
        return LoadedScenario(Scenario.model_validate(data), self.source, self.base_dir, self.text, self.lines, consent)

    def canonical_json(self) -> str:
        return json.dumps(self.model.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))

    @property
    def sha256(self) -> str:
        """Hash of everything that determines a run of this scenario but the seed: the validated scenario
        (defaults filled in, seed included), the content of every file it refers to (TLEs, CSV series,
        the source of a user policy module) and the spaceground version."""
        from . import __version__

        h = hashlib.sha256(f"spaceground {__version__}\n".encode())
        h.update(self.canonical_json().encode())
        for rel in sorted(self.referenced_files()):
            h.update(f"\n{rel}\n".encode())
            try:
                with open(self.path(rel), "rb") as f:
                    h.update(hashlib.sha256(f.read()).digest())
            except OSError as exc:
                raise InputError(
                    f"{self.source}: cannot read {self.path(rel)}, which the scenario refers to ({exc.strerror})"
                ) from None
        return h.hexdigest()

    def referenced_files(self):
        """Every file the scenario refers to (paths as written, relative to the scenario's folder)."""
        groups = [self.model.constellation]
        space = self.model.space_segment
        if space is not None:
            groups += [group for group in (space.computing, space.relays) if group is not None]
        files = {group.tle for group in groups if group.tle is not None}
        files |= {c.tle for group in groups for c in group.clone}
        for dc in self.model.datacenters:
            for series in (dc.price_cny_per_kwh, dc.carbon_g_per_kwh, dc.available_power_kw):
                if isinstance(series, CsvSeries):
                    files.add(series.csv)
        for st in self.model.stations:
            if st.optical is not None:
                files |= {c.csv for c in (st.optical.cloud_cover, st.optical.forecast_cloud_cover) if c is not None}
        files |= {w.trigger.plan for w in self.model.workloads if isinstance(w.trigger, PlanTrigger)}
        source = policy_source_file(self.model.policy.name, self.base_dir)
        if source is not None:
            files.add(source)
        return files


def policy_source_file(name, base_dir):
    """The file of a ``module:callable`` policy beside the scenario (``module.py`` or ``module/__init__.py``
    in ``base_dir``), found without importing anything; None for a registered name or an entry point."""
    if ":" not in str(name):
        return None
    module = str(name).partition(":")[0]
    parts = module.split(".")
    if not all(p.isidentifier() for p in parts):
        return None
    for candidate in (os.path.join(*parts) + ".py", os.path.join(*parts, "__init__.py")):
        if os.path.isfile(os.path.join(base_dir, candidate)):
            return candidate
    return None


def yaml_scalar(text):
    """A value written on a command line, read as YAML reads a scalar (``0.2``, ``false``, ``6``, ``[1, 2]``);
    a ValueError when it is not one."""
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(str(exc)) from None


MAX_SEEDS = 10_000


def parse_seeds(text, max_count=MAX_SEEDS):
    """'1-5' -> [1..5]; '1,3,7' -> [1, 3, 7]; None -> None. More than ``max_count`` seeds are refused
    before any list is made."""
    if text is None:
        return None
    parts = seed_ranges(text)
    count = sum(b - a + 1 for a, b in parts)
    if count > max_count:
        raise InputError(f"--seeds: {count:,} seeds; at most {max_count:,} at once (did you mean a shorter range?)")
    return [s for a, b in parts for s in range(a, b + 1)]


def seed_ranges(text):
    """The (first, last) ranges of a seed list like '1-5,9' (checked, not expanded)."""
    parts = []
    for part in text.split(","):
        part = part.strip()
        try:
            if "-" in part[1:]:
                a, b = (int(x) for x in part.split("-", 1))
                if b < a:
                    raise ValueError
                parts.append((a, b))
            else:
                parts.append((int(part), int(part)))
        except ValueError:
            raise InputError(f"--seeds: {text!r} is not a seed list; write e.g. 1-5 or 1,3,7") from None
    if any(a < 0 for a, _ in parts):
        raise InputError(f"--seeds: {text!r}: seeds are integers >= 0")
    return parts


def json_schema() -> dict:
    """JSON Schema of the scenario format, for editors."""
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "spaceground scenario"
    return schema


__all__ = ["Scenario", "ScenarioError", "LoadedScenario", "load_scenario", "parse_scenario", "json_schema"]
