"""The model's kernels (customers, sensing, organization) equal the references in naive.py.

Every test runs the compiled kernel and its own ``py_func`` against an independent, plainly
written reference (tests/naive.py) and requires exactly equal arrays: on many small random
worlds with edge cases (nobody talks, nobody reconsiders, empty segments, full queues, ...),
and on the state of a small model after a few steps.
"""

import itertools

import naive
import numpy as np
import pytest

from simulation import FirmModel
from simulation.core.landscapes import NKLandscape
from simulation.core.networks import csr_from_edges
from simulation.core.organization import serve_weight
from simulation.kernels import contagion
from simulation.kernels import customers as ck
from simulation.kernels import organization as ok
from simulation.kernels import sensing as sk


def small_model(structure="hierarchy", seed=3, steps=5, **overrides):
    """A small model advanced a few steps, so the arrays hold realistic state."""
    settings = dict(customers=300, employees=40, customer_degree=6, steps=60)
    settings.update(overrides)
    model = FirmModel(structure=structure, rng=seed, **settings)
    model.run(steps)
    return model


def random_csr(rng, nodes, edges):
    """Symmetric CSR of ``edges`` random node pairs (self-loops and repeats dropped)."""
    return csr_from_edges(nodes, rng.integers(0, nodes, edges), rng.integers(0, nodes, edges))


# ----------------------------------------------------------------------------- customers
CUSTOMER_CASES = [
    {},  # typical
    {"talk_rate": 0.0},  # nobody talks
    {"talk_rate": 2.0, "amplification": 3.0},  # everybody talks, many voices cross weak ties
    {"reconsider_rate": 0.0},  # nobody reconsiders (only thresholds and imitation act)
    {"reconsider_rate": 1.0},  # everybody reconsiders
    {"active_share": 0.0},  # nobody in the market
    {"customers": 1},
    {"edges": 0},  # no social network
    {"experience_weight": 1.0, "word_of_mouth_weight": 1.0},
    {"media_influence": 0.0, "segments": 5},  # segments 3 and 4 have no customers
    {"threshold": 0.0},  # every buyer reconsiders at once
    {"threshold": 1.0, "imitation": 0.0, "negativity": 1.0},  # the old choice rule
    {"weak_tie_weight": 0.0, "amplification": 0.0},  # weak ties carry nothing
]


def customer_arguments(seed, customers=15, segments=3, edges=30, active_share=0.8,
                       media_influence=0.05, talk_rate=0.3, amplification=1.0,
                       reconsider_rate=0.4, experience_weight=0.3, word_of_mouth_weight=0.4,
                       threshold=None, imitation=0.38, negativity=2.0, weak_tie_weight=0.25):
    """All arguments of ``customer_step`` for a small random world."""
    rng = np.random.default_rng(seed)
    c = customers
    indptr, indices = random_csr(rng, c, edges)
    populated = min(segments, 3)
    talk_draw, choice_draw = rng.random(c), rng.random(c)
    talk_draw[0] = choice_draw[0] = 0.0  # the smallest uniform: the strict comparisons matter
    thresholds = rng.random(c) * 0.5 if threshold is None else np.full(c, float(threshold))
    # Tie flags must be the same in both directions of a tie (the kernel pushes voices).
    rows = np.repeat(np.arange(c), np.diff(indptr))
    strong = ((np.minimum(rows, indices) + np.maximum(rows, indices)) % 3 != 0).astype(np.uint8)
    tie_weight = np.empty(c)
    contagion.tie_weight_sums(indptr, strong, weak_tie_weight, tie_weight)
    return (
        (rng.random(c) < active_share).astype(np.uint8), (rng.random(c) < 0.5).astype(np.uint8),
        rng.integers(0, populated, c), rng.normal(0, 0.1, c), rng.random(c),
        rng.random(c), np.zeros(c), thresholds, np.zeros(c), np.zeros(c, np.int8),
        indptr, indices, strong, weak_tie_weight, tie_weight, rng.random(c) * 2,
        rng.integers(0, 3, c).astype(float), media_influence,
        rng.random(c) * (rng.random(c) < 0.3), rng.random(c) * (rng.random(c) < 0.3),
        rng.integers(0, 3, c) * (rng.random(c) < 0.3).astype(float),
        np.full((c, 4), 9.0), rng.random(segments), 0.45, talk_draw, choice_draw,
        rng.standard_normal(c),
        0.1, experience_weight, talk_rate, amplification, negativity, word_of_mouth_weight,
        imitation, 6.0, reconsider_rate,
        np.zeros(segments, np.int64), np.zeros(segments, np.int64), np.zeros(segments),
        np.zeros(segments),
    )


