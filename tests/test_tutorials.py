"""Every tutorial runs from top to bottom at a small size (FIRMSIM_TUTORIAL_SMALL=1), as
the reference site executes them; the time each takes is printed."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

TUTORIALS = Path(__file__).resolve().parent.parent / "docs" / "tutorials"


@pytest.mark.parametrize("tutorial", sorted(p.name for p in TUTORIALS.glob("[0-9]*.py")))
def test_the_tutorial_runs(tutorial, tmp_path):
    env = {**os.environ, "FIRMSIM_TUTORIAL_SMALL": "1", "MPLBACKEND": "Agg",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(TUTORIALS),
                                                       os.environ.get("PYTHONPATH")]))}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, str(TUTORIALS / tutorial)], capture_output=True,
                          text=True, env=env, cwd=tmp_path, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    print(f"{tutorial}: {time.perf_counter() - started:.1f} s")
