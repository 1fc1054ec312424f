#!/bin/bash
# Regenerate artifact.csv from the authors' artifact (on demand; nothing in the tests runs this).
#
#   git clone https://github.com/CMUAbstract/oec-asplos20-artifact /tmp/oec   # commit 8966e88 was used
#   bash studies/oec-asplos20/artifact.sh /tmp/oec            # about 40 min on 2 cores
#   CASES="ns-10" OUT=/tmp/check.csv bash studies/oec-asplos20/artifact.sh /tmp/oec   # one case, elsewhere
#
# For each case it builds the artifact's orbit-spaced simulator twice with the system C++17 compiler: as published,
# and with the link geometry corrected (the two lines below, which move each downlink's transmitter and receiver to
# where the satellite and the station are at that step). It prepares each case's inputs with the artifact's own
# populate_*.py scripts and the arguments of its prep_os_scenarios.sh, runs both builds, and collates:
#   figure_percent         the artifact's Figure 6 metric (collate_downlink_deficit.py: 1 - logged link MB / sensed)
#   deficit_percent        the data still on board at the end, from the artifact's own buffer logs, / sensed
#   fixed_deficit_percent  the same with the corrected build
set -euo pipefail
ART=$(cd "$1" && pwd)
OUT=${OUT:-$(cd "$(dirname "$0")" && pwd)/artifact.csv}
WORK=$(mktemp -d)
SRC=$ART/artifacts/sim-os/source/orbit-spaced.cpp
mkdir -p "$WORK/published" "$WORK/fixed"
cp "$SRC" "$WORK/published/orbit-spaced.cpp"
python3 - "$SRC" "$WORK/fixed/orbit-spaced.cpp" <<'EOF'
import sys
text = open(sys.argv[1]).read()
anchor = "        const uint32_t SAT_ID = gndId2CurrSat[GND_ID]->getCatalogNumber();\n"
assert text.count(anchor) == 1, "the artifact's orbit-spaced.cpp is not the one this script knows (8966e88)"
fix = ("        satId2Tx[SAT_ID]->setPosn(gndId2CurrSat[GND_ID]->getECIPosn());\n"
       "        gndId2Rx[GND_ID]->setPosn(groundStations.at(i).getECIPosn());\n")
open(sys.argv[2], "w").write(text.replace(anchor, anchor + fix))
EOF
for build in published fixed; do
  sed -e "s#orbit-spaced.cpp#$WORK/$build/orbit-spaced.cpp#; s#\.\./\.\./\.\./software#$ART/software#g" \
    "$ART/artifacts/sim-os/source/CMakeLists.txt" > "$WORK/$build/CMakeLists.txt"
  (cd "$WORK/$build" && cmake -DCMAKE_BUILD_TYPE=Release . > /dev/null && make -s)
done
SCRIPTS=$ART/artifacts/sim-os/scripts
COMMON=$ART/artifacts/sim-common
echo "# The authors' artifact (github.com/CMUAbstract/oec-asplos20-artifact, 8966e88), orbit-spaced, 60 satellites" > "$OUT"
echo "# of 'starlink a', 3 h; made by artifact.sh (README.md). Percentages of the data sensed." >> "$OUT"
echo "layout,stations,captures_per_satellite,sensed_mb,figure_percent,deficit_percent,fixed_deficit_percent" >> "$OUT"
for case in ${CASES:-eq-10 eq-20 eq-40 eq-60 ns-10}; do
  layout=${case%-*}; n=${case#*-}
  d=$WORK/data-$case
  mkdir -p "$d"/{dt,sat,sensor,gnd,tx-sat,tx-gnd,rx-sat,rx-gnd}
  cp "$COMMON/dt/date-time.dat" "$d/dt/"
  cp "$COMMON/sat/spacex.tle" "$COMMON/sat/os-spacex.dat" "$d/sat/"
  cp "$COMMON/sensor/sensor.dat" "$d/sensor/"
  if [ "$layout" = eq ]; then
    python3 "$SCRIPTS/populate_gnd_ring.py" 0.0 0.0 "$n" 0 "$d/gnd/"
  else
    python3 "$SCRIPTS/populate_gnd_ring.py" 87.0 0.0 $((n / 2)) 90000 "$d/gnd/"
    python3 "$SCRIPTS/populate_gnd_ring.py" -87.0 0.0 $((n / 2)) 91000 "$d/gnd/"
  fi
  python3 "$SCRIPTS/populate_rx.py" "$d/gnd/" dat 44.1 8.15e9 20.0e6 "$d/rx-gnd/"
  python3 "$SCRIPTS/populate_rx.py" "$d/sat/" tle 1.5 436.5e6 60.0e3 "$d/rx-sat/"
  python3 "$SCRIPTS/populate_tx.py" "$d/gnd/" dat 10.0 -1.0 15.5 436.5e6 60.0e3 "$d/tx-gnd/"
  python3 "$SCRIPTS/populate_tx.py" "$d/sat/" tle 2.0 -1.0 6.0 8.15e9 20.0e6 "$d/tx-sat/"
  for build in published fixed; do
    mkdir -p "$WORK/logs-$build-$case"
    "$WORK/$build/orbit_spaced" "$WORK/logs-$build-$case/" "$d/dt/" "$d/sat/" "$d/sensor/" "$d/gnd/" \
      "$d/tx-sat/" "$d/tx-gnd/" "$d/rx-sat/" "$d/rx-gnd/" > /dev/null &
  done
  wait
  python3 - "$WORK/logs-published-$case" "$WORK/logs-fixed-$case" "$layout" "$n" >> "$OUT" <<'EOF'
import glob, sys
MB_PER_TRIGGER = 182.3928075  # process_f6_logs.sh, orbit-spaced 'spacex': 60 satellites x 3.04 MB

def collate(logs):
    triggers = len(open(logs + "/evnt-trigger-time.csv").readlines()) - 1
    sensed = triggers * MB_PER_TRIGGER
    link_mb = sum(float(l.split(",")[1]) for l in open(logs + "/meas-downlink-MB.csv").readlines()[1:])
    left = sum(float(open(f).readlines()[-1].split(",")[1]) for f in glob.glob(logs + "/meas-MB-buffered-sat-*.csv"))
    return triggers, sensed, 100.0 * max(0.0, 1.0 - link_mb / sensed), 100.0 * left / sensed

published, fixed = collate(sys.argv[1]), collate(sys.argv[2])
print(f"{sys.argv[3]},{sys.argv[4]},{published[0]},{published[1]:.4f},{published[2]:.2f},{published[3]:.2f},"
      f"{fixed[3]:.2f}")
EOF
done
rm -rf "$WORK"
echo "wrote $OUT"
