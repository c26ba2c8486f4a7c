"""``firmsim demo``: every structure in two contrasting markets, a table, plots and a reading.

The demo scenario (``scenarios/demo.toml``: one shift of customer needs) is run in two
markets declared in :data:`MARKETS`: calm with coupled modules (no turbulence; most of each
attribute's interdependence crosses module borders) and turbulent with modular products
(small landscape redraws every few steps; interdependence stays inside modules). Both use the
same product policy (the scenario's, or ``--variants``), which the output states.

It runs a smaller world than the scenario (:data:`DEMO_CUSTOMERS` customers,
:data:`DEMO_STEPS` steps, the shock at the middle) so that enough paired replicates fit in a
minute on two cores; docs/ODD.md section 8.4 measures what the size changes in the reading.
It reports, per market, the level each structure reached (mean market share and cumulative
profit over the run) with 95% intervals, and chooses its replicates by precision: a first
batch of :data:`DEMO_REPLICATES`, then batches of :data:`DEMO_BATCH` while some structure is
neither clearly behind the leader nor level with it within the tie margin, up to
:data:`DEMO_MAX_REPLICATES`, and never a batch the time so far says would end after
:data:`DEMO_SECONDS`. Area lost after the shock is a secondary table. The reading printed at
the end is generated from the tables (:mod:`simulation.analysis.demo_reading`).
"""

from __future__ import annotations

import argparse
import time
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
#: The demo's world: smaller and shorter than the scenario's (20,000 customers, 300 steps)
#: so that enough paired replicates fit in a minute on two cores; the shock stays at the
#: middle of the run. What the size changes in the reading is measured in docs/ODD.md
#: section 8.4 ("The demo's size").
DEMO_CUSTOMERS = 2_000
DEMO_STEPS = 200
#: First batch of replicates; batches of DEMO_BATCH follow until the reading is settled.
DEMO_REPLICATES = 4
DEMO_BATCH = 4
DEMO_MAX_REPLICATES = 24
#: Time budget of the runs, seconds (the demo must stay under a minute on two cores).
DEMO_SECONDS = 45.0



