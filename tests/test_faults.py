"""Fault injection: kills, damaged files, two writers, dying workers, hostile SQL, bad input.

Every fault must end in one of two ways: the work survives (a re-run or resume gives exactly
the results of an uninterrupted run, with no finished run lost), or the command refuses in
one line with exit status 2 and writes nothing. Processes are killed with SIGKILL at named
moments (``FIRMSIM_FAULT``, :func:`simulation.execution.processes.fault_point`) and at random
moments.
The figures (kills survived, bytes lost, faults refused cleanly) are printed at the end of
the module and written to ``$FIRMSIM_FAULT_REPORT`` if set.
"""

from __future__ import annotations

import contextlib
import errno
import io
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from test_sweep import GRID, assert_same_dataset, dataset, write

from simulation.commands.cli import main
from simulation.store.results import RESULT_FILES, sha256
from simulation.sweep.storage import SweepStore

pytestmark = pytest.mark.faults

ROOT = Path(__file__).resolve().parent.parent
FIRMSIM = [sys.executable, "-m", "simulation.commands.cli"]
SMALL = ["--set", "customers.count=300", "--set", "firm.employees=30", "--steps", "30",
         "--replicates", "2", "--set", "shocks.0.step=15", "--no-progress"]
#: A grid of 4 points x 2 structures x 2 replicates = 16 runs, with every step kept.
SWEEP = GRID.replace('design = "grid"', 'design = "grid"\noutputs = ["levels", "timeseries"]')

FIGURES = {"kills": 0, "kills_survived": 0, "finished_runs_lost": 0, "bytes_lost": 0,
           "faults": 0, "refused_cleanly": 0}


@pytest.fixture(scope="module", autouse=True)
def report():
    """Print (and save) the figures once the module has run."""
    yield FIGURES
    line = ("fault-injection figures: " + ", ".join(f"{k}={v}" for k, v in FIGURES.items()))
    sys.__stdout__.write("\n" + line + "\n")
    target = os.environ.get("FIRMSIM_FAULT_REPORT")
    if target:
        Path(target).write_text(json.dumps(FIGURES, indent=2) + "\n")


def environment(**extra: str) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("FIRMSIM_FAULT", None)
    env.pop("FIRMSIM_FAULT_ONCE", None)
    env.update(extra)
    return env


def cli(*arguments: str) -> tuple[int, str, str]:
    """``firmsim ARGUMENTS`` in this process: status, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main([str(a) for a in arguments])
    return status, out.getvalue(), err.getvalue()


def refused(status: int, err: str, *words: str) -> None:
    """A clean refusal: exit 2, one line, no traceback, naming ``words``."""
    FIGURES["faults"] += 1
    lines = [line for line in err.strip().splitlines() if line]
    assert status == 2, err
    assert len(lines) == 1 and "Traceback" not in err, err
    for word in words:
        assert word in lines[0], lines[0]
    FIGURES["refused_cleanly"] += 1


def _child(argv: list[str], env: dict[str, str], log: str) -> None:
    os.environ.clear()
    os.environ.update(env)
    sink = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    os.dup2(sink, 1)
    os.dup2(sink, 2)
    sys.stdout = open(1, "w", closefd=False)
    sys.stderr = open(2, "w", closefd=False)
    try:
        code = main(argv)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code)


def spawn(argv: list[str], log: Path | None = None, **extra: str):
    """``firmsim ARGV`` in a new process (a real process to kill), forked from a fork server
    that imported the command line once (so without the seconds an interpreter takes to
    import everything again, and without forking this multi-threaded test process); its
    output goes to ``log``; ``extra``: environment variables."""
    import multiprocessing

    env = environment(**extra)
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["simulation.commands.cli", "pandas", "test_faults"])
    process = context.Process(
        target=_child, args=([str(a) for a in argv], env, str(log or os.devnull)))
    process.start()
    return process


def killed(argv: list[str], fault: str) -> int:
    """Run ``firmsim ARGV`` with ``FIRMSIM_FAULT=fault``; returns its exit status (-9 when
    it killed itself there)."""
    process = spawn(argv, FIRMSIM_FAULT=fault)
    process.join(120)
    return process.exitcode


def children_alive(pids: list[int]) -> list[int]:
    alive = []
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().split()[2]
        except OSError:
            continue
        if state != "Z":
            alive.append(pid)
    return alive


def gone_within(pids: list[int], seconds: float) -> list[int]:
    """Wait up to ``seconds`` for ``pids`` to end; those still alive."""
    deadline = time.monotonic() + seconds
    while children_alive(pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return children_alive(pids)


def parent_of(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        for task in Path(f"/proc/{current}/task").glob("*"):
            with contextlib.suppress(OSError):
                for child in (task / "children").read_text().split():
                    found.append(int(child))
                    todo.append(int(child))
    return found


# ---------------------------------------------------------------------------- run
@pytest.fixture(scope="module")
def reference_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("reference") / "need-shift"
    status, _, err = cli("run", "need-shift", "--out", out, "--workers", "1", *SMALL)
    assert status == 0, err
    return out


def same_run(left: Path, right: Path) -> int:
    """Bytes of ``left``'s tables missing or different in ``right`` (0: the same results)."""
    lost = 0
    for name in ("timeseries.parquet", "resilience.parquet", "summary.csv", "levels.csv"):
        if not (right / name).exists():
            lost += (left / name).stat().st_size
            continue
        read = pd.read_parquet if name.endswith(".parquet") else pd.read_csv
        try:
            pd.testing.assert_frame_equal(read(left / name), read(right / name),
                                          check_exact=True)
        except AssertionError:
            lost += (left / name).stat().st_size
    return lost


RUN_POINTS = ["run:locked", "run:manifest-running", "run:computed", "run:timeseries-written",
              "run:resilience-written", "run:files-written"]


