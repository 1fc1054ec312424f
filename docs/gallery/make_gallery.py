"""Regenerate the README gallery from the bundled scenarios (about 30 s):

    python docs/gallery/make_gallery.py

Writes small PNGs beside this file: a quickstart run under lookahead (schedules, battery,
where the work ran, map), a comparison on the East-Data-West-Computing scenario (policies
and time-to-product CDF) and the energy-constrained region's data-centre load.
"""

import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, ROOT)

from spaceground.api import compare, run_scenario  # noqa: E402
from spaceground.plotting import plot_run  # noqa: E402

DPI = 60


def main():
    with tempfile.TemporaryDirectory() as tmp:
        run = os.path.join(tmp, "quickstart")
        run_scenario(os.path.join(ROOT, "scenarios", "quickstart.yaml"), policy="lookahead", output=run)
        plot_run(
            run,
            ["station_timeline", "satellite_timeline", "battery_storage", "where_work_ran", "ground_map"],
            output=HERE,
            formats=("png",),
            dpi=DPI,
        )
        edwc = os.path.join(tmp, "edwc")
        compare(
            os.path.join(ROOT, "scenarios", "east-data-west-computing.yaml"),
            ["ground-only", "onboard-first", "value-greedy", "lookahead", "green-west"],
            seeds=[1, 2],
            output=edwc,
        )
        plot_run(edwc, output=HERE, formats=("png",), dpi=DPI)
        region = os.path.join(tmp, "region")
        run_scenario(
            os.path.join(ROOT, "scenarios", "energy-constrained-region.yaml"), policy="lookahead", output=region
        )
        plot_run(region, ["datacenter_load"], output=HERE, formats=("png",), dpi=DPI)
    for name in sorted(os.listdir(HERE)):
        if name.endswith(".png"):
            print(f"{name}: {os.path.getsize(os.path.join(HERE, name)) / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
