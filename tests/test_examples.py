"""The examples run as a user would run them (small sizes)."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_first_comparison_runs(tmp_path):
    done = subprocess.run([sys.executable, str(EXAMPLES / "first_comparison.py"), "--small"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "paired against hierarchy" in done.stdout
    assert (tmp_path / "first_comparison.png").stat().st_size > 10_000


def test_my_extension_and_read_results(tmp_path):
    """The extension example runs through `firmsim run`; read_results reads the folder."""
    (tmp_path / "my.toml").write_text(textwrap.dedent("""
        name = "mine"
        structures = ["hierarchy", "two_level"]
        steps = 30
        replicates = 2
        [firm]
        employees = 25
        [customers]
        count = 300
        degree = 4
        [[shocks]]
        kind = "key_client_loss"
        step = 15
        share = 0.5
    """))
    env = {**os.environ, "PYTHONPATH": str(EXAMPLES), "FIRMSIM_PLUGINS": "my_extension"}
    done = subprocess.run([sys.executable, "-m", "simulation.commands.cli", "run",
                           str(tmp_path / "my.toml"), "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr
    series = pd.read_parquet(tmp_path / "out" / "timeseries.parquet")
    assert set(series.structure) == {"hierarchy", "two_level"}
    at = series[(series.structure == "two_level") & (series.replicate == 0)].set_index("step")
    assert at.customers_buying[15] < 0.75 * at.customers_buying[14]
    assert "share_of_partners" in series.columns
    done = subprocess.run([sys.executable, str(EXAMPLES / "read_results.py"),
                           str(tmp_path / "out")], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "timeseries:" in done.stdout and "two_level" in done.stdout
