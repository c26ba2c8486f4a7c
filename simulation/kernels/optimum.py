"""The global optimum of an NK landscape by variable elimination, and by branch and bound.

Full enumeration (:func:`simulation.kernels.nk.global_maximum`) visits all ``2 ** n`` states:
about 16 ms for ``n = 20``. A restless market redraws part of every segment's landscape each
step, and fitness is reported normalised by the optimum, so the optimum is re-found that
often. The market uses variable elimination (:func:`global_maximum_planned`, bottom of this
module): bucket elimination, or max-sum dynamic programming, over the landscape's
dependencies (Dechter 1999, "Bucket elimination: a unifying framework for reasoning"), along
an elimination order chosen once per market (greedy min-fill or min-degree; the dependencies
never change, only the tables). Its cost is about ``2 ** (width + 1)`` table entries per
bucket, whatever the tables: 1e3-3e4 entries at N = 20, K = 3 (0.005-0.03 ms). It returns the
same state as enumeration and branch and bound, and hands over to the branch and bound in a
tie within rounding or when the dependencies are too intertwined (large K).

Branch and bound (:func:`global_maximum_bb`, :func:`global_maximum_warm`) finds the same state
while visiting a small share of the tree; its cost depends on how well the bounds prune
(0.1 ms at coupling 0.1 to 0.6 ms at 0.7 for N = 20, K = 3).

Branch and bound rule
---------------------
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

from typing import NamedTuple

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


# ------------------------------------------------------------------------------------------
# Variable elimination (bucket elimination, max-sum dynamic programming)
# ------------------------------------------------------------------------------------------

#: A choice made while reading the optimum back is trusted only if its two sums differ by more
#: than this: then every other state sums at least this much less (see
#: :func:`global_maximum_planned`), far above rounding (~1e-13 for n = 20), so branch and bound
#: and enumeration find the same state. Closer than this, the branch and bound decides.
_TIE_MARGIN = 1e-9

#: Elimination is used when its table work (gathered entries per search) is at most this; wider
#: dependency graphs (large K) go to the branch and bound. A speed setting only: both give the
#: same answer. At N = 20, K = 3 the work is about 1e3-3e4 (experiments/benchmarks/
#: bench_optimum.py).
MAX_ELIMINATION_WORK = 1 << 20


class EliminationPlan(NamedTuple):
    """What variable elimination needs that depends only on ``dependencies`` (built once per
    market by :func:`elimination_plan`; the tables change, the dependencies never do).

    Functions are numbered ``0 .. n - 1`` (the contributions) and ``n + b`` (the message of
    bucket ``b``). Bucket ``b`` eliminates attribute ``order[b]``; its context (the attributes
    its message depends on) is ``context[context_ptr[b]:context_ptr[b + 1]]``; an index ``j``
    into the bucket's table holds the eliminated attribute's value at bit 0 and context
    attribute ``p``'s at bit ``p + 1``. The functions in bucket ``b`` are the entries
    ``entry_ptr[b] .. entry_ptr[b + 1] - 1``; entry ``e`` reads, at bucket index ``j``, the value
    ``values[gather[entry_start[e] + j]]``, where ``values`` holds the contributions (row-major,
    from 0) and then each bucket's message from ``message_start[b]``. ``work`` counts the
    gathered entries of one search; ``use`` is False when that exceeds ``MAX_ELIMINATION_WORK``.
    """

    order: np.ndarray
    context_ptr: np.ndarray
    context: np.ndarray
    entry_ptr: np.ndarray
    entry_start: np.ndarray
    gather: np.ndarray
    message_start: np.ndarray
    values_size: int
    table_size: int
    work: int
    use: bool


@kernel
def _greedy_order(dependencies, by_fill):
    """An elimination order by a greedy rule on the interaction graph (attributes linked when
    one contribution reads both): ``by_fill`` picks the attribute whose elimination adds the
    fewest new links, then has the fewest neighbours; otherwise the fewest neighbours, then
    the fewest new links; remaining ties to the lowest attribute (no random draws)."""
    n, width = dependencies.shape
    linked = np.zeros((n, n), dtype=np.bool_)
    for i in range(n):
        for p in range(width):
            for q in range(width):
                if dependencies[i, p] != dependencies[i, q]:
                    linked[dependencies[i, p], dependencies[i, q]] = True
    alive = np.ones(n, dtype=np.bool_)
    order = np.empty(n, dtype=np.int64)
    for step in range(n):
        chosen = -1
        best_first = 0
        best_second = 0
        for a in range(n):
            if not alive[a]:
                continue
            degree = 0
            fill = 0
            for x in range(n):
                if alive[x] and linked[a, x]:
                    degree += 1
                    for y in range(x):
                        if alive[y] and linked[a, y] and not linked[x, y]:
                            fill += 1
            first, second = (fill, degree) if by_fill else (degree, fill)
            if chosen < 0 or first < best_first or (first == best_first
                                                    and second < best_second):
                chosen, best_first, best_second = a, first, second
        for x in range(n):
            if alive[x] and linked[chosen, x]:
                for y in range(n):
                    if y != x and alive[y] and linked[chosen, y]:
                        linked[x, y] = True
        alive[chosen] = False
        order[step] = chosen
    return order


def _buckets(scopes, order):
    """Simulate bucket elimination along ``order``: for each bucket its eliminated attribute,
    context (sorted) and functions (contribution ``i`` or message ``n + b``), and its work. A
    function goes to the bucket of its earliest-eliminated attribute."""
    n = len(order)
    position = [0] * n
    for p, a in enumerate(order):
        position[a] = p
    members = [[] for _ in range(n)]
    scope_of = {}
    for i, scope in enumerate(scopes):
        scope_of[i] = set(scope)
        members[min(position[a] for a in scope)].append(i)
    buckets = []
    work = 0
    for b, a in enumerate(order):
        context = sorted(set().union(*(scope_of[f] for f in members[b])) - {a})
        buckets.append((a, context, members[b]))
        work += (2 << len(context)) * len(members[b])
        if context:
            scope_of[n + b] = set(context)
            members[min(position[x] for x in context)].append(n + b)
    return buckets, work


def elimination_plan(dependencies, max_work: int = MAX_ELIMINATION_WORK) -> EliminationPlan:
    """The :class:`EliminationPlan` of a landscape's ``dependencies`` (int64, (n, k + 1)).

    Tries a greedy min-fill and a greedy min-degree order and keeps the one with less table
    work (the order changes only the speed: any order gives the exact maximum). Above
    ``max_work`` no tables are built and the plan is not used.
    """
    dependencies = np.asarray(dependencies, dtype=np.int64)
    n, width = dependencies.shape
    scopes = [[int(a) for a in row] for row in dependencies]
    best = None
    for by_fill in (True, False):
        plan = _buckets(scopes, [int(a) for a in _greedy_order(dependencies, by_fill)])
        if best is None or plan[1] < best[1]:
            best = plan
    buckets, work = best
    if work > max_work:  # too wide: the branch and bound does it (no tables built)
        empty = np.zeros(0, dtype=np.int64)
        return EliminationPlan(empty, np.zeros(n + 1, dtype=np.int64), empty,
                               np.zeros(n + 1, dtype=np.int64), empty,
                               np.zeros(0, dtype=np.int32), empty, 0, 0, work, False)
    table = 1 << width
    message_start = np.empty(n, dtype=np.int64)
    offset = n * table  # the contributions first, row-major; then each bucket's message
    for b, (_, context, _) in enumerate(buckets):
        message_start[b] = offset
        offset += 1 << len(context)
    context_ptr, context_flat, entry_ptr, entry_function, entry_start = [0], [], [0], [], []
    start = 0
    for _, context, functions in buckets:
        for f in functions:
            entry_function.append(f)
            entry_start.append(start)
            start += 2 << len(context)
        context_flat.extend(context)
        context_ptr.append(len(context_flat))
        entry_ptr.append(len(entry_function))
    as_int = lambda values: np.array(values, dtype=np.int64)  # noqa: E731
    order, context_ptr, context_flat = (as_int([a for a, _, _ in buckets]), as_int(context_ptr),
                                        as_int(context_flat))
    entry_ptr, entry_start = as_int(entry_ptr), as_int(entry_start)
    gather = np.empty(start, dtype=np.int32)
    _fill_gather(dependencies, order, context_ptr, context_flat, entry_ptr,
                 as_int(entry_function), entry_start, message_start, gather)
    largest = max(2 << len(context) for _, context, _ in buckets)
    return EliminationPlan(order, context_ptr, context_flat, entry_ptr, entry_start, gather,
                           message_start, offset, largest, work, True)


@kernel
def _fill_gather(dependencies, order, context_ptr, context, entry_ptr, entry_function,
                 entry_start, message_start, gather):
    """``gather`` of an :class:`EliminationPlan`: for each bucket entry and bucket index ``j``,
    where in ``values`` its function's entry for the attributes' values in ``j`` lies (a
    contribution's bit ``q`` is ``dependencies[i, q]``'s value; a message's bit ``p`` is its
    bucket's ``p``-th context attribute's)."""
    n, width = dependencies.shape
    bit_of = np.full(n, -1, dtype=np.int64)  # each attribute's bit in the bucket's index
    for b in range(n):
        bit_of[order[b]] = 0
        for p in range(context_ptr[b], context_ptr[b + 1]):
            bit_of[context[p]] = p - context_ptr[b] + 1
        size = 2 << (context_ptr[b + 1] - context_ptr[b])
        for e in range(entry_ptr[b], entry_ptr[b + 1]):
            f = entry_function[e]
            for j in range(size):
                local = 0
                if f < n:
                    for q in range(width):
                        local |= ((j >> bit_of[dependencies[f, q]]) & 1) << q
                    local += f * (1 << width)
                else:
                    sender = f - n
                    for q in range(context_ptr[sender], context_ptr[sender + 1]):
                        local |= ((j >> bit_of[context[q]]) & 1) << (q - context_ptr[sender])
                    local += message_start[sender]
                gather[entry_start[e] + j] = local
        bit_of[order[b]] = -1
        for p in range(context_ptr[b], context_ptr[b + 1]):
            bit_of[context[p]] = -1


@kernel
def _eliminate(contributions, order, context_ptr, context, entry_ptr, entry_start, gather,
               message_start, values_size, table_size):
    """Bucket elimination: each bucket's message is, for every assignment of its context, the
    best sum of its functions over the eliminated attribute; the optimum is then read back
    from the last bucket to the first. Returns ``(state_number, smallest margin)``: the margin
    of a choice is how much more its sum is than the other value's."""
    n, width = contributions.shape
    values = np.empty(values_size)
    for i in range(n):
        for w in range(width):
            values[i * width + w] = contributions[i, w]
    table = np.empty(table_size)
    for b in range(n):
        size = 2 << (context_ptr[b + 1] - context_ptr[b])
        table[:size] = 0.0
        for e in range(entry_ptr[b], entry_ptr[b + 1]):
            start = entry_start[e]
            for j in range(size):
                table[j] += values[gather[start + j]]
        out = message_start[b]
        for c in range(size >> 1):
            zero = table[2 * c]
            one = table[2 * c + 1]
            values[out + c] = one if one > zero else zero
    state = np.zeros(n, dtype=np.int64)
    margin = np.inf
    for b in range(n - 1, -1, -1):
        c = 0
        for p in range(context_ptr[b], context_ptr[b + 1]):
            c |= state[context[p]] << (p - context_ptr[b])
        zero = 0.0
        one = 0.0
        for e in range(entry_ptr[b], entry_ptr[b + 1]):
            zero += values[gather[entry_start[e] + 2 * c]]
            one += values[gather[entry_start[e] + 2 * c + 1]]
        state[order[b]] = 1 if one > zero else 0
        margin = min(margin, abs(one - zero))
    state_number = 0
    for a in range(n):
        state_number |= state[a] << a
    return state_number, margin


