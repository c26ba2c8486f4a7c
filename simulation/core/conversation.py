"""The conversation submodel: the firm's people in the customer conversation.

The rules are in ``docs/ODD.md`` section 7, "Conversation". Who takes part is a property of
each structure preset (:attr:`simulation.core.structures.StructureSpec.employees_converse`):

- ``everyone`` (network, podular, open): every sensing employee is tied to
  ``customers.employee_ties`` customers of its segment, drawn at random when the model is
  built. Each step it **speaks for the firm**: it answers each tied customer who voiced a
  negative opinion in the last step (:func:`speak`); an answer says the product's true current
  value for the customer's segment and is heard like one more voice on a strong tie (the
  customer kernel adds it to the mean opinion heard and to the positive, or if the product
  really is worse than the outside option, negative voices). It also **hears customers**
  (:func:`hear`, the one hook in :mod:`simulation.core.organization`): the tied customers who buy
  and voiced anything this step are extra responders to the test it runs this step, so its
  estimate's noise shrinks from ``sd / sqrt(m)`` to ``sd / sqrt(m + h)``. Taking part costs one
  unit of capacity a step (listening and answering), paid after its own test.
- ``marketing`` (siloed_social): the same, for the marketing branch only
  (``customers.marketing_converses``; off: the official voice below).
- ``official`` (hierarchy): the marketing function holds the only voice. Complaints (negative
  voices) climb the tree one level a step, so the official statement answers, ``D`` steps
  later (``D`` the tree's depth), up to ``customers.official_reach`` x active customers among
  those who complained then, with the product's true value. It is a staff function, like a
  medium, outside the modelled employees' capacity, and it hears nothing that reaches a test.

``customers.employees_converse = false`` switches all of this off (the comparison of
``experiments/studies/social_effects.py``).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from simulation.config.vocabulary import MARKETING
from simulation.kernels.conversation import answer_complaints, hear_customers


@dataclass
class Conversation:
    """Ties of the firm's people into the customer network.

    ``mode`` is ``everyone``, ``marketing``, ``official`` or ``none``; tie ``k`` joins
    employee ``employee[k]`` to customer ``customer[k]``; ``lag`` is the official voice's
    delay and ``complaints`` the negative voicers of the last steps, oldest first.
    """

    mode: str
    employee: np.ndarray
    customer: np.ndarray
    lag: int
    complaints: deque = field(default_factory=deque)
    answers: int = 0
    #: The distinct conversing employees, sorted (found on first use).
    talking: np.ndarray | None = None
    #: The customers answered at the last step: the only entries of ``firm_voices`` that
    #: can be non-zero (None before the first step: all are cleared then).
    answered: np.ndarray | None = None


def conversation_mode(config, spec) -> str:
    """Who converses for ``spec`` under ``config`` (``none`` when switched off)."""
    c = config.customers
    if not c.employees_converse:
        return "none"
    if spec.employees_converse == "marketing" and not c.marketing_converses:
        return "official"
    return spec.employees_converse


def build_conversation(model, rng: np.random.Generator) -> Conversation:
    """The ties of ``model``'s conversing employees (draws ``employee_ties`` per employee)."""
    org, p, c = model.org, model.population, model.config.customers
    mode = conversation_mode(model.config, model.spec)
    lag = int(org.depth.max()) if org.size else 0
    if mode in ("everyone", "marketing"):
        talking = org.senses & (org.segment >= 0)
        if mode == "marketing":
            talking &= org.role == MARKETING
        employees = np.repeat(np.flatnonzero(talking), c.employee_ties)
    else:
        employees = np.empty(0, np.int64)
    segment = org.segment[employees]
    start = p.segment_start[segment]
    size = p.segment_start[segment + 1] - start
    customers = start + (rng.random(employees.shape[0]) * size).astype(np.int64)
    return Conversation(mode=mode, employee=employees.astype(np.int64),
                        customer=customers.astype(np.int64), lag=max(1, lag))


#: No customer answered (read only).
_NOBODY = np.empty(0, np.int64)
_NOBODY.flags.writeable = False


def speak(model) -> None:
    """Fill ``population.firm_voices`` with the answers the firm gives this step."""
    conv, p = model.conversation, model.population
    # Only this function writes ``firm_voices``, so only last step's answers can be non-zero:
    # clearing them leaves every entry 0, as clearing all of them did (which wrote the whole
    # array, one float per customer, every step).
    if conv.answered is None:
        p.firm_voices[:] = 0.0
    else:
        p.firm_voices[conv.answered] = 0.0
    conv.answered = _NOBODY
    conv.answers = 0
    if conv.mode in ("everyone", "marketing"):
        # Each alive employee answers each of its tied customers who complained (one pass
        # over the ties).
        answered = np.empty(conv.customer.shape[0], np.int64)
        count = answer_complaints(conv.employee, conv.customer, model.org.alive, p.voice,
                                  p.active, p.firm_voices, answered)
        conv.answers = int(count)
        conv.answered = answered[:count]
    elif conv.mode == "official":
        # The active customers who voiced a complaint, in index order: the few negative
        # voices first, then their activity (one pass over the customers instead of three).
        negative = (p.voice < 0).nonzero()[0]
        conv.complaints.append(negative[p.active[negative] == 1])
        if len(conv.complaints) > conv.lag:
            heard = conv.complaints.popleft()
            # ``active`` holds 0 or 1: counting the non-zero is its sum, without the
            # upcast of every flag that ``sum`` makes.
            reach = int(round(model.config.customers.official_reach
                              * int(np.count_nonzero(p.active))))
            rng = model.streams["conversation"]
            if heard.shape[0] > reach:
                heard = rng.choice(heard, size=reach, replace=False)
            p.firm_voices[heard] += 1.0
            conv.answers = int(heard.shape[0])
            conv.answered = heard


def hear(model, sensors: np.ndarray, tests):
    """Conversing employees pay for the conversation and hear customers (organization hook).

    Each alive conversing employee with capacity left spends one unit. A sensor among them
    adds the tied customers who buy and voiced this step to its test's responders: the mean
    of ``m + h`` independent answers has the noise of the ``m`` answers scaled by
    ``sqrt(m / (m + h))``. Returns ``tests`` (its ``noise`` changed in place).
    """
    conv, p = model.conversation, model.population
    if conv.mode not in ("everyone", "marketing") or conv.employee.shape[0] == 0:
        return tests
    talking = conv.talking
    if talking is None:  # the conversing employees never change: found once
        talking = conv.talking = np.unique(conv.employee)
    paying = hear_customers(sensors, talking, conv.employee, conv.customer, p.voice, p.buying,
                            p.active, model.org.alive, model.capacity_left, tests.responders,
                            tests.noise)
    model.counters["messages"] += int(paying)
    return tests
