"""Global optimum of an NK landscape: branch and bound vs full enumeration (N = 20).

Prints the median CPU time per search of each over 20 random landscapes per K and coupling
(cross-module share; the atlas uses 0.1 and 0.7), and the ratio. ``--no-enumeration`` times
the branch and bound only (to compare two trees: run it with each on PYTHONPATH).
The market re-finds a segment's optimum whenever its landscape is redrawn (need shifts,
turbulence), so this is the cost of a restless market.
"""

import argparse
import time

import numpy as np

from simulation.core.landscapes import dependents_of, draw_contributions, draw_dependencies
from simulation.kernels import nk
from simulation.kernels.optimum import global_maximum_bb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-enumeration", action="store_true")
    parser.add_argument("--landscapes", type=int, default=20)
    args = parser.parse_args()
    for coupling in (0.1, 0.5, 0.7):
        rng = np.random.default_rng(0)
        for k in (1, 3, 5, 8):
            dependencies = draw_dependencies(20, k, rng, modules=4, cross_module_share=coupling)
            ptr, dependents, bits = dependents_of(dependencies)
            global_maximum_bb(dependencies, draw_contributions(20, k, rng), ptr, dependents)
            nk.global_maximum(dependencies, draw_contributions(20, k, rng), ptr, dependents, bits)
            bb, enum = [], []
            for _ in range(args.landscapes):
                table = draw_contributions(20, k, rng)
                start = time.process_time()
                a = global_maximum_bb(dependencies, table, ptr, dependents)[0]
                bb.append(time.process_time() - start)
                if args.no_enumeration:
                    continue
                start = time.process_time()
                b = nk.global_maximum(dependencies, table, ptr, dependents, bits)[0]
                enum.append(time.process_time() - start)
                assert a == b
            line = f"coupling {coupling} K={k}: branch and bound {np.median(bb) * 1e3:7.3f} ms"
            if enum:
                line += (f"   enumeration {np.median(enum) * 1e3:7.2f} ms   speed-up "
                         f"{np.median(enum) / np.median(bb):5.1f}x")
            print(line)


if __name__ == "__main__":
    main()
