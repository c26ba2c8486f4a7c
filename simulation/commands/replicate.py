"""``firmsim replicate NAME|all``: reproduce a classic model's figure and compare with the paper."""

from __future__ import annotations

import argparse
from pathlib import Path

from simulation.errors import UserError

HELP = "reproduce a classic model's figures"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``firmsim replicate``."""
    parser.add_argument("name", metavar="NAME",
                        help="experiment file in experiments/replications/ (without .toml), "
                             "or 'all'")
    parser.add_argument("--replicates", type=int, default=None,
                        help="override the replicate count of the experiment file")
    parser.add_argument("--out", type=Path, default=None,
                        help="output folder (default results/replications/<name>/)")


def run(args: argparse.Namespace) -> int:
    """Run the replication(s); exit status 0 if every check passes, 1 otherwise."""
    from simulation.classics import replication

    if args.replicates is not None and args.replicates < 2:
        raise UserError(f"--replicates={args.replicates}: must be an integer >= 2")
    names = replication.available() if args.name == "all" else [args.name]
    specs = [replication.load_spec(name) for name in names]  # validate all before running
    all_passed = True
    for spec in specs:
        replicates = args.replicates or spec.replicates
        result, outcomes = replication.run_spec(spec, replicates)
        out_dir = (args.out / spec.name if args.out and len(specs) > 1
                   else args.out or Path("results") / "replications" / spec.name)
        paths = replication.write_outputs(spec, result, outcomes, out_dir, replicates)
        print(replication.format_table(spec, outcomes, replicates))
        for note in result.notes:
            print(f"  note: {note}")
        print(f"  wrote {', '.join(str(p) for p in paths)}\n")
        all_passed &= all(o.passed for o in outcomes)
    return 0 if all_passed else 1
