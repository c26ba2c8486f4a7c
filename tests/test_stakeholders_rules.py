"""Rule-level tests of the stakeholders (issue 27): each kind moves its stance toward its
own target, and only its own."""

import math

import numpy as np

from simulation import FirmModel
from simulation.config.vocabulary import INVESTOR, MEDIA, PARTNER
from simulation.core import stakeholders


def test_each_stakeholder_kind_moves_toward_its_own_target_at_the_stance_rate():
    """An investor of horizon H moves its stance s to (1 - r) s + r tanh(k g), g the growth
    of revenue over the revenue H steps back; a partner toward tanh(20 x the step's change
    in market share); a medium toward its audience's net voice (here: silence, 0). The
    partner rule touches partners only."""
    model = FirmModel(structure="hierarchy", rng=1, customers=800, employees=30,
                      steps=10).run(3)
    s, p, config = model.stakeholders, model.population, model.config.stakeholders
    rate, sensitivity = config.stance_rate, config.investor_sensitivity
    investors = np.flatnonzero(s.kind == INVESTOR)
    media = np.flatnonzero(s.kind == MEDIA)
    partners = np.flatnonzero(s.kind == PARTNER)
    assert investors.size >= 2 and media.size and partners.size
    # A known revenue history below 1 (revenue = buyers x price), and this step's revenue.
    s.revenue_history[:] = [0.35 + 0.02 * j for j in range(30)]
    p.buyers[:] = 0
    p.buyers[0] = 1
    revenue = 1.0 * model.config.market.price
    s.investor_horizon[investors] = [5 + (i % 2) * 12 for i in range(investors.size)]
    s.stance[:] = 0.0
    s.stance[investors] = 0.3
    p.voice[:] = 0
    model.records["market_share"][-1] = model.market_share - 0.01  # share rose a point
    stakeholders.update_stances(model)
    history = s.revenue_history
    for i in investors:
        past = history[-int(s.investor_horizon[i]) - 1]  # H steps before this step
        assert 0 < past < 1
        target = math.tanh(sensitivity * (revenue / past - 1.0))
        assert math.isclose(s.stance[i], (1 - rate) * 0.3 + rate * target)
    assert np.allclose(s.stance[media], 0.0)
    assert np.allclose(s.stance[partners], rate * math.tanh(20.0 * 0.01))
