"""Running a sweep: plan the missing runs, batch them, execute locally or on Dask, append.

:func:`run_sweep` reads what is already on disk (:class:`~.storage.SweepStore`), plans
batches of the missing runs (consecutive run numbers, so runs sharing a design point share
its validated config), sends them to an executor and appends each batch's rows as it comes
back. Executors:

- :class:`InProcess` (one worker): runs batches in this process;
- :class:`LocalProcesses`: a pool of local worker processes (no server to start);
- :class:`DaskCluster`: an existing ``distributed`` scheduler (``tcp://host:port``).

The numbers of a run depend only on its design point, replicate and structure (see
:mod:`.worker`), so every executor, worker count and batch size gives the same dataset.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from simulation.config.schema import ModelConfig
from simulation.config.seeds import describe_seed
from simulation.execution.budget import check_configs
from simulation.execution.executor import (
    CONNECT_TIMEOUT,  # noqa: F401 - part of this module's interface
    NO_WORKERS_TIMEOUT,  # noqa: F401
    POOL_RESTARTS,  # noqa: F401
    LocalPool,
    NoWorkers,  # noqa: F401
)
from simulation.execution.executor import DaskCluster as _DaskCluster
from simulation.execution.executor import InProcess as _InProcess
from simulation.execution.processes import fault_point
from simulation.sweep.design import Design
from simulation.sweep.spec import ResolvedExperiment
from simulation.sweep.storage import SweepStore
from simulation.sweep.worker import MARKET, run_batch

MAX_AUTO_BATCH = 20


def total_runs(resolved: ResolvedExperiment, design: Design) -> int:
    """Runs of the sweep (with precision: at most); in a market sweep, one per firm of each
    market (point x replicate)."""
    if resolved.market:
        return resolved.replicate_stride * sum(len(resolved.firms_at(values))
                                               for values in design.values)
    return len(design) * resolved.replicate_stride * len(resolved.structures)


def run_number(resolved: ResolvedExperiment, point: int, replicate: int, slot: int) -> int:
    """The run number of structure (or firm name) number ``slot`` at ``point`` and
    ``replicate``: ``(point x stride + replicate) x structures + slot``, the stride being
    :attr:`~.spec.ResolvedExperiment.replicate_stride`."""
    return (point * resolved.replicate_stride + replicate) * len(resolved.structures) + slot


def plan_jobs(resolved: ResolvedExperiment, design: Design, done: set[int],
              batch_size: int, targets: Sequence[int] | None = None) -> list[dict[str, Any]]:
    """Batches (jobs for :func:`~.worker.run_batch`) of the runs not in ``done``.

    ``targets`` gives the replicates wanted at each point (default: the experiment's
    ``replicates`` everywhere). In a market sweep a job's entry is a whole market (structure
    :data:`~.worker.MARKET`) whose run number is that of its first firm slot; firm ``f`` of
    it is run ``run + structures.index(f)`` (:mod:`.worker`).
    """
    structures = resolved.structures
    if targets is None:
        targets = [resolved.replicates] * len(design)
    pending = []
    for point, values in enumerate(design.values):
        values = tuple(values)
        if resolved.market:
            slots = [structures.index(name) for name in resolved.firms_at(values)]
            for replicate in range(targets[point]):
                first = run_number(resolved, point, replicate, 0)
                if not all(first + s in done for s in slots):
                    pending.append((first, point, MARKET, replicate, values))
            continue
        for replicate in range(targets[point]):
            for slot, structure in enumerate(structures):
                run = run_number(resolved, point, replicate, slot)
                if run not in done:
                    pending.append((run, point, structure, replicate, values))
    common = {"base": resolved.base, "paths": [v.path for v in resolved.parameters],
              "columns": [v.column for v in resolved.parameters], "root": resolved.seed,
              "metric": resolved.metric, "outputs": list(resolved.experiment.outputs),
              "level_window": resolved.experiment.level_window, "structures": structures}
    jobs = []
    for start in range(0, len(pending), batch_size):
        chunk = pending[start:start + batch_size]
        jobs.append({**common, "batch": f"{chunk[0][0]:09d}-{chunk[-1][0]:09d}",
                     "runs": chunk})
    return jobs


def auto_batch_size(pending: int, workers: int) -> int:
    """About eight batches per worker, at most :data:`MAX_AUTO_BATCH` runs each."""
    return max(1, min(MAX_AUTO_BATCH, math.ceil(pending / max(1, workers * 8))))


# ---------------------------------------------------------------------------- executors
class InProcess(_InProcess):
    """Runs batches one after the other in this process."""

    def map(self, jobs: list[dict]) -> Iterator[tuple[dict, dict | BaseException]]:
        return super().map(run_batch, jobs)


class LocalProcesses(LocalPool):
    """Batches on ``workers`` local processes (:class:`~simulation.execution.executor.LocalPool`:
    workers die with this process; the pool is rebuilt when one of them dies, and a batch
    that keeps killing its worker is recorded as failed; its runs are retried by the next
    session)."""

    def __init__(self, workers: int):
        super().__init__(workers, name="firmsim sweep")

    def map(self, jobs: list[dict]) -> Iterator[tuple[dict, dict | BaseException]]:
        return super().map(run_batch, jobs)


class DaskCluster(_DaskCluster):
    """Batches on an existing Dask ``distributed`` cluster at ``address``."""

    def map(self, jobs: list[dict]) -> Iterator[tuple[dict, dict | BaseException]]:
        return super().map(run_batch, jobs)


# ---------------------------------------------------------------------------- the sweep
@dataclass
class SweepOutcome:
    """What a (possibly resumed) sweep did."""

    total: int
    done_before: int
    done_now: int = 0
    failed_now: int = 0
    batches: int = 0
    batch_size: int = 0
    wall_seconds: float = 0.0
    run_seconds: float = 0.0
    workers: int = 1
    failures: pd.DataFrame = field(default_factory=pd.DataFrame)
    rounds: int = 1
    unresolved: list[int] = field(default_factory=list)

    @property
    def done(self) -> int:
        return self.done_before + self.done_now

    def overhead_share(self) -> float:
        """Share of worker time not spent running models (scheduling, serialising, writing,
        start-up, idle tail): ``1 - run time / (workers x wall time)``."""
        capacity = self.workers * self.wall_seconds
        return max(0.0, 1.0 - self.run_seconds / capacity) if capacity > 0 else float("nan")


def planned_runs(resolved: ResolvedExperiment, design: Design,
                 targets: Sequence[int] | None = None) -> set[int]:
    """Run numbers of the sweep with ``targets`` replicates per point (default: the
    experiment's ``replicates`` everywhere)."""
    if targets is None:
        targets = [resolved.replicates] * len(design)
    structures = resolved.structures
    runs = set()
    for point, values in enumerate(design.values):
        slots = ([structures.index(name) for name in resolved.firms_at(values)]
                 if resolved.market else range(len(structures)))
        runs.update(run_number(resolved, point, replicate, slot)
                    for replicate in range(targets[point]) for slot in slots)
    return runs


def run_sweep(resolved: ResolvedExperiment, design: Design, store: SweepStore, executor,
              batch_size: int | None = None, progress: bool = True,
              targets: Sequence[int] | None = None) -> SweepOutcome:
    """Run every run of the sweep (``targets`` replicates per point, default the
    experiment's) that is not on disk yet; append batches as they finish."""
    planned = planned_runs(resolved, design, targets)
    total = len(planned)
    done = store.done_runs() & planned
    pending = total - len(done)
    size = batch_size or resolved.experiment.batch_size or auto_batch_size(
        pending, executor.workers)
    jobs = plan_jobs(resolved, design, done, size, targets)
    outcome = SweepOutcome(total=total, done_before=len(done), batches=len(jobs),
                           batch_size=size, workers=executor.workers)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=total, initial=len(done), unit="run", desc="runs", file=sys.stderr,
                   dynamic_ncols=True, smoothing=0.1)
        bar.set_postfix(failed=0)
    started = time.perf_counter()
    try:
        for job, result in executor.map(jobs):
            if isinstance(result, BaseException):
                result = _failed_batch(job, result)
            store.write_batch(job["batch"], result["rows"], result["timeseries"],
                              result["errors"])
            fault_point("sweep:batch-written")
            outcome.done_now += len(result["rows"])
            outcome.failed_now += len(result["errors"])
            outcome.run_seconds += result["run_seconds"]
            if bar is not None:
                bar.update(len(result["rows"]) + len(result["errors"]))
                bar.set_postfix(failed=outcome.failed_now)
    finally:
        outcome.wall_seconds = time.perf_counter() - started
        if bar is not None:
            bar.close()
    outcome.failures = store.failures()
    return outcome


def _failed_batch(job: dict, error: BaseException) -> dict:
    """Error records for every run of a batch that failed as a whole (worker lost...)."""
    message = f"{type(error).__name__}: {error}".strip()
    errors = []
    for run, point, structure, replicate, values in job["runs"]:
        errors.append({"run": run, "point": point, "structure": structure,
                       "replicate": replicate, **dict(zip(job["columns"], values, strict=True)),
                       "seed": describe_seed(job["root"], replicate, point),
                       "error": f"batch failed: {message}", "traceback": ""})
    return {"rows": [], "timeseries": None, "errors": errors, "run_seconds": 0.0,
            "batch_seconds": 0.0}


def check_budget(resolved, design, workers: int) -> None:
    """:func:`check_configs` for a sweep: the base and every design point's configuration."""
    from simulation.sweep.runner import total_runs
    from simulation.sweep.spec import point_config

    configs = [point_config(resolved.base, [v.path for v in resolved.parameters], list(values))
               for values in design.values]
    check_configs(configs or [ModelConfig.model_validate(resolved.base)],
                  total_runs(resolved, design), workers, where="")
