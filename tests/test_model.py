"""FirmModel: Mesa integration, invariants, determinism, shocks and bad input."""

import inspect

import mesa
import numpy as np
import pandas as pd
import pytest

from simulation import FirmModel, registry
from simulation.core.agents import Customer, Employee, Stakeholder
from simulation.errors import ConfigError

STRUCTURES = registry.default_structures()

SMALL = dict(customers=800, employees=40, customer_degree=6, steps=60)


def small(structure="hierarchy", rng=1, **overrides):
    return FirmModel(structure=structure, rng=rng, **{**SMALL, **overrides})


def test_model_is_a_mesa_model_with_registered_agents():
    """Customers, employees and stakeholders are Mesa agents registered with the model."""
    model = small()
    assert isinstance(model, mesa.Model)
    by_type = model.agents_by_type
    assert len(by_type[Customer]) == 800
    assert len(by_type[Employee]) == 40
    assert len(by_type[Stakeholder]) == 20
    assert len(model.agents) == 860


def test_agents_are_views_onto_the_arrays():
    """Agent attributes read the arrays, and writing an agent's stance writes the array."""
    model = small().run(5)
    customer = model.customer_agents[17]
    assert customer.buying == bool(model.buying[17])
    assert customer.belief == model.belief[17]
    stakeholder = model.stakeholder_agents[3]
    stakeholder.stance = -0.4
    assert model.stance[3] == -0.4
    employee = model.employee_agents[0]
    assert employee.role == "manager" and employee.manager == -1


def test_agents_made_on_first_use_keep_their_ids_and_change_no_number():
    """The Mesa agents are made on first use, all at once, in the order customers, employees,
    stakeholders (unique_id 1 to 860 as when they were made at build); making them early or
    never gives the same run, and Mesa's agent reporters read them."""
    touched = small(rng=3)
    assert len(touched.agents) == 860
    assert [a.unique_id for a in touched.customer_agents] == list(range(1, 801))
    assert [a.unique_id for a in touched.employee_agents] == list(range(801, 841))
    assert [a.unique_id for a in touched.stakeholder_agents] == list(range(841, 861))
    touched.run(30)
    untouched = small(rng=3).run(30)
    assert untouched._views is None  # no submodel needed them
    pd.testing.assert_frame_equal(touched.metrics(), untouched.metrics(), check_exact=True)
    collector = mesa.DataCollector(agenttype_reporters={Customer: {"belief": "belief"}})
    collector.collect(untouched)
    beliefs = collector.get_agenttype_vars_dataframe(Customer)["belief"].to_numpy()
    assert np.array_equal(beliefs, untouched.belief)


def test_datacollector_and_batch_run_drive_the_model():
    """Mesa's DataCollector and batch_run work with the model unchanged."""
    model = small().run(4)
    frame = model.datacollector.get_model_vars_dataframe()
    assert len(frame) == 4 and "market_share" in frame.columns
    results = mesa.batch_run(FirmModel, parameters={"structure": ["network", "podular"],
                                                    "customers": 500, "employees": 30},
                             rng=[7], max_steps=3, display_progress=False)
    assert {r["structure"] for r in results} == {"network", "podular"}


def test_init_signature_is_flat_with_defaults_for_solara():
    """Every __init__ parameter is a keyword with a default (SolaraViz reads them)."""
    from mesa.visualization.solara_viz import _check_model_params

    parameters = inspect.signature(FirmModel.__init__).parameters
    for name in ("structure", "rng", "customers", "employees", "k", "turbulence"):
        assert name in parameters
    assert all(p.default is not inspect.Parameter.empty
               for name, p in parameters.items() if name != "self")
    _check_model_params(FirmModel.__init__, {"structure": {"type": "Select"}})


@pytest.mark.parametrize("structure", STRUCTURES)
def test_bounds_and_conservation_for_every_structure(structure):
    """Shares, fitness and satisfaction stay in [0, 1]; sentiment and stances in [-1, 1];
    no customer appears or disappears without a new_segment shock."""
    model = small(structure).run()
    df = model.metrics()
    for column in ("market_share", "fitness", "satisfaction"):
        assert df[column].between(0, 1).all(), column
    for column in ("sentiment", "stance_investors", "stance_media", "stance_partners"):
        assert df[column].between(-1, 1).all(), column
    assert (df["customers_active"] == 800).all()
    assert (df["customers_buying"] <= df["customers_active"]).all()
    assert (df["customers_buying"] == (df["market_share"] * 800).round()).all()
    assert model.buying[model.active == 0].sum() == 0


