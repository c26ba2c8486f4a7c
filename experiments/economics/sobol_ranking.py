"""Which economics parameters decide the ranking? Sobol indices of paired profit differences
(issue 22).

    PYTHONPATH=. python experiments/economics/sobol_ranking.py [--samples 64] [--workers 2]

Saltelli's sampling (``SALib.sample.sobol``, first-order and total indices, no second
order: ``samples x (D + 2)`` points) over the economics parameters in their published or
plausible ranges (below). At every point the hierarchy, podular and network firms run on the
same seed (one seed for all points: common random numbers, so the indices measure the
parameters, not luck), in a calm and a turbulent market; the outputs are the paired
differences of cumulative profit, podular - hierarchy and network - hierarchy, and their
signs (who ranks first). Indices with bootstrap 95% intervals (``SALib.analyze.sobol``).
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

#: Parameter -> (low, high): the ranges the ODD's sources give, or plausible ones for scale
#: choices (section 7, "Economics").
RANGES = {
    "start_unit_cost": (0.4, 0.8),
    "progress_ratio": (0.7, 0.9),
    "prior_experience": (13.0, 208.0),
    "change_depreciation": (0.0, 1.0),
    "variant_cost": (0.0, 0.04),
    "retooling_cost": (0.0, 0.02),
    "wage_bill": (0.08, 0.25),
    "manager_premium": (0.0, 1.0),
    "coordination_price": (0.0, 2.0),
    "payback_horizon": (13.0, 156.0),
}
STRUCTURES = ("hierarchy", "podular", "network")
MARKETS = {"calm": 0.0, "turbulent": 0.05}
SIZE = dict(customers=1500, employees=60, customer_degree=8, steps=150)


def profit(job) -> tuple[int, str, str, float]:
    point, market, structure, values = job
    from simulation import FirmModel

    overrides = dict(zip(RANGES, values, strict=True))
    overrides["payback_horizon"] = int(round(overrides["payback_horizon"]))
    model = FirmModel(structure=structure, rng=7, turbulence=MARKETS[market], **SIZE,
                      **overrides).run()
    return point, market, structure, float(model.economics.cumulative_profit)


def main() -> None:
    from SALib.analyze import sobol as analyze
    from SALib.sample import sobol as sample

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    problem = {"num_vars": len(RANGES), "names": list(RANGES),
               "bounds": [list(b) for b in RANGES.values()]}
    points = sample.sample(problem, args.samples, calc_second_order=False, seed=2026)
    jobs = [(i, m, s, tuple(p)) for i, p in enumerate(points) for m in MARKETS
            for s in STRUCTURES]
    started = time.perf_counter()
    results = {}
    with ProcessPoolExecutor(args.workers) as pool:
        for point, market, structure, value in pool.map(profit, jobs, chunksize=8):
            results[(point, market, structure)] = value
    print(f"{len(points)} points x {len(MARKETS)} markets x {len(STRUCTURES)} structures = "
          f"{len(jobs)} runs ({SIZE}), {time.perf_counter() - started:.0f} s")
    for market in MARKETS:
        for other in STRUCTURES[1:]:
            diff = np.array([results[(i, market, other)] - results[(i, market, "hierarchy")]
                             for i in range(len(points))])
            print(f"\n== {market}: cumulative profit, {other} - hierarchy: mean {diff.mean():,.0f}"
                  f", {other} ahead at {(diff > 0).mean():.0%} of the points ==")
            indices = analyze.analyze(problem, diff, calc_second_order=False, seed=2026)
            order = np.argsort(-indices["ST"])
            print(f"{'parameter':22s} {'S1 [95%]':>22s} {'ST [95%]':>22s}")
            for j in order:
                name = problem["names"][j]
                s1, s1c = indices["S1"][j], indices["S1_conf"][j]
                st, stc = indices["ST"][j], indices["ST_conf"][j]
                print(f"{name:22s} {s1:8.3f} [{s1 - s1c:6.3f},{s1 + s1c:6.3f}] "
                      f"{st:8.3f} [{st - stc:6.3f},{st + stc:6.3f}]")


if __name__ == "__main__":
    main()
