"""FirmModel: one firm, its customers and stakeholders, in a market that shocks can move.

The model holds the state and the schedule; each submodel of ``docs/ODD.md`` section 7 lives
in a module named after it (:mod:`simulation.core.shocks`, :mod:`simulation.core.customers`,
:mod:`simulation.core.organization`, :mod:`simulation.core.stakeholders`,
:mod:`simulation.core.metrics`).
State lives in arrays (struct-of-arrays); the Mesa agents (:mod:`simulation.core.agents`) are thin
views onto them, so Mesa's tooling (``model.agents``, ``agents_by_type``, ``DataCollector``,
``SolaraViz``, ``batch_run``) works while the kernels stay fast.
"""

from __future__ import annotations

import gc
import inspect
import math
from functools import partial

import mesa
import numpy as np
import pandas as pd

from simulation import registry
from simulation.config.schema import (
    FLAT_FIELDS,
    ModelConfig,
    config_from_flat,
    flat_defaults,
)
from simulation.core import (
    conversation,
    customers,
    economics,
    metrics,
    organization,
    shocks,
    stakeholders,
)
from simulation.core.agents import Customer, Employee, Stakeholder
from simulation.core.market import Market
from simulation.core.structures import build_organization
from simulation.errors import ConfigError

_DEFAULTS = flat_defaults()

#: The independent random streams of a run, spawned from its seed in this order.
STREAMS = ("market", "customers", "stakeholders", "organization", "customer_dynamics",
           "organization_dynamics", "market_dynamics", "partner_dynamics", "conversation")


def _streams(seed, model_rng: np.random.Generator) -> dict[str, np.random.Generator]:
    """Independent generators per sub-system, derived from the run's seed.

    An integer seed is used as the root of a ``SeedSequence`` directly (so a seed means the
    same thing everywhere); otherwise the root is drawn from the model's Generator.
    """
    if isinstance(seed, (int, np.integer)):
        root = np.random.SeedSequence(int(seed))
    elif isinstance(seed, np.random.SeedSequence):
        # spawn() advances the sequence it is called on; a copy keeps the caller's seed
        # meaning the same run however often it is reused.
        root = np.random.SeedSequence(entropy=seed.entropy, spawn_key=seed.spawn_key,
                                      pool_size=seed.pool_size)
    else:
        root = np.random.SeedSequence(int(model_rng.integers(2**63)))
    children = root.spawn(len(STREAMS))
    return {name: np.random.default_rng(c) for name, c in zip(STREAMS, children, strict=True)}


def _view(part: str, name: str) -> property:
    """A read-only model attribute that is the array ``name`` of ``model.<part>``."""
    return property(lambda self: getattr(getattr(self, part), name),
                    doc=f"``{part}.{name}`` (kept on the model for the agents and the UI).")


def build_firm(firm, cfg: ModelConfig, streams: dict) -> None:
    """Build what one firm owns and set it on ``firm``: stakeholders, organization and its
    rules, capacity, proposal queues, conversation, books, counters and records.

    Shared by :class:`FirmModel` and a market's firms
    (:class:`simulation.core.competition.Competitor`), so a firm is built one way. ``firm``
    must already hold ``population``, ``n_customers``, ``market``, ``products`` and
    ``variant_of_segment``; the draws come from ``streams["stakeholders"]``,
    ``streams["organization"]`` and ``streams["conversation"]``.
    """
    firm.stakeholders = stakeholders.build_stakeholders(cfg, firm.n_customers,
                                                        streams["stakeholders"])
    firm.org = build_organization(cfg, streams["organization"])
    firm.spec = registry.get("structure", cfg.structure).rules(firm.org, cfg)
    firm.capacity = np.full(firm.org.size, cfg.firm.capacity, dtype=np.int64)
    firm.capacity_left = firm.capacity.copy()
    firm.workload = np.zeros(firm.org.size)
    firm.queues = organization.ProposalQueues.empty(firm.org.size, cfg.firm.queue_limit)
    firm.max_reviewers = organization.reviewer_limit(firm.org, cfg.firm.capacity)
    firm.conversation = conversation.build_conversation(firm, streams["conversation"])
    firm.economics = economics.Economics(
        cfg, firm.products, firm.variant_of_segment, firm.population.segment_sizes,
        firm.population.segment_active, firm.market, firm.org)
    firm.cascade_defections = 0
    # Approved changes in transit: (land step, attribute, value, variant, created step).
    firm.pending = []
    firm._reset_counters()
    firm.fired_shocks = []  # (shock number, step)
    # Set each step by the organization and stakeholder submodels; the values of step 0
    # until then (every attribute exists from construction).
    firm.budget_now = cfg.firm.change_budget
    firm.investor_pressure_now = 0.0
    firm.computed_metrics = metrics.computed_metrics()
    firm.records = metrics.empty_records()
    firm.segment_records = []


