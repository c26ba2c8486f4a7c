"""Statistics of results tables: t-intervals, plot bands, paired differences, recovery, precision.

This is the one implementation that the command line, the reports and the app share. Every
interval is a two-sided Student-t interval over independent replicates (never 1.96 standard
errors: with 5 replicates the t quantile is 2.78). Structures are compared on common random
numbers: a replicate of every structure runs from the same seed, so the comparison is the
mean of the paired differences, whose variance is usually much smaller than that of either
structure alone.

Recovery times are right-censored (a run that has not recovered by the end of its window only
tells us that its recovery takes longer than the window), so they are summarised with the
Kaplan-Meier estimator, never with a mean.

References
----------
Kaplan, E. L. and Meier, P. (1958). Nonparametric estimation from incomplete observations.
    Journal of the American Statistical Association 53(282), 457-481.
Brookmeyer, R. and Crowley, J. (1982). A confidence interval for the median survival time.
    Biometrics 38(1), 29-41.
Law, A. M. (2015). Simulation Modeling and Analysis, 5th ed., McGraw-Hill: sections 9.4
    (sequential procedures for a relative or absolute precision) and 10.2 (paired-t
    confidence interval, common random numbers).
Davidson-Pilon, C. (2019). lifelines: survival analysis in Python. Journal of Open Source
    Software 4(40), 1317.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Literal

import numpy as np
import pandas as pd
from scipy.special import stdtrit  # t quantile; much lighter to import than scipy.stats

from simulation.errors import ConfigError

Better = Literal["lower", "higher"]
BETTER_VALUES = ("lower", "higher")


# --------------------------------------------------------------------------------------------
# t-intervals and plot bands
# --------------------------------------------------------------------------------------------

def _check_confidence(confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise ConfigError(f"confidence: {confidence!r} is not allowed; use a number in (0, 1)")


def t_half_width(sd: float | np.ndarray, n: int | np.ndarray,
                 confidence: float = 0.95) -> float | np.ndarray:
    """Half width of the two-sided Student-t interval for a mean.

    Parameters
    ----------
    sd : float or ndarray
        Sample standard deviation(s) (``ddof=1``).
    n : int or ndarray
        Number(s) of observations.
    confidence : float, default 0.95
        Coverage of the interval.

    Returns
    -------
    float or ndarray
        :math:`h = t_{1-\\alpha/2,\\,n-1}\\, s / \\sqrt{n}` with :math:`\\alpha = 1 -`
        ``confidence``; NaN where ``n < 2`` (one observation says nothing about spread).
    """
    _check_confidence(confidence)
    n_array = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        dof = np.where(n_array >= 2, n_array - 1, np.nan)
        quantile = stdtrit(dof, 0.5 + confidence / 2)
        half = quantile * np.asarray(sd, dtype=float) / np.sqrt(n_array)
    half = np.where(n_array >= 2, half, np.nan)
    return float(half) if half.ndim == 0 else half


def t_interval(values, confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean of ``values`` and its two-sided Student-t confidence interval.

    Parameters
    ----------
    values : array_like
        Independent observations (e.g. one figure per replicate). NaNs are dropped.
    confidence : float, default 0.95
        Coverage of the interval.

    Returns
    -------
    (mean, low, high) : tuple of float
        :math:`\\bar x \\mp t_{1-\\alpha/2,\\,n-1}\\, s/\\sqrt{n}` where :math:`s` is the sample
        standard deviation (``ddof=1``). With one value the bounds are NaN; with none, all
        three are NaN.

    Notes
    -----
    The t distribution is exact for normal observations and a good approximation for means of
    a few replicates otherwise; the normal quantile 1.96 would be about 30% too narrow at
    n = 5 (:math:`t_{0.975,4} = 2.776`).
    """
    _check_confidence(confidence)
    array = np.asarray(values, dtype=float).ravel()
    array = array[~np.isnan(array)]
    if array.size == 0:
        return math.nan, math.nan, math.nan
    mean = float(array.mean())
    if array.size < 2:
        return mean, math.nan, math.nan
    half = t_half_width(float(array.std(ddof=1)), array.size, confidence)
    return mean, mean - half, mean + half


