"""Rule-level tests of the conversation submodel (issue 27): who an employee is tied to,
when the firm answers, and how much a heard customer sharpens a test."""

import math

import numpy as np

from simulation import FirmModel
from simulation.core import conversation, organization

SMALL = dict(customers=600, employees=40, customer_degree=6, steps=30)


def test_conversation_ties_are_spread_over_the_employee_s_segment():
    """A tie goes to a uniformly drawn customer of the employee's segment: with many ties
    they cover much of the segment, not one customer."""
    model = FirmModel(structure="network", rng=2, employee_ties=30, **SMALL)
    conv, org, p = model.conversation, model.org, model.population
    for e in np.unique(conv.employee)[:5]:
        tied = conv.customer[conv.employee == e]
        segment = org.segment[e]
        start, end = p.segment_start[segment], p.segment_start[segment + 1]
        assert ((tied >= start) & (tied < end)).all()
        assert np.unique(tied).size >= 10


def test_conversation_switched_off_answers_no_one():
    """With ``employees_converse = false`` the firm has no voice in the customer network:
    complaints stay unanswered, every step."""
    model = FirmModel(structure="network", rng=1, employees_converse=False, **SMALL)
    assert model.conversation.mode == "none"
    for _ in range(12):
        model.step()
        assert model.conversation.answers == 0
        assert not model.population.firm_voices.any()
    assert (model.population.voice < 0).any()  # there were complaints to answer


def test_a_sensor_s_heard_customers_shrink_its_noise_by_sqrt_m_over_m_plus_h():
    """A paying sensor whose tied customers buy, are active and voiced this step counts
    them as extra responders: its estimate's noise is scaled by sqrt(m / (m + h)). Customers
    who did not voice, or do not buy, are not heard."""
    model = FirmModel(structure="network", rng=3, employee_ties=6, **SMALL)
    conv, p = model.conversation, model.population
    sensors = np.unique(conv.employee)[:4]
    model.capacity_left[:] = model.capacity
    p.voice[:] = 0.0
    p.buying[:] = 0
    p.active[:] = 1
    heard = []
    for k, e in enumerate(sensors):
        tied = np.unique(conv.customer[conv.employee == e])
        voicing = tied[:k + 1]          # k + 1 distinct customers voice and buy
        p.voice[voicing] = -1 if k % 2 else 1  # a complaint or a recommendation
        p.buying[voicing] = 1
    last = np.unique(conv.customer[conv.employee == sensors[-1]])
    assert last.size >= 6
    p.voice[last[-1]], p.buying[last[-1]] = 1, 0                     # voices, buys nothing
    p.voice[last[-2]], p.buying[last[-2]], p.active[last[-2]] = -1, 1, 0   # has left
    voiced = np.flatnonzero((p.voice != 0) & (p.buying == 1) & (p.active == 1))
    for e in sensors:  # ties to every voicing buyer, also those set up for another sensor
        heard.append(int(np.isin(conv.customer[conv.employee == e], voiced).sum()))
    m = np.array([1, 3, 5, 8])
    tests = organization.Tests(np.zeros(4, np.int64), np.zeros(4, np.uint8), np.zeros(4),
                               np.ones(4), m.copy())
    conversation.hear(model, sensors, tests)
    expected = np.sqrt(m / (m + np.array(heard)))
    assert np.allclose(tests.noise, expected)
    assert min(heard) >= 1
    assert math.isclose(tests.noise[0], math.sqrt(1 / (1 + heard[0])))
