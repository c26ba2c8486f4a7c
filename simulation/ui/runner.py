"""Background runs of several structures on one configuration, for the browser app.

A :class:`ComparisonRun` builds one :class:`simulation.core.model.FirmModel` per structure and
replicate (same configuration, paired seeds: the same market and customers for every
structure) and steps them in worker processes, one per core, so the page never waits for a
model and the comparison uses the whole machine. Inside a worker one thread steps all the
worker's models in lockstep. The page reads consistent copies with
:meth:`ComparisonRun.snapshot` (cached until a model advances) and drives the runs with
:meth:`play`, :meth:`pause`, :meth:`step_once`, :meth:`set_speed` and :meth:`stop`.

Nothing here imports Solara: the runner can be tested and used on its own.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from functools import cached_property, partial
from typing import NamedTuple

import numpy as np
import pandas as pd

from simulation import registry
from simulation.config.schema import config_from_flat
from simulation.config.seeds import run_seed
from simulation.core.metrics import resilience_table
from simulation.execution.runs import build_model, run_model

#: Customers drawn in the small view of the customer network (around a few seed customers).
CUSTOMER_SAMPLE = 160
CUSTOMER_SEEDS = 4
#: Seconds between two copies of a running model's state for the page.
PUBLISH_EVERY = 0.15


@dataclass
class OrgView:
    """What the firm view draws of one model at one step (copies, safe to read)."""

    kind: str
    role: np.ndarray
    alive: np.ndarray
    edges: np.ndarray
    queue: np.ndarray
    workload: np.ndarray
    positions: np.ndarray
    queue_limit: int
    capacity: int
    #: Employees whose reporting line differs from the one they started with (repaired).
    reattached: int = 0
    #: Employees who left (talent loss).
    departed: int = 0


@dataclass
class CustomerView:
    """A sample of the customer network around a few customers."""

    nodes: np.ndarray
    edges: np.ndarray  # pairs of positions in ``nodes``
    positions: np.ndarray
    sentiment: np.ndarray
    buying: np.ndarray


class Published(NamedTuple):
    """What a worker publishes of one structure: copies made between two steps."""

    #: Metrics so far of each replicate computed there (order of ``replicate_ids``).
    frames: list[pd.DataFrame]
    schedule: pd.DataFrame
    #: Views of replicate 0 (None where replicate 0 is computed elsewhere).
    org_view: OrgView | None
    customers: CustomerView | None
    replicate_ids: tuple[int, ...]


def _lengths(published: dict[str, Published]) -> tuple:
    """Steps recorded so far by every replicate of every structure."""
    return tuple(tuple(len(f) for f in p.frames) for p in published.values())


@dataclass
class Snapshot:
    """A consistent picture of a comparison at one moment."""

    state: str
    error: str | None
    steps: int
    done: dict[str, int]
    frames: dict[str, pd.DataFrame]
    shocks: list[dict]
    elapsed: float
    version: tuple = field(default=())
    #: Every replicate's metrics per structure (``frames`` holds replicate 0's).
    replicate_frames: dict[str, list[pd.DataFrame]] = field(default_factory=dict)
    replicates: int = 1
    #: Computes :attr:`resilience` when it is first read.
    score: Callable[[], pd.DataFrame] | None = field(default=None, repr=False)
    #: Comparisons ahead of this one while it waits for a worker (state ``queued``).
    queue: int | None = None
    #: What the numbers are (:func:`simulation.ui.cache.comparison_key`), so that sessions
    #: showing the same numbers share what the page computes from them (None: not shared).
    content: str | None = None

    @cached_property
    def resilience(self) -> pd.DataFrame:
        """Resilience figures of every replicate for every shock passed (computed when first
        read: the status line, refreshed more often than the tables, never needs them)."""
        return self.score() if self.score is not None else pd.DataFrame()

    def long_table(self) -> pd.DataFrame:
        """Every replicate of every structure in one table (columns ``structure``,
        ``replicate``, ``step`` and the metrics), trimmed to the steps all replicates of a
        structure have reached."""
        parts = []
        for structure, frames in self.replicate_frames.items():
            reached = min((len(f) for f in frames), default=0)
            for replicate, frame in enumerate(frames):
                part = frame.iloc[:reached].copy()
                part.insert(0, "replicate", replicate)
                part.insert(0, "structure", structure)
                parts.append(part)
        if not parts:
            return pd.DataFrame(columns=["structure", "replicate", "step"])
        return pd.concat(parts, ignore_index=True)

    @property
    def progress(self) -> float:
        if not self.done:
            return 0.0
        return sum(self.done.values()) / (self.steps * len(self.done))


def tree_layout(parent: np.ndarray, depth: np.ndarray) -> np.ndarray:
    """Positions of a tree: leaves spread evenly left to right, managers above their team."""
    n = parent.shape[0]
    children: list[list[int]] = [[] for _ in range(n)]
    roots = []
    for i in range(n):
        if parent[i] >= 0:
            children[parent[i]].append(i)
        else:
            roots.append(i)
    x = np.zeros(n)
    next_leaf = 0.0
    # Iterative post-order: a node's x is the mean of its children's.
    for root in roots:
        stack = [(root, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded or not children[node]:
                if children[node]:
                    x[node] = float(np.mean(x[children[node]]))
                else:
                    x[node] = next_leaf
                    next_leaf += 1.0
                continue
            stack.append((node, True))
            stack.extend((c, False) for c in reversed(children[node]))
    width = max(next_leaf - 1.0, 1.0)
    return np.column_stack([x / width, depth.astype(float) / max(depth.max(), 1)])


def spring_layout(n: int, edges: np.ndarray, seed: int = 1) -> np.ndarray:
    """Force-directed positions in [0, 1]^2 (networkx), for networks and pods."""
    import networkx as nx

    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    graph.add_edges_from((int(a), int(b)) for a, b in edges)
    positions = nx.spring_layout(graph, seed=seed, iterations=60)
    xy = np.array([positions[i] for i in range(n)], dtype=float)
    low, high = xy.min(axis=0), xy.max(axis=0)
    return (xy - low) / np.where(high > low, high - low, 1.0)


def org_positions(org) -> np.ndarray:
    if org.kind == "tree":
        return tree_layout(org.parent, org.depth)
    return spring_layout(org.size, org.edges)


def current_edges(edges: np.ndarray, parent_at_start: np.ndarray, parent: np.ndarray,
                  alive: np.ndarray) -> np.ndarray:
    """The links of the organization as it is now: the reporting lines of ``parent`` (after
    repairs) and the other links of ``edges`` (lateral links, pod ties), between employees
    still there. Reporting lines of ``parent_at_start`` that a repair replaced are dropped."""
    alive = alive.astype(bool)
    n = parent.shape[0]
    a, b = edges[:, 0], edges[:, 1]
    was_reporting = ((parent_at_start[np.clip(a, 0, n - 1)] == b)
                     | (parent_at_start[np.clip(b, 0, n - 1)] == a))
    keep = ~was_reporting & alive[a] & alive[b]
    members = np.flatnonzero(alive & (parent >= 0))
    reporting = np.column_stack([members, parent[members]]).astype(np.int64)
    return np.concatenate([edges[keep].astype(np.int64), reporting.reshape(-1, 2)])


def current_tree_positions(parent: np.ndarray, alive: np.ndarray) -> np.ndarray:
    """Tree positions of the employees still there (re-attached teams under their new
    manager); those who left are set in a row below the chart."""
    alive = alive.astype(bool)
    n = parent.shape[0]
    kept = np.flatnonzero(alive)
    index = np.full(n, -1, dtype=np.int64)
    index[kept] = np.arange(kept.size)
    sub_parent = np.where(parent[kept] >= 0, index[np.clip(parent[kept], 0, n - 1)], -1)
    sub_parent = np.where((parent[kept] >= 0) & (sub_parent >= 0), sub_parent, -1)
    depth = np.zeros(kept.size, dtype=np.int64)
    for i in range(kept.size):
        d, p = 0, sub_parent[i]
        while p >= 0 and d <= kept.size:
            d, p = d + 1, sub_parent[p]
        depth[i] = d
    positions = np.zeros((n, 2))
    if kept.size:
        positions[kept] = tree_layout(sub_parent, depth) * [1.0, 0.92]
    gone = np.flatnonzero(~alive)
    if gone.size:
        positions[gone, 0] = np.linspace(0, 1, gone.size) if gone.size > 1 else 0.5
        positions[gone, 1] = 1.0
    return positions


def customer_sample(indptr: np.ndarray, indices: np.ndarray, active: np.ndarray,
                    seed: int, size: int = CUSTOMER_SAMPLE, seeds: int = CUSTOMER_SEEDS):
    """A few customers and their neighbours (breadth first) up to ``size`` customers."""
    rng = np.random.default_rng(seed)
    candidates = np.flatnonzero(active == 1)
    if candidates.size == 0:
        candidates = np.arange(indptr.shape[0] - 1)
    start = rng.choice(candidates, size=min(seeds, candidates.size), replace=False)
    chosen: dict[int, None] = dict.fromkeys(int(s) for s in start)
    queue = deque(int(s) for s in start)
    while queue and len(chosen) < size:
        node = queue.popleft()
        for other in indices[indptr[node]:indptr[node + 1]]:
            other = int(other)
            if other not in chosen:
                chosen[other] = None
                queue.append(other)
                if len(chosen) >= size:
                    break
    nodes = np.fromiter(chosen, dtype=np.int64)
    where = {int(c): i for i, c in enumerate(nodes)}
    pairs = []
    for i, node in enumerate(nodes):
        for other in indices[indptr[node]:indptr[node + 1]]:
            j = where.get(int(other))
            if j is not None and i < j:
                pairs.append((i, j))
    edges = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    return nodes, edges, spring_layout(nodes.shape[0], edges, seed=seed)


class ThreadedRun:
    """Several structures on one :class:`simulation.config.schema.ModelConfig`, in a thread of this
    process (the page uses :class:`ComparisonRun`, which runs this in a worker process).

    Parameters
    ----------
    config : ModelConfig
        The configuration every structure runs (``config.steps`` steps).
    structures : list of str
        The structures to compare.
    seed : int
        Root seed; replicate ``r`` of every structure runs :func:`simulation.config.seeds.run_seed`
        ``(seed, r)``, so the structures are paired (same market and customers) exactly as
        in ``firmsim run``.
    replicates : int
        Paired replicates per structure (all models step in lockstep).
    metric : str
        The metric of the resilience table.
    steps_per_second : float
        Speed limit per structure (``inf``: as fast as possible).
    playing : bool
        Whether the runs advance on their own from the start (else: paused at step 0).
    on_publish : callable, optional
        Called as ``on_publish(structure, payload)`` from a worker thread whenever a
        structure publishes new copies (``payload``: a :class:`Published`).
    replicate_ids : dict, optional
        The replicates each structure computes here (default: all ``replicates`` of each);
        :class:`ComparisonRun` gives each worker process its share.
    on_rest : callable, optional
        Called as ``on_rest(command, step)`` from the run's thread each time the runs come
        to rest (every model at ``step``, its copies published) after the control command
        numbered ``command`` (the ``command`` keyword of :meth:`play`, :meth:`pause` and
        :meth:`step_to`): how a worker tells the page exactly where it stopped.
    command : int
        Number of the command that set ``playing`` (reported by ``on_rest``).
    """

    def __init__(self, config, structures: list[str], seed: int = 1,
                 metric: str = "market_share", steps_per_second: float = math.inf,
                 playing: bool = True, on_publish=None, replicates: int = 1,
                 replicate_ids: dict[str, list[int]] | None = None, on_rest=None,
                 command: int = 0, fast_until: int = 0):
        self._on_publish = on_publish
        #: Steps computed at full speed whatever the speed limit (a share recomputed to the
        #: step its page already showed, see :meth:`WorkerPool.detach`).
        self._fast_until = int(fast_until)
        self._on_rest = on_rest
        self._command = int(command)
        self.replicates = max(1, int(replicates))
        self.structures = list(structures)
        if replicate_ids is None:
            replicate_ids = {s: list(range(self.replicates)) for s in self.structures}
        self.replicate_ids = {s: sorted(replicate_ids[s]) for s in self.structures}
        # Copies of several replicates cost more: publish less often, but still more often
        # than the page refreshes (every 0.45 s), so each refresh has something new.
        self._publish_every = PUBLISH_EVERY * min(self.replicates, 2)
        self.config = config
        self.seed = int(seed)
        self.metric = metric
        self.steps = int(config.steps)
        self._delay = 0.0 if math.isinf(steps_per_second) else 1.0 / steps_per_second
        self._cond = threading.Condition()
        self._target = self.steps if playing else 0
        self._stopped = False
        self._models: dict = {}
        self._published: dict[str, tuple] = {}
        self._published_lock = threading.Lock()
        self._errors: list[str] = []
        self._threads: list[threading.Thread] = []
        self._working = False  # the run's thread has started and not yet ended
        self._started = None
        self._finished_at = None
        self._cache: Snapshot | None = None
        self._org_positions: dict[str, np.ndarray] = {}
        self._org_start: dict[str, np.ndarray] = {}
        self._sample = None
        self._cache_lock = threading.Lock()

    # ------------------------------------------------------------------ control
    def start(self) -> ThreadedRun:
        self._started = time.perf_counter()
        self._working = True
        thread = threading.Thread(target=self._work, name="firmsim-ui-runs", daemon=True)
        self._threads.append(thread)
        thread.start()
        return self

    def play(self, command: int | None = None) -> None:
        with self._cond:
            self._target = self.steps
            self._set_command(command)
            self._cond.notify_all()

    def pause(self, command: int | None = None) -> None:
        """Stop after the step under way (models mid-step finish it: all stay in lockstep)."""
        with self._cond:
            self._target = min(self.steps, self._furthest())
            self._set_command(command)
            self._cond.notify_all()

    def step_once(self) -> None:
        """Pause, then advance every structure to one step past the furthest one."""
        with self._cond:
            self._target = min(self.steps, self._furthest() + 1)
            self._cond.notify_all()

    def step_to(self, step: int, command: int | None = None) -> None:
        """Pause once every structure has reached ``step`` (at most the last step)."""
        with self._cond:
            self._target = max(0, min(self.steps, int(step)))
            self._set_command(command)
            self._cond.notify_all()

    def _set_command(self, command: int | None) -> None:
        # Set with the target, under the same lock: a rest is never reported with the new
        # command's number but the old command's target.
        if command is not None:
            self._command = int(command)

    def set_speed(self, steps_per_second: float) -> None:
        self._delay = 0.0 if math.isinf(steps_per_second) else 1.0 / max(steps_per_second,
                                                                          1e-3)

    def stop(self, wait: float = 2.0) -> None:
        """Stop the runs (they end after the current step)."""
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        deadline = time.perf_counter() + wait
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.perf_counter()))

    @property
    def playing(self) -> bool:
        return self._target >= self.steps and not self.finished

    @property
    def finished(self) -> bool:
        return bool(self._threads) and not self._working

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the runs have ended; True if they have."""
        deadline = None if timeout is None else time.perf_counter() + timeout
        for thread in self._threads:
            left = None if deadline is None else max(0.0, deadline - time.perf_counter())
            thread.join(left)
        return self.finished

    def _furthest(self) -> int:
        return max((m.step_index for m in self._models.values()), default=0)

    # ------------------------------------------------------------------ the work
    def _work(self) -> None:
        """Build every model, then step them all in this one thread, in lockstep.

        One thread, not one per structure: the kernels release the GIL, but about half of a
        step is Python, so threads computed nothing sooner and cost about 40% more CPU in
        switching (8.5 s against 12.2-12.6 s for the same 8 runs), CPU that the page and the
        other worker need on a small machine.
        """
        running: dict[str, list] = {}
        try:
            for structure in self.structures:
                if self._stopped:
                    return
                try:
                    replicas = [build_model(self.config, structure, run_seed(self.seed, r))
                                for r in self.replicate_ids[structure]]
                except Exception as error:  # noqa: BLE001 - shown in the page, never raised
                    self._fail(structure, error)
                    continue
                with self._cond:
                    self._models[structure] = replicas[0]
                running[structure] = replicas
                self._publish(structure, replicas)
            reached = 0
            published = time.perf_counter()
            published_step = 0  # every structure published at step 0 just above
            reported = None
            while running:
                with self._cond:
                    resting = (not self._stopped and reached >= self._target
                               and reached < self.steps)
                    command = self._command
                if resting:
                    if published_step != reached:
                        # Paused after the last copy (a pause arriving between the check
                        # below and the next step): the page must see the step it rests at.
                        for structure, replicas in running.items():
                            self._publish(structure, replicas)
                        published, published_step = time.perf_counter(), reached
                    if self._on_rest is not None and reported != (command, reached):
                        reported = (command, reached)
                        self._on_rest(command, reached)
                    with self._cond:
                        if (not self._stopped and reached >= self._target
                                and self._command == command):
                            self._cond.wait(0.25)
                    continue
                with self._cond:
                    if self._stopped or reached >= self.steps:
                        break
                for structure, replicas in list(running.items()):
                    try:
                        for replica in replicas:
                            replica.step()
                    except Exception as error:  # noqa: BLE001
                        self._fail(structure, error)
                        del running[structure]
                        with suppress(Exception):  # show the steps it reached
                            self._publish(structure, replicas)
                reached += 1
                now = time.perf_counter()
                # Publish a few times a second, and whenever the runs stop or pause.
                if (now - published >= self._publish_every or reached >= self._target
                        or self._stopped):
                    for structure, replicas in running.items():
                        self._publish(structure, replicas)
                    published, published_step = now, reached
                delay = self._delay if reached >= self._fast_until else 0.0
                if delay:
                    with self._cond:
                        self._cond.wait_for(lambda: self._stopped, timeout=delay)
        except Exception as error:  # noqa: BLE001 - e.g. a failed copy for the page
            self._errors.append(f"{type(error).__name__}: {error}")
        finally:
            with self._cond:
                self._working = False
                self._finished_at = time.perf_counter()
                self._cond.notify_all()

    def _fail(self, structure: str, error: Exception) -> None:
        self._errors.append(f"{structure}: {type(error).__name__}: {error}")

    def _publish(self, structure: str, replicas: list) -> None:
        """Copies of what the page shows, made by the worker between two steps.

        The page reads only these copies, so it never waits for a step (and a busy worker
        never starves the page of a lock). The firm views show replicate 0 as it is now:
        the current ``model.org`` arrays (reporting lines repaired after a talent loss); a
        share of the replicates without replicate 0 publishes metrics only.
        """
        ids = self.replicate_ids[structure]
        model = replicas[0]
        frames = [replica.metrics() for replica in replicas]
        schedule = model.shock_schedule()
        org_view = customers = None
        if ids[0] == 0:
            org_view, customers = self._views(structure, model)
        payload = Published(frames, schedule, org_view, customers, tuple(ids))
        with self._published_lock:
            self._published[structure] = payload
        if self._on_publish is not None:
            self._on_publish(structure, payload)

    def _views(self, structure: str, model) -> tuple[OrgView, CustomerView]:
        org = model.org
        if structure not in self._org_positions:
            self._org_positions[structure] = org_positions(org)
            self._org_start[structure] = org.parent.copy()
        start = self._org_start[structure]
        alive = org.alive.copy()
        reattached = int(((org.parent != start) & (alive == 1)).sum())
        if org.kind == "tree" and (reattached or not alive.all()):
            positions = current_tree_positions(org.parent, alive)
        else:
            positions = self._org_positions[structure]
        org_view = OrgView(org.kind, org.role.copy(), alive,
                           current_edges(org.edges, start, org.parent, alive),
                           model.q_length.copy(), model.workload.copy(), positions,
                           int(model.config.firm.queue_limit), int(model.config.firm.capacity),
                           reattached, int((alive == 0).sum()))
        if self._sample is None:
            # Replicate 0 of every structure has the same customer network (paired seeds).
            self._sample = customer_sample(model.indptr, model.indices, model.active,
                                           self.seed)
        nodes, edges, positions = self._sample
        nodes = nodes[nodes < model.sentiment.shape[0]]
        customers = CustomerView(nodes, edges, positions, model.sentiment[nodes].copy(),
                                 model.buying[nodes].copy())
        return org_view, customers

    # ------------------------------------------------------------------ reading
    def models(self) -> dict:
        return dict(self._models)

    def _state(self) -> str:
        if self._errors:
            return "error"
        if self._stopped:
            return "stopped"
        if self.finished:
            return "finished"
        if self._started_models() < len(self.structures):
            return "starting"
        return self._moving_state()

    def _started_models(self) -> int:
        return len(self._models)

    def _moving_state(self) -> str:
        """``running`` or ``paused``, once every model has started."""
        return "running" if self._target > self._furthest() else "paused"

    def version(self) -> tuple:
        """Changes whenever the page has something new to show."""
        with self._published_lock:
            lengths = _lengths(self._published)
        return lengths, self._state()

    def snapshot(self) -> Snapshot:
        """Metrics of every structure so far and the resilience table (cached per version)."""
        with self._published_lock:
            published = dict(self._published)
        version = (_lengths(published), self._state())
        with self._cache_lock:
            if self._cache is not None and self._cache.version == version:
                return self._cache
            frames, every, schedules = {}, {}, {}
            for structure in self.structures:
                if structure not in published:
                    continue
                frames[structure] = published[structure].frames[0]
                every[structure] = published[structure].frames
                schedules[structure] = published[structure].schedule
            end = self._finished_at if self.finished and self._finished_at else None
            elapsed = (end or time.perf_counter()) - (self._started or time.perf_counter())
            shocks = [{"kind": s.kind, "step": s.step, "strength": getattr(s, "strength", None)}
                      for s in self.config.shocks]
            done = {s: min(len(f) for f in every[s]) for s in frames}
            self._cache = Snapshot(self._state(), "; ".join(self._errors) or None, self.steps,
                                   done, frames, shocks, elapsed, version, every,
                                   self.replicates,
                                   partial(self._resilience_table, every, schedules))
            return self._cache

    def _resilience_table(self, every: dict[str, list[pd.DataFrame]],
                          schedules: dict[str, pd.DataFrame]) -> pd.DataFrame:
        rows = []
        for structure, replicate_frames in every.items():
            # Scored on the steps all its replicates have reached (as the charts show), so
            # a structure's figures never mix replicates that passed a shock with replicates
            # that have not.
            reached = min(len(frame) for frame in replicate_frames)
            for replicate, frame in enumerate(replicate_frames):
                table = self._resilience(structure, frame.iloc[:reached], schedules[structure])
                if not table.empty:
                    table.insert(1, "replicate", replicate)
                rows.append(table)
        return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()

    def _resilience(self, structure: str, frame: pd.DataFrame,
                    schedule: pd.DataFrame) -> pd.DataFrame:
        # A shock is scored once at least one step after it has run.
        schedule = schedule[schedule["step"] < len(frame) - 1]
        if schedule.empty or self.metric not in frame.columns:
            return pd.DataFrame()
        table = resilience_table(frame[self.metric].to_numpy(), schedule, metric=self.metric)
        table.insert(0, "structure", structure)
        return table

    def org_view(self, structure: str) -> OrgView | None:
        with self._published_lock:
            published = self._published.get(structure)
        return None if published is None else published.org_view

    def customer_view(self, structure: str) -> CustomerView | None:
        with self._published_lock:
            published = self._published.get(structure)
        return None if published is None else published.customers


