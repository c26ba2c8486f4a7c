"""Every fixed enumeration of the model, declared once.

What a researcher can add to (structures, shock kinds, step metrics, product policies) is
not here but in the registry (:mod:`simulation.registry`; the built-ins are declared in
:mod:`simulation.config.builtins`).

Each name set is a ``Literal`` type (used by the pydantic configuration, so validation and
error messages follow it) and a tuple derived from it with :func:`typing.get_args` (used for
loops, menus and messages). Nothing else in the package spells these names out as a list.
"""

from __future__ import annotations

from typing import Literal, get_args

#: How a deciding top (the CEO, a hub) orders the proposals that reached it; a property of
#: each preset (:class:`simulation.core.structures.StructureSpec`).
DecisionOrder = Literal["best_first", "arrival"]
DECISION_ORDERS: tuple[str, ...] = get_args(DecisionOrder)
#: The ``firm.decision_order`` setting: each structure's own order, or one forced on all.
DecisionOrderSetting = Literal["structure", "best_first", "arrival"]
DECISION_ORDER_SETTINGS: tuple[str, ...] = get_args(DecisionOrderSetting)

#: What a decider at the top of a tree or a hub judges a proposal by: ``staff`` (the default,
#: the information principle): the estimate that reached it plus its staff's survey estimate
#: of the whole effect, within the staff's capacity; ``fully_informed``: the change's exact
#: effect on the whole product plus the estimate's error (Rivkin & Siggelkow 2003's CEO).
DecisionInformation = Literal["staff", "fully_informed"]
DECISION_INFORMATION: tuple[str, ...] = get_args(DecisionInformation)

#: Who speaks for the firm in the customer conversation, per structure preset
#: (:class:`simulation.core.structures.StructureSpec`, :mod:`simulation.core.conversation`):
#: ``everyone`` (every sensing employee has ties into the customer network), ``marketing``
#: (only the marketing branch, if ``customers.marketing_converses``), ``official`` (only an
#: official statement of the marketing function, after the tree's lag).
ConversationMode = Literal["everyone", "marketing", "official"]
CONVERSATION_MODES: tuple[str, ...] = get_args(ConversationMode)

#: Whom a ``talent_loss`` shock hits first: anyone, or managers and hubs.
TalentLossTarget = Literal["random", "managers"]
TALENT_LOSS_TARGETS: tuple[str, ...] = get_args(TalentLossTarget)

#: Kinds of customer social network; see :mod:`simulation.core.networks`.
NetworkKind = Literal["small_world", "scale_free", "random"]
NETWORK_KINDS: tuple[str, ...] = get_args(NetworkKind)

#: Employee roles; an employee's ``role`` code is its index in :data:`ROLES`.
Role = Literal["frontline", "manager", "marketing", "pod member", "hub"]
ROLES: tuple[str, ...] = get_args(Role)
FRONTLINE, MANAGER, MARKETING, POD_MEMBER, HUB = range(len(ROLES))

#: Stakeholder kinds; a stakeholder's ``kind`` code is its index in :data:`STAKEHOLDER_KINDS`.
StakeholderKind = Literal["investor", "media", "partner"]
STAKEHOLDER_KINDS: tuple[str, ...] = get_args(StakeholderKind)
INVESTOR, MEDIA, PARTNER = range(len(STAKEHOLDER_KINDS))

#: The step metrics the model records itself, in column order (``fitness_s<i>`` per segment
#: follows them, then any registered metrics); described in :mod:`simulation.config.builtins`.
StepMetric = Literal[
    "market_share", "revenue", "fitness", "satisfaction", "sentiment", "outside_option",
    "stance_investors", "stance_media", "stance_partners", "change_budget",
    "proposals_made", "proposals_approved", "proposals_implemented", "proposals_vetoed",
    "proposals_dropped", "messages_sent", "staff_evaluations", "largest_queue",
    "decision_latency", "workload",
    "customers_active", "customers_buying", "employees_active",
    "profit", "cost", "production_cost", "variety_cost", "change_cost", "organization_cost",
    "coordination_cost", "unit_cost", "cumulative_profit", "discounted_profit", "margin",
]
STEP_METRICS: tuple[str, ...] = get_args(StepMetric)

#: Step metrics whose level (final value, mean over the run's last steps) is summarised per
#: run by ``firmsim run`` and sweeps.
LEVEL_METRICS: tuple[str, ...] = (
    "market_share", "revenue", "fitness", "satisfaction", "sentiment", "decision_latency",
    "largest_queue", "workload", "messages_sent", "proposals_implemented",
    "profit", "cost", "unit_cost", "margin", "cumulative_profit", "discounted_profit",
)

#: Resilience figures computed per shock (see :func:`simulation.core.metrics.resilience_table`).
RESILIENCE_FIGURES: tuple[str, ...] = (
    "baseline", "trough", "depth", "relative_depth", "recovery_time", "recovered",
    "area_lost", "post_level", "plateau", "plateau_recovery_time", "plateau_recovered",
    "window",
)


def step_metric_names() -> tuple[str, ...]:
    """Every step metric: the built-in ones in record order, then registered ones."""
    from simulation import registry

    return registry.names("metric")


def level_metric_names() -> tuple[str, ...]:
    """The step metrics summarised per run: :data:`LEVEL_METRICS`, then registered metrics
    declared with ``level=True``."""
    from simulation import registry

    extra = tuple(m.name for m in registry.entries("metric")
                  if m.level and m.name not in LEVEL_METRICS)
    return (*LEVEL_METRICS, *extra)
