"""The shock submodel: scheduled shocks and the restless market.

The rules are in ``docs/ODD.md`` section 7, "Shocks".

Every shock kind is declared in the registry (:mod:`simulation.config.builtins` names these
functions as the rules of the built-in kinds); a rule takes ``(model, shock, t, rng)`` and
changes the model in place. :func:`apply_shocks` runs the
handlers of the shocks scheduled for step ``t`` in schedule order, then the turbulence
windows. A ``new_segment`` shock also sizes its segment when the model is built
(:func:`segment_arrivals`), since its customers exist, inactive, from the start.
"""

from __future__ import annotations

import math

import numpy as np

from simulation import registry
from simulation.config.vocabulary import HUB, MANAGER, MEDIA
from simulation.core.organization import rescope_for
from simulation.core.structures import repair_after_loss


def segment_arrivals(config) -> tuple[list, list[int]]:
    """The ``new_segment`` shocks of ``config`` and the size of each one's segment.

    A segment has ``count`` customers, or a share ``strength`` of the initial count, and at
    least one. Its customers exist, inactive, from the start (their arrays are built once).
    """
    arrivals = [s for s in config.shocks if s.kind == "new_segment"]
    initial = config.customers.count
    return arrivals, [max(1, int(s.count or round(s.strength * initial))) for s in arrivals]


def need_shift(model, shock, t: int, rng: np.random.Generator) -> None:
    """Needs of the hit (default: all live) segments move by a share ``strength``.

    The segments move together (their correlation is kept) unless ``diverge``: see
    :meth:`simulation.core.market.Market.shift_needs`.
    """
    hit = shock.segments or np.flatnonzero(model.population.segment_active).tolist()
    model.market.shift_needs(hit, shock.strength, rng, diverge=shock.diverge)


def turbulence(model, shock, t: int, rng: np.random.Generator) -> None:
    """A restless market from ``t`` for ``duration`` steps (0: with no end) at rate ``strength``.

    ``strength`` is the expected share of each segment's landscape redrawn per step
    (:meth:`simulation.core.market.Market.turbulence_step`).
    """
    end = math.inf if shock.duration == 0 else t + shock.duration
    model.turbulence_windows.append((t, end, shock.strength))


def background_turbulence(config) -> list[tuple[float, float, float]]:
    """The market's own restlessness (``market.turbulence``) as a window with no end.

    All of the turbulence rule is here and in
    :meth:`simulation.core.market.Market.turbulence_step` (the redraw itself): a window
    ``(start, end, rate)`` redraws an expected share ``rate`` of each live segment's
    landscape at every step ``start <= t < end``. Windows "to the end" have no end, so a run
    continued past its planned steps (``FirmModel.run(steps)``) stays as restless.
    """
    rate = config.market.turbulence
    return [(0, math.inf, rate)] if rate > 0 else []


def competitor_entry(model, shock, t: int, rng: np.random.Generator) -> None:
    """The outside option rises by ``strength``."""
    model.outside_option += shock.strength


def reputation_crisis(model, shock, t: int, rng: np.random.Generator) -> None:
    """Media stances fall to ``-strength``; a share ``share`` of customers lose belief."""
    s, p = model.stakeholders, model.population
    s.stance[s.kind == MEDIA] = -shock.strength
    active = np.flatnonzero(p.active)
    seeded = active[rng.random(active.shape[0]) < shock.share]
    p.belief[seeded] -= shock.strength


def talent_loss(model, shock, t: int, rng: np.random.Generator) -> None:
    """A share ``strength`` of employees leaves (managers and hubs first if targeted)."""
    org = model.org
    alive = np.flatnonzero(org.alive)
    leaving_count = min(int(round(shock.strength * alive.shape[0])), alive.shape[0] - 1)
    if leaving_count <= 0:
        return
    order = rng.permutation(alive)
    if shock.target == "managers":
        senior = np.isin(org.role[order], (MANAGER, HUB))
        order = np.concatenate([order[senior], order[~senior]])
    leaving = order[:leaving_count]
    model.counters["dropped"] += int(model.queues.length[leaving].sum())
    model.queues.length[leaving] = 0
    repair_after_loss(org, leaving)
    model.capacity_left[leaving] = 0


def new_segment(model, shock, t: int, rng: np.random.Generator) -> None:
    """The customers of segments arriving at ``t`` become active; sensors turn to them."""
    p = model.population
    arriving = [s for s, step in p.segment_arrival.items() if step == t]
    for segment in arriving:
        a, b = p.segment_start[segment], p.segment_start[segment + 1]
        p.active[a:b] = 1
        p.segment_active[segment] = True
        if model.products.shape[0] > 1:
            # A new segment first gets the firm's existing product (variant of segment 0).
            model.products[model.variant_of_segment[segment]] = model.products[
                model.variant_of_segment[0]]
        model.update_fitness()
        p.belief[a:b] = model.segment_fitness[segment] + p.taste[a:b]
        rescope_for(model, segment)


def apply_shocks(model, t: int) -> None:
    """Apply the shocks scheduled for ``t``, then this step's turbulence redraws."""
    rng = model.streams["market_dynamics"]
    for number, shock in enumerate(model.config.shocks):
        if shock.step == t:
            model.fired_shocks.append((number, t))
            registry.get("shock", shock.kind).apply(model, shock, t, rng)
    live = None  # the live segments, found once a window is open (most runs have none)
    for start, end, rate in model.turbulence_windows:
        if start <= t < end:
            if live is None:
                live = np.flatnonzero(model.population.segment_active)
            model.market.turbulence_step(live, rate, rng)
