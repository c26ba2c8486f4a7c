"""Validated configuration of one firm-in-a-market model.

The shape follows the scenario file (``[market]``, ``[customers]``, ``[firm]``,
``[stakeholders]``, ``[[shocks]]``); every field has a default, so an empty config is valid.
:class:`ModelConfig` is what :class:`simulation.core.model.FirmModel` runs; :data:`FLAT_FIELDS`
maps the model's flat keyword arguments onto it (Mesa's ``SolaraViz`` and ``batch_run`` read
those keywords from ``FirmModel.__init__``).

Errors are raised as :class:`simulation.errors.ConfigError` with one line naming the field,
the value and what is allowed.
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializeAsAny,
    ValidationError,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)

from simulation import registry
from simulation.config.limits import MAX_SHOCKS, check_length, shown
from simulation.config.messages import allowed_range, describe_problem, format_validation_error
from simulation.config.paths import did_you_mean
from simulation.config.vocabulary import (
    DecisionInformation,
    DecisionOrderSetting,
    NetworkKind,
    TalentLossTarget,
)
from simulation.errors import ConfigError


def check_registered(kind: str, value: str, field: str) -> str:
    """``value`` if it is a registered ``kind``; else a one-line ValueError naming ``field``."""
    allowed = registry.names(kind)
    if value not in allowed:
        raise ValueError(f"{field}={shown(value)}: allowed values are {', '.join(allowed)}"
                         f"{did_you_mean(str(value)[:100], allowed)}")
    return value

#: Largest attribute count: the global optimum is found by enumerating 2**attributes states.
MAX_ATTRIBUTES = 24


#: Upper bound of counts that size arrays (customers arriving, stakeholders, samples...).
MAX_COUNT = 50_000_000
#: Upper bound of steps: a run of more steps would not finish in any sensible time.
MAX_STEPS = 100_000
#: Upper bound of unbounded real parameters (noise, sensitivities, prices): finite values
#: far beyond any meaningful setting, so no arithmetic overflows to inf.
MAX_REAL = 1e6


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    @field_validator("*", mode="before")
    @classmethod
    def _finite_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        """Numbers are finite, and true/false is never a number (TOML ``steps = true``)."""
        field = cls.model_fields.get(info.field_name or "")
        annotation = field.annotation if field is not None else None
        if annotation in (int, float):
            allowed = allowed_range(field) or "any finite number"
            if isinstance(value, bool):
                raise ValueError(f"{str(value).lower()} is not a number (allowed: {allowed})")
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError(f"{value} is not a finite number (allowed: {allowed})")
        return value


class Market(_Section):
    """The product space and the competition."""

    segments: int = Field(4, ge=1, le=64, description="customer segments, each with a landscape")
    attributes: int = Field(20, ge=2, le=MAX_ATTRIBUTES, description="N: binary attributes")
    k: int = Field(3, ge=0, description="K: other attributes each contribution depends on")
    modules: int = Field(4, ge=1, description="product modules (contiguous blocks of attributes)")
    cross_module_share: float = Field(
        0.5, ge=0, le=1, description="share of the K links that cross module borders"
    )
    segment_correlation: float = Field(
        0.7, ge=0, le=1, description="correlation of each segment's landscape with the base one"
    )
    turbulence: float = Field(
        0.0, ge=0, le=1, description="expected share of each segment's landscape redrawn per "
        "step (0 calm, 0.01 restless, 0.05 turbulent, 0.2 and above chaotic)",
    )
    outside_option: float = Field(
        0.75, ge=0, le=2, description="value of the competitors' offer (normalised fitness units)"
    )
    price: float = Field(1.0, gt=0, le=MAX_REAL, description="revenue per buying customer per step")

    @model_validator(mode="after")
    def _check_sizes(self) -> Market:
        if self.k >= self.attributes:
            raise ValueError(
                f"market.k={self.k}: must be smaller than market.attributes={self.attributes}"
            )
        if self.modules > self.attributes:
            raise ValueError(
                f"market.modules={self.modules}: must not exceed "
                f"market.attributes={self.attributes}"
            )
        return self


class Customers(_Section):
    """Customers, their social network and their choice rule."""

    count: int = Field(20_000, ge=1, le=50_000_000, description="number of customers")
    network: NetworkKind = Field(
        "small_world", description="kind of social network"
    )
    degree: int = Field(10, ge=1, le=10_000, description="mean number of network neighbours")
    rewiring: float = Field(0.1, ge=0, le=1, description="small-world rewiring probability")
    taste_sd: float = Field(0.05, ge=0, le=MAX_REAL,
        description="sd of each customer's persistent taste")
    experience_noise: float = Field(0.05, ge=0, le=MAX_REAL,
        description="sd of the noise of one experience")
    choice_sensitivity: float = Field(
        10.0, gt=0, le=MAX_REAL, description="beta of the logistic choice on perceived value"
    )
    reconsider_rate: float = Field(
        0.1, ge=0, le=1, description="probability a customer reconsiders buying in a step"
    )
    experience_weight: float = Field(
        0.5, ge=0, le=1, description="weight of a buyer's new experience in its belief"
    )
    talk_rate: float = Field(
        0.2, ge=0, le=1, description="base probability a customer talks to its neighbours"
    )
    amplification: float = Field(
        2.0, ge=0, le=MAX_REAL, description="how much more often extreme opinions are voiced"
    )
    word_of_mouth_weight: float = Field(
        0.2, ge=0, le=1, description="weight of what neighbours said in a customer's belief"
    )
    partner_share: float = Field(
        0.02, ge=0, le=1, description="share of customers who act as partners in 'open'"
    )
    partner_rate: float = Field(
        0.05, ge=0, le=1, description="probability a partner customer proposes in a step"
    )
    negativity: float = Field(
        2.0, ge=1, le=10, description="how much more often (and further) a negative voice is "
        "voiced than a positive one (TARP 1986: ~10 vs ~5 listeners; Anderson 1998)",
    )
    imitation: float = Field(
        0.38, ge=0, le=1, description="Bass imitation coefficient q: adoption hazard added "
        "per unit share of positive voices heard (Sultan, Farley & Lehmann 1990 mean)",
    )
    weak_tie_weight: float = Field(
        0.25, ge=0, le=1, description="influence of a weak tie relative to a strong one "
        "(Goldenberg, Libai & Muller 2001)",
    )
    defection_threshold: float = Field(
        0.18, ge=0, le=1, description="mean threshold phi: share of negative voices heard at "
        "which a buyer reconsiders at once (Watts 2002)",
    )
    defection_threshold_sd: float = Field(
        0.05, ge=0, le=1, description="sd of the customers' defection thresholds"
    )
    employees_converse: bool = Field(
        True, description="employees take part in the customer conversation where the "
        "structure lets them (hierarchy: the official voice)",
    )
    employee_ties: int = Field(
        5, ge=0, le=1000, description="customers of its segment each conversing employee "
        "is tied to",
    )
    marketing_converses: bool = Field(
        True, description="siloed_social: the marketing branch converses with customers "
        "(off: only the official voice)",
    )
    official_reach: float = Field(
        0.05, ge=0, le=1, description="hierarchy's official voice: share of active customers "
        "it can answer per step",
    )


class Firm(_Section):
    """Employees, the organization's parameters and the product policy."""

    employees: int = Field(200, ge=2, le=1_000_000, description="number of employees")
    span: int = Field(5, ge=1, le=1_000_000, description="span of control of the tree")
    capacity: int = Field(5, ge=1, le=1_000_000,
        description="messages or tasks an employee handles per step")
    queue_limit: int = Field(20, ge=1, le=1_000_000,
        description="queue length past which messages are dropped")
    pod_size: int = Field(6, ge=2, le=1_000_000, description="members per pod (podular, open)")
    hub_span: int = Field(8, ge=1, le=1_000_000, description="pods aligned by one hub")
    variants: str = Field(
        "standard", description="product policy: one product for all segments ('standard'), "
        "one variant per segment ('per_segment'), or a registered policy",
        json_schema_extra={"registry": "product_policy"},
    )
    org_chart: str = Field(
        "", max_length=4096, description="structure 'org_chart': the chart file (CSV or "
        "GraphML; a path relative to the scenario file)", json_schema_extra={"app": False},
    )
    org_chart_partners: bool = Field(
        False, description="structure 'org_chart': partners propose changes too (as in "
        "'open')", json_schema_extra={"app": False},
    )

    @field_validator("variants")
    @classmethod
    def _registered_policy(cls, value: str) -> str:
        return check_registered("product_policy", value, "variants")
    change_budget: int = Field(2, ge=1, le=1_000_000,
        description="changes the firm can approve per step")
    lateral_links: float = Field(
        0.0, ge=0, le=1, description="tree-to-network dial: rate of lateral links in a tree"
    )
    network_degree: int = Field(6, ge=1, le=10_000,
        description="neighbours per employee in 'network'")
    side_effect_awareness: float = Field(
        0.5, ge=0, le=1, description="w: share of a change's effect on other modules a local "
        "decider takes into account",
    )
    sense_rate: float = Field(
        0.2, ge=0, le=1, description="probability a sensing employee tests a change in a step"
    )
    sample_size: int = Field(20, ge=1, le=MAX_COUNT, description="customers sampled per test")
    feedback_noise: float = Field(
        0.03, ge=0, le=MAX_REAL, description="sd of one customer's feedback on a change"
    )
    hop_noise: float = Field(
        0.007, ge=0, le=MAX_REAL, description="sd of the distortion a proposal's estimate picks "
        "up per hop (default: about the sampling sd of one frontline estimate, 0.03 / sqrt(20))",
    )
    survey_interval: int = Field(
        10, ge=1, le=MAX_STEPS,
            description="steps between surveys (non-marketing branches, siloed_social)"
    )
    decision_information: DecisionInformation = Field(
        "staff", description="what tops and hubs judge a proposal by: the estimate that reached "
        "them plus their staff's survey ('staff'), or its exact effect ('fully_informed')",
    )
    decision_order: DecisionOrderSetting = Field(
        "structure", description="order in which tops and hubs judge proposals: each "
        "structure's own ('structure'), or 'best_first' / 'arrival' for all",
    )
    staff_capacity: int = Field(
        5, ge=0, le=10_000, description="proposals the staff of each top or hub can survey per "
        "step (0: judge on the reports alone)",
    )
    staff_sample: int = Field(
        20, ge=1, le=10_000, description="customers the staff asks per survey of a proposal"
    )


