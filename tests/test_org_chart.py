"""Org charts from files: a preset's chart runs exactly as the preset; bad charts are one line.

The mapping from a chart to the mechanics is the rule in :mod:`simulation.core.org_chart`.
"""

import re
import subprocess
import sys
import textwrap

import networkx as nx
import numpy as np
import pytest

from simulation import FirmModel
from simulation.config.schema import validate_model_config
from simulation.core.org_chart import chart_of, organization_from_chart, read_chart, write_chart
from simulation.errors import ConfigError

SMALL = dict(customers=900, employees=48, customer_degree=6, steps=90, rng=4)
SHOCKS = [{"kind": "talent_loss", "step": 30, "strength": 0.2, "target": "managers"},
          {"kind": "new_segment", "step": 40, "strength": 0.3},
          {"kind": "need_shift", "step": 50, "strength": 0.4}]


@pytest.mark.parametrize("structure,extra", [
    ("hierarchy", {}), ("hierarchy", {"lateral_links": 0.1}), ("siloed_social", {}),
    ("network", {}), ("podular", {}), ("open", {}),
])
def test_a_presets_exported_chart_reproduces_its_numbers_bit_for_bit(tmp_path, structure,
                                                                     extra):
    """Export a preset's organization, run it as structure 'org_chart' on the same seed:
    every step metric is identical, through a talent loss (repair), a new segment and a
    shift of needs."""
    preset = FirmModel(structure=structure, shocks=SHOCKS, **SMALL, **extra)
    chart = tmp_path / "chart.csv"
    write_chart(preset.org, chart)
    preset.run()
    from_chart = FirmModel(structure="org_chart", org_chart=str(chart), shocks=SHOCKS,
                           org_chart_partners=structure == "open", **SMALL, **extra).run()
    assert from_chart.metrics().equals(preset.metrics())
    # and the chart's rules are the preset's
    for rule in ("tops_decide", "decision_order", "hub_review", "partners_propose",
                 "rescope_pods", "employees_converse"):
        assert getattr(from_chart.spec, rule) == getattr(preset.spec, rule), rule


def test_an_edited_chart_changes_the_run(tmp_path):
    """Cutting the middle managers out of a hierarchy's chart (everyone reports to the top)
    gives a different organization and different numbers: the chart is really what runs."""
    preset = FirmModel(structure="hierarchy", **SMALL)
    table = chart_of(preset.org)
    flat = table.copy()
    flat.loc[flat["role"] == "frontline", "reports_to"] = "0"
    flat = flat[(flat["role"] != "manager") | (flat["employee"] == "0")]
    path = tmp_path / "flat.csv"
    flat.to_csv(path, index=False)
    model = FirmModel(structure="org_chart", org_chart=str(path), **SMALL)
    assert model.org.size == len(flat)
    assert model.org.depth.max() == 1
    assert not model.run().metrics().equals(preset.run().metrics())


def test_graphml_and_csv_give_the_same_organization(tmp_path):
    """The same chart as GraphML (reporting lines as directed edges, peers as edges of kind
    'peer', role and team as node attributes) builds the same arrays."""
    preset = FirmModel(structure="podular", **SMALL)
    table = chart_of(preset.org)
    graph = nx.DiGraph()
    for row in table.itertuples():
        graph.add_node(row.employee, role=row.role, team=row.team)
    for row in table.itertuples():
        if row.reports_to:
            graph.add_edge(row.employee, row.reports_to, kind="reports_to")
    path = tmp_path / "chart.graphml"
    nx.write_graphml(graph, path)
    csv_path = tmp_path / "chart.csv"
    table.assign(peers="").to_csv(csv_path, index=False)
    a = organization_from_chart(read_chart(path), 4, 4)
    b = organization_from_chart(read_chart(csv_path), 4, 4)
    for name in ("role", "parent", "depth", "senses", "decides_locally", "pod", "scope_cycle",
                 "scope_length"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name


BAD = {
    "a cycle": ("employee,reports_to,role\n0,,manager\n1,2,manager\n2,1,frontline\n",
                "line 3: reporting lines form a cycle"),
    "an unknown manager": ("employee,reports_to,role\n0,,manager\n1,9,frontline\n",
                           "line 3: reports_to='9' is not an employee"),
    "no top": ("employee,reports_to,role\n0,1,manager\n1,0,frontline\n", "has no top"),
    "an unknown role": ("employee,reports_to,role\n0,,manager\n1,0,intern\n",
                        "line 3: role='intern': allowed values are frontline, manager"),
    "a duplicate id": ("employee,reports_to,role\n0,,manager\n1,0,frontline\n1,0,frontline\n",
                       "line 4: duplicate employee '1' (first on line 3)"),
    "an unknown peer": ("employee,reports_to,role,peers\n0,,manager,\n1,0,frontline,7\n",
                        "line 3: peer '7' is not an employee"),
    "a missing column": ("employee,role\n0,manager\n", "no column 'reports_to'"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_malformed_chart_is_one_line_naming_the_row(tmp_path, case):
    text, message = BAD[case]
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(ConfigError, match=re.escape(message)) as caught:
        FirmModel(structure="org_chart", org_chart=str(path), customers=300, employees=10,
                  customer_degree=4, steps=5)
    assert "\n" not in str(caught.value)


def test_org_chart_without_a_file_is_refused_in_one_line():
    with pytest.raises(ConfigError, match="firm.org_chart is empty"):
        FirmModel(structure="org_chart", customers=300, employees=10, customer_degree=4,
                  steps=5)


def test_a_scenario_runs_its_chart_beside_the_presets(tmp_path):
    """``firmsim chart`` writes a preset's chart; a scenario naming it (a path relative to
    the scenario file) runs it beside the presets through ``firmsim run``, and its rows
    equal the preset's on the same seeds."""
    firmsim = [sys.executable, "-m", "simulation.commands.cli"]
    sizes = ["--set", "firm.employees=30", "--set", "customers.count=400",
             "--set", "customers.degree=4"]
    done = subprocess.run([*firmsim, "chart", "network", "--out", str(tmp_path / "ours.csv"),
                           "--seed", "3", *sizes], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    (tmp_path / "ours.toml").write_text(textwrap.dedent("""
        name = "ours"
        structures = ["network", "org_chart"]
        steps = 40
        replicates = 1
        seed = 3
        [firm]
        employees = 30
        org_chart = "ours.csv"
        [customers]
        count = 400
        degree = 4
        [[shocks]]
        kind = "need_shift"
        step = 20
    """))
    done = subprocess.run([*firmsim, "run", str(tmp_path / "ours.toml"), "--out",
                           str(tmp_path / "out")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    import pandas as pd

    series = pd.read_parquet(tmp_path / "out" / "timeseries.parquet")
    network = series[series.structure == "network"].drop(columns="structure")
    chart = series[series.structure == "org_chart"].drop(columns="structure")
    assert len(network) == 40
    assert np.allclose(network.market_share.to_numpy(), chart.market_share.to_numpy(),
                       rtol=0, atol=0)


def test_a_relative_chart_path_is_relative_to_the_scenario_file(tmp_path, monkeypatch):
    from simulation.config.scenario import load_scenario

    (tmp_path / "s.toml").write_text('structures = ["org_chart"]\n[firm]\norg_chart = "c.csv"\n')
    monkeypatch.chdir("/")
    scenario = load_scenario(tmp_path / "s.toml")
    assert scenario.firm.org_chart == str((tmp_path / "c.csv").resolve())
    assert validate_model_config({"firm": {"org_chart": "x.csv"}}).firm.org_chart == "x.csv"