@pytest.mark.parametrize("point", RUN_POINTS)
def test_run_killed_at_a_named_moment_then_rerun(point, reference_run, tmp_path):
    """SIGKILL of `firmsim run` at each moment of its write: the folder is never taken for
    complete results (query refuses it in one line), no temporary file survives the
    re-run, and the re-run gives exactly the uninterrupted results."""
    out = tmp_path / "need-shift"
    FIGURES["kills"] += 1
    assert killed(["run", "need-shift", "--out", out, "--workers", "1", *SMALL],
                  point) == -signal.SIGKILL
    status, _, err = cli("query", out, "SELECT count(*) FROM timeseries")
    refused(status, err)
    status, _, err = cli("run", "need-shift", "--out", out, "--workers", "1", *SMALL)
    assert status == 0, err
    lost = same_run(reference_run, out)
    FIGURES["bytes_lost"] += lost
    assert lost == 0
    assert not [p for p in out.iterdir() if p.name.startswith(".")]
    assert json.loads((out / "manifest.json").read_text())["status"] == "complete"
    FIGURES["kills_survived"] += 1


def test_run_killed_at_random_moments_leaves_no_worker(reference_run, tmp_path):
    """SIGKILL of `firmsim run --workers 2` (the parent only) at random moments: its pool
    workers die with it, and the re-run gives the uninterrupted results."""
    rng = random.Random(13)
    out = tmp_path / "need-shift"
    for _ in range(2):
        kill_parent_after_workers_start(
            spawn(["run", "need-shift", "--out", out, "--workers", "2", *SMALL]),
            rng.uniform(0.0, 0.5))
    status, _, err = cli("run", "need-shift", "--out", out, "--workers", "2", *SMALL)
    assert status == 0, err
    lost = same_run(reference_run, out)
    FIGURES["bytes_lost"] += lost
    assert lost == 0
    FIGURES["kills_survived"] += 2


def test_run_survives_a_dying_worker(reference_run, tmp_path):
    """A pool worker killed mid-run: the pool is rebuilt, the results are the same."""
    out = tmp_path / "need-shift"
    once = tmp_path / "fired"
    done = spawn(["run", "need-shift", "--out", out, "--workers", "2", *SMALL],
                 FIRMSIM_FAULT="run:worker@1", FIRMSIM_FAULT_ONCE=str(once))
    done.join(120)
    assert once.exists() and done.exitcode == 0
    FIGURES["kills"] += 1
    assert same_run(reference_run, out) == 0
    FIGURES["kills_survived"] += 1


