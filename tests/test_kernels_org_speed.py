"""The per-firm step's fused kernels equal their plain-Python twins (tests/naive.py) and the
NumPy passes they replaced, bit for bit, on random small worlds (issue 26)."""

from __future__ import annotations

import naive
import numpy as np
import pytest
from test_org_kernels import random_queues

from simulation.core.landscapes import dependents_of, draw_contributions, draw_dependencies
from simulation.kernels import judging
from simulation.kernels import organization as ok


@pytest.mark.parametrize("seed", range(6))
def test_count_tops_random_worlds(seed):
    """Dead tops, alive non-tops: the kernel counts what its twin and the old mask count."""
    rng = np.random.default_rng(seed)
    employees = 40
    parent = np.where(rng.random(employees) < 0.3, -1, rng.integers(0, employees, employees))
    alive = (rng.random(employees) < 0.7).astype(np.uint8)
    alive[np.flatnonzero(parent == -1)[0]] = 0  # a top who left
    tops = naive.count_tops(parent, alive)
    assert 0 < tops < int((parent == -1).sum()), "the world should hold dead and alive tops"
    for function in (ok.count_tops, ok.count_tops.py_func):
        assert function(parent, alive) == tops
    assert tops == int(((parent == -1) & (alive == 1)).sum())


def _proposals(rng, count, employees):
    """Estimates on both sides of 0, local deciders and not, costs with zeros, worths with a
    zero: every branch of judging and routing."""
    local = rng.normal(0.0, 0.05, count)
    judged_noise = rng.normal(0.0, 0.05, count)
    proposer = rng.integers(0, employees, count).astype(np.int64)
    locally = rng.random(count) < 0.5
    attribute = rng.integers(0, 12, count).astype(np.int64)
    value = rng.integers(0, 2, count).astype(np.uint8)
    segment = rng.integers(0, 4, count).astype(np.int64)
    variant = rng.integers(0, 3, count).astype(np.int64)
    known_cost = np.where(rng.random(12) < 0.3, 0.0, rng.random(12) * 0.4)
    worth = np.array([0.0, *(rng.random(3) * 40.0)])
    return (local, judged_noise, proposer, locally, attribute, value, segment, variant,
            known_cost, worth)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("hub_review", [False, True])
@pytest.mark.parametrize("fully_informed", [False, True])
def test_route_estimates_random_worlds(seed, hub_review, fully_informed):
    """Counts, local decisions and queues equal the twin's, and equal the passes the kernel
    replaced (economics.local_affordable's rule, then route_proposals), bit for bit."""
    rng = np.random.default_rng(seed)
    employees, slots, step, count, annuity = 10, 2, 7, 60, 4.5
    parent = np.where(rng.random(employees) < 0.3, -1, rng.integers(0, employees, employees))
    arrays = _proposals(rng, count, employees)
    (local, judged_noise, proposer, locally, attribute, value, segment, variant, known_cost,
     worth) = arrays
    start = random_queues(rng, employees, slots, step)
    queues = naive.read_queues(*start)
    made, kept, vetoed, messages, dropped = naive.route_estimates(
        *arrays, annuity, fully_informed, hub_review, parent, step, queues, slots)
    assert made < count and vetoed and messages and dropped and kept, "every branch"

    # The NumPy passes the kernel replaced.
    estimate = local + judged_noise
    good = estimate > 0.0
    cost = known_cost[attribute]
    affordable = (cost <= 0) | (estimate * worth[segment] * annuity > cost)
    report = judged_noise if fully_informed else estimate
    old = [a.copy() for a in start]
    old_direct = np.empty(count, np.int64)
    old_counts = ok.route_proposals(np.flatnonzero(good), proposer, locally, affordable,
                                    hub_review, parent, attribute, value, variant, report,
                                    step, *old, old_direct)
    assert made == int(good.sum())

    for function in (ok.route_estimates, ok.route_estimates.py_func):
        state = [a.copy() for a in start]
        direct = np.full(count, -1, np.int64)
        counts = function(*arrays, annuity, fully_informed, hub_review, parent, step, *state,
                          direct)
        assert counts == (made, len(kept), vetoed, messages, dropped)
        assert direct[:counts[1]].tolist() == kept
        assert naive.read_queues(*state) == queues
        assert counts[1:] == old_counts
        np.testing.assert_array_equal(direct[:counts[1]], old_direct[:old_counts[0]])
        for new, before in zip(state, old, strict=True):
            assert new.tobytes() == before.tobytes()


