"""The app's time estimate against the measured time, on every shipped preset.

Run: ``.venv/bin/python experiments/benchmarks/bench_ui_estimate.py [--presets demo,calm]``

For each preset, the Compare page's default form (the preset as the page loads it: its
structures, the app's default paired replicates) is run exactly as the Run button runs it (a
:class:`simulation.ui.runner.ComparisonRun` at full speed on the app's worker processes),
without a browser, one after the other as on one server. Prints per preset: structures x
replicates, steps, the page's estimate (:func:`simulation.ui.summary.estimate_seconds`,
calibrated, as in the app, by the runs timed before it: the first preset gets the
uncalibrated default), the measured seconds from start to finished, their ratio (the
issue's target: within a factor of 1.5 either way) and the load average at the end (other
work on the two cores slows the runs). ``--rounds 2`` runs the list twice.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from simulation.ui import state  # noqa: E402
from simulation.ui.form import validate_form  # noqa: E402
from simulation.ui.runner import ComparisonRun, worker_count  # noqa: E402
from simulation.ui.summary import SPEED, estimate_seconds, work_seconds  # noqa: E402


def measure(name: str) -> tuple[float, float, str]:
    form, _ = state.load_form(name)
    scenario = validate_form(form).scenario
    structures = list(form.structures)
    estimate = estimate_seconds(scenario.model_config_only(), len(structures),
                                scenario.replicates, cores=worker_count())
    work = work_seconds(scenario.model_config_only(), len(structures), scenario.replicates,
                        cores=worker_count())
    started = time.perf_counter()
    run = ComparisonRun(scenario.model_config_only(), structures, seed=scenario.seed,
                        metric=scenario.resilience_metric, steps_per_second=math.inf,
                        playing=True, replicates=scenario.replicates).start()
    run.wait()
    measured = time.perf_counter() - started
    run.stop()
    SPEED.observe(work, measured)
    size = (f"{len(structures)} x {scenario.replicates}, {scenario.steps} steps, "
            f"{scenario.customers.count} customers, {scenario.firm.employees} employees")
    return estimate, measured, size


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--presets", default=",".join(state.shipped_names()))
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    print(f"{'preset':18} {'estimate s':>10} {'measured s':>10} {'ratio':>6} {'load':>5}  size")
    ratios = []
    for _ in range(args.rounds):
        for name in args.presets.split(","):
            estimate, measured, size = measure(name)
            ratios.append(measured / estimate)
            print(f"{name:18} {estimate:10.1f} {measured:10.1f} {measured / estimate:6.2f} "
                  f"{os.getloadavg()[0]:5.1f}  {size}", flush=True)
    print(f"measured / estimate from {min(ratios):.2f} to {max(ratios):.2f}; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
