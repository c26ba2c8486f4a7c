"""Parameter sweeps: experiment files, designs, the local runner, resume, failures, analyze.

The Dask cluster test is in ``test_sweep_dask.py``, the kill-and-resume test in
``test_sweep_kill.py``; both import the helpers below.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulation.commands.cli import main
from simulation.errors import ConfigError
from simulation.sweep.design import build_design, point_count
from simulation.sweep.spec import load_experiment, shipped_experiments
from simulation.sweep.storage import SweepStore, read_table

#: Overrides that make one run take a few hundredths of a second.
TINY_SET = ('set = ["customers.count=400", "firm.employees=25", "steps=36", '
            '"shocks.0.step=18", "market.attributes=10"]')

GRID = f"""
name = "tiny-grid"
scenario = "need-shift"
{TINY_SET}
structures = ["hierarchy", "network"]
replicates = 2
seed = 5
design = "grid"

[[parameters]]
path = "market.turbulence"
levels = [0.0, 0.1]

[[parameters]]
path = "market.cross_module_share"
low = 0.0
high = 1.0
count = 3
"""


def write(folder: Path, text: str, name: str = "experiment.toml") -> Path:
    path = Path(folder) / name
    path.write_text(text)
    return path


def sampled(design: str, samples: int, name: str | None = None) -> str:
    """A tiny sampled experiment (three parameters, two structures)."""
    return f"""
name = "{name or 'tiny-' + design}"
scenario = "need-shift"
{TINY_SET}
structures = ["hierarchy", "network"]
replicates = 1
seed = 9
design = "{design}"
samples = {samples}

[[parameters]]
path = "market.turbulence"
low = 0.0
high = 0.2

[[parameters]]
path = "firm.capacity"
low = 1
high = 8

[[parameters]]
path = "shocks.0.strength"
name = "shock_strength"
low = 0.2
high = 0.8
"""


def dataset(folder: Path) -> dict[str, pd.DataFrame]:
    """The data tables of a sweep folder, sorted (what must not depend on how it ran)."""
    return {table: read_table(folder, table) for table in ("runs", "timeseries")}


def assert_same_dataset(left: Path, right: Path) -> None:
    a, b = dataset(left), dataset(right)
    for table in a:
        pd.testing.assert_frame_equal(a[table], b[table], check_exact=True)


def sweep(path: Path, out: Path, *options: str) -> int:
    """Run ``firmsim sweep`` in this process (no progress bar)."""
    return main(["sweep", str(path), "--out", str(out), "--no-progress", *options])


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Size and modification time of every file under ``folder``."""
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(Path(folder).rglob("*")) if p.is_file()}


# ---------------------------------------------------------------------------- files
def test_shipped_experiments_validate():
    """The three shipped studies load, say what they show and how long they take."""
    names = set(shipped_experiments())
    assert {"turbulence-interdependence-grid", "recovery-drivers-sobol", "firm-size"} <= names
    for name in names:
        resolved = load_experiment(name)
        assert resolved.experiment.description
        text = (Path("experiments") / f"{name}.toml").read_text() if Path(
            "experiments").is_dir() else ""
        if text:
            assert "Shows:" in text and ("minutes" in text or "Size" in text)
        assert point_count(resolved) == len(build_design(resolved))
    grid = load_experiment("turbulence-interdependence-grid")
    assert grid.structures == ["hierarchy", "network"]
    assert {p.path for p in grid.parameters} == {"market.turbulence",
                                                 "market.cross_module_share"}
    sobol = load_experiment("recovery-drivers-sobol")
    assert sobol.experiment.design == "sobol"
    size = load_experiment("firm-size")
    levels = size.parameters[0].levels
    assert size.parameters[0].path == "firm.employees" and min(levels) == 20
    assert max(levels) == 20_000 and size.replicates <= 3


def test_designs_have_the_documented_sizes_and_are_deterministic(tmp_path):
    """Grid = product of levels; Sobol N(D+2); Morris N(D+1); LHS N; same design twice."""
    grid = load_experiment(write(tmp_path, GRID))
    design = build_design(grid)
    assert len(design) == 6 and design.values[0] == (0.0, 0.0)
    assert {v[1] for v in design.values} == {0.0, 0.5, 1.0}
    for kind, samples, expected in (("sobol", 8, 8 * 5), ("morris", 4, 4 * 4),
                                    ("lhs", 10, 10)):
        resolved = load_experiment(write(tmp_path, sampled(kind, samples), f"{kind}.toml"))
        first, second = build_design(resolved), build_design(resolved)
        assert len(first) == expected == point_count(resolved)
        np.testing.assert_array_equal(first.raw, second.raw)
        capacities = [v[1] for v in first.values]
        assert all(isinstance(c, int) and 1 <= c <= 8 for c in capacities), kind
        assert all(0.0 <= v[0] <= 0.2 for v in first.values)


