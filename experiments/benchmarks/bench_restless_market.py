"""CPU time of a restless market alone: 250 turbulent steps (rate 0.15) of 3 segments per
coupling (cross-module share 0.1 to 0.7), mean of 3 seeds.

Only ``Market.turbulence_step`` runs (the redraws and the optimum searches), so the figure is
the market's share of an atlas run. To compare two trees, run it with each on PYTHONPATH:

    PYTHONPATH=<tree> python experiments/benchmarks/bench_restless_market.py
"""

import time

import numpy as np

from simulation.config.schema import ModelConfig
from simulation.core.market import Market


def main() -> None:
    out = []
    for coupling in (0.1, 0.3, 0.5, 0.7):
        total = 0.0
        for seed in range(3):
            config = ModelConfig(market={"cross_module_share": coupling}).market
            market = Market(config, 3, np.random.default_rng(seed))
            rng = np.random.default_rng(100 + seed)
            start = time.process_time()
            for _ in range(250):
                market.turbulence_step(range(3), 0.15, rng)
            total += time.process_time() - start
        out.append(f"coupling {coupling}: {total / 3 * 1e3:7.1f} ms")
    print("   ".join(out))


if __name__ == "__main__":
    main()
