"""Global optimum of an NK landscape: branch and bound vs full enumeration (N = 20).

Prints the median time per search of each over 20 random landscapes per K, and the ratio.
The market re-finds a segment's optimum whenever its landscape is redrawn (need shifts,
turbulence), so this is the cost of a restless market.
"""

import time

import numpy as np

from simulation.core.landscapes import dependents_of, draw_contributions, draw_dependencies
from simulation.kernels import nk
from simulation.kernels.optimum import global_maximum_bb


def main() -> None:
    rng = np.random.default_rng(0)
    for k in (1, 3, 5, 8):
        dependencies = draw_dependencies(20, k, rng, modules=4, cross_module_share=0.5)
        ptr, dependents, bits = dependents_of(dependencies)
        global_maximum_bb(dependencies, draw_contributions(20, k, rng), ptr, dependents)
        nk.global_maximum(dependencies, draw_contributions(20, k, rng), ptr, dependents, bits)
        bb, enum = [], []
        for _ in range(20):
            table = draw_contributions(20, k, rng)
            start = time.perf_counter()
            a = global_maximum_bb(dependencies, table, ptr, dependents)[0]
            bb.append(time.perf_counter() - start)
            start = time.perf_counter()
            b = nk.global_maximum(dependencies, table, ptr, dependents, bits)[0]
            enum.append(time.perf_counter() - start)
            assert a == b
        print(f"K={k}: branch and bound {np.median(bb) * 1e3:7.2f} ms   enumeration "
              f"{np.median(enum) * 1e3:7.2f} ms   speed-up {np.median(enum) / np.median(bb):5.1f}x")


if __name__ == "__main__":
    main()