def _world(seed, n=8, k=2, segments=3, variants=2):
    rng = np.random.default_rng(seed)
    dependencies = draw_dependencies(n, k, rng, modules=2, cross_module_share=0.5)
    ptr, dependents, _ = dependents_of(dependencies)
    contributions = np.stack([draw_contributions(n, k, rng) for _ in range(segments)])
    max_fitness = 0.5 + rng.random(segments)
    products = rng.integers(0, 2, size=(variants, n)).astype(np.uint8)
    weights = rng.random((variants, segments))
    cumulative = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
    module_of = (np.arange(n) * 2) // n
    return (rng, products, cumulative, dependencies, contributions, max_fitness, ptr,
            dependents, module_of)


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("best_first", [True, False])
def test_choose_surveyed_random_worlds(seed, best_first):
    """Reports with ties (so the order among equals matters), no slot, fewer and more slots
    than candidates: the kernel picks what its twin picks and what the stable argsort it
    replaced picked; the judgement built on it (staff_estimates, then the report for the
    others) is the old one, bit for bit."""
    (rng, products, cumulative, dependencies, contributions, max_fitness, ptr, dependents,
     module_of) = _world(seed)
    count, respondents = 9, 4
    reported = np.round(rng.normal(0.0, 0.02, count), 2)  # rounded: ties among the reports
    attribute = rng.integers(0, dependencies.shape[0], count).astype(np.int64)
    value = rng.integers(0, 2, count).astype(np.uint8)
    variant = rng.integers(0, products.shape[0], count).astype(np.int64)
    respondent_draw = rng.random((count, respondents))
    noise_draw = rng.standard_normal((count, respondents)) * 0.03
    landscape = (dependencies, contributions, max_fitness, ptr, dependents, module_of)
    assert np.unique(reported).size < count, "the reports should hold ties"
    for slots in (0, 1, 3, count, count + 2):
        expected = naive.choose_surveyed(reported, slots, best_first)
        old = np.zeros(count, dtype=bool)
        if slots > 0:
            ranked = np.argsort(-reported, kind="stable") if best_first else np.arange(count)
            old[ranked[:slots]] = True
        assert old.tolist() == expected and sum(expected) == min(slots, count)
        for function in (judging.choose_surveyed, judging.choose_surveyed.py_func):
            chosen = np.ones(count, dtype=bool)
            function(reported, slots, best_first, chosen)
            assert chosen.tolist() == expected
        estimates = np.empty(count)
        judging.staff_estimates(products, attribute, value, variant, chosen, cumulative,
                                respondent_draw, noise_draw, *landscape, estimates)
        judged = np.where(chosen, estimates, reported)
        assert judged[~chosen].tobytes() == reported[~chosen].tobytes()
        if 0 < slots < count:
            assert not np.array_equal(judged, reported), "some survey should differ"


@pytest.mark.parametrize("seed", range(4))
def test_choose_surveyed_puts_nan_reports_last(seed):
    """Reports that are NaN, equal, or signed zeros are picked in the order of the stable
    argsort of ``-reported`` the kernel replaced (NaN last, ties to the earlier arrival)."""
    rng = np.random.default_rng(seed)
    count = 10
    reported = np.round(rng.normal(0.0, 0.02, count), 2)
    reported[rng.choice(count, 3, replace=False)] = np.nan
    reported[rng.choice(count, 2, replace=False)] = [0.0, -0.0]
    order = np.argsort(-reported, kind="stable")
    for slots in range(count + 1):
        old = np.zeros(count, dtype=bool)
        old[order[:slots]] = True
        for function in (judging.choose_surveyed, judging.choose_surveyed.py_func):
            chosen = np.zeros(count, dtype=bool)
            function(reported, slots, True, chosen)
            assert chosen.tolist() == old.tolist(), slots


