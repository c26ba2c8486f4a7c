"""Winner maps and scenario discovery of a grid sweep over several structures.

A **winner map** answers, for every condition (a combination of the swept parameters): which
structure is best on a chosen output, whether it is *significantly* best and on how many
paired replicates. "Significantly best" means that the 95% t-interval of its paired
difference against every other structure (same seeds: common random numbers) excludes 0 in
its favour (:func:`simulation.analysis.statistics.paired_differences`); this is a per-condition
statement, not corrected for the many conditions of a map.

**Scenario discovery** asks "under which conditions does A beat B by at least d?" and answers
with PRIM boxes (:func:`simulation.analysis.discovery.discover`) over the swept parameters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.analysis.statistics import Better, paired_differences, standing
from simulation.errors import UserError

#: Output-name fragments for which lower is better (losses, times, costs).
LOWER_IS_BETTER = ("area_lost", "depth", "recovery_time", "latency", "queue", "messages",
                   "workload", "dropped", "vetoed", "cost")

#: Okabe-Ito colours (distinguishable with the common colour-vision deficiencies).
OKABE_ITO = ("#E69F00", "#56B4E9", "#009E73", "#CC79A7", "#F0E442", "#0072B2", "#D55E00",
             "#000000")

#: ``best`` of a condition where the two best structures have the same mean.
TIE = "tie"
TIE_COLOUR = "#BBBBBB"

WINNER_COLUMNS = ["best", "best_mean", "runner_up", "margin", "margin_low", "margin_high",
                  "significant", "verdict", "level_with", "replicates"]

#: ``verdict`` of a condition: the best is significantly ahead of every other structure; it
#: leads a group tied within the tie margin, every other structure behind; or still open.
CLEAR, LEVEL, OPEN = "clear", "tie within margin", "open"


def better_direction(output: str) -> Better:
    """``"lower"`` for losses, times and costs (by name, :data:`LOWER_IS_BETTER`), else
    ``"higher"`` (share, revenue, fitness, levels). ``relative_depth`` is a loss too."""
    return "lower" if any(part in output for part in LOWER_IS_BETTER) else "higher"


def winner_table(runs: pd.DataFrame, conditions: Sequence[str], output: str,
                 structures: Sequence[str], better: Better | None = None,
                 confidence: float = 0.95, tie_margin: float | None = None) -> pd.DataFrame:
    """Per condition: the best structure on ``output`` and whether it is significantly best.

    Parameters
    ----------
    runs : DataFrame
        One row per run with ``structure``, ``replicate``, the ``conditions`` and ``output``.
    conditions : sequence of str
        Columns that define a condition (the swept parameters).
    output : str
        The output ranked.
    structures : sequence of str
        Structures compared, in the order used for ties (the first listed wins a tie).
    better : {"lower", "higher"}, optional
        Direction of ``output`` (default :func:`better_direction`).
    confidence : float, default 0.95
    tie_margin : float, optional
        A structure whose paired difference against the best lies inside plus or minus
        this margin (in ``output`` units) is level with it (the sweep's ``[precision]``
        margin); without it, only "clear" and "open" verdicts are given.

    Returns
    -------
    DataFrame
        ``*conditions`` then ``best`` (highest or lowest mean over replicates; ``"tie"`` when
        the runner-up has the same mean), ``best_mean``,
        ``runner_up``, ``margin`` (mean paired advantage of the best over the runner-up, in
        ``output`` units, >= 0) with its interval ``margin_low``/``margin_high``,
        ``significant`` (every other structure's paired difference against the best has an
        interval excluding 0 in the best's favour) and ``replicates`` (fewest pairs behind
        any of those differences), ``verdict`` (:data:`CLEAR`, :data:`LEVEL` or
        :data:`OPEN`: :func:`simulation.analysis.statistics.standing` of every other
        structure), ``level_with`` (the structures tied with the best within the margin,
        comma-separated), then ``mean_<structure>`` per structure.
    """

    better = better or better_direction(output)
    conditions = list(conditions)
    for column in [*conditions, output, "structure", "replicate"]:
        if column not in runs.columns:
            raise UserError(f"winner map: column {column!r} is not in the runs table")
    sign = 1.0 if better == "lower" else -1.0
    rows = []
    for key, group in runs.groupby(conditions, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        group = group[group["structure"].isin(structures)]
        means = group.groupby("structure")[output].mean().reindex(list(structures)).dropna()
        if len(means) < 2:
            continue
        ranked = means.iloc[np.argsort(sign * means.to_numpy(), kind="stable")]
        best, runner_up = ranked.index[0], ranked.index[1]
        differences = paired_differences(group, output, reference=best, better=better,
                                         confidence=confidence).set_index("structure")
        others = differences.drop(index=best)
        # other - best: positive is worse for the other when lower is better.
        favour = (others["low"] * sign > 0) if better == "lower" else (others["high"] < 0)
        significant = bool(len(others) and favour.all() and others["low"].notna().all())
        runner = others.loc[runner_up]
        margin, low, high = (sign * runner["mean_difference"], sign * runner["low"],
                             sign * runner["high"])
        if better == "higher":
            low, high = high, low
        stands = {name: standing(r["low"], r["high"], tie_margin or 0.0, better)
                  for name, r in others.iterrows()}
        level = [name for name, kind in stands.items() if kind == "tie"]
        if significant:
            verdict = CLEAR
        elif tie_margin is not None and "open" not in stands.values():
            verdict = LEVEL
        else:
            verdict = OPEN
        if means[runner_up] == means[best]:
            # Equal means (e.g. every structure lost nothing): no winner, not a tie-break.
            best, significant = TIE, False
        row = dict(zip(conditions, key, strict=True))
        row.update(best=best, best_mean=float(means[ranked.index[0]]), runner_up=runner_up,
                   margin=float(margin), margin_low=float(low), margin_high=float(high),
                   significant=significant, verdict=verdict,
                   level_with=", ".join(level) if tie_margin is not None else "",
                   replicates=int(others["pairs"].min()))
        row.update({f"mean_{name}": float(means.get(name, np.nan)) for name in structures})
        rows.append(row)
    columns = [*conditions, *WINNER_COLUMNS, *[f"mean_{name}" for name in structures]]
    return pd.DataFrame(rows, columns=columns)


def plot_winner_map(table: pd.DataFrame, conditions: Sequence[str], structures: Sequence[str],
                    output: str, path: Path, x: str | None = None, y: str | None = None
                    ) -> None:
    """A map of the best structure per condition: one colour per structure (Okabe-Ito,
    distinguishable without red/green), solid when significantly best, pale and hatched when
    not, grey for a tie; each cell labelled with the structure, a star when significant, and
    the replicate count.

    Columns are the combinations of ``x`` and ``y`` (default: the first two conditions);
    rows every combination of the other conditions.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch, Rectangle

    from simulation.store.atomic import atomic_write

    conditions = list(conditions)
    x = x or conditions[0]
    y = y if y in conditions and y != x else next((c for c in conditions if c != x), None)
    across = [x] if y is None else [x, y]
    rest = [c for c in conditions if c not in across]

    def keys(columns):
        if not columns:
            return [()]
        return list(table[columns].drop_duplicates().sort_values(columns).itertuples(
            index=False, name=None))

    column_keys, row_keys = keys(across), keys(rest)
    colour = {name: OKABE_ITO[i % len(OKABE_ITO)] for i, name in enumerate(structures)}
    colour[TIE] = TIE_COLOUR

    def label(names, key, sep):
        return sep.join(f"{n}={_short(v)}" for n, v in zip(names, key, strict=True))

    longest = max((len(label(rest, k, ", ")) for k in row_keys), default=0)
    width = 1.25 * len(column_keys) + 0.075 * longest + 2.5
    height = 0.5 * len(row_keys) + 2.2
    figure, axis = plt.subplots(figsize=(width, height))
    indexed = table.set_index(conditions)
    for r, row_key in enumerate(row_keys):
        for c, column_key in enumerate(column_keys):
            values = dict(zip(across, column_key, strict=True))
            values.update(zip(rest, row_key, strict=True))
            index = tuple(values[name] for name in conditions)
            if index not in indexed.index:
                continue
            cell = indexed.loc[[index]].iloc[0]
            significant = bool(cell["significant"])
            level = cell.get("verdict") == LEVEL
            axis.add_patch(Rectangle((c, r), 1, 1, facecolor=colour[cell["best"]],
                                     alpha=1.0 if significant else 0.7 if level else 0.45,
                                     hatch=None if significant or level else "///",
                                     edgecolor="white", linewidth=1.5))
            tied = f"\n= {cell['level_with']}" if level and cell["level_with"] else ""
            text = (f"{cell['best']}{' *' if significant else ''}{tied}"
                    f"\nn={int(cell['replicates'])}")
            axis.text(c + 0.5, r + 0.5, text, ha="center", va="center", fontsize=7)
    axis.set_xlim(0, len(column_keys))
    axis.set_ylim(len(row_keys), 0)
    axis.set_xticks(np.arange(len(column_keys)) + 0.5)
    axis.set_xticklabels([label(across, k, "\n") for k in column_keys], fontsize=7)
    axis.set_yticks(np.arange(len(row_keys)) + 0.5)
    axis.set_yticklabels([label(rest, k, ", ") for k in row_keys], fontsize=7)
    levels = "verdict" in table.columns and (table["verdict"] == LEVEL).any()
    axis.set_title(f"Best structure on {output} per condition\n(* and solid: significantly "
                   "best, paired 95% intervals; "
                   + ("= names: tied with the best within the margin; " if levels else "")
                   + "hatched: not told apart; n: pairs)", fontsize=9)
    handles = [Patch(facecolor=colour[name], label=name) for name in structures]
    if (table["best"] == TIE).any():
        handles.append(Patch(facecolor=TIE_COLOUR, label="tie (equal means)"))
    axis.legend(handles=handles, frameon=False, fontsize=7, loc="upper left",
                bbox_to_anchor=(1.01, 1.0))
    figure.tight_layout()
    atomic_write(path, lambda p: figure.savefig(p, dpi=110, format="png"))
    plt.close(figure)