@kernel
def _eliminated_optimum(dependencies, contributions, order, context_ptr, context, entry_ptr,
                        entry_start, gather, message_start, values_size, table_size):
    """:func:`_eliminate`'s state with its fitness recomputed from it (as enumeration does):
    ``(fitness, state_number, smallest margin)``."""
    state_number, margin = _eliminate(contributions, order, context_ptr, context, entry_ptr,
                                      entry_start, gather, message_start, values_size,
                                      table_size)
    n = dependencies.shape[0]
    state = np.empty(n, dtype=np.uint8)
    for a in range(n):
        state[a] = (state_number >> a) & 1
    return fitness(state, dependencies, contributions), state_number, margin


def global_maximum_planned(plan, dependencies, contributions, dependents_ptr, dependents,
                           hints):
    """:func:`global_maximum_warm`'s ``(fitness, state_number)``, found by variable elimination.

    ``plan`` is :func:`elimination_plan` of ``dependencies``. Reading the optimum back, each
    attribute's value is chosen (latest bucket first) as the better of its two sums given the
    values already chosen; that sum is the best total over all states agreeing with the choices
    so far. So a state differing from the one found sums less by at least the margin of the
    first choice where it differs. When every margin exceeds ``_TIE_MARGIN`` the maximum is
    unique by more than rounding, and branch and bound (and enumeration) return this state;
    its fitness is recomputed from it (:func:`simulation.kernels.nk.fitness`), so the value is
    the same bit for bit. A margin at or below ``_TIE_MARGIN`` (a tie within rounding; random
    continuous tables make it vanishingly rare), or a plan too wide to be worth it, hands the
    search to :func:`global_maximum_warm` with ``hints`` (state numbers, int64; negative ones
    are skipped, so the market passes its optima, -1 where none is known yet), whose answer
    it then is.
    """
    if plan.use:
        value, state_number, margin = _eliminated_optimum(dependencies, contributions,
                                                          *plan[:9])
        if margin > _TIE_MARGIN:
            return value, state_number
    # Called from Python, so the branch and bound (about 8 s of compilation on a cold Numba
    # cache) is compiled only when a tie or a wide plan first needs it.
    return global_maximum_warm(dependencies, contributions, dependents_ptr, dependents,
                               hints[hints >= 0])