class Stakeholders(_Section):
    """Investors, community/media and partners."""

    investors: int = Field(8, ge=0, le=1_000_000, description="investor stakeholders")
    media: int = Field(6, ge=0, le=1_000_000, description="community/media stakeholders")
    partners: int = Field(6, ge=0, le=1_000_000, description="partner stakeholders")
    stance_rate: float = Field(0.1, ge=0, le=1, description="speed of stance updates")
    media_reach: float = Field(
        0.05, ge=0, le=1, description="share of customers each media stakeholder reaches"
    )
    media_influence: float = Field(
        0.05, ge=0, le=0.5,
        description="pull per step of each medium on its audience's belief toward its message",
    )
    media_tone: float = Field(
        0.25, ge=0, le=MAX_REAL, description="how far from the outside option a fully negative (or "
        "positive) medium says the product is, in value units",
    )
    investor_sensitivity: float = Field(
        5.0, ge=0, le=MAX_REAL, description="how strongly investors react to revenue growth"
    )
    partner_rate: float = Field(
        0.1, ge=0, le=1, description="probability a partner proposes a change in a step ('open')"
    )
    investor_pressure: float = Field(
        0.4, ge=0, le=1, description="share of employees' capacity (slack) cut when investors' "
        "mean stance is -1 (0: investors' pressure off)",
    )


