"""What the app says about replicated runs: tables, sentences and verdicts computed from the
numbers with :mod:`simulation.analysis.statistics` (the same intervals as the command line).

Nothing here imports Solara: every sentence the page shows can be tested on a table.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulation.analysis.statistics import paired_differences, recovery_summary, t_interval

#: Units of the step metrics, for headers ("depth (share of customers)").
UNITS = {
    "market_share": "share of active customers",
    "revenue": "revenue per step",
    "fitness": "normalised fitness",
    "satisfaction": "mean satisfaction",
    "sentiment": "mean sentiment, -1 to 1",
    "profit": "profit per step (revenue less costs)",
}
#: Seconds one structure takes per customer-step on one core (demo: 20,000 customers x 300
#: steps in about 0.9 s; measured in experiments/benchmarks/bench_ui.py).
SECONDS_PER_CUSTOMER_STEP = 1.5e-7
#: Seconds to build one model of 20,000 customers (network, landscapes).
SECONDS_PER_MODEL = 0.15
#: A run estimated to take longer than this asks for confirmation first.
CONFIRM_ABOVE_SECONDS = 60.0

#: Process metrics that explain a verdict: column, plain name, unit, better direction,
#: and the words for "more" and "less" of it.
MECHANISMS = (
    ("decision_latency", "decision latency", "steps a proposal waits", "lower",
     "decisions wait longer", "decisions wait less"),
    ("largest_queue", "congestion (largest queue)", "messages waiting", "lower",
     "queues are longer", "queues are shorter"),
    ("proposals_made", "sensing (proposals made)", "proposals per step", "higher",
     "it senses more changes", "it senses fewer changes"),
    ("proposals_implemented", "changes implemented", "changes per step", "higher",
     "it implements more changes", "it implements fewer changes"),
    ("sentiment", "word of mouth (sentiment)", "mean sentiment, -1 to 1", "higher",
     "customers speak better of it", "customers speak worse of it"),
    ("fitness", "fit to needs (fitness)", "normalised fitness", "higher",
     "its product fits needs better", "its product fits needs worse"),
)


def label(metric: str) -> str:
    return metric.replace("_", " ")


def fmt(value: float, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if isinstance(value, float) and math.isinf(value):
        return "not reached"
    return f"{value:.{digits}g}" if abs(value) >= 1000 else f"{value:.{digits}f}"


def interval_text(mean: float, low: float, high: float, digits: int = 3) -> str:
    """``0.031 [0.012, 0.050]``, or the mean alone when there is no interval (one run)."""
    if math.isnan(low) or math.isnan(high):
        return fmt(mean, digits)
    return f"{fmt(mean, digits)} [{fmt(low, digits)}, {fmt(high, digits)}]"


def estimate_seconds(customers: int, steps: int, structures: int, replicates: int,
                     cores: int | None = None) -> float:
    """Rough wall time of a comparison: model work spread over ``cores`` worker processes
    (default: the machine's cores), each taking whole runs."""
    runs = structures * replicates
    cores = max(1, min(cores or os.cpu_count() or 1, runs))
    work = runs * (customers * steps * SECONDS_PER_CUSTOMER_STEP
                   + SECONDS_PER_MODEL * customers / 20_000)
    return work / cores + 2.0


def resilience_summary(table: pd.DataFrame, reference: str, metric: str,
                       steps: int) -> pd.DataFrame:
    """Per shock and structure: depth, area lost and recovery with intervals, and the paired
    difference in area lost against ``reference``; headers in words with units.

    ``table`` has one row per structure, replicate and shock (the runner's resilience rows).
    """
    if table is None or table.empty:
        return pd.DataFrame()
    unit = UNITS.get(metric, label(metric))
    # Without the reference's rows (it has not passed a shock yet: structures run at their
    # own pace) there is nothing to pair with.
    has_reference = reference in set(table["structure"])
    differences = {}
    if has_reference:
        paired_rows = paired_differences(table, "area_lost", reference=reference,
                                         groups=("shock",), better="lower")
        differences = {(row.shock, row.structure): row
                       for row in paired_rows.itertuples(index=False)}
    rows = []
    for (shock, structure), group in table.groupby(["shock", "structure"], sort=False):
        kind, step = group["kind"].iloc[0], int(group["step"].iloc[0])
        window = int((group["recovery_time"].where(~group["recovered"])).max()
                     if (~group["recovered"]).any() else steps - step)
        depth = t_interval(group["depth"])
        area = t_interval(group["area_lost"])
        recovery = recovery_summary(group["recovery_time"], group["recovered"])
        recovered = int(group["recovered"].sum())
        if recovery.median_reached:
            recovery_text = f"median {recovery.median_text()} steps"
        else:
            recovery_text = f"not recovered within {window} steps"
        recovery_text += f" ({recovered} of {len(group)} runs recovered)"
        row = differences.get((shock, structure))
        if structure == reference:
            paired = "reference"
        elif row is None:
            paired = "n/a" if has_reference else f"waiting for {reference}"
        else:
            paired = (f"{interval_text(row.mean_difference, row.low, row.high)}; "
                      f"less lost in {row.better} of {row.pairs}")
        rows.append({
            "shock": f"{kind} at step {step}",
            "structure": structure,
            "runs": len(group),
            f"depth ({unit})": interval_text(*depth),
            f"area lost ({unit} x steps)": interval_text(*area),
            "recovery (steps to 95% of baseline)": recovery_text,
            f"area lost minus {reference}'s (paired)": paired,
        })
    return pd.DataFrame(rows)


def comparison_sentence(table: pd.DataFrame, reference: str, metric: str) -> str:
    """One plain sentence per structure on the first shock, computed from the paired runs:
    ``podular lost less market share than hierarchy after the need_shift in 8 of 10 runs;
    mean difference in area lost -0.3 [-0.5, -0.1] (95% t-interval): a clear difference.``"""
    if table is None or table.empty:
        return ""
    first = table["shock"].min()
    rows = table[table["shock"] == first]
    kind = rows["kind"].iloc[0]
    if reference not in set(rows["structure"]):
        return (f"Waiting for {reference} to pass the {label(kind)}: the paired differences "
                "appear once it has.")
    differences = paired_differences(rows, "area_lost", reference=reference, better="lower")
    sentences = []
    for _, row in differences.iterrows():
        if row["structure"] == reference:
            continue
        pairs = int(row["pairs"])
        text = (f"{row['structure']} lost less {label(metric)} than {reference} after the "
                f"{label(kind)} in {row['better']} of {pairs} run{'s' if pairs != 1 else ''}")
        if pairs < 2:
            text += (f"; one pair gives no interval (difference in area lost "
                     f"{fmt(row['mean_difference'])}): add replicates")
        else:
            text += (f"; mean difference in area lost "
                     f"{interval_text(row['mean_difference'], row['low'], row['high'])} "
                     "(95% t-interval)")
            if row["high"] < 0:
                text += ": clearly less lost"
            elif row["low"] > 0:
                text += ": clearly more lost"
            else:
                text += ": no clear difference at this number of runs"
        sentences.append(text + ".")
    return " ".join(sentences)


def window_means(long: pd.DataFrame, start: int, end: int, metrics) -> pd.DataFrame:
    """Per structure and replicate, the mean of each metric over steps ``start`` to ``end``."""
    part = long[(long["step"] >= start) & (long["step"] < end)]
    present = [m for m in metrics if m in part.columns]
    return part.groupby(["structure", "replicate"], as_index=False)[present].mean()


@dataclass
class Verdict:
    """The question page's answer, computed from paired runs."""

    headline: str
    detail: str
    mechanism: str
    clear: bool
    table: pd.DataFrame


def verdict(long: pd.DataFrame, resilience: pd.DataFrame, have: str, consider: str,
            situation: str, metric: str, shock_step: int, steps: int) -> Verdict:
    """Would ``consider`` have weathered the situation better than ``have``?

    The answer compares the area lost on ``metric`` after the first shock, paired replicate
    by replicate; the mechanism compares process metrics averaged from the shock to the end.
    """
    unit = UNITS.get(metric, label(metric))
    first = resilience[resilience["shock"] == resilience["shock"].min()]
    pair = first[first["structure"].isin([have, consider])]
    differences = paired_differences(pair, "area_lost", reference=have, better="lower")
    row = differences[differences["structure"] == consider].iloc[0]
    pairs = int(row["pairs"])
    area_have = t_interval(pair[pair["structure"] == have]["area_lost"])
    area_consider = t_interval(pair[pair["structure"] == consider]["area_lost"])
    clear = pairs >= 2 and (row["high"] < 0 or row["low"] > 0)
    if clear and row["high"] < 0:
        headline = f"Yes: the {consider} firm would have weathered {situation} better."
    elif clear:
        headline = f"No: the {consider} firm would have weathered {situation} worse."
    else:
        headline = (f"Not clear: the {pairs} paired runs do not separate the {consider} firm "
                    f"from your {have} firm under {situation}.")
    detail = (f"The {consider} firm lost less {label(metric)} than the {have} firm in "
              f"{row['better']} of {pairs} paired runs. "
              f"Area lost after the shock ({unit} x steps): {have} "
              f"{interval_text(*area_have)}, {consider} {interval_text(*area_consider)}; "
              f"difference {consider} minus {have} "
              f"{interval_text(row['mean_difference'], row['low'], row['high'])} "
              "(95% t-interval over the paired runs; a difference whose interval excludes 0 "
              "is clear).")
    metrics = [m[0] for m in MECHANISMS]
    means = window_means(long[long["structure"].isin([have, consider])], shock_step, steps,
                         metrics)
    rows, reasons = [], []
    for column, name, unit_text, better, more, less in MECHANISMS:
        if column not in means.columns:
            continue
        result = paired_differences(means, column, reference=have, better=better)
        found = result[result["structure"] == consider]
        if found.empty:
            continue
        item = found.iloc[0]
        have_mean = float(means[means["structure"] == have][column].mean())
        consider_mean = float(means[means["structure"] == consider][column].mean())
        rows.append({
            "process after the shock": f"{name} ({unit_text})",
            have: fmt(have_mean), consider: fmt(consider_mean),
            f"{consider} minus {have} [95%]": interval_text(item["mean_difference"],
                                                            item["low"], item["high"]),
        })
        if item["pairs"] >= 2 and (item["low"] > 0 or item["high"] < 0):
            words = more if item["mean_difference"] > 0 else less
            reasons.append(f"{words} ({name}: {fmt(have_mean)} vs {fmt(consider_mean)})")
    if reasons:
        mechanism = (f"Why, from the runs' process metrics after the shock: in the {consider} "
                     f"firm {'; '.join(reasons)}.")
    else:
        mechanism = ("The runs' process metrics (latency, congestion, sensing, word of mouth) "
                     "do not differ clearly between the two firms after the shock.")
    return Verdict(headline, detail, mechanism, bool(clear), pd.DataFrame(rows))


def chart_description(title: str, band: pd.DataFrame, steps: int) -> str:
    """A text alternative of a chart: each line's mean at the last step reached."""
    if band is None or band.empty:
        return f"{title}: no data yet."
    parts = []
    for structure, group in band.groupby("structure", sort=False):
        last = group.iloc[-1]
        value = fmt(float(last["mean"]))
        spread = "" if np.isnan(last["half_width"]) else f" +/- {fmt(float(last['half_width']))}"
        parts.append(f"{structure} {value}{spread}")
    step = int(band["step"].max())
    return f"{title}, mean over replicates at step {step} of {steps}: {'; '.join(parts)}."
