"""Several firms in one market, competing for the same customers (ODD section 7, "Several
firms in one market").

Each firm has its own structure, employees, product, change budget, stakeholders (investors,
media about it, partners) and records; the firms share the market (landscapes, segments, the
outside option), the customers and their network. Customers choose among the firms' products
and the outside option by the single-firm logistic choice generalised to a logit over the
options, with inertia toward the firm they buy from
(:func:`simulation.kernels.competition.market_customer_step`); word of mouth, sentiment,
media and a reputation crisis are about a named firm.

The firm's own submodels are the single firm's, reused unchanged: each :class:`Competitor`
carries the attributes those functions read from a model (:mod:`simulation.core.organization`,
:mod:`simulation.core.conversation`, :mod:`simulation.core.stakeholders`,
:mod:`simulation.core.metrics`, the firm-level shock rules), with a view of the customers
whose per-firm arrays are its rows of the market's ``(firms, customers)`` arrays.

Order and randomness. Firms are held sorted by name, so where a firm stands in the
scenario's list changes nothing. The market, the customers and their per-step draws come
from the run's shared streams; each firm's organization, stakeholders, conversation and
partner draws from streams of its own: the first firm (by name) the run's own streams, so a
market of one firm is :class:`simulation.core.model.FirmModel` bit for bit, firm ``k`` their
children ``k``.
"""

from __future__ import annotations

import dataclasses
import math
import re

import numpy as np
import pandas as pd

from simulation import registry
from simulation.config.schema import FirmEntry, ModelConfig
from simulation.config.vocabulary import MEDIA
from simulation.core import (
    conversation,
    customers,
    metrics,
    organization,
    shocks,
    stakeholders,
)
from simulation.core.market import Market
from simulation.core.model import STREAMS, _streams, build_firm
from simulation.errors import ConfigError
from simulation.kernels import competition as competition_kernels
from simulation.kernels import threads

#: Streams shared by the market's firms; the others are each firm's own.
SHARED_STREAMS = ("market", "customers", "customer_dynamics", "market_dynamics")

#: Shock kinds that hit firms (each firm, or the one named by ``firm``); every other kind
#: (need_shift, turbulence, competitor_entry without a firm, plugins' kinds) hits the market.
FIRM_SHOCKS = ("talent_loss", "reputation_crisis", "new_segment")

#: Arrays of the customer population held per firm (rows of ``(firms, customers)`` arrays,
#: or ``(firms, segments)`` for the sums).
PER_FIRM = ("belief", "buying", "satisfaction", "sentiment", "opinion", "voice", "media_sum",
            "media_count", "media_positive", "media_negative", "firm_voices")
PER_FIRM_SUMS = ("buyers", "satisfaction_sum", "sentiment_sum")


#: One firm written on one line: ``STRUCTURE``, ``NAME=STRUCTURE``, ``STRUCTURE@STEP``.
FIRM_TEXT = re.compile(r"^(?:(?P<name>[A-Za-z0-9][A-Za-z0-9_.-]*)=)?(?P<structure>[A-Za-z0-9_]+)"
                       r"(?:@(?P<step>\d+))?$")
#: Joins the firms of one line-up in a single label (``hierarchy+podular``): the value a
#: sweep's ``firms`` factor takes in its tables ("+" is in no firm or structure name).
LINEUP_JOIN = "+"


def parse_firm(text: str, where: str) -> dict:
    """``[NAME=]STRUCTURE[@STEP]`` as a firm table; a :class:`ConfigError` line naming
    ``where`` otherwise."""
    match = FIRM_TEXT.match(text) if isinstance(text, str) else None
    if not match:
        raise ConfigError(f"{where} {text!r}: expected STRUCTURE, NAME=STRUCTURE or "
                          "STRUCTURE@STEP (e.g. podular, startup=podular@100)")
    entry = {"structure": match["structure"]}
    if match["name"]:
        entry["name"] = match["name"]
    if match["step"]:
        entry["enters_at"] = int(match["step"])
    return entry