# ---------------------------------------------------------------------------- sweep
@pytest.fixture(scope="module")
def reference_sweep(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("sweep")
    path = write(folder, SWEEP)
    status, _, err = cli("sweep", path, "--out", folder / "full", "--workers", "1",
                         "--no-progress")
    assert status == 0, err
    return path, folder / "full"


def runs_on_disk(out: Path) -> pd.DataFrame:
    store = SweepStore(out)
    frames = [pd.read_parquet(p) for p in store.files("runs")] if (out / "runs").is_dir() \
        else []
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def kill_parent_after_workers_start(process, delay: float) -> None:
    """SIGKILL the parent alone ``delay`` s after its two workers exist; its workers must
    follow within 30 s."""
    deadline = time.monotonic() + 60
    workers: list[int] = []
    # The workers are the fork server's children: grandchildren of the process.
    while time.monotonic() < deadline and process.is_alive() and len(
            [p for p in workers if parent_of(p) != process.pid]) < 2:
        workers = descendants(process.pid)
        time.sleep(0.02)
    time.sleep(delay)
    FIGURES["kills"] += 1
    process.kill()
    process.join(30)
    assert not gone_within(workers, 30), workers


def check_resumed(before: pd.DataFrame, out: Path, reference: Path) -> None:
    """Every run on disk at the kill is in the resumed folder, unchanged; the resumed
    folder is the uninterrupted dataset."""
    after = dataset(out)["runs"].set_index("run")
    lost = 0
    if len(before):
        for _, row in before.iterrows():
            if row["run"] not in after.index:
                lost += 1
        FIGURES["finished_runs_lost"] += lost
    assert lost == 0
    assert_same_dataset(reference, out)
    leftovers = [p for p in out.rglob(".*") if p.name not in (".firmsim.lock",)]
    assert not leftovers, leftovers


def resume_and_check(path, out: Path, reference: Path, workers: str, kills: int) -> None:
    """Resume the killed sweep in ``out`` and check it against the uninterrupted one."""
    before = runs_on_disk(out)
    status, _, err = cli("sweep", path, "--out", out, "--workers", workers, "--no-progress")
    assert status == 0, err
    check_resumed(before, out, reference)
    FIGURES["kills_survived"] += kills


SWEEP_POINTS = ["sweep:started", "sweep:batch-written@1", "sweep:part-temporary@3",
                "sweep:batch-written@5", "sweep:before-verify", "sweep:after-manifest"]


@pytest.mark.parametrize("point", SWEEP_POINTS)
def test_sweep_killed_at_a_named_moment_then_resumed(point, reference_sweep, tmp_path):
    """SIGKILL of `firmsim sweep` at each moment: resume loses no finished run and gives
    exactly the uninterrupted dataset."""
    path, reference = reference_sweep
    out = tmp_path / "out"
    FIGURES["kills"] += 1
    assert killed(["sweep", path, "--out", out, "--workers", "1", "--batch-size", "2",
                   "--no-progress"], point) == -signal.SIGKILL
    resume_and_check(path, out, reference, workers="1", kills=1)


def test_sweep_killed_at_random_moments_with_workers(reference_sweep, tmp_path):
    """SIGKILL of `firmsim sweep --workers 2` (parent only) at random moments: no worker is
    left behind; the resumed folder is the uninterrupted dataset."""
    path, reference = reference_sweep
    out = tmp_path / "out"
    rng = random.Random(7)
    for _ in range(2):
        kill_parent_after_workers_start(
            spawn(["sweep", path, "--out", out, "--workers", "2", "--batch-size", "1",
                   "--no-progress"]),
            rng.uniform(0.1, 1.0))
    resume_and_check(path, out, reference, workers="2", kills=2)


def test_sweep_survives_a_dying_local_worker(reference_sweep, tmp_path):
    """One local worker killed mid-batch: the pool is rebuilt and every run finishes."""
    path, reference = reference_sweep
    out = tmp_path / "out"
    once = tmp_path / "fired"
    log = tmp_path / "log"
    done = spawn(["sweep", path, "--out", out, "--workers", "2", "--batch-size", "2",
                  "--no-progress"], log=log, FIRMSIM_FAULT="sweep:worker@2",
                 FIRMSIM_FAULT_ONCE=str(once))
    done.join(120)
    FIGURES["kills"] += 1
    assert once.exists() and done.exitcode == 0, log.read_text()
    assert "restarting the pool" in log.read_text()
    assert_same_dataset(reference, out)
    FIGURES["kills_survived"] += 1


def test_retried_batch_keeps_the_runs_of_its_first_attempt(reference_sweep, tmp_path,
                                                           monkeypatch):
    """Issue 13 case 1: a batch whose first and last runs fail and middle runs succeed is
    retried as a smaller batch; the retry never replaces the file holding the successes."""
    import simulation.sweep.worker as worker

    path, reference = reference_sweep
    out = tmp_path / "out"
    real = worker.run_model
    failing = {0, 3}

    def flaky(config, structure, seed, metric, labels):
        if labels["run"] in failing:
            raise MemoryError("simulated")
        return real(config, structure, seed, metric, labels=labels)

    monkeypatch.setattr(worker, "run_model", flaky)
    status, _, _ = cli("sweep", path, "--out", out, "--workers", "1", "--batch-size", "4",
                       "--no-progress")
    assert status == 1
    monkeypatch.setattr(worker, "run_model", real)
    status, stdout, err = cli("sweep", path, "--out", out, "--workers", "1", "--batch-size",
                              "4", "--no-progress")
    assert status == 0, err
    total = len(dataset(reference)["runs"])
    assert f"{total}/{total} runs on disk" in stdout
    assert len(dataset(out)["runs"]) == total
    assert_same_dataset(reference, out)


def test_dask_sweep_without_workers_stops_and_resumes(reference_sweep, tmp_path):
    """A Dask scheduler with no worker: the sweep says so after the stated time and stops
    (exit 2, manifest 'incomplete'); with a worker, the same command completes it."""
    distributed = pytest.importorskip("distributed")
    path, reference = reference_sweep
    out = tmp_path / "out"
    with distributed.LocalCluster(n_workers=0, processes=False, threads_per_worker=1,
                                  protocol="tcp", dashboard_address=None,
                                  host="127.0.0.1") as cluster:
        status, _, err = cli("sweep", path, "--out", out, "--scheduler",
                             cluster.scheduler_address, "--no-workers-timeout", "2",
                             "--no-progress")
        refused(status, err, "no workers for 2 s")
        assert json.loads((out / "manifest.json").read_text())["status"] == "incomplete"
        cluster.scale(1)
        with distributed.Client(cluster) as client:
            client.wait_for_workers(1, timeout=60)
        status, _, err = cli("sweep", path, "--out", out, "--scheduler",
                             cluster.scheduler_address, "--no-progress")
    assert status == 0, err
    assert_same_dataset(reference, out)


def test_dask_sweep_survives_a_dying_worker(reference_sweep, tmp_path, monkeypatch):
    """A Dask worker process killed mid-batch: its nanny starts a new one, the scheduler
    runs the batch again, the dataset is the uninterrupted one."""
    distributed = pytest.importorskip("distributed")
    path, reference = reference_sweep
    once = tmp_path / "fired"
    monkeypatch.setenv("FIRMSIM_FAULT", "sweep:worker@1")
    monkeypatch.setenv("FIRMSIM_FAULT_ONCE", str(once))
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    with distributed.LocalCluster(n_workers=1, processes=True, threads_per_worker=1,
                                  dashboard_address=None, host="127.0.0.1") as cluster:
        monkeypatch.delenv("FIRMSIM_FAULT")  # this process runs no batch, but be sure
        status, _, err = cli("sweep", path, "--out", tmp_path / "out", "--scheduler",
                             cluster.scheduler_address, "--batch-size", "4", "--no-progress")
    FIGURES["kills"] += 1
    assert once.exists() and status == 0, err
    assert_same_dataset(reference, tmp_path / "out")
    FIGURES["kills_survived"] += 1


# ---------------------------------------------------------------------------- damaged files
def truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x10
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", [truncate, flip])
@pytest.mark.parametrize("name", ["timeseries.parquet", "resilience.parquet",
                                  "manifest.json"])
def test_damaged_run_file_is_refused_by_query_and_the_app(damage, name, reference_run,
                                                         tmp_path):
    """A truncated or bit-flipped file of a run folder: query refuses in one line naming
    it; the app shows a message and not the file; a re-run repairs the folder."""
    from simulation.ui.explore import load_results

    out = tmp_path / "need-shift"
    out.mkdir()
    for file in (*RESULT_FILES, "manifest.json"):
        (out / file).write_bytes((reference_run / file).read_bytes())
    damage(out / name)
    status, _, err = cli("query", out, "SELECT count(*) FROM resilience")
    refused(status, err, name)
    loaded = load_results(out)
    if name != "manifest.json":
        assert name not in loaded.tables
        assert any(name in message for message in loaded.messages)
    # A damaged manifest no longer says whose results these are: --force takes the folder
    # (its old files are moved to replaced-<time>/).
    force = ["--force"] if name == "manifest.json" else []
    status, _, err = cli("run", "need-shift", "--out", out, "--workers", "1", *SMALL, *force)
    assert status == 0, err
    assert same_run(reference_run, out) == 0


@pytest.mark.parametrize("damage", [truncate, flip])
@pytest.mark.parametrize("table", ["runs", "timeseries"])
def test_damaged_sweep_part_is_refused_then_repaired(damage, table, reference_sweep,
                                                     tmp_path):
    """A truncated or bit-flipped part: resume and analyze refuse in one line naming the
    file; --repair drops its batch and recomputes exactly the uninterrupted dataset."""
    path, reference = reference_sweep
    out = tmp_path / "out"
    status, _, err = cli("sweep", path, "--out", out, "--workers", "1", "--batch-size", "4",
                         "--no-progress")
    assert status == 0, err
    part = SweepStore(out).files(table)[1]
    damage(part)
    status, _, err = cli("sweep", path, "--out", out, "--workers", "1", "--no-progress")
    refused(status, err, part.name, "--repair")
    status, _, err = cli("analyze", out)
    refused(status, err, part.name)
    status, _, err = cli("sweep", path, "--out", out, "--workers", "1", "--no-progress",
                         "--repair")
    assert status == 0, err
    assert_same_dataset(reference, out)


def test_damaged_design_and_manifest_of_a_sweep_are_refused(reference_sweep, tmp_path):
    path, _ = reference_sweep
    out = tmp_path / "out"
    assert cli("sweep", path, "--out", out, "--workers", "1", "--no-progress")[0] == 0
    saved = (out / "design.parquet").read_bytes()
    flip(out / "design.parquet")
    status, _, err = cli("sweep", path, "--out", out, "--workers", "1", "--no-progress")
    refused(status, err, "design.parquet")
    (out / "design.parquet").write_bytes(saved)
    text = (out / "manifest.json").read_text()
    (out / "manifest.json").write_text(text.replace('"complete"', '"compleet"'))
    status, _, err = cli("analyze", out)
    refused(status, err, "manifest.json")
    status, _, err = cli("sweep", path, "--out", out, "--workers", "1", "--no-progress")
    refused(status, err, "manifest.json")
    status, _, err = cli("sweep", path, "--out", out, "--workers", "1", "--no-progress",
                         "--repair")
    assert status == 0, err
    assert cli("analyze", out)[0] == 0


# ---------------------------------------------------------------------------- two writers
def test_second_writer_is_refused_and_racing_writers_leave_one_result(reference_run,
                                                                       tmp_path):
    """While a folder is locked, `run` and `sweep` into it are refused in one line; two
    `firmsim run` started together into one --out leave one verified result."""
    from simulation.store.locks import folder_lock

    out = tmp_path / "need-shift"
    with folder_lock(out, "firmsim run"):
        status, _, err = cli("run", "need-shift", "--out", out, "--workers", "1", *SMALL)
        refused(status, err, "another firmsim process")
        status, _, err = cli("sweep", write(tmp_path, SWEEP), "--out", out, "--workers",
                             "1", "--no-progress")
        refused(status, err, "another firmsim process")
    racers = [spawn(["run", "need-shift", "--out", out, "--workers", "1", *SMALL])
              for _ in range(2)]
    for racer in racers:
        racer.join(120)
    codes = [racer.exitcode for racer in racers]
    assert all(code in (0, 2) for code in codes) and 0 in codes, codes
    status, _, err = cli("query", out, "SELECT count(*) AS n FROM timeseries")
    assert status == 0, err
    assert same_run(reference_run, out) == 0


# ---------------------------------------------------------------------------- hostile SQL
HOSTILE = [
    "COPY timeseries TO '{out}/timeseries.parquet' (FORMAT parquet)",
    "COPY (SELECT 1) TO '{tmp}/leak.csv'",
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM read_text('/etc/hostname')",
    "ATTACH '{tmp}/other.db' AS other",
    "INSTALL httpfs",
    "LOAD httpfs",
    "SET enable_external_access = true",
    "CREATE TABLE copy AS SELECT * FROM timeseries",
    "SELECT 1; COPY (SELECT 1) TO '{tmp}/leak2.csv'",
]


@pytest.mark.parametrize("sql", HOSTILE)
def test_hostile_sql_is_refused_and_changes_nothing(sql, reference_run, tmp_path):
    before = {name: sha256(reference_run / name) for name in RESULT_FILES}
    status, _, err = cli("query", reference_run, sql.format(out=reference_run, tmp=tmp_path))
    refused(status, err)
    assert {name: sha256(reference_run / name) for name in RESULT_FILES} == before
    assert not list(tmp_path.iterdir())


def test_reading_sql_still_works(reference_run):
    status, out, err = cli("query", reference_run,
                           "SELECT structure, count(*) AS n FROM timeseries GROUP BY 1 "
                           "ORDER BY 1")
    assert status == 0, err
    assert "hierarchy" in out


# ---------------------------------------------------------------------------- bad input
BAD_RUNS = [
    (["--set", "market.price=inf"], "market.price"),
    (["--set", "customers.choice_sensitivity=inf"], "customers.choice_sensitivity"),
    (["--set", "customers.taste_sd=nan"], "customers.taste_sd"),
    (["--set", "steps=true"], "steps"),
    (["--steps", "1000000000000"], "steps"),
    (["--set", "stakeholders.investors=1000000000000"], "stakeholders.investors"),
    (["--set", "firm.sample_size=1000000000000"], "firm.sample_size"),
    (["--set", "firm.capacity=1000000000000"], "firm.capacity"),
    (["--set", "firm.span=1000000000000"], "firm.span"),
]


@pytest.mark.parametrize("options, field", BAD_RUNS)
def test_unbounded_numbers_are_refused_before_anything_is_written(options, field, tmp_path):
    out = tmp_path / "out"
    status, _, err = cli("run", "need-shift", "--out", out, *options, "--no-progress")
    refused(status, err, field)
    assert not out.exists()


def test_memory_estimate_refuses_a_run_the_machine_cannot_hold(tmp_path, monkeypatch):
    """The largest allowed customer count under 4 GB: refused with field, value and limit,
    before any manifest is written."""
    from simulation.execution import budget

    monkeypatch.setattr(budget, "available_memory", lambda: 4 * 2**30)
    out = tmp_path / "out"
    status, _, err = cli("run", "need-shift", "--out", out, "--set",
                         "customers.count=50000000", "--workers", "1", "--no-progress")
    refused(status, err, "customers.count=50000000", "4.0 GB")
    assert not out.exists()


def test_memory_estimate_refuses_a_sweep_point_the_machine_cannot_hold(tmp_path,
                                                                       monkeypatch):
    from simulation.execution import budget

    monkeypatch.setattr(budget, "available_memory", lambda: 4 * 2**30)
    text = GRID.replace("levels = [0.0, 0.1]", "levels = [1000, 50000000]").replace(
        'path = "market.turbulence"', 'path = "customers.count"')
    status, _, err = cli("sweep", write(tmp_path, text), "--out", tmp_path / "out",
                         "--workers", "1", "--no-progress")
    refused(status, err, "customers.count=50000000")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("levels, words", [("[0.0, inf]", "finite"),
                                           ("[60, 60.0]", "repeat"),
                                           ("[0.0, nan]", "finite")])
def test_bad_sweep_levels_are_refused(levels, words, tmp_path):
    text = GRID.replace("levels = [0.0, 0.1]", f"levels = {levels}").replace(
        'path = "market.turbulence"', 'path = "firm.capacity"' if "60" in levels
        else 'path = "market.turbulence"')
    status, _, err = cli("sweep", write(tmp_path, text), "--out", tmp_path / "out",
                         "--no-progress")
    refused(status, err, words)
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------------------- environment
def test_environment_errors_are_one_line(reference_run, tmp_path):
    file = tmp_path / "a-file"
    file.write_text("x")
    status, _, err = cli("run", "need-shift", "--out", file / "below", *SMALL)
    refused(status, err, "--out")
    status, _, err = cli("sweep", write(tmp_path, SWEEP), "--out", file / "below",
                         "--no-progress")
    refused(status, err, "--out")
    status, _, err = cli("run", "need-shift", "--out", "/proc/firmsim-cannot-write", *SMALL)
    refused(status, err, "--out")
    for seeds in ('"x"', '{"root": 1, "replicate_seeds": [{"replicate": 0}]}'):
        manifest = json.loads((reference_run / "manifest.json").read_text())
        manifest.pop("checksum")
        manifest["seeds"] = json.loads(seeds)
        edited = tmp_path / "edited.json"
        edited.write_text(json.dumps(manifest))
        status, _, err = cli("run", edited, "--out", tmp_path / "rerun", "--workers", "1")
        refused(status, err, "seeds")


def test_ui_busy_port_and_root_folder(reference_run, tmp_path, monkeypatch):
    """A busy port: one line, before any address is printed. The app reads only below its
    results root."""
    from simulation.ui import explore

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        status, out, err = cli("ui", "--port", port)
    refused(status, err, f"--port={port}")
    assert "http://" not in out
    outside = explore.load_results(reference_run, root=tmp_path)
    assert not outside.ok and "outside the results folder" in outside.messages[0]
    assert explore.load_results("/etc", root=tmp_path).messages[0].find("outside") >= 0
    inside = explore.load_results(reference_run, root=reference_run.parent)
    assert "timeseries.parquet" in inside.tables


def test_killed_ui_takes_its_server_with_it(tmp_path):
    """SIGKILL of `firmsim ui`: the Solara server it started exits too."""
    process = subprocess.Popen([*FIRMSIM, "ui", "--port", "0", "--results-root",
                                str(tmp_path)], env=environment(), cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert "http://" in process.stdout.readline()
        deadline = time.monotonic() + 30
        server: list[int] = []
        while not server and time.monotonic() < deadline:
            server = descendants(process.pid)
            time.sleep(0.05)
        assert server
    finally:
        FIGURES["kills"] += 1
        process.kill()
        process.wait(30)
    assert not gone_within(server, 30)
    FIGURES["kills_survived"] += 1


# ---------------------------------------------------------------------------- full disks
# No small tmpfs can be mounted here: a full disk is simulated by patching one writer
# (matplotlib's savefig, pandas' to_parquet, Path.write_text) to raise the OSError the
# kernel gives (ENOSPC, EDQUOT, EROFS) on its first or n-th call.
def patch_writer(monkeypatch, owner, name: str, errno_: int, after: int = 0) -> dict:
    original = getattr(owner, name)
    calls = {"n": 0}

    def write(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] > after:
            raise OSError(errno_, os.strerror(errno_))
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, write)
    return calls


def leftovers(folder: Path) -> list[str]:
    """Temporary files anywhere under ``folder``."""
    return sorted(p.name for p in Path(folder).rglob(".*") if p.is_file())


@pytest.mark.parametrize("writer, errno_, after", [
    ("savefig", errno.ENOSPC, 0),        # the first figure
    ("to_parquet", errno.ENOSPC, 1),     # the resilience table, after the timeseries
    ("write_text", errno.EDQUOT, 1),     # the final manifest
    ("savefig", errno.EROFS, 1),         # the second figure: read-only
])
def test_run_out_of_space_is_one_line_and_resumable(writer, errno_, after, reference_run,
                                                    tmp_path, monkeypatch):
    """A write the disk refuses: one line naming the folder and the free space, nothing
    half-written left, the folder not taken for complete, and the same command afterwards
    gives exactly the uninterrupted results."""
    import matplotlib.figure

    owner = {"savefig": matplotlib.figure.Figure, "to_parquet": pd.DataFrame,
             "write_text": Path}[writer]
    out = tmp_path / "need-shift"
    with monkeypatch.context() as patch:
        calls = patch_writer(patch, owner, writer, errno_, after)
        status, _, err = cli("run", "need-shift", "--out", out, "--workers", "1", *SMALL)
    assert calls["n"] > after
    refused(status, err, str(out), "free there", os.strerror(errno_))
    if errno_ != errno.EROFS:
        assert "the command writes about" in err
    assert leftovers(out) == []
    if (out / "manifest.json").exists():
        assert json.loads((out / "manifest.json").read_text())["status"] == "running"
    status, _, err = cli("query", out, "SELECT count(*) FROM timeseries")
    assert status == 2
    status, _, err = cli("run", "need-shift", "--out", out, "--workers", "1", *SMALL)
    assert status == 0, err
    assert same_run(reference_run, out) == 0


def test_sweep_out_of_space_is_one_line_and_resumes(reference_sweep, tmp_path, monkeypatch):
    """The disk fills while the third batch's part is written: one line, no temporary part,
    and the resumed sweep is the uninterrupted dataset."""
    path, reference = reference_sweep
    out = tmp_path / "out"
    with monkeypatch.context() as patch:
        patch_writer(patch, pd.DataFrame, "to_parquet", errno.ENOSPC, after=5)
        status, _, err = cli("sweep", path, "--out", out, "--workers", "1", "--batch-size",
                             "2", "--no-progress")
    refused(status, err, "free there", "No space left on device", str(out / "runs")
            if "runs" in err else str(out))
    assert leftovers(out) == []
    status, _, err = cli("sweep", path, "--out", out, "--workers", "1", "--no-progress")
    assert status == 0, err
    assert_same_dataset(reference, out)


def test_output_larger_than_the_free_space_is_refused_before_work(tmp_path, monkeypatch):
    from simulation.store import atomic

    monkeypatch.setattr(atomic, "free_bytes", lambda folder: 100 * 2**10)
    out = tmp_path / "out"
    status, _, err = cli("run", "need-shift", "--out", out, *SMALL)
    refused(status, err, f"--out {out}", "writes about", "more than the 100 KB free there")
    assert not out.exists()
    status, _, err = cli("sweep", write(tmp_path, SWEEP), "--out", out, "--no-progress")
    refused(status, err, f"--out {out}", "runs to go")
    assert not out.exists()


# ---------------------------------------------------------------------------- links
def test_a_linked_table_of_a_run_is_refused(reference_run, tmp_path):
    """timeseries.parquet replaced by a link to an identical copy outside the folder:
    query, and the app's explorer, refuse to read it."""
    import shutil

    from simulation.ui import explore

    out = tmp_path / "run"
    shutil.copytree(reference_run, out)
    outside = tmp_path / "elsewhere.parquet"
    shutil.copy(out / "timeseries.parquet", outside)
    (out / "timeseries.parquet").unlink()
    (out / "timeseries.parquet").symlink_to(outside)
    status, _, err = cli("query", out, "SELECT count(*) FROM timeseries")
    refused(status, err, "timeseries.parquet", "symbolic link", str(outside))
    shown = explore.load_results(out, root=tmp_path)
    assert "timeseries.parquet" not in shown.tables
    assert any("symbolic link" in m for m in shown.messages)


def test_a_linked_manifest_is_refused_by_every_reader(reference_run, tmp_path):
    """manifest.json replaced by a link to an identical copy outside the folder: show,
    query and a re-run from the folder refuse it in one line naming it; nothing is run."""
    import shutil

    out = tmp_path / "run"
    shutil.copytree(reference_run, out)
    outside = tmp_path / "elsewhere.json"
    shutil.copy(out / "manifest.json", outside)
    (out / "manifest.json").unlink()
    (out / "manifest.json").symlink_to(outside)
    before = sorted(p.name for p in out.iterdir())
    for command in (("show", out / "manifest.json"), ("query", out, "SELECT 1"),
                    ("run", out, "--out", tmp_path / "again", "--no-progress")):
        status, _, err = cli(*command)
        refused(status, err, "manifest.json", "symbolic link")
    assert sorted(p.name for p in out.iterdir()) == before
    assert not (tmp_path / "again").exists()


def test_a_linked_part_of_a_sweep_is_refused(reference_sweep, tmp_path):
    """A runs part replaced by a link to an identical copy outside: analyze, query-like
    reads and a resumed sweep refuse it, naming it."""
    import shutil

    path, reference = reference_sweep
    out = tmp_path / "sweep"
    shutil.copytree(reference, out)
    part = sorted((out / "runs").glob("part-*.parquet"))[0]
    outside = tmp_path / part.name
    shutil.copy(part, outside)
    part.unlink()
    part.symlink_to(outside)
    status, _, err = cli("analyze", out)
    refused(status, err, part.name, "symbolic link")
    status, _, err = cli("sweep", path, "--out", out, "--workers", "1", "--no-progress")
    refused(status, err, part.name, "symbolic link")
    # A linked table folder is refused too.
    (out / "runs").rename(tmp_path / "runs-elsewhere")
    (out / "runs").symlink_to(tmp_path / "runs-elsewhere")
    status, _, err = cli("analyze", out)
    refused(status, err, "runs", "symbolic link")


# ---------------------------------------------------------------------------- huge input
def scenario_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "big.toml"
    path.write_text('name = "big"\nsteps = 50\n' + text)
    return path


def test_a_scenario_with_a_hundred_thousand_shocks_is_refused(tmp_path):
    shocks = "".join('[[shocks]]\nkind = "need_shift"\nstep = 10\nstrength = 0.5\n'
                     for _ in range(100_000))
    path = scenario_file(tmp_path, shocks)
    status, _, err = cli("run", path, "--out", tmp_path / "out", "--no-progress")
    refused(status, err, str(path), "MB")  # the file alone is over the limit
    from simulation.config.scenario import parse_scenario

    with pytest.raises(Exception) as raised:
        parse_scenario({"name": "big", "steps": 50,
                        "shocks": [{"kind": "need_shift", "step": 10}] * 100_000}, "big")
    assert "shocks: 100000 shocks, more than the 1000 allowed" in str(raised.value)
    assert not (tmp_path / "out").exists()


def test_a_huge_description_is_refused_and_never_echoed(tmp_path):
    path = scenario_file(tmp_path, "")
    path.write_text('name = "big"\ndescription = "' + "x" * 900_000 + '"\n')
    status, _, err = cli("run", path, "--out", tmp_path / "out", "--no-progress")
    refused(status, err, "description", "2000")
    assert len(err) < 400
    status, _, err = cli("run", "need-shift", "--set", "resilience_metric=\""
                         + "y" * 100_000 + "\"", "--out", tmp_path / "out", "--no-progress")
    refused(status, err, "resilience_metric")
    assert len(err) < 1000


def test_a_huge_grid_is_refused_before_it_is_built(tmp_path, monkeypatch):
    """Five parameters at 40 levels (about 10^8 points): refused in one line with its size
    before the design is built; with --yes still refused (above the hard limit)."""
    from simulation.sweep import design

    def no_build(resolved):
        raise AssertionError("the design was built")

    monkeypatch.setattr(design, "build_design", no_build)
    parameters = "".join(
        f'\n[[parameters]]\npath = "{p}"\nlow = 0.0\nhigh = 0.5\ncount = 40\n'
        for p in ("market.turbulence", "market.cross_module_share", "customers.rewiring",
                  "firm.lateral_links", "customers.talk_rate"))
    text = GRID.split("[[parameters]]")[0] + parameters
    status, _, err = cli("sweep", write(tmp_path, text), "--out", tmp_path / "out",
                         "--no-progress")
    refused(status, err, "102,400,000 points", "10,000,000")
    status, _, err = cli("sweep", write(tmp_path, text), "--out", tmp_path / "out",
                         "--no-progress", "--yes")
    refused(status, err, "102,400,000 points")
    smaller = GRID.split("[[parameters]]")[0] + parameters.replace("count = 40",
                                                                   "count = 12")
    status, _, err = cli("sweep", write(tmp_path, smaller), "--out", tmp_path / "out",
                         "--no-progress")
    refused(status, err, "248,832 points", "--yes")
    assert not (tmp_path / "out").exists()


def test_a_sampled_design_shows_its_size_before_it_starts(tmp_path):
    from test_sweep import sampled

    status, out, err = cli("sweep", write(tmp_path, sampled("sobol", 4)), "--out",
                           tmp_path / "out", "--workers", "1", "--no-progress")
    assert status == 0, err
    first = out.strip().splitlines()[0]
    assert first.startswith("firmsim sweep: sobol design: 20 points, 40 runs, about")


def test_too_many_sweep_parameters_or_levels_are_refused(tmp_path):
    parameters = "".join(f'\n[[parameters]]\npath = "market.turbulence"\nname = "p{i}"\n'
                         "low = 0.0\nhigh = 0.5\ncount = 2\n" for i in range(60))
    text = GRID.split("[[parameters]]")[0] + parameters
    status, _, err = cli("sweep", write(tmp_path, text), "--out", tmp_path / "out",
                         "--no-progress")
    refused(status, err, "parameters: 60 parameters, more than the 50 allowed")
    levels = GRID.replace("levels = [0.0, 0.1]",
                          f"levels = {[round(i * 1e-5, 6) for i in range(20_000)]}")
    status, _, err = cli("sweep", write(tmp_path, levels), "--out", tmp_path / "out",
                         "--no-progress")
    refused(status, err, "levels: 20000 levels, more than the 10000 allowed")
    assert len(err) < 400
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- every writer
#: Writes that are not results: a lock's owner line, a part's own temporary (renamed by its
#: writer), downloads built in memory, tables printed to the terminal.
NOT_RESULT_WRITES = {
    ("store/locks.py", "owner.write_text"),
    ("sweep/storage.py", "frame.to_parquet(temporary"),
    ("ui/compare.py", "to_parquet(buffer"),
    ("ui/compare.py", "to_csv(index=False)"),
    ("ui/charts.py", "savefig(buffer"),
    ("commands/query.py", "to_csv(sys.stdout"),
    ("commands/chart.py", "chart.to_csv(index=False)"),
}
WRITERS = ("to_parquet", "to_csv", "savefig", "write_text", "write_bytes", "write_table")


def direct_writes(root: Path) -> list[str]:
    """Calls of a file writer in ``root`` that are not inside ``atomic_write(...)`` (the
    writer given to it as a lambda), as ``file:line: source``."""
    import ast

    found = []
    for path in sorted(root.rglob("*.py")):
        source = path.read_text()
        tree = ast.parse(source)
        inside = set()
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "atomic_write"):
                inside.update(id(n) for n in ast.walk(node))
        relative = path.relative_to(root).as_posix()
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in WRITERS and id(node) not in inside):
                text = ast.get_source_segment(source, node) or ""
                if any(relative == where and what in text for where, what in NOT_RESULT_WRITES):
                    continue
                found.append(f"{relative}:{node.lineno}: {text[:80]}")
    return found


