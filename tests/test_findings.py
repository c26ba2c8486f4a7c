"""Qualitative results from the literature, over paired replicates (common random numbers).

None of these is written into the rules: they come from latency (a tree) against myopia
(local deciders). Sizes are reduced from the defaults to keep the suite fast.
"""

import numpy as np
import pytest

from simulation import FirmModel
from simulation.analysis.statistics import mean_interval

WORLD = dict(customers=3_000, employees=120, steps=200)


def run(structure, seed, **overrides):
    return FirmModel(structure=structure, rng=seed, **{**WORLD, **overrides}).run().metrics()


def paired_difference(metric, first, second, seeds, start=60, **overrides):
    """Mean over steps >= start of ``metric``, second minus first, per seed."""
    return np.array([
        run(second, seed, **overrides)[metric].iloc[start:].mean()
        - run(first, seed, **overrides)[metric].iloc[start:].mean()
        for seed in seeds
    ])


def test_hierarchy_has_longer_latency_and_more_congestion_than_network():
    """Proposals wait in queues and travel up and down a tree; a network decides at once."""
    for seed in range(3):
        tree, flat = run("hierarchy", seed), run("network", seed)
        assert tree["decision_latency"].mean() > flat["decision_latency"].mean() + 2
        assert tree["largest_queue"].mean() > flat["largest_queue"].mean()


@pytest.mark.slow
def test_coupled_modules_in_a_calm_market_favour_the_hierarchy():
    """With tightly coupled modules and no shocks the hierarchy reaches higher fitness."""
    gain = paired_difference("fitness", "network", "hierarchy", range(4),
                             cross_module_share=1.0, k=4)
    mean, low, _ = mean_interval(gain)
    assert low > 0, f"hierarchy minus network fitness {mean:.3f}, interval low {low:.3f}"


@pytest.mark.slow
def test_modular_products_with_frequent_need_shifts_favour_the_network():
    """With modular products and needs shifting every 20 steps the network adapts better."""
    shocks = [{"kind": "need_shift", "step": s, "strength": 0.3} for s in range(20, 200, 20)]
    gain = paired_difference("fitness", "hierarchy", "network", range(6),
                             cross_module_share=0.0, variants="per_segment", shocks=shocks)
    mean, low, _ = mean_interval(gain)
    assert low > 0, f"network minus hierarchy fitness {mean:.3f}, interval low {low:.3f}"


def test_without_shocks_the_market_settles():
    """With no shock, market share stops trending and fluctuates little."""
    share = run("hierarchy", 4, steps=300)["market_share"].to_numpy()[-100:]
    slope = np.polyfit(np.arange(100), share, 1)[0]
    assert share.std() < 0.03
    assert abs(slope) < 5e-4


@pytest.mark.parametrize("structure", ["hierarchy", "podular"])
def test_a_need_shift_shows_a_drop_and_a_recovery(structure):
    """After a shift of needs, market share falls to a trough and climbs back from it."""
    model = FirmModel(structure=structure, rng=2, **{**WORLD, "steps": 250},
                      shocks=[{"kind": "need_shift", "step": 100, "strength": 0.5}])
    share = model.run().metrics()["market_share"].to_numpy()
    figures = model.resilience().iloc[0]
    assert figures["depth"] > 0.03
    trough_step = int(figures["trough_step"])
    assert share[trough_step:].max() > figures["trough"] + 0.02


# ------------------------------------------------------------------ social mechanics (issue 11)
CRISIS = dict(customers=1_500, employees=60, steps=90,
              shocks=[{"kind": "reputation_crisis", "step": 40, "strength": 0.4, "share": 0.3}])


def crisis_depth(seed, **overrides):
    model = FirmModel(structure="hierarchy", rng=seed, **{**CRISIS, **overrides}).run()
    return float(model.resilience().iloc[0]["depth"])


def test_louder_negative_voices_make_a_reputation_crisis_deeper():
    """Amplification (extreme voices talk more and cross weak ties) and the negativity bias
    (bad experiences voiced twice as often) deepen the fall in market share after a crisis,
    over paired replicates."""
    seeds = range(8)
    louder = np.array([crisis_depth(s, amplification=8.0) - crisis_depth(s, amplification=0.0)
                       for s in seeds])
    mean, low, _ = mean_interval(louder)
    assert low > 0, f"amplification 8 minus 0: depth {mean:.3f}, interval low {low:.3f}"
    negative = np.array([crisis_depth(s, negativity=3.0) - crisis_depth(s, negativity=1.0)
                         for s in seeds])
    mean, low, _ = mean_interval(negative)
    assert low > 0, f"negativity 3 minus 1: depth {mean:.3f}, interval low {low:.3f}"


def rumour_reach(structure, seed, **overrides):
    """Negative voices summed over the 10 steps after the crisis, product held fixed."""
    # sense_rate = 0: nobody tests changes, so the product (and what conversing employees
    # hear) cannot send the two arms down different paths; only the answers differ.
    model = FirmModel(structure=structure, rng=seed, sense_rate=0.0, **{**CRISIS, **overrides})
    model.run(41)
    reach = 0
    for _ in range(10):
        model.step()
        reach += int((model.population.voice < 0).sum())
    return reach


@pytest.mark.parametrize("structure", ["network", "podular"])
def test_employees_in_the_conversation_shorten_a_rumour(structure):
    """Where employees converse, their answers (the product's true value) pull the beliefs of
    the complaining customers they are tied to back: fewer negative voices after a crisis,
    over paired replicates."""
    less = np.array([rumour_reach(structure, s, employees_converse=True)
                     - rumour_reach(structure, s, employees_converse=False)
                     for s in range(8)])
    mean, _, high = mean_interval(less)
    assert high < 0, f"{structure}: negative voices on minus off {mean:.1f}, high {high:.1f}"
