"""``firmsim demo``: every structure in two contrasting markets, a table, plots and a reading.

The demo scenario (``scenarios/demo.toml``: one shift of customer needs) is run in two
markets declared in :data:`MARKETS`: calm with coupled modules (no turbulence; most of each
attribute's interdependence crosses module borders) and turbulent with modular products
(small landscape redraws every few steps; interdependence stays inside modules). Both use the
same product policy (the scenario's, or ``--variants``), which the output states. At
:data:`DEMO_CUSTOMERS` customers and :data:`DEMO_REPLICATES` replicates it finishes in about
a minute on two cores, compilation included. The reading printed at the end is generated
from the tables (:mod:`simulation.analysis.demo_reading`).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from simulation.errors import ConfigError, UserError

HELP = "every structure in two contrasting markets, with a plain-language reading"

#: The two markets: key -> (words, overrides of the demo scenario). Chosen to contrast, not
#: to favour a structure: the same shock, size and seeds in both.
MARKETS: dict[str, tuple[str, list[str]]] = {
    "calm_coupled": ("calm, coupled-modules",
                     ["market.turbulence=0.0", "market.cross_module_share=0.8"]),
    "turbulent_modular": ("turbulent, modular-product",
                          ["market.turbulence=0.1", "market.cross_module_share=0.0"]),
}
#: Customers per run in the demo (the scenario's 20,000 would take several minutes).
DEMO_CUSTOMERS = 5_000
DEMO_REPLICATES = 6



def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``firmsim demo``."""
    parser.add_argument("--replicates", type=int, default=DEMO_REPLICATES,
                        help=f"replicates per structure and market (default {DEMO_REPLICATES})")
    parser.add_argument("--customers", type=int, default=DEMO_CUSTOMERS,
                        help=f"customers per run (default {DEMO_CUSTOMERS:,})")
    parser.add_argument("--variants", default=None, metavar="POLICY",
                        help="product policy in both markets (default: the scenario's)")
    parser.add_argument("--workers", type=int, default=None,
                        help="worker processes (default: one per core)")
    parser.add_argument("--out", type=Path, default=Path("results/demo"),
                        help="output folder (default: results/demo)")


def run(args: argparse.Namespace) -> int:
    """Run both markets, write tables and plots, print the tables and the reading."""
    import pandas as pd

    from simulation import registry
    from simulation.analysis.demo_reading import demo_reading
    from simulation.analysis.report import (
        format_differences,
        format_table,
        write_csv,
        write_parquet,
    )
    from simulation.config.scenario import load_scenario
    from simulation.execution.experiment import run_comparison, summarise
    from simulation.store.atomic import atomic_write
    from simulation.store.locks import folder_lock
    from simulation.store.sources import resolve

    if args.replicates < 2:
        raise UserError(f"--replicates={args.replicates}: must be at least 2 (intervals)")
    if args.customers < 10:
        raise UserError(f"--customers={args.customers}: must be at least 10")
    base = load_scenario("demo")
    policy = args.variants or base.firm.variants
    try:
        described = registry.get("product_policy", policy).description
    except ConfigError as error:
        raise UserError(f"--variants: {error}") from None
    structures = base.structures
    print(f"firmsim demo: {len(structures)} structures x {args.replicates} replicates x "
          f"{len(MARKETS)} markets, {base.steps} steps, {args.customers:,} customers, "
          f"{base.firm.employees} employees; product policy: {described} "
          f"(firm.variants = {policy}); shock: "
          + ", ".join(f"{s.kind} of strength {s.strength:g} at step {s.step}"
                      for s in base.shocks))
    _warm_up(structures, policy)
    series, shocks, summaries = [], [], {}
    for market, (label, overrides) in MARKETS.items():
        scenario, _, _ = resolve("demo", [*overrides, f"customers.count={args.customers}",
                                          f"firm.variants=\"{policy}\""])
        print(f"  {label} market ({', '.join(overrides)})", flush=True)
        timeseries, resilience = run_comparison(
            scenario.model_config_only(), structures, args.replicates, scenario.seed,
            scenario.resilience_metric, workers=args.workers, progress=False)
        timeseries.insert(0, "market", market)
        resilience.insert(0, "market", market)
        series.append(timeseries)
        shocks.append(resilience)
        summary = summarise(resilience.drop(columns="market"), structures)
        summary.insert(0, "market", market)
        summaries[market] = summary
    timeseries = pd.concat(series, ignore_index=True)
    resilience = pd.concat(shocks, ignore_index=True)
    summary = pd.concat(summaries.values(), ignore_index=True)
    metric = base.resilience_metric
    levels = _levels(timeseries, metric)
    labels = {market: label for market, (label, _) in MARKETS.items()}
    reading = demo_reading(resilience, levels, structures, labels, metric)
    out = args.out
    with folder_lock(out, "demo"):
        write_parquet(timeseries, out / "timeseries.parquet")
        write_parquet(resilience, out / "resilience.parquet")
        write_csv(summary, out / "summary.csv")
        text = "\n".join(reading) + "\n"
        atomic_write(out / "reading.txt", lambda path: path.write_text(text))
        shock_steps = [s.step for s in base.shocks]
        _plot(timeseries, (metric,), labels, shock_steps, out / "comparison.png",
              f"{metric.replace('_', ' ')} by structure (mean, 95% t band; dashed: shock)")
        _plot(timeseries, ("decision_latency", "largest_queue"), labels, shock_steps,
              out / "process.png", "decision latency and congestion (mean, 95% t band)")
    for market, (label, _) in MARKETS.items():
        print(f"\n== {label} market ==")
        differences = format_differences(summaries[market])
        if differences:
            print(f"Paired difference against {structures[0]} (same seeds; * : 95% "
                  "interval excludes 0):")
            print(differences)
        print(f"{metric.replace('_', ' ')} (mean [95% interval]; recovery: Kaplan-Meier "
              "median steps to 95% of the pre-shock level):")
        print(format_table(summaries[market], figures=("baseline", "depth", "recovery_time",
                                                       "area_lost")))
    print("\nReading (computed from the tables above):")
    for sentence in reading:
        print(f"- {sentence}")
    print(f"\nwrote {out}/: timeseries.parquet, resilience.parquet, summary.csv, "
          "reading.txt, comparison.png, process.png")
    return 0


