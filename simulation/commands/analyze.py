"""``firmsim analyze DIR``: sensitivity indices or advantage maps of a sweep folder.

Sobol designs get first-order and total indices with 95% intervals, Morris designs mu*,
its interval and sigma, Latin hypercubes Spearman correlations (``sensitivity.csv`` and one
``sensitivity_<output>.png`` per plotted output). Grids get ``grid.csv`` (mean and interval
of every output of every structure and of every structure's advantage over the first, per
cell of two parameters), ``advantage_<output>_<other>-<reference>.png`` heatmaps and
``levels_<output>.png`` lines. Figures go to ``DIR/analysis/`` (or ``--out``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "sensitivity analysis of a sweep"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``firmsim analyze``."""
    parser.add_argument("folder", metavar="DIR", type=Path, help="results folder of a sweep")
    parser.add_argument("--outputs", default=None, metavar="NAME,...",
                        help="outputs to plot and print (default: the experiment's "
                             "[analysis] outputs, else recovery time, depth, area lost, "
                             "market share, fitness, latency, congestion); the CSV has all")
    parser.add_argument("--x", default=None, help="grid: parameter on the x axis")
    parser.add_argument("--y", default=None, help="grid: parameter on the y axis")
    parser.add_argument("--out", type=Path, default=None,
                        help="folder for the CSV and figures (default: DIR/analysis/)")
    parser.add_argument("--winner-metric", default=None, metavar="OUTPUT",
                        help="grid with several structures: output of the winner map "
                             "(default: the experiment's [analysis] winner_metric, else "
                             "s0_area_lost, else mean_market_share)")
    parser.add_argument("--better", choices=("lower", "higher"), default=None,
                        help="direction of --winner-metric and --discover outputs "
                             "(default: from the name: losses, times, costs lower)")
    parser.add_argument("--discover", action="append", default=[], metavar="A:B:OUTPUT:D",
                        help="scenario discovery (PRIM): conditions under which structure A "
                             "beats B on OUTPUT by at least D (mean paired advantage); "
                             "repeatable; writes discovery.csv")
    parser.add_argument("--per-pair", action="store_true",
                        help="--discover: one point per condition and replicate pair instead "
                             "of one per condition")


def run(args: argparse.Namespace) -> int:
    """Analyse the sweep, write the CSV and figures, print the main table."""
    from simulation.sweep.report import analyze_folder

    return analyze_folder(args)
