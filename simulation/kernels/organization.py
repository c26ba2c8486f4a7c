"""Message passing inside the organization: queues up a tree, peer review, approval.

Queues
------
Each employee ``e`` owns a first-in-first-out ring buffer of ``Q`` slots holding proposals:
``q_attribute, q_value, q_variant, q_noise, q_origin, q_created, q_arrived`` (all (E, Q)),
with ``q_head`` and ``q_length`` (E,). A proposal is "set attribute to value in variant";
``q_noise`` is the error its estimate has picked up, ``q_created`` the step it was proposed,
``q_arrived`` the step it entered this queue. A message that finds a full queue is dropped.

Changes and landscapes
----------------------
``products`` (V, N) uint8 are product variants; ``serve_weight`` (V, S) is the share of the
firm's customers in segment ``s`` among those buying variant ``v`` (a change to a variant is
worth the customer-weighted change of normalised fitness over the segments it serves).
"""

import numpy as np

from simulation.kernels._config import kernel
from simulation.kernels.nk import change_effect


# ----------------------------------------------------------------------------- queues
@kernel
def push(node, attribute, value, variant, noise, origin, created, arrived,
         q_attribute, q_value, q_variant, q_noise, q_origin, q_created, q_arrived,
         q_head, q_length):
    """Append a message to ``node``'s queue; return False when the queue is full (dropped)."""
    slots = q_attribute.shape[1]
    if q_length[node] >= slots:
        return False
    slot = (q_head[node] + q_length[node]) % slots
    q_attribute[node, slot] = attribute
    q_value[node, slot] = value
    q_variant[node, slot] = variant
    q_noise[node, slot] = noise
    q_origin[node, slot] = origin
    q_created[node, slot] = created
    q_arrived[node, slot] = arrived
    q_length[node] += 1
    return True


@kernel
def climb_tree(
    parent, alive, capacity_left, step, hop_draw,
    q_attribute, q_value, q_variant, q_noise, q_origin, q_created, q_arrived, q_head, q_length,
    out_attribute, out_value, out_variant, out_noise, out_origin, out_created,
):
    """Move proposals one level up a tree.

    Employees are visited in index order. Each handles, first in first out, up to its
    remaining capacity of the messages that were already in its queue before this step.
    A manager forwards each to its parent, adding one draw of ``hop_draw`` (the distortion of
    one hop); a full parent queue drops it. The top (``parent == -1``) takes them out into
    the ``out_*`` buffers for the decision. Returns ``(taken_at_top, forwarded, dropped)``.
    """
    taken = 0
    forwarded = 0
    dropped = 0
    draws = 0
    slots = q_attribute.shape[1]
    for node in range(parent.shape[0]):
        if alive[node] == 0:
            continue
        while capacity_left[node] > 0 and q_length[node] > 0:
            slot = q_head[node]
            if q_arrived[node, slot] >= step:
                break
            capacity_left[node] -= 1
            q_head[node] = (slot + 1) % slots
            q_length[node] -= 1
            if parent[node] < 0:
                if taken < out_attribute.shape[0]:
                    out_attribute[taken] = q_attribute[node, slot]
                    out_value[taken] = q_value[node, slot]
                    out_variant[taken] = q_variant[node, slot]
                    out_noise[taken] = q_noise[node, slot]
                    out_origin[taken] = q_origin[node, slot]
                    out_created[taken] = q_created[node, slot]
                    taken += 1
                continue
            noise = q_noise[node, slot] + hop_draw[draws % hop_draw.shape[0]]
            draws += 1
            forwarded += 1
            accepted = push(
                parent[node], q_attribute[node, slot], q_value[node, slot],
                q_variant[node, slot], noise, q_origin[node, slot], q_created[node, slot],
                step, q_attribute, q_value, q_variant, q_noise, q_origin, q_created,
                q_arrived, q_head, q_length,
            )
            if not accepted:
                dropped += 1
    return taken, forwarded, dropped


@kernel
def choose_testers(senses, alive, segment, survey_only, capacity, draw, sense_rate,
                   capacity_left, out_tests, out_waiting):
    """This step's capacity, and who tests a change (one uniform ``draw`` per employee).

    Each employee starts the step with its ``capacity`` if alive, else none. An alive
    employee that senses and has a segment in scope is sensing; one that is not
    ``survey_only`` tests when its draw is below ``sense_rate`` and it has capacity left,
    spending one unit. Sensing ``survey_only`` employees are flagged in ``out_waiting`` (they
    wait for a survey). Returns how many test.
    """
    testers = 0
    for e in range(alive.shape[0]):
        capacity_left[e] = capacity[e] if alive[e] == 1 else 0
        sensing = senses[e] and alive[e] == 1 and segment[e] >= 0
        test = (sensing and not survey_only[e] and draw[e] < sense_rate
                and capacity_left[e] > 0)
        if test:
            capacity_left[e] -= 1
            testers += 1
        out_tests[e] = test
        out_waiting[e] = sensing and survey_only[e]
    return testers


