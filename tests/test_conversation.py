"""The conversation submodel and the stakeholders' binding channels (issue 11)."""

import numpy as np
import pytest

from simulation import FirmModel, registry
from simulation.config.vocabulary import CONVERSATION_MODES, INVESTOR, MARKETING
from simulation.core import conversation, organization
from simulation.core.conversation import conversation_mode
from simulation.core.stakeholders import apply_pressure

SMALL = dict(customers=600, employees=40, customer_degree=6, steps=30)


def test_every_preset_says_who_converses():
    """Each structure preset names its conversation mode; the settings switch it."""
    for spec in registry.entries("structure"):
        assert spec.employees_converse in CONVERSATION_MODES
    model = FirmModel(structure="siloed_social", rng=1, **SMALL)
    assert conversation_mode(model.config, model.spec) == "marketing"
    off = FirmModel(structure="siloed_social", rng=1, marketing_converses=False, **SMALL)
    assert conversation_mode(off.config, off.spec) == "official"
    none = FirmModel(structure="network", rng=1, employees_converse=False, **SMALL)
    assert conversation_mode(none.config, none.spec) == "none"
    assert none.conversation.employee.size == 0


@pytest.mark.parametrize("structure", ["network", "podular", "siloed_social"])
def test_conversing_employees_are_tied_to_customers_of_their_segment(structure):
    """Ties go from sensing employees (marketing only in siloed_social) to customers of the
    employee's segment, ``employee_ties`` each."""
    model = FirmModel(structure=structure, rng=2, employee_ties=4, **SMALL)
    conv, org, p = model.conversation, model.org, model.population
    talkers, counts = np.unique(conv.employee, return_counts=True)
    assert talkers.size > 0 and (counts == 4).all()
    assert org.senses[talkers].all()
    if structure == "siloed_social":
        assert (org.role[talkers] == MARKETING).all()
    assert (p.segment[conv.customer] == org.segment[conv.employee]).all()


def test_answers_reach_complaining_tied_customers_and_cost_capacity():
    """Each step the firm answers its tied customers who voiced a complaint; each
    conversing employee spends one unit of capacity on the conversation."""
    model = FirmModel(structure="network", rng=3, **SMALL).run(10)
    p, conv = model.population, model.conversation
    p.voice[:] = 0
    p.voice[conv.customer[:3]] = -1
    conversation.speak(model)
    assert p.firm_voices.sum() == np.isin(conv.customer, conv.customer[:3]).sum()
    model.capacity_left[:] = model.capacity
    conversation.hear(model, np.empty(0, np.int64), organization.Tests.empty(0))
    talkers = np.unique(conv.employee)
    assert (model.capacity_left[talkers] == model.capacity[talkers] - 1).all()


def test_hierarchy_answers_complaints_only_after_the_trees_lag():
    """The official voice answers complaints ``depth`` steps after they were voiced."""
    model = FirmModel(structure="hierarchy", rng=4, **SMALL).run(3)
    conv, p = model.conversation, model.population
    assert conv.mode == "official" and conv.lag == int(model.org.depth.max())
    conv.complaints.clear()
    p.voice[:] = 0
    p.voice[:5] = -1
    conversation.speak(model)
    assert p.firm_voices.sum() == 0
    p.voice[:] = 0
    for _ in range(conv.lag - 1):
        conversation.speak(model)
        assert p.firm_voices.sum() == 0
    conversation.speak(model)
    assert p.firm_voices[:5].tolist() == [1.0] * 5


def test_investors_pressure_cuts_capacity_and_binds():
    """A fully negative investor mood cuts every capacity to capacity x (1 - pressure);
    with the pressure setting at 0 nothing is cut."""
    model = FirmModel(structure="hierarchy", rng=5, **SMALL)
    s = model.stakeholders
    s.stance[s.kind == INVESTOR] = -1.0
    apply_pressure(model)
    assert (model.capacity == 3).all()  # 5 x (1 - 0.4)
    off = FirmModel(structure="hierarchy", rng=5, investor_pressure=0.0, **SMALL)
    off.stakeholders.stance[off.stakeholders.kind == INVESTOR] = -1.0
    apply_pressure(off)
    assert (off.capacity == 5).all()
