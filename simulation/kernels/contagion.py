"""Contagion on a customer network: Bass-type adoption hazard and threshold (complex) contagion.

These kernels are the one implementation of word of mouth as contagion: the classics
(:mod:`simulation.classics.bass1969`, :mod:`simulation.classics.watts2002`) call them, and the
firm model's customer word of mouth is meant to call the same functions.

Arrays
------
indptr : int64 (n + 1,)          CSR network (:mod:`simulation.core.networks`): the neighbours of
indices : int32 (2 * edges,)     node ``i`` are ``indices[indptr[i]:indptr[i + 1]]``
edge_weights : float64 (0,) or (indices.size,)
    Tie strength per CSR entry (``edge_weights[e]`` belongs to ``indices[e]``), non-negative,
    e.g. 1 for a strong tie and a smaller value for a weak one (Goldenberg, Libai & Muller
    2001). An empty array means every tie has weight 1. For an undirected network the caller
    gives both directions of a tie the same weight; the kernels do not require it.
state, adopted, switched : bool (n,)     who has adopted / switched (defected)
uniforms : float64 (n,)                   one uniform in [0, 1) per node, drawn by the caller
thresholds : float64 (n,)                 Watts thresholds phi_i

Neighbour share
---------------
``share_i = sum_j w_ij x_j / D_i`` over the neighbours ``j`` of ``i`` in CSR order, with
``x_j = 1`` if ``j`` is in the state and ``D_i = sum_j w_ij`` (``by_weight=True``: a weighted
*fraction*, only the relative strength of ties matters) or ``D_i = degree_i``
(``by_weight=False``: weights are absolute influence multipliers, so a weak tie carries less
influence than a strong one even for a customer with only weak ties). Without weights both
give the plain fraction ``adopting neighbours / degree``. A node of degree 0 (or with ``D_i =
0``) has share 0: nobody to hear from.

Voices (the firm model's word of mouth)
---------------------------------------
``voice : int8 (n,)`` says what each node voices this step: 0 silent, +1 / -1 a positive /
negative voice heard over strong ties only, +2 / -2 one that also crosses weak ties (an
extreme voice travels further). ``tie_strong : uint8 (indices.size,)`` flags each CSR entry
as a strong (1) or weak (0) tie (:func:`embedded_ties`); a strong tie weighs 1 and a weak one
``weak_weight`` (Goldenberg, Libai & Muller 2001: weak ties carry less influence per
contact but bridge groups). :func:`voices_heard` sums, for one node, the weight of the ties
carrying a positive and a negative voice and of the opinions they carry;
:func:`tie_weight_sums` the weight of all its ties.

Floating point
--------------
Sums run left to right in CSR order with no reordering (``fastmath`` off), so the plain
references in ``tests/naive.py`` reproduce the kernels bit for bit.
"""

import numpy as np
from numba import prange

from simulation.kernels._config import kernel, one_thread_kernel, threaded_kernel


@kernel
def _share_of(indptr, indices, edge_weights, state, by_weight, i):
    """Share of node ``i``'s neighbourhood in ``state`` (see the module docstring)."""
    weighted = edge_weights.shape[0] > 0
    heard = 0.0
    total = 0.0
    for e in range(indptr[i], indptr[i + 1]):
        w = edge_weights[e] if weighted else 1.0
        total += w
        if state[indices[e]]:
            heard += w
    if not by_weight:
        total = float(indptr[i + 1] - indptr[i])
    if total <= 0.0:
        return 0.0
    return heard / total


@kernel
def bass_hazard(innovation, imitation, share):
    """Bass (1969) adoption hazard of a non-adopter: ``innovation + imitation * share``."""
    return innovation + imitation * share


@kernel(inline="always")
def voice_level(said, outside, beta, talk_rate, amplification, negativity, u):
    """What a buyer who says ``said`` voices, given its talk uniform ``u``: 0 silent, +-1 to
    its strong ties, +-2 to all its ties (+ if ``said >= outside``), by the customers' rule
    step 2 (``simulation.kernels.customers``): Anderson's (1998) asymmetric U, negative
    voices talking more often and further."""
    x = abs(0.5 * beta * (said - outside))
    e = x / (1.0 + x)
    pleased = said >= outside
    tone = 1.0 if pleased else negativity
    chance = min(1.0, tone * talk_rate * (1.0 + amplification * e))
    push = tone * amplification * e
    # Talks if u < chance, far if also u < chance * push / (1 + push); counted without
    # branches (whether a customer talks is a coin flip the processor cannot predict).
    talks = u < chance
    far = u < chance * (push / (1.0 + push))
    level = int(talks) + int(talks & far)
    return level if pleased else -level


