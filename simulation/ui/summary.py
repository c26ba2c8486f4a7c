"""What the app says about replicated runs: tables, sentences and verdicts computed from the
numbers with :mod:`simulation.analysis.statistics` (the same intervals as the command line).

Nothing here imports Solara: every sentence the page shows can be tested on a table.
"""

from __future__ import annotations

import math
import os
import threading
import time
from dataclasses import dataclass
from functools import lru_cache

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
#: Seconds one run takes per customer-step and per employee-step on one core of an idle
#: machine, and to build one model of 20,000 customers: the estimate's starting point, before
#: the app has timed a run of its own (:class:`SpeedCalibration`).
SECONDS_PER_CUSTOMER_STEP = 1.5e-7
SECONDS_PER_EMPLOYEE_STEP = 4e-7
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


def interval_text(mean: float, low: float, high: float, digits: int = 3,
                  floor: float | None = None) -> str:
    """``0.031 [0.012, 0.050]``, or the mean alone when there is no interval (one run).

    ``floor``: the least value the quantity can take (0 for an area lost or a recovery
    time). A t-interval is symmetric around the mean and can reach below it with few runs;
    the low end is then shown as the floor, marked: ``3.780 [0 (clipped), 11.992]``.
    """
    if math.isnan(low) or math.isnan(high):
        return fmt(mean, digits)
    if floor is not None and low < floor:
        return f"{fmt(mean, digits)} [{floor:g} (clipped), {fmt(high, digits)}]"
    return f"{fmt(mean, digits)} [{fmt(low, digits)}, {fmt(high, digits)}]"


def budget_problem(config, structures: int, replicates: int) -> str | None:
    """Why the machine cannot hold a comparison of ``config``, or None.

    The same check as ``firmsim run`` (:func:`simulation.execution.budget.check_run_budget`,
    one function for every way in), with the app's concurrency: the app keeps every run of a
    comparison in memory at once (each worker process steps all its models in lockstep), so
    all ``structures x replicates`` runs count as concurrent.
    """
    from simulation.errors import UserError
    from simulation.execution.budget import check_run_budget

    runs = structures * replicates
    try:
        check_run_budget(config, runs, workers=runs)
    except UserError as error:
        text = str(error).removesuffix(" or --workers")
        if runs > 1:
            text += (f" (the app holds all {structures} structures x {replicates} replicates "
                     "in memory at once: fewer of them also help)")
        return text
    return None


def work_seconds(config, structures: int, replicates: int, cores: int | None = None) -> float:
    """Uncalibrated wall time of a comparison of ``config``: model work (building, then
    customers and employees per step, then the landscape redraws of a restless market, see
    :func:`redraw_seconds`) spread over ``cores`` worker processes (default: the machine's
    cores), each taking whole runs."""
    runs = structures * replicates
    cores = max(1, min(cores or os.cpu_count() or 1, runs))
    customers, employees, steps = config.customers.count, config.firm.employees, config.steps
    per_run = (steps * (customers * SECONDS_PER_CUSTOMER_STEP
                        + employees * SECONDS_PER_EMPLOYEE_STEP)
               + SECONDS_PER_MODEL * customers / 20_000
               + _redraw_work(config))
    return math.ceil(runs / cores) * per_run


def _redraw_work(config) -> float:
    redraws = expected_redraws(config)
    return redraws * redraw_seconds(config.market) if redraws else 0.0  # calm: no search


