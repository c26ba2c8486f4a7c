"""Sweep throughput at default size (time series off): one worker vs two, and overhead.

Runs a Latin-hypercube sweep (turbulence x cross-module share, hierarchy and network) at the
default model size (20,000 customers, 200 employees, 500 steps, one need shift at step 250)
through the real sweep runner and results folder, first with one worker (in this process),
then with two local worker processes. Prints runs/s of each, the speed-up, and the overhead:
the share of worker time not spent inside model runs (scheduling, serialising, writing the
Parquet partitions, start-up, the idle tail) and the per-run overhead against the mean run
time. Targets: speed-up >= 1.6 with 2 workers on 2 cores; overhead < 10% of run time.

``--atlas`` runs the atlas's run size instead (2,000 customers, 100 employees, 200 steps,
the need shift at step 100; issue 26's target: >= 10 runs/s on 2 workers).

``--thousand`` also runs a 1,000-run sweep (500 points x 2 structures) with two workers and
prints its wall time (about 15-20 minutes on 2 cores).

Run: ``.venv/bin/python experiments/benchmarks/bench_sweep.py [--runs 16] [--thousand]``
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from simulation.sweep.design import build_design
from simulation.sweep.runner import InProcess, LocalProcesses, run_sweep
from simulation.sweep.spec import resolve_experiment
from simulation.sweep.storage import SweepStore, read_table

#: The atlas's run size (``--atlas``): 2,000 customers, 100 employees, 200 steps.
ATLAS_SIZE = ["customers.count=2000", "firm.employees=100", "steps=200",
              'shocks=[{kind="need_shift", step=100, strength=0.5}]']
DEFAULT_SIZE = ["steps=500", 'shocks=[{kind="need_shift", step=250, strength=0.5}]']
SIZE = DEFAULT_SIZE


def experiment(points: int, name: str) -> dict:
    return {
        "name": name, "scenario": "calm",
        "set": SIZE,
        "structures": ["hierarchy", "network"], "replicates": 1, "seed": 3,
        "design": "lhs", "samples": points, "outputs": ["resilience", "levels"],
        "parameters": [{"path": "market.turbulence", "low": 0.0, "high": 0.05},
                       {"path": "market.cross_module_share", "low": 0.0, "high": 1.0}],
    }


def measure(points: int, executor, folder: Path, batch_size: int | None = None):
    resolved = resolve_experiment(experiment(points, "bench"), "bench")
    design = build_design(resolved)
    store = SweepStore(folder)
    store.start({"kind": "sweep", "fingerprint": "bench", "experiment_name": "bench"},
                design.table())
    started = time.perf_counter()
    outcome = run_sweep(resolved, design, store, executor, batch_size=batch_size,
                        progress=False)
    wall = time.perf_counter() - started
    executor.close()
    runs = len(read_table(folder, "runs"))
    assert runs == outcome.total and outcome.failed_now == 0
    return outcome, wall


def report(label: str, outcome, wall: float) -> float:
    rate = outcome.done_now / wall
    mean_run = outcome.run_seconds / outcome.done_now
    per_run_overhead = (outcome.workers * wall - outcome.run_seconds) / outcome.done_now
    print(f"{label}: {outcome.done_now} runs in {wall:.1f} s = {rate:.3f} runs/s; mean run "
          f"{mean_run:.2f} s; batches of {outcome.batch_size}; overhead "
          f"{outcome.overhead_share():.1%} of worker time = {per_run_overhead:.3f} s per run "
          f"({per_run_overhead / mean_run:.1%} of run time)")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=16,
                        help="runs with one worker (twice as many with two); even")
    parser.add_argument("--thousand", action="store_true",
                        help="also time a 1,000-run sweep with two workers")
    parser.add_argument("--atlas", action="store_true",
                        help="runs of the atlas's size (2,000 customers, 100 employees, 200 "
                        "steps; target >= 10 runs/s on 2 workers) instead of the default")
    args = parser.parse_args()
    global SIZE
    SIZE = ATLAS_SIZE if args.atlas else DEFAULT_SIZE
    print(f"run size: {' '.join(SIZE)}")

    with tempfile.TemporaryDirectory() as temporary:
        root = Path(temporary)
        started = time.perf_counter()
        warm = InProcess()
        measure(1, warm, root / "warm")  # compiles (or loads) the kernels; workers inherit
        print(f"warm-up (2 runs, compile/cache load): "
              f"{time.perf_counter() - started:.1f} s")
        one, wall_one = measure(args.runs // 2, InProcess(), root / "one")
        rate_one = report("1 worker ", one, wall_one)
        two, wall_two = measure(args.runs, LocalProcesses(2), root / "two")
        rate_two = report("2 workers", two, wall_two)
        print(f"speed-up with 2 workers: {rate_two / rate_one:.2f}x (target >= 1.6x)")
        if args.thousand:
            big, wall_big = measure(500, LocalProcesses(2), root / "thousand")
            report("1,000-run sweep, 2 workers", big, wall_big)
            print(f"1,000-run sweep wall time: {wall_big:.0f} s ({wall_big / 60:.1f} min)")


if __name__ == "__main__":
    main()