@pytest.mark.parametrize(("case", "seed"),
                         list(itertools.product(range(len(CUSTOMER_CASES)), range(3))))
def test_customer_step_random_worlds(case, seed):
    """Experience, voices, hearing, media and choice match the reference on small worlds."""
    naive.assert_three_equal(ck.customer_step, naive.customer_step,
                             *customer_arguments(seed, **CUSTOMER_CASES[case]))


def model_customer_arguments(m, rng):
    """``customer_step``'s arguments on the state of model ``m`` (fresh draws from ``rng``)."""
    n, c, p = m.n_customers, m.config.customers, m.population
    return (
        m.active, m.buying, m.segment, m.taste, m.belief, m.satisfaction, m.sentiment,
        p.threshold, np.zeros(n), np.zeros(n, np.int8), m.indptr, m.indices, p.tie_strong,
        c.weak_tie_weight, p.tie_weight, rng.random(n) * 2,
        rng.integers(0, 3, n).astype(float), 0.05,
        np.zeros(n), rng.random(n) * (rng.random(n) < 0.1), p.firm_voices,
        np.full((n, 4), 9.0), m.segment_fitness, m.outside_option, rng.random(n), rng.random(n),
        rng.standard_normal(n), c.experience_noise, c.experience_weight, c.talk_rate,
        c.amplification, c.negativity, c.word_of_mouth_weight, c.imitation,
        c.choice_sensitivity, c.reconsider_rate, np.zeros(m.total_segments, np.int64),
        np.zeros(m.total_segments, np.int64), np.zeros(m.total_segments),
        np.zeros(m.total_segments))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_customer_step_model_state(seed):
    """The same on the state of a small model after five steps."""
    m = small_model(structure="network", seed=seed)
    _, arrays = naive.assert_three_equal(ck.customer_step, naive.customer_step,
                                         *model_customer_arguments(m, np.random.default_rng(seed)))
    buyers, voice = arrays[-4], arrays[9]
    assert buyers.sum() > 0 and (voice != 0).sum() > 0  # the comparison is not vacuous


@pytest.mark.parametrize("seed", [4, 5])
def test_customer_step_invariants(seed):
    """Customers conserved, states in bounds, voices only from buyers, same inputs same output."""
    m = small_model(seed=seed, steps=10)
    rng = np.random.default_rng(seed)
    arguments = model_customer_arguments(m, rng)
    copies = [[a.copy() if isinstance(a, np.ndarray) else a for a in arguments]
              for _ in range(2)]
    was_buying = copies[0][1].copy()
    outs = [ck.customer_step(*args) for args in copies]
    assert outs[0] == outs[1]
    for a, b in zip(*copies, strict=True):
        if isinstance(a, np.ndarray):
            assert np.array_equal(a, b)
    active, buying, _, _, belief, satisfaction, sentiment, _, _, voice = copies[0][:10]
    buyers, active_count = copies[0][-4], copies[0][-3]
    assert active_count.sum() == active.sum() == m.n_customers
    assert buyers.sum() == (buying[active == 1] == 1).sum()
    assert ((satisfaction >= 0) & (satisfaction <= 1)).all()
    assert ((sentiment >= -1) & (sentiment <= 1)).all() and np.isfinite(belief).all()
    assert (voice[was_buying == 0] == 0).all() and set(np.unique(voice)) <= {-2, -1, 0, 1, 2}