class Economics(_Section):
    """The firm's books: what producing, varying, changing and organizing cost.

    Money is in units of the price: amounts per step are shares of the firm's potential
    revenue per step (``market.price`` x ``customers.count``), so the books keep their
    proportions at any market size. Every default is from a published range (ODD section 7,
    "Economics"); setting every cost to zero gives back the cost-free model exactly.
    """

    start_unit_cost: float = Field(
        0.6, ge=0, le=MAX_REAL, description="unit cost at the starting experience, in units of "
        "the price (0.6: a 40% gross margin at the start)",
    )
    progress_ratio: float = Field(
        0.8, gt=0, le=1, description="experience curve: unit cost factor per doubling of the "
        "cumulative volume (Wright 1936; 0.7-0.9, Argote & Epple 1990; 1: no learning)",
    )
    prior_experience: float = Field(
        52.0, gt=0, le=MAX_REAL, description="cumulative volume made before the run, in steps "
        "of the whole market's demand (52: a year of weekly steps)",
    )
    change_depreciation: float = Field(
        0.5, ge=0, le=1, description="share of the experience of the changed part of a module "
        "lost when a change lands (0.5: some but not all experience carries over to a "
        "redesign, Benkard 2000; Argote, Beckman & Epple 1990)",
    )
    variant_cost: float = Field(
        0.01, ge=0, le=MAX_REAL, description="fixed cost per distinct product variant in the "
        "market per step, share of the potential revenue (Fisher & Ittner 1999)",
    )
    retooling_cost: float = Field(
        0.005, ge=0, le=MAX_REAL, description="cost of an implemented change per module it "
        "touches (its own and those whose parts depend on it), share of the potential revenue",
    )
    wage_bill: float = Field(
        0.15, ge=0, le=MAX_REAL, description="wage bill of the staff at base pay per step, share "
        "of the potential revenue (SG&A is about a quarter of sales)",
    )
    manager_premium: float = Field(
        0.5, ge=0, le=MAX_REAL, description="extra pay of a manager or hub over base pay "
        "(0.5: paid 1.5 times)",
    )
    coordination_price: float = Field(
        1.0, ge=0, le=MAX_REAL, description="price of one unit of coordination time (tests, "
        "reviews, relays, surveys, conversations) relative to the wage of that time",
    )
    discount_rate: float = Field(
        0.002, ge=0, lt=1, description="discount rate per step (0.002 a week: about 11% a year)"
    )
    payback_horizon: int = Field(
        52, ge=1, le=MAX_STEPS, description="steps of estimated gain a decider sets against a "
        "change's cost (52: a year)",
    )


