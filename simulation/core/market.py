"""The product space: one NK landscape per segment, sharing one interaction structure.

Landscapes of all segments, including segments that arrive later through a ``new_segment``
shock, are drawn when the model is built, so the same seed gives the same market whatever
the structure (common random numbers).
"""

from __future__ import annotations

import numpy as np

from simulation.core.landscapes import (
    dependents_of,
    draw_contributions,
    draw_dependencies,
    module_of_attributes,
)
from simulation.kernels import nk
from simulation.kernels.optimum import elimination_plan, global_maximum_planned


class Market:
    """Landscapes of all segments and their global optima.

    Attributes
    ----------
    dependencies : int64 (N, K + 1)      shared interaction structure
    contributions : float64 (S, N, W)    one contribution table per segment: where ``linked``,
                                         the segment's base entry, elsewhere its ``own`` entry
    segment_base : float64 (S, N, W)     the base each segment follows (one shared base until
                                         a shift moves only some segments)
    own : float64 (S, N, W)              each segment's own entries
    linked : bool (S, N, W)              entries tied to the base (probability: the
                                         scenario's ``segment_correlation``)
    max_fitness : float64 (S,)           global optimum of each segment (exact search)
    optimum_state : int64 (S,)           state number reaching it (-1 before the first search)
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
        # The optimum's elimination order and index tables depend only on the dependencies,
        # which never change: built once here, used by every refresh_optimum.
        self.optimum_plan = elimination_plan(self.dependencies)
        self.module_of = module_of_attributes(n, market_config.modules)
        self.module_start = np.searchsorted(
            self.module_of, np.arange(market_config.modules + 1)
        ).astype(np.int64)
        # Each segment's table is the shared base table's entry where ``linked`` and its own
        # entry elsewhere (Market docstring); keeping both parts lets needs move together.
        self.base = draw_contributions(n, k, rng)
        self.own = np.empty((total_segments,) + self.base.shape)
        self.linked = np.empty((total_segments,) + self.base.shape, dtype=bool)
        for segment in range(total_segments):
            self.own[segment] = rng.random(self.base.shape)
            self.linked[segment] = rng.random(self.base.shape) < market_config.segment_correlation
        self.segment_base = np.repeat(self.base[None], total_segments, axis=0)
        self.contributions = np.where(self.linked, self.segment_base, self.own)
        self.max_fitness = np.empty(total_segments)
        self.optimum_state = np.full(total_segments, -1, dtype=np.int64)
        for segment in range(total_segments):
            self.refresh_optimum(segment)

    @property
    def segments(self) -> int:
        return int(self.contributions.shape[0])

    def refresh_optimum(self, segment: int) -> None:
        """Re-find the global optimum of ``segment`` after its landscape changed."""
        # Variable elimination over the landscape's dependencies (kernels/optimum.py): the
        # same state and value as full enumeration and as the branch and bound, about 20-40
        # times faster than the warm branch and bound at N = 20, K = 3
        # (experiments/benchmarks/bench_optimum.py). In a tie within rounding it hands over to
        # the branch and bound, started from the best of the optima known so far (this
        # segment's previous one, the other segments'); neither the value nor the state found
        # depends on these hints (tests/test_optimum.py).
        value, state_number = global_maximum_planned(
            self.optimum_plan, self.dependencies, self.contributions[segment],
            self.dependents_ptr, self.dependents, self.optimum_state,
        )
        self.max_fitness[segment] = value
        self.optimum_state[segment] = state_number

    def shift_needs(self, segments, share: float, rng: np.random.Generator,
                    diverge: bool = False) -> None:
        """Customers' needs in ``segments`` move: a share ``share`` of each table is redrawn.

        By default the segments move together: each entry of their shared base is redrawn
        with probability ``share`` (one draw for all of them), and so is each segment's own
        entry (independently). A segment's entry is still its base entry with probability
        ``segment_correlation``, so the correlation between segments stays where the scenario
        set it. With ``diverge`` the market fragments instead: each segment's entries are
        redrawn independently of the others (base-linked ones included), so segments drift
        apart and the correlation between them falls.
        """
        segments = [int(s) for s in segments]
        if not segments:
            return
        shape = self.base.shape
        if diverge:
            for segment in segments:
                moved = rng.random(shape) < share
                fresh = rng.random(int(moved.sum()))
                self.own[segment][moved] = fresh
                self.linked[segment][moved] = False
        else:
            moved = rng.random(shape) < share
            fresh = rng.random(int(moved.sum()))
            for segment in segments:
                self.segment_base[segment][moved] = fresh
            for segment in segments:
                own_moved = rng.random(shape) < share
                self.own[segment][own_moved] = rng.random(int(own_moved.sum()))
        for segment in segments:
            self.contributions[segment] = np.where(
                self.linked[segment], self.segment_base[segment], self.own[segment])
            self.refresh_optimum(segment)

    def turbulence_step(self, segments, rate: float, rng: np.random.Generator) -> int:
        """One step of a restless market: each attribute's table moves with probability ``rate``.

        ``rate`` is the expected share of each segment's landscape redrawn per step (0: calm;
        0.01: a share of 1% a step, the whole landscape renewed in about 100 steps; 0.1 and
        above: chaotic). An attribute's table that moves is redrawn as a shift of needs of
        share 1 restricted to that table: the shared base and each segment's own entries are
        redrawn, so the segments move together. Returns how many tables moved.
        """
        segments = [int(s) for s in segments]
        moving = np.flatnonzero(rng.random(self.attributes) < rate)
        if moving.size == 0 or not segments:
            return int(moving.size)
        width = self.base.shape[1]
        fresh_base = rng.random((moving.size, width))
        for segment in segments:
            self.segment_base[segment][moving] = fresh_base
        for segment in segments:
            self.own[segment][moving] = rng.random((moving.size, width))
            self.contributions[segment] = np.where(
                self.linked[segment], self.segment_base[segment], self.own[segment])
            self.refresh_optimum(segment)
        return int(moving.size)

    def segment_correlation(self, segments=None) -> float:
        """Mean pairwise correlation of the segments' contribution tables (all entries)."""
        segments = list(range(self.segments)) if segments is None else list(segments)
        tables = self.contributions[segments].reshape(len(segments), -1)
        if len(segments) < 2:
            return 1.0
        matrix = np.corrcoef(tables)
        upper = np.triu_indices(len(segments), 1)
        return float(matrix[upper].mean())

    def normalised_fitness(self, products: np.ndarray, variant_of_segment: np.ndarray,
                           out: np.ndarray) -> np.ndarray:
        """Fitness of each segment's product variant divided by the segment's optimum."""
        # One kernel call for every segment (it was one call per segment, each costing more
        # in call overhead than the lookups it made).
        nk.normalised_fitness(products, variant_of_segment, self.dependencies,
                              self.contributions, self.max_fitness, out)
        return out
