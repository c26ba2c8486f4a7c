"""Customer step of a market of several firms: experience, voices per firm, word of mouth per
firm, media per firm, and the choice among the firms' products and the outside option.

The rule is the single-firm rule of :mod:`simulation.kernels.customers`, held per firm; with
one firm it is that rule, operation for operation (the same numbers bit for bit).

Arrays (``F`` firms, ``C`` customers, ``S`` segments; ``(F, C)`` arrays are C-ordered, so
row ``f`` is what customers think of, say about or hear about firm ``f``)
-------------------------------------------------------------------------------------------
present : uint8 (F,)              firm ``f`` is in the market this step
current : int64 (C,)              the firm the customer buys from, -1 none (in-out)
buying : uint8 (F, C)             ``current == f`` (out)
active, segment, taste, threshold, indptr, indices, tie_strong, tie_weight : as in
                                  :mod:`simulation.kernels.customers` (shared by the firms)
belief, satisfaction, sentiment, opinion : float64 (F, C)   per firm (in-out / out)
voice : int8 (F, C)               out: a customer voices only about the firm it buys from
media_sum, media_count, media_positive, media_negative, firm_voices : float64 (F, C)
                                  what each firm's media and people tell each customer
heard : float64 (F, C, 4)         scratch: what each customer hears about each firm from its
                                  neighbours (the columns of contagion.spread_voices' rows)
value_of_segment : float64 (F, S) normalised fitness of each firm's variant for each segment
talk_draw, choice_draw, experience_draw : (C,) one draw each per customer and step
outputs: buyers, satisfaction_sum, sentiment_sum (F, S); active_count (S,);
defections (F,): threshold (cascade) defections from each firm
moved : int64 (F + 1, F + 1)      out: customers who went from option ``a`` to ``b`` this
                                  step (index 0 the outside option, ``g + 1`` firm ``g``;
                                  the diagonal stays 0), counted where they choose
weight, against : float64 (F, C)  scratch: ``exp(x_g)`` and ``exp(-x_g)`` (see rule 3)

Rule (changes against one firm)
-------------------------------
1. A buyer of firm ``f`` experiences ``f``'s product and may voice about ``f`` (the
   single-firm rule with ``value_of_segment[f]``). Its opinion of every other firm is its
   belief.
2. Per present firm ``g``: voices about ``g`` spread over the network (all firms' voices
   in one pass: see step 2 of the code); beliefs about ``g`` move toward what was heard
   about ``g`` and toward ``g``'s media (single-firm rule).
3. Choice. With ``x_g = beta (belief_g - outside)`` and ``w_g = exp(x_g)``, the logit
   probability of firm ``g`` among the present firms and the outside option is
   ``P_g = 1 / (1 + exp(-x_g) (1 + sum_{h != g} w_h))`` (with one firm ``logistic(x)``;
   with several ``exp(-x_g)`` is computed as ``1 / w_g``);
   sentiment about ``g`` is ``2 logistic(x_g) - 1`` (attitude to ``g`` against the outside
   option). A buyer of ``f`` whose negative share about ``f`` reaches its threshold
   reconsiders with ``v = u``; otherwise, if ``u < reconsider_rate``, with
   ``v = u / reconsider_rate``; otherwise it stays (inertia). Reconsidering, it stays with
   ``f`` if ``v < P_f``, else takes the next other present firm ``g`` (in the market's
   order) whose cumulative ``P`` exceeds ``v``, else the outside option. A non-buyer adopts
   firm ``g`` with probability ``h_g P_g``, ``h_g`` the Bass hazard of the voices about
   ``g`` (scaled down together if they sum above 1); one uniform, cumulative in the
   market's order. Where in the order a firm stands changes no probability.
"""

import math

import numpy as np

from simulation.kernels._config import kernel
from simulation.kernels.contagion import (
    HEARD_NEGATIVE,
    HEARD_POSITIVE,
    HEARD_SAID,
    HEARD_WEIGHT,
    bass_hazard,
    push_voice,
    voice_level,
)


