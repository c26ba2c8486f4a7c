"""FirmModel: one firm, its customers and stakeholders, in a market that shocks can move.

State lives in arrays (struct-of-arrays) owned by the model; the Mesa agents
(:mod:`simulation.agents`) are thin views onto them, so Mesa's tooling (``model.agents``,
``agents_by_type``, ``DataCollector``, ``SolaraViz``) works while the kernels stay fast.
The order of one step is documented in ``docs/ODD.md`` and in :meth:`FirmModel.step`.
"""

from __future__ import annotations

import gc
import math
from functools import partial

import mesa
import numpy as np
import pandas as pd

from .agents import Customer, Employee, Stakeholder
from .config import FLAT_FIELDS, ModelConfig, config_from_flat, flat_defaults
from .errors import ConfigError
from .kernels import customers as customer_kernels
from .kernels import organization as org_kernels
from .kernels.sensing import sense_changes
from .market import Market
from .metrics import resilience_table
from .networks import build_network
from .structures import HUB, MANAGER, build_organization, repair_after_loss

_D = flat_defaults()

#: Names of the per-step metrics, in column order (per-segment fitness columns follow).
STEP_METRICS = (
    "market_share", "revenue", "fitness", "satisfaction", "sentiment", "outside_option",
    "stance_investors", "stance_media", "stance_partners", "change_budget",
    "proposals_made", "proposals_approved", "proposals_implemented", "proposals_vetoed",
    "proposals_dropped", "messages_sent", "largest_queue", "decision_latency", "workload",
    "customers_active", "customers_buying", "employees_active",
)

#: Metrics Mesa's DataCollector reports each step (``model.datacollector``; ``batch_run``).
MESA_REPORTED = ("market_share", "revenue", "fitness", "satisfaction", "sentiment",
                 "decision_latency", "largest_queue", "messages_sent")

INVESTOR, MEDIA, PARTNER = 0, 1, 2


def _latest(model: FirmModel, name: str) -> float:
    return model._records[name][-1]
STAKEHOLDER_KINDS = ("investor", "media", "partner")


def _stream_seeds(model_rng_argument, model_rng: np.random.Generator):
    """Independent generators per sub-system, derived from the run's seed.

    An integer seed is used as the root of a ``SeedSequence`` directly (so a seed means the
    same thing everywhere); otherwise the root is drawn from the model's Generator.
    """
    if isinstance(model_rng_argument, (int, np.integer)):
        root = np.random.SeedSequence(int(model_rng_argument))
    elif isinstance(model_rng_argument, np.random.SeedSequence):
        # spawn() advances the sequence it is called on; a copy keeps the caller's seed
        # meaning the same run however often it is reused.
        root = np.random.SeedSequence(
            entropy=model_rng_argument.entropy, spawn_key=model_rng_argument.spawn_key,
            pool_size=model_rng_argument.pool_size)
    else:
        root = np.random.SeedSequence(int(model_rng.integers(2**63)))
    names = ("market", "customers", "stakeholders", "organization", "customer_dynamics",
             "organization_dynamics", "market_dynamics", "partner_dynamics")
    children = root.spawn(len(names))
    return {name: np.random.default_rng(child) for name, child in zip(names, children,
                                                                      strict=True)}


