"""The threaded customer step and the draws made ahead: the same numbers as one thread.

The threaded kernels (``customer_step_threads``, ``spread_voices_threads``) must equal the
rule's plain-Python twin (tests/naive.py) for any number of threads and of hearing parts, and
a whole run must give the same numbers bit for bit whether its customer step runs on one
thread or several, and whether its draws are made when asked or one step ahead.
"""

import itertools

import naive
import numba
import numpy as np
import pandas as pd
import pytest
from test_kernels import (
    CUSTOMER_CASES,
    customer_arguments,
    media_world,
    model_customer_arguments,
    small_model,
)

from simulation.config.schema import config_from_flat
from simulation.config.seeds import run_seed
from simulation.core import customers as customer_submodel
from simulation.core.competition import run_market
from simulation.execution.competition import market_config
from simulation.execution.runs import run_model
from simulation.kernels import contagion, threads
from simulation.kernels import customers as ck

#: Shocks that move the customers: a new segment arrives (inactive customers become active)
#: and the media turn.
SHOCKS = [{"kind": "reputation_crisis", "step": 30, "strength": 0.4, "share": 0.3},
          {"kind": "need_shift", "step": 50},
          {"kind": "new_segment", "step": 70, "count": 300}]

#: Thread counts this machine allows (Numba caps them at NUMBA_NUM_THREADS).
THREADS = sorted({1, 2, numba.config.NUMBA_NUM_THREADS})


@pytest.fixture
def numba_threads():
    """Set Numba's thread count for the test, restored after."""
    before = numba.get_num_threads()
    yield numba.set_num_threads
    numba.set_num_threads(before)


def _reference_step(*arguments):
    """The twin, which has no ``split_parts`` argument (the last one here)."""
    return naive.customer_step(*arguments[:-1])


@pytest.mark.parametrize(("case", "seed", "parts"),
                         list(itertools.product(range(len(CUSTOMER_CASES)), range(2), (1, 2, 3))))
def test_threaded_customer_step_equals_the_twin(numba_threads, case, seed, parts):
    """On every small world of the one-thread kernel's test, with the hearing split in 1-3
    parts, on every thread count."""
    arguments = customer_arguments(seed, **CUSTOMER_CASES[case])
    for count in THREADS:
        numba_threads(count)
        naive.assert_three_equal(ck.customer_step_threads, _reference_step, *arguments, parts)


@pytest.mark.parametrize("seed", [1, 2])
def test_threaded_customer_step_on_a_model_state(numba_threads, seed):
    """The same on a small model's state after five steps; the comparison is not vacuous."""
    m = small_model(structure="network", seed=seed)
    arguments = model_customer_arguments(m, np.random.default_rng(seed))
    numba_threads(max(THREADS))
    _, arrays = naive.assert_three_equal(ck.customer_step_threads, _reference_step,
                                         *arguments, 2)
    buyers, voice = arrays[-4], arrays[9]
    assert buyers.sum() > 0 and (voice != 0).sum() > 0


@pytest.mark.parametrize(("seed", "parts"), list(itertools.product(range(4), (1, 2, 3, 5, 64))))
def test_hearing_split_in_parts_equals_one_push_and_the_twin(numba_threads, seed, parts):
    """``spread_voices_threads`` fills every hearer's row as ``spread_voices`` and the twin do,
    bit for bit, however many parts (more parts than hearers included)."""
    rng = np.random.default_rng(seed)
    n = 40
    indptr, indices = customer_arguments(seed, customers=n, edges=160)[10:12]
    rows = np.repeat(np.arange(n), np.diff(indptr))
    strong = ((np.minimum(rows, indices) + np.maximum(rows, indices)) % 3 != 0).astype(np.uint8)
    voice = rng.choice(np.array([-2, -1, 0, 0, 1, 2], dtype=np.int8), size=n)
    opinion = rng.random(n)
    reference = np.full((n, 4), 9.0)
    naive.voices_heard_all(indptr, indices, strong, 0.25, voice, opinion, reference)
    assert np.count_nonzero(reference[:, 2]) > n // 2  # most hear something
    for count in THREADS:
        numba_threads(count)
        split = np.full((n, 4), 9.0)
        contagion.spread_voices_threads(indptr, indices, strong, 0.25, voice, opinion, split,
                                        parts)
        assert split.tolist() == reference.tolist()


