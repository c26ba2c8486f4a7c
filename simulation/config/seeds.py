"""The seed rule: which ``SeedSequence`` seeds which run.

A run's seed is a node of the spawn tree of ``SeedSequence(root)``. Replicate ``r`` of a
scenario is its child ``r`` (``spawn_key=(r,)``, what ``SeedSequence(root).spawn(n)[r]``
gives); replicate ``r`` at design point ``p`` of a sweep is child ``r`` of child ``p``
(``spawn_key=(p, r)``). Every structure of a replicate gets the same seed (common random
numbers: the same market and customers), and a seed depends on nothing else: not on
workers, batches or order.
"""

from __future__ import annotations

import numpy as np

SEED_RULE = ("SeedSequence(root, spawn_key=(replicate,)) for a scenario's replicates, "
             "SeedSequence(root, spawn_key=(point, replicate)) at a sweep's design point; "
             "the same for every structure (common random numbers)")


def run_seed(root: int, replicate: int, point: int | None = None) -> np.random.SeedSequence:
    """The seed of replicate ``replicate`` (at sweep design point ``point``) of root ``root``."""
    key = (replicate,) if point is None else (point, replicate)
    return np.random.SeedSequence(root, spawn_key=key)


def describe_seed(root: int, replicate: int, point: int | None = None) -> str:
    """:func:`run_seed`'s result as code, for messages: ``SeedSequence(5, spawn_key=(4, 0))``."""
    key = (replicate,) if point is None else (point, replicate)
    return f"SeedSequence({root}, spawn_key={key})"
