"""Denby and Lucia, "Orbital Edge Computing: Nanosatellite Constellations as a New Class of Computer System",
ASPLOS 2020, Figure 6(a), reproduced with spaceground from the paper's stated inputs.

    python studies/oec-asplos20/reproduce.py                      # every case of artifact.csv (about 1 min)
    python studies/oec-asplos20/reproduce.py --cases eq-10 ns-10  # some of them
    python studies/oec-asplos20/reproduce.py --handover stay      # another station rule (default: hold)

Figure 6(a): the share of the imagery of 60 orbit-spaced nanosatellites (one 2019 Starlink element set, copied every
95.6 s around the orbit) that n ground stations cannot downlink in 3 h, with the stations on the equator, on two
polar rings, or at universities. The inputs below are the artifact's (Zenodo 3563114, github.com/CMUAbstract/
oec-asplos20-artifact at 8966e88), each with the file it comes from; README.md maps them and compares the results.
Nothing here runs the artifact: its outputs are recorded in artifact.csv (README.md says how they were made).
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, ROOT)

# --- The paper's inputs (artifacts/sim-common and the sim-os scripts of the artifact) ---
TLE_FILE = "starlink-a-2019-07-12.tle"  # sat/spacex.tle: "starlink a", NORAD 44235, epoch 2019-07-12 18:22:45 UTC
REFERENCE_ID = 44235
START_UTC = "2019-07-12T19:56:47.771808Z"  # dt/date-time.dat
DURATION_H = 3.0  # orbit-spaced.cpp: 1,080,000 steps of 1 cs, "approximately 2 revs"
SATELLITES = 60  # sat/os-spacex.dat: count 60, each 00:01:35.638781288 after the one before
SPACING_S = 95.638781288
BITS_PER_CAPTURE = 24_319_041  # sensor/sensor.dat: 4096 x 3072 px (bits per sense)
PIXELS_ALONG_TRACK = 4096  # sensor.dat: pixel count, pixel size and focal length give the frame's ground length
PIXEL_M = 1.1e-6
FOCAL_M = 0.2
TX_POWER_W = 2.0  # prep_os_scenarios.sh -> populate_tx.py for the satellites: 2 W, -1 dB line, 6 dBi
TX_LINE_LOSS_DB = -1.0
TX_GAIN_DBI = 6.0
RX_GAIN_DBI = 44.1  # populate_rx.py for the stations: 44.1 dBi
DOWNLINK_HZ = 8.15e9  # orbit-spaced.cpp: each downlink Channel at 8.15 GHz, 20 MHz
BANDWIDTH_HZ = 20.0e6
MIN_ELEVATION_DEG = 10.0  # orbit-spaced.cpp: a satellite is in view at 10 deg or more
POLAR_LAT_DEG = 87.0  # prep_os_scenarios.sh: the "ns" layout, n/2 stations on each of +-87 deg
# comsim utilities.cpp calcSystemNoiseTemp, after Wertz, SMAD (1999) Table 13-10, for an X-band downlink:
ANTENNA_NOISE_K = 25.0
REFERENCE_K = 290.0
RECEIVER_LINE_LOSS = 0.8912509381  # -0.5 dB
NOISE_FIGURE_DB = 1.0
WGS84_A_KM = 6378.137

ARTIFACT_CSV = os.path.join(HERE, "artifact.csv")


def system_noise_k():
    """The receive system's noise temperature [K]: antenna + line + receiver (comsim's SMAD rule)."""
    line_k = REFERENCE_K * (1.0 - RECEIVER_LINE_LOSS) / RECEIVER_LINE_LOSS
    receiver_k = REFERENCE_K * (10.0 ** (NOISE_FIGURE_DB / 10.0) - 1.0) / RECEIVER_LINE_LOSS
    return ANTENNA_NOISE_K + line_k + receiver_k


def gt_db_per_k():
    """The stations' G/T [dB/K]."""
    return RX_GAIN_DBI - 10.0 * math.log10(system_noise_k())


