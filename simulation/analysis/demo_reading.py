"""The demo's plain-language reading, computed from its own tables (never canned text).

Per market the reading says who reached the highest level, on market share (mean over the
run's last steps) and on cumulative profit (over the whole run), by how much against the
runner-up (paired 95% t-interval on the same seeds), and how sure that is:

- **clear**: the leader's paired difference against every other structure excludes 0;
- **tie within a margin**: the interval of the leader's advantage over the runner-up lies
  inside plus or minus the stated margin (:data:`TIE_MARGIN` of the market: one point of
  share; one percent of the market's potential revenue over the run), so the two are
  equivalent at that resolution;
- **ahead of the runner-up** only: the advantage over the runner-up excludes 0 but some other
  structure's difference does not (the reading names it);
- otherwise **not settled**.

:func:`settled` says whether every lead is clear or a tie, which ``firmsim demo`` uses to
choose its replicates by precision. One sentence per market then says why, from the
mechanics measured in the runs (fit of the product, changes made and their latency, unit
cost, coordination cost). Area lost after the shock stays a secondary figure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from simulation.analysis.statistics import paired_differences
from simulation.analysis.winners import TIE, winner_table

#: A tie is called when the leader's advantage is inside plus or minus this share of the
#: market: one point of market share; one percent of the potential revenue over the run.
TIE_MARGIN = 0.01

#: Outputs the reading ranks: column -> (words, number format).
OUTPUTS: dict[str, tuple[str, str]] = {
    "market_share": ("market share", ".1%"),
    "cumulative_profit": ("cumulative profit", ",.0f"),
}


def lead_status(runs: pd.DataFrame, output: str, structures: Sequence[str], margin: float,
                confidence: float = 0.95) -> dict:
    """The standing of one output in one market: leader, runner-up, advantage and verdict.

    ``runs`` has one row per run (``structure``, ``replicate``, ``output``). Returns a dict
    with ``best``, ``runner_up``, ``best_mean``, ``margin`` (the advantage over the
    runner-up) and its ``low``/``high``, ``pairs``, ``unbeaten`` (structures whose difference
    against the leader includes 0) and ``verdict`` in {"clear", "tie", "ahead", "open"}.
    """
    means = runs.groupby("structure")[output].mean().reindex(list(structures)).dropna()
    ranked = means.iloc[np.argsort(-means.to_numpy(), kind="stable")]
    best, runner_up = ranked.index[0], ranked.index[1]
    differences = paired_differences(runs, output, reference=best, better="higher",
                                     confidence=confidence).set_index("structure")
    others = differences.drop(index=best)
    # other - best < 0 throughout the interval: the leader is ahead of that structure.
    unbeaten = [s for s in others.index if not others.loc[s, "high"] < 0]
    runner = others.loc[runner_up]
    low, high = -float(runner["high"]), -float(runner["low"])
    significant = not unbeaten and bool(others["low"].notna().all())
    if significant:
        verdict = "clear"
    elif -margin <= low and high <= margin:
        verdict = "tie"
    elif low > 0:
        verdict = "ahead"
    else:
        verdict = "open"
    return {"best": best, "runner_up": runner_up, "best_mean": float(means[best]),
            "margin": -float(runner["mean_difference"]), "low": low, "high": high,
            "pairs": int(others["pairs"].min()), "unbeaten": unbeaten, "verdict": verdict,
            "tie_margin": margin}


def standings(levels: pd.DataFrame, structures: Sequence[str], potential: float,
              confidence: float = 0.95) -> dict[tuple[str, str], dict]:
    """:func:`lead_status` of every market of ``levels`` and every :data:`OUTPUTS` column.

    ``potential`` is the market's potential revenue over the run (price x customers x
    steps): the tie margin of cumulative profit is :data:`TIE_MARGIN` of it.
    """
    margins = {"market_share": TIE_MARGIN, "cumulative_profit": TIE_MARGIN * potential}
    return {(market, output): lead_status(group, output, structures, margins[output],
                                          confidence)
            for market, group in levels.groupby("market", sort=False) for output in OUTPUTS}


def settled(statuses: Mapping) -> bool:
    """Whether every lead is clear or a tie within the margin (no more replicates needed)."""
    return all(s["verdict"] in ("clear", "tie") for s in statuses.values())


def lead_sentence(status: dict, label: str, output: str) -> str:
    """One sentence on who reached the highest level of ``output`` in one market."""
    what, form = OUTPUTS[output]
    s = status
    figure = (f"{s['margin']:{form}} [{s['low']:{form}}, {s['high']:{form}}] above "
              f"{s['runner_up']} on the same seeds")
    pairs = f"{s['pairs']} paired runs"
    if s["verdict"] == "tie":
        return (f"In the {label} market {s['best']} and {s['runner_up']} tie on {what}: "
                f"{s['best']} is {figure}, inside the tie margin of "
                f"{s['tie_margin']:{form}} ({pairs}).")
    head = f"In the {label} market {s['best']} reached the highest {what} ({s['best_mean']:{form}})"
    if s["verdict"] == "clear":
        return f"{head}, {figure}: ahead of every other structure at 95% ({pairs})."
    if s["verdict"] == "ahead":
        return (f"{head}, {figure}: ahead of {s['runner_up']} at 95%, but not clearly ahead "
                f"of {', '.join(s['unbeaten'])} ({pairs}).")
    return (f"{head}, {figure}: not settled at 95% over {pairs} (neither a clear lead nor a "
            "tie within the margin).")


def _mechanics(timeseries: pd.DataFrame) -> pd.DataFrame:
    """Per structure, run means of the mechanics the reading explains levels by."""
    frame = timeseries.assign(
        coordination_share=timeseries["coordination_cost"]
        / timeseries["revenue"].where(timeseries["revenue"] > 0))
    per_run = frame.groupby(["structure", "replicate"]).agg(
        fitness=("fitness", "mean"), changes=("proposals_implemented", "mean"),
        latency=("decision_latency", "mean"), unit_cost=("unit_cost", "mean"),
        coordination=("coordination_share", "mean"))
    return per_run.groupby("structure").mean()


def mechanics_sentence(timeseries: pd.DataFrame, first: str, second: str, label: str) -> str:
    """Why ``first`` stands where it does against ``second`` in one market, in numbers."""
    m = _mechanics(timeseries)
    a, b = m.loc[first], m.loc[second]
    fit = ("fit the product better" if a["fitness"] > b["fitness"]
           else "fit the product less well")
    speed = ("changing it more often and sooner" if a["changes"] > b["changes"]
             and a["latency"] < b["latency"] else
             "changing it more often" if a["changes"] > b["changes"] else
             "changing it less often")
    cheap = "made it more cheaply" if a["unit_cost"] < b["unit_cost"] else "made it dearer"
    latency = ("" if np.isnan(a["latency"]) or np.isnan(b["latency"])
               else f", {a['latency']:.1f} vs {b['latency']:.1f} steps from proposal to effect")
    return (f"Why, in the {label} market: {first} {fit} than {second} (fitness "
            f"{a['fitness']:.3f} vs {b['fitness']:.3f}), {speed} ({a['changes']:.2f} vs "
            f"{b['changes']:.2f} changes a step{latency}), {cheap} (unit cost "
            f"{a['unit_cost']:.3f} vs {b['unit_cost']:.3f}, the experience curve less the "
            f"experience each change depreciates) and spent {a['coordination']:.1%} vs "
            f"{b['coordination']:.1%} of revenue on coordination time.")


def loss_sentence(row, label: str) -> str:
    """The secondary figure: who lost least market share after the shock (area lost)."""
    if row["best"] == TIE:
        return f"Area lost after the shock ({label}): no structure lost less than the others."
    clear = ("ahead of every other at 95%" if row["significant"] else
             "ahead of the runner-up at 95% only" if row["margin_low"] > 0 else
             "not settled at 95%")
    return (f"Area lost after the shock ({label}, secondary): {row['best']} lost least "
            f"({row['best_mean']:.3g}), {row['margin']:.3g} [{row['margin_low']:.3g}, "
            f"{row['margin_high']:.3g}] less than {row['runner_up']}: {clear} "
            f"({int(row['replicates'])} paired runs).")


def demo_reading(levels: pd.DataFrame, statuses: Mapping[tuple[str, str], dict],
                 timeseries: pd.DataFrame, resilience: pd.DataFrame,
                 structures: Sequence[str], labels: Mapping[str, str]) -> list[str]:
    """The reading of the demo: per market the levels reached, why, and the area lost.

    Parameters
    ----------
    levels : DataFrame
        One row per run with ``market``, ``structure``, ``replicate`` and the
        :data:`OUTPUTS` columns.
    statuses : mapping
        ``(market, output)`` -> :func:`lead_status` of that market and output.
    timeseries : DataFrame
        The runs' step metrics with ``market``, ``structure`` and ``replicate``.
    resilience : DataFrame
        One row per run and shock with ``market``, ``structure``, ``replicate``,
        ``area_lost`` (the first shock is read).
    structures : sequence of str
    labels : mapping
        Market key -> words for it ("calm, coupled-modules").
    """
    first = resilience[resilience["shock"] == resilience["shock"].min()]
    losses = winner_table(first, ["market"], "area_lost", structures, "lower").set_index(
        "market")
    sentences = []
    for market, label in labels.items():
        for output in OUTPUTS:
            if (market, output) in statuses:
                sentences.append(lead_sentence(statuses[(market, output)], label, output))
        profit = statuses.get((market, "cumulative_profit"))
        share = statuses.get((market, "market_share"))
        if profit is not None:
            other = (share["best"] if share is not None and share["best"] != profit["best"]
                     else profit["runner_up"])
            sentences.append(mechanics_sentence(
                timeseries[timeseries["market"] == market], profit["best"], other, label))
        if market in losses.index:
            sentences.append(loss_sentence(losses.loc[market], label))
    return sentences
