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
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from simulation.config.schema import ModelConfig
from simulation.config.seeds import describe_seed
from simulation.errors import UserError
from simulation.execution.budget import check_configs
from simulation.execution.processes import fault_point
from simulation.sweep.design import Design
from simulation.sweep.spec import ResolvedExperiment
from simulation.sweep.storage import SweepStore
from simulation.sweep.worker import run_batch

#: Seconds ``DaskCluster`` waits for the scheduler before giving up.
CONNECT_TIMEOUT = 4.0
#: Seconds a Dask sweep waits with no worker connected before it stops (resume completes it).
NO_WORKERS_TIMEOUT = 60.0
#: Times a local pool is rebuilt after a worker died before the batch is recorded as failed.
POOL_RESTARTS = 3
MAX_AUTO_BATCH = 20


def total_runs(resolved: ResolvedExperiment, design: Design) -> int:
    return len(design) * resolved.replicates * len(resolved.structures)


def plan_jobs(resolved: ResolvedExperiment, design: Design, done: set[int],
              batch_size: int) -> list[dict[str, Any]]:
    """Batches (jobs for :func:`~.worker.run_batch`) of the runs not in ``done``."""
    structures = resolved.structures
    replicates = resolved.replicates
    pending = []
    for run in range(total_runs(resolved, design)):
        if run in done:
            continue
        point_replicate, s = divmod(run, len(structures))
        point, replicate = divmod(point_replicate, replicates)
        pending.append((run, point, structures[s], replicate, tuple(design.values[point])))
    common = {"base": resolved.base, "paths": [v.path for v in resolved.parameters],
              "columns": [v.column for v in resolved.parameters], "root": resolved.seed,
              "metric": resolved.metric, "outputs": list(resolved.experiment.outputs),
              "level_window": resolved.experiment.level_window}
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
class NoWorkers(UserError):
    """A Dask sweep stopped: the scheduler had no workers for the stated time."""


class InProcess:
    """Runs batches one after the other in this process."""

    workers = 1
    description = "1 worker (this process)"

    def map(self, jobs: list[dict]) -> Iterator[tuple[dict, dict | BaseException]]:
        for job in jobs:
            try:
                yield job, run_batch(job)
            except Exception as error:  # noqa: BLE001
                yield job, error

    def close(self) -> None:
        pass


class LocalProcesses:
    """A pool of ``workers`` local processes, rebuilt when one of them dies.

    Workers die with this process (:func:`~simulation.execution.processes.worker_initializer`). A
    worker killed mid-batch (out of memory, killed by hand) breaks the whole
    ``concurrent.futures`` pool: the pool is rebuilt and the batches that had not come back
    are sent again, up to :data:`POOL_RESTARTS` times per batch; a batch that keeps killing
    its worker is recorded as failed (its runs are retried by the next session).
    """

    def __init__(self, workers: int):
        self.workers = workers
        self.description = f"{workers} local worker processes"
        self.restarts = 0
        self._pool = self._new_pool()

    def _new_pool(self):
        import os
        from concurrent.futures import ProcessPoolExecutor

        from simulation.execution.processes import worker_initializer

        pool = ProcessPoolExecutor(max_workers=self.workers, initializer=worker_initializer,
                                   initargs=(os.getpid(),))
        # Start the workers now (they are forked on demand otherwise), before this process
        # reads Parquet files and starts threads that a fork must not copy mid-operation.
        for future in [pool.submit(_import_model) for _ in range(self.workers)]:
            future.result()
        return pool

    def map(self, jobs: list[dict]) -> Iterator[tuple[dict, dict | BaseException]]:
        from concurrent.futures import as_completed
        from concurrent.futures.process import BrokenProcessPool

        waiting = list(jobs)
        attempts: dict[str, int] = {}
        while waiting:
            futures = {self._pool.submit(run_batch, job): job for job in waiting}
            waiting = []
            broken = False
            for future in as_completed(futures):
                job = futures[future]
                error = future.exception()
                if isinstance(error, BrokenProcessPool):
                    broken = True
                    attempts[job["batch"]] = attempts.get(job["batch"], 0) + 1
                    if attempts[job["batch"]] <= POOL_RESTARTS:
                        waiting.append(job)
                        continue
                yield job, (error if error is not None else future.result())
            if broken:
                self._pool.shutdown(wait=False, cancel_futures=True)
                self.restarts += 1
                print(f"firmsim sweep: a worker process died; restarting the pool and "
                      f"running {len(waiting)} batch(es) again", file=sys.stderr)
                self._pool = self._new_pool()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def _import_model() -> None:
    import simulation.core.model  # noqa: F401


