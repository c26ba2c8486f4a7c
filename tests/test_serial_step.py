"""The step's serial phases, made cheaper, give the same numbers as the code they replaced
(issue 26): the all-segment fitness kernel equals its plain twin and the per-segment calls,
the records collector stores what Mesa's DataCollector stores, and the firm's answers are
cleared as if the whole array were cleared each step."""

from __future__ import annotations

from functools import partial

import mesa
import naive
import numpy as np
import pandas as pd
import pytest

from simulation import FirmModel
from simulation.core import metrics
from simulation.core.landscapes import draw_contributions, draw_dependencies
from simulation.kernels import nk

SMALL = dict(customers=800, employees=40, customer_degree=6)


@pytest.mark.parametrize("seed", range(6))
def test_normalised_fitness_kernel_random_worlds(seed):
    """Segments served by different variants (one variant serving none), optima of every
    size: the kernel equals its twin and the per-segment ``fitness / optimum`` it replaced,
    bit for bit."""
    rng = np.random.default_rng(seed)
    n, k, segments, variants = 10, 2, 5, 3
    dependencies = draw_dependencies(n, k, rng, modules=2, cross_module_share=0.3)
    contributions = np.stack([draw_contributions(n, k, rng) for _ in range(segments)])
    products = rng.integers(0, 2, (variants, n)).astype(np.uint8)
    variant_of_segment = np.array([0, 2, 0, 2, 2], dtype=np.int64)  # variant 1 serves none
    max_fitness = rng.uniform(0.5, 0.9, segments)
    out = np.full(segments, np.nan)
    returned, (*_, expected) = naive.assert_three_equal(
        nk.normalised_fitness, naive.normalised_fitness, products, variant_of_segment,
        dependencies, contributions, max_fitness, out)
    assert returned is None and np.unique(expected).size == segments
    old = np.array([nk.fitness(products[variant_of_segment[s]], dependencies,
                               contributions[s]) / max_fitness[s] for s in range(segments)])
    assert old.tobytes() == expected.tobytes()


def _collect_with_mesa(model) -> mesa.DataCollector:
    """Mesa's own DataCollector of the same reporters, beside the model's."""
    return mesa.DataCollector(model_reporters={
        name: partial(metrics.latest, name=name) for name in metrics.MESA_REPORTED})


@pytest.mark.parametrize("structure", ["hierarchy", "podular"])
def test_records_collector_stores_what_mesa_stores(structure):
    """Every step's reported metrics (NaN latencies and integer counts included) and the
    collection times are those Mesa's DataCollector stores, and they are the records."""
    model = FirmModel(structure=structure, rng=3, steps=40, **SMALL,
                      shocks=[{"kind": "talent_loss", "step": 15, "strength": 0.3}])
    plain = _collect_with_mesa(model)
    for _ in range(40):
        model.step()
        plain.collect(model)
    ours = model.datacollector.get_model_vars_dataframe()
    pd.testing.assert_frame_equal(ours, plain.get_model_vars_dataframe())
    assert model.datacollector._collection_steps == plain._collection_steps
    assert len(ours) == 40 and ours["decision_latency"].isna().any()
    for name in metrics.MESA_REPORTED:
        assert ours[name].tolist() == pd.Series(model.records[name]).tolist() or \
            np.array_equal(ours[name].to_numpy(), np.asarray(model.records[name]),
                           equal_nan=True)
        assert [type(v) for v in model.datacollector.model_vars[name]] == \
            [type(v) for v in model.records[name]]


def test_records_collector_falls_back_to_mesa_for_other_reporters():
    """A reporter added after the first step is collected too (Mesa's own collect)."""
    model = FirmModel(rng=3, steps=6, **SMALL).run(3)
    model.datacollector._new_model_reporter("doubled", lambda m: 2 * m.records["revenue"][-1])
    model.run(3)
    collected = model.datacollector.model_vars
    assert collected["doubled"] == [2 * v for v in model.records["revenue"][-3:]]
    assert collected["revenue"] == model.records["revenue"]


@pytest.mark.parametrize("structure", ["hierarchy", "network", "siloed_social"])
def test_firm_answers_cleared_as_if_all_were_cleared(structure):
    """Clearing only last step's answers leaves ``firm_voices`` as clearing every entry did,
    step after step (official, everyone's and the marketing branch's answers)."""
    shocks = [{"kind": "reputation_crisis", "step": 5, "strength": 0.8, "share": 0.5}]
    sparse = FirmModel(structure=structure, rng=8, steps=60, **SMALL, shocks=shocks)
    full = FirmModel(structure=structure, rng=8, steps=60, **SMALL, shocks=shocks)
    answered = 0
    for _ in range(60):
        full.conversation.answered = None  # unknown: every entry is cleared
        full.step()
        sparse.step()
        assert np.array_equal(sparse.population.firm_voices, full.population.firm_voices)
        answered += sparse.conversation.answers
    assert answered > 0
    pd.testing.assert_frame_equal(sparse.metrics(), full.metrics())


@pytest.mark.parametrize("seed", range(6))
def test_answer_complaints_random_worlds(seed):
    """Ties of departed employees, inactive and silent customers, customers on several ties:
    the kernel answers as its twin and as the masks and np.add.at it replaced, bit for bit."""
    from simulation.kernels.conversation import answer_complaints

    rng = np.random.default_rng(seed)
    employees, customers, ties = 12, 40, 60
    tie_employee = rng.integers(0, employees, ties).astype(np.int64)
    tie_customer = rng.integers(0, customers, ties).astype(np.int64)
    alive = (rng.random(employees) < 0.75).astype(np.uint8)
    voice = rng.integers(-1, 2, customers).astype(np.int8)
    active = (rng.random(customers) < 0.8).astype(np.uint8)
    firm_voices = np.where(rng.random(customers) < 0.2, 1.0, 0.0)  # answers already given
    out = np.full(ties, -1, np.int64)
    count, (*_, voices, answered) = naive.assert_three_equal(
        answer_complaints, naive.answer_complaints, tie_employee, tie_customer, alive, voice,
        active, firm_voices, out)
    old_mask = ((alive[tie_employee] == 1) & (voice[tie_customer] < 0)
                & (active[tie_customer] == 1))
    old_answered = tie_customer[old_mask]
    old_voices = firm_voices.copy()
    np.add.at(old_voices, old_answered, 1.0)
    assert answered[:count].tolist() == old_answered.tolist()
    assert voices.tobytes() == old_voices.tobytes()
    assert 0 < count < ties and (voices >= 2.0).any()  # some customer answered twice or more
    skipped = ~old_mask
    assert (alive[tie_employee[skipped]] == 0).any() and (active[tie_customer[skipped]] == 0).any()
