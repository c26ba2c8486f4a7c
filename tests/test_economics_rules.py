"""Rule-level tests of the books (issue 27) for the cases the cost tests leave out: the
departed after a talent loss, and a step in which nobody buys."""

import math

import numpy as np
import pytest

from simulation import FirmModel

SMALL = dict(customers=800, employees=40, customer_degree=6, steps=30)


def test_departed_employees_are_paid_no_wage_and_no_coordination_time():
    """After a talent loss the organization cost is the wages of those still there plus
    their coordination time only: a departed employee costs nothing."""
    shocks = [{"kind": "talent_loss", "step": 2, "strength": 0.4}]
    model = FirmModel(structure="podular", rng=10, **SMALL, coordination_price=2.0,
                      investor_pressure=0.0, shocks=shocks).run(5)
    books, org, frame = model.economics, model.org, model.metrics()
    alive = org.alive == 1
    assert (~alive).sum() >= 10 and (books.wage[~alive] > 0).all()
    used = np.where(alive, model.capacity - model.capacity_left, 0)
    coordination = 2.0 * (books.wage[alive] * used[alive]).sum() / model.config.firm.capacity
    assert coordination > 0
    assert frame["coordination_cost"].iloc[-1] == pytest.approx(coordination)
    assert frame["organization_cost"].iloc[-1] == pytest.approx(
        books.wage[alive].sum() + coordination)


def test_with_no_buyers_the_unit_cost_is_the_served_variants_mean_and_no_margin():
    """In a step where nobody buys, the unit cost reported is the mean unit cost of the
    variants in the market, weighted by their active customers (one variant: its own), and
    the margin is undefined (no revenue)."""
    model = FirmModel(structure="hierarchy", rng=3, **SMALL).run(2)
    model.population.buyers[:] = 0
    books = model.economics.book(model)
    unit = model.economics.unit_costs(model.products)
    assert unit.shape[0] == 1
    assert books["unit_cost"] == pytest.approx(float(unit[0]))
    assert math.isnan(books["margin"])