def expected_redraws(config) -> float:
    """Expected segment landscapes re-optimised in one run by turbulence: at each step of a
    turbulence window (the market's own ``turbulence`` from step 0, and every ``turbulence``
    shock) a live segment's optimum is searched again if any of its ``attributes`` tables
    moved (each with probability ``rate``: :meth:`simulation.core.market.Market.turbulence_step`).
    A calm market redraws nothing."""
    windows = []
    if config.market.turbulence > 0:
        windows.append((0, config.steps, config.market.turbulence))
    for shock in config.shocks:
        if shock.kind == "turbulence":
            end = config.steps if shock.duration == 0 else min(config.steps,
                                                               shock.step + shock.duration)
            windows.append((shock.step, end, shock.strength))
    arrivals = sorted(s.step for s in config.shocks if s.kind == "new_segment")
    total = 0.0
    for start, end, rate in windows:
        moved = 1.0 - (1.0 - min(rate, 1.0)) ** config.market.attributes
        for first, last in _live_segment_spans(start, end, arrivals):
            total += moved * (last - first) * (config.market.segments
                                               + sum(a <= first for a in arrivals))
    return total


def _live_segment_spans(start: int, end: int, arrivals: list[int]) -> list[tuple[int, int]]:
    """``[start, end)`` cut where a new segment arrives (the live segments change there)."""
    cuts = [start, *(a for a in arrivals if start < a < end), end]
    return [(a, b) for a, b in zip(cuts, cuts[1:], strict=False) if b > a]


@lru_cache(maxsize=32)
def _redraw_seconds(market_json: str) -> float:
    from simulation.config.schema import Market as MarketSection
    from simulation.core.market import Market

    market_config = MarketSection.model_validate_json(market_json)
    rng = np.random.default_rng(0)
    elapsed = 0.0
    for _ in range(REDRAW_SAMPLE):
        # A landscape of its own each time: the search's cost varies several-fold from one
        # drawn interaction structure to another (0.3 to 1.8 ms at the presets' market).
        market = Market(market_config, 1, rng)
        started = time.thread_time()  # CPU time: other work on the machine is not counted
        market.turbulence_step([0], 1.0, rng)
        elapsed += time.thread_time() - started
    return elapsed / REDRAW_SAMPLE


#: Landscapes the redraw measurement draws and searches (about 0.05 s at the presets'
#: market).
REDRAW_SAMPLE = 32


def redraw_seconds(market_config) -> float:
    """CPU seconds one redraw and search of a segment's global optimum takes here for
    ``market_config``'s landscapes (attributes, K, modules: the cost of the search, by
    variable elimination or, on a tie, branch and bound, depends on them), measured once per
    market shape (the mean over
    :data:`REDRAW_SAMPLE` drawn landscapes) and kept; like the other terms of
    :func:`work_seconds` it is then scaled by the measured speed (:data:`SPEED`). The one
    piece of a run's work that does not grow with customers or employees: in a restless
    market it is most of the difference between presets of one size (restless: about 700
    searches a run; about 14 ms of them at coupling 0.7 on the 2-core reference machine)."""
    return _redraw_seconds(market_config.model_dump_json())


#: The speed probe: a short run of three structures at the presets' size, timed in each app
#: worker when it starts and again after :data:`PROBE_IDLE_SECONDS` without work (about
#: 1 s of one core; 60 steps, so that stepping weighs at least as much as building), so
#: the first estimate of a server is already this machine's speed under its load of the
#: moment, not an idle machine's constant.
PROBE_SIZE = {"customers": 20_000, "steps": 60}
PROBE_STRUCTURES = ("hierarchy", "network", "podular")
PROBE_IDLE_SECONDS = 120.0


def probe_config():
    from simulation.config.schema import config_from_flat

    return config_from_flat(**PROBE_SIZE)


def speed_probe() -> tuple[float, float]:
    """Run the probe here; returns (its :func:`work_seconds`, the seconds it took)."""
    import time

    from simulation.config.seeds import run_seed
    from simulation.execution.runs import run_model

    config = probe_config()
    started = time.perf_counter()
    for structure in PROBE_STRUCTURES:
        run_model(config, structure, run_seed(0, 0))
    measured = time.perf_counter() - started
    return work_seconds(config, len(PROBE_STRUCTURES), 1, cores=1), measured


