"""The market's optimum (simulation.kernels.optimum: branch and bound, variable elimination)
against full enumeration."""

import numpy as np
import pytest

from simulation.core.landscapes import dependents_of, draw_contributions, draw_dependencies
from simulation.kernels import nk, optimum
from simulation.kernels.optimum import global_maximum_bb


def _landscape(rng, n, k, modules, cross):
    dependencies = draw_dependencies(n, k, rng, modules=modules, cross_module_share=cross)
    ptr, dependents, bits = dependents_of(dependencies)
    return dependencies, draw_contributions(n, k, rng), ptr, dependents, bits


@pytest.mark.parametrize("seed", range(40))
def test_branch_and_bound_equals_enumeration(seed):
    """The same optimum value (bit for bit) and a state reaching it, on random small worlds."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 15))
    k = int(rng.integers(0, n))
    modules = int(rng.integers(1, min(n, 5) + 1))
    dependencies, contributions, ptr, dependents, bits = _landscape(
        rng, n, k, modules, float(rng.random()))
    value, state_number = global_maximum_bb(dependencies, contributions, ptr, dependents)
    expected, _ = nk.global_maximum(dependencies, contributions, ptr, dependents, bits)
    assert value == expected
    state = ((state_number >> np.arange(n)) & 1).astype(np.uint8)
    assert nk.fitness(state, dependencies, contributions) == value
    every = np.empty(1 << n)
    nk.enumerate_fitness(dependencies, contributions, ptr, dependents, bits, every)
    assert value == pytest.approx(every.max(), abs=1e-12)


def test_branch_and_bound_full_size_and_edge_cases():
    """N = 20 at the model's default K, K = 0 (one peak) and equal contributions (all ties)."""
    rng = np.random.default_rng(5)
    for k in (0, 3):
        dependencies, contributions, ptr, dependents, bits = _landscape(rng, 20, k, 4, 0.5)
        value, _ = global_maximum_bb(dependencies, contributions, ptr, dependents)
        assert value == nk.global_maximum(dependencies, contributions, ptr, dependents, bits)[0]
    dependencies, contributions, ptr, dependents, bits = _landscape(rng, 8, 2, 2, 0.5)
    flat = np.full_like(contributions, 0.5)
    assert global_maximum_bb(dependencies, flat, ptr, dependents)[0] == 0.5


def _brute_doll(dependencies, contributions, start):
    """Best total of the contributions whose dependencies are all ``start`` or later, over
    every assignment of those attributes (plain Python, from scratch)."""
    n = len(dependencies)
    members = [i for i in range(n) if min(dependencies[i]) >= start]
    best = -np.inf
    for suffix in range(1 << (n - start)):
        total = 0.0
        for i in members:
            index = sum(((suffix >> (int(d) - start)) & 1) << j
                        for j, d in enumerate(dependencies[i]))
            total += contributions[i, index]
        best = max(best, total)
    return best if members else 0.0