def band(frame: pd.DataFrame, value: str, by: str | Sequence[str] = "structure",
         over: str = "step", confidence: float = 0.95) -> pd.DataFrame:
    """Mean and t-based band of ``value`` per ``by`` group and per ``over`` value (for plots).

    Parameters
    ----------
    frame : DataFrame
        Long table with one row per replicate, group and ``over`` value (e.g. a time series
        table with columns ``structure``, ``replicate``, ``step`` and the metric).
    value : str
        Column to summarise.
    by : str or sequence of str, default "structure"
        Columns that name a line of the plot.
    over : str, default "step"
        Column along the horizontal axis.
    confidence : float, default 0.95
        Coverage of the pointwise interval.

    Returns
    -------
    DataFrame
        Columns ``*by, over, n, mean, half_width, low, high``; one row per group and ``over``
        value, sorted. ``half_width`` is the pointwise t half width (see
        :func:`t_half_width`) over the non-NaN replicates at that point, NaN where fewer than
        two replicates exist: a plot should then draw no band rather than a band of zero
        width.
    """
    groups = [by] if isinstance(by, str) else list(by)
    for column in [*groups, over, value]:
        if column not in frame.columns:
            raise ValueError(f"band: column {column!r} is not in the table; "
                             f"columns are {list(frame.columns)}")
    grouped = frame.groupby([*groups, over], sort=True)[value]
    table = grouped.agg(n="count", mean="mean", sd="std")  # pandas std: ddof=1
    table = table.reset_index()
    table["half_width"] = t_half_width(table["sd"].to_numpy(), table["n"].to_numpy(),
                                       confidence)
    table["low"] = table["mean"] - table["half_width"]
    table["high"] = table["mean"] + table["half_width"]
    return table[[*groups, over, "n", "mean", "half_width", "low", "high"]]


# --------------------------------------------------------------------------------------------
# Paired differences on common random numbers
# --------------------------------------------------------------------------------------------

PAIRED_COLUMNS = ["structure", "reference", "metric", "pairs", "mean_difference", "low",
                  "high", "half_width", "better", "worse", "ties"]


def _check_better(better: str) -> None:
    if better not in BETTER_VALUES:
        raise ConfigError(f"better: {better!r} is not allowed; allowed values: "
                          f"{', '.join(BETTER_VALUES)}")


def standing(low: float, high: float, margin: float, better: Better) -> str:
    """How another structure stands against the leader, from the interval ``[low, high]`` of
    its paired difference (other - leader): ``"behind"``, ``"tie"`` (within ``margin``) or
    ``"open"`` (neither yet, or no interval)."""
    if not (np.isfinite(low) and np.isfinite(high)):
        return "open"
    if (high < 0) if better == "higher" else (low > 0):
        return "behind"
    if -margin <= low and high <= margin:
        return "tie"
    return "open"


