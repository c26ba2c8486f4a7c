"""The metrics submodel: per-step records, and the resilience of a metric to shocks.

The rules are in ``docs/ODD.md`` section 7, "Metrics".

:func:`record_step` appends one value of every :data:`simulation.config.vocabulary.STEP_METRICS`
entry per step; :func:`step_frame` turns the records into a table.

Resilience of a metric to shocks: the figures of the "resilience triangle".

For a shock at step ``t`` and a metric series ``m``:

- **baseline**: mean of ``m`` over the ``window`` steps before ``t`` (``m[t]`` if ``t = 0``);
- the **post-shock window** runs from ``t`` to the next shock (or the end of the series);
- **trough**: lowest value in that window, at ``trough_step``;
- **depth**: ``baseline - trough`` (``relative_depth`` divides it by the baseline);
- **recovery_time**: steps from ``t`` until ``m`` is back at ``recovery_level`` (95%) of the
  baseline at or after the trough; 0 if it never fell below that level. If it is not back by
  the end of the window the figure is censored: ``recovered`` is False and the time is the
  window's length (a lower bound);
- **area_lost**: sum over the steps from ``t`` to recovery (or the window's end) of the
  shortfall ``max(0, baseline - m)``: the area of the resilience triangle;
- **post_level**: mean of ``m`` over the last ``window`` steps of the post-shock window,
  divided by the baseline (1 means back to where it was);
- **window**: the post-shock window's length in steps, the censoring time of a recovery.

Recovery against what is attainable after the shock. A shock can change what the firm can
reach at all (a competitor takes customers for good, a need shift moves every segment's
optimum), so "back to 95% of the old baseline" may be impossible for every structure and its
recovery time then only says "censored". The model does not expose the market share a firm
would have with the product at each segment's new optimum (that would need the customers'
choice model evaluated at a counterfactual product), so the attainable level is estimated
from the run itself:

- **plateau**: mean of ``m`` over the last ``window`` steps of the post-shock window (the
  level the run settled at, in the metric's units; ``post_level`` is it over the baseline);
- **plateau_recovery_time**: steps from ``t`` until ``m`` is back at ``recovery_level`` (95%)
  of the plateau at or after the trough; 0 if it never fell below that level; censored
  (``plateau_recovered`` False, time = window length) if never within the window.

Read together with ``post_level``: ``plateau_recovery_time`` says how fast a run settled at
its new level, ``post_level`` how good that level is. A structure that settles fast at a low
plateau has a short plateau recovery and a low post level; neither figure alone is
resilience. The plateau is the run's own achievement, not the best attainable level, and it
is only a plateau if the window is long enough for the run to settle: a run still climbing at
the window's end has a plateau below its eventual level and so a short plateau recovery.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from simulation import registry
from simulation.config.vocabulary import (
    INVESTOR,
    MEDIA,
    PARTNER,
    RESILIENCE_FIGURES,
    STEP_METRICS,
)
from simulation.core.stakeholders import kind_index

#: Columns of :func:`resilience_table`: the shock, the metric, the figures (with the step of
#: the trough after the trough).
RESILIENCE_COLUMNS = ("shock", "kind", "step", "metric", *RESILIENCE_FIGURES[:2], "trough_step",
                      *RESILIENCE_FIGURES[2:])

#: Metrics Mesa's DataCollector reports each step (``model.datacollector``; ``batch_run``).
MESA_REPORTED = ("market_share", "revenue", "fitness", "satisfaction", "sentiment",
                 "decision_latency", "largest_queue", "messages_sent")


#: The step metric of each proposal counter.
PROPOSAL_COLUMNS = tuple((name, f"proposals_{name}")
                         for name in ("made", "approved", "implemented", "vetoed", "dropped"))

#: The step metric of each stakeholder kind's mean stance.
STANCE_COLUMNS = {INVESTOR: "stance_investors", MEDIA: "stance_media",
                  PARTNER: "stance_partners"}


def computed_metrics() -> tuple:
    """The registered metrics the model does not record itself (plugins' ``compute``)."""
    return tuple(m for m in registry.entries("metric") if m.compute is not None)


def empty_records() -> dict[str, list]:
    """One empty list per step metric: the built-in ones, then the registered ones."""
    return {name: [] for name in (*STEP_METRICS, *(m.name for m in computed_metrics()))}


def latest(model, name: str) -> float:
    """The last recorded value of step metric ``name`` (a DataCollector reporter)."""
    return model.records[name][-1]


def record_step(model) -> None:
    """Append this step's value of every step metric, and the fitness of every segment."""
    r, p, s, counters = model.records, model.population, model.stakeholders, model.counters
    buyers = int(p.buyers.sum())
    active = int(p.active_count.sum())
    counts = p.active_count.astype(float)
    r["market_share"].append(buyers / active if active else 0.0)
    r["revenue"].append(buyers * model.config.market.price)
    # The counts are whole numbers, so their float sum is exactly ``active``.
    r["fitness"].append(float((model.segment_fitness * counts).sum() / max(float(active), 1)))
    r["satisfaction"].append(float(p.satisfaction_sum.sum() / buyers) if buyers else 0.0)
    r["sentiment"].append(float(p.sentiment_sum.sum() / active) if active else 0.0)
    r["outside_option"].append(model.outside_option)
    for code, column in STANCE_COLUMNS.items():
        group = s.stance[kind_index(s, code)]
        # sum / count is what ``mean`` computes (same sum, same division), minus its overhead.
        r[column].append(float(group.sum()) / group.size if group.size else 0.0)
    r["change_budget"].append(model.budget_now)
    for name, column in PROPOSAL_COLUMNS:
        r[column].append(counters[name])
    r["messages_sent"].append(counters["messages"])
    r["staff_evaluations"].append(counters["staff"])
    r["largest_queue"].append(int(model.queues.length.max(initial=0)))
    # Whole steps: the integer sum is exact, as ``np.mean``'s float sum of them is.
    r["decision_latency"].append(sum(model.latencies) / len(model.latencies)
                                 if model.latencies else math.nan)
    alive = model.org.alive == 1
    working = model.workload[alive]
    r["workload"].append(float(working.sum()) / working.size if working.size else 0.0)
    r["customers_active"].append(active)
    r["customers_buying"].append(buyers)
    r["employees_active"].append(working.size)  # the alive ones
    for name, value in model.economics.last.items():
        r[name].append(value)
    model.segment_records.append(np.where(p.segment_active, model.segment_fitness, np.nan))
    for metric in model.computed_metrics:
        r[metric.name].append(float(registry.resolve(metric.compute)(model)))


def step_frame(records: dict[str, list], segment_records: list[np.ndarray]) -> pd.DataFrame:
    """One row per step, one column per metric, then ``fitness_s<i>`` per segment."""
    # One constructor call on whole columns: the app copies the frames of every running
    # model a few times a second, and adding columns one by one cost 3.5 times as much.
    steps = len(next(iter(records.values()), []))
    columns = {"step": np.arange(steps, dtype=np.int64)}
    for name, values in records.items():
        columns[name] = np.asarray(values) if values else np.empty(0)
    if segment_records:
        per_segment = np.vstack(segment_records)
        for s in range(per_segment.shape[1]):
            columns[f"fitness_s{s}"] = per_segment[:, s]
    return pd.DataFrame(columns)


def shock_resilience(series: np.ndarray, step: int, end: int, window: int = 20,
                     recovery_level: float = 0.95) -> dict:
    """Resilience figures of ``series`` for one shock at ``step``; the window ends at ``end``."""
    series = np.asarray(series, dtype=float)
    before = series[max(0, step - window):step]
    baseline = float(before.mean()) if before.size else float(series[step])
    after = series[step:end]
    trough_offset = int(np.argmin(after))
    trough = float(after[trough_offset])
    recovery, recovered = _recovery(after, trough_offset, recovery_level * baseline)
    shortfall = np.maximum(0.0, baseline - after[:max(recovery, 1)])
    tail = after[-window:]
    plateau = float(tail.mean())
    plateau_recovery, plateau_recovered = _recovery(after, trough_offset,
                                                    recovery_level * plateau)
    return {
        "baseline": baseline,
        "trough": trough,
        "trough_step": step + trough_offset,
        "depth": baseline - trough,
        "relative_depth": (baseline - trough) / baseline if baseline else np.nan,
        "recovery_time": recovery,
        "recovered": bool(recovered),
        "area_lost": float(shortfall.sum()),
        "post_level": float(tail.mean() / baseline) if baseline else np.nan,
        "plateau": plateau,
        "plateau_recovery_time": plateau_recovery,
        "plateau_recovered": plateau_recovered,
        "window": int(after.size),
    }


def _recovery(after: np.ndarray, trough_offset: int, threshold: float) -> tuple[int, bool]:
    """Steps until ``after`` is back at ``threshold`` at or after the trough; censored flag."""
    if np.all(after >= threshold):
        return 0, True
    back = np.flatnonzero(after[trough_offset:] >= threshold)
    if back.size:
        return int(trough_offset + back[0]), True
    return int(after.size), False


def resilience_table(series: np.ndarray, schedule: pd.DataFrame, metric: str = "metric",
                     window: int = 20, recovery_level: float = 0.95) -> pd.DataFrame:
    """One row per shock in ``schedule`` (columns ``shock``, ``kind``, ``step``).

    Shocks at the same step share a window; each window ends at the next later shock.
    """
    series = np.asarray(series, dtype=float)
    rows = []
    steps = sorted(set(int(s) for s in schedule["step"]))
    for _, shock in schedule.iterrows():
        step = int(shock["step"])
        if step >= series.shape[0]:
            continue
        later = [s for s in steps if s > step]
        end = later[0] if later else series.shape[0]
        figures = shock_resilience(series, step, end, window, recovery_level)
        rows.append({"shock": int(shock["shock"]), "kind": shock["kind"], "step": step,
                     "metric": metric, **figures})
    return pd.DataFrame(rows, columns=list(RESILIENCE_COLUMNS))
