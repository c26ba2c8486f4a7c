"""Benchmarks of the firm model (issue: the firm model). Prints figures and ratios.

    .venv/bin/python experiments/benchmarks/bench_model.py            # everything
    .venv/bin/python experiments/benchmarks/bench_model.py --quick    # skip the 1M run

1. Default size (200 employees, 20,000 customers, 20 stakeholders, 500 steps), per structure,
   after compilation (Numba cache on).
2. The same step with every kernel swapped for its own Python function (``kernel.py_func``,
   the undecorated source run by the interpreter), on the same world.
3. 1,000,000 customers, 2,000 employees, 200 steps: construction, run and peak memory
   (a fresh process each, so peak memory is that run's alone).
4. First-ever call including compilation (a fresh process with an empty Numba cache).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time

TARGETS = {"default_run_s": 2.0, "python_ratio": 100.0, "large_run_s": 60.0,
           "large_memory_gb": 3.0, "large_build_s": 15.0, "cold_start_s": 45.0}


def default_size() -> dict:
    from simulation import FirmModel

    FirmModel(rng=0, steps=5, customers=2_000).run()  # load compiled kernels
    times = {}
    for structure in ("hierarchy", "siloed_social", "network", "podular", "open"):
        model = FirmModel(structure=structure, rng=1, steps=500)
        start = time.perf_counter()
        model.run()
        times[structure] = time.perf_counter() - start
    return times


def _timed(function, clock):
    """``function`` adding its own run time to ``clock[0]`` (outermost calls only)."""
    depth = [0]

    def wrapper(*args):
        depth[0] += 1
        start = time.perf_counter()
        try:
            return function(*args)
        finally:
            depth[0] -= 1
            if depth[0] == 0:
                clock[0] += time.perf_counter() - start

    return wrapper


#: Kernels only ever called from inside other kernels: swapped, but not timed on their own.
NESTED = ("_logistic", "spread_voices", "bass_hazard", "change_value", "change_effect",
          "_contribution_index")


def python_swaps() -> list:
    """``(module, name, kernel.py_func)`` for every kernel a model step reaches.

    Nested kernels are listed too (:data:`NESTED`): a ``py_func`` calls its helpers through
    its module's globals, so swapping those as well keeps compiled code out of the
    plain-Python run. Swap only after the kernels have been compiled (or loaded from the
    cache): Numba reads the globals when it compiles.
    """
    import simulation.core.organization as model_module
    from simulation.kernels import contagion, customers, nk, organization, sensing

    return [
        (customers, "customer_step", customers.customer_step.py_func),
        (customers, "_logistic", customers._logistic.py_func),
        (customers, "spread_voices", contagion.spread_voices.py_func),
        (customers, "bass_hazard", contagion.bass_hazard.py_func),
        (customers, "media_exposure", customers.media_exposure.py_func),
        (customers, "reached_mean", customers.reached_mean.py_func),
        (organization, "climb_tree", organization.climb_tree.py_func),
        (organization, "peer_review", organization.peer_review.py_func),
        (organization, "decide", organization.decide.py_func),
        (organization, "change_value", organization.change_value.py_func),
        (organization, "change_effect", nk.change_effect.py_func),
        (organization, "push", organization.push.py_func),
        (model_module, "sense_changes", sensing.sense_changes.py_func),
        (sensing, "change_effect", nk.change_effect.py_func),
        (nk, "fitness", nk.fitness.py_func),
        (nk, "_contribution_index", nk._contribution_index.py_func),
    ]


@contextlib.contextmanager
def swapped(replacements):
    """Set each ``(module, name, value)`` for the duration of the block, then restore."""
    saved = [(module, name, getattr(module, name)) for module, name, _ in replacements]
    try:
        for module, name, value in replacements:
            setattr(module, name, value)
        yield
    finally:
        for module, name, original in saved:
            setattr(module, name, original)


def python_ratio(steps: int = 3) -> dict:
    """Seconds per step with compiled kernels and with their ``py_func``, same world."""
    import simulation.core.market as market_module
    from simulation import FirmModel

    results = {}
    for structure in ("hierarchy", "network", "open"):
        model = FirmModel(structure=structure, rng=1, steps=500)
        model.run(50)
        start = time.perf_counter()
        model.run(steps)
        compiled = (time.perf_counter() - start) / steps
        swaps = python_swaps()
        originals = [(module, name, getattr(module, name)) for module, name, _ in swaps]
        inside = {}
        # Time spent inside the kernels, then inside their py_funcs, over the same steps.
        # Only the kernels the model calls are timed; timing the nested ones too would add the
        # timer's own overhead to every inner call of the py_func runs.
        for label, functions in (("kernel", originals), ("py_func", swaps)):
            clock = [0.0]
            with swapped([(module, name, function if name in NESTED else
                           _timed(function, clock)) for module, name, function in functions]):
                model.run(steps)
            inside[label] = clock[0] / steps
        python_fitness = next(f for _, name, f in swaps if name == "fitness")
        with swapped(swaps):
            assert market_module.nk.fitness is python_fitness  # the market sees the swap
            start = time.perf_counter()
            model.run(steps)
            plain = (time.perf_counter() - start) / steps
        results[structure] = {"kernel_ms": compiled * 1e3, "py_func_ms": plain * 1e3,
                              "ratio": plain / compiled,
                              "inside_kernel_ms": inside["kernel"] * 1e3,
                              "inside_py_func_ms": inside["py_func"] * 1e3,
                              "inside_ratio": inside["py_func"] / inside["kernel"]}
    return results


def customer_kernel_ratio(repeats: int = 200) -> dict:
    """The customer step alone (the hot loop): compiled kernel vs its py_func, same arrays."""
    import numpy as np

    from simulation import FirmModel
    from simulation.kernels import customers

    model = FirmModel(structure="hierarchy", rng=1, steps=500)
    model.run(30)
    c, n = model.config.customers, model.n_customers
    rng = np.random.default_rng(0)
    uniforms, normals = rng.random((2, n)), rng.standard_normal(n)
    p = model.population
    args = (p.active, p.buying, p.segment, p.taste, p.belief, p.satisfaction, p.sentiment,
            p.threshold, p.opinion, p.voice, p.indptr, p.indices, p.tie_strong,
            c.weak_tie_weight, p.tie_weight, p.media_sum, p.media_count, 0.05, p.media_positive,
            p.media_negative, p.firm_voices, p.heard, model.segment_fitness, model.outside_option,
            uniforms[0], uniforms[1], normals, c.experience_noise, c.experience_weight,
            c.talk_rate, c.amplification, c.negativity, c.word_of_mouth_weight, c.imitation,
            c.choice_sensitivity, c.reconsider_rate, p.buyers, p.active_count,
            p.satisfaction_sum, p.sentiment_sum)
    start = time.perf_counter()
    for _ in range(repeats):
        customers.customer_step(*args)
    compiled = (time.perf_counter() - start) / repeats
    start = time.perf_counter()
    from simulation.kernels import contagion

    with swapped([(customers, "_logistic", customers._logistic.py_func),
                  (customers, "spread_voices", contagion.spread_voices.py_func),
                  (customers, "bass_hazard", contagion.bass_hazard.py_func)]):
        for _ in range(3):
            customers.customer_step.py_func(*args)
    plain = (time.perf_counter() - start) / 3
    return {"kernel_ms": compiled * 1e3, "py_func_ms": plain * 1e3, "ratio": plain / compiled}


LARGE = """
import json, resource, time
t0 = time.perf_counter()
from simulation import FirmModel
FirmModel(rng=0, steps=3, customers=2_000).run()
t1 = time.perf_counter()
model = FirmModel(structure="{structure}", rng=1, customers=1_000_000, employees=2_000,
                  steps=200)
