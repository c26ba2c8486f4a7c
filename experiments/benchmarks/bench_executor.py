"""Start-up cost of the one executor's worker processes, by start method.

Run: ``.venv/bin/python experiments/benchmarks/bench_executor.py [--repeats 3]``

For each start method, in a fresh interpreter (so nothing is imported or started before),
prints the seconds from creating a pool of two workers to both having run one tiny model
(``run_model`` of 200 customers, 20 employees, 3 steps): the first pool of the process
(for ``forkserver`` this includes starting the fork server, which imports the model once)
and a second pool in the same process (the fork server is running by then). ``fork`` is
shown for reference only: firmsim never forks (the process may have threads).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHILD = r"""
import json, os, sys, time
sys.path.insert(0, {root!r})
method = {method!r}


def tiny(_):
    from simulation.config.schema import config_from_flat
    from simulation.config.seeds import run_seed
    from simulation.execution.runs import run_model
    run_model(config_from_flat(customers=200, employees=20, steps=3), "hierarchy",
              run_seed(0, 0))
    return os.getpid()


def pool():
    if method == "fork":
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor
        return ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork"))
    os.environ["FIRMSIM_START_METHOD"] = method
    from simulation.execution.executor import process_pool
    return process_pool(2)


if __name__ == "__main__":
    times = []
    for _ in range(2):
        began = time.perf_counter()
        with pool() as executor:
            pids = set(executor.map(tiny, range(2)))
        times.append(time.perf_counter() - began)
    print(json.dumps(times))
"""


def measure(method: str) -> list[float]:
    script = CHILD.format(root=str(ROOT), method=method)
    path = Path(f"/tmp/firmsim-bench-executor-{os.getpid()}.py")
    path.write_text(script)
    try:
        out = subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                             check=True, cwd=ROOT).stdout
    finally:
        path.unlink(missing_ok=True)
    return json.loads(out.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    for method in ("forkserver", "spawn", "fork"):
        firsts, seconds = [], []
        for _ in range(args.repeats):
            first, second = measure(method)
            firsts.append(first)
            seconds.append(second)
        firsts.sort()
        seconds.sort()
        print(f"{method:10s}: first pool {firsts[len(firsts) // 2]:5.2f} s, second pool "
              f"{seconds[len(seconds) // 2]:5.2f} s (medians of {args.repeats}; 2 workers, "
              "each one tiny run)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