def test_same_seed_same_numbers_different_seed_different_numbers():
    """One seed fixes a run; another seed gives another run."""
    shocks = [{"kind": "turbulence", "step": 10, "strength": 0.3}]
    first = small("open", rng=11, shocks=shocks).run().metrics()
    again = small("open", rng=11, shocks=shocks).run().metrics()
    other = small("open", rng=12, shocks=shocks).run().metrics()
    pd.testing.assert_frame_equal(first, again)
    assert not first["market_share"].equals(other["market_share"])


def test_structures_share_the_market_under_common_random_numbers():
    """With one seed, every structure faces the same landscapes and customers."""
    a, b = small("hierarchy", rng=5), small("network", rng=5)
    np.testing.assert_array_equal(a.market.contributions, b.market.contributions)
    np.testing.assert_array_equal(a.indices, b.indices)
    np.testing.assert_array_equal(a.taste, b.taste)


def test_each_shock_kind_has_its_effect():
    """Every shock kind changes what it should, at the step it is scheduled."""
    shocks = [
        {"kind": "competitor_entry", "step": 10, "strength": 0.1},
        {"kind": "talent_loss", "step": 20, "strength": 0.25, "target": "managers"},
        {"kind": "new_segment", "step": 30, "count": 200},
        {"kind": "reputation_crisis", "step": 40, "strength": 0.4, "share": 0.5},
        {"kind": "need_shift", "step": 50, "strength": 1.0},
    ]
    model = small("hierarchy", rng=3, shocks=shocks)
    before = model.market.contributions.copy()
    df = model.run().metrics()
    assert df["outside_option"].iloc[9] == pytest.approx(0.75)
    assert df["outside_option"].iloc[10] == pytest.approx(0.85)
    assert df["employees_active"].iloc[19] == 40 and df["employees_active"].iloc[20] == 30
    managers = int((model.org.role == 1).sum())
    assert (model.org.role[model.org.alive == 0] == 1).sum() == min(10, managers)  # first
    assert (model.org.parent[model.org.alive == 1] >= -1).all()
    assert ((model.org.parent == -1) & (model.org.alive == 1)).sum() == 1  # one top again
    assert df["customers_active"].iloc[29] == 800 and df["customers_active"].iloc[30] == 1000
    assert df["sentiment"].iloc[40] < df["sentiment"].iloc[39] - 0.05
    assert df["stance_media"].iloc[40] < 0
    assert not np.array_equal(before[0], model.market.contributions[0])
    assert df["fitness"].iloc[50] < df["fitness"].iloc[49]
    table = model.resilience("market_share")
    assert list(table["kind"]) == [s["kind"] for s in shocks]


def test_turbulence_redraws_the_landscape_over_time():
    """A restless market keeps changing the landscapes; a calm one does not."""
    calm = small(rng=2).run(30)
    restless = small(rng=2, turbulence=1.0).run(30)
    assert np.array_equal(calm.market.contributions, small(rng=2).market.contributions)
    changed = (restless.market.contributions != calm.market.contributions).any(axis=2)
    assert changed.sum() >= 20  # about one attribute table per step


@pytest.mark.parametrize("overrides, field", [
    ({"structure": "matrix"}, "structure"),
    ({"shocks": [{"kind": "meteor", "step": 3}]}, "shocks[0].kind"),
    ({"customers": 0}, "customers.count"),
    ({"employees": -5}, "firm.employees"),
    ({"cross_module_share": 1.5}, "market.cross_module_share"),
    ({"shocks": [{"kind": "need_shift", "step": 60}]}, "shocks[0].step"),
    ({"modules": 30}, "market.modules"),
])
def test_bad_input_is_refused_with_one_line_naming_the_field(overrides, field):
    """Bad configs fail before any run, with one line naming the field."""
    with pytest.raises(ConfigError) as error:
        FirmModel(**{**SMALL, **overrides})
    message = str(error.value)
    assert field in message and "\n" not in message


