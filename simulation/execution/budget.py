"""What a run will cost, checked before anything is written.

:func:`run_memory` and :func:`run_seconds` estimate the peak memory and the compute time of
one run of a configuration from its sizes (customers and their network, employees and
theirs, steps, stakeholders). The coefficients were measured on this code (``ru_maxrss`` of
runs of 20 000 to 1 000 000 customers and 200 to 50 000 employees) and rounded up; they are
a guard against configurations the machine cannot hold, not a prediction.

:func:`check_budget` (sweeps) and :func:`check_run_budget` (``firmsim run``) refuse, with one
line naming the field, the value and the limit, a configuration whose concurrent runs need
more memory than the machine has available, or whose runs would take longer than
:data:`MAX_SECONDS`.
"""

from __future__ import annotations

import os
import resource

from simulation.config.schema import ModelConfig
from simulation.errors import UserError

#: Bytes every run process holds besides its model (interpreter, NumPy, compiled kernels).
BASE_BYTES = 300 * 2**20
#: Safety factor on the measured coefficients.
MARGIN = 1.5
#: Longest a command may plan to compute (seconds, on the workers it has): 30 days.
MAX_SECONDS = 30 * 86400


def run_memory(config: ModelConfig) -> dict[str, float]:
    """Estimated bytes of one run, by the field that drives them."""
    customers = config.customers
    firm = config.firm
    stakeholders = config.stakeholders
    new_customers = sum(s.count for s in config.shocks if s.kind == "new_segment")
    shares = sum(s.strength for s in config.shocks if s.kind == "new_segment" and not s.count)
    arriving = new_customers + shares * customers.count
    return {
        "customers.count": (customers.count + arriving) * (200 + 24 * customers.degree)
        * MARGIN,
        "firm.employees": firm.employees * (2000 + 16 * (firm.network_degree + firm.span))
        * MARGIN,
        # Proposal queues: seven arrays of (employees, queue_limit), 49 bytes a slot.
        "firm.queue_limit": firm.employees * firm.queue_limit * 49 * MARGIN,
        "steps": config.steps * 4096 * MARGIN,
        "stakeholders": (stakeholders.investors + stakeholders.media + stakeholders.partners)
        * 4096 * MARGIN,
        # Feedback draws: two float arrays of (sensing employees, sample_size) per step.
        "firm.sample_size": firm.sample_size * 16 * max(1.0, firm.employees * firm.sense_rate)
        * MARGIN,
    }


#: The terms of :func:`run_seconds`, fitted to one-thread runs of every preset structure on
#: the 2-core reference machine on 2026-12-05 (``experiments/benchmarks/
#: bench_sweep_estimate.py``: 1.01-1.27x the measured time from 2,000 to 100,000 customers
#: in calm markets, 0.76x in a restless one, whose optimum searches it does not model; the
#: terms before were 2.5-6.2x the measured time). Seconds: per run, per customer built, per
#: step, per customer-step and per employee-step.
SECONDS_PER_RUN = 0.005
SECONDS_PER_CUSTOMER_BUILT = 7e-7
SECONDS_PER_STEP = 1.7e-4
SECONDS_PER_CUSTOMER_STEP = 6e-8
SECONDS_PER_EMPLOYEE_STEP = 2e-7


def run_seconds(config: ModelConfig) -> float:
    """Estimated compute seconds of one run on one core (build and steps)."""
    customers = config.customers.count
    employees = config.firm.employees
    return (SECONDS_PER_RUN + customers * SECONDS_PER_CUSTOMER_BUILT
            + config.steps * (SECONDS_PER_STEP + customers * SECONDS_PER_CUSTOMER_STEP
                              + employees * SECONDS_PER_EMPLOYEE_STEP))


def available_memory() -> float:
    """Bytes this process may still use: the smaller of the available RAM and the address
    space limit (``ulimit -v``)."""
    available = float("inf")
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    available = int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        try:
            available = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):
            pass
    limit, _ = resource.getrlimit(resource.RLIMIT_AS)
    if limit != resource.RLIM_INFINITY:
        available = min(available, float(limit))
    return available


def _size(bytes_: float) -> str:
    return f"{bytes_ / 2**30:.1f} GB" if bytes_ >= 2**30 else f"{bytes_ / 2**20:.0f} MB"


def _value(config: ModelConfig, field: str):
    if field == "stakeholders":
        s = config.stakeholders
        return f"{s.investors}+{s.media}+{s.partners}"
    section, _, name = field.partition(".")
    return getattr(config, section) if not name else getattr(getattr(config, section), name)


