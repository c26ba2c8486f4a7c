"""Run several structures over the same replicate seeds (common random numbers).

Replicate ``r`` of every structure gets the same seed (:func:`simulation.config.seeds.run_seed`), so
the market, the customers and their random draws are the same and differences between
structures come from structure, not luck. Runs go to worker processes
(:mod:`simulation.execution.executor`); each run's numbers depend only on its seed, never on
the worker that ran it or the number of workers.
"""

from __future__ import annotations

import os
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd

from simulation.analysis.statistics import (
    mean_interval,
    paired_differences,
    recovery_summary,
    t_interval,
)
from simulation.config.schema import ModelConfig
from simulation.config.seeds import run_seed
from simulation.config.vocabulary import level_metric_names
from simulation.errors import UserError
from simulation.execution.executor import POOL_RESTARTS, executor_for
from simulation.execution.runs import RunTables, run_model


@dataclass(frozen=True)
class RunSpec:
    """One run: a structure, a replicate number and its seed."""

    structure: str
    replicate: int
    seed: np.random.SeedSequence
    config: ModelConfig


def replicate_seeds(root_seed: int, replicates: int) -> list[np.random.SeedSequence]:
    """The seed of every replicate (:func:`simulation.config.seeds.run_seed`)."""
    return [run_seed(root_seed, replicate) for replicate in range(replicates)]


def run_one(spec: RunSpec, resilience_metric: str = "market_share") -> RunTables:
    """Run one model to the end (:func:`simulation.execution.runs.run_model`), rows labelled
    with the structure and the replicate."""
    from simulation.execution.processes import fault_point

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
    first_replicate: int = 0,
):
    """Run every structure for every replicate; returns ``(timeseries, resilience)``.

    Replicates ``first_replicate`` to ``first_replicate + replicates - 1`` are run (a later
    batch continues the numbering and the seed sequence, so a table built in batches equals
    one built at once). Rows are sorted by structure (in the given order), replicate and
    step, whatever order the workers finished in.
    """
    if config.firms:  # a market of several firms: each firm is one of the compared
        from simulation.execution.competition import market_comparison

        return market_comparison(config, replicates, seed, resilience_metric, workers,
                                 first_replicate)
    numbers = range(first_replicate, first_replicate + replicates)
    specs = [RunSpec(s, r, run_seed(seed, r), config) for s in structures for r in numbers]
    workers = workers or min(len(specs), os.cpu_count() or 1)
    results: dict[tuple[str, int], RunTables] = {}
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(specs), unit="run", desc="runs")
    # Workers die with this process; a pool broken by a dead worker is rebuilt and the runs
    # that had not come back are run again (same seeds, same numbers).
    executor = executor_for(max(1, min(workers, len(specs))))
    try:
        for spec, result in executor.map(partial(run_one, resilience_metric=resilience_metric),
                                         specs):
            if isinstance(result, BrokenProcessPool):
                raise UserError(
                    f"a worker process died {POOL_RESTARTS + 1} times running "
                    f"{spec.structure} replicate {spec.replicate} (killed, or out of "
                    "memory?); run with fewer --workers or a smaller configuration")
            if isinstance(result, BaseException):
                raise result
            results[(spec.structure, spec.replicate)] = result
            if bar:
                bar.update()
    finally:
        executor.close()
    if bar:
        bar.close()
    ordered = [results[(s.structure, s.replicate)] for s in specs]
    timeseries = pd.concat([r[0] for r in ordered], ignore_index=True)
    resilience = pd.concat([r[1] for r in ordered], ignore_index=True)
    return timeseries, resilience



#: Figures summarised by a mean and t-interval per structure and shock. Recovery times are
#: censored and are summarised survival-style instead (:data:`RECOVERY_FIGURES`).
SUMMARY_FIGURES = ("baseline", "trough", "depth", "area_lost", "post_level", "plateau")

#: Recovery figures (time column, recovered column, column prefix in the summary).
RECOVERY_FIGURES = (("recovery_time", "recovered", "recovery"),
                    ("plateau_recovery_time", "plateau_recovered", "plateau_recovery"))

#: Horizons (in steps after the shock) at which the share recovered is reported, as shares
#: of the post-shock window: a quarter, half and all of it.
HORIZON_SHARES = (0.25, 0.5, 1.0)


