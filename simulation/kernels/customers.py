"""Customer step: experience, voices, word of mouth as contagion, media and the choice.

Arrays (length ``C`` = all customers, including not-yet-arrived ones, unless stated)
------------------------------------------------------------------------------------
active, buying : uint8            whether the customer is in the market / buys now (in-out)
segment : int64                    the customer's segment
taste : float64                    persistent taste offset added to the product's value
belief : float64                   perceived value of the firm's product (in-out)
satisfaction : float64             logistic score of the last own experience, in [0, 1] (in-out)
sentiment : float64                attitude to the firm in [-1, 1], from belief (out)
threshold : float64                defection threshold phi_i (Watts 2002), persistent
opinion : float64                  scratch/out: what the customer says this step
voice : int8                       out: 0 silent, +-1 voiced to strong ties, +-2 to all ties
indptr (C+1), indices : int64/int32  the social network in CSR form
tie_strong : uint8 (indices.size,) 1 strong tie, 0 weak tie (CSR-aligned)
tie_weight : float64               weight of all of the customer's ties
                                   (:func:`contagion.tie_weight_sums` with ``weak_tie_weight``)
media_sum, media_count : float64   sum and number of the messages media broadcast to each
                                   customer this step (see :func:`media_exposure`)
media_positive, media_negative : float64  weight of media stories for / against the firm
                                   reaching each customer (sum of |stance| by sign)
firm_voices : float64              answers the firm's people gave each customer this step
heard : float64 (C, 4)             out: what each customer hears from its neighbours, one
                                   row per customer (positive, negative, weight, said:
                                   :func:`contagion.spread_voices`; the network must be
                                   undirected with ascending neighbour lists and symmetric
                                   tie flags)
talk_draw, choice_draw : float64 uniforms on [0, 1)
experience_draw : float64          standard normals
value_of_segment : float64 (S,)    normalised fitness of the product variant the segment buys
per-segment outputs (S,): buyers, active_count, satisfaction_sum, sentiment_sum (filled)

Rule (one step, all customers updated synchronously from this step's voices)
---------------------------------------------------------------------------
With ``x = beta / 2 * (opinion - outside)`` and ``e = |x| / (1 + |x|)`` (how extreme the
opinion is), ``n = negativity`` if ``opinion < outside`` else 1:

1. A buyer experiences ``v = value[segment] + taste + experience_noise * z``; its opinion is
   ``(1 - experience_weight) * belief + experience_weight * v`` and its satisfaction
   ``logistic(beta * (v - outside))``. Others keep their belief as opinion. Only buyers
   voice: word of mouth is about experiences (Goldenberg, Libai, Moldovan & Muller 2007), and
   Bass's imitation comes from adopters.
2. Voice. An active buyer talks with probability
   ``c = min(1, n * talk_rate * (1 + amplification * e))`` (Anderson 1998: an asymmetric U;
   bad experiences are voiced more often). A talking voice crosses weak ties too with
   probability ``f = n * amplification * e / (1 + n * amplification * e)`` (the share of its
   talking that extremeness adds; negative voices travel further). One uniform ``u``:
   talks if ``u < c``, far if ``u < c * f``. The voice is positive if ``opinion >= outside``.
3. Hearing (:func:`contagion.spread_voices`, which is :func:`contagion.voices_heard` for
   every customer): ties weigh 1 (strong) or ``weak_weight``; the firm's answers weigh 1
   each and say ``value[segment]`` (the product's true current value; positive if it beats
   the outside option); media stories weigh ``|stance|``. With ``D`` the
   total weight (ties + answers + stories), ``pos`` / ``neg`` the shares of ``D`` carrying a
   positive / negative voice. The belief moves toward the mean heard opinion (neighbours'
   and answers') by ``word_of_mouth_weight``, then toward the media's messages by
   ``media_influence`` each.
4. Choice, with ``p = logistic(beta * (belief - outside))`` and one uniform ``u``:
   a buyer whose ``neg >= threshold`` reconsiders at once (complex contagion, Granovetter
   1978, Watts 2002: the threshold is the trigger) and defects iff ``u >= p`` (a cascade
   defection); otherwise, if ``u < reconsider_rate``, it keeps buying iff
   ``u / reconsider_rate < p``. A non-buyer adopts iff ``u < h * p`` with the Bass (1969)
   hazard ``h = reconsider_rate + imitation * pos`` (innovation + imitation x share).
   Sentiment is ``2 p - 1``.

Returns the number of threshold defections (cascade defections) of the step.
"""