class RecordsCollector(mesa.DataCollector):
    """Mesa's DataCollector of the step metrics :data:`metrics.MESA_REPORTED`, collected from
    the model's records without Mesa's per-value ``deepcopy``.

    Each reporter is ``partial(metrics.latest, name=...)``: it returns the last recorded
    value, a Python ``float`` or ``int``, which ``deepcopy`` returns unchanged (the same
    object), so appending the record itself stores the same tables. The first collection
    goes through Mesa's own ``collect`` (which validates the reporters), and so does every
    collection once the reporters are not exactly those ``latest`` ones or agent reporters
    were added.
    """

    def collect(self, model) -> None:
        """Append this step's value of every reported metric (Mesa's ``collect``)."""
        reporters = tuple(self.model_reporters.values())
        fast = self.__dict__.get("_fast_columns")
        if fast is None or fast[0] != reporters or self.agent_reporters \
                or self.agenttype_reporters:
            super().collect(model)
            if self._validated and all(isinstance(r, partial) and r.func is metrics.latest
                                       for r in reporters):
                self._fast_columns = (reporters, [(self.model_vars[name], r.keywords["name"])
                                                  for name, r in self.model_reporters.items()])
            return
        self._collection_steps.append(model.time)
        records = model.records
        for column, name in fast[1]:
            column.append(records[name][-1])