@pytest.mark.parametrize(("seed", "parts"), list(itertools.product(range(4), (1, 2, 3, 7, 64))))
def test_media_messages_split_in_parts_equal_the_twin(numba_threads, seed, parts):
    """``media_messages_threads`` gives every customer the media's sums the twin gives, bit
    for bit, however many parts (more parts than customers included)."""
    rng, reach_ptr, reach, _ = media_world(seed)
    media = reach_ptr.shape[0] - 1
    kind = rng.permutation(np.array([1] * media + [0, 2] * 3, dtype=np.int8))
    stance = rng.uniform(-1, 1, kind.shape[0])
    for count in THREADS:
        numba_threads(count)
        out = [np.full(20, 9.0) for _ in range(4)]  # media_world's 20 customers
        _, arrays = naive.assert_three_equal(
            ck.media_messages_threads, lambda *a: naive.media_messages(*a[:-1]), kind, stance,
            1, 0.7, 0.3, reach_ptr, reach, *out, parts)
        assert arrays[-3].sum() == reach.shape[0]  # every reach entry counted once


def _everything_threaded(monkeypatch, threaded: bool) -> None:
    """Small populations take the threaded step with its hearing split and its first pass
    shared between the threads (``threaded``), or every step runs on one thread."""
    monkeypatch.setattr(threads, "MIN_CUSTOMERS", 0 if threaded else 10**12)
    monkeypatch.setattr(threads, "SPLIT_FROM", 0)


def _single_firm_series(monkeypatch, threaded: bool):
    _everything_threaded(monkeypatch, threaded)
    config = config_from_flat(customers=1500, employees=40, steps=120, shocks=SHOCKS)
    return run_model(config, "podular", run_seed(7, 0)).timeseries


def test_a_run_is_the_same_on_one_thread_and_on_several(monkeypatch):
    """Same seed, same numbers, whatever runs the customer step: one thread, or Numba's
    threads with the hearing split and the next step's draws made beside the first pass."""
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("Numba has one thread here (NUMBA_NUM_THREADS=1)")
    one = _single_firm_series(monkeypatch, threaded=False)
    several = _single_firm_series(monkeypatch, threaded=True)
    assert threads.threads_for(1500) > 1  # the threaded path really ran
    assert one.shape[0] >= 120 and one["market_share"].nunique() > 10
    pd.testing.assert_frame_equal(one, several, check_exact=True)


def test_a_market_of_three_firms_is_the_same_with_its_draws_made_ahead(monkeypatch):
    """A market's customers draw through the same :class:`CustomerDraws`: the same numbers
    with the draws made one step ahead on the background thread."""
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("Numba has one thread here (NUMBA_NUM_THREADS=1)")
    series = []
    for threaded in (False, True):
        _everything_threaded(monkeypatch, threaded)
        config = market_config(config_from_flat(customers=1200, employees=30, steps=80),
                               ["hierarchy", "podular", "network"], SHOCKS[:2])
        series.append(run_market(config, run_seed(3, 0))[0])
    assert series[0]["market_share"].nunique() > 10
    pd.testing.assert_frame_equal(series[0], series[1], check_exact=True)


def _rule_draws(rule: np.random.Generator, size: int) -> np.ndarray:
    """One step's draws by the seed rule, made with NumPy: two uniforms per customer (talk,
    choice) then one normal per customer."""
    uniforms = rule.random((2, size))
    return np.vstack([uniforms, rule.standard_normal(size)[None, :]])


@pytest.mark.parametrize("size", [1, 257, 5000])
def test_compiled_draws_are_numpys_draws(size):
    """``draw_customer_numbers`` (Numba's draws from the Generator) gives NumPy's numbers and
    leaves the stream where NumPy leaves it, step after step."""
    drawn, rule = np.random.default_rng(11), np.random.default_rng(11)
    out = np.full((3, size), 9.0)
    for _ in range(4):
        ck.draw_customer_numbers(drawn, out)
        assert out.tolist() == _rule_draws(rule, size).tolist()
    assert drawn.bit_generator.state == rule.bit_generator.state