class SpeedCalibration:
    """This machine's measured speed: the ratio of measured to uncalibrated time
    (:func:`work_seconds`), shared by every page of the server.

    Two kinds of measurement: the workers' speed probes (:func:`speed_probe`, at start and
    when idle: the machine's speed under its load of the moment) and the comparisons the app
    ran at full speed from start to end. A probe is short and cannot see everything a
    comparison costs, so each timed comparison is kept as its ratio to the probes of its
    time (the probe-to-comparison factor). The ratio is the median of the last :attr:`KEEP`
    probes times the median of the last :attr:`KEEP` factors: a fresh server's first
    estimate is the probe's (factor 1), later ones carry what comparisons cost beyond the
    probe, and a probe after a change of load moves every later estimate with it. Before any
    measurement the ratio is 1.
    """

    KEEP = 5

    def __init__(self):
        self._probes: list[float] = []
        self._factors: list[float] = []
        self._lock = threading.Lock()

    def observe_probe(self, predicted_work: float, measured_seconds: float) -> None:
        """Record a speed probe (no start-up time: it runs inside a warm worker)."""
        if predicted_work <= 0 or measured_seconds <= 0:
            return
        with self._lock:
            self._probes = [*self._probes, measured_seconds / predicted_work][-self.KEEP:]

    @property
    def measurements(self) -> int:
        with self._lock:
            return len(self._probes) + len(self._factors)

    def observe(self, predicted_work: float, measured_seconds: float) -> None:
        """Record a comparison that took ``measured_seconds`` for ``predicted_work`` s of
        uncalibrated work (the fixed start-up time :data:`START_SECONDS` subtracted)."""
        if predicted_work <= 0 or measured_seconds <= 0:
            return
        with self._lock:
            ratio = max(measured_seconds - START_SECONDS, 0.1 * measured_seconds)
            factor = ratio / predicted_work / self._probe_ratio()
            self._factors = [*self._factors, factor][-self.KEEP:]

    def _probe_ratio(self) -> float:
        return float(np.median(self._probes)) if self._probes else 1.0

    @property
    def probe_ratio(self) -> float:
        """Median ratio of the last probes (1 before any)."""
        with self._lock:
            return self._probe_ratio()

    @property
    def factor(self) -> float:
        """Median probe-to-comparison factor of the last timed comparisons (1 before any)."""
        with self._lock:
            return float(np.median(self._factors)) if self._factors else 1.0

    @property
    def ratio(self) -> float:
        return self.probe_ratio * self.factor


#: Seconds a comparison takes besides its model work (starting the workers, the last
#: refresh); part of every estimate.
START_SECONDS = 2.0
SPEED = SpeedCalibration()


def estimate_seconds(config, structures: int, replicates: int,
                     cores: int | None = None) -> float:
    """Wall time of a comparison of ``config``: :func:`work_seconds` times this machine's
    measured speed ratio (:data:`SPEED`), plus :data:`START_SECONDS`.
    experiments/benchmarks/bench_ui_estimate.py measures it against every preset."""
    return work_seconds(config, structures, replicates, cores) * SPEED.ratio + START_SECONDS


#: Column of the resilience rows that holds a structure's level after a shock: the mean of
#: the metric over the last 20 steps of the shock's window (``plateau`` of
#: :func:`simulation.core.metrics.shock_resilience`); ``baseline`` is the mean over the 20
#: steps before it.
LEVEL_AFTER = "plateau"


def _clear(row) -> str:
    """``higher``, ``lower`` or ``""`` (no clear difference) from a paired-differences row."""
    if int(row.pairs) < 2 or math.isnan(row.low):
        return ""
    return "higher" if row.low > 0 else "lower" if row.high < 0 else ""


def _difference_text(row) -> str:
    return interval_text(row.mean_difference, row.low, row.high)


