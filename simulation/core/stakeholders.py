"""The stakeholder submodel: investors, community/media and partners update their stances.

The rules are in ``docs/ODD.md`` section 7, "Stakeholders".

A stance is in [-1, 1] and moves each step a share ``stance_rate`` of the way toward a
target: investors' target follows revenue growth over their horizon, media's what their
audience says (the balance of its positive and negative voices, sharpened), partners' the
growth of the market share.

Channels that bind (ODD section 7, "Stakeholders"): media stories are voices in their
audience's conversation (:func:`simulation.core.customers.customer_step`), so a medium that turns
negative raises the share of negative voices its audience hears and can tip buyers over their
defection thresholds; investors' pressure cuts the employees' capacity (:func:`apply_pressure`),
which limits tests, reviews and the handling of proposals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from simulation.config.vocabulary import INVESTOR, MEDIA, PARTNER
from simulation.kernels.stakeholders import media_said, move_stances

#: Shortest and longest investor horizon in steps (inclusive), drawn uniformly per investor:
#: investors judge revenue growth over their own horizon, so impatient and patient ones sit
#: side by side and the investors' mean stance does not jump with one step's revenue.
INVESTOR_HORIZON = (5, 20)

#: Media amplify what their audience says: their target is ``tanh(MEDIA_SHARPENING * x)``,
#: ``x = (positive - negative) / (positive + negative)`` voices of the active customers they
#: reach, so an audience with a few more complaints than praise already reads as a clearly
#: negative story (ODD section 7, "Stakeholders": "they amplify").
MEDIA_SHARPENING = 2.0

#: Investors' pressure is ``max(0, -mean investor stance)``; it cuts every employee's capacity
#: to ``max(1, c)``, ``c`` = ``capacity * (1 - stakeholders.investor_pressure * pressure)``
#: rounded up or down at random (up with probability its fractional part): under
#: pressure to show results within their horizon, firms cut slack first (Cyert & March 1963;
#: Stein 1989 on short horizons and myopic cuts), and slack is what exploration and
#: coordination run on (Nohria & Gulati 1996). The default cut at full pressure is
#: ``investor_pressure = 0.4`` (our choice: 5 units become 3).
MIN_CAPACITY = 1

#: Partners' target is ``tanh(PARTNER_SENSITIVITY * g)`` of the step's change ``g`` in market
#: share. Share moves by hundredths per step, so this scale makes a one-point gain or loss
#: move a partner's target by about 0.2 instead of a negligible 0.01.
PARTNER_SENSITIVITY = 20.0


@dataclass
class StakeholderGroup:
    """Every stakeholder as arrays (index = stakeholder number).

    ``kind`` holds :data:`simulation.config.vocabulary.INVESTOR`, ``MEDIA`` or ``PARTNER``;
    ``media_reach_ptr``/``media_reach`` lists, per medium (CSR), the customers it reaches;
    ``revenue_history`` is the revenue of every step so far (investors' memory).
    """

    kind: np.ndarray
    stance: np.ndarray
    investor_horizon: np.ndarray
    media_reach_ptr: np.ndarray
    media_reach: np.ndarray
    revenue_history: list[float]


def build_stakeholders(config, customers: int, rng: np.random.Generator) -> StakeholderGroup:
    """The stakeholders of ``config``; media reach a share of the ``customers``."""
    s = config.stakeholders
    kinds = [INVESTOR] * s.investors + [MEDIA] * s.media + [PARTNER] * s.partners
    shortest, longest = INVESTOR_HORIZON
    horizon = rng.integers(shortest, longest + 1, size=len(kinds))
    reach = max(1, int(round(s.media_reach * config.customers.count)))
    media_lists = [np.sort(rng.choice(customers, size=min(reach, customers), replace=False))
                   for _ in range(s.media)]
    return StakeholderGroup(
        kind=np.array(kinds, dtype=np.int8), stance=np.zeros(len(kinds)),
        investor_horizon=horizon,
        media_reach_ptr=np.concatenate(
            [[0], np.cumsum([m.shape[0] for m in media_lists])]).astype(np.int64),
        media_reach=(np.concatenate(media_lists) if media_lists
                     else np.empty(0, np.int64)).astype(np.int64),
        revenue_history=[],
    )


def kind_index(group: StakeholderGroup, kind: int) -> np.ndarray:
    """Indices (ascending) of the stakeholders of ``kind`` in ``group``; kinds never change
    in a run, so each is found once (the same elements, in the same order, as a mask)."""
    found = group.__dict__.setdefault("_kind_index", {})
    index = found.get(kind)
    if index is None:
        index = found[kind] = np.flatnonzero(group.kind == kind)
    return index


def kind_list(group: StakeholderGroup, kind: int) -> list[int]:
    """:func:`kind_index` as a list of Python ints (found once)."""
    found = group.__dict__.setdefault("_kind_list", {})
    index = found.get(kind)
    if index is None:
        index = found[kind] = kind_index(group, kind).tolist()
    return index


def update_stances(model) -> None:
    """Every stakeholder moves its stance toward its target (after the customers' step)."""
    s, p = model.stakeholders, model.population
    rate = model.config.stakeholders.stance_rate
    revenue = float(p.buyers.sum()) * model.config.market.price
    history = s.revenue_history
    history.append(revenue)
    sensitivity = model.config.stakeholders.investor_sensitivity
    # Python ints (indices and horizons): the same arithmetic as with NumPy scalars, at a
    # fraction of their cost per investor.
    horizons = s.investor_horizon.tolist()
    for i in kind_list(s, INVESTOR):
        horizon = horizons[i]
        past = history[-horizon - 1] if len(history) > horizon else history[0]
        growth = revenue / past - 1.0 if past > 0 else 0.0
        target = math.tanh(sensitivity * growth)
        s.stance[i] = (1 - rate) * s.stance[i] + rate * target
    media = kind_index(s, MEDIA)
    if media.size:
        # What the audience says: mean voice sign over the audience, divided by the share of
        # the audience that voiced (= (positive - negative) / (positive + negative) voices).
        said = np.empty(media.size)
        media_said(s.media_reach_ptr, s.media_reach, p.voice, p.active, said)
        # NumPy's tanh (not the C library's, which a kernel would call: they differ in the
        # last bit for some arguments).
        said *= MEDIA_SHARPENING
        move_stances(s.stance, media, np.tanh(said, out=said), rate)
    partners = kind_index(s, PARTNER)
    if partners.size:
        shares = model.records["market_share"]
        share = model.market_share  # computed once (two sums over the segments)
        share_growth = share - (shares[-1] if shares else share)
        target = math.tanh(PARTNER_SENSITIVITY * share_growth)
        # Every partner toward the same target, in place (move_stances: the products of
        # ``(1 - rate) * stance + rate * target`` without the fancy-indexed copies).
        move_stances(s.stance, partners, np.full(partners.size, target), rate)
    # Clipped to [-1, 1] in place (two ufuncs: the same values as np.clip, at a fraction of
    # its call overhead).
    np.maximum(s.stance, -1.0, out=s.stance)
    np.minimum(s.stance, 1.0, out=s.stance)
    apply_pressure(model)


def apply_pressure(model) -> None:
    """Investors' pressure cuts the employees' capacity for the next step (see
    :data:`MIN_CAPACITY`); no investors or ``investor_pressure = 0``: full capacity."""
    s = model.stakeholders
    investors = s.stance[kind_index(s, INVESTOR)]
    # sum / count: what ``mean`` computes (same sum, same division), without its overhead.
    pressure = (max(0.0, -(float(investors.sum()) / investors.size)) if investors.size
                else 0.0)
    cut = model.config.stakeholders.investor_pressure * pressure
    # Stochastic rounding per employee (one uniform each, drawn whatever the pressure):
    # the expected capacity is exactly capacity * (1 - cut), so a small pressure cuts a few
    # employees' slack by one task instead of vanishing in the rounding.
    draw = model.streams["stakeholders"].random(model.capacity.shape[0])
    wanted = model.config.firm.capacity * (1.0 - cut)
    # max(MIN_CAPACITY, floor(wanted + draw)) per employee, worked out in the draws' array
    # (no temporaries), then cast to integers as it is stored.
    np.add(draw, wanted, out=draw)
    np.floor(draw, out=draw)
    np.maximum(draw, MIN_CAPACITY, out=draw)
    model.capacity[:] = draw
    model.investor_pressure_now = pressure