def media_world(seed, customers=20, media=4):
    """Reach lists with an empty medium and repeated customers; some customers inactive."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(0, 8, media)
    sizes[0] = 0
    reach_ptr = np.concatenate(([0], np.cumsum(sizes))).astype(np.int64)
    reach = rng.integers(0, customers, reach_ptr[-1])
    active = (rng.random(customers) < 0.6).astype(np.uint8)
    return rng, reach_ptr, reach, active


@pytest.mark.parametrize("seed", range(8))
def test_media_kernels_random_worlds(seed):
    """Media exposure and the audience's mean sentiment match the references."""
    rng, reach_ptr, reach, active = media_world(seed)
    media, customers = reach_ptr.shape[0] - 1, active.shape[0]
    naive.assert_three_equal(ck.media_exposure, naive.media_exposure, reach_ptr, reach,
                             rng.random(media), np.full(customers, 9.0), np.full(customers, 9.0))
    naive.assert_three_equal(ck.reached_mean, naive.reached_mean, reach_ptr, reach,
                             rng.uniform(-1, 1, customers), active, np.full(media, 9.0))


@pytest.mark.parametrize("seed", range(6))
def test_media_messages_random_worlds(seed):
    """The fused pass over the media's audiences equals one media_exposure per quantity
    (the twin), with media among other stakeholders and stances of both signs."""
    rng, reach_ptr, reach, _ = media_world(seed)
    media = reach_ptr.shape[0] - 1
    kind = rng.permutation(np.array([1] * media + [0, 2] * 3, dtype=np.int8))
    stance = rng.uniform(-1, 1, kind.shape[0])
    stance[0] = 0.0
    out = [np.full(20, 9.0) for _ in range(4)]  # media_world's 20 customers
    _, arrays = naive.assert_three_equal(ck.media_messages, naive.media_messages, kind, stance,
                                         1, 0.7, 0.3, reach_ptr, reach, *out)
    assert arrays[-3].sum() == reach.shape[0]  # every reach entry counted once


def test_media_kernels_no_media_and_model_state():
    """No media at all, and the media of a small model."""
    empty = np.zeros(1, np.int64), np.zeros(0, np.int64)
    naive.assert_three_equal(ck.media_exposure, naive.media_exposure, *empty, np.zeros(0),
                             np.ones(5), np.ones(5))
    m = small_model(seed=4)
    reach = (m.stakeholders.media_reach_ptr, m.stakeholders.media_reach)
    broadcast = np.linspace(0.4, 0.9, reach[0].shape[0] - 1)
    _, (_, _, _, total, count) = naive.assert_three_equal(
        ck.media_exposure, naive.media_exposure, *reach, broadcast,
        np.zeros(m.n_customers), np.zeros(m.n_customers))
    assert count.sum() == reach[1].shape[0] and total.sum() > 0
    naive.assert_three_equal(ck.reached_mean, naive.reached_mean, *reach, m.sentiment, m.active,
                             np.zeros(broadcast.shape[0]))


# ----------------------------------------------------------------------------- landscapes
def market_world(seed, n=8, k=2, modules=2, segments=3, variants=2):
    """A small market: one landscape per segment on shared dependencies, and products."""
    rng = np.random.default_rng(seed)
    first = NKLandscape(n, k, seed=seed, modules=modules)
    lands = [first] + [NKLandscape(n, k, seed=seed + s, modules=modules,
                                   dependencies=first.dependencies)
                       for s in range(1, segments)]
    return dict(
        rng=rng,
        dependencies=first.dependencies,
        contributions=np.stack([land.contributions for land in lands]),
        max_fitness=np.array([land.global_max() for land in lands]),
        dependents_ptr=first.dependents_ptr,
        dependents=first.dependents,
        module_of=first.module_of,
        module_start=np.concatenate(([0], np.cumsum(np.bincount(first.module_of)))),
        products=rng.integers(0, 2, (variants, n)).astype(np.uint8),
        variant_of_segment=rng.integers(0, variants, segments),
    )


# ----------------------------------------------------------------------------- sensing
@pytest.mark.parametrize(("awareness", "seed", "sample"),
                         list(itertools.product([0.0, 0.5, 1.0], range(3), [0, 1, 6])))
