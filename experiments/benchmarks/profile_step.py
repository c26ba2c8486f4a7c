"""Where a step's time goes, per submodel and per kernel, and how far each hot kernel is from
the machine's memory-traffic limit (issue 26: a profile first).

    .venv/bin/python experiments/benchmarks/profile_step.py                 # 20k and 1M
    .venv/bin/python experiments/benchmarks/profile_step.py --sizes 20000   # one size
    .venv/bin/python experiments/benchmarks/profile_step.py --sizes 20000 --parts  # and parts

For each size (customers; employees scale as in the default, 1 per 100 customers) one run of
the hierarchy is built and warmed up (kernels compiled or loaded from the cache), then run
for ``--steps`` steps with every phase of ``FirmModel.step`` (docs/ODD.md section 3) and every
compiled kernel called from Python wrapped in a timer. It prints:

1. per phase: milliseconds per step and share of the step;
2. per kernel: calls per step, milliseconds per step, the bytes of the arrays passed to it
   (a kernel that reads each of its arrays once touches at least that much; one that writes
   a single slot, like ``organization.push``, touches far less, so its ratio means little),
   and that many
   bytes divided by this machine's measured copy bandwidth: the time a kernel would take if
   memory traffic were its only cost. ``x limit`` is measured time / that time: how far the
   kernel is from the limit (1 = at the limit);
3. the random numbers drawn in NumPy for the customer step (outside the kernels), timed
   alone at the same size.

Bandwidth is measured by copying a 256 MB array (bytes read + bytes written per second),
best of 5. Timers add about a microsecond per call; kernels called thousands of times per
step are inflated by that much (their calls per step are shown).
"""

from __future__ import annotations

import argparse
import functools
import os
import subprocess
import sys
import time
from collections import defaultdict

import numpy as np

PHASES = [  # (module path, attribute, label) in the order of FirmModel.step
    ("simulation.core.shocks", "apply_shocks", "1 shocks and turbulence"),
    ("simulation.core.organization", "land_changes", "2 implementation"),
    ("simulation.core.model", "FirmModel.update_fitness", "3 fitness"),
    ("simulation.core.conversation", "speak", "4 the firm's answers"),
    ("simulation.core.customers", "customer_step", "5 customers"),
    ("simulation.core.organization", "organization_step", "6 organization"),
    ("simulation.core.economics", "Economics.book", "7 the books"),
    ("simulation.core.stakeholders", "update_stances", "8 stakeholders"),
    ("simulation.core.metrics", "record_step", "9 metrics"),
]
#: With ``--parts``: parts of the phases, each timed where its phase calls it (module path,
#: attribute, label). Kernels a module imported by name are wrapped on that module. Their
#: timers add about a microsecond per call to the phases they sit in.
PARTS = [
    ("simulation.core.conversation", "answer_complaints", "4 answers: everyone's (kernel)"),
    ("simulation.core.organization", "effective_budget", "6 organization: change budget"),
    ("simulation.core.organization", "sense", "6 organization: sensing tests"),
    ("simulation.core.organization", "sense_changes", "6 organization: sense_changes"),
    ("simulation.core.organization", "climb_and_decide", "6 organization: climb, decide"),
    ("simulation.core.organization", "judge", "6 organization: tops' judgement"),
    ("simulation.core.economics", "Economics.unit_costs", "7 the books: unit costs"),
    ("simulation.core.stakeholders", "media_said", "8 stakeholders: media_said"),
    ("simulation.core.stakeholders", "apply_pressure", "8 stakeholders: pressure"),
]
KERNEL_MODULES = ("customers", "contagion", "sensing", "organization", "judging", "nk",
                  "optimum", "graphs", "competition")


