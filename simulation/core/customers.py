"""The customer submodel: the population, media exposure, experience, talk and choice.

The rules are in ``docs/ODD.md`` section 7, "Customers": word of mouth is a contagion
(Bass-type adoption, threshold defection, strong and weak ties, negative voices louder), run
by :func:`simulation.kernels.customers.customer_step` with the functions of
:mod:`simulation.kernels.contagion`.

:func:`build_customers` makes the population's arrays (segments in contiguous blocks, the
social network, tastes, initial beliefs and purchases); :func:`customer_step` pushes the
media's messages and runs :func:`simulation.kernels.customers.customer_step`, which lets
customers experience, talk and choose, and sums the results per segment.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from simulation.config.vocabulary import MEDIA
from simulation.core.networks import build_network
from simulation.kernels import contagion, threads
from simulation.kernels import customers as customer_kernels


@dataclass
class CustomerPopulation:
    """Every customer as arrays (index = customer number), plus per-segment sums.

    Customers of segment ``s`` are ``segment_start[s]:segment_start[s + 1]``; those of a
    segment that has not arrived yet are inactive. ``indptr``/``indices`` is the social
    network (CSR). The ``*_sum``, ``buyers`` and ``active_count`` arrays are filled by the
    kernel each step; ``opinion``, ``voice`` and ``media_*`` are its scratch space (``voice``
    and ``opinion`` hold what each customer said in the last step). ``tie_strong`` flags each
    tie (CSR-aligned) as strong or weak; ``threshold`` is each customer's defection threshold;
    ``firm_voices`` the answers the firm's people give each customer this step
    (:mod:`simulation.core.conversation`); ``heard`` (one row per customer) what each heard
    from its neighbours in the last step (:func:`simulation.kernels.contagion.spread_voices`).
    """

    segment: np.ndarray
    segment_start: np.ndarray
    segment_sizes: np.ndarray
    segment_active: np.ndarray
    segment_arrival: dict[int, int]
    active: np.ndarray
    indptr: np.ndarray
    indices: np.ndarray
    taste: np.ndarray
    is_partner: np.ndarray
    belief: np.ndarray
    buying: np.ndarray
    satisfaction: np.ndarray
    sentiment: np.ndarray
    opinion: np.ndarray
    voice: np.ndarray
    tie_strong: np.ndarray
    tie_weight: np.ndarray
    threshold: np.ndarray
    media_sum: np.ndarray
    media_count: np.ndarray
    media_positive: np.ndarray
    media_negative: np.ndarray
    firm_voices: np.ndarray
    heard: np.ndarray
    buyers: np.ndarray
    active_count: np.ndarray
    satisfaction_sum: np.ndarray
    sentiment_sum: np.ndarray

    @property
    def size(self) -> int:
        return int(self.segment.shape[0])


def build_customers(config, arrivals: list, arrival_sizes: list[int],
                    initial_value: np.ndarray, rng: np.random.Generator,
                    first_choice=None) -> CustomerPopulation:
    """The customer population of ``config``.

    ``first_choice``, if given, is called with the uniforms of the initial purchases (a
    market of several firms, :mod:`simulation.core.competition`, lets customers choose among
    its firms with them); the population returned is the single firm's either way.

    The initial customers are split evenly over ``config.market.segments``; each arriving
    segment (``arrivals``, the ``new_segment`` shocks, of ``arrival_sizes`` customers) adds
    an inactive block. ``initial_value`` is each segment's normalised fitness of the initial
    product. Draws from ``rng``: the network, tastes, partners, initial purchases, defection
    thresholds (in that order). Tie strength is a property of the network
    (:func:`simulation.kernels.contagion.embedded_ties`), not a draw.
    """
    c, initial_segments = config.customers, config.market.segments
    initial = c.count
    counts = np.bincount(
        (np.arange(initial) * initial_segments) // initial, minlength=initial_segments,
    ).tolist() + arrival_sizes
    total_segments = len(counts)
    n = int(sum(counts))
    segment_start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    segment = np.repeat(np.arange(total_segments), counts).astype(np.int64)
    active = (segment < initial_segments).astype(np.uint8)
    indptr, indices = build_network(c.network, n, c.degree, c.rewiring, rng)
    taste = rng.normal(0.0, c.taste_sd, n)
    is_partner = rng.random(n) < c.partner_share
    belief = initial_value[segment] + taste
    chance = 1.0 / (1.0 + np.exp(-c.choice_sensitivity * (
        belief - config.market.outside_option)))
    purchase_draw = rng.random(n)
    buying = ((purchase_draw < chance) & (active == 1)).astype(np.uint8)
    if first_choice is not None:
        # A market of several firms makes the first choice among them with the same draws.
        first_choice(purchase_draw)
    threshold = np.clip(rng.normal(c.defection_threshold, c.defection_threshold_sd, n),
                        0.0, 1.0)
    tie_strong = np.empty(indices.shape[0], dtype=np.uint8)
    contagion.embedded_ties(indptr, indices, tie_strong)
    tie_weight = np.empty(n)
    contagion.tie_weight_sums(indptr, tie_strong, c.weak_tie_weight, tie_weight)
    return CustomerPopulation(
        segment=segment, segment_start=segment_start,
        segment_sizes=np.diff(segment_start).astype(float),
        segment_active=np.arange(total_segments) < initial_segments,
        segment_arrival={initial_segments + i: s.step for i, s in enumerate(arrivals)},
        active=active, indptr=indptr, indices=indices, taste=taste, is_partner=is_partner,
        belief=belief, buying=buying, satisfaction=np.where(buying == 1, chance, 0.0),
        sentiment=2.0 * chance - 1.0, opinion=belief.copy(), voice=np.zeros(n, dtype=np.int8),
        tie_strong=tie_strong, tie_weight=tie_weight, threshold=threshold,
        media_sum=np.zeros(n), media_count=np.zeros(n), media_positive=np.zeros(n),
        media_negative=np.zeros(n), firm_voices=np.zeros(n),
        heard=np.zeros((n, 4)),
        buyers=np.zeros(total_segments, dtype=np.int64),
        active_count=np.zeros(total_segments, dtype=np.int64),
        satisfaction_sum=np.zeros(total_segments), sentiment_sum=np.zeros(total_segments),
    )


#: The background thread that draws a market's customer steps' random numbers one step ahead
#: (:class:`CustomerDraws`), started at its first use.
_DRAWER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="firmsim-draws")


class CustomerDraws:
    """The customer step's random numbers of each step, drawn from the run's
    ``customer_dynamics`` stream into two buffers of shape ``(3, size)`` (talk uniforms,
    choice uniforms, experience normals: :func:`~simulation.kernels.customers.
    draw_customer_numbers`, the seed rule's order).

    Nothing else draws from that stream, and each step's numbers depend only on the stream
    and the population's size, not on the state. So the next step's numbers can be drawn
    while this step runs, into the other buffer: by the customer step's own kernel, beside
    its first pass (:meth:`next_buffer`, :meth:`filled_next`), or, for a kernel that does not
    draw (a market's), on a background thread (``ahead``, :meth:`prepare_next`; compiled
    draws need no GIL). Either way the same numbers in the same order: drawing ahead only
    moves the stream one step further by the end of the run, which no one reads.

    ``voice_bounds``: the customers of each thread's share of the step's first pass
    (:func:`simulation.kernels.threads.voice_bounds`), the first thread also drawing.
    """

    def __init__(self, rng: np.random.Generator, size: int, threads_used: int = 1,
                 ahead: bool = False) -> None:
        self.rng, self.ahead = rng, ahead
        self.voice_bounds = threads.voice_bounds(size, threads_used)
        self._now = np.empty((3, size))
        self._next = np.empty((3, size))
        self._next_filled = False
        self._pending = None

    def take(self) -> np.ndarray:
        """This step's numbers, ``(3, size)``: drawn ahead if they were, else drawn now. Valid
        until the next call."""
        if self._pending is not None:
            self._pending.result()
            self._pending = None
        if self._next_filled:
            self._now, self._next = self._next, self._now
            self._next_filled = False
        else:
            customer_kernels.draw_customer_numbers(self.rng, self._now)
        return self._now

    def next_buffer(self) -> np.ndarray:
        """Where a kernel draws the next step's numbers; call :meth:`filled_next` after."""
        return self._next

    def filled_next(self) -> None:
        """The next step's numbers are in :meth:`next_buffer`."""
        self._next_filled = True

    def prepare_next(self) -> None:
        """Start drawing the next step's numbers on the background thread (if ``ahead``)."""
        if self.ahead and not self._next_filled:
            self._pending = _DRAWER.submit(customer_kernels.draw_customer_numbers, self.rng,
                                           self._next)
            self._next_filled = True


def customer_draws(rng: np.random.Generator, size: int, ahead: bool = False) -> CustomerDraws:
    """The :class:`CustomerDraws` of a run's ``customer_dynamics`` stream ``rng`` for ``size``
    customers, with the first pass's shares for the threads the step will use; ``ahead``:
    drawn on a background thread when the step runs on several threads (for a kernel that
    does not draw itself)."""
    workers = threads.threads_for(size)
    return CustomerDraws(rng, size, workers, ahead and workers > 1)


def media_messages(parts: int):
    """The media's messages kernel for ``parts`` parts: threaded if ``parts > 1``."""
    return (customer_kernels.media_messages_threads if parts > 1
            else customer_kernels.media_messages)


def customer_step(model) -> None:
    """Media push beliefs and tell stories; customers experience, voice, hear and choose.

    The firm's answers of this step must be in ``population.firm_voices`` already
    (:func:`simulation.core.conversation.speak`). Stores the step's cascade defections in
    ``model.cascade_defections``.
    """
    c, stakeholders = model.config.customers, model.config.stakeholders
    p, s = model.population, model.stakeholders
    # Each medium's message: the outside option moved by its stance, in value units; its
    # story is also a voice in its audience's conversation, weighing |stance|.
    workers = threads.threads_for(p.size)
    parts = threads.split_parts(p.size, workers)
    media_messages(parts)(s.kind, s.stance, MEDIA, model.outside_option,
                          stakeholders.media_tone, s.media_reach_ptr, s.media_reach,
                          p.media_sum, p.media_count, p.media_positive, p.media_negative, parts)
    draws = model.customer_draws
    now = draws.take()
    step = (customer_kernels.customer_step_threads if workers > 1
            else customer_kernels.customer_step)
    model.cascade_defections = step(
        p.active, p.buying, p.segment, p.taste, p.belief, p.satisfaction, p.sentiment,
        p.threshold, p.opinion, p.voice, p.indptr, p.indices, p.tie_strong, c.weak_tie_weight,
        p.tie_weight, p.media_sum, p.media_count, stakeholders.media_influence, p.media_positive,
        p.media_negative, p.firm_voices, p.heard, model.segment_fitness, model.outside_option,
        now[0], now[1], now[2],
        c.experience_noise, c.experience_weight, c.talk_rate, c.amplification, c.negativity,
        c.word_of_mouth_weight, c.imitation, c.choice_sensitivity, c.reconsider_rate,
        p.buyers, p.active_count, p.satisfaction_sum, p.sentiment_sum,
        parts, draws.next_buffer(), draws.rng, draws.voice_bounds,
    )
    draws.filled_next()
