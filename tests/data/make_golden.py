"""Write tests/data/golden_tables.json: the table hashes of every bundled scenario under every policy.

Run from the repository root after a change that is meant to alter the tables (say in the commit
which tables change and why)::

    python tests/data/make_golden.py            # write the file
    python tests/data/make_golden.py --check    # compare only; exit 1 and list the differences
"""

import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

from spaceground.policies import available  # noqa: E402
from spaceground.results import build_results  # noqa: E402
from spaceground.scenario import load_scenario  # noqa: E402
from spaceground.simulate import execute, prepare  # noqa: E402
from tests.golden import GOLDEN, SCENARIOS, differences, load_golden, run_hashes  # noqa: E402


def main(check=False):
    out = {}
    for name in SCENARIOS:
        model, inputs = prepare(load_scenario(os.path.join(ROOT, "scenarios", f"{name}.yaml")))
        out[name] = {}
        for policy in available():
            params = model.policy_params if policy == model.policy_name else {}
            records, info = execute(model, inputs, policy, params)
            out[name][policy] = run_hashes(build_results(model, inputs, records, info, scene=False))
            print(f"{name} x {policy}: done", file=sys.stderr)
    if check:
        golden = load_golden()
        diffs = [d for s in out for p in out[s] for d in differences(s, p, out[s][p], golden)]
        print("\n".join(diffs) or f"all {sum(len(v) for v in out.values())} scenario x policy tables hash equal")
        return 1 if diffs else 0
    tmp = GOLDEN + ".tmp"
    with open(tmp, "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(tmp, GOLDEN)
    print(f"wrote {GOLDEN}: {sum(len(v) for v in out.values())} scenario x policy runs")
    return 0


if __name__ == "__main__":
    sys.exit(main(check="--check" in sys.argv[1:]))