@pytest.mark.parametrize("seed", range(6))
def test_less_hurdles_random_worlds(seed):
    """Free changes, variants worth nothing (an infinite hurdle) and costly changes: the
    kernel subtracts what its twin subtracts, and what economics.hurdles' passes gave."""
    rng = np.random.default_rng(seed)
    count, annuity = 30, 6.2
    judged = rng.normal(0.0, 0.05, count)
    known_cost = np.where(rng.random(12) < 0.3, 0.0, rng.random(12) * 0.3)
    attribute = rng.integers(0, 12, count).astype(np.int64)
    cost = known_cost[attribute]
    variant = rng.integers(0, 3, count).astype(np.int64)
    # Variant 0 serves no segment (worth 0: an infinite hurdle); 1 and 2 serve two each.
    variant_of_segment = np.array([1, 2, 1, 2], dtype=np.int64)
    segment_worth = rng.random(4) * 20.0
    worth = np.bincount(variant_of_segment, weights=segment_worth, minlength=3)
    expected = np.array(naive.less_hurdles(judged, cost, variant, worth, annuity))
    assert np.isinf(expected).any() and (expected != judged).any() and (cost == 0).any()
    # The passes of economics.hurdles, then the subtraction.
    rate = worth[variant] * annuity
    hurdle = np.where(cost > 0, np.divide(cost, rate, out=np.full(count, np.inf),
                                          where=rate > 0), 0.0)
    old = judged - hurdle
    assert old.tobytes() == expected.tobytes()
    for function in (judging.less_hurdles, judging.less_hurdles.py_func):
        out = judged.copy()
        function(out, attribute, variant, known_cost, 3, variant_of_segment, segment_worth,
                 annuity)
        assert out.tobytes() == expected.tobytes()


@pytest.mark.parametrize("seed", range(6))
def test_logit_worth_random_worlds(seed):
    """Segments without active customers, none or all buying: the kernel's worth equals its
    twin's and the NumPy passes of Economics.value_worth it replaced, bit for bit."""
    from simulation.kernels import judging as jk

    rng = np.random.default_rng(seed)
    segments = 8
    active = rng.integers(0, 500, segments).astype(np.int64)
    active[0] = 0
    buyers = (active * rng.random(segments)).astype(np.int64)
    buyers[1], buyers[2] = 0, active[2]
    price_sensitivity = 1.3 * 8.0
    expected = np.array(naive.logit_worth(buyers, active, price_sensitivity))
    counts = active.astype(float)
    share = np.divide(buyers, counts, out=np.zeros(counts.shape), where=counts > 0)
    old = price_sensitivity * counts * share * (1.0 - share)
    assert old.tobytes() == expected.tobytes() and (expected > 0).sum() >= 4
    for function in (jk.logit_worth, jk.logit_worth.py_func):
        out = np.full(segments, np.nan)
        function(buyers, active, price_sensitivity, out)
        assert out.tobytes() == expected.tobytes()


@pytest.mark.parametrize("seed", range(6))
def test_workload_of_random_worlds(seed):
    """Departed employees, zero capacity, idle and busy ones: as the twin and the old
    np.where pass, bit for bit."""
    rng = np.random.default_rng(seed)
    employees = 50
    capacity = rng.integers(0, 6, employees).astype(np.int64)
    used = np.minimum(rng.integers(0, 6, employees), np.maximum(capacity, 1)).astype(np.int64)
    alive = (rng.random(employees) < 0.8).astype(np.uint8)
    expected = np.array(naive.workload_of(used, capacity, alive))
    old = np.where(alive == 1, used / np.maximum(capacity, 1), 0.0)
    assert old.tobytes() == expected.tobytes()
    assert (expected == 0).any() and ((expected > 0) & (expected < 1)).any()
    for function in (ok.workload_of, ok.workload_of.py_func):
        assert function(used, capacity, alive).tobytes() == expected.tobytes()


