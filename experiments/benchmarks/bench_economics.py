"""Benchmark: what the economics submodel adds to the default run (issue 22). Prints figures.

    python experiments/benchmarks/bench_economics.py BEFORE_TREE AFTER_TREE [--rounds 3]

Times the default-size run (200 employees, 20,000 customers, 500 steps) of every structure
in a fresh process per tree (``PYTHONPATH`` set to the tree), alternating the trees round by
round so load from other jobs falls on both alike; reports each tree's fastest round per
structure (CPU time of the process, which other jobs on a shared machine disturb less than
wall time) and the ratio after / before. BEFORE_TREE is a checkout of the commit before the
economics (a ``git worktree``); AFTER_TREE this one.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

STRUCTURES = ("hierarchy", "siloed_social", "network", "podular", "open")

TIMER = """
import json, time
from simulation import FirmModel
FirmModel(rng=0, steps=5, customers=2_000).run()
out = {}
for structure in STRUCTURES_HERE:
    model = FirmModel(structure=structure, rng=1, steps=500)
    start = time.process_time()
    model.run()
    out[structure] = time.process_time() - start
print(json.dumps(out))
""".replace("STRUCTURES_HERE", repr(STRUCTURES))


def time_tree(tree: str) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": tree}
    done = subprocess.run([sys.executable, "-c", TIMER], env=env, capture_output=True,
                          text=True, check=True, cwd=tree)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    best = {"before": {}, "after": {}}
    for _ in range(args.rounds):
        for label, tree in (("before", args.before), ("after", args.after)):
            for structure, seconds in time_tree(tree).items():
                best[label][structure] = min(best[label].get(structure, float("inf")), seconds)
    print(f"{'structure':15s} {'before s':>9s} {'after s':>9s} {'after/before':>13s}")
    for structure in STRUCTURES:
        before, after = best["before"][structure], best["after"][structure]
        print(f"{structure:15s} {before:9.2f} {after:9.2f} {after / before:13.3f}")
    total_before, total_after = sum(best["before"].values()), sum(best["after"].values())
    print(f"{'all five':15s} {total_before:9.2f} {total_after:9.2f} "
          f"{total_after / total_before:13.3f}")


if __name__ == "__main__":
    main()