# ---------------------------------------------------------------------------- running
def test_results_do_not_depend_on_workers_or_batching(tmp_path):
    """One worker in batches of 1 and two workers in batches of 5 write the same dataset,
    and a run's numbers are those of a direct run with its SeedSequence(root, (point, rep))."""
    path = write(tmp_path, GRID)
    assert sweep(path, tmp_path / "a", "--workers", "1", "--batch-size", "1") == 0
    assert sweep(path, tmp_path / "b", "--workers", "2", "--batch-size", "5") == 0
    assert_same_dataset(tmp_path / "a", tmp_path / "b")
    runs = read_table(tmp_path / "a", "runs")
    assert len(runs) == 6 * 2 * 2 and list(runs["run"]) == list(range(24))
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["runs_done"] == 24

    from simulation.core.model import FirmModel
    from simulation.sweep.spec import point_config

    resolved = load_experiment(path)
    row = runs[(runs["point"] == 4) & (runs["replicate"] == 1)
               & (runs["structure"] == "network")].iloc[0]
    config = point_config(resolved.base, ["market.turbulence", "market.cross_module_share"],
                          [0.1, 0.5]).model_copy(update={"structure": "network"})
    model = FirmModel(config=config, rng=np.random.SeedSequence(5, spawn_key=(4, 1)))
    model.run()
    direct = model.resilience("market_share").iloc[0]
    assert row["s0_depth"] == direct["depth"]
    assert row["s0_recovery_time"] == direct["recovery_time"]
    assert row["final_market_share"] == model.metrics()["market_share"].iloc[-1]


def test_timeseries_output_keeps_every_step(tmp_path):
    """With outputs = [..., "timeseries"] every step of every run is kept, keyed by run."""
    text = GRID.replace('design = "grid"', 'design = "grid"\noutputs = ["levels", "timeseries"]')
    assert sweep(write(tmp_path, text), tmp_path / "out", "--workers", "1") == 0
    series = read_table(tmp_path / "out", "timeseries")
    assert len(series) == 24 * 36
    assert list(series.columns[:5]) == ["run", "point", "structure", "replicate", "step"]
    runs = read_table(tmp_path / "out", "runs")
    assert not any(c.startswith("s0_") for c in runs.columns)
    last = series[series["step"] == 35].set_index("run")["market_share"]
    np.testing.assert_array_equal(last.to_numpy(), runs["final_market_share"].to_numpy())


def test_failed_run_is_recorded_listed_and_retried(tmp_path, monkeypatch, capsys):
    """A run that raises does not stop the sweep: it is kept with its parameters, seed and
    error, listed at the end (exit 1), and run again (only it) on resume."""
    from simulation.core.model import FirmModel

    path = write(tmp_path, GRID)
    original = FirmModel.run

    def flaky(self, *args, **kwargs):
        if self.config.structure == "network" and self.config.market.turbulence == 0.1 \
                and self.config.market.cross_module_share == 0.5:
            raise RuntimeError("injected failure")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(FirmModel, "run", flaky)
    assert sweep(path, tmp_path / "out", "--workers", "1", "--batch-size", "3") == 1
    err = capsys.readouterr().err
    assert "2 run(s) failed" in err and "injected failure" in err
    assert "turbulence=0.1" in err and "SeedSequence(5, spawn_key=(4, 0))" in err
    failures = SweepStore(tmp_path / "out").failures()
    assert sorted(failures["run"]) == [17, 19]
    assert set(failures["structure"]) == {"network"}
    assert (failures["cross_module_share"] == 0.5).all()
    assert len(read_table(tmp_path / "out", "runs")) == 22
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["status"] == "incomplete" and manifest["runs_failed"] == 2

    monkeypatch.setattr(FirmModel, "run", original)
    assert sweep(path, tmp_path / "out", "--workers", "1") == 0
    out = capsys.readouterr().out
    assert "22 runs already on disk, 2 to run" in out
    assert SweepStore(tmp_path / "out").failures().empty
    assert sweep(path, tmp_path / "clean", "--workers", "1") == 0
    assert_same_dataset(tmp_path / "out", tmp_path / "clean")


