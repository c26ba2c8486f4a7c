"""firmsim: networked vs hierarchical firms adapting to market shocks.

The public names below load on first use, so ``import simulation`` (and ``firmsim --help``)
stays fast: the model, NumPy, Numba and Mesa load only when a run starts.

>>> from simulation import FirmModel
>>> model = FirmModel(structure="network", rng=1, customers=2_000, steps=10).run()
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

#: Public name -> the module that defines it.
_PUBLIC = {
    "FirmModel": "simulation.core.model",
    "load_scenario": "simulation.api",
    "compare": "simulation.api",
    "Comparison": "simulation.api",
    "compete": "simulation.api",
    "run_structure": "simulation.api",
    "org_chart": "simulation.api",
    "query": "simulation.api",
    "run_sweep": "simulation.api",
    "analyze_sweep": "simulation.api",
    "read_results": "simulation.api",
    "register_structure": "simulation.registry",
    "register_shock": "simulation.registry",
    "register_metric": "simulation.registry",
    "register_product_policy": "simulation.registry",
}

__all__ = sorted(_PUBLIC)

if TYPE_CHECKING:
    from simulation.core.model import FirmModel as FirmModel


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        value = getattr(importlib.import_module(_PUBLIC[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'simulation' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PUBLIC))