def summary_columns(figures=SUMMARY_FIGURES) -> list[str]:
    """Columns of :func:`summarise`'s table, in order."""
    columns = ["structure", "reference", "shock", "kind", "runs", "window", "recovered_share"]
    for _, _, prefix in RECOVERY_FIGURES:
        columns += [f"{prefix}_median", f"{prefix}_median_low", f"{prefix}_median_high",
                    f"{prefix}_censored",
                    *[f"{prefix}_by_{share:g}" for share in HORIZON_SHARES]]
    for figure in figures:
        columns += [f"{figure}_diff", f"{figure}_diff_low", f"{figure}_diff_high",
                    f"{figure}_pairs", f"{figure}_mean", f"{figure}_low", f"{figure}_high"]
    return columns


def summarise(resilience: pd.DataFrame, structures: list[str],
              figures=SUMMARY_FIGURES, reference: str | None = None,
              confidence: float = 0.95) -> pd.DataFrame:
    """Per structure and shock: paired differences, levels and survival-style recovery.

    Parameters
    ----------
    resilience : DataFrame
        One row per run and shock (:func:`run_comparison`'s second table).
    structures : list of str
        The structures, in the order of the table's rows.
    figures : sequence of str
        Figures summarised by a mean; each gets first its paired difference against
        ``reference`` (:func:`simulation.analysis.statistics.paired_differences`, same replicate
        seeds) then its own mean, both with t-intervals.
    reference : str, optional
        Structure the others are compared with (default: the first of ``structures``).
    confidence : float, default 0.95

    Returns
    -------
    DataFrame
        Columns :func:`summary_columns`. ``window`` is the longest post-shock window (the
        censoring time of a run that never recovered); the horizons are shares of it.
        Recovery against the old baseline (``recovery_*``) and against the run's own
        post-shock plateau (``plateau_recovery_*``) are summarised with the Kaplan-Meier
        estimator (:func:`simulation.analysis.statistics.recovery_summary`): median with its
        interval (``inf``: not reached within the window), runs censored, and the share
        recovered within a quarter, half and all of the window (``*_by_0.25`` ...). No mean
        of censored times.
    """
    reference = reference or structures[0]
    present = [figure for figure in figures if figure in resilience.columns]
    rows = []
    for (shock, kind), group in resilience.groupby(["shock", "kind"], sort=True):
        # The censoring time: the post-shock window (older tables lack the column; their
        # longest recovery time is then the best available stand-in).
        window = int(group["window" if "window" in group.columns else "recovery_time"].max())
        horizons = [share * window for share in HORIZON_SHARES]
        paired = {figure: paired_differences(group, figure, reference,
                                             confidence=confidence).set_index("structure")
                  for figure in present}
        for structure in structures:
            own = group[group["structure"] == structure]
            if own.empty:
                continue
            row = {"structure": structure, "reference": reference, "shock": shock,
                   "kind": kind, "runs": len(own), "window": window,
                   "recovered_share": float(own["recovered"].mean())}
            for time_column, event_column, prefix in RECOVERY_FIGURES:
                if time_column not in own.columns:
                    continue
                summary = recovery_summary(own[time_column], own[event_column].astype(bool),
                                           horizons, confidence)
                row.update({f"{prefix}_median": summary.median,
                            f"{prefix}_median_low": summary.median_low,
                            f"{prefix}_median_high": summary.median_high,
                            f"{prefix}_censored": summary.n_censored})
                # Keyed by horizon: equal horizons (a window of 0 or 1 step) share a value.
                for share, horizon in zip(HORIZON_SHARES, horizons, strict=True):
                    row[f"{prefix}_by_{share:g}"] = summary.recovered_by[float(horizon)]
            for figure in present:
                row[f"{figure}_mean"], row[f"{figure}_low"], row[f"{figure}_high"] = (
                    t_interval(own[figure], confidence))
                if structure in paired[figure].index:
                    difference = paired[figure].loc[structure]
                    row[f"{figure}_diff"] = difference["mean_difference"]
                    row[f"{figure}_diff_low"] = difference["low"]
                    row[f"{figure}_diff_high"] = difference["high"]
                    row[f"{figure}_pairs"] = int(difference["pairs"])
            rows.append(row)
    return pd.DataFrame(rows, columns=summary_columns(figures))


