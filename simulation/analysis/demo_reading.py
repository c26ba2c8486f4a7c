"""The demo's plain-language reading, computed from its own tables (never canned text).

Each sentence is filled in from the numbers: which structure lost least after the shock in
each market and by how much against the runner-up (paired 95% t-interval, "clear" only when
it excludes 0), which held the highest market share at the end, and whether the leader
changes between markets. Change a number in the tables and the sentence changes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from simulation.analysis.winners import TIE, winner_table


def _clarity(row) -> str:
    pairs = int(row["replicates"])
    if row["significant"]:
        return f"clear at 95% over {pairs} paired runs"
    return (f"not clear at 95% over {pairs} paired runs (more replicates, "
            "or no real difference)")


def loss_sentence(row, label: str, metric: str) -> str:
    """One sentence on who lost least after the shock in one market (a winner-table row)."""
    what = metric.replace("_", " ")
    if row["best"] == TIE:
        return (f"In the {label} market no structure lost less {what} than the others "
                f"(the two best lost {row['best_mean']:.3g} each).")
    return (f"In the {label} market {row['best']} lost the least {what} after the shock "
            f"(area lost {row['best_mean']:.3g}), {row['margin']:.3g} "
            f"[{row['margin_low']:.3g}, {row['margin_high']:.3g}] less than {row['runner_up']} "
            f"on the same seeds: {_clarity(row)}.")


def level_sentence(row, label: str, metric: str) -> str:
    """One sentence on who ended highest in one market (a winner-table row of levels)."""
    what = metric.replace("_", " ")
    if row["best"] == TIE:
        return f"At the end, the {label} market had no single leader in {what}."
    form = ".1%" if "share" in metric else ".3g"
    return (f"At the end of the run {row['best']} held the highest {what} there "
            f"({row['best_mean']:{form}}), {row['margin']:{form}} [{row['margin_low']:{form}}, "
            f"{row['margin_high']:{form}}] above {row['runner_up']}: {_clarity(row)}.")


def contrast_sentence(leaders: Mapping[str, str], clear: Mapping[str, bool]) -> str:
    """Whether the leader (on area lost) changes between markets, and how sure that is.

    ``leaders``: market words -> best structure (or ``"tie"``); ``clear``: market words ->
    whether that lead is significant. A change of leader is only called a finding when every
    lead is clear; otherwise the sentence says the data do not settle it.
    """
    named = {label: best for label, best in leaders.items() if best != TIE}
    parts = ", ".join(f"{best} in the {label} market" for label, best in named.items())
    if len(set(named.values())) > 1:
        if all(clear.get(label, False) for label in named):
            return (f"So which structure weathers the shock best depends on the market: "
                    f"{parts}; both leads are clear at 95%.")
        return (f"The leader differs between the markets ({parts}), but not every lead is "
                "clear at 95%, so these runs do not settle whether the market changes the "
                "winner: add replicates (firmsim run --precision) before reading more into it.")
    if named and len(named) == len(leaders):
        best = next(iter(named.values()))
        sure = ("clearly in both" if all(clear.get(label, False) for label in named)
                else "though not clearly everywhere")
        return f"{best} lost least in every market shown here, {sure}."
    return "No structure led in every market."


def demo_reading(resilience: pd.DataFrame, levels: pd.DataFrame, structures: Sequence[str],
                 labels: Mapping[str, str], metric: str = "market_share") -> list[str]:
    """The reading of the demo: a few sentences per market and one contrast.

    Parameters
    ----------
    resilience : DataFrame
        One row per run and shock with ``market``, ``structure``, ``replicate`` and
        ``area_lost`` (the first shock is read).
    levels : DataFrame
        One row per run with ``market``, ``structure``, ``replicate`` and ``metric``: the
        level over the run's last steps.
    structures : sequence of str
    labels : mapping
        Market key -> words for it ("calm, coupled-modules").
    metric : str
        The step metric the levels hold.
    """
    first = resilience[resilience["shock"] == resilience["shock"].min()]
    losses = winner_table(first, ["market"], "area_lost", structures, "lower").set_index(
        "market")
    ends = winner_table(levels, ["market"], metric, structures, "higher").set_index("market")
    sentences, leaders, clear = [], {}, {}
    for market, label in labels.items():
        if market in losses.index:
            sentences.append(loss_sentence(losses.loc[market], label, metric))
            leaders[label] = losses.loc[market, "best"]
            clear[label] = bool(losses.loc[market, "significant"])
        if market in ends.index:
            sentences.append(level_sentence(ends.loc[market], label, metric))
    if len(leaders) > 1:
        sentences.append(contrast_sentence(leaders, clear))
    return sentences
