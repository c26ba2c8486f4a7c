"""Rule-level tests of the market of several firms (issue 27: the surviving mutants of
simulation/core/competition.py and simulation/kernels/competition.py), each named after the
rule it checks and written from the rule, not from the code."""

import math

import numpy as np
from test_compete import market_arguments, small_config

from simulation.core.competition import MarketModel, exits_table, firm_standing
from simulation.kernels import competition as kc

FIRMS = ["hierarchy", {"name": "late", "structure": "podular", "enters_at": 5},
         {"name": "net", "structure": "network"}]


def test_first_choice_is_the_logit_over_the_firms_there_at_step_0():
    """Every firm there at step 0 offers the same design, so each gets a customer with the
    multinomial-logit chance e^x / (1 + F e^x) (x = beta (belief - outside), F firms there;
    1 is the outside option); one uniform per customer falls in the firms' intervals in
    the market's order. Buyers' satisfaction is logistic(x); every present firm's
    sentiment is 2 logistic(x) - 1, an absent firm's 0."""
    model = MarketModel(small_config(FIRMS), rng=4)
    names = [f.name for f in model.firms]
    assert names == ["hierarchy", "late", "net"]
    assert model.present.tolist() == [1, 0, 1]
    p = model.population
    beta = model.config.customers.choice_sensitivity
    x = beta * (p.belief - model.config.market.outside_option)
    chance = np.exp(x) / (1.0 + 2 * np.exp(x))
    draw = np.random.default_rng(0).random(p.size)
    draw[:4] = [0.0, 0.999999, 0.0, 0.0]
    model.current[:] = -1
    model._first_choice(draw)
    expected = np.where(draw < chance, 0, np.where(draw < 2 * chance, 2, -1))
    expected[p.active != 1] = -1
    np.testing.assert_array_equal(model.current, expected)
    assert {0, 2, -1} <= set(expected.tolist())  # both firms and the outside option chosen
    logistic = 1.0 / (1.0 + np.exp(-x))
    rows = model._per_firm
    for g in range(3):
        mine = expected == g
        np.testing.assert_array_equal(rows["buying"][g], mine.astype(np.uint8))
        np.testing.assert_allclose(rows["satisfaction"][g], np.where(mine, logistic, 0.0),
                                   rtol=1e-12)
        want = 2.0 * logistic - 1.0 if model.present[g] else np.zeros(p.size)
        np.testing.assert_allclose(rows["sentiment"][g], want, rtol=1e-12, atol=1e-15)


def test_firms_there_from_the_start_entered_at_step_0_and_their_standing_counts_every_step():
    """A firm in the market from the start entered at step 0, a late entrant at its entry
    step; the exit rule's stand-in standing is the revenue of every step since entry less
    the fixed cost per step."""
    model = MarketModel(small_config(FIRMS), rng=4).run(8)
    table = exits_table(model).set_index("firm")
    assert table.loc["hierarchy", "entered_at"] == 0 and table.loc["net", "entered_at"] == 0
    assert table.loc["late", "entered_at"] == 5
    firm = model.by_name["net"]
    firm.records = {"revenue": [1.0, 2.0, 4.0, 8.0]}  # books without cumulative profit
    fixed = firm.entry.exit_fixed_cost
    assert math.isclose(firm_standing(firm), 15.0 - 4 * fixed)


def test_conservation_check_notices_a_buyer_missing_from_its_firm_s_rows():
    """``conserved`` (the invariant the market's tests rely on) is false when one firm's
    buying flags count fewer buyers than its customers, and true again once restored."""
    model = MarketModel(small_config(FIRMS), rng=4).run(3)
    assert model.conserved()
    buying = model._per_firm["buying"]
    g, i = np.argwhere(buying == 1)[0]
    buying[g, i] = 0
    assert not model.conserved()
    buying[g, i] = 1
    assert model.conserved()


def test_market_without_amplification_no_voice_crosses_weak_ties():
    """A voice crosses weak ties with probability f = n a e / (1 + n a e): with no
    amplification (a = 0) none does, even for the smallest uniform draw, while every
    buyer still talks (talk rate above 1)."""
    args = list(market_arguments(3, firms=2, customers=30, edges=80, talk_rate=5.0))
    args[32] = 0.0  # amplification
    args[26][:] = 0.0  # every talk draw the smallest uniform
    active, current = args[3], args[1]
    assert ((active == 1) & (current >= 0)).sum() > 3
    kc.market_customer_step(*args)
    voice = args[11]
    assert (voice != 0).sum() > 3
    assert np.abs(voice).max() == 1
