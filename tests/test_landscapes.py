"""Exact facts about NKLandscape; simulation.kernels.nk equals the references in naive.py."""

import naive
import numpy as np
import pytest

from simulation.core.landscapes import NKLandscape, state_from_number
from simulation.kernels import nk

# (n, k, seed): k = 0, k = n - 1, a single attribute, two attributes.
SMALL = [(4, 0, 1), (5, 2, 2), (6, 5, 3), (8, 3, 4), (7, 6, 5), (1, 0, 6), (2, 1, 7)]


def _landscapes(n, k, seed):
    """A random landscape, a two-module one, and one whose contributions all tie."""
    yield NKLandscape(n=n, k=k, seed=seed)
    if n >= 2:
        yield NKLandscape(n=n, k=k, seed=seed + 100, modules=2)
    yield NKLandscape(n=n, k=k, seed=seed, contributions=np.full((n, 1 << (k + 1)), 0.25))


def _structure(land):
    return (land.dependencies, land.contributions, land.dependents_ptr, land.dependents,
            land.dependents_bit)


@pytest.mark.parametrize("n", [4, 8, 12])
def test_k0_has_exactly_one_local_optimum(n):
    """With K = 0 every attribute is independent, so the landscape has one (global) optimum."""
    land = NKLandscape(n=n, k=0, seed=n)
    optima = land.local_optima()
    assert optima.size == 1
    assert land.enumerate()[optima[0]] == land.global_max()


def test_fitness_is_mean_of_contributions():
    """Fitness equals the mean of each attribute's looked-up contribution."""
    land = NKLandscape(n=10, k=3, seed=7)
    rng = np.random.default_rng(0)
    for _ in range(20):
        state = rng.integers(0, 2, 10).astype(np.uint8)
        parts = [land.contributions[i, sum(int(state[land.dependencies[i, j]]) << j
                                           for j in range(4))] for i in range(10)]
        assert land.fitness(state) == pytest.approx(np.mean(parts), abs=1e-15)


def test_enumerate_matches_fitness_and_global_max():
    """enumerate()[s] is the fitness of state s, and global_max/optimum agree with it."""
    land = NKLandscape(n=10, k=3, seed=7)
    table = land.enumerate()
    for s in [0, 1, 517, 1023]:
        assert table[s] == land.fitness(state_from_number(s, 10))
    assert land.global_max() == table.max()
    assert land.fitness(land.global_optimum()) == land.global_max()


def test_local_optima_are_unimprovable_and_complete():
    """Every listed local optimum beats all its one-flip neighbours and none is missing."""
    land = NKLandscape(n=8, k=4, seed=11)
    table = land.enumerate()
    expected = [s for s in range(256) if all(table[s ^ (1 << b)] <= table[s] for b in range(8))]
    assert land.local_optima().tolist() == expected
    assert np.array_equal(land.local_optima_fitness(), table[expected])


def test_ruggedness_grows_with_k():
    """K = N - 1 yields many more local optima than K = 0 (Kauffman's complexity catastrophe)."""
    counts = [NKLandscape(n=10, k=k, seed=3).local_optima().size for k in (0, 2, 9)]
    assert counts[0] == 1 < counts[1] < counts[2]


@pytest.mark.parametrize("k", [2, 5])
def test_neighbour_correlation_close_to_theory(k):
    """Correlation of one-flip neighbours is about 1 - (k + 1) / n (averaged over landscapes)."""
    n = 12
    values = [NKLandscape(n=n, k=k, seed=s).neighbour_correlation() for s in range(6)]
    assert np.mean(values) == pytest.approx(1 - (k + 1) / n, abs=0.05)


def test_neighbour_correlation_k0_exact():
    """With K = 0 the within-landscape neighbour correlation is exactly 1 - 2 / n.

    Each contribution takes only two values, so over the states of one landscape the fitness is
    a sum of n independent +-d_i/2 terms and a flip changes one of them.
    """
    for seed in range(3):
        assert NKLandscape(n=10, k=0, seed=seed).neighbour_correlation() == pytest.approx(
            1 - 2 / 10, abs=1e-9)


@pytest.mark.parametrize("n,k,seed", SMALL)
def test_fitness_equals_reference(n, k, seed):
    """nk.fitness and nk.fitness_rows (compiled and py_func) equal the reference on every state."""
    for land in _landscapes(n, k, seed):
        states = np.array([naive.state_of_number(s, n) for s in range(1 << n)])
        for state in states:
            naive.assert_three_equal(nk.fitness, naive.fitness, state, land.dependencies,
                                     land.contributions)
        naive.assert_three_equal(nk.fitness_rows, naive.fitness_rows, states,
                                 land.dependencies, land.contributions, np.empty(1 << n))


@pytest.mark.parametrize("n,k,seed", SMALL)
def test_change_effect_equals_reference(n, k, seed):
    """nk.change_effect equals the before/after re-evaluation exactly, for every module."""
    rng = np.random.default_rng(seed)
    for land in _landscapes(n, k, seed):
        for _ in range(30):
            state = rng.integers(0, 2, n).astype(np.uint8)
            attribute, value = int(rng.integers(n)), int(rng.integers(2))
            module = int(rng.integers(land.modules))
            (total, _), _ = naive.assert_three_equal(
                nk.change_effect, naive.change_effect, state, attribute, value,
                land.dependencies, land.contributions, land.dependents_ptr, land.dependents,
                land.module_of, module)
            changed = state.copy()
            changed[attribute] = value
            assert total == pytest.approx(land.fitness(changed) - land.fitness(state),
                                             abs=1e-12)


@pytest.mark.parametrize("n,k,seed", SMALL)
def test_enumerate_equals_reference(n, k, seed):
    """nk.enumerate_fitness (Gray-code walk) equals fitness evaluated state by state."""
    for land in _landscapes(n, k, seed):
        naive.assert_three_equal(nk.enumerate_fitness, naive.enumerate_fitness,
                                 *_structure(land), np.empty(1 << n))


@pytest.mark.parametrize("n,k,seed", SMALL + [(10, 3, 8), (12, 11, 9)])
def test_global_maximum_equals_reference(n, k, seed):
    """nk.global_maximum (running sums) equals the brute-force maximum and its state."""
    for land in _landscapes(n, k, seed):
        naive.assert_three_equal(nk.global_maximum, naive.global_maximum, *_structure(land))


@pytest.mark.parametrize("n,k,seed", SMALL)
def test_local_optima_equals_reference(n, k, seed):
    """nk.local_optima equals the all-neighbours-no-better mask."""
    for land in _landscapes(n, k, seed):
        table = land.enumerate()
        mask, _ = naive.assert_three_equal(nk.local_optima, naive.local_optima, table, n)
        assert mask.any()  # at least the global optimum
