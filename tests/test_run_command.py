"""`firmsim run` results folders, manifest re-runs, atomic writes, the folder guard, query."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pandas as pd
import pytest

from simulation.analysis import report
from simulation.commands.cli import main
from simulation.store.results import RESULT_FILES

SMALL = ["--set", "customers.count=500", "--set", "firm.employees=30", "--steps", "40",
         "--replicates", "2", "--set", "shocks.0.step=20", "--no-progress"]
STRUCTURES = ["hierarchy", "network", "podular"]  # need-shift's


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """One small run of need-shift, shared by the tests that only read its folder."""
    out = tmp_path_factory.mktemp("run") / "need-shift"
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        status = main(["run", "need-shift", "--out", str(out), "--workers", "2", *SMALL])
    assert status == 0, stderr.getvalue()
    return out, stdout.getvalue()


def test_run_writes_every_result_file(results):
    """The folder holds the Parquet tables, the summaries, both figures and the manifest."""
    out, _ = results
    for name in (*RESULT_FILES, "manifest.json"):
        assert (out / name).stat().st_size > 0, name
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary leftovers


def test_timeseries_and_resilience_have_one_row_per_unit(results):
    """timeseries: structure x replicate x step; resilience: structure x replicate x shock."""
    out, _ = results
    series = pd.read_parquet(out / "timeseries.parquet")
    assert len(series) == len(STRUCTURES) * 2 * 40
    assert list(series["structure"].unique()) == STRUCTURES
    assert {"market_share", "decision_latency", "largest_queue"} <= set(series.columns)
    assert not series.duplicated(["structure", "replicate", "step"]).any()
    resilience = pd.read_parquet(out / "resilience.parquet")
    assert len(resilience) == len(STRUCTURES) * 2 * 1
    for column in ("baseline", "trough", "depth", "recovery_time", "recovered", "area_lost",
                   "post_level"):
        assert column in resilience.columns


def test_summary_has_intervals_and_paired_differences(results):
    """summary.csv: per structure and shock, mean/low/high and the difference to the first."""
    out, stdout = results
    summary = pd.read_csv(out / "summary.csv")
    assert list(summary["structure"]) == STRUCTURES
    for figure in ("baseline", "trough", "depth", "area_lost", "post_level", "plateau"):
        for suffix in ("mean", "low", "high", "diff", "diff_low", "diff_high"):
            assert f"{figure}_{suffix}" in summary.columns
    # Recovery times are censored: Kaplan-Meier columns, no mean.
    for prefix in ("recovery", "plateau_recovery"):
        for suffix in ("median", "median_low", "median_high", "censored"):
            assert f"{prefix}_{suffix}" in summary.columns
    assert "recovery_time_mean" not in summary.columns
    assert (summary.loc[0, "depth_diff"] == 0)  # the reference against itself
    assert "Paired difference of market share against hierarchy" in stdout
    # Paired differences come before the per-structure table.
    assert stdout.index("Paired difference") < stdout.index("Resilience of")
    assert "need_shift #0" in stdout


def test_manifest_records_everything_needed_to_rerun(results):
    """The manifest holds the resolved scenario, seeds, versions, git commit and file hashes."""
    out, _ = results
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["scenario_name"] == "need-shift"
    assert manifest["scenario"]["steps"] == 40
    assert manifest["scenario"]["customers"]["count"] == 500
    seeds = manifest["seeds"]
    assert seeds["replicates"] == 2 and len(seeds["replicate_seeds"]) == 2
    assert seeds["replicate_seeds"][1]["spawn_key"] == [1]
    for package in ("python", "numpy", "numba", "mesa", "pandas", "pyarrow"):
        assert manifest["versions"][package]
    assert "commit" in manifest["git"]
    assert set(manifest["files"]) == set(RESULT_FILES)


def test_rerunning_the_manifest_gives_identical_parquet(results, tmp_path, capsys):
    """`firmsim run DIR/manifest.json --out OTHER` (here with 1 worker) reproduces the data."""
    out, _ = results
    again = tmp_path / "again"
    status = main(["run", str(out / "manifest.json"), "--out", str(again), "--workers", "1",
                   "--no-progress"])
    assert status == 0, capsys.readouterr().err
    for name in ("timeseries.parquet", "resilience.parquet"):
        pd.testing.assert_frame_equal(pd.read_parquet(out / name),
                                      pd.read_parquet(again / name))
    first = json.loads((out / "manifest.json").read_text())
    second = json.loads((again / "manifest.json").read_text())
    assert first["scenario"] == second["scenario"] and first["seeds"] == second["seeds"]


def test_query_runs_sql_over_the_folder(results, capsys):
    """`firmsim query DIR SQL` sees the tables timeseries and resilience."""
    out, _ = results
    assert main(["query", str(out), "SELECT structure, count(*) AS n FROM timeseries "
                                    "GROUP BY structure ORDER BY structure"]) == 0
    printed = capsys.readouterr().out
    assert "hierarchy" in printed and "80" in printed
    assert main(["query", str(out), "SELECT count(*) AS n FROM resilience", "--format",
                 "csv"]) == 0
    assert capsys.readouterr().out.splitlines() == ["n", "6"]


def test_query_errors_are_one_line(results, tmp_path, capsys):
    """Bad SQL or a folder without results exits with status 2 and a readable message."""
    out, _ = results
    assert main(["query", str(out), "SELECT nope FROM timeseries"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("firmsim query: error: SQL error") and "Traceback" not in err
    assert main(["query", str(tmp_path), "SELECT 1"]) == 2
    assert "holds no results" in capsys.readouterr().err


def test_other_scenario_folder_is_not_overwritten(results, tmp_path, capsys):
    """A folder with another scenario's results is refused unless --force."""
    out, _ = results
    folder = tmp_path / "shared"
    folder.mkdir()
    (folder / "manifest.json").write_text((out / "manifest.json").read_text())
    (folder / "timeseries.parquet").write_bytes((out / "timeseries.parquet").read_bytes())
    before = (folder / "timeseries.parquet").read_bytes()
    calm = ["run", "calm", "--out", str(folder), "--workers", "1", "--no-progress",
            "--set", "customers.count=500", "--set", "firm.employees=30", "--steps", "20",
            "--replicates", "1", "--set", 'structures=["hierarchy"]']
    assert main(calm) == 2
    err = capsys.readouterr().err
    assert "holds results of scenario 'need-shift'" in err and "--force" in err
    assert (folder / "timeseries.parquet").read_bytes() == before
    assert main([*calm, "--force"]) == 0
    assert json.loads((folder / "manifest.json").read_text())["scenario_name"] == "calm"


