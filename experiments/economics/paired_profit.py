"""Does reorganising pay? Paired differences between structures on cumulative profit and
market share, in a calm and a turbulent market (issue 22).

    PYTHONPATH=. python experiments/economics/paired_profit.py [--replicates 20] [--workers 2]
        [--customers 3000] [--employees 100] [--steps 250] [--set economics.x=v ...]

Every structure runs on the same seeds in each market (common random numbers, replicate r
= seed ``run_seed(2026, r)``), so "structure - hierarchy" is a paired difference; the
intervals are paired 95% t-intervals. Prints per market: each structure's mean cumulative
profit and market-share level (mean of the last 50 steps), their paired differences against
the hierarchy, and the mechanics behind them (run means of unit cost, coordination, change
and variety cost as shares of revenue; changes a step; fitness). Writes the per-run table to
``--out`` (CSV).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from simulation.analysis.statistics import paired_differences, t_interval
from simulation.config.schema import config_from_flat
from simulation.execution.experiment import run_comparison

#: The five structures, in the order of the tables.
STRUCTURES = ("hierarchy", "siloed_social", "network", "podular", "open")

MARKETS = {"calm": 0.0, "turbulent": 0.05}


def per_run(timeseries: pd.DataFrame, window: int = 50) -> pd.DataFrame:
    """One row per run: levels, cumulative profit and mechanics."""
    steps = int(timeseries["step"].max()) + 1
    keys = ["structure", "replicate"]
    tail = timeseries[timeseries["step"] >= steps - window]
    out = tail.groupby(keys)[["market_share"]].mean().rename(
        columns={"market_share": "share_level"})
    last = timeseries[timeseries["step"] == steps - 1].set_index(keys)
    out["cumulative_profit"] = last["cumulative_profit"]
    out["discounted_profit"] = last["discounted_profit"]
    sums = timeseries.groupby(keys)[["revenue", "production_cost", "variety_cost",
                                     "change_cost", "organization_cost",
                                     "coordination_cost"]].sum()
    for column in ("production_cost", "variety_cost", "change_cost", "organization_cost",
                   "coordination_cost"):
        out[f"{column}_share"] = sums[column] / sums["revenue"]
    means = timeseries.groupby(keys)[["unit_cost", "proposals_implemented", "fitness",
                                      "market_share"]].mean()
    out["unit_cost"] = means["unit_cost"]
    out["changes_per_step"] = means["proposals_implemented"]
    out["fitness"] = means["fitness"]
    out["mean_share"] = means["market_share"]
    return out.reset_index()


def report(runs: pd.DataFrame, market: str) -> str:
    lines = [f"== {market} market =="]
    lines.append(f"{'structure':14s} {'cum. profit [95%]':>28s} {'share level [95%]':>22s} "
                 f"{'unit c.':>8s} {'prod%':>6s} {'org%':>6s} {'coord%':>7s} {'chg%':>6s} "
                 f"{'var%':>5s} {'chg/st':>6s} {'fit':>6s}")
    for s in STRUCTURES:
        r = runs[runs["structure"] == s]
        pm, pl, ph = t_interval(r["cumulative_profit"])
        sm, sl, sh = t_interval(r["share_level"])
        lines.append(
            f"{s:14s} {pm:10,.0f} [{pl:7,.0f},{ph:7,.0f}] {sm:8.3f} [{sl:.3f},{sh:.3f}] "
            f"{r['unit_cost'].mean():8.3f} {r['production_cost_share'].mean():6.1%} "
            f"{r['organization_cost_share'].mean():6.1%} "
            f"{r['coordination_cost_share'].mean():7.1%} {r['change_cost_share'].mean():6.1%} "
            f"{r['variety_cost_share'].mean():5.1%} {r['changes_per_step'].mean():6.2f} "
            f"{r['fitness'].mean():6.3f}")
    for output in ("cumulative_profit", "share_level"):
        diff = paired_differences(runs, output, reference="hierarchy", better="higher")
        lines.append(f"  paired difference against hierarchy, {output} (n pairs, 95% t):")
        for _, d in diff[diff["structure"] != "hierarchy"].iterrows():
            star = " *" if d["low"] > 0 or d["high"] < 0 else ""
            lines.append(f"    {d['structure']:14s} {d['mean_difference']:12,.3f} "
                         f"[{d['low']:12,.3f}, {d['high']:12,.3f}] n={int(d['pairs'])}{star}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--customers", type=int, default=3000)
    parser.add_argument("--employees", type=int, default=100)
    parser.add_argument("--steps", type=int, default=250)
    parser.add_argument("--variants", default="standard")
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                        help="flat FirmModel keyword overrides, e.g. retooling_cost=0")
    parser.add_argument("--out", type=Path, default=Path("/tmp/paired_profit.csv"))
    args = parser.parse_args()
    extra = {}
    for item in args.set:
        key, value = item.split("=", 1)
        extra[key] = float(value)
    tables = []
    started = time.perf_counter()
    for market, turbulence in MARKETS.items():
        config = config_from_flat(customers=args.customers, employees=args.employees,
                                  steps=args.steps, turbulence=turbulence,
                                  variants=args.variants, **extra)
        timeseries, _ = run_comparison(config, list(STRUCTURES), args.replicates, 2026,
                                       workers=args.workers, progress=False)
        runs = per_run(timeseries)
        runs.insert(0, "market", market)
        tables.append(runs)
        print(report(runs, market), flush=True)
    pd.concat(tables).to_csv(args.out, index=False)
    print(f"\n{args.replicates} pairs x {len(STRUCTURES)} structures x {len(MARKETS)} markets; "
          f"{args.customers} customers, {args.employees} employees, {args.steps} steps, "
          f"variants={args.variants}, overrides={extra}; "
          f"{time.perf_counter() - started:.0f} s; per-run table: {args.out}")


if __name__ == "__main__":
    main()