def test_every_file_the_package_writes_goes_through_atomic_write():
    """A result, figure, manifest or export is written to a temporary name and renamed when
    complete (``simulation.store.atomic.atomic_write``: a full disk leaves no half-written
    file and ends in one line). A direct ``to_csv(path)``, ``savefig(path)`` or
    ``write_text`` anywhere in the package fails this test, naming it."""
    package = Path(__file__).resolve().parents[1] / "simulation"
    assert direct_writes(package) == []


def test_the_writer_check_finds_a_direct_write(tmp_path):
    """The check above is not blind: a planted direct write is found, a wrapped one not."""
    (tmp_path / "planted.py").write_text(
        "from simulation.store.atomic import atomic_write\n"
        "def save(frame, figure, path):\n"
        "    frame.to_csv(path, index=False)\n"
        "    atomic_write(path, lambda p: figure.savefig(p, format='png'))\n")
    assert direct_writes(tmp_path) == ["planted.py:3: frame.to_csv(path, index=False)"]


@pytest.mark.parametrize("suffix", [".csv", ".graphml"])
def test_a_huge_org_chart_file_is_refused_before_it_is_read(suffix, tmp_path):
    """An org chart file above the size limit (GraphML is parsed whole) is refused in one
    line with its size and the limit, before a byte is parsed (a sparse file: no disk
    used)."""
    from simulation.config.limits import MAX_CHART_BYTES

    chart = tmp_path / f"chart{suffix}"
    with open(chart, "wb") as handle:
        handle.truncate(MAX_CHART_BYTES + 2**20)
    status, _, err = cli("run", "demo", "--set", 'structures=["org_chart","network"]',
                         "--set", f"firm.org_chart=\"{chart}\"", "--steps", "5", "--set",
                         "shocks=[]", "--out", tmp_path / "out", "--no-progress")
    refused(status, err, "firm.org_chart", f"{MAX_CHART_BYTES // 2**20} MB")
    assert not (tmp_path / "out").exists()


