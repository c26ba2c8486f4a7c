"""The built-in structures, shock kinds, step metrics and product policies: declared here, once.

Each entry names its rule by ``"module:function"``: the rule lives in the model's core
(:mod:`simulation.core.structures`, :mod:`simulation.core.shocks`, ...) and is imported when
a run first needs it, so reading these declarations (to validate a scenario, to list the
choices on the command line or in the app) loads nothing of the model.

A built-in is added the way a plugin is (see :mod:`simulation.registry` and
``docs/architecture.md``): one declaration and its rule.
"""

from __future__ import annotations

import numpy as np

from simulation.config.schema import (
    CompetitorEntryShock,
    NeedShiftShock,
    NewSegmentShock,
    ReputationCrisisShock,
    TalentLossShock,
    TurbulenceShock,
)
from simulation.config.vocabulary import LEVEL_METRICS, STEP_METRICS
from simulation.registry import (
    register_metric,
    register_product_policy,
    register_shock,
    register_structure,
)

_CORE = "simulation.core.structures"

# ------------------------------------------------------------------------- structures
register_structure(
    "hierarchy", f"{_CORE}:build_hierarchy",
    description="A tree of managers. Frontline employees test changes on customers and send "
    "proposals up; each manager passes the best on; the top decides, a few per step. "
    "Careful, but every decision waits in the managers' queues.",
    senses="frontline leaves", decides="the top, best-first", tops_decide=True,
    decision_order="best_first", colour="#D55E00", dash=(), compared_by_default=True)
register_structure(
    "siloed_social", f"{_CORE}:build_siloed_social",
    description="A hierarchy with a marketing branch that listens to customers on social "
    "channels; the other branches learn only from periodic surveys.",
    senses="marketing branch each step; other branches on survey steps",
    decides="the top, best-first", tops_decide=True, decision_order="best_first",
    employees_converse="marketing", colour="#E69F00", dash=(8, 4),
    compared_by_default=True)
register_structure(
    "network", f"{_CORE}:build_flat_network",
    description="Flat: employees linked in a small-world graph. Each decides its own proposal "
    "after its neighbours review it, at once, but sees only part (w) of a change's effect on "
    "other modules.",
    senses="everyone", decides="each proposer after peer review", tops_decide=False,
    decision_order=None, employees_converse="everyone", colour="#0072B2", dash=(2, 3),
    compared_by_default=True)
_PODS = dict(builder=f"{_CORE}:build_pods", senses="pod members", tops_decide=True,
             decision_order="arrival", hub_review=True, rescope_pods=True,
             employees_converse="everyone", compared_by_default=True)
register_structure(
    "podular", description="Pods that own a module and a segment decide locally; hubs align "
    "the pods and may veto changes that harm other modules.",
    decides="the pod after peer review; its hub may veto", colour="#009E73", dash=(10, 3, 2, 3),
    **_PODS)
register_structure(
    "open", description="Podular, plus customers and partner stakeholders who propose "
    "changes themselves.",
    decides="as podular; partners' proposals go to the owning pod", partners_propose=True,
    colour="#CC79A7", dash=(4, 2), **_PODS)
register_structure(
    "org_chart", "simulation.core.org_chart:build_from_chart",
    description="Your own firm: the org chart in firm.org_chart (a CSV or GraphML file; "
    "`firmsim chart STRUCTURE --out chart.csv` writes a preset's). Who senses, who decides "
    "and who may veto follow from the chart's roles and reporting lines.",
    senses="frontline, marketing and pod members of the chart",
    decides="the chart's tops and hubs; pod members and linked peers locally",
    tops_decide=True, decision_order="best_first", requires="firm.org_chart",
    rules_for="simulation.core.org_chart:chart_structure", colour="#56B4E9", dash=(1, 1))

