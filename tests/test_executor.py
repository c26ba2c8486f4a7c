"""The one executor: every parallel path uses it, never forks, and its numbers do not depend
on the number of workers; the app's comparisons share one pool and wait their turn."""

from __future__ import annotations

import re
import time
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.config.schema import config_from_flat
from simulation.execution import executor

ROOT = Path(__file__).resolve().parent.parent
SMALL = {"customers": 300, "employees": 30, "steps": 30,
         "shocks": [{"kind": "need_shift", "step": 15, "strength": 0.5}]}


def test_no_other_process_pool_in_the_package():
    """Every process of the package is started by execution/executor.py."""
    pattern = re.compile(r"ProcessPoolExecutor|multiprocessing|\bPool\(|os\.fork\(")
    offenders = []
    for path in sorted((ROOT / "simulation").rglob("*.py")):
        if path == ROOT / "simulation" / "execution" / "executor.py":
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#", 1)[0]
            if pattern.search(code) and not code.lstrip().startswith(('"', "'", ":")):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "\n".join(offenders)


def test_start_method_is_never_fork(monkeypatch):
    assert executor.context().get_start_method() in ("forkserver", "spawn")
    monkeypatch.setenv(executor.START_VARIABLE, "fork")  # not a choice
    assert executor.start_method() != "fork"
    monkeypatch.setenv(executor.START_VARIABLE, "spawn")
    assert executor.context().get_start_method() == "spawn"


def _square_and_settings(value: int) -> tuple[int, str | None, int]:
    import os

    return value * value, os.environ.get("FIRMSIM_TEST_SETTING"), os.getppid()


def test_local_pool_hands_workers_the_settings_and_returns_every_item(monkeypatch):
    monkeypatch.setenv("FIRMSIM_TEST_SETTING", "handed over")
    with executor.LocalPool(2) as pool:
        results = dict(pool.map(_square_and_settings, range(7)))
    assert {k: v[0] for k, v in results.items()} == {k: k * k for k in range(7)}
    assert {v[1] for v in results.values()} == {"handed over"}


def _fails_on_three(value: int) -> int:
    if value == 3:
        raise ValueError("three")
    return value


def test_a_failing_task_comes_back_as_its_exception():
    with executor.LocalPool(2) as pool:
        results = dict(pool.map(_fails_on_three, range(5)))
    assert isinstance(results[3], ValueError) and results[4] == 4
    results = dict(executor.InProcess().map(_fails_on_three, range(5)))
    assert isinstance(results[3], ValueError) and results[4] == 4


def test_run_comparison_same_numbers_for_any_worker_count():
    from simulation.execution.experiment import run_comparison

    config = config_from_flat(None, **SMALL)
    tables = [run_comparison(config, ["hierarchy", "network"], 3, seed=4, workers=workers,
                             progress=False) for workers in (1, 2, 3)]
    for other in tables[1:]:
        pd.testing.assert_frame_equal(tables[0][0], other[0])
        pd.testing.assert_frame_equal(tables[0][1], other[1])


def test_design_trials_same_numbers_for_any_worker_count():
    from simulation.design.runs import DesignEvaluator

    base = config_from_flat(None, **SMALL).model_dump(mode="json")
    seeds = {11: 0, 12: 1, 13: 2}
    means = []
    for workers in (1, 2):
        evaluate = DesignEvaluator(base, ["network"], seeds, root=3, metric="market_share",
                                   workers=workers)
        try:
            means.append(evaluate({"firm.span": 4}, [11, 12, 13]))
        finally:
            evaluate.close()
    assert means[0].keys() == means[1].keys()
    for name in means[0]:
        assert means[0][name] == means[1][name] or (np.isnan(means[0][name])
                                                    and np.isnan(means[1][name]))


