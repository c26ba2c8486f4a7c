"""Run several structures over the same replicate seeds (common random numbers).

Replicate ``r`` of every structure gets the same seed (:func:`simulation.runs.run_seed`), so
the market, the customers and their random draws are the same and differences between
structures come from structure, not luck. Runs go to worker processes; each run's numbers
depend only on its seed, never on the worker that ran it or the number of workers.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .config import ModelConfig
from .runs import RunTables, run_model, run_seed
from .vocabulary import LEVEL_METRICS


@dataclass(frozen=True)
class RunSpec:
    """One run: a structure, a replicate number and its seed."""

    structure: str
    replicate: int
    seed: np.random.SeedSequence
    config: ModelConfig


def replicate_seeds(root_seed: int, replicates: int) -> list[np.random.SeedSequence]:
    """The seed of every replicate (:func:`simulation.runs.run_seed`)."""
    return [run_seed(root_seed, replicate) for replicate in range(replicates)]


def run_one(spec: RunSpec, resilience_metric: str = "market_share") -> RunTables:
    """Run one model to the end (:func:`simulation.runs.run_model`), rows labelled with the
    structure and the replicate."""
    from .processes import fault_point

    fault_point("run:worker")
    return run_model(spec.config, spec.structure, spec.seed, resilience_metric,
                     labels={"structure": spec.structure, "replicate": spec.replicate})


def run_comparison(
    config: ModelConfig,
    structures: list[str],
    replicates: int,
    seed: int,
    resilience_metric: str = "market_share",
    workers: int | None = None,
    progress: bool = True,
):
    """Run every structure for every replicate; returns ``(timeseries, resilience)``.

    Rows are sorted by structure (in the given order), replicate and step, whatever order the
    workers finished in.
    """
    seeds = replicate_seeds(seed, replicates)
    specs = [RunSpec(s, r, seeds[r], config) for s in structures for r in range(replicates)]
    workers = workers or min(len(specs), os.cpu_count() or 1)
    results: dict[tuple[str, int], RunTables] = {}
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(specs), unit="run", desc="runs")
    if workers <= 1:
        for spec in specs:
            results[(spec.structure, spec.replicate)] = run_one(spec, resilience_metric)
            if bar:
                bar.update()
    else:
        from concurrent.futures.process import BrokenProcessPool

        from .processes import worker_initializer

        waiting, restarts = list(specs), 0
        while waiting:
            # Workers die with this process; a pool broken by a dead worker is rebuilt and
            # the runs that had not come back are run again (same seeds, same numbers).
            with ProcessPoolExecutor(max_workers=workers, initializer=worker_initializer,
                                     initargs=(os.getpid(),)) as pool:
                futures = {pool.submit(run_one, spec, resilience_metric): spec
                           for spec in waiting}
                waiting = []
                for future in as_completed(futures):
                    spec = futures[future]
                    try:
                        results[(spec.structure, spec.replicate)] = future.result()
                    except BrokenProcessPool:
                        if restarts >= 3:
                            from .errors import UserError

                            raise UserError(
                                f"a worker process died {restarts + 1} times (killed, or out "
                                "of memory?); run with fewer --workers or a smaller "
                                "configuration") from None
                        waiting.append(spec)
                        continue
                    if bar:
                        bar.update()
            restarts += 1 if waiting else 0
    if bar:
        bar.close()
    ordered = [results[(s.structure, s.replicate)] for s in specs]
    timeseries = pd.concat([r[0] for r in ordered], ignore_index=True)
    resilience = pd.concat([r[1] for r in ordered], ignore_index=True)
    return timeseries, resilience


def mean_interval(values, confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean and the half-width-based two-sided t interval of ``values`` (NaN-free)."""
    from scipy import stats

    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    if values.size == 0:
        return np.nan, np.nan, np.nan
    mean = float(values.mean())
    if values.size < 2:
        return mean, np.nan, np.nan
    half = float(stats.t.ppf(0.5 + confidence / 2, values.size - 1)
                 * values.std(ddof=1) / np.sqrt(values.size))
    return mean, mean - half, mean + half


SUMMARY_FIGURES = ("baseline", "trough", "depth", "recovery_time", "area_lost", "post_level")


def summary_columns(figures=SUMMARY_FIGURES) -> list[str]:
    """Columns of :func:`summarise`'s table, in order."""
    columns = ["structure", "shock", "kind", "runs", "recovered_share"]
    for figure in figures:
        columns += [f"{figure}_mean", f"{figure}_low", f"{figure}_high",
                    f"{figure}_diff", f"{figure}_diff_low", f"{figure}_diff_high"]
    return columns


def summarise(resilience: pd.DataFrame, structures: list[str],
              figures=SUMMARY_FIGURES) -> pd.DataFrame:
    """Per structure and shock: mean and 95% interval of each resilience figure.

    Also the paired difference against the first structure (same replicate seeds) with its
    interval, and the share of runs that recovered (recovery times of the others are
    censored at the end of the window, so their mean is a lower bound).
    """
    rows = []
    reference = structures[0]
    for (shock, kind), group in resilience.groupby(["shock", "kind"], sort=True):
        ref = group[group["structure"] == reference].set_index("replicate")
        for structure in structures:
            own = group[group["structure"] == structure].set_index("replicate")
            row = {"structure": structure, "shock": shock, "kind": kind,
                   "runs": len(own), "recovered_share": float(own["recovered"].mean())}
            for figure in figures:
                mean, low, high = mean_interval(own[figure])
                row[f"{figure}_mean"], row[f"{figure}_low"], row[f"{figure}_high"] = (
                    mean, low, high)
                paired = (own[figure] - ref[figure]).dropna()
                diff, dlow, dhigh = mean_interval(paired)
                row[f"{figure}_diff"], row[f"{figure}_diff_low"], row[f"{figure}_diff_high"] = (
                    diff, dlow, dhigh)
            rows.append(row)
    return pd.DataFrame(rows, columns=summary_columns(figures))


def summarise_levels(timeseries: pd.DataFrame, structures: list[str],
                     metrics=LEVEL_METRICS, window: int | None = None) -> pd.DataFrame:
    """Per structure and metric: the level over the last ``window`` steps of the run.

    Each replicate's level is the mean of the metric over its last ``window`` steps (default:
    the last fifth, at most 50 steps); the table holds the mean and 95% t-interval over
    replicates and the paired difference against the first structure. This is the answer
    for a scenario without shocks (or a check that structures end where they should).
    """
    steps = int(timeseries["step"].max()) + 1 if len(timeseries) else 0
    window = window or max(1, min(50, steps // 5))
    tail = timeseries[timeseries["step"] >= steps - window]
    levels = tail.groupby(["structure", "replicate"], sort=False)[list(metrics)].mean()
    reference = structures[0]
    rows = []
    for metric in metrics:
        ref = levels.loc[reference, metric] if reference in levels.index else None
        for structure in structures:
            if structure not in levels.index.get_level_values(0):
                continue
            own = levels.loc[structure, metric]
            mean, low, high = mean_interval(own)
            row = {"metric": metric, "structure": structure, "window": window,
                   "runs": int(own.notna().sum()), "mean": mean, "low": low, "high": high}
            diff, dlow, dhigh = mean_interval((own - ref).dropna()) if ref is not None else (
                np.nan, np.nan, np.nan)
            row.update(diff=diff, diff_low=dlow, diff_high=dhigh)
            rows.append(row)
    return pd.DataFrame(rows, columns=["metric", "structure", "window", "runs", "mean", "low",
                                       "high", "diff", "diff_low", "diff_high"])
