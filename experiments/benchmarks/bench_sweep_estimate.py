"""The sweep's time estimate per run against the measured time, over run sizes.

    .venv/bin/python experiments/benchmarks/bench_sweep_estimate.py [--repeats 1]

``firmsim sweep`` announces "about N min on W worker(s)" and refuses or asks for ``--yes``
from :func:`simulation.execution.budget.run_seconds`, an uncalibrated per-run estimate (the
app calibrates its own, :mod:`simulation.ui.summary`). This script builds and runs each
preset structure once per case on one thread, as a sweep worker does (the kernels compiled
or loaded from the cache first), and prints the mean wall seconds per run (build included),
the estimate and their ratio. The cases span the sizes sweeps use (the atlas's 3,000
customers and 100 or 400 employees, the demo's 2,000) up to 100,000 customers, calm and
restless (turbulence 0.15, coupling 0.7: an optimum search per moved landscape, which the
estimate does not model).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from simulation.config.schema import validate_model_config
from simulation.config.seeds import run_seed
from simulation.execution.budget import run_seconds
from simulation.execution.runs import build_model
from simulation.kernels import threads

STRUCTURES = ("hierarchy", "siloed_social", "network", "podular", "open")
#: (customers, employees, steps, turbulence)
CASES = [(2_000, 100, 200, 0.0), (3_000, 100, 250, 0.0), (3_000, 400, 250, 0.0),
         (3_000, 100, 250, 0.15), (10_000, 100, 250, 0.0), (20_000, 200, 500, 0.0),
         (20_000, 2_000, 200, 0.0), (100_000, 1_000, 100, 0.0)]


def config_of(customers: int, employees: int, steps: int, turbulence: float):
    market = {"turbulence": turbulence, "cross_module_share": 0.7} if turbulence else {}
    return validate_model_config({
        "customers": {"count": customers}, "firm": {"employees": employees}, "steps": steps,
        "market": market, "shocks": [{"kind": "need_shift", "step": steps // 2}]})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1, help="runs per structure and case")
    args = parser.parse_args()
    threads.MIN_CUSTOMERS = 10**12  # one thread, as the sweep's workers run
    build_model(validate_model_config({"steps": 20}), "hierarchy", run_seed(1, 0)).run()
    print(f"load average {os.getloadavg()[0]:.2f}; one thread; mean over "
          f"{len(STRUCTURES)} structures x {args.repeats} run(s), build included")
    print(f"{'customers':>10} {'employees':>9} {'steps':>5} {'turb.':>5} "
          f"{'measured s':>10} {'estimate s':>10} {'estimate/measured':>17}")
    for customers, employees, steps, turbulence in CASES:
        config = config_of(customers, employees, steps, turbulence)
        times = []
        for structure in STRUCTURES:
            for repeat in range(args.repeats):
                start = time.perf_counter()
                build_model(config, structure, run_seed(1, repeat)).run()
                times.append(time.perf_counter() - start)
        measured, estimate = statistics.mean(times), run_seconds(config)
        print(f"{customers:>10,} {employees:>9,} {steps:>5} {turbulence:>5} {measured:>10.3f} "
              f"{estimate:>10.3f} {estimate / measured:>17.2f}")


if __name__ == "__main__":
    main()
