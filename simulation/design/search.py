"""Design search: which organisation design parameters give the most resilient firm?

The core of ``firmsim design``. A search space is declared as data (parameter name ->
range and type), the caller supplies ``evaluate(params, seeds) -> metrics`` (which runs the
firm model on common random numbers: every trial gets the same seeds, so designs are compared
on the same markets and shocks), and Optuna proposes designs: TPE for one objective,
NSGA-II for several (a Pareto front, e.g. area lost against coordination cost). Studies live
in an SQLite file so an interrupted or extended search resumes where it stopped.

References
----------
Akiba, T., Sano, S., Yanase, T., Ohta, T. and Koyama, M. (2019). Optuna: a next-generation
    hyperparameter optimization framework. Proceedings of the 25th ACM SIGKDD International
    Conference on Knowledge Discovery & Data Mining, 2623-2631.
Bergstra, J., Bardenet, R., Bengio, Y. and Kegl, B. (2011). Algorithms for hyper-parameter
    optimization. Advances in Neural Information Processing Systems 24 (TPE).
Deb, K., Pratap, A., Agarwal, S. and Meyarivan, T. (2002). A fast and elitist multiobjective
    genetic algorithm: NSGA-II. IEEE Transactions on Evolutionary Computation 6(2), 182-197.
Law, A. M. (2015). Simulation Modeling and Analysis, 5th ed., section 11.2 (common random
    numbers).
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from simulation.errors import ConfigError

ParameterKind = Literal["int", "float", "categorical"]
PARAMETER_KINDS = ("int", "float", "categorical")
Direction = Literal["minimize", "maximize"]
DIRECTIONS = ("minimize", "maximize")
STORAGE_FILE = "design.db"

Evaluate = Callable[[dict[str, Any], list[int]], Mapping[str, float]]


@dataclass(frozen=True)
class Parameter:
    """One dimension of the search space.

    Attributes
    ----------
    name : str
        Dotted configuration path, e.g. ``"firm.span"``.
    kind : {"int", "float", "categorical"}
    low, high : float or None
        Inclusive bounds of a numeric parameter.
    choices : tuple
        Allowed values of a categorical parameter.
    """

    name: str
    kind: ParameterKind
    low: float | None = None
    high: float | None = None
    choices: tuple = ()

    def as_data(self) -> list:
        """The parameter as JSON-able data (stored with the study to check resumes)."""
        if self.kind == "categorical":
            return [list(self.choices), "categorical"]
        return [self.low, self.high, self.kind]


# Search ranges (not defaults) for the organisation's design parameters in simulation.config.schema
# Firm; each lies inside the field's validated range. A caller may pass any other space.
DESIGN_SPACE: dict[str, tuple] = {
    "firm.lateral_links": (0.0, 1.0, "float"),
    "firm.span": (2, 10, "int"),
    "firm.pod_size": (2, 12, "int"),
    "firm.hub_span": (2, 12, "int"),
    "firm.change_budget": (1, 8, "int"),
    "firm.sample_size": (5, 50, "int"),
    "firm.side_effect_awareness": (0.0, 1.0, "float"),
}


def parse_space(space: Mapping[str, Sequence | Parameter]) -> list[Parameter]:
    """Read a search space declared as data.

    Parameters
    ----------
    space : mapping
        Parameter name -> ``(low, high, "int")``, ``(low, high, "float")`` or
        ``((choice, ...), "categorical")`` (or a :class:`Parameter`).

    Returns
    -------
    list of Parameter
        In the mapping's order.

    Raises
    ------
    ConfigError
        One line naming the parameter, the value and what is allowed.
    """
    if not space:
        raise ConfigError("space: empty; declare at least one parameter")
    parameters = []
    for name, spec in space.items():
        if isinstance(spec, Parameter):
            parameters.append(spec)
            continue
        spec = tuple(spec)
        kind = spec[-1] if spec else None
        if kind not in PARAMETER_KINDS:
            raise ConfigError(f"space.{name}: {spec!r} is not allowed; use (low, high, 'int'), "
                              "(low, high, 'float') or ((choices...), 'categorical')")
        if kind == "categorical":
            if len(spec) != 2 or isinstance(spec[0], str) or len(tuple(spec[0])) < 1:
                raise ConfigError(f"space.{name}: {spec!r} is not allowed; use "
                                  "((choice, ...), 'categorical')")
            parameters.append(Parameter(name, "categorical", choices=tuple(spec[0])))
            continue
        if len(spec) != 3:
            raise ConfigError(f"space.{name}: {spec!r} is not allowed; use (low, high, '{kind}')")
        low, high = spec[0], spec[1]
        if kind == "int" and not (float(low).is_integer() and float(high).is_integer()):
            raise ConfigError(f"space.{name}: bounds {low!r}, {high!r} must be whole numbers")
        if not (math.isfinite(low) and math.isfinite(high) and low <= high):
            raise ConfigError(f"space.{name}: bounds {low!r}, {high!r} are not allowed; "
                              "use finite low <= high")
        if kind == "int":
            parameters.append(Parameter(name, "int", int(low), int(high)))
        else:
            parameters.append(Parameter(name, "float", float(low), float(high)))
    return parameters


def _suggest(trial, parameter: Parameter):
    if parameter.kind == "int":
        return trial.suggest_int(parameter.name, int(parameter.low), int(parameter.high))
    if parameter.kind == "float":
        return trial.suggest_float(parameter.name, parameter.low, parameter.high)
    return trial.suggest_categorical(parameter.name, list(parameter.choices))


@contextlib.contextmanager
def _quiet_optuna() -> Iterator[None]:
    """Optuna logs every trial at INFO and warns on experimental features; restore after."""
    import optuna

    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            yield
    finally:
        optuna.logging.set_verbosity(verbosity)


@dataclass(frozen=True)
class DesignSearch:
    """Outcome of :func:`search_designs`.

    Attributes
    ----------
    trials : DataFrame
        One row per finished or failed trial: ``trial``, ``state``, one column per parameter
        (named as in the space), one per metric returned by ``evaluate``.
    best : DataFrame
        The best trial (one objective) or the Pareto front (several: Optuna's
        ``study.best_trials``, one row per distinct design), same columns.
    objectives : dict of str to str
        Metric name -> ``"minimize"`` or ``"maximize"``.
    storage : str or None
        The study's storage URL, None for an in-memory study.
    study_name : str
    """

    trials: pd.DataFrame
    best: pd.DataFrame
    objectives: dict[str, str]
    storage: str | None
    study_name: str


def storage_url(folder: Path | str) -> str:
    """SQLite URL of the design study kept in ``folder`` (``sqlite:///FOLDER/design.db``)."""
    return f"sqlite:///{Path(folder).resolve() / STORAGE_FILE}"


def _check_objectives(objectives: Mapping[str, str]) -> dict[str, str]:
    if not objectives:
        raise ConfigError("objectives: empty; name at least one metric and its direction")
    for name, direction in objectives.items():
        if direction not in DIRECTIONS:
            raise ConfigError(f"objectives.{name}: {direction!r} is not allowed; allowed values: "
                              f"{', '.join(DIRECTIONS)}")
    return dict(objectives)


def _check_resume(study, signature: dict[str, Any]) -> None:
    """A resumed study must search the same space on the same seeds for the same goals."""
    stored = study.user_attrs.get("signature")
    if stored is None:
        study.set_user_attr("signature", signature)
        return
    for key in ("space", "seeds", "objectives"):
        if stored.get(key) != signature[key]:
            raise ConfigError(f"{key}: {json.dumps(signature[key])} differs from the stored "
                              f"study's {json.dumps(stored.get(key))}; use another folder or "
                              "study name, or the same settings to resume")


def search_designs(space: Mapping[str, Sequence | Parameter], evaluate: Evaluate,
                   seeds: Sequence[int], objectives: Mapping[str, Direction],
                   n_trials: int, sampler_seed: int = 0, storage: str | None = None,
                   study_name: str = "design", population_size: int = 50) -> DesignSearch:
    """Search organisation designs with Optuna; resumable.

    Parameters
    ----------
    space : mapping
        Search space as data, see :func:`parse_space` (e.g. :data:`DESIGN_SPACE`).
    evaluate : callable
        ``evaluate(params, seeds) -> {metric: value}``: runs (or computes) the design
        ``params`` (parameter name -> value) on the given replicate seeds and returns its
        mean metrics. Every trial gets the SAME seeds (common random numbers), so a
        difference between trials is a difference of designs, not of luck.
    seeds : sequence of int
        The replicate seeds passed to every evaluation.
    objectives : mapping of str to {"minimize", "maximize"}
        The metrics optimised. One: single-objective search (TPE). Several: multi-objective
        search (NSGA-II) for the Pareto front, e.g. ``{"area_lost": "minimize",
        "messages": "minimize"}``.
    n_trials : int
        Trials to ADD in this call (a resumed study keeps its earlier trials).
    sampler_seed : int, default 0
        Seed of the sampler: same seed, same space and same evaluations give the same trials.
    storage : str, optional
        Optuna storage URL, e.g. :func:`storage_url` of a folder; None keeps the study in
        memory. With a URL the study is created or, if it exists, resumed
        (``load_if_exists``); its space, seeds and objectives must match.
    study_name : str, default "design"
    population_size : int, default 50
        NSGA-II generation size (multi-objective only).

    Returns
    -------
    DesignSearch

    Raises
    ------
    ConfigError
        Bad space, objectives or counts; a resume with different settings.
    ValueError
        An evaluation that does not return every objective metric.

    Notes
    -----
    Single objective: the tree-structured Parzen estimator (Bergstra et al. 2011) models
    :math:`p(x \\mid y < y^*)` and :math:`p(x \\mid y \\ge y^*)` and proposes the :math:`x`
    maximising their ratio. Several objectives: NSGA-II (Deb et al. 2002) keeps the
    non-dominated designs: :math:`x` dominates :math:`x'` when it is no worse in every
    objective and better in one. Both from Optuna (Akiba et al. 2019). A resumed sampler
    is re-seeded, so a resumed search is reproducible but not identical to one uninterrupted
    run of the same total length.
    """
    import optuna

    parameters = parse_space(space)
    objectives = _check_objectives(objectives)
    if n_trials < 0:
        raise ConfigError(f"n_trials: {n_trials!r} is not allowed; use 0 or more")
    seeds = [int(seed) for seed in seeds]
    if not seeds:
        raise ConfigError("seeds: empty; give at least one replicate seed")
    names = list(objectives)
    directions = [objectives[name] for name in names]
    if len(names) == 1:
        sampler = optuna.samplers.TPESampler(seed=sampler_seed)
    else:
        sampler = optuna.samplers.NSGAIISampler(seed=sampler_seed,
                                                population_size=population_size)
    signature = {"space": {p.name: p.as_data() for p in parameters}, "seeds": seeds,
                 "objectives": objectives}

    def objective(trial):
        params = {parameter.name: _suggest(trial, parameter) for parameter in parameters}
        metrics = dict(evaluate(dict(params), list(seeds)))
        missing = [name for name in names if name not in metrics]
        if missing:
            raise ValueError(f"evaluate: returned no {', '.join(missing)}; it returned "
                             f"{', '.join(metrics) or 'nothing'}")
        for key, value in metrics.items():
            trial.set_user_attr(f"metric:{key}", float(value))
        values = [float(metrics[name]) for name in names]
        return values[0] if len(values) == 1 else values

    with _quiet_optuna():
        study = optuna.create_study(storage=storage, sampler=sampler, study_name=study_name,
                                    directions=directions, load_if_exists=True)
        stored_directions = [d.name.lower() for d in study.directions]
        if stored_directions != directions:
            raise ConfigError(f"objectives: directions {directions} differ from the stored "
                              f"study's {stored_directions}")
        _check_resume(study, signature)
        # A bad evaluation (missing metric) is a programming error: let it propagate rather
        # than record a failed trial and continue.
        study.optimize(objective, n_trials=n_trials, catch=())
        trials = _trials_frame(study, parameters)
        if len(names) == 1:
            completed = [t for t in study.trials
                         if t.state == optuna.trial.TrialState.COMPLETE]
            best_numbers = [study.best_trial.number] if completed else []
        else:
            best_numbers = sorted(t.number for t in study.best_trials)
    best = trials[trials["trial"].isin(best_numbers)]
    # NSGA-II re-proposes identical designs, and Optuna lists each copy on the front.
    best = best.drop_duplicates([p.name for p in parameters]).reset_index(drop=True)
    return DesignSearch(trials, best, objectives, storage, study_name)


def _trials_frame(study, parameters: list[Parameter]) -> pd.DataFrame:
    rows = []
    for trial in study.trials:
        row: dict[str, Any] = {"trial": trial.number, "state": trial.state.name.lower()}
        row.update({p.name: trial.params.get(p.name) for p in parameters})
        row.update({key.removeprefix("metric:"): value
                    for key, value in trial.user_attrs.items() if key.startswith("metric:")})
        rows.append(row)
    columns = ["trial", "state", *[p.name for p in parameters]]
    frame = pd.DataFrame(rows)
    if frame.empty:
        return pd.DataFrame(columns=columns)
    return frame[columns + [c for c in frame.columns if c not in columns]]


def pareto_front(frame: pd.DataFrame, objectives: Mapping[str, Direction]) -> pd.DataFrame:
    """Rows of ``frame`` not dominated by any other row (for checks and plots).

    A row dominates another when it is no worse in every objective and strictly better in
    at least one (Deb et al. 2002). Rows with a missing objective are dropped.
    """
    objectives = _check_objectives(objectives)
    values = frame[list(objectives)].astype(float)
    keep = values.notna().all(axis=1)
    signed = values[keep].to_numpy().copy()
    for column, direction in enumerate(objectives.values()):
        if direction == "maximize":
            signed[:, column] = -signed[:, column]
    rows = frame[keep]
    dominated = [bool(((signed <= point).all(axis=1) & (signed < point).any(axis=1)).any())
                 for point in signed]
    return rows[[not d for d in dominated]].reset_index(drop=True)
