"""The economics submodel: the books, the cost rules, decisions weighing cost, bad input.

Each cost rule is checked against an independently written formula (a planted bug in the
rule fails its test), and zero costs are checked against the cost-free model's numbers
recorded at the commit before the economics existed (tests/data/cost_free_reference.npz,
written by experiments/economics/record_cost_free_reference.py).
"""

import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest

from simulation import FirmModel
from simulation.config.schema import Economics
from simulation.config.vocabulary import LEVEL_METRICS, STEP_METRICS
from simulation.core import economics
from simulation.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
SMALL = dict(customers=800, employees=40, customer_degree=6, steps=60)

#: Every cost of the books set to zero.
ZERO_COSTS = dict(start_unit_cost=0.0, variant_cost=0.0, retooling_cost=0.0, wage_bill=0.0,
                  manager_premium=0.0, coordination_price=0.0)


def _reference_script():
    path = ROOT / "experiments" / "economics" / "record_cost_free_reference.py"
    spec = importlib.util.spec_from_file_location("record_cost_free_reference", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


REFERENCE = _reference_script()


@pytest.mark.parametrize("case", sorted(REFERENCE.CASES))
def test_zero_costs_reproduce_the_cost_free_model_bit_for_bit(case):
    """With every cost at zero each old step metric is the number recorded before the
    economics existed, exactly (every structure; turbulence, shocks, variants per segment,
    fully informed tops, lateral links)."""
    recorded = np.load(ROOT / "tests" / "data" / "cost_free_reference.npz")
    now = REFERENCE.run_case(REFERENCE.CASES[case], **ZERO_COSTS)
    for column, values in now.items():
        np.testing.assert_array_equal(values, recorded[f"{case}/{column}"], err_msg=column)


def test_zero_costs_book_zero_costs_and_profit_equal_to_revenue():
    frame = FirmModel(rng=2, **SMALL, turbulence=0.05, **ZERO_COSTS).run().metrics()
    for column in ("cost", "production_cost", "variety_cost", "change_cost",
                   "organization_cost", "unit_cost"):
        assert (frame[column] == 0).all(), column
    np.testing.assert_array_equal(frame["profit"], frame["revenue"])
    np.testing.assert_allclose(frame["cumulative_profit"], frame["revenue"].cumsum())


# -- each cost rule against an independently written formula ------------------------------

def test_experience_curve_follows_wright_on_the_cumulative_volume():
    """No changes (nobody tests): unit cost = c0 * (X / X0) ** log2(PR), where X is the
    prior experience plus every earlier step's units over the market size."""
    model = FirmModel(rng=4, **SMALL, sense_rate=0.0, progress_ratio=0.75,
                      prior_experience=10.0, start_unit_cost=0.5).run(40)
    frame = model.metrics()
    assert (frame["proposals_implemented"] == 0).all()
    units = frame["customers_buying"].to_numpy(float)
    before = np.concatenate([[0.0], np.cumsum(units)[:-1]]) / 800
    expected = 0.5 * ((10.0 + before) / 10.0) ** math.log2(0.75)
    np.testing.assert_allclose(frame["unit_cost"], expected, rtol=1e-12)
    np.testing.assert_allclose(frame["production_cost"], units * expected, rtol=1e-12)


def test_progress_ratio_one_means_no_learning():
    frame = FirmModel(rng=4, **SMALL, sense_rate=0.0, progress_ratio=1.0).run(20).metrics()
    np.testing.assert_allclose(frame["unit_cost"], 0.6)


def _modules_touched(model, attribute):
    """Independent: the attribute's module and the module of every attribute reading it."""
    module_of = model.market.module_of
    readers = [i for i in range(module_of.size) if attribute in model.market.dependencies[i]]
    return len({int(module_of[attribute]), *(int(module_of[i]) for i in readers)})


def test_a_landed_change_costs_retooling_per_module_touched_and_depreciates_its_module():
    model = FirmModel(rng=5, **SMALL, change_depreciation=0.6, retooling_cost=0.02)
    books = model.economics
    size = model.market.module_start[1] - model.market.module_start[0]
    for attribute in range(model.market.attributes):
        assert books.touched_modules[attribute] == _modules_touched(model, attribute)
    attribute = 7
    module = int(model.market.module_of[attribute])
    before = books.experience.copy()
    books.change_landed(attribute, 0)
    expected = before.copy()
    expected[0, module] *= 1 - 0.6 / size
    np.testing.assert_allclose(books.experience, expected)
    assert books.step_change_cost == pytest.approx(0.02 * 800 * _modules_touched(model, 7))


def test_landed_changes_are_booked_in_the_step_they_land():
    model = FirmModel(rng=6, **SMALL, turbulence=0.05, retooling_cost=0.01)
    model.run(30)
    frame = model.metrics()
    assert frame["proposals_implemented"].sum() > 0
    # Replay: each step's change cost is the retooling of the changes that landed in it.
    assert (frame["change_cost"] > 0).eq(frame["proposals_implemented"] > 0).all()
    smallest = 0.01 * 800
    assert (frame["change_cost"] >= smallest * frame["proposals_implemented"] - 1e-9).all()


def test_variants_of_the_same_module_design_pool_their_experience():
    """Per-segment variants: identical modules pool their volume; a variant whose module
    differs keeps only its own."""
    model = FirmModel(rng=7, **SMALL, variants="per_segment")
    books = model.economics
    books.experience[:] = np.arange(1.0, 1.0 + books.experience.size).reshape(
        books.experience.shape)
    products = model.products.copy()
    products[0, 0] ^= 1  # variant 0 now differs in module 0 only
    pooled = books.pooled_experience(products)
    own = books.experience
    assert pooled[0, 0] == own[0, 0]
    assert pooled[1, 0] == pytest.approx(own[1:, 0].sum())
    np.testing.assert_allclose(pooled[:, 1], np.full(4, own[:, 1].sum()))
    # Unit cost: each module's cost share at its own point of the curve.
    b = -math.log2(books.config.progress_ratio)
    x0 = books.config.prior_experience
    expected = sum(books.module_weight[g] * 0.6 * (pooled[0, g] / x0) ** -b for g in range(4))
    assert books.unit_costs(products)[0] == pytest.approx(expected)


def test_variety_cost_counts_distinct_designs_in_the_market():
    model = FirmModel(rng=8, **SMALL, variants="per_segment", turbulence=0.05,
                      variant_cost=0.03)
    model.run(40)
    frame = model.metrics()
    assert frame["variety_cost"].iloc[0] == pytest.approx(0.03 * 800)  # all alike at first
    designs = len({tuple(row) for row in model.products})
    assert frame["variety_cost"].iloc[-1] == pytest.approx(0.03 * 800 * designs)
    standard = FirmModel(rng=8, **SMALL, turbulence=0.05, variant_cost=0.03).run(10)
    assert (standard.metrics()["variety_cost"] == 0.03 * 800).all()


def test_wage_bill_pays_managers_a_premium():
    """Hierarchy of 40, span 5: managers are the employees with reports; each earns
    (1 + premium) base pay; coordination priced at zero."""
    model = FirmModel(rng=9, **SMALL, coordination_price=0.0, manager_premium=0.8,
                      wage_bill=0.2).run(3)
    parents = {(i - 1) // 5 for i in range(1, 40)}
    base = 0.2 * 800 / 40
    expected = base * (40 + 0.8 * len(parents))
    np.testing.assert_allclose(model.metrics()["organization_cost"], expected)
    flat = FirmModel(structure="network", rng=9, **SMALL, coordination_price=0.0,
                     manager_premium=0.8, wage_bill=0.2).run(3)
    np.testing.assert_allclose(flat.metrics()["organization_cost"], 0.2 * 800)


def test_coordination_time_is_priced_at_the_wage_of_that_time():
    """organization cost - wage bill = price x sum of capacity used x wage / capacity."""
    # Without investor pressure the capacity stays put, so workload x capacity is the time used.
    model = FirmModel(structure="podular", rng=10, **SMALL, coordination_price=2.0,
                      investor_pressure=0.0).run(5)
    books, frame = model.economics, model.metrics()
    wages = books.wage[model.org.alive == 1].sum()
    used = model.workload * model.capacity  # workload = used / capacity
    expected = wages + 2.0 * (books.wage * used).sum() / model.config.firm.capacity
    assert frame["organization_cost"].iloc[-1] == pytest.approx(expected)
    assert frame["coordination_cost"].iloc[-1] == pytest.approx(expected - wages)


def test_profit_is_revenue_less_costs_and_its_sums():
    frame = FirmModel(structure="open", rng=11, **SMALL, turbulence=0.03,
                      discount_rate=0.01).run().metrics()
    parts = frame[["production_cost", "variety_cost", "change_cost",
                   "organization_cost"]].sum(axis=1)
    np.testing.assert_allclose(frame["cost"], parts)
    np.testing.assert_allclose(frame["profit"], frame["revenue"] - parts)
    np.testing.assert_allclose(frame["cumulative_profit"], frame["profit"].cumsum())
    discount = 1.01 ** -np.arange(len(frame))
    np.testing.assert_allclose(frame["discounted_profit"], (frame["profit"] * discount).cumsum())
    np.testing.assert_allclose(frame["margin"], frame["profit"] / frame["revenue"])


def test_annuity_is_the_discounted_payback_sum():
    assert economics.annuity(52, 0.0) == 52
    assert economics.annuity(3, 0.1) == pytest.approx(1 / 1.1 + 1 / 1.21 + 1 / 1.331)


# -- state, memory, vocabulary, bad input -------------------------------------------------

def test_books_state_exists_after_construction_and_is_small():
    """Every attribute exists before the first step; no array grows with the customers."""
    model = FirmModel(rng=12, customers=5_000, employees=40, customer_degree=6,
                      variants="per_segment")
    books = model.economics
    for name in ("potential", "exponent", "experience", "module_weight", "module_size",
                 "touched_modules", "wage", "step_change_cost", "step_changes",
                 "cumulative_profit", "discounted_profit", "steps_booked", "annuity", "last"):
        assert hasattr(books, name), name
    biggest = max(v.size for v in vars(books).values() if isinstance(v, np.ndarray))
    assert biggest <= max(model.products.size, model.org.size, model.market.attributes + 1)
    assert set(books.last) == set(economics.BOOKED)


def test_booked_figures_are_step_metrics_and_profit_is_a_level_metric():
    assert set(economics.BOOKED) <= set(STEP_METRICS)
    for name in ("profit", "cost", "production_cost", "variety_cost", "change_cost",
                 "organization_cost", "unit_cost", "cumulative_profit"):
        assert name in STEP_METRICS
    assert {"profit", "cumulative_profit"} <= set(LEVEL_METRICS)


def test_resilience_is_computable_on_profit():
    model = FirmModel(rng=13, **SMALL, shocks=[{"kind": "need_shift", "step": 30,
                                               "strength": 0.6}]).run()
    table = model.resilience("profit")
    assert table["metric"].tolist() == ["profit"] and np.isfinite(table["baseline"]).all()


@pytest.mark.parametrize("field, value, allowed", [
    ("retooling_cost", -1.0, "0 to"), ("variant_cost", -0.1, "0 to"),
    ("wage_bill", -2, "0 to"), ("start_unit_cost", -0.5, "0 to"),
    ("progress_ratio", 0.0, "above 0 to 1"), ("progress_ratio", 1.5, "above 0 to 1"),
    ("discount_rate", 1.0, "0 to below 1"), ("discount_rate", -0.1, "0 to below 1"),
    ("payback_horizon", 0, "1 to"),
])
def test_bad_economics_input_is_one_line_naming_field_and_range(field, value, allowed):
    with pytest.raises(ConfigError) as caught:
        FirmModel(rng=1, **SMALL, **{field: value})
    message = str(caught.value)
    assert "\n" not in message and f"economics.{field}" in message and allowed in message


def test_every_default_is_a_documented_field():
    for name, field in Economics.model_fields.items():
        assert field.description, name


# -- decisions weigh cost against gain ----------------------------------------------------

def _stepped(structure="network", **overrides):
    model = FirmModel(structure=structure, rng=14, **{**SMALL, **overrides})
    return model.run(3)


def test_value_is_worth_the_slope_of_the_logistic_choice():
    model = _stepped(price=2.0, choice_sensitivity=8.0)
    p = model.population
    for s in range(model.total_segments):
        n, buyers = p.active_count[s], p.buyers[s]
        share = buyers / n
        assert model.economics.value_worth(model)[s] == pytest.approx(
            2.0 * 8.0 * n * share * (1 - share))


def test_a_top_needs_the_whole_cost_paid_back_over_the_horizon():
    model = _stepped("hierarchy", retooling_cost=0.03, payback_horizon=10, discount_rate=0.0)
    attribute = np.arange(model.market.attributes)
    variant = np.zeros_like(attribute)
    worth = model.economics.value_worth(model).sum()
    expected = [0.03 * 800 * _modules_touched(model, a) / (worth * 10) for a in attribute]
    np.testing.assert_allclose(economics.hurdles(model, attribute, variant), expected)


def test_a_local_decider_knows_other_modules_costs_only_through_its_awareness():
    """Gain between the own-module cost and the whole cost: a decider blind to side effects
    (w = 0) approves, a fully aware one (w = 1) does not."""
    blind = _stepped(side_effect_awareness=0.0, retooling_cost=0.01, payback_horizon=5,
                     discount_rate=0.0)
    aware = _stepped(side_effect_awareness=1.0, retooling_cost=0.01, payback_horizon=5,
                     discount_rate=0.0)
    attribute = int(np.flatnonzero(blind.economics.touched_modules >= 2)[0])
    segment = 0
    worth = blind.economics.value_worth(blind)[segment]
    own, whole = 0.01 * 800, 0.01 * 800 * _modules_touched(blind, attribute)
    estimate = np.array([(own + whole) / 2 / (worth * 5)])
    args = (np.array([attribute]), np.array([segment]), estimate)
    assert economics.local_affordable(blind, *args)[0]
    assert not economics.local_affordable(aware, *args)[0]


@pytest.mark.parametrize("structure", ["hierarchy", "network", "podular"])
def test_changes_that_never_pay_back_are_not_made(structure):
    """Retooling worth many steps of the whole market's revenue: no change pays back within
    a horizon of one step, whoever decides."""
    model = FirmModel(structure=structure, rng=15, **SMALL, turbulence=0.05,
                      retooling_cost=1000.0, payback_horizon=1).run(30)
    frame = model.metrics()
    assert frame["proposals_implemented"].sum() == 0
    assert frame["proposals_made"].sum() > 0


def test_a_design_nobody_has_made_costs_the_first_units_price_not_infinity():
    """A module whose whole experience is lost (one attribute per module, full depreciation)
    and a late segment's variant: unit costs stay finite, at the first unit's cost."""
    model = FirmModel(rng=16, **SMALL, modules=20, variants="per_segment", turbulence=0.05,
                      shocks=[{"kind": "new_segment", "step": 10, "strength": 0.3}]).run(30)
    frame = model.metrics()
    assert np.isfinite(frame[["unit_cost", "production_cost", "profit"]].to_numpy()).all()
    books = model.economics
    products = model.products.copy()
    books.experience[0, 0] = 0.0
    b = -math.log2(books.config.progress_ratio)
    first = 0.6 * (1 / 800 / books.config.prior_experience) ** -b
    others = books.unit_costs(products)
    assert np.isfinite(others).all() and others.max() <= first


@pytest.mark.parametrize("structure", ["hierarchy", "podular", "network"])
def test_change_depreciation_changes_the_books_only_not_the_decisions(structure):
    """The experience a change destroys is booked, not foreseen (ODD section 7): on the same
    seed every market-side metric is identical at any ``change_depreciation``, while the
    unit cost rises with it once changes have landed (the range study in
    experiments/economics/depreciation_range.py pairs runs across levels on this)."""
    runs = {}
    for level in (0.0, 0.5, 1.0):
        model = FirmModel(structure=structure, rng=11, **SMALL, turbulence=0.05,
                          change_depreciation=level)
        model.run(SMALL["steps"])
        runs[level] = model.metrics()
    assert runs[0.0]["proposals_implemented"].sum() > 0
    for column in ("market_share", "fitness", "proposals_implemented", "revenue"):
        for level in (0.5, 1.0):
            np.testing.assert_array_equal(runs[level][column], runs[0.0][column])
    late = slice(SMALL["steps"] // 2, None)
    unit = [runs[level]["unit_cost"].to_numpy()[late].mean() for level in (0.0, 0.5, 1.0)]
    assert unit[0] < unit[1] < unit[2]


def test_the_default_change_depreciation_is_the_middle_of_the_published_bracket():
    """Some but not all experience carries over to a redesign (Benkard 2000): the default is
    strictly inside (0, 1), and the schema's description names the source."""
    field = Economics.model_fields["change_depreciation"]
    assert 0.0 < field.default < 1.0
    assert "Benkard 2000" in field.description
