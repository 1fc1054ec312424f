"""Summarise the study's FreeFlyer contact reports into reference.csv and first_day.csv (on demand; the tests read
the two CSV files and never run this).

    git clone https://github.com/AlejandroLopezTelgie/2024PhD /tmp/thesis    # commit f2e8a33 was used
    python studies/lopez-telgie-2024/reference.py /tmp/thesis

The reports are "Contact_Times_<station>_2_SSO_6978_97.87_30_days_R_GSD-50.00.txt" in
"5.6 - Step-VI/INPUTS/Scenario6-2sats-SSO-6978km-97.87deg-30d-50mGSD": one pass a row, with the satellite
(Walker_1 or Walker_2), entry and exit epochs (UTC) and the duration in minutes.
"""

from __future__ import annotations

import csv
import os
import sys
from datetime import datetime

HERE = os.path.dirname(os.path.abspath(__file__))
FOLDER = os.path.join("5.6 - Step-VI", "INPUTS", "Scenario6-2sats-SSO-6978km-97.87deg-30d-50mGSD")
STATIONS = ("Svalbard", "PuntaArenas", "Cuiaba")


def read_report(path):
    """[(satellite number, entry, exit, minutes)] of one FreeFlyer contact report."""
    rows = []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) != 12 or parts[1] != "-->":
                continue
            entry = datetime.strptime(" ".join(parts[3:7])[:-3], "%b %d %Y %H:%M:%S.%f")
            leave = datetime.strptime(" ".join(parts[7:11])[:-3], "%b %d %Y %H:%M:%S.%f")
            rows.append((int(parts[2].split("_")[1]), entry, leave, float(parts[11])))
    return rows


def main():
    if len(sys.argv) != 2:
        raise SystemExit("usage: python studies/lopez-telgie-2024/reference.py PATH_TO_A_CHECKOUT_OF_2024PhD")
    summary, first_day = [], []
    for station in STATIONS:
        name = f"Contact_Times_{station}_2_SSO_6978_97.87_30_days_R_GSD-50.00.txt"
        rows = read_report(os.path.join(sys.argv[1], FOLDER, name))
        minutes = [r[3] for r in rows]
        long = [m for m in minutes if m >= 5.0]
        summary.append(
            (station, len(rows), f"{sum(minutes):.3f}", len(long), f"{sum(long):.3f}", f"{max(minutes):.3f}")
        )
        first_day += [
            (station, sat, a.isoformat(timespec="milliseconds"), b.isoformat(timespec="milliseconds"))
            for sat, a, b, _ in rows
            if a.day == 1
        ]
    source = (
        "# FreeFlyer 7.8.1 contact reports of Lopez-Telgie (2024), Step VI scenario 6 (github.com/AlejandroLopezTelgie/"
    )
    with open(os.path.join(HERE, "reference.csv"), "w", newline="") as f:
        f.write(source + "2024PhD, f2e8a33), summed by reference.py.\n")
        w = csv.writer(f, lineterminator="\n")
        w.writerow(("station", "passes", "minutes", "passes_5min", "minutes_5min", "longest_min"))
        w.writerows(summary)
    with open(os.path.join(HERE, "first_day.csv"), "w", newline="") as f:
        f.write(source + "2024PhD, f2e8a33): every pass that starts on 2024-01-01, UTC.\n")
        w = csv.writer(f, lineterminator="\n")
        w.writerow(("station", "sat", "aos_utc", "los_utc"))
        w.writerows(first_day)
    print(f"wrote reference.csv and first_day.csv ({len(first_day)} passes on the first day)")


if __name__ == "__main__":
    main()
