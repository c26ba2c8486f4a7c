"""Scenario discovery: under which conditions does one structure beat another?

A thin wrapper around the PRIM implementation of the EMA Workbench (version 2.5.3). PRIM
looks for boxes (one interval per continuous condition, a subset per categorical one) in
which the outcome of interest is much more frequent than overall; each box is reported with
its coverage and density, the two measures of Bryant & Lempert (2010).

References
----------
Friedman, J. H. and Fisher, N. I. (1999). Bump hunting in high-dimensional data. Statistics
    and Computing 9(2), 123-143.
Bryant, B. P. and Lempert, R. J. (2010). Thinking inside the box: a participatory,
    computer-assisted approach to scenario discovery. Technological Forecasting and Social
    Change 77(1), 34-49.
Kwakkel, J. H. (2017). The Exploratory Modeling Workbench: an open source toolkit for
    exploratory modeling, scenario discovery, and (multi-objective) robust decision making.
    Environmental Modelling & Software 96, 239-250.
"""

from __future__ import annotations

import contextlib
import logging
import math
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from simulation.analysis.statistics import BETTER_VALUES, Better
from simulation.errors import ConfigError

# The EMA Workbench logs every peel at INFO under this name and warns about optional
# packages (ipyparallel, altair) on import; neither is news to our users.
_EMA_LOGGER = "EMA"


@contextlib.contextmanager
def _quiet_ema() -> Iterator[None]:
    """Silence the EMA Workbench's logging and warnings, restoring both afterwards."""
    logger = logging.getLogger(_EMA_LOGGER)
    level, propagate = logger.level, logger.propagate
    logger.setLevel(logging.ERROR)
    logger.propagate = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)
        logger.propagate = propagate


def _prim_module():
    with _quiet_ema():
        from ema_workbench.analysis import prim
    return prim


@dataclass(frozen=True)
class Box:
    """One PRIM box.

    Attributes
    ----------
    limits : dict
        Per restricted condition: ``(low, high)`` (inclusive) for a numeric condition, or the
        frozenset of allowed values for a categorical one. Conditions absent from ``limits``
        are unrestricted.
    coverage : float
        Share of all cases of interest (outcome True) that fall inside the box,
        :math:`\\sum_{i \\in B} y_i / \\sum_i y_i`.
    density : float
        Share of the points inside the box that are cases of interest,
        :math:`\\sum_{i \\in B} y_i / |B|`.
    mass : float
        Share of all points inside the box, :math:`|B| / N`.
    n_points, n_interest : int
        :math:`|B|` and :math:`\\sum_{i \\in B} y_i`.
    trajectory : DataFrame
        The peeling-and-pasting trajectory (coverage, density, mass, restricted dimensions per
        step) so an analyst can choose a less restricted box with more coverage.

    Notes
    -----
    Coverage and density refer to the data the box was found on: for the second and later
    boxes that is the data left after removing the earlier boxes' points (the covering
    approach of Friedman & Fisher 1999).
    """

    limits: dict[str, tuple[float, float] | frozenset]
    coverage: float
    density: float
    mass: float
    n_points: int
    n_interest: int
    trajectory: pd.DataFrame = field(repr=False)

    def describe(self, digits: int = 3) -> str:
        """One line, e.g. ``"0.2 <= x1 <= 0.6 and x2 >= 0.5 (coverage 0.91, density 0.95)"``."""
        parts = []
        for name, limit in self.limits.items():
            if isinstance(limit, frozenset):
                parts.append(f"{name} in {{{', '.join(sorted(map(str, limit)))}}}")
            else:
                low, high = limit
                if math.isinf(low):
                    parts.append(f"{name} <= {high:.{digits}g}")
                elif math.isinf(high):
                    parts.append(f"{name} >= {low:.{digits}g}")
                else:
                    parts.append(f"{low:.{digits}g} <= {name} <= {high:.{digits}g}")
        where = " and ".join(parts) if parts else "everywhere"
        return f"{where} (coverage {self.coverage:.2f}, density {self.density:.2f})"

    def contains(self, conditions: pd.DataFrame) -> np.ndarray:
        """Boolean mask of the rows of ``conditions`` inside this box."""
        inside = np.ones(len(conditions), dtype=bool)
        for name, limit in self.limits.items():
            column = conditions[name]
            if isinstance(limit, frozenset):
                inside &= column.isin(limit).to_numpy()
            else:
                inside &= ((column >= limit[0]) & (column <= limit[1])).to_numpy()
        return inside