def summarise_levels(timeseries: pd.DataFrame, structures: list[str],
                     metrics=None, window: int | None = None) -> pd.DataFrame:
    """Per structure and metric: the level over the last ``window`` steps of the run.

    Each replicate's level is the mean of the metric over its last ``window`` steps (default:
    the last fifth, at most 50 steps); the table holds the mean and 95% t-interval over
    replicates and the paired difference against the first structure. This is the answer
    for a scenario without shocks (or a check that structures end where they should).
    ``metrics`` defaults to every level metric (:func:`level_metric_names`).
    """
    metrics = level_metric_names() if metrics is None else metrics
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


def precision_table(timeseries, resilience, metric: str):
    """The per-run table of ``metric`` that precision is judged on, and its groups.

    A resilience figure (a column of the resilience table) is judged per shock; a step
    metric by its level over the last steps (the window of
    :func:`simulation.execution.experiment.summarise_levels`).
    """
    if metric in resilience.columns:
        return resilience, ("shock",)
    steps = int(timeseries["step"].max()) + 1
    window = max(1, min(50, steps // 5))
    tail = timeseries[timeseries["step"] >= steps - window]
    levels = tail.groupby(["structure", "replicate"], sort=False)[metric].mean().reset_index()
    return levels, ()


def run_until_precise(scenario, precision: float, *, metric: str | None = None,
                      max_replicates: int = 100, step: int = 5,
                      workers: int | None = 1, progress: bool = False):
    """Run paired replicates in batches until every paired difference of ``metric`` against
    the first structure is known within +/- ``precision`` (95%), or ``max_replicates``.

    Returns ``(timeseries, resilience, PrecisionRun)``; replicate ``r`` has the same seed as
    in a plain run of ``r + 1`` or more replicates, so the tables equal a plain run of the
    final count.
    """
    import pandas as pd

    from simulation.analysis.statistics import replicate_until_precise
    from simulation.config.vocabulary import RESILIENCE_FIGURES, step_metric_names
    from simulation.errors import UserError

    metric = metric or ("area_lost" if scenario.shocks else scenario.resilience_metric)
    allowed = [f for f in RESILIENCE_FIGURES if f != "recovered"
               and not f.endswith("recovered")] + list(step_metric_names())
    if metric not in allowed:
        raise UserError(f"--precision-metric={metric!r}: allowed values are "
                        f"{', '.join(allowed)}")
    if metric in RESILIENCE_FIGURES and not scenario.shocks:
        raise UserError(f"--precision-metric={metric!r}: the scenario has no shocks; use a "
                        "step metric such as market_share")
    if scenario.replicates < 2:
        raise UserError(f"--replicates={scenario.replicates}: --precision needs at least 2 "
                        "in the first batch")
    if len(scenario.structures) < 2:
        raise UserError("--precision: compares structures; the scenario lists only one")
    series: list = []
    shocks: list = []

    def batch(count: int):
        done = sum(int(frame["replicate"].nunique()) for frame in series)
        timeseries, resilience = run_comparison(
            scenario.model_config_only(), scenario.structures, count, scenario.seed,
            scenario.resilience_metric, workers=workers, progress=progress,
            first_replicate=done)
        series.append(timeseries)
        shocks.append(resilience)
        table, _ = precision_table(timeseries, resilience, metric)
        return table

    groups = ("shock",) if metric in RESILIENCE_FIGURES else ()
    precise = replicate_until_precise(
        batch, precision, metric, reference=scenario.structures[0],
        min_replicates=scenario.replicates,
        max_replicates=max(max_replicates, scenario.replicates),
        step=step, groups=groups)
    order = {name: i for i, name in enumerate(scenario.structures)}

    def ordered(frames, keys):
        frame = pd.concat(frames, ignore_index=True)
        return frame.sort_values(keys, key=lambda c: c.map(order) if c.name == "structure"
                                 else c, kind="stable").reset_index(drop=True)

    return (ordered(series, ["structure", "replicate", "step"]),
            ordered(shocks, ["structure", "replicate", "shock"]), precise)
