"""The organization step's routing kernel equals its plain-Python twin (tests/naive.py)."""

from __future__ import annotations

import naive
import numpy as np
import pytest

from simulation.kernels import organization as ok

QUEUE_DTYPES = (np.int64, np.uint8, np.int64, np.float64, np.int64, np.int64, np.int64)


def random_queues(rng, employees, slots, step):
    """Ring buffers partly filled, heads anywhere (so pushes wrap around), some full."""
    arrays = [rng.integers(0, 20, (employees, slots)).astype(np.int64),
              rng.integers(0, 2, (employees, slots)).astype(np.uint8),
              rng.integers(0, 3, (employees, slots)).astype(np.int64),
              rng.standard_normal((employees, slots)),
              rng.integers(0, employees, (employees, slots)).astype(np.int64),
              rng.integers(0, step + 1, (employees, slots)).astype(np.int64),
              rng.integers(0, step + 1, (employees, slots)).astype(np.int64)]
    head = rng.integers(0, slots, employees).astype(np.int64)
    length = rng.integers(0, slots + 1, employees).astype(np.int64)
    return arrays + [head, length]


@pytest.mark.parametrize(("seed", "hub_review"), [(s, h) for s in range(8) for h in (0, 1)])
def test_route_proposals_random_worlds(seed, hub_review):
    """Vetoes, pushes (with wrap-around and full queues), tops without a parent and local
    decisions: the kernel's counts, kept proposals and queues equal the deque twin's."""
    rng = np.random.default_rng(seed)
    employees, slots, step, count = 10, 2, 7, 40
    parent = np.where(rng.random(employees) < 0.3, -1, rng.integers(0, employees, employees))
    proposer = rng.integers(0, employees, count).astype(np.int64)
    locally = rng.random(count) < 0.5
    affordable = rng.random(count) < 0.7
    attribute = rng.integers(0, 30, count).astype(np.int64)
    value = rng.integers(0, 2, count).astype(np.uint8)
    variant = rng.integers(0, 3, count).astype(np.int64)
    report = rng.standard_normal(count)
    good = np.flatnonzero(rng.random(count) < 0.8)
    start = random_queues(rng, employees, slots, step)

    queues = naive.read_queues(*start)
    kept, vetoed, messages, dropped = naive.route_proposals(
        good, proposer, locally, affordable, hub_review, parent, attribute, value, variant,
        report, step, queues, slots)
    assert vetoed and messages and dropped and kept, "the world should exercise every branch"
    for function in (ok.route_proposals, ok.route_proposals.py_func):
        state = [a.copy() for a in start]
        out = np.full(good.shape[0], -1, np.int64)
        counts = function(good, proposer, locally, affordable, bool(hub_review), parent,
                          attribute, value, variant, report, step, *state, out)
        assert counts == (len(kept), vetoed, messages, dropped)
        assert out[:counts[0]].tolist() == kept
        assert naive.read_queues(*state) == queues


@pytest.mark.parametrize("seed", range(6))
def test_media_voices_random_worlds(seed):
    """Media with overlapping reach, inactive and silent customers, a medium reaching nobody
    active and one reaching nobody: the kernel equals its twin, and equals the two passes of
    ``reached_mean`` over sign(voice) and |sign(voice)| it replaced, bit for bit."""
    from simulation.kernels import customers as ck
    from simulation.kernels import stakeholders as sk

    rng = np.random.default_rng(seed)
    customers, media = 300, 5
    voice = rng.integers(-1, 2, customers).astype(np.int8)
    active = (rng.random(customers) < 0.8).astype(np.uint8)
    lists = [np.sort(rng.choice(customers, size=int(rng.integers(1, 120)), replace=False))
             for _ in range(media - 2)]
    lists.append(np.flatnonzero(active == 0)[:7])  # nobody active
    lists.append(np.empty(0, np.int64))  # nobody at all
    reach_ptr = np.concatenate([[0], np.cumsum([len(r) for r in lists])]).astype(np.int64)
    reach = np.concatenate(lists).astype(np.int64)
    net, voiced = naive.assert_three_equal(sk.media_voices, naive.media_voices, reach_ptr,
                                           reach, voice, active, np.zeros(media),
                                           np.zeros(media))[1][-2:]
    assert (net != 0).any() and (voiced > 0).any() and voiced[-2:].tolist() == [0.0, 0.0]
    sign = np.sign(voice).astype(np.float64)
    old_net, old_voiced = np.empty(media), np.empty(media)
    ck.reached_mean(reach_ptr, reach, sign, active, old_net)
    ck.reached_mean(reach_ptr, reach, np.abs(sign), active, old_voiced)
    assert old_net.tobytes() == net.tobytes() and old_voiced.tobytes() == voiced.tobytes()


def _serve_weight_afresh(model) -> np.ndarray:
    """The serve weights computed from scratch (the rule of organization.serve_weight)."""
    customers, segments = model.population, model.total_segments
    weight = np.zeros((model.products.shape[0], segments))
    weight[model.variant_of_segment, np.arange(segments)] = np.where(
        customers.segment_active, customers.segment_sizes, 0.0)
    totals = weight.sum(axis=1, keepdims=True)
    return np.divide(weight, totals, out=np.zeros(weight.shape), where=totals > 0)