def test_sensing_random_worlds(awareness, seed, sample):
    """Tests on sampled customers match the reference (empty segments, no sample, any w)."""
    w = market_world(seed)
    rng = w["rng"]
    count, customers = 20, 25
    # Segment 1 has no customers: its tests get no answers.
    segment_start = np.array([0, 12, 12, customers], np.int64)
    modules = rng.integers(-1, 2, count)
    segments = rng.integers(0, 3, count)
    out = (np.full(count, -7, np.int64), np.full(count, 7, np.uint8), np.full(count, 9.0),
           np.full(count, 9.0), np.full(count, -7, np.int64))
    _, arrays = naive.assert_three_equal(
        sk.sense_changes, naive.sense_changes, modules, segments, w["module_start"],
        w["variant_of_segment"], w["products"], w["dependencies"], w["contributions"],
        w["max_fitness"], w["dependents_ptr"], w["dependents"], w["module_of"], segment_start,
        (rng.random(customers) < 0.8).astype(np.uint8),
        (rng.random(customers) < 0.7).astype(np.uint8), awareness, rng.random(count),
        rng.random((count, sample)), rng.standard_normal((count, sample)) * 0.03, *out)
    if sample:
        assert (arrays[-1] > 0).any()


@pytest.mark.parametrize("awareness", [0.0, 0.5, 1.0])
def test_sensing_model_state(awareness):
    """The same on a small model's market and customers."""
    m = small_model(seed=5, variants="per_segment")
    rng = np.random.default_rng(9)
    count = 25
    out = (np.empty(count, np.int64), np.empty(count, np.uint8), np.empty(count),
           np.empty(count), np.empty(count, np.int64))
    _, arrays = naive.assert_three_equal(
        sk.sense_changes, naive.sense_changes, rng.integers(-1, m.market.modules, count),
        rng.integers(0, m.config.market.segments, count), m.market.module_start,
        m.variant_of_segment, m.products, m.market.dependencies, m.market.contributions,
        m.market.max_fitness, m.market.dependents_ptr, m.market.dependents,
        m.market.module_of, m.population.segment_start, m.active, m.buying, awareness,
        rng.random(count), rng.random((count, 7)), rng.standard_normal((count, 7)) * 0.03, *out)
    assert (arrays[-1] > 0).any()


# ----------------------------------------------------------------------------- queues
QUEUE_DTYPES = (np.int64, np.uint8, np.int64, np.float64, np.int64, np.int64, np.int64)


def random_queues(rng, employees, slots, step):
    """Ring buffers with random heads, lengths and contents (some arrived at ``step``)."""
    fields = [rng.integers(0, 20, (employees, slots)).astype(np.int64),
              rng.integers(0, 2, (employees, slots)).astype(np.uint8),
              rng.integers(0, 3, (employees, slots)).astype(np.int64),
              rng.standard_normal((employees, slots)),
              rng.integers(0, employees, (employees, slots)).astype(np.int64),
              rng.integers(0, step + 1, (employees, slots)).astype(np.int64),
              rng.integers(step - 2, step + 1, (employees, slots)).astype(np.int64)]
    head = rng.integers(0, slots, employees).astype(np.int64)
    length = rng.integers(0, slots + 1, employees).astype(np.int64)
    return fields + [head, length]


def copies(arrays):
    return [a.copy() for a in arrays]


@pytest.mark.parametrize("seed", range(5))
def test_push_equals_reference(seed):
    """Pushing onto ring buffers (wrap-around, full queues) equals appending to deques."""
    rng = np.random.default_rng(seed)
    employees, slots = 6, 3
    start = random_queues(rng, employees, slots, step=4)
    messages = [(int(rng.integers(employees)), naive.Message(
        int(rng.integers(20)), int(rng.integers(2)), int(rng.integers(3)),
        float(rng.normal()), int(rng.integers(employees)), 4, 4)) for _ in range(12)]
    expected_queues = naive.read_queues(*start)
    expected = [naive.push(expected_queues, slots, node, msg) for node, msg in messages]
    for function in (ok.push, ok.push.py_func):
        state = copies(start)
        accepted = [function(node, *msg, *state) for node, msg in messages]
        assert accepted == expected
        assert naive.read_queues(*state) == expected_queues
    assert True in expected and False in expected


