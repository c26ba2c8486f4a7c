"""Start-up time: ``import simulation`` and ``firmsim --help``, each as a whole process.

Prints the median, minimum and maximum over ``--repeats`` fresh processes, and the same for
a bare ``python -c pass`` as the floor every command pays. Goal (issue 21): both under
0.5 s on this machine.

    .venv/bin/python experiments/benchmarks/bench_start.py [--repeats 15]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time


def _times(command: list[str], repeats: int) -> list[float]:
    subprocess.run(command, capture_output=True, check=True)  # warm the file cache
    found = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        found.append(time.perf_counter() - started)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    cases = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "import simulation": [sys.executable, "-c", "import simulation"],
        "firmsim --help": [sys.executable, "-m", "simulation.commands.cli", "--help"],
        "import simulation; FirmModel": [sys.executable, "-c",
                                         "from simulation import FirmModel"],
    }
    floor = None
    print(f"{'case':32s} {'median s':>9s} {'min s':>7s} {'max s':>7s} {'x floor':>8s}")
    for name, command in cases.items():
        found = _times(command, args.repeats)
        median = statistics.median(found)
        floor = floor or median
        print(f"{name:32s} {median:9.3f} {min(found):7.3f} {max(found):7.3f} "
              f"{median / floor:8.1f}")


if __name__ == "__main__":
    main()
