"""The Python API: its examples run (doctests), and it gives the command line's numbers."""

import doctest

import pytest

import simulation
from simulation import api, registry


@pytest.mark.parametrize("module", [api, registry])
def test_the_documented_examples_run(module):
    failed, attempted = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert attempted > 0 and failed == 0


def test_every_public_name_loads_and_is_documented_with_an_example():
    for name in simulation.__all__:
        value = getattr(simulation, name)
        assert value.__doc__, name
        if callable(value) and not isinstance(value, type) and name.startswith(
                ("load_", "compare", "run_", "org_")):
            assert "Examples" in value.__doc__, name


def test_compare_is_the_run_commands_comparison():
    """A comparison through the API has the rows `run_comparison` gives on the same seeds."""
    from simulation.execution.experiment import run_comparison

    small = simulation.load_scenario("demo", set=[
        "customers.count=300", "customers.degree=4", "firm.employees=20", "steps=30",
        "shocks.0.step=15", "replicates=2", 'structures=["hierarchy", "podular"]'])
    result = simulation.compare(small)
    timeseries, _ = run_comparison(small.model_config_only(), small.structures, 2,
                                   small.seed, small.resilience_metric, workers=1)
    assert result.timeseries.equals(timeseries)
    model = simulation.run_structure("podular", small, seed=small.seed, replicate=1)
    rows = timeseries[(timeseries.structure == "podular") & (timeseries.replicate == 1)]
    assert (rows.market_share.to_numpy() == model.metrics().market_share.to_numpy()).all()


def test_version_and_citation():
    import subprocess
    import sys
    from pathlib import Path

    done = subprocess.run([sys.executable, "-m", "simulation.commands.cli", "--version"],
                          capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.startswith("firmsim ")
    citation = (Path(__file__).resolve().parent.parent / "CITATION.cff").read_text()
    assert "cff-version" in citation and "title:" in citation


def test_compare_with_precision_equals_a_plain_run_of_the_final_count():
    """compare(precision=...) adds replicates in batches; its tables are those of a plain
    comparison of the final replicate count (same seeds)."""
    small = simulation.load_scenario("calm", set=[
        "customers.count=300", "customers.degree=4", "firm.employees=20", "steps=20",
        "replicates=2", 'structures=["hierarchy", "podular"]'])
    precise = simulation.compare(small, precision=0.5, precision_metric="market_share",
                                 max_replicates=6)
    count = precise.scenario.replicates
    assert 2 <= count <= 6
    plain = simulation.compare(small, replicates=count)
    assert precise.timeseries.equals(plain.timeseries)
