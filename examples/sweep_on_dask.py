"""A sweep on an existing Dask cluster, or on local processes.

    .venv/bin/python examples/sweep_on_dask.py tcp://scheduler:8786   # a running cluster
    .venv/bin/python examples/sweep_on_dask.py                        # local processes

The sweep is `experiments/atlas-tiny.toml`; its results are resumable (run it again after an
interruption) and the same whatever runs them (seeds by design point and replicate).
"""

import subprocess
import sys

command = [sys.executable, "-m", "simulation.commands.cli", "sweep", "atlas-tiny",
           "--out", "results/sweeps/atlas-tiny"]
if len(sys.argv) > 1:
    command += ["--scheduler", sys.argv[1]]
subprocess.run(command, check=True)
subprocess.run([sys.executable, "-m", "simulation.commands.cli", "analyze",
                "results/sweeps/atlas-tiny"], check=True)
