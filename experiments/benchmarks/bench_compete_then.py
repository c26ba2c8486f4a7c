"""Three competing firms now against the single-firm run of an earlier tree (issue 23's "under 2x
today's single-firm run", read as the run of the day the issue was written).

    .venv/bin/python experiments/benchmarks/bench_compete_then.py [--then e981184] [--repeats 5]

``--then`` is the tree whose single-firm run is the yardstick; the default, e981184, is the last
commit before competing firms were built (any earlier tree's run is as slow or slower: every
later change to the single firm made it faster). That tree is extracted with ``git archive``
into a temporary folder. Each repeat runs, in fresh processes and alternately: the single firm
(hierarchy, default size, 500 steps) in that tree, then in this tree the market of hierarchy,
podular and network and the single firm. Each process compiles (or loads) its kernels on a
small run first; the figure is the CPU time of the 500 steps alone. Prints each repeat, the
medians, and the ratios: three firms now / the single firm then, and / the single firm now.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parents[2]
SINGLE = r'''
import time
from simulation.core.model import FirmModel
FirmModel(structure="hierarchy", rng=1, steps=5, customers=2000).run()
model = FirmModel(structure="hierarchy", rng=1)
clock = time.process_time(); model.run(500); print(time.process_time() - clock)
'''
THREE = r'''
import time
from simulation.config.schema import config_from_flat
from simulation.core.competition import MarketModel
from simulation.core.model import FirmModel
from simulation.execution.competition import market_config
firms = ["hierarchy", "podular", "network"]
MarketModel(market_config(config_from_flat(customers=2000, steps=5), firms), rng=1).run(5)
FirmModel(structure="hierarchy", rng=1, steps=5, customers=2000).run()
base = config_from_flat(customers=20000, steps=500)
model = MarketModel(market_config(base, firms), rng=1)
clock = time.process_time(); model.run(500); three = time.process_time() - clock
model = FirmModel(structure="hierarchy", rng=1, config=base)
clock = time.process_time(); model.run(500); print(three, time.process_time() - clock)
'''


def _cpu(tree: Path, code: str) -> list[float]:
    env = dict(os.environ, PYTHONPATH=str(tree))
    out = subprocess.run([sys.executable, "-c", code], cwd=tree, env=env, capture_output=True,
                         text=True, check=True)
    return [float(x) for x in out.stdout.split()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--then", default="e981184", help="git revision of the yardstick")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as folder:
        then_tree = Path(folder)
        archive = subprocess.run(["git", "-C", str(HERE), "archive", args.then],
                                 capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(then_tree)], input=archive, check=True)
        then, three, now = [], [], []
        for repeat in range(args.repeats):
            then.append(_cpu(then_tree, SINGLE)[0])
            market, single = _cpu(HERE, THREE)
            three.append(market)
            now.append(single)
            print(f"repeat {repeat}: single firm at {args.then} {then[-1]:.3f} s CPU; now: three "
                  f"firms {market:.3f} s, single firm {single:.3f} s", flush=True)
    then_median, three_median, now_median = (statistics.median(x) for x in (then, three, now))
    pairs = [t / s for t, s in zip(three, then, strict=True)]
    print(f"medians: single firm at {args.then} {then_median:.3f} s; three firms now "
          f"{three_median:.3f} s; single firm now {now_median:.3f} s")
    print(f"three firms now / single firm at {args.then}: {three_median / then_median:.2f} "
          f"(repeat by repeat {min(pairs):.2f}-{max(pairs):.2f}); goal < 2")
    print(f"three firms now / single firm now: {three_median / now_median:.2f}")
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
