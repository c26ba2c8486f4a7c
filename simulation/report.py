"""Tables and figures of a comparison: what a run writes and prints."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd


def atomic_write(path: Path, write) -> None:
    """Call ``write(temporary_path)`` then rename it to ``path``.

    An interrupted write leaves only a temporary file, never a truncated ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(handle)
    try:
        write(Path(temporary))
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes it private; use the default
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def format_table(summary: pd.DataFrame, figures=("baseline", "depth", "recovery_time",
                                                 "area_lost")) -> str:
    """The summary as text: one row per structure and shock, ``mean [low, high]`` cells."""
    if summary.empty:
        return "(no shocks: no resilience figures)"

    def cell(row, figure):
        return _cell(row[f"{figure}_mean"], row[f"{figure}_low"], row[f"{figure}_high"])

    table = pd.DataFrame({
        "structure": summary["structure"],
        "shock": summary["kind"] + " #" + summary["shock"].astype(str),
        **{figure: [cell(row, figure) for _, row in summary.iterrows()] for figure in figures},
        "recovered": [f"{share:.0%}" for share in summary["recovered_share"]],
    })
    return table.to_string(index=False)


def _cell(mean, low, high) -> str:
    if mean is None or np.isnan(mean):
        return "-"
    if low is None or np.isnan(low):
        return f"{mean:.3g}"
    return f"{mean:.3g} [{low:.3g}, {high:.3g}]"


def format_differences(summary: pd.DataFrame,
                       figures=("depth", "recovery_time", "area_lost", "post_level")) -> str:
    """Paired differences against the reference (first) structure: ``diff [low, high]``.

    A star marks an interval that excludes 0.
    """
    if summary.empty:
        return ""
    reference = summary["structure"].iloc[0]
    others = summary[summary["structure"] != reference]
    if others.empty:
        return ""

    def cell(row, figure):
        diff, low, high = (row[f"{figure}_diff"], row[f"{figure}_diff_low"],
                           row[f"{figure}_diff_high"])
        text = _cell(diff, low, high)
        if not np.isnan(low) and (low > 0 or high < 0):
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
    """Final levels (:func:`simulation.experiment.summarise_levels`): one row per structure."""
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
    for structure, group in timeseries.groupby("structure", sort=False):
        table = group.pivot(index="step", columns="replicate", values=metric)
        mean = table.mean(axis=1)
        count = table.notna().sum(axis=1).clip(lower=1)
        half = 1.96 * table.std(axis=1, ddof=1).fillna(0) / np.sqrt(count)
        line, = axis.plot(mean.index, mean.values, label=structure, linewidth=1.5)
        axis.fill_between(mean.index, mean - half, mean + half, alpha=0.2,
                          color=line.get_color())


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` to ``path`` atomically."""
    atomic_write(path, lambda p: frame.to_parquet(p, index=False))
