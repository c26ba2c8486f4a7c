"""Imported once by the executor's fork server (never by anything else): the model, its
compiled kernels loaded by one tiny run of each structure, so every worker forked from the
server starts warm.

The server runs single-threaded (:func:`simulation.execution.executor.context` starts it with
one BLAS thread and no allocator background thread), so its forks copy no thread's lock.
"""

from __future__ import annotations

import contextlib

from simulation.config.schema import config_from_flat
from simulation.config.seeds import run_seed
from simulation.execution.runs import run_model


def _warm() -> None:
    from simulation import registry

    with contextlib.suppress(Exception):  # a warm-up must never stop the server
        tiny = config_from_flat(customers=200, employees=20, steps=3)
        for structure in registry.names("structure"):
            with contextlib.suppress(Exception):
                run_model(tiny, structure, run_seed(0, 0))


_warm()