def name_firms(entries: list[dict]) -> list[dict]:
    """Unnamed firms are named after their structure: ``hierarchy``, ``hierarchy-2``..."""
    seen: dict[str, int] = {}
    for entry in entries:
        if "name" not in entry:
            structure = entry["structure"]
            seen[structure] = seen.get(structure, 0) + 1
            entry["name"] = structure if seen[structure] == 1 else f"{structure}-{seen[structure]}"
    return entries


def lineup_tables(lineup, where: str) -> list[dict]:
    """The firm tables of a line-up: a list of ``[NAME=]STRUCTURE[@STEP]`` texts, or their
    :data:`LINEUP_JOIN` label (``"hierarchy+podular"``)."""
    if isinstance(lineup, str):
        lineup = lineup.split(LINEUP_JOIN)
    if not isinstance(lineup, (list, tuple)) or not lineup:
        raise ConfigError(f"{where} {lineup!r}: a line-up is a list of firms, e.g. "
                          "[\"hierarchy\", \"podular\"]")
    return name_firms([parse_firm(text, f"{where} firm {k + 1}")
                       for k, text in enumerate(lineup)])


def lineup_label(lineup) -> str:
    """The one-string label of a line-up (its firms' texts joined by :data:`LINEUP_JOIN`)."""
    return lineup if isinstance(lineup, str) else LINEUP_JOIN.join(lineup)


def firm_entries(config: ModelConfig) -> list[FirmEntry]:
    """The firms of ``config`` (one firm of ``config.structure`` if it lists none)."""
    if config.firms:
        return list(config.firms)
    return [FirmEntry(name=config.structure, structure=config.structure)]


def firm_config(config: ModelConfig, entry: FirmEntry) -> ModelConfig:
    """The single-firm configuration of ``entry``: the market's, with its structure and
    its ``[firm]`` overrides (and no list of firms)."""
    data = config.model_dump()
    data.update(structure=entry.structure, firms=[])
    for shock in data["shocks"]:  # the market applies the shocks; names mean nothing here
        if "firm" in shock:
            shock["firm"] = ""
    data["firm"].update(entry.overrides())
    return ModelConfig.model_validate(data)


def firm_standing(firm: Competitor) -> float:
    """What an exiting firm's exit rule looks at: its cumulative profit.

    Until the economics submodel books costs, the stand-in is cumulative revenue minus the
    entry's ``exit_fixed_cost`` per step in the market; a firm that records
    ``cumulative_profit`` is judged by that instead (the one place to point at the books).
    """
    records = firm.records
    if "cumulative_profit" in records and records["cumulative_profit"]:
        return float(records["cumulative_profit"][-1])
    revenue = records["revenue"][firm.entered_at:]
    return float(np.sum(revenue)) - firm.entry.exit_fixed_cost * len(revenue)


def _firm_streams(streams: dict, root_children: dict, k: int) -> dict:
    """Firm ``k``'s streams: the run's own for ``k = 0``, child ``k`` of each otherwise."""
    own = {}
    for name in STREAMS:
        if name in SHARED_STREAMS or k == 0:
            own[name] = streams[name]
        else:
            seed = root_children[name]
            own[name] = np.random.default_rng(np.random.SeedSequence(
                entropy=seed.entropy, spawn_key=(*seed.spawn_key, k)))
    return own


def _stream_seeds(rng) -> dict:
    """The SeedSequence of each of the run's streams (as :func:`_streams` spawns them)."""
    if isinstance(rng, (int, np.integer)):
        root = np.random.SeedSequence(int(rng))
    elif isinstance(rng, np.random.SeedSequence):
        root = np.random.SeedSequence(entropy=rng.entropy, spawn_key=rng.spawn_key,
                                      pool_size=rng.pool_size)
    else:
        raise ConfigError(f"rng={rng!r}: a market of several firms needs an integer seed or a "
                          "SeedSequence")
    return dict(zip(STREAMS, root.spawn(len(STREAMS)), strict=True))


