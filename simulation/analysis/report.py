"""Tables and figures of a comparison: what a run writes and prints."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from simulation.store.atomic import atomic_write

#: Figures whose summary is a Kaplan-Meier recovery cell (figure -> summary column prefix).
RECOVERY_CELLS = {"recovery_time": "recovery", "plateau_recovery_time": "plateau_recovery"}


def format_table(summary: pd.DataFrame, figures=("baseline", "depth", "recovery_time",
                                                 "area_lost")) -> str:
    """The summary as text: one row per structure and shock.

    Mean figures show ``mean [low, high]`` (t-interval); recovery figures show the
    Kaplan-Meier median with its interval and the runs censored (:func:`recovery_cell`).
    """
    if summary.empty:
        return "(no shocks: no resilience figures)"

    def cell(row, figure):
        if figure in RECOVERY_CELLS:
            return recovery_cell(row, RECOVERY_CELLS[figure])
        return _cell(row[f"{figure}_mean"], row[f"{figure}_low"], row[f"{figure}_high"])

    table = pd.DataFrame({
        "structure": summary["structure"],
        "shock": summary["kind"] + " #" + summary["shock"].astype(str),
        **{_heading(figure): [cell(row, figure) for _, row in summary.iterrows()]
           for figure in figures},
    })
    return table.to_string(index=False)


def _heading(figure: str) -> str:
    return {"recovery_time": "recovery (KM median)",
            "plateau_recovery_time": "settling (KM median)"}.get(figure, figure)


def recovery_cell(row, prefix: str = "recovery") -> str:
    """A Kaplan-Meier recovery summary as one table cell.

    ``"42 [30, 60]; 2/10 censored"`` when the median is reached, else
    ``"not recovered within 150 steps: 8/10 runs"`` (the median is then only known to exceed
    the window; no interval is invented).
    """
    runs, censored, window = int(row["runs"]), int(row[f"{prefix}_censored"]), row["window"]
    median = row[f"{prefix}_median"]
    if median is None or np.isnan(median):
        return "-"
    if not np.isfinite(median):
        return f"not recovered within {int(window)} steps: {censored}/{runs} runs"

    def show(value):
        if value is None or np.isnan(value):
            return "n/a"
        return f"{value:.0f}" if np.isfinite(value) else "not reached"

    text = (f"{median:.0f} [{show(row[f'{prefix}_median_low'])}, "
            f"{show(row[f'{prefix}_median_high'])}]")
    return text + (f"; {censored}/{runs} censored" if censored else "")


def _cell(mean, low, high) -> str:
    if mean is None or np.isnan(mean):
        return "-"
    if low is None or np.isnan(low):
        return f"{mean:.3g}"
    return f"{mean:.3g} [{low:.3g}, {high:.3g}]"


def significant(low: float, high: float) -> bool:
    """True when the interval ``[low, high]`` excludes 0."""
    return bool(not np.isnan(low) and (low > 0 or high < 0))


def format_differences(summary: pd.DataFrame,
                       figures=("depth", "area_lost", "post_level")) -> str:
    """Paired differences against the reference structure: ``diff [low, high]``.

    A star marks an interval that excludes 0. Recovery times are censored and have no mean
    difference; compare them in the Kaplan-Meier columns of :func:`format_table`.
    """
    if summary.empty:
        return ""
    reference = (summary["reference"].iloc[0] if "reference" in summary.columns
                 else summary["structure"].iloc[0])
    others = summary[summary["structure"] != reference]
    if others.empty:
        return ""
    figures = [f for f in figures if f"{f}_diff" in summary.columns]

    def cell(row, figure):
        diff, low, high = (row[f"{figure}_diff"], row[f"{figure}_diff_low"],
                           row[f"{figure}_diff_high"])
        text = _cell(diff, low, high)
        if significant(low, high):
            text += " *"
        return text

    table = pd.DataFrame({
        "structure": others["structure"],
        "shock": others["kind"] + " #" + others["shock"].astype(str),
        **{f"{figure} - {reference}": [cell(row, figure) for _, row in others.iterrows()]
           for figure in figures},
    })
    return table.to_string(index=False)


def format_levels(levels: pd.DataFrame) -> str:
    """Final levels (:func:`simulation.execution.experiment.summarise_levels`): one row per
    structure."""
    if levels.empty:
        return ""
    wide = {}
    for metric, group in levels.groupby("metric", sort=False):
        wide[metric] = {row["structure"]: _cell(row["mean"], row["low"], row["high"])
                        for _, row in group.iterrows()}
    table = pd.DataFrame(wide)
    table.index.name = "structure"
    return table.reset_index().to_string(index=False)


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` to ``path`` as CSV, atomically."""
    atomic_write(path, lambda p: frame.to_csv(p, index=False))


def plot_comparison(timeseries: pd.DataFrame, metric: str, shock_steps, path: Path,
                    title: str = "") -> None:
    """Mean of ``metric`` over replicates, a line and a 95% band per structure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(9, 5))
    _lines_with_bands(axis, timeseries, metric)
    for step in shock_steps:
        axis.axvline(step, color="0.3", linestyle="--", linewidth=1)
    axis.set_xlabel("step")
    axis.set_ylabel(metric.replace("_", " "))
    axis.set_title(title or f"{metric.replace('_', ' ')} by structure (mean, 95% band)")
    axis.legend(frameon=False)
    figure.tight_layout()
    atomic_write(path, lambda p: figure.savefig(p, dpi=110, format="png"))
    plt.close(figure)


def plot_process(timeseries: pd.DataFrame, shock_steps, path: Path) -> None:
    """Decision latency and congestion (largest queue) by structure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for axis, metric in zip(axes, ("decision_latency", "largest_queue"), strict=True):
        _lines_with_bands(axis, timeseries, metric)
        for step in shock_steps:
            axis.axvline(step, color="0.3", linestyle="--", linewidth=1)
        axis.set_xlabel("step")
        axis.set_ylabel(metric.replace("_", " "))
    axes[0].set_title("decision latency (steps from proposal to decision)")
    axes[1].set_title("congestion (largest queue)")
    axes[0].legend(frameon=False)
    figure.tight_layout()
    atomic_write(path, lambda p: figure.savefig(p, dpi=110, format="png"))
    plt.close(figure)


def _lines_with_bands(axis, timeseries: pd.DataFrame, metric: str) -> None:
    """A mean line and a pointwise 95% t band (:func:`simulation.analysis.statistics.band`) per
    structure; no band where fewer than two replicates exist."""
    from simulation.analysis.statistics import band

    table = band(timeseries, metric, by="structure", over="step")
    for structure in pd.unique(timeseries["structure"]):
        rows = table[table["structure"] == structure]
        line, = axis.plot(rows["step"], rows["mean"], label=structure, linewidth=1.5)
        axis.fill_between(rows["step"], rows["low"], rows["high"], alpha=0.2,
                          color=line.get_color())


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` to ``path`` atomically."""
    atomic_write(path, lambda p: frame.to_parquet(p, index=False))
