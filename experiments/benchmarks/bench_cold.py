"""Cold start: the first run after install, with the Numba cache empty (issue 26: under 15 s).

    .venv/bin/python experiments/benchmarks/bench_cold.py [--repeats 3] [--kernels 12]

Each repeat is a fresh process with ``NUMBA_CACHE_DIR`` pointed at an empty folder, so every
kernel compiles, as on a machine where firmsim was just installed. It times, from the start of
the process:

1. ``import simulation``;
2. a first run of every preset structure (org_chart needs a chart file: left out) at a
   small size (2,000 customers, 20 steps, one need shift at step 10): the kernels every
   structure uses compile here, once;
3. then one default-size run (20,000 customers, 200 employees, 500 steps) of the hierarchy,
   with everything compiled: what a user waits for after the first compile.

It also prints the compile time of the slowest kernels (top-level compilations only, from
the first repeat), so the gap to the target points at the kernels that cost it. The median
over the repeats is the figure to quote; a second process with the cache filled is shown for
comparison (the cache load, what every later run pays).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

CHILD = r"""
import json, time
started = time.perf_counter()
from numba.core.dispatcher import Dispatcher
compile_times, depth = {}, [0]
original = Dispatcher.compile


def timed(self, signature):
    depth[0] += 1
    clock = time.perf_counter()
    try:
        return original(self, signature)
    finally:
        depth[0] -= 1
        if depth[0] == 0 and self.py_func.__module__.startswith("simulation"):
            name = self.py_func.__module__.rsplit(".", 1)[-1] + "." + self.py_func.__name__
            compile_times[name] = compile_times.get(name, 0.0) + time.perf_counter() - clock


Dispatcher.compile = timed
import simulation as fs
from simulation.config.schema import validate_model_config
from simulation.config.seeds import run_seed
from simulation.execution.runs import build_model
from simulation.registry import names

imported = time.perf_counter()
small = validate_model_config({"customers": {"count": 2000}, "steps": 20,
                               "shocks": [{"kind": "need_shift", "step": 10}]})
for structure in [name for name in names("structure") if name != "org_chart"]:
    build_model(small, structure, run_seed(1, 0)).run()
first = time.perf_counter()
build_model(validate_model_config({}), "hierarchy", run_seed(1, 0)).run()
default = time.perf_counter()
print(json.dumps({"import": imported - started, "first_runs": first - imported,
                  "to_first_runs": first - started, "default_run": default - first,
                  "compile": compile_times}))
"""


def _child(cache: str) -> dict:
    env = dict(os.environ, NUMBA_CACHE_DIR=cache)
    out = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True,
                         check=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--kernels", type=int, default=12, help="slowest kernels to list")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f}")
    cold, warm = [], []
    for _ in range(args.repeats):
        with tempfile.TemporaryDirectory() as cache:
            cold.append(_child(cache))
            warm.append(_child(cache))  # the same cache, now filled
    for label, found in (("cold (empty Numba cache)", cold), ("warm (cache filled)", warm)):
        print(f"== {label}, median of {len(found)} fresh processes (min-max)")
        for key, text in (("import", "import simulation"),
                          ("first_runs", "first small run of every structure"),
                          ("to_first_runs", "process start to end of those runs"),
                          ("default_run", "then one default-size run")):
            values = [r[key] for r in found]
            print(f"  {text:38s} {statistics.median(values):6.2f} s "
                  f"({min(values):.2f}-{max(values):.2f})")
    total = statistics.median(r["to_first_runs"] for r in cold)
    print(f"cold start {total:.1f} s; target < 15 s: "
          f"{'met' if total < 15 else f'missed by {total - 15:.1f} s'}")
    compile_times = cold[0]["compile"]
    print(f"== slowest kernels to compile (first repeat; {len(compile_times)} compiled, "
          f"{sum(compile_times.values()):.1f} s in all)")
    for name, seconds in sorted(compile_times.items(), key=lambda kv: -kv[1])[:args.kernels]:
        print(f"  {name:40s} {seconds:6.2f} s")


if __name__ == "__main__":
    main()
