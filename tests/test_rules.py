"""Rule-level tests: each rule of the organization, the market and the statistics helpers
checked on a case small enough to draw by hand (issue 27).

Every test here is named after the rule it guards; ``experiments/mutation/plant.py`` plants
one plausible bug per rule and checks that the test named after it fails.
"""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from simulation import FirmModel
from simulation.analysis.statistics import band
from simulation.config.schema import ModelConfig
from simulation.config.vocabulary import FRONTLINE, HUB, INVESTOR, MANAGER, MARKETING, MEDIA
from simulation.core import organization
from simulation.core.market import Market
from simulation.core.structures import build_organization, repair_after_loss


def org_of(structure, **firm):
    config = ModelConfig(structure=structure, firm=firm)
    return build_organization(config, np.random.default_rng(0))


def peers_of(org, i):
    return set(org.peers[org.peer_ptr[i]:org.peer_ptr[i + 1]].tolist())


# ------------------------------------------------------------------ tree and pod builders
def test_tree_chart_of_seven_with_span_two_is_the_hand_drawn_one():
    """Breadth-first tree, span 2, 7 employees, drawn by hand:

            0
          1   2
         3 4 5 6

    0 decides (parent -1); 1 and 2 manage; the four leaves sense and escalate; depths 0/1/2.
    """
    org = org_of("hierarchy", employees=7, span=2)
    assert org.parent.tolist() == [-1, 0, 0, 1, 1, 2, 2]
    assert org.depth.tolist() == [0, 1, 1, 2, 2, 2, 2]
    assert org.role.tolist() == [MANAGER] * 3 + [FRONTLINE] * 4
    assert org.senses.tolist() == [False] * 3 + [True] * 4
    assert not org.decides_locally.any()  # no lateral links: everyone escalates
    assert sorted(map(tuple, org.edges.tolist())) == [(1, 0), (2, 0), (3, 1), (4, 1),
                                                      (5, 2), (6, 2)]
    # Managers have no scope (module -2, segment -1); the 4 leaves share the 16 pairs.
    assert org.module[:3].tolist() == [-2] * 3 and org.segment[:3].tolist() == [-1] * 3
    assert org.scope_length.tolist() == [0] * 3 + [4] * 4