def test_resume_after_an_interrupted_batch(tmp_path):
    """A folder as a kill leaves it (runs partitions missing, an uncommitted timeseries
    partition, a temporary file) resumes to exactly the uninterrupted dataset."""
    text = GRID.replace('design = "grid"', 'design = "grid"\noutputs = ["levels", "timeseries"]')
    path = write(tmp_path, text)
    assert sweep(path, tmp_path / "full", "--workers", "1") == 0
    assert sweep(path, tmp_path / "cut", "--workers", "1", "--batch-size", "4") == 0
    parts = sorted((tmp_path / "cut" / "runs").glob("part-*.parquet"))
    for part in parts[2:4]:  # killed after the timeseries of these batches was written
        part.unlink()
    (parts[-1]).unlink()
    (parts[-1].with_name(".part-x.parquet.abc")).write_bytes(b"partial")
    assert sweep(path, tmp_path / "cut", "--workers", "2", "--batch-size", "2") == 0
    assert_same_dataset(tmp_path / "full", tmp_path / "cut")
    assert not list((tmp_path / "cut" / "runs").glob(".*"))


def test_analyze_grid_writes_heatmaps_and_csv(tmp_path, capsys):
    """Grid analysis: grid.csv with every structure and the advantage per cell, heatmaps."""
    path = write(tmp_path, GRID)
    assert sweep(path, tmp_path / "out", "--workers", "1") == 0
    assert main(["analyze", str(tmp_path / "out"),
                 "--outputs", "s0_recovery_time,mean_market_share"]) == 0
    analysis = tmp_path / "out" / "analysis"
    table = pd.read_csv(analysis / "grid.csv")
    assert set(table["target"]) == {"hierarchy", "network", "network-hierarchy"}
    cells = table[(table["target"] == "network-hierarchy")
                  & (table["output"] == "mean_market_share")]
    assert len(cells) == 6 and (cells["n"] == 2).all()
    runs = read_table(tmp_path / "out", "runs")
    wide = runs.pivot_table(index=["point", "replicate"], columns="structure",
                            values="mean_market_share")
    expected = (wide["network"] - wide["hierarchy"]).groupby(level="point").mean()
    assert np.allclose(sorted(cells["mean"]), sorted(expected))
    for name in ("advantage_s0_recovery_time_network-hierarchy.png",
                 "levels_mean_market_share.png"):
        assert (analysis / name).stat().st_size > 1000
    assert "network-hierarchy" in capsys.readouterr().out


@pytest.mark.parametrize("design,samples,columns", [
    ("sobol", 8, {"S1", "S1_conf", "ST", "ST_conf"}),
    ("morris", 4, {"mu", "mu_star", "mu_star_conf", "sigma"}),
])
def test_analyze_sobol_and_morris(tmp_path, design, samples, columns):
    """Sobol: S1/ST with intervals; Morris: mu*/sigma; per structure and advantage."""
    path = write(tmp_path, sampled(design, samples))
    assert sweep(path, tmp_path / "out", "--workers", "2") == 0
    assert main(["analyze", str(tmp_path / "out"), "--outputs", "s0_depth"]) == 0
    table = pd.read_csv(tmp_path / "out" / "analysis" / "sensitivity.csv")
    assert columns <= set(table.columns)
    depth = table[table["output"] == "s0_depth"]
    assert set(depth["target"]) == {"hierarchy", "network", "network-hierarchy"}
    assert set(depth["parameter"]) == {"turbulence", "capacity", "shock_strength"}
    assert (tmp_path / "out" / "analysis" / "sensitivity_s0_depth.png").exists()
    # The indices are SALib's on the runs of each target, point by point in design order:
    # recomputed here from the stored runs and design (the network-hierarchy target is the
    # paired difference of the two structures' runs).
    expected = salib_indices(tmp_path / "out", design, "s0_depth")
    for target, values in expected.items():
        rows = depth[depth["target"] == target].set_index("parameter")
        for column, numbers in values.items():
            got = rows.loc[list(numbers), column].to_numpy(dtype=float)
            assert np.isfinite(got).any(), (target, column)
            assert np.allclose(got, list(numbers.values()), equal_nan=True), (target, column)


