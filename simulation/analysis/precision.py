"""Replicates chosen by precision in a grid sweep: which design points are not yet resolved.

A sweep with a ``[precision]`` table (:class:`simulation.sweep.spec.Precision`) runs a first
round of replicates at every point, then adds replicates only where the answer is still
open. The answer of a point is its **leader** on each listed output (the structure with the
best mean over the point's replicates) and how it stands against every other structure. The
leader is *told apart* from another structure when the paired difference (same seeds, common
random numbers; :func:`~simulation.analysis.statistics.paired_differences`) has an interval
that

- excludes 0 in the leader's favour: the other is **clearly behind**; or
- lies within plus or minus the output's margin: the two **tie within the margin**.

A point is resolved when its leader is told apart from every other structure on every listed
output. This is the sequential "replicate until the interval is narrow enough" rule of
simulation output analysis (Law 2015, ch. 9; Lee et al. 2015, JASSS 18(4):4, on choosing the
number of runs of an agent-based model), applied to the comparison the atlas reads. Looking
at the data between rounds makes the nominal 95% slightly optimistic; the margins and the
maximum bound how far that can go, and ``docs/sweeps.md`` says so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from simulation.analysis.statistics import paired_differences, standing
from simulation.analysis.winners import better_direction

__all__ = ["RESOLUTION_COLUMNS", "next_targets", "point_resolution", "standing"]

#: Columns of :func:`point_resolution`.
RESOLUTION_COLUMNS = ["point", "replicates", "resolved", "open"]


def point_resolution(runs: pd.DataFrame, margins: Mapping[str, float],
                     structures: Sequence[str], confidence: float = 0.95) -> pd.DataFrame:
    """Per design point: whether its leader is told apart on every output of ``margins``.

    Parameters
    ----------
    runs : DataFrame
        One row per run with ``point``, ``structure``, ``replicate`` and the outputs.
    margins : mapping of str to float
        Outputs to resolve, each with its tie margin (in the output's units).
    structures : sequence of str
        The structures compared at every point.
    confidence : float, default 0.95

    Returns
    -------
    DataFrame
        ``point``, ``replicates`` (fewest replicates of any structure at the point),
        ``resolved`` and ``open`` (the comparisons still open, e.g.
        ``"mean_market_share: open vs podular"``; empty when resolved).
    """
    rows = []
    for point, group in runs.groupby("point", sort=True):
        present = set(group["structure"])
        names = [name for name in structures if name in present]  # a market's firms
        group = group[group["structure"].isin(names)]
        open_ = []
        for output, margin in margins.items():
            better = better_direction(output)
            means = group.groupby("structure")[output].mean().reindex(names)
            if means.isna().any():
                open_.append(f"{output}: no value for {', '.join(means[means.isna()].index)}")
                continue
            sign = -1.0 if better == "higher" else 1.0
            leader = means.index[int(np.argmin(sign * means.to_numpy()))]
            table = paired_differences(group, output, reference=leader, better=better,
                                       confidence=confidence)
            for _, row in table[table["structure"] != leader].iterrows():
                if standing(row["low"], row["high"], margin, better) == "open":
                    open_.append(f"{output}: {leader} vs {row['structure']}")
        counts = group.groupby("structure")["replicate"].nunique().reindex(names)
        rows.append({"point": int(point), "replicates": int(counts.fillna(0).min()),
                     "resolved": not open_, "open": "; ".join(open_)})
    return pd.DataFrame(rows, columns=RESOLUTION_COLUMNS)


def next_targets(targets: Sequence[int], resolution: pd.DataFrame, step: int,
                 maximum: int) -> list[int]:
    """Replicates wanted per point after a round: ``step`` more (at most ``maximum``) at every
    point not resolved, unchanged elsewhere. A point missing from ``resolution`` (all its
    runs failed) is left as it is: more replicates would fail the same way."""
    unresolved = set(resolution.loc[~resolution["resolved"], "point"].astype(int))
    return [min(maximum, target + step) if point in unresolved else target
            for point, target in enumerate(targets)]
