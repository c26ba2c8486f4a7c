"""The firm model as the objective of a design search (``firmsim design``).

:func:`design_metrics` runs one design (a scenario with some organisation parameters set)
on one replicate seed and returns the figures a search can optimise; :class:`DesignEvaluator`
averages them over the replicates of a trial, running the replicates in local worker
processes or on a Dask cluster (:mod:`simulation.execution.executor`). Every trial gets the
same replicate seeds (:func:`simulation.config.seeds.run_seed` of the scenario's root seed):
common random numbers, so two designs are compared on the same markets, customers and shocks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from simulation.config.seeds import run_seed
from simulation.design.objectives import STRUCTURE_PARAMETER
from simulation.errors import UserError
from simulation.execution.executor import executor_for
from simulation.execution.runs import run_model
from simulation.sweep.spec import point_config


def design_metrics(base: dict, paths: Sequence[str], values: Sequence[Any], structure: str,
                   root: int, replicate: int, metric: str) -> dict[str, float]:
    """Run one design on replicate ``replicate`` of root seed ``root``; its figures.

    Parameters
    ----------
    base : dict
        The scenario's model configuration as data.
    paths, values : sequences
        Dotted configuration paths of the design parameters and their values.
    structure : str
        The structure run.
    root, replicate : int
        Seed: :func:`simulation.config.seeds.run_seed` ``(root, replicate)``.
    metric : str
        Step metric the resilience figures are computed on.

    Returns
    -------
    dict
        Every :data:`OBJECTIVES` entry and every :data:`COSTS` entry. With no shocks the
        resilience figures are NaN.
    """
    config = point_config(base, list(paths), list(values))
    tables = run_model(config, structure, run_seed(root, replicate), metric)
    series, shocks = tables.timeseries, tables.resilience
    has_shocks = len(shocks) > 0
    return {
        "area_lost": float(shocks["area_lost"].sum()) if has_shocks else np.nan,
        "depth": float(shocks["depth"].sum()) if has_shocks else np.nan,
        "post_level": float(shocks["post_level"].mean()) if has_shocks else np.nan,
        "mean_fitness": float(series["fitness"].mean()),
        "mean_market_share": float(series["market_share"].mean()),
        "cumulative_profit": float(series["cumulative_profit"].iloc[-1]),
        "messages_sent": float(series["messages_sent"].mean()),
        "workload": float(series["workload"].mean()),
    }


def _call_indexed(indexed: tuple[int, tuple]) -> dict[str, float]:
    return design_metrics(*indexed[1])


class DesignEvaluator:
    """``evaluate(params, seeds) -> metrics`` for :func:`simulation.design.search.search_designs`.

    Parameters
    ----------
    base : dict
        Model configuration data of the scenario.
    structures : sequence of str
        The structure run when the design has no ``structure`` parameter (the first).
    seed_of : mapping of int to int
        Search seed -> replicate number (the search sees opaque seeds that change with the
        root seed, so a resumed study with another root is refused).
    root : int
        Root seed.
    metric : str
        Resilience metric.
    workers : int
        Local worker processes for the replicates of a trial (1: in this process).
    scheduler : str, optional
        Address of a Dask scheduler; replicates are submitted there instead.
    """

    def __init__(self, base: dict, structures: Sequence[str], seed_of: Mapping[int, int],
                 root: int, metric: str, workers: int = 1, scheduler: str | None = None):
        self.base, self.structures, self.seed_of = base, list(structures), dict(seed_of)
        self.root, self.metric = root, metric
        self.workers, self.scheduler = workers, scheduler
        self._executor = None

    def __call__(self, params: dict[str, Any], seeds: list[int]) -> dict[str, float]:
        params = dict(params)
        structure = params.pop(STRUCTURE_PARAMETER, self.structures[0])
        paths, values = list(params), list(params.values())
        jobs = [(self.base, paths, values, structure, self.root, self.seed_of[seed],
                 self.metric) for seed in seeds]
        results = self._map(jobs)
        names = results[0].keys()
        # Mean over replicates; NaN-aware so a scenario without shocks still has its levels.
        with np.errstate(all="ignore"):
            return {name: float(np.nanmean([r[name] for r in results])) if any(
                np.isfinite(r[name]) for r in results) else float("nan") for name in names}

    def _map(self, jobs: list[tuple]) -> list[dict[str, float]]:
        """The trial's replicates on the executor (results in job order, whatever order
        they finished in: the mean is then the same for any number of workers)."""
        if self._executor is None:
            self._executor = executor_for(self.workers, self.scheduler)
        indexed = list(enumerate(jobs))
        results: dict[int, dict[str, float]] = {}
        for (index, _), result in self._executor.map(_call_indexed, indexed):
            if isinstance(result, BaseException):
                if type(result).__name__ == "BrokenProcessPool":
                    raise UserError("a worker process of the design search died repeatedly "
                                    "(killed, or out of memory?); run with fewer --workers "
                                    "or a smaller configuration")
                raise result
            results[index] = result
        return [results[index] for index in range(len(jobs))]

    def close(self) -> None:
        """Shut the worker processes or the Dask client down."""
        if self._executor is not None:
            self._executor.close()
            self._executor = None
