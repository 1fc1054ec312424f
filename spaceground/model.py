"""The engine-ready model of a scenario: every reference resolved, every unit SI.

:func:`resolve` turns a validated scenario (:mod:`spaceground.scenario`) into plain
frozen dataclasses: the selected constellation with one hardware record per
satellite, stations with their antennas, data centres with price and carbon as
step series, and the station x data-centre backhaul matrix. Errors found here (a
TLE file that is missing, a station id not in the catalogue, a pattern that
matches no satellite) name the scenario file, line and key path.
"""

from __future__ import annotations

import dataclasses
import fnmatch
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .constants import ZERO_CELSIUS_K
from .datacenters import StepSeries
from .elements import along_track_deg_per_s, clone_tle, walker_tle
from .errors import InputError, SelectionError
from .intersat import RANGE_FLOOR_MARGIN_M, orbit_radii_m, range_floor_m
from .links import fibre_latency_s, great_circle_km
from .orbits import Constellation, load_tle, parse_tle
from .scenario import CsvSeries, Hardware, HourlyProfile
from .stations import Station, default_catalogue
from .timebase import Span

MB = 1e6
GB = 1e9
MAX_CAPTURES = 1_000_000  # rate-triggered captures one run may expect (the engine runs ~15,000 a second)


@dataclass(frozen=True)
class SatelliteHardware:
    """Hardware of one satellite in SI units."""

    solar_w: float
    battery_j: float
    initial_j: float
    reserve_j: float
    bus_w: float
    capture_j: float
    compute_tops: float
    compute_busy_w: float
    compute_idle_w: float
    storage_bytes: float
    downlink_bps: float
    tx_w: float
    laser_w: float
    profile: str
    eirp_dbw: float | None = None  # the radio's link budget (None: the constant downlink_bps)
    downlink_hz: float = 8.1e9
    symbol_rate_baud: float | None = None
    acm_table: str = "dvb-s2"
    optical_bps: float | None = None  # an optical downlink terminal (None: RF only)
    # The lumped thermal node (spaceground.thermal): None: no thermal model.
    heat_capacity_j_per_k: float | None = None
    radiator_m2: float = 0.1
    emissivity: float = 0.85
    absorbed_sun_w: float = 0.0
    absorbed_earth_w: float = 0.0
    initial_k: float = 293.15
    throttle_k: float = 323.15
    limit_k: float = 333.15

    @property
    def thermal(self) -> bool:
        """Whether the satellite's temperature is followed (and its computer throttles)."""
        return self.heat_capacity_j_per_k is not None

    @property
    def node(self) -> tuple:
        """(heat capacity [J/K], emissivity, radiator [m2]): the thermal node's constants, in the order the
        functions of :mod:`spaceground.thermal` take them."""
        return (self.heat_capacity_j_per_k, self.emissivity, self.radiator_m2)

    @classmethod
    def from_spec(cls, hw, profile=""):
        return cls(
            solar_w=hw.solar_w,
            battery_j=hw.battery_wh * 3600.0,
            initial_j=hw.battery_wh * 3600.0 * hw.initial_soc,
            reserve_j=hw.battery_wh * 3600.0 * hw.min_soc,
            bus_w=hw.bus_w,
            capture_j=hw.capture_j,
            compute_tops=hw.compute_tops,
            compute_busy_w=hw.compute_busy_w,
            compute_idle_w=hw.compute_idle_w,
            storage_bytes=hw.storage_gb * GB,
            downlink_bps=hw.downlink_mbps * 1e6,
            tx_w=hw.tx_w,
            laser_w=hw.laser_w,
            profile=profile,
            eirp_dbw=hw.eirp_dbw,
            downlink_hz=hw.downlink_ghz * 1e9,
            symbol_rate_baud=None if hw.symbol_rate_mbaud is None else hw.symbol_rate_mbaud * 1e6,
            acm_table=hw.acm_table,
            optical_bps=None if hw.optical_gbps is None else hw.optical_gbps * 1e9,
            heat_capacity_j_per_k=hw.heat_capacity_j_per_k,
            radiator_m2=hw.radiator_m2,
            emissivity=hw.emissivity,
            absorbed_sun_w=hw.absorbed_sun_w,
            absorbed_earth_w=hw.absorbed_earth_w,
            initial_k=hw.initial_c + ZERO_CELSIUS_K,
            throttle_k=hw.throttle_c + ZERO_CELSIUS_K,
            limit_k=hw.limit_c + ZERO_CELSIUS_K,
        )


