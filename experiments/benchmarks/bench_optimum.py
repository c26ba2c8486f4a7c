"""Global optimum of an NK landscape: variable elimination vs branch and bound vs enumeration.

    .venv/bin/python experiments/benchmarks/bench_optimum.py [--landscapes 20] [--no-enumeration]
    .venv/bin/python experiments/benchmarks/bench_optimum.py --restless [--runs 2]

Random landscapes (N = 20, 4 modules; default): per coupling (cross-module share; the atlas
uses 0.1 and 0.7) and K, the median CPU time per search of variable elimination (the plan
built once per dependency structure, as the market does, and not timed; its table work is
printed), of the cold branch and bound, and of full enumeration, with the ratios; every answer
is checked equal (value and state). ``--no-enumeration`` skips enumeration.

``--restless``: the searches of real restless runs at the atlas's size (2,000 customers, 100
employees, 200 steps, a need shift at step 100) at turbulence 0.15 and couplings 0.1 and 0.7,
recorded once and replayed: per search, the branch and bound as the market ran it before (warm
from the known optima) split into its bounds (prefix maxima, Russian dolls) and its tree
search, and variable elimination as the market runs it now (``Market.refresh_optimum``), with
every answer checked equal bit for bit.
"""

import argparse
import time

import numpy as np

from simulation.core.landscapes import dependents_of, draw_contributions, draw_dependencies
from simulation.kernels import nk, optimum
from simulation.kernels.optimum import (
    elimination_plan,
    global_maximum_bb,
    global_maximum_planned,
    global_maximum_warm,
)

ATLAS = ["customers.count=2000", "firm.employees=100", "steps=200",
         'shocks=[{kind="need_shift", step=100, strength=0.5}]']


def random_landscapes(landscapes: int, enumeration: bool) -> None:
    empty = np.zeros(0, dtype=np.int64)
    for coupling in (0.1, 0.5, 0.7):
        rng = np.random.default_rng(0)
        for k in (1, 3, 5, 8):
            dependencies = draw_dependencies(20, k, rng, modules=4, cross_module_share=coupling)
            ptr, dependents, bits = dependents_of(dependencies)
            plan = elimination_plan(dependencies)
            forced = elimination_plan(dependencies, max_work=1 << 22)  # timed even if unused
            forced = forced if forced.use else None
            warmup = draw_contributions(20, k, rng)
            global_maximum_bb(dependencies, warmup, ptr, dependents)
            global_maximum_planned(plan, dependencies, warmup, ptr, dependents, empty)
            if forced is not None:
                global_maximum_planned(forced, dependencies, warmup, ptr, dependents, empty)
            if enumeration:
                nk.global_maximum(dependencies, warmup, ptr, dependents, bits)
            times = {"elimination": [], "branch and bound": [], "enumeration": []}
            for _ in range(landscapes):
                table = draw_contributions(20, k, rng)
                start = time.process_time()
                bb = global_maximum_bb(dependencies, table, ptr, dependents)
                times["branch and bound"].append(time.process_time() - start)
                if forced is not None:
                    start = time.process_time()
                    ve = global_maximum_planned(forced, dependencies, table, ptr, dependents,
                                                empty)
                    times["elimination"].append(time.process_time() - start)
                    assert ve[0] == bb[0] and ve[1] == bb[1]
                if enumeration:
                    start = time.process_time()
                    full = nk.global_maximum(dependencies, table, ptr, dependents, bits)
                    times["enumeration"].append(time.process_time() - start)
                    assert full[0] == bb[0] and full[1] == bb[1]
            median = {name: np.median(t) * 1e3 for name, t in times.items() if t}
            line = (f"coupling {coupling} K={k}: work {plan.work:9d} (used: {plan.use!s:5s})"
                    f"  elimination {median.get('elimination', np.nan):8.3f} ms"
                    f"  branch and bound {median['branch and bound']:8.3f} ms")
            if "elimination" in median:
                line += f" ({median['branch and bound'] / median['elimination']:6.1f}x)"
            if "enumeration" in median:
                line += f"  enumeration {median['enumeration']:7.2f} ms"
            print(line, flush=True)


