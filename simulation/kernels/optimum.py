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

Warm start (:func:`global_maximum_warm`): a restless market redraws a few tables of a
landscape each step, so the previous optimum (and the other segments' optima) usually still
score close to the new maximum. The best of those hint states, re-scored on the new tables,
is an attainable value, so every state of maximum fitness scores at least that much; starting
the search with it (less a margin far above rounding, ``_FLOOR_MARGIN``) as the best found so
far cuts branches from the start. The search order does not depend on the best found, and
no branch holding a state of maximum fitness is ever cut, so the state returned is the same as
the cold search's (the first state of maximum running sum in the fixed search order) and its
fitness is the same bit for bit: the floor only skips work.

Arrays are those of :mod:`simulation.kernels.nk`; each row of ``dependencies`` must list
distinct attributes (as NK landscapes do).
"""

import numpy as np

from simulation.kernels._config import kernel
from simulation.kernels.nk import _contribution_index, fitness

#: Slack of the pruning test: a branch is cut only if its bound is below the best found by more
#: than this, so rounding in the running sums can never cut a branch holding a better state.
_PRUNE_SLACK = 1e-9

#: A hint's re-scored sum is lowered by this before it serves as the floor: the leaf's running
#: sum and the hint's direct sum of the same contributions differ only by rounding (~1e-14 for
#: n = 20), so the best state still scores strictly above the floor and is recorded.
_FLOOR_MARGIN = 1e-9

#: Doll bounds are computed for the suffixes starting at attribute ``n // DOLL_FROM`` or later:
#: the earlier ones cost about as much as the whole search when modules are coupled (a speed
#: setting only: any value gives the same answer).
DOLL_FROM = 4


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
    return _search(dependencies, contributions, dependents_ptr, dependents, -np.inf)


@kernel
def global_maximum_warm(dependencies, contributions, dependents_ptr, dependents, hints):
    """:func:`global_maximum_bb` started from the best of ``hints`` (state numbers, int64).

    The same ``(fitness, state_number)`` as :func:`global_maximum_bb` whatever the hints (see
    the module docstring); good hints (the previous optimum of a slightly changed landscape)
    only make it faster. No hints: the cold search.
    """
    n = dependencies.shape[0]
    floor = -np.inf
    state = np.empty(n, dtype=np.uint8)
    for h in range(hints.shape[0]):
        for a in range(n):
            state[a] = (hints[h] >> a) & 1
        total = 0.0  # the sum the search compares (fitness times n)
        for i in range(n):
            total += contributions[i, _contribution_index(state, dependencies, i)]
        if total - _FLOOR_MARGIN > floor:
            floor = total - _FLOOR_MARGIN
    return _search(dependencies, contributions, dependents_ptr, dependents, floor)


@kernel
def _doll(start, include, doll_max, unassigned_max, maxima, dependencies, dependents_ptr,
          dependents):
    """Highest sum of the contributions in ``include`` over the attributes ``start`` to
    ``n - 1`` (the others cannot move them: ``include`` holds only contributions whose
    dependencies are all from ``start`` on). The same search as :func:`_search`, for a value
    only, so a branch that cannot beat the best found strictly is cut; the value found is the
    best within rounding (~1e-14), far inside ``_PRUNE_SLACK``."""
    n = dependencies.shape[0]
    stage = np.zeros(n, dtype=np.int64)
    key = np.zeros(n, dtype=np.int64)
    bound = 0.0
    for i in range(n):
        if include[i]:
            bound += maxima[i, 0, 0]
    saved_bound = np.empty(n)
    tried = np.zeros(n + 1, dtype=np.int64)
    first = np.zeros(n, dtype=np.int64)
    best = -np.inf
    level = start
    while level >= start:
        if level == n:
            if bound > best:
                best = bound
            level -= 1
            continue
        t = tried[level]
        if t > 0:
            for p in range(dependents_ptr[level], dependents_ptr[level + 1]):
                i = dependents[p]
                if include[i]:
                    stage[i] -= 1
                    key[i] &= ~(np.int64(1) << stage[i])
            bound = saved_bound[level]
        if t == 2:
            tried[level] = 0
            level -= 1
            continue
        if t == 0:  # the better-bounded value first: good sums found early cut more
            gain0 = 0.0
            gain1 = 0.0
            for p in range(dependents_ptr[level], dependents_ptr[level + 1]):
                i = dependents[p]
                if include[i]:
                    now = maxima[i, stage[i], key[i]]
                    gain0 += maxima[i, stage[i] + 1, key[i]] - now
                    gain1 += maxima[i, stage[i] + 1, key[i] | (np.int64(1) << stage[i])] - now
            first[level] = 1 if gain1 > gain0 else 0
        value = first[level] if t == 0 else 1 - first[level]
        tried[level] = t + 1
        saved_bound[level] = bound
        for p in range(dependents_ptr[level], dependents_ptr[level + 1]):
            i = dependents[p]
            if include[i]:
                old = maxima[i, stage[i], key[i]]
                key[i] |= np.int64(value) << stage[i]
                stage[i] += 1
                bound += maxima[i, stage[i], key[i]] - old
        if bound - unassigned_max[level + 1] + doll_max[level + 1] <= best:
            continue
        level += 1
        tried[level] = 0
    return best


@kernel
def _doll_bounds(maxima, dependencies, dependents_ptr, dependents):
    """Russian-doll bounds: ``unassigned_max[m]``, the sum of the best entries of the
    contributions whose dependencies are all attributes ``m`` or later, and ``doll_max[m]``, the
    best those contributions reach together (from ``n // DOLL_FROM`` on; below it the plain
    sum, ``unassigned_max[m]``). Both 0 at ``m = n``. Each doll is searched with the later
    dolls as its bounds, from the last attribute back."""
    n = dependencies.shape[0]
    lowest = np.empty(n, dtype=np.int64)
    for i in range(n):
        lowest[i] = dependencies[i].min()
    unassigned_max = np.zeros(n + 1)
    for m in range(n + 1):
        for i in range(n):
            if lowest[i] >= m:
                unassigned_max[m] += maxima[i, 0, 0]
    doll_max = unassigned_max.copy()
    include = np.zeros(n, dtype=np.bool_)
    for start in range(n - 1, max(n // DOLL_FROM, 1) - 1, -1):
        count = 0
        for i in range(n):
            include[i] = lowest[i] >= start
            count += include[i]
        if count > 0:
            doll_max[start] = _doll(start, include, doll_max, unassigned_max, maxima,
                                    dependencies, dependents_ptr, dependents)
    return doll_max, unassigned_max


@kernel
def _search(dependencies, contributions, dependents_ptr, dependents, floor):
    """The branch and bound, with ``floor`` (an attainable sum, less a margin) as the best
    found before the first leaf; ``-inf`` for a cold search."""
    n = dependencies.shape[0]
    maxima = _prefix_maxima(dependencies, contributions)
    doll_max, unassigned_max = _doll_bounds(maxima, dependencies, dependents_ptr, dependents)
    stage = np.zeros(n, dtype=np.int64)  # dependencies of contribution i assigned so far
    key = np.zeros(n, dtype=np.int64)
    bound = 0.0
    for i in range(n):
        bound += maxima[i, 0, 0]
    state = np.zeros(n, dtype=np.uint8)
    saved_bound = np.empty(n)
    tried = np.zeros(n + 1, dtype=np.int64)
    first = np.zeros(n, dtype=np.int64)
    best = floor
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
        # ``bound`` counts the contributions no assigned attribute reads at their best entries;
        # the doll bound replaces that part with the best they reach together (never more).
        tight = bound - unassigned_max[level + 1] + doll_max[level + 1]
        if tight + _PRUNE_SLACK < best * 1.0:
            continue  # cut: the next pass at this level undoes the assignment
        level += 1
        tried[level] = 0
    for a in range(n):
        state[a] = (best_state >> a) & 1
    return fitness(state, dependencies, contributions), best_state