def _box_limits(box_lim: pd.DataFrame, initial: pd.DataFrame,
                conditions: pd.DataFrame) -> dict[str, tuple[float, float] | frozenset]:
    """Restricted dimensions only; a limit at the data's edge is open (+/- inf)."""
    limits: dict[str, tuple[float, float] | frozenset] = {}
    for name in conditions.columns:
        low, high = box_lim[name].iloc[0], box_lim[name].iloc[1]
        low0, high0 = initial[name].iloc[0], initial[name].iloc[1]
        if isinstance(low, set):
            if set(low) != set(low0):
                limits[name] = frozenset(low)
            continue
        if low == low0 and high == high0:
            continue
        # A limit still at the edge of the sampled range says "no restriction on this side":
        # it is open, not a claim that the condition stops at the sampled extreme.
        limits[name] = (-math.inf if low == low0 else float(low),
                        math.inf if high == high0 else float(high))
    return limits


def discover(conditions: pd.DataFrame, outcome, threshold: float = 0.8,
             peel_alpha: float = 0.05, paste_alpha: float = 0.05, mass_min: float = 0.05,
             max_boxes: int = 3) -> list[Box]:
    """Find boxes of conditions in which ``outcome`` is mostly True (PRIM).

    Parameters
    ----------
    conditions : DataFrame
        One row per experiment (e.g. per sweep point or per replicate), one column per
        condition. Float and integer columns are treated as ordered; other columns (strings,
        booleans, categories) as categorical.
    outcome : array_like of bool
        Per row: whether the case is of interest (e.g. "podular beats hierarchy by at least
        d", see :func:`beats_by`). It must contain both True and False.
    threshold : float, default 0.8
        Minimum density a box must reach to be reported; PRIM stops at the first box below.
    peel_alpha : float, default 0.05
        Share of the remaining points removed by each peel (small: patient, slow).
    paste_alpha : float, default 0.05
        Share added back by each paste.
    mass_min : float, default 0.05
        Smallest share of all points a box may hold.
    max_boxes : int, default 3
        At most this many boxes are searched, one after another (covering).

    Returns
    -------
    list of Box
        Boxes in the order found; empty when even the first box does not reach the
        threshold. Each is the last box of its peeling-and-pasting trajectory (the EMA
        Workbench default: the densest box of at least ``mass_min``); its ``trajectory``
        shows the alternatives.

    Raises
    ------
    ConfigError
        If a parameter is out of range.
    ValueError
        If the lengths differ, the outcome is not boolean, or it is all True or all False.

    Notes
    -----
    Peeling (Friedman & Fisher 1999) repeatedly removes the slice of at most ``peel_alpha``
    of the points from one end of one condition that most raises the box mean; pasting then
    widens the box while the mean does not fall. Coverage and density trade off along the
    trajectory (Bryant & Lempert 2010).
    """
    y = np.asarray(outcome)
    if y.ndim != 1 or len(y) != len(conditions):
        raise ValueError(f"outcome: {y.size} values for {len(conditions)} rows of conditions; "
                         "give one per row")
    if y.dtype != bool:
        if not np.isin(y, (0, 1)).all():
            raise ValueError("outcome: values must be True/False (or 1/0)")
        y = y.astype(bool)
    if y.all() or not y.any():
        raise ValueError(f"outcome: all {'True' if y.any() else 'False'}; PRIM needs both "
                         "cases of interest and others")
    for name, value, low, high in (("threshold", threshold, 0.0, 1.0),
                                   ("peel_alpha", peel_alpha, 0.0, 0.5),
                                   ("paste_alpha", paste_alpha, 0.0, 0.5),
                                   ("mass_min", mass_min, 0.0, 1.0)):
        if not low < value <= high:
            raise ConfigError(f"{name}: {value!r} is not allowed; use a number in "
                              f"({low:g}, {high:g}]")
    if max_boxes < 1:
        raise ConfigError(f"max_boxes: {max_boxes!r} is not allowed; use 1 or more")
    x = conditions.reset_index(drop=True).copy()
    for name in x.columns:
        # The workbench peels float64 and int64 columns as ordered, anything non-numeric as
        # categorical; narrower numeric types (float32, int8, bool) would fall through.
        if pd.api.types.is_bool_dtype(x[name]):
            x[name] = x[name].astype(str)
        elif pd.api.types.is_float_dtype(x[name]):
            x[name] = x[name].astype(np.float64)
        elif pd.api.types.is_integer_dtype(x[name]):
            x[name] = x[name].astype(np.int64)
        elif not pd.api.types.is_numeric_dtype(x[name]):
            x[name] = x[name].astype(str)
    prim = _prim_module()
    boxes: list[Box] = []
    with _quiet_ema():
        finder = prim.Prim(x, y.astype(int), threshold=threshold, peel_alpha=peel_alpha,
                           paste_alpha=paste_alpha, mass_min=mass_min)
        initial = finder.box_init
        for _ in range(max_boxes):
            found = finder.find_box()
            if found is None:
                break
            limits = _box_limits(found.box_lim, initial, x)
            # Below the threshold the workbench returns a "dump box" holding all that is left:
            # not a finding, so the search ends there.
            if not limits or found.density < threshold:
                break
            trajectory = found.peeling_trajectory[
                ["coverage", "density", "mass", "res_dim", "n", "k"]].copy()
            boxes.append(Box(limits=limits, coverage=float(found.coverage),
                             density=float(found.density), mass=float(found.mass),
                             n_points=int(trajectory["n"].iloc[-1]),
                             n_interest=int(trajectory["k"].iloc[-1]),
                             trajectory=trajectory.reset_index(drop=True)))
    return boxes