def resilience_summary(table: pd.DataFrame, reference: str, metric: str,
                       steps: int) -> pd.DataFrame:
    """Per shock and structure: the level before and after the shock, depth, area lost and
    recovery with intervals, and the paired differences against ``reference`` in the level
    after and in the area lost; headers in words with units.

    Levels come first: losses are measured from each structure's own level, so a firm that
    holds less of the market can lose less of it and still end lower.

    ``table`` has one row per structure, replicate and shock (the runner's resilience rows).
    """
    if table is None or table.empty:
        return pd.DataFrame()
    unit = UNITS.get(metric, label(metric))
    # Without the reference's rows (it has not passed a shock yet: structures run at their
    # own pace) there is nothing to pair with.
    has_reference = reference in set(table["structure"])
    differences, levels = {}, {}
    if has_reference:
        for column, found in (("area_lost", differences), (LEVEL_AFTER, levels)):
            paired_rows = paired_differences(table, column, reference=reference,
                                             groups=("shock",),
                                             better="lower" if column == "area_lost"
                                             else "higher")
            found.update({(row.shock, row.structure): row
                          for row in paired_rows.itertuples(index=False)})
    rows = []
    for (shock, structure), group in table.groupby(["shock", "structure"], sort=False):
        kind, step = group["kind"].iloc[0], int(group["step"].iloc[0])
        window = int((group["recovery_time"].where(~group["recovered"])).max()
                     if (~group["recovered"]).any() else steps - step)
        recovery = recovery_summary(group["recovery_time"], group["recovered"])
        recovered = int(group["recovered"].sum())
        if recovery.median_reached:
            recovery_text = f"median {recovery.median_text()} steps"
        else:
            recovery_text = f"not recovered within {window} steps"
        recovery_text += f" ({recovered} of {len(group)} runs recovered)"
        level_row, area_row = (found.get((shock, structure)) for found in (levels, differences))
        if structure == reference:
            level_paired = area_paired = "reference"
        elif area_row is None:
            level_paired = area_paired = "n/a" if has_reference else f"waiting for {reference}"
        else:
            level_paired = (f"{_difference_text(level_row)}; higher in {level_row.better} "
                            f"of {level_row.pairs}")
            area_paired = (f"{_difference_text(area_row)}; less lost in {area_row.better} "
                           f"of {area_row.pairs}")
        rows.append({
            "shock": f"{kind} at step {step}",
            "structure": structure,
            "runs": len(group),
            f"level before ({unit})": interval_text(*t_interval(group["baseline"])),
            f"level after ({unit})": interval_text(*t_interval(group[LEVEL_AFTER])),
            f"level after minus {reference}'s (paired)": level_paired,
            f"depth ({unit})": interval_text(*t_interval(group["depth"])),
            f"area lost ({unit} x steps)": interval_text(*t_interval(group["area_lost"]),
                                                         floor=0),
            "recovery (steps to 95% of own baseline)": recovery_text,
            f"area lost minus {reference}'s (paired)": area_paired,
        })
    return pd.DataFrame(rows)


#: What a strategist asks besides the level after a shock: the money made so far.
PROFIT = "cumulative_profit"


def values_at_last_common_step(long: pd.DataFrame, metric: str = PROFIT) -> pd.DataFrame:
    """``metric`` of every structure and replicate at the last step every run has reached
    (columns ``structure``, ``replicate``, ``step``, ``metric``); empty without it."""
    if long is None or long.empty or metric not in long.columns:
        return pd.DataFrame(columns=["structure", "replicate", "step", metric])
    last = int(long.groupby(["structure", "replicate"])["step"].max().min())
    return long.loc[long["step"] == last, ["structure", "replicate", "step", metric]]


