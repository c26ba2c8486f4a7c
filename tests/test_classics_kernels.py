"""The classics' kernels (March 1991; Lazer-Friedman 2007, Levinthal 1997) equal naive.py.

Each test calls the compiled kernel and its own ``py_func`` directly, with the pre-drawn
uniforms a run would pass, and requires exactly the reference's arrays and return values.
"""

import itertools

import naive
import numpy as np
import pytest

from simulation.classics import _kernels_march as km
from simulation.classics import _kernels_search as ks
from simulation.core.networks import csr_from_edges


def march_arguments(seed, variant, m=10, n=6, periods=25, p2=0.5, p3=0.0, p4=0.0,
                    stop=False):
    """Everything ``march_periods`` reads, drawn as ``march1991.run_once`` draws it."""
    rng = np.random.default_rng(seed)
    reality = np.where(rng.random(m) < 0.5, 1, -1).astype(np.int8)
    beliefs = ((rng.random((n, m)) * 3.0).astype(np.int64) - 1).astype(np.int8)
    code = rng.integers(-1, 2, m).astype(np.int8) if seed % 2 else np.zeros(m, np.int8)
    p1 = rng.uniform(0.0, 1.0, n)
    empty2, empty3 = np.empty((0, 0)), np.empty((0, 0, 0))
    u_turnover = rng.random((periods, n)) if p3 > 0 else empty2
    u_newbelief = rng.random((periods, n, m)) if p3 > 0 else empty3
    u_turbulence = rng.random((periods, m)) if p4 > 0 else empty2
    u_act = rng.random((periods, n, m)) if variant == km.ORIGINAL else empty3
    return (reality, beliefs, code, p1, p2, p3, p4, variant, u_turnover, u_newbelief,
            u_turbulence, u_act, rng.random((periods, n, m)), rng.random((periods, m)), stop,
            np.full(periods, 9.0), np.full(periods, 9.0))


MARCH_CASES = [
    {},  # no turnover, no turbulence, fixed periods
    {"stop": True, "periods": 300},  # to the absorbing equilibrium
    {"p3": 0.1, "p4": 0.05},  # turnover and turbulence
    {"p2": 1.0, "p3": 0.3},  # the code always follows a majority
    {"p2": 0.0},  # the code never learns
    {"m": 1, "n": 1, "stop": True, "periods": 50},  # one individual, one dimension
]


@pytest.mark.parametrize(("variant", "case", "seed"), list(itertools.product(
    [km.ORIGINAL, km.PAPER], range(len(MARCH_CASES)), range(3))))
def test_march_periods_equals_reference(variant, case, seed):
    """Turnover, turbulence, superiority, socialization, code learning and knowledge match."""
    (periods, absorbed), arrays = naive.assert_three_equal(
        km.march_periods, naive.march_periods,
        *march_arguments(seed, variant, **MARCH_CASES[case]))
    if MARCH_CASES[case].get("stop"):
        assert absorbed, "the run should reach the equilibrium it is stopped at"
        assert (arrays[-1][periods:] == 9.0).all()  # nothing written after stopping


def test_march_py_alias_is_the_kernels_python():
    """use_kernel=False in march1991 runs the kernel's own Python function, not a copy."""
    assert km.march_periods_py is km.march_periods.py_func
    assert ks.network_search_py is ks.network_search.py_func
    assert ks.population_search_py is ks.population_search.py_func


def score_table(rng, n, ties):
    """Scores of the 2**n states; with ``ties`` only four distinct values occur."""
    if ties:
        return rng.integers(1, 5, 1 << n) / 4.0
    return rng.uniform(0.05, 1.0, 1 << n)


@pytest.mark.parametrize(("seed", "ties", "edges"),
                         list(itertools.product(range(4), [False, True], [0, 5, 40])))
def test_network_search_equals_reference(seed, ties, edges):
    """Imitation of the best better neighbour (first on ties), else one flip, synchronously;
    isolated agents only flip."""
    rng = np.random.default_rng(seed)
    n, agents, rounds = 6, 12, 15
    ptr, neighbours = csr_from_edges(agents, rng.integers(0, agents, edges),
                                     rng.integers(0, agents, edges))
    naive.assert_three_equal(
        ks.network_search, naive.network_search, score_table(rng, n, ties), ptr, neighbours,
        rng.integers(0, 1 << n, agents).astype(np.int64),
        rng.integers(0, n, (rounds, agents)), np.full(rounds + 1, 9.0))


@pytest.mark.parametrize(("seed", "copy_entry", "selection", "ties"), list(itertools.product(
    range(3), [True, False], [0.0, 1.0, 5.0], [False, True])))
def test_population_search_equals_reference(seed, copy_entry, selection, ties):
    """Adaptation, selection, fitness-proportional copying or random entry, and the shock."""
    rng = np.random.default_rng(seed)
    n, size, periods = 5, 10, 20
    births = np.full(size, -1, np.int64)
    _, arrays = naive.assert_three_equal(
        ks.population_search, naive.population_search, score_table(rng, n, ties),
        score_table(rng, n, ties), 10, rng.integers(0, 1 << n, size).astype(np.int64),
        births, rng.random((periods, size)), rng.integers(0, 1 << n, (periods, size)),
        rng.integers(0, n, (periods, size)), rng.random((periods, size)),
        rng.integers(0, 1 << n, (periods, size)), rng.random((periods, size)), copy_entry,
        0.2, selection, np.full(periods, 9.0), np.full(periods, -1, np.int64),
        np.full((periods, size), -9, np.int64))
    history = arrays[-1]
    if selection > 0:
        assert (history[-1] >= 0).any(), "some organizations should have been replaced"
