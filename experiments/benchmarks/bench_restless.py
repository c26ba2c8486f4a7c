"""A restless market's optimum searches: cold branch and bound vs warm-started (N = 20).

Runs ``Market.turbulence_step`` for a number of steps at the atlas's turbulence levels twice
on the same seed, once with every optimum searched cold (``global_maximum_bb``) and once as
the model does it (``Market.refresh_optimum``: warm-started from the optima known so far).
Prints the CPU time per search of each, the ratio, and checks that both give the same
``max_fitness`` bit for bit after every step.

    python experiments/benchmarks/bench_restless.py [--steps 250] [--segments 3] [--k 3]
"""

import argparse
import time

import numpy as np

from simulation.config.schema import ModelConfig
from simulation.core.market import Market
from simulation.kernels.optimum import global_maximum_bb


def _cold_refresh(market: Market, segment: int) -> None:
    value, number = global_maximum_bb(market.dependencies, market.contributions[segment],
                                      market.dependents_ptr, market.dependents)
    market.max_fitness[segment] = value
    market.optimum_state[segment] = number


def run(rate: float, steps: int, segments: int, k: int, coupling: float, cold: bool):
    config = ModelConfig(market={"k": k, "cross_module_share": coupling}).market
    market = Market(config, segments, np.random.default_rng(7))
    rng = np.random.default_rng(11)
    spent, searches, history = 0.0, 0, []
    for _ in range(steps):
        if cold:
            original = Market.refresh_optimum
            Market.refresh_optimum = _cold_refresh
        start = time.process_time()
        try:
            moved = market.turbulence_step(range(segments), rate, rng)
        finally:
            if cold:
                Market.refresh_optimum = original
        spent += time.process_time() - start
        searches += segments if moved else 0
        history.append(market.max_fitness.copy())
    return spent, searches, np.array(history)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=250)
    parser.add_argument("--segments", type=int, default=3)
    parser.add_argument("--k", type=int, default=3)
    args = parser.parse_args()
    run(0.15, 3, args.segments, args.k, 0.1, cold=True)  # compile
    run(0.15, 3, args.segments, args.k, 0.1, cold=False)
    for coupling in (0.1, 0.7):
        for rate in (0.01, 0.05, 0.15):
            cold_s, searches, cold_h = run(rate, args.steps, args.segments, args.k, coupling, True)
            warm_s, _, warm_h = run(rate, args.steps, args.segments, args.k, coupling, False)
            same = np.array_equal(cold_h.view(np.int64), warm_h.view(np.int64))
            per = max(searches, 1)
            print(f"coupling {coupling} turbulence {rate:4.2f}: {searches:4d} searches  cold "
                  f"{cold_s / per * 1e3:6.3f} ms  warm {warm_s / per * 1e3:6.3f} ms  speed-up "
                  f"{cold_s / max(warm_s, 1e-12):5.2f}x  same max_fitness: {same}")


if __name__ == "__main__":
    main()
