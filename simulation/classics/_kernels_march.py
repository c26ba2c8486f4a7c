"""Kernels of March's (1991) mutual-learning model.

Arrays
------
reality : int8 (m,)
    Values +1 / -1 of the ``m`` dimensions of reality.
beliefs : int8 (n, m)
    Each individual's belief (+1, 0 or -1) on each dimension.
code : int8 (m,)
    The organizational code's belief on each dimension.
p1 : float64 (n,)
    Each individual's socialization rate (so fast and slow learners can be mixed).

Random numbers are drawn outside (see :func:`simulation.classics.march1991.simulate`) and passed
in per period: ``u_turnover`` (T, n), ``u_newbelief`` (T, n, m) (may have n = 0 when there is no
turnover), ``u_turbulence`` (T, m), ``u_act`` (T, n, m), ``u_social`` (T, n, m), ``u_code``
(T, m).
"""

import numpy as np

from simulation.kernels._config import kernel

#: Variant flags: ``ORIGINAL`` is the reconstruction of March's own program (Rodan 2005;
#: Christensen 2015): individuals act, undecided beliefs are coin flips, superiority is judged
#: on performance, socialization moves a belief one step towards the code, and knowledge is
#: (right - wrong) / m. ``PAPER`` follows the printed text literally (superiority by knowledge,
#: beliefs jump to the code, knowledge is the share of dimensions the code gets right).
ORIGINAL = 0
PAPER = 1


@kernel
def _absorbed(reality, beliefs, code, variant):
    """True when nothing can change any more (no turnover, no turbulence).

    Socialization is exhausted when every individual agrees with every non-zero code entry,
    and code learning is exhausted when no individual can ever be superior: even the best
    outcome of its coin flips (``ORIGINAL``) does not beat the code.
    """
    n, m = beliefs.shape
    code_score = 0
    for d in range(m):
        if variant == ORIGINAL:
            code_score += np.int64(code[d]) * np.int64(reality[d])
        elif code[d] == reality[d]:
            code_score += 1
    for i in range(n):
        best = 0
        for d in range(m):
            b = beliefs[i, d]
            if code[d] != 0 and b != code[d]:
                return False
            if variant == ORIGINAL:
                best += 1 if b == 0 else np.int64(b) * np.int64(reality[d])
            elif b == reality[d]:
                best += 1
        if best > code_score:
            return False
    return True


@kernel
def march_periods(reality, beliefs, code, p1, p2, p3, p4, variant, u_turnover, u_newbelief,
                  u_turbulence, u_act, u_social, u_code, stop_at_equilibrium,
                  code_knowledge, individual_knowledge):
    """Advance the model up to ``T`` periods in place.

    Returns
    -------
    (int, bool)
        Periods run, and whether the absorbing equilibrium was reached (only tested when
        ``stop_at_equilibrium``). ``code_knowledge[t]`` and ``individual_knowledge[t]`` (mean
        over individuals) are written for every period run.
    """
    periods = u_code.shape[0]
    n, m = beliefs.shape
    actions = np.zeros((n, m), dtype=np.int8)
    superior = np.zeros(n, dtype=np.bool_)
    for t in range(periods):
        # Turnover: a leaver is replaced by a newcomer with naive beliefs (1, 0, -1 equally).
        if p3 > 0.0:
            for i in range(n):
                if u_turnover[t, i] < p3:
                    for d in range(m):
                        beliefs[i, d] = np.int64(u_newbelief[t, i, d] * 3.0) - 1
        # Turbulence: each dimension of reality flips with probability p4.
        if p4 > 0.0:
            for d in range(m):
                if u_turbulence[t, d] < p4:
                    reality[d] = -reality[d]
        # The superior group is judged on the beliefs held at the start of the period.
        code_score = 0
        for d in range(m):
            if variant == ORIGINAL:
                code_score += np.int64(code[d]) * np.int64(reality[d])
            elif code[d] == reality[d]:
                code_score += 1
        for i in range(n):
            score = 0
            for d in range(m):
                b = beliefs[i, d]
                if variant == ORIGINAL:
                    a = b
                    if b == 0:
                        a = 1 if u_act[t, i, d] < 0.5 else -1
                    actions[i, d] = a
                    score += np.int64(a) * np.int64(reality[d])
                else:
                    actions[i, d] = b
                    if b == reality[d]:
                        score += 1
            superior[i] = score > code_score
        # Socialization towards the code as it stood at the start of the period.
        for i in range(n):
            for d in range(m):
                c = code[d]
                if c != 0 and beliefs[i, d] != c and u_social[t, i, d] < p1[i]:
                    if variant == ORIGINAL:
                        beliefs[i, d] = 0 if beliefs[i, d] == -c else c
                    else:
                        beliefs[i, d] = c
        # Code learning: towards the strict majority view of the superior group, with
        # probability 1 - (1 - p2)^k, k the majority's margin.
        for d in range(m):
            plus = 0
            minus = 0
            for i in range(n):
                if superior[i]:
                    if actions[i, d] == 1:
                        plus += 1
                    elif actions[i, d] == -1:
                        minus += 1
            if plus == minus:
                continue
            dominant = 1 if plus > minus else -1
            if code[d] == dominant:
                continue
            k = plus - minus if plus > minus else minus - plus
            unchanged = 1.0
            for _ in range(k):
                unchanged *= 1.0 - p2
            if u_code[t, d] >= unchanged:
                code[d] = dominant
        # Knowledge after the period.
        right = 0
        for d in range(m):
            if variant == ORIGINAL:
                right += np.int64(code[d]) * np.int64(reality[d])
            elif code[d] == reality[d]:
                right += 1
        code_knowledge[t] = right / m
        total = 0
        for i in range(n):
            for d in range(m):
                if variant == ORIGINAL:
                    total += np.int64(beliefs[i, d]) * np.int64(reality[d])
                elif beliefs[i, d] == reality[d]:
                    total += 1
        individual_knowledge[t] = total / (n * m)
        if stop_at_equilibrium and _absorbed(reality, beliefs, code, variant):
            return t + 1, True
    return periods, False


#: The kernel's own Python function (undecorated source, run by the interpreter), used by
#: ``march1991.run_once(use_kernel=False)``. It is not a separate reference: the independent
#: reference the tests compare both with is ``march_periods`` in ``tests/naive.py``.
march_periods_py = march_periods.py_func
