"""Extension from outside the package: an installed plugin adds a structure, a shock kind and
a step metric, and they work in ``firmsim run``, a sweep and the app's runner.

``tests/plugins/`` holds the example plugin package and the ``.dist-info`` pip would write
for it (its ``entry_points.txt`` declares the ``firmsim.plugins`` entry point), so putting
that folder on ``PYTHONPATH`` installs it for a subprocess exactly as pip would: the
registry finds it through :mod:`importlib.metadata`, nothing names it in firmsim.
"""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from simulation import registry
from simulation.errors import ConfigError

PLUGINS = Path(__file__).parent / "plugins"
FIRMSIM = [sys.executable, "-m", "simulation.commands.cli"]


def _environment() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PLUGINS), env.get("PYTHONPATH")]))
    env.pop("FIRMSIM_PLUGINS", None)
    return env


def _firmsim(*arguments, cwd=None):
    return subprocess.run([*FIRMSIM, *arguments], capture_output=True, text=True,
                          env=_environment(), cwd=cwd, timeout=600)


SCENARIO = """
name = "plugged"
structures = ["hierarchy", "flat_tree"]
steps = 40
replicates = 2
seed = 5
[firm]
employees = 30
[customers]
count = 400
degree = 4
[[shocks]]
kind = "substitute_launch"
step = 20
gain = 0.2
"""


def test_an_installed_plugin_runs_through_firmsim_run(tmp_path):
    """The plugin's structure is compared, its shock fires (the outside option rises by the
    gain at step 20) and its metric is a column of the time series."""
    (tmp_path / "plugged.toml").write_text(SCENARIO)
    done = _firmsim("run", str(tmp_path / "plugged.toml"), "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    series = pd.read_parquet(tmp_path / "out" / "timeseries.parquet")
    assert set(series.structure) == {"hierarchy", "flat_tree"}
    assert "buyers_per_employee" in series.columns
    tree = series[(series.structure == "flat_tree") & (series.replicate == 0)]
    option = tree.set_index("step").outside_option
    assert option[21] - option[19] == pytest.approx(0.2)
    expected = tree.customers_buying / tree.employees_active
    assert (tree.buyers_per_employee - expected).abs().max() < 1e-12
    # A different structure: the flat tree's single manager is not the preset's tree.
    hierarchy = series[(series.structure == "hierarchy") & (series.replicate == 0)]
    assert not hierarchy.decision_latency.equals(tree.decision_latency)


def test_the_plugin_in_a_sweep(tmp_path):
    (tmp_path / "plugged.toml").write_text(SCENARIO)
    (tmp_path / "sweep.toml").write_text(textwrap.dedent(f"""
        name = "plugged-sweep"
        scenario = "{tmp_path / 'plugged.toml'}"
        structures = ["hierarchy", "flat_tree"]
        replicates = 1
        design = "grid"
        outputs = ["levels"]
        [[parameters]]
        path = "shocks.0.gain"
        name = "gain"
        levels = [0.0, 0.3]
    """))
    done = _firmsim("sweep", str(tmp_path / "sweep.toml"), "--workers", "2", "--out",
                    str(tmp_path / "sweep"))
    assert done.returncode == 0, done.stderr + done.stdout
    runs = pd.read_parquet(tmp_path / "sweep" / "runs")
    assert len(runs) == 4
    assert sorted(set(runs.structure)) == ["flat_tree", "hierarchy"]
    # The plugin's metric is summarised per run, and its shock's gain was swept.
    assert runs["final_buyers_per_employee"].notna().all()
    assert sorted(set(runs.gain)) == [0.0, 0.3]
    # A sweep's folder reads like a run's: the same query command and API call.
    done = _firmsim("query", str(tmp_path / "sweep"),
                    "SELECT structure, count(*) AS n FROM runs GROUP BY 1 ORDER BY 1",
                    "--format", "csv")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["structure,n", "flat_tree,2", "hierarchy,2"]
    import simulation

    tables = simulation.read_results(tmp_path / "sweep")
    assert {"runs", "design"} <= set(tables) and len(tables["runs"]) == 4


def test_the_plugin_in_the_apps_runner():
    """The app's runner (worker processes) runs the plugin's structure and records its
    metric; its menus list the structure."""
    script = textwrap.dedent("""
        from simulation import registry
        from simulation.config.schema import config_from_flat
        from simulation.ui.runner import ComparisonRun
        assert "flat_tree" in registry.menu_structures()
        config = config_from_flat(None, customers=400, employees=30, customer_degree=4,
                                  steps=20, shocks=[{"kind": "substitute_launch", "step": 5}])
        run = ComparisonRun(config, ["hierarchy", "flat_tree"], seed=1)
        assert run.start().wait(300)
        snapshot = run.snapshot()
        assert snapshot.state != "error", snapshot.error
        frame = snapshot.frames["flat_tree"]
        assert len(frame) == 20 and "buyers_per_employee" in frame.columns
        print("ok")
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=_environment(), timeout=600)
    assert done.returncode == 0 and done.stdout.strip().endswith("ok"), done.stderr


def test_a_plugin_named_in_the_environment_variable_and_a_broken_one(tmp_path):
    """``FIRMSIM_PLUGINS`` loads a researcher's own module; a plugin that fails to import is
    one line naming it, and a name registered twice is refused naming both sources."""
    (tmp_path / "mine.py").write_text(textwrap.dedent("""
        from simulation.registry import register_metric
        register_metric("twice_share", lambda model: 2 * model.market_share, "2 x share")
    """))
    (tmp_path / "broken.py").write_text("raise RuntimeError('no luck')\n")
    (tmp_path / "clash.py").write_text(textwrap.dedent("""
        from simulation.registry import register_structure
        register_structure("hierarchy", "x:y", senses="", decides="", tops_decide=False,
                           decision_order=None)
    """))
    script = ("from simulation import registry; print('twice_share' in "
              "registry.names('metric'))")
    for module, expected in (("mine", "True"), ("broken", "plugin 'broken'"),
                             ("clash", "structure 'hierarchy' is registered twice")):
        env = _environment()
        env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), env["PYTHONPATH"]])
        env["FIRMSIM_PLUGINS"] = module
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                              env=env, timeout=120)
        assert expected in done.stdout + done.stderr, (module, done.stderr)
        done = subprocess.run([*FIRMSIM, "show", "demo"], capture_output=True, text=True,
                              env=env, timeout=120)
        if module != "mine":
            assert done.returncode == 2 and expected in done.stderr
            assert "Traceback" not in done.stderr


def test_registering_from_python_and_refusals():
    """The documented Python API: register, read back, refuse a bad name and a duplicate."""
    from simulation.config.schema import validate_model_config

    registry.register_metric("tests_constant_metric", lambda model: 1.0, "always one")
    try:
        assert "tests_constant_metric" in registry.names("metric")
        with pytest.raises(ConfigError, match="registered twice"):
            registry.register_metric("tests_constant_metric", lambda model: 2.0)
        with pytest.raises(ConfigError, match="use letters, digits and '_'"):
            registry.register_metric("bad name", lambda model: 2.0)
        with pytest.raises(ConfigError, match="unknown structure 'nope'"):
            registry.get("structure", "nope")
        with pytest.raises(ConfigError, match="structure='nope': allowed values are"):
            validate_model_config({"structure": "nope"})
    finally:
        registry.unregister("metric", "tests_constant_metric")
