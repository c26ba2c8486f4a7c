"""Replicates chosen by precision in grid sweeps (``[precision]`` in an experiment file).

The rule (:mod:`simulation.analysis.precision`): a point's leader on each listed output must be
told apart from every other structure (paired interval excluding 0 in its favour, or inside
plus or minus the margin) before the point stops getting replicates. Checked here against an
independent computation of the paired t-interval (scipy), end to end through ``firmsim
sweep``, for resume, for numbers that do not depend on the rule, and for bad input.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from simulation.analysis.precision import next_targets, point_resolution, standing
from simulation.commands.cli import main
from simulation.errors import ConfigError
from simulation.sweep.spec import load_experiment
from simulation.sweep.storage import read_table
from tests.test_sweep import write

#: Large enough that some points resolve before the maximum and others do not (measured:
#: replicates [6, 4, 6, 6]), so the rule has something to decide.
PRECISE = """
name = "tiny-precise"
scenario = "need-shift"
set = ["customers.count=1500", "firm.employees=40", "steps=80", "shocks.0.step=40",
       "market.attributes=10"]
structures = ["hierarchy", "network"]
replicates = 2
seed = 11
design = "grid"
outputs = ["levels"]

[[parameters]]
path = "market.turbulence"
levels = [0.0, 0.1]

[[parameters]]
path = "market.cross_module_share"
name = "coupling"
levels = [0.1, 0.9]

