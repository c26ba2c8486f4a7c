"""Designs: the points of a sweep.

- ``grid``: the full factorial product of every parameter's levels.
- ``lhs``: a Latin hypercube of ``samples`` points (SciPy's ``qmc.LatinHypercube``).
- ``sobol``: Saltelli's extension of a scrambled Sobol' sequence (``SALib.sample.sobol``),
  ``samples * (D + 2)`` points (``samples * (2D + 2)`` with second-order indices), in the
  order ``SALib.analyze.sobol`` expects.
- ``morris``: ``samples`` one-at-a-time trajectories on a ``morris_levels`` grid
  (``SALib.sample.morris``), ``samples * (D + 1)`` points.

Sampled designs draw in "raw" coordinates (``log(value)`` for ``scale = "log"``); the values
a run uses are the raw values mapped back and cast to the field's type (integers rounded).
The raw matrix is what the analysis gives SALib, so the analysis matches the sampling. All
designs are deterministic given the experiment's seed.
"""

from __future__ import annotations

import itertools
import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulation.sweep.spec import ResolvedExperiment


@dataclass
class Design:
    """Design points: ``raw`` coordinates (points x parameters) and the values runs use."""

    names: list[str]
    raw: np.ndarray
    values: list[tuple]
    problem: dict

    def __len__(self) -> int:
        return len(self.values)

    def table(self) -> pd.DataFrame:
        """One row per point: ``point``, each parameter's value and ``raw_<name>``."""
        frame = pd.DataFrame(self.values, columns=self.names)
        frame.insert(0, "point", np.arange(len(frame), dtype=np.int64))
        for number, name in enumerate(self.names):
            frame[f"raw_{name}"] = self.raw[:, number].astype(float)
        return frame


def salib_problem(resolved: ResolvedExperiment) -> dict:
    """The SALib problem (names and raw bounds) of a sampled design."""
    bounds = []
    for varied in resolved.parameters:
        spec = varied.spec
        low, high = (spec.low, spec.high) if spec.low is not None else (0.0, 1.0)
        if spec.scale == "log":
            low, high = math.log(low), math.log(high)
        bounds.append([float(low), float(high)])
    return {"num_vars": len(resolved.parameters),
            "names": [v.column for v in resolved.parameters], "bounds": bounds}


def point_count(resolved: ResolvedExperiment) -> int:
    """Number of design points, without building the design."""
    experiment = resolved.experiment
    dims = len(resolved.parameters)
    if experiment.design == "grid":
        return math.prod(len(v.levels) for v in resolved.parameters)
    if experiment.design == "lhs":
        return experiment.samples
    if experiment.design == "sobol":
        return experiment.samples * ((2 * dims + 2) if experiment.second_order else dims + 2)
    return experiment.samples * (dims + 1)


def build_design(resolved: ResolvedExperiment) -> Design:
    """The design points of an experiment."""
    experiment = resolved.experiment
    names = [v.column for v in resolved.parameters]
    problem = salib_problem(resolved)
    if experiment.design == "grid":
        levels = [v.levels for v in resolved.parameters]
        values = list(itertools.product(*levels))
        raw = np.array([[_raw_level(value, level_list) for value, level_list
                         in zip(point, levels, strict=True)] for point in values], dtype=float)
        return Design(names, raw.reshape(len(values), len(names)), values, problem)
    seed = resolved.seed
    if experiment.design == "lhs":
        from scipy.stats import qmc

        unit = qmc.LatinHypercube(d=len(names), seed=np.random.default_rng(seed)).random(
            experiment.samples)
        bounds = np.array(problem["bounds"])
        raw = bounds[:, 0] + unit * (bounds[:, 1] - bounds[:, 0])
    elif experiment.design == "sobol":
        from SALib.sample import sobol

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            raw = sobol.sample(problem, experiment.samples,
                               calc_second_order=experiment.second_order, seed=seed)
    else:
        from SALib.sample import morris

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            raw = morris.sample(problem, experiment.samples,
                                num_levels=experiment.morris_levels, seed=seed)
    raw = np.asarray(raw, dtype=float)
    values = []
    for row in raw:
        point = []
        for number, varied in enumerate(resolved.parameters):
            value = float(row[number])
            if varied.spec.scale == "log":
                value = math.exp(value)
            value = min(max(value, varied.spec.low), varied.spec.high)
            point.append(varied.coerce(value))
        values.append(tuple(point))
    return Design(names, raw, values, problem)


def _raw_level(value, levels) -> float:
    if isinstance(value, (bool, str)):
        return float(levels.index(value))
    return float(value)