def check_configs(configs: list[ModelConfig], runs: int, workers: int,
                  where: str = "") -> None:
    """Refuse configurations whose ``workers`` concurrent runs need more memory than is
    available, or whose ``runs`` runs would take more than :data:`MAX_SECONDS`."""
    if not configs:
        return
    concurrent = max(1, min(workers, runs))
    budget = available_memory()
    largest = max(configs, key=lambda c: sum(run_memory(c).values()))
    parts = run_memory(largest)
    need = BASE_BYTES + sum(parts.values())
    if need * concurrent > budget:
        field = max(parts, key=parts.get)
        per = f" x {concurrent} concurrent runs" if concurrent > 1 else ""
        raise UserError(
            f"{where}{field}={_value(largest, field)}: a run needs about {_size(need)} of "
            f"memory{per}, more than the {_size(budget)} available; lower it"
            f"{' or --workers' if concurrent > 1 else ''}")
    seconds = sum(run_seconds(c) for c in configs) * runs / len(configs) / concurrent
    if seconds > MAX_SECONDS:
        slowest = max(configs, key=run_seconds)
        raise UserError(
            f"{where}steps={slowest.steps}, customers.count={slowest.customers.count}: "
            f"{runs} runs would take about {seconds / 86400:.0f} days on {concurrent} "
            f"worker(s), more than the limit of {MAX_SECONDS / 86400:.0f} days; make it "
            "smaller")


def check_run_budget(config: ModelConfig, runs: int, workers: int) -> None:
    """:func:`check_configs` for ``firmsim run`` (one configuration)."""
    check_configs([config], runs, workers)




# ---------------------------------------------------------------------------- disk space
#: Bytes of a results folder besides its tables: figures, CSV summaries, manifest
#: (measured: 0.37 MB for a run folder; rounded up).
FOLDER_BYTES = 2 * 2**20
#: Bytes per row of a timeseries table on disk (measured: 79 for a 300-step run of 30
#: metrics in Parquet; doubled for tables that compress less well).
TIMESERIES_ROW_BYTES = 160
#: Bytes per run of a sweep's ``runs`` and ``errors`` tables, and per part file (footer).
SWEEP_RUN_BYTES = 2048
PART_BYTES = 16 * 2**10


def run_output_bytes(config: ModelConfig, runs: int) -> int:
    """Estimated bytes ``firmsim run`` writes for ``runs`` runs of ``config``."""
    return FOLDER_BYTES + runs * (config.steps + 1) * TIMESERIES_ROW_BYTES


def sweep_output_bytes(runs: int, steps: int, batches: int, timeseries: bool) -> int:
    """Estimated bytes a sweep writes for ``runs`` runs in ``batches`` batches."""
    per_run = SWEEP_RUN_BYTES + ((steps + 1) * TIMESERIES_ROW_BYTES if timeseries else 0)
    return FOLDER_BYTES + runs * per_run + batches * 3 * PART_BYTES


def check_disk(folder, needed: int, what: str) -> None:
    """Refuse (one line, with the estimate) when ``needed`` bytes exceed the free space of
    the file system that will hold ``folder``."""
    from simulation.store.atomic import free_bytes, size_text

    free = free_bytes(folder)
    if free is not None and needed > free:
        raise UserError(f"--out {folder}: {what} writes about {size_text(needed)}, more "
                        f"than the {size_text(free)} free there; make space or choose "
                        "another --out")


# ---------------------------------------------------------------------------- design size
#: Design points above which a sweep needs ``--yes`` (the size is shown first).
CONFIRM_POINTS = 100_000
#: Runs above which a sweep needs ``--yes``.
CONFIRM_RUNS = 1_000_000
#: Hours of estimated compute above which a sweep needs ``--yes``.
CONFIRM_HOURS = 24.0
#: Design points no sweep may have (its design table alone would not fit in memory).
MAX_POINTS = 10_000_000


def check_design_size(points: int, runs: int, seconds: float, workers: int,
                      yes: bool = False, what: str = "design") -> str:
    """The one-line size of a design (points, runs, estimated time), checked before the
    design is built.

    Refuses above :data:`MAX_POINTS`, and above :data:`CONFIRM_POINTS`, :data:`CONFIRM_RUNS`
    or :data:`CONFIRM_HOURS` unless ``yes``.
    """
    hours = seconds / 3600
    size = (f"{what}: {points:,} points, {runs:,} runs, about "
            f"{_duration(seconds)} on {workers} worker(s)")
    if points > MAX_POINTS:
        raise UserError(f"{size}: more than the {MAX_POINTS:,} points a sweep may have; "
                        "use fewer levels or parameters, or a sampled design (lhs, sobol)")
    if not yes and (points > CONFIRM_POINTS or runs > CONFIRM_RUNS
                    or hours > CONFIRM_HOURS):
        raise UserError(f"{size}: above the limit of {CONFIRM_POINTS:,} points, "
                        f"{CONFIRM_RUNS:,} runs or {CONFIRM_HOURS:g} hours; pass --yes to "
                        "run it anyway")
    return size


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 3 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.0f} days"
