"""The tree-to-network dial measured (issue 22): market share and cumulative profit of a
hierarchy at several ``lateral_links`` levels, with the network and the pods beside it.

    PYTHONPATH=. python experiments/economics/dial_curve.py [--replicates 8]
        [--levels 0 0.05 0.1 0.25 0.5 0.75 1] [--workers 2]

Every level and structure runs on the same seeds (replicate r = ``run_seed(2026, r)``), so
"level - tree" is a paired difference (95% t). 3,000 customers, 100 employees, 250 steps,
default economics, one standard product; calm (turbulence 0) and turbulent (0.05). Writes
the per-run table to ``--out`` (CSV).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from paired_profit import MARKETS, per_run  # noqa: E402

from simulation.analysis.statistics import paired_differences  # noqa: E402
from simulation.config.schema import config_from_flat  # noqa: E402
from simulation.execution.experiment import run_comparison  # noqa: E402

REFERENCES = ("network", "podular")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=8)
    parser.add_argument("--levels", type=float, nargs="+",
                        default=[0, 0.05, 0.1, 0.25, 0.5, 0.75, 1])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--customers", type=int, default=3000)
    parser.add_argument("--employees", type=int, default=100)
    parser.add_argument("--steps", type=int, default=250)
    parser.add_argument("--out", type=Path, default=Path("/tmp/dial_curve.csv"))
    args = parser.parse_args()
    started = time.perf_counter()
    tables = []
    for market, turbulence in MARKETS.items():
        common = dict(customers=args.customers, employees=args.employees, steps=args.steps,
                      turbulence=turbulence)
        for level in args.levels:
            config = config_from_flat(lateral_links=level, **common)
            timeseries, _ = run_comparison(config, ["hierarchy"], args.replicates, 2026,
                                           workers=args.workers, progress=False)
            tables.append(per_run(timeseries).assign(market=market,
                                                     variant=f"tree + dial {level:g}"))
        timeseries, _ = run_comparison(config_from_flat(**common), list(REFERENCES),
                                       args.replicates, 2026, workers=args.workers,
                                       progress=False)
        runs = per_run(timeseries)
        tables.append(runs.assign(market=market, variant=runs["structure"]))
        print(f"  {market} done ({time.perf_counter() - started:.0f} s)", flush=True)
    runs = pd.concat(tables, ignore_index=True)
    runs.to_csv(args.out, index=False)
    order = [f"tree + dial {level:g}" for level in args.levels] + list(REFERENCES)
    for market in MARKETS:
        m = runs[runs["market"] == market]
        print(f"\n== {market} market ({args.replicates} pairs; minus the tree, 95% t) ==")
        for output in ("mean_share", "share_level", "cumulative_profit", "changes_per_step"):
            diff = paired_differences(m, output, reference="tree + dial 0", by="variant",
                                      better="higher").set_index("structure").reindex(order)
            means = m.groupby("variant")[output].mean().reindex(order)
            print(f"  {output}:")
            for variant in order:
                d = diff.loc[variant]
                star = " *" if d["low"] > 0 or d["high"] < 0 else ""
                print(f"    {variant:16s} {means[variant]:12,.3f}  {d['mean_difference']:+12,.3f} "
                      f"[{d['low']:+,.3f}, {d['high']:+,.3f}]{star}")
    print(f"\n{len(order)} variants x {len(MARKETS)} markets x {args.replicates} pairs; "
          f"{args.customers} customers, {args.employees} employees, {args.steps} steps; "
          f"{time.perf_counter() - started:.0f} s; per-run table: {args.out}")


if __name__ == "__main__":
    main()