def _short(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


@dataclass(frozen=True)
class Question:
    """A scenario-discovery question: does ``a`` beat ``b`` on ``output`` by ``margin``?"""

    a: str
    b: str
    output: str
    margin: float

    @property
    def label(self) -> str:
        return f"{self.a} beats {self.b} on {self.output} by at least {self.margin:g}"


def parse_question(text: str, structures: Sequence[str], outputs: Sequence[str]) -> Question:
    """Read ``"A:B:output:d"``; UserError naming the part that is wrong."""
    parts = text.split(":")
    if len(parts) != 4:
        raise UserError(f"--discover={text!r}: use A:B:OUTPUT:D, e.g. "
                        "podular:hierarchy:s0_area_lost:0.5")
    a, b, output, margin_text = parts
    for name in (a, b):
        if name not in structures:
            raise UserError(f"--discover={text!r}: structure {name!r} is not in the sweep "
                            f"(structures: {', '.join(structures)})")
    if a == b:
        raise UserError(f"--discover={text!r}: compare two different structures")
    if output not in outputs:
        raise UserError(f"--discover={text!r}: unknown output {output!r} (available: "
                        f"{', '.join(outputs)})")
    try:
        margin = float(margin_text)
    except ValueError:
        raise UserError(f"--discover={text!r}: margin {margin_text!r} is not a number") from None
    if margin < 0:
        raise UserError(f"--discover={text!r}: margin must be >= 0")
    return Question(a, b, output, margin)


def discover_table(runs: pd.DataFrame, conditions: Sequence[str], question: Question,
                   better: Better | None = None, per_pair: bool = False,
                   threshold: float = 0.8) -> tuple[pd.DataFrame, str]:
    """PRIM boxes for ``question`` over ``conditions``; a table and a note.

    Returns one row per box: ``box``, ``limits`` (text), ``coverage``, ``density``,
    ``mass``, ``points``, ``points_of_interest``, and one ``<condition>`` column per
    restricted condition holding its limit as text. The note says how many conditions meet
    the outcome, or why no box was searched (the outcome never or always holds).
    """
    from simulation.analysis.discovery import beats_by, discover

    better = better or better_direction(question.output)
    points, outcome = beats_by(runs, question.a, question.b, question.output,
                               question.margin, list(conditions), better=better,
                               per_pair=per_pair)
    total, hits = len(outcome), int(np.sum(outcome))
    note = f"{question.label}: {hits} of {total} {'pairs' if per_pair else 'conditions'}"
    columns = ["question", "box", "limits", "coverage", "density", "mass", "points",
               "points_of_interest", *conditions]
    if hits == 0 or hits == total:
        return pd.DataFrame(columns=columns), note + (
            " (never: no box)" if hits == 0 else " (everywhere: no box needed)")
    # PRIM's mass_min must leave at least one point in a box on small maps.
    mass_min = max(1.0 / total, 0.05) if total < 20 else 0.05
    boxes = discover(points, outcome, threshold=threshold, mass_min=mass_min)
    rows = []
    for number, box in enumerate(boxes):
        row = {"question": question.label, "box": number,
               "limits": box.describe().rsplit(" (coverage", 1)[0],
               "coverage": box.coverage, "density": box.density, "mass": box.mass,
               "points": box.n_points, "points_of_interest": box.n_interest}
        for name in conditions:
            limit = box.limits.get(name)
            if limit is None:
                row[name] = "any"
            elif isinstance(limit, frozenset):
                row[name] = "{" + ", ".join(sorted(map(str, limit))) + "}"
            else:
                row[name] = f"[{limit[0]:g}, {limit[1]:g}]"
        rows.append(row)
    if not rows:
        note += f" (no box reaches density {threshold:g})"
    return pd.DataFrame(rows, columns=columns), note