import math

import numpy as np
from numba import prange

from simulation.kernels._config import kernel, one_thread_kernel, threaded_kernel
from simulation.kernels.contagion import (
    HEARD_NEGATIVE,
    HEARD_POSITIVE,
    HEARD_SAID,
    HEARD_WEIGHT,
    bass_hazard,
    spread_voices,
    spread_voices_threads,
    voice_level,
)


@kernel
def _logistic(x):
    return 1.0 / (1.0 + math.exp(-x))


# Division checks off (error_model="numpy"): every division has a positive divisor or a guard
# (x / (1 + x) and push / (1 + push) with x, push >= 0; said / weight, share / total and
# u / reconsider_rate each behind a test), so the checks the default model compiles in only
# cost. The same numbers wherever the default would not raise.
@kernel
def segment_sums(active, segment, buying, satisfaction, sentiment, buyers, active_count,
                 satisfaction_sum, sentiment_sum):
    """Per segment: active customers, buyers, and the sums of sentiment (over the active) and
    of satisfaction (over the buyers), added customer by customer in customer order.

    Customers come in blocks of one segment: each sum is held in a register while the segment
    stays, then stored (the same additions in the same order as adding into the arrays
    customer by customer). Kept sequential so the sums' order, and so their last bits, do not
    depend on how many threads ran the step.
    """
    buyers[:] = 0
    active_count[:] = 0
    satisfaction_sum[:] = 0.0
    sentiment_sum[:] = 0.0
    segment_now = -1
    count_now = 0
    buyers_now = 0
    sentiment_now = 0.0
    satisfaction_now = 0.0
    for i in range(active.shape[0]):
        if active[i] == 0:
            continue
        s = segment[i]
        if s != segment_now:
            if segment_now >= 0:
                active_count[segment_now] = count_now
                buyers[segment_now] = buyers_now
                sentiment_sum[segment_now] = sentiment_now
                satisfaction_sum[segment_now] = satisfaction_now
            segment_now = s
            count_now = active_count[s]
            buyers_now = buyers[s]
            sentiment_now = sentiment_sum[s]
            satisfaction_now = satisfaction_sum[s]
        count_now += 1
        sentiment_now += sentiment[i]
        if buying[i] != 0:
            buyers_now += 1
            satisfaction_now += satisfaction[i]
    if segment_now >= 0:
        active_count[segment_now] = count_now
        buyers[segment_now] = buyers_now
        sentiment_sum[segment_now] = sentiment_now
        satisfaction_sum[segment_now] = satisfaction_now


@kernel
def _hear(indptr, indices, tie_strong, weak_weight, voice, opinion, heard, parts):
    """Who hears what, on one thread: :func:`contagion.spread_voices` (``parts`` unused)."""
    spread_voices(indptr, indices, tie_strong, weak_weight, voice, opinion, heard)


@kernel
def _hear_threads(indptr, indices, tie_strong, weak_weight, voice, opinion, heard, parts):
    """Who hears what, the hearers split into ``parts`` parts on as many threads
    (:func:`contagion.spread_voices_threads`) if ``parts > 1``, else on one thread; the same
    numbers either way."""
    if parts > 1:
        spread_voices_threads(indptr, indices, tie_strong, weak_weight, voice, opinion, heard,
                              parts)
    else:
        spread_voices(indptr, indices, tie_strong, weak_weight, voice, opinion, heard)