@pytest.mark.parametrize("variants", ["standard", "per_segment"])
def test_cached_serve_weights_follow_arriving_segments(variants):
    """The organization keeps its serve weights until the segments change: through two new
    segments arriving, every step's cached weights (and their cumulative sums, read by the
    staff) are the ones computed afresh."""
    from simulation import FirmModel
    from simulation.core import organization

    model = FirmModel(structure="hierarchy", rng=3, customers=600, employees=20, steps=40,
                      customer_degree=4, variants=variants,
                      shocks=[{"kind": "new_segment", "step": 8, "strength": 0.3},
                              {"kind": "new_segment", "step": 20, "strength": 0.2}])
    seen = set()
    for _ in range(40):
        model.step()
        cached = organization.serve_weight(model)
        fresh = _serve_weight_afresh(model)
        assert cached.tobytes() == fresh.tobytes()
        cumulative = organization._SERVE_WEIGHTS[model][2]
        assert cumulative.tobytes() == np.cumsum(fresh, axis=1).tobytes()
        seen.add(fresh.tobytes())
    assert len(seen) >= 3, "the weights should change as segments arrive"


@pytest.mark.parametrize("seed", range(6))
def test_hear_customers_random_worlds(seed):
    """Dead and exhausted talkers, sensors that do not talk, tests with no responder, silent
    and inactive customers: the kernel equals its twin (capacity, noise, payers), and the
    noise equals the NumPy passes it replaced, bit for bit."""
    from simulation.kernels import conversation as cv

    rng = np.random.default_rng(seed)
    employees, customers, ties = 30, 200, 90
    talking = np.unique(rng.integers(0, employees, 20)).astype(np.int64)
    tie_employee = rng.choice(talking, ties).astype(np.int64)
    tie_customer = rng.integers(0, customers, ties).astype(np.int64)
    voice = rng.integers(-1, 2, customers).astype(np.int8)
    buying = (rng.random(customers) < 0.7).astype(np.uint8)
    active = (rng.random(customers) < 0.9).astype(np.uint8)
    alive = (rng.random(employees) < 0.85).astype(np.uint8)
    capacity = rng.integers(0, 3, employees).astype(np.int64)
    sensors = np.flatnonzero(rng.random(employees) < 0.6).astype(np.int64)
    responders = rng.integers(0, 4, sensors.shape[0]).astype(np.int64)
    noise = rng.standard_normal(sensors.shape[0])
    args = (sensors, talking, tie_employee, tie_customer, voice, buying, active, alive)
    returned, arrays = naive.assert_three_equal(cv.hear_customers, naive.hear_customers, *args,
                                                capacity.copy(), responders, noise.copy())
    assert returned > 0 and not np.array_equal(arrays[-1], noise), "nothing was heard"
    # The NumPy formulation the kernel replaced.
    left = capacity.copy()
    paying = talking[(alive[talking] == 1) & (left[talking] > 0)]
    left[paying] -= 1
    spoke = (voice[tie_customer] != 0) & (buying[tie_customer] == 1) & (active[tie_customer] == 1)
    heard = np.bincount(tie_employee[spoke], minlength=employees)
    paid = np.zeros(employees, dtype=bool)
    paid[paying] = True
    old = noise.copy()
    m, h = responders, heard[sensors]
    louder = paid[sensors] & (m > 0) & (h > 0)
    old[louder] *= np.sqrt(m[louder] / (m[louder] + h[louder]))
    assert returned == paying.shape[0] and arrays[-1].tobytes() == old.tobytes()
    np.testing.assert_array_equal(arrays[-3], left)


@pytest.mark.parametrize("seed", range(6))
def test_choose_testers_random_worlds(seed):
    """Dead, scope-less, non-sensing, survey-only and exhausted employees, draws on both
    sides of the rate: the kernel equals its twin, and the NumPy passes it replaced."""
    rng = np.random.default_rng(seed)
    employees = 60
    senses = rng.random(employees) < 0.8
    alive = (rng.random(employees) < 0.85).astype(np.uint8)
    segment = rng.integers(-1, 3, employees).astype(np.int64)
    survey_only = rng.random(employees) < 0.3
    capacity = rng.integers(0, 3, employees).astype(np.int64)
    draw = rng.random(employees)
    args = (senses, alive, segment, survey_only, capacity, draw, 0.5)
    returned, arrays = naive.assert_three_equal(
        ok.choose_testers, naive.choose_testers, *args, np.full(employees, -7, np.int64),
        np.zeros(employees, bool), np.zeros(employees, bool))
    left, tests, waiting = arrays[-3:]
    assert 0 < returned < employees and waiting.any() and (left == 0).any()
    # The NumPy formulation the kernel replaced.
    old_left = np.where(alive == 1, capacity, 0)
    sensing = senses & (alive == 1) & (segment >= 0)
    old_tests = sensing & ~survey_only & (draw < 0.5)
    old_tests &= old_left > 0
    old_left[old_tests] -= 1
    np.testing.assert_array_equal(tests, old_tests)
    np.testing.assert_array_equal(left, old_left)
    np.testing.assert_array_equal(waiting, sensing & survey_only)
