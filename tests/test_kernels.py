"""Each Numba kernel gives exactly the arrays of its plain-Python twin on small worlds."""

import numpy as np
import pytest

from simulation import FirmModel
from simulation.kernels import customers as ck
from simulation.kernels import organization as ok
from simulation.kernels import sensing as sk
from simulation.organization import serve_weight


def small_model(structure="hierarchy", seed=3, steps=5, **overrides):
    """A small model advanced a few steps, so the arrays hold realistic state."""
    settings = dict(customers=300, employees=40, customer_degree=6, steps=60)
    settings.update(overrides)
    model = FirmModel(structure=structure, rng=seed, **settings)
    model.run(steps)
    return model


def copies(*arrays):
    return [np.array(a, copy=True) for a in arrays]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_customer_step_kernel_equals_twin(seed):
    """The customer step (experience, word of mouth, media, choice) matches its twin."""
    m = small_model(seed=seed)
    rng = np.random.default_rng(seed)
    n = m.n_customers
    talk, choice = rng.random(n), rng.random(n)
    experience = rng.standard_normal(n)
    media_sum, media_count = rng.random(n) * 2, rng.integers(0, 3, n).astype(float)
    c = m.config.customers
    outputs = []
    for function in (ck.customer_step_py, ck.customer_step):
        state = copies(m.buying, m.belief, m.satisfaction, m.sentiment)
        scratch = [np.zeros(n), np.zeros(n, np.uint8)]
        per_segment = [np.zeros(m.total_segments, np.int64), np.zeros(m.total_segments, np.int64),
                       np.zeros(m.total_segments), np.zeros(m.total_segments)]
        function(m.active, state[0], m.segment, m.taste, state[1], state[2], state[3],
                 scratch[0], scratch[1], m.indptr, m.indices, media_sum, media_count, 0.05,
                 m.segment_fitness, m.outside_option, talk, choice, experience,
                 c.experience_noise, c.experience_weight, c.talk_rate, c.amplification,
                 c.word_of_mouth_weight, c.choice_sensitivity, c.reconsider_rate, *per_segment)
        outputs.append(state + scratch + per_segment)
    for twin, compiled in zip(*outputs, strict=True):
        np.testing.assert_array_equal(twin, compiled)
    assert outputs[0][0].sum() > 0  # some customers buy: the comparison is not vacuous


def test_media_kernels_equal_twins():
    """Media exposure and the audience's mean sentiment match their twins."""
    m = small_model(seed=4)
    broadcast = np.array([0.5, 0.9, 0.7, 0.6, 0.8, 0.4])
    reach = (m.stakeholders.media_reach_ptr, m.stakeholders.media_reach)
    results = []
    for exposure, mean in ((ck.media_exposure_py, ck.reached_mean_py),
                           (ck.media_exposure, ck.reached_mean)):
        total, count = np.zeros(m.n_customers), np.zeros(m.n_customers)
        exposure(*reach, broadcast, total, count)
        heard = np.zeros(6)
        mean(*reach, m.sentiment, m.active, heard)
        results.append((total, count, heard))
    for twin, compiled in zip(*results, strict=True):
        np.testing.assert_array_equal(twin, compiled)
    assert results[0][1].sum() == m.stakeholders.media_reach.shape[0]


@pytest.mark.parametrize("awareness", [0.0, 0.5, 1.0])
def test_sensing_kernel_equals_twin(awareness):
    """Testing changes on sampled customers matches the twin, for any awareness w."""
    m = small_model(seed=5, variants="per_segment")
    rng = np.random.default_rng(9)
    count = 25
    modules = rng.integers(-1, m.market.modules, count)
    segments = rng.integers(0, m.config.market.segments, count)
    attribute_draw, sample_draw = rng.random(count), rng.random((count, 7))
    noise_draw = rng.standard_normal((count, 7)) * 0.03
    outs = []
    for function in (sk.sense_changes_py, sk.sense_changes):
        out = (np.empty(count, np.int64), np.empty(count, np.uint8), np.empty(count),
               np.empty(count), np.empty(count, np.int64))
        function(modules, segments, m.market.module_start, m.variant_of_segment, m.products,
                 m.market.dependencies, m.market.contributions, m.market.max_fitness,
                 m.market.dependents_ptr, m.market.dependents, m.market.module_of,
                 m.population.segment_start, m.active, m.buying, awareness, attribute_draw,
                 sample_draw, noise_draw, *out)
        outs.append(out)
    for twin, compiled in zip(*outs, strict=True):
        np.testing.assert_array_equal(twin, compiled)
    assert (outs[0][4] > 0).any()


