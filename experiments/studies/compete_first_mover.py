"""First mover against a later entrant of the other structure (issue 23).

Same market, sizes and seeds as ``compete_turbulence.py`` (2,000 customers, 100 employees
per firm, 200 steps, seed ``run_seed(23, r)``); one firm is there from step 0, the other
enters at ``--entry``. Reported: the entrant's final share minus the incumbent's (mean over
the last ``--window`` steps), with its 95% t-interval over replicates, for both orders and
both turbulence levels; compare with the simultaneous start of ``compete_turbulence.py``.

    .venv/bin/python experiments/studies/compete_first_mover.py [--replicates 12]
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
from simulation.execution.competition import market_config

ROOT = 23


def one(job) -> dict:
    turbulence, incumbent, entrant, replicate, sizes, entry, window = job
    base = config_from_flat(turbulence=turbulence, **sizes)
    firms = [incumbent, {"name": entrant, "structure": entrant, "enters_at": entry}]
    model = MarketModel(market_config(base, firms), rng=run_seed(ROOT, replicate))
    frame = model.run().metrics()
    tail = frame[frame["step"] >= frame["step"].max() - window + 1]
    level = tail.groupby("firm")["market_share"].mean()
    return {"turbulence": turbulence, "incumbent": incumbent, "entrant": entrant,
            "replicate": replicate, "incumbent_share": level[incumbent],
            "entrant_share": level[entrant]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=12)
    parser.add_argument("--entry", type=int, default=100)
    parser.add_argument("--window", type=int, default=50)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--out", type=Path, default=Path("results/compete_first_mover.csv"))
    args = parser.parse_args()
    sizes = dict(customers=2000, employees=100, steps=200)
    jobs = [(t, a, b, r, sizes, args.entry, args.window) for t in (0.0, 0.05)
            for a, b in (("hierarchy", "podular"), ("podular", "hierarchy"))
            for r in range(args.replicates)]
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        table = pd.DataFrame(list(pool.map(one, jobs)))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out, index=False)
    print(f"{len(jobs)} markets in {time.perf_counter() - started:.0f} s; entry at step "
          f"{args.entry}, levels over the last {args.window} steps, {args.replicates} replicates")
    print(f"\n| turbulence | incumbent | entrant (step {args.entry}) | incumbent share | "
          "entrant share | entrant - incumbent [95% CI] |")
    print("|---|---|---|---|---|---|")
    for (t, a, b), g in table.groupby(["turbulence", "incumbent", "entrant"], sort=False):
        mean, low, high = t_interval((g["entrant_share"] - g["incumbent_share"]).to_numpy())
        print(f"| {t} | {a} | {b} | {g['incumbent_share'].mean():.3f} | "
              f"{g['entrant_share'].mean():.3f} | {mean:+.3f} [{low:+.3f}, {high:+.3f}] |")


if __name__ == "__main__":
    main()