#: Worker states after which a worker computes nothing more.
_ENDED = ("done", "finished", "stopped", "error")


def worker_count() -> int:
    """Worker processes one comparison may use: the cores this process may run on
    (``FIRMSIM_UI_WORKERS`` overrides it)."""
    setting = os.environ.get("FIRMSIM_UI_WORKERS", "").strip()
    if setting.isdigit() and int(setting) > 0:
        return int(setting)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def share_out(structures: list[str], replicates: int, workers: int) -> list[dict[str, list[int]]]:
    """The (structure, replicate) runs of a comparison in ``workers`` contiguous shares of
    nearly equal size (structure by structure, replicate by replicate), so that most
    structures' replicates stay in one process and step in lockstep there."""
    units = [(structure, r) for structure in structures for r in range(replicates)]
    workers = max(1, min(workers, len(units)))
    shares: list[dict[str, list[int]]] = []
    start = 0
    for w in range(workers):
        end = start + len(units) // workers + (1 if w < len(units) % workers else 0)
        share: dict[str, list[int]] = {}
        for structure, r in units[start:end]:
            share.setdefault(structure, []).append(r)
        shares.append(share)
        start = end
    return shares


class ComparisonRun(ThreadedRun):
    """A :class:`ThreadedRun` computed in the app's shared worker processes
    (:class:`WorkerPool`: one per core, shared by every session, queued first come first
    served), so the page never competes with the models for the interpreter (the GIL) and
    ten users never start twenty processes on two cores. The (structure, replicate) runs are
    shared out by :func:`share_out` (``workers`` shares, default :func:`worker_count`); same
    seeds, so the same numbers whatever the number of shares or processes. Same parameters
    and methods; the models stay in the workers (:meth:`models` is empty), the page reads
    the copies they publish. While its shares wait for a worker the state is ``queued`` and
    :meth:`queue_position` says how many comparisons are ahead.
    """

    def __init__(self, *args, workers: int | None = None, pool: WorkerPool | None = None,
                 **kwargs):
        super().__init__(*args, **kwargs)
        self._shares = share_out(self.structures, self.replicates,
                                 worker_count() if workers is None else workers)
        self._pool = pool
        self._pids: dict[int, int] = {}
        self._parts: dict[str, dict[int, Published]] = {}
        self._child_states: list[str] = ["queued"] * len(self._shares)
        self._ended_shares: set[int] = set()
        self._ended_lock = threading.Lock()
        self._done = threading.Event()
        self.token = os.urandom(8).hex()
        # The play state, decided here (see :meth:`play`); guarded by ``_control``.
        self._control = threading.RLock()
        self._mode = "playing" if self._target >= self.steps else "paused"
        self._command = 0
        self._pausing: int | None = None
        self._extra_steps = 0
        self._rests: dict[int, tuple[int, int]] = {}
        self._issued = (self._command, self._target)
        #: Steps shown of shares recomputed after leaving a shared computation (their
        #: shorter copies are not shown meanwhile: the charts never go back).
        self._catch_up: dict[int, int] = {}
        self._keys: dict[int, list[str]] = {}
        self._content: str | None = None

    def start(self) -> ComparisonRun:
        self._started = time.perf_counter()
        try:
            self._pool = self._pool or shared_pool()
            self._pool.submit(self, len(self._shares))
        except Exception as error:  # noqa: BLE001 - shown in the page
            self._errors.append(f"cannot start the worker processes: {error}")
            self._finish()
        return self

    def job(self, index: int) -> tuple:
        """The message that starts share ``index`` in a worker."""
        share = self._shares[index]
        # ``_issued`` is one tuple, replaced whole: read without ``_control`` (the pool calls
        # this holding its own lock, which ``_send`` takes while holding ``_control``).
        command, target = self._issued
        # A share recomputed after leaving a shared computation first catches up, at full
        # speed, with the step its page already showed.
        shown = self._catch_up.get(index, 0)
        return ("job", self.token, self.config, list(share), self.seed,
                min(max(target, shown), self.steps), self._delay, self.replicates, share,
                command, shown)

    @property
    def worker_pids(self) -> list[int]:
        """Process ids of the workers that took this run's shares (one per share taken;
        empty while it waits)."""
        return [self._pids[index] for index in sorted(self._pids)]

    def queue_position(self) -> int | None:
        """Comparisons ahead of this one in the queue (0: next), None once every share has
        a worker."""
        return None if self._pool is None else self._pool.position(self)

    def _send(self, message) -> None:
        if self._done.is_set() or self._pool is None:
            return
        self._pool.send(self, message)

    # -------------------------------------------------------- shared computations
    @property
    def shareable(self) -> bool:
        """Whether this run's shares may be served by an identical computation (the cache,
        or another session's worker computing it): only while it plays at full speed."""
        return self._mode == "playing" and self._delay == 0 and not self._stopped

    def share_keys(self, index: int) -> list[str]:
        """:func:`simulation.ui.cache.run_key` of each run of share ``index``, in the order
        of its copies (structure by structure, replicate by replicate)."""
        if index not in self._keys:
            from simulation.ui.cache import run_key

            self._keys[index] = [run_key(self.config, structure, run_seed(self.seed, r))
                                 for structure, ids in self._shares[index].items()
                                 for r in ids]
        return self._keys[index]

    def share_runs(self, index: int) -> int:
        return sum(len(ids) for ids in self._shares[index].values())

    def receive_cached(self, index: int, runs) -> None:
        """Share ``index`` served from the cache (``runs``: FinishedRun in key order)."""
        position = 0
        for structure, ids in self._shares[index].items():
            part = runs[position:position + len(ids)]
            position += len(ids)
            first = part[0]
            self._merge(index, structure, Published(
                [run.frame for run in part], first.schedule, first.org_view, first.customers,
                tuple(ids)))
        self._child_states[index] = "done"
        self.ended(index)

    def requeued(self, index: int) -> None:
        """Share ``index`` left a shared computation and waits to be computed for this run
        alone (from step 0 to the step shown, at full speed, then as commanded)."""
        with self._published_lock:
            shown = [len(frame) for part in (p.get(index) for p in self._parts.values())
                     if part is not None for frame in part.frames]
        self._catch_up[index] = min(shown, default=0)
        self._rests.pop(index, None)
        self._child_states[index] = "queued"

    # -------------------------------------------------------- called by the pool's readers
    def started(self, index: int, pid: int) -> None:
        self._pids[index] = pid
        self._child_states[index] = "starting"

    def receive(self, index: int, message) -> None:
        """A message of the worker computing share ``index``."""
        try:
            kind = message[0]
            if kind == "pub":
                _, structure, payload, child_state = message
                self._merge(index, structure, payload)
                self._child_states[index] = child_state
            elif kind == "state":
                self._child_states[index] = message[1]
            elif kind == "rest":
                self._rest(index, message[1], message[2])
            elif kind == "done":
                self._errors.extend(message[1])
                self._child_states[index] = "done"
                self.ended(index)
        except Exception as error:  # noqa: BLE001
            self._errors.append(f"{type(error).__name__}: {error}")

    def ended(self, index: int, lost: bool = False, cancelled: bool = False) -> None:
        """Share ``index`` is over (finished, its worker died, or taken off the queue)."""
        if lost and not self._stopped:
            self._errors.append("a worker process ended unexpectedly")
        if cancelled:
            self._child_states[index] = "stopped"
        with self._ended_lock:
            if index in self._ended_shares:
                return  # already let go (stopped while its worker was warming up)
            self._ended_shares.add(index)
            last = len(self._ended_shares) == len(self._shares)
        with self._control:
            self._settle()  # a Pause no longer waits for this share
        if self._errors and not last and not self._stopped:
            self._send(("stop",))  # one failed share: the comparison cannot complete
            if self._pool is not None:
                self._pool.cancel(self)
        if last:
            self._finish()

    def _merge(self, index: int, structure: str, part: Published) -> None:
        """Publish ``structure`` once every worker computing a share of it has published."""
        with self._published_lock:
            shown = self._catch_up.get(index)
            if shown is not None:
                if min(len(frame) for frame in part.frames) < shown:
                    return  # recomputing what the page already shows: keep showing it
            parts = self._parts.setdefault(structure, {})
            parts[index] = part
            holders = [i for i, share in enumerate(self._shares) if structure in share]
            if len(parts) < len(holders):
                return
            ordered = [parts[i] for i in holders]
            first = next((p for p in ordered if p.replicate_ids[0] == 0), ordered[0])
            self._published[structure] = Published(
                [frame for p in ordered for frame in p.frames], first.schedule,
                first.org_view, first.customers,
                tuple(r for p in ordered for r in p.replicate_ids))

    def _finish(self) -> None:
        if self._done.is_set():
            return
        self._finished_at = time.perf_counter()
        self._done.set()

    # -------------------------------------------------------- controls
    # The page decides whether the runs play: ``_mode`` changes only on the page's
    # commands, never on what a worker last said (a worker that has just caught up may still
    # report "running"; judging the play state by it made Step pause instead of stepping).
    # Every command carries a number; a worker answers "rest" (command, step) whenever it
    # comes to rest, after publishing that step. Pause: each worker stops after its step
    # under way and answers where; once every worker has answered this Pause, those behind
    # are sent to the furthest step (one target for all). Step: the common target plus one.
    def play(self) -> None:
        with self._control:
            self._mode = "playing"
            self._pausing = None
            self._command += 1
            self._target = self.steps
            self._issue(("play", self._command))

    def pause(self) -> None:
        """Stop every structure and replicate at one step: each worker stops after the step
        under way and says where; those behind are then sent to the furthest step."""
        with self._control:
            if self._mode == "paused":
                return
            self._mode = "paused"
            self._command += 1
            self._pausing = self._command
            self._extra_steps = 0
            self._target = 0  # a share that starts now rests at 0 and answers so
            self._issued = (self._command, self._target)
            # A share another session's worker computes (or that others follow) leaves the
            # group first: it is recomputed for this run alone to the step shown, rests there
            # and answers like the others.
            self._leave_shared()
            self._issue(("pause", self._command))
            self._settle()

    def _leave_shared(self) -> None:
        if self._pool is not None:
            self._pool.detach(self)

    def step_once(self) -> None:
        """Advance every structure by exactly one step from the step they all rest at (a
        Step pressed while a Pause is still bringing them together is counted and applied
        once they are); while the runs play, Step pauses them instead."""
        with self._control:
            if self._mode == "playing":
                self.pause()
                return
            if self._pausing is not None:
                self._extra_steps += 1
                return
            if self._target >= self.steps:
                return
            self._command += 1
            self._target += 1
            self._issue(("step_to", self._target, self._command))

    def _rest(self, index: int, command: int, step: int) -> None:
        """Share ``index`` came to rest at ``step`` after command number ``command``."""
        with self._control:
            self._rests[index] = (command, step)
            self._settle()

    def _settle(self) -> None:
        """Once every share with a worker has answered the Pause, send all to one step."""
        if self._pausing is None:
            return
        waiting = [i for i, s in enumerate(self._child_states)
                   if s != "queued" and i not in self._ended_shares]
        if any(self._rests.get(i, (-1, 0))[0] < self._pausing for i in waiting):
            return
        finished = any(self._child_states[i] == "done" for i in self._ended_shares)
        # A share queued to be recomputed alone goes at least to the step it showed.
        recomputed = [shown for i, shown in self._catch_up.items()
                      if i not in waiting and i not in self._ended_shares]
        furthest = max([self._rests[i][1] for i in waiting] + recomputed
                       + [self.steps if finished else 0])
        self._pausing = None
        target = min(self.steps, furthest + self._extra_steps)
        self._extra_steps = 0
        self._target = target
        if any(self._rests[i][1] != target for i in waiting):
            self._command += 1
            self._issue(("step_to", target, self._command))
        else:
            self._issued = (self._command, self._target)

    def _issue(self, message) -> None:
        """Record the command decided (for shares not started yet) and send it."""
        self._issued = (self._command, self._target)
        self._send(message)

    def set_speed(self, steps_per_second: float) -> None:
        delay = 0.0 if math.isinf(steps_per_second) else 1.0 / max(steps_per_second, 1e-3)
        self._delay = delay
        if delay:
            with self._control:
                self._leave_shared()
        self._send(("speed", steps_per_second))

    def stop(self, wait: float = 2.0) -> None:
        """Stop the run: its queued shares leave the queue, its workers stop after the
        current step and serve the next comparison (a worker that does not answer within
        ``wait`` seconds is replaced)."""
        self._stopped = True
        if self._pool is None:
            self._finish()
            return
        self._pool.cancel(self)
        self._send(("stop",))
        self._done.wait(wait)
        if self._done.is_set():
            return
        # A worker still warming up or building the models stops as soon as it reads the
        # stop (the pool counts it busy until then): the run lets its share go now. A worker
        # that computes and does not answer is replaced.
        computing = []
        for index, state in enumerate(list(self._child_states)):
            if state == "starting":
                self.ended(index, cancelled=True)
            elif state not in _ENDED:
                computing.append(index)
        if computing:
            self._pool.kill(self, computing)
            self._done.wait(2)

    @property
    def playing(self) -> bool:
        return self._mode == "playing" and not self.finished

    @property
    def finished(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)

    def _state(self) -> str:
        state = super()._state()
        if state == "starting" and all(s == "queued" for s in self._child_states):
            return "queued"
        return state

    def version(self) -> tuple:
        """Changes whenever the page has something new to show: also when the place in the
        queue changes while the run waits (the status line says it)."""
        version = super().version()
        if version[1] == "queued":
            return (*version, self.queue_position())
        return version

    def snapshot(self) -> Snapshot:
        snapshot = super().snapshot()
        snapshot.queue = self.queue_position() if snapshot.state == "queued" else None
        snapshot.content = self.content_key()
        return snapshot

    def content_key(self) -> str:
        """The comparison's content: the keys of all its runs, in the order shown, and the
        resilience metric (equal for every session asking for the same comparison)."""
        if self._content is None:
            from simulation.ui.cache import comparison_key

            keys = [key for index in range(len(self._shares)) for key in self.share_keys(index)]
            self._content = comparison_key(keys, self.metric, self.replicates)
        return self._content

    def _started_models(self) -> int:
        return len(self._published)  # no lock: callers may hold it; len() is atomic

    def _moving_state(self) -> str:
        """``running`` while the page plays the runs; ``paused`` once every share still
        working rests at the common target after the last command; ``pausing`` until then
        (a Pause bringing them together, a Step under way)."""
        if self._mode == "playing":
            return "running"
        with self._control:
            working = [i for i, s in enumerate(self._child_states)
                       if s != "queued" and i not in self._ended_shares]
            if self._pausing is None and all(
                    self._rests.get(i) == (self._command, self._target) for i in working):
                return "paused"
            return "pausing"

    def _furthest(self) -> int:
        with self._published_lock:
            return max((len(f) for p in self._published.values() for f in p.frames),
                       default=0)