def random_tree(rng, employees, tops):
    """Parents in a random order (so a parent may come after its child), ``tops`` roots."""
    order = rng.permutation(employees)
    parent = np.full(employees, -1, np.int64)
    for rank in range(tops, employees):
        parent[order[rank]] = order[rng.integers(0, rank)]
    return parent


@pytest.mark.parametrize("seed", range(10))
def test_climb_tree_random_worlds(seed):
    """Capacity, FIFO, same-step arrivals, drops, dead employees, a short hop pool, and a top
    taking more than its buffer holds: queue by queue as the deque reference."""
    rng = np.random.default_rng(seed)
    employees, slots, step, out_size = 12, 3, 5, 1
    parent = random_tree(rng, employees, tops=1 + seed % 2)
    alive = (rng.random(employees) < 0.85).astype(np.uint8)
    capacity = rng.integers(0, 4, employees).astype(np.int64)
    alive[parent < 0] = 1
    capacity[parent < 0] = slots  # a top may take more than the out buffers hold
    hop_draw = rng.standard_normal(3)
    start = random_queues(rng, employees, slots, step)

    queues = naive.read_queues(*start)
    expected_capacity = capacity.copy()
    taken, forwarded, dropped = naive.climb_tree(parent, alive, expected_capacity, step,
                                                 hop_draw, queues, slots, out_size)
    for function in (ok.climb_tree, ok.climb_tree.py_func):
        state, capacity_left = copies(start), capacity.copy()
        out = [np.zeros(out_size, dtype) for dtype in QUEUE_DTYPES[:6]]
        counts = function(parent, alive, capacity_left, step, hop_draw, *state, *out)
        assert counts == (len(taken), forwarded, dropped)
        np.testing.assert_array_equal(capacity_left, expected_capacity)
        assert naive.read_queues(*state) == queues
        got = [tuple(o[i] for o in out) for i in range(counts[0])]
        assert got == [tuple(message)[:6] for message in taken]


def test_climb_tree_model_state():
    """The same on a small hierarchy's queues, filled until messages are dropped."""
    m = small_model(structure="hierarchy", seed=6, employees=60, queue_limit=3, capacity=2)
    rng = np.random.default_rng(2)
    start = copies(m.queues.arrays())
    for node in range(m.org.size):
        for _ in range(int(rng.integers(0, 4))):
            ok.push(node, int(rng.integers(20)), 1, 0, float(rng.normal()), node, 0, 0, *start)
    hop = rng.standard_normal(200) * 0.01
    slots = start[0].shape[1]
    step = int(start[6].max()) + 1  # every queued message arrived before this step
    queues = naive.read_queues(*start)
    capacity = np.full(m.org.size, 2, dtype=np.int64)
    taken, forwarded, dropped = naive.climb_tree(m.org.parent, m.org.alive, capacity, step, hop,
                                                 queues, slots, 4)
    assert dropped > 0 and taken, "the test should exercise dropping and taking"
    for function in (ok.climb_tree, ok.climb_tree.py_func):
        state, capacity_left = copies(start), np.full(m.org.size, 2, dtype=np.int64)
        out = [np.empty(4, dtype) for dtype in QUEUE_DTYPES[:6]]
        counts = function(m.org.parent, m.org.alive, capacity_left, step, hop, *state, *out)
        assert counts == (len(taken), forwarded, dropped)
        np.testing.assert_array_equal(capacity_left, capacity)
        assert naive.read_queues(*state) == queues
        assert [tuple(o[i] for o in out) for i in range(counts[0])] == [
            tuple(message)[:6] for message in taken]