def test_scope_rotation_a_sensor_takes_its_pairs_in_turn_one_per_step():
    """4 leaves, 4 modules x 4 segments: leaf k (employee 3 + k) owns pairs k, k + 4, k + 8,
    k + 12 (pair = module + 4 segment) and senses pair k + 4 (t mod 4) at step t."""
    from simulation.core.structures import current_scopes

    org = org_of("hierarchy", employees=7, span=2)
    for t in (0, 1, 2, 3, 5, 10):
        current_scopes(org, t, 4)
        pairs = [k + 4 * (t % 4) for k in range(4)]
        assert org.module[3:].tolist() == [p % 4 for p in pairs], t
        assert org.segment[3:].tolist() == [p // 4 for p in pairs], t
        assert org.module[:3].tolist() == [-2] * 3 and org.segment[:3].tolist() == [-1] * 3


def test_tree_chart_of_thirteen_with_span_three_is_the_hand_drawn_one():
    """Span 3: 0 manages 1-3, 1 manages 4-6, 2 manages 7-9, 3 manages 10-12."""
    org = org_of("hierarchy", employees=13, span=3)
    assert org.parent.tolist() == [-1, 0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]
    assert org.depth.tolist() == [0, 1, 1, 1] + [2] * 9
    reports = np.bincount(org.parent[org.parent >= 0], minlength=13)
    assert reports.tolist() == [3, 3, 3, 3] + [0] * 9  # every manager has exactly the span


def test_siloed_tree_marketing_is_the_last_division_and_the_others_wait_for_surveys():
    """siloed_social, 7 employees, span 2: division 2 (leaves 5, 6) is marketing and senses
    every step; leaves 3, 4 of division 1 sense only on survey steps."""
    org = org_of("siloed_social", employees=7, span=2)
    assert org.parent.tolist() == [-1, 0, 0, 1, 1, 2, 2]
    assert org.role.tolist() == [MANAGER] * 3 + [FRONTLINE] * 2 + [MARKETING] * 2
    assert org.survey_only.tolist() == [False] * 3 + [True, True, False, False]
    assert org.senses.tolist() == [False] * 3 + [True] * 4
    # Each group shares out all 16 pairs: marketing 5, 6 take 8 each, and so do 3, 4.
    assert org.scope_length.tolist() == [0] * 3 + [8] * 4
    for group in ([3, 4], [5, 6]):
        owned = org.scope_cycle[group]
        assert sorted(owned[owned >= 0].tolist()) == list(range(16))


def test_lateral_links_make_linked_frontline_employees_decide_locally():
    """With the dial at 1, frontline employees with a lateral link decide locally; managers
    never do; every lateral peer is a frontline employee."""
    org = org_of("hierarchy", employees=31, span=2, lateral_links=1.0, network_degree=4)
    frontline = org.role == FRONTLINE
    linked = np.diff(org.peer_ptr) > 0
    assert np.array_equal(org.decides_locally, frontline & linked)
    assert org.decides_locally.sum() > 10
    assert np.all(frontline[org.peers])
    # The links drawn are the reporting lines, then each lateral link once, no self-loops.
    lateral = org.edges[30:]
    assert np.array_equal(org.edges[:30], np.column_stack([np.arange(1, 31), org.parent[1:]]))
    assert (lateral[:, 0] != lateral[:, 1]).all()
    drawn = {frozenset(pair) for pair in lateral.tolist()}
    linked = {frozenset((i, int(j))) for i in range(31) for j in peers_of(org, i)}
    assert drawn == linked


def test_pod_chart_is_the_hand_drawn_one():
    """20 employees, pods of 3, hub span 2: round(20 / 7) = 3 hubs (0-2), 17 members in
    17 // 3 = 5 pods, member 3 + j in pod j mod 5; pod p reports to hub p mod 3. Members of a
    pod review each other (a clique) and nobody else; hubs neither sense nor review."""
    org = org_of("podular", employees=20, pod_size=3, hub_span=2)
    assert org.role[:3].tolist() == [HUB] * 3
    expected_pod = [-1, -1, -1] + [j % 5 for j in range(17)]
    assert org.pod.tolist() == expected_pod
    expected_parent = [-1, -1, -1] + [(j % 5) % 3 for j in range(17)]
    assert org.parent.tolist() == expected_parent
    assert org.depth.tolist() == [0] * 3 + [1] * 17
    assert org.senses.tolist() == [False] * 3 + [True] * 17
    assert np.array_equal(org.decides_locally, org.senses)
    for i in range(3, 20):
        team = {m for m in range(3, 20) if expected_pod[m] == expected_pod[i]} - {i}
        assert peers_of(org, i) == team
    for hub in range(3):
        assert peers_of(org, hub) == set()


def test_network_everyone_senses_and_decides_after_peer_review():
    """network: no one reports to anyone (parent -2); everyone senses and decides locally;
    the peer graph is symmetric with no self-loops."""
    org = org_of("network", employees=30, network_degree=4)
    assert (org.parent == -2).all() and (org.depth == 0).all()
    assert org.senses.all() and org.decides_locally.all()
    for i in range(30):
        peers = peers_of(org, i)
        assert i not in peers and peers
        assert all(i in peers_of(org, j) for j in peers)


# ------------------------------------------------------------------ repair after a loss
def test_repair_rule_a_departed_manager_s_reports_go_to_the_manager_above():
    """Manager 1 leaves the 7/2 tree: 3 and 4 now report to 0 at depth 1 and still sense."""
    org = org_of("hierarchy", employees=7, span=2)
    repair_after_loss(org, np.array([1]))
    assert org.parent.tolist()[2:] == [0, 0, 0, 2, 2]
    assert org.depth[[3, 4, 5, 6]].tolist() == [1, 1, 2, 2]
    assert org.senses.tolist() == [False, False, False, True, True, True, True]


def test_repair_rule_the_top_is_replaced_by_its_lowest_numbered_report():
    """The top leaves: 1 is promoted (parent -1) and 2 reports to it; depths follow."""
    org = org_of("hierarchy", employees=7, span=2)
    repair_after_loss(org, np.array([0]))
    assert org.parent[1:].tolist() == [-1, 1, 1, 1, 2, 2]
    assert org.depth[1:].tolist() == [0, 1, 1, 1, 2, 2]
    assert org.senses[3:].all() and not org.senses[:3].any()


def test_repair_rule_a_promoted_frontline_employee_stops_sensing():
    """Tree 0 -> {1, 2}: the top leaves, frontline 1 is promoted over 2: it now manages, so
    it stops sensing; 2 still senses. With the whole management gone (0, 1, 2 of the 7/2
    tree) the lowest-numbered survivor, 3, takes over 4, 5, 6 and stops sensing."""
    org = org_of("hierarchy", employees=3, span=2)
    repair_after_loss(org, np.array([0]))
    assert org.parent[1:].tolist() == [-1, 1]
    assert org.senses.tolist() == [False, False, True]
    org = org_of("hierarchy", employees=7, span=2)
    repair_after_loss(org, np.array([0, 1, 2]))
    assert org.parent[3:].tolist() == [-1, 3, 3, 3]
    assert org.depth[3:].tolist() == [0, 1, 1, 1]
    assert org.senses.tolist() == [False] * 4 + [True] * 3


def test_repair_rule_a_second_loss_of_the_top_leaves_one_top():
    """Tree 0 -> {1, 2}, 1 -> {3}: the top leaves (1 takes over, 2 reports to it), then 1
    leaves: 2, its lowest-numbered remaining report, takes over and 3 reports to 2 (found by
    hypothesis: 3 used to climb to the first departed top and became a second top)."""
    org = org_of("hierarchy", employees=4, span=2)
    assert org.parent.tolist() == [-1, 0, 0, 1]
    repair_after_loss(org, np.array([0]))
    repair_after_loss(org, np.array([1]))
    assert org.parent[2:].tolist() == [-1, 2]
    assert org.depth[2:].tolist() == [0, 1]
    assert org.senses.tolist() == [False, False, False, True]


def test_repair_rule_pods_of_a_departed_hub_move_to_the_lowest_remaining_hub():
    """Hub 0 leaves: its pods (0 and 3) report to hub 1; with every hub gone, pods decide
    alone (parent -2). A departed member stops sensing; its pod keeps working."""
    org = org_of("podular", employees=20, pod_size=3, hub_span=2)
    before = org.parent.copy()
    repair_after_loss(org, np.array([0, 3]))
    members = np.arange(4, 20)
    expected = np.where(before[members] == 0, 1, before[members])
    assert org.parent[members].tolist() == expected.tolist()
    assert not org.senses[3] and org.senses[members].all()
    repair_after_loss(org, np.array([1, 2]))
    assert (org.parent[members] == -2).all()


def test_repair_rule_departed_network_employees_stop_sensing():
    org = org_of("network", employees=30, network_degree=4)
    repair_after_loss(org, np.array([5, 6]))
    assert not org.senses[[5, 6]].any() and org.senses.sum() == 28
    assert org.alive[[5, 6]].tolist() == [0, 0]


# ------------------------------------------------------------------ turbulence
def test_turbulence_reach_moves_every_entry_of_the_segments_hit_and_no_other():
    """At rate 1 every attribute table of the segments hit is redrawn: their shared base and
    their own entries, so every contribution entry changes (base-linked or not) and each
    optimum is re-found; the other segments are untouched."""
    market = Market(ModelConfig().market, 4, np.random.default_rng(5))
    contributions, own = market.contributions.copy(), market.own.copy()
    base, optimum = market.segment_base.copy(), market.max_fitness.copy()
    moved = market.turbulence_step([0, 2], 1.0, np.random.default_rng(6))
    assert moved == market.attributes
    for segment in (0, 2):
        assert (market.own[segment] != own[segment]).all()
        assert (market.segment_base[segment] != base[segment]).all()
        assert (market.contributions[segment] != contributions[segment]).all()
        assert market.max_fitness[segment] != optimum[segment]
    # The segments hit move together: their base entries are the same fresh draw.
    assert np.array_equal(market.segment_base[0], market.segment_base[2])
    for segment in (1, 3):
        assert np.array_equal(market.contributions[segment], contributions[segment])
        assert np.array_equal(market.own[segment], own[segment])
        assert market.max_fitness[segment] == optimum[segment]


def test_turbulence_reach_a_moving_attribute_changes_its_whole_table_and_only_it():
    """At a low rate, the tables that move are redrawn in full (own and base entries) in
    every segment hit; the other attributes' tables stay as they were."""
    market = Market(ModelConfig().market, 3, np.random.default_rng(7))
    contributions = market.contributions.copy()
    market.turbulence_step([0, 1, 2], 0.2, np.random.default_rng(8))
    changed = (market.contributions != contributions).all(axis=2)  # (S, N)
    unchanged = (market.contributions == contributions).all(axis=2)
    assert np.all(changed | unchanged)
    assert np.all(changed == changed[0]) and 0 < changed[0].sum() < market.attributes


# ------------------------------------------------------------------ change budget
def budget_model(budget, stances, kinds=None):
    stances = np.asarray(stances, dtype=float)
    kinds = np.full(stances.shape[0], INVESTOR) if kinds is None else np.asarray(kinds)
    return SimpleNamespace(stance=stances, stakeholder_kind=kinds,
                           config=SimpleNamespace(firm=SimpleNamespace(change_budget=budget)))


@pytest.mark.parametrize("budget, stances, expected", [
    (4, [-1.0, -1.0], 2),        # hostile investors halve the budget
    (4, [-1.0, 0.0], 3),         # a mean stance of -0.5 takes a quarter: 4 * 0.75 = 3
    (4, [1.0, 1.0], 4),          # a friendly stance does not enlarge it
    (4, [], 4),                  # no investors: the configured budget
    (1, [-1.0], 1),              # never below one change
    (10, [-0.6, -0.2], 8),       # 10 * (1 - 0.5 * 0.4) = 8
])
def test_change_budget_shrinks_with_hostile_investors_only(budget, stances, expected):
    """Budget rule: round(B * (1 + 0.5 * min(0, mean investor stance))), at least 1."""
    assert organization.effective_budget(budget_model(budget, stances)) == expected


def test_change_budget_reads_investors_only():
    """A hostile medium does not shrink the budget; only investors' stances count."""
    model = budget_model(4, [-1.0, 1.0], kinds=[MEDIA, INVESTOR])
    assert organization.effective_budget(model) == 4


def test_change_budget_caps_approvals_per_step():
    """No step approves more changes than the step's (effective) budget."""
    model = FirmModel(structure="network", rng=3, customers=800, employees=40, steps=30,
                      change_budget=1, sense_rate=1.0)
    approvals = []
    for _ in range(30):
        model.step()
        approvals.append(model.counters["approved"])
        assert approvals[-1] <= model.budget_now
    assert max(approvals) == 1  # the cap binds at least once


# ------------------------------------------------------------------ approval lag
def approval_lags(structure, steps=40, **overrides):
    """Lag (landing step minus approval step) of every change approved in a run."""
    model = FirmModel(structure=structure, rng=1, customers=800, steps=steps,
                      sense_rate=1.0, change_budget=4, **overrides)
    lags = []
    for t in range(steps):
        model.step()
        approved = model.counters["approved"]
        lags += [land - t for land, *_ in model.pending[len(model.pending) - approved:]]
    return lags


def test_approval_lag_is_the_proposer_s_depth():
    """An approved change travels back down to its proposer before it lands: in a full
    binary tree of 31 every proposer is a leaf at depth 4, so a change the top approves at
    step t lands at t + 4; in pods (members at depth 1, under their hub) at t + 1."""
    tree = approval_lags("hierarchy", employees=31, span=2)
    assert len(tree) >= 3, "too few approvals to test the lag"
    assert set(tree) == {4}
    pods = approval_lags("podular", employees=30)
    assert len(pods) >= 3 and set(pods) == {1}


# ------------------------------------------------------------------ peer review
def test_peer_review_averages_the_proposer_s_noise_with_its_reviewers():
    """A local decider's judged noise is (own noise + reviewers' noises) / (1 + reviewers).

    Peer review is stubbed to report one reviewer with zero noise for every proposal, so a
    proposal counts as made when ``local + noise / 2 > 0``. The tests each step are
    recorded where the organization reads them (after the conversation hook), and the made
    count is recomputed from them by hand; each review costs two messages per reviewer.
    """
    model = FirmModel(structure="network", rng=4, customers=800, employees=40, steps=20,
                      sense_rate=1.0, feedback_noise=0.3, employees_converse=False)
    seen = []
    real_hear = organization.conversation.hear

    def record(model_, sensors, tests):
        out = real_hear(model_, sensors, tests)
        seen.append(out)
        return out

    def one_silent_reviewer(proposer, peer_ptr, peers, alive, capacity_left, draw,
                            noise_sum, reviewers):
        noise_sum[:] = 0.0
        reviewers[:] = 1

    averaged = unaveraged = 0
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(organization.conversation, "hear", record)
        patch.setattr(organization.org_kernels, "peer_review", one_silent_reviewer)
        for _ in range(20):
            seen.clear()
            model.step()
            tests = seen[0]
            valid = tests.responders > 0
            local, noise = tests.local[valid], tests.noise[valid]
            made = int((local + noise / 2.0 > 0.0).sum())
            assert model.counters["made"] == made
            # A review is a request and an answer per reviewer; nothing else sends messages
            # in a network that does not converse (every decision is local).
            assert model.counters["messages"] == 2 * int(valid.sum())
            averaged += made
            unaveraged += int((local + noise > 0.0).sum())
    assert averaged != unaveraged  # the case can tell averaging from summing


# ------------------------------------------------------------------ band with missing values
def test_band_with_missing_values_counts_and_averages_only_the_present_ones():
    """band: n, mean and the t half width use the non-NaN replicates only; a point with one
    replicate left has no band (NaN half width)."""
    frame = pd.DataFrame({
        "structure": ["a"] * 5 + ["b"] * 2,
        "step": [0, 0, 0, 1, 1, 0, 0],
        "value": [1.0, 2.0, np.nan, 5.0, np.nan, 4.0, 6.0],
    })
    table = band(frame, "value").set_index(["structure", "step"])
    a0 = table.loc[("a", 0)]
    assert a0["n"] == 2 and a0["mean"] == pytest.approx(1.5)
    half = stats.t.ppf(0.975, 1) * np.std([1.0, 2.0], ddof=1) / np.sqrt(2)
    assert a0["half_width"] == pytest.approx(half)
    assert a0["low"] == pytest.approx(1.5 - half) and a0["high"] == pytest.approx(1.5 + half)
    a1 = table.loc[("a", 1)]
    assert a1["n"] == 1 and a1["mean"] == 5.0 and np.isnan(a1["half_width"])
    b0 = table.loc[("b", 0)]
    assert b0["n"] == 2 and b0["mean"] == pytest.approx(5.0)


# ------------------------------------------------------------------ latency, staff, partners
def test_decision_latency_is_landing_step_minus_proposal_step():
    """A change that lands records its latency: the step it lands minus the step its
    proposal was made (a tree of 31 with span 2: at least 2 x 4 hops)."""
    model = FirmModel(structure="hierarchy", rng=1, customers=800, employees=31, span=2,
                      steps=40, sense_rate=1.0, change_budget=4)
    landed = 0
    for t in range(40):
        due = sorted(land - created for land, _, _, _, created in model.pending if land <= t)
        model.step()
        assert sorted(model.latencies) == due
        landed += len(due)
    assert landed >= 3 and min(model.latencies or [8]) >= 8


def test_staff_judge_weighs_unsurveyed_reports_by_the_segment_share():
    """Without staff, a top believes a proposal worth its report times its segment's share
    of the variant's customers; with staff capacity c and T tops, the best-reported
    min(count, c T) proposals are surveyed instead."""
    model = FirmModel(structure="hierarchy", rng=2, customers=800, employees=20, steps=5,
                      staff_capacity=0)
    projected = organization.projected_products(model)
    weight = np.array([[0.1, 0.2, 0.3, 0.4]])
    attribute = np.arange(6, dtype=np.int64)
    value = np.ones(6, dtype=np.uint8)
    variant = np.zeros(6, dtype=np.int64)
    report = np.array([0.5, -0.2, 0.3, 0.1, 0.4, 0.05])
    segment = np.array([0, 1, 2, 3, 3, 1], dtype=np.int64)
    rng = np.random.default_rng(0)
    judged = organization.judge(model, projected, weight, attribute, value, variant, report,
                                segment, 1, True, rng)
    assert np.allclose(judged, weight[0, segment] * report)
    assert model.counters["staff"] == 0
    model = FirmModel(structure="hierarchy", rng=2, customers=800, employees=20, steps=5,
                      staff_capacity=1)
    judged = organization.judge(model, projected, weight, attribute, value, variant, report,
                                segment, 2, True, rng)
    reported = weight[0, segment] * report
    surveyed = np.argsort(-reported, kind="stable")[:2]  # 1 per top, 2 tops
    assert model.counters["staff"] == 2
    others = np.setdiff1d(np.arange(6), surveyed)
    assert np.allclose(judged[others], reported[others])
    assert not np.allclose(judged[surveyed], reported[surveyed])


def test_partner_proposals_go_to_an_owning_pod_member_with_capacity():
    """In ``open``, each partner proposal is handed to a working pod member whose scope
    covers the attribute's module and costs it one unit of capacity; members with no
    capacity left get none."""
    config = ModelConfig(structure="open", customers={"count": 800, "partner_share": 0.3,
                                                      "partner_rate": 1.0},
                         firm={"employees": 40}, steps=10)
    model = FirmModel(config=config, rng=3)
    model.run(3)
    org = model.org
    model.capacity_left[:] = np.where(org.alive == 1, model.capacity, 0)
    busy = np.flatnonzero(org.pod >= 0)[::2]
    model.capacity_left[busy] = 0
    before = model.capacity_left.copy()
    model.counters["messages"] = model.counters["dropped"] = 0
    proposals = organization.partner_proposals(model)
    assert proposals is not None and proposals.proposer.size >= 5
    assert np.all(org.module[proposals.proposer] == model.market.module_of[proposals.attribute])
    assert not np.isin(proposals.proposer, busy).any()
    spent = np.bincount(proposals.proposer, minlength=org.size)
    assert np.array_equal(before - model.capacity_left, spent)
    assert model.counters["messages"] == proposals.proposer.size + model.counters["dropped"]


# ------------------------------------------------------------------ market, metrics, statistics
def test_normalised_fitness_is_fitness_over_the_segment_optimum():
    """A segment's normalised fitness is its variant's NK fitness divided by the segment's
    optimum: 1 at the optimum's state, fitness / optimum elsewhere (naive twin)."""
    import naive

    from simulation.kernels.optimum import global_maximum_bb

    market = Market(ModelConfig(market={"attributes": 8, "k": 2, "modules": 2}).market, 3,
                    np.random.default_rng(9))
    value, number = global_maximum_bb(market.dependencies, market.contributions[1],
                                      market.dependents_ptr, market.dependents)
    products = np.zeros((3, 8), dtype=np.uint8)
    products[1] = naive.state_of_number(int(number), 8)
    products[2] = np.random.default_rng(1).integers(0, 2, 8)
    out = market.normalised_fitness(products, np.arange(3), np.empty(3))
    assert out[1] == pytest.approx(1.0)
    for segment in (0, 2):
        raw = naive.fitness(products[segment], market.dependencies,
                            market.contributions[segment])
        assert out[segment] == pytest.approx(raw / market.max_fitness[segment])
        assert 0.0 < out[segment] < 1.0


def test_segment_correlation_of_one_segment_is_one():
    market = Market(ModelConfig().market, 3, np.random.default_rng(2))
    assert market.segment_correlation([1]) == 1.0
    assert -1.0 < market.segment_correlation([0, 1, 2]) < 1.0


def test_recorded_fitness_is_the_customer_weighted_mean_of_segment_fitness():
    """Step fitness: each segment's normalised fitness weighted by its active customers."""
    model = FirmModel(structure="network", rng=5, customers=600, employees=20, steps=3,
                      shocks=[{"kind": "new_segment", "step": 1}])
    for _ in range(3):
        model.step()
        counts = model.population.active_count.astype(float)
        expected = (model.segment_fitness * counts).sum() / counts.sum()
        assert model.records["fitness"][-1] == pytest.approx(expected)
        assert len(set(model.segment_fitness.round(6))) > 1  # the weights matter


def test_metrics_of_a_model_that_has_not_stepped_are_an_empty_table():
    frame = FirmModel(structure="hierarchy", rng=1, customers=300, employees=10).metrics()
    assert len(frame) == 0 and {"market_share", "fitness"} <= set(frame.columns)


def test_interval_of_two_values_is_the_t_interval_with_one_degree_of_freedom():
    from simulation.analysis.statistics import t_interval

    mean, low, high = t_interval([1.0, 3.0])
    half = stats.t.ppf(0.975, 1) * np.std([1.0, 3.0], ddof=1) / np.sqrt(2)
    assert (mean, low, high) == pytest.approx((2.0, 2.0 - half, 2.0 + half))


def test_paired_differences_default_reference_is_the_first_structure_listed():
    from simulation.analysis.statistics import paired_differences

    table = pd.DataFrame({"structure": ["b", "b", "a", "a"], "replicate": [0, 1, 0, 1],
                          "depth": [1.0, 2.0, 1.5, 3.0]})
    out = paired_differences(table, "depth")
    assert set(out["reference"]) == {"b"}
    assert out.set_index("structure").loc["a", "mean_difference"] == pytest.approx(0.75)


def test_replication_stops_exactly_at_the_maximum():
    """Batches of 5 up to a maximum of 24: the last batch is 4 pairs, not 5."""
    from simulation.analysis.statistics import replicate_until_precise

    rng = np.random.default_rng(3)
    state = {"next": 0}

    def batch(count):
        ids = np.arange(state["next"], state["next"] + count)
        state["next"] += count
        return pd.DataFrame({"structure": ["a"] * count + ["b"] * count,
                             "replicate": np.concatenate([ids, ids]),
                             "depth": rng.normal(0.0, 1.0, 2 * count)})

    result = replicate_until_precise(batch, 0.001, "depth", reference="a", min_replicates=5,
                                     max_replicates=24, step=5)
    assert result.reason == "maximum" and result.replicates == 24
    assert result.table["replicate"].nunique() == 24


def test_rescope_every_nth_sensor_turns_to_the_new_segment_keeping_its_modules():
    """A fifth segment arrives in a 7/2 tree (4 leaves): with 5 live segments every 5th
    sensor in index order (leaf 3) turns to segment 4, keeping the modules of its scope;
    the other leaves keep theirs."""
    model = FirmModel(structure="hierarchy", rng=1, customers=500, employees=7, span=2,
                      steps=3, shocks=[{"kind": "new_segment", "step": 1}])
    model.step()
    before = model.org.scope_cycle.copy()
    model.step()
    assert int(model.population.segment_active.sum()) == 5
    after = model.org.scope_cycle
    owned = before[3] >= 0
    assert np.array_equal(after[3][owned], before[3][owned] % 4 + 4 * 4)
    assert np.array_equal(after[[0, 1, 2, 4, 5, 6]], before[[0, 1, 2, 4, 5, 6]])


def test_network_has_no_tops_so_nothing_climbs_or_waits_for_a_top(monkeypatch):
    """In ``network`` every decision is local: the step never hands proposals to tops (and
    so never draws their hop noise, which would shift the run's random stream)."""
    def no_tops(*args, **kwargs):
        raise AssertionError("climb_and_decide called in a network")

    monkeypatch.setattr(organization, "climb_and_decide", no_tops)
    model = FirmModel(structure="network", rng=1, customers=500, employees=20, steps=10,
                      sense_rate=1.0)
    model.run()
    assert model.metrics()["proposals_approved"].sum() > 0


def test_partner_self_test_asks_the_partner_itself():
    """A partner customer's self-test is a sample of one: the partner itself. Only its own
    activity decides whether the test has a responder; every other customer of its segment
    is ignored."""
    config = ModelConfig(structure="open", customers={"count": 600, "partner_share": 0.3},
                         market={"segments": 3}, steps=5)
    model = FirmModel(config=config, rng=4)
    customers = model.population
    speaking = np.flatnonzero(customers.is_partner)
    segments = customers.segment[speaking]
    assert np.unique(segments).size == 3 and speaking.size > 100
    rng = np.random.default_rng(0)
    # Only the speaking partners are active: each answers its own test.
    customers.active[:] = 0
    customers.active[speaking] = 1
    assert np.array_equal(
        organization.sense_on_self(model, speaking, segments, rng).responders,
        np.ones(speaking.size))
    # Everyone but them is active: no test has a responder.
    customers.active[:] = 1
    customers.active[speaking] = 0
    assert np.array_equal(
        organization.sense_on_self(model, speaking, segments, rng).responders,
        np.zeros(speaking.size))


@pytest.mark.parametrize("left", [0, 1, 2])
def test_local_decisions_take_only_what_the_tops_left_of_the_budget(monkeypatch, left):
    """In a tree with lateral links the tops decide first; the local decisions get what is
    left of the budget, in random order, and every other local decision is vetoed: all of
    them when the tops used the whole budget. Every good proposal is escalated, vetoed or
    approved, exactly once (retooling costs nothing by default, so a local decision is
    vetoed only for want of budget)."""
    model = FirmModel(structure="hierarchy", rng=2, customers=800, employees=31, span=2,
                      lateral_links=1.0, sense_rate=1.0, change_budget=4, steps=10)
    model.run(3)
    pushes = []
    real_push = organization.org_kernels.push

    def counting_push(*args):
        pushes.append(args[0])
        return real_push(*args)

    monkeypatch.setattr(organization.org_kernels, "push", counting_push)
    monkeypatch.setattr(organization, "climb_and_decide",
                        lambda model, t, budget, rng: budget - left)
    vetoed_total = 0
    for t in range(3, 9):
        model._reset_counters()
        pending = len(model.pending)
        pushes.clear()
        organization.organization_step(model, t)
        counters = model.counters
        local = counters["made"] - len(pushes)  # good proposals not escalated
        approved = len(model.pending) - pending
        assert counters["approved"] == approved  # the stubbed tops approved nothing
        assert approved == min(left, local)
        assert counters["vetoed"] == local - approved
        vetoed_total += counters["vetoed"]
    assert vetoed_total > 0


def test_survey_only_employees_test_on_survey_steps_only(monkeypatch):
    """In ``siloed_social`` the branches cut off from customers learn only through the
    marketing branch's surveys, which run on the steps that are multiples of
    ``survey_interval`` and on no other."""
    steps = []
    real_surveys = organization.run_surveys

    def recording_surveys(model, waiting):
        steps.append(model.step_index)
        return real_surveys(model, waiting)

    monkeypatch.setattr(organization, "run_surveys", recording_surveys)
    model = FirmModel(structure="siloed_social", rng=1, customers=500, employees=31,
                      survey_interval=3, steps=14)
    assert model.org.survey_only.any()
    for t in range(14):
        before = len(steps)
        model.step()
        assert (len(steps) > before) == (t % 3 == 0), t


@pytest.mark.parametrize("rate", [0.0, 0.3])
def test_sense_rate_is_each_sensor_s_chance_to_test_per_step(monkeypatch, rate):
    """Each sensor with capacity tests a change with probability ``sense_rate`` per step:
    never at 0; at 0.3 in a share of its sensor-steps whose 99.9% binomial interval holds
    0.3."""
    tested = []
    real_sense = organization.sense

    def recording_sense(model, sensors, *args, **kwargs):
        tested.append(sensors.shape[0])
        return real_sense(model, sensors, *args, **kwargs)

    monkeypatch.setattr(organization, "sense", recording_sense)
    model = FirmModel(structure="hierarchy", rng=5, customers=500, employees=40,
                      sense_rate=rate, steps=20)
    sensors = int((model.org.senses & (model.org.segment >= 0)).sum())
    model.run()
    trials = sensors * 20
    if rate == 0.0:
        assert sum(tested) == 0
        assert model.metrics()["proposals_made"].sum() == 0
    else:
        low, high = stats.binomtest(sum(tested), trials, rate).proportion_ci(0.999)
        assert low <= rate <= high


@pytest.mark.parametrize("capacity", [2, 4])
def test_workload_is_the_share_of_capacity_used(capacity):
    """An employee's workload is the share of its step's capacity it used: a frontline
    employee of a tree whose only task is one test per step works at 1 / capacity;
    departed employees at 0."""
    model = FirmModel(structure="hierarchy", rng=3, customers=500, employees=31, span=2,
                      sense_rate=1.0, capacity=capacity, steps=5)
    model.run(3)
    frontline = np.flatnonzero(model.org.role == FRONTLINE)
    assert np.allclose(model.workload[frontline], 1.0 / capacity)
    assert np.all((model.workload >= 0) & (model.workload <= 1))


def test_staff_survey_noise_is_the_feedback_noise(monkeypatch):
    """A staff survey's respondents answer with the firm's feedback noise: none at all when
    ``feedback_noise`` is 0, a standard deviation of ``feedback_noise`` otherwise."""
    draws = []
    real_estimates = organization.judging.staff_estimates

    def recording_estimates(*args):
        draws.append(args[7].copy())  # noise_draw
        return real_estimates(*args)

    monkeypatch.setattr(organization.judging, "staff_estimates", recording_estimates)
    for noise in (0.0, 0.2):
        draws.clear()
        model = FirmModel(structure="hierarchy", rng=2, customers=800, employees=20,
                          staff_capacity=2, sense_rate=1.0, feedback_noise=noise, steps=12)
        model.run()
        answers = np.concatenate([d.ravel() for d in draws])
        assert answers.size > 200
        if noise == 0.0:
            assert np.all(answers == 0.0)
        else:
            assert 0.8 * noise < answers.std() < 1.2 * noise
            assert abs(answers.mean()) < 0.3 * noise