# ------------------------------------------------------------------ the shared worker pool
#: Most worker processes the pool keeps, as a multiple of its size: paused comparisons hold
#: their models in a process but use no core, so others may start beside them.
PROCESS_FACTOR = 3


@dataclass
class _Slot:
    """One worker process of the pool and the share it computes (None: idle)."""

    worker: object
    run: ComparisonRun | None = None
    index: int = -1
    paused: bool = False
    #: Token of the comparison the worker computes for (its messages carry it); it stays
    #: when the share passes to a follower (:meth:`WorkerPool.cancel`, :meth:`~.detach`).
    token: str = ""
    #: The share's run keys while it may be shared (its owner played at full speed).
    key: tuple | None = None
    #: Identical shares of other comparisons fed from this worker: (run, share index).
    followers: list = field(default_factory=list)
    #: The worker's last copies per structure (what a new follower is shown at once).
    last: dict = field(default_factory=dict)


class WorkerPool:
    """The app's worker processes, shared by every session of the server.

    At most ``size`` shares compute at once (one per core by default); the others wait in
    one queue, first come first served, so every comparison gets its turn and is told its
    place (:meth:`position`). A worker process serves one share at a time and then the next
    (it keeps its compiled kernels warm). A paused share keeps its process (its models live
    there) but not its core: up to ``PROCESS_FACTOR x size`` processes, so paused sessions
    never block the class. Workers are started by
    :class:`simulation.execution.executor.ServiceProcess` (the one executor's start method
    and initializer: they die with the server).

    Identical requests compute once: a share of a comparison playing at full speed whose
    runs (:func:`simulation.ui.cache.run_key`: configuration, structure, seed, code
    version) are all in :attr:`cache` is served from it without a worker; one that a worker
    is computing for another session follows that worker (it receives the same copies, live)
    instead of queueing. A follower that pauses, steps or slows down leaves and is
    recomputed alone (to the step it showed, at full speed); an owner that leaves or stops
    hands the worker to its first follower. :attr:`computed_runs` counts the runs workers
    were given to compute.
    """

    def __init__(self, size: int | None = None, cache=None):
        from simulation.ui.cache import RunCache

        self.size = max(1, size or worker_count())
        self.limit = self.size * PROCESS_FACTOR
        self._lock = threading.RLock()
        self._slots: list[_Slot] = []
        self._queue: deque[tuple[ComparisonRun, int]] = deque()
        self.cache = RunCache() if cache is None else cache
        self.computed_runs = 0
        self._leaders: dict[tuple, _Slot] = {}

    # ------------------------------------------------------------------ public
    def prepare(self) -> None:
        """Start the idle workers up to :attr:`size` (they warm up at once)."""
        with self._lock:
            while len(self._slots) < self.size:
                self._slots.append(self._new_slot())

    def submit(self, run: ComparisonRun, shares: int) -> None:
        deliveries: list = []
        if run.shareable:
            for index in range(shares):
                run.share_keys(index)  # hashed here, not while holding the pool's lock
        with self._lock:
            for index in range(shares):
                if not self._share_elsewhere(run, index, deliveries):
                    self._queue.append((run, index))
        self._deliver(deliveries)
        self._dispatch()

    def position(self, run: ComparisonRun) -> int | None:
        """Comparisons ahead of ``run`` in the queue (None if none of its shares waits)."""
        with self._lock:
            ahead: list[ComparisonRun] = []
            for queued, _ in self._queue:
                if queued is run:
                    return len(ahead)
                if queued not in ahead:
                    ahead.append(queued)
            return None

    def send(self, run: ComparisonRun, message) -> None:
        """Send a control message to the workers computing ``run``'s shares."""
        with self._lock:
            slots = [slot for slot in self._slots if slot.run is run]
        for slot in slots:
            slot.worker.send((message[0], slot.token, *message[1:]))

    def cancel(self, run: ComparisonRun) -> None:
        """Take ``run``'s waiting shares off the queue and out of shared computations (a
        worker it owned with followers goes on for them)."""
        with self._lock:
            removed = [index for queued, index in self._queue if queued is run]
            self._queue = deque(item for item in self._queue if item[0] is not run)
            removed += self._leave_groups(run)
        for index in removed:
            run.ended(index, cancelled=True)

    def detach(self, run: ComparisonRun) -> bool:
        """``run`` takes control of its own shares (it pauses, steps or slows down): shares
        it follows, or owns with followers, are queued again (first in the queue) to be
        recomputed for it alone. True if any was."""
        with self._lock:
            left = self._leave_groups(run)
            for index in left:
                run.requeued(index)
            self._queue.extendleft((run, index) for index in reversed(left))
        if left:
            # From another thread: the caller holds its run's control lock, and dispatching
            # may tell other runs (their own locks) that the cache served them.
            threading.Thread(target=self._dispatch, daemon=True,
                             name="firmsim-ui-dispatch").start()
        return bool(left)

    def kill(self, run: ComparisonRun, shares: list[int] | None = None) -> None:
        """Terminate the workers computing ``run`` (or its ``shares``): they did not stop
        when asked."""
        with self._lock:
            slots = [slot for slot in self._slots if slot.run is run
                     and (shares is None or slot.index in shares)]
        for slot in slots:
            slot.worker.terminate()

    def processes(self) -> list[int]:
        with self._lock:
            return [slot.worker.pid for slot in self._slots]

    def shutdown(self) -> None:
        with self._lock:
            slots, self._slots = self._slots, []
            self._queue.clear()
        for slot in slots:
            slot.worker.terminate()

    # ------------------------------------------------------------------ inside
    def _new_slot(self) -> _Slot:
        from simulation.execution.executor import ServiceProcess

        slot = _Slot(ServiceProcess(_child_main, name="firmsim-ui-worker"))
        threading.Thread(target=self._read, args=(slot,), daemon=True,
                         name="firmsim-ui-reader").start()
        return slot

    def _computing(self) -> int:
        return sum(1 for slot in self._slots if slot.run is not None and not slot.paused)

    def _share_elsewhere(self, run: ComparisonRun, index: int, deliveries: list) -> bool:
        """Serve share ``index`` of ``run`` from the cache or a worker computing it for
        another comparison (lock held; what the run is told goes in ``deliveries``)."""
        if not run.shareable:
            return False
        keys = tuple(run.share_keys(index))
        cached = self.cache.get_all(list(keys))
        if cached is not None:
            deliveries.append((run.receive_cached, (index, cached)))
            return True
        leader = self._leaders.get(keys)
        if leader is None or leader.run is None or not leader.run.shareable:
            return False
        leader.followers.append((run, index))
        deliveries.append((run.started, (index, leader.worker.pid)))
        for structure, payload in list(leader.last.items()):
            deliveries.append((run.receive, (index, ("pub", structure, payload, "running"))))
        return True

    @staticmethod
    def _deliver(deliveries: list) -> None:
        # Outside the pool's lock: a run's handlers take its own locks, which may be held
        # by a thread waiting for the pool's.
        for function, arguments in deliveries:
            function(*arguments)

    def _leave_groups(self, run: ComparisonRun) -> list[int]:
        """Take ``run`` out of shared computations (lock held); its share indices."""
        left = []
        for slot in self._slots:
            kept = [(r, i) for r, i in slot.followers if r is not run]
            left += [i for r, i in slot.followers if r is run]
            slot.followers = kept
            if slot.run is run and slot.followers:
                # The worker goes on for the first follower (its commands from now on).
                left.append(slot.index)
                slot.run, slot.index = slot.followers.pop(0)
                slot.worker.send(("play", slot.token, slot.run._command))
        return left

    def _dispatch(self) -> None:
        """Give waiting shares to workers while fewer than :attr:`size` compute."""
        deliveries: list = []
        with self._lock:
            while self._queue and self._computing() < self.size:
                run, index = self._queue[0]
                if self._share_elsewhere(run, index, deliveries):
                    self._queue.popleft()
                    continue
                slot = next((s for s in self._slots if s.run is None and s.worker.alive()),
                            None)
                if slot is None:
                    if len(self._slots) >= self.limit:
                        break
                    slot = self._new_slot()
                    self._slots.append(slot)
                self._queue.popleft()
                # Counted as computing until it says it paused.
                slot.run, slot.index, slot.paused = run, index, False
                slot.token, slot.followers, slot.last = run.token, [], {}
                slot.key = tuple(run.share_keys(index)) if run.shareable else None
                if not slot.worker.send(run.job(index)):
                    self._queue.appendleft((run, index))
                    slot.run, slot.key = None, None
                    slot.worker.terminate()
                    break
                if slot.key is not None:
                    self._leaders[slot.key] = slot
                self.computed_runs += run.share_runs(index)
                run.started(index, slot.worker.pid)
            # Idle workers beyond the size are let go (memory), once nobody waits.
            if not self._queue:
                idle = [s for s in self._slots if s.run is None]
                for slot in idle[:max(0, len(self._slots) - self.size)]:
                    self._slots.remove(slot)
                    slot.worker.send(("exit",))
        self._deliver(deliveries)

    def _release(self, slot: _Slot) -> list:
        """The share of ``slot`` is over (lock held): its followers, now let go."""
        followers = slot.followers
        if slot.key is not None and self._leaders.get(slot.key) is slot:
            del self._leaders[slot.key]
        slot.run, slot.index, slot.paused = None, -1, False
        slot.key, slot.followers, slot.last = None, [], {}
        return followers

    def _store(self, slot: _Slot, run: ComparisonRun, errors) -> None:
        """Keep a share's finished runs in the cache (every step computed, no error)."""
        if slot.key is None or errors or set(slot.last) != set(run._shares[slot.index]):
            return
        from simulation.ui.cache import FinishedRun

        runs = []
        for structure in run._shares[slot.index]:
            payload = slot.last[structure]
            if any(len(frame) < run.steps for frame in payload.frames):
                return  # stopped early
            for position, frame in enumerate(payload.frames):
                views = (payload.org_view, payload.customers) if position == 0 else (None,) * 2
                runs.append(FinishedRun(frame, payload.schedule, *views))
        for key, finished in zip(slot.key, runs, strict=True):
            self.cache.put(key, finished)

    def _read(self, slot: _Slot) -> None:
        """Forward one worker's messages to the run it computes (and the runs following
        it); replace the worker if it dies."""
        connection = slot.worker.results
        while True:
            try:
                message = connection.recv()
            except (EOFError, OSError):
                break
            except Exception:  # noqa: BLE001 - a message that cannot be read: drop the worker
                break
            if message[0] == "probe":  # a worker timed the speed probe
                from simulation.ui.summary import SPEED

                SPEED.observe_probe(message[2], message[3])
                continue
            with self._lock:
                run, index = slot.run, slot.index
                if run is None or message[1] != slot.token:
                    continue  # a late message of a share that has already ended
                followers = list(slot.followers)
                if message[0] == "pub":
                    slot.last[message[2]] = message[3]
            payload = (message[0], *message[2:])
            if message[0] == "done":
                # Into the cache before anyone is told (a new request then finds it there).
                with self._lock:
                    self._store(slot, run, message[2])
                    followers = self._release(slot)
                run.receive(index, payload)
                for follower, share in followers:
                    follower.receive(share, payload)
                self._dispatch()
                continue
            freed = False
            if message[0] == "state":
                with self._lock:
                    freed = message[2] == "paused" and not slot.paused
                    slot.paused = message[2] == "paused"
            run.receive(index, payload)
            if message[0] == "pub":
                for follower, share in followers:
                    follower.receive(share, payload)
            if freed:
                # A share that pauses gives its core back: a waiting share may start now
                # (it may have been queued while this one was still counted as computing).
                self._dispatch()
        with self._lock:
            run, index = slot.run, slot.index
            followers = self._release(slot)
            if slot in self._slots:
                self._slots.remove(slot)
        for lost, share in ([(run, index)] if run is not None else []) + followers:
            lost.ended(share, lost=True)
        slot.worker.terminate()
        with self._lock:
            if self._slots or self._queue:
                self._dispatch()


