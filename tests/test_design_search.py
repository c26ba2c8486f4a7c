"""Tests of simulation.design.search on cheap synthetic objectives."""

import math

import pandas as pd
import pytest

from simulation.design.search import (
    DESIGN_SPACE,
    pareto_front,
    parse_space,
    search_designs,
    storage_url,
)
from simulation.errors import ConfigError

SEEDS = [11, 12, 13]


def _bowl(params, seeds):
    """(x - 0.3)^2 + (y - 0.7)^2: minimum 0 at (0.3, 0.7); checks it got the common seeds."""
    assert seeds == SEEDS
    return {"loss": (params["x"] - 0.3) ** 2 + (params["y"] - 0.7) ** 2,
            "cost": params["x"] + params["y"]}


BOWL_SPACE = {"x": (0.0, 1.0, "float"), "y": (0.0, 1.0, "float")}


def test_single_objective_finds_the_known_optimum():
    """TPE with a fixed seed gets within 0.05 of (0.3, 0.7) in 80 trials."""
    result = search_designs(BOWL_SPACE, _bowl, SEEDS, {"loss": "minimize"}, n_trials=80,
                            sampler_seed=1)
    assert len(result.trials) == 80 and len(result.best) == 1
    best = result.best.iloc[0]
    assert math.hypot(best["x"] - 0.3, best["y"] - 0.7) < 0.05
    assert best["loss"] == result.trials["loss"].min()
    assert "cost" in result.trials.columns  # every metric is kept, not only the objective


def test_same_sampler_seed_same_trials():
    """Determinism: two searches with the same seed propose the same designs."""
    first = search_designs(BOWL_SPACE, _bowl, SEEDS, {"loss": "minimize"}, 15, sampler_seed=4)
    second = search_designs(BOWL_SPACE, _bowl, SEEDS, {"loss": "minimize"}, 15, sampler_seed=4)
    pd.testing.assert_frame_equal(first.trials, second.trials)
    third = search_designs(BOWL_SPACE, _bowl, SEEDS, {"loss": "minimize"}, 15, sampler_seed=5)
    assert not first.trials[["x", "y"]].equals(third.trials[["x", "y"]])


def _two_objectives(params, seeds):
    """f1 = x^2 + (n - 2)^2, f2 = (x - 1)^2 + (n - 2)^2 (+ a penalty off mode 'a').

    The Pareto set is x in [0, 1], n = 2, mode 'a': elsewhere one can lower both objectives.
    """
    penalty = 0.0 if params["mode"] == "a" else 0.5
    shared = (params["n"] - 2) ** 2 + penalty
    return {"resilience_loss": params["x"] ** 2 + shared,
            "coordination_cost": (params["x"] - 1) ** 2 + shared}


def test_multi_objective_front_is_non_dominated_and_on_the_known_set():
    """NSGA-II's front: no returned point is dominated by any trial, all near the Pareto set."""
    space = {"x": (-1.0, 2.0, "float"), "n": (0, 5, "int"), "mode": (("a", "b"), "categorical")}
    objectives = {"resilience_loss": "minimize", "coordination_cost": "minimize"}
    result = search_designs(space, _two_objectives, SEEDS, objectives, n_trials=120,
                            sampler_seed=2, population_size=20)
    front = result.best
    assert len(front) >= 3
    # Independent dominance check against all trials.
    for _, point in front.iterrows():
        for _, other in result.trials.iterrows():
            no_worse = all(other[k] <= point[k] for k in objectives)
            better = any(other[k] < point[k] for k in objectives)
            assert not (no_worse and better)
    assert (front["n"] == 2).all() and (front["mode"] == "a").all()
    # The true set is x in [0, 1]. Beyond an end, of two sampled x on the same side the one
    # nearer the set dominates the other, so at most one front point lies past each end.
    assert (front["x"] < 0.0).sum() <= 1 and (front["x"] > 1.0).sum() <= 1
    assert not front.duplicated(list(space)).any()


def test_pareto_front_helper_on_a_hand_made_table():
    """Minimise: (3,3) is dominated by (2,2). Maximise: (2,2) is dominated by (3,3)."""
    table = pd.DataFrame({"a": [1, 2, 3, 4], "b": [4, 2, 3, 1]})
    front = pareto_front(table, {"a": "minimize", "b": "minimize"})
    assert sorted(map(tuple, front.to_numpy().tolist())) == [(1, 4), (2, 2), (4, 1)]
    front = pareto_front(table, {"a": "maximize", "b": "maximize"})
    assert sorted(map(tuple, front.to_numpy().tolist())) == [(1, 4), (3, 3), (4, 1)]


def test_resuming_adds_trials_instead_of_restarting(tmp_path):
    """10 trials, then 5 more on the same SQLite file: 15 trials, the first 10 unchanged."""
    url = storage_url(tmp_path)
    first = search_designs(BOWL_SPACE, _bowl, SEEDS, {"loss": "minimize"}, 10,
                           storage=url, sampler_seed=3)
    resumed = search_designs(BOWL_SPACE, _bowl, SEEDS, {"loss": "minimize"}, 5,
                             storage=url, sampler_seed=3)
    assert (tmp_path / "design.db").exists()
    assert list(resumed.trials["trial"]) == list(range(15))
    pd.testing.assert_frame_equal(resumed.trials.iloc[:10].reset_index(drop=True),
                                  first.trials)
    assert resumed.best.iloc[0]["loss"] == resumed.trials["loss"].min()


def test_resuming_with_other_seeds_or_space_is_refused(tmp_path):
    """Mixing seed sets or spaces in one study would break common random numbers."""
    url = storage_url(tmp_path)
    search_designs(BOWL_SPACE, _bowl, SEEDS, {"loss": "minimize"}, 2, storage=url)
    with pytest.raises(ConfigError, match="seeds"):
        search_designs(BOWL_SPACE, lambda p, s: {"loss": 0.0}, [1, 2], {"loss": "minimize"}, 1,
                       storage=url)
    with pytest.raises(ConfigError, match="space"):
        search_designs({"x": (0.0, 2.0, "float"), "y": (0.0, 1.0, "float")}, _bowl, SEEDS,
                       {"loss": "minimize"}, 1, storage=url)
    with pytest.raises(ConfigError, match="objectives"):
        search_designs(BOWL_SPACE, _bowl, SEEDS, {"loss": "maximize"}, 1, storage=url)


def test_space_as_data_and_bad_declarations():
    """The default design space parses; bad declarations are one-line errors naming the field."""
    parameters = {p.name: p for p in parse_space(DESIGN_SPACE)}
    assert parameters["firm.span"].kind == "int"
    assert parameters["firm.lateral_links"].kind == "float"
    with pytest.raises(ConfigError, match="space.firm.span"):
        parse_space({"firm.span": (2, 10, "integer")})
    with pytest.raises(ConfigError, match="space.firm.span"):
        parse_space({"firm.span": (10, 2, "int")})
    with pytest.raises(ConfigError, match="space.firm.span"):
        parse_space({"firm.span": (2.5, 10, "int")})
    with pytest.raises(ConfigError, match="objectives.loss"):
        search_designs(BOWL_SPACE, _bowl, SEEDS, {"loss": "lowest"}, 1)


def test_evaluation_missing_an_objective_is_an_error():
    """An evaluate that forgets the objective metric stops the search with its name."""
    with pytest.raises(ValueError, match="returned no loss"):
        search_designs(BOWL_SPACE, lambda p, s: {"cost": 1.0}, SEEDS, {"loss": "minimize"}, 1)