t2 = time.perf_counter()
model.run()
t3 = time.perf_counter()
print(json.dumps({{"build_s": t2 - t1, "run_s": t3 - t2,
                  "peak_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6}}))
"""


def large(structure: str) -> dict:
    out = subprocess.run([sys.executable, "-c", LARGE.format(structure=structure)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


COLD = """
import time
t0 = time.perf_counter()
from simulation import FirmModel
for structure in ("hierarchy", "network", "open"):
    FirmModel(structure=structure, rng=1, steps=3, customers=2_000).run()
print(time.perf_counter() - t0)
"""


def cold_start() -> float:
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        out = subprocess.run([sys.executable, "-c", COLD], capture_output=True, text=True,
                             check=True, env=env)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the 1M-customer runs")
    args = parser.parse_args()

    print("== default size: 500 steps, 20,000 customers, 200 employees (after compilation)")
    for structure, seconds in default_size().items():
        print(f"  {structure:14s} {seconds:6.2f} s   target <= {TARGETS['default_run_s']} s"
              f"   ratio {seconds / TARGETS['default_run_s']:.2f}")

    print("== one step with compiled kernels vs their py_func, plain Python (same world)")
    for structure, r in python_ratio().items():
        print(f"  {structure:14s} whole step: kernels {r['kernel_ms']:6.2f} ms  py_func "
              f"{r['py_func_ms']:7.1f} ms  speed-up {r['ratio']:4.0f}x   target >= "
              f"{TARGETS['python_ratio']:.0f}x")
        print(f"  {'':14s} inside the hot loops only: kernels {r['inside_kernel_ms']:6.2f} ms  "
              f"py_func {r['inside_py_func_ms']:7.1f} ms  speed-up {r['inside_ratio']:4.0f}x")

    r = customer_kernel_ratio()
    print(f"  customer kernel alone: kernel {r['kernel_ms']:.2f} ms  py_func "
          f"{r['py_func_ms']:.1f} ms  speed-up {r['ratio']:.0f}x")

    if not args.quick:
        print("== 1,000,000 customers, 2,000 employees, 200 steps (fresh process each)")
        for structure in ("hierarchy", "network", "open"):
            r = large(structure)
            print(f"  {structure:14s} build {r['build_s']:5.1f} s (target <= 15)  run "
                  f"{r['run_s']:5.1f} s (target <= 60)  peak {r['peak_gb']:.2f} GB "
                  f"(target <= 3)")

    print("== first-ever call, empty Numba cache (compiles every kernel)")
    seconds = cold_start()
    print(f"  {seconds:.1f} s   target <= {TARGETS['cold_start_s']} s")


if __name__ == "__main__":
    main()