@kernel
def voices_heard(indptr, indices, tie_strong, weak_weight, voice, opinion, i):
    """What node ``i`` hears from its neighbours' voices this step.

    A neighbour ``j`` with ``voice[j] != 0`` is heard over a strong tie, and over a weak tie
    only if ``|voice[j]| == 2``. Sums run in CSR order over the ties that carry a voice.

    Returns
    -------
    (positive, negative, heard, said) : tuple of float
        ``positive`` / ``negative`` the weight (1 per strong tie, ``weak_weight`` per weak
        one) of the ties carrying a positive / negative voice; ``heard`` their total (summed
        tie by tie); ``said`` the sum of ``weight * opinion[j]`` over them. The weight of all
        of ``i``'s ties is :func:`tie_weight_sums`'s.
    """
    positive = 0.0
    negative = 0.0
    heard = 0.0
    said = 0.0
    for e in range(indptr[i], indptr[i + 1]):
        v = voice[indices[e]]
        # Most neighbours are silent: test that first (the cheap, well-predicted branch).
        if v != 0:
            strong = tie_strong[e] != 0
            if strong or v == 2 or v == -2:
                w = 1.0 if strong else weak_weight
                heard += w
                said += w * opinion[indices[e]]
                if v > 0:
                    positive += w
                else:
                    negative += w
    return positive, negative, heard, said


@kernel
def voices_heard_all(indptr, indices, tie_strong, weak_weight, voice, opinion, out):
    """:func:`voices_heard` for every node: ``out[i] = (positive, negative, heard, said)``,
    ``out`` float64 (n, 4)."""
    for i in range(voice.shape[0]):
        p, m, h, s = voices_heard(indptr, indices, tie_strong, weak_weight, voice, opinion, i)
        out[i, 0] = p
        out[i, 1] = m
        out[i, 2] = h
        out[i, 3] = s


#: Columns of the ``(n, 4)`` hearing arrays (:func:`voices_heard_all`, :func:`spread_voices`):
#: what :func:`voices_heard` returns, in its order.
HEARD_POSITIVE, HEARD_NEGATIVE, HEARD_WEIGHT, HEARD_SAID = 0, 1, 2, 3


# Inlined where it is called (Numba's own inlining): as a call it made the hearing 50% slower.
@kernel(inline="always")
def push_voice(indptr, indices, tie_strong, weak_weight, j, v, said_by_j, heard, f, low, high):
    """Node ``j``'s voice ``v`` (nonzero) saying ``said_by_j``, added to the rows
    ``heard[f, i]`` (float64 ``(firms, n, 4)``, :data:`HEARD_POSITIVE` ...) of its hearers
    ``i`` in ``low:high``, in ``j``'s CSR order: over every tie if ``|v| == 2`` (weak ties
    weigh ``weak_weight``), else over strong ties only, each weighing 1. ``f``: the firm the
    voice is about (0 for a single firm)."""
    side = HEARD_POSITIVE if v > 0 else HEARD_NEGATIVE
    if v == 2 or v == -2:  # heard over every tie
        for e in range(indptr[j], indptr[j + 1]):
            i = indices[e]
            if i < low or i >= high:
                continue
            w = 1.0 if tie_strong[e] != 0 else weak_weight
            heard[f, i, HEARD_WEIGHT] += w
            heard[f, i, HEARD_SAID] += w * said_by_j
            heard[f, i, side] += w
    else:  # heard over strong ties only, each weighing 1
        for e in range(indptr[j], indptr[j + 1]):
            i = indices[e]
            if tie_strong[e] != 0 and low <= i < high:
                heard[f, i, HEARD_WEIGHT] += 1.0
                heard[f, i, HEARD_SAID] += said_by_j  # 1.0 * said_by_j, exactly
                heard[f, i, side] += 1.0


def _spread_voices(indptr, indices, tie_strong, weak_weight, voice, opinion, out, parts=1):
    """:func:`voices_heard` for every node at once, by pushing each voice to its hearers.

    Fills ``out`` (float64 ``(n, 4)``, one row per node: what :func:`voices_heard_all`
    gives) with what :func:`voices_heard` returns for each node, bit for bit, provided the
    network is undirected with ascending neighbour lists and ``tie_strong`` gives both
    directions of a tie the same flag (as :mod:`simulation.core.networks` and
    :func:`embedded_ties` make them): voicers are visited in ascending order, so each hearer
    receives its neighbours' voices in its own CSR order. Only voicing nodes' ties are
    visited, so the cost is proportional to the voices, not to all ties. A node's four sums
    share a row, adjacent in memory, because each voice it hears updates three of them.

    ``parts``: the hearers are split into that many contiguous parts, one per thread in
    :data:`spread_voices_threads`. Each part visits every voicing node in ascending order but
    adds only to its own hearers, so every hearer receives its neighbours' voices in the same
    order and ``out`` is the same bit for bit, for any number of parts. Each thread reads all
    the voices' ties but writes (the scattered, costly part) only its share of them.
    """
    n = voice.shape[0]
    heard = out.reshape((1, n, 4))  # one firm's rows, as push_voice reads a market's
    for part in prange(parts):
        low = part * n // parts
        high = (part + 1) * n // parts
        out[low:high, :] = 0.0
        for j in range(n):
            if voice[j] != 0:
                push_voice(indptr, indices, tie_strong, weak_weight, j, voice[j], opinion[j],
                           heard, 0, low, high)


