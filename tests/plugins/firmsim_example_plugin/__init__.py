"""An example firmsim plugin: one structure, one shock kind and one step metric, from outside
the package. The test suite installs it the way pip would (an entry point in the
``firmsim.plugins`` group) and runs it through ``firmsim run``, a sweep and the app's runner.

An installed package declares it in its ``pyproject.toml``::

    [project.entry-points."firmsim.plugins"]
    example = "firmsim_example_plugin"
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from simulation.config.schema import ShockBase
from simulation.registry import register_metric, register_shock, register_structure


def build_flat_tree(config, rng):
    """One manager for everyone: a tree whose span is the whole firm."""
    from simulation.core.structures import build_tree

    firm = config.firm.model_copy(update={"span": config.firm.employees})
    return build_tree(config.model_copy(update={"firm": firm}), rng, siloed=False)


register_structure(
    "flat_tree", build_flat_tree, description="A single manager above every employee.",
    senses="everyone but the manager", decides="the manager, best-first", tops_decide=True,
    decision_order="best_first")


class SubstituteLaunch(ShockBase):
    """A substitute product is launched: the outside option rises by ``gain``."""

    kind: Literal["substitute_launch"] = "substitute_launch"
    gain: float = Field(0.1, ge=0, le=1, description="rise of the outside option")


def substitute_launch(model, shock, t, rng) -> None:
    model.outside_option += shock.gain


register_shock("substitute_launch", SubstituteLaunch, substitute_launch,
               "a substitute product raises the outside option")


def buyers_per_employee(model) -> float:
    """Customers buying per employee still employed."""
    return float(model.population.buyers.sum()) / max(1, int(model.org.alive.sum()))


register_metric("buyers_per_employee", buyers_per_employee,
                "customers buying per employee", level=True)
