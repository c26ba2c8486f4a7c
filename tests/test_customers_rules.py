"""Rule-level tests of the customers' submodel (issue 27): the first purchase, the
defection thresholds, and the media's message."""

import numpy as np

from simulation import FirmModel
from simulation.config.vocabulary import MEDIA
from simulation.core import customers

SMALL = dict(customers=2_000, employees=30, steps=10)


def test_first_purchase_chance_is_logistic_in_belief_minus_outside_option():
    """Before the first step each customer's sentiment is 2 p - 1 and a buyer's
    satisfaction is p, with p = 1 / (1 + exp(-s (belief - outside option)))."""
    model = FirmModel(structure="network", rng=1, **SMALL)
    p, config = model.population, model.config
    chance = 1.0 / (1.0 + np.exp(-config.customers.choice_sensitivity
                                 * (p.belief - config.market.outside_option)))
    np.testing.assert_allclose(p.sentiment, 2.0 * chance - 1.0)
    buyers = p.buying == 1
    assert buyers.sum() > 100
    np.testing.assert_allclose(p.satisfaction[buyers], chance[buyers])


def test_initial_belief_is_the_segments_product_value_plus_the_customers_taste():
    """A customer starts believing the product worth what it is worth to its segment
    (``initial_value[segment]``) plus its own taste offset, a normal draw of sd
    ``taste_sd`` around 0; arrived-later segments start inactive and buy nothing."""
    config = FirmModel(structure="network", rng=4, **SMALL).config
    segments = config.market.segments
    initial_value = np.linspace(0.3, 0.8, segments)
    population = customers.build_customers(config, [], [], initial_value,
                                           np.random.default_rng(11))
    assert population.segment.min() == 0 and population.segment.max() == segments - 1
    np.testing.assert_allclose(population.belief - population.taste,
                               initial_value[population.segment], rtol=0, atol=1e-12)
    taste, sd = population.taste, config.customers.taste_sd
    assert sd > 0 and abs(taste.mean()) < 4 * sd / np.sqrt(taste.size)
    assert abs(taste.std() / sd - 1.0) < 0.1


def test_defection_thresholds_are_drawn_around_their_mean_and_kept_in_0_1():
    """Each customer's defection threshold is a normal draw around
    ``defection_threshold``, clipped to [0, 1]."""
    model = FirmModel(structure="network", rng=2, **SMALL)
    threshold, c = model.population.threshold, model.config.customers
    assert ((threshold >= 0.0) & (threshold <= 1.0)).all()
    assert c.defection_threshold_sd > 0 and 0.1 < c.defection_threshold < 0.9
    assert abs(threshold.mean() - c.defection_threshold) < 0.05
    assert np.unique(threshold).size > 1_000


def test_media_message_is_the_outside_option_moved_by_tone_times_stance():
    """Each medium broadcasts the outside option plus ``media_tone`` x its stance (in value
    units): a hostile medium makes the outside option look better. Its story weighs
    |stance| for or against the firm. Checked customer by customer against the media's
    audiences, written out here."""
    model = FirmModel(structure="network", rng=3, **SMALL)
    s, p = model.stakeholders, model.population
    media = np.flatnonzero(s.kind == MEDIA)
    assert media.size >= 2
    s.stance[media] = np.linspace(-0.8, 0.6, media.size)
    customers.customer_step(model)
    tone = model.config.stakeholders.media_tone
    assert tone > 0
    want_sum, want_count = np.zeros(p.size), np.zeros(p.size)
    want_for, want_against = np.zeros(p.size), np.zeros(p.size)
    for m, k in enumerate(media):
        audience = s.media_reach[s.media_reach_ptr[m]:s.media_reach_ptr[m + 1]]
        np.add.at(want_sum, audience, model.outside_option + tone * s.stance[k])
        np.add.at(want_count, audience, 1.0)
        np.add.at(want_for, audience, max(s.stance[k], 0.0))
        np.add.at(want_against, audience, max(-s.stance[k], 0.0))
    np.testing.assert_allclose(p.media_sum, want_sum, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(p.media_count, want_count)
    np.testing.assert_allclose(p.media_positive, want_for, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(p.media_negative, want_against, rtol=1e-12, atol=1e-12)
    assert want_against.sum() > 0 and want_for.sum() > 0


def test_an_isolated_customer_hears_no_one_so_only_innovation_draws_it_in():
    """A non-buyer with no ties, no answers and no media stories hears no one: the share of
    positive voices it hears is 0, so its Bass hazard is the innovation rate alone
    (imitation adds nothing) and it adopts iff u < reconsider_rate x p."""
    from test_kernels import customer_arguments

    from simulation.kernels import customers as ck

    args = list(customer_arguments(1, customers=1, edges=0))
    args[0][:] = 1  # active
    args[1][:] = 0  # not buying
    for k in (15, 16, 18, 19, 20):  # media messages, stories, the firm's answers
        args[k][:] = 0.0
    belief, outside, beta, innovation, imitation = args[4][0], args[23], args[34], 0.2, 0.5
    args[33], args[35] = imitation, innovation
    p = 1.0 / (1.0 + np.exp(-beta * (belief - outside)))
    assert args[14][0] == 0.0  # no ties at all
    for u, buys in ((0.99 * innovation * p, 1), (1.01 * innovation * p, 0),
                    ((innovation + 0.99 * imitation) * p, 0)):
        trial = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
        trial[25][:] = u  # the choice draw
        ck.customer_step(*trial)
        assert trial[1][0] == buys, (u, p)
