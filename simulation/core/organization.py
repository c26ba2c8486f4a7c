"""The organization submodel: sensing, review, routing, climbing and deciding.

The rules are in ``docs/ODD.md`` section 7, "Sensing" and "Routing and decisions".

Each step, employees who sense test one change on a sample of customers
(:func:`simulation.kernels.sensing.sense_changes`); in ``open`` partner customers and
partner stakeholders propose too. Local deciders ask their peers
(:func:`simulation.kernels.organization.peer_review`); proposals that need a superior queue
and climb one level per step (``climb_tree``); the tops decide against the projected product
(``decide``) within the change budget, and approved changes land after a lag. What differs
between structures is read from the :class:`simulation.core.structures.StructureSpec` of the run.

The functions take the model and change its state in place; the random draws are taken in
the same order as always from the ``organization_dynamics`` and ``partner_dynamics``
streams.
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass, fields
from operator import attrgetter
from typing import NamedTuple

import numpy as np

from simulation.config.vocabulary import INVESTOR, MARKETING, PARTNER
from simulation.core import conversation, economics
from simulation.core.stakeholders import kind_index
from simulation.core.structures import current_scopes
from simulation.kernels import judging
from simulation.kernels import organization as org_kernels
from simulation.kernels.sensing import sense_changes

#: How far hostile investors shrink the change budget: at a mean investor stance of -1 the
#: firm approves half as many changes (fewer experiments, exploitation over exploration;
#: ODD section 7, "Routing and decisions"). A positive stance does not enlarge it, and the
#: budget never falls below one change.
BUDGET_SHRINK = 0.5

#: Peers asked to review one proposal, at most, in units of the proposer's ``capacity``: it
#: bounds the width of the pre-drawn review noise (one column per possible reviewer) while
#: leaving room for every peer a pod or a network neighbourhood of the default sizes has.
REVIEWERS_PER_CAPACITY = 4


@dataclass
class ProposalQueues:
    """Per-employee ring buffers of proposals waiting to be handled (``E`` x ``slots``).

    Attributes ``attribute``, ``value``, ``variant`` (the change), ``report`` (what the
    message says about its value: the proposer's estimate, each hop adding its distortion;
    under ``fully_informed`` decisions only the estimate's error), ``origin`` (the proposer),
    ``created`` and ``arrived`` (steps) are ``(E, slots)`` arrays; ``head`` and ``length``
    (``(E,)``) locate each employee's queue. The field order
    is the order the kernels take them in.
    """

    attribute: np.ndarray
    value: np.ndarray
    variant: np.ndarray
    report: np.ndarray
    origin: np.ndarray
    created: np.ndarray
    arrived: np.ndarray
    head: np.ndarray
    length: np.ndarray

    @classmethod
    def empty(cls, employees: int, slots: int) -> ProposalQueues:
        """Empty queues of ``slots`` places for ``employees`` employees."""
        shape = (employees, slots)
        return cls(
            attribute=np.zeros(shape, dtype=np.int64), value=np.zeros(shape, dtype=np.uint8),
            variant=np.zeros(shape, dtype=np.int64), report=np.zeros(shape),
            origin=np.zeros(shape, dtype=np.int64), created=np.zeros(shape, dtype=np.int64),
            arrived=np.zeros(shape, dtype=np.int64), head=np.zeros(employees, dtype=np.int64),
            length=np.zeros(employees, dtype=np.int64),
        )

    def arrays(self) -> tuple[np.ndarray, ...]:
        """The arrays in the kernels' argument order."""
        return _QUEUE_ARRAYS(self)


#: Reads the queue arrays in field order (one C call; ``dataclasses.fields`` every step cost
#: more than the kernels it fed).
_QUEUE_ARRAYS = attrgetter(*(f.name for f in fields(ProposalQueues)))


class Tests(NamedTuple):
    """Outcome of one test per sensor (the outputs of :func:`sense_changes`)."""

    attribute: np.ndarray
    value: np.ndarray
    local: np.ndarray
    noise: np.ndarray
    responders: np.ndarray

    @classmethod
    def empty(cls, count: int) -> Tests:
        return cls(np.empty(count, np.int64), np.empty(count, np.uint8), np.empty(count),
                   np.empty(count), np.empty(count, np.int64))


class Proposals(NamedTuple):
    """Proposals made this step, one entry each."""

    proposer: np.ndarray
    attribute: np.ndarray
    value: np.ndarray
    local: np.ndarray
    noise: np.ndarray
    segment: np.ndarray

    def join(self, other: Proposals) -> Proposals:
        return Proposals(*(np.concatenate([a, b]) for a, b in zip(self, other, strict=True)))


def reviewer_limit(org, capacity: int) -> int:
    """Largest number of peers asked to review one proposal."""
    max_peers = int(np.diff(org.peer_ptr).max(initial=0))
    return max(1, min(max_peers, capacity * REVIEWERS_PER_CAPACITY))


def effective_budget(model) -> int:
    """The change budget, shrunk by up to :data:`BUDGET_SHRINK` when investors turn negative."""
    group = getattr(model, "stakeholders", None)  # a bare namespace in the rule tests
    investors = model.stance[kind_index(group, INVESTOR) if group is not None
                             else np.flatnonzero(model.stakeholder_kind == INVESTOR)]
    # sum / count is what ``mean`` computes (same sum, same division), without its overhead.
    mood = float(investors.sum()) / investors.size if investors.size else 0.0
    budget = model.config.firm.change_budget
    return max(1, int(math.floor(budget * (1.0 + BUDGET_SHRINK * min(0.0, mood)) + 0.5)))


def land_changes(model, t: int) -> None:
    """Approved changes whose lag has run out land on the product."""
    still_pending = []
    for change in model.pending:
        land, attribute, value, variant, created = change
        if land <= t:
            model.products[variant, attribute] = value
            model.economics.change_landed(attribute, variant)
            model.counters["implemented"] += 1
            model.latencies.append(land - created)
        else:
            still_pending.append(change)
    model.pending = still_pending


def projected_products(model) -> np.ndarray:
    """The product variants as they will be once every approved change has landed."""
    projected = model.products.copy()
    for _, attribute, value, variant, _ in sorted(model.pending):
        projected[variant, attribute] = value
    return projected


#: The last serve weights of each model (firm), with their cumulative sums and the key of
#: what they were computed from; kept beside the model so stepping adds no attribute to it.
_SERVE_WEIGHTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def serve_weight(model) -> np.ndarray:
    """Share of each variant's customers in each segment (V, S); arrived segments only."""
    customers = model.population
    # It changes only when a segment arrives or its size changes: computed again then (the
    # key is the arrays it is computed from), else the last one is returned (read-only).
    key = (model.products.shape[0], customers.segment_active.tobytes(),
           customers.segment_sizes.tobytes(), model.variant_of_segment.tobytes())
    cached = _SERVE_WEIGHTS.get(model)
    if cached is not None and cached[0] == key:
        return cached[1]
    segments = model.total_segments
    weight = np.zeros((model.products.shape[0], segments))
    weight[model.variant_of_segment, np.arange(segments)] = np.where(
        customers.segment_active, customers.segment_sizes, 0.0)
    totals = weight.sum(axis=1, keepdims=True)
    weight = np.divide(weight, totals, out=np.zeros(weight.shape), where=totals > 0)
    weight.flags.writeable = False
    _SERVE_WEIGHTS[model] = (key, weight, np.cumsum(weight, axis=1))
    return weight


def _tests(model, modules, segments, asked, awareness, attribute_draw, sample_draw,
           noise_draw) -> Tests:
    """One test per row of the draws, by :func:`sense_changes`; ``asked`` flags who answers."""
    market, customers = model.market, model.population
    out = Tests.empty(attribute_draw.shape[0])
    sense_changes(
        modules, segments, market.module_start, model.variant_of_segment, model.products,
        market.dependencies, market.contributions, market.max_fitness,
        market.dependents_ptr, market.dependents, market.module_of,
        customers.segment_start, customers.active, asked, awareness,
        attribute_draw, sample_draw, noise_draw, *out,
    )
    return out


def sense(model, sensors: np.ndarray, awareness: float, sample_size: int,
          rng: np.random.Generator, modules=None, segments=None) -> Tests:
    """Run one test per sensor on a sample of the buyers of its segment."""
    count = sensors.shape[0]
    modules = model.org.module[sensors] if modules is None else modules
    segments = model.org.segment[sensors] if segments is None else segments
    attribute_draw = rng.random(count)
    sample_draw = rng.random((count, sample_size))
    noise_draw = rng.standard_normal((count, sample_size))
    noise_draw *= model.config.firm.feedback_noise  # in place: the same products
    return _tests(model, modules, segments, model.population.buying, awareness,
                  attribute_draw, sample_draw, noise_draw)


def sense_on_self(model, speaking: np.ndarray, segments: np.ndarray, rng) -> Tests:
    """Each partner customer tests a random change on itself (whole-product value)."""
    count = speaking.shape[0]
    start = model.population.segment_start
    sizes = (start[segments + 1] - start[segments]).astype(float)
    # A sample of one that points at the customer itself.
    sample_draw = ((speaking - start[segments] + 0.5) / sizes)[:, None]
    # A partner is asked whatever it buys: its own test does not need it to be a buyer.
    everyone = np.ones_like(model.population.buying)
    attribute_draw = rng.random(count)
    noise_draw = rng.standard_normal((count, 1)) * model.config.firm.feedback_noise
    return _tests(model, np.full(count, -1, np.int64), segments, everyone, 1.0,
                  attribute_draw, sample_draw, noise_draw)


def partner_proposals(model) -> Proposals | None:
    """Proposals of partner customers and partner stakeholders (``partners_propose``).

    A partner customer tests a change on its own needs: a sample of one (itself), judging
    the whole product's value for its segment. A partner stakeholder runs a test like an
    employee's but on the whole product. Each proposal goes to a random working member of
    a pod owning the attribute's module and the segment (any pod of the module if none
    owns that segment), which spends one unit of capacity on it; with no capacity left
    it is dropped.
    """
    rng = model.streams["partner_dynamics"]
    org, customers, counters = model.org, model.population, model.counters
    partners = np.flatnonzero(customers.is_partner & (customers.active == 1))
    speaking = partners[rng.random(partners.shape[0]) < model.config.customers.partner_rate]
    stake = np.flatnonzero(model.stakeholder_kind == PARTNER)
    # A partner with a good stance proposes up to twice as often; a hostile one stops.
    stake_chance = model.config.stakeholders.partner_rate * (1.0 + model.stance[stake])
    stake_speaking = stake[rng.random(stake.shape[0]) < stake_chance]
    live_segments = np.flatnonzero(customers.segment_active)
    results = []
    if speaking.size:
        segments = customers.segment[speaking]
        results.append((sense_on_self(model, speaking, segments, rng), segments))
    if stake_speaking.size:
        segments = live_segments[rng.integers(live_segments.shape[0],
                                              size=stake_speaking.shape[0])]
        out = sense(model, stake_speaking, 1.0, model.config.firm.sample_size, rng,
                    modules=np.full(stake_speaking.shape[0], -1, np.int64), segments=segments)
        results.append((out, segments))
    kept = []  # (member, attribute, value, local, noise, segment) per accepted proposal
    pod_members = np.flatnonzero((org.pod >= 0) & (org.alive == 1))
    for tests, segments in results:
        for i in range(tests.attribute.shape[0]):
            if tests.responders[i] == 0 or tests.local[i] + tests.noise[i] <= 0.0:
                continue
            module = model.market.module_of[tests.attribute[i]]
            owners = pod_members[(org.module[pod_members] == module)
                                 & (org.segment[pod_members] == segments[i])]
            if owners.size == 0:
                owners = pod_members[org.module[pod_members] == module]
            owners = owners[model.capacity_left[owners] > 0]
            counters["messages"] += 1
            if owners.size == 0:
                counters["dropped"] += 1
                continue
            member = owners[int(rng.integers(owners.shape[0]))]
            model.capacity_left[member] -= 1
            kept.append((member, tests.attribute[i], tests.value[i], tests.local[i],
                         tests.noise[i], segments[i]))
    if not kept:
        return None
    columns = list(zip(*kept, strict=True))
    return Proposals(*(np.array(column, dtype) for column, dtype in zip(
        columns, (np.int64, np.int64, np.uint8, float, float, np.int64), strict=True)))


def organization_step(model, t: int) -> None:
    """One step of the organization: test, propose, review, route, climb and decide."""
    org, f, spec, counters = model.org, model.config.firm, model.spec, model.counters
    rng = model.streams["organization_dynamics"]
    budget = effective_budget(model)
    model.budget_now = budget

    # 1. Who tests a change this step, in which scope.
    if org.rotating:
        current_scopes(org, t, model.config.market.modules)
    draw = rng.random(org.size)
    on_survey = (t % f.survey_interval) == 0
    # The step's capacity (full for the alive, none for the gone) and who tests: one pass.
    tests = np.empty(org.size, dtype=bool)
    waiting = np.empty(org.size, dtype=bool)
    org_kernels.choose_testers(org.senses, org.alive, org.segment, org.survey_only,
                               model.capacity, draw, f.sense_rate, model.capacity_left, tests,
                               waiting)
    if on_survey and org.survey_only.any():
        tests |= run_surveys(model, waiting)
    sensors = tests.nonzero()[0]  # np.flatnonzero of a 1-d array, without its wrappers
    segments = org.segment[sensors]
    out = sense(model, sensors, f.side_effect_awareness, f.sample_size, rng, segments=segments)
    # Issue 11 hook: employees in the customer conversation pay for it and hear customers.
    out = conversation.hear(model, sensors, out)
    valid = out.responders > 0
    if valid.all():  # the usual case: every test had responders, nothing to select
        proposals = Proposals(sensors, out.attribute, out.value, out.local, out.noise,
                              segments)
    else:
        proposals = Proposals(sensors[valid], out.attribute[valid], out.value[valid],
                              out.local[valid], out.noise[valid], segments[valid])

    # 2. Partners (``open``) bring proposals too.
    if spec.partners_propose:
        extra = partner_proposals(model)
        if extra is not None:
            proposals = proposals.join(extra)
    proposer, attribute, value, local, noise, segment = proposals
    variant = np.empty(segment.shape[0], np.int64)
    locally = np.empty(segment.shape[0], dtype=bool)
    local_deciders = org_kernels.proposal_sides(segment, proposer, model.variant_of_segment,
                                                org.decides_locally, variant, locally)

    # 3. Local deciders ask their peers; everyone else applies its own first filter.
    judged_noise = noise  # read only from here on, unless reviews change it (a copy then)
    if local_deciders:
        judged_noise = noise.copy()
        reviewed = np.flatnonzero(locally)
        noise_sum = np.empty(reviewed.size)
        reviewers = np.empty(reviewed.size, dtype=np.int64)
        review_draw = rng.standard_normal((reviewed.size, model.max_reviewers)) * (
            f.feedback_noise / math.sqrt(f.sample_size))
        org_kernels.peer_review(
            proposer[reviewed], org.peer_ptr, org.peers, org.alive, model.capacity_left,
            review_draw, noise_sum, reviewers,
        )
        judged_noise[reviewed] = (noise[reviewed] + noise_sum) / (1.0 + reviewers)
        counters["messages"] += 2 * int(reviewers.sum())
    # 4. Judge and route: a good proposal (positive estimate) escalates to a superior's
    #    queue or is decided directly. The message carries the proposer's (reviewed)
    #    estimate; a fully informed top needs only its error, since it re-evaluates the
    #    change exactly. A local decider also weighs the change's gain over the payback
    #    horizon against its retooling cost as it knows it (ODD section 7, "Economics"; the
    #    rule of economics.local_affordable); all pass at zero cost. One kernel pass.
    books = model.economics
    direct = np.empty(proposer.shape[0], np.int64)
    made, n_direct, vetoed, messages, dropped = org_kernels.route_estimates(
        local, judged_noise, proposer, locally, attribute, value, segment, variant,
        books.known_cost_table(f.side_effect_awareness), books.value_worth(model),
        books.annuity, f.decision_information == "fully_informed", spec.hub_review,
        org.parent, t, *model.queues.arrays(), direct,
    )
    counters["made"] += int(made)
    counters["vetoed"] += int(vetoed)
    counters["messages"] += int(messages)
    counters["dropped"] += int(dropped)
    direct = direct[:n_direct]

    # 5. Messages climb one level; tops (the CEO, hubs) decide against the projection.
    remaining = budget
    if spec.tops_decide:
        remaining -= climb_and_decide(model, t, budget, rng)

    # 6. Local decisions take what is left of the budget, in random order.
    if direct.size:
        direct = direct[rng.permutation(direct.size)]
        for p in direct[:max(0, remaining)]:
            model.pending.append((t + 1, int(attribute[p]), int(value[p]), int(variant[p]), t))
            counters["approved"] += 1
        counters["vetoed"] += max(0, len(direct) - max(0, remaining))

    used = model.capacity - model.capacity_left
    model.workload = org_kernels.workload_of(used, model.capacity, org.alive)


def run_surveys(model, waiting: np.ndarray) -> np.ndarray:
    """Surveys for branches cut off from customers (``siloed_social``). Returns who tests.

    Only the marketing branch reaches customers; it runs one survey test for each waiting
    employee, in index order, out of what is left of its own capacity this step (marketing
    employees in index order). Each test also costs the employee who reads it one unit.
    Employees whose survey finds no marketing capacity left learn nothing this time.
    """
    org, capacity_left = model.org, model.capacity_left
    marketing = np.flatnonzero((org.role == MARKETING) & (org.alive == 1))
    supply = int(capacity_left[marketing].sum())
    readers = np.flatnonzero(waiting & (capacity_left > 0))[:supply]
    remaining = readers.shape[0]
    for m in marketing:
        spent = min(remaining, int(capacity_left[m]))
        capacity_left[m] -= spent
        remaining -= spent
    capacity_left[readers] -= 1
    model.counters["messages"] += 2 * int(readers.shape[0])
    surveyed = np.zeros(org.size, dtype=bool)
    surveyed[readers] = True
    return surveyed


def climb_and_decide(model, t: int, budget: int, rng) -> int:
    """Move queued proposals up one level and let the tops decide. Returns approvals.

    What a top judges a proposal by is ``firm.decision_information`` (see :func:`judge`);
    the order it judges them in is the structure's own or ``firm.decision_order``.
    """
    org, f, market, counters = model.org, model.config.firm, model.market, model.counters
    tops = org_kernels.count_tops(org.parent, org.alive)
    size = max(1, tops * f.capacity)
    # The proposals the tops take out of their queues: (attribute, value, variant, report,
    # origin, created), filled by the kernel.
    taken_buffers = (np.empty(size, np.int64), np.empty(size, np.uint8),
                     np.empty(size, np.int64), np.empty(size), np.empty(size, np.int64),
                     np.empty(size, np.int64))
    hop_draw = rng.standard_normal(max(1, int(model.queues.length.sum())))
    hop_draw *= f.hop_noise  # in place: the same products
    taken, forwarded, dropped = org_kernels.climb_tree(
        org.parent, org.alive, model.capacity_left, t, hop_draw, *model.queues.arrays(),
        *taken_buffers,
    )
    counters["messages"] += int(forwarded)
    counters["dropped"] += int(dropped)
    if taken == 0:
        return 0
    attribute, value, variant, report, origin, created = (b[:taken] for b in taken_buffers)
    best_first = decides_best_first(model)
    order = np.empty(taken, dtype=np.int64)
    projected = projected_products(model)
    weight = serve_weight(model)
    # The value a change must bring to pay its retooling over the payback horizon (exactly
    # 0 when changes cost nothing, so the decisions are then the cost-free model's).
    if f.decision_information == "fully_informed":
        hurdle = economics.hurdles(model, attribute, variant)
        approved = org_kernels.decide(
            projected, attribute, value, variant, report - hurdle, budget, best_first, weight,
            market.dependencies, market.contributions, market.max_fitness,
            market.dependents_ptr, market.dependents, market.module_of, order,
        )
    else:
        judged = judge(model, projected, weight, attribute, value, variant, report,
                       org.segment[origin], tops, best_first, rng)
        # judged - economics.hurdles(...), element by element in one pass (the same numbers).
        books = model.economics
        judging.less_hurdles(judged, attribute, variant, books.known_cost_table(1.0),
                             model.products.shape[0], model.variant_of_segment,
                             books.value_worth(model), books.annuity)
        approved = judging.decide_on_estimates(projected, attribute, value, variant,
                                               judged, budget, best_first, order)
    for c in order[:approved].tolist():
        # An approved change travels back down to the proposer's level before it lands.
        lag = max(1, int(org.depth[origin[c]]))
        model.pending.append((t + lag, int(attribute[c]), int(value[c]), int(variant[c]),
                              int(created[c])))
        counters["messages"] += lag
    counters["approved"] += int(approved)
    counters["vetoed"] += int(taken - approved)
    return int(approved)


def decides_best_first(model) -> bool:
    """Whether tops and hubs judge best first (else in arrival order)."""
    setting = model.config.firm.decision_order
    return model.spec.best_first if setting == "structure" else setting == "best_first"


def judge(model, projected, weight, attribute, value, variant, report, proposer_segment,
          tops: int, best_first: bool, rng) -> np.ndarray:
    """The value a top believes each proposal has, from what reached it (``staff``).

    A proposal's report is its proposer's estimate of the change's value in its own segment
    (own module plus the share ``w`` of side effects it takes into account), as distorted on
    the way up. On its own it speaks for that segment's customers only, so the top weighs
    it by their share of the variant's customers. The top's staff can survey customers of
    every segment the variant serves about up to ``staff_capacity`` proposals per top and
    step (:func:`simulation.kernels.judging.staff_estimates`): the best-reported first when
    the top ranks proposals, the first arrived otherwise. A surveyed proposal is judged by
    the survey (an estimate of its whole effect on the planned product), the others by their
    weighted report. Each survey costs two messages and counts as one staff evaluation.
    """
    f, market, counters = model.config.firm, model.market, model.counters
    count = attribute.shape[0]
    reported = weight[variant, proposer_segment] * report
    slots = min(count, f.staff_capacity * max(1, tops))
    # The best-reported ``slots`` (or the first arrived) are surveyed.
    evaluate = np.empty(count, dtype=bool)
    judging.choose_surveyed(reported, slots, best_first, evaluate)
    respondent_draw = rng.random((count, f.staff_sample))
    noise_draw = rng.standard_normal((count, f.staff_sample)) * f.feedback_noise
    cached = _SERVE_WEIGHTS.get(model)
    cumulative = (cached[2] if cached is not None and weight is cached[1]
                  else np.cumsum(weight, axis=1))
    surveyed = np.empty(count)
    judging.staff_estimates(
        projected, attribute, value, variant, evaluate, cumulative,
        respondent_draw, noise_draw, market.dependencies, market.contributions,
        market.max_fitness, market.dependents_ptr, market.dependents, market.module_of,
        surveyed,
    )
    counters["staff"] += int(slots)
    counters["messages"] += 2 * int(slots)
    return np.where(evaluate, surveyed, reported)


def rescope_for(model, segment: int) -> None:
    """Re-scope every n-th sensing employee (or pod) to a newly arrived segment.

    With ``n`` active segments after the arrival, every n-th sensing employee (in index
    order; where whole pods re-scope, every n-th pod) turns to the new segment, keeping the
    modules of its scope.
    """
    live_segments = int(model.population.segment_active.sum())
    org, modules = model.org, model.config.market.modules
    if model.spec.rescope_pods:
        pods = np.unique(org.pod[org.pod >= 0])
        chosen = pods[::live_segments][: max(1, pods.shape[0] // live_segments)]
        turning = np.flatnonzero(np.isin(org.pod, chosen))
    else:
        sensors = np.flatnonzero(org.senses & (org.scope_length > 0))
        turning = sensors[::live_segments]
    cycle = org.scope_cycle[turning]
    org.scope_cycle[turning] = np.where(cycle >= 0, cycle % modules + modules * segment, -1)
    current_scopes(org, model.step_index, modules)
