"""``firmsim sweep EXPERIMENT``: run a parameter sweep, resumably, locally or on Dask.

Runs every design point x structure x replicate of an experiment file and appends the results
to ``--out`` (default ``results/sweeps/<name>/``) as batches finish. Started again with the
same command after an interruption, it runs only what is missing (and retries failed runs).
See ``docs/sweeps.md``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "run a parameter sweep"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``firmsim sweep``."""
    parser.add_argument("experiment", metavar="EXPERIMENT",
                        help="experiment file (.toml) or the name of a shipped one in "
                             "experiments/")
    parser.add_argument("--workers", type=int, default=None,
                        help="local worker processes (default: one per core); ignored with "
                             "--scheduler; results do not depend on it")
    parser.add_argument("--scheduler", metavar="ADDRESS", default=None,
                        help="submit to an existing Dask scheduler, e.g. tcp://host:8786 "
                             "(started with `dask scheduler` / `dask worker`)")
    parser.add_argument("--out", type=Path, default=None,
                        help="results folder (default: results/sweeps/<name>/); an existing "
                             "folder of the same experiment is resumed")
    parser.add_argument("--batch-size", type=int, default=None,
                        help="runs per task (default: the file's, else automatic)")
    parser.add_argument("--repair", action="store_true",
                        help="drop damaged result files (checksum mismatch, unreadable) with "
                             "the rest of their batch and run those runs again")
    parser.add_argument("--no-workers-timeout", type=float, default=None, metavar="SECONDS",
                        help="with --scheduler: stop (resumably) after this many seconds "
                             "with no Dask worker connected (default: 60)")
    parser.add_argument("--yes", action="store_true",
                        help="run a design above the size limit (100,000 points, 1,000,000 "
                             "runs or 24 hours estimated); its size is shown first")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    """Run (or resume) the sweep; exit status 1 if some runs failed."""
    from simulation.sweep.session import run_sweep_folder

    return run_sweep_folder(args)
