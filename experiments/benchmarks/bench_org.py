"""The per-firm step (organization, the books, stakeholders, metrics) before and after: one tree
against a git revision, interleaved so both see the same machine load.

    .venv/bin/python experiments/benchmarks/bench_org.py --against main
    .venv/bin/python experiments/benchmarks/bench_org.py            # this tree alone

For each tree, in a fresh process with that tree first on the import path (kernels compiled
or loaded from the cache by a warm-up run first), it times:

1. the default run (20,000 customers, 200 employees, 500 steps, hierarchy): wall seconds per
   run, best of ``--repeats``, and the process CPU seconds of the same run;
2. per phase of ``FirmModel.step``, CPU milliseconds per step over those runs;
3. atlas-size runs (2,000 customers, 100 employees, 200 steps) of five structures on
   ``--seeds`` seeds, one after another in one process: runs per second of one core (the
   atlas runs them on 2 workers; twice this is its ceiling without per-run overhead).

With ``--against``, the rounds alternate between the two trees (``--rounds`` of each) and
it prints each figure's best over the rounds for both trees and the ratio. CPU time, not wall
time, is the steadier figure on a shared machine; both are printed. Run heavy: through the
team's lock, and say the load (``uptime``) with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PHASES = [  # (module path, attribute, label) in the order of FirmModel.step
    ("simulation.core.organization", "land_changes", "implementation"),
    ("simulation.core.conversation", "speak", "answers"),
    ("simulation.core.customers", "customer_step", "customers"),
    ("simulation.core.organization", "organization_step", "organization"),
    ("simulation.core.economics", "Economics.book", "books"),
    ("simulation.core.stakeholders", "update_stances", "stakeholders"),
    ("simulation.core.metrics", "record_step", "metrics"),
]
ATLAS = ["customers.count=2000", "firm.employees=100", "steps=200"]
STRUCTURES = ["hierarchy", "siloed_social", "network", "podular", "open"]


def _wrap_phases(clock: dict) -> None:
    import functools
    import importlib

    for path, attribute, label in PHASES:
        owner = importlib.import_module(path)
        *parents, name = attribute.split(".")
        for parent in parents:
            owner = getattr(owner, parent)
        function = getattr(owner, name)

        def timed(*args, _function=function, _label=label, **kwargs):
            start = time.process_time()
            try:
                return _function(*args, **kwargs)
            finally:
                clock[_label] = clock.get(_label, 0.0) + time.process_time() - start

        setattr(owner, name, functools.wraps(function)(timed))


def measure(repeats: int, seeds: int) -> dict:
    """One round of every figure in this process (this tree's ``simulation``)."""
    import simulation as fs
    from simulation.config.schema import ModelConfig
    from simulation.config.seeds import run_seed
    from simulation.execution.runs import build_model

    default = ModelConfig()
    atlas = fs.load_scenario("calm", set=ATLAS).model_config_only()
    for structure in STRUCTURES:  # compile or load every kernel first
        build_model(atlas, structure, run_seed(1, 0)).run(20)
    out: dict = {"default_wall": [], "default_cpu": []}
    for repeat in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        build_model(default, "hierarchy", run_seed(1, repeat)).run()
        out["default_wall"].append(time.perf_counter() - wall)
        out["default_cpu"].append(time.process_time() - cpu)
    wall, cpu = time.perf_counter(), time.process_time()
    for seed in range(seeds):
        for structure in STRUCTURES:
            build_model(atlas, structure, run_seed(2, seed)).run()
    runs = seeds * len(STRUCTURES)
    out["atlas_runs_per_s_wall"] = runs / (time.perf_counter() - wall)
    out["atlas_runs_per_s_cpu"] = runs / (time.process_time() - cpu)
    clock: dict = {}
    _wrap_phases(clock)
    build_model(default, "hierarchy", run_seed(1, 0)).run()
    out["phase_ms_per_step"] = {k: v / default.steps * 1e3 for k, v in clock.items()}
    return out


def _round(tree: Path, repeats: int, seeds: int) -> dict:
    command = [sys.executable, str(Path(__file__).resolve()), "--measure",
               "--repeats", str(repeats), "--seeds", str(seeds)]
    done = subprocess.run(command, env=dict(os.environ, PYTHONPATH=str(tree)), cwd=tree,
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _best(rounds: list[dict]) -> dict:
    best = {"default_wall": min(min(r["default_wall"]) for r in rounds),
            "default_cpu": min(min(r["default_cpu"]) for r in rounds),
            "atlas_runs_per_s_wall": max(r["atlas_runs_per_s_wall"] for r in rounds),
            "atlas_runs_per_s_cpu": max(r["atlas_runs_per_s_cpu"] for r in rounds)}
    for label in rounds[0]["phase_ms_per_step"]:
        best[f"{label} ms/step"] = min(r["phase_ms_per_step"][label] for r in rounds)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", help="git revision to compare this tree with")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=2, help="default runs per round")
    parser.add_argument("--seeds", type=int, default=4, help="atlas-size seeds per round")
    parser.add_argument("--this", type=Path, help="measure this folder's code as 'this tree' "
                        "(e.g. a snapshot, so edits during a long run change nothing)")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.repeats, args.seeds)))
        return 0
    here = Path(__file__).resolve()
    root = Path(subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=here.parent,
                               capture_output=True, text=True, check=True).stdout.strip())
    print(f"load before: {os.getloadavg()[0]:.2f} (1-min average)")
    with tempfile.TemporaryDirectory() as folder:
        this = args.this.resolve() if args.this else root
        trees = {"this tree": this}
        if args.against:
            archive = subprocess.run(["git", "archive", args.against], cwd=root,
                                     capture_output=True, check=True).stdout
            subprocess.run(["tar", "-x", "-C", folder], input=archive, check=True)
            trees = {args.against: Path(folder), "this tree": this}
        rounds: dict[str, list] = {name: [] for name in trees}
        for _ in range(args.rounds):
            for name, tree in trees.items():
                rounds[name].append(_round(tree, args.repeats, args.seeds))
    best = {name: _best(r) for name, r in rounds.items()}
    names = list(trees)
    print(f"{'figure':32s}" + "".join(f"{n:>14s}" for n in names)
          + ("   speed-up" if len(names) == 2 else ""))
    for figure in best[names[-1]]:
        values = [best[n][figure] for n in names]
        line = f"{figure:32s}" + "".join(f"{v:14.3f}" for v in values)
        if len(names) == 2 and values[0] and values[1]:
            rate = "per_s" in figure
            line += f"  {(values[1] / values[0] if rate else values[0] / values[1]):9.2f}x"
        print(line)
    print("(speed-up: the revision's time / this tree's, or this tree's rate / the revision's)")
    print(f"load after: {os.getloadavg()[0]:.2f} (1-min average)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