@dataclass(frozen=True)
class GroundStation:
    station: Station
    antennas: int
    max_rate_bps: float  # inf when uncapped
    gt_db_per_k: float | None = None  # receive G/T (None: no link budget at this station)
    losses_db: float = 1.0
    acm_margin_db: float = 1.0
    optical: OpticalStation | None = None  # an optical downlink terminal
    exceedance_percent: float | None = None  # ITU-R attenuation exceeded this share of a year (None: none)
    antenna_m: float = 7.3
    outages_s: tuple = ()  # (start, end) seconds of the span in which the station hears nothing, sorted
    price_per_min_cny: float = 0.0  # ground station as a service: each minute of a pass booked
    price_per_pass_cny: float = 0.0  # and each pass booked
    booking_lead_s: float = 0.0  # a pass is booked this long ahead (when data waits then) or not usable at all


@dataclass(frozen=True)
class OpticalStation:
    """A station's optical terminal in SI units: a pass is clear at ``clear_p`` (a seeded draw) or when the
    ``cover`` series at its middle is at most ``max_cover`` (the policies see ``forecast`` instead)."""

    rate_bps: float
    clear_p: float | None
    cover: StepSeries | None
    forecast: StepSeries | None
    max_cover: float
    rf_fallback: bool


@dataclass(frozen=True)
class DataCenter:
    id: str
    name: str
    lat_deg: float
    lon_deg: float
    capacity_tops: float
    servers: int
    power_w_per_tops: float
    pue: float
    price_cny_per_kwh: StepSeries
    carbon_g_per_kwh: StepSeries
    available_power_w: StepSeries | None = None  # facility power the grid supplies; None: unlimited

    @property
    def server_tops(self):
        return self.capacity_tops / self.servers

    @property
    def server_facility_w(self):
        """Facility power of one busy server [W]: its TOPS x W/TOPS x PUE."""
        return self.server_tops * self.power_w_per_tops * self.pue

    def servers_at(self, t_s: float) -> int:
        """Servers that may run at ``t_s``: all of them, or as many as the available power feeds."""
        if self.available_power_w is None:
            return self.servers
        return min(self.servers, int(self.available_power_w.value_at(t_s) // self.server_facility_w + 1e-9))

    def capacity_top_between(self, t0_s: float, t1_s: float) -> float:
        """Tera-operations the usable servers can do over [t0, t1]."""
        if self.available_power_w is None:
            return self.capacity_tops * max(0.0, t1_s - t0_s)
        p = self.available_power_w
        cuts = [t0_s] + [float(t) for t in p.t_s if t0_s < t < t1_s] + [t1_s]
        return sum(self.servers_at(a) * self.server_tops * (b - a) for a, b in zip(cuts[:-1], cuts[1:]))


@dataclass(frozen=True)
class WorkloadSpec:
    """A workload class in SI units (bytes, seconds, tera-operations)."""

    name: str
    trigger: object
    daylight_only: bool
    satellites: tuple
    raw_bytes: float
    product_bytes: float
    compute_top: float
    deadline_s: float
    value: float
    onboard_allowed: bool
    cloudy_fraction: float = 0.0
    cloudy_value: float = 0.0
    min_sun_elevation_deg: float | None = None  # daylight classes: the Sun over the imaged point (0 when None)
    plan: object = None  # a tasking plan's checked rows (spaceground.tasking.PlannedCaptures)

    @property
    def rate_per_sat_per_h(self):
        """Mean captures per satellite and hour of a rate-triggered class; None for a target-triggered one."""
        return getattr(self.trigger, "rate_per_sat_per_h", None)


@dataclass(frozen=True)
class Model:
    """Everything the engine needs, resolved."""

    name: str
    seed: int
    span: Span
    constellation: Constellation
    hardware: tuple  # SatelliteHardware per satellite
    stations: tuple  # GroundStation
    datacenters: tuple  # DataCenter
    link_bps: np.ndarray  # (stations, datacenters); 0 where there is no link
    link_latency_s: np.ndarray  # (stations, datacenters); inf where there is no link
    workloads: tuple  # WorkloadSpec
    policy_name: str
    policy_params: dict
    objective: object  # spaceground.scenario.Objective (weights of cost, carbon and onboard energy)
    allow_stale: bool
    base_dir: str = "."  # the scenario's folder: where a user policy's file is
    allow_code: bool = False  # the caller consents to running the user policy the scenario names
    policy_time_limit_s: float = 10.0  # per call, for a user policy
    roles: tuple = ()  # per satellite: "imaging", "computing" or "relay" (empty: all imaging)
    lasers: tuple = ()  # per satellite: its spaceground.scenario.LaserTerminal (empty: no space segment)
    space_links: object = None  # spaceground.scenario.SpaceLinks, or None without a space segment
    relay_terminals: frozenset = frozenset()  # station indices that receive only the relays' feeder links
    generated_tle: str = ""  # the element sets generated from elements (Walker shells, clones), as 3-line TLE text
    handover: str = "stay"  # which station serves a satellite with several in view (spaceground.scenario.GroundNetwork)
    acquisition_s: float = 0.0  # a station's lock before data flows, at each new pass or switch

    def role_of(self, k) -> str:
        return self.roles[k] if self.roles else "imaging"

    def laser_terminals(self, k) -> int:
        """Satellite ``k``'s laser terminals (1 without a space segment: it has no laser windows anyway)."""
        return int(self.lasers[k].terminals) if self.lasers else 1

    def with_role(self, role) -> np.ndarray:
        """Indices of the satellites of ``role`` ("imaging", "computing" or "relay"), in order."""
        if not self.roles:
            return np.arange(len(self.constellation)) if role == "imaging" else np.zeros(0, dtype=int)
        return np.flatnonzero(np.asarray(self.roles) == role)


def _scaled(series, factor):
    return StepSeries(series.t_s, series.values * factor)


def _series(value, loaded, key_path, span):
    if isinstance(value, HourlyProfile):
        return StepSeries.hourly(value.hourly, span.start, span.duration_s)
    if isinstance(value, CsvSeries):
        try:
            return StepSeries.from_csv(
                loaded.path(value.csv),
                value.time_column,
                value.value_column,
                span.start,
                span.duration_s,
                value.repeat_h,
            )
        except InputError as exc:
            raise loaded.error(key_path, str(exc)) from None
    return StepSeries.constant(float(value))


def _matches(sat, patterns):
    for pattern in patterns:
        pattern = str(pattern)
        if pattern.isdigit() and sat.norad_id == int(pattern):
            return True
        if fnmatch.fnmatchcase(sat.name.upper(), pattern.upper()):
            return True
    return False


def _outages_s(outages, span):
    """A station's outages as sorted (start, end) seconds of the span, clipped to it; overlapping ones merged."""
    spans = sorted(
        (
            max(0.0, float(span.seconds_of([pd.Timestamp(o.start_utc)])[0])),
            min(span.duration_s, float(span.seconds_of([pd.Timestamp(o.end_utc)])[0])),
        )
        for o in outages
    )
    merged = []
    for a, b in spans:
        if b <= a:
            continue  # outside the span
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return tuple(merged)


def _with_plans(loaded, workloads, constellation, n_imaging, span):
    """Workload classes with their tasking plans read and checked (each file read once, its rows shared out by
    their ``class`` column among the classes that name it)."""
    from .orientation import EarthOrientation
    from .tasking import check_plan, read_plan

    by_file = {}
    for i, w in enumerate(workloads):
        if hasattr(w.trigger, "plan"):
            by_file.setdefault(w.trigger.plan, []).append(i)
    if not by_file:
        return workloads
    orientation = EarthOrientation(span)
    imaging = constellation[:n_imaging]
    out = list(workloads)
    for rel, users in by_file.items():
        path = loaded.path(rel)
        key = ("workloads", users[0], "trigger", "plan")
        try:
            rows = read_plan(path)
        except (InputError, FileNotFoundError) as exc:
            raise loaded.error(key, str(exc)) from None
        names = [workloads[i].name for i in users]
        if "class" in rows.columns:
            stray = ~rows["class"].isin(names)
            if stray.any():
                k = int(stray.to_numpy().argmax())
                raise loaded.error(
                    key,
                    f"{path}, line {rows['line'].iloc[k]}: class {rows['class'].iloc[k]!r} is not a workload class "
                    f"that names this plan ({', '.join(map(repr, names))})",
                )
        elif len(users) > 1:
            raise loaded.error(
                ("workloads", users[1], "trigger", "plan"),
                f"{path} is the plan of {', '.join(map(repr, names))}: give it a 'class' column saying which "
                "class takes each row",
            )
        for i in users:
            w = workloads[i]
            mine = rows[rows["class"] == w.name] if "class" in rows.columns else rows
            allowed = {k for k, s in enumerate(imaging) if not w.satellites or _matches(s, w.satellites)}
            try:
                plan = check_plan(
                    mine.reset_index(drop=True),
                    path,
                    imaging,
                    allowed,
                    span,
                    orientation,
                    w.trigger,
                    w.daylight_only,
                    w.min_sun_elevation_deg,
                )
            except InputError as exc:
                raise loaded.error(("workloads", i, "trigger", "plan"), str(exc)) from None
            out[i] = dataclasses.replace(w, plan=plan)
    return out


def resolve(loaded) -> Model:
    """Resolve a :class:`~spaceground.scenario.LoadedScenario` into a :class:`Model`."""
    sc = loaded.model
    span = Span.from_hours(sc.start, sc.duration_h)

    constellation, generated_tle = _constellation(loaded, sc.constellation, ("constellation",))
    n_imaging = len(constellation)
    space = sc.space_segment
    base = Hardware(**sc.satellites.default.expanded())
    roles, lasers, bases = ["imaging"] * n_imaging, [], [base] * n_imaging
    if space is not None:
        lasers = [space.imaging_laser] * n_imaging
        seen = {s.norad_id: "imaging" for s in constellation}
        for role, group in (("computing", space.computing), ("relay", space.relays)):
            if group is None:
                continue
            key = ("space_segment", "computing" if role == "computing" else "relays")
            sats, text = _constellation(loaded, group, key)
            generated_tle += text
            for sat in sats:
                if sat.norad_id in seen:
                    raise loaded.error(
                        (*key, "select"),
                        f"{sat.name} is selected both as {_a(seen[sat.norad_id])} and as {_a(role)} satellite; "
                        "a satellite has one role",
                    )
                seen[sat.norad_id] = role
            constellation = Constellation([*constellation, *sats])
            roles += [role] * len(sats)
            lasers += [group.laser] * len(sats)
            bases += [Hardware(**{**base.model_dump(), **group.hardware.expanded()})] * len(sats)

    used_profiles = set()
    hardware = []
    for k, sat in enumerate(constellation):
        spec, label = bases[k], "default" if roles[k] == "imaging" else roles[k]
        for i, profile in enumerate(sc.satellites.profiles):
            if _matches(sat, profile.match):
                spec = Hardware(**{**spec.model_dump(), **profile.expanded()})
                label = profile.name or profile.preset or f"profile {i}"
                used_profiles.add(i)
                break
        if spec.min_soc >= spec.initial_soc:
            raise loaded.error(
                ("satellites",), f"{sat.name}: initial_soc {spec.initial_soc} is not above min_soc {spec.min_soc}"
            )
        if spec.eirp_dbw is not None and spec.symbol_rate_mbaud is None:
            raise loaded.error(
                ("satellites",),
                f"{sat.name} ({label} hardware): eirp_dbw is given but symbol_rate_mbaud is not; give the radio's "
                "symbol rate [Mbaud] beside its EIRP (or leave eirp_dbw out for the constant downlink_mbps)",
            )
        if spec.heat_capacity_j_per_k is not None and not spec.initial_c < spec.limit_c:
            raise loaded.error(
                ("satellites",),
                f"{sat.name} ({label} hardware): initial_c {spec.initial_c} is not below limit_c {spec.limit_c}; "
                "start the thermal node below the temperature at which its computer stops",
            )
        if spec.heat_capacity_j_per_k is not None and not spec.throttle_c < spec.limit_c:
            raise loaded.error(
                ("satellites",),
                f"{sat.name} ({label} hardware): throttle_c {spec.throttle_c} is not below limit_c {spec.limit_c}; "
                "the computer stops at limit_c and resumes once cooled to throttle_c",
            )
        hardware.append(SatelliteHardware.from_spec(spec, label))
    for i, profile in enumerate(sc.satellites.profiles):
        if i not in used_profiles:
            raise loaded.error(
                ("satellites", "profiles", i, "match"), f"{profile.match} matches no satellite of the constellation"
            )

    catalogue = {s.station_id.upper(): s for s in default_catalogue()}
    stations = []
    for i, st in enumerate(sc.stations):
        if st.lat_deg is None:
            if st.id.upper() not in catalogue:
                raise loaded.error(
                    ("stations", i, "id"),
                    f"{st.id!r} is not in the station catalogue; give lat_deg and "
                    f"lon_deg (catalogue ids: {', '.join(sorted(catalogue))})",
                )
            ref = catalogue[st.id.upper()]
            site = Station(st.id, ref.lat_deg, ref.lon_deg, ref.alt_m, st.min_elevation_deg, ref.name)
        else:
            site = Station(st.id, st.lat_deg, st.lon_deg, st.alt_m, st.min_elevation_deg, st.id)
        cap = st.max_downlink_mbps * 1e6 if st.max_downlink_mbps else np.inf
        optical = None
        if st.optical is not None:
            o = st.optical
            series = [
                None if c is None else _series(c, loaded, ("stations", i, "optical", key), span)
                for c, key in ((o.cloud_cover, "cloud_cover"), (o.forecast_cloud_cover, "forecast_cloud_cover"))
            ]
            optical = OpticalStation(
                o.rate_gbps * 1e9, o.clear_sky_probability, *series, o.max_cloud_cover, o.rf_fallback
            )
        exceedance = None if st.availability_percent is None else 100.0 - st.availability_percent
        stations.append(
            GroundStation(
                site,
                st.antennas,
                cap,
                st.gt_db_per_k,
                st.losses_db,
                st.acm_margin_db,
                optical,
                exceedance,
                st.antenna_m,
                _outages_s(st.outages, span),
                st.price_cny_per_min,
                st.price_cny_per_pass,
                st.booking_lead_h * 3600.0,
            )
        )

    relay_terminals = frozenset()
    if space is not None and space.relays is not None and space.links.to_relay:
        _check_reach(loaded, constellation, roles, space)
    if space is not None and space.relays is not None:
        index = {g.station.station_id.upper(): i for i, g in enumerate(stations)}
        for j, sid in enumerate(space.relays.ground_terminals):
            if sid.upper() not in index:
                raise loaded.error(
                    ("space_segment", "relays", "ground_terminals", j),
                    f"{sid!r} is not one of the scenario's stations "
                    f"({', '.join(g.station.station_id for g in stations)}); add it under stations",
                )
        relay_terminals = frozenset(index[sid.upper()] for sid in space.relays.ground_terminals)
        if len(relay_terminals) == len(stations):
            raise loaded.error(
                ("space_segment", "relays", "ground_terminals"),
                "every station is a relay ground terminal, so no other satellite could downlink; "
                "add a station for them",
            )

    datacenters = []
    for i, dc in enumerate(sc.datacenters):
        datacenters.append(
            DataCenter(
                dc.id,
                dc.name or dc.id,
                dc.lat_deg,
                dc.lon_deg,
                dc.capacity_tops,
                dc.servers,
                dc.power_w_per_tops,
                dc.pue,
                _series(dc.price_cny_per_kwh, loaded, ("datacenters", i, "price_cny_per_kwh"), span),
                _series(dc.carbon_g_per_kwh, loaded, ("datacenters", i, "carbon_g_per_kwh"), span),
                None
                if dc.available_power_kw is None
                else _scaled(
                    _series(dc.available_power_kw, loaded, ("datacenters", i, "available_power_kw"), span), 1e3
                ),
            )
        )

    n_s, n_d = len(stations), len(datacenters)
    bps = np.zeros((n_s, n_d))
    latency = np.full((n_s, n_d), np.inf)
    dist = np.array(
        [
            [great_circle_km(s.station.lat_deg, s.station.lon_deg, d.lat_deg, d.lon_deg) for d in datacenters]
            for s in stations
        ]
    )
    if sc.backhaul.default is not None:
        bps[:] = sc.backhaul.default.bandwidth_gbps * 1e9
        latency[:] = fibre_latency_s(dist, sc.backhaul.default.route_factor)
    s_index = {s.station.station_id: i for i, s in enumerate(stations)}
    d_index = {d.id: i for i, d in enumerate(datacenters)}
    route = sc.backhaul.default.route_factor if sc.backhaul.default is not None else 1.5
    for link in sc.backhaul.links:
        a, b = s_index[link.station], d_index[link.datacenter]
        default_bw = sc.backhaul.default.bandwidth_gbps if sc.backhaul.default is not None else 10.0
        bps[a, b] = (link.bandwidth_gbps or default_bw) * 1e9
        latency[a, b] = link.latency_ms / 1e3 if link.latency_ms is not None else fibre_latency_s(dist[a, b], route)

    workloads = []
    for w in sc.workloads:
        workloads.append(
            WorkloadSpec(
                w.name,
                w.trigger,
                w.daylight_only,
                tuple(w.satellites),
                w.raw_mb * MB,
                w.product_mb * MB,
                w.compute_top,
                w.deadline_min * 60.0,
                w.value,
                w.onboard_allowed,
                w.cloudy_fraction,
                w.cloudy_value,
                w.min_sun_elevation_deg,
            )
        )
    workloads = _with_plans(loaded, workloads, constellation, n_imaging, span)
    for i, w in enumerate(workloads):
        imaging = constellation[:n_imaging]  # computing satellites and relays never capture
        if w.satellites and not any(_matches(s, w.satellites) for s in imaging):
            which = (
                " among the imaging ones (computing satellites and relays never capture)" if space is not None else ""
            )
            raise loaded.error(("workloads", i, "satellites"), f"{list(w.satellites)} matches no satellite{which}")
        if w.rate_per_sat_per_h is not None:
            n_sats = sum(1 for s in imaging if not w.satellites or _matches(s, w.satellites))
            expected = n_sats * sc.duration_h * w.rate_per_sat_per_h
            if expected > MAX_CAPTURES:
                raise loaded.error(
                    ("workloads", i, "trigger", "rate_per_sat_per_h"),
                    f"about {expected:,.0f} captures expected ({n_sats} satellites x {sc.duration_h:g} h x "
                    f"{w.rate_per_sat_per_h:g} per hour); at most {MAX_CAPTURES:,} in one run: "
                    "lower the rate, shorten the span or select fewer satellites",
                )
    return Model(
        name=sc.name,
        seed=sc.seed,
        span=span,
        constellation=constellation,
        hardware=tuple(hardware),
        stations=tuple(stations),
        datacenters=tuple(datacenters),
        link_bps=bps,
        link_latency_s=latency,
        workloads=tuple(workloads),
        policy_name=sc.policy.name,
        policy_params=dict(sc.policy.params),
        objective=sc.objective,
        allow_stale=sc.constellation.allow_stale
        or (space is not None and any(g is not None and g.allow_stale for g in (space.computing, space.relays))),
        base_dir=loaded.base_dir,
        allow_code=loaded.allow_code,
        policy_time_limit_s=sc.policy.time_limit_s,
        roles=() if space is None else tuple(roles),
        lasers=tuple(lasers),
        space_links=None if space is None else space.links,
        relay_terminals=relay_terminals,
        generated_tle=generated_tle,
        handover=sc.ground_network.handover,
        acquisition_s=sc.ground_network.acquisition_s,
    )


def _check_reach(loaded, constellation, roles, space):
    """Refuse relay links none of whose terminals could ever close (by :func:`~spaceground.intersat.range_floor_m`
    with its margin for the element sets' periodic terms); a group that cannot reach the relays while another
    can simply has no relay windows."""
    relays = constellation.take([k for k, r in enumerate(roles) if r == "relay"])
    gaps = []
    for role, key, laser in (
        ("imaging", ("space_segment", "imaging_laser", "max_range_km"), space.imaging_laser),
        (
            "computing",
            ("space_segment", "computing", "laser", "max_range_km"),
            space.computing and space.computing.laser,
        ),
    ):
        senders = constellation.take([k for k, r in enumerate(roles) if r == role])
        if laser is None or not len(senders):
            continue
        reach_km = min(laser.max_range_km, space.relays.laser.max_range_km)
        (pa, aa), (pb, ab) = orbit_radii_m(senders), orbit_radii_m(relays)
        closest_km = float(range_floor_m(pa[:, None], aa[:, None], pb[None, :], ab[None, :]).min()) / 1e3
        if closest_km <= reach_km + RANGE_FLOOR_MARGIN_M / 1e3:
            return
        gaps.append((key, role, laser.max_range_km, closest_km))
    if gaps:
        key, role, reach_km, closest_km = gaps[0]
        raise loaded.error(
            key,
            f"the {role} satellites' terminals reach {reach_km:,.0f} km and the relays' "
            f"{space.relays.laser.max_range_km:,.0f} km, but the relays are never nearer than about "
            f"{closest_km:,.0f} km, and no other satellite's terminals reach them either: no link to a relay could "
            "ever close; raise max_range_km (a LEO-GEO terminal such as EDRS's reaches 45,000 km) or set "
            "links.to_relay: false",
        )


def _a(role):
    return "an imaging" if role == "imaging" else f"a {role}"


def _constellation(loaded, spec, key):
    """The satellites of a constellation entry: its TLE file's (narrowed by its selection), then those generated
    from elements (Walker shells, clones), in that order; and the generated ones' TLE text."""
    sats, generated = [], []
    if spec.tle is not None:
        tle_path = loaded.path(spec.tle)
        try:
            constellation = load_tle(tle_path)
            if spec.select:
                constellation = constellation.select([str(s) for s in spec.select])
        except FileNotFoundError:
            raise loaded.error((*key, "tle"), f"file not found: {tle_path}") from None
        except SelectionError as exc:
            raise loaded.error((*key, "select"), str(exc)) from None
        sats += list(constellation)
    for i, shell in enumerate(spec.walker):
        epoch = shell.epoch_utc or loaded.model.start_utc
        text = walker_tle(
            shell.planes,
            shell.per_plane,
            shell.phasing,
            shell.altitude_km,
            shell.inclination_deg,
            epoch,
            pattern=shell.pattern,
            name=shell.name,
            first_id=shell.first_id,
            raan_deg=shell.raan_deg,
        )
        generated.append((text, (*key, "walker", i)))
    for i, clone in enumerate(spec.clone):
        generated.append((_clone_text(loaded, clone, (*key, "clone", i)), (*key, "clone", i)))
    taken_by = dict.fromkeys((s.norad_id for s in sats), "the tle file")
    for text, where in generated:
        label = ".".join(map(str, where))
        for sat in parse_tle(text, f"{loaded.source}: {label}"):
            if sat.norad_id in taken_by:
                raise loaded.error(
                    (*where, "first_id"),
                    f"NORAD id {sat.norad_id} ({sat.name}) is already taken by {taken_by[sat.norad_id]}; "
                    "give the generated satellites another first_id",
                )
            taken_by[sat.norad_id] = label
            sats.append(sat)
    return Constellation(sats), "".join(text for text, _ in generated)


def _clone_text(loaded, clone, key):
    """The TLE text of a ``clone`` entry: its reference satellite found in its file, copied into planes and slots."""
    path = loaded.path(clone.tle)
    try:
        source = load_tle(path)
    except FileNotFoundError:
        raise loaded.error((*key, "tle"), f"file not found: {path}") from None
    want = str(clone.satellite).strip()
    found = [s for s in source if str(s.norad_id) == want or s.name.strip() == want]
    if len(found) != 1:
        names = ", ".join(f"{s.name.strip()} ({s.norad_id})" for s in list(source)[:8])
        raise loaded.error(
            (*key, "satellite"),
            f"{want!r} is {'not' if not found else 'more than once'} in {path} by NORAD id or exact name; "
            f"it holds {len(source)} satellites, e.g. {names}",
        )
    ref = found[0]
    slot = clone.slot_spacing_deg
    if clone.slot_spacing_s is not None:  # the time one copy follows the next, as mean anomaly
        slot = -clone.slot_spacing_s * along_track_deg_per_s(ref.satrec)
    return clone_tle(
        ref.name,
        ref.line1,
        ref.line2,
        planes=clone.planes,
        per_plane=clone.per_plane,
        plane_spacing_deg=clone.plane_spacing_deg,
        slot_spacing_deg=slot,
        phasing_deg=clone.phasing_deg,
        first_id=clone.first_id,
        clone_name=clone.name,
    )


def satellites_of(model, workload):
    """Indices of the satellites that capture ``workload``: the imaging ones its ``satellites`` match (all
    imaging satellites without it; computing satellites and relays never capture)."""
    imaging = model.with_role("imaging")
    if not workload.satellites:
        return imaging
    return np.array([i for i in imaging if _matches(model.constellation[i], workload.satellites)], dtype=int)
