"""``firmsim chart STRUCTURE --out chart.csv``: a structure's org chart as a file.

The chart lists every employee with whom it reports to, its role, its pod and its review
partners (:mod:`simulation.core.org_chart`). Edit it, then run it beside the presets with
``structure = "org_chart"`` and ``firm.org_chart = "chart.csv"`` in a scenario. The chart
of a preset runs exactly as that preset on the same seed.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from simulation.errors import UserError

HELP = "write a structure's org chart (CSV) to edit and run as structure 'org_chart'"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``firmsim chart``."""
    parser.add_argument("structure", metavar="STRUCTURE",
                        help="a structure (firmsim chart --list names them)", nargs="?")
    parser.add_argument("--out", type=Path, default=None,
                        help="where to write the chart (default: print it)")
    parser.add_argument("--scenario", default=None,
                        help="scenario whose firm and market size the chart (default: the "
                        "defaults)")
    parser.add_argument("--set", dest="assignments", action="append", default=[],
                        metavar="KEY=VALUE", help="override a field by dotted path")
    parser.add_argument("--seed", type=int, default=None,
                        help="root seed (default: the scenario's); random parts of a "
                        "structure (peer networks, lateral links) depend on it")
    parser.add_argument("--replicate", type=int, default=0,
                        help="replicate whose organization to write (default 0)")
    parser.add_argument("--list", action="store_true", help="list the structures and exit")


def run(args: argparse.Namespace) -> int:
    """Build the structure's organization on the scenario and write its chart."""
    from simulation import registry

    if args.list or args.structure is None:
        for structure in registry.entries("structure"):
            print(f"{structure.name:15s} {structure.description}")
        return 0 if args.list else 2
    from simulation.config.schema import config_from_flat
    from simulation.config.seeds import run_seed
    from simulation.core.model import FirmModel
    from simulation.core.org_chart import chart_of
    from simulation.store.atomic import atomic_write
    from simulation.store.sources import resolve

    if args.replicate < 0:
        raise UserError(f"--replicate={args.replicate}: must be 0 or more")
    registry.get("structure", args.structure)
    if args.scenario is not None:
        scenario, _, _ = resolve(args.scenario, args.assignments)
        seed = scenario.seed if args.seed is None else args.seed
        config = scenario.model_config_only()
    else:
        from simulation.config.scenario import apply_overrides
        from simulation.config.schema import ModelConfig, validate_model_config

        config = validate_model_config(apply_overrides(ModelConfig().model_dump(),
                                                       args.assignments))
        seed = 1 if args.seed is None else args.seed
    config = config_from_flat(config, structure=args.structure)
    # The organization is built from its own stream, before any step: only the model's
    # construction is needed, and it is the same construction a run makes.
    model = FirmModel(config=config, rng=run_seed(seed, args.replicate))
    chart = chart_of(model.org)
    if args.out is None:
        print(chart.to_csv(index=False), end="")
        return 0
    atomic_write(args.out, lambda path: chart.to_csv(path, index=False))
    print(f"{args.structure}: {len(chart)} employees, chart written to {args.out} (seed "
          f"{seed}, replicate {args.replicate})")
    return 0
