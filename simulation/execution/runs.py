"""One run of one structure: its seed, its model and its tables. Every caller comes here.

``firmsim run`` and ``firmsim demo`` (through :mod:`simulation.execution.experiment`), the sweep
workers (:mod:`simulation.sweep.worker`) and the app's background runs
(:mod:`simulation.ui.runner`) all build their models with :func:`build_model` and seed them
with :func:`run_seed`, so a run of a given configuration, structure and seed gives the same
numbers whichever of them ran it.

Seed rule (:data:`SEED_RULE`): a run's seed is a node of the spawn tree of
``SeedSequence(root)``. Replicate ``r`` of a scenario is its child ``r``
(``spawn_key=(r,)``, what ``SeedSequence(root).spawn(n)[r]`` gives); replicate ``r`` at
design point ``p`` of a sweep is child ``r`` of child ``p`` (``spawn_key=(p, r)``). Every
structure of a replicate gets the same seed (common random numbers: the same market and
customers), and a seed depends on nothing else: not on workers, batches or order.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from simulation.config.schema import ModelConfig, config_from_flat
from simulation.core.model import FirmModel


class RunTables(NamedTuple):
    """What one run leaves: every step's metrics and the resilience figures per shock."""

    timeseries: pd.DataFrame
    resilience: pd.DataFrame



def build_model(config: ModelConfig, structure: str, seed: np.random.SeedSequence
                ) -> FirmModel:
    """A :class:`~simulation.core.model.FirmModel` of ``structure`` on ``config``, at step 0.

    The model spawns its random streams from an unspent copy of ``seed`` (same entropy and
    spawn key), so the same ``SeedSequence`` object can seed every structure in turn.
    """
    fresh = np.random.SeedSequence(seed.entropy, spawn_key=seed.spawn_key,
                                   pool_size=seed.pool_size)
    # Validated (not model_copy): an unknown structure is one ConfigError line.
    return FirmModel(config=config_from_flat(config, structure=structure), rng=fresh)


def run_model(config: ModelConfig, structure: str, seed: np.random.SeedSequence,
              metric: str = "market_share", labels: dict[str, Any] | None = None
              ) -> RunTables:
    """Build the model, run it to ``config.steps`` and return its tables.

    Parameters
    ----------
    config : ModelConfig
        The configuration (its ``structure`` is replaced by ``structure``).
    structure : str
        One of :data:`simulation.config.vocabulary.STRUCTURES`.
    seed : numpy.random.SeedSequence
        Usually :func:`run_seed`'s.
    metric : str
        Step metric the resilience figures are computed on.
    labels : dict, optional
        Columns put first in both tables with a constant value (``structure``,
        ``replicate``...), so tables of many runs can be concatenated.
    """
    model = build_model(config, structure, seed)
    model.run()
    tables = RunTables(model.metrics(), model.resilience(metric))
    for frame in tables:
        for position, (name, value) in enumerate((labels or {}).items()):
            frame.insert(position, name, value)
    return tables
