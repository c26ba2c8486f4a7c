"""Replicates of a market of several firms, in worker processes, and their summaries.

Replicate ``r`` gets the seed :func:`simulation.config.seeds.run_seed` ``(root, r)``, the
same as replicate ``r`` of a parallel-world comparison, so a market and the parallel worlds
of its firms face the same customers and market draws (common random numbers across the two
designs). A run's numbers depend only on its seed, never on the worker or the worker count.
"""

from __future__ import annotations

import os
from typing import NamedTuple

import numpy as np
import pandas as pd

from simulation.analysis.report import clip_band
from simulation.analysis.statistics import band, t_interval
from simulation.config.schema import FirmEntry, ModelConfig
from simulation.config.seeds import run_seed
from simulation.errors import ConfigError
from simulation.execution.executor import executor_for


class MarketTables(NamedTuple):
    """One market run's (or many runs') tables, each with a ``replicate`` column."""

    metrics: pd.DataFrame      # every step metric per firm (``firm``, ``structure``)
    shares: pd.DataFrame       # market share per firm and of the outside option ("(none)")
    flows: pd.DataFrame        # customers who moved from one option to another, per step
    resilience: pd.DataFrame   # per shock and firm
    entries: pd.DataFrame      # when each firm entered and left


def market_config(config: ModelConfig, firms: list, shocks: list | None = None) -> ModelConfig:
    """``config`` with its market held by ``firms`` (structure names or firm tables), and
    ``shocks`` instead of its own if given (they may name the firms).

    Two firms of one structure are named ``<structure>``, ``<structure>-2``, ...
    """
    entries, seen = [], {}
    for item in firms:
        if isinstance(item, str):
            seen[item] = seen.get(item, 0) + 1
            name = item if seen[item] == 1 else f"{item}-{seen[item]}"
            item = {"name": name, "structure": item}
        entries.append(item)
    data = config.model_dump()
    data["firms"] = [e.model_dump(exclude_unset=True) if isinstance(e, FirmEntry) else e
                     for e in entries]
    if shocks is not None:
        data["shocks"] = [dict(s) for s in shocks]
    from simulation.config.schema import validate_model_config

    return validate_model_config(data)


def run_market(config: ModelConfig, replicate: int, seed,
               metric: str = "market_share") -> MarketTables:
    """Run one market to ``config.steps``; every table labelled with ``replicate``
    (resilience figures of ``metric``)."""
    from simulation.core.competition import MarketModel, exits_table

    model = MarketModel(config, rng=seed).run()
    tables = [model.metrics(), model.shares(), model.flows(), model.resilience(metric),
              exits_table(model)]
    for table in tables:
        table.insert(0, "replicate", replicate)
    return MarketTables(*tables)


def _run_one(job: tuple) -> MarketTables:
    config, replicate, root, *metric = job
    return run_market(config, replicate, run_seed(root, replicate), *metric)


def run_markets(config: ModelConfig, replicates: int, seed: int, workers: int | None = None,
                first_replicate: int = 0, metric: str = "market_share") -> MarketTables:
    """Replicates ``first_replicate ...`` of the market ``config`` (rows in replicate order,
    whatever order the workers finish in; resilience figures of ``metric``)."""
    if not config.firms:
        raise ConfigError("firms: a market run needs firms (e.g. firms = [\"hierarchy\", "
                          "\"podular\"])")
    jobs = [(config, r, seed, metric)
            for r in range(first_replicate, first_replicate + replicates)]
    workers = workers or min(len(jobs), os.cpu_count() or 1)
    # The one executor (execution/executor.py): its workers, initializer and restarts.
    done = {}
    with executor_for(max(1, min(workers, len(jobs)))) as executor:
        for job, result in executor.map(_run_one, jobs):
            if isinstance(result, BaseException):
                raise result
            done[job[1]] = result
    results = [done[job[1]] for job in jobs]
    return MarketTables(*(pd.concat([r[k] for r in results], ignore_index=True)
                          for k in range(len(MarketTables._fields))))