[precision]
step = 2
max_replicates = 6
[precision.margins]
mean_market_share = 0.02
"""


def scipy_open(a: np.ndarray, b: np.ndarray, margin: float, better: str = "higher") -> bool:
    """Independent twin of the rule for two structures: is the comparison still open?"""
    means = a.mean(), b.mean()
    leader, other = (a, b) if (means[0] >= means[1]) == (better == "higher") else (b, a)
    difference = other - leader
    if len(difference) < 2:
        return True
    if np.all(difference == difference[0]):
        low = high = float(difference[0])
    else:
        low, high = stats.t.interval(0.95, len(difference) - 1, loc=difference.mean(),
                                     scale=stats.sem(difference))
    behind = high < 0 if better == "higher" else low > 0
    return not (behind or (-margin <= low and high <= margin))


def runs_table(values: dict[str, list[float]], output: str = "mean_market_share",
               point: int = 0) -> pd.DataFrame:
    rows = [{"point": point, "structure": name, "replicate": r, output: v}
            for name, series in values.items() for r, v in enumerate(series)]
    return pd.DataFrame(rows)


def test_standing_behind_tie_and_open_in_both_directions():
    assert standing(-0.3, -0.1, 0.0, "higher") == "behind"
    assert standing(0.1, 0.3, 0.0, "lower") == "behind"
    assert standing(-0.01, 0.01, 0.02, "higher") == "tie"
    assert standing(-0.01, 0.03, 0.02, "higher") == "open"
    assert standing(-0.3, 0.1, 0.0, "higher") == "open"
    assert standing(float("nan"), float("nan"), 1.0, "higher") == "open"
    # Exactly on the margin counts as inside it.
    assert standing(-0.02, 0.02, 0.02, "lower") == "tie"


@pytest.mark.parametrize("seed", range(12))
def test_point_resolution_equals_an_independent_paired_t_interval(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 9))
    common = rng.normal(0.5, 0.1, n)  # common random numbers: the pairs move together
    a = common + rng.normal(0, 0.02, n)
    b = common + rng.normal(rng.choice([0.0, 0.01, 0.05]), 0.02, n)
    margin = float(rng.choice([0.0, 0.005, 0.03]))
    for output, better in (("mean_market_share", "higher"), ("s0_area_lost", "lower")):
        table = runs_table({"hierarchy": list(a), "network": list(b)}, output)
        got = point_resolution(table, {output: margin}, ["hierarchy", "network"])
        assert bool(got.loc[0, "resolved"]) == (not scipy_open(a, b, margin, better))
        assert got.loc[0, "replicates"] == n


def test_a_point_is_resolved_only_when_every_output_and_every_structure_is():
    clear = {"a": [0.9, 0.91, 0.92], "b": [0.1, 0.12, 0.11], "c": [0.2, 0.21, 0.2]}
    table = runs_table(clear)
    table["final_profit"] = table["mean_market_share"]
    assert point_resolution(table, {"mean_market_share": 0.0, "final_profit": 0.0},
                            ["a", "b", "c"])["resolved"].all()
    # c now close to the leader on one output only: that one comparison is open.
    table.loc[table["structure"] == "c", "final_profit"] = [0.95, 0.80, 0.93]
    got = point_resolution(table, {"mean_market_share": 0.0, "final_profit": 0.0},
                           ["a", "b", "c"])
    assert not got.loc[0, "resolved"]
    assert got.loc[0, "open"] == "final_profit: a vs c"  # leader a (mean 0.91 > 0.893)


def test_identical_structures_tie_within_any_margin_and_a_leader_is_found_by_direction():
    same = runs_table({"a": [0.3, 0.5, 0.4], "b": [0.3, 0.5, 0.4]}, "s0_area_lost")
    assert point_resolution(same, {"s0_area_lost": 0.0}, ["a", "b"])["resolved"].all()
    lower = runs_table({"a": [1.0, 1.1, 1.2], "b": [2.0, 2.2, 2.1]}, "s0_area_lost")
    got = point_resolution(lower, {"s0_area_lost": 0.0}, ["b", "a"])
    assert got["resolved"].all() and got.loc[0, "open"] == ""


def test_next_targets_adds_a_step_only_where_open_and_stops_at_the_maximum():
    resolution = pd.DataFrame({"point": [0, 1, 2], "replicates": [4, 4, 6],
                               "resolved": [True, False, False], "open": ["", "x", "y"]})
    assert next_targets([4, 4, 6, 4], resolution, 3, 6) == [4, 6, 6, 4]


def test_precision_sweep_stops_each_point_where_the_rule_says(tmp_path):
    path = write(tmp_path, PRECISE)
    out = tmp_path / "out"
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1",
                 "--no-progress"]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    targets = manifest["precision"]["replicates"]
    runs = read_table(out, "runs")
    assert len(runs) == 2 * sum(targets)
    seen = []
    for point, target in enumerate(targets):
        assert target in (2, 4, 6)
        at = runs[runs["point"] == point]
        series = {s: at[at["structure"] == s].sort_values("replicate")["mean_market_share"]
                  .to_numpy() for s in ("hierarchy", "network")}
        assert len(series["hierarchy"]) == target
        # Open at every earlier round, resolved at the last one unless at the maximum.
        for earlier in range(2, target, 2):
            assert scipy_open(series["hierarchy"][:earlier], series["network"][:earlier],
                              0.02)
        final_open = scipy_open(series["hierarchy"], series["network"], 0.02)
        assert final_open == (point in manifest["precision"]["unresolved"])
        assert not final_open or target == 6
        seen.append(target)
    # The rule must have had something to decide: points stop at different rounds.
    assert len(set(seen)) > 1, f"every point stopped at {seen[0]} replicates: no rule exercised"

    # Resumed, the complete sweep runs nothing and takes the same rounds.
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1",
                 "--no-progress"]) == 0
    again = json.loads((out / "manifest.json").read_text())
    assert again["precision"] == manifest["precision"]
    assert again["sessions"][-1]["runs_done"] == 0

    # A run's numbers do not depend on the rule: the same run of a fixed-replicate sweep of
    # max_replicates (same run number, seed and values) gives the same row.
    fixed = write(tmp_path, PRECISE.split("[precision]")[0].replace(
        "replicates = 2", "replicates = 6"), "fixed.toml")
    resolved_fixed = load_experiment(fixed)
    assert resolved_fixed.replicate_stride == load_experiment(path).replicate_stride == 6
    out_fixed = tmp_path / "fixed"
    assert main(["sweep", str(fixed), "--out", str(out_fixed), "--workers", "2",
                 "--no-progress"]) == 0
    full = read_table(out_fixed, "runs").set_index("run")
    mine = runs.set_index("run")
    columns = [c for c in mine.columns if c.startswith(("mean_", "final_"))]
    pd.testing.assert_frame_equal(mine[columns].sort_index(),
                                  full.loc[mine.index, columns].sort_index())


@pytest.mark.parametrize("change, named", [
    (("design = \"grid\"", "design = \"sobol\"\nsamples = 4"), "precision"),
    (("max_replicates = 6", "max_replicates = 1"), "max_replicates"),
    (("mean_market_share = 0.02", "mean_market_shar = 0.02"), "precision.margins"),
    (("mean_market_share = 0.02", "mean_market_share = -0.1"), "margins"),
    (("replicates = 2\n", "replicates = 1\n"), "replicates"),
])
def test_bad_precision_settings_are_refused_in_one_line(tmp_path, change, named):
    text = PRECISE.replace(*change)
    if "sobol" in change[1]:
        text = text.replace("levels = [0.0, 0.1]", "low = 0.0\nhigh = 0.1").replace(
            "levels = [0.1, 0.9]", "low = 0.1\nhigh = 0.9")
    with pytest.raises(ConfigError) as error:
        load_experiment(write(tmp_path, text))
    message = str(error.value)
    assert "\n" not in message and named in message, message


def test_a_precision_sweep_killed_in_a_later_round_resumes_to_the_same_rounds(tmp_path):
    """Killed right after the first batch of round 3 is on disk, the resumed sweep must
    decide round 1 from round 1's replicates only (not from the round-2 and round-3 runs it
    finds), so it plans the same replicates and holds the same runs as an uninterrupted
    sweep."""
    import os
    import subprocess
    import sys

    path = write(tmp_path, PRECISE)
    clean, killed = tmp_path / "clean", tmp_path / "killed"
    command = [sys.executable, "-m", "simulation.commands.cli", "sweep", str(path),
               "--workers", "1", "--batch-size", "2", "--no-progress", "--out"]
    assert subprocess.run([*command, str(clean)], capture_output=True).returncode == 0
    # Rounds 1 and 2: 4 points x 2 replicates x 2 structures = 16 runs = 8 batches of 2
    # each (no point resolves at 2 replicates here); batch 17 is round 3's first.
    env = {**os.environ, "FIRMSIM_FAULT": "sweep:batch-written@17"}
    died = subprocess.run([*command, str(killed)], capture_output=True, env=env)
    assert died.returncode == -9, died.stderr.decode()
    assert len(read_table(killed, "runs")) == 34
    assert subprocess.run([*command, str(killed)], capture_output=True).returncode == 0
    manifests = [json.loads((folder / "manifest.json").read_text())
                 for folder in (clean, killed)]
    assert manifests[0]["precision"] == manifests[1]["precision"]
    assert (sorted(read_table(clean, "runs")["run"])
            == sorted(read_table(killed, "runs")["run"]))
