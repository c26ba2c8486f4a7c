"""Judging proposals from what reached the decider (simulation.kernels.judging)."""

import naive
import numpy as np
import pytest

from simulation.core.landscapes import dependents_of, draw_contributions, draw_dependencies
from simulation.kernels.judging import decide_on_estimates, staff_estimates
from simulation.kernels.nk import fitness


def _world(seed, n=8, k=2, segments=3, variants=1):
    rng = np.random.default_rng(seed)
    dependencies = draw_dependencies(n, k, rng, modules=2, cross_module_share=0.5)
    ptr, dependents, _ = dependents_of(dependencies)
    contributions = np.stack([draw_contributions(n, k, rng) for _ in range(segments)])
    max_fitness = 0.5 + rng.random(segments)
    products = rng.integers(0, 2, size=(variants, n)).astype(np.uint8)
    weights = rng.random((variants, segments))
    if variants > 1:
        weights = np.eye(variants, segments)
    cumulative = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
    module_of = (np.arange(n) * 2) // n
    return rng, dependencies, ptr, dependents, contributions, max_fitness, products, \
        cumulative, module_of


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("variants", [1, 3])
def test_staff_estimates_equal_reference(seed, variants):
    """Kernel, its py_func and the reference agree (to rounding of a different sum order)."""
    (rng, dependencies, ptr, dependents, contributions, max_fitness, products, cumulative,
     module_of) = _world(seed, variants=variants)
    count, respondents = 7, int(rng.integers(0, 6))
    attribute = rng.integers(0, dependencies.shape[0], count)
    value = rng.integers(0, 2, count).astype(np.uint8)
    variant = rng.integers(0, variants, count)
    evaluate = rng.random(count) < 0.7
    respondent_draw = rng.random((count, respondents))
    noise_draw = rng.standard_normal((count, respondents)) * 0.03
    args = (products, attribute, value, variant, evaluate, cumulative, respondent_draw,
            noise_draw, dependencies, contributions, max_fitness, ptr, dependents, module_of)
    compiled, plain = np.empty(count), np.empty(count)
    staff_estimates(*args, compiled)
    staff_estimates.py_func(*args, plain)
    assert np.array_equal(compiled, plain)
    expected = naive.staff_estimates(products, attribute, value, variant, evaluate, cumulative,
                                     respondent_draw, noise_draw, dependencies, contributions,
                                     max_fitness)
    np.testing.assert_allclose(compiled, expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("best_first", [True, False])
def test_decide_on_estimates_equals_reference(seed, best_first):
    """Same approvals, in the same order, and the same plan afterwards (exact)."""
    rng = np.random.default_rng(seed)
    count, n, variants = int(rng.integers(0, 12)), 6, 2
    projected = rng.integers(0, 2, size=(variants, n)).astype(np.uint8)
    attribute = rng.integers(0, n, count)
    value = rng.integers(0, 2, count).astype(np.uint8)
    variant = rng.integers(0, variants, count)
    judged = np.round(rng.normal(0, 0.02, count), 3)  # rounding makes ties happen
    budget = int(rng.integers(0, 5))
    expected, plan = naive.decide_on_estimates(projected, attribute, value, variant, judged, budget,
                                  best_first)
    for function in (decide_on_estimates, decide_on_estimates.py_func):
        mine = projected.copy()
        order = np.empty(count, dtype=np.int64)
        approved = function(mine, attribute, value, variant, judged, budget, best_first, order)
        assert list(order[:approved]) == expected
        assert np.array_equal(mine, plan)


def test_staff_estimate_is_unbiased_for_the_whole_effect():
    """With many respondents and no noise, the estimate is the customer-weighted effect."""
    (rng, dependencies, ptr, dependents, contributions, max_fitness, products, cumulative,
     module_of) = _world(3)
    weights = np.diff(np.concatenate([[0.0], cumulative[0]]))
    attribute, value = np.array([2]), np.array([1 - products[0, 2]], dtype=np.uint8)
    after = products[0].copy()
    after[2] = value[0]
    truth = sum(weights[s] * (fitness(after, dependencies, contributions[s])
                              - fitness(products[0], dependencies, contributions[s]))
                / max_fitness[s] for s in range(3))
    draws = (np.arange(20000) + 0.5)[None, :] / 20000  # evenly spread respondents
    out = np.empty(1)
    staff_estimates(products, attribute, value, np.array([0]), np.array([True]), cumulative,
                    draws, np.zeros_like(draws), dependencies, contributions, max_fitness, ptr,
                    dependents, module_of, out)
    assert out[0] == pytest.approx(truth, abs=1e-4)
