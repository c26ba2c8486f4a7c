"""Resilience of a metric to shocks: the figures of the "resilience triangle".

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
  divided by the baseline (1 means back to where it was).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

RESILIENCE_COLUMNS = (
    "shock", "kind", "step", "metric", "baseline", "trough", "trough_step", "depth",
    "relative_depth", "recovery_time", "recovered", "area_lost", "post_level",
)


def shock_resilience(series: np.ndarray, step: int, end: int, window: int = 20,
                     recovery_level: float = 0.95) -> dict:
    """Resilience figures of ``series`` for one shock at ``step``; the window ends at ``end``."""
    series = np.asarray(series, dtype=float)
    before = series[max(0, step - window):step]
    baseline = float(before.mean()) if before.size else float(series[step])
    after = series[step:end]
    trough_offset = int(np.argmin(after))
    trough = float(after[trough_offset])
    threshold = recovery_level * baseline
    if np.all(after >= threshold):
        recovery, recovered = 0, True
    else:
        back = np.flatnonzero(after[trough_offset:] >= threshold)
        recovered = back.size > 0
        recovery = int(trough_offset + back[0]) if recovered else int(after.size)
    shortfall = np.maximum(0.0, baseline - after[:max(recovery, 1)])
    tail = after[-window:]
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
    }


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