# ------------------------------------------------------------------------- shocks
_SHOCKS = "simulation.core.shocks"
register_shock("need_shift", NeedShiftShock, f"{_SHOCKS}:need_shift",
               "customers' needs move: a share of the segments' landscapes is redrawn")
register_shock("turbulence", TurbulenceShock, f"{_SHOCKS}:turbulence",
               "a restless market: a share of each landscape redrawn every step")
register_shock("competitor_entry", CompetitorEntryShock, f"{_SHOCKS}:competitor_entry",
               "the outside option (the competitors' offer) rises")
register_shock("reputation_crisis", ReputationCrisisShock, f"{_SHOCKS}:reputation_crisis",
               "media turn negative and a burst of bad word of mouth is seeded")
register_shock("talent_loss", TalentLossShock, f"{_SHOCKS}:talent_loss",
               "a share of employees leaves; the structure repairs itself")
register_shock("new_segment", NewSegmentShock, f"{_SHOCKS}:new_segment",
               "a new group of customers arrives with needs of its own")

# ------------------------------------------------------------------------- step metrics
#: What each metric the model records itself measures (in the order it records them:
#: :data:`simulation.config.vocabulary.STEP_METRICS`).
METRIC_DESCRIPTIONS = {
    "market_share": "share of the active customers who bought in the step",
    "revenue": "buyers x price",
    "fitness": "product fitness, normalised by each segment's best product, mean over active "
    "segments",
    "satisfaction": "mean satisfaction of the buyers",
    "sentiment": "mean sentiment of the active customers (-1 to 1)",
    "outside_option": "value of the competitors' offer",
    "stance_investors": "mean stance of the investors (-1 to 1)",
    "stance_media": "mean stance of community and media (-1 to 1)",
    "stance_partners": "mean stance of the partners (-1 to 1)",
    "change_budget": "changes the firm can approve this step",
    "proposals_made": "proposals made in the step",
    "proposals_approved": "proposals approved in the step",
    "proposals_implemented": "approved changes that took effect in the step",
    "proposals_vetoed": "proposals a hub vetoed in the step",
    "proposals_dropped": "proposals dropped from full queues in the step",
    "messages_sent": "messages sent in the step (coordination)",
    "staff_evaluations": "proposals the staff of tops and hubs surveyed in the step",
    "largest_queue": "the most messages waiting at one employee (congestion)",
    "decision_latency": "mean steps from proposal to effect of the changes that took effect",
    "workload": "mean share of capacity used per employee",
    "customers_active": "customers in the market",
    "customers_buying": "customers who bought in the step",
    "employees_active": "employees still employed",
    "profit": "revenue less every cost of the step (ODD section 7, Economics)",
    "cost": "every cost of the step: production, variety, change and organization",
    "production_cost": "units sold x unit cost (experience curve per module)",
    "variety_cost": "fixed cost of the distinct product variants in the market",
    "change_cost": "retooling of the changes that took effect in the step",
    "organization_cost": "wage bill (managers and hubs at a premium) and priced "
    "coordination time",
    "coordination_cost": "the coordination time's part of the organization cost",
    "unit_cost": "mean unit cost of the products sold",
    "cumulative_profit": "profit summed since the start of the run",
    "discounted_profit": "profit discounted to the start of the run, summed",
    "margin": "profit / revenue of the step",
}
for _name in STEP_METRICS:
    register_metric(_name, None, METRIC_DESCRIPTIONS[_name], level=_name in LEVEL_METRICS)

# ------------------------------------------------------------------------- product policies


def standard_product(segments: int) -> np.ndarray:
    """One standard product: every segment buys variant 0."""
    return np.zeros(segments, dtype=np.int64)


def product_per_segment(segments: int) -> np.ndarray:
    """One variant per segment: segment ``s`` buys variant ``s``."""
    return np.arange(segments, dtype=np.int64)


register_product_policy("standard", standard_product,
                        "one standard product for all segments")
register_product_policy("per_segment", product_per_segment,
                        "one product variant per customer segment")
