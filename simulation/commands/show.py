"""``firmsim show SCENARIO``: the fully resolved scenario (every default filled in)."""

from __future__ import annotations

import argparse
import json

HELP = "print a scenario's fully resolved config"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``firmsim show``."""
    parser.add_argument("scenario", metavar="SCENARIO",
                        help="shipped scenario name, a .toml file, or a results manifest.json")
    parser.add_argument("--set", dest="assignments", action="append", default=[],
                        metavar="KEY=VALUE",
                        help="override a field by dotted path, as in `firmsim run`")
    parser.add_argument("--format", choices=("toml", "json"), default="toml",
                        help="toml (a valid scenario file, with field comments) or json")
    parser.add_argument("--no-comments", action="store_true",
                        help="toml without the field descriptions")


def run(args: argparse.Namespace) -> int:
    """Print the resolved scenario."""
    from simulation.config.scenario import scenario_data, to_toml
    from simulation.store.sources import resolve

    scenario, source, _ = resolve(args.scenario, args.assignments)
    if args.format == "json":
        print(json.dumps(scenario_data(scenario), indent=2))
    else:
        print(f"# {source}" + (" with --set " + " ".join(args.assignments)
                               if args.assignments else ""))
        print(to_toml(scenario, comments=not args.no_comments), end="")
    return 0