def eirp_dbw():
    """The satellites' EIRP [dBW]: power, line loss and antenna gain."""
    return 10.0 * math.log10(TX_POWER_W) + TX_LINE_LOSS_DB + TX_GAIN_DBI


def captures_per_satellite(step_s=0.5):
    """Captures each satellite makes in the run, by the artifact's rule: the lead satellite's ground track is cut
    into frames as long as the image (pixels x pixel size / focal length x altitude), and every satellite captures
    once each 60 frames. Counted as the integral of ground speed over frame length (skyfield, geodetic sub-points,
    great circles on the WGS 84 equatorial radius, as the artifact measures them), so without the artifact's
    overshoot of up to one 1-cs step per frame."""
    import numpy as np
    from skyfield.api import EarthSatellite, load, wgs84

    lines = open(os.path.join(HERE, TLE_FILE)).read().splitlines()
    ts = load.timescale(builtin=True)
    sat = EarthSatellite(lines[1], lines[2], lines[0].strip(), ts)
    t0 = ts.utc(2019, 7, 12, 19, 56, 47.771808)
    offsets = np.arange(0.0, DURATION_H * 3600.0 + step_s / 2, step_s)
    t = ts.tt_jd(t0.tt + offsets / 86400.0)
    sub = wgs84.geographic_position_of(sat.at(t))
    lat, lon = sub.latitude.radians, sub.longitude.radians
    cos_arc = np.sin(lat[:-1]) * np.sin(lat[1:]) + np.cos(lat[:-1]) * np.cos(lat[1:]) * np.cos(np.diff(lon))
    ground_km = np.arccos(np.clip(cos_arc, -1.0, 1.0)) * WGS84_A_KM
    altitude_km = 0.5 * (sub.elevation.km[:-1] + sub.elevation.km[1:])
    frame_km = PIXELS_ALONG_TRACK * PIXEL_M / FOCAL_M * altitude_km
    frames = float(np.sum(ground_km / frame_km))
    return int(frames // SATELLITES), frames


def stations(layout, count):
    """The station rows of a layout: ``eq`` (equally spaced on the equator from 0 deg) or ``ns`` (count / 2 on each
    of the +-87 deg rings); populate_gnd_ring.py's placement."""
    if layout == "eq":
        rings = [(0.0, count)]
    elif layout == "ns":
        rings = [(POLAR_LAT_DEG, count // 2), (-POLAR_LAT_DEG, count // 2)]
    else:
        raise SystemExit(f"layout {layout!r}: this study reproduces 'eq' and 'ns' (the university sites are not here)")
    rows = []
    for lat, n in rings:
        for i in range(n):
            lon = ((i * 360.0 / n) + 180.0) % 360.0 - 180.0
            rows.append((f"{'N' if lat > 0 else 'S' if lat < 0 else 'E'}{i:03d}", lat, lon))
    return rows


def scenario_text(layout, count, captures, handover="hold", duration_h=DURATION_H):
    """The spaceground scenario of one case. Energy and storage never bind (the artifact's orbit-spaced simulation
    models neither); every capture goes down raw (the bent pipe)."""
    rate_per_h = (captures + 0.5) / duration_h  # a regular grid of exactly ``captures`` instants inside the span
    lines = [
        f"name: oec-asplos20-os-spacex-{layout}-{count}",
        f"description: Denby and Lucia (ASPLOS 2020) Figure 6(a), {count} stations ({layout}), bent pipe",
        f"start_utc: {START_UTC}",
        f"duration_h: {duration_h}",
        "seed: 1",
        "constellation:",
        "  clone:",
        f"    tle: {TLE_FILE}",
        f"    satellite: {REFERENCE_ID}",
        f"    per_plane: {SATELLITES}",
        f"    slot_spacing_s: {SPACING_S}",
        "    first_id: 90000",
        "satellites:",
        "  default:",
        "    battery_wh: 100000",
        "    solar_w: 5000",
        "    storage_gb: 4000",
        f"    eirp_dbw: {eirp_dbw():.6f}",
        f"    downlink_ghz: {DOWNLINK_HZ / 1e9}",
        f"    symbol_rate_mbaud: {BANDWIDTH_HZ / 1e6}",
        "    acm_table: shannon",
        "stations:",
    ]
    for name, lat, lon in stations(layout, count):
        lines.append(
            f"  - {{id: {name}, lat_deg: {lat}, lon_deg: {lon:.9f}, min_elevation_deg: {MIN_ELEVATION_DEG}, "
            f"gt_db_per_k: {gt_db_per_k():.6f}, losses_db: 0, acm_margin_db: 0}}"
        )
    lines += [
        "datacenters:",
        "  - {id: ground, lat_deg: 40.44, lon_deg: -79.94, capacity_tops: 1000000, servers: 64}",
        "backhaul:",
        "  default: {bandwidth_gbps: 100}",
        "ground_network:",
        f"  handover: {handover}",
        "workloads:",
        "  - name: frame",
        f"    trigger: {{rate_per_sat_per_h: {rate_per_h:.9f}, spacing: regular}}",
        "    daylight_only: false",
        f"    raw_mb: {BITS_PER_CAPTURE / 8e6:.9f}",
        "    product_mb: 0.001",
        "    compute_top: 0.001",
        "    onboard_allowed: false",
        "    deadline_min: 100000",
        "policy: {name: ground-only}",
    ]
    return "\n".join(lines) + "\n"


def run_case(layout, count, captures, handover="hold", duration_h=DURATION_H):
    """One case through spaceground: the share not downlinked [%], with the bytes sensed and downlinked."""
    from spaceground.api import run_scenario
    from spaceground.scenario import parse_scenario

    text = scenario_text(layout, count, captures, handover, duration_h)
    loaded = parse_scenario(text, os.path.join(HERE, f"{layout}-{count}.yaml"), HERE)
    res = run_scenario(loaded)
    sensed = float(res.workloads.raw_bytes.sum())
    down = float(res.downlinks.bytes.sum())
    return {"deficit_percent": 100.0 * max(0.0, 1.0 - down / sensed), "sensed_mb": sensed / 1e6, "down_mb": down / 1e6}


def artifact_rows():
    """The artifact's outputs (artifact.csv): one row per case."""
    with open(ARTIFACT_CSV, newline="") as f:
        return [row for row in csv.DictReader(line for line in f if not line.startswith("#"))]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", nargs="*", help="layout-count, e.g. eq-10 ns-20 (default: every case of artifact.csv)")
    ap.add_argument("--handover", default="hold", choices=["stay", "hold", "best-window", "network"])
    opts = ap.parse_args()
    captures, frames = captures_per_satellite()
    print(
        f"inputs: EIRP {eirp_dbw():.3f} dBW, G/T {gt_db_per_k():.3f} dB/K (T_sys {system_noise_k():.1f} K), "
        f"{frames:.1f} ground-track frames in {DURATION_H:g} h -> {captures} captures per satellite of "
        f"{BITS_PER_CAPTURE / 8e6:.3f} MB"
    )
    rows = artifact_rows()
    if opts.cases:
        want = set(opts.cases)
        rows = [r for r in rows if f"{r['layout']}-{int(r['stations'])}" in want]
    head = ("case", "sensed MB", "Fig. 6 %", "artifact %", "fixed %", "spaceground %", "- fixed", "run s")
    print("{:8s} {:>10s} {:>8s} {:>10s} {:>7s} {:>12s} {:>7s} {:>6s}".format(*head))
    for r in rows:
        t0 = time.perf_counter()
        out = run_case(r["layout"], int(r["stations"]), captures, opts.handover)
        fixed = float(r["fixed_deficit_percent"])
        print(
            f"{r['layout']}-{int(r['stations']):<5d} {out['sensed_mb']:10.1f} {float(r['figure_percent']):8.1f} "
            f"{float(r['deficit_percent']):10.1f} {fixed:7.1f} {out['deficit_percent']:12.1f} "
            f"{out['deficit_percent'] - fixed:+7.1f} {time.perf_counter() - t0:6.1f}"
        )


if __name__ == "__main__":
    main()
