"""Wall time of ``firmsim run demo`` (5 structures x 5 replicates, default size).

Prints the time of one full comparison of the demo scenario after compilation: first a tiny
run of every structure in this process compiles (or loads from the cache) the Numba kernels,
which forked workers inherit; then the full demo runs with the given number of worker
processes. Also prints the time of one run alone and the implied parallel efficiency.
The requirement is under 30 s on a 2-core machine; nothing here asserts it.

Run: ``.venv/bin/python experiments/benchmarks/bench_run.py [--workers N] [--repeat R]``
"""

from __future__ import annotations

import argparse
import os
import time

from simulation.config.scenario import load_scenario
from simulation.config.schema import config_from_flat
from simulation.execution.experiment import RunSpec, replicate_seeds, run_comparison, run_one


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--repeat", type=int, default=1, help="timed repetitions (best kept)")
    args = parser.parse_args()

    scenario = load_scenario("demo")
    config = scenario.model_config_only()
    started = time.perf_counter()
    tiny = config_from_flat(config, customers=500, employees=30, steps=20,
                            shocks=[{"kind": "need_shift", "step": 10}])
    for structure in scenario.structures:
        run_one(RunSpec(structure, 0, replicate_seeds(1, 1)[0], tiny))
    print(f"compile / cache load (tiny run of each structure): "
          f"{time.perf_counter() - started:.1f} s")

    seed = replicate_seeds(scenario.seed, 1)[0]
    singles = {}
    for structure in scenario.structures:
        started = time.perf_counter()
        run_one(RunSpec(structure, 0, seed, config), scenario.resilience_metric)
        singles[structure] = time.perf_counter() - started
    serial = sum(singles.values()) * scenario.replicates
    print("one run, default size, " + ", ".join(f"{s} {t:.2f} s" for s, t in singles.items()))

    runs = len(scenario.structures) * scenario.replicates
    times = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        run_comparison(config, scenario.structures, scenario.replicates, scenario.seed,
                       scenario.resilience_metric, workers=args.workers, progress=False)
        times.append(time.perf_counter() - started)
    best = min(times)
    print(f"demo: {len(scenario.structures)} structures x {scenario.replicates} replicates "
          f"= {runs} runs x {scenario.steps} steps, {scenario.customers.count} customers, "
          f"{scenario.firm.employees} employees, {args.workers} workers")
    print(f"  wall time {best:.1f} s (best of {len(times)}: "
          f"{', '.join(f'{t:.1f}' for t in times)}); target < 30 s: "
          f"{'met' if best < 30 else f'missed by {best - 30:.1f} s'}")
    print(f"  serial estimate {serial:.1f} s; parallel efficiency "
          f"{serial / best / args.workers:.0%}")


if __name__ == "__main__":
    main()