def record_restless(coupling: float, runs: int):
    """The ``(plan, dependencies, contributions, ptr, dependents, hints)`` of every optimum
    search of ``runs`` atlas-size runs at turbulence 0.15 (network structure)."""
    import simulation as fs
    from simulation.config.seeds import run_seed
    from simulation.core import market as market_module
    from simulation.execution.runs import build_model

    config = fs.load_scenario("calm", set=ATLAS + [
        "market.turbulence=0.15", f"market.cross_module_share={coupling}"]).model_config_only()
    calls = []
    original = market_module.global_maximum_planned

    def recording(plan, dependencies, contributions, ptr, dependents, hints):
        calls.append((plan, dependencies, contributions.copy(), ptr, dependents, hints.copy()))
        return original(plan, dependencies, contributions, ptr, dependents, hints)

    market_module.global_maximum_planned = recording
    try:
        for seed in range(runs):
            build_model(config, "network", run_seed(7, seed, 3)).run()
    finally:
        market_module.global_maximum_planned = original
    return calls


def restless(runs: int) -> None:
    for coupling in (0.1, 0.7):
        calls = record_restless(coupling, runs)
        plan, dependencies, table, ptr, dependents, hints = calls[0]  # compile before timing
        optimum._doll_bounds(optimum._prefix_maxima(dependencies, table), dependencies, ptr,
                             dependents)
        global_maximum_warm(dependencies, table, ptr, dependents, hints[hints >= 0])
        parts = dict.fromkeys(("bounds: prefix maxima", "bounds: Russian dolls",
                               "branch and bound (warm, all)", "variable elimination"), 0.0)
        for plan, dependencies, table, ptr, dependents, hints in calls:
            start = time.process_time()
            maxima = optimum._prefix_maxima(dependencies, table)
            middle = time.process_time()
            optimum._doll_bounds(maxima, dependencies, ptr, dependents)
            end = time.process_time()
            bb = global_maximum_warm(dependencies, table, ptr, dependents, hints[hints >= 0])
            after_bb = time.process_time()
            ve = global_maximum_planned(plan, dependencies, table, ptr, dependents, hints)
            after_ve = time.process_time()
            assert ve[0] == bb[0] and ve[1] == bb[1]
            parts["bounds: prefix maxima"] += middle - start
            parts["bounds: Russian dolls"] += end - middle
            parts["branch and bound (warm, all)"] += after_bb - end
            parts["variable elimination"] += after_ve - after_bb
        count = len(calls)
        works = sorted({plan.work for plan, *_ in calls})
        print(f"turbulence 0.15, coupling {coupling}: {count} searches in {runs} runs "
              f"(elimination work {works}), CPU ms per search; all {count} answers equal:")
        parts["  of which the tree search"] = (
            parts["branch and bound (warm, all)"] - parts["bounds: prefix maxima"]
            - parts["bounds: Russian dolls"])
        for name in ("bounds: prefix maxima", "bounds: Russian dolls",
                     "  of which the tree search", "branch and bound (warm, all)",
                     "variable elimination"):
            print(f"  {name:30s} {parts[name] / count * 1e3:8.4f} ms")
        print(f"  speed-up of elimination over the warm branch and bound: "
              f"{parts['branch and bound (warm, all)'] / parts['variable elimination']:.1f}x; "
              f"per run {parts['branch and bound (warm, all)'] / runs * 1e3:.1f} -> "
              f"{parts['variable elimination'] / runs * 1e3:.1f} ms", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-enumeration", action="store_true")
    parser.add_argument("--landscapes", type=int, default=20)
    parser.add_argument("--restless", action="store_true",
                        help="replay the searches of real restless atlas-size runs")
    parser.add_argument("--runs", type=int, default=2, help="runs recorded per coupling")
    args = parser.parse_args()
    if args.restless:
        restless(args.runs)
    else:
        random_landscapes(args.landscapes, not args.no_enumeration)


if __name__ == "__main__":
    main()
