"""Default parameter values, each with its source.

Numbers marked *assumption* have no single published source; they are order-of-
magnitude choices stated so, and every scenario can override them. Row numbers
("ref #n") point at the team's cited table ``reference-numbers.md``; the source of
each row is repeated here so this file stands alone.
"""

# --- satellite hardware: a 6U-class Earth-observation smallsat with a Jetson-class computer
SATELLITE = {
    # Clyde Space 3U with deployable panels: 40 W peak, 20.8 W orbit average (ref #39).
    "solar_w": 40.0,
    # Typical 6U battery, 40-100 Wh; 80 Wh used in the team's experiments (ref #44, assumption).
    "battery_wh": 80.0,
    "initial_soc": 0.9,  # assumption: launched into the span nearly charged
    # Keep depth of discharge <= 15-40 % for cycle life (UMStarLab; MobiCom'24; ref #43).
    "min_soc": 0.6,
    # Housekeeping (ADCS, OBC, heaters): about a third of the 20.8 W orbit-average budget (assumption).
    "bus_w": 7.0,
    # One Sentinel-2-like granule takes 3.48 s of imaging (ESA S2 PDGS OCD, ref #4) at ~10 W (assumption).
    "capture_j": 35.0,
    # NVIDIA Jetson Orin NX: up to 100 TOPS at 10-25 W (NVIDIA datasheet, ref #27).
    "compute_tops": 100.0,
    "compute_busy_w": 25.0,
    "compute_idle_w": 0.0,  # assumption: the computer is powered off when it has no job
    # Onboard storage: assumption (Landsat 8 carries 3.14 Tbit = 392 GB, ref #6; smallsats less).
    "storage_gb": 256.0,
    # Planet Dove X-band HSD: 220 Mbps peak, 160 Mbps average (Devaraj et al., SSC17-VII-02, ref #47).
    "downlink_mbps": 160.0,
    # X-band transmitter DC power, 10-30 W class (assumption).
    "tx_w": 20.0,
    # Laser terminal while sending over an inter-satellite link: assumption, tens of watts for a LEO
    # optical terminal (no published figure for the Three-Body terminals; rate 100 Gbit/s, ref #54).
    "laser_w": 50.0,
    # The radio's link budget, for adaptive coding and modulation (DVB-S2 ACM, ETSI EN 302 307-1): none by
    # default, and the downlink then runs at the constant downlink_mbps. X-band EO downlinks use the EESS
    # allocation 8,025-8,400 MHz (ITU Radio Regulations, Article 5); 8.1 GHz is its lower middle.
    "eirp_dbw": None,
    "downlink_ghz": 8.1,
    "symbol_rate_mbaud": None,
    "acm_table": "dvb-s2",  # the MODCODs of ETSI EN 302 307-1 (DVB-S2X's finer steps on request)
    # Heat: a lumped thermal node of the whole satellite, off unless heat_capacity_j_per_k is given. The values
    # below describe a 6U smallsat: about 10 kg of mostly aluminium (specific heat 897 J/(kg K), CRC Handbook of
    # Chemistry and Physics) gives 9,000 J/K; 0.1 m2 of radiator at emissivity 0.85 (white paint, 0.85-0.90:
    # Gilmore, Spacecraft Thermal Control Handbook, 2nd ed. 2002, appendix A); it absorbs 30 W in full sun
    # (about 0.08 m2 facing the Sun at absorptance 0.3 of the 1,361 W/m2 solar constant (ref #40), with the
    # albedo) and 6 W of Earth infrared (237 W/m2, Gilmore table 2.3, at a view factor of 0.3 to 0.1 m2 at
    # emissivity 0.85). Electronics run from about -20 to +60 degC (a common unit qualification range: ECSS-E-
    # ST-31C's design margins around it); the computer stops at 60 degC and resumes at 50 degC (assumption).
    # No optical downlink terminal by default (TBIRD, a 6U, carried 200 Gbit/s: ref #52).
    "optical_gbps": None,
    "heat_capacity_j_per_k": None,
    "radiator_m2": 0.1,
    "emissivity": 0.85,
    "absorbed_sun_w": 30.0,
    "absorbed_earth_w": 6.0,
    "initial_c": 20.0,
    "throttle_c": 50.0,
    "limit_c": 60.0,
}