def _warm_up(structures, policy: str) -> None:
    """Compile the kernels once, here, on a tiny run of every structure in the turbulent
    market, so the worker processes load them from Numba's cache instead of each compiling
    them (on a fresh install that halves the CPU time of the demo; later it costs ~1 s)."""
    from simulation.config.seeds import run_seed
    from simulation.execution.runs import run_model
    from simulation.store.sources import resolve

    tiny, _, _ = resolve("demo", [*MARKETS["turbulent_modular"][1], "customers.count=50",
                                  "firm.employees=20", "steps=4", "shocks.0.step=2",
                                  f"firm.variants=\"{policy}\""])
    for structure in structures:
        run_model(tiny.model_config_only(), structure, run_seed(tiny.seed, 0))


def _levels(timeseries, metric: str):
    """Per run: the mean of ``metric`` over the last fifth of the steps (at most 50)."""
    steps = int(timeseries["step"].max()) + 1
    window = max(1, min(50, steps // 5))
    tail = timeseries[timeseries["step"] >= steps - window]
    return tail.groupby(["market", "structure", "replicate"], sort=False)[metric].mean(
    ).reset_index()


def _plot(timeseries, metrics, labels, shock_steps, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from simulation.analysis.report import _lines_with_bands
    from simulation.store.atomic import atomic_write

    figure, axes = plt.subplots(len(metrics), len(labels), squeeze=False,
                                figsize=(6 * len(labels), 4 * len(metrics)), sharex=True)
    for row, metric in enumerate(metrics):
        for column, (market, label) in enumerate(labels.items()):
            axis = axes[row][column]
            _lines_with_bands(axis, timeseries[timeseries["market"] == market], metric)
            for step in shock_steps:
                axis.axvline(step, color="0.3", linestyle="--", linewidth=1)
            axis.set_title(f"{label} market", fontsize=10)
            axis.set_ylabel(metric.replace("_", " "))
            axis.set_xlabel("step")
    axes[0][0].legend(frameon=False, fontsize=8)
    figure.suptitle(title)
    figure.tight_layout()
    atomic_write(path, lambda p: figure.savefig(p, dpi=110, format="png"))
    plt.close(figure)