@pytest.mark.parametrize("seed", range(12))
def test_doll_bounds_are_the_best_sums_of_the_later_contributions(seed):
    """Each computed doll bound equals the brute-force best of its contributions, and no bound
    exceeds the plain sum of best entries it replaces."""
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(4, 13))
    k = int(rng.integers(0, min(n, 4)))
    dependencies, contributions, ptr, dependents, _ = _landscape(
        rng, n, k, int(rng.integers(1, 4)), float(rng.random()))
    maxima = optimum._prefix_maxima(dependencies, contributions)
    doll_max, unassigned_max = optimum._doll_bounds(maxima, dependencies, ptr, dependents)
    assert doll_max[n] == unassigned_max[n] == 0.0
    assert np.all(doll_max <= unassigned_max + 1e-12)
    for start in range(max(n // optimum.DOLL_FROM, 1), n):
        assert doll_max[start] == pytest.approx(
            _brute_doll(dependencies, contributions, start), abs=1e-12)


@pytest.mark.parametrize("seed", range(30))
def test_warm_start_returns_the_cold_answer_whatever_the_hints(seed):
    """Hints (none, random states, the optimum itself, the optimum of a nearby landscape) change
    neither the value nor the state found; both are enumeration's (the maximum is unique)."""
    rng = np.random.default_rng(200 + seed)
    n = int(rng.integers(3, 14))
    k = int(rng.integers(0, min(n, 5)))
    dependencies, contributions, ptr, dependents, bits = _landscape(
        rng, n, k, int(rng.integers(1, 4)), float(rng.random()))
    cold = global_maximum_bb(dependencies, contributions, ptr, dependents)
    expected = nk.global_maximum(dependencies, contributions, ptr, dependents, bits)
    assert cold[0] == expected[0] and cold[1] == expected[1]
    nearby = contributions.copy()
    moved = rng.random(n) < 0.3
    nearby[moved] = rng.random((int(moved.sum()), nearby.shape[1]))
    near_optimum = global_maximum_bb(dependencies, nearby, ptr, dependents)[1]
    for hints in ([], [int(rng.integers(0, 1 << n)) for _ in range(3)], [cold[1]],
                  [near_optimum], [near_optimum, cold[1], 0]):
        warm = optimum.global_maximum_warm(dependencies, contributions, ptr, dependents,
                                           np.array(hints, dtype=np.int64))
        assert warm[0] == cold[0] and warm[1] == cold[1]


def test_restless_market_keeps_the_exact_optimum_of_every_segment():
    """After every turbulent step and need shift, each segment's stored optimum (found warm, from
    the previous optima) is the brute-force maximum of its landscape, and its state reaches it
    (naive twin)."""
    import naive

    from simulation.config.schema import ModelConfig
    from simulation.core.market import Market

    market = Market(ModelConfig(market={"attributes": 10, "k": 3, "modules": 2}).market, 3,
                    np.random.default_rng(4))
    assert market.optimum_plan.use  # found by variable elimination
    rng = np.random.default_rng(5)
    for step in range(24):
        if step % 8 == 7:
            market.shift_needs([0, 2], 0.4, rng)
        else:
            market.turbulence_step([0, 1, 2], 0.25, rng)
        for segment in range(3):
            value, number = naive.global_maximum(
                market.dependencies, market.contributions[segment], None, None, None)
            assert market.max_fitness[segment] == pytest.approx(value, abs=1e-12)
            assert market.optimum_state[segment] == number


# ------------------------------------------------------------------------------------------
# Variable elimination (global_maximum_planned): the market's search
# ------------------------------------------------------------------------------------------

def _eliminated(plan, contributions):
    """The elimination's own ``(state_number, smallest margin)``, without the fallback."""
    return optimum._eliminate(contributions, *plan[:-2])


def _assert_same_as_enumeration(dependencies, contributions, ptr, dependents, bits, rng):
    n = len(dependencies)
    plan = optimum.elimination_plan(dependencies, max_work=1 << 22)
    assert plan.use
    expected = nk.global_maximum(dependencies, contributions, ptr, dependents, bits)
    state_number, margin = _eliminated(plan, contributions)
    # The elimination answered by itself (not through the branch and bound), with the state
    # enumeration finds; the margin is the true gap to the second-best state (enumerated).
    assert margin > optimum._TIE_MARGIN
    assert state_number == expected[1]
    every = np.empty(1 << n)
    nk.enumerate_fitness(dependencies, contributions, ptr, dependents, bits, every)
    second = np.partition(every, -2)[-2] if n > 0 and every.size > 1 else -np.inf
    assert margin == pytest.approx((every.max() - second) * n, abs=1e-9)
    hints = np.array([int(rng.integers(0, 1 << n))], dtype=np.int64)
    value, number = optimum.global_maximum_planned(plan, dependencies, contributions, ptr,
                                                   dependents, hints)
    assert value == expected[0] and number == expected[1]  # bit for bit


@pytest.mark.parametrize("seed", range(40))
def test_elimination_equals_enumeration_on_small_worlds(seed):
    """State and value bit for bit as enumeration's, found by the elimination itself, and its
    smallest margin is the gap between the best and the second-best state."""
    rng = np.random.default_rng(300 + seed)
    n = int(rng.integers(2, 15))
    k = int(rng.integers(0, min(n, 6)))
    modules = int(rng.integers(1, min(n, 4) + 1))
    cross = (0.1, 0.5, 0.7)[seed % 3]
    _assert_same_as_enumeration(*_landscape(rng, n, k, modules, cross), rng)


@pytest.mark.parametrize("cross", [0.1, 0.5, 0.7])
def test_elimination_equals_enumeration_at_full_size(cross):
    """N = 20: K 0 to 5 over 1 to 4 modules (the market's size; enumeration ~10-20 ms each)."""
    rng = np.random.default_rng(int(cross * 10))
    for k in range(6):
        modules = 1 + k % 4
        _assert_same_as_enumeration(*_landscape(rng, 20, k, modules, cross), rng)


@pytest.mark.parametrize("seed", range(12))
def test_elimination_equals_its_plain_python_twin(seed):
    """The kernel's state and margin are the dict-based twin's (tests/naive.py), along the
    plan's own order, whose best total is enumeration's maximum times n."""
    import naive

    rng = np.random.default_rng(400 + seed)
    n = int(rng.integers(2, 11))
    k = int(rng.integers(0, min(n, 4)))
    dependencies, contributions, ptr, dependents, bits = _landscape(
        rng, n, k, int(rng.integers(1, 4)), (0.1, 0.5, 0.7)[seed % 3])
    plan = optimum.elimination_plan(dependencies)
    assert sorted(plan.order) == list(range(n))
    total, number, margin = naive.max_sum_elimination(dependencies, contributions, plan.order)
    state_number, kernel_margin = _eliminated(plan, contributions)
    assert state_number == number
    assert kernel_margin == pytest.approx(margin, abs=1e-12)
    best = nk.global_maximum(dependencies, contributions, ptr, dependents, bits)[0]
    assert total == pytest.approx(best * n, abs=1e-12)


def test_ties_go_to_the_branch_and_bound():
    """Tables of two values (many exact ties between states): the answer is the warm branch
    and bound's, state and value, whatever the hints (-1, unknown, skipped). The elimination
    saw a tie on most of these landscapes, and on some its own state differs from the branch
    and bound's: the hand-over, not luck, gives the same answer."""
    rng = np.random.default_rng(500)
    ties = differing = 0
    for _ in range(24):
        n = int(rng.integers(3, 13))
        k = int(rng.integers(0, min(n, 4)))
        dependencies, _, ptr, dependents, _ = _landscape(rng, n, k, int(rng.integers(1, 4)),
                                                         float(rng.random()))
        contributions = rng.integers(0, 2, size=(n, 1 << (k + 1))) / 2.0
        plan = optimum.elimination_plan(dependencies)
        own_state, margin = _eliminated(plan, contributions)
        cold = global_maximum_bb(dependencies, contributions, ptr, dependents)
        ties += margin <= optimum._TIE_MARGIN
        differing += own_state != cold[1]
        for hints in ([], [-1, int(rng.integers(0, 1 << n))], [cold[1], -1]):  # -1: unknown
            hints = np.array(hints, dtype=np.int64)
            found = optimum.global_maximum_planned(plan, dependencies, contributions, ptr,
                                                   dependents, hints)
            assert found[0] == cold[0] and found[1] == cold[1]
    assert ties >= 18 and differing >= 3, (ties, differing)


def test_too_wide_a_plan_goes_to_the_branch_and_bound():
    """Above the work limit no tables are built and the branch and bound answers (N = 20,
    K = 10 at full coupling; and any landscape with the limit at 0)."""
    rng = np.random.default_rng(9)
    for n, k, cross, limit in ((20, 10, 1.0, optimum.MAX_ELIMINATION_WORK), (12, 3, 0.5, 0)):
        dependencies, contributions, ptr, dependents, bits = _landscape(rng, n, k, 4, cross)
        plan = optimum.elimination_plan(dependencies, max_work=limit)
        assert not plan.use and plan.gather.size == 0 and plan.work > limit
        found = optimum.global_maximum_planned(plan, dependencies, contributions, ptr,
                                               dependents, np.zeros(0, dtype=np.int64))
        assert found == global_maximum_bb(dependencies, contributions, ptr, dependents)
        assert found == nk.global_maximum(dependencies, contributions, ptr, dependents, bits)


@pytest.mark.parametrize("seed", range(12))
def test_elimination_orders_are_the_greedy_rules_twin(seed):
    """The min-fill and min-degree orders equal the plain-Python twin's (tests/naive.py); any
    order gives the exact maximum, so this guards the elimination's speed, not its answer."""
    import naive

    rng = np.random.default_rng(600 + seed)
    n = int(rng.integers(2, 21))
    k = int(rng.integers(0, min(n, 6)))
    dependencies = _landscape(rng, n, k, int(rng.integers(1, min(n, 4) + 1)),
                              (0.1, 0.5, 0.7)[seed % 3])[0]
    for by_fill in (True, False):
        assert list(optimum._greedy_order(dependencies, by_fill)) == naive.greedy_order(
            dependencies, by_fill)
