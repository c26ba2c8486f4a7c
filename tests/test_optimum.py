"""Branch-and-bound optimum (simulation.kernels.optimum) against full enumeration."""

import numpy as np
import pytest

from simulation.core.landscapes import dependents_of, draw_contributions, draw_dependencies
from simulation.kernels import nk
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
