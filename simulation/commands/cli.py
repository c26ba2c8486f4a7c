"""The ``firmsim`` command line.

Each sub-command lives in its own module under :mod:`simulation.commands`, exposing
``HELP`` (one line), ``add_arguments(parser)`` and ``run(args) -> int``. A command module
imports the modules of its work inside ``run``, so building the parser loads none of the
other commands' dependencies (samplers, DuckDB, plotting, the classic models).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import sys
from pathlib import Path

from simulation.errors import ConfigError, UserError

#: Sub-command name -> its module, in the order ``firmsim --help`` lists them.
COMMANDS = {
    name: f"simulation.commands.{name}"
    for name in ("demo", "run", "compete", "scenarios", "show", "chart", "query", "replicate",
                 "sweep", "analyze", "design", "ui")
}


def _available() -> dict[str, str]:
    return {name: module for name, module in COMMANDS.items()
            if importlib.util.find_spec(module) is not None}


def _version() -> str:
    import importlib.metadata

    try:
        return importlib.metadata.version("firmsim")
    except importlib.metadata.PackageNotFoundError:  # a source tree that is not installed
        return "(not installed)"


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, object]]:
    parser = argparse.ArgumentParser(
        prog="firmsim",
        description="Networked vs hierarchical firms under market shocks.",
    )
    parser.add_argument("--version", action="version", version=f"firmsim {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    modules = {}
    for name, module_name in _available().items():
        module = importlib.import_module(module_name)
        command_parser = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(command_parser)
        modules[name] = module
    return parser, modules


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``firmsim`` console script."""
    argv = sys.argv[1:] if argv is None else argv
    try:
        parser, modules = build_parser()
    except (UserError, ConfigError) as error:
        print(f"firmsim: error: {error}", file=sys.stderr)
        return 2
    args = parser.parse_args(argv)
    try:
        return int(modules[args.command].run(args) or 0)
    except (UserError, ConfigError) as error:
        print(f"firmsim {args.command}: error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        from simulation.store.atomic import is_storage_error, storage_message

        if not is_storage_error(error) or not error.filename:
            raise
        # A write outside the atomic writers (a folder, a lock file): the same one line.
        print(f"firmsim {args.command}: error: "
              f"{storage_message(Path(str(error.filename)), error)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"firmsim {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (``firmsim scenarios | head``): stop quietly, as cat does.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
