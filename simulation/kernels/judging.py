"""How a decider judges proposals from what reached it (the information principle).

A decider at the top of a tree or a hub receives proposals that carry an **estimate**: the
proposer's sample estimate of the change's value in its own segment and scope, plus the
distortion each hop added on the way up. It can also ask its **staff** to estimate a change's
effect on the whole product: a survey of customers of every segment the variant serves, at a
cost in staff capacity (see :mod:`simulation.core.organization`). Neither the carried estimate nor
the staff's is the true effect; the "fully informed" decider of NK organisation models
(Rivkin & Siggelkow 2003), who knows each change's exact effect, is
:func:`simulation.kernels.organization.decide` and is kept only for comparison.

Arrays
------
projected : uint8 (V, N)       the product variants once approved changes have landed
attribute, variant : int64 (c,); value : uint8 (c,)   the candidates
evaluate : bool (c,)           candidates the staff evaluates
serve_cumulative : float64 (V, S)   cumulative share of each variant's customers by segment
respondent_draw : float64 (c, m)    uniforms: which segment each respondent belongs to
noise_draw : float64 (c, m)    normals already scaled by the feedback noise
judged : float64 (c,)          the value the decider believes each candidate has
landscape arrays as in :mod:`simulation.kernels.nk`; ``max_fitness`` (S,) normalises
"""

import numpy as np

from simulation.kernels._config import kernel
from simulation.kernels.nk import change_effect


@kernel
def staff_estimates(projected, attribute, value, variant, evaluate, serve_cumulative,
                    respondent_draw, noise_draw, dependencies, contributions, max_fitness,
                    dependents_ptr, dependents, module_of, out_estimate):
    """Survey estimate of each evaluated candidate's effect on the whole product.

    Each of the ``m`` respondents belongs to a segment served by the candidate's variant,
    drawn in proportion to that segment's share of the variant's customers; it answers with
    the change's effect on its segment's normalised fitness (all modules) plus its own noise.
    The estimate is the mean answer, so its expectation is the customer-weighted effect on the
    whole product and its error shrinks as one over the square root of ``m``. Candidates not
    evaluated get 0. The change is judged on the projected product: the staff knows the plan.
    """
    segments = serve_cumulative.shape[1]
    respondents = respondent_draw.shape[1]
    for c in range(attribute.shape[0]):
        out_estimate[c] = 0.0
        if not evaluate[c] or respondents == 0:
            continue
        v = variant[c]
        total = 0.0
        for r in range(respondents):
            s = 0
            while s < segments - 1 and serve_cumulative[v, s] <= respondent_draw[c, r]:
                s += 1
            delta, _ = change_effect(
                projected[v], attribute[c], value[c], dependencies, contributions[s],
                dependents_ptr, dependents, module_of, np.int64(0),
            )
            total += delta / max_fitness[s] + noise_draw[c, r]
        out_estimate[c] = total / respondents


@kernel
def decide_on_estimates(projected, attribute, value, variant, judged, budget, best_first,
                        out_order):
    """Approve up to ``budget`` candidates whose judged value is positive.

    ``best_first``: repeatedly approve the candidate with the highest judged value (a central
    decider comparing proposals; ties go to the earlier arrival); otherwise approve in arrival
    order (a hub checking one at a time). A candidate that would set an attribute to the value
    it already has in the projected product (an identical change approved earlier, still in
    transit or approved this step) is passed over, and so is one touching an attribute of a
    variant already changed by an approval of this step (no contradictory approvals in one
    sitting): the decider knows its own plan. Each approval is written into ``projected``.
    Approved indices go to ``out_order``; returns how many.
    """
    count = attribute.shape[0]
    touched = np.zeros(projected.shape, dtype=np.bool_)
    approved = 0
    if best_first:
        while approved < budget:
            best = -1
            best_value = 0.0
            for c in range(count):
                if (touched[variant[c], attribute[c]]
                        or projected[variant[c], attribute[c]] == value[c]):
                    continue
                if judged[c] > best_value:
                    best = c
                    best_value = judged[c]
            if best < 0:
                break
            touched[variant[best], attribute[best]] = True
            projected[variant[best], attribute[best]] = value[best]
            out_order[approved] = best
            approved += 1
        return approved
    for c in range(count):
        if approved >= budget:
            break
        if touched[variant[c], attribute[c]] or projected[variant[c], attribute[c]] == value[c]:
            continue
        if judged[c] > 0.0:
            touched[variant[c], attribute[c]] = True
            projected[variant[c], attribute[c]] = value[c]
            out_order[approved] = c
            approved += 1
    return approved


@kernel
def choose_surveyed(reported, slots, best_first, out_surveyed):
    """Which candidates a top's staff surveys (``out_surveyed``, bool (c,)): ``slots`` of
    them, the best-reported first when ``best_first`` (ties to the earlier arrival, NaN last:
    the first ``slots`` of a stable sort of ``-reported``), else the first arrived."""
    count = reported.shape[0]
    out_surveyed[:] = False
    for k in range(min(max(slots, 0), count)):
        if not best_first:
            out_surveyed[k] = True
            continue
        # The best report not yet picked (a selection, not a sort: a handful of slots, and
        # Numba takes seconds to compile a sort on a first run).
        best = -1
        for c in range(count):
            if out_surveyed[c]:
                continue
            if (best < 0 or (np.isnan(reported[best]) and not np.isnan(reported[c]))
                    or reported[c] > reported[best]):
                best = c
        out_surveyed[best] = True


@kernel
def less_hurdles(judged, attribute, variant, known_cost, variants, variant_of_segment,
                 segment_worth, annuity):
    """Subtract from each judged value (in place) the value its change must bring to pay its
    retooling cost (``known_cost`` per attribute) over the payback horizon: ``cost / (worth
    x annuity)`` where the cost is positive (infinite when the variant's worth is not
    positive), nothing where it is not. A variant's worth (of ``variants``) is the sum of
    ``segment_worth`` over the segments it serves (``variant_of_segment``), added in
    segment order.

    The rule of :func:`simulation.core.economics.hurdles`, element by element (the same
    sums, division and subtraction, so the same numbers)."""
    worth = np.zeros(variants)
    for s in range(variant_of_segment.shape[0]):
        worth[variant_of_segment[s]] += segment_worth[s]
    for c in range(judged.shape[0]):
        cost = known_cost[attribute[c]]
        if cost > 0:
            rate = worth[variant[c]] * annuity
            judged[c] = judged[c] - (cost / rate if rate > 0 else np.inf)
        else:
            judged[c] = judged[c] - 0.0


@kernel
def logit_worth(buyers, active, price_sensitivity, out_worth):
    """Revenue per step of one unit of normalised value in each segment: the slope of the
    logistic choice at the segment's sales, ``price x beta x n x q (1 - q)`` (``n`` active
    customers, ``q`` the share buying, 0 without active customers; ``price_sensitivity`` is
    ``price x beta``). The products of :meth:`simulation.core.economics.Economics.value_worth`
    in the same order, so the same numbers."""
    for s in range(out_worth.shape[0]):
        n = float(active[s])
        share = buyers[s] / n if n > 0 else 0.0
        out_worth[s] = price_sensitivity * n * share * (1.0 - share)
