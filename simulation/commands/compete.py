"""``firmsim compete FIRM FIRM ...``: firms of different structures in one market, fighting
for the same customers.

Each ``FIRM`` is a structure name, optionally ``NAME=STRUCTURE`` and ``@STEP`` for a firm
that enters later (``podular@100``, ``startup=podular@100``). Writes ``metrics.parquet``
(every step metric per firm and replicate), ``shares.csv`` (mean share per firm and of the
outside option per step, with 95% bands), ``head_to_head.csv`` (paired differences of final
shares), ``flows.csv`` (net moves of customers), ``resilience.parquet``, ``shares.png`` and
``reading.txt`` (who took the market from whom, and when) to ``--out``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from simulation.errors import UserError

HELP = "run firms of different structures in one market, competing for the same customers"

def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``firmsim compete``."""
    parser.add_argument("firms", nargs="+", metavar="FIRM",
                        help="a structure (hierarchy, podular, ...), NAME=STRUCTURE, and "
                             "@STEP to enter at that step (podular@100)")
    parser.add_argument("--scenario", default=None,
                        help="take the market (sizes, customers, shocks) from this scenario "
                             "(default: the default market)")
    parser.add_argument("--replicates", type=int, default=5, help="replicates (default 5)")
    parser.add_argument("--seed", type=int, default=1, help="root seed (default 1)")
    parser.add_argument("--steps", type=int, default=None, help="steps per run")
    parser.add_argument("--set", dest="assignments", action="append", default=[],
                        metavar="KEY=VALUE",
                        help="override a field by dotted path, value in TOML "
                             "(customers.count=5000, market.turbulence=0.05); repeatable")
    parser.add_argument("--window", type=int, default=50,
                        help="final shares are means over this many last steps (default 50)")
    parser.add_argument("--workers", type=int, default=None,
                        help="worker processes (default: one per core); results do not "
                             "depend on it")
    parser.add_argument("--out", type=Path, default=None,
                        help="output folder (default: results/compete-<firms>/)")


def parse_firm(text: str, number: int) -> dict:
    """``[NAME=]STRUCTURE[@STEP]`` as a firm table (one-line error naming the argument)."""
    from simulation.core.competition import parse_firm as parse
    from simulation.errors import ConfigError

    try:
        return parse(text, f"FIRM {number + 1}")
    except ConfigError as error:
        raise UserError(str(error)) from None


def market_from(args) -> object:
    """The validated market configuration of the command's arguments."""
    from simulation.config.scenario import apply_overrides, load_scenario
    from simulation.config.schema import ModelConfig, validate_model_config

    if args.scenario:
        base = load_scenario(args.scenario).model_config_only().model_dump()
    else:
        base = ModelConfig().model_dump()
    if args.steps is not None:
        base["steps"] = args.steps
    base = apply_overrides(base, args.assignments)
    from simulation.core.competition import name_firms

    base["firms"] = name_firms([parse_firm(text, k) for k, text in enumerate(args.firms)])
    return validate_model_config(base)


def run(args: argparse.Namespace) -> int:
    """Run the market's replicates, write the tables, the picture and the reading."""
    from simulation.analysis.report import write_csv, write_parquet
    from simulation.api import compete
    from simulation.execution.competition import (
        head_to_head,
        net_flows,
        reading,
        share_bands,
    )

    if args.replicates < 2:
        raise UserError(f"--replicates={args.replicates}: must be at least 2 (bands and "
                        "intervals need two)")
    if args.workers is not None and args.workers < 1:
        raise UserError(f"--workers={args.workers}: must be at least 1")
    config = market_from(args)
    if args.window < 1 or args.window > config.steps:
        raise UserError(f"--window={args.window}: must be 1 to steps ({config.steps})")
    names = [f.name for f in config.firms]
    out = args.out or Path("results") / ("compete-" + "-".join(names))
    out.mkdir(parents=True, exist_ok=True)
    print(f"firmsim compete: {', '.join(f'{f.name} ({f.structure})' for f in config.firms)}: "
          f"{args.replicates} replicates, {config.steps} steps, {config.customers.count} "
          f"customers, {len(config.shocks)} shock(s) -> {out}", file=sys.stderr)
    started = time.perf_counter()
    # The computation is the Python API's (simulation.api.compete).
    tables = compete(None, config, replicates=args.replicates, seed=args.seed,
                     workers=args.workers)
    elapsed = time.perf_counter() - started
    bands = share_bands(tables.shares)
    write_parquet(tables.metrics, out / "metrics.parquet")
    write_parquet(tables.resilience, out / "resilience.parquet")
    write_csv(bands, out / "shares.csv")
    pairs = head_to_head(tables.shares, args.window)
    write_csv(pairs, out / "head_to_head.csv")
    write_csv(net_flows(tables.flows, args.replicates), out / "flows.csv")
    write_csv(tables.entries, out / "entries.csv")
    plot_shares(bands, config, out / "shares.png")
    text = reading(tables, args.window, config.shocks)
    from simulation.store.atomic import atomic_write

    atomic_write(out / "reading.txt", lambda p: p.write_text(text + "\n", encoding="utf-8"))
    print(text)
    print(f"\n{args.replicates} runs in {elapsed:.1f} s; wrote {out}", file=sys.stderr)
    return 0


def plot_shares(bands, config, path: Path) -> None:
    """Each firm's market share (and the outside option's) over time, mean and 95% band."""
    import matplotlib.pyplot as plt

    from simulation.analysis.compete_report import share_figure
    from simulation.store.atomic import atomic_write

    marks = [s.step for s in config.shocks] + [f.enters_at for f in config.firms if f.enters_at]
    figure = share_figure(bands, {f.name: f.structure for f in config.firms}, marks)
    atomic_write(path, lambda p: figure.savefig(p, dpi=110, format="png"))
    plt.close(figure)
