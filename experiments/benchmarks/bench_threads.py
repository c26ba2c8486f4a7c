"""The customer step on one thread and on Numba's threads (issue 26): kernels and whole runs.

    .venv/bin/python experiments/benchmarks/bench_threads.py                  # 20k and 1M
    .venv/bin/python experiments/benchmarks/bench_threads.py --sizes 20000 --repeats 5
    .venv/bin/python experiments/benchmarks/bench_threads.py --thresholds     # the two sizes

Prints, per size (customers; employees 1 per 100 customers, the default's ratio):

1. **Whole runs** (hierarchy, wall time of ``model.run()`` after the build, kernels warm),
   alternating in one process: ``one thread`` (every step on the one-thread kernel: what
   the executor's workers run) and ``threads`` (the threaded step, as a run in the user's
   own process takes it); both draw the next step's numbers inside the kernel. Medians,
   the ratio one thread / threads, and the CPU seconds each used.
2. **The kernel alone** on the state the run reached: ``customer_step`` against
   ``customer_step_threads``, each drawing the next step's numbers (median of many calls on
   fresh copies of the arguments).

``--thresholds`` times the two size thresholds of :mod:`simulation.kernels.threads`: the
threaded kernel against the one-thread kernel at small sizes (``MIN_CUSTOMERS``), and the
hearing split between the threads against one push (``SPLIT_FROM``).

Every comparison is of the same numbers (tests/test_threads.py); the script also checks that
both kernels left the same arrays. Wall times depend on the machine's load: the load average
is printed first.
"""

from __future__ import annotations

import argparse
import os
import time

import numba
import numpy as np

from simulation.config.schema import validate_model_config
from simulation.config.seeds import run_seed
from simulation.execution.runs import build_model
from simulation.kernels import contagion, threads
from simulation.kernels import customers as ck