def test_results_without_manifest_are_not_overwritten(tmp_path, capsys):
    """Result files of unknown origin are protected too."""
    (tmp_path / "resilience.parquet").write_bytes(b"not ours")
    assert main(["run", "calm", "--out", str(tmp_path), "--no-progress"]) == 2
    assert "without a manifest" in capsys.readouterr().err


def test_no_shock_scenario_writes_levels_and_empty_summary(tmp_path, capsys, monkeypatch):
    """calm has no shocks: summary.csv has only its header; levels are printed; default --out."""
    monkeypatch.chdir(tmp_path)
    assert main(["run", "calm", "--workers", "1", "--no-progress", "--set",
                 "customers.count=500", "--set", "firm.employees=30", "--steps", "30",
                 "--replicates", "2", "--set", 'structures=["hierarchy","open"]']) == 0
    printed = capsys.readouterr().out
    assert "No shocks scheduled" in printed and "Level over the last" in printed
    out = tmp_path / "results" / "calm"
    assert len(pd.read_csv(out / "summary.csv")) == 0
    levels = pd.read_csv(out / "levels.csv")
    assert set(levels["structure"]) == {"hierarchy", "open"}


@pytest.mark.parametrize("arguments, expected", [
    (["--set", "firm.emplyees=30"], "did you mean 'firm.employees'"),
    (["--set", "nonsense.field=1"], "unknown key 'nonsense'"),
    (["--replicates", "0"], "replicates=0"),
    (["--steps", "100"], "shocks[0].step=150"),
    (["--set", "firm.employees=-5"], "firm.employees=-5: input should be greater than or "
                                     "equal to 2 (allowed: 2 to 1000000)"),
    (["--set", "market.k=30"], "market.k=30"),
    (["--workers", "0"], "--workers=0"),
])
def test_bad_run_input_exits_2_with_one_line(tmp_path, capsys, arguments, expected):
    """Bad options or --set values exit with status 2 before anything runs or is written."""
    out = tmp_path / "out"
    assert main(["run", "need-shift", "--out", str(out), *arguments]) == 2
    err = capsys.readouterr().err
    assert err.startswith("firmsim run: error: ") and expected in err, err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not out.exists()