def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``firmsim demo``."""
    parser.add_argument("--replicates", type=int, default=DEMO_REPLICATES,
                        help=f"first batch of replicates per structure and market (default "
                             f"{DEMO_REPLICATES}); more are added until every lead is clear "
                             "or a tie, up to --max-replicates")
    parser.add_argument("--max-replicates", type=int, default=DEMO_MAX_REPLICATES,
                        help=f"most replicates per structure and market (default "
                             f"{DEMO_MAX_REPLICATES})")
    parser.add_argument("--seconds", type=float, default=DEMO_SECONDS,
                        help=f"no batch is started that the time so far says would end past "
                             f"this many seconds (default {DEMO_SECONDS:g})")
    parser.add_argument("--customers", type=int, default=DEMO_CUSTOMERS,
                        help=f"customers per run (default {DEMO_CUSTOMERS:,})")
    parser.add_argument("--steps", type=int, default=DEMO_STEPS,
                        help=f"steps per run, the shock at the middle (default {DEMO_STEPS})")
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
    from simulation.analysis.demo_reading import OUTPUTS, demo_reading
    from simulation.analysis.report import format_table, write_csv, write_parquet
    from simulation.config.scenario import load_scenario
    from simulation.execution.experiment import summarise
    from simulation.store.atomic import atomic_write
    from simulation.store.locks import folder_lock
    from simulation.store.sources import resolve

    if args.replicates < 2:
        raise UserError(f"--replicates={args.replicates}: must be at least 2 (intervals)")
    if args.max_replicates < args.replicates:
        raise UserError(f"--max-replicates={args.max_replicates}: must be at least "
                        f"--replicates={args.replicates}")
    if args.customers < 10:
        raise UserError(f"--customers={args.customers}: must be at least 10")
    if args.steps < 20:
        raise UserError(f"--steps={args.steps}: must be at least 20")
    if not args.seconds > 0:
        raise UserError(f"--seconds={args.seconds}: must be a positive number of seconds")
    started = time.perf_counter()
    base = load_scenario("demo")
    policy = args.variants or base.firm.variants
    try:
        described = registry.get("product_policy", policy).description
    except ConfigError as error:
        raise UserError(f"--variants: {error}") from None
    structures = base.structures
    print(f"firmsim demo: {len(structures)} structures x {len(MARKETS)} markets, "
          f"{args.steps} steps, {args.customers:,} customers, {base.firm.employees} employees; "
          f"product policy: {described} (firm.variants = {policy}); shock: "
          + ", ".join(f"{s.kind} of strength {s.strength:g} at step {args.steps // 2}"
                      for s in base.shocks)
          + f"; replicates by precision: {args.replicates} first, up to "
          f"{args.max_replicates}")
    _warm_up(structures, policy)
    scenarios = {market: resolve("demo", [*overrides, f"customers.count={args.customers}",
                                          f"steps={args.steps}",
                                          f"shocks.0.step={args.steps // 2}",
                                          f"firm.variants=\"{policy}\""])[0]
                 for market, (_, overrides) in MARKETS.items()}
    timeseries, resilience, statuses, replicates = _precise_runs(
        scenarios, structures, args, started)
    labels = {market: label for market, (label, _) in MARKETS.items()}
    levels = _levels(timeseries)
    reading = demo_reading(levels, statuses, timeseries, resilience, structures, labels)
    summaries = {}
    for market in MARKETS:
        summary = summarise(resilience[resilience["market"] == market].drop(columns="market"),
                            structures)
        summary.insert(0, "market", market)
        summaries[market] = summary
    summary = pd.concat(summaries.values(), ignore_index=True)
    metric = base.resilience_metric
    out = args.out
    with folder_lock(out, "demo"):
        write_parquet(timeseries, out / "timeseries.parquet")
        write_parquet(resilience, out / "resilience.parquet")
        write_csv(summary, out / "summary.csv")
        write_csv(levels, out / "levels.csv")
        text = "\n".join(reading) + "\n"
        atomic_write(out / "reading.txt", lambda path: path.write_text(text))
        shock_steps = [args.steps // 2]
        _plot(timeseries, (metric, "cumulative_profit"), labels, shock_steps,
              out / "comparison.png",
              "market share and cumulative profit by structure (mean, 95% t band; dashed: "
              "shock)")
        _plot(timeseries, ("decision_latency", "unit_cost"), labels, shock_steps,
              out / "process.png", "decision latency and unit cost (mean, 95% t band)")
    for market, (label, _) in MARKETS.items():
        print(f"\n== {label} market ({replicates[market]} paired replicates) ==")
        print(_level_table(levels[levels["market"] == market], structures, OUTPUTS))
        print("Secondary: market share after the shock (mean [95% interval]; recovery: "
              "Kaplan-Meier median steps to 95% of the pre-shock level):")
        print(format_table(summaries[market], figures=("baseline", "plateau", "depth",
                                                       "recovery_time", "area_lost")))
    print("\nReading (computed from the tables above):")
    for sentence in reading:
        print(f"- {sentence}")
    print(f"\nwrote {out}/: timeseries.parquet, resilience.parquet, summary.csv, levels.csv, "
          f"reading.txt, comparison.png, process.png ({time.perf_counter() - started:.0f} s)")
    return 0


def _precise_runs(scenarios, structures, args, started: float):
    """Run batches of replicates per market until every lead is clear or a tie within the
    margin (:func:`simulation.analysis.demo_reading.settled`), or the replicate cap or the
    time budget is reached. Returns the tables, the final standings and each market's
    replicate count."""
    import pandas as pd

    from simulation.analysis.demo_reading import OUTPUTS, settled, standings
    from simulation.api import compare

    series = {m: [] for m in scenarios}
    shocks = {m: [] for m in scenarios}
    done = dict.fromkeys(scenarios, 0)
    statuses: dict = {}
    open_markets = list(scenarios)
    batch = args.replicates
    while open_markets:
        begun = time.perf_counter()
        for market in open_markets:
            scenario = scenarios[market]
            print(f"  {MARKETS[market][0]} market: replicates {done[market]} to "
                  f"{done[market] + batch - 1}", flush=True)
            result = compare(scenario, structures=structures, replicates=batch,
                             workers=args.workers, first_replicate=done[market])
            timeseries, resilience = result.timeseries, result.resilience
            series[market].append(timeseries.assign(market=market))
            shocks[market].append(resilience.assign(market=market))
            done[market] += batch
            levels = _levels(pd.concat(series[market], ignore_index=True))
            statuses.update(standings(levels, structures, _potential(scenario)))
        # Seconds per replicate of one market, from this batch, to judge the next one.
        per_replicate = (time.perf_counter() - begun) / (batch * len(open_markets))
        open_markets = [m for m in open_markets
                        if not settled({o: statuses[(m, o)] for o in OUTPUTS})]
        batch = DEMO_BATCH
        open_markets = [m for m in open_markets if done[m] + batch <= args.max_replicates]
        expected_end = (time.perf_counter() - started
                        + per_replicate * batch * len(open_markets))
        if expected_end > args.seconds:
            open_markets = []
    frames = [pd.concat(series[m], ignore_index=True) for m in scenarios]
    timeseries = pd.concat(frames, ignore_index=True)
    timeseries = timeseries[["market", *[c for c in timeseries.columns if c != "market"]]]
    resilience = pd.concat([pd.concat(shocks[m], ignore_index=True) for m in scenarios],
                           ignore_index=True)
    resilience = resilience[["market", *[c for c in resilience.columns if c != "market"]]]
    return timeseries, resilience, statuses, done


def _potential(scenario) -> float:
    """The market's potential revenue over the run: price x customers x steps."""
    config = scenario.model_config_only()
    return config.market.price * config.customers.count * config.steps


def _level_table(levels, structures, outputs) -> str:
    """Per structure: each output's mean [95% t-interval] over the replicates."""
    from simulation.analysis.statistics import t_interval

    lines = [f"{'structure':15s}" + "".join(f"{words:>36s}" for words, _ in outputs.values())]
    for structure in structures:
        cells = []
        for output, (_, form) in outputs.items():
            values = levels.loc[levels["structure"] == structure, output].to_numpy(float)
            mean, low, high = t_interval(values)
            cells.append(f"{mean:{form}} [{low:{form}}, {high:{form}}]")
        lines.append(f"{structure:15s}" + "".join(f"{c:>36s}" for c in cells))
    return "\n".join(lines)


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


def _levels(timeseries):
    """Per run: the level it reached over the run: mean market share over all its steps and
    cumulative profit at its end (both are sums over the run, one of shares, one of money)."""
    steps = int(timeseries["step"].max()) + 1
    keys = ["market", "structure", "replicate"]
    share = timeseries.groupby(keys, sort=False)["market_share"].mean()
    profit = timeseries[timeseries["step"] == steps - 1].set_index(keys)["cumulative_profit"]
    return share.to_frame().join(profit).reset_index()


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
