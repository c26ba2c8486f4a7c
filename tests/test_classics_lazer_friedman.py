"""Lazer and Friedman (2007): networks, kernel/py_func equality and the published result."""

import naive
import numpy as np
import pytest

from simulation.classics import _kernels_search as ks
from simulation.classics import lazer_friedman2007 as lf
from simulation.core.landscapes import NKLandscape
from simulation.kernels import nk


@pytest.mark.parametrize("name", lf.NETWORKS)
def test_networks_connected_and_symmetric(name):
    """Every network is symmetric, has no self-links and reaches every agent."""
    import networkx as nx

    ptr, neighbours = lf.build_network(name, 30, np.random.default_rng(1))
    graph = nx.Graph()
    graph.add_nodes_from(range(30))
    for i in range(30):
        for j in neighbours[ptr[i]:ptr[i + 1]]:
            assert i != j and i in neighbours[ptr[j]:ptr[j + 1]]
            graph.add_edge(i, int(j))
    assert nx.is_connected(graph)
    degrees = np.diff(ptr)
    if name == "linear":
        assert (degrees == 2).all()
    if name == "full":
        assert (degrees == 29).all()


def test_run_through_the_kernel_equals_the_run_through_the_reference(monkeypatch):
    """Whole simulations through the compiled search kernel equal the same simulations with
    the kernel replaced by the independent reference (naive.network_search)."""
    monkeypatch.setattr(ks, "network_search_py", naive.network_search)
    for network in ("linear", "random"):
        a = lf.simulate((network,), steps=15, landscapes=2, seed=3, n=8, k=3, agents=12)
        b = lf.simulate((network,), steps=15, landscapes=2, seed=3, n=8, k=3, agents=12,
                        use_kernel=False)
        assert np.array_equal(a[network], b[network])


def test_scores_normalised_eighth_power():
    """The score table is (fitness / max) ** 8: the optimum scores 1, all in [0, 1]."""
    land = NKLandscape(8, 3, seed=2)
    table = lf.normalised_scores(land)
    assert table.max() == 1.0 and table.min() >= 0.0
    state = 77
    assert table[state] == pytest.approx((land.enumerate()[state] / land.global_max()) ** 8)


def test_scores_never_decrease_for_isolated_search():
    """With imitation and hill-climbing only better solutions are adopted, so on the full
    network the mean score never falls from round to round."""
    scores = lf.simulate(("full",), steps=30, landscapes=3, seed=4, n=10, k=3, agents=20)
    assert (np.diff(scores["full"], axis=1) >= 0).all()


def test_run_returns_step_and_mean_score():
    """run() returns one row per round with the documented columns."""
    df = lf.run("small_world", steps=10, landscapes=2, seed=1, n=10, k=2, agents=20)
    assert list(df.columns) == ["network", "step", "mean_score", "sem"]
    assert df["step"].tolist() == list(range(11))


def test_efficient_network_faster_but_lower():
    """Lazer & Friedman (2007): the full network leads early, the linear one ends higher."""
    scores = lf.simulate(("linear", "full"), steps=60, landscapes=12, seed=5, n=15, k=5,
                         agents=60)
    linear, full = scores["linear"].mean(0), scores["full"].mean(0)
    assert full[5] > linear[5]
    assert linear[60] > full[60]


def test_one_nk_implementation():
    """The classic uses the project's NK kernels: its table equals enumerate_fitness output."""
    land = NKLandscape(8, 2, seed=9)
    out = np.empty(256)
    nk.enumerate_fitness(land.dependencies, land.contributions, land.dependents_ptr,
                         land.dependents, land.dependents_bit, out)
    assert np.array_equal(lf.normalised_scores(land, power=1.0), out / out.max())
