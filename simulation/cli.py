"""The ``firmsim`` command line.

Each sub-command lives in its own module under :mod:`simulation.commands`, exposing
``HELP`` (one line), ``add_arguments(parser)`` and ``run(args) -> int``. Modules are imported
only when their command runs, so ``firmsim --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys

from .errors import ConfigError, UserError

#: Sub-command name -> (module, one-line help).
COMMANDS = {
    "demo": ("simulation.commands.demo", "run every structure on the demo scenario"),
    "run": ("simulation.commands.run", "run a scenario file and write its results"),
    "scenarios": ("simulation.commands.scenarios", "list the shipped scenarios"),
    "show": ("simulation.commands.show", "print a scenario's fully resolved config"),
    "query": ("simulation.commands.query", "run DuckDB SQL over a results folder"),
    "replicate": ("simulation.commands.replicate", "reproduce a classic model's figures"),
    "sweep": ("simulation.commands.sweep", "run a parameter sweep"),
    "analyze": ("simulation.commands.analyze", "sensitivity analysis of a sweep"),
    "ui": ("simulation.commands.ui", "start the browser app"),
}


def _available() -> dict[str, tuple[str, str]]:
    available = {}
    for name, (module, help_text) in COMMANDS.items():
        if importlib.util.find_spec(module) is not None:
            available[name] = (module, help_text)
    return available


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, object]]:
    parser = argparse.ArgumentParser(
        prog="firmsim",
        description="Networked vs hierarchical firms under market shocks.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    modules = {}
    for name, (module_name, help_text) in _available().items():
        module = importlib.import_module(module_name)
        command_parser = sub.add_parser(name, help=help_text, description=help_text)
        module.add_arguments(command_parser)
        modules[name] = module
    return parser, modules


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``firmsim`` console script."""
    argv = sys.argv[1:] if argv is None else argv
    parser, modules = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(modules[args.command].run(args) or 0)
    except (UserError, ConfigError) as error:
        print(f"firmsim {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"firmsim {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