class ShockBase(_Section):
    """What every scheduled shock has: its kind and its step. Each kind adds its own fields
    (one model per kind, registered with the kind in :mod:`simulation.registry`), so a
    field that means nothing for a kind is refused as an unknown key."""

    kind: str = Field(description="kind of shock (see the registry of shock kinds)")
    step: int = Field(ge=0, le=MAX_STEPS, description="step at which the shock happens")

    @model_validator(mode="before")
    @classmethod
    def _drop_unset_foreign_fields(cls, data: Any) -> Any:
        # Results written before shocks had one model per kind (manifests, app links) carry
        # every kind's fields at their defaults. A field of another kind at exactly its old
        # default says nothing and is dropped; set to anything else it is refused.
        if isinstance(data, dict):
            return {key: value for key, value in data.items()
                    if key in cls.model_fields or _LEGACY_SHOCK_DEFAULTS.get(key, ...) != value}
        return data


#: The defaults of the single shock model of earlier versions (see ShockBase).
_LEGACY_SHOCK_DEFAULTS = {"strength": 0.5, "segments": [], "duration": 0, "diverge": False,
                          "share": 0.1, "target": "random", "count": 0, "firm": ""}


def _share(description: str):
    return Field(0.5, ge=0, le=1, description=description)


class NeedShiftShock(ShockBase):
    """``need_shift``: a share ``strength`` of the landscape of ``segments`` (all live ones if
    empty) is redrawn, the segments moving together so their correlation stays where the
    scenario set it; with ``diverge`` the market fragments instead (each segment redrawn on
    its own, so segments drift apart)."""

    kind: Literal["need_shift"] = "need_shift"
    strength: float = _share("share of each hit landscape redrawn")
    segments: list[int] = Field(default_factory=list,
                                description="segments hit (empty: every live segment)")
    diverge: bool = Field(False, description="segments drift apart (the market fragments)")


