"""Tables and figures of a comparison: what a run writes and prints."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from simulation.store.atomic import atomic_write

#: Figures whose summary is a Kaplan-Meier recovery cell (figure -> summary column prefix).
RECOVERY_CELLS = {"recovery_time": "recovery", "plateau_recovery_time": "plateau_recovery"}


#: Resilience figures that cannot be negative: the lower end of their (symmetric)
#: t-interval is shown clipped at 0, and says so.
NON_NEGATIVE = ("area_lost",)


def format_table(summary: pd.DataFrame, figures=("baseline", "plateau", "depth",
                                                 "recovery_time", "area_lost")) -> str:
    """The summary as text: one row per structure and shock.

    Each structure's level before the shock (baseline) and after it (plateau: the mean of the
    last steps of the shock's window) come first, since a firm that holds less can lose less
    and still end lower. Mean figures show ``mean [low, high]`` (t-interval; the lower end of
    a figure that cannot be negative is clipped at 0, marked "0 (clipped)"); recovery figures
    show the Kaplan-Meier median with its interval and the runs censored
    (:func:`recovery_cell`).
    """
    if summary.empty:
        return "(no shocks: no resilience figures)"

    def cell(row, figure):
        if figure in RECOVERY_CELLS:
            return recovery_cell(row, RECOVERY_CELLS[figure])
        mean, low, high = (row[f"{figure}_{part}"] for part in ("mean", "low", "high"))
        if figure in NON_NEGATIVE and low is not None and low < 0:
            return f"{mean:.3g} [0 (clipped), {high:.3g}]"
        return _cell(mean, low, high)

    table = pd.DataFrame({
        "structure": summary["structure"],
        "shock": summary["kind"] + " #" + summary["shock"].astype(str),
        **{_heading(figure): [cell(row, figure) for _, row in summary.iterrows()]
           for figure in figures},
    })
    return table.to_string(index=False)


def _heading(figure: str) -> str:
    return {"recovery_time": "recovery (KM median)",
            "plateau_recovery_time": "settling (KM median)", "baseline": "level before",
            "plateau": "level after"}.get(figure, figure)


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


#: What each charted metric can take (low, high; None: unbounded). A band is clipped to it:
#: a t-interval is symmetric around the mean, so near a bound it reaches values the metric
#: cannot take (a share above 1, a queue below 0); the chart's subtitle says when it clipped.
METRIC_BOUNDS = {
    "market_share": (0.0, 1.0), "fitness": (0.0, 1.0), "satisfaction": (0.0, 1.0),
    "sentiment": (-1.0, 1.0), "decision_latency": (0.0, None), "largest_queue": (0.0, None),
    "revenue": (0.0, None), "proposals_made": (0.0, None), "proposals_implemented": (0.0, None),
}
#: Below this many replicates a chart says its bands are wide (t = 4.30 at 3 runs, 2.78 at
#: 5, 2.26 at 10: the half width shrinks with t / sqrt(n)).
FEW_REPLICATES = 5


def clip_band(metric: str, low, high) -> tuple[np.ndarray, np.ndarray, bool]:
    """``low`` and ``high`` clipped to what ``metric`` can take (:data:`METRIC_BOUNDS`), and
    whether any value was clipped."""
    low, high = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    bottom, top = METRIC_BOUNDS.get(metric, (None, None))
    clipped_low = np.clip(low, bottom, top) if (bottom, top) != (None, None) else low
    clipped_high = np.clip(high, bottom, top) if (bottom, top) != (None, None) else high
    with np.errstate(invalid="ignore"):
        changed = bool(np.any(clipped_low != low) | np.any(clipped_high != high))
    return clipped_low, clipped_high, changed


def band_note(metric: str, replicates: int, clipped: bool) -> str:
    """The chart's subtitle: what the band is, over how many runs, and whether it was
    clipped to the metric's range."""
    if replicates < 2:
        return "one run per structure: no band"
    text = f"mean of {replicates} runs; band: 95% t-interval of the mean"
    if clipped:
        bottom, top = METRIC_BOUNDS[metric]
        text += f", clipped to [{bottom:g}, {'inf' if top is None else f'{top:g}'}]"
    if replicates < FEW_REPLICATES:
        text += f" (only {replicates} runs: wide bands)"
    return text


def _lines_with_bands(axis, timeseries: pd.DataFrame, metric: str) -> str:
    """A mean line and a pointwise 95% t band (:func:`simulation.analysis.statistics.band`) per
    structure, the band clipped to what the metric can take (:func:`clip_band`); no band
    where fewer than two replicates exist. Returns the band's label (:func:`band_note`)."""
    from simulation import registry
    from simulation.analysis.statistics import band

    table = band(timeseries, metric, by="structure", over="step")
    clipped_any = False
    for structure in pd.unique(timeseries["structure"]):
        rows = table[table["structure"] == structure]
        entry = registry.get("structure", structure) if structure in registry.names(
            "structure") else None
        colour = registry.colour(structure) if entry else None
        style = (0, entry.dash) if entry is not None and entry.dash else "-"
        line, = axis.plot(rows["step"], rows["mean"], label=structure, linewidth=1.5,
                          color=colour, linestyle=style)
        low, high, clipped = clip_band(metric, rows["low"], rows["high"])
        clipped_any |= clipped
        axis.fill_between(rows["step"], low, high, alpha=0.2, color=line.get_color(), lw=0)
    replicates = int(timeseries.groupby("structure")["replicate"].nunique().min()) if len(
        timeseries) else 0
    note = band_note(metric, replicates, clipped_any)
    axis.annotate(note, xy=(0.01, 0.01), xycoords="axes fraction", fontsize=7, color="0.35")
    return note


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` to ``path`` atomically."""
    atomic_write(path, lambda p: frame.to_parquet(p, index=False))
