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