def config_of(customers: int, steps: int):
    return validate_model_config({"customers": {"count": customers},
                                  "firm": {"employees": max(20, customers // 100)},
                                  "steps": steps})


def whole_run(config, threaded: bool) -> tuple[float, float]:
    """Wall and CPU seconds of one run (the build excluded)."""
    threads.MIN_CUSTOMERS = DEFAULT_MIN if threaded else 10**12
    model = build_model(config, "hierarchy", run_seed(1, 0))
    wall, cpu = time.perf_counter(), time.process_time()
    model.run()
    return time.perf_counter() - wall, time.process_time() - cpu


def captured_arguments(config) -> list:
    """The customer kernel's arguments at the last step of a run of ``config``."""
    captured = {}
    original = ck.customer_step

    def spy(*arguments):
        captured["arguments"] = [a.copy() if isinstance(a, np.ndarray) else a
                                 for a in arguments]
        return original(*arguments)

    threads.MIN_CUSTOMERS = 10**12
    ck.customer_step = spy
    try:
        build_model(config, "hierarchy", run_seed(1, 0)).run()
    finally:
        ck.customer_step = original
        threads.MIN_CUSTOMERS = DEFAULT_MIN
    # Without split_parts and the next step's draws (buffer, stream, first-pass bounds).
    return captured["arguments"][:-4]


def fresh(arguments):
    return [a.copy() if isinstance(a, np.ndarray) else a for a in arguments]


def kernel_times(arguments, calls: int, parts: int) -> tuple[float, float]:
    """Median ms of the one-thread and the threaded kernel, each drawing the next step's
    numbers as in a run (the threaded one beside its first pass, split by
    ``threads.voice_bounds``); checks they agree."""
    size = arguments[0].shape[0]
    workers = numba.get_num_threads()
    bounds = {"one": threads.voice_bounds(size, 1), "threads": threads.voice_bounds(size, workers)}
    kernels = {"one": ck.customer_step, "threads": ck.customer_step_threads}
    following = np.empty((3, size))
    one, many = fresh(arguments), fresh(arguments)
    assert (ck.customer_step(*one, 1, following, np.random.default_rng(1), bounds["one"])
            == ck.customer_step_threads(*many, parts, following, np.random.default_rng(1),
                                        bounds["threads"]))
    assert all(np.array_equal(a, b) for a, b in zip(one, many, strict=True)
               if isinstance(a, np.ndarray))
    times = {"one": [], "threads": []}
    stream = np.random.default_rng(2)
    for _ in range(calls):
        for name in times:
            copy = fresh(arguments)
            started = time.perf_counter()
            kernels[name](*copy, parts, following, stream, bounds[name])
            times[name].append(time.perf_counter() - started)
    return (float(np.median(times["one"])) * 1e3, float(np.median(times["threads"])) * 1e3)


def report_size(customers: int, steps: int, repeats: int) -> None:
    config = config_of(customers, steps)
    workers = numba.get_num_threads()
    print(f"\n== {customers:,} customers, {steps} steps, {workers} Numba threads ==")
    whole_run(config, True), whole_run(config, False)  # compile or load every kernel
    walls = {True: [], False: []}
    cpus = {True: [], False: []}
    for _ in range(repeats):
        for threaded in (False, True):
            wall, cpu = whole_run(config, threaded)
            walls[threaded].append(wall)
            cpus[threaded].append(cpu)
    one, many = np.median(walls[False]), np.median(walls[True])
    print(f"whole run, one thread : {one:.3f} s  ({one / steps * 1e3:.3f} ms/step; "
          f"CPU {np.median(cpus[False]):.3f} s)  each: "
          + " ".join(f"{w:.3f}" for w in walls[False]))
    print(f"whole run, threads    : {many:.3f} s  ({many / steps * 1e3:.3f} ms/step; "
          f"CPU {np.median(cpus[True]):.3f} s)  each: "
          + " ".join(f"{w:.3f}" for w in walls[True]))
    print(f"one thread / threads  : {one / many:.2f}x")
    arguments = captured_arguments(config_of(customers, min(steps, 50)))
    parts = threads.split_parts(customers, workers)
    calls = 200 if customers <= 50_000 else 10
    one_ms, many_ms = kernel_times(arguments, calls, parts)
    print(f"kernel alone (median of {calls}): customer_step {one_ms:.3f} ms, "
          f"customer_step_threads {many_ms:.3f} ms (hearing in {parts} part(s)); "
          f"{one_ms / many_ms:.2f}x")


def report_thresholds() -> None:
    workers = numba.get_num_threads()
    print(f"\n== thresholds ({workers} Numba threads) ==")
    print("threaded kernel against one thread (MIN_CUSTOMERS = "
          f"{DEFAULT_MIN}), hearing on one thread:")
    for customers in (1000, 2000, 4000, 8000, 16000):
        arguments = captured_arguments(config_of(customers, 30))
        one_ms, many_ms = kernel_times(arguments, 300, 1)
        print(f"  {customers:>9,} customers: one {one_ms:.4f} ms, threads {many_ms:.4f} ms, "
              f"{one_ms / many_ms:.2f}x")
    print(f"hearing split in {workers} parts against one push (SPLIT_FROM = "
          f"{threads.SPLIT_FROM:,}):")
    for customers in (20_000, 50_000, 100_000, 200_000, 1_000_000):
        arguments = captured_arguments(config_of(customers, 20))
        indptr, indices, strong, weak = arguments[10:14]
        voice, opinion, heard = arguments[9], arguments[8], arguments[21]
        calls = 100 if customers <= 200_000 else 10
        times = {1: [], workers: []}
        for _ in range(calls):
            for parts in times:
                out = np.empty_like(heard)
                started = time.perf_counter()
                if parts == 1:
                    contagion.spread_voices(indptr, indices, strong, weak, voice, opinion, out)
                else:
                    contagion.spread_voices_threads(indptr, indices, strong, weak, voice,
                                                    opinion, out, parts)
                times[parts].append(time.perf_counter() - started)
        one_ms = float(np.median(times[1])) * 1e3
        split_ms = float(np.median(times[workers])) * 1e3
        print(f"  {customers:>9,} customers: one push {one_ms:.3f} ms, split {split_ms:.3f} ms,"
              f" {one_ms / split_ms:.2f}x")


DEFAULT_MIN = threads.MIN_CUSTOMERS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 1_000_000])
    parser.add_argument("--steps", type=int, nargs="+", default=None,
                        help="steps per size (default 500 at 20k and below, else 200)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--thresholds", action="store_true")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f}; Numba threading layer: ", end="")
    print("one thread only" if threads.threads_for(10**9) <= 1 else numba.threading_layer())
    if args.thresholds:
        report_thresholds()
        return
    steps = args.steps or [500 if n <= 20_000 else 200 for n in args.sizes]
    for customers, count in zip(args.sizes, steps, strict=False):
        report_size(customers, count, args.repeats)


if __name__ == "__main__":
    main()