class FirmModel(mesa.Model):
    """A firm of a given organizational structure in a market of customer segments.

    Parameters
    ----------
    structure : {"hierarchy", "siloed_social", "network", "podular", "open"}
        The organizational structure (the main treatment).
    rng : int, numpy.random.SeedSequence, numpy.random.Generator or None
        Seed of the run (Mesa's convention). An integer fixes every number of the run.
    config : ModelConfig, optional
        A full validated configuration; flat keywords that differ from their defaults
        override it.
    shocks : list of dict or Shock
        Scheduled shocks, e.g. ``[{"kind": "need_shift", "step": 100, "strength": 0.5}]``.
    **flat
        One keyword per :data:`simulation.config.schema.FLAT_FIELDS` entry (listed below).

    Examples
    --------
    >>> model = FirmModel(structure="network", rng=1, customers=2_000, steps=20)
    >>> model.run()
    >>> df = model.metrics()
    """

    def __init__(self, structure: str = _DEFAULTS["structure"], rng=None, *,
                 config: ModelConfig | None = None, shocks: list | None = None,
                 **flat) -> None:
        unknown = sorted(set(flat) - set(FLAT_FIELDS))
        if unknown:
            raise TypeError(f"FirmModel() got an unexpected keyword argument '{unknown[0]}'")
        super().__init__(rng=rng)
        given = {**flat, "structure": structure}
        if config is None:
            self.config = config_from_flat(**given, shocks=shocks or [])
        else:
            # Only keywords that differ from the defaults override the given config.
            overrides = {n: v for n, v in given.items() if v != _DEFAULTS[n]}
            if shocks is not None:
                overrides["shocks"] = shocks
            self.config = config_from_flat(config, **overrides)
        if self.config.firms:
            raise ConfigError("firms: FirmModel runs one firm; a market of several firms runs "
                              "with `firmsim compete` (simulation.core.competition.MarketModel)")
        self.streams = _streams(rng, self.rng)
        # Mesa registers every agent; with a million customers the garbage collector's
        # repeated scans of the growing containers dominate construction time.
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            self._build()
        finally:
            if gc_was_enabled:
                gc.enable()

    def _build(self) -> None:
        cfg, streams = self.config, self.streams
        self.structure = cfg.structure
        self.spec = registry.get("structure", cfg.structure)
        arrivals, sizes = shocks.segment_arrivals(cfg)
        self.total_segments = cfg.market.segments + len(arrivals)
        self.market = Market(cfg.market, self.total_segments, streams["market"])
        # The product: one variant, or one per segment, all starting from the same design.
        initial = streams["market"].integers(0, 2, size=cfg.market.attributes).astype(np.uint8)
        policy = registry.get("product_policy", cfg.firm.variants)
        self.variant_of_segment = np.asarray(policy.variants(self.total_segments),
                                             dtype=np.int64)
        self.products = np.tile(initial, (int(self.variant_of_segment.max()) + 1, 1))
        self.segment_fitness = np.zeros(self.total_segments)
        initial_value = np.empty(self.total_segments)
        self.market.normalised_fitness(self.products, self.variant_of_segment, initial_value)
        self.population = customers.build_customers(cfg, arrivals, sizes, initial_value,
                                                    streams["customers"])
        self.n_customers = self.population.size
        self.customer_draws = customers.customer_draws(streams["customer_dynamics"],
                                                       self.n_customers)
        self.outside_option = cfg.market.outside_option
        build_firm(self, cfg, streams)
        self.turbulence_windows = shocks.background_turbulence(cfg)
        # The Mesa agents are made on first use (_agent_views): no submodel reads them, and
        # making one per customer was about half of a build at the atlas's size.
        self._views = None
        self.update_fitness()
        self.datacollector = RecordsCollector(model_reporters={
            name: partial(metrics.latest, name=name) for name in metrics.MESA_REPORTED})
        self.running = True

    def _agent_views(self) -> tuple[list, list, list]:
        """The Mesa agents (customers, employees, stakeholders), made on first use.

        They hold nothing but their index (views onto the arrays), and making them draws no
        random number, so making them late changes no result; they are made all at once, in
        the order they always had, so their ``unique_id`` are the same too.
        """
        if self._views is None:
            gc_was_enabled = gc.isenabled()
            gc.disable()  # as in the build: Mesa's registries grow by one entry per agent
            try:
                self._views = (
                    [Customer(self, i) for i in range(self.n_customers)],
                    [Employee(self, i) for i in range(self.org.size)],
                    [Stakeholder(self, i) for i in range(self.stakeholders.stance.shape[0])])
            finally:
                if gc_was_enabled:
                    gc.enable()
        return self._views

    customer_agents = property(lambda self: self._agent_views()[0],
                               doc="The customers' Mesa agents (made on first use).")
    employee_agents = property(lambda self: self._agent_views()[1],
                               doc="The employees' Mesa agents (made on first use).")
    stakeholder_agents = property(lambda self: self._agent_views()[2],
                                  doc="The stakeholders' Mesa agents (made on first use).")

    @property
    def agents(self):
        """Mesa's set of every agent (made on first use)."""
        self._agent_views()
        return super().agents

    @property
    def agents_by_type(self):
        """Mesa's agent sets by agent type (made on first use)."""
        self._agent_views()
        return super().agents_by_type

    @property
    def agent_types(self):
        """Mesa's agent types (made on first use)."""
        self._agent_views()
        return super().agent_types

    # Arrays of the parts, kept as model attributes for the agents, the UI and the tests.
    segment = _view("population", "segment")
    active = _view("population", "active")
    taste = _view("population", "taste")
    belief = _view("population", "belief")
    buying = _view("population", "buying")
    satisfaction = _view("population", "satisfaction")
    sentiment = _view("population", "sentiment")
    is_partner = _view("population", "is_partner")
    indptr = _view("population", "indptr")
    indices = _view("population", "indices")
    stance = _view("stakeholders", "stance")
    stakeholder_kind = _view("stakeholders", "kind")
    q_length = _view("queues", "length")

    @property
    def step_index(self) -> int:
        """Number of steps completed (the next step's index)."""
        return len(self.records["market_share"])

    @property
    def market_share(self) -> float:
        """Share of the active customers who bought in the last step."""
        active = self.population.active_count.sum()
        return float(self.population.buyers.sum() / active) if active else 0.0

    def update_fitness(self) -> None:
        """Recompute each segment's normalised fitness of its product variant."""
        self.market.normalised_fitness(self.products, self.variant_of_segment,
                                       self.segment_fitness)

    def _reset_counters(self) -> None:
        """This step's counts of proposals, messages and staff surveys, and its latencies."""
        self.counters = dict.fromkeys(
            ("made", "approved", "implemented", "vetoed", "dropped", "messages", "staff"), 0)
        self.latencies: list[int] = []

    def step(self) -> None:
        """Advance one step, in the order of ``docs/ODD.md`` section 3."""
        t = self.step_index
        self._reset_counters()
        shocks.apply_shocks(self, t)                    # 1. shocks and turbulence
        organization.land_changes(self, t)              # 2. implementation
        self.update_fitness()                           # 3. fitness of the product
        conversation.speak(self)                        # 4. the firm's answers
        customers.customer_step(self)                   # 5. customers
        organization.organization_step(self, t)         # 6. organization
        self.economics.book(self)                       # 7. the books
        stakeholders.update_stances(self)               # 8. stakeholders
        metrics.record_step(self)                       # 9. metrics
        self.datacollector.collect(self)

    def run(self, steps: int | None = None) -> FirmModel:
        """Run ``steps`` more steps (default: up to the planned ``config.steps``)."""
        if steps is None:
            steps = max(0, self.config.steps - self.step_index)
        if steps < 0:
            raise ConfigError(f"steps={steps}: must be >= 0")
        for _ in range(steps):
            self.step()
        return self

    def metrics(self) -> pd.DataFrame:
        """One row per completed step, one column per metric (``fitness_s<i>`` per segment)."""
        return metrics.step_frame(self.records, self.segment_records)

    def shock_schedule(self) -> pd.DataFrame:
        """The configured shocks with their number, kind, step and strength."""
        return pd.DataFrame(
            [{"shock": i, "kind": s.kind, "step": s.step,
              "strength": getattr(s, "strength", math.nan)}
             for i, s in enumerate(self.config.shocks)],
            columns=["shock", "kind", "step", "strength"],
        )

    def resilience(self, metric: str = "market_share", **options) -> pd.DataFrame:
        """Resilience figures of ``metric`` for every shock that has happened.

        See :func:`simulation.core.metrics.resilience_table` for the definitions and ``options``.
        """
        frame = self.metrics()
        if metric not in frame.columns:
            raise ConfigError(
                f"metric={metric!r}: allowed values are {', '.join(frame.columns[1:])}")
        schedule = self.shock_schedule()
        schedule = schedule[schedule["step"] < len(frame)]
        return metrics.resilience_table(frame[metric].to_numpy(), schedule, metric=metric,
                                        **options)


