"""Head to head vs parallel worlds: who wins, hierarchy or pods, in a calm and a turbulent
market (issue 23).

For each turbulence level and replicate ``r`` (seed ``run_seed(23, r)`` for every arm):
- **head to head**: one market holding a hierarchy and a podular firm; a firm's level is its
  mean market share (and fitness) over the last ``--window`` steps; the paired difference is
  podular minus hierarchy within the market;
- **parallel worlds**: the same market with one firm at a time (FirmModel on the same seed,
  common random numbers); the paired difference is podular minus hierarchy across the two
  worlds of replicate ``r``.
Levels: mean market share and fitness over the last ``--window`` steps; cumulative profit
(the firm's own books) at the last step. Differences are means with 95% t-intervals over
replicates.

    .venv/bin/python experiments/studies/compete_turbulence.py [--replicates 20]
"""

from __future__ import annotations

import argparse
import os
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd

from simulation.analysis.statistics import t_interval
from simulation.config.schema import config_from_flat
from simulation.config.seeds import run_seed
from simulation.core.competition import MarketModel
from simulation.core.model import FirmModel
from simulation.execution.competition import market_config

STRUCTURES = ("hierarchy", "podular")
ROOT = 23
METRICS = ("market_share", "fitness", "cumulative_profit")


def _levels(frame: pd.DataFrame, window: int) -> dict:
    tail = frame[frame["step"] >= frame["step"].max() - window + 1]
    last = frame[frame["step"] == frame["step"].max()]
    return {"market_share": float(tail["market_share"].mean()),
            "fitness": float(tail["fitness"].mean()),
            # the firm's own books (core/economics.py): profit to date at the last step
            "cumulative_profit": float(last["cumulative_profit"].iloc[0])}


def one(job) -> list[dict]:
    turbulence, coupling, replicate, sizes, window = job
    base = config_from_flat(turbulence=turbulence, cross_module_share=coupling, **sizes)
    rows = []
    market = MarketModel(market_config(base, list(STRUCTURES)),
                         rng=run_seed(ROOT, replicate)).run().metrics()
    for structure in STRUCTURES:
        rows.append({"turbulence": turbulence, "coupling": coupling, "replicate": replicate,
                     "design": "head_to_head",
                     "structure": structure,
                     **_levels(market[market["firm"] == structure], window)})
        alone = FirmModel(structure=structure, rng=run_seed(ROOT, replicate),
                          config=base).run().metrics()
        rows.append({"turbulence": turbulence, "coupling": coupling, "replicate": replicate,
                     "design": "parallel_worlds", "structure": structure,
                     **_levels(alone, window)})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=20)
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--employees", type=int, default=100)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--window", type=int, default=50)
    parser.add_argument("--coupling", type=float, nargs="+", default=[0.5],
                        help="cross_module_share levels (default: the market's 0.5)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--out", type=Path, default=Path("results/compete_turbulence.csv"))
    args = parser.parse_args()
    sizes = dict(customers=args.customers, employees=args.employees, steps=args.steps)
    jobs = [(t, c, r, sizes, args.window) for c in args.coupling for t in (0.0, 0.05)
            for r in range(args.replicates)]
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        rows = [row for result in pool.map(one, jobs) for row in result]
    elapsed = time.perf_counter() - started
    table = pd.DataFrame(rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out, index=False)
    print(f"{len(jobs)} markets + {2 * len(jobs)} single-firm runs in {elapsed:.0f} s; "
          f"{args.customers} customers, {args.employees} employees per firm, {args.steps} "
          f"steps, levels over the last {args.window} steps, {args.replicates} replicates")
    print("\n| coupling | turbulence | design | metric | hierarchy | podular | "
          "podular - hierarchy [95% CI] |")
    print("|---|---|---|---|---|---|---|")
    for (coupling, turbulence, design), group in table.groupby(
            ["coupling", "turbulence", "design"]):
        wide = {m: group.pivot(index="replicate", columns="structure", values=m)
                for m in METRICS}
        for metric, w in wide.items():
            mean, low, high = t_interval((w["podular"] - w["hierarchy"]).to_numpy())
            star = "*" if low > 0 or high < 0 else ""
            print(f"| {coupling} | {turbulence} | {design} | {metric} | "
                  f"{w['hierarchy'].mean():.4g} | "
                  f"{w['podular'].mean():.4g} | {mean:+.4g} [{low:+.4g}, {high:+.4g}]{star} |")


if __name__ == "__main__":
    main()