@kernel
def route_proposals(
    good, proposer, locally, affordable, hub_review, parent, attribute, value, variant,
    report, step,
    q_attribute, q_value, q_variant, q_noise, q_origin, q_created, q_arrived, q_head, q_length,
    out_direct,
):
    """Route each good proposal (indices ``good``, in order): escalate it or keep it local.

    A local decider's proposal it cannot afford (``affordable`` False) is vetoed. Under
    ``hub_review``, or when the proposer does not decide locally, the proposal is pushed to
    the proposer's parent's queue (one message; a full queue drops it); a proposer with no
    parent keeps it for a local decision under ``hub_review`` (no hub left: the pod's decision
    stands) and loses it otherwise. Every other proposal is decided locally: its index goes to
    ``out_direct``. Returns ``(direct, vetoed, messages, dropped)``.
    """
    direct = np.int64(0)  # not the literal 0: one compiled _route_one, not two
    vetoed = 0
    messages = 0
    dropped = 0
    for k in range(good.shape[0]):
        p = good[k]
        if locally[p] and not affordable[p]:
            vetoed += 1
            continue
        direct, sent, lost = _route_one(
            p, report[p], locally[p], hub_review, proposer, parent, attribute, value, variant,
            step, q_attribute, q_value, q_variant, q_noise, q_origin, q_created, q_arrived,
            q_head, q_length, out_direct, direct)
        messages += sent
        dropped += lost
    return direct, vetoed, messages, dropped


@kernel
def _route_one(p, report, decides_locally, hub_review, proposer, parent, attribute, value,
               variant, step, q_attribute, q_value, q_variant, q_noise, q_origin, q_created,
               q_arrived, q_head, q_length, out_direct, direct):
    """Route one good, affordable proposal ``p`` carrying ``report`` (the rule of
    :func:`route_proposals`): escalate it to the proposer's parent or keep it for a local
    decision (its index written at ``out_direct[direct]``). Returns the new ``direct`` count
    and the messages sent and dropped (0 or 1 each)."""
    if hub_review or not decides_locally:
        e = proposer[p]
        up = parent[e]
        if up < 0:
            if hub_review:
                out_direct[direct] = p
                return direct + 1, 0, 0
            return direct, 0, 0
        kept = push(up, attribute[p], value[p], variant[p], report, e, step, step, q_attribute,
                    q_value, q_variant, q_noise, q_origin, q_created, q_arrived, q_head,
                    q_length)
        return direct, 1, 0 if kept else 1
    out_direct[direct] = p
    return direct + 1, 0, 0


# ----------------------------------------------------------------------------- peer review
@kernel
def peer_review(proposer, neighbour_ptr, neighbours, alive, capacity_left, review_draw,
                out_noise_sum, out_reviewers):
    """Ask each proposer's neighbours to review its proposal.

    Proposals are handled in order; a neighbour reviews if alive and it still has capacity
    this step (reviewing uses one unit). Reviewer ``r`` of proposal ``p`` contributes the
    independent estimate error ``review_draw[p, r]``; the caller averages the errors.
    """
    for p in range(proposer.shape[0]):
        e = proposer[p]
        total = 0.0
        reviewers = 0
        for q in range(neighbour_ptr[e], neighbour_ptr[e + 1]):
            if reviewers >= review_draw.shape[1]:
                break
            j = neighbours[q]
            if alive[j] != 0 and capacity_left[j] > 0:
                capacity_left[j] -= 1
                total += review_draw[p, reviewers]
                reviewers += 1
        out_noise_sum[p] = total
        out_reviewers[p] = reviewers


# ----------------------------------------------------------------------------- decisions
@kernel
def change_value(products, attribute, value, variant, serve_weight, dependencies,
                 contributions, max_fitness, dependents_ptr, dependents, module_of):
    """Customer-weighted change of normalised fitness if ``variant`` sets ``attribute``."""
    total = 0.0
    for s in range(serve_weight.shape[1]):
        if serve_weight[variant, s] > 0.0:
            delta, _ = change_effect(
                products[variant], attribute, value, dependencies, contributions[s],
                dependents_ptr, dependents, module_of, np.int64(0),
            )
            total += serve_weight[variant, s] * delta / max_fitness[s]
    return total


