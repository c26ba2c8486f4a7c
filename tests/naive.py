"""Plainly written references for the Numba kernels, one section per kernel module.

Each function states a kernel's rule the way a reader would write it down, from the rule's
description (module docstrings and docs/ODD.md): Python lists, sets, deques and numpy idioms,
not the kernel's loops. The tests run the compiled kernel, the kernel's own Python function
(``kernel.py_func``, the undecorated source) and the reference here on copies of the same
inputs and require equal results (STUMPY tests its kernels against ``tests/naive.py`` the
same way). Coverage under ``NUMBA_DISABLE_JIT=1`` is not required: ``py_func`` runs the
kernels' bodies as Python in every test anyway.

Exact equality, and why it is possible
--------------------------------------
Floating-point sums here are taken left to right (:func:`left_sum`) in the order the rule
states them (customers by index, neighbours in CSR order, ...): that order is part of the
rule's arithmetic, so the reference and the kernel round alike. ``math.fsum``, numpy's pairwise
``np.sum`` and, since Python 3.12, ``sum()`` over Python floats (compensated summation) would
round differently. Elementwise numpy arithmetic (+, -, *, /) rounds exactly as scalar code.

Most references keep the kernel's signature (outputs filled in place) so the tests can call
all three the same way; the queue references work on readable per-employee deques instead of
ring buffers (see :func:`read_queues`). The graph generators' set-based twins were written
apart from their hash-table kernels from the start and live here unchanged.

Sections: helpers, nk, customers, sensing, organization, graphs, classics (March 1991;
Lazer-Friedman 2007 and Levinthal 1997), contagion, judging. Add one section per new kernel
module.
"""

from __future__ import annotations

import functools
import itertools
import math
import operator
from collections import defaultdict, deque
from typing import NamedTuple

import numpy as np

from simulation.classics._kernels_march import ORIGINAL


# ============================================================================ helpers
def left_sum(values) -> float:
    """``values`` added one at a time from the left, starting at 0.0 (a plain loop's sum)."""
    return functools.reduce(operator.add, values, 0.0)


def assert_same(expected, actual, where: str = "") -> None:
    """Exact equality of nested tuples/lists of numbers and arrays (dtype included)."""
    if isinstance(expected, (tuple, list)):
        assert isinstance(actual, (tuple, list)) and len(expected) == len(actual), where
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            assert_same(e, a, f"{where}[{i}]")
    elif isinstance(expected, np.ndarray):
        assert isinstance(actual, np.ndarray) and expected.dtype == actual.dtype, where
        np.testing.assert_array_equal(actual, expected, err_msg=where)
    else:
        assert expected == actual, f"{where}: {expected!r} != {actual!r}"


def run_three_ways(kernel, reference, *args):
    """Run ``reference``, ``kernel`` and ``kernel.py_func`` on separate copies of ``args``.

    Returns ``{"reference" | "kernel" | "py_func": (returned value, [array args after])}``.
    """
    results = {}
    for name, function in (("reference", reference), ("kernel", kernel),
                           ("py_func", kernel.py_func)):
        copied = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
        returned = function(*copied)
        results[name] = (returned, [a for a in copied if isinstance(a, np.ndarray)])
    return results


def assert_three_equal(kernel, reference, *args):
    """Kernel, ``kernel.py_func`` and reference give exactly the same returns and arrays.

    Returns the reference's ``(returned, arrays)`` so a test can check it is not vacuous.
    """
    results = run_three_ways(kernel, reference, *args)
    for name in ("kernel", "py_func"):
        assert_same(results["reference"], results[name], f"{kernel.__name__} {name}")
    return results["reference"]


# ============================================================================ nk
def contribution_index(state, dependencies, attribute) -> int:
    """The values of the attributes ``attribute`` reads, as a binary number (bit j = column j)."""
    return sum(int(state[source]) << j for j, source in enumerate(dependencies[attribute]))


def contributions_of(state, dependencies, contributions) -> list[float]:
    """Each attribute's looked-up contribution, in attribute order."""
    return [contributions[i, contribution_index(state, dependencies, i)]
            for i in range(len(dependencies))]


def fitness(state, dependencies, contributions) -> float:
    """Mean contribution over all attributes."""
    parts = contributions_of(state, dependencies, contributions)
    return left_sum(parts) / len(parts)


def fitness_rows(states, dependencies, contributions, out) -> None:
    """Fitness of each row of ``states``."""
    for r, state in enumerate(states):
        out[r] = fitness(state, dependencies, contributions)


def normalised_fitness(products, variant_of_segment, dependencies, contributions, max_fitness,
                       out) -> None:
    """Each segment's fitness of the variant it is served over the segment's optimum."""
    for segment, table in enumerate(contributions):
        product = products[variant_of_segment[segment]]
        out[segment] = fitness(product, dependencies, table) / max_fitness[segment]


def change_effect(state, attribute, value, dependencies, contributions, dependents_ptr,
                  dependents, module_of, module):
    """(change of fitness, part of it on ``module``) if ``attribute`` is set to ``value``.

    Re-evaluates every attribute before and after the change (the CSR of dependents is not
    used): an attribute that does not read ``attribute`` changes by exactly 0.0, so summing
    all attributes in order equals summing the dependents in order.
    """
    changed = np.array(state, copy=True)
    changed[attribute] = value
    before = contributions_of(state, dependencies, contributions)
    after = contributions_of(changed, dependencies, contributions)
    differences = [a - b for a, b in zip(after, before, strict=True)]
    in_module = [d for i, d in enumerate(differences) if module_of[i] == module]
    n = len(differences)
    return left_sum(differences) / n, left_sum(in_module) / n


def state_of_number(number: int, n: int) -> np.ndarray:
    """State whose attribute ``i`` is bit ``i`` of ``number``."""
    return np.array([(number >> i) & 1 for i in range(n)], dtype=np.uint8)


def enumerate_fitness(dependencies, contributions, dependents_ptr, dependents, dependents_bit,
                      out) -> None:
    """``out[s]`` is the fitness of state number ``s``, each state evaluated from scratch."""
    n = len(dependencies)
    for number in range(1 << n):
        out[number] = fitness(state_of_number(number, n), dependencies, contributions)


def global_maximum(dependencies, contributions, dependents_ptr, dependents, dependents_bit):
    """(highest fitness, the lowest state number reaching it), by brute force.

    The kernel keeps the first state of its Gray-code walk on ties; the test landscapes have
    no ties between distinct states, except all-equal ones where both answer state 0.
    """
    n = len(dependencies)
    table = [fitness(state_of_number(s, n), dependencies, contributions) for s in range(1 << n)]
    best = max(table)
    return best, table.index(best)


