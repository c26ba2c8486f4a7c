"""NK fitness landscape kernels (Kauffman 1993).

Arrays
------
dependencies : int64 (n, k + 1)
    Row ``i`` lists the attributes whose values set attribute ``i``'s contribution; column 0 is
    ``i`` itself. Bit ``j`` of the contribution index is the value of ``dependencies[i, j]``.
contributions : float64 (n, 2 ** (k + 1))
    ``contributions[i, index]`` is attribute ``i``'s contribution in [0, 1).
state : uint8 (n,)
    A product: one 0/1 value per attribute.
dependents_ptr, dependents, dependents_bit : int64
    The inverse of ``dependencies`` in CSR form: for attribute ``a``, the attributes
    ``dependents[dependents_ptr[a]:dependents_ptr[a + 1]]`` read it, at bit ``dependents_bit``.

Fitness is the mean of the ``n`` contributions. States are numbered so that bit ``i`` of the
state number is attribute ``i``.
"""

import numpy as np

from simulation.kernels._config import kernel

#: The running sum of the walk is recomputed exactly every 256 states, so rounding cannot
#: drift far enough to swap two states whose fitness differ by more than ~1e-13.
_RESYNC_MASK = 255


@kernel
def _contribution_index(state, dependencies, attribute):
    index = 0
    for j in range(dependencies.shape[1]):
        index |= np.int64(state[dependencies[attribute, j]]) << j
    return index


@kernel
def fitness(state, dependencies, contributions):
    """Fitness of ``state``: the mean of the ``n`` looked-up contributions."""
    n = dependencies.shape[0]
    total = 0.0
    for i in range(n):
        total += contributions[i, _contribution_index(state, dependencies, i)]
    return total / n


@kernel
def fitness_rows(states, dependencies, contributions, out):
    """Fitness of each row of ``states`` (uint8, (m, n)) into ``out`` (float64, (m,))."""
    for r in range(states.shape[0]):
        out[r] = fitness(states[r], dependencies, contributions)


@kernel
def normalised_fitness(products, variant_of_segment, dependencies, contributions, max_fitness,
                       out):
    """Fitness of each segment's product variant over the segment's optimum, into ``out``.

    ``out[s] = fitness(products[variant_of_segment[s]], dependencies, contributions[s]) /
    max_fitness[s]`` for every segment ``s`` of ``contributions`` (S, n, W): one call for
    all segments instead of one per segment (the same sums and divisions).
    """
    for s in range(contributions.shape[0]):
        out[s] = fitness(products[variant_of_segment[s]], dependencies,
                         contributions[s]) / max_fitness[s]


@kernel
def change_effect(state, attribute, value, dependencies, contributions, dependents_ptr,
                  dependents, module_of, module):
    """Effect on fitness of setting ``attribute`` to ``value``.

    Returns ``(delta_total, delta_module)``: the change in fitness (mean contribution), and the
    part of it that falls on attributes of ``module``. Only attributes that read ``attribute``
    can change, so only those are evaluated.
    """
    n = dependencies.shape[0]
    if state[attribute] == value:
        return 0.0, 0.0
    delta_total = 0.0
    delta_module = 0.0
    for p in range(dependents_ptr[attribute], dependents_ptr[attribute + 1]):
        d = dependents[p]
        old_index = _contribution_index(state, dependencies, d)
        new_index = 0
        for j in range(dependencies.shape[1]):
            source = dependencies[d, j]
            bit = value if source == attribute else state[source]
            new_index |= np.int64(bit) << j
        diff = contributions[d, new_index] - contributions[d, old_index]
        delta_total += diff
        if module_of[d] == module:
            delta_module += diff
    return delta_total / n, delta_module / n


@kernel
def enumerate_fitness(dependencies, contributions, dependents_ptr, dependents,
                      dependents_bit, out):
    """Fill ``out[s]`` with the fitness of every state ``s``.

    Walks the states in Gray-code order so that each step flips one attribute and only the
    contribution indices of that attribute's dependents are updated; the fitness itself is
    summed afresh in attribute order so it equals :func:`fitness` exactly.
    """
    n = dependencies.shape[0]
    index = np.zeros(n, dtype=np.int64)
    state_number = 0
    total = 0.0
    for i in range(n):
        total += contributions[i, index[i]]
    out[0] = total / n
    for step in range(1, 1 << n):
        low = step & -step
        flipped = 0
        while (low >> flipped) != 1:
            flipped += 1
        state_number ^= 1 << flipped
        for p in range(dependents_ptr[flipped], dependents_ptr[flipped + 1]):
            index[dependents[p]] ^= 1 << dependents_bit[p]
        total = 0.0
        for i in range(n):
            total += contributions[i, index[i]]
        out[state_number] = total / n


@kernel
def global_maximum(dependencies, contributions, dependents_ptr, dependents, dependents_bit):
    """Highest fitness over all ``2 ** n`` states and the state number reaching it.

    Walks the states in Gray-code order keeping a running sum of the contributions: a flip
    changes only the flipped attribute's dependents, so each state costs about ``k + 1``
    updates instead of ``n``. The best state's fitness is then computed exactly as
    :func:`fitness` does. Ties go to the state met first.
    """
    n = dependencies.shape[0]
    index = np.zeros(n, dtype=np.int64)
    state_number = 0
    total = 0.0
    for i in range(n):
        total += contributions[i, index[i]]
    best = total
    best_state = 0
    for step in range(1, 1 << n):
        low = step & -step
        flipped = 0
        while (low >> flipped) != 1:
            flipped += 1
        state_number ^= 1 << flipped
        for p in range(dependents_ptr[flipped], dependents_ptr[flipped + 1]):
            d = dependents[p]
            old = contributions[d, index[d]]
            index[d] ^= 1 << dependents_bit[p]
            total += contributions[d, index[d]] - old
        if (step & _RESYNC_MASK) == 0:
            total = 0.0
            for i in range(n):
                total += contributions[i, index[i]]
        if total > best:
            best = total
            best_state = state_number
    state = np.empty(n, dtype=np.uint8)
    for i in range(n):
        state[i] = (best_state >> i) & 1
    return fitness(state, dependencies, contributions), best_state


@kernel
def local_optima(fitness_of_state, n):
    """Boolean mask of states no one-attribute change improves."""
    count = fitness_of_state.shape[0]
    mask = np.zeros(count, dtype=np.bool_)
    for s in range(count):
        best = True
        for b in range(n):
            if fitness_of_state[s ^ (1 << b)] > fitness_of_state[s]:
                best = False
                break
        mask[s] = best
    return mask