def test_draws_made_ahead_are_the_draws_made_when_asked():
    """Step after step, :class:`CustomerDraws` gives the seed rule's draws whether they are
    made when asked, one step ahead on the background thread, or one step ahead into
    :meth:`next_buffer` (as the customer step's kernel does)."""
    size = 257
    asked = customer_submodel.CustomerDraws(np.random.default_rng(11), size)
    ahead = customer_submodel.CustomerDraws(np.random.default_rng(11), size, ahead=True)
    kernel = customer_submodel.CustomerDraws(np.random.default_rng(11), size)
    rule = np.random.default_rng(11)
    for _ in range(6):
        expected = _rule_draws(rule, size).tolist()
        for draws in (asked, ahead, kernel):
            assert draws.take().tolist() == expected
        ahead.prepare_next()
        ahead.prepare_next()  # asking twice draws one step, not two
        ck.draw_customer_numbers(kernel.rng, kernel.next_buffer())
        kernel.filled_next()


#: First-pass bounds to try for a population of ``n``: one part, the drawing part empty, an
#: uneven split, more parts than customers (empty parts).
def _bounds_cases(n: int) -> list[np.ndarray]:
    return [np.array(b, dtype=np.int64) for b in (
        [0, n], [0, 0, n], [0, n // 3, n], [0, 1 if n else 0, n // 2, n, n, n],
        threads.voice_bounds(n, 2), threads.voice_bounds(n, 5))]


@pytest.mark.parametrize(("case", "kernel"), list(itertools.product(
    range(len(CUSTOMER_CASES)), ["customer_step", "customer_step_threads"])))
def test_step_that_draws_the_next_numbers_equals_the_twin(numba_threads, case, kernel):
    """Both kernels, drawing the next step's numbers beside their first pass, whatever the
    first pass's bounds and thread count: every array as the twin leaves it, and the next
    step's numbers NumPy's."""
    step = getattr(ck, kernel)
    arguments = customer_arguments(case + 5, **CUSTOMER_CASES[case])
    n = arguments[0].shape[0]
    reference = [a.copy() if isinstance(a, np.ndarray) else a for a in arguments]
    expected_return = naive.customer_step(*reference)
    for count, bounds in itertools.product(THREADS, _bounds_cases(n)):
        numba_threads(count)
        mine = [a.copy() if isinstance(a, np.ndarray) else a for a in arguments]
        drawn, rule = np.random.default_rng(case), np.random.default_rng(case)
        following = np.full((3, n), 9.0)
        assert step(*mine, 2, following, drawn, bounds) == expected_return
        for got, want in zip(mine, reference, strict=True):
            if isinstance(want, np.ndarray):
                assert got.tolist() == want.tolist()
        assert following.tolist() == _rule_draws(rule, n).tolist()


@pytest.mark.parametrize(("size", "workers"),
                         list(itertools.product([0, 1, 7, 20_000], [1, 2, 3, 8])))
def test_first_pass_bounds_cover_every_customer_once(size, workers):
    """One part per thread, ascending, from 0 to ``size``; the drawing part is the smallest."""
    bounds = threads.voice_bounds(size, workers)
    assert bounds.shape == (workers + 1,) and bounds[0] == 0 and bounds[-1] == size
    assert (np.diff(bounds) >= 0).all()
    if workers > 1 and size >= 20:
        assert np.diff(bounds)[0] <= np.diff(bounds)[1:].min()


def _threads_in_this_process(size: int) -> int:
    return threads.threads_for(size)


def test_the_executors_workers_run_the_step_on_one_thread():
    """A sweep's workers each have a core already: they take the one-thread kernel however
    large the population (their server runs with NUMBA_NUM_THREADS=1)."""
    from simulation.execution.executor import LocalPool

    with LocalPool(2) as pool:
        answers = [answer for _, answer in pool.map(_threads_in_this_process, [10**6] * 2)]
    assert answers == [1, 1]
