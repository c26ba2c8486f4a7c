"""``firmsim scenarios``: the shipped scenarios and their one-line descriptions."""

from __future__ import annotations

import argparse

from simulation.errors import ConfigError

HELP = "list the shipped scenarios"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``firmsim scenarios`` takes no arguments."""


def run(args: argparse.Namespace) -> int:
    """Print one line per shipped scenario: name, size of the run, description."""
    from simulation.config.scenario import SCENARIO_DIR, load_scenario, shipped_names

    names = shipped_names()
    if not names:
        print(f"no scenarios in {SCENARIO_DIR}")
        return 0
    width = max(len(name) for name in names)
    print(f"Scenarios in {SCENARIO_DIR} (run one with `firmsim run NAME`, "
          "inspect with `firmsim show NAME`):\n")
    for name in names:
        try:
            scenario = load_scenario(name)
        except ConfigError as error:
            print(f"  {name.ljust(width)}  INVALID: {error}")
            continue
        shocks = ", ".join(f"{s.kind}@{s.step}" for s in scenario.shocks) or "no shocks"
        print(f"  {name.ljust(width)}  {scenario.description or '(no description)'}")
        print(f"  {''.ljust(width)}  [{len(scenario.structures)} structures x "
              f"{scenario.replicates} replicates, {scenario.steps} steps; {shocks}]")
    return 0
