"""The replication runner and `firmsim replicate`: spec validation, checks, outputs."""

import argparse

import pandas as pd
import pytest

from simulation.classics import replication
from simulation.commands import replicate
from simulation.errors import UserError


def test_all_shipped_specs_valid():
    """Every experiment file validates and cites a source for each check."""
    names = replication.available()
    assert {"march1991_fig1", "lazer_friedman2007_performance", "levinthal1997_shock",
            "bass1969", "watts2002"} <= set(names)
    for name in names:
        spec = replication.load_spec(name)
        assert all(check.source for check in spec.checks)


def test_bad_spec_one_line_error(tmp_path):
    """A spec with a wrong field gives a one-line UserError naming file and field."""
    (tmp_path / "bad.toml").write_text(
        'name = "bad"\ntitle = "t"\ncitation = "c"\nmodel = "march1991"\n'
        'experiment = "fig1"\nreplicates = "many"\nseed = 1\nchecks = []\n')
    with pytest.raises(UserError) as error:
        replication.load_spec("bad", tmp_path)
    message = str(error.value)
    assert "replicates" in message and "\n" not in message


def test_unknown_name_lists_allowed():
    """An unknown replication name lists the allowed names."""
    with pytest.raises(UserError, match="march1991_fig1"):
        replication.load_spec("no_such_thing")


def test_evaluate_value_and_ordering():
    """Value checks use the tolerance; ordering checks compare two metrics; missing fails."""
    value = replication.Check(id="v", kind="value", metric="a", published=0.9, tolerance=0.05,
                              source="s", read_off_figure=True)
    order = replication.Check(id="o", kind="greater", metric="a", other="b", source="s",
                              read_off_figure=False)
    assert replication.evaluate(value, {"a": 0.94}).passed
    assert not replication.evaluate(value, {"a": 0.96}).passed
    assert replication.evaluate(order, {"a": 0.5, "b": 0.4}).passed
    assert not replication.evaluate(order, {"a": 0.4, "b": 0.5}).passed
    assert not replication.evaluate(order, {"b": 0.5}).passed


def test_command_writes_png_csv_and_table(tmp_path, capsys):
    """`firmsim replicate` writes the figure, its CSV and checks, and prints PASS/FAIL rows."""
    parser = argparse.ArgumentParser()
    replicate.add_arguments(parser)
    args = parser.parse_args(["march1991_fig4", "--replicates", "10", "--out", str(tmp_path)])
    status = replicate.run(args)
    printed = capsys.readouterr().out
    assert (tmp_path / "march1991_fig4.png").stat().st_size > 0
    assert (tmp_path / "march1991_fig4.csv").read_text().startswith("p3,period,knowledge")
    # March (1991, p. 79, Fig. 4): without turnover code knowledge decays under turbulence,
    # with turnover it is sustained. Both orderings hold by a wide margin (differences of
    # about 0.6 against margins of 0.05 and 0) at 10 replicates, so both checks pass and the
    # command exits 0; each printed row carries the result written to checks.csv.
    checks = pd.read_csv(tmp_path / "checks.csv")
    assert len(checks) == 2 and (checks["result"] == "PASS").all()
    assert (checks["reproduced"] - checks["reference"] > checks["margin"]).all()
    for check in checks["check"]:
        row = next(line for line in printed.splitlines() if line.startswith(check))
        assert " PASS " in row and "FAIL" not in row
    assert status == 0


def test_command_rejects_bad_replicates():
    """--replicates below 2 is a one-line UserError."""
    with pytest.raises(UserError, match="--replicates"):
        replicate.run(argparse.Namespace(name="march1991_fig1", replicates=1, out=None))


def test_march_fig1_levels_are_the_reference_replication():
    """Every level check of march1991_fig1 is a cell of the shipped reference CSV, with the
    tolerance 3 * sqrt(se_ref^2 + se_run^2) (se_run expected at the file's replicate count),
    and every reference cell is checked."""
    import math

    import pandas as pd

    reference = pd.read_csv(replication.SPEC_DIR / "reference" / "march1991_replication.csv",
                            comment="#")
    spec = replication.load_spec("march1991_fig1")
    levels = {check.metric: check for check in spec.checks if check.kind == "value"}
    assert len(levels) == len(reference)
    for row in reference.itertuples():
        check = levels[f"knowledge[p2={row.p2:g},p1={row.p1:g}]"]
        assert check.published == row.mean and not check.read_off_figure
        run_se = row.se * math.sqrt(2000 / spec.replicates)
        assert check.tolerance == math.ceil(3 * math.hypot(row.se, run_se) * 1000 - 1e-9) / 1000
