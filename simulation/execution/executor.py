"""One executor for every parallel path: local worker processes or a Dask cluster.

Every parallel path of firmsim gets its processes here: the structures and replicates of
``firmsim run`` and ``firmsim demo`` (:mod:`simulation.execution.experiment`), the batches of
a sweep (:mod:`simulation.sweep.runner`), the replicates of a design-search trial
(:mod:`simulation.design.runs`) and the app's comparisons (:mod:`simulation.ui.runner`, through
:class:`ServiceProcess`). They share:

- **one start method** (:func:`start_method`): ``forkserver`` on Linux, ``spawn`` elsewhere;
  never ``fork`` (forking a process that has threads, as DuckDB, Arrow, tqdm and the app's
  server start, can copy a lock mid-operation and hang the child; Python 3.12 warns and 3.14
  no longer forks by default). The fork server imports the model once
  (:data:`PRELOAD`), so a new worker is a fork of a warm, single-threaded process;
- **one worker initializer** (:func:`initialize_worker`): the worker dies with its parent
  (``PR_SET_PDEATHSIG``), takes the parent's ``FIRMSIM_*`` settings (the fork server was
  started with the environment of its time) and imports the model;
- **one interface** (:class:`Executor`): ``map(function, items)`` yields ``(item, result)``
  in completion order, ``result`` being the function's value or the exception it raised;
  :class:`InProcess` (one worker), :class:`LocalPool` (local processes, rebuilt when one
  dies) and :class:`DaskCluster` (a scheduler address, as given with ``--scheduler``).

Numbers never depend on the executor or the number of workers: every task carries its own
seed (:func:`simulation.config.seeds.run_seed`) and callers put results back in task order.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Protocol

from simulation.errors import UserError
from simulation.execution.processes import die_with_parent

#: Modules the fork server imports once, so every worker starts with them loaded (and the
#: model's kernels compiled: :mod:`simulation.execution.preload`).
PRELOAD = ("simulation.execution.preload",)
#: Environment of the fork server: one BLAS thread, one Numba thread and no background thread
#: of Arrow's allocator, so the server stays single-threaded and its forks copy no thread's
#: lock. One Numba thread also keeps the workers on the one-thread kernels
#: (:mod:`simulation.kernels.threads`): each worker already has a core, and a process forked
#: from one that has used GNU OpenMP is stopped when it runs a parallel kernel.
SERVER_ENVIRONMENT = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
                      "MKL_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1",
                      "JE_ARROW_MALLOC_CONF": "background_thread:false"}
#: Environment variable choosing the start method (``forkserver`` or ``spawn``; benchmarks).
START_VARIABLE = "FIRMSIM_START_METHOD"
#: Times a local pool is rebuilt for a task whose worker died before it is given up.
POOL_RESTARTS = 3
#: Seconds :class:`DaskCluster` waits for the scheduler before giving up.
CONNECT_TIMEOUT = 4.0
#: Seconds a Dask map waits with no worker connected before it stops.
NO_WORKERS_TIMEOUT = 60.0


def start_method() -> str:
    """``forkserver`` where the platform has it (Linux), else ``spawn``; never ``fork``.

    ``FIRMSIM_START_METHOD=spawn`` forces spawn (measured in
    ``experiments/benchmarks/bench_executor.py``).
    """
    methods = multiprocessing.get_all_start_methods()
    wanted = os.environ.get(START_VARIABLE, "").strip()
    if wanted in ("forkserver", "spawn") and wanted in methods:
        return wanted
    return "forkserver" if "forkserver" in methods else "spawn"


_server_lock = threading.Lock()


def context() -> multiprocessing.context.BaseContext:
    """The multiprocessing context of every firmsim worker (:func:`start_method`); with
    ``forkserver``, the server is started here (once per process), single-threaded."""
    method = start_method()
    ctx = multiprocessing.get_context(method)
    if method == "forkserver":
        _start_server(ctx)
    return ctx


def _start_server(ctx) -> None:
    """Start the fork server with :data:`PRELOAD` and :data:`SERVER_ENVIRONMENT` (the
    server takes this process's environment when it starts; it is restored at once)."""
    from multiprocessing import forkserver

    with _server_lock:
        server = forkserver._forkserver
        if getattr(server, "_forkserver_pid", None) is not None:
            return
        ctx.set_forkserver_preload(list(PRELOAD))
        saved = {key: os.environ.get(key) for key in SERVER_ENVIRONMENT}
        os.environ.update(SERVER_ENVIRONMENT)
        try:
            forkserver.ensure_running()
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def firmsim_environment() -> dict[str, str]:
    """This process's ``FIRMSIM_*`` settings, handed to every worker it starts."""
    return {key: value for key, value in os.environ.items() if key.startswith("FIRMSIM_")}


def initialize_worker(parent: int, environment: dict[str, str] | None = None) -> None:
    """The initializer of every worker process.

    Dies with ``parent`` (Linux; Ctrl-C still reaches workers through the terminal's process
    group), takes the parent's ``FIRMSIM_*`` settings (fault points of the tests, the app's
    worker count) and imports the model.
    """
    # A fork server's child has the server as parent, and the server lives while any
    # process holds its "alive" pipe, which each child receives a copy of: close it, so the
    # server exits when ``parent`` dies (and this worker with it), and watch ``parent``
    # itself as well.
    die_with_parent()
    _close_server_pipe()
    _watch(parent)
    for key in [k for k in os.environ if k.startswith("FIRMSIM_")]:
        if environment is None or key not in environment:
            del os.environ[key]
    os.environ.update(environment or {})
    import simulation.execution.runs  # noqa: F401 - loaded already when forked from the server


def _close_server_pipe() -> None:
    """Close this worker's copy of the fork server's "alive" pipe (``multiprocessing``
    hands one to every child so it could use the server too; firmsim workers never do)."""
    with contextlib.suppress(Exception):
        from multiprocessing import forkserver

        server = forkserver._forkserver
        fd = getattr(server, "_forkserver_alive_fd", None)
        if fd is not None:
            os.close(fd)
            server._forkserver_alive_fd = None
            server._forkserver_address = None
            server._forkserver_pid = None


def _watch(parent: int) -> None:
    """Exit this worker as soon as process ``parent`` ends (a daemon thread waiting on a
    pidfd; polling once a second where there is none)."""
    try:
        os.kill(parent, 0)
    except ProcessLookupError:
        os._exit(1)
    except PermissionError:
        return

    def wait() -> None:
        import select

        try:
            handle = os.pidfd_open(parent)
        except (AttributeError, OSError):
            handle = None
        if handle is not None:
            select.select([handle], [], [])
            os._exit(1)
        while True:
            time.sleep(1.0)
            try:
                os.kill(parent, 0)
            except ProcessLookupError:
                os._exit(1)

    threading.Thread(target=wait, name="firmsim-watch-parent", daemon=True).start()


def process_pool(workers: int) -> ProcessPoolExecutor:
    """A ``concurrent.futures`` pool of ``workers`` processes, started the one way."""
    return ProcessPoolExecutor(max_workers=workers, mp_context=context(),
                               initializer=initialize_worker,
                               initargs=(os.getpid(), firmsim_environment()))


class Executor(Protocol):
    """What every executor offers."""

    workers: int
    description: str

    def map(self, function: Callable, items: Iterable) -> Iterator[tuple[Any, Any]]:
        """``(item, function(item) or the exception it raised)``, in completion order."""

    def close(self) -> None:
        """Release the workers."""


class InProcess:
    """Runs the tasks one after the other in this process."""

    workers = 1
    description = "1 worker (this process)"

    def map(self, function: Callable, items: Iterable) -> Iterator[tuple[Any, Any]]:
        for item in items:
            try:
                result = function(item)
            except Exception as error:  # noqa: BLE001 - the caller decides
                result = error
            yield item, result

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class LocalPool:
    """A pool of ``workers`` local processes (:func:`process_pool`), rebuilt when one dies.

    A worker killed mid-task (out of memory, killed by hand) breaks the whole
    ``concurrent.futures`` pool: the pool is rebuilt and the tasks that had not come back are
    sent again, up to :data:`POOL_RESTARTS` times per task; a task that keeps killing its
    worker comes back as the :class:`BrokenProcessPool` error.
    """

    def __init__(self, workers: int, name: str = "firmsim"):
        self.workers = max(1, int(workers))
        self.name = name
        self.description = f"{self.workers} local worker processes"
        self.restarts = 0
        self._pool = process_pool(self.workers)

    def map(self, function: Callable, items: Iterable) -> Iterator[tuple[Any, Any]]:
        waiting = list(enumerate(items))
        attempts: dict[int, int] = {}
        while waiting:
            futures = {self._pool.submit(function, item): (index, item)
                       for index, item in waiting}
            waiting = []
            broken = False
            for future in as_completed(futures):
                index, item = futures[future]
                error = future.exception()
                if isinstance(error, BrokenProcessPool):
                    broken = True
                    attempts[index] = attempts.get(index, 0) + 1
                    if attempts[index] <= POOL_RESTARTS:
                        waiting.append((index, item))
                        continue
                yield item, (error if error is not None else future.result())
            if broken:
                self._pool.shutdown(wait=False, cancel_futures=True)
                self.restarts += 1
                if waiting:
                    print(f"{self.name}: a worker process died; restarting the pool and "
                          f"running {len(waiting)} task(s) again", file=sys.stderr)
                self._pool = process_pool(self.workers)
                waiting.sort()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class NoWorkers(UserError):
    """A Dask map stopped: the scheduler had no workers for the stated time."""


class DaskCluster:
    """An existing Dask ``distributed`` cluster at ``address`` (``--scheduler``)."""

    def __init__(self, address: str, timeout: float = CONNECT_TIMEOUT,
                 no_workers_timeout: float = NO_WORKERS_TIMEOUT):
        import logging

        from distributed import Client

        self.no_workers_timeout = no_workers_timeout
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

    def map(self, function: Callable, items: Iterable) -> Iterator[tuple[Any, Any]]:
        from distributed import as_completed as dask_completed

        futures = {}
        for item in items:
            future = self._client.submit(function, item, pure=False,
                                         key=f"firmsim-task-{uuid.uuid4().hex}")
            futures[future] = item
        waiting = dask_completed(list(futures), loop=self._client.loop)
        alone_since = None
        checked = time.monotonic()
        while not waiting.is_empty():
            if waiting.has_ready():
                for future in waiting.next_batch(block=False):
                    item = futures[future]
                    try:
                        yield item, future.result()
                    except Exception as error:  # noqa: BLE001 - the worker's exception
                        yield item, error
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
                    f"stopped with {len(pending)} task(s) not run (start workers with "
                    "`dask worker ADDRESS` and run the same command again to resume)")

    def _worker_count(self) -> int:
        try:
            return len(self._client.nthreads())
        except Exception:  # noqa: BLE001 - a scheduler that does not answer has no workers
            return 0

    def close(self) -> None:
        self._client.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


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


