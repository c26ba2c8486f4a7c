"""How OpenMP's idle threads wait, and what it costs a run on threads (issue 26).

    .venv/bin/python experiments/benchmarks/bench_wait_policy.py               # quiet, then busy
    .venv/bin/python experiments/benchmarks/bench_wait_policy.py --rounds 5 --no-busy

firmsim asks OpenMP's idle threads to sleep at once (``OMP_WAIT_POLICY=PASSIVE``, set in
:func:`simulation.kernels.threads._start_layer` unless the user set it). Between the customer
step's threaded passes, and during a step's Python phases, a sleeping thread must be woken;
a spinning one is ready at once but holds a core while it waits. This script times the
default run (20,000 customers, 200 employees, 500 steps, hierarchy; the run alone, after a
warm-up run) in a fresh process per setting, settings alternating, under:

- ``passive``: firmsim's default (sleep at once);
- ``spin 30000`` and ``spin 100000``: sleep after ``GOMP_SPINCOUNT`` spins (GNU OpenMP);
- ``active``: ``OMP_WAIT_POLICY=ACTIVE`` (spin);
- ``one thread``: ``NUMBA_NUM_THREADS=1`` (no threads to wait).

Then the same again with ``--busy``: one other process keeps one core busy all the while,
as a second program on the user's machine would. Prints the median of each setting's runs
and its ratio to ``passive``. Needs the GNU OpenMP threading layer (the spin settings mean
nothing to TBB); the layer in use is printed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys

CHILD = r"""
import time
import numba
from simulation.config.schema import validate_model_config
from simulation.config.seeds import run_seed
from simulation.execution.runs import build_model
build_model(validate_model_config({"steps": 20}), "hierarchy", run_seed(1, 0)).run()
times = []
for replicate in range(RUNS):
    model = build_model(validate_model_config({}), "hierarchy", run_seed(1, replicate))
    start = time.perf_counter()
    model.run()
    times.append(time.perf_counter() - start)
try:
    layer = numba.threading_layer()
except ValueError:  # no threaded kernel ran (one thread)
    layer = "none"
print(layer, *times)
"""

SETTINGS = {
    "passive": {"OMP_WAIT_POLICY": "PASSIVE"},
    "spin 30000": {"OMP_WAIT_POLICY": "PASSIVE", "GOMP_SPINCOUNT": "30000"},
    "spin 100000": {"OMP_WAIT_POLICY": "PASSIVE", "GOMP_SPINCOUNT": "100000"},
    "active": {"OMP_WAIT_POLICY": "ACTIVE"},
    "one thread": {"OMP_WAIT_POLICY": "PASSIVE", "NUMBA_NUM_THREADS": "1"},
}


def one_process(setting: str, runs: int) -> tuple[str, list[float]]:
    env = {key: value for key, value in os.environ.items()
           if key not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "NUMBA_NUM_THREADS")}
    env.update(SETTINGS[setting])
    out = subprocess.run([sys.executable, "-c", CHILD.replace("RUNS", str(runs))], env=env,
                         capture_output=True, text=True, check=True)
    layer, *times = out.stdout.split()
    return layer, [float(t) for t in times]


def measure(rounds: int, runs: int, label: str) -> None:
    found: dict[str, list[float]] = {name: [] for name in SETTINGS}
    layers = set()  # "none" for one thread
    for _ in range(rounds):
        for name in SETTINGS:
            layer, times = one_process(name, runs)
            layers.add(layer)
            found[name] += times
    print(f"== {label}: {rounds} rounds x {runs} runs per setting; threading layer "
          f"{', '.join(sorted(layers))}; load average {os.getloadavg()[0]:.2f}")
    passive = statistics.median(found["passive"])
    for name, times in found.items():
        median = statistics.median(times)
        print(f"  {name:12s} {median:6.3f} s  ({min(times):.3f}-{max(times):.3f})  "
              f"{median / passive:5.2f}x passive")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--runs", type=int, default=3, help="runs per process")
    parser.add_argument("--no-busy", action="store_true",
                        help="skip the measurement beside a busy process")
    args = parser.parse_args()
    print(f"cores {os.cpu_count()}; default run (20,000 customers, 500 steps), the run alone")
    measure(args.rounds, args.runs, "quiet")
    if args.no_busy:
        return
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        measure(args.rounds, args.runs, "one other process busy on one core")
    finally:
        busy.kill()
        busy.wait()


if __name__ == "__main__":
    main()