@kernel(error_model="numpy")
def _share(heard, side, firm_voices, media_positive, media_negative, tie_weight, truth, outside,
           g, i):
    """The share of customer ``i``'s total weight (ties, answers, stories) about firm ``g``
    that carries a positive (``side`` ``HEARD_POSITIVE``) or negative (``HEARD_NEGATIVE``)
    voice; ``truth`` is what the firm's answers say (its product's value for ``i``'s
    segment). The additions of rule step 2, in its order; 0 for a customer with no ties,
    answers or stories."""
    voiced = heard[g, i, side]
    answers = firm_voices[g, i]
    if answers > 0.0 and (truth >= outside) == (side == HEARD_POSITIVE):
        voiced += answers
    voiced += media_positive[g, i] if side == HEARD_POSITIVE else media_negative[g, i]
    total = tie_weight[i] + answers + media_positive[g, i] + media_negative[g, i]
    return voiced / total if total > 0.0 else 0.0


# Division checks off (error_model="numpy"): every division here has a positive divisor or a
# guard, so the checks the default model compiles in (to raise ZeroDivisionError) only cost.
@kernel(error_model="numpy")
def market_customer_step(
    present, current, buying, active, segment, taste, belief, satisfaction, sentiment,
    threshold, opinion, voice, indptr, indices, tie_strong, weak_tie_weight, tie_weight,
    media_sum, media_count, media_influence, media_positive, media_negative, firm_voices,
    heard,
    value_of_segment, outside, talk_draw, choice_draw, experience_draw,
    experience_noise, experience_weight, talk_rate, amplification, negativity,
    word_of_mouth_weight, imitation, beta, reconsider_rate,
    buyers, active_count, satisfaction_sum, sentiment_sum, defections, moved, weight, against,
):
    """One customer step of a market of several firms; see the module docstring."""
    firms = present.shape[0]
    n = active.shape[0]
    # 1. Experience and voice, about the firm each buyer buys from (rows first: contiguous).
    for g in range(firms):
        for i in range(n):
            opinion[g, i] = belief[g, i]
            voice[g, i] = 0
            # The hearing rows are cleared here, in this pass, rather than in one of their own.
            heard[g, i, HEARD_POSITIVE] = 0.0
            heard[g, i, HEARD_NEGATIVE] = 0.0
            heard[g, i, HEARD_WEIGHT] = 0.0
            heard[g, i, HEARD_SAID] = 0.0
    for i in range(n):
        if active[i] == 0:
            continue
        f = current[i]
        if f < 0:
            continue
        experienced = (value_of_segment[f, segment[i]] + taste[i]
                       + experience_noise * experience_draw[i])
        opinion[f, i] = (1.0 - experience_weight) * belief[f, i] + experience_weight * experienced
        satisfaction[f, i] = 1.0 / (1.0 + math.exp(-(beta * (experienced - outside))))
        voice[f, i] = voice_level(opinion[f, i], outside, beta, talk_rate, amplification,
                                  negativity, talk_draw[i])
    buyers[:, :] = 0
    active_count[:] = 0
    satisfaction_sum[:, :] = 0.0
    sentiment_sum[:, :] = 0.0
    defections[:] = 0
    moved[:, :] = 0
    # 2. Word of mouth and media. The voices about every firm spread in one pass over the
    # voicers (a customer voices about one firm at most), each to its firm's rows: for each
    # firm and hearer the sums run over the voicers in ascending order, as
    # contagion.spread_voices gives them firm by firm, while the network is read once, in
    # order, instead of once per firm at that firm's scattered voicers. A hearer's four sums
    # about a firm are adjacent in memory (each voice updates three of them).
    for j in range(n):
        f = current[j]
        # Only buyers voice, and only voices about a firm in the market are heard.
        if f < 0 or present[f] == 0:
            continue
        v = voice[f, j]
        if v == 0:
            continue
        push_voice(indptr, indices, tie_strong, weak_tie_weight, j, v, opinion[f, j], heard,
                   f, 0, n)
    for g in range(firms):
        if present[g] == 0:
            continue
        for i in range(n):
            if active[i] == 0:
                continue
            voiced = heard[g, i, HEARD_WEIGHT]
            said = heard[g, i, HEARD_SAID]
            answers = firm_voices[g, i]
            if answers > 0.0:
                voiced += answers
                said += answers * value_of_segment[g, segment[i]]
            new_belief = opinion[g, i]
            if voiced > 0.0:
                new_belief += word_of_mouth_weight * (said / voiced - opinion[g, i])
            belief[g, i] = new_belief + media_influence * (
                media_sum[g, i] - media_count[g, i] * new_belief)
    # 3. The choice among the present firms and the outside option. First, firm by firm, the
    # sentiment about each firm and its sums per segment (the running sum held while the
    # segment stays: customers come in blocks of one segment), keeping the weights the
    # choice needs.
    chance = np.zeros(firms)
    hazard = np.zeros(firms)
    here = 0
    for g in range(firms):
        if present[g] != 0:
            here += 1
    for g in range(firms):
        if present[g] == 0:
            continue
        segment_now = -1
        running = 0.0
        for i in range(n):
            if active[i] == 0:
                continue
            # One firm: exp(-x) as the single-firm logistic computes it; several: 1 / exp(x)
            # (one exponential per firm and customer instead of two).
            if here > 1:
                weight[g, i] = math.exp(beta * (belief[g, i] - outside))
                against[g, i] = 1.0 / weight[g, i]
            else:
                against[g, i] = math.exp(-(beta * (belief[g, i] - outside)))
            sentiment[g, i] = 2.0 * (1.0 / (1.0 + against[g, i])) - 1.0
            s = segment[i]
            if s != segment_now:
                if segment_now >= 0:
                    sentiment_sum[g, segment_now] = running
                segment_now = s
                running = sentiment_sum[g, s]
            running += sentiment[g, i]
        if segment_now >= 0:
            sentiment_sum[g, segment_now] = running
    for i in range(n):
        if active[i] == 0:
            continue
        s = segment[i]
        u = choice_draw[i]
        f = current[i]
        before = f
        if f >= 0 and present[f] == 0:
            f = -1  # its firm left the market: the customer chooses afresh
            current[i] = -1
        v = -1.0  # where a reconsidering buyer's draw falls (-1: it stays, inertia)
        # The shares of voices heard are computed here, only where the choice reads them: the
        # negative share about a buyer's firm, the positive ones for a non-buyer.
        triggered = False
        if f >= 0:
            triggered = _share(heard, HEARD_NEGATIVE, firm_voices, media_positive,
                               media_negative, tie_weight, value_of_segment[f, s], outside,
                               f, i) >= threshold[i]
            if triggered:
                v = u
            elif u < reconsider_rate:
                v = u / reconsider_rate
        if f < 0 or v >= 0.0:
            # The logit probabilities, for those who choose (most buyers stay this step).
            for g in range(firms):
                if present[g] == 0:
                    chance[g] = 0.0
                    continue
                others = 1.0
                for h in range(firms):
                    if h != g and present[h] != 0:
                        others += weight[h, i]
                chance[g] = 1.0 / (1.0 + against[g, i] * others)
        if f >= 0:
            if v >= 0.0:
                choice = -1
                cumulative = chance[f]
                if v < cumulative:
                    choice = f
                else:
                    for g in range(firms):
                        if g != f and present[g] != 0:
                            cumulative += chance[g]
                            if v < cumulative:
                                choice = g
                                break
                if choice != f and triggered:
                    defections[f] += 1
                current[i] = choice
        else:
            total_hazard = 0.0
            for g in range(firms):
                if present[g] != 0:
                    share = _share(heard, HEARD_POSITIVE, firm_voices, media_positive,
                                   media_negative, tie_weight, value_of_segment[g, s], outside,
                                   g, i)
                    hazard[g] = bass_hazard(reconsider_rate, imitation, share) * chance[g]
                    total_hazard += hazard[g]
            scale = 1.0 / total_hazard if total_hazard > 1.0 else 1.0
            cumulative = 0.0
            choice = -1
            for g in range(firms):
                if present[g] != 0:
                    cumulative += hazard[g] * scale
                    if u < cumulative:
                        choice = g
                        break
            current[i] = choice
        active_count[s] += 1
        f = current[i]
        if f != before:
            moved[before + 1, f + 1] += 1
        if f >= 0:
            buyers[f, s] += 1
            satisfaction_sum[f, s] += satisfaction[f, i]
    # Who buys from whom (a pass per firm: contiguous rows).
    for g in range(firms):
        for i in range(n):
            buying[g, i] = 1 if current[i] == g else 0