class TurbulenceShock(ShockBase):
    """``turbulence``: from ``step`` for ``duration`` steps (to the end if 0), the market is
    restless: ``strength`` is the expected share of each landscape redrawn per step."""

    kind: Literal["turbulence"] = "turbulence"
    strength: float = _share("expected share of each landscape redrawn per step")
    duration: int = Field(0, ge=0, le=MAX_STEPS, description="steps it lasts (0: to the end)")


class CompetitorEntryShock(ShockBase):
    """``competitor_entry``: the outside option rises by ``strength``."""

    kind: Literal["competitor_entry"] = "competitor_entry"
    strength: float = Field(0.5, ge=0, le=MAX_REAL,
                            description="rise of the outside option, in value units")
    firm: str = Field("", description="a market of several firms: the firm (of `firms`) "
                     "that enters at this step instead of the outside option rising (empty: "
                     "the outside option rises)",
                     json_schema_extra={"app": False})


class ReputationCrisisShock(ShockBase):
    """``reputation_crisis``: media stances fall to ``-strength``; a share ``share`` of
    customers have their belief lowered by ``strength``."""

    kind: Literal["reputation_crisis"] = "reputation_crisis"
    strength: float = _share("media stance falls to -strength; seeded beliefs fall by it")
    share: float = Field(0.1, ge=0, le=1, description="share of customers seeded")
    firm: str = Field("", description="a market of several firms: the firm the crisis is "
                     "about (empty: every firm)",
                     json_schema_extra={"app": False})


class TalentLossShock(ShockBase):
    """``talent_loss``: a share ``strength`` of employees leaves; ``target`` is ``random`` or
    ``managers`` (managers and hubs first)."""

    kind: Literal["talent_loss"] = "talent_loss"
    strength: float = _share("share of employees who leave")
    target: TalentLossTarget = Field("random", description="who leaves first")
    firm: str = Field("", description="a market of several firms: the firm that loses "
                     "staff (empty: every firm)",
                     json_schema_extra={"app": False})


class NewSegmentShock(ShockBase):
    """``new_segment``: ``count`` new customers (default: a share ``strength`` of the initial
    count) arrive with a landscape of their own."""

    kind: Literal["new_segment"] = "new_segment"
    strength: float = Field(0.5, ge=0, le=MAX_REAL,
                            description="arrivals as a share of the initial customers")
    count: int = Field(0, ge=0, le=MAX_COUNT, description="customers arriving (0: by strength)")


@cache
def _located(model: type[BaseModel]) -> type[BaseModel]:
    # A model whose field ``shocks`` holds ``model``: validation errors of one shock are
    # described at their place in the scenario (``shocks[2].strength``).
    return create_model(f"_Shocks_{model.__name__}", shocks=(list[model], ...))


def validate_shock(item: Any, number: int) -> ShockBase:
    """One ``[[shocks]]`` entry validated by its kind's model (raises a one-line ValueError)."""
    if isinstance(item, ShockBase):
        return item
    if isinstance(item, BaseModel):
        item = item.model_dump()
    if not isinstance(item, dict):
        raise ValueError(f"shocks[{number}]={item!r}: a shock is a table with kind and step")
    kinds = registry.names("shock")
    kind = item.get("kind")
    if kind is None:
        raise ValueError(f"shocks[{number}].kind: required field is missing (allowed: "
                         f"{', '.join(kinds)})")
    if kind not in kinds:
        raise ValueError(f"shocks[{number}].kind={kind!r}: allowed values are "
                         f"{', '.join(kinds)}{did_you_mean(str(kind), kinds)}")
    model = registry.get("shock", kind).parameters
    try:
        return model.model_validate(item)
    except ValidationError as error:
        problem = dict(error.errors()[0])
        problem["loc"] = ("shocks", number, *problem.get("loc", ()))
        raise ValueError(describe_problem(problem, _located(model))) from None


