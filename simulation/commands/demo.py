"""``firmsim demo``: every structure on the demo scenario, a table and a plot."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import UserError

HELP = "run every structure on the demo scenario"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``firmsim demo``."""
    parser.add_argument("--replicates", type=int, default=None,
                        help="replicates per structure (default: the scenario's, 5)")
    parser.add_argument("--workers", type=int, default=None,
                        help="worker processes (default: one per core)")
    parser.add_argument("--out", type=Path, default=Path("results/demo"),
                        help="output folder (default: results/demo)")


def run(args: argparse.Namespace) -> int:
    """Run the demo scenario, write its tables and plots, print the resilience table."""
    from ..scenario import load_scenario

    scenario = load_scenario("demo")
    replicates = args.replicates or scenario.replicates
    if replicates < 1:
        raise UserError(f"--replicates={replicates}: must be at least 1")
    print(f"firmsim demo: {len(scenario.structures)} structures x {replicates} replicates, "
          f"{scenario.steps} steps, {scenario.customers.count} customers, "
          f"{scenario.firm.employees} employees")
    from ..locks import folder_lock

    out = args.out
    with folder_lock(out, "firmsim demo"):
        return _demo(args, scenario, replicates, out)


def _demo(args, scenario, replicates: int, out: Path) -> int:
    from ..experiment import run_comparison, summarise
    from ..report import format_table, plot_comparison, plot_process, write_csv, write_parquet

    timeseries, resilience = run_comparison(
        scenario.model_config_only(), scenario.structures, replicates, scenario.seed,
        scenario.resilience_metric, workers=args.workers,
    )
    summary = summarise(resilience, scenario.structures)
    write_parquet(timeseries, out / "timeseries.parquet")
    write_parquet(resilience, out / "resilience.parquet")
    write_csv(summary, out / "summary.csv")
    shocks = [s.step for s in scenario.shocks]
    plot_comparison(timeseries, scenario.resilience_metric, shocks, out / "comparison.png",
                    title="Market share after a shift of customer needs (mean, 95% band)")
    plot_process(timeseries, shocks, out / "process.png")
    print()
    print(f"Resilience of {scenario.resilience_metric} (mean [95% interval] over "
          f"{replicates} replicates):")
    print(format_table(summary))
    print(f"\nwrote {out}/timeseries.parquet, resilience.parquet, summary.csv, "
          "comparison.png, process.png")
    return 0
