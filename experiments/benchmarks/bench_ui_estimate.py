"""The app's time estimate against the measured time, on every shipped preset.

Run: ``.venv/bin/python experiments/benchmarks/bench_ui_estimate.py [--presets demo,calm]``

For each preset, the Compare page's default form (the preset as the page loads it: its
structures, the app's default paired replicates) is run exactly as the Run button runs it (a
:class:`simulation.ui.runner.ComparisonRun` at full speed on the app's worker processes),
without a browser, one after the other as on one server. The workers start as the server
starts them (:func:`simulation.ui.runner.prepare_worker`) and time the speed probe
(:func:`simulation.ui.summary.speed_probe`) before the first estimate, as in the app.
Prints per preset: the page's estimate (:func:`simulation.ui.summary.estimate_seconds`,
calibrated, as in the app, by the probes and the comparisons timed before it), the measured
seconds from start to finished, their ratio (the issue's target: within a factor of 1.5
either way), the calibration used (the ratio = the probes' median ratio x the median
probe-to-comparison factor of the comparisons timed so far), the expected optimum searches
of a run (turbulence; :func:`simulation.ui.summary.expected_redraws`), the workers' CPU
seconds per core over the uncalibrated work (the work model's own error, apart from the
load: about 1 when it holds) and the load average (1 minute) before and after (other work
on the two cores slows the runs). ``--rounds 2`` runs the list twice.
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
from simulation.ui.runner import (  # noqa: E402
    ComparisonRun,
    prepare_worker,
    shared_pool,
    worker_count,
)
from simulation.ui.summary import (  # noqa: E402
    SPEED,
    estimate_seconds,
    expected_redraws,
    work_seconds,
)


def workers_cpu_seconds() -> float:
    """CPU seconds (user + system) the app's worker processes have used so far (Linux)."""
    total = 0.0
    for pid in shared_pool().processes():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def measure(name: str) -> tuple[float, float, str, str]:
    form, _ = state.load_form(name)
    scenario = validate_form(form).scenario
    structures = list(form.structures)
    estimate = estimate_seconds(scenario.model_config_only(), len(structures),
                                scenario.replicates, cores=worker_count())
    calibration = f"{SPEED.probe_ratio:.2f}x{SPEED.factor:.2f}"
    work = work_seconds(scenario.model_config_only(), len(structures), scenario.replicates,
                        cores=worker_count())
    shared_pool().cache.clear()  # measure the computation, not the server's cache
    cpu = workers_cpu_seconds()
    started = time.perf_counter()
    run = ComparisonRun(scenario.model_config_only(), structures, seed=scenario.seed,
                        metric=scenario.resilience_metric, steps_per_second=math.inf,
                        playing=True, replicates=scenario.replicates).start()
    run.wait()
    measured = time.perf_counter() - started
    # The model's own error, apart from the load: the workers' CPU seconds per core against
    # the uncalibrated work (about 1 when the work model holds, whatever the load).
    cpu_ratio = (workers_cpu_seconds() - cpu) / worker_count() / work
    run.stop()
    SPEED.observe(work, measured)
    size = (f"{len(structures)} x {scenario.replicates}, {scenario.steps} steps, "
            f"{scenario.customers.count} customers, {scenario.firm.employees} employees, "
            f"{expected_redraws(scenario.model_config_only()):.0f} searches a run, "
            f"workers' CPU / core / work {cpu_ratio:.2f}")
    return estimate, measured, calibration, size


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--presets", default=",".join(state.shipped_names()))
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    print(f"load average at start {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; "
          f"{worker_count()} app workers", flush=True)
    started = time.perf_counter()
    prepare_worker()
    while SPEED.measurements < worker_count() and time.perf_counter() - started < 300:
        time.sleep(0.1)
    print(f"workers warm and probed in {time.perf_counter() - started:.1f} s "
          f"(calibration ratio {SPEED.ratio:.2f})", flush=True)
    print(f"{'preset':18} {'estimate s':>10} {'measured s':>10} {'ratio':>6} {'calib':>9} "
          f"{'load':>10}  size")
    ratios = []
    for _ in range(args.rounds):
        for name in args.presets.split(","):
            before = os.getloadavg()[0]
            estimate, measured, calibration, size = measure(name)
            ratios.append(measured / estimate)
            print(f"{name:18} {estimate:10.1f} {measured:10.1f} {measured / estimate:6.2f} "
                  f"{calibration:>9} {before:4.1f}-{os.getloadavg()[0]:4.1f}  {size}",
                  flush=True)
    within = sum(1 / 1.5 <= r <= 1.5 for r in ratios)
    print(f"measured / estimate from {min(ratios):.2f} to {max(ratios):.2f}; within a factor "
          f"1.5: {within} of {len(ratios)}; load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores")


if __name__ == "__main__":
    main()