# ----------------------------------------------------------------------------- the app's pool
def test_app_comparisons_share_one_pool_and_wait_their_turn():
    """A pool of one worker and three comparisons: the later ones are queued and told their
    place; each finishes with the numbers it has alone; no more processes than the pool's."""
    from simulation.ui.runner import ComparisonRun, ThreadedRun, WorkerPool

    config = config_from_flat(None, **SMALL)
    pool = WorkerPool(size=1)
    try:
        runs = [ComparisonRun(config, ["hierarchy", "network"], seed=seed, pool=pool,
                              workers=2).start() for seed in (1, 2, 3)]
        # Ahead of the third: the first (its second share) and the second comparison.
        assert runs[2].queue_position() == 2
        queued = runs[2].snapshot()
        assert queued.state == "queued" and queued.queue == 2
        for run in runs:
            assert run.wait(180)
        assert len(set(pool.processes())) == 1
        for seed, run in zip((1, 2, 3), runs, strict=True):
            snapshot = run.snapshot()
            assert snapshot.state == "finished" and snapshot.error is None
            alone = ThreadedRun(config, ["hierarchy", "network"], seed=seed).start()
            assert alone.wait(120)
            pd.testing.assert_frame_equal(snapshot.long_table(),
                                          alone.snapshot().long_table())
    finally:
        pool.shutdown()


def test_a_stopped_comparison_leaves_the_queue_and_frees_its_worker():
    from simulation.ui.runner import ComparisonRun, WorkerPool

    config = config_from_flat(None, **{**SMALL, "steps": 400})
    pool = WorkerPool(size=1)
    try:
        first = ComparisonRun(config, ["hierarchy"], seed=1, pool=pool, workers=1,
                              steps_per_second=50).start()
        waiting = ComparisonRun(config, ["hierarchy"], seed=2, pool=pool, workers=1).start()
        assert waiting.snapshot().state == "queued"
        waiting.stop()
        assert waiting.finished and waiting.snapshot().state == "stopped"
        assert pool.position(waiting) is None
        first.stop()
        assert first.finished
        # The worker serves the next comparison (not a new process).
        worker = pool.processes()
        after = ComparisonRun(config_from_flat(None, **SMALL), ["hierarchy"], seed=3,
                              pool=pool, workers=1).start()
        assert after.wait(120) and after.snapshot().state == "finished"
        assert pool.processes() == worker
    finally:
        pool.shutdown()


def test_a_paused_comparison_does_not_hold_the_class():
    """A paused comparison keeps its process but not its core: the next one starts."""
    from simulation.ui.runner import ComparisonRun, WorkerPool

    config = config_from_flat(None, **SMALL)
    pool = WorkerPool(size=1)
    try:
        paused = ComparisonRun(config, ["hierarchy"], seed=1, pool=pool, workers=1,
                               playing=False).start()
        deadline = time.time() + 60
        while paused.snapshot().state != "paused" and time.time() < deadline:
            time.sleep(0.05)
        other = ComparisonRun(config, ["network"], seed=2, pool=pool, workers=1).start()
        assert other.wait(120) and other.snapshot().state == "finished"
        paused.play()
        assert paused.wait(120) and paused.snapshot().state == "finished"
    finally:
        pool.shutdown()


def test_a_dead_worker_fails_its_comparison_only():
    from simulation.ui.runner import ComparisonRun, WorkerPool

    config = config_from_flat(None, **{**SMALL, "steps": 400})
    pool = WorkerPool(size=1)
    try:
        doomed = ComparisonRun(config, ["hierarchy"], seed=1, pool=pool, workers=1,
                               steps_per_second=50).start()
        deadline = time.time() + 60
        while not doomed.worker_pids and time.time() < deadline:
            time.sleep(0.05)
        next_one = ComparisonRun(config_from_flat(None, **SMALL), ["network"], seed=2,
                                 pool=pool, workers=1).start()
        pool.kill(doomed)
        assert doomed.wait(30) and "ended unexpectedly" in (doomed.snapshot().error or "")
        assert next_one.wait(120) and next_one.snapshot().state == "finished"
    finally:
        pool.shutdown()