def test_climb_tree_kernel_equals_twin():
    """Queued proposals move up the tree (capacity, FIFO, drops) exactly as in the twin."""
    m = small_model(structure="hierarchy", seed=6, employees=60, queue_limit=3, capacity=2)
    rng = np.random.default_rng(2)
    fields = m.queues.arrays()
    # Fill queues at random so congestion and drops happen.
    base = copies(*fields)
    for node in range(m.org.size):
        for _ in range(int(rng.integers(0, 4))):
            ok.push_py(node, int(rng.integers(20)), 1, 0, float(rng.normal()), node, 0, 0, *base)
    hop = rng.standard_normal(200) * 0.01
    results = []
    for function in (ok.climb_tree_py, ok.climb_tree):
        state = copies(*base)
        capacity_left = np.full(m.org.size, 2, dtype=np.int64)
        out = (np.empty(4, np.int64), np.empty(4, np.uint8), np.empty(4, np.int64),
               np.empty(4), np.empty(4, np.int64), np.empty(4, np.int64))
        counts = function(m.org.parent, m.org.alive, capacity_left, 1, hop, *state, *out)
        results.append((counts, state, capacity_left, [o[:counts[0]] for o in out]))
    assert results[0][0] == results[1][0]
    assert results[0][0][2] > 0, "the test should exercise dropping"
    for twin, compiled in zip(results[0][1] + [results[0][2]] + results[0][3],
                              results[1][1] + [results[1][2]] + results[1][3], strict=True):
        np.testing.assert_array_equal(twin, compiled)


def test_peer_review_kernel_equals_twin():
    """Peer review (reviewer capacity, order, averaged errors) matches the twin."""
    m = small_model(structure="network", seed=7)
    rng = np.random.default_rng(3)
    proposer = rng.integers(0, m.org.size, 30)
    draws = rng.standard_normal((30, 4))
    results = []
    for function in (ok.peer_review_py, ok.peer_review):
        capacity_left = rng.integers(0, 3, m.org.size) if not results else results[0][3].copy()
        start = capacity_left.copy()
        noise_sum, reviewers = np.empty(30), np.empty(30, np.int64)
        function(proposer, m.org.peer_ptr, m.org.peers, m.org.alive, capacity_left, draws,
                 noise_sum, reviewers)
        results.append((noise_sum, reviewers, capacity_left, start))
    for twin, compiled in zip(results[0][:3], results[1][:3], strict=True):
        np.testing.assert_array_equal(twin, compiled)
    assert results[0][1].sum() > 0


@pytest.mark.parametrize("best_first", [True, False])
def test_decide_kernel_equals_twin(best_first):
    """Approval against the projected product matches the twin (both decision styles)."""
    m = small_model(seed=8, variants="per_segment")
    rng = np.random.default_rng(4)
    count = 12
    attribute = rng.integers(0, m.market.attributes, count)
    value = rng.integers(0, 2, count).astype(np.uint8)
    variant = rng.integers(0, m.products.shape[0], count)
    noise = rng.normal(0, 0.005, count)
    results = []
    for function in (ok.decide_py, ok.decide):
        projected = m.products.copy()
        order = np.full(count, -1, dtype=np.int64)
        approved = function(projected, attribute, value, variant, noise, 3, best_first,
                            serve_weight(m), m.market.dependencies, m.market.contributions,
                            m.market.max_fitness, m.market.dependents_ptr, m.market.dependents,
                            m.market.module_of, order)
        results.append((approved, projected, order))
    assert results[0][0] == results[1][0]
    np.testing.assert_array_equal(results[0][1], results[1][1])
    np.testing.assert_array_equal(results[0][2], results[1][2])


@pytest.mark.parametrize("n, k, seed", [(8, 0, 1), (10, 3, 2), (12, 11, 3), (14, 5, 4)])
def test_global_maximum_kernel_equals_twin_and_enumeration(n, k, seed):
    """The optimum search matches its twin and the maximum of the full enumeration."""
    from simulation.kernels import nk
    from simulation.landscapes import NKLandscape

    land = NKLandscape(n, k, seed=seed)
    args = (land.dependencies, land.contributions, land.dependents_ptr, land.dependents,
            land.dependents_bit)
    assert nk.global_maximum_py(*args) == nk.global_maximum(*args)
    value, number = nk.global_maximum(*args)
    assert value == land.enumerate().max() and number == int(np.argmax(land.enumerate()))
    assert value == land.fitness(land.state_from_number(number))