@kernel
def draw_customer_numbers(rng, draws):
    """One customer step's random numbers from ``rng`` (a NumPy ``Generator``), in the seed
    rule's order: the talk uniforms of every customer (``draws[0]``), their choice uniforms
    (``draws[1]``), then their experience normals (``draws[2]``).

    Numba draws with NumPy's own algorithms from the same bit generator, so ``draws`` holds
    exactly ``rng.random((2, n))`` stacked on ``rng.standard_normal(n)``, and ``rng`` is left
    in the same state; compiled, it needs no GIL, and it fills an array it is given instead
    of making new ones.
    """
    n = draws.shape[1]
    for row in range(2):
        for i in range(n):
            draws[row, i] = rng.random()
    for i in range(n):
        draws[2, i] = rng.standard_normal()


def _customer_step(
    active, buying, segment, taste, belief, satisfaction, sentiment, threshold, opinion, voice,
    indptr, indices, tie_strong, weak_tie_weight, tie_weight,
    media_sum, media_count, media_influence, media_positive, media_negative, firm_voices,
    heard, value_of_segment, outside,
    talk_draw, choice_draw, experience_draw,
    experience_noise, experience_weight, talk_rate, amplification, negativity,
    word_of_mouth_weight, imitation, beta, reconsider_rate,
    buyers, active_count, satisfaction_sum, sentiment_sum, split_parts=1,
    next_draws=None, rng=None, voice_bounds=None,
):
    """One customer step; see the module docstring for the rule and the arrays.

    ``split_parts``: into how many parts the threaded kernel splits the hearers, one per
    thread (1: the hearing runs on one thread; :func:`simulation.kernels.threads.split_parts`);
    the one-thread kernel ignores it. The same numbers for any value.

    ``next_draws`` and ``rng``, if given: the next step's draws are made into ``next_draws``
    (:func:`draw_customer_numbers` from ``rng``) beside the first pass, by the thread that
    also runs the first pass for customers ``voice_bounds[0]:voice_bounds[1]``; the others
    run ``voice_bounds[k]:voice_bounds[k + 1]``, one range each
    (:func:`simulation.kernels.threads.voice_bounds` balances them). The draws do not depend
    on the state, so this changes no number; it takes them off the GIL and off the other
    passes' critical path.

    Three passes: each customer's experience and voice; who hears what (one sequential
    push of the voices); each customer's belief and choice; then the per-segment sums, in
    customer order. The first and third passes touch only customer ``i``'s entries, so they
    run on several threads (``prange``) in :func:`customer_step_threads` with the same
    numbers; here ``prange`` is a plain ``range``.
    """
    n = active.shape[0]
    if voice_bounds is None:
        voice_bounds = np.array([0, n], dtype=np.int64)
    # 1. Experience and voice (rule steps 1 and 2); beside them, the next step's draws.
    for part in prange(voice_bounds.shape[0] - 1):
        if part == 0 and next_draws is not None:
            draw_customer_numbers(rng, next_draws)
        for i in range(voice_bounds[part], voice_bounds[part + 1]):
            held = belief[i]
            if active[i] == 0 or buying[i] == 0:
                opinion[i] = held
                voice[i] = 0
                continue
            experienced = (value_of_segment[segment[i]] + taste[i]
                           + experience_noise * experience_draw[i])
            said = (1.0 - experience_weight) * held + experience_weight * experienced
            opinion[i] = said
            satisfaction[i] = _logistic(beta * (experienced - outside))
            voice[i] = voice_level(said, outside, beta, talk_rate, amplification, negativity,
                                   talk_draw[i])
    # 2. Who hears what (rule step 3, first part).
    _hear(indptr, indices, tie_strong, weak_tie_weight, voice, opinion, heard, split_parts)
    # 3. Beliefs move toward the voices and answers heard, then toward the media; then the
    # choice (rule step 4). Customer i's entries only.
    defections = 0
    for i in prange(n):
        if active[i] == 0:
            continue
        s = segment[i]
        weight = heard[i, HEARD_WEIGHT]
        said = heard[i, HEARD_SAID]
        answers = firm_voices[i]
        if answers > 0.0:
            weight += answers
            said += answers * value_of_segment[s]
        new_belief = opinion[i]
        if weight > 0.0:
            new_belief += word_of_mouth_weight * (said / weight - opinion[i])
        belief[i] = new_belief + media_influence * (media_sum[i] - media_count[i] * new_belief)
        buy_chance = _logistic(beta * (belief[i] - outside))
        sentiment[i] = 2.0 * buy_chance - 1.0
        total = tie_weight[i] + answers + media_positive[i] + media_negative[i]
        truth_beats_outside = value_of_segment[s] >= outside
        u = choice_draw[i]
        if buying[i] != 0:
            negative = heard[i, HEARD_NEGATIVE]
            if answers > 0.0 and not truth_beats_outside:
                negative += answers
            negative += media_negative[i]
            negative_share = negative / total if total > 0.0 else 0.0
            if negative_share >= threshold[i]:
                # The threshold triggers reconsideration now; the choice decides.
                keeps = u < buy_chance
                defections += 0 if keeps else 1
            else:
                keeps = u >= reconsider_rate or u / reconsider_rate < buy_chance
        else:
            positive = heard[i, HEARD_POSITIVE]
            if answers > 0.0 and truth_beats_outside:
                positive += answers
            positive += media_positive[i]
            positive_share = positive / total if total > 0.0 else 0.0
            keeps = u < bass_hazard(reconsider_rate, imitation, positive_share) * buy_chance
        buying[i] = 1 if keeps else 0
    # 4. The per-segment sums, in customer order.
    segment_sums(active, segment, buying, satisfaction, sentiment, buyers, active_count,
                 satisfaction_sum, sentiment_sum)
    return defections