#: Who hears what, on one thread (``parts`` 1 by default; ``prange`` compiles as ``range``).
spread_voices = one_thread_kernel(_spread_voices, "spread_voices")

#: :func:`spread_voices` on Numba's threads, the hearers split between them (the threaded
#: customer step's hearing; the same numbers as :func:`spread_voices`).
spread_voices_threads = threaded_kernel(_spread_voices, "spread_voices_threads")


@kernel
def tie_weight_sums(indptr, tie_strong, weak_weight, out):
    """``out[i]``: the weight of all of node ``i``'s ties (1 strong, ``weak_weight`` weak),
    summed in CSR order. A property of the network: computed once per run."""
    for i in range(indptr.shape[0] - 1):
        total = 0.0
        for e in range(indptr[i], indptr[i + 1]):
            total += 1.0 if tie_strong[e] != 0 else weak_weight
        out[i] = total


@kernel
def embedded_ties(indptr, indices, tie_strong):
    """Flag each tie as strong (1) if its two ends share a neighbour, else weak (0).

    Granovetter (1973): strong ties sit in closed triads, weak ties are bridges; Shi, Adamic
    & Strauss (2007) and Onnela et al. (2007) use this overlap as the observable mark of tie
    strength. On a small-world network (Watts & Strogatz 1998) the lattice ties are strong
    (neighbours on the ring share neighbours) and the rewired ties weak, unless a rewired
    tie happens to close a triangle. Neighbour lists must be ascending (as
    :mod:`simulation.core.networks` builds them): the common neighbour is found by merging.
    """
    for i in range(indptr.shape[0] - 1):
        for e in range(indptr[i], indptr[i + 1]):
            j = indices[e]
            if j < i:
                continue  # set from j's side: a tie's flag is computed once
            a = indptr[i]
            b = indptr[j]
            shared = 0
            while a < indptr[i + 1] and b < indptr[j + 1]:
                if indices[a] == indices[b]:
                    shared = 1
                    break
                if indices[a] < indices[b]:
                    a += 1
                else:
                    b += 1
            tie_strong[e] = shared
            # The same tie seen from j: find i in j's ascending list (binary search).
            low = indptr[j]
            high = indptr[j + 1]
            while low < high:
                middle = (low + high) // 2
                if indices[middle] < i:
                    low = middle + 1
                else:
                    high = middle
            if low < indptr[j + 1] and indices[low] == i:
                tie_strong[low] = shared


@kernel
def neighbour_share(indptr, indices, edge_weights, state, by_weight, share):
    """Fill ``share[i]`` with the (weighted) share of ``i``'s neighbours in ``state``.

    Parameters
    ----------
    indptr, indices, edge_weights, state
        See the module docstring.
    by_weight : bool
        Divide by the sum of tie weights (``True``) or by the degree (``False``).
    share : float64 (n,)
        Output.
    """
    for i in range(state.shape[0]):
        share[i] = _share_of(indptr, indices, edge_weights, state, by_weight, i)


@kernel
def bass_adoption_step(indptr, indices, edge_weights, adopted, innovation, imitation,
                       by_weight, uniforms, new_adopted):
    """One synchronous step of Bass-type adoption on a network.

    Each non-adopter ``i`` adopts with probability ``innovation + imitation * share_i``
    (Bass 1969 in network form), ``share_i`` the (weighted) share of its neighbours that had
    adopted at the *start* of the step: everyone decides on the same state (synchronous
    update), so the order of nodes does not matter. ``i`` adopts iff ``uniforms[i] < hazard``;
    a hazard of 1 or more means certain adoption. Adopters stay adopters.

    For a time step ``dt`` the caller passes ``innovation = p * dt`` and ``imitation = q * dt``:
    the discrete process is then the Euler scheme of the continuous Bass model in
    expectation and converges to it as ``dt -> 0``.

    Parameters
    ----------
    indptr, indices, edge_weights, adopted, uniforms
        See the module docstring; ``uniforms[i]`` is read for every node, adopter or not, so
        the stream of random numbers does not depend on the state.
    innovation, imitation : float
        Per-step coefficients (``p * dt``, ``q * dt``).
    by_weight : bool
        How the share is normalised (module docstring).
    new_adopted : bool (n,)
        Output: adoption state after the step (may not be ``adopted`` itself).

    Returns
    -------
    int
        Number of nodes that adopted in this step.
    """
    count = 0
    for i in range(adopted.shape[0]):
        if adopted[i]:
            new_adopted[i] = True
            continue
        share = _share_of(indptr, indices, edge_weights, adopted, by_weight, i)
        hazard = bass_hazard(innovation, imitation, share)
        if uniforms[i] < hazard:
            new_adopted[i] = True
            count += 1
        else:
            new_adopted[i] = False
    return count