def copy_bandwidth(megabytes: int = 256, repeats: int = 5) -> float:
    """Bytes per second of a large array copy (read + write), best of ``repeats``."""
    source = np.ones(megabytes * 2**20 // 8)
    target = np.empty_like(source)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        np.copyto(target, source)
        best = min(best, time.perf_counter() - start)
    return 2 * source.nbytes / best


def _resolve(path: str, attribute: str):
    import importlib

    owner = importlib.import_module(path)
    *parents, name = attribute.split(".")
    for parent in parents:
        owner = getattr(owner, parent)
    return owner, name


def _wrap_phase(clock: dict, label: str, function):
    @functools.wraps(function)
    def timed(*args, **kwargs):
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            clock[label] += time.perf_counter() - start
    return timed


def _wrap_kernel(clock: dict, calls: dict, volume: dict, label: str, function):
    def timed(*args):
        start = time.perf_counter()
        try:
            return function(*args)
        finally:
            clock[label] += time.perf_counter() - start
            calls[label] += 1
            volume[label] += sum(a.nbytes for a in args if isinstance(a, np.ndarray))
    return timed


def instrument(parts: bool = False) -> tuple[dict, dict, dict, dict]:
    """Wrap the step's phases (and with ``parts`` the :data:`PARTS`) and every compiled kernel
    looked up on its module at call time.

    Kernels called from other kernels are compiled into their caller and stay unwrapped (their
    time is in the caller's). Call after the warm-up: a kernel compiled after its callee was
    wrapped would see the wrapper.
    """
    import importlib

    phase_clock: dict = defaultdict(float)
    kernel_clock: dict = defaultdict(float)
    kernel_calls: dict = defaultdict(int)
    kernel_bytes: dict = defaultdict(int)
    for path, attribute, label in PHASES + (PARTS if parts else []):
        owner, name = _resolve(path, attribute)
        setattr(owner, name, _wrap_phase(phase_clock, label, getattr(owner, name)))
    for short in KERNEL_MODULES:
        try:
            module = importlib.import_module(f"simulation.kernels.{short}")
        except ImportError:
            continue
        for name, value in list(vars(module).items()):
            if hasattr(value, "py_func") and not name.startswith("_"):
                setattr(module, name, _wrap_kernel(kernel_clock, kernel_calls, kernel_bytes,
                                                   f"{short}.{name}", value))
    return phase_clock, kernel_clock, kernel_calls, kernel_bytes


def profile(customers: int, steps: int, bandwidth: float, parts: bool = False) -> None:
    from simulation import FirmModel

    employees = max(200, customers // 100)
    # Warm-up at the same size: loads or compiles every kernel this run calls.
    FirmModel(rng=0, steps=5, customers=customers, employees=employees).run()
    clocks = instrument(parts)
    phase_clock, kernel_clock, kernel_calls, kernel_bytes = clocks
    model = FirmModel(rng=1, steps=steps, customers=customers, employees=employees)
    for clock in clocks:  # construction's calls (networks, ties) are not a step's
        clock.clear()
    start = time.perf_counter()
    model.run()
    total = time.perf_counter() - start
    per_step = 1e3 * total / steps
    print(f"\n== {customers:,} customers, {employees:,} employees, {steps} steps: "
          f"{total:.2f} s, {per_step:.3f} ms per step ==")
    print(f"{'phase':28s} {'ms/step':>9s} {'share':>7s}")
    for _, _, label in PHASES:
        ms = 1e3 * phase_clock[label] / steps
        print(f"{label:28s} {ms:9.3f} {ms / per_step:7.1%}")
    rest = per_step - 1e3 * sum(phase_clock[label] for _, _, label in PHASES) / steps
    print(f"{'data collector and loop':28s} {rest:9.3f} {rest / per_step:7.1%}")
    if parts:
        print(f"\n{'within the phases':36s} {'ms/step':>9s} {'share':>7s}")
        for _, _, label in PARTS:
            ms = 1e3 * phase_clock[label] / steps
            print(f"{label:36s} {ms:9.3f} {ms / per_step:7.1%}")

    print(f"\n{'kernel':34s} {'calls/step':>10s} {'ms/step':>9s} {'MB/call':>9s} "
          f"{'limit ms':>9s} {'x limit':>8s}")
    for label in sorted(kernel_clock, key=kernel_clock.get, reverse=True):
        ms = 1e3 * kernel_clock[label] / steps
        calls = kernel_calls[label] / steps
        megabytes = kernel_bytes[label] / max(kernel_calls[label], 1) / 2**20
        limit_ms = 1e3 * kernel_bytes[label] / steps / bandwidth
        ratio = ms / limit_ms if limit_ms > 0 else float("nan")
        print(f"{label:34s} {calls:10.1f} {ms:9.3f} {megabytes:9.2f} {limit_ms:9.4f} "
              f"{ratio:8.1f}")

    rng = np.random.default_rng(0)
    repeats = max(5, steps // 4)
    start = time.perf_counter()
    for _ in range(repeats):
        rng.random((2, customers))
        rng.standard_normal(customers)
    draws_ms = 1e3 * (time.perf_counter() - start) / repeats
    print(f"\nNumPy draws of the customer step (2 uniforms + 1 normal per customer): "
          f"{draws_ms:.3f} ms per step ({draws_ms / per_step:.1%} of the step)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 1_000_000])
    parser.add_argument("--steps", type=int, default=None,
                        help="steps per run (default: 500 at 20k, 50 at 1M)")
    parser.add_argument("--parts", action="store_true",
                        help="also time parts of the phases (sensing, the tops' judgement, "
                             "the media, ...) where they are called")
    args = parser.parse_args()
    bandwidth = copy_bandwidth()
    print(f"load average {os.getloadavg()[0]:.2f}; copy bandwidth {bandwidth / 1e9:.2f} GB/s "
          "(read + write)")
    if len(args.sizes) > 1:
        # One fresh process per size: the wrappers and their clocks are installed once each.
        for size in args.sizes:
            command = [sys.executable, __file__, "--sizes", str(size)]
            command += ["--steps", str(args.steps)] if args.steps else []
            command += ["--parts"] if args.parts else []
            subprocess.run(command, check=True)
        return
    size = args.sizes[0]
    profile(size, args.steps or (500 if size <= 100_000 else 50), bandwidth, args.parts)


if __name__ == "__main__":
    main()
