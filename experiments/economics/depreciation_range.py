"""How the answer depends on ``change_depreciation`` (issue 22): paired differences on
cumulative profit and market share across the parameter's range, calm and turbulent.

    PYTHONPATH=. python experiments/economics/depreciation_range.py [--replicates 16]
        [--levels 0 0.25 0.5 0.75 1] [--workers 2] [--customers 3000] [--steps 250]

Every structure runs on the same seeds (replicate r = ``run_seed(2026, r)``) at every level,
so "structure - hierarchy" is a paired difference (95% t). The experience a change
depreciates is booked, not foreseen by any decider (ODD section 7), so the level changes the
books only: the script checks that market share is identical across levels on the same seeds
and says so. Writes the per-run table to ``--out`` (CSV).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from paired_profit import MARKETS, STRUCTURES, per_run  # noqa: E402

from simulation.analysis.statistics import paired_differences  # noqa: E402
from simulation.config.schema import config_from_flat  # noqa: E402
from simulation.execution.experiment import run_comparison  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=16)
    parser.add_argument("--levels", type=float, nargs="+", default=[0, 0.25, 0.5, 0.75, 1])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--customers", type=int, default=3000)
    parser.add_argument("--employees", type=int, default=100)
    parser.add_argument("--steps", type=int, default=250)
    parser.add_argument("--out", type=Path, default=Path("/tmp/depreciation_range.csv"))
    args = parser.parse_args()
    started = time.perf_counter()
    tables = []
    for market, turbulence in MARKETS.items():
        for level in args.levels:
            config = config_from_flat(customers=args.customers, employees=args.employees,
                                      steps=args.steps, turbulence=turbulence,
                                      change_depreciation=level)
            timeseries, _ = run_comparison(config, list(STRUCTURES), args.replicates, 2026,
                                           workers=args.workers, progress=False)
            runs = per_run(timeseries)
            runs.insert(0, "depreciation", level)
            runs.insert(0, "market", market)
            tables.append(runs)
            print(f"  {market} d={level:g} done ({time.perf_counter() - started:.0f} s)",
                  flush=True)
    runs = pd.concat(tables, ignore_index=True)
    runs.to_csv(args.out, index=False)
    for market in MARKETS:
        m = runs[runs["market"] == market]
        shares = m.pivot_table(index=["structure", "replicate"], columns="depreciation",
                               values="share_level")
        same = bool(np.all(shares.to_numpy() == shares.to_numpy()[:, :1]))
        print(f"\n== {market} market: {args.replicates} pairs per level; market share "
              f"{'identical' if same else 'NOT identical'} across levels on the same seeds ==")
        for output in ("cumulative_profit", "share_level"):
            levels = args.levels if output == "cumulative_profit" else args.levels[:1]
            for level in levels:
                r = m[m["depreciation"] == level]
                reference = r.loc[r["structure"] == "hierarchy", output].mean()
                diff = paired_differences(r, output, reference="hierarchy", better="higher")
                cells = [f"{d['structure']} {d['mean_difference']:,.3f} [{d['low']:,.3f}, "
                         f"{d['high']:,.3f}]{' *' if d['low'] > 0 or d['high'] < 0 else ''}"
                         for _, d in diff[diff["structure"] != "hierarchy"].iterrows()]
                label = f"d={level:g}" if output == "cumulative_profit" else "any d"
                print(f"  {output} {label} (hierarchy {reference:,.3f}); minus hierarchy: "
                      + "; ".join(cells))
    print(f"\n{len(args.levels)} levels x {len(STRUCTURES)} structures x {len(MARKETS)} markets "
          f"x {args.replicates} pairs; {args.customers} customers, {args.employees} employees, "
          f"{args.steps} steps; {time.perf_counter() - started:.0f} s; per-run table: "
          f"{args.out}")


if __name__ == "__main__":
    main()
