"""The product space: one NK landscape per segment, sharing one interaction structure.

Landscapes of all segments, including segments that arrive later through a ``new_segment``
shock, are drawn when the model is built, so the same seed gives the same market whatever
the structure (common random numbers).
"""

from __future__ import annotations

import numpy as np

from .kernels import nk
from .kernels.optimum import global_maximum_bb
from .landscapes import (
    correlated_contributions,
    dependents_of,
    draw_contributions,
    draw_dependencies,
    module_of_attributes,
)


class Market:
    """Landscapes of all segments and their global optima.

    Attributes
    ----------
    dependencies : int64 (N, K + 1)      shared interaction structure
    contributions : float64 (S, N, W)    one contribution table per segment
    max_fitness : float64 (S,)           global optimum of each segment (exact search)
    module_of : int64 (N,)               module of each attribute
    module_start : int64 (G + 1,)        attributes of module g are module_start[g]:[g + 1]
    """

    def __init__(self, market_config, total_segments: int, rng: np.random.Generator) -> None:
        n, k = market_config.attributes, market_config.k
        self.attributes = n
        self.modules = market_config.modules
        self.dependencies = draw_dependencies(
            n, k, rng, modules=market_config.modules,
            cross_module_share=market_config.cross_module_share,
        )
        self.dependents_ptr, self.dependents, self.dependents_bit = dependents_of(
            self.dependencies
        )
        self.module_of = module_of_attributes(n, market_config.modules)
        self.module_start = np.searchsorted(
            self.module_of, np.arange(market_config.modules + 1)
        ).astype(np.int64)
        base = draw_contributions(n, k, rng)
        self.contributions = np.stack([
            correlated_contributions(base, market_config.segment_correlation, rng)
            for _ in range(total_segments)
        ])
        self.max_fitness = np.empty(total_segments)
        for segment in range(total_segments):
            self.refresh_optimum(segment)

    @property
    def segments(self) -> int:
        return int(self.contributions.shape[0])

    def refresh_optimum(self, segment: int) -> None:
        """Re-find the global optimum of ``segment`` after its landscape changed."""
        # Branch and bound: the same optimum as full enumeration, found about 30 times
        # faster at K = 3 (experiments/benchmarks/bench_optimum.py).
        value, _ = global_maximum_bb(
            self.dependencies, self.contributions[segment], self.dependents_ptr,
            self.dependents,
        )
        self.max_fitness[segment] = value

    def redraw(self, segment: int, share: float, rng: np.random.Generator) -> None:
        """Redraw each contribution of ``segment`` with probability ``share`` (needs change)."""
        table = self.contributions[segment]
        mask = rng.random(table.shape) < share
        table[mask] = rng.random(int(mask.sum()))
        self.refresh_optimum(segment)

    def redraw_attribute(self, segment: int, attribute: int, rng: np.random.Generator) -> None:
        """Redraw one attribute's contribution table in ``segment`` (a small turbulence)."""
        self.contributions[segment, attribute, :] = rng.random(self.contributions.shape[2])
        self.refresh_optimum(segment)

    def normalised_fitness(self, products: np.ndarray, variant_of_segment: np.ndarray,
                           out: np.ndarray) -> np.ndarray:
        """Fitness of each segment's product variant divided by the segment's optimum."""
        for segment in range(self.segments):
            out[segment] = nk.fitness(
                products[variant_of_segment[segment]], self.dependencies,
                self.contributions[segment],
            ) / self.max_fitness[segment]
        return out