# ----------------------------------------------------------------------------- peer review
@pytest.mark.parametrize(("seed", "width"), list(itertools.product(range(4), [0, 1, 4])))
def test_peer_review_random_worlds(seed, width):
    """Reviewer order, capacity and the cap on reviewers match the reference."""
    rng = np.random.default_rng(seed)
    employees, proposals = 10, 15
    ptr, neighbours = random_csr(rng, employees, 18)
    _, arrays = naive.assert_three_equal(
        ok.peer_review, naive.peer_review, rng.integers(0, employees, proposals), ptr,
        neighbours, (rng.random(employees) < 0.8).astype(np.uint8),
        rng.integers(0, 3, employees), rng.standard_normal((proposals, width)),
        np.full(proposals, 9.0), np.full(proposals, -1, np.int64))
    if width:
        assert arrays[-1].sum() > 0


def test_peer_review_model_state():
    """The same on a small peer network."""
    m = small_model(structure="network", seed=7)
    rng = np.random.default_rng(3)
    _, arrays = naive.assert_three_equal(
        ok.peer_review, naive.peer_review, rng.integers(0, m.org.size, 30), m.org.peer_ptr,
        m.org.peers, m.org.alive, rng.integers(0, 3, m.org.size), rng.standard_normal((30, 4)),
        np.empty(30), np.empty(30, np.int64))
    assert arrays[-1].sum() > 0


# ----------------------------------------------------------------------------- decisions
def decision_arguments(w, count, serve_weight, budget, best_first, noise_scale):
    rng = w["rng"]
    n = w["dependencies"].shape[0]
    variants = w["products"].shape[0]
    return (w["products"].copy(), rng.integers(0, n, count),
            rng.integers(0, 2, count).astype(np.uint8), rng.integers(0, variants, count),
            rng.normal(0, noise_scale, count), budget, best_first, serve_weight,
            w["dependencies"], w["contributions"], w["max_fitness"], w["dependents_ptr"],
            w["dependents"], w["module_of"], np.full(count, -1, np.int64))


@pytest.mark.parametrize(("seed", "budget", "best_first", "noise_scale"), list(
    itertools.product(range(4), [0, 1, 3, 50], [True, False], [0.005, 0.0])))
def test_decide_random_worlds(seed, budget, best_first, noise_scale):
    """Approval (best first or in arrival order) against the projected product, with a
    variant that serves nobody (its changes are judged exactly 0.0 without noise, and must
    not be approved), matches the reference; so does change_value itself."""
    w = market_world(seed, variants=3)
    rng = w["rng"]
    serve_weight = rng.random((3, 3))
    serve_weight[2] = 0.0  # variant 2 serves no segment: its changes are worth nothing
    serve_weight[0, 1] = 0.0
    serve_weight /= np.maximum(serve_weight.sum(axis=1, keepdims=True), 1e-300)
    approved, _ = naive.assert_three_equal(
        ok.decide, naive.decide, *decision_arguments(w, 12, serve_weight, budget, best_first,
                                                     noise_scale))
    assert approved <= budget
    for attribute, variant in itertools.product(range(8), range(3)):
        naive.assert_three_equal(
            ok.change_value, naive.change_value, w["products"], attribute,
            1 - w["products"][variant, attribute], variant, serve_weight, w["dependencies"],
            w["contributions"], w["max_fitness"], w["dependents_ptr"], w["dependents"],
            w["module_of"])


@pytest.mark.parametrize("best_first", [True, False])
def test_decide_model_state(best_first):
    """The same on a small model with one product variant per segment."""
    m = small_model(seed=8, variants="per_segment")
    rng = np.random.default_rng(4)
    count = 12
    approved, _ = naive.assert_three_equal(
        ok.decide, naive.decide, m.products.copy(), rng.integers(0, m.market.attributes, count),
        rng.integers(0, 2, count).astype(np.uint8), rng.integers(0, m.products.shape[0], count),
        rng.normal(0, 0.005, count), 3, best_first, serve_weight(m), m.market.dependencies,
        m.market.contributions, m.market.max_fitness, m.market.dependents_ptr,
        m.market.dependents, m.market.module_of, np.full(count, -1, dtype=np.int64))
    assert approved > 0