def market_comparison(config: ModelConfig, replicates: int, seed: int,
                      metric: str = "market_share", workers: int | None = None,
                      first_replicate: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A market's replicates as a comparison's ``(timeseries, resilience)``: what ``firmsim
    run`` does with a scenario that lists ``firms``.

    Each firm stands where a structure stands in a comparison of parallel worlds: its rows
    have ``structure`` = the firm's name (:func:`compared_scenario`), ``replicate`` and the
    step metrics (or resilience figures) of that firm; rows in the firms' order, then by
    replicate and step. Paired differences between firms are then taken within a market.
    """
    tables = run_markets(config, replicates, seed, workers, first_replicate, metric)
    order = {entry.name: k for k, entry in enumerate(config.firms)}
    series = tables.metrics.drop(columns=["structure"]).rename(columns={"firm": "structure"})
    shocks = tables.resilience.rename(columns={"firm": "structure"})
    out = []
    for frame, within in ((series, "step"), (shocks, "shock")):
        frame = frame[["structure", "replicate",
                       *[c for c in frame.columns if c not in ("structure", "replicate")]]]
        frame = frame.sort_values(["structure", "replicate", within], kind="stable",
                                  key=lambda c: c.map(order) if c.name == "structure" else c)
        out.append(frame.reset_index(drop=True))
    return out[0], out[1]


def compared_scenario(scenario):
    """``scenario`` as its comparison is summarised: with ``firms``, its ``structures`` are
    the firms' names (the first is the reference of the paired differences)."""
    if not scenario.firms:
        return scenario
    return scenario.model_copy(update={"structures": [entry.name for entry in scenario.firms]})


def share_bands(shares: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Mean market share of each firm (and the outside option) per step, with its
    t-interval over replicates (:func:`simulation.analysis.statistics.band`), clipped to
    [0, 1] (:func:`simulation.analysis.report.clip_band`); ``clipped`` marks the rows whose
    interval reached past 0 or 1."""
    table = band(shares, "market_share", by="firm", confidence=confidence)
    low, high, _ = clip_band("market_share", table["low"], table["high"])
    with np.errstate(invalid="ignore"):
        clipped = (low != table["low"].to_numpy()) | (high != table["high"].to_numpy())
    return table.assign(low=low, high=high, clipped=clipped & np.isfinite(low))


def share_interval(values, confidence: float = 0.95) -> str:
    """``mean [low, high]`` of shares over replicates (t-interval), each end clipped to
    [0, 1] and then marked: ``0.012 [0 (clipped), 0.031]``."""
    mean, low, high = t_interval(np.asarray(values, dtype=float), confidence)
    (bottom,), (top,), _ = clip_band("market_share", [low], [high])
    low_text = f"{bottom:g} (clipped)" if bottom != low else f"{low:.3f}"
    high_text = f"{top:g} (clipped)" if top != high else f"{high:.3f}"
    return f"{mean:.3f} [{low_text}, {high_text}]"


def final_levels(shares: pd.DataFrame, window: int = 50) -> pd.DataFrame:
    """Each replicate's mean share per firm over the last ``window`` steps (wide: a column
    per firm)."""
    last = shares["step"].max()
    tail = shares[shares["step"] > last - window]
    return tail.groupby(["replicate", "firm"])["market_share"].mean().unstack("firm")


def head_to_head(shares: pd.DataFrame, window: int = 50, confidence: float = 0.95
                 ) -> pd.DataFrame:
    """Every pair of firms: the paired difference of their final shares over replicates.

    Rows ``first``, ``second``, ``difference`` (first minus second), ``low``, ``high``,
    ``replicates``; one row per unordered pair (first before second by name).
    """
    levels = final_levels(shares, window)
    names = [c for c in levels.columns if c != _none()]
    rows = []
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            mean, low, high = t_interval((levels[a] - levels[b]).to_numpy(), confidence)
            rows.append({"first": a, "second": b, "difference": mean, "low": low,
                         "high": high, "replicates": int(levels.shape[0])})
    return pd.DataFrame(rows, columns=["first", "second", "difference", "low", "high",
                                       "replicates"])


def _none() -> str:
    from simulation.core.competition import NO_FIRM

    return NO_FIRM


def net_flows(flows: pd.DataFrame, replicates: int) -> pd.DataFrame:
    """Customers each option took from each other, net, per replicate on average:
    ``taker``, ``from``, ``customers`` (positive: ``taker`` gained them), largest first."""
    if flows.empty:
        return pd.DataFrame(columns=["taker", "from", "customers"])
    total = flows.groupby(["from", "to"])["customers"].sum()
    rows = []
    options = sorted(set(flows["from"]) | set(flows["to"]))
    for i, a in enumerate(options):
        for b in options[i + 1:]:
            net = (total.get((b, a), 0) - total.get((a, b), 0)) / replicates
            if net != 0:
                taker, giver = (a, b) if net > 0 else (b, a)
                rows.append({"taker": taker, "from": giver, "customers": abs(net)})
    return pd.DataFrame(rows).sort_values("customers", ascending=False, ignore_index=True)


def clear_leader(bands: pd.DataFrame) -> pd.Series:
    """Per step, the firm whose 95% band lies wholly above every other firm's (``""`` when
    no firm is clearly ahead)."""
    firms = bands[bands["firm"] != _none()]
    low = firms.pivot(index="step", columns="firm", values="low")
    high = firms.pivot(index="step", columns="firm", values="high")
    leader = pd.Series("", index=low.index, dtype=object)
    for firm in low.columns:
        others = high.drop(columns=firm)
        ahead = (low[firm].to_numpy()[:, None] > others.to_numpy()).all(axis=1)
        leader[ahead] = firm
    return leader


def lead_changes(bands: pd.DataFrame, hold: int = 10) -> list[tuple[int, str]]:
    """Steps at which the clear leader (:func:`clear_leader`) changed: ``(step, leader)``,
    ``""`` for "no firm clearly ahead". A change counts when it then holds for ``hold``
    steps, so noise around a tie is not read as a string of changes."""
    leader = clear_leader(bands)
    if leader.empty:
        return []
    values, steps = leader.to_numpy(), leader.index.to_numpy()
    changes, current = [(int(steps[0]), str(values[0]))], values[0]
    for k in range(1, len(values)):
        if (values[k] != current and k + hold <= len(values)
                and np.all(values[k:k + hold] == values[k])):
            changes.append((int(steps[k]), str(values[k])))
            current = values[k]
    return changes


def reading(tables: MarketTables, window: int = 50, shocks: list | None = None) -> str:
    """Who took the market from whom, and when: a few plain sentences from the tables."""
    shares = tables.shares
    replicates = int(shares["replicate"].nunique())
    bands = share_bands(shares)
    levels = final_levels(shares, window)
    lines = [f"{replicates} replicates; final shares are means over the last {window} steps "
             "with 95% t-intervals over replicates (an end past 0 or 1 is clipped there and "
             "marked)."]
    parts = []
    for firm in levels.columns:
        label = "no firm (outside option)" if firm == _none() else firm
        parts.append(f"{label} {share_interval(levels[firm].to_numpy())}")
    lines.append("Final shares: " + "; ".join(parts) + ".")
    for row in head_to_head(shares, window).itertuples():
        verdict = ("ahead" if row.low > 0 else "behind" if row.high < 0
                   else "not distinguishable from")
        lines.append(f"{row.first} - {row.second}: {row.difference:+.3f} "
                     f"[{row.low:+.3f}, {row.high:+.3f}] ({row.first} {verdict}"
                     f"{'' if verdict.startswith('not') else ' of'} {row.second}).")
    changes = lead_changes(bands)
    if changes:
        told = [f"from step {t}: {f + ' clearly ahead' if f else 'no firm clearly ahead'}"
                for t, f in changes]
        lines.append("Who leads (95% bands apart, held 10 steps): " + "; ".join(told) + ".")
    moves = net_flows(tables.flows, replicates)
    if not moves.empty:
        top = moves.head(4)
        lines.append("Net moves of customers (per replicate, whole run): " + "; ".join(
            f"{r.taker} took {r.customers:.0f} from "
            f"{'the outside option' if r['from'] == _none() else r['from']}"
            for _, r in top.iterrows()) + ".")
        flows = tables.flows
        for _, r in top.head(2).iterrows():
            gained = flows[(flows["to"] == r.taker) & (flows["from"] == r["from"])]
            lost = flows[(flows["to"] == r["from"]) & (flows["from"] == r.taker)]
            per_step = (gained.groupby("step")["customers"].sum().sub(
                lost.groupby("step")["customers"].sum(), fill_value=0) / replicates)
            if per_step.empty:
                continue
            smooth = per_step.rolling(10, min_periods=1).sum()
            peak = int(smooth.idxmax())
            lines.append(f"{r.taker} took most from "
                         f"{'the outside option' if r['from'] == _none() else r['from']} "
                         f"in the 10 steps to step {peak} ({smooth.max():.0f} customers net).")
    for shock in shocks or []:
        t = shock.step
        if t + 20 > bands["step"].max() or t < 1:
            continue
        before = bands[bands["step"] == t - 1].set_index("firm")["mean"]
        after = bands[bands["step"] == t + 20].set_index("firm")["mean"]
        named = getattr(shock, "firm", None)
        change = "; ".join(f"{f} {after.get(f, 0) - before.get(f, 0):+.3f}"
                           for f in after.index if f != _none())
        lines.append(f"Shock {shock.kind}{f' ({named})' if named else ''} at step {t}: "
                     f"share change over the next 20 steps: {change}.")
    return "\n".join(lines)
