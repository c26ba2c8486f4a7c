"""Rule-level tests of the shocks (issue 27): each shock's reach, size and timing."""

from types import SimpleNamespace

import numpy as np
from scipy import stats

from simulation import FirmModel
from simulation.config.vocabulary import MEDIA
from simulation.core import shocks

SMALL = dict(customers=800, employees=30, steps=20)


def test_reputation_crisis_takes_belief_from_a_share_of_the_active_customers():
    """A reputation crisis sets the media's stance to -strength and takes ``strength`` of
    belief from each active customer with probability ``share`` (a 99.9% binomial interval
    holds the share); inactive customers are untouched."""
    model = FirmModel(structure="network", rng=1, **SMALL)
    p = model.population
    p.active[:100] = 0
    before = p.belief.copy()
    shock = SimpleNamespace(strength=0.25, share=0.3)
    shocks.reputation_crisis(model, shock, 5, np.random.default_rng(0))
    assert (model.stakeholders.stance[model.stakeholders.kind == MEDIA] == -0.25).all()
    change = p.belief - before
    hit = np.isclose(change, -0.25)
    assert np.all(hit | (change == 0.0))
    assert not hit[:100].any()
    low, high = stats.binomtest(int(hit.sum()), int(p.active.sum()), 0.3).proportion_ci(0.999)
    assert low <= 0.3 <= high


def test_talent_loss_of_everyone_leaves_one_employee():
    """A talent loss takes round(strength x alive) employees but always leaves one: at
    strength 1 exactly one employee is left, at 0.5 half of them."""
    for strength, left in ((1.0, 1), (0.5, 15)):
        model = FirmModel(structure="hierarchy", rng=2, **SMALL)
        shock = SimpleNamespace(strength=strength, target="anyone")
        shocks.talent_loss(model, shock, 3, np.random.default_rng(1))
        assert int(model.org.alive.sum()) == left


def test_new_segment_activates_exactly_its_customers_believing_fitness_plus_taste():
    """When a segment arrives, exactly its customers become active, each believing the
    product worth the segment's fitness plus the customer's own taste (an odd-numbered
    segment, the fourth of four)."""
    model = FirmModel(structure="network", rng=3, segments=3,
                      shocks=[{"kind": "new_segment", "step": 4, "count": 200}], **SMALL)
    p = model.population
    segment = 3
    a, b = p.segment_start[segment], p.segment_start[segment + 1]
    assert b - a == 200 and not p.active[a:b].any()
    model.run(4)
    active_before = p.active.copy()
    shocks.new_segment(model, None, 4, np.random.default_rng(0))  # step 4: it arrives
    assert p.active[a:b].all() and p.segment_active[segment]
    assert np.array_equal(p.active[:a], active_before[:a])
    np.testing.assert_allclose(p.belief[a:b], model.segment_fitness[segment] + p.taste[a:b])


def test_a_turbulence_window_runs_from_its_first_step_to_before_its_end(monkeypatch):
    """A turbulence shock at step 3 for 4 steps redraws the landscape at steps 3, 4, 5 and
    6: from its first step on, not after it, and not at its end step."""
    model = FirmModel(structure="network", rng=4, turbulence=0.0,
                      shocks=[{"kind": "turbulence", "step": 3, "strength": 0.1,
                               "duration": 4}], **SMALL)
    steps = []
    monkeypatch.setattr(model.market, "turbulence_step",
                        lambda live, rate, rng: steps.append(model.step_index))
    model.run(10)
    assert len(steps) == 4
    assert steps == sorted(steps) and steps[-1] - steps[0] == 3
