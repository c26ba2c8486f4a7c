"""Kill a real ``firmsim sweep`` process (SIGKILL, at a random moment) and resume it.

The resumed folder must hold exactly the dataset of an uninterrupted sweep: nothing lost,
nothing duplicated, whatever was being written when the process died.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from test_sweep import assert_same_dataset, sweep, write

from simulation.sweep.storage import SweepStore

FIRMSIM = [sys.executable, "-m", "simulation.commands.cli"]

#: About 100 runs of ~0.05 s: several seconds of work, so the kill lands mid-sweep.
EXPERIMENT = """
name = "kill-me"
scenario = "need-shift"
set = ["customers.count=500", "firm.employees=30", "steps=40", "shocks.0.step=20",
       "market.attributes=12"]
structures = ["hierarchy", "network"]
replicates = 2
seed = 13
design = "lhs"
samples = 25
outputs = ["resilience", "levels", "timeseries"]

[[parameters]]
path = "market.turbulence"
low = 0.0
high = 0.2

[[parameters]]
path = "firm.capacity"
low = 1
high = 8
"""


def start(path: Path, out: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [*FIRMSIM, "sweep", str(path), "--out", str(out), "--workers", "2",
         "--batch-size", "2", "--no-progress"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)


def test_sigkill_at_a_random_moment_then_resume_gives_the_same_dataset(tmp_path):
    """SIGKILL the sweep (and its workers) a random time after its first batch lands, run
    the same command again, compare with an uninterrupted sweep."""
    path = write(tmp_path, EXPERIMENT)
    out = tmp_path / "killed"
    process = start(path, out)
    try:
        deadline = time.monotonic() + 60
        while not list((out / "runs").glob("part-*.parquet")):
            assert process.poll() is None, process.stderr.read().decode()
            assert time.monotonic() < deadline, "no batch written within 60 s"
            time.sleep(0.01)
        time.sleep(random.uniform(0.0, 1.0))
        os.killpg(process.pid, signal.SIGKILL)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    store = SweepStore(out)
    done_at_kill = len(store.done_runs())
    assert 0 < done_at_kill < 100, done_at_kill

    resumed = subprocess.run(
        [*FIRMSIM, "sweep", str(path), "--out", str(out), "--workers", "2",
         "--no-progress"], capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{done_at_kill} runs already on disk" in resumed.stdout
    assert sweep(path, tmp_path / "clean", "--workers", "1") == 0
    assert_same_dataset(out, tmp_path / "clean")
    assert len(store.done_runs()) == 100
