"""The demo's plain-language reading, computed from its own tables (never canned text).

Per market the reading says who reached the highest level, on market share (mean over the
run) and on cumulative profit (over the whole run), and where every other structure stands
against that leader on the same seeds (paired 95% t-interval of other - leader):

- **behind**: the interval lies below 0;
- **level**: the interval lies inside plus or minus the tie margin (:data:`SHARE_MARGIN`
  points of share; :data:`PROFIT_MARGIN` of the market's potential revenue over the run), so
  the two are equivalent at that resolution;
- **not yet told apart**: neither.

The verdict of a lead (:func:`lead_status`) is **clear** when every other structure is
behind, a **tie** when nobody is unresolved and some are level, **ahead** when the runner-up
is behind but someone further down is unresolved, else **open**. :func:`settled` says
whether every lead is clear or a tie, which ``firmsim demo`` uses to choose its replicates
by precision. One sentence per market then says why, from the mechanics measured in the runs
(fit of the product, changes made and their latency, unit cost, coordination cost). Area
lost after the shock stays a secondary figure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from simulation.analysis.statistics import paired_differences, standing
from simulation.analysis.winners import TIE, winner_table

#: Tie margins: two structures tie when their paired difference is known (95%) to lie
#: inside plus or minus the margin. Market share: SHARE_MARGIN points of the market;
#: cumulative profit: PROFIT_MARGIN of the market's potential revenue over the run.
SHARE_MARGIN = 0.02
PROFIT_MARGIN = 0.02

#: Outputs the reading ranks: column -> (words, number format).
OUTPUTS: dict[str, tuple[str, str]] = {
    "market_share": ("mean market share", ".1%"),
    "cumulative_profit": ("cumulative profit", ",.0f"),
}


def lead_status(runs: pd.DataFrame, output: str, structures: Sequence[str], margin: float,
                confidence: float = 0.95) -> dict:
    """The standing of one output in one market: the leader and every other structure's
    place against it.

    ``runs`` has one row per run (``structure``, ``replicate``, ``output``). Each other
    structure's paired difference against the leader (other - leader, 95% t) puts it in one
    of three places: **behind** (the interval lies below 0), **level** (not behind, and the
    interval lies inside plus or minus ``margin``: equivalent at that resolution) or
    **unresolved** (neither yet). The verdict is

    - ``"clear"``: every other structure is behind;
    - ``"tie"``: nobody is unresolved and some are level: the leader and the level ones form
      the leading group, equivalent within the margin; every other structure is behind;
    - ``"ahead"``: the runner-up is behind but some structure is unresolved;
    - ``"open"``: the runner-up (or more) is unresolved.

    Returns a dict with ``best``, ``runner_up``, ``best_mean``, ``margin`` (the advantage over
    the runner-up) and its ``low``/``high``, ``pairs``, ``behind``, ``level``, ``unbeaten``
    (the unresolved structures), ``means`` (structure -> mean), ``differences`` (structure ->
    (mean, low, high) of other - leader), ``tie_margin`` and ``verdict``.
    """
    means = runs.groupby("structure")[output].mean().reindex(list(structures)).dropna()
    ranked = means.iloc[np.argsort(-means.to_numpy(), kind="stable")]
    best, runner_up = ranked.index[0], ranked.index[1]
    differences = paired_differences(runs, output, reference=best, better="higher",
                                     confidence=confidence).set_index("structure")
    others = differences.drop(index=best).reindex(ranked.index[1:])
    behind, level, unresolved = [], [], []
    for structure, row in others.iterrows():
        kind = standing(row["low"], row["high"], margin, "higher")
        {"behind": behind, "tie": level, "open": unresolved}[kind].append(structure)
    if not unresolved:
        verdict = "tie" if level else "clear"
    elif runner_up in behind:
        verdict = "ahead"
    else:
        verdict = "open"
    runner = others.loc[runner_up]
    return {"best": best, "runner_up": runner_up, "best_mean": float(means[best]),
            "margin": -float(runner["mean_difference"]), "low": -float(runner["high"]),
            "high": -float(runner["low"]), "pairs": int(others["pairs"].min()),
            "behind": behind, "level": level, "unbeaten": unresolved,
            "means": {k: float(v) for k, v in ranked.items()},
            "differences": {k: (float(r["mean_difference"]), float(r["low"]), float(r["high"]))
                            for k, r in others.iterrows()},
            "verdict": verdict, "tie_margin": margin}


def standings(levels: pd.DataFrame, structures: Sequence[str], potential: float,
              confidence: float = 0.95) -> dict[tuple[str, str], dict]:
    """:func:`lead_status` of every market of ``levels`` and every :data:`OUTPUTS` column.

    ``potential`` is the market's potential revenue over the run (price x customers x
    steps): the tie margin of cumulative profit is :data:`PROFIT_MARGIN` of it; that of
    market share is :data:`SHARE_MARGIN`.
    """
    margins = {"market_share": SHARE_MARGIN, "cumulative_profit": PROFIT_MARGIN * potential}
    return {(market, output): lead_status(group, output, structures, margins[output],
                                          confidence)
            for market, group in levels.groupby("market", sort=False) for output in OUTPUTS}


def settled(statuses: Mapping) -> bool:
    """Whether every lead is clear or a tie within the margin (no more replicates needed)."""
    return all(s["verdict"] in ("clear", "tie") for s in statuses.values())


def _names(structures: Sequence[str]) -> str:
    items = list(structures)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def lead_sentence(status: dict, label: str, output: str) -> str:
    """One sentence on who reached the highest level of ``output`` in one market."""
    what, form = OUTPUTS[output]
    s = status
    pairs = f"{s['pairs']} paired runs"

    def gaps(structures: Sequence[str]) -> str:
        cells = []
        for structure in structures:
            mean, low, high = s["differences"][structure]
            cells.append(f"{structure} {mean:+{form}} [{low:+{form}}, {high:+{form}}]")
        return f"paired differences from {s['best']}: {', '.join(cells)}"

    behind = (f"; {_names(s['behind'])} clearly behind" if s["behind"] else "")
    if s["verdict"] == "tie":
        group = [s["best"], *s["level"]]
        return (f"In the {label} market {_names(group)} tie on {what} "
                f"({', '.join(f'{s['means'][g]:{form}}' for g in group)}): every paired "
                f"difference within the tie margin of {s['tie_margin']:{form}} at 95% "
                f"({gaps(s['level'])}){behind} ({pairs}).")
    head = (f"In the {label} market {s['best']} reached the highest {what} "
            f"({s['best_mean']:{form}})")
    if s["verdict"] == "clear":
        return (f"{head}, {s['margin']:{form}} [{s['low']:{form}}, {s['high']:{form}}] above "
                f"{s['runner_up']} on the same seeds: ahead of every other structure at 95% "
                f"({pairs}).")
    level = (f"; level with {_names(s['level'])} within {s['tie_margin']:{form}}"
             if s["level"] else "")
    return (f"{head}; not yet told apart from {_names(s['unbeaten'])} at 95%, neither a "
            f"lead nor a tie within {s['tie_margin']:{form}} ({gaps(s['unbeaten'])})"
            f"{level}{behind} ({pairs}).")


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