def local_optima(fitness_of_state, n):
    """Mask of states that no single-attribute change improves."""
    table = list(fitness_of_state)
    return np.array([all(table[s ^ (1 << b)] <= table[s] for b in range(n))
                     for s in range(len(table))], dtype=np.bool_)


# ============================================================================ customers
def logistic(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def neighbours_of(indptr, indices, i):
    return indices[indptr[i]:indptr[i + 1]]


def customer_step(
    active, buying, segment, taste, belief, satisfaction, sentiment, threshold, opinion, voice,
    indptr, indices, tie_strong, weak_tie_weight, tie_weight,
    media_sum, media_count, media_influence, media_positive, media_negative, firm_voices,
    heard, value_of_segment, outside,
    talk_draw, choice_draw, experience_draw,
    experience_noise, experience_weight, talk_rate, amplification, negativity,
    word_of_mouth_weight, imitation, beta, reconsider_rate,
    buyers, active_count, satisfaction_sum, sentiment_sum,
) -> int:
    """One customer step, stage by stage over whole arrays (rule: kernels/customers.py)."""
    in_market = active != 0
    # 1. Buyers experience the product; their opinion moves toward the experience.
    experiencing = in_market & (buying != 0)
    experienced = value_of_segment[segment] + taste + experience_noise * experience_draw
    moved = (1.0 - experience_weight) * belief + experience_weight * experienced
    opinion[:] = np.where(experiencing, moved, belief)
    for i in np.flatnonzero(experiencing):
        satisfaction[i] = logistic(beta * (experienced[i] - outside))
    # 2. Voices: buyers only; negative ones more often and further.
    voice[:] = 0
    for i in np.flatnonzero(experiencing):
        x = abs(0.5 * beta * (opinion[i] - outside))
        extreme = x / (1.0 + x)
        positive = opinion[i] >= outside
        tone = 1.0 if positive else negativity
        chance = min(1.0, tone * talk_rate * (1.0 + amplification * extreme))
        if talk_draw[i] < chance:
            push = tone * amplification * extreme
            level = 2 if talk_draw[i] < chance * (push / (1.0 + push)) else 1
            voice[i] = level if positive else -level
    snapshot_buying = buying.copy()
    defections = 0
    for i in range(len(voice)):
        heard[i] = voices_heard(indptr, indices, tie_strong, weak_tie_weight, voice, opinion, i)
    # 3. Hearing and 4. choosing, customer by customer.
    for i in np.flatnonzero(in_market):
        positive = negative = heard = said = 0.0
        for e in range(indptr[i], indptr[i + 1]):
            j = indices[e]
            weight = 1.0 if tie_strong[e] else weak_tie_weight
            carried = voice[j] != 0 and (tie_strong[e] or abs(voice[j]) == 2)
            if carried:
                heard += weight
                said += weight * opinion[j]
                if voice[j] > 0:
                    positive += weight
                else:
                    negative += weight
        if firm_voices[i] > 0:
            truth = value_of_segment[segment[i]]
            heard += firm_voices[i]
            said += firm_voices[i] * truth
            if truth >= outside:
                positive += firm_voices[i]
            else:
                negative += firm_voices[i]
        positive += media_positive[i]
        negative += media_negative[i]
        total = tie_weight[i] + firm_voices[i] + media_positive[i] + media_negative[i]
        listened = opinion[i]
        if heard > 0:
            listened += word_of_mouth_weight * (said / heard - opinion[i])
        belief[i] = listened + media_influence * (media_sum[i] - media_count[i] * listened)
        buy_chance = logistic(beta * (belief[i] - outside))
        sentiment[i] = 2.0 * buy_chance - 1.0
        positive_share = positive / total if total > 0 else 0.0
        negative_share = negative / total if total > 0 else 0.0
        u = choice_draw[i]
        if snapshot_buying[i]:
            if negative_share >= threshold[i]:
                if not u < buy_chance:
                    buying[i] = 0
                    defections += 1
            elif u < reconsider_rate:
                buying[i] = u / reconsider_rate < buy_chance
        else:
            buying[i] = u < (reconsider_rate + imitation * positive_share) * buy_chance
    # Per-segment totals over the customers in the market, in customer order.
    for s in range(len(buyers)):
        members = [i for i in np.flatnonzero(in_market) if segment[i] == s]
        buying_members = [i for i in members if buying[i]]
        active_count[s] = len(members)
        buyers[s] = len(buying_members)
        sentiment_sum[s] = left_sum(sentiment[i] for i in members)
        satisfaction_sum[s] = left_sum(satisfaction[i] for i in buying_members)
    return defections


def media_exposure(reach_ptr, reach, broadcast, out_sum, out_count) -> None:
    """Each customer's sum and number of the opinions broadcast to it, medium by medium."""
    heard = defaultdict(list)
    for medium, opinion in enumerate(broadcast):
        for customer in reach[reach_ptr[medium]:reach_ptr[medium + 1]]:
            heard[customer].append(opinion)
    out_sum[:] = 0.0
    out_count[:] = 0.0
    for customer, opinions in heard.items():
        out_sum[customer] = left_sum(opinions)
        out_count[customer] = len(opinions)


def media_messages(kind, stance, media_kind, outside, tone, reach_ptr, reach, out_sum,
                   out_count, out_positive, out_negative) -> None:
    """The media's messages and stories: one :func:`media_exposure` per quantity, over the
    media in stakeholder order."""
    media = [k for k in range(len(kind)) if kind[k] == media_kind]
    said = np.array([outside + tone * stance[k] for k in media])
    stories_for = np.array([max(stance[k], 0.0) for k in media])
    stories_against = np.array([max(-stance[k], 0.0) for k in media])
    media_exposure(reach_ptr, reach, said, out_sum, out_count)
    ignored = np.empty_like(out_count)
    media_exposure(reach_ptr, reach, stories_for, out_positive, ignored)
    media_exposure(reach_ptr, reach, stories_against, out_negative, ignored)


def reached_mean(reach_ptr, reach, values, active, out) -> None:
    """Mean of ``values`` over the active customers each medium reaches (0.0 if none)."""
    for medium in range(len(out)):
        audience = [c for c in reach[reach_ptr[medium]:reach_ptr[medium + 1]] if active[c]]
        out[medium] = left_sum(values[c] for c in audience) / len(audience) if audience else 0.0


# ============================================================================ sensing
def sense_changes(
    sensor_module, sensor_segment, module_start, variant_of_segment, products,
    dependencies, contributions, max_fitness, dependents_ptr, dependents, module_of,
    segment_start, active, buying, awareness, attribute_draw, sample_draw, noise_draw,
    out_attribute, out_value, out_local, out_noise, out_responders,
) -> None:
    """Each sensor tests flipping one attribute of its scope on sampled customers."""
    for t, (module, segment) in enumerate(zip(sensor_module, sensor_segment, strict=True)):
        scope = (range(len(dependencies)) if module < 0
                 else range(module_start[module], module_start[module + 1]))
        attribute = scope[int(attribute_draw[t] * len(scope))]
        product = products[variant_of_segment[segment]]
        value = 1 - int(product[attribute])
        total, own_module = change_effect(product, attribute, value, dependencies,
                                          contributions[segment], dependents_ptr, dependents,
                                          module_of, module_of[attribute])
        total /= max_fitness[segment]
        own_module /= max_fitness[segment]
        out_attribute[t] = attribute
        out_value[t] = value
        # What a module-level test shows: its own module, plus the side effects it is aware of.
        out_local[t] = own_module + awareness * (total - own_module)
        segment_customers = range(segment_start[segment], segment_start[segment + 1])
        answers = []
        if len(segment_customers) > 0:
            for u, noise in zip(sample_draw[t], noise_draw[t], strict=True):
                asked = segment_customers[int(u * len(segment_customers))]
                if active[asked] and buying[asked]:
                    answers.append(noise)
        out_responders[t] = len(answers)
        out_noise[t] = left_sum(answers) / len(answers) if answers else 0.0


# ============================================================================ organization
class Message(NamedTuple):
    """One queued proposal: set ``attribute`` to ``value`` in ``variant``."""

    attribute: int
    value: int
    variant: int
    noise: float
    origin: int
    created: int
    arrived: int


def read_queues(q_attribute, q_value, q_variant, q_noise, q_origin, q_created, q_arrived,
                q_head, q_length) -> list[deque]:
    """The ring buffers as one first-in-first-out deque of :class:`Message` per employee."""
    slots = q_attribute.shape[1]
    queues = []
    for node in range(len(q_head)):
        order = [(q_head[node] + k) % slots for k in range(q_length[node])]
        queues.append(deque(
            Message(q_attribute[node, s], q_value[node, s], q_variant[node, s], q_noise[node, s],
                    q_origin[node, s], q_created[node, s], q_arrived[node, s])
            for s in order))
    return queues


def push(queues, slots: int, node: int, message: Message) -> bool:
    """Append ``message`` to ``node``'s queue; False (dropped) when it already holds ``slots``."""
    if len(queues[node]) >= slots:
        return False
    queues[node].append(message)
    return True


def climb_tree(parent, alive, capacity_left, step, hop_draw, queues, slots, out_size):
    """Proposals move one level up the tree; returns ``(taken_at_top, forwarded, dropped)``.

    Employees in index order each handle, oldest first, up to their remaining capacity of the
    messages that arrived before ``step``. A manager passes each to its parent with one more
    hop of distortion (the hop draws are used in turn, cyclically); the top takes them out,
    keeping at most ``out_size`` (further ones use capacity and are lost, as in the kernel).
    """
    hops = itertools.cycle(hop_draw)
    taken: list[Message] = []
    forwarded = dropped = 0
    for node in range(len(parent)):
        if not alive[node]:
            continue
        queue = queues[node]
        while capacity_left[node] > 0 and queue and queue[0].arrived < step:
            message = queue.popleft()
            capacity_left[node] -= 1
            if parent[node] < 0:
                if len(taken) < out_size:
                    taken.append(message)
                continue
            forwarded += 1
            passed = message._replace(noise=message.noise + next(hops), arrived=step)
            if not push(queues, slots, parent[node], passed):
                dropped += 1
    return taken, forwarded, dropped


def peer_review(proposer, neighbour_ptr, neighbours, alive, capacity_left, review_draw,
                out_noise_sum, out_reviewers) -> None:
    """Proposals in order ask their proposer's neighbours, who review while they have capacity."""
    most = review_draw.shape[1]
    for p, employee in enumerate(proposer):
        reviewers = []
        for j in neighbours[neighbour_ptr[employee]:neighbour_ptr[employee + 1]]:
            if len(reviewers) == most:
                break
            if alive[j] and capacity_left[j] > 0:
                capacity_left[j] -= 1
                reviewers.append(j)
        out_reviewers[p] = len(reviewers)
        out_noise_sum[p] = left_sum(review_draw[p, :len(reviewers)])


def change_value(products, attribute, value, variant, serve_weight, dependencies,
                 contributions, max_fitness, dependents_ptr, dependents, module_of) -> float:
    """Change of normalised fitness, weighted by customers of the segments ``variant`` serves."""
    served = [s for s in range(serve_weight.shape[1]) if serve_weight[variant, s] > 0.0]
    effects = [change_effect(products[variant], attribute, value, dependencies, contributions[s],
                             dependents_ptr, dependents, module_of, 0)[0] for s in served]
    return left_sum(serve_weight[variant, s] * effect / max_fitness[s]
                    for s, effect in zip(served, effects, strict=True))


def decide(projected, attribute, value, variant, noise, budget, best_first, serve_weight,
           dependencies, contributions, max_fitness, dependents_ptr, dependents, module_of,
           out_order) -> int:
    """Approve up to ``budget`` changes that look positive against the projected product."""
    def judged(c):
        return noise[c] + change_value(projected, attribute[c], value[c], variant[c],
                                       serve_weight, dependencies, contributions, max_fitness,
                                       dependents_ptr, dependents, module_of)

    def approve(c):
        projected[variant[c], attribute[c]] = value[c]
        approved.append(c)

    approved: list[int] = []
    if best_first:
        waiting = list(range(len(attribute)))
        while len(approved) < budget and waiting:
            scores = [judged(c) for c in waiting]
            best = max(range(len(waiting)), key=scores.__getitem__)  # first of equals
            if scores[best] <= 0.0:
                break
            approve(waiting.pop(best))
    else:
        for c in range(len(attribute)):
            if len(approved) >= budget:
                break
            if judged(c) > 0.0:
                approve(c)
    out_order[:len(approved)] = approved
    return len(approved)


# ============================================================================ graphs
# Set-based twins of simulation/kernels/graphs.py, written apart from the hash-table kernels
# (present edges in a Python set, picked targets in a list); moved here from
# simulation/core/networks.py because only the tests use them.
def _draw_index(r: float, count: int) -> int:
    """``int(r * count)`` clamped to ``count - 1``."""
    return min(int(r * count), count - 1)


def watts_strogatz_edges(
    n: int, half: int, p: float, uniforms: np.ndarray
) -> tuple[np.ndarray, np.ndarray, int]:
    """Reference for :func:`simulation.kernels.graphs.watts_strogatz_edges`."""
    edges = n * half
    sources = np.empty(edges, dtype=np.int32)
    targets = np.empty(edges, dtype=np.int32)
    degree = [2 * half] * n
    present = set()
    for j in range(1, half + 1):
        for u in range(n):
            e = (j - 1) * n + u
            v = (u + j) % n
            sources[e] = u
            targets[e] = v
            present.add((min(u, v), max(u, v)))
    total = uniforms.shape[0]
    used = 0
    for j in range(1, half + 1):
        for u in range(n):
            e = (j - 1) * n + u
            if used >= total:
                return sources, targets, -1
            r = uniforms[used]
            used += 1
            if r < p and degree[u] < n - 1:
                while True:
                    if used >= total:
                        return sources, targets, -1
                    w = _draw_index(uniforms[used], n - 1)
                    used += 1
                    if w >= u:
                        w += 1
                    if (min(u, w), max(u, w)) not in present:
                        break
                v = int(targets[e])
                present.remove((min(u, v), max(u, v)))
                present.add((min(u, w), max(u, w)))
                targets[e] = w
                degree[v] -= 1
                degree[w] += 1
    return sources, targets, used


def barabasi_albert_edges(
    n: int, m: int, uniforms: np.ndarray
) -> tuple[np.ndarray, np.ndarray, int]:
    """Reference for :func:`simulation.kernels.graphs.barabasi_albert_edges`."""
    edges = m + (n - m - 1) * m
    sources = np.empty(edges, dtype=np.int32)
    targets = np.empty(edges, dtype=np.int32)
    repeated = []  # each node once per edge end: uniform choice here is preferential
    e = 0
    for leaf in range(1, m + 1):
        sources[e] = leaf
        targets[e] = 0
        e += 1
        repeated += [0, leaf]
    total = uniforms.shape[0]
    used = 0
    for s in range(m + 1, n):
        picked = []
        while len(picked) < m:
            if used >= total:
                return sources, targets, -1
            x = repeated[_draw_index(uniforms[used], len(repeated))]
            used += 1
            if x in picked:
                continue
            picked.append(x)
            sources[e] = s
            targets[e] = x
            e += 1
        repeated += picked
        repeated += [s] * m
    return sources, targets, used


def gnm_edges(n: int, m: int, uniforms: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Reference for :func:`simulation.kernels.graphs.gnm_edges`."""
    sources = np.empty(m, dtype=np.int32)
    targets = np.empty(m, dtype=np.int32)
    present = set()
    total = uniforms.shape[0]
    used = 0
    count = 0
    while count < m:
        if used + 2 > total:
            return sources, targets, -1
        u = _draw_index(uniforms[used], n)
        v = _draw_index(uniforms[used + 1], n)
        used += 2
        if u == v:
            continue
        u, v = min(u, v), max(u, v)
        if (u, v) not in present:
            present.add((u, v))
            sources[count] = u
            targets[count] = v
            count += 1
    return sources, targets, used


def csr_from_edge_arrays(
    n: int, sources: np.ndarray, targets: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Reference for :func:`simulation.kernels.graphs.csr_from_edge_arrays`."""
    rows = [set() for _ in range(n)]
    for s, t in zip(sources.tolist(), targets.tolist(), strict=True):
        if s != t:
            rows[s].add(t)
            rows[t].add(s)
    indptr = np.zeros(n + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(row) for row in rows])
    indices = np.array([x for row in rows for x in sorted(row)], dtype=np.int32)
    return indptr, indices


# ============================================================================ classics: March
def march_periods(reality, beliefs, code, p1, p2, p3, p4, variant, u_turnover, u_newbelief,
                  u_turbulence, u_act, u_social, u_code, stop_at_equilibrium,
                  code_knowledge, individual_knowledge):
    """March (1991), period by period on whole arrays (rule: classics/_kernels_march.py).

    ``ORIGINAL``: undecided individuals act by coin flip, scores are sums of ``action *
    reality``, socialization moves a belief one step to the code. ``PAPER``: scores count the
    dimensions right, socialization copies the code.
    """
    original = variant == ORIGINAL
    n, m = beliefs.shape

    def score(view):
        """Agreement of each row of ``view`` (or of one vector) with reality."""
        if original:
            return (view.astype(np.int64) * reality).sum(axis=-1)
        return (view == reality).sum(axis=-1)

    for t in range(u_code.shape[0]):
        if p3 > 0.0:  # turnover: leavers replaced by newcomers with beliefs 1, 0, -1 equally
            leavers = u_turnover[t] < p3
            beliefs[leavers] = (u_newbelief[t][leavers] * 3.0).astype(np.int64) - 1
        if p4 > 0.0:  # turbulence
            reality[u_turbulence[t] < p4] *= -1
        actions = beliefs.copy()
        if original:
            coin = np.where(u_act[t] < 0.5, 1, -1)
            actions[beliefs == 0] = coin[beliefs == 0]
        superior = score(actions) > score(code)
        # Socialization towards the code as it stood at the start of the period.
        learns = (code != 0) & (beliefs != code) & (u_social[t] < p1[:, None])
        target = np.where(beliefs == -code, 0, code) if original else np.broadcast_to(
            code, beliefs.shape)
        beliefs[learns] = target[learns]
        # The code learns the superior group's strict majority view with chance 1-(1-p2)^margin.
        plus = (actions[superior] == 1).sum(axis=0)
        minus = (actions[superior] == -1).sum(axis=0)
        for d in range(m):
            if plus[d] == minus[d]:
                continue
            majority = 1 if plus[d] > minus[d] else -1
            unchanged = math.prod([1.0 - p2] * abs(int(plus[d]) - int(minus[d])))
            if code[d] != majority and u_code[t, d] >= unchanged:
                code[d] = majority
        code_knowledge[t] = score(code) / m
        individual_knowledge[t] = score(beliefs).sum() / (n * m)
        if stop_at_equilibrium and _march_absorbed(reality, beliefs, code, original, score):
            return t + 1, True
    return u_code.shape[0], False


def _march_absorbed(reality, beliefs, code, original, score) -> bool:
    """Nothing can change: all agree with every set code entry, and nobody can beat the code."""
    socialized = ((code == 0) | (beliefs == code)).all()
    if original:  # best case: every coin flip lands right
        best = np.where(beliefs == 0, 1, beliefs.astype(np.int64) * reality).sum(axis=1)
    else:
        best = score(beliefs)
    return bool(socialized and not (best > score(code)).any())


# ============================================================================ classics: search
def network_search(table, neighbour_ptr, neighbours, solutions, flip_bits, mean_score) -> None:
    """Lazer-Friedman rounds: imitate the best better neighbour, else try one flip."""
    rounds, agents = flip_bits.shape
    for t in range(rounds + 1):
        mean_score[t] = left_sum(table[solutions]) / agents
        if t == rounds:
            break
        before = solutions.copy()  # synchronous: everyone looks at the previous round
        for i in range(agents):
            own = table[before[i]]
            seen = before[neighbours[neighbour_ptr[i]:neighbour_ptr[i + 1]]]
            if len(seen) and table[seen].max() > own:
                solutions[i] = seen[np.argmax(table[seen])]  # first of the best
            else:
                trial = before[i] ^ (1 << int(flip_bits[t, i]))
                if table[trial] > own:
                    solutions[i] = trial


def population_search(table_before, table_after, shock_period, forms, births, u_jump,
                      jump_forms, flip_bits, u_survive, entrant_forms, u_parent, copy_entry,
                      jump_rate, selection, mean_fitness, distinct_forms, births_history) -> None:
    """Levinthal periods: adapt (long jump or local flip), then select and refill."""
    periods, size = u_jump.shape
    for t in range(periods):
        table = table_after if t >= shock_period else table_before
        trial = np.where(u_jump[t] < jump_rate, jump_forms[t],
                         forms ^ (np.int64(1) << flip_bits[t]))
        better = table[trial] > table[forms]
        forms[better] = trial[better]
        fit = table[forms]
        mean = left_sum(fit) / size
        dies = [u >= (f / mean) ** selection for u, f in zip(u_survive[t], fit, strict=True)]
        survivors = [j for j in range(size) if not dies[j]]
        parents = forms.copy()
        cumulative = list(itertools.accumulate(fit[j] for j in survivors))
        alive_total = left_sum(fit[j] for j in survivors)
        for i in range(size):
            if not dies[i]:
                continue
            births[i] = t
            if copy_entry and alive_total > 0.0:  # a survivor, chosen in proportion to fitness
                target = u_parent[t, i] * alive_total
                chosen = next((j for j, c in zip(survivors, cumulative, strict=True)
                               if c > target), survivors[-1])
                forms[i] = parents[chosen]
            else:
                forms[i] = entrant_forms[t, i]
        mean_fitness[t] = left_sum(table[forms]) / size
        distinct_forms[t] = len(set(forms.tolist()))
        births_history[t] = births


# contagion
# --------------------------------------------------------------------------------------------
# References for simulation/kernels/contagion.py. Sums run over the neighbours in CSR order,
# as in the kernels, so floating-point results agree bit for bit.


def contagion_neighbours(indptr, indices, node):
    """Neighbours of ``node`` with their CSR positions, in CSR order."""
    return [(int(indices[e]), e) for e in range(int(indptr[node]), int(indptr[node + 1]))]


def contagion_share(indptr, indices, edge_weights, state, by_weight, node):
    """Share of ``node``'s neighbours in ``state`` (weighted fraction or weight / degree)."""
    weights = [float(edge_weights[e]) if len(edge_weights) else 1.0
               for _, e in contagion_neighbours(indptr, indices, node)]
    members = [bool(state[j]) for j, _ in contagion_neighbours(indptr, indices, node)]
    heard = 0.0
    for weight, member in zip(weights, members, strict=True):
        if member:
            heard += weight
    if by_weight:
        denominator = 0.0
        for weight in weights:
            denominator += weight
    else:
        denominator = float(len(weights))
    return heard / denominator if denominator > 0 else 0.0


def neighbour_share(indptr, indices, edge_weights, state, by_weight):
    """List of every node's neighbour share."""
    return [contagion_share(indptr, indices, edge_weights, state, by_weight, i)
            for i in range(len(state))]


def bass_adoption_step(indptr, indices, edge_weights, adopted, innovation, imitation,
                       by_weight, uniforms):
    """New adoption state and count: non-adopter i adopts iff u_i < p + q * share_i."""
    after = []
    for i, already in enumerate(adopted):
        share = contagion_share(indptr, indices, edge_weights, adopted, by_weight, i)
        after.append(bool(already) or uniforms[i] < innovation + imitation * share)
    return after, sum(after) - sum(bool(a) for a in adopted)


def bass_adoption_step_mixed(adopted, innovation, imitation, uniforms):
    """Fully mixed Bass step: the population share of adopters replaces the neighbour share."""
    fraction = sum(bool(a) for a in adopted) / len(adopted) if len(adopted) else 0.0
    after = [bool(a) or uniforms[i] < innovation + imitation * fraction
             for i, a in enumerate(adopted)]
    return after, sum(after) - sum(bool(a) for a in adopted)


def threshold_step(indptr, indices, edge_weights, thresholds, by_weight, switched):
    """Synchronous Watts round: i switches iff share_i >= phi_i (start-of-round state)."""
    after = [bool(s) or contagion_share(indptr, indices, edge_weights, switched, by_weight, i)
             >= thresholds[i] for i, s in enumerate(switched)]
    return after, sum(after) - sum(bool(s) for s in switched)


def threshold_cascade(indptr, indices, edge_weights, thresholds, by_weight, switched):
    """Final state of synchronous rounds repeated until nothing changes."""
    state = [bool(s) for s in switched]
    while True:
        state_next, changed = threshold_step(indptr, indices, edge_weights, thresholds,
                                             by_weight, state)
        if changed == 0:
            return state
        state = state_next


def bass_hazard(innovation, imitation, share):
    return innovation + imitation * share


def voices_heard(indptr, indices, tie_strong, weak_weight, voice, opinion, node):
    """(positive, negative, heard, said) of ``node``, in CSR order."""
    rows = []
    for e in range(indptr[node], indptr[node + 1]):
        j = indices[e]
        weight = 1.0 if tie_strong[e] else weak_weight
        carried = voice[j] != 0 and (tie_strong[e] or abs(voice[j]) == 2)
        rows.append((weight, carried, voice[j] > 0, opinion[j]))
    positive = left_sum(w for w, c, p, _ in rows if c and p)
    negative = left_sum(w for w, c, p, _ in rows if c and not p)
    heard = left_sum(w for w, c, _, _ in rows if c)
    said = left_sum(w * o for w, c, _, o in rows if c)
    return positive, negative, heard, said


def voices_heard_all(indptr, indices, tie_strong, weak_weight, voice, opinion, out):
    for node in range(len(voice)):
        out[node] = voices_heard(indptr, indices, tie_strong, weak_weight, voice, opinion, node)


def embedded_ties(indptr, indices, tie_strong):
    """A tie is strong iff its ends share a neighbour (set intersection)."""
    for i in range(len(indptr) - 1):
        mine = {j for j, _ in contagion_neighbours(indptr, indices, i)}
        for e in range(indptr[i], indptr[i + 1]):
            theirs = {j for j, _ in contagion_neighbours(indptr, indices, indices[e])}
            tie_strong[e] = 1 if mine & theirs else 0


def tie_weight_sums(indptr, tie_strong, weak_weight, out):
    for node in range(len(indptr) - 1):
        out[node] = left_sum(1.0 if tie_strong[e] else weak_weight
                             for e in range(indptr[node], indptr[node + 1]))


# judging
# --------------------------------------------------------------------------------------------
# References for simulation/kernels/judging.py: whole-product survey estimates from two full
# fitness evaluations per answer, and decisions by sorting (stable) instead of repeated scans.


def staff_estimates(projected, attribute, value, variant, evaluate, serve_cumulative,
                    respondent_draw, noise_draw, dependencies, contributions, max_fitness):
    """Reference: each respondent's answer is the change of its segment's normalised fitness,
    computed from two full fitness evaluations, plus its noise; the estimate is the mean."""
    out = np.zeros(attribute.shape[0])
    for c in range(attribute.shape[0]):
        if not evaluate[c] or respondent_draw.shape[1] == 0:
            continue
        before = projected[variant[c]]
        after = before.copy()
        after[attribute[c]] = value[c]
        answers = []
        for r in range(respondent_draw.shape[1]):
            segment = int(np.searchsorted(serve_cumulative[variant[c]], respondent_draw[c, r],
                                          side="right"))
            segment = min(segment, serve_cumulative.shape[1] - 1)
            change = (fitness(after, dependencies, contributions[segment])
                      - fitness(before, dependencies, contributions[segment]))
            answers.append(change / max_fitness[segment] + noise_draw[c, r])
        out[c] = np.mean(answers)
    return out


def decide_on_estimates(projected, attribute, value, variant, judged, budget, best_first):
    """Reference: sort candidates (best first, stable) or keep arrival order, then approve
    positives that still change the plan and touch nothing changed this step, until the
    budget is spent."""
    plan = projected.copy()
    touched = set()
    order = (sorted(range(len(judged)), key=lambda c: -judged[c]) if best_first
             else list(range(len(judged))))
    approved = []
    for c in order:
        if len(approved) >= budget:
            break
        key = (variant[c], attribute[c])
        if judged[c] <= 0 or plan[key] == value[c] or key in touched:
            continue
        touched.add(key)
        plan[key] = value[c]
        approved.append(c)
    return approved, plan


# ============================================================================ competition
def market_customer_step(
    present, current, buying, active, segment, taste, belief, satisfaction, sentiment,
    threshold, opinion, voice, indptr, indices, tie_strong, weak_tie_weight, tie_weight,
    media_sum, media_count, media_influence, media_positive, media_negative, firm_voices,
    heard,
    value_of_segment, outside, talk_draw, choice_draw, experience_draw,
    experience_noise, experience_weight, talk_rate, amplification, negativity,
    word_of_mouth_weight, imitation, beta, reconsider_rate,
    buyers, active_count, satisfaction_sum, sentiment_sum, defections, moved, weight, against,
) -> None:
    """Several firms' customers, stage by stage (rule: kernels/competition.py).

    Written from the rule: the firms in the market are a list; every customer's view of a
    firm is computed as a whole row; the choice is a list of (option, probability) pairs
    walked until the draw falls inside one. The kernel's scratch (``heard``, ``weight``,
    ``against``) is not used.
    """
    in_market = active != 0
    firms_here = [g for g in range(len(present)) if present[g]]
    old = current.copy()
    # 1. Experience and voice about the firm bought from.
    opinion[:, :] = belief
    voice[:, :] = 0
    for i in np.flatnonzero(in_market & (old >= 0)):
        f = old[i]
        lived = value_of_segment[f, segment[i]] + taste[i] + experience_noise * experience_draw[i]
        opinion[f, i] = (1.0 - experience_weight) * belief[f, i] + experience_weight * lived
        satisfaction[f, i] = logistic(beta * (lived - outside))
        x = abs(0.5 * beta * (opinion[f, i] - outside))
        extreme = x / (1.0 + x)
        happy = opinion[f, i] >= outside
        tone = 1.0 if happy else negativity
        talk = min(1.0, tone * talk_rate * (1.0 + amplification * extreme))
        if talk_draw[i] < talk:
            push = tone * amplification * extreme
            level = 2 if talk_draw[i] < talk * (push / (1.0 + push)) else 1
            voice[f, i] = level if happy else -level
    # 2. Per firm: what customers hear about it, and their belief about it.
    shares = {}  # (firm, customer): shares of the weight heard carrying a +/- voice
    for g in firms_here:
        for i in np.flatnonzero(in_market):
            plus = minus = heard = said = 0.0
            for e in range(indptr[i], indptr[i + 1]):
                j = indices[e]
                said_by_j = voice[g, j]
                if said_by_j != 0 and (tie_strong[e] or abs(said_by_j) == 2):
                    w = 1.0 if tie_strong[e] else weak_tie_weight
                    heard += w
                    said += w * opinion[g, j]
                    if said_by_j > 0:
                        plus += w
                    else:
                        minus += w
            answers = firm_voices[g, i]
            if answers > 0:
                truth = value_of_segment[g, segment[i]]
                heard += answers
                said += answers * truth
                if truth >= outside:
                    plus += answers
                else:
                    minus += answers
            plus += media_positive[g, i]
            minus += media_negative[g, i]
            total = tie_weight[i] + answers + media_positive[g, i] + media_negative[g, i]
            listened = opinion[g, i]
            if heard > 0:
                listened += word_of_mouth_weight * (said / heard - opinion[g, i])
            belief[g, i] = listened + media_influence * (
                media_sum[g, i] - media_count[g, i] * listened)
            shares[g, i] = (plus / total if total > 0 else 0.0,
                            minus / total if total > 0 else 0.0)
    # 3. The logit choice among the firms here and the outside option.
    defections[:] = 0
    for i in np.flatnonzero(in_market):
        x = {g: beta * (belief[g, i] - outside) for g in firms_here}
        chance = {}
        for g in firms_here:
            rivals = functools.reduce(operator.add,
                                      [math.exp(x[h]) for h in firms_here if h != g], 1.0)
            against = 1.0 / math.exp(x[g]) if len(firms_here) > 1 else math.exp(-x[g])
            chance[g] = 1.0 / (1.0 + against * rivals)
            sentiment[g, i] = 2.0 * (1.0 / (1.0 + against)) - 1.0
        u = choice_draw[i]
        mine = old[i] if old[i] >= 0 and present[old[i]] else -1
        if mine >= 0:
            triggered = shares[mine, i][1] >= threshold[i]
            if triggered:
                v = u
            elif u < reconsider_rate:
                v = u / reconsider_rate
            else:
                continue  # inertia: keeps buying from its firm
            options = [(mine, chance[mine])] + [(g, chance[g]) for g in firms_here if g != mine]
        else:
            v = u
            hazards = [(g, (reconsider_rate + imitation * shares[g, i][0]) * chance[g])
                       for g in firms_here]
            total = left_sum(h for _, h in hazards)
            # Above 1 the hazards are scaled down together (times 1 / total).
            options = [(g, h * (1.0 / total) if total > 1.0 else h) for g, h in hazards]
        chosen, edge = -1, 0.0
        for g, p in options:
            edge += p
            if v < edge:
                chosen = g
                break
        if mine >= 0 and chosen != mine and triggered:
            defections[mine] += 1
        current[i] = chosen
    # Who went where: (from, to) pairs of the customers whose option changed.
    moved[:, :] = 0
    for i in np.flatnonzero(current != old):
        moved[old[i] + 1, current[i] + 1] += 1
    for g in range(len(present)):
        buying[g] = (current == g).astype(np.uint8)
    for s in range(active_count.shape[0]):
        members = [i for i in np.flatnonzero(in_market) if segment[i] == s]
        active_count[s] = len(members)
        for g in range(len(present)):
            buyers[g, s] = sum(1 for i in members if current[i] == g)
            satisfaction_sum[g, s] = left_sum(satisfaction[g, i] for i in members
                                              if current[i] == g)
            sentiment_sum[g, s] = (left_sum(sentiment[g, i] for i in members)
                                   if present[g] else 0.0)


# --------------------------------------------------------------------------------------------
# organization: routing good proposals (the twin of kernels.organization.route_proposals)
def route_proposals(good, proposer, locally, affordable, hub_review, parent, attribute, value,
                    variant, report, step, queues, slots):
    """Each good proposal in turn: vetoed, pushed up to the proposer's parent, or kept for a
    local decision. Returns ``(kept for a local decision, vetoed, messages, dropped)``.

    A local decider vetoes a change it cannot afford. A proposal is escalated under hub review
    or when its proposer does not decide locally; escalating costs a message and a full parent
    queue drops it; a proposer without a parent keeps it under hub review, else it is lost.
    """
    kept, vetoed, messages, dropped = [], 0, 0, 0
    for p in good:
        if locally[p] and not affordable[p]:
            vetoed += 1
            continue
        escalate = bool(hub_review) or not locally[p]
        boss = parent[proposer[p]]
        if not escalate:
            kept.append(int(p))
        elif boss >= 0:
            messages += 1
            message = Message(attribute[p], value[p], variant[p], report[p], proposer[p], step,
                              step)
            dropped += not push(queues, slots, boss, message)
        elif hub_review:
            kept.append(int(p))
    return kept, vetoed, messages, dropped


# organization: what the media hear (the twin of kernels.stakeholders.media_voices)
def media_voices(reach_ptr, reach, voice, active, out_net, out_voiced) -> None:
    """Per medium, over the active customers it reaches: mean of the voice's sign, and the
    share whose voice is not silent (both 0 when none is active)."""
    for m in range(len(out_net)):
        heard = [int(voice[c]) for c in reach[reach_ptr[m]:reach_ptr[m + 1]] if active[c]]
        signs = [float((v > 0) - (v < 0)) for v in heard]
        out_net[m] = left_sum(signs) / len(heard) if heard else 0.0
        out_voiced[m] = left_sum(abs(s) for s in signs) / len(heard) if heard else 0.0


# organization: the answers to complaints, the conversation's cost and what sensors hear
# (kernels.conversation twins)
def answer_complaints(tie_employee, tie_customer, alive, voice, active, firm_voices,
                      out_answered) -> int:
    """Every tie of an employee still here to an active customer who complained gives that
    customer one answer; the answered customers are listed in tie order."""
    answered = [c for e, c in zip(tie_employee, tie_customer, strict=True)
                if alive[e] == 1 and voice[c] < 0 and active[c] == 1]
    for i, c in enumerate(answered):
        firm_voices[c] += 1.0
        out_answered[i] = c
    return len(answered)


def hear_customers(sensors, talking, tie_employee, tie_customer, voice, buying, active, alive,
                   capacity_left, responders, noise) -> int:
    """Alive conversing employees with capacity pay one unit; a sensor that paid and has
    ``m > 0`` responders and ``h > 0`` tied customers who are active, buy and voiced has its
    noise scaled by sqrt(m / (m + h)). Returns how many paid."""
    payers = {int(e) for e in talking if alive[e] == 1 and capacity_left[e] > 0}
    for e in payers:
        capacity_left[e] -= 1
    heard: dict[int, int] = {}
    for e, c in zip(tie_employee, tie_customer, strict=True):
        if voice[c] != 0 and buying[c] == 1 and active[c] == 1:
            heard[int(e)] = heard.get(int(e), 0) + 1
    for k, e in enumerate(sensors):
        m, h = int(responders[k]), heard.get(int(e), 0)
        if int(e) in payers and m > 0 and h > 0:
            noise[k] = noise[k] * math.sqrt(m / (m + h))
    return len(payers)


# organization: the step's capacity and who tests (kernels.organization.choose_testers twin)
def choose_testers(senses, alive, segment, survey_only, capacity, draw, sense_rate,
                   capacity_left, out_tests, out_waiting) -> int:
    """Capacity for the alive only; sensing = senses, alive, a segment in scope; the sensing
    who are not survey-only test when their draw is under the rate and capacity is left
    (one unit); the sensing survey-only wait. Returns how many test."""
    capacity_left[:] = [capacity[e] if alive[e] == 1 else 0 for e in range(len(alive))]
    sensing = [bool(senses[e]) and alive[e] == 1 and segment[e] >= 0 for e in range(len(alive))]
    for e, is_sensing in enumerate(sensing):
        out_waiting[e] = is_sensing and bool(survey_only[e])
        out_tests[e] = (is_sensing and not survey_only[e] and draw[e] < sense_rate
                        and capacity_left[e] > 0)
        capacity_left[e] -= int(out_tests[e])
    return int(sum(bool(x) for x in out_tests))


# market optimum: max-sum variable elimination (the twin of kernels.optimum._eliminate)
def max_sum_elimination(dependencies, contributions, order):
    """``(best total, state number, smallest margin)`` by eliminating the attributes in
    ``order`` one at a time over factors kept as dicts from value tuples to sums.

    A factor is ``(scope, table)``: ``scope`` a tuple of attributes, ``table[values]`` its sum
    for those values. Eliminating ``a`` multiplies out (adds) every factor whose scope holds
    ``a`` over the union of their scopes and keeps, for each assignment of the others, the
    larger sum over ``a``'s two values. The state is read back in reverse order, each value the
    larger of its two sums given the values already read (0 on equality); the margin of a
    choice is the absolute difference of the two.
    """
    n = len(dependencies)
    factors = []
    for i in range(n):
        scope = tuple(int(d) for d in dependencies[i])
        table = {}
        for index in range(len(contributions[i])):
            values = tuple((index >> q) & 1 for q in range(len(scope)))
            table[values] = float(contributions[i][index])
        factors.append((scope, table))
    eliminated = []  # (attribute, its factors, the other attributes), for reading back
    for a in order:
        a = int(a)
        mine = [f for f in factors if a in f[0]]
        factors = [f for f in factors if a not in f[0]]
        others = tuple(sorted({v for scope, _ in mine for v in scope} - {a}))
        eliminated.append((a, mine, others))
        message = {}
        for values in itertools.product((0, 1), repeat=len(others)):
            given = dict(zip(others, values, strict=True))
            message[values] = max(_factor_sum(mine, {**given, a: x}) for x in (0, 1))
        factors.append((others, message))
    total = sum(table[()] for scope, table in factors)  # only constants are left
    chosen = {}
    margin = math.inf
    for a, mine, _ in reversed(eliminated):
        sums = [_factor_sum(mine, {**chosen, a: x}) for x in (0, 1)]
        chosen[a] = 1 if sums[1] > sums[0] else 0
        margin = min(margin, abs(sums[1] - sums[0]))
    return total, sum(chosen[a] << a for a in range(n)), margin


def _factor_sum(factors, values):
    return sum(table[tuple(values[v] for v in scope)] for scope, table in factors)


# market optimum: the greedy elimination order (the twin of kernels.optimum._greedy_order)
def greedy_order(dependencies, by_fill):
    """Attributes in the order a greedy rule eliminates them from the interaction graph (two
    attributes linked when one contribution reads both). Each time, among the attributes
    left, the one with the fewest links its elimination would add between its neighbours
    (``by_fill``) or the fewest neighbours, the other count breaking ties, then the lowest
    number; its neighbours are then linked to each other and it leaves the graph."""
    n = len(dependencies)
    graph = {a: set() for a in range(n)}
    for row in dependencies:
        for a, b in itertools.permutations({int(x) for x in row}, 2):
            graph[a].add(b)
    order = []
    while graph:
        def key(a):
            near = graph[a]
            fill = sum(1 for x, y in itertools.combinations(sorted(near), 2) if y not in graph[x])
            return ((fill, len(near)) if by_fill else (len(near), fill)) + (a,)
        chosen = min(graph, key=key)
        near = graph.pop(chosen)
        for x in near:
            graph[x] |= near - {x}
            graph[x].discard(chosen)
        order.append(chosen)
    return order


# --------------------------------------------------------------------------------------------
# organization: the per-firm step's fused passes (twins of kernels.organization.count_tops and
# route_estimates, kernels.judging.choose_surveyed and less_hurdles, and the rest below)
def count_tops(parent, alive) -> int:
    """Alive employees without a superior."""
    return sum(1 for e in range(len(parent)) if parent[e] == -1 and alive[e] == 1)


def route_estimates(local, judged_noise, proposer, locally, attribute, value, segment, variant,
                    known_cost, worth, annuity, fully_informed, hub_review, parent, step,
                    queues, slots):
    """Estimates, then the good ones, then what a local decider can afford, then the routing
    twin (:func:`route_proposals`). Returns ``(made, kept, vetoed, messages, dropped)``."""
    estimate = [local[p] + judged_noise[p] for p in range(len(local))]
    good = [p for p, x in enumerate(estimate) if x > 0.0]
    affordable = []
    for p, x in enumerate(estimate):
        cost = known_cost[attribute[p]]
        gain = x * worth[segment[p]] * annuity  # revenue over the payback horizon
        affordable.append(cost <= 0 or gain > cost)
    report = list(judged_noise) if fully_informed else estimate
    kept, vetoed, messages, dropped = route_proposals(
        good, proposer, locally, affordable, hub_review, parent, attribute, value, variant,
        report, step, queues, slots)
    return len(good), kept, vetoed, messages, dropped


def choose_surveyed(reported, slots, best_first) -> list[bool]:
    """Which candidates the staff surveys: the first ``slots`` of a stable sort by report,
    best first, or of the arrival order."""
    count = len(reported)
    order = (sorted(range(count), key=lambda c: -reported[c]) if best_first
             else list(range(count)))
    chosen = set(order[:slots])
    return [c in chosen for c in range(count)]


def less_hurdles(judged, cost, variant, worth_of_variant, annuity) -> list[float]:
    """Each judged value less the value its change must bring to pay its positive retooling
    cost over the horizon (cost / (worth x annuity); infinite when that rate is not
    positive); unchanged where the change costs nothing."""
    out = []
    for j, c, v in zip(judged, cost, variant, strict=True):
        if c <= 0:
            out.append(j)
            continue
        rate = worth_of_variant[v] * annuity
        out.append(j - (c / rate) if rate > 0 else -math.inf)
    return out


def logit_worth(buyers, active, price_sensitivity) -> list[float]:
    """Per segment: price x beta x n x q x (1 - q), q = buyers / n, 0 where n = 0."""
    out = []
    for sold, n in zip(buyers, active, strict=True):
        q = sold / float(n) if n > 0 else 0.0
        out.append(price_sensitivity * float(n) * q * (1.0 - q))
    return out


def workload_of(used, capacity, alive) -> list[float]:
    """Used over capacity (at least 1) for those still here, 0 for those who left."""
    return [u / max(c, 1) if a == 1 else 0.0 for u, c, a in zip(used, capacity, alive,
                                                               strict=True)]


def proposal_sides(segment, proposer, variant_of_segment, decides_locally):
    """(variant of each proposal's segment, whether its proposer decides locally, count)."""
    variant = [int(variant_of_segment[s]) for s in segment]
    locally = [bool(decides_locally[e]) for e in proposer]
    return variant, locally, sum(locally)


def media_said(reach_ptr, reach, voice, active) -> list[float]:
    """Per medium: the mean voice sign over the active customers it reaches divided by the
    share of them who voiced (0 when none voiced or none is active)."""
    out = []
    for m in range(len(reach_ptr) - 1):
        heard = [int(voice[c]) for c in reach[reach_ptr[m]:reach_ptr[m + 1]] if active[c]]
        if not heard:
            out.append(0.0)
            continue
        net = sum((v > 0) - (v < 0) for v in heard) / len(heard)
        voiced = sum(v != 0 for v in heard) / len(heard)
        out.append(net / voiced if voiced > 0 else 0.0)
    return out


def move_stances(stance, who, target, rate) -> None:
    """Each listed stakeholder moves a share ``rate`` of the way toward its target."""
    for k, i in enumerate(who):
        stance[i] = (1 - rate) * stance[i] + rate * target[k]
