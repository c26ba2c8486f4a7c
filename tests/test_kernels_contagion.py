"""Contagion kernels equal their plain references in tests/naive.py, on small worlds."""

import numpy as np
import pytest

from simulation.core.networks import build_network, csr_from_edges
from simulation.kernels import contagion as ck
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


@pytest.mark.parametrize("name", [w[0] for w in _worlds()])
def test_voices_and_tie_strength_equal_references(name):
    """Tie strength (shared neighbour) and the voices heard equal the references exactly."""
    indptr, indices = {w[0]: w[1:] for w in _worlds()}[name]
    n = indptr.size - 1
    rng = np.random.default_rng(sum(map(ord, name)))
    strong = np.full(indices.size, 7, dtype=np.uint8)
    ck.embedded_ties(indptr, indices, strong)
    expected = np.zeros(indices.size, dtype=np.uint8)
    naive.embedded_ties(indptr, indices, expected)
    assert strong.tolist() == expected.tolist()
    for weak_weight in (0.0, 0.25, 1.0):
        voice = rng.choice(np.array([-2, -1, 0, 0, 1, 2], dtype=np.int8), size=n)
        opinion = rng.random(n)
        out, reference = np.full((n, 4), 9.0), np.full((n, 4), 9.0)
        ck.voices_heard_all(indptr, indices, strong, weak_weight, voice, opinion, out)
        naive.voices_heard_all(indptr, indices, strong, weak_weight, voice, opinion, reference)
        assert out.tolist() == reference.tolist()
        pushed = np.full((n, 4), 9.0)
        ck.spread_voices(indptr, indices, strong, weak_weight, voice, opinion, pushed)
        assert pushed.tolist() == reference.tolist()
        sums, sums_reference = np.full(n, 9.0), np.full(n, 9.0)
        ck.tie_weight_sums(indptr, strong, weak_weight, sums)
        naive.tie_weight_sums(indptr, strong, weak_weight, sums_reference)
        assert sums.tolist() == sums_reference.tolist()
    assert ck.bass_hazard(0.03, 0.38, 0.5) == naive.bass_hazard(0.03, 0.38, 0.5)


def test_small_world_lattice_ties_strong_rewired_weak():
    """On a ring lattice every tie is strong; a lone long-range chord is weak."""
    n = 20
    ring = np.arange(n)
    sources = np.concatenate([ring, ring, [0]])
    targets = np.concatenate([(ring + 1) % n, (ring + 2) % n, [10]])
    indptr, indices = csr_from_edges(n, sources, targets)
    strong = np.empty(indices.size, dtype=np.uint8)
    ck.embedded_ties(indptr, indices, strong)
    chord = [e for e in range(indptr[0], indptr[1]) if indices[e] == 10]
    assert strong[chord[0]] == 0
    assert strong.sum() == indices.size - 2  # both directions of the chord are weak


def test_extreme_voices_cross_weak_ties_only():
    """A +-1 voice is heard over strong ties only; a +-2 voice over weak ties too."""
    indptr, indices = csr_from_edges(3, np.array([0, 0]), np.array([1, 2]))
    strong = np.array([1, 0, 1, 0], dtype=np.uint8)  # node 0: tie to 1 strong, to 2 weak
    opinion = np.array([0.0, 0.8, 0.4])
    near = ck.voices_heard(indptr, indices, strong, 0.25, np.array([0, 1, -1], np.int8),
                           opinion, 0)
    far = ck.voices_heard(indptr, indices, strong, 0.25, np.array([0, 1, -2], np.int8),
                          opinion, 0)
    assert near == (1.0, 0.0, 1.0, 0.8)
    assert far == (1.0, 0.25, 1.25, 0.8 + 0.25 * 0.4)
