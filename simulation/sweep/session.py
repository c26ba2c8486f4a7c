"""Running a sweep into its results folder: the work of ``firmsim sweep`` and of
:func:`simulation.api.sweep` (one code path for both).

Runs every design point x structure x replicate of an experiment file and appends the results
to the folder as batches finish. Started again after an interruption, it runs only what is
missing (and retries failed runs). See ``docs/sweeps.md``.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import sys
from pathlib import Path

from simulation.errors import UserError


def build_manifest(resolved, design, source: str, argv: list[str] | None) -> dict:
    """The manifest of a sweep (status ``running``): the experiment's fingerprint extended
    with the design's points, so a resumed folder holds exactly these runs."""
    from simulation.store.manifest import sweep_manifest
    from simulation.sweep.runner import total_runs

    points = json.dumps([list(v) for v in design.values])
    fingerprint = hashlib.sha256(
        (resolved.fingerprint() + hashlib.sha256(points.encode()).hexdigest()).encode()
    ).hexdigest()
    summary = {"kind": resolved.experiment.design, "points": len(design),
               "runs": total_runs(resolved, design), "structures": resolved.structures,
               "replicates": resolved.replicates,
               "max_replicates": resolved.replicate_stride, "parameters": design.names,
               "problem": design.problem}
    return sweep_manifest(resolved.experiment.name, fingerprint, resolved.data(), summary,
                          resolved.seed, source, argv)


def run_sweep_folder(args) -> int:
    """Run (or resume) the sweep ``args`` describes (the options of ``firmsim sweep``, as an
    :class:`argparse.Namespace` or any object with those attributes); exit status 1 if some
    runs failed."""
    from simulation.config.schema import ModelConfig
    from simulation.execution.budget import check_design_size, check_disk, run_seconds
    from simulation.store.atomic import expected_output
    from simulation.store.locks import folder_lock
    from simulation.sweep.design import build_design, point_count
    from simulation.sweep.runner import check_budget
    from simulation.sweep.spec import load_experiment
    from simulation.sweep.storage import SweepStore

    if args.workers is not None and args.workers < 1:
        raise UserError(f"--workers={args.workers}: must be at least 1")
    if args.batch_size is not None and args.batch_size < 1:
        raise UserError(f"--batch-size={args.batch_size}: must be at least 1")
    resolved = load_experiment(args.experiment)
    workers = args.workers or os.cpu_count() or 1
    # The design's size and time, from its definition, before it is built.
    points = point_count(resolved)
    slots = max(map(len, resolved.lineups())) if resolved.market else len(resolved.structures)
    runs = points * resolved.replicate_stride * slots  # with precision: at most
    base = ModelConfig.model_validate(resolved.base)
    size = check_design_size(points, runs, run_seconds(base) * runs / workers, workers,
                             yes=getattr(args, "yes", False),
                             what=f"{resolved.experiment.design} design")
    print(f"firmsim sweep: {size}", flush=True)
    design = build_design(resolved)
    check_budget(resolved, design, workers)
    out = args.out or Path("results") / "sweeps" / resolved.experiment.name
    manifest = build_manifest(resolved, design, resolved.source,
                              list(getattr(args, "argv", None) or sys.argv))
    # Disk space for the runs not on disk yet (read without the lock: an estimate).
    try:
        done = len(SweepStore(out).done_runs()) if (out / "runs").is_dir() else 0
    except UserError:
        done = 0  # a damaged part: the checks below name it (or --repair drops it)
    pending = max(0, manifest["design"]["runs"] - done)
    needed = _output_bytes(resolved, args, pending)
    check_disk(out, needed, f"the sweep ({pending} runs to go)")
    with folder_lock(out, "firmsim sweep"), expected_output(needed):
        return _sweep(args, resolved, design, out, manifest)


