"""Kernels of the landscape-search classics (Lazer-Friedman 2007, Levinthal 1997).

Both work on an enumerated NK landscape: ``table[s]`` is the fitness (or score) of state number
``s`` (bit ``i`` = attribute ``i``, as in :meth:`simulation.core.landscapes.NKLandscape.enumerate`),
so an agent's solution is one int64 and a one-attribute change is ``s ^ (1 << b)``. All random
numbers are pre-drawn by the caller and passed in.
"""

import numpy as np

from simulation.kernels._config import kernel


@kernel
def network_search(table, neighbour_ptr, neighbours, solutions, flip_bits, mean_score):
    """Lazer-Friedman rounds in place.

    Each round, synchronously: an agent copies the best-scoring neighbour if that neighbour
    beats it (first in ``neighbours`` order on ties); otherwise it changes attribute
    ``flip_bits[t, i]`` and keeps the change only if it scores higher. ``mean_score[t]`` is the
    mean score before round ``t`` (``mean_score[rounds]`` after the last round).
    """
    rounds, agents = flip_bits.shape
    current = solutions.copy()
    for t in range(rounds + 1):
        total = 0.0
        for i in range(agents):
            total += table[solutions[i]]
        mean_score[t] = total / agents
        if t == rounds:
            break
        for i in range(agents):
            current[i] = solutions[i]
        for i in range(agents):
            own = table[current[i]]
            best = -1.0
            best_solution = -1
            for p in range(neighbour_ptr[i], neighbour_ptr[i + 1]):
                j = neighbours[p]
                if table[current[j]] > best:
                    best = table[current[j]]
                    best_solution = current[j]
            if best > own:
                solutions[i] = best_solution
            else:
                trial = current[i] ^ (np.int64(1) << flip_bits[t, i])
                if table[trial] > own:
                    solutions[i] = trial


@kernel
def population_search(table_before, table_after, shock_period, forms, births, u_jump,
                      jump_forms, flip_bits, u_survive, entrant_forms, u_parent, copy_entry,
                      jump_rate, selection, mean_fitness, distinct_forms, births_history):
    """Levinthal periods in place.

    Each period ``t`` (landscape ``table_after`` from ``shock_period`` on):

    1. adaptation: with probability ``jump_rate`` an organization considers the random form
       ``jump_forms[t, i]`` (long jump), else it changes attribute ``flip_bits[t, i]`` (local
       search); it keeps the new form only if it is fitter;
    2. selection: it survives with probability ``min(1, (f_i / mean f) ** selection)``; a failed
       organization is replaced by an entrant (``births[i] = t``): with ``copy_entry`` a copy of
       a surviving organization drawn with probability proportional to its fitness (by the
       uniform ``u_parent[t, i]``), else the random form ``entrant_forms[t, i]`` (also used when
       nobody survived).

    Records the mean fitness and the number of distinct forms after the period, and the birth
    period of every slot.
    """
    periods, size = u_jump.shape
    seen = np.zeros(table_before.shape[0], dtype=np.bool_)
    dead = np.zeros(size, dtype=np.bool_)
    parents = forms.copy()
    for t in range(periods):
        table = table_after if t >= shock_period else table_before
        for i in range(size):
            if u_jump[t, i] < jump_rate:
                trial = jump_forms[t, i]
            else:
                trial = forms[i] ^ (np.int64(1) << flip_bits[t, i])
            if table[trial] > table[forms[i]]:
                forms[i] = trial
        total = 0.0
        for i in range(size):
            total += table[forms[i]]
        mean = total / size
        alive_total = 0.0
        for i in range(size):
            survive = (table[forms[i]] / mean) ** selection
            dead[i] = u_survive[t, i] >= survive
            if not dead[i]:
                alive_total += table[forms[i]]
        for i in range(size):
            parents[i] = forms[i]
        for i in range(size):
            if not dead[i]:
                continue
            births[i] = t
            forms[i] = entrant_forms[t, i]
            if copy_entry and alive_total > 0.0:
                target = u_parent[t, i] * alive_total
                running = 0.0
                for j in range(size):
                    if not dead[j]:
                        running += table[parents[j]]
                        forms[i] = parents[j]
                        if running > target:
                            break
        total = 0.0
        count = 0
        for i in range(size):
            total += table[forms[i]]
            if not seen[forms[i]]:
                seen[forms[i]] = True
                count += 1
        for i in range(size):
            seen[forms[i]] = False
            births_history[t, i] = births[i]
        mean_fitness[t] = total / size
        distinct_forms[t] = count


#: The kernels' own Python functions (undecorated source, run by the interpreter), used by
#: ``use_kernel=False`` in ``lazer_friedman2007`` and ``levinthal1997``. They are not separate
#: references: the independent references are in ``tests/naive.py``.
network_search_py = network_search.py_func
population_search_py = population_search.py_func