@kernel
def decide(projected, attribute, value, variant, noise, budget, best_first, serve_weight,
           dependencies, contributions, max_fitness, dependents_ptr, dependents, module_of,
           out_order):
    """Approve changes that improve the projected product, up to ``budget``.

    Every candidate is judged by its customer-weighted effect on ``projected`` (the product
    as it will be once approved changes have landed) plus its estimate error ``noise``.
    ``best_first``: repeatedly approve the best remaining candidate (a central decider that
    compares proposals); otherwise approve in arrival order (a hub checking one at a time).
    Each approval is applied to ``projected`` at once, so later candidates are judged against
    it. Approved indices go to ``out_order``; returns how many.
    """
    count = attribute.shape[0]
    chosen = np.zeros(count, dtype=np.bool_)
    approved = 0
    if best_first:
        while approved < budget:
            best = -1
            best_value = 0.0
            for c in range(count):
                if chosen[c]:
                    continue
                judged = noise[c] + change_value(
                    projected, attribute[c], value[c], variant[c], serve_weight, dependencies,
                    contributions, max_fitness, dependents_ptr, dependents, module_of)
                if judged > best_value:
                    best = c
                    best_value = judged
            if best < 0:
                break
            chosen[best] = True
            projected[variant[best], attribute[best]] = value[best]
            out_order[approved] = best
            approved += 1
        return approved
    for c in range(count):
        if approved >= budget:
            break
        judged = noise[c] + change_value(
            projected, attribute[c], value[c], variant[c], serve_weight, dependencies,
            contributions, max_fitness, dependents_ptr, dependents, module_of)
        if judged > 0.0:
            projected[variant[c], attribute[c]] = value[c]
            out_order[approved] = c
            approved += 1
    return approved


# ------------------------------------------------------------------------ small passes
@kernel
def count_tops(parent, alive):
    """How many alive employees have no superior (the tops: the CEO, hubs, the unattached)."""
    tops = 0
    for e in range(parent.shape[0]):
        if parent[e] == -1 and alive[e] == 1:
            tops += 1
    return tops


@kernel
def route_estimates(
    local, judged_noise, proposer, locally, attribute, value, segment, variant, known_cost,
    worth, annuity, fully_informed, hub_review, parent, step,
    q_attribute, q_value, q_variant, q_noise, q_origin, q_created, q_arrived, q_head, q_length,
    out_direct,
):
    """Judge each proposal by its proposer's (reviewed) estimate and route the good ones.

    A proposal is good when its estimate ``local + judged_noise`` is positive. A local
    decider also weighs the change's value over the payback horizon, ``estimate x
    worth[segment] x annuity``, against the retooling it knows of (``known_cost`` per
    attribute): it cannot afford it when that cost is positive and not exceeded. Good
    proposals are then routed as :func:`route_proposals` routes them, in order, the message
    carrying the estimate (only its error, ``judged_noise``, under ``fully_informed``).
    One pass of what the organization step did in NumPy calls and two kernels (the same
    sums and products, so the same numbers). Returns ``(made, direct, vetoed, messages,
    dropped)``: ``made`` counts the good proposals; the local decisions' indices go to
    ``out_direct``.
    """
    made = 0
    direct = np.int64(0)  # not the literal 0: one compiled _route_one, not two
    vetoed = 0
    messages = 0
    dropped = 0
    for p in range(local.shape[0]):
        estimate = local[p] + judged_noise[p]
        if not estimate > 0.0:
            continue
        made += 1
        if locally[p]:
            cost = known_cost[attribute[p]]
            if not (cost <= 0 or estimate * worth[segment[p]] * annuity > cost):
                vetoed += 1
                continue
        report = judged_noise[p] if fully_informed else estimate
        direct, sent, lost = _route_one(
            p, report, locally[p], hub_review, proposer, parent, attribute, value, variant,
            step, q_attribute, q_value, q_variant, q_noise, q_origin, q_created, q_arrived,
            q_head, q_length, out_direct, direct)
        messages += sent
        dropped += lost
    return made, direct, vetoed, messages, dropped


@kernel
def workload_of(used, capacity, alive):
    """Each employee's share of its capacity used this step (0 for those who left); a
    capacity below 1 counts as 1. Returns a new float64 (E,) array."""
    out = np.empty(used.shape[0])
    for e in range(used.shape[0]):
        out[e] = used[e] / max(capacity[e], 1) if alive[e] == 1 else 0.0
    return out


@kernel
def proposal_sides(segment, proposer, variant_of_segment, decides_locally, out_variant,
                   out_locally):
    """Each proposal's product variant (that of its segment) and whether its proposer decides
    locally; returns how many do."""
    local = 0
    for p in range(segment.shape[0]):
        out_variant[p] = variant_of_segment[segment[p]]
        out_locally[p] = decides_locally[proposer[p]]
        local += out_locally[p]
    return local