def paired_differences(table: pd.DataFrame, metric: str, reference: str | None = None,
                       by: str = "structure", pair_on: str = "replicate",
                       groups: Sequence[str] = (), better: Better = "lower",
                       confidence: float = 0.95) -> pd.DataFrame:
    """Per structure: mean paired difference of ``metric`` against a reference structure.

    Parameters
    ----------
    table : DataFrame
        One row per run, with columns ``by``, ``pair_on``, ``metric`` and any ``groups``.
    metric : str
        The figure compared (e.g. ``"area_lost"``).
    reference : str, optional
        The structure the others are compared against; by default the first value of ``by``
        in table order.
    by : str, default "structure"
        Column naming what is compared.
    pair_on : str, default "replicate"
        Column identifying a pair: runs of two structures with the same value share their
        random numbers (the tables of ``firmsim`` hold one seed per ``replicate``; pass
        ``"seed"`` for a table that carries seeds instead).
    groups : sequence of str, default ()
        Columns that split the comparison (e.g. ``("shock", "kind")`` or the conditions of a
        sweep); each group gets its own rows.
    better : {"lower", "higher"}, default "lower"
        Which direction of ``metric`` is better (area lost: lower; market share: higher).
    confidence : float, default 0.95
        Coverage of the intervals.

    Returns
    -------
    DataFrame
        Columns ``*groups`` then ``structure, reference, metric, pairs, mean_difference, low,
        high, half_width, better, worse, ties``. The difference is
        :math:`d_i = x_{s,i} - x_{\\mathrm{ref},i}` over pairs :math:`i` where both values
        exist; ``low`` and ``high`` are its t-interval (:func:`t_interval`). ``better`` counts
        pairs where the structure did better than the reference, ``worse`` where it did worse
        and ``ties`` where :math:`d_i = 0`: "podular lost less market share than the
        hierarchy in 8 of 10 runs". The reference's own row (all differences 0) is included
        so tables list every structure.

    Raises
    ------
    ConfigError
        If ``better`` or ``confidence`` is not allowed or the reference is not in the table.
    ValueError
        If a column is missing or a structure has two runs with the same pair id within a
        group (a defect of the table, not of the settings).
    """
    _check_better(better)
    _check_confidence(confidence)
    groups = list(groups)
    for column in [by, pair_on, metric, *groups]:
        if column not in table.columns:
            raise ValueError(f"paired_differences: column {column!r} is not in the table; "
                             f"columns are {list(table.columns)}")
    names = list(pd.unique(table[by]))
    if reference is None:
        if not names:
            return pd.DataFrame(columns=[*groups, *PAIRED_COLUMNS])
        reference = names[0]
    if reference not in names:
        raise ConfigError(f"reference: {reference!r} is not in column {by!r}; "
                          f"allowed values: {', '.join(map(str, names))}")
    duplicated = table.duplicated([*groups, by, pair_on])
    if duplicated.any():
        first = table[duplicated].iloc[0]
        raise ValueError(f"{pair_on}: {first[pair_on]!r} appears twice for {by} "
                         f"{first[by]!r}; each pair id must be unique per {by} and group")
    rows = []
    grouped = table.groupby(groups, sort=True) if groups else [((), table)]
    for key, group in grouped:
        key = key if isinstance(key, tuple) else (key,)
        wide = group.pivot(index=pair_on, columns=by, values=metric)
        if reference not in wide.columns:
            continue
        for name in names:
            if name not in wide.columns:
                continue
            differences = (wide[name] - wide[reference]).dropna().to_numpy(dtype=float)
            mean, low, high = t_interval(differences, confidence)
            sign = -1.0 if better == "lower" else 1.0
            rows.append({
                **dict(zip(groups, key, strict=True)),
                "structure": name, "reference": reference, "metric": metric,
                "pairs": int(differences.size), "mean_difference": mean, "low": low,
                "high": high, "half_width": (high - low) / 2,
                "better": int((sign * differences > 0).sum()),
                "worse": int((sign * differences < 0).sum()),
                "ties": int((differences == 0).sum()),
            })
    return pd.DataFrame(rows, columns=[*groups, *PAIRED_COLUMNS])


# --------------------------------------------------------------------------------------------
# Recovery with censoring (Kaplan-Meier)
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RecoverySummary:
    """Kaplan-Meier summary of recovery times, some of them censored.

    Attributes
    ----------
    n : int
        Runs.
    n_censored : int
        Runs that had not recovered by the end of their window.
    median : float
        Kaplan-Meier median recovery time; ``inf`` when fewer than half the runs are
        estimated to recover within the observed times ("not reached").
    median_low, median_high : float
        Confidence interval of the median (Brookmeyer-Crowley style, from the pointwise
        exponential-Greenwood band of lifelines); ``inf`` when a bound is not reached.
    recovered_by : dict of float to float
        For each horizon :math:`h`, the estimated share recovered by :math:`h` (inclusive),
        :math:`1 - \\hat S(h)`; NaN when :math:`h` is beyond the longest observed time and
        some run was still unrecovered then (the curve is not identified there).
    confidence : float
        Coverage of the median's interval.
    """

    n: int
    n_censored: int
    median: float
    median_low: float
    median_high: float
    recovered_by: dict[float, float] = field(default_factory=dict)
    confidence: float = 0.95

    @property
    def median_reached(self) -> bool:
        """True when the Kaplan-Meier curve falls to one half within the observed times."""
        return math.isfinite(self.median)

    def median_text(self, digits: int = 0) -> str:
        """The median and its interval as text, e.g. ``"42 [30, not reached]"``."""
        def show(value: float) -> str:
            if math.isnan(value):
                return "n/a"
            return f"{value:.{digits}f}" if math.isfinite(value) else "not reached"
        if not self.median_reached:
            return "not reached"
        return f"{show(self.median)} [{show(self.median_low)}, {show(self.median_high)}]"


