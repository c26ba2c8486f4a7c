"""The global optimum of an NK landscape by branch and bound.

Full enumeration (:func:`simulation.kernels.nk.global_maximum`) visits all ``2 ** n`` states:
about 16 ms for ``n = 20``. A restless market redraws part of every segment's landscape each
step, and fitness is reported normalised by the optimum, so the optimum is re-found that
often; branch and bound finds the same state while visiting a small share of the tree.

Rule
----
Attributes are assigned in index order, depth first. For a partial assignment, each
contribution's best attainable value is the largest entry of its table consistent with the
bits of its dependencies assigned so far (precomputed for every prefix); their sum bounds
every completion from above. A branch whose bound cannot beat the best complete state found
is not explored; the better-bounded value of each attribute is tried first. The bound is exact
at a leaf, so the search returns a state of maximum fitness; its fitness is recomputed with
:func:`simulation.kernels.nk.fitness` from the state, exactly as enumeration does.

Arrays are those of :mod:`simulation.kernels.nk`; each row of ``dependencies`` must list
distinct attributes (as NK landscapes do).
"""

import numpy as np

from simulation.kernels._config import kernel
from simulation.kernels.nk import fitness

#: Slack of the pruning test: a branch is cut only if its bound is below the best found by more
#: than this, so rounding in the running sums can never cut a branch holding a better state.
_PRUNE_SLACK = 1e-9


@kernel
def _prefix_maxima(dependencies, contributions):
    """``maxima[i, m, key]``: best entry of contribution ``i`` given its ``m`` lowest-numbered
    dependencies' bits ``key`` (bit ``p`` of ``key`` is the ``p``-th lowest dependency)."""
    n, width = dependencies.shape
    order = np.empty((n, width), dtype=np.int64)  # bit position of the p-th lowest dependency
    for i in range(n):
        order[i] = np.argsort(dependencies[i])
    maxima = np.full((n, width + 1, 1 << width), -np.inf)
    for i in range(n):
        for index in range(1 << width):
            value = contributions[i, index]
            key = 0
            for m in range(width + 1):
                if value > maxima[i, m, key]:
                    maxima[i, m, key] = value
                if m < width:
                    key |= ((index >> order[i, m]) & 1) << m
    return maxima


@kernel
def global_maximum_bb(dependencies, contributions, dependents_ptr, dependents):
    """Highest fitness over all ``2 ** n`` states and the state number reaching it.

    Same result as :func:`simulation.kernels.nk.global_maximum` (see the module docstring);
    returns ``(fitness, state_number)``.
    """
    n = dependencies.shape[0]
    maxima = _prefix_maxima(dependencies, contributions)
    stage = np.zeros(n, dtype=np.int64)  # dependencies of contribution i assigned so far
    key = np.zeros(n, dtype=np.int64)
    bound = 0.0
    for i in range(n):
        bound += maxima[i, 0, 0]
    state = np.zeros(n, dtype=np.uint8)
    saved_bound = np.empty(n)
    tried = np.zeros(n + 1, dtype=np.int64)
    first = np.zeros(n, dtype=np.int64)
    best = -np.inf
    best_state = 0
    level = 0
    while level >= 0:
        if level == n:
            if bound > best:
                best = bound
                best_state = 0
                for a in range(n):
                    best_state |= np.int64(state[a]) << a
            level -= 1
            continue
        t = tried[level]
        if t > 0:  # undo the value tried last at this level
            for p in range(dependents_ptr[level], dependents_ptr[level + 1]):
                i = dependents[p]
                stage[i] -= 1
                key[i] &= ~(np.int64(1) << stage[i])
            bound = saved_bound[level]
        if t == 2:
            tried[level] = 0
            level -= 1
            continue
        if t == 0:
            gain0 = 0.0
            gain1 = 0.0
            for p in range(dependents_ptr[level], dependents_ptr[level + 1]):
                i = dependents[p]
                now = maxima[i, stage[i], key[i]]
                gain0 += maxima[i, stage[i] + 1, key[i]] - now
                gain1 += maxima[i, stage[i] + 1, key[i] | (np.int64(1) << stage[i])] - now
            first[level] = 1 if gain1 > gain0 else 0
        value = first[level] if t == 0 else 1 - first[level]
        tried[level] = t + 1
        saved_bound[level] = bound
        for p in range(dependents_ptr[level], dependents_ptr[level + 1]):
            i = dependents[p]
            old = maxima[i, stage[i], key[i]]
            key[i] |= np.int64(value) << stage[i]
            stage[i] += 1
            bound += maxima[i, stage[i], key[i]] - old
        state[level] = value
        if bound + _PRUNE_SLACK < best * 1.0:
            continue  # cut: the next pass at this level undoes the assignment
        level += 1
        tried[level] = 0
    for a in range(n):
        state[a] = (best_state >> a) & 1
    return fitness(state, dependencies, contributions), best_state
