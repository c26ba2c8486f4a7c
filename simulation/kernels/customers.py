"""Customer step: experience, word of mouth, media, and the logistic buy/churn choice.

Arrays (length ``C`` = all customers, including not-yet-arrived ones, unless stated)
------------------------------------------------------------------------------------
active, buying : uint8            whether the customer is in the market / buys now (in-out)
segment : int64                    the customer's segment
taste : float64                    persistent taste offset added to the product's value
belief : float64                   perceived value of the firm's product (in-out)
satisfaction : float64             logistic score of the last own experience, in [0, 1] (in-out)
sentiment : float64                attitude to the firm in [-1, 1], from belief (out)
opinion, talks : float64, uint8    scratch: what the customer would say, whether it talks
indptr (C+1), indices : int64/int32  the social network in CSR form
media_sum, media_count : float64   sum and number of the opinions media broadcast to each
                                   customer this step (see :func:`media_exposure`)
talk_draw, choice_draw : float64 uniforms on [0, 1)
experience_draw : float64          standard normals
value_of_segment : float64 (S,)    normalised fitness of the product variant the segment buys
per-segment outputs (S,): buyers, active_count, satisfaction_sum, sentiment_sum (filled)

Rule (one step, all customers updated synchronously from the previous step's opinions)
--------------------------------------------------------------------------------------
1. A buyer experiences ``v = value[segment] + taste + experience_noise * z`` and moves its
   belief toward it: ``opinion = (1 - experience_weight) * belief + experience_weight * v``;
   its satisfaction becomes ``logistic(beta * (v - outside))``. Others keep their belief.
2. Each customer talks with probability ``min(1, talk_rate * (1 + amplification * e))``,
   where ``e = |x| / (1 + |x|)``, ``x = beta / 2 * (opinion - outside)``, is how extreme its
   opinion is (0 when indifferent, toward 1 when extreme): extreme opinions travel further.
3. A customer who heard talking neighbours moves toward their mean opinion by
   ``word_of_mouth_weight``; each medium that reaches it pulls it toward the opinion the
   medium broadcasts by ``media_influence`` (so media persuade, but never without bound).
4. With probability ``reconsider_rate`` it reconsiders and buys with probability
   ``p = logistic(beta * (belief - outside))`` (the competitors' offer is the outside
   option). One uniform ``u`` serves both draws: it reconsiders if ``u < reconsider_rate``
   and then buys if ``u / reconsider_rate < p`` (a fresh uniform given the first).
   Its sentiment is ``2 p - 1`` (= ``tanh(beta / 2 * (belief - outside))``).
"""

import math

from ._config import kernel


@kernel
def _logistic(x):
    return 1.0 / (1.0 + math.exp(-x))


@kernel
def customer_step(
    active, buying, segment, taste, belief, satisfaction, sentiment, opinion, talks,
    indptr, indices, media_sum, media_count, media_influence, value_of_segment, outside,
    talk_draw, choice_draw, experience_draw,
    experience_noise, experience_weight, talk_rate, amplification, word_of_mouth_weight,
    beta, reconsider_rate,
    buyers, active_count, satisfaction_sum, sentiment_sum,
):
    """One customer step; see the module docstring for the rule and the arrays."""
    n = active.shape[0]
    for i in range(n):
        opinion[i] = belief[i]
        if active[i] != 0 and buying[i] != 0:
            experienced = (value_of_segment[segment[i]] + taste[i]
                           + experience_noise * experience_draw[i])
            opinion[i] = (1.0 - experience_weight) * belief[i] + experience_weight * experienced
            satisfaction[i] = _logistic(beta * (experienced - outside))
        x = abs(0.5 * beta * (opinion[i] - outside))
        chance = min(1.0, talk_rate * (1.0 + amplification * (x / (1.0 + x))))
        talks[i] = 1 if (active[i] != 0 and talk_draw[i] < chance) else 0
    buyers[:] = 0
    active_count[:] = 0
    satisfaction_sum[:] = 0.0
    sentiment_sum[:] = 0.0
    for i in range(n):
        if active[i] == 0:
            continue
        heard_sum = 0.0
        heard_count = 0
        for p in range(indptr[i], indptr[i + 1]):
            # Branch-free: a silent neighbour adds exactly 0.0, so the sum is unchanged.
            j = indices[p]
            heard_sum += opinion[j] * talks[j]
            heard_count += talks[j]
        new_belief = opinion[i]
        if heard_count > 0:
            new_belief += word_of_mouth_weight * (heard_sum / heard_count - opinion[i])
        belief[i] = new_belief + media_influence * (media_sum[i] - media_count[i] * new_belief)
        buy_chance = _logistic(beta * (belief[i] - outside))
        sentiment[i] = 2.0 * buy_chance - 1.0
        if choice_draw[i] < reconsider_rate:
            buying[i] = 1 if choice_draw[i] / reconsider_rate < buy_chance else 0
        s = segment[i]
        active_count[s] += 1
        sentiment_sum[s] += sentiment[i]
        if buying[i] != 0:
            buyers[s] += 1
            satisfaction_sum[s] += satisfaction[i]


@kernel
def media_exposure(reach_ptr, reach, broadcast, out_sum, out_count):
    """What media tell each customer.

    Medium ``m`` reaches customers ``reach[reach_ptr[m]:reach_ptr[m+1]]`` and broadcasts the
    opinion ``broadcast[m]`` (in value units); each customer gets the sum and the count.
    """
    out_sum[:] = 0.0
    out_count[:] = 0.0
    for m in range(broadcast.shape[0]):
        for p in range(reach_ptr[m], reach_ptr[m + 1]):
            out_sum[reach[p]] += broadcast[m]
            out_count[reach[p]] += 1.0


@kernel
def reached_mean(reach_ptr, reach, values, active, out):
    """Mean of ``values`` over the active customers each medium reaches (0 if none)."""
    for m in range(out.shape[0]):
        total = 0.0
        count = 0
        for p in range(reach_ptr[m], reach_ptr[m + 1]):
            c = reach[p]
            if active[c] != 0:
                total += values[c]
                count += 1
        out[m] = total / count if count > 0 else 0.0