@kernel
def bass_adoption_step_mixed(adopted, innovation, imitation, uniforms, new_adopted):
    """One synchronous step of Bass adoption on a fully mixed population.

    As :func:`bass_adoption_step`, with the share of adopters in the whole population
    ``F = adopters / n`` (Bass's ``F(t)``) in place of the neighbour share: each non-adopter
    adopts iff ``uniforms[i] < innovation + imitation * F``, ``F`` taken at the start of the
    step.

    Returns
    -------
    int
        Number of nodes that adopted in this step.
    """
    n = adopted.shape[0]
    adopters = 0
    for i in range(n):
        if adopted[i]:
            adopters += 1
    share = adopters / n if n > 0 else 0.0
    hazard = innovation + imitation * share
    count = 0
    for i in range(n):
        if adopted[i]:
            new_adopted[i] = True
        elif uniforms[i] < hazard:
            new_adopted[i] = True
            count += 1
        else:
            new_adopted[i] = False
    return count


@kernel
def threshold_step(indptr, indices, edge_weights, thresholds, by_weight, switched,
                   new_switched):
    """One synchronous round of threshold (complex) contagion (Watts 2002).

    Node ``i`` switches (e.g. defects) when the (weighted) share of its neighbours that have
    switched, taken at the start of the round, is at least its threshold:
    ``share_i >= thresholds[i]``. Switching is permanent. A node of degree 0 has share 0, so
    it switches only if its threshold is 0 or less.

    Parameters
    ----------
    switched : bool (n,)
        State at the start of the round.
    new_switched : bool (n,)
        Output: state after the round (may not be ``switched`` itself).

    Returns
    -------
    int
        Number of nodes that switched in this round.
    """
    count = 0
    for i in range(switched.shape[0]):
        if switched[i]:
            new_switched[i] = True
            continue
        share = _share_of(indptr, indices, edge_weights, switched, by_weight, i)
        if share >= thresholds[i]:
            new_switched[i] = True
            count += 1
        else:
            new_switched[i] = False
    return count


@kernel
def threshold_cascade(indptr, indices, edge_weights, thresholds, by_weight, switched, queue):
    """Run threshold contagion from ``switched`` until nobody else switches; returns its size.

    Update order: asynchronous, first in first out. Every node that satisfies the rule given
    the initial state is switched in index order; then, taking switched nodes from a queue in
    the order they switched, each not-yet-switched neighbour is tested against the current
    state and, if ``share >= threshold``, switched and queued.

    The rule is monotone (shares only grow as nodes switch, and switching is permanent), so
    the final state is the same as that of repeated synchronous rounds
    (:func:`threshold_step`) until no change: the smallest stable state containing the seeds.
    Only the timing differs; use :func:`threshold_step` when the timing matters.
    Cost: each node is tested once per switching neighbour, ``O(edges * mean degree)``.

    Parameters
    ----------
    switched : bool (n,)
        Input and output: the seeds on entry, everyone who switched on return.
    queue : int64 (n,)
        Scratch space.

    Returns
    -------
    int
        Number of switched nodes at the end (seeds included).
    """
    n = switched.shape[0]
    tail = 0
    for i in range(n):
        if switched[i]:
            queue[tail] = i
            tail += 1
    for i in range(n):
        if not switched[i]:
            if _share_of(indptr, indices, edge_weights, switched, by_weight, i) >= thresholds[i]:
                switched[i] = True
                queue[tail] = i
                tail += 1
    head = 0
    while head < tail:
        j = queue[head]
        head += 1
        for e in range(indptr[j], indptr[j + 1]):
            i = indices[e]
            if switched[i]:
                continue
            if _share_of(indptr, indices, edge_weights, switched, by_weight, i) >= thresholds[i]:
                switched[i] = True
                queue[tail] = i
                tail += 1
    return tail


def empty_weights() -> np.ndarray:
    """The ``edge_weights`` argument meaning "every tie has weight 1"."""
    return np.empty(0, dtype=np.float64)