def comparison_sentence(table: pd.DataFrame, reference: str, metric: str,
                        final: pd.DataFrame | None = None) -> str:
    """Plain sentences per structure on the first shock, computed from the paired runs: first
    the level each structure holds after the shock (what a strategist asks), then the loss,
    which is measured from each structure's own level and so is never read as "better" on
    its own. E.g. ``After the need shift network holds 0.44 [0.40, 0.48] of its market share
    and hierarchy 0.90 [0.88, 0.92]; network minus hierarchy -0.46 [-0.50, -0.42] (95%
    t-interval, 3 paired runs): clearly lower, lower in 3 of 3. network lost less market share
    than hierarchy (area lost -0.3 [-0.9, 0.3], in 2 of 3 runs), but from a lower level:
    losing less does not make it better here.``

    ``final`` (:func:`values_at_last_common_step`): each run's cumulative profit at the last
    step all have reached; when given, the profit is compared (paired) after the level and
    before the loss.
    """
    if table is None or table.empty:
        return ""
    first = table["shock"].min()
    rows = table[table["shock"] == first]
    kind = rows["kind"].iloc[0]
    if reference not in set(rows["structure"]):
        return (f"Waiting for {reference} to pass the {label(kind)}: the paired differences "
                "appear once it has.")
    levels = paired_differences(rows, LEVEL_AFTER, reference=reference, better="higher")
    areas = paired_differences(rows, "area_lost", reference=reference, better="lower")
    reference_level = interval_text(*t_interval(
        rows[rows["structure"] == reference][LEVEL_AFTER]))
    profits = _profit_texts(final, reference)
    sentences = []
    for level, area in zip(levels.itertuples(index=False), areas.itertuples(index=False),
                           strict=True):
        structure = level.structure
        if structure == reference:
            continue
        pairs = int(level.pairs)
        own = interval_text(*t_interval(rows[rows["structure"] == structure][LEVEL_AFTER]))
        text = (f"After the {label(kind)} {structure} holds {own} of {label(metric)} "
                f"(mean of the last steps of the shock's window) and {reference} "
                f"{reference_level}")
        if pairs < 2:
            text += (f"; one pair gives no interval ({structure} minus {reference} "
                     f"{fmt(level.mean_difference)}): add replicates.")
            sentences.append(text)
            continue
        direction = _clear(level)
        text += (f"; {structure} minus {reference} "
                 f"{interval_text(level.mean_difference, level.low, level.high)} (95% "
                 f"t-interval, {pairs} paired runs): "
                 + (f"clearly {direction}" if direction else "no clear difference")
                 + f", higher in {level.better} of {pairs}.")
        if structure in profits:
            text += f" {profits[structure]}"
        lost_less = area.mean_difference < 0
        lower_level = level.mean_difference < 0
        loss = (f"{structure} lost {'less' if lost_less else 'more'} {label(metric)} than "
                f"{reference} from its own level (area lost, paired difference "
                f"{interval_text(area.mean_difference, area.low, area.high)}, less in "
                f"{area.better} of {pairs})")
        if lost_less and lower_level:
            loss += ", but from a lower level: losing less does not make it better here"
        elif not lost_less and not lower_level:
            loss += ", from a higher level"
        sentences.append(f"{text} {loss[0].upper()}{loss[1:]}.")
    return " ".join(sentences)


