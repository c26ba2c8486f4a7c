"""A structure, a shock kind and a step metric of your own: one file, no fork of firmsim.

Use it from the command line (the module must be importable, e.g. from this folder):

    PYTHONPATH=examples FIRMSIM_PLUGINS=my_extension firmsim run my.toml

or package it with an entry point in the ``firmsim.plugins`` group. Then
``structures = ["hierarchy", "two_level"]`` and ``[[shocks]] kind = "key_client_loss"`` work
in any scenario, in sweeps and in the app, and ``share_of_partners`` is a column of every
time series.
"""

from typing import Literal

import numpy as np
from pydantic import Field

from simulation.config.schema import ShockBase
from simulation.registry import register_metric, register_shock, register_structure


def build_two_level(config, rng):
    """A tree with one level of managers under the top: span = sqrt(employees)."""
    from simulation.core.structures import build_tree

    span = max(2, int(round(np.sqrt(config.firm.employees))))
    firm = config.firm.model_copy(update={"span": span})
    return build_tree(config.model_copy(update={"firm": firm}), rng, siloed=False)


register_structure(
    "two_level", build_two_level, description="A flat tree: the top, one level of managers, "
    "and the frontline.", senses="frontline leaves", decides="the top, best-first",
    tops_decide=True, decision_order="best_first")


class KeyClientLoss(ShockBase):
    """A share of the customers who buy stop buying at once."""

    kind: Literal["key_client_loss"] = "key_client_loss"
    share: float = Field(0.2, ge=0, le=1, description="share of the buyers lost")


def key_client_loss(model, shock, t, rng):
    population = model.population
    buyers = np.flatnonzero(population.buying)
    lost = buyers[rng.random(buyers.shape[0]) < shock.share]
    population.buying[lost] = 0


register_shock("key_client_loss", KeyClientLoss, key_client_loss,
               "a share of the buyers leaves at once")

register_metric("share_of_partners",
                lambda model: float(model.population.is_partner[model.population.buying == 1]
                                    .mean()) if model.population.buying.any() else 0.0,
                "share of the buyers who are partners")