PLANTED_FORKS = '''
import os
import threading


def _fork_and_wait():
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)


def test_forks_beside_a_thread():
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        _fork_and_wait()
    finally:
        stop.set()
        thread.join()


def test_forks_alone():
    _fork_and_wait()
'''


def test_the_suite_fails_a_test_that_forks_a_threaded_process(tmp_path):
    """The suite's guard (tests/conftest.py) is not blind: with it, a test that forks while
    another thread runs fails, naming the cause; a fork without threads passes."""
    import subprocess
    import sys

    (tmp_path / "conftest.py").write_text((Path(__file__).parent / "conftest.py").read_text())
    (tmp_path / "test_planted_forks.py").write_text(PLANTED_FORKS)
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             "-W", "ignore::DeprecationWarning", str(tmp_path)],
                            capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert result.returncode == 1, result.stdout
    # The threaded test's own steps pass; the guard fails it at teardown (an error).
    assert "2 passed, 1 error" in result.stdout, result.stdout
    assert "this process forked while it had 2 threads" in result.stdout
    summary = result.stdout.split("short test summary")[-1]
    assert "ERROR test_planted_forks.py::test_forks_beside_a_thread" in summary
    assert "test_forks_alone" not in summary


def test_a_huge_design_search_is_refused_before_it_starts(tmp_path, monkeypatch):
    """firmsim design with two million trials: its size (trials, runs, time) is refused in
    one line before the search starts or a folder is made, unless --yes; a small search
    shows its size first."""
    from simulation.design import search

    def no_search(*args, **kwargs):
        raise AssertionError("the search started")

    monkeypatch.setattr(search, "search_designs", no_search)
    status, _, err = cli("design", "need-shift", "--trials", "2000000", "--out",
                         tmp_path / "out")
    refused(status, err, "design search", "2,000,000 points", "runs", "--yes")
    assert not (tmp_path / "out").exists()
    status, _, err = cli("design", "need-shift", "--trials", "20000000", "--yes", "--out",
                         tmp_path / "out")
    refused(status, err, "design search", "more than the 10,000,000 points")
    assert not (tmp_path / "out").exists()