def _profit_texts(final: pd.DataFrame | None, reference: str) -> dict[str, str]:
    """Per structure: its cumulative profit beside the reference's, paired (in thousands or
    millions when the amounts are that large: one unit for the whole sentence)."""
    if final is None or final.empty or reference not in set(final["structure"]):
        return {}
    step = int(final["step"].iloc[0])
    largest = float(final[PROFIT].abs().max())
    scale, unit = next(((size, word) for size, word in ((1e6, " (millions)"),
                                                         (1e3, " (thousands)"))
                        if largest >= size), (1.0, ""))
    values = final.assign(**{PROFIT: final[PROFIT] / scale})
    ours = interval_text(*t_interval(values[values["structure"] == reference][PROFIT]), 2)
    texts = {}
    for row in paired_differences(values, PROFIT, reference=reference,
                                  better="higher").itertuples(index=False):
        if row.structure == reference:
            continue
        own = interval_text(*t_interval(values[values["structure"] == row.structure][PROFIT]),
                            2)
        text = f"Cumulative profit by step {step}{unit}: {row.structure} {own}, {reference} {ours}"
        if int(row.pairs) >= 2:
            direction = _clear(row)
            text += (f"; difference "
                     f"{interval_text(row.mean_difference, row.low, row.high, 2)}: "
                     + (f"clearly {direction}" if direction else "no clear difference")
                     + f", higher in {row.better} of {int(row.pairs)}")
        texts[row.structure] = text + "."
    return texts


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
    """Would ``consider`` have done better than ``have`` in the situation?

    The answer ranks on the level of ``metric`` each firm holds after the first shock (mean
    of the last steps of the shock's window), paired replicate by replicate; the area lost
    (measured from each firm's own level) is reported beside it, never instead of it. The
    mechanism compares process metrics averaged from the shock to the end.
    """
    unit = UNITS.get(metric, label(metric))
    first = resilience[resilience["shock"] == resilience["shock"].min()]
    pair = first[first["structure"].isin([have, consider])]
    levels = paired_differences(pair, LEVEL_AFTER, reference=have, better="higher")
    level = next(levels[levels["structure"] == consider].itertuples(index=False))
    differences = paired_differences(pair, "area_lost", reference=have, better="lower")
    row = differences[differences["structure"] == consider].iloc[0]
    pairs = int(level.pairs)
    direction = _clear(level)
    clear = bool(direction)
    if direction == "higher":
        headline = (f"Yes: the {consider} firm would have ended {situation} with more "
                    f"{label(metric)} than your {have} firm.")
    elif direction == "lower":
        headline = (f"No: the {consider} firm would have ended {situation} with less "
                    f"{label(metric)} than your {have} firm.")
    else:
        headline = (f"Not clear: the {pairs} paired runs do not separate the {consider} firm "
                    f"from your {have} firm under {situation}.")
    level_have = t_interval(pair[pair["structure"] == have][LEVEL_AFTER])
    level_consider = t_interval(pair[pair["structure"] == consider][LEVEL_AFTER])
    area_have = t_interval(pair[pair["structure"] == have]["area_lost"])
    area_consider = t_interval(pair[pair["structure"] == consider]["area_lost"])
    loss_note = ""
    if row["mean_difference"] < 0 and level.mean_difference < 0:
        loss_note = (f" The {consider} firm lost less, but from a lower level: losing less "
                     "does not make it better here.")
    detail = (f"Level of {label(metric)} after the shock ({unit}, mean of the last steps of "
              f"the shock's window): {have} {interval_text(*level_have)}, {consider} "
              f"{interval_text(*level_consider)}; difference {consider} minus {have} "
              f"{interval_text(level.mean_difference, level.low, level.high)}, higher in "
              f"{level.better} of {pairs} paired runs. "
              f"Area lost after the shock, measured from each firm's own level ({unit} x "
              f"steps): {have} {interval_text(*area_have, floor=0)}, {consider} "
              f"{interval_text(*area_consider, floor=0)}; difference {consider} minus {have} "
              f"{interval_text(row['mean_difference'], row['low'], row['high'])}, less lost "
              f"in {row['better']} of {pairs}.{loss_note} "
              "(95% t-intervals over the paired runs; a difference whose interval excludes 0 "
              "is clear; an interval of a quantity that cannot be negative is clipped at 0.)")
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
    """A text alternative of a chart: each line's mean at the last step reached and the band
    drawn there (``band`` from :func:`simulation.ui.charts.chart_bands`: clipped)."""
    if band is None or band.empty:
        return f"{title}: no data yet."
    parts = []
    for structure, group in band.groupby("structure", sort=False):
        last = group.iloc[-1]
        low, high = float(last["low"]), float(last["high"])
        parts.append(f"{structure} {interval_text(float(last['mean']), low, high)}")
    step = int(band["step"].max())
    return (f"{title}, mean over replicates [95% band] at step {step} of {steps}: "
            f"{'; '.join(parts)}.")