def test_resilience_figures_on_a_known_series():
    """Baseline, trough, depth, recovery, area lost and post level on a hand-made series."""
    from simulation.core.metrics import resilience_table

    series = np.array([1.0] * 10 + [0.5, 0.6, 0.8, 0.96, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0])
    schedule = pd.DataFrame({"shock": [0], "kind": ["need_shift"], "step": [10]})
    row = resilience_table(series, schedule, window=5).iloc[0]
    assert row["baseline"] == 1.0 and row["trough"] == 0.5 and row["depth"] == 0.5
    assert row["recovery_time"] == 3 and row["recovered"]
    assert row["area_lost"] == pytest.approx(0.5 + 0.4 + 0.2)
    assert row["post_level"] == 1.0
    never = resilience_table(np.r_[np.ones(10), np.full(10, 0.5)], schedule, window=5).iloc[0]
    assert not never["recovered"] and never["recovery_time"] == 10


def test_a_typo_in_a_parameter_name_suggests_the_right_one():
    """A misspelt keyword is refused; the config path suggests the closest valid name."""
    from simulation.config.schema import config_from_flat

    with pytest.raises(TypeError, match="emplyees"):
        FirmModel(emplyees=3)
    with pytest.raises(ConfigError, match="did you mean 'employees'"):
        config_from_flat(emplyees=3)


def test_a_seed_sequence_reused_gives_the_same_run():
    """Passing the same SeedSequence object twice gives identical runs (spawn is not leaked)."""
    seed = np.random.SeedSequence(42)
    first = small("network", rng=seed).run(10).metrics()
    second = small("network", rng=seed).run(10).metrics()
    pd.testing.assert_frame_equal(first, second)


def test_flat_signature_and_docstring_follow_the_config_fields():
    """__init__'s keywords are exactly FLAT_FIELDS (plus rng, config, shocks), each with the
    field's default, and each keyword's docstring line is its config field's description."""
    from simulation.config.schema import FLAT_FIELDS, ModelConfig, flat_defaults

    parameters = inspect.signature(FirmModel.__init__).parameters
    assert set(parameters) == {"self", "rng", "config", "shocks", *FLAT_FIELDS}
    defaults = flat_defaults()
    for name in FLAT_FIELDS:
        assert parameters[name].default == defaults[name]
    lines = FirmModel.__doc__.splitlines()
    for name, (section, field) in FLAT_FIELDS.items():
        if name == "structure":
            continue
        owner = ModelConfig if section is None else ModelConfig.model_fields[section].annotation
        description = owner.model_fields[field].description
        heading = next(i for i, line in enumerate(lines) if line.strip().startswith(f"{name} :"))
        assert lines[heading + 1].strip() == description
    with pytest.raises(TypeError, match="unexpected keyword argument 'spans'"):
        FirmModel(spans=3)


def test_every_structure_and_shock_kind_has_exactly_one_definition():
    """The five presets are the structures compared by default, each shock kind's rule and
    parameter model resolve, and a structure's decision order is given exactly when its
    tops decide."""
    from simulation.config.vocabulary import DECISION_ORDERS

    assert STRUCTURES == ("hierarchy", "siloed_social", "network", "podular", "open")
    for shock in registry.entries("shock"):
        assert callable(registry.resolve(shock.rule))
        assert shock.parameters.model_fields["kind"].default == shock.name
    for spec in registry.entries("structure"):
        if spec.requires:  # org_chart: its decision order comes from the chart
            continue
        assert callable(registry.resolve(spec.builder))
        assert (spec.decision_order in DECISION_ORDERS) == spec.tops_decide


def test_every_attribute_exists_after_construction():
    """Submodels own their state: stepping adds no attribute to the model."""
    for structure in ("hierarchy", "open"):
        model = FirmModel(structure=structure, rng=3, **{**SMALL, "steps": 10})
        before = set(vars(model))
        model.run(3)
        assert set(vars(model)) == before, set(vars(model)) ^ before


@pytest.mark.parametrize("restless", [
    {"turbulence": 0.05},
    {"shocks": [{"kind": "turbulence", "step": 2, "strength": 0.05}]},
])
def test_turbulence_goes_on_when_a_run_continues_past_its_planned_steps(restless):
    """A model planned for 20 steps and run 10 more is the model planned for 30 (the
    market's turbulence and a turbulence shock 'to the end' have no end)."""
    size = {**SMALL, "steps": 20}
    continued = FirmModel(structure="network", rng=5, **size, **restless).run()
    continued.run(10)
    planned = FirmModel(structure="network", rng=5, **{**size, "steps": 30}, **restless).run()
    assert continued.metrics().equals(planned.metrics())