def beats_by(table: pd.DataFrame, a: str, b: str, metric: str, margin: float,
             conditions: Sequence[str], better: Better = "lower", by: str = "structure",
             pair_on: str = "replicate", per_pair: bool = False
             ) -> tuple[pd.DataFrame, np.ndarray]:
    """The outcome "structure ``a`` beats ``b`` by at least ``margin``" per condition.

    Parameters
    ----------
    table : DataFrame
        One row per run with columns ``by``, ``pair_on``, ``metric`` and the ``conditions``.
    a, b : str
        The structures compared.
    metric : str
        Figure compared (e.g. ``"area_lost"``).
    margin : float
        The advantage ``d`` asked for, in the metric's units (>= 0).
    conditions : sequence of str
        Columns describing the conditions (e.g. turbulence, coupling, policy, size).
    better : {"lower", "higher"}, default "lower"
        Which direction of ``metric`` is better.
    by, pair_on : str
        Structure and pair-id columns.
    per_pair : bool, default False
        False: one row per condition, outcome from the mean paired advantage over its
        replicates. True: one row per condition and pair (PRIM then sees the replicate noise).

    Returns
    -------
    (conditions, outcome) : (DataFrame, ndarray of bool)
        The conditions (one row per point) and the outcome
        :math:`\\bar a \\ge d` with advantage :math:`a_i = x_{b,i} - x_{a,i}` when lower is
        better and :math:`x_{a,i} - x_{b,i}` when higher is better. Ready for
        :func:`discover`.
    """
    if better not in BETTER_VALUES:
        raise ConfigError(f"better: {better!r} is not allowed; allowed values: "
                          f"{', '.join(BETTER_VALUES)}")
    if margin < 0:
        raise ConfigError(f"margin: {margin!r} is not allowed; use a number >= 0")
    conditions = list(conditions)
    for column in [by, pair_on, metric, *conditions]:
        if column not in table.columns:
            raise ValueError(f"beats_by: column {column!r} is not in the table; "
                             f"columns are {list(table.columns)}")
    for name in (a, b):
        if not (table[by] == name).any():
            raise ConfigError(f"{by}: {name!r} is not in the table; allowed values: "
                              f"{', '.join(map(str, pd.unique(table[by])))}")
    keys = [*conditions, pair_on]
    wide = table[table[by].isin([a, b])].pivot_table(index=keys, columns=by, values=metric,
                                                     aggfunc="first")
    advantage = (wide[b] - wide[a]) if better == "lower" else (wide[a] - wide[b])
    advantage = advantage.dropna()
    if not per_pair:
        advantage = advantage.groupby(level=list(range(len(conditions)))).mean()
    points = advantage.index.to_frame(index=False)[conditions]
    return points.reset_index(drop=True), (advantage.to_numpy() >= margin)