def test_bad_scenario_file_exits_2(tmp_path, capsys):
    """A typo inside a scenario file is reported with the closest valid key."""
    path = tmp_path / "typo.toml"
    path.write_text('name = "typo"\n[firm]\nemplyees = 30\n')
    assert main(["run", str(path), "--out", str(tmp_path / "out")]) == 2
    assert "did you mean 'employees'" in capsys.readouterr().err


def test_atomic_write_never_leaves_a_truncated_file(tmp_path, monkeypatch):
    """A writer that dies midway leaves the previous complete file untouched and no final file
    where there was none: writing goes to a temporary name, then a rename."""
    frame = pd.DataFrame({"a": range(100)})
    existing = tmp_path / "timeseries.parquet"
    report.write_parquet(frame, existing)
    before = existing.read_bytes()

    def dies_midway(self, path, **kwargs):
        Path(path).write_bytes(b"PAR1 half a file")
        raise KeyboardInterrupt

    monkeypatch.setattr(pd.DataFrame, "to_parquet", dies_midway)
    with pytest.raises(KeyboardInterrupt):
        report.write_parquet(frame.assign(a=0), existing)
    with pytest.raises(KeyboardInterrupt):
        report.write_parquet(frame, tmp_path / "new.parquet")
    assert existing.read_bytes() == before
    assert not (tmp_path / "new.parquet").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["timeseries.parquet"]


def test_interrupted_run_keeps_previous_results(results, tmp_path, monkeypatch, capsys):
    """A run interrupted while writing leaves the earlier complete Parquet files intact and
    the manifest marked as running, never complete."""
    out, _ = results
    folder = tmp_path / "need-shift"
    folder.mkdir()
    for name in ("manifest.json", "timeseries.parquet", "resilience.parquet"):
        (folder / name).write_bytes((out / name).read_bytes())
    before = (folder / "timeseries.parquet").read_bytes()

    def dies_midway(self, path, **kwargs):
        Path(path).write_bytes(b"PAR1 half a file")
        raise KeyboardInterrupt

    monkeypatch.setattr(pd.DataFrame, "to_parquet", dies_midway)
    status = main(["run", "need-shift", "--out", str(folder), "--workers", "1", *SMALL])
    assert status == 130
    assert (folder / "timeseries.parquet").read_bytes() == before
    assert json.loads((folder / "manifest.json").read_text())["status"] == "running"
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]


def test_same_seed_object_gives_the_same_run():
    """Common random numbers hold within one process: running two structures on one
    replicate's SeedSequence object must not advance it (the model spawns from its seed)."""
    from simulation.execution.experiment import RunSpec, replicate_seeds, run_one
    from simulation.store.sources import resolve

    scenario, _, _ = resolve("need-shift", ["customers.count=300", "firm.employees=20",
                                            "steps=15", "shocks.0.step=5"])
    config = scenario.model_config_only()
    seed = replicate_seeds(1, 1)[0]
    first = run_one(RunSpec("network", 0, seed, config))[0]
    run_one(RunSpec("hierarchy", 0, seed, config))
    again = run_one(RunSpec("network", 0, seed, config))[0]
    pd.testing.assert_frame_equal(first, again)