class Competitor:
    """One firm of the market: the attributes the single firm's submodels read.

    Not a model of its own: :class:`MarketModel` runs its submodels in the schedule's order.
    """

    def __init__(self, market: MarketModel, entry: FirmEntry, index: int, streams: dict):
        cfg = firm_config(market.config, entry)
        self.entry, self.name, self.index, self.config = entry, entry.name, index, cfg
        self.owner = market
        self.structure = cfg.structure
        self.streams = streams
        self.market = market.market
        self.total_segments = market.total_segments
        policy = registry.get("product_policy", cfg.firm.variants)
        self.variant_of_segment = np.asarray(policy.variants(self.total_segments),
                                             dtype=np.int64)
        self.products = np.tile(market.initial_product,
                                (int(self.variant_of_segment.max()) + 1, 1))
        self.segment_fitness = market.value_of_segment[index]
        self.population = market.population_of(index)
        self.n_customers = market.n_customers
        # Built as the single firm is (its own books too: ODD section 7, Economics).
        build_firm(self, cfg, streams)
        self.turbulence_windows: list = []  # the market holds the turbulence
        self.entered_at: int | None = None
        self.exited_at: int | None = None
        self.update_fitness()

    @property
    def stance(self) -> np.ndarray:
        return self.stakeholders.stance

    @property
    def stakeholder_kind(self) -> np.ndarray:
        return self.stakeholders.kind

    @property
    def q_length(self) -> np.ndarray:
        return self.queues.length

    @property
    def outside_option(self) -> float:
        return self.owner.outside_option

    @outside_option.setter
    def outside_option(self, value: float) -> None:
        self.owner.outside_option = value

    @property
    def step_index(self) -> int:
        return len(self.records["market_share"])

    @property
    def market_share(self) -> float:
        active = self.population.active_count.sum()
        return float(self.population.buyers.sum() / active) if active else 0.0

    @property
    def present(self) -> bool:
        return bool(self.owner.present[self.index])

    def update_fitness(self) -> None:
        self.market.normalised_fitness(self.products, self.variant_of_segment,
                                       self.segment_fitness)

    def _reset_counters(self) -> None:
        self.counters = dict.fromkeys(
            ("made", "approved", "implemented", "vetoed", "dropped", "messages", "staff"), 0)
        self.latencies: list[int] = []