def executor_for(workers: int | None = None, scheduler: str | None = None,
                 **dask_options) -> InProcess | LocalPool | DaskCluster:
    """The executor for a command: Dask at ``scheduler`` if given, else ``workers`` local
    processes (default: one per core), else this process (one worker)."""
    if scheduler:
        return DaskCluster(scheduler, **dask_options)
    workers = workers or os.cpu_count() or 1
    return InProcess() if workers <= 1 else LocalPool(workers)


# ------------------------------------------------------------------- long-lived workers
class ServiceProcess:
    """One long-lived worker process that serves ``target(commands, results)``.

    For work that talks with its parent while it runs (the app's comparisons: play, pause,
    step, copies of the models a few times a second), which a ``concurrent.futures`` task
    cannot. Started like every other worker (:func:`context`, :func:`initialize_worker`);
    ``commands`` (parent -> worker) and ``results`` (worker -> parent) are one-way pipes.
    """

    def __init__(self, target: Callable, name: str = "firmsim-worker"):
        ctx = context()
        command_child, self.commands = ctx.Pipe(duplex=False)
        self.results, result_child = ctx.Pipe(duplex=False)
        self.process = ctx.Process(target=_serve, name=name, daemon=True,
                                   args=(target, command_child, result_child, os.getpid(),
                                         firmsim_environment()))
        self.process.start()
        command_child.close()
        result_child.close()

    @property
    def pid(self) -> int | None:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.is_alive()

    def send(self, message) -> bool:
        """Send ``message`` to the worker; False if it can no longer be reached."""
        try:
            self.commands.send(message)
            return True
        except (OSError, EOFError, ValueError):
            return False

    def terminate(self) -> None:
        with contextlib.suppress(Exception):
            self.process.terminate()
            self.process.join(2)


def _serve(target: Callable, commands, results, parent: int,
           environment: dict[str, str]) -> None:
    initialize_worker(parent, environment)
    target(commands, results)
