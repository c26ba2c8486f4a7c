"""A market of three firms against today's single-firm run (issue 23: goal < 2x).

Times, on the default market (20,000 customers, 200 employees per firm) for ``--steps``
steps: ``FirmModel`` (one hierarchy), ``MarketModel`` with that one firm (the overhead of the
market's bookkeeping), and ``MarketModel`` with hierarchy, podular and network; construction
and the steps separately, medians of ``--repeats`` interleaved repeats (after a warm-up that
compiles the kernels); the ratios are ratios of medians.
Both CPU and wall ratios are printed: with the customer steps on Numba's threads (from
``simulation.kernels.threads.MIN_CUSTOMERS`` customers, unless ``NUMBA_NUM_THREADS=1``), CPU
time counts every thread's work and wall time what the user waits.
``--customers 1000000 --steps 200`` is the issue's large case (1M customers x 3 firms x 200
steps: goal under 3 minutes and 2 GB).

    .venv/bin/python experiments/benchmarks/bench_compete.py [--steps 500] [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import time

from simulation.config.schema import config_from_flat
from simulation.core.competition import MarketModel
from simulation.core.model import FirmModel
from simulation.execution.competition import market_config


def _time(build, steps: int) -> tuple[float, float, float]:
    """Wall seconds to build and to run ``steps``, and the CPU seconds of both (this process,
    all its threads: from ``threads.MIN_CUSTOMERS`` customers the customer steps run on
    Numba's threads, so CPU time is the work they share and wall time what a user waits;
    CPU time is the less sensitive of the two to other jobs on a shared machine)."""
    started, cpu = time.perf_counter(), time.process_time()
    model = build()
    built = time.perf_counter()
    model.run(steps)
    return built - started, time.perf_counter() - built, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--three-only", action="store_true",
                        help="time only the three-firm market (its peak memory alone)")
    args = parser.parse_args()
    base = config_from_flat(customers=args.customers, steps=max(args.steps, 2))
    three = market_config(base, ["hierarchy", "podular", "network"])
    one = market_config(base, ["hierarchy"])
    cases = {
        "FirmModel hierarchy": lambda: FirmModel(structure="hierarchy", rng=1, config=base),
        "FirmModel podular": lambda: FirmModel(structure="podular", rng=1, config=base),
        "FirmModel network": lambda: FirmModel(structure="network", rng=1, config=base),
        "MarketModel [hierarchy]": lambda: MarketModel(one, rng=1),
        "MarketModel [hierarchy, podular, network]": lambda: MarketModel(three, rng=1),
    }
    if args.three_only:
        cases = {name: build for name, build in cases.items() if "podular" in name}
    # Warm-up on a small market: compiles the kernels without a second large model in memory.
    small = config_from_flat(customers=2_000, steps=2)
    FirmModel(structure="hierarchy", rng=1, config=small).run(2)
    MarketModel(market_config(small, ["hierarchy", "podular", "network"]), rng=1).run(2)
    # Cases interleaved (repeat by repeat), so a change of the machine's load hits them all.
    times: dict[str, list[tuple[float, float, float]]] = {name: [] for name in cases}
    load_before = os.getloadavg()[0]
    for _ in range(args.repeats):
        for name, build in cases.items():
            times[name].append(_time(build, args.steps))
    print(f"load average (1 min) {load_before:.2f} before, {os.getloadavg()[0]:.2f} after; "
          f"{args.customers} customers, {args.steps} steps")
    wall = {name: statistics.median(b + s for b, s, _ in runs) for name, runs in times.items()}
    cpu = {name: statistics.median(c for _, _, c in runs) for name, runs in times.items()}
    for name, runs in times.items():
        b = statistics.median(r[0] for r in runs)
        s = statistics.median(r[1] for r in runs)
        print(f"{name:42s} median build {b:5.2f} s + {args.steps} steps {s:6.2f} s = "
              f"{wall[name]:6.2f} s wall, {cpu[name]:6.2f} s CPU ({args.repeats} repeats)")
    if "FirmModel hierarchy" in wall:
        for label, median in (("CPU", cpu), ("wall", wall)):
            single = median["FirmModel hierarchy"]
            for name in [n for n in cases if n.startswith("MarketModel")]:
                print(f"ratio of median {label} times {name} / FirmModel hierarchy: "
                      f"{median[name] / single:.2f}")
            alone = [median[f"FirmModel {s}"] for s in ("hierarchy", "podular", "network")
                     if f"FirmModel {s}" in median]
            three_name = "MarketModel [hierarchy, podular, network]"
            if label == "CPU" and three_name in times:
                # Each repeat's three-firm run over the single run of the same repeat (a
                # second apart, under about the same load), and the ratio of the fastest runs
                # (the least disturbed): how far the load moved the ratio of medians above.
                paired = sorted(three[2] / single_run[2] for three, single_run in
                                zip(times[three_name], times["FirmModel hierarchy"], strict=True))
                fastest = (min(run[2] for run in times[three_name])
                           / min(run[2] for run in times["FirmModel hierarchy"]))
                print(f"CPU ratios three firms / FirmModel hierarchy: repeat by repeat median "
                      f"{statistics.median(paired):.2f} (range {paired[0]:.2f}-{paired[-1]:.2f}); "
                      f"of the fastest runs {fastest:.2f}")
            if len(alone) == 3 and three_name in median:
                three = median[three_name]
                print(f"ratio of median {label} times three firms / mean of their single-firm "
                      f"runs: {three / (sum(alone) / 3):.2f}; / the three parallel worlds "
                      f"together: {three / sum(alone):.2f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of this process: {peak:.0f} MB ({args.customers} customers)")


if __name__ == "__main__":
    main()