@pytest.fixture
def small_disk(tmp_path):
    """A real file system of 8 MB (tmpfs), mounted for the test (needs root; skipped
    elsewhere)."""
    import subprocess

    folder = tmp_path / "disk"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(folder)],
                             capture_output=True)
    if mounted.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (not root?)")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def test_a_real_disk_filling_up_during_a_run_is_one_line_and_resumable(
        small_disk, reference_run, monkeypatch):
    """On a real (tmpfs) file system: another program fills the disk just after the run's
    free-space check passed; the run ends in one line naming the folder and the free space,
    leaves no temporary file and no folder taken for complete; once space is made, the same
    command gives exactly the uninterrupted results. Then the disk is too small from the
    start: refused before anything is written, with the real free space."""
    from simulation.execution import budget

    out = small_disk / "need-shift"
    ballast = small_disk / "ballast"
    check = budget.check_disk

    def check_then_fill(folder, needed, what):
        check(folder, needed, what)
        with open(ballast, "wb") as handle:  # leave about 64 KB free
            free = os.statvfs(small_disk).f_bavail * os.statvfs(small_disk).f_frsize
            handle.write(b"\0" * max(0, free - 64 * 2**10))

    with monkeypatch.context() as patch:
        patch.setattr(budget, "check_disk", check_then_fill)
        status, _, err = cli("run", "need-shift", "--out", out, "--workers", "1", *SMALL)
    refused(status, err, str(out), "free there", os.strerror(errno.ENOSPC))
    assert leftovers(out) == []
    if (out / "manifest.json").exists():
        assert json.loads((out / "manifest.json").read_text())["status"] == "running"
    assert cli("query", out, "SELECT count(*) FROM timeseries")[0] == 2
    ballast.unlink()
    status, _, err = cli("run", "need-shift", "--out", out, "--workers", "1", *SMALL)
    assert status == 0, err
    assert same_run(reference_run, out) == 0
    with open(ballast, "wb") as handle:  # now the disk is nearly full before the run
        free = os.statvfs(small_disk).f_bavail * os.statvfs(small_disk).f_frsize
        handle.write(b"\0" * max(0, free - 256 * 2**10))
    status, _, err = cli("run", "need-shift", "--out", small_disk / "other", *SMALL)
    refused(status, err, "writes about", "free there")
    assert not (small_disk / "other").exists()