class MarketModel:
    """Several firms, each of its own structure, competing for one market's customers.

    Parameters
    ----------
    config : ModelConfig
        The market (``market``, ``customers``, ``stakeholders``, ``shocks``, ``steps``) and
        its firms (``firms``; none: one firm of ``config.structure``, the single-firm model).
    rng : int or numpy.random.SeedSequence
        The run's seed (the same rule as :class:`simulation.core.model.FirmModel`).

    Examples
    --------
    >>> from simulation.config.schema import config_from_flat
    >>> cfg = config_from_flat(customers=2_000, employees=40, steps=30)
    >>> cfg = cfg.model_copy(update={"firms": [FirmEntry(name="h", structure="hierarchy"),
    ...                                       FirmEntry(name="p", structure="podular")]})
    >>> frame = MarketModel(cfg, rng=1).run().metrics()
    """

    def __init__(self, config: ModelConfig, rng=None) -> None:
        self.config = config
        seeds = _stream_seeds(rng)
        self.streams = _streams(rng, None)
        cfg, streams = config, self.streams
        entries = sorted(firm_entries(config), key=lambda e: e.name)
        entry_step = {e.name: e.enters_at for e in entries}
        for shock in cfg.shocks:
            if shock.kind == "competitor_entry" and getattr(shock, "firm", None):
                entry_step[shock.firm] = shock.step
        self.entry_step = entry_step
        arrivals, sizes = shocks.segment_arrivals(cfg)
        self.total_segments = cfg.market.segments + len(arrivals)
        self.market = Market(cfg.market, self.total_segments, streams["market"])
        # Every firm starts from the same design (the single firm's initial product), so
        # what separates them is how they adapt it.
        self.initial_product = streams["market"].integers(
            0, 2, size=cfg.market.attributes).astype(np.uint8)
        count = len(entries)
        self.present = np.array([entry_step[e.name] == 0 for e in entries], dtype=np.uint8)
        initial_value = np.empty(self.total_segments)
        self.market.normalised_fitness(self.initial_product[None, :],
                                       np.zeros(self.total_segments, dtype=np.int64),
                                       initial_value)
        first = {}
        self.population = customers.build_customers(
            cfg, arrivals, sizes, initial_value, streams["customers"],
            first_choice=lambda draw: first.setdefault("draw", draw))
        p = self.population
        self.n_customers = n = p.size
        self.customer_draws = customers.customer_draws(streams["customer_dynamics"], n,
                                                         ahead=True)
        self.value_of_segment = np.zeros((count, self.total_segments))
        self._per_firm = {name: np.repeat(getattr(p, name)[None, :], count, axis=0)
                          for name in PER_FIRM}
        self._per_firm.update({name: np.zeros((count, getattr(p, name).shape[0]),
                                              dtype=getattr(p, name).dtype)
                               for name in PER_FIRM_SUMS})
        self.current = np.full(n, -1, dtype=np.int64)
        self._first_choice(first["draw"])
        # The customer step's scratch: what customers hear about each firm, their shares, and
        # the weights of their choice.
        self.heard = np.zeros((count, n, 4))
        self.choice_weights = np.zeros((2, count, n))
        self.defections = np.zeros(count, dtype=np.int64)
        self.outside_option = cfg.market.outside_option
        self.turbulence_windows = shocks.background_turbulence(cfg)
        self.fired_shocks: list[tuple[int, int]] = []
        self.steps_done = 0
        self.flow_records: list[np.ndarray] = []
        self.firms = [Competitor(self, entry, k, _firm_streams(streams, seeds, k))
                      for k, entry in enumerate(entries)]
        for firm in self.firms:
            if self.present[firm.index]:
                firm.entered_at = 0
        self.by_name = {firm.name: firm for firm in self.firms}

    # ------------------------------------------------------------------ construction
    def _first_choice(self, draw: np.ndarray) -> None:
        """Customers' first choice among the firms there at step 0 (same draws as one firm).

        Every firm offers the same initial design, so every firm's logit probability is the
        same; the draw falls in the firms' intervals in the market's order.
        """
        p, beta = self.population, self.config.customers.choice_sensitivity
        x = beta * (p.belief - self.config.market.outside_option)
        here = np.flatnonzero(self.present)
        weight = np.exp(x)
        others = np.ones_like(x)
        for _ in here[1:]:
            others = others + weight
        chance = 1.0 / (1.0 + np.exp(-x) * others)
        logistic = 1.0 / (1.0 + np.exp(-x))
        cumulative = np.zeros_like(x)
        for g in here:
            cumulative = cumulative + chance
            self.current[(self.current < 0) & (draw < cumulative) & (p.active == 1)] = g
        rows = self._per_firm
        for g in range(self.present.shape[0]):
            mine = self.current == g
            rows["buying"][g] = mine.astype(np.uint8)
            rows["satisfaction"][g] = np.where(mine, logistic, 0.0)
            rows["sentiment"][g] = 2.0 * logistic - 1.0 if self.present[g] else 0.0

    def population_of(self, index: int) -> customers.CustomerPopulation:
        """Firm ``index``'s view of the customers: shared arrays, and its own rows."""
        rows = {name: array[index] for name, array in self._per_firm.items()}
        return dataclasses.replace(self.population, **rows)

    # ------------------------------------------------------------------ the schedule
    @property
    def step_index(self) -> int:
        return self.steps_done

    def step(self) -> None:
        """One step: entries, shocks, then each firm's and the customers' submodels in the
        single firm's order (ODD section 3), firm by firm where a submodel is the firm's."""
        t = self.steps_done
        for firm in self.firms:
            firm._reset_counters()
        for firm in self.firms:
            if not firm.present and firm.exited_at is None and self.entry_step[firm.name] == t:
                self.enter(firm, t)
        self.apply_shocks(t)
        here = [firm for firm in self.firms if firm.present]
        for firm in here:
            organization.land_changes(firm, t)
            firm.update_fitness()
            conversation.speak(firm)
        self.customer_step()
        for firm in here:
            organization.organization_step(firm, t)
            firm.economics.book(firm)
            stakeholders.update_stances(firm)
        for firm in self.firms:
            metrics.record_step(firm)
        for firm in here:
            if firm.entry.exits and firm_standing(firm) < firm.entry.exit_below:
                self.leave(firm, t)
        self.steps_done += 1

    def run(self, steps: int | None = None) -> MarketModel:
        """Run ``steps`` more steps (default: up to the planned ``config.steps``)."""
        if steps is None:
            steps = max(0, self.config.steps - self.steps_done)
        for _ in range(steps):
            self.step()
        return self

    def enter(self, firm: Competitor, t: int) -> None:
        """``firm`` enters at ``t``: customers learn its product's value (plus their taste),
        as the customers of a new segment learn the product."""
        self.present[firm.index] = 1
        firm.entered_at = t
        firm.update_fitness()
        p = firm.population
        p.belief[:] = firm.segment_fitness[p.segment] + p.taste
        p.sentiment[:] = 0.0

    def leave(self, firm: Competitor, t: int) -> None:
        """``firm`` exits after step ``t``: its buyers are without a firm and choose afresh."""
        self.present[firm.index] = 0
        firm.exited_at = t
        self.current[self.current == firm.index] = -1
        firm.population.buying[:] = 0
        firm.population.buyers[:] = 0  # what it holds now; this step's records are kept

    def apply_shocks(self, t: int) -> None:
        """This step's shocks (market-wide, on every firm, or on the named firm), then the
        turbulence redraws."""
        rng = self.streams["market_dynamics"]
        for number, shock in enumerate(self.config.shocks):
            if shock.step != t:
                continue
            self.fired_shocks.append((number, t))
            named = getattr(shock, "firm", None)
            if shock.kind == "competitor_entry" and named:
                continue  # the named firm entered at the start of the step
            rule = registry.get("shock", shock.kind).apply
            if shock.kind in FIRM_SHOCKS:
                hit = [self.by_name[named]] if named else (
                    self.firms if shock.kind == "new_segment" else
                    [f for f in self.firms if f.present])
                for firm in hit:
                    firm.fired_shocks.append((number, t))
                    rule(firm, shock, t, rng)
            else:
                rule(self, shock, t, rng)
        live = np.flatnonzero(self.population.segment_active)
        for start, end, rate in self.turbulence_windows:
            if start <= t < end:
                self.market.turbulence_step(live, rate, rng)

    def customer_step(self) -> None:
        """Each firm's media speak; customers experience, talk, hear and choose."""
        c, sh = self.config.customers, self.config.stakeholders
        p, rows = self.population, self._per_firm
        parts = threads.split_parts(p.size, threads.threads_for(p.size))
        for firm in self.firms:
            g, s = firm.index, firm.stakeholders
            if not self.present[g]:
                continue
            customers.media_messages(parts)(
                s.kind, s.stance, MEDIA, self.outside_option, sh.media_tone,
                s.media_reach_ptr, s.media_reach, rows["media_sum"][g], rows["media_count"][g],
                rows["media_positive"][g], rows["media_negative"][g], parts)
        draws = self.customer_draws
        now = draws.take()
        options = len(self.firms) + 1
        moved = np.empty((options, options), dtype=np.int64)
        competition_kernels.market_customer_step(
            self.present, self.current, rows["buying"], p.active, p.segment, p.taste,
            rows["belief"], rows["satisfaction"], rows["sentiment"], p.threshold,
            rows["opinion"], rows["voice"], p.indptr, p.indices, p.tie_strong,
            c.weak_tie_weight, p.tie_weight, rows["media_sum"], rows["media_count"],
            sh.media_influence, rows["media_positive"], rows["media_negative"],
            rows["firm_voices"], self.heard,
            self.value_of_segment, self.outside_option, now[0], now[1], now[2],
            c.experience_noise, c.experience_weight, c.talk_rate, c.amplification,
            c.negativity, c.word_of_mouth_weight, c.imitation, c.choice_sensitivity,
            c.reconsider_rate, rows["buyers"], p.active_count, rows["satisfaction_sum"],
            rows["sentiment_sum"], self.defections, moved, *self.choice_weights)
        draws.prepare_next()
        for firm in self.firms:
            firm.cascade_defections = int(self.defections[firm.index])
        # Who went where this step: (firms + 1)^2 counts, index 0 the outside option.
        self.flow_records.append(moved)

    # ------------------------------------------------------------------ output
    def metrics(self) -> pd.DataFrame:
        """Every step metric per firm: one row per step and firm, with a ``firm`` column."""
        frames = []
        for firm in self.firms:
            frame = metrics.step_frame(firm.records, firm.segment_records)
            frame.insert(1, "firm", firm.name)
            frame.insert(2, "structure", firm.structure)
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)

    def shares(self) -> pd.DataFrame:
        """Market share of each firm and of the outside option (``firm = "(none)"``) per
        step; per step they sum to one."""
        frame = self.metrics()[["step", "firm", "market_share"]]
        outside = frame.groupby("step", as_index=False)["market_share"].sum()
        outside["market_share"] = 1.0 - outside["market_share"]
        outside["firm"] = NO_FIRM
        return pd.concat([frame, outside[["step", "firm", "market_share"]]],
                         ignore_index=True).sort_values(["step", "firm"], kind="stable")

    def resilience(self, metric: str = "market_share", **options) -> pd.DataFrame:
        """Resilience figures of ``metric`` per firm for every shock that has happened."""
        frames = []
        for firm in self.firms:
            frame = metrics.step_frame(firm.records, firm.segment_records)
            if metric not in frame.columns:
                raise ConfigError(f"metric={metric!r}: allowed values are "
                                  f"{', '.join(frame.columns[1:])}")
            schedule = pd.DataFrame(
                [{"shock": i, "kind": s.kind, "step": s.step}
                 for i, s in enumerate(self.config.shocks) if s.step < len(frame)],
                columns=["shock", "kind", "step"])
            table = metrics.resilience_table(frame[metric].to_numpy(), schedule, metric=metric,
                                             **options)
            table.insert(0, "firm", firm.name)
            frames.append(table)
        return pd.concat(frames, ignore_index=True)

    def flows(self) -> pd.DataFrame:
        """Customers who moved, per step: ``from`` and ``to`` a firm or :data:`NO_FIRM`
        (the outside option), counted at the customers' choice; only nonzero moves."""
        labels = [NO_FIRM] + [firm.name for firm in self.firms]
        rows = []
        for step, moved in enumerate(self.flow_records):
            for a, b in zip(*np.nonzero(moved), strict=True):
                rows.append((step, labels[a], labels[b], int(moved[a, b])))
        return pd.DataFrame(rows, columns=["step", "from", "to", "customers"])

    def conserved(self) -> bool:
        """Buyers of all firms plus non-buyers equal the active customers (this step)."""
        p = self.population
        active = p.active == 1
        buyers = int(self._per_firm["buyers"].sum())
        non_buyers = int((active & (self.current < 0)).sum())
        return buyers + non_buyers == int(active.sum()) and int(
            self._per_firm["buying"][:, active].sum()) == buyers


#: The ``firm`` label of the outside option in :meth:`MarketModel.shares`.
NO_FIRM = "(none)"


def run_market(config: ModelConfig, seed) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run one market to ``config.steps``: its step metrics per firm and its resilience."""
    model = MarketModel(config, rng=seed).run()
    return model.metrics(), model.resilience()


def exits_table(model: MarketModel) -> pd.DataFrame:
    """When each firm entered and left (``math.nan`` if it never did)."""
    return pd.DataFrame([{"firm": f.name, "structure": f.structure,
                          "entered_at": math.nan if f.entered_at is None else f.entered_at,
                          "exited_at": math.nan if f.exited_at is None else f.exited_at}
                         for f in model.firms])