@pytest.mark.parametrize("seed", range(6))
def test_proposal_sides_random_worlds(seed):
    """Variants per segment and local deciders among the proposers: as the twin and the old
    fancy indexing."""
    rng = np.random.default_rng(seed)
    employees, segments, count = 30, 5, 40
    segment = rng.integers(0, segments, count).astype(np.int64)
    proposer = rng.integers(0, employees, count).astype(np.int64)
    variant_of_segment = rng.integers(0, 3, segments).astype(np.int64)
    decides_locally = rng.random(employees) < 0.4
    variant, locally, local = naive.proposal_sides(segment, proposer, variant_of_segment,
                                                   decides_locally)
    assert 0 < local < count and len(set(variant)) > 1
    np.testing.assert_array_equal(variant, variant_of_segment[segment])
    np.testing.assert_array_equal(locally, decides_locally[proposer])
    for function in (ok.proposal_sides, ok.proposal_sides.py_func):
        out_variant = np.full(count, -1, np.int64)
        out_locally = np.zeros(count, dtype=bool)
        assert function(segment, proposer, variant_of_segment, decides_locally, out_variant,
                        out_locally) == local
        assert out_variant.tolist() == variant and out_locally.tolist() == locally


@pytest.mark.parametrize("seed", range(6))
def test_media_said_random_worlds(seed):
    """A medium with no active customer, one whose audience is silent, mixed ones: as the
    twin, and as media_voices' means then their ratio (the passes it replaced), bit for bit."""
    from simulation.kernels import stakeholders as sk

    rng = np.random.default_rng(seed)
    customers, media = 300, 6
    voice = rng.integers(-1, 2, customers).astype(np.int8)
    active = (rng.random(customers) < 0.85).astype(np.uint8)
    lists = [np.sort(rng.choice(customers, int(rng.integers(1, 60)), replace=False))
             for _ in range(media)]
    lists[0] = np.flatnonzero(active == 0)[:5]  # nobody active
    voice[lists[1]] = 0  # a silent audience
    reach_ptr = np.concatenate([[0], np.cumsum([a.size for a in lists])]).astype(np.int64)
    reach = np.concatenate(lists).astype(np.int64)
    expected = np.array(naive.media_said(reach_ptr, reach, voice, active))
    net, voiced = np.empty(media), np.empty(media)
    sk.media_voices(reach_ptr, reach, voice, active, net, voiced)
    old = np.divide(net, voiced, out=np.zeros(media), where=voiced > 0)
    assert old.tobytes() == expected.tobytes()
    assert expected[0] == expected[1] == 0.0 and (expected != 0).sum() >= 3
    for function in (sk.media_said, sk.media_said.py_func):
        out = np.full(media, np.nan)
        function(reach_ptr, reach, voice, active, out)
        assert out.tobytes() == expected.tobytes()


@pytest.mark.parametrize("seed", range(4))
def test_move_stances_random_worlds(seed):
    """Only the listed stakeholders move, each toward its own target: as the twin and the
    fancy-indexed NumPy update it replaced, bit for bit."""
    from simulation.kernels import stakeholders as sk

    rng = np.random.default_rng(seed)
    stance = rng.uniform(-1, 1, 20)
    who = np.sort(rng.choice(20, 7, replace=False)).astype(np.int64)
    target = rng.uniform(-1, 1, 7)
    rate = 0.05
    expected = stance.copy()
    naive.move_stances(expected, who, target, rate)
    old = stance.copy()
    old[who] = (1 - rate) * old[who] + rate * target
    assert old.tobytes() == expected.tobytes() and (expected != stance).sum() == 7
    for function in (sk.move_stances, sk.move_stances.py_func):
        out = stance.copy()
        function(out, who, target, rate)
        assert out.tobytes() == expected.tobytes()