def _flat_description(name: str) -> str:
    section, field = FLAT_FIELDS[name]
    owner = ModelConfig if section is None else ModelConfig.model_fields[section].annotation
    return owner.model_fields[field].description


def _flat_signature() -> inspect.Signature:
    """``__init__``'s signature with one keyword per flat field (Mesa's tools read it)."""
    keyword = inspect.Parameter.KEYWORD_ONLY
    own = inspect.signature(FirmModel.__init__).parameters
    parameters = [own["self"], own["structure"], own["rng"], own["config"], own["shocks"]]
    parameters += [inspect.Parameter(name, keyword, default=_DEFAULTS[name],
                                     annotation=type(_DEFAULTS[name]).__name__)
                   for name in FLAT_FIELDS if name != "structure"]
    return inspect.Signature(parameters, return_annotation=None)


def _flat_docstring(doc: str) -> str:
    """``doc`` with an "Other Parameters" section: one entry per flat keyword, whose line is
    the description of its configuration field."""
    entries = "".join(
        f"    {name} : {type(_DEFAULTS[name]).__name__}, default {_DEFAULTS[name]!r}\n"
        f"        {_flat_description(name)}\n"
        for name in FLAT_FIELDS if name != "structure")
    section = f"    Other Parameters\n    ----------------\n{entries}\n"
    return doc.replace("    Examples\n", section + "    Examples\n", 1)


FirmModel.__init__.__signature__ = _flat_signature()
FirmModel.__doc__ = _flat_docstring(FirmModel.__doc__)