class DaskCluster:
    """An existing Dask ``distributed`` cluster at ``address``."""

    def __init__(self, address: str, timeout: float = CONNECT_TIMEOUT,
                 no_workers_timeout: float = NO_WORKERS_TIMEOUT):
        import logging

        self.no_workers_timeout = no_workers_timeout
        from distributed import Client

        if "://" not in address:
            address = f"tcp://{address}"
        # A failed connection logs its retries at ERROR level; the message below says it all.
        logger = logging.getLogger("distributed")
        level = logger.level
        logger.setLevel(logging.CRITICAL)
        try:
            _probe(address, timeout)
            self._client = Client(address, timeout=timeout, set_as_default=False)
        except Exception as error:  # noqa: BLE001 - any failure means: no usable scheduler
            if isinstance(error, (OSError, TimeoutError, ValueError)) and str(error):
                reason = str(error).splitlines()[0][:200]
            else:
                reason = "the server there does not answer like a Dask scheduler"
            raise UserError(f"--scheduler {address}: cannot reach a Dask scheduler within "
                            f"{timeout:g} s ({reason}); start one with `dask scheduler` "
                            "and workers with `dask worker ADDRESS`") from None
        finally:
            logger.setLevel(level)
        threads = sum(w.get("nthreads", 1) for w in
                      self._client.scheduler_info().get("workers", {}).values())
        self.workers = max(1, threads)
        self.description = f"Dask scheduler {address} ({threads} worker threads)"

    def map(self, jobs: list[dict]) -> Iterator[tuple[dict, dict | BaseException]]:

        futures = {}
        for job in jobs:
            future = self._client.submit(run_batch, job, pure=False,
                                         key=f"firmsim-batch-{job['batch']}-{uuid.uuid4().hex[:12]}")
            futures[future] = job
        from distributed import as_completed

        waiting = as_completed(list(futures), loop=self._client.loop)
        alone_since = None
        checked = time.monotonic()
        while not waiting.is_empty():
            if waiting.has_ready():
                for future in waiting.next_batch(block=False):
                    job = futures[future]
                    try:
                        yield job, future.result()
                    except Exception as error:  # noqa: BLE001 - the worker's exception
                        yield job, error
                    future.release()
                alone_since = None
                continue
            time.sleep(0.1)
            if time.monotonic() - checked < 1.0:
                continue  # ask the scheduler about its workers about once a second
            checked = time.monotonic()
            if self._worker_count() > 0:
                alone_since = None
            elif alone_since is None:
                alone_since = time.monotonic()
            elif time.monotonic() - alone_since >= self.no_workers_timeout:
                pending = [f for f in futures if not f.done()]
                self._client.cancel(pending)
                raise NoWorkers(
                    f"the Dask scheduler has had no workers for {self.no_workers_timeout:g} s; "
                    f"stopped with {len(pending)} batch(es) not run (start workers with "
                    "`dask worker ADDRESS` and run the same command again to resume)")

    def _worker_count(self) -> int:
        try:
            return len(self._client.nthreads())
        except Exception:  # noqa: BLE001 - a scheduler that does not answer has no workers
            return 0

    def close(self) -> None:
        self._client.close()


def _probe(address: str, timeout: float) -> None:
    """Ask the scheduler at ``address`` who it is, giving up after ``timeout`` seconds.

    Done before creating a ``Client``: a client whose connection failed can block for its
    own close timeout on the way out, and a peer that is not a Dask scheduler can make it
    fail in odd ways; this probe fails fast and cleanly in both cases.
    """
    import asyncio

    from distributed.core import rpc

    async def identity():
        remote = rpc(address, timeout=timeout)
        try:
            reply = await asyncio.wait_for(remote.identity(), timeout)
        finally:
            await remote.close_rpc()
        if not isinstance(reply, dict) or reply.get("type") != "Scheduler":
            kind = reply.get("type") if isinstance(reply, dict) else type(reply).__name__
            raise ValueError(f"the server there is a {kind}, not a scheduler")

    try:
        asyncio.run(identity())
    except TimeoutError:
        raise TimeoutError(f"no answer from {address}") from None


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

    @property
    def done(self) -> int:
        return self.done_before + self.done_now

    def overhead_share(self) -> float:
        """Share of worker time not spent running models (scheduling, serialising, writing,
        start-up, idle tail): ``1 - run time / (workers x wall time)``."""
        capacity = self.workers * self.wall_seconds
        return max(0.0, 1.0 - self.run_seconds / capacity) if capacity > 0 else float("nan")


def run_sweep(resolved: ResolvedExperiment, design: Design, store: SweepStore, executor,
              batch_size: int | None = None, progress: bool = True) -> SweepOutcome:
    """Run every run of the sweep that is not on disk yet; append batches as they finish."""
    total = total_runs(resolved, design)
    done = store.done_runs()
    pending = total - len(done)
    size = batch_size or resolved.experiment.batch_size or auto_batch_size(
        pending, executor.workers)
    jobs = plan_jobs(resolved, design, done, size)
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
                bar.update(len(job["runs"]))
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