def recovery_summary(times, recovered, horizons: Sequence[float] = (),
                     confidence: float = 0.95) -> RecoverySummary:
    """Summarise right-censored recovery times with the Kaplan-Meier estimator.

    Parameters
    ----------
    times : array_like of float
        Per run: the recovery time if it recovered, else the time it was last observed
        unrecovered (the censoring time, e.g. the end of its window after the shock).
    recovered : array_like of bool
        Per run: True if recovery was observed (an event), False if censored.
    horizons : sequence of float, default ()
        Times at which to report the share recovered.
    confidence : float, default 0.95
        Coverage of the median's interval.

    Returns
    -------
    RecoverySummary

    Notes
    -----
    With distinct event times :math:`t_1 < t_2 < \\dots`, :math:`d_j` recoveries at
    :math:`t_j` and :math:`n_j` runs still unrecovered and observed just before :math:`t_j`
    (runs censored at :math:`t_j` count as at risk at :math:`t_j`), the share not yet
    recovered is (Kaplan & Meier 1958)

    .. math:: \\hat S(t) = \\prod_{t_j \\le t} \\left(1 - \\frac{d_j}{n_j}\\right).

    The median is the smallest :math:`t` with :math:`\\hat S(t) \\le 1/2` (lifelines'
    definition: when :math:`\\hat S` equals exactly 1/2 on an interval, the left end is
    reported, not the midpoint). A mean of censored times would only be a lower bound; the
    median and the shares recovered by fixed horizons are what censoring allows to estimate.
    """
    _check_confidence(confidence)
    times = np.asarray(times, dtype=float).ravel()
    events = np.asarray(recovered).ravel()
    if times.shape != events.shape:
        raise ValueError(f"recovered: {events.size} values for {times.size} times; "
                         "give one per run")
    if events.dtype != bool:
        if not np.isin(events, (0, 1)).all():
            raise ValueError("recovered: values must be True/False (or 1/0)")
        events = events.astype(bool)
    if np.isnan(times).any() or (times < 0).any():
        raise ValueError("times: every run needs a recovery or censoring time >= 0 "
                         "(a censored run's time is when it was last observed)")
    summary = _kaplan_meier(tuple(times.tolist()), tuple(events.tolist()),
                            tuple(float(h) for h in horizons), float(confidence))
    return replace(summary, recovered_by=dict(summary.recovered_by))  # callers own their copy


@lru_cache(maxsize=4096)
def _kaplan_meier(times: tuple, events: tuple, horizons: tuple,
                  confidence: float) -> RecoverySummary:
    """:func:`recovery_summary` on checked inputs, remembered: the app re-tabulates the same
    groups on every refresh while runs compute, and one lifelines fit costs about 15 ms."""
    from lifelines import KaplanMeierFitter
    from lifelines.utils import median_survival_times

    n = len(times)
    if n == 0:
        return RecoverySummary(0, 0, math.nan, math.nan, math.nan,
                               {h: math.nan for h in horizons}, confidence)
    times, events = np.array(times, dtype=float), np.array(events, dtype=bool)
    fitter = KaplanMeierFitter(alpha=1 - confidence)
    fitter.fit(times, event_observed=events)
    median = float(fitter.median_survival_time_)
    bounds = median_survival_times(fitter.confidence_interval_)
    median_low, median_high = (float(v) for v in bounds.iloc[0])
    last_time = float(times.max())
    still_waiting = float(fitter.survival_function_at_times(last_time).iloc[0]) > 0
    shares = {}
    for horizon in horizons:
        if horizon > last_time and still_waiting:
            # Past the last observation with runs still unrecovered the estimate is undefined
            # (lifelines would carry the last value forward, assuming nobody else recovers).
            shares[horizon] = math.nan
        else:
            shares[horizon] = float(1.0 - fitter.survival_function_at_times(horizon).iloc[0])
    return RecoverySummary(n, int((~events).sum()), median, median_low, median_high, shares,
                           confidence)


