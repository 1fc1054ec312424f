"""Lopez-Telgie (2024), PhD work, Step VI "Link budget feasibility assessment: how much data can we download?",
scenario 6, reproduced with spaceground from the study's stated inputs.

    python studies/lopez-telgie-2024/reproduce.py

Two satellites in one sun-synchronous plane (a = 6978 km, i = 97.87 deg, half an orbit apart), 30 days from
2024-01-01, over three ground stations (Svalbard, Punta Arenas, Cuiaba). The study ran this in FreeFlyer 7.8.1 and
sized its downlink from each station's link time per day, counting passes of 5 min or more. This script computes the
same passes with spaceground and compares them with the study's FreeFlyer contact reports, summarised in
reference.csv (README.md says where each number comes from).
"""

from __future__ import annotations

import csv
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, ROOT)

# --- The study's inputs: WP_05_scenario6_2sats_6978_50mGSD.MissionPlan (github.com/AlejandroLopezTelgie/2024PhD at
# f2e8a33, folder "5.6 - Step-VI/INPUTS/Scenario6-2sats-SSO-6978km-97.87deg-30d-50mGSD") ---
START_UTC = "2024-01-01T00:00:00Z"  # "analysisStartEpochString"
DAYS = 30  # "analysisDuration"
SATELLITES = 2  # "F_SCamount"; the formation script sets TA = 360 i / F_SCamount, W = 0, E = 5.175e-8
SMA_KM = 6978.0  # "F_axis": osculating Keplerian semi-major axis, Mean of J2000 Earth Equator
INCLINATION_DEG = 97.87  # "F_inclination"
# The script never sets RAAN, so the formation's spacecraft keep FreeFlyer's default orbit's node. The plan holds
# that default state (its untouched "Spacecraft1"): r = (-3410.673, 5950.957, -1788.627) km,
# v = (1.893006, -1.071993, -7.176346) km/s in Mean of J2000 Earth Equator. raan_deg() takes the node from it.
DEFAULT_R_KM = (-3410.673, 5950.957, -1788.627)
DEFAULT_V_KM_S = (1.893006, -1.071993, -7.176346)
# Ground stations: the plan's PuntaArenas and Cuiaba (10 deg cone elevation); Svalbard is FreeFlyer's station-file
# entry SG6S ("UseSgf"), at 78.23 N, 15.38 E as the study's text gives it. Its mask is the station file's, not in
# the plan: its passes (894 in 30 days, the longest 12.9 min) are those of a 0 deg mask at this altitude (README).
STATIONS = (
    ("Svalbard", 78.23, 15.38, 0.0),
    ("PuntaArenas", -52.93333333333334, -70.85, 10.0),
    ("Cuiaba", -23.2, -45.87, 10.0),
)
MIN_PASS_MIN = 5.0  # the study's notebook: "links are only valid if they are five minutes long or more" (t_min)
DOWNLINK_MBIT_S = 4.3  # the notebook's D_ratedown (S-band, ISIS TXS2), used at 80 % (x 0.8)
J2 = 1.08262668e-3  # EGM96 / WGS 84 second zonal harmonic
EARTH_RADIUS_KM = 6378.137

REFERENCE_CSV = os.path.join(HERE, "reference.csv")


def raan_deg():
    """The ascending node of FreeFlyer's default spacecraft state [deg]: the direction of z x (r x v)."""
    rx, ry, rz = DEFAULT_R_KM
    vx, vy, vz = DEFAULT_V_KM_S
    hx, hy = ry * vz - rz * vy, rz * vx - rx * vz  # the angular momentum's x and y
    return math.degrees(math.atan2(hx, -hy)) % 360.0  # node vector (-hy, hx, 0)


def mean_altitude_km():
    """The mean altitude of the osculating SMA the plan gives at the node of a circular orbit. To first order in J2
    (Kozai), a circular orbit's osculating SMA is the mean one plus 3 J2 R^2 / (2 a) sin^2(i) cos(2u); at the node
    (u = 0 for the first satellite, 180 deg for the second, cos 2u = 1 for both) that is 9.29 km."""
    short_period_km = 1.5 * J2 * EARTH_RADIUS_KM**2 / SMA_KM * math.sin(math.radians(INCLINATION_DEG)) ** 2
    return SMA_KM - short_period_km - EARTH_RADIUS_KM


def passes(days=DAYS):
    """Every pass of both satellites over the three stations in ``days`` (spaceground.api.contact_windows on a
    generated Walker plane: 1 plane of 2, phasing 0), with a ``sat`` column 1 or 2 as the study numbers them."""
    import pandas as pd

    from spaceground.api import Station, contact_windows, parse_tle, walker_tle

    start = pd.Timestamp(START_UTC)
    text = walker_tle(1, SATELLITES, 0, mean_altitude_km(), INCLINATION_DEG, start, name="WALKER", raan_deg=raan_deg())
    stations = [Station(name, lat, lon, 0.0, mask) for name, lat, lon, mask in STATIONS]
    found = contact_windows(parse_tle(text, "walker"), start=start, hours=24 * days, stations=stations)
    return found.assign(sat=found.satellite.str[-1].astype(int) + 1)


def summary(found):
    """Per station: passes, minutes, passes and minutes of at least 5 min, the longest pass, and the data those
    passes carry per day at the study's 4.3 Mbit/s x 0.8 [MB]."""
    out = {}
    for name, *_ in STATIONS:
        minutes = found[found.station == name].duration_s.to_numpy() / 60.0
        long = minutes[minutes >= MIN_PASS_MIN]
        out[name] = {
            "passes": len(minutes),
            "minutes": float(minutes.sum()),
            "passes_5min": len(long),
            "minutes_5min": float(long.sum()),
            "longest_min": float(minutes.max()) if len(minutes) else 0.0,
            "mb_per_day": float(long.sum()) * 60.0 * DOWNLINK_MBIT_S * 0.8 / 8.0 / DAYS,
        }
    return out


def reference():
    """The study's FreeFlyer figures (reference.csv): {station: {column: value}}."""
    with open(REFERENCE_CSV, newline="") as f:
        rows = csv.DictReader(line for line in f if not line.startswith("#"))
        return {r["station"]: {k: float(v) for k, v in r.items() if k != "station"} for r in rows}


def main():
    print(
        f"inputs: RAAN {raan_deg():.3f} deg (FreeFlyer's default state), mean altitude {mean_altitude_km():.3f} km "
        f"(osculating a = {SMA_KM:g} km at the node), i = {INCLINATION_DEG} deg, {DAYS} days from {START_UTC}"
    )
    mine, theirs = summary(passes()), reference()
    head = ("station", "passes", "FreeFlyer", "min >= 5", "FreeFlyer", "difference", "longest", "FreeFlyer")
    print("{:12s} {:>7s} {:>9s} {:>9s} {:>9s} {:>10s} {:>8s} {:>9s}".format(*head))
    for name, m in mine.items():
        t = theirs[name]
        diff = 100.0 * (m["minutes_5min"] / t["minutes_5min"] - 1.0)
        print(
            f"{name:12s} {m['passes']:7d} {t['passes']:9.0f} {m['minutes_5min']:9.1f} {t['minutes_5min']:9.1f} "
            f"{diff:+9.2f}% {m['longest_min']:8.2f} {t['longest_min']:9.2f}"
        )


if __name__ == "__main__":
    main()
