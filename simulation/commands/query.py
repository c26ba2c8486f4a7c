"""``firmsim query DIR "SQL"``: DuckDB SQL over the Parquet files of a results folder.

A run's folder: ``timeseries`` (one row per structure, replicate and step), ``resilience``
(one row per structure, replicate and shock), and ``summary`` / ``levels`` (the CSV
summaries). A sweep's folder: ``runs`` (one row per run), ``design`` and, when kept,
``timeseries`` and ``errors`` (:func:`simulation.api.query`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HELP = "run DuckDB SQL over a results folder"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``firmsim query``."""
    parser.add_argument("folder", type=Path, metavar="DIR",
                        help="results folder of firmsim run or firmsim sweep")
    parser.add_argument("sql", metavar="SQL",
                        help="DuckDB SQL over the tables timeseries, resilience, summary, "
                             "levels (a run) or runs, design, timeseries (a sweep), e.g. "
                             "\"SELECT structure, avg(depth) FROM resilience GROUP BY 1\"")
    parser.add_argument("--format", choices=("table", "csv"), default="table",
                        help="table (default) or csv")
    parser.add_argument("--max-rows", type=int, default=100,
                        help="rows printed as a table (default 100; 0: all)")


def run(args: argparse.Namespace) -> int:
    """Run the query and print the result."""
    import pandas as pd

    from simulation.api import query

    result = query(args.folder, args.sql)
    if result is None:
        return 0
    if args.format == "csv":
        result.to_csv(sys.stdout, index=False)
        return 0
    shown = result if args.max_rows <= 0 else result.head(args.max_rows)
    with pd.option_context("display.width", 200, "display.max_columns", None,
                           "display.max_colwidth", 60):
        print(shown.to_string(index=False) if len(shown) else "(no rows)")
    if len(shown) < len(result):
        print(f"... {len(result) - len(shown)} more rows ({len(result)} in all; "
              "--max-rows 0 prints all)")
    return 0
