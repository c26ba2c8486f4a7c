"""Tests of simulation.analysis.discovery: PRIM boxes on data with a known box, and the outcome
helper."""

import logging
import math

import numpy as np
import pandas as pd
import pytest

from simulation.analysis.discovery import beats_by, discover
from simulation.errors import ConfigError

# Each peel removes at most 5% of the remaining points and the true edges lie between sampled
# points; with 1000 uniform points an edge is found within 0.05 of the truth.
EDGE_TOLERANCE = 0.05


def _known_box_data(n=1000, seed=3):
    """Uniform x1, x2, x3, a policy and an integer size; True where 0.2 <= x1 <= 0.6, x2 > 0.5."""
    rng = np.random.default_rng(seed)
    conditions = pd.DataFrame({"x1": rng.uniform(size=n), "x2": rng.uniform(size=n),
                               "x3": rng.uniform(size=n),
                               "policy": rng.choice(["standard", "modular", "custom"], n),
                               "size": rng.integers(1, 6, n)})
    outcome = ((conditions["x1"] >= 0.2) & (conditions["x1"] <= 0.6)
               & (conditions["x2"] > 0.5)).to_numpy()
    return conditions, outcome


@pytest.fixture(scope="module")
def known_box():
    conditions, outcome = _known_box_data()
    return conditions, outcome, discover(conditions, outcome, threshold=0.8)


def test_first_box_recovers_the_known_limits(known_box):
    """x1 in [0.2, 0.6], x2 above 0.5; x3, policy and size unrestricted."""
    _, _, boxes = known_box
    first = boxes[0]
    assert set(first.limits) == {"x1", "x2"}
    low, high = first.limits["x1"]
    assert abs(low - 0.2) <= EDGE_TOLERANCE and abs(high - 0.6) <= EDGE_TOLERANCE
    low, high = first.limits["x2"]
    assert abs(low - 0.5) <= EDGE_TOLERANCE and math.isinf(high)
    assert first.density >= 0.95 and first.coverage >= 0.85


def test_box_statistics_agree_with_the_data(known_box):
    """Coverage, density and mass recomputed from the box limits on the data."""
    conditions, outcome, boxes = known_box
    first = boxes[0]
    inside = first.contains(conditions)
    assert first.n_points == inside.sum()
    assert first.n_interest == outcome[inside].sum()
    assert first.density == pytest.approx(outcome[inside].mean())
    assert first.coverage == pytest.approx(outcome[inside].sum() / outcome.sum())
    assert first.mass == pytest.approx(inside.mean())
    assert first.trajectory["density"].iloc[-1] == pytest.approx(first.density)
    assert "x1" in first.describe() and "coverage" in first.describe()


def test_categorical_condition_is_restricted_to_its_value():
    """When the outcome also needs policy 'modular', the box restricts policy to it."""
    conditions, outcome = _known_box_data()
    outcome = outcome & (conditions["policy"] == "modular").to_numpy()
    first = discover(conditions, outcome, threshold=0.8)[0]
    assert first.limits["policy"] == frozenset({"modular"})
    assert abs(first.limits["x1"][0] - 0.2) <= EDGE_TOLERANCE
    assert first.density >= 0.9


def test_pure_noise_gives_no_box():
    """An outcome unrelated to the conditions (20% True) never reaches density 0.9."""
    rng = np.random.default_rng(5)
    conditions = pd.DataFrame({"x1": rng.uniform(size=500), "x2": rng.uniform(size=500)})
    outcome = rng.uniform(size=500) < 0.2
    assert discover(conditions, outcome, threshold=0.9) == []


def test_discover_is_quiet_and_restores_logging(caplog):
    """No EMA log records reach the application, and the EMA logger's level is restored."""
    conditions, outcome = _known_box_data(n=300)
    ema = logging.getLogger("EMA")
    before = ema.level
    with caplog.at_level(logging.DEBUG):
        discover(conditions, outcome)
    assert not [r for r in caplog.records if r.name.startswith("EMA")]
    assert ema.level == before


def test_discover_bad_input():
    """One-line errors for all-False outcomes, wrong lengths and bad parameters."""
    conditions, outcome = _known_box_data(n=50)
    with pytest.raises(ValueError, match="all False"):
        discover(conditions, np.zeros(50, dtype=bool))
    with pytest.raises(ValueError, match="one per row"):
        discover(conditions, outcome[:-1])
    with pytest.raises(ConfigError, match="peel_alpha"):
        discover(conditions, outcome, peel_alpha=0.9)


def _atlas_table():
    """Two conditions, two pairs; area lost of hierarchy and podular (lower is better)."""
    rows = []
    values = {  # (turbulence, policy): (hierarchy pair 0, pair 1, podular pair 0, pair 1)
        (0.1, "standard"): (10.0, 12.0, 9.0, 10.0),   # advantage 1, 2 -> mean 1.5
        (0.3, "standard"): (10.0, 10.0, 10.5, 9.0),   # advantage -0.5, 1 -> mean 0.25
        (0.1, "modular"): (8.0, 8.0, 4.0, 5.0),       # advantage 4, 3 -> mean 3.5
    }
    for (turbulence, policy), (h0, h1, p0, p1) in values.items():
        for structure, pair, value in (("hierarchy", 0, h0), ("hierarchy", 1, h1),
                                       ("podular", 0, p0), ("podular", 1, p1)):
            rows.append({"turbulence": turbulence, "policy": policy, "structure": structure,
                         "replicate": pair, "area_lost": value})
    return pd.DataFrame(rows)


def test_beats_by_mean_advantage_per_condition():
    """Podular beats hierarchy by >= 1 where the mean advantage is 1.5 and 3.5, not 0.25."""
    points, outcome = beats_by(_atlas_table(), "podular", "hierarchy", "area_lost", 1.0,
                               ["turbulence", "policy"])
    result = dict(zip(map(tuple, points.to_numpy().tolist()), outcome.tolist(), strict=True))
    assert result == {(0.1, "standard"): True, (0.3, "standard"): False,
                      (0.1, "modular"): True}


def test_beats_by_per_pair_and_higher_is_better():
    """Per pair: 6 rows; with higher better the advantage changes sign."""
    points, outcome = beats_by(_atlas_table(), "podular", "hierarchy", "area_lost", 1.0,
                               ["turbulence", "policy"], per_pair=True)
    assert len(points) == 6 and outcome.sum() == 5  # advantages 1, 2, -0.5, 1, 4, 3
    _, flipped = beats_by(_atlas_table(), "podular", "hierarchy", "area_lost", 0.4,
                          ["turbulence", "policy"], better="higher", per_pair=True)
    assert flipped.sum() == 1  # only the -0.5 pair is a win of >= 0.4 when higher is better
    with pytest.raises(ConfigError, match="'open' is not in the table"):
        beats_by(_atlas_table(), "open", "hierarchy", "area_lost", 1.0, ["turbulence"])
