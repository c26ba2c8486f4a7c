"""Scenario files: shipped scenarios, validation messages, --set overrides, show/scenarios."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulation import FirmModel
from simulation.commands.cli import main
from simulation.config.scenario import (
    SCENARIO_DIR,
    Scenario,
    apply_overrides,
    load_scenario,
    parse_scenario,
    reference_markdown,
    scenario_data,
    shipped_names,
    to_toml,
)
from simulation.config.schema import ModelConfig, config_from_flat
from simulation.errors import ConfigError
from simulation.store.sources import resolve

REQUIRED = {"calm", "need-shift", "restless", "reputation-crisis", "talent-loss",
            "new-competitor", "demo"}
SMALL = ["customers.count=500", "firm.employees=30", "steps=40", "replicates=2"]


def short_settings(scenario: Scenario) -> list[str]:
    """--set assignments that shrink a scenario to a few seconds, keeping its shocks."""
    shocks = [f"shocks.{i}.step={15 + 5 * i}" for i in range(len(scenario.shocks))]
    return [*SMALL, *shocks]


def write(tmp_path: Path, text: str, name: str = "s.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_shipped_scenarios_exist_and_validate():
    """Every shipped scenario loads, has a description and a comment block saying what it shows."""
    names = set(shipped_names())
    assert REQUIRED <= names
    for name in names:
        scenario = load_scenario(name)
        assert scenario.name == name
        assert scenario.description
        text = (SCENARIO_DIR / f"{name}.toml").read_text()
        comments = [line for line in text.splitlines() if line.startswith("#")]
        assert len(comments) >= 3 and any("Shows:" in line for line in comments), name
        if name != "demo":
            assert 300 <= scenario.steps <= 400
            assert all(100 <= s.step < scenario.steps - 100 for s in scenario.shocks)


def test_three_line_file_is_a_valid_scenario(tmp_path):
    """A minimal file gets every other field from the documented defaults."""
    path = write(tmp_path, 'name = "tiny"\nstructures = ["hierarchy", "network"]\n'
                           'resilience_metric = "revenue"\n')
    scenario = load_scenario(path)
    assert scenario.firm.employees == 200 and scenario.steps == 500
    assert scenario.structures == ["hierarchy", "network"] and scenario.shocks == []


@pytest.mark.parametrize("text, expected", [
    ("[firm]\nemplyees = 30\n", ["firm.emplyees", "did you mean 'employees'"]),
    ("[firm]\nemployees = -5\n", ["firm.employees=-5", "2 to 1000000"]),
    ("[market]\ncross_module_share = 1.5\n", ["market.cross_module_share=1.5", "0 to 1"]),
    ('[firm]\nemployees = "many"\n', ["firm.employees='many'", "valid integer"]),
    ('structures = ["hierarchy", "netwrok"]\n', ["structures[1]='netwrok'", "'network'"]),
    ("steps = 100\n[[shocks]]\nkind = \"need_shift\"\nstep = 150\n",
     ["shocks[0].step=150", "0 to 99"]),
    ("[[shocks]]\nkind = \"talent_loss\"\nstep = 10\nstrength = 2\n",
     ["shocks[0].strength=2", "allowed: 0 to 1"]),
    ("[[shocks]]\nkind = \"need_shift\"\nstep = 10\nstregth = 0.2\n",
     ["shocks[0].stregth", "did you mean 'strength'"]),
    ('name = "two words"\n', ["name='two words'", "letters, digits"]),
    ("replicates = 0\n", ["replicates=0", "1 to 100000"]),
])
def test_bad_files_give_one_readable_message(tmp_path, text, expected):
    """Typos, wrong types and out-of-range values name the key, the value and what is allowed."""
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as error:
        load_scenario(path)
    message = str(error.value)
    assert "\n" not in message
    for part in expected:
        assert part in message, message


def test_cli_reports_bad_file_with_status_2(tmp_path, capsys):
    """The CLI prints 'firmsim show: error: ...' on one line, no traceback, exit status 2."""
    path = write(tmp_path, "[firm]\nemplyees = 30\n")
    assert main(["show", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("firmsim show: error: ") and "did you mean 'employees'" in err
    assert "Traceback" not in err and err.count("\n") == 1


def test_invalid_toml_and_missing_scenario(tmp_path, capsys):
    """Broken TOML and unknown scenario names are refused with exit status 2."""
    path = write(tmp_path, "name = \n")
    assert main(["show", str(path)]) == 2
    assert "not valid TOML" in capsys.readouterr().err
    assert main(["show", "need-shfit"]) == 2
    assert "did you mean 'need-shift'" in capsys.readouterr().err


def test_set_overrides_dotted_paths():
    """--set reaches sections, list entries and whole lists; values are parsed as TOML."""
    scenario, _, _ = resolve("need-shift", [
        "firm.employees=500", "market.k=0", "shocks.0.step=120",
        'structures=["hierarchy","network"]', "description=a plain string",
        "market.turbulence=0.01",
    ])
    assert scenario.firm.employees == 500 and scenario.market.k == 0
    assert scenario.shocks[0].step == 120
    assert scenario.structures == ["hierarchy", "network"]
    assert scenario.description == "a plain string" and scenario.market.turbulence == 0.01
    replaced, _, _ = resolve("calm", ['shocks=[{kind="competitor_entry", step=100}]'])
    assert replaced.shocks[0].kind == "competitor_entry"


@pytest.mark.parametrize("assignment, expected", [
    ("firm.emplyees=3", "did you mean 'firm.employees'"),
    ("frim.employees=3", "did you mean 'firm'"),
    ("structure=network", "did you mean 'structures'"),
    ("shocks.3.step=10", "index 0 to 0"),
    ("firm.employees", "expected key=value"),
    ("firm.employees=-5", "firm.employees=-5"),
])
def test_set_refuses_unknown_or_invalid(assignment, expected):
    """A --set on a field that does not exist (or to a bad value) is refused, naming it."""
    with pytest.raises(ConfigError) as error:
        resolve("need-shift", [assignment])
    assert expected in str(error.value)


def test_apply_overrides_leaves_input_untouched():
    """Overrides work on a copy of the resolved data."""
    data = scenario_data(load_scenario("demo"))
    changed = apply_overrides(data, ["firm.employees=31"])
    assert changed["firm"]["employees"] == 31 and data["firm"]["employees"] == 200


def test_show_prints_a_valid_resolved_scenario(capsys):
    """`firmsim show` prints every field; the output parses back to the same scenario."""
    assert main(["show", "talent-loss", "--set", "firm.span=7"]) == 0
    out = capsys.readouterr().out
    assert "side_effect_awareness" in out and "[stakeholders]" in out
    again = parse_scenario(tomllib.loads(out))
    assert again == resolve("talent-loss", ["firm.span=7"])[0]
    assert main(["show", "demo", "--format", "json"]) == 0
    assert '"employees": 200' in capsys.readouterr().out


def test_to_toml_round_trips_every_shipped_scenario():
    """The TOML writer gives back exactly the scenario it was given."""
    for name in shipped_names():
        scenario = load_scenario(name)
        assert parse_scenario(tomllib.loads(to_toml(scenario))) == scenario


def test_scenarios_lists_names_and_descriptions(capsys):
    """`firmsim scenarios` lists every shipped scenario with its one-line description."""
    assert main(["scenarios"]) == 0
    out = capsys.readouterr().out
    for name in shipped_names():
        assert name in out
        assert load_scenario(name).description in out


def test_docs_field_table_is_up_to_date():
    """docs/scenarios.md holds the field table generated from the pydantic descriptions."""
    docs = (Path(__file__).resolve().parent.parent / "docs" / "scenarios.md").read_text()
    assert reference_markdown() in docs


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_short_version_of_each_shipped_scenario_runs(name, tmp_path, capsys):
    """Each shipped scenario, shrunk with --set, runs end to end and writes its results."""
    scenario = load_scenario(name)
    args = ["run", name, "--out", str(tmp_path / name), "--workers", "1", "--no-progress"]
    for assignment in short_settings(scenario):
        args += ["--set", assignment]
    assert main(args) == 0, capsys.readouterr().err
    out = tmp_path / name
    manifest = json.loads((out / "manifest.json").read_text())
    series = pd.read_parquet(out / "timeseries.parquet")
    # Every structure and replicate ran all 40 steps of the shrunk scenario.
    counts = series.groupby(["structure", "replicate"]).size()
    assert set(counts.index) == {(s, r) for s in scenario.structures for r in range(2)}
    assert (counts == 40).all()
    assert series["market_share"].between(0, 1).all()
    # Each shock sits at the step --set moved it to, once per structure and replicate.
    resilience = pd.read_parquet(out / "resilience.parquet")
    assert len(resilience) == len(scenario.shocks) * len(scenario.structures) * 2
    for i in range(len(scenario.shocks)):
        assert (resilience.loc[resilience["shock"] == i, "step"] == 15 + 5 * i).all()
    # The stored numbers are the model's: replicate 1 of the last structure, rerun directly
    # from the resolved scenario and the manifest's seed rule, gives the same series.
    structure = scenario.structures[-1]
    config = ModelConfig.model_validate(
        {k: v for k, v in manifest["scenario"].items() if k in ModelConfig.model_fields})
    seed = np.random.SeedSequence(manifest["seeds"]["root"], spawn_key=(1,))
    rerun = FirmModel(config=config_from_flat(config, structure=structure), rng=seed)
    expected = rerun.run().metrics()["market_share"].to_numpy()
    stored = series[(series["structure"] == structure) & (series["replicate"] == 1)]
    assert np.array_equal(stored.sort_values("step")["market_share"].to_numpy(), expected)
