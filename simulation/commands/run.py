"""``firmsim run SCENARIO``: every structure of a scenario over common replicate seeds.

Writes ``timeseries.parquet``, ``resilience.parquet``, ``summary.csv``, ``levels.csv``,
``comparison.png``, ``process.png`` and ``manifest.json`` to ``--out`` (default
``results/<scenario name>/``) and prints the summary. ``SCENARIO`` is a shipped name, a TOML
file, or a ``manifest.json`` (or results folder) to re-run exactly.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from simulation.errors import UserError

HELP = "run a scenario file and write its results"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``firmsim run``."""
    parser.add_argument("scenario", metavar="SCENARIO",
                        help="shipped scenario name (see `firmsim scenarios`), a .toml file, or "
                             "a results manifest.json / folder to re-run")
    parser.add_argument("--replicates", type=int, default=None,
                        help="replicates per structure (default: the scenario's)")
    parser.add_argument("--seed", type=int, default=None,
                        help="root seed of the replicate seeds (default: the scenario's)")
    parser.add_argument("--steps", type=int, default=None,
                        help="steps per run (default: the scenario's; shocks must fall before)")
    parser.add_argument("--out", type=Path, default=None,
                        help="output folder (default: results/<scenario name>/)")
    parser.add_argument("--set", dest="assignments", action="append", default=[],
                        metavar="KEY=VALUE",
                        help="override a scenario field by dotted path, value in TOML "
                             "(firm.employees=500, shocks.0.step=120, "
                             "structures=[\"hierarchy\",\"network\"]); repeatable")
    parser.add_argument("--workers", type=int, default=None,
                        help="worker processes (default: one per core); results do not "
                             "depend on it")
    parser.add_argument("--force", action="store_true",
                        help="overwrite an output folder holding another scenario's results")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--precision", type=float, default=None, metavar="HALF_WIDTH",
                        help="add paired replicates (in batches) until the 95%% interval of "
                             "every paired difference of --precision-metric against the "
                             "first structure is narrower than +/- HALF_WIDTH, or "
                             "--max-replicates is reached; the first batch is --replicates")
    parser.add_argument("--precision-metric", default=None, metavar="NAME",
                        help="figure whose paired differences must be precise: a resilience "
                             "figure of the scenario's metric (area_lost, depth, post_level, "
                             "plateau ...; per shock) or a step metric (its level over the "
                             "last steps); default: area_lost with shocks, else the "
                             "scenario's resilience metric")
    parser.add_argument("--max-replicates", type=int, default=100,
                        help="with --precision: stop at this many replicates (default 100)")
    parser.add_argument("--precision-step", type=int, default=5,
                        help="with --precision: replicates added per batch (default 5)")


def run(args: argparse.Namespace) -> int:
    """Run the scenario, write the results folder, print the summary."""
    from simulation.config.scenario import command_assignments
    from simulation.execution.budget import check_disk, check_run_budget, run_output_bytes
    from simulation.store.atomic import expected_output
    from simulation.store.locks import folder_lock
    from simulation.store.manifest import check_manifest_seeds, manifest_differences
    from simulation.store.sources import resolve

    if args.workers is not None and args.workers < 1:
        raise UserError(f"--workers={args.workers}: must be at least 1")
    assignments = command_assignments(args)
    scenario, source, manifest = resolve(args.scenario, assignments)
    if manifest is not None:
        check_manifest_seeds(manifest)
        for note in manifest_differences(manifest):
            print(f"firmsim run: note: {note}; numbers may differ", file=sys.stderr)
    out = args.out or Path("results") / scenario.name
    runs = len(scenario.structures) * scenario.replicates
    workers = args.workers or min(runs, os.cpu_count() or 1)
    check_run_budget(scenario.model_config_only(), runs, workers)
    if "org_chart" in scenario.structures:
        from simulation.core.org_chart import read_chart

        # A missing, malformed or oversized chart: one line before anything is written.
        read_chart(scenario.model_config_only().firm.org_chart)
    needed = run_output_bytes(scenario.model_config_only(), runs)
    check_disk(out, needed, f"the run ({runs} runs)")
    with folder_lock(out, "firmsim run"), expected_output(needed):
        return _run(args, scenario, source, out, runs, workers)


