"""The server's cache of finished runs, keyed by what a run's numbers depend on.

Thirty students pressing Run on the same preset ask for the same runs: each (structure,
replicate) run of a comparison is fixed by the configuration, the structure, its seed and the
code that computes it, so the app's one :class:`simulation.ui.runner.WorkerPool` computes it
once and serves every identical request from here (or, while it is being computed, from the
worker computing it). The key is a hash of that content (:func:`run_key`): any change to the
configuration, the seed or the code (the package's source files, the versions of the
packages the numbers depend on, and any plugin's source file) makes another key.

Nothing here imports Solara.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

#: Most memory the cache's tables may take (oldest runs leave first beyond it).
CACHE_BYTES = 512 * 1024 * 1024


@lru_cache(maxsize=1)
def code_version() -> str:
    """A hash of the code that computes a run: every source file of the ``simulation``
    package and the versions of the packages the numbers depend on (numpy, numba, ...).
    Computed once per server (the workers load the same files)."""
    from simulation.store.manifest import package_versions

    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode())
        digest.update(path.read_bytes())
    digest.update(json.dumps(package_versions(), sort_keys=True).encode())
    return digest.hexdigest()[:16]


def plugins_version() -> str:
    """A hash of the registered rules that live outside the package (plugins: structures,
    shocks, metrics, product policies): their names, where they are and their source
    files. Read at each key (a plugin may be registered while the server runs)."""
    import dataclasses
    import inspect

    from simulation import registry

    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for kind in registry.KINDS:
        for entry in registry.entries(kind):
            for item in dataclasses.fields(entry):
                rule = getattr(entry, item.name)
                if not (callable(rule) or (isinstance(rule, str) and ":" in rule)):
                    continue
                try:
                    rule = registry.resolve(rule) if isinstance(rule, str) else rule
                    where = Path(inspect.getsourcefile(rule) or "").resolve()
                except (TypeError, ImportError, AttributeError, ValueError):
                    continue
                if where.is_file() and package not in where.parents:
                    digest.update(f"{kind}:{entry.name}:{item.name}:{where}".encode())
                    digest.update(where.read_bytes())
    return digest.hexdigest()[:16]


def run_key(config, structure: str, seed, version: str | None = None) -> str:
    """The cache key of one run: a hash of its configuration (every field, as validated),
    its structure, its seed (the run's own: an int or the
    :class:`numpy.random.SeedSequence` of :func:`simulation.config.seeds.run_seed`) and the
    code version (default: :func:`code_version`)."""
    if isinstance(seed, np.random.SeedSequence):
        seed = {"entropy": str(seed.entropy), "spawn_key": list(seed.spawn_key)}
    else:
        seed = int(seed)
    content = {
        "config": config.model_dump(mode="json"),
        "structure": structure,
        "seed": seed,
        "code": (f"{code_version()}+{plugins_version()}" if version is None
                 else version),
    }
    text = json.dumps(content, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


class FinishedRun(NamedTuple):
    """What the page shows of one finished run (the worker's last copies)."""

    frame: pd.DataFrame
    schedule: pd.DataFrame
    org_view: object | None
    customers: object | None


class RunCache:
    """Finished runs by :func:`run_key`, least recently used leaving first beyond
    ``max_bytes``; shared by every session of the server (thread safe)."""

    def __init__(self, max_bytes: int = CACHE_BYTES):
        self.max_bytes = max_bytes
        self._runs: OrderedDict[str, tuple[FinishedRun, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        #: Runs served from the cache (a whole share at a time).
        self.hits = 0

    def get_all(self, keys: list[str]) -> list[FinishedRun] | None:
        """The runs of ``keys`` if every one is here, else None."""
        with self._lock:
            if not all(key in self._runs for key in keys):
                return None
            for key in keys:
                self._runs.move_to_end(key)
            self.hits += len(keys)
            return [self._runs[key][0] for key in keys]

    def put(self, key: str, run: FinishedRun) -> None:
        size = int(run.frame.memory_usage(deep=True).sum()) + int(
            run.schedule.memory_usage(deep=True).sum())
        with self._lock:
            if key in self._runs:
                return
            self._runs[key] = (run, size)
            self._bytes += size
            while self._bytes > self.max_bytes and len(self._runs) > 1:
                _, (_, dropped) = self._runs.popitem(last=False)
                self._bytes -= dropped

    def __len__(self) -> int:
        with self._lock:
            return len(self._runs)

    def clear(self) -> None:
        with self._lock:
            self._runs.clear()
            self._bytes = 0


class SharedViews:
    """What the page computes from a comparison's numbers (chart bands and options, the
    resilience table and its summary), computed once for every session showing the same
    numbers.

    Thirty sessions following one computation receive the same copies at the same moments;
    each used to compute the same bands, options and tables from them, all in the server's
    one process (0.2 s of CPU per chart refresh, 0.3 s more for the finished tables at the
    demo's size): 30 sessions queued some 15 s behind each other for the interpreter after
    the last step. A view is keyed by the comparison's content (:func:`comparison_key`: the
    keys of all its runs), the steps each run has reached (numbers at a given step depend on
    nothing else) and the view's own parameters; sessions asking for a view being computed
    wait for it instead of computing it again. The oldest views leave beyond ``max_items``
    (a finished demo comparison's charts take about 0.5 MB).
    """

    def __init__(self, max_items: int = 128):
        self.max_items = max_items
        self._views: OrderedDict[tuple, object] = OrderedDict()
        self._recent: OrderedDict[tuple, tuple] = OrderedDict()
        self._computing: dict[tuple, threading.Event] = {}
        self._lock = threading.Lock()
        #: Views computed, and views served to a session that did not compute them.
        self.computed = 0
        self.shared = 0

    def get(self, key: tuple, compute):
        """The view of ``key``, computed by ``compute()`` once (by the first session
        asking); an error is not kept (the next request computes again)."""
        while True:
            with self._lock:
                if key in self._views:
                    self._views.move_to_end(key)
                    self.shared += 1
                    return self._views[key]
                waiting = self._computing.get(key)
                if waiting is None:
                    self._computing[key] = threading.Event()
                    break
            waiting.wait(60)
        try:
            view = compute()
            with self._lock:
                self._views[key] = view
                self.computed += 1
                while len(self._views) > self.max_items:
                    self._views.popitem(last=False)
            return view
        finally:
            with self._lock:
                self._computing.pop(key).set()

    def recent(self, family: tuple, compute, max_age: float, share: float = 1.0,
               steps: tuple = ()):
        """A view of ``family`` computed less than ``max_age`` seconds ago (or, if
        computing it took longer than ``share`` of that, less than its cost / ``share``
        ago: however many sessions show it, computing it takes at most that share of the
        server's time) from no more steps than ``steps`` (the steps each run has reached
        for the session asking: a view never shows a step its session has not reached);
        else ``compute()`` (once: sessions asking meanwhile wait for it).

        For a comparison still running: its followers' pages refresh at their own moments
        (at most once a second each), each a few steps apart, so exact keys would almost
        never match; a provisional chart one refresh old is what each page shows anyway.
        """
        while True:
            with self._lock:
                latest = self._recent.get(family)
                if (latest is not None and time.monotonic() - latest[0] <= max(
                        max_age, latest[2] / share) and len(latest[3]) == len(steps)
                        and all(a <= b for a, b in zip(latest[3], steps, strict=True))):
                    self._recent.move_to_end(family)
                    self.shared += 1
                    return latest[1]
                waiting = self._computing.get(family)
                if waiting is None:
                    self._computing[family] = threading.Event()
                    break
            waiting.wait(60)
        try:
            began = time.monotonic()
            view = compute()
            with self._lock:
                self._recent[family] = (time.monotonic(), view, time.monotonic() - began,
                                        tuple(steps))
                self.computed += 1
                while len(self._recent) > self.max_items:
                    self._recent.popitem(last=False)
            return view
        finally:
            with self._lock:
                self._computing.pop(family).set()

    def clear(self) -> None:
        with self._lock:
            self._views.clear()
            self._recent.clear()


#: The server's shared views (one per server, like the pool and the run cache).
VIEWS = SharedViews()


def comparison_key(run_keys: list[str], *parameters) -> str:
    """The content of a comparison: the keys of its runs in the order shown, and any
    parameter of how it is shown (the resilience metric)."""
    text = json.dumps([list(run_keys), [str(p) for p in parameters]])
    return hashlib.sha256(text.encode()).hexdigest()