def recovery_table(table: pd.DataFrame, by: str | Sequence[str] = "structure",
                   time: str = "recovery_time", recovered: str = "recovered",
                   horizons: Sequence[float] = (), confidence: float = 0.95) -> pd.DataFrame:
    """:func:`recovery_summary` for each group of a resilience table.

    Parameters
    ----------
    table : DataFrame
        One row per run with the time column (recovery or censoring time) and the boolean
        ``recovered`` column.
    by : str or sequence of str, default "structure"
        Grouping columns (e.g. ``("shock", "kind", "structure")``).
    time, recovered : str
        Column names.
    horizons : sequence of float
        Horizons for the shares recovered; columns ``recovered_by_<h>``.
    confidence : float, default 0.95

    Returns
    -------
    DataFrame
        Columns ``*by, runs, censored, median, median_low, median_high, recovered_by_<h>...``;
        ``inf`` in the median columns means "not reached".
    """
    groups = [by] if isinstance(by, str) else list(by)
    for column in [*groups, time, recovered]:
        if column not in table.columns:
            raise ValueError(f"recovery_table: column {column!r} is not in the table; "
                             f"columns are {list(table.columns)}")
    horizon_columns = [f"recovered_by_{h:g}" for h in horizons]
    rows = []
    for key, group in table.groupby(groups, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        summary = recovery_summary(group[time], group[recovered], horizons, confidence)
        row = dict(zip(groups, key, strict=True))
        row.update(runs=summary.n, censored=summary.n_censored, median=summary.median,
                   median_low=summary.median_low, median_high=summary.median_high)
        row.update(zip(horizon_columns, summary.recovered_by.values(), strict=True))
        rows.append(row)
    return pd.DataFrame(rows, columns=[*groups, "runs", "censored", "median", "median_low",
                                       "median_high", *horizon_columns])


# --------------------------------------------------------------------------------------------
# Replicates chosen by precision
# --------------------------------------------------------------------------------------------

def precision_reached(differences, target_half_width: float,
                      confidence: float = 0.95) -> bool:
    """Whether the t-interval of the mean of ``differences`` is narrower than the target.

    Parameters
    ----------
    differences : array_like
        Paired differences (NaNs dropped).
    target_half_width : float
        The precision asked for, as a HALF width: ``0.02`` means "mean +/- 0.02", i.e. an
        interval narrower than 0.04 in full. (``firmsim run --precision 0.02`` reads the same
        way.)
    confidence : float, default 0.95

    Returns
    -------
    bool
        :math:`t_{1-\\alpha/2,\\,n-1}\\, s/\\sqrt{n} <` ``target_half_width``; False with fewer
        than two values (no estimate of spread).
    """
    if not target_half_width > 0:
        raise ConfigError(f"target_half_width: {target_half_width!r} is not allowed; "
                          "use a number > 0")
    mean, low, high = t_interval(differences, confidence)
    if math.isnan(low):
        return False
    return (high - low) / 2 < target_half_width


StopReason = Literal["precision", "maximum"]


@dataclass(frozen=True)
class PrecisionRun:
    """Outcome of :func:`replicate_until_precise`.

    Attributes
    ----------
    table : DataFrame
        All runs, every batch concatenated in order.
    replicates : int
        Paired replicates run (per structure).
    reason : {"precision", "maximum"}
        ``"precision"`` when every paired difference reached the target half width,
        ``"maximum"`` when ``max_replicates`` was reached first.
    differences : DataFrame
        :func:`paired_differences` of the final table.
    target_half_width : float
        The target, for the summary sentence.
    """

    table: pd.DataFrame
    replicates: int
    reason: StopReason
    differences: pd.DataFrame
    target_half_width: float

    def sentence(self) -> str:
        """One line for a summary, e.g. "precision +/- 0.02 reached after 26 replicates"."""
        if self.reason == "precision":
            return (f"precision +/- {self.target_half_width:g} reached after "
                    f"{self.replicates} paired replicates")
        widest = self.differences["half_width"].max()
        return (f"maximum of {self.replicates} paired replicates reached before precision "
                f"+/- {self.target_half_width:g} (widest half width {widest:.3g})")


def _all_precise(differences: pd.DataFrame, reference: str, target_half_width: float) -> bool:
    others = differences[differences["structure"] != reference]
    if others.empty:
        return False
    half = others["half_width"].to_numpy(dtype=float)
    return bool(np.all(~np.isnan(half) & (half < target_half_width)))


def replicate_until_precise(run_pair_batch: Callable[[int], pd.DataFrame],
                            target_half_width: float, metric: str,
                            reference: str | None = None, min_replicates: int = 5,
                            max_replicates: int = 100, step: int = 5,
                            by: str = "structure", pair_on: str = "replicate",
                            groups: Sequence[str] = (), confidence: float = 0.95
                            ) -> PrecisionRun:
    """Add paired replicates until every paired difference is precise enough, or a maximum.

    Parameters
    ----------
    run_pair_batch : callable
        ``run_pair_batch(count)`` runs ``count`` NEW paired replicates of every structure and
        returns their runs as a table (columns ``by``, ``pair_on``, ``metric``, ``groups``).
        Each call must use fresh pair ids (e.g. continue the replicate numbering and the seed
        sequence); a repeated id is an error rather than a silent re-use of random numbers.
    target_half_width : float
        Target HALF width of the interval of each paired difference (see
        :func:`precision_reached`).
    metric : str
        The figure whose paired differences must be precise.
    reference : str, optional
        Reference structure (default: the first in the first batch).
    min_replicates : int, default 5
        Replicates of the first batch (at least 2).
    max_replicates : int, default 100
        Stop here even if the target is not reached.
    step : int, default 5
        Replicates added per further batch (the last batch is cut to ``max_replicates``).
    by, pair_on, groups, confidence
        As in :func:`paired_differences`.

    Returns
    -------
    PrecisionRun
        The runs, the number of replicates, which limit was hit and the final differences.

    Raises
    ------
    ConfigError
        A target, count or step out of range.
    ValueError
        A batch that is empty or repeats pair ids.

    Notes
    -----
    The stopping rule (Law 2015, section 9.4.1) is checked after each batch:
    stop when for every structure :math:`s \\ne` reference (and every group)
    :math:`t_{1-\\alpha/2,\\,n-1}\\, s_d/\\sqrt{n} <` ``target_half_width``. With a metric
    whose paired differences have standard deviation :math:`\\sigma_d` this needs about
    :math:`n \\approx (z_{1-\\alpha/2}\\,\\sigma_d / h)^2` replicates. Stopping on an
    estimated variance slightly lowers the actual coverage below the nominal one when
    ``min_replicates`` is small; a first batch of 5 to 10 replicates keeps the effect small.
    """
    if not target_half_width > 0:
        raise ConfigError(f"target_half_width: {target_half_width!r} is not allowed; "
                          "use a number > 0")
    if min_replicates < 2:
        raise ConfigError(f"min_replicates: {min_replicates!r} is not allowed; use 2 or more")
    if max_replicates < min_replicates:
        raise ConfigError(f"max_replicates: {max_replicates!r} is not allowed; use at least "
                          f"min_replicates ({min_replicates})")
    if step < 1:
        raise ConfigError(f"step: {step!r} is not allowed; use 1 or more")
    batches: list[pd.DataFrame] = []
    replicates = 0
    count = min_replicates
    while True:
        batch = run_pair_batch(count)
        if batch.empty:
            raise ValueError(f"run_pair_batch({count}) returned no runs")
        if batches:
            earlier = pd.concat(batches, ignore_index=True)[pair_on].unique()
            repeated = set(batch[pair_on].unique()) & set(earlier)
            if repeated:
                raise ValueError(f"{pair_on}: run_pair_batch returned ids already run "
                                 f"({sorted(repeated)[:3]}...); each batch needs fresh pairs")
        batches.append(batch)
        replicates += count
        table = pd.concat(batches, ignore_index=True)
        if reference is None:
            reference = table[by].iloc[0]
        differences = paired_differences(table, metric, reference, by=by, pair_on=pair_on,
                                         groups=groups, confidence=confidence)
        if _all_precise(differences, reference, target_half_width):
            reason: StopReason = "precision"
            break
        if replicates >= max_replicates:
            reason = "maximum"
            break
        count = min(step, max_replicates - replicates)
    return PrecisionRun(table, replicates, reason, differences, target_half_width)


def mean_interval(values, confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean and two-sided Student-t interval of ``values`` (NaNs dropped).

    The one implementation is :func:`simulation.analysis.statistics.t_interval`; this name stays for
    callers that import it from here.
    """
    return t_interval(values, confidence)
