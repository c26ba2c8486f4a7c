"""Shared pieces of the classic models: seeding and the result of an experiment."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd


def replicate_generators(seed: int | None, replicates: int) -> list[np.random.Generator]:
    """One independent generator per replicate (children of ``SeedSequence(seed)``).

    Replicate ``r`` always gets the same stream whatever the replicate count, so results for
    the first replicates do not change when more are added.
    """
    if replicates < 1:
        raise ValueError(f"replicates={replicates}: must be at least 1")
    children = np.random.SeedSequence(seed).spawn(replicates)
    return [np.random.default_rng(child) for child in children]


def mean_and_sem(values: np.ndarray) -> tuple[float, float]:
    """Mean and standard error of the mean (0 for a single value)."""
    values = np.asarray(values, dtype=float)
    if values.size < 2:
        return float(values.mean()), 0.0
    return float(values.mean()), float(values.std(ddof=1) / np.sqrt(values.size))


@dataclass
class ExperimentResult:
    """What a classic experiment returns.

    Attributes
    ----------
    data : pandas.DataFrame
        The numbers behind the figure (written as CSV by ``firmsim replicate``).
    metrics : dict
        Named scalar values that the replication checks compare with published ones.
    plot : callable
        ``plot(ax)`` draws the figure on a matplotlib Axes.
    title : str
        Figure title.
    notes : list of str
        Anything a reader of the numbers must know (e.g. runs that did not reach equilibrium).
    """

    data: pd.DataFrame
    metrics: dict[str, float]
    plot: Callable
    title: str = ""
    notes: list[str] = field(default_factory=list)
