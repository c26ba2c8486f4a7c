"""Contagion kernels equal their plain references in tests/naive.py, on small worlds."""

import numpy as np
import pytest

from simulation.kernels import contagion as ck
from simulation.networks import build_network, csr_from_edges
from tests import naive


def _worlds():
    """Small CSR networks: empty graph, isolated nodes, a path, a star, random graphs."""
    rng = np.random.default_rng(11)
    worlds = [
        ("no edges", *csr_from_edges(6, np.array([], int), np.array([], int))),
        ("isolated + path", *csr_from_edges(7, np.array([0, 1, 2]), np.array([1, 2, 3]))),
        ("star", *csr_from_edges(6, np.zeros(5, int), np.arange(1, 6))),
        ("single node", *csr_from_edges(1, np.array([], int), np.array([], int))),
    ]
    for kind in ("random", "small_world", "scale_free"):
        worlds.append((kind, *build_network(kind, 40, 4, 0.1, rng)))
    return worlds


def _weights(indices, rng, weighted):
    """Empty (unit ties) or a random positive weight per CSR entry, some zero."""
    if not weighted:
        return ck.empty_weights()
    weights = rng.choice([0.0, 0.3, 1.0, 0.7], size=indices.size)
    return weights.astype(np.float64)


CASES = [(name, weighted, by_weight) for name, *_ in _worlds()
         for weighted in (False, True) for by_weight in (True, False)]


@pytest.mark.parametrize(("name", "weighted", "by_weight"), CASES)
def test_kernels_equal_references(name, weighted, by_weight):
    """Share, Bass steps, threshold step and cascade equal the references exactly."""
    world = {w[0]: w[1:] for w in _worlds()}[name]
    indptr, indices = world
    n = indptr.size - 1
    rng = np.random.default_rng([sum(map(ord, name)), weighted, by_weight])  # not hash(): salted
    weights = _weights(indices, rng, weighted)
    for trial in range(5):
        state = rng.random(n) < 0.3
        uniforms = rng.random(n)
        thresholds = rng.choice([0.0, 0.18, 0.34, 0.5, 1.0], size=n) if trial else \
            np.full(n, 0.18)
        share = np.empty(n)
        ck.neighbour_share(indptr, indices, weights, state, by_weight, share)
        assert share.tolist() == naive.neighbour_share(indptr, indices, weights, state,
                                                       by_weight)
        out = np.empty(n, dtype=bool)
        count = ck.bass_adoption_step(indptr, indices, weights, state, 0.05, 0.6, by_weight,
                                      uniforms, out)
        expected, expected_count = naive.bass_adoption_step(
            indptr, indices, weights, state, 0.05, 0.6, by_weight, uniforms)
        assert out.tolist() == expected and count == expected_count
        count = ck.bass_adoption_step_mixed(state, 0.05, 0.6, uniforms, out)
        expected, expected_count = naive.bass_adoption_step_mixed(state, 0.05, 0.6, uniforms)
        assert out.tolist() == expected and count == expected_count
        count = ck.threshold_step(indptr, indices, weights, thresholds, by_weight, state, out)
        expected, expected_count = naive.threshold_step(indptr, indices, weights, thresholds,
                                                        by_weight, state)
        assert out.tolist() == expected and count == expected_count
        seeds = np.zeros(n, dtype=bool)
        seeds[rng.integers(n)] = True
        final = seeds.copy()
        size = ck.threshold_cascade(indptr, indices, weights, thresholds, by_weight, final,
                                    np.empty(n, dtype=np.int64))
        expected = naive.threshold_cascade(indptr, indices, weights, thresholds, by_weight,
                                           seeds)
        assert final.tolist() == expected and size == sum(expected)


def test_degree_zero_hears_nothing():
    """Isolated nodes have share 0: Bass hazard p alone, and no threshold switch for phi > 0."""
    indptr, indices = csr_from_edges(3, np.array([0]), np.array([1]))  # node 2 isolated
    state = np.array([True, False, False])
    share = np.empty(3)
    ck.neighbour_share(indptr, indices, ck.empty_weights(), state, True, share)
    assert share.tolist() == [0.0, 1.0, 0.0]
    out = np.empty(3, dtype=bool)
    # hazard of node 2 is p = 0.1: a uniform of 0.09 adopts, 0.11 does not
    ck.bass_adoption_step(indptr, indices, ck.empty_weights(), state, 0.1, 0.5, True,
                          np.array([0.5, 0.99, 0.09]), out)
    assert out.tolist() == [True, False, True]
    ck.bass_adoption_step(indptr, indices, ck.empty_weights(), state, 0.1, 0.5, True,
                          np.array([0.5, 0.5, 0.11]), out)
    assert out.tolist() == [True, True, False]
    ck.threshold_step(indptr, indices, ck.empty_weights(), np.full(3, 0.18), True, state, out)
    assert out.tolist() == [True, True, False]


def test_weak_ties_carry_less_with_degree_normalisation():
    """by_weight=False: a node tied only weakly to an adopter hears less than a strong tie."""
    indptr, indices = csr_from_edges(4, np.array([0, 2]), np.array([1, 3]))
    weights = np.empty(indices.size)
    weights[indptr[0]:indptr[2]] = 1.0  # tie 0-1 strong
    weights[indptr[2]:indptr[4]] = 0.25  # tie 2-3 weak
    state = np.array([True, False, True, False])
    share = np.empty(4)
    ck.neighbour_share(indptr, indices, weights, state, False, share)
    assert share[1] == 1.0 and share[3] == 0.25
    ck.neighbour_share(indptr, indices, weights, state, True, share)
    assert share[1] == 1.0 and share[3] == 1.0


def test_watts_threshold_is_inclusive():
    """A node switches when the share equals its threshold (share >= phi)."""
    indptr, indices = csr_from_edges(5, np.zeros(4, int), np.arange(1, 5))
    state = np.array([False, True, False, False, False])
    out = np.empty(5, dtype=bool)
    ck.threshold_step(indptr, indices, ck.empty_weights(), np.full(5, 0.25), True, state, out)
    assert out[0]
    ck.threshold_step(indptr, indices, ck.empty_weights(), np.full(5, 0.26), True, state, out)
    assert not out[0]