#: Most firms one market holds (the customer step is O(customers x firms)).
MAX_FIRMS = 16


class FirmEntry(_Section):
    """One firm of a market of several firms (``[[firms]]``; a plain structure name is the
    firm of that structure, named after it). ``firm`` holds this firm's overrides of the
    scenario's ``[firm]`` section (size, product policy...); only the fields set here differ.
    """

    name: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
                      description="the firm's name (unique in the market)")
    structure: str = Field("hierarchy", description="the firm's organizational structure")
    enters_at: int = Field(0, ge=0, le=MAX_STEPS, description="step at which the firm enters "
                           "the market (0: there from the start)")
    exits: bool = Field(False, description="the firm leaves the market when its standing "
                        "(cumulative profit; until the economics submodel: cumulative revenue "
                        "minus exit_fixed_cost per step) falls below exit_below")
    exit_below: float = Field(0.0, ge=-MAX_REAL, le=MAX_REAL,
                              description="standing below which an exiting firm leaves")
    exit_fixed_cost: float = Field(0.0, ge=0, le=MAX_REAL, description="stand-in fixed cost "
                                   "per step of the standing (money units), until the economics "
                                   "submodel books costs")
    firm: Firm = Field(default_factory=Firm, description="this firm's overrides of [firm]")

    @field_validator("structure")
    @classmethod
    def _registered_structure(cls, value: str) -> str:
        return check_registered("structure", value, "structure")

    @model_validator(mode="before")
    @classmethod
    def _structure_name(cls, data: Any) -> Any:
        # A plain structure name is the firm of that structure, named after it.
        if isinstance(data, str):
            return {"name": data, "structure": data}
        return data

    def overrides(self) -> dict[str, Any]:
        """The ``[firm]`` fields this entry sets."""
        return self.firm.model_dump(include=self.firm.model_fields_set)


class ModelConfig(_Section):
    """Everything one model run needs besides its seed and structure."""

    structure: str = Field(
        "hierarchy", description="organizational structure (the main treatment; see the "
        "registry of structures)", json_schema_extra={"registry": "structure"},
    )
    steps: int = Field(500, ge=1, le=MAX_STEPS, description="planned number of steps")
    market: Market = Field(default_factory=Market)
    customers: Customers = Field(default_factory=Customers)
    firm: Firm = Field(default_factory=Firm)
    stakeholders: Stakeholders = Field(default_factory=Stakeholders)
    economics: Economics = Field(default_factory=Economics)
    # SerializeAsAny: a shock dumps the fields of its own kind, not only those of ShockBase.
    shocks: list[SerializeAsAny[ShockBase]] = Field(default_factory=list)
    firms: list[FirmEntry] = Field(
        default_factory=list, description="a market of several firms competing for the same "
        "customers (empty: one firm of `structure`); each a structure name or a table")

    @field_validator("structure")
    @classmethod
    def _registered_structure(cls, value: str) -> str:
        return check_registered("structure", value, "structure")

    @field_validator("shocks", mode="before")
    @classmethod
    def _shock_kinds(cls, value: Any) -> Any:
        value = check_length("shocks", value, MAX_SHOCKS, "shocks")  # bound before the work
        if not isinstance(value, list):
            return value
        return [validate_shock(item, number) for number, item in enumerate(value)]

    @model_validator(mode="after")
    def _check_schedule(self) -> ModelConfig:
        for number, shock in enumerate(self.shocks):
            if shock.step >= self.steps:
                raise ValueError(
                    f"shocks[{number}].step={shock.step}: must be before the last step "
                    f"(0 to {self.steps - 1})"
                )
            for segment in getattr(shock, "segments", ()):
                if not 0 <= segment < self.market.segments:
                    raise ValueError(
                        f"shocks[{number}].segments contains {segment}: segments are numbered "
                        f"0 to {self.market.segments - 1}"
                    )
        self._check_firms()
        if self.customers.degree >= self.customers.count:
            raise ValueError(
                f"customers.degree={self.customers.degree}: must be smaller than "
                f"customers.count={self.customers.count}"
            )
        return self


    def _check_firms(self) -> None:
        firms = self.firms
        if len(firms) > MAX_FIRMS:
            raise ValueError(f"firms: at most {MAX_FIRMS} firms in one market (got {len(firms)})")
        names = [f.name for f in firms]
        for number, entry in enumerate(firms):
            if entry.name in names[:number]:
                raise ValueError(f"firms[{number}].name={entry.name!r}: two firms with the same "
                                 "name (give each a name of its own)")
            if entry.enters_at >= self.steps:
                raise ValueError(f"firms[{number}].enters_at={entry.enters_at}: must be before "
                                 f"the last step (0 to {self.steps - 1})")
        for number, shock in enumerate(self.shocks):
            named = getattr(shock, "firm", "")
            if not named:
                continue
            if named not in names:
                allowed = ", ".join(names) if names else "none: this market has one firm"
                raise ValueError(f"shocks[{number}].firm={named!r}: allowed values are "
                                 f"{allowed}{did_you_mean(str(named), names)}")
            if shock.kind == "competitor_entry":
                entry = firms[names.index(named)]
                if "enters_at" in entry.model_fields_set and entry.enters_at != shock.step:
                    raise ValueError(f"shocks[{number}].firm={named!r}: the firm enters at step "
                                     f"{shock.step} by this shock but firms[{names.index(named)}]"
                                     f".enters_at={entry.enters_at}")