#: The customer step on one thread (``prange`` compiles as ``range``). Returns the number of
#: threshold defections (cascade defections) of the step.
customer_step = one_thread_kernel(_customer_step, "customer_step", error_model="numpy")

#: The same step with its per-customer passes on Numba's threads: the same numbers as
#: :data:`customer_step` for any number of threads (no pass adds floats across customers;
#: the cascade defections are an integer count). Chosen by
#: :func:`simulation.core.customers.customer_step` when
#: :func:`simulation.kernels.threads.threads_for` gives more than one thread.
customer_step_threads = threaded_kernel(_customer_step, "customer_step_threads",
                                        error_model="numpy", _hear=_hear_threads)


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


def _media_messages(kind, stance, media_kind, outside, tone, reach_ptr, reach, out_sum,
                    out_count, out_positive, out_negative, parts=1):
    """All that media tell each customer this step, in one pass over their audiences.

    Medium ``m`` is the ``m``-th stakeholder whose ``kind`` is ``media_kind`` (in stakeholder
    order); it reaches ``reach[reach_ptr[m]:reach_ptr[m+1]]``, broadcasts the opinion
    ``outside + tone * stance`` (in value units) and tells a story for the firm weighing
    ``max(stance, 0)`` or against it weighing ``max(-stance, 0)``. Each customer gets the sum
    and the count of the broadcasts and the weights of the stories for and against, summed in
    media order: what :func:`media_exposure` gives called once per quantity, in one pass and
    with no array made per step.

    ``parts``: the customers are split into that many contiguous parts, one per thread in
    :data:`media_messages_threads`; each part visits every audience in media order but adds
    only to its own customers, so every customer's sums are added in the same order: the same
    numbers for any ``parts``.
    """
    n = out_sum.shape[0]
    for part in prange(parts):
        low = part * n // parts
        high = (part + 1) * n // parts
        out_sum[low:high] = 0.0
        out_count[low:high] = 0.0
        out_positive[low:high] = 0.0
        out_negative[low:high] = 0.0
        m = 0
        for k in range(kind.shape[0]):
            if kind[k] != media_kind:
                continue
            said = outside + tone * stance[k]
            positive = max(stance[k], 0.0)
            negative = max(-stance[k], 0.0)
            for p in range(reach_ptr[m], reach_ptr[m + 1]):
                c = reach[p]
                if c < low or c >= high:
                    continue
                out_sum[c] += said
                out_count[c] += 1.0
                out_positive[c] += positive
                out_negative[c] += negative
            m += 1


#: The media's messages on one thread (``parts`` 1; ``prange`` compiles as ``range``).
media_messages = one_thread_kernel(_media_messages, "media_messages")

#: The same on Numba's threads, the customers split into ``parts`` (the same numbers).
media_messages_threads = threaded_kernel(_media_messages, "media_messages_threads")


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