def _output_bytes(resolved, args, pending: int) -> int:
    """Estimated bytes the sweep's ``pending`` runs write
    (:func:`simulation.execution.budget.sweep_output_bytes`)."""
    from simulation.execution.budget import sweep_output_bytes
    from simulation.sweep.runner import auto_batch_size

    workers = args.workers or os.cpu_count() or 1
    size = args.batch_size or resolved.experiment.batch_size or auto_batch_size(pending,
                                                                                workers)
    steps = int(resolved.base.get("steps", 500))
    return sweep_output_bytes(pending, steps, -(-pending // size),
                              "timeseries" in resolved.experiment.outputs)


def _sweep(args, resolved, design, out: Path, manifest: dict) -> int:
    from simulation.execution.processes import fault_point
    from simulation.sweep.runner import (
        NO_WORKERS_TIMEOUT,
        DaskCluster,
        InProcess,
        LocalProcesses,
        NoWorkers,
        planned_runs,
    )
    from simulation.sweep.storage import SweepStore

    store = SweepStore(out)
    # Refuses another experiment's folder; writes nothing.
    existing = store.check(manifest, repair=args.repair)

    if args.scheduler:
        timeout = args.no_workers_timeout
        if timeout is not None and not 0 < timeout <= 86400:
            raise UserError(f"--no-workers-timeout={timeout}: allowed values are above 0 "
                            "to 86400 seconds")
        executor = DaskCluster(args.scheduler, no_workers_timeout=timeout or NO_WORKERS_TIMEOUT)
    else:
        workers = args.workers or os.cpu_count() or 1
        executor = InProcess() if workers == 1 else LocalProcesses(workers)
    stopped = None
    try:
        if existing is not None:
            manifest["sessions"] = list(existing.get("sessions") or [])
            manifest["created"] = existing.get("created")
            manifest["files"] = existing.get("files")
        else:
            manifest["created"] = _now()
        dropped = store.start(manifest, design.table(), repair=args.repair)
        fault_point("sweep:started")
        for path in dropped:
            print(f"firmsim sweep: repair: dropped {path}", file=sys.stderr)
        total = manifest["design"]["runs"]
        done = len(store.done_runs())
        experiment = resolved.experiment
        print(f"firmsim sweep: {experiment.name}: {experiment.design} design, {len(design)} "
              f"points x {len(resolved.structures)} "
              f"{'firms (one market per point)' if resolved.market else 'structures'} x "
              + (f"{resolved.replicates} replicates first, up to "
                 f"{experiment.precision.max_replicates} by precision = at most {total} runs"
                 if experiment.precision is not None else
                 f"{resolved.replicates} replicates = {total} runs")
              + f"; {executor.description} -> {out}")
        if done:
            print(f"firmsim sweep: resuming: {done} runs already on disk, "
                  f"{total - done} to run")
        session = {"started": _now(), "executor": executor.description}
        try:
            outcome, targets = _rounds(resolved, design, store, executor, args)
        except NoWorkers as error:
            stopped = error
    finally:
        executor.close()
    if stopped is not None:
        done = len(store.done_runs())
        session.update(finished=_now(), stopped=str(stopped))
        manifest["sessions"].append(session)
        manifest.update(status="incomplete", runs_done=done)
        store.write_manifest(manifest)
        raise UserError(f"{stopped}; {done}/{manifest['design']['runs']} runs on disk")

    fault_point("sweep:before-verify")
    store.verify()  # every file of the folder matches its hash before "complete"
    failures = outcome.failures
    session.update(finished=_now(), runs_done=outcome.done_now, failed=outcome.failed_now,
                   batches=outcome.batches, batch_size=outcome.batch_size,
                   wall_seconds=round(outcome.wall_seconds, 2),
                   run_seconds=round(outcome.run_seconds, 2),
                   overhead_share=round(outcome.overhead_share(), 4))
    manifest["sessions"].append(session)
    complete = planned_runs(resolved, design, targets) <= store.done_runs()
    manifest.update(status="complete" if complete else "incomplete", runs_done=outcome.done,
                    runs_failed=len(failures))
    if resolved.experiment.precision is not None:
        manifest["precision"] = {"replicates": targets, "rounds": outcome.rounds,
                                 "unresolved": outcome.unresolved}
    store.write_manifest(manifest)
    fault_point("sweep:after-manifest")

    rate = outcome.done_now / outcome.wall_seconds if outcome.wall_seconds > 0 else 0.0
    print(f"firmsim sweep: {outcome.done_now} runs in {outcome.wall_seconds:.1f} s "
          f"({rate:.2f} runs/s, {outcome.batches} batches of up to {outcome.batch_size}; "
          f"overhead {outcome.overhead_share():.1%} of worker time); "
          f"{outcome.done}/{outcome.total} runs on disk")
    if len(failures):
        print(f"firmsim sweep: {len(failures)} run(s) failed (kept in {out / 'errors'}; run "
              "the same command again to retry them):", file=sys.stderr)
        columns = [c for c in design.names if c in failures.columns]
        for _, row in failures.head(20).iterrows():
            params = ", ".join(f"{c}={row[c]!r}" for c in columns)
            print(f"  run {row['run']} (point {row['point']}, {row['structure']}, replicate "
                  f"{row['replicate']}; {params}; {row['seed']}): {row['error']}",
                  file=sys.stderr)
        if len(failures) > 20:
            print(f"  ... and {len(failures) - 20} more", file=sys.stderr)
        return 1
    print(f"firmsim sweep: complete; analyse with `firmsim analyze {out}`")
    return 0


def _rounds(resolved, design, store, executor, args):
    """Run the sweep: one round, or with ``[precision]`` rounds that add replicates where a
    point's leader is not yet told apart (:mod:`simulation.analysis.precision`), until every
    point is resolved or at ``max_replicates``. Which points get more depends only on the
    runs of the replicates planned so far (not on what else an interrupted session left on
    disk), so a resumed sweep takes the same rounds. Returns the summed outcome (with
    ``rounds`` and ``unresolved`` points) and the replicates planned per point."""
    import pandas as pd

    from simulation.analysis.precision import next_targets, point_resolution
    from simulation.sweep.runner import run_sweep

    precision = resolved.experiment.precision
    targets = [resolved.replicates] * len(design)
    total = None
    rounds = 0
    while True:
        rounds += 1
        step = run_sweep(resolved, design, store, executor, batch_size=args.batch_size,
                         progress=not args.no_progress, targets=targets)
        if total is None:
            total = step
        else:
            total.total = step.total
            for name in ("done_now", "failed_now", "batches", "wall_seconds", "run_seconds"):
                setattr(total, name, getattr(total, name) + getattr(step, name))
            total.failures = step.failures
        total.rounds, total.unresolved = rounds, []
        if precision is None:
            return total, targets
        runs = store.read("runs")
        if runs.empty:
            return total, targets
        wanted = pd.Series(targets).reindex(runs["point"].to_numpy()).to_numpy()
        runs = runs[runs["replicate"].to_numpy() < wanted]
        resolution = point_resolution(runs, precision.margins, resolved.structures,
                                      precision.confidence)
        total.unresolved = [int(p) for p in resolution.loc[~resolution["resolved"], "point"]]
        following = next_targets(targets, resolution, precision.step,
                                 precision.max_replicates)
        more = sum(following) - sum(targets)
        print(f"firmsim sweep: precision round {rounds}: {int(resolution['resolved'].sum())} "
              f"of {len(design)} points resolved"
              + (f"; {more} more replicates for {len(total.unresolved)} points"
                 if more else "") + (f"; {len(total.unresolved)} at max_replicates="
                                     f"{precision.max_replicates}, still open"
                                     if not more and total.unresolved else ""), flush=True)
        if following == targets:
            return total, targets
        targets = following


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