def _run(args, scenario, source, out: Path, runs: int, workers: int) -> int:
    from simulation.analysis.report import (
        format_differences,
        format_levels,
        format_table,
        plot_comparison,
        plot_process,
        write_csv,
        write_parquet,
    )
    from simulation.api import compare
    from simulation.config.scenario import scenario_data
    from simulation.config.vocabulary import level_metric_names
    from simulation.execution.experiment import summarise, summarise_levels
    from simulation.execution.processes import fault_point
    from simulation.store.manifest import read_manifest, run_manifest, write_manifest
    from simulation.store.results import check_output_folder, file_hashes, set_aside, verify_folder

    fault_point("run:locked")
    check_output_folder(out, scenario.name, args.force)
    data = scenario_data(scenario)
    from simulation.execution.competition import compared_scenario

    scenario = compared_scenario(scenario)  # with firms: one market, its firms compared
    try:
        previous = read_manifest(out, missing_ok=True)
    except Exception:  # noqa: BLE001 - a damaged manifest is set aside below
        previous = None
    aside = set_aside(out, same_config=bool(previous) and previous.get("scenario") == data)
    if aside is not None:
        print(f"firmsim run: note: moved the folder's previous results to {aside}",
              file=sys.stderr)
    print(f"firmsim run: {scenario.name}: {len(scenario.structures)} structures x "
          f"{scenario.replicates} replicates, {scenario.steps} steps, "
          f"{scenario.customers.count} customers, {scenario.firm.employees} employees, "
          f"{len(scenario.shocks)} shock(s); {workers} worker(s) -> {out}")
    record = run_manifest(scenario.name, data, source,
                          list(getattr(args, "argv", None) or sys.argv), workers)
    write_manifest(record, out)
    fault_point("run:manifest-running")
    started = time.perf_counter()
    # The computation is the Python API's (simulation.api.compare); this command adds the
    # folder, the manifest, the tables and the figures.
    result = compare(scenario, workers=workers, precision=args.precision,
                     precision_metric=args.precision_metric,
                     max_replicates=args.max_replicates, precision_step=args.precision_step,
                     progress=not args.no_progress)
    timeseries, resilience, precise = result.timeseries, result.resilience, result.precision
    if precise is not None:
        record.update(precision_record(precise, args, scenario))
        # A re-run of this manifest runs the final count (same seeds, same tables).
        record["scenario"]["replicates"] = precise.replicates
        scenario = result.scenario
    elapsed = time.perf_counter() - started
    summary = summarise(resilience, scenario.structures)
    levels = summarise_levels(timeseries, scenario.structures,
                              metrics=tuple(dict.fromkeys((scenario.resilience_metric,
                                                           *level_metric_names()))))
    fault_point("run:computed")
    write_parquet(timeseries, out / "timeseries.parquet")
    fault_point("run:timeseries-written")
    write_parquet(resilience, out / "resilience.parquet")
    fault_point("run:resilience-written")
    write_csv(summary, out / "summary.csv")
    write_csv(levels, out / "levels.csv")
    shocks = [s.step for s in scenario.shocks]
    metric = scenario.resilience_metric.replace("_", " ")
    plot_comparison(timeseries, scenario.resilience_metric, shocks, out / "comparison.png",
                    title=f"{scenario.name}: {metric} by structure (mean, 95% band; "
                          "dashed: shocks)")
    plot_process(timeseries, shocks, out / "process.png")
    fault_point("run:files-written")
    record.update(status="complete", run_seconds=round(elapsed, 2), files=file_hashes(out))
    write_manifest(record, out)
    verify_folder(out)  # every file reads back with the hash the manifest records
    fault_point("run:complete")

    print()
    if scenario.description:
        print(scenario.description)
    if precise is not None:
        print(f"Replicates: {precise.sentence()}.")
    if len(summary):
        differences = format_differences(summary)
        if differences:
            print(f"Paired difference of {metric} against {scenario.structures[0]} (same "
                  f"seeds, mean [95% t-interval] over {scenario.replicates} pairs; "
                  "* : interval excludes 0):")
            print(differences)
            print()
        print(f"Resilience of {metric} (mean [95% interval] over {scenario.replicates} "
              "replicates; recovery: Kaplan-Meier median [95% interval] in steps after the "
              "shock, to 95% of the old baseline and, as settling, to 95% of the run's own "
              "post-shock plateau):")
        print(format_table(summary, figures=("baseline", "plateau", "depth", "recovery_time",
                                             "plateau_recovery_time", "area_lost",
                                             "post_level")))
    else:
        print("No shocks scheduled: no resilience figures.")
    window = int(levels["window"].iloc[0]) if len(levels) else 0
    print(f"\nLevel over the last {window} steps (mean [95% interval]):")
    print(format_levels(levels))
    total = len(scenario.structures) * scenario.replicates
    print(f"\n{total} runs in {elapsed:.1f} s; wrote {out}/: timeseries.parquet, "
          "resilience.parquet, summary.csv, levels.csv, comparison.png, process.png, "
          "manifest.json")
    return 0



def precision_record(precise, args, scenario) -> dict:
    """What the manifest says about a precision run: target, metric, which limit was hit."""
    from simulation.config.seeds import SEED_RULE
    from simulation.store.manifest import seed_records

    differences = precise.differences
    others = differences[differences["structure"] != differences["reference"]]
    return {
        "precision": {
            "target_half_width": args.precision, "metric": precise.differences["metric"].iloc[0],
            "first_batch": scenario.replicates, "step": args.precision_step,
            "max_replicates": args.max_replicates, "replicates": precise.replicates,
            "stopped_by": precise.reason,
            "widest_half_width": float(others["half_width"].max()),
            "sentence": precise.sentence()},
        "seeds": {"root": scenario.seed, "replicates": precise.replicates,
                  "rule": SEED_RULE,
                  "replicate_seeds": seed_records(scenario.seed, precise.replicates)},
    }