_pool: WorkerPool | None = None
_pool_lock = threading.Lock()


def shared_pool() -> WorkerPool:
    """The server's one :class:`WorkerPool` (created on first use)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = WorkerPool()
        return _pool


def _child_main(commands, results) -> None:
    """A worker process: warm up, then serve shares one after the other until told to exit.

    Every message carries the token of the comparison it belongs to; commands of another
    comparison (late ones, sent before the previous share ended) are ignored.
    """
    warm_up()
    send_lock = threading.Lock()

    def send(item) -> bool:
        with send_lock:
            try:
                results.send(item)
                return True
            except (OSError, ValueError):
                return False

    def probe() -> None:
        from simulation.ui.summary import speed_probe

        try:
            send(("probe", "", *speed_probe()))
        except Exception:  # noqa: BLE001 - a probe must never break the worker
            pass

    from simulation.ui.summary import PROBE_IDLE_SECONDS

    probe()
    while True:
        try:
            if not commands.poll(PROBE_IDLE_SECONDS):
                probe()  # idle: the machine's speed may have changed (other work on it)
                continue
            message = commands.recv()
        except (EOFError, OSError):
            return
        if message[0] == "exit":
            return
        if message[0] == "job":
            _serve_share(message, commands, send)


def _serve_share(message, commands, send) -> None:
    """Compute one share of a comparison, following the page's commands, then report."""
    (_, token, config, structures, seed, target, delay, replicates, replicate_ids,
     command, fast_until) = message
    run = None

    def publish(structure, payload):
        send(("pub", token, structure, payload,
              run._state() if run is not None else "running"))

    def rest(number, step):
        send(("rest", token, number, step))

    run = ThreadedRun(config, structures, seed, playing=target >= config.steps,
                      on_publish=publish, steps_per_second=math.inf if not delay else 1.0 / delay,
                      replicates=replicates, replicate_ids=replicate_ids, on_rest=rest,
                      command=command, fast_until=fast_until)
    if 0 < target < config.steps:
        run.step_to(target)  # the page pressed Step while the share waited
    run.start()
    last_state = None
    while not run.finished:
        if commands.poll(0.1):
            try:
                command = commands.recv()
            except (EOFError, OSError):
                run.stop()
                break
            if len(command) < 2 or command[1] != token:
                continue
            if command[0] == "play":
                run.play(command[2])
            elif command[0] == "pause":
                run.pause(command[2])
            elif command[0] == "step_to":
                run.step_to(command[2], command[3])
            elif command[0] == "speed":
                run.set_speed(command[2])
            elif command[0] == "stop":
                run.stop()
                break
        state = run._state()
        if state != last_state:
            last_state = state
            send(("state", token, state))
    run.wait(5)
    send(("done", token, list(run._errors)))


def prepare_worker() -> None:
    """Start the shared pool's workers in advance, one per core (a first run starts at
    once), and hash the code for the cache's keys (:func:`simulation.ui.cache.code_version`)
    before the first request needs it."""
    from simulation.ui.cache import code_version

    shared_pool().prepare()
    threading.Thread(target=code_version, daemon=True, name="firmsim-code-version").start()


def warm_up() -> None:
    """Import the model and load its compiled kernels (so a first run starts quickly)."""
    try:
        tiny = config_from_flat(customers=200, employees=20, steps=3)
        for structure in registry.menu_structures():
            run_model(tiny, structure, run_seed(0, 0))
    except Exception:  # noqa: BLE001 - a warm-up must never break the app
        pass