# --- laser inter-satellite terminals (a satellite's terminal: one session at a time)
LASER = {
    # Three-Body computing constellation: 100 Gbit/s laser inter-satellite links (SatNews 2026, ref #54).
    "rate_gbps": 100.0,
    # Pointing, acquisition and tracking before data flows: tens of seconds for LEO laser terminals
    # (assumption: 30 s; no published figure for the Three-Body terminals).
    "acquisition_s": 30.0,
    # Longest range a LEO-LEO terminal closes: assumption, 5,000 km (LEO laser terminals are built for a
    # few thousand km; a LEO-GEO relay terminal reaches 45,000 km).
    "max_range_km": 5000.0,
    # Terminals per satellite: one, as the EO satellites that use EDRS carry (Sentinel-1 and -2 each fly one
    # Tesat LCT) and each EDRS relay carries; a +Grid of inter-satellite links needs four (fore, aft, left,
    # right), which a computing constellation's scenario states.
    "terminals": 1,
}
# A relay's laser terminal: EDRS carries Sentinel-1 and -2 data at 1.8 Gbit/s over its laser links
# (ESA EDRS; constellations/SOURCES.md), and the LEO-GEO terminals reach 45,000 km (Tesat LCT for EDRS).
RELAY_LASER = {"rate_gbps": 1.8, "max_range_km": 45000.0}
# Lowest height of an inter-satellite line of sight [km]: Handley, "Delay is Not an Option", HotNets 2018
# (the value of spaceground.intersat.GRAZING_HEIGHT_M).
GRAZING_HEIGHT_KM = 80.0

# --- ground stations
STATION = {
    # Link budget at a station (used where a satellite's radio gives eirp_dbw): atmospheric and pointing losses
    # in clear sky at X-band, and the margin ACM keeps above each MODCOD's threshold (both assumptions, 1 dB).
    "losses_db": 1.0,
    "acm_margin_db": 1.0,
    # Receive dish for ITU-R scintillation (with availability_percent): 7.3 m, within the 4.5-7.6 m X-band dishes
    # of Planet's ground network (Devaraj et al., SSC17-VII-02, ref #47).
    "antenna_m": 7.3,
    "antennas": 1,
    # 10 deg mask: common practice and the gsopt simulation default (ref #55).
    "min_elevation_deg": 10.0,
}

# An optical ground station's terminal: TBIRD's 200 Gbit/s into a 1 m telescope (MIT LL / NASA, SPIE 13133,
# 2024; ref #52). A pass is blocked above half cloud cover (assumption: a laser link needs a clear line of sight;
# a half-covered sky is taken as blocked for the whole pass).
OPTICAL_STATION = {"rate_gbps": 200.0, "max_cloud_cover": 0.5}

# --- data centres (China figures; see the scenario files for per-site values)
DATACENTER = {
    # New large data centres in China must reach PUE <= 1.3 (NDRC et al. Dec 2021, ref #70).
    "pue": 1.3,
    # Industrial electricity in China ~0.088 USD/kWh in 2024 (China Briefing, ref #77) ~ 0.63 CNY.
    "price_cny_per_kwh": 0.63,
    # China national grid average 2022: 0.5366 kg CO2/kWh (MEE & NBS, Dec 2024, ref #80).
    "carbon_g_per_kwh": 536.6,
    # Data-centre accelerators: ~0.6 W per INT8 TOPS at full load (A100: 400 W for 624 TOPS; assumption).
    "power_w_per_tops": 0.65,
    "servers": 1,
}

# --- terrestrial backhaul
BACKHAUL = {
    # Copernicus ground network: 2 x 10 Gbps lines between DLR and the stations (ref #69).
    "bandwidth_gbps": 10.0,
    # China inter-cluster links must stay within 1.5x the theoretical latency (MIIT Oct 2023, ref #67).
    "route_factor": 1.5,
}
# Propagation in fibre: 4.9 us/km one way, n = 1.468 ("5-microsecond rule", ref #65).
FIBRE_DELAY_S_PER_KM = 4.9e-6

# --- workloads: a Sentinel-2-like optical scene
WORKLOAD = {
    # Sentinel-2 L1C tile 500-600 MB (ESA S2 MSI user guide, ref #1).
    "raw_mb": 600.0,
    # Onboard products cut payloads by 90-99.99 % (Tiansuan 90 %, ref #22; 99.7 % and up, ref #23): 1 %.
    "product_mb": 6.0,
    # A full-scene cloud mask takes 60.3 s on a Jetson at 14.4 W (Odin benchmark, ref #31); at an
    # effective 50 TOPS that is ~3,000 tera-operations (assumption for the unit conversion).
    "compute_top": 3000.0,
    # Near-real-time products within 3 h of sensing (ESA Sentinel-3 NRT; NASA LANCE 1-3 h, ref #83).
    "deadline_min": 180.0,
    "value": 1.0,
    "onboard_allowed": True,
    # Clouds are off unless asked for: the share of unusable (cloudy) imagery is 52 % in the Kodan
    # Sentinel set and "up to 55 %" by vendors (ref #21); Phi-Sat-1 discards scenes > 70 % cloudy (ref #20).
    "cloudy_fraction": 0.0,
    "cloudy_value": 0.0,
}
