"""A sweep on a real Dask cluster: ``dask scheduler`` and two ``dask worker`` processes on
loopback, started here with Dask's own commands, give the same dataset as a local run."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_sweep import GRID, assert_same_dataset, sweep, write

DASK = shutil.which("dask", path=str(Path(sys.executable).parent)) or "dask"


def wait_for(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not ready within {seconds} s")
        time.sleep(0.1)


@pytest.fixture
def cluster(tmp_path):
    """A scheduler on 127.0.0.1 (free port, from its scheduler file) and two one-thread
    workers; yields the scheduler address; terminates them afterwards."""
    scheduler_file = tmp_path / "scheduler.json"
    log = open(tmp_path / "dask.log", "w")
    processes = [subprocess.Popen(
        [DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
         "--scheduler-file", str(scheduler_file)], stdout=log, stderr=log, cwd=tmp_path)]
    try:
        wait_for(lambda: scheduler_file.exists() and scheduler_file.stat().st_size > 0, 30,
                 "scheduler")
        address = json.loads(scheduler_file.read_text())["address"]
        for number in range(2):
            processes.append(subprocess.Popen(
                [DASK, "worker", address, "--nworkers", "1", "--nthreads", "1",
                 "--host", "127.0.0.1", "--no-dashboard", "--name", f"w{number}",
                 "--local-directory", str(tmp_path / f"w{number}")],
                stdout=log, stderr=log, cwd=tmp_path))
        from distributed import Client

        with Client(address, timeout=10) as client:
            client.wait_for_workers(2, timeout=30)
        yield address
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in reversed(processes):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()


def test_dask_cluster_gives_the_local_dataset(tmp_path, cluster, capsys):
    """The same experiment through the cluster and locally: identical runs tables."""
    text = GRID.replace('design = "grid"', 'design = "grid"\noutputs = ["resilience", '
                        '"levels", "timeseries"]')
    path = write(tmp_path, text)
    assert sweep(path, tmp_path / "dask", "--scheduler", cluster, "--batch-size", "3") == 0
    assert "Dask scheduler" in capsys.readouterr().out
    assert sweep(path, tmp_path / "local", "--workers", "2") == 0
    assert_same_dataset(tmp_path / "dask", tmp_path / "local")
    manifest = json.loads((tmp_path / "dask" / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert "Dask scheduler" in manifest["sessions"][-1]["executor"]