#: Flat keyword of FirmModel -> (section, field) of ModelConfig.
FLAT_FIELDS: dict[str, tuple[str | None, str]] = {"structure": (None, "structure"),
                                                  "steps": (None, "steps")}
for _section, _fields in (
    ("market", Market.model_fields), ("customers", Customers.model_fields),
    ("firm", Firm.model_fields), ("stakeholders", Stakeholders.model_fields),
    ("economics", Economics.model_fields),
):
    for _field in _fields:
        _flat = _field
        if _section == "customers":
            _flat = {"count": "customers", "network": "customer_network",
                     "degree": "customer_degree", "rewiring": "customer_rewiring",
                     "partner_share": "partner_share",
                     "partner_rate": "customer_partner_rate"}.get(_field, _field)
        if _section == "stakeholders" and _field == "partner_rate":
            _flat = "stakeholder_partner_rate"
        assert _flat not in FLAT_FIELDS, _flat
        FLAT_FIELDS[_flat] = (_section, _field)


def validate_model_config(data: dict[str, Any]) -> ModelConfig:
    """Build a :class:`ModelConfig` from nested data, raising one-line :class:`ConfigError`."""
    try:
        return ModelConfig.model_validate(data)
    except ValidationError as error:
        raise ConfigError(format_validation_error(error, ModelConfig)) from None


def config_from_flat(base: ModelConfig | None = None, **flat: Any) -> ModelConfig:
    """Apply flat keyword overrides (``customers=5000``, ``k=0``, ...) to ``base``."""
    data = (base or ModelConfig()).model_dump()
    for name, value in flat.items():
        if name == "shocks":
            data["shocks"] = [
                s.model_dump() if isinstance(s, BaseModel) else dict(s) for s in value
            ]
            continue
        if name not in FLAT_FIELDS:
            hint = did_you_mean(name, [*FLAT_FIELDS, "shocks"])
            raise ConfigError(f"unknown parameter '{name}'{hint}")
        section, field = FLAT_FIELDS[name]
        if section is None:
            data[field] = value
        else:
            data[section][field] = value
    return validate_model_config(data)


def flat_defaults() -> dict[str, Any]:
    """Default value of every flat keyword."""
    defaults = ModelConfig().model_dump()
    flat = {}
    for name, (section, field) in FLAT_FIELDS.items():
        flat[name] = defaults[field] if section is None else defaults[section][field]
    return flat