def salib_indices(folder: Path, design: str, output: str) -> dict[str, dict]:
    """SALib's indices of ``output`` per target, from the runs and design a sweep stored."""
    manifest = json.loads((folder / "manifest.json").read_text())
    problem = dict(manifest["design"]["problem"])
    seed = int(manifest["seeds"]["root"])
    experiment = manifest["resolved"]["experiment"]
    points = pd.read_parquet(folder / "design.parquet").sort_values("point")
    raw = points[[f"raw_{name}" for name in problem["names"]]].to_numpy(dtype=float)
    runs = read_table(folder, "runs")
    per_point = runs.pivot_table(index="point", columns="structure", values=output,
                                 aggfunc="mean").reindex(points["point"])
    per_point["network-hierarchy"] = per_point["network"] - per_point["hierarchy"]
    result = {}
    for target in ("hierarchy", "network", "network-hierarchy"):
        y = per_point[target].to_numpy(dtype=float)
        if design == "sobol":
            from SALib.analyze import sobol

            out = sobol.analyze(problem, y, calc_second_order=experiment["second_order"],
                                conf_level=0.95, seed=seed)
            columns = ("S1", "ST")
        else:
            from SALib.analyze import morris

            out = morris.analyze(problem, raw, y, conf_level=0.95,
                                 num_levels=experiment["morris_levels"], seed=seed)
            columns = ("mu", "mu_star", "sigma")
        result[target] = {c: dict(zip(problem["names"], out[c], strict=True)) for c in columns}
    return result


# ---------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("change,message", [
    (("market.turbulence", "market.turbulance"), "did you mean 'market.turbulence'"),
    (("high = 1.0", "high = -0.5"), "low=0.0 > high=-0.5"),
    (("high = 1.0", "high = 1.5"), "cross_module_share=1.5"),
    (('path = "market.turbulence"', 'path = "structures"'), "cannot be varied"),
    (("replicates = 2", "replicate = 2"), "did you mean 'replicates'"),
])
def test_bad_experiment_file_is_one_line_exit_2(tmp_path, capsys, change, message):
    """Unknown path, low > high, out-of-range value, unsweepable key, unknown key."""
    path = write(tmp_path, GRID.replace(*change))
    assert sweep(path, tmp_path / "out") == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err, err
    assert not (tmp_path / "out").exists()


def test_sobol_needs_a_power_of_two(tmp_path, capsys):
    """samples = 12 for a Sobol design is refused with the powers of two around it."""
    assert sweep(write(tmp_path, sampled("sobol", 12)), tmp_path / "out") == 2
    assert "power of two (e.g. 8 or 16)" in capsys.readouterr().err
    with pytest.raises(ConfigError, match="power of two"):
        load_experiment(write(tmp_path, sampled("sobol", 100), "b.toml"))


def test_folder_of_another_experiment_is_refused_untouched(tmp_path, capsys):
    """Another experiment's folder, or the same name with other settings: exit 2, no file
    touched."""
    assert sweep(write(tmp_path, GRID), tmp_path / "out", "--workers", "1") == 0
    before = snapshot(tmp_path / "out")
    time.sleep(0.01)
    other = write(tmp_path, sampled("lhs", 4), "other.toml")
    assert sweep(other, tmp_path / "out") == 2
    assert "results of experiment 'tiny-grid', not 'tiny-lhs'" in capsys.readouterr().err
    changed = write(tmp_path, GRID.replace("levels = [0.0, 0.1]", "levels = [0.0, 0.2]"),
                    "changed.toml")
    assert sweep(changed, tmp_path / "out") == 2
    assert "different parameters" in capsys.readouterr().err
    assert snapshot(tmp_path / "out") == before


def test_unreachable_scheduler_fails_fast(tmp_path, capsys):
    """A scheduler address nobody listens on: one line, exit 2, within 10 s, nothing
    written."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.perf_counter()
    code = sweep(write(tmp_path, GRID), tmp_path / "out", "--scheduler",
                 f"tcp://127.0.0.1:{port}")
    assert code == 2 and time.perf_counter() - started < 10
    assert "cannot reach a Dask scheduler" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_bad_options_and_analyze_input(tmp_path, capsys):
    """--workers 0, analyze of a non-sweep folder and an unknown output: exit 2."""
    path = write(tmp_path, GRID)
    assert sweep(path, tmp_path / "out", "--workers", "0") == 2
    assert main(["analyze", str(tmp_path)]) == 2
    assert "not a sweep results folder" in capsys.readouterr().err
    assert sweep(path, tmp_path / "out", "--workers", "1") == 0
    manifest = (tmp_path / "out" / "manifest.json").read_bytes()
    capsys.readouterr()
    assert main(["analyze", str(tmp_path / "out"), "--outputs", "nope"]) == 2
    assert "nope" in capsys.readouterr().err
    assert main(["analyze", str(tmp_path / "out"), "--x", "nope"]) == 2
    assert "nope" in capsys.readouterr().err
    # A refused analysis leaves the results folder as the sweep wrote it.
    assert (tmp_path / "out" / "manifest.json").read_bytes() == manifest