class FirmModel(mesa.Model):
    """A firm of a given organizational structure in a market of customer segments.

    Parameters
    ----------
    structure : {"hierarchy", "siloed_social", "network", "podular", "open"}
        The organizational structure (the main treatment).
    rng : int, numpy.random.SeedSequence, numpy.random.Generator or None
        Seed of the run (Mesa's convention). An integer fixes every number of the run.
    config : ModelConfig, optional
        A full validated configuration; flat keywords given explicitly override it.
    steps : int
        Planned number of steps (shocks must fall before it; :meth:`run` defaults to it).
    shocks : list of dict or Shock
        Scheduled shocks, e.g. ``[{"kind": "need_shift", "step": 100, "strength": 0.5}]``.
    **other keywords
        Every other flat keyword sets one field of :class:`simulation.config.ModelConfig`
        (``customers`` is ``customers.count``, ``employees`` is ``firm.employees``, ``k`` is
        ``market.k``...; :data:`simulation.config.FLAT_FIELDS` lists them all).

    Examples
    --------
    >>> model = FirmModel(structure="network", rng=1, customers=2_000, steps=20)
    >>> model.run()
    >>> df = model.metrics()
    """

    def __init__(
        self,
        structure: str = _D["structure"],
        rng=None,
        *,
        config: ModelConfig | None = None,
        steps: int = _D["steps"],
        shocks: list | None = None,
        # market
        segments: int = _D["segments"],
        attributes: int = _D["attributes"],
        k: int = _D["k"],
        modules: int = _D["modules"],
        cross_module_share: float = _D["cross_module_share"],
        segment_correlation: float = _D["segment_correlation"],
        turbulence: float = _D["turbulence"],
        outside_option: float = _D["outside_option"],
        price: float = _D["price"],
        # customers
        customers: int = _D["customers"],
        customer_network: str = _D["customer_network"],
        customer_degree: int = _D["customer_degree"],
        customer_rewiring: float = _D["customer_rewiring"],
        taste_sd: float = _D["taste_sd"],
        experience_noise: float = _D["experience_noise"],
        choice_sensitivity: float = _D["choice_sensitivity"],
        reconsider_rate: float = _D["reconsider_rate"],
        experience_weight: float = _D["experience_weight"],
        talk_rate: float = _D["talk_rate"],
        amplification: float = _D["amplification"],
        word_of_mouth_weight: float = _D["word_of_mouth_weight"],
        partner_share: float = _D["partner_share"],
        customer_partner_rate: float = _D["customer_partner_rate"],
        # firm
        employees: int = _D["employees"],
        span: int = _D["span"],
        capacity: int = _D["capacity"],
        queue_limit: int = _D["queue_limit"],
        pod_size: int = _D["pod_size"],
        hub_span: int = _D["hub_span"],
        variants: str = _D["variants"],
        change_budget: int = _D["change_budget"],
        lateral_links: float = _D["lateral_links"],
        network_degree: int = _D["network_degree"],
        side_effect_awareness: float = _D["side_effect_awareness"],
        sense_rate: float = _D["sense_rate"],
        sample_size: int = _D["sample_size"],
        feedback_noise: float = _D["feedback_noise"],
        hop_noise: float = _D["hop_noise"],
        survey_interval: int = _D["survey_interval"],
        # stakeholders
        investors: int = _D["investors"],
        media: int = _D["media"],
        partners: int = _D["partners"],
        stance_rate: float = _D["stance_rate"],
        media_reach: float = _D["media_reach"],
        media_influence: float = _D["media_influence"],
        media_tone: float = _D["media_tone"],
        investor_sensitivity: float = _D["investor_sensitivity"],
        stakeholder_partner_rate: float = _D["stakeholder_partner_rate"],
    ) -> None:
        super().__init__(rng=rng)
        given = {name: value for name, value in locals().items() if name in FLAT_FIELDS}
        if config is None:
            self.config = config_from_flat(**given, shocks=shocks or [])
        else:
            # Only keywords that differ from the defaults override the given config.
            overrides = {name: value for name, value in given.items() if value != _D[name]}
            if shocks is not None:
                overrides["shocks"] = shocks
            self.config = config_from_flat(config, **overrides)
        self._streams = _stream_seeds(rng, self.rng)
        # Mesa registers every agent; with a million customers the garbage collector's
        # repeated scans of the growing containers dominate construction time.
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            self._build()
        finally:
            if gc_was_enabled:
                gc.enable()

    # ------------------------------------------------------------------ construction
    def _build(self) -> None:
        cfg = self.config
        self.structure = cfg.structure
        arrivals = [s for s in cfg.shocks if s.kind == "new_segment"]
        initial_segments = cfg.market.segments
        self.total_segments = initial_segments + len(arrivals)
        self.market = Market(cfg.market, self.total_segments, self._streams["market"])
        self._build_products()
        self._build_customers(arrivals)
        self._build_stakeholders()
        self.org = build_organization(cfg, self._streams["organization"])
        self._build_employee_state()
        self.outside_option = cfg.market.outside_option
        # Approved changes in transit: (land step, attribute, value, variant, created step).
        self._pending: list[tuple[int, int, int, int, int]] = []
        self._fired_shocks: list[tuple[int, int]] = []  # (shock number, step)
        self._turbulence_windows = [(0, cfg.steps, cfg.market.turbulence)] if (
            cfg.market.turbulence > 0) else []
        self._records: dict[str, list] = {name: [] for name in STEP_METRICS}
        self._segment_records: list[np.ndarray] = []
        self._revenue_history: list[float] = []
        self.customer_agents = [Customer(self, i) for i in range(self.n_customers)]
        self.employee_agents = [Employee(self, i) for i in range(self.org.size)]
        self.stakeholder_agents = [Stakeholder(self, i) for i in range(self.stance.shape[0])]
        self._update_fitness()
        self.datacollector = mesa.DataCollector(
            model_reporters={name: partial(_latest, name=name) for name in MESA_REPORTED})
        self.running = True

    def _build_products(self) -> None:
        cfg, rng = self.config, self._streams["market"]
        initial = rng.integers(0, 2, size=cfg.market.attributes).astype(np.uint8)
        if cfg.firm.variants == "standard":
            self.products = initial[None, :].copy()
            self.variant_of_segment = np.zeros(self.total_segments, dtype=np.int64)
        else:
            self.products = np.tile(initial, (self.total_segments, 1))
            self.variant_of_segment = np.arange(self.total_segments, dtype=np.int64)
        self.segment_fitness = np.zeros(self.total_segments)

    def _build_customers(self, arrivals) -> None:
        cfg, rng = self.config, self._streams["customers"]
        initial = cfg.customers.count
        sizes = [int(s.count or round(s.strength * initial)) for s in arrivals]
        counts = np.bincount(
            (np.arange(initial) * cfg.market.segments) // initial,
            minlength=cfg.market.segments,
        ).tolist() + [max(1, size) for size in sizes]
        self.n_customers = int(sum(counts))
        self.segment_start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self.segment = np.repeat(np.arange(self.total_segments), counts).astype(np.int64)
        self.active = (self.segment < cfg.market.segments).astype(np.uint8)
        self.segment_arrival = {cfg.market.segments + i: s.step for i, s in enumerate(arrivals)}
        self.segment_active = np.arange(self.total_segments) < cfg.market.segments
        self._segment_sizes = np.diff(self.segment_start).astype(float)
        c = cfg.customers
        self.indptr, self.indices = build_network(
            c.network, self.n_customers, c.degree, c.rewiring, rng
        )
        self.taste = rng.normal(0.0, c.taste_sd, self.n_customers)
        self.is_partner = rng.random(self.n_customers) < c.partner_share
        initial_value = np.empty(self.total_segments)
        self.market.normalised_fitness(self.products, self.variant_of_segment, initial_value)
        self.belief = initial_value[self.segment] + self.taste
        chance = 1.0 / (1.0 + np.exp(-c.choice_sensitivity * (
            self.belief - cfg.market.outside_option)))
        self.buying = ((rng.random(self.n_customers) < chance) & (self.active == 1)).astype(
            np.uint8)
        self.satisfaction = np.where(self.buying == 1, chance, 0.0)
        self.sentiment = 2.0 * chance - 1.0
        self._opinion = np.empty(self.n_customers)
        self._talks = np.zeros(self.n_customers, dtype=np.uint8)
        self._media_sum = np.zeros(self.n_customers)
        self._media_count = np.zeros(self.n_customers)
        self._buyers = np.zeros(self.total_segments, dtype=np.int64)
        self._active_count = np.zeros(self.total_segments, dtype=np.int64)
        self._satisfaction_sum = np.zeros(self.total_segments)
        self._sentiment_sum = np.zeros(self.total_segments)

    def _build_stakeholders(self) -> None:
        cfg, rng = self.config, self._streams["stakeholders"]
        s = cfg.stakeholders
        kinds = [INVESTOR] * s.investors + [MEDIA] * s.media + [PARTNER] * s.partners
        self.stakeholder_kind = np.array(kinds, dtype=np.int8)
        self.stance = np.zeros(len(kinds))
        # Investors judge growth over their own horizon (5 to 20 steps).
        self.investor_horizon = rng.integers(5, 21, size=len(kinds))
        reach = max(1, int(round(s.media_reach * cfg.customers.count)))
        media_lists = [
            np.sort(rng.choice(self.n_customers, size=min(reach, self.n_customers), replace=False))
            for _ in range(s.media)
        ]
        self.media_reach_ptr = np.concatenate(
            [[0], np.cumsum([m.shape[0] for m in media_lists])]).astype(np.int64)
        self.media_reach = (np.concatenate(media_lists) if media_lists
                            else np.empty(0, np.int64)).astype(np.int64)

    def _build_employee_state(self) -> None:
        cfg = self.config
        employees = self.org.size
        slots = cfg.firm.queue_limit
        self.capacity = np.full(employees, cfg.firm.capacity, dtype=np.int64)
        self.capacity_left = self.capacity.copy()
        self.q_attribute = np.zeros((employees, slots), dtype=np.int64)
        self.q_value = np.zeros((employees, slots), dtype=np.uint8)
        self.q_variant = np.zeros((employees, slots), dtype=np.int64)
        self.q_noise = np.zeros((employees, slots))
        self.q_origin = np.zeros((employees, slots), dtype=np.int64)
        self.q_created = np.zeros((employees, slots), dtype=np.int64)
        self.q_arrived = np.zeros((employees, slots), dtype=np.int64)
        self.q_head = np.zeros(employees, dtype=np.int64)
        self.q_length = np.zeros(employees, dtype=np.int64)
        self.workload = np.zeros(employees)
        max_peers = int(np.diff(self.org.peer_ptr).max(initial=0))
        self._max_reviewers = max(1, min(max_peers, cfg.firm.capacity * 4))

    # ------------------------------------------------------------------ properties
    @property
    def step_index(self) -> int:
        """Number of steps completed (the next step's index)."""
        return len(self._records["market_share"])

    @property
    def market_share(self) -> float:
        active = self._active_count.sum()
        return float(self._buyers.sum() / active) if active else 0.0

    def _serve_weight(self) -> np.ndarray:
        """Share of each variant's customers in each segment (V, S); arrived segments only."""
        variants = self.products.shape[0]
        weight = np.zeros((variants, self.total_segments))
        weight[self.variant_of_segment, np.arange(self.total_segments)] = np.where(
            self.segment_active, self._segment_sizes, 0.0)
        totals = weight.sum(axis=1, keepdims=True)
        return np.divide(weight, totals, out=np.zeros_like(weight), where=totals > 0)

    def _update_fitness(self) -> None:
        self.market.normalised_fitness(self.products, self.variant_of_segment,
                                       self.segment_fitness)

    # ------------------------------------------------------------------ the step
    def step(self) -> None:
        """Advance one step.

        Order: (1) scheduled shocks and turbulence; (2) approved changes whose lag has run
        out land on the product; (3) media push beliefs, customers experience, talk and
        choose; (4) employees (and, in ``open``, partner customers and partners) test
        changes, review, pass proposals along the structure and decide; (5) stakeholders
        update their stances; (6) metrics are recorded.
        """
        t = self.step_index
        self._counters = dict.fromkeys(
            ("made", "approved", "implemented", "vetoed", "dropped", "messages"), 0)
        self._latencies: list[int] = []
        self._apply_shocks(t)
        self._land_changes(t)
        self._update_fitness()
        self._customer_step()
        self._organization_step(t)
        self._stakeholder_step()
        self._record(t)
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

    # ------------------------------------------------------------------ shocks
    def _apply_shocks(self, t: int) -> None:
        rng = self._streams["market_dynamics"]
        for number, shock in enumerate(self.config.shocks):
            if shock.step != t:
                continue
            self._fired_shocks.append((number, t))
            kind = shock.kind
            if kind == "need_shift":
                hit = shock.segments or [s for s in range(self.total_segments)
                                         if self._segment_is_active(s)]
                for segment in hit:
                    self.market.redraw(segment, shock.strength, rng)
            elif kind == "turbulence":
                end = self.config.steps if shock.duration == 0 else t + shock.duration
                self._turbulence_windows.append((t, end, shock.strength))
            elif kind == "competitor_entry":
                self.outside_option += shock.strength
            elif kind == "reputation_crisis":
                self.stance[self.stakeholder_kind == MEDIA] = -shock.strength
                active = np.flatnonzero(self.active)
                seeded = active[rng.random(active.shape[0]) < shock.share]
                self.belief[seeded] -= shock.strength
            elif kind == "talent_loss":
                self._talent_loss(shock, rng)
            elif kind == "new_segment":
                self._new_segment_arrives(t)
        for start, end, probability in self._turbulence_windows:
            if start <= t < end and rng.random() < probability:
                live = [s for s in range(self.total_segments) if self._segment_is_active(s)]
                segment = live[int(rng.integers(len(live)))]
                attribute = int(rng.integers(self.market.attributes))
                self.market.redraw_attribute(segment, attribute, rng)

    def _segment_is_active(self, segment: int) -> bool:
        return bool(self.segment_active[segment])

    def _talent_loss(self, shock, rng) -> None:
        alive = np.flatnonzero(self.org.alive)
        leaving_count = min(int(round(shock.strength * alive.shape[0])), alive.shape[0] - 1)
        if leaving_count <= 0:
            return
        order = rng.permutation(alive)
        if shock.target == "managers":
            senior = np.isin(self.org.role[order], (MANAGER, HUB))
            order = np.concatenate([order[senior], order[~senior]])
        leaving = order[:leaving_count]
        self._counters["dropped"] += int(self.q_length[leaving].sum())
        self.q_length[leaving] = 0
        repair_after_loss(self.org, leaving)
        self.capacity_left[leaving] = 0

    def _new_segment_arrives(self, t: int) -> None:
        arriving = [s for s, step in self.segment_arrival.items() if step == t]
        for segment in arriving:
            a, b = self.segment_start[segment], self.segment_start[segment + 1]
            self.active[a:b] = 1
            self.segment_active[segment] = True
            if self.products.shape[0] > 1:
                # A new segment first gets the firm's existing product (variant of segment 0).
                self.products[self.variant_of_segment[segment]] = self.products[
                    self.variant_of_segment[0]]
            self._update_fitness()
            self.belief[a:b] = self.segment_fitness[segment] + self.taste[a:b]
            self._rescope_for(segment)

    def _rescope_for(self, segment: int) -> None:
        """Re-scope every n-th sensing employee (or pod) to a newly arrived segment.

        With ``n`` active segments after the arrival, every n-th sensing employee (in index
        order; in pods, every n-th pod) turns to the new segment, keeping its module.
        """
        live_segments = sum(self._segment_is_active(s) for s in range(self.total_segments))
        org = self.org
        if org.kind == "pods":
            pods = np.unique(org.pod[org.pod >= 0])
            chosen = pods[::live_segments][: max(1, pods.shape[0] // live_segments)]
            org.segment[np.isin(org.pod, chosen)] = segment
        else:
            sensors = np.flatnonzero(org.senses & (org.segment >= 0))
            org.segment[sensors[::live_segments]] = segment

    # ------------------------------------------------------------------ changes
    def _land_changes(self, t: int) -> None:
        still_pending = []
        for change in self._pending:
            land, attribute, value, variant, created = change
            if land <= t:
                self.products[variant, attribute] = value
                self._counters["implemented"] += 1
                self._latencies.append(land - created)
            else:
                still_pending.append(change)
        self._pending = still_pending

    def _projected_products(self) -> np.ndarray:
        """The product variants as they will be once every approved change has landed."""
        projected = self.products.copy()
        for _, attribute, value, variant, _ in sorted(self._pending):
            projected[variant, attribute] = value
        return projected

    # ------------------------------------------------------------------ customers
    def _customer_step(self) -> None:
        c = self.config.customers
        rng = self._streams["customer_dynamics"]
        n = self.n_customers
        stakeholders = self.config.stakeholders
        broadcast = self.outside_option + stakeholders.media_tone * self.stance[
            self.stakeholder_kind == MEDIA]
        customer_kernels.media_exposure(
            self.media_reach_ptr, self.media_reach, broadcast, self._media_sum,
            self._media_count,
        )
        uniforms = rng.random((2, n))
        normals = rng.standard_normal(n)
        customer_kernels.customer_step(
            self.active, self.buying, self.segment, self.taste, self.belief, self.satisfaction,
            self.sentiment, self._opinion, self._talks, self.indptr, self.indices,
            self._media_sum, self._media_count, stakeholders.media_influence,
            self.segment_fitness, self.outside_option,
            uniforms[0], uniforms[1], normals,
            c.experience_noise, c.experience_weight, c.talk_rate, c.amplification,
            c.word_of_mouth_weight, c.choice_sensitivity, c.reconsider_rate,
            self._buyers, self._active_count, self._satisfaction_sum, self._sentiment_sum,
        )

    # ------------------------------------------------------------------ organization
    def _effective_budget(self) -> int:
        """The change budget, shrunk by up to half when investors turn negative."""
        investors = self.stance[self.stakeholder_kind == INVESTOR]
        mood = float(investors.mean()) if investors.size else 0.0
        budget = self.config.firm.change_budget
        return max(1, int(math.floor(budget * (1.0 + 0.5 * min(0.0, mood)) + 0.5)))

    def _sense(self, sensors: np.ndarray, awareness: float, sample_size: int,
               rng: np.random.Generator, modules=None, segments=None):
        """Run one test per sensor; returns the arrays of :func:`sense_changes`."""
        count = sensors.shape[0]
        f = self.config.firm
        modules = self.org.module[sensors] if modules is None else modules
        segments = self.org.segment[sensors] if segments is None else segments
        out = (np.empty(count, np.int64), np.empty(count, np.uint8), np.empty(count),
               np.empty(count), np.empty(count, np.int64))
        attribute_draw = rng.random(count)
        sample_draw = rng.random((count, sample_size))
        noise_draw = rng.standard_normal((count, sample_size)) * f.feedback_noise
        sense_changes(
            modules, segments, self.market.module_start, self.variant_of_segment, self.products,
            self.market.dependencies, self.market.contributions, self.market.max_fitness,
            self.market.dependents_ptr, self.market.dependents, self.market.module_of,
            self.segment_start, self.active, self.buying, awareness,
            attribute_draw, sample_draw, noise_draw, *out,
        )
        return out

    def _organization_step(self, t: int) -> None:
        org, f = self.org, self.config.firm
        rng = self._streams["organization_dynamics"]
        self.capacity_left[:] = np.where(org.alive == 1, self.capacity, 0)
        budget = self._effective_budget()
        self._budget_now = budget

        # 1. Who tests a change this step.
        sensing = org.senses & (org.alive == 1) & (org.segment >= 0)
        draw = rng.random(org.size)
        on_survey = (t % f.survey_interval) == 0
        tests = sensing & np.where(org.survey_only, on_survey, draw < f.sense_rate)
        tests &= self.capacity_left > 0
        sensors = np.flatnonzero(tests)
        self.capacity_left[sensors] -= 1
        attribute, value, local, noise, responders = self._sense(
            sensors, f.side_effect_awareness, f.sample_size, rng)
        valid = responders > 0
        proposer, attribute, value = sensors[valid], attribute[valid], value[valid]
        local, noise = local[valid], noise[valid]
        segment = org.segment[proposer]

        # 2. Open firms: partner customers and partner stakeholders bring proposals too.
        if self.structure == "open":
            extra = self._partner_proposals(t)
            if extra is not None:
                proposer = np.concatenate([proposer, extra[0]])
                attribute = np.concatenate([attribute, extra[1]])
                value = np.concatenate([value, extra[2]])
                local = np.concatenate([local, extra[3]])
                noise = np.concatenate([noise, extra[4]])
                segment = np.concatenate([segment, extra[5]])
        variant = self.variant_of_segment[segment] if segment.size else segment

        # 3. Local deciders ask their peers; everyone else applies its own first filter.
        locally = org.decides_locally[proposer]
        judged_noise = noise.copy()
        reviewed = np.flatnonzero(locally)
        if reviewed.size:
            noise_sum = np.empty(reviewed.size)
            reviewers = np.empty(reviewed.size, dtype=np.int64)
            review_draw = rng.standard_normal((reviewed.size, self._max_reviewers)) * (
                f.feedback_noise / math.sqrt(f.sample_size))
            org_kernels.peer_review(
                proposer[reviewed], org.peer_ptr, org.peers, org.alive, self.capacity_left,
                review_draw, noise_sum, reviewers,
            )
            judged_noise[reviewed] = (noise[reviewed] + noise_sum) / (1.0 + reviewers)
            self._counters["messages"] += 2 * int(reviewers.sum())
        good = local + judged_noise > 0.0
        self._counters["made"] += int(good.sum())

        # 4. Route: escalate up the tree, queue at a hub, or decide directly.
        direct = []
        for p in np.flatnonzero(good):
            e = proposer[p]
            up = org.parent[e]
            if org.kind == "pods" or not locally[p]:
                if up < 0:
                    if org.kind == "pods":
                        direct.append(p)  # no hub left: the pod's decision stands
                    continue
                self._counters["messages"] += 1
                accepted = org_kernels.push(
                    up, attribute[p], value[p], variant[p], judged_noise[p], e, t, t,
                    self.q_attribute, self.q_value, self.q_variant, self.q_noise,
                    self.q_origin, self.q_created, self.q_arrived, self.q_head, self.q_length,
                )
                if not accepted:
                    self._counters["dropped"] += 1
            else:
                direct.append(p)

        # 5. Messages climb one level; tops (the CEO, hubs) decide against the projection.
        remaining = budget
        if org.kind in ("tree", "pods"):
            remaining -= self._climb_and_decide(t, budget, rng)

        # 6. Local decisions take what is left of the budget, in random order.
        if direct:
            direct = np.array(direct)[rng.permutation(len(direct))]
            for p in direct[:max(0, remaining)]:
                self._pending.append((t + 1, int(attribute[p]), int(value[p]),
                                      int(variant[p]), t))
                self._counters["approved"] += 1
            self._counters["vetoed"] += max(0, len(direct) - max(0, remaining))

        used = self.capacity - self.capacity_left
        alive = org.alive == 1
        self.workload = np.where(alive, used / np.maximum(self.capacity, 1), 0.0)

    def _climb_and_decide(self, t: int, budget: int, rng) -> int:
        """Move queued proposals up one level and let the tops decide. Returns approvals."""
        org, f = self.org, self.config.firm
        tops = int(((org.parent == -1) & (org.alive == 1)).sum())
        size = max(1, tops * f.capacity)
        taken_buffers = (np.empty(size, np.int64), np.empty(size, np.uint8),
                         np.empty(size, np.int64), np.empty(size), np.empty(size, np.int64),
                         np.empty(size, np.int64))
        hop_draw = rng.standard_normal(max(1, int(self.q_length.sum()))) * f.hop_noise
        taken, forwarded, dropped = org_kernels.climb_tree(
            org.parent, org.alive, self.capacity_left, t, hop_draw,
            self.q_attribute, self.q_value, self.q_variant, self.q_noise, self.q_origin,
            self.q_created, self.q_arrived, self.q_head, self.q_length, *taken_buffers,
        )
        self._counters["messages"] += int(forwarded)
        self._counters["dropped"] += int(dropped)
        if taken == 0:
            return 0
        attribute, value, variant, noise, origin, created = (b[:taken] for b in taken_buffers)
        projected = self._projected_products()
        order = np.empty(taken, dtype=np.int64)
        approved = org_kernels.decide(
            projected, attribute, value, variant, noise, budget, org.kind == "tree",
            self._serve_weight(), self.market.dependencies, self.market.contributions,
            self.market.max_fitness, self.market.dependents_ptr, self.market.dependents,
            self.market.module_of, order,
        )
        for c in order[:approved]:
            # An approved change travels back down to the proposer's level before it lands.
            lag = max(1, int(org.depth[origin[c]]))
            self._pending.append((t + lag, int(attribute[c]), int(value[c]), int(variant[c]),
                                  int(created[c])))
            self._counters["messages"] += lag
        self._counters["approved"] += int(approved)
        self._counters["vetoed"] += int(taken - approved)
        return int(approved)

    def _partner_proposals(self, t: int):
        """Proposals of partner customers and partner stakeholders (``open`` only).

        A partner customer tests a change on its own needs: a sample of one (itself), judging
        the whole product's value for its segment. A partner stakeholder runs a test like an
        employee's but on the whole product. Each proposal goes to a random working member of
        a pod owning the attribute's module and the segment (any pod of the module if none
        owns that segment), which spends one unit of capacity on it; with no capacity left
        it is dropped.
        """
        rng = self._streams["partner_dynamics"]
        org, f = self.org, self.config.firm
        partners = np.flatnonzero(self.is_partner & (self.active == 1))
        speaking = partners[rng.random(partners.shape[0]) < self.config.customers.partner_rate]
        stake = np.flatnonzero(self.stakeholder_kind == PARTNER)
        # A partner with a good stance proposes up to twice as often; a hostile one stops.
        stake_chance = self.config.stakeholders.partner_rate * (1.0 + self.stance[stake])
        stake_speaking = stake[rng.random(stake.shape[0]) < stake_chance]
        live_segments = np.array([s for s in range(self.total_segments)
                                  if self._segment_is_active(s)])
        results = []
        if speaking.size:
            segments = self.segment[speaking]
            out = self._sense_on_self(speaking, segments, rng)
            results.append((out, segments))
        if stake_speaking.size:
            segments = live_segments[rng.integers(live_segments.shape[0],
                                                  size=stake_speaking.shape[0])]
            out = self._sense(stake_speaking, 1.0, f.sample_size, rng,
                              modules=np.full(stake_speaking.shape[0], -1, np.int64),
                              segments=segments)
            results.append((out, segments))
        if not results:
            return None
        proposer, attributes, values, local, noise, seg = [], [], [], [], [], []
        pod_members = np.flatnonzero((org.pod >= 0) & (org.alive == 1))
        for (attr, val, loc, noi, resp), segments in results:
            for i in range(attr.shape[0]):
                if resp[i] == 0 or loc[i] + noi[i] <= 0.0:
                    continue
                module = self.market.module_of[attr[i]]
                owners = pod_members[(org.module[pod_members] == module)
                                     & (org.segment[pod_members] == segments[i])]
                if owners.size == 0:
                    owners = pod_members[org.module[pod_members] == module]
                owners = owners[self.capacity_left[owners] > 0]
                self._counters["messages"] += 1
                if owners.size == 0:
                    self._counters["dropped"] += 1
                    continue
                member = owners[int(rng.integers(owners.shape[0]))]
                self.capacity_left[member] -= 1
                proposer.append(member)
                attributes.append(attr[i])
                values.append(val[i])
                local.append(loc[i])
                noise.append(noi[i])
                seg.append(segments[i])
        if not proposer:
            return None
        return (np.array(proposer, np.int64), np.array(attributes, np.int64),
                np.array(values, np.uint8), np.array(local), np.array(noise),
                np.array(seg, np.int64))

    def _sense_on_self(self, customers: np.ndarray, segments: np.ndarray, rng):
        """Each partner customer tests a random change on itself (whole-product value)."""
        count = customers.shape[0]
        f = self.config.firm
        sizes = (self.segment_start[segments + 1] - self.segment_start[segments]).astype(float)
        # A sample of one that points at the customer itself.
        sample_draw = ((customers - self.segment_start[segments] + 0.5) / sizes)[:, None]
        out = (np.empty(count, np.int64), np.empty(count, np.uint8), np.empty(count),
               np.empty(count), np.empty(count, np.int64))
        # A partner is asked whatever it buys: its own test does not need it to be a buyer.
        everyone = np.ones_like(self.buying)
        sense_changes(
            np.full(count, -1, np.int64), segments, self.market.module_start,
            self.variant_of_segment, self.products, self.market.dependencies,
            self.market.contributions, self.market.max_fitness, self.market.dependents_ptr,
            self.market.dependents, self.market.module_of, self.segment_start, self.active,
            everyone, 1.0, rng.random(count), sample_draw,
            rng.standard_normal((count, 1)) * f.feedback_noise, *out,
        )
        return out

    # ------------------------------------------------------------------ stakeholders
    def _stakeholder_step(self) -> None:
        s = self.config.stakeholders
        rate = s.stance_rate
        revenue = float(self._buyers.sum()) * self.config.market.price
        self._revenue_history.append(revenue)
        history = self._revenue_history
        for i in np.flatnonzero(self.stakeholder_kind == INVESTOR):
            horizon = int(self.investor_horizon[i])
            past = history[-horizon - 1] if len(history) > horizon else history[0]
            growth = revenue / past - 1.0 if past > 0 else 0.0
            target = math.tanh(s.investor_sensitivity * growth)
            self.stance[i] = (1 - rate) * self.stance[i] + rate * target
        media = np.flatnonzero(self.stakeholder_kind == MEDIA)
        if media.size:
            heard = np.empty(media.size)
            customer_kernels.reached_mean(
                self.media_reach_ptr, self.media_reach, self.sentiment, self.active, heard)
            # Media amplify: they report the mood of their audience, sharpened.
            target = np.tanh(2.0 * heard)
            self.stance[media] = (1 - rate) * self.stance[media] + rate * target
        partners = np.flatnonzero(self.stakeholder_kind == PARTNER)
        if partners.size:
            share_growth = self.market_share - (self._records["market_share"][-1]
                                                if self._records["market_share"] else
                                                self.market_share)
            target = math.tanh(20.0 * share_growth)
            self.stance[partners] = (1 - rate) * self.stance[partners] + rate * target
        np.clip(self.stance, -1.0, 1.0, out=self.stance)

    # ------------------------------------------------------------------ metrics
    def _record(self, t: int) -> None:
        r = self._records
        buyers = int(self._buyers.sum())
        active = int(self._active_count.sum())
        counts = self._active_count.astype(float)
        r["market_share"].append(buyers / active if active else 0.0)
        r["revenue"].append(buyers * self.config.market.price)
        r["fitness"].append(float((self.segment_fitness * counts).sum() / max(counts.sum(), 1)))
        r["satisfaction"].append(float(self._satisfaction_sum.sum() / buyers) if buyers
                                 else 0.0)
        r["sentiment"].append(float(self._sentiment_sum.sum() / active) if active else 0.0)
        r["outside_option"].append(self.outside_option)
        for kind, name in ((INVESTOR, "investors"), (MEDIA, "media"), (PARTNER, "partners")):
            group = self.stance[self.stakeholder_kind == kind]
            r[f"stance_{name}"].append(float(group.mean()) if group.size else 0.0)
        r["change_budget"].append(self._budget_now)
        r["proposals_made"].append(self._counters["made"])
        r["proposals_approved"].append(self._counters["approved"])
        r["proposals_implemented"].append(self._counters["implemented"])
        r["proposals_vetoed"].append(self._counters["vetoed"])
        r["proposals_dropped"].append(self._counters["dropped"])
        r["messages_sent"].append(self._counters["messages"])
        r["largest_queue"].append(int(self.q_length.max(initial=0)))
        r["decision_latency"].append(float(np.mean(self._latencies)) if self._latencies
                                     else math.nan)
        alive = self.org.alive == 1
        r["workload"].append(float(self.workload[alive].mean()) if alive.any() else 0.0)
        r["customers_active"].append(active)
        r["customers_buying"].append(buyers)
        r["employees_active"].append(int(alive.sum()))
        fitness = np.where(self.segment_active, self.segment_fitness, np.nan)
        self._segment_records.append(fitness)

    def metrics(self) -> pd.DataFrame:
        """One row per completed step, one column per metric (``fitness_s<i>`` per segment)."""
        frame = pd.DataFrame(self._records)
        frame.insert(0, "step", np.arange(len(frame), dtype=np.int64))
        if self._segment_records:
            per_segment = np.vstack(self._segment_records)
            for s in range(per_segment.shape[1]):
                frame[f"fitness_s{s}"] = per_segment[:, s]
        return frame

    def shock_schedule(self) -> pd.DataFrame:
        """The configured shocks with their number, kind, step and strength."""
        return pd.DataFrame(
            [{"shock": i, "kind": s.kind, "step": s.step, "strength": s.strength}
             for i, s in enumerate(self.config.shocks)],
            columns=["shock", "kind", "step", "strength"],
        )

    def resilience(self, metric: str = "market_share", **options) -> pd.DataFrame:
        """Resilience figures of ``metric`` for every shock that has happened.

        See :func:`simulation.metrics.resilience_table` for the definitions and ``options``.
        """
        frame = self.metrics()
        if metric not in frame.columns:
            raise ConfigError(
                f"metric={metric!r}: allowed values are {', '.join(frame.columns[1:])}")
        schedule = self.shock_schedule()
        schedule = schedule[schedule["step"] < len(frame)]
        return resilience_table(frame[metric].to_numpy(), schedule, metric=metric, **options)
