"""Prove that a speed change changed no number: full time series of many scenarios, bit for bit.

    .venv/bin/python experiments/benchmarks/same_numbers.py --against main
    .venv/bin/python experiments/benchmarks/same_numbers.py --save reference.pkl     # this tree
    .venv/bin/python experiments/benchmarks/same_numbers.py --compare reference.pkl  # this tree

``--against REF`` extracts the git revision ``REF`` of this repository into a temporary folder
(``git archive``), runs the cases there (this script, with that tree first on the import path),
runs them again in this tree and compares every table cell by cell, bit for bit (NaN equal to
NaN, dtypes equal). It prints one line per case and exits 1 if any differs.

The cases cover every structure, both decision-information settings, the decision orders, the
shocks (talent loss, need shift, reputation crisis, competitor entry, turbulence), the books
with their default costs and with every cost at zero, partners proposing (``open``), the
per-segment product policy and a market of three competing firms, each at a small size
(2,000 customers, 60 employees, 260 steps). Besides every step metric, each case keeps the
final state of the organization (queues, capacity, workload, product variants, pending
changes, counters) and of the stakeholders, so a change that shows only later is caught.
"""

from __future__ import annotations

import argparse
import os
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SMALL = ["customers.count=2000", "customers.degree=6", "firm.employees=60", "steps=260"]
ZERO_COSTS = ["economics.start_unit_cost=0", "economics.variant_cost=0",
              "economics.retooling_cost=0", "economics.wage_bill=0"]


def cases() -> list[tuple[str, str, list[str], list]]:
    """(label, scenario, settings, structures or a firm line-up) of every case."""
    structures = ["hierarchy", "siloed_social", "network", "podular", "open"]
    out = [(f"calm/{s}", "calm", [], [s]) for s in structures]
    out += [
        ("demo", "demo", [], ["hierarchy", "network", "podular"]),
        ("talent-loss", "talent-loss", [], ["hierarchy", "siloed_social", "network",
                                            "podular"]),
        ("need-shift", "need-shift", [], ["hierarchy", "network", "podular", "open"]),
        ("reputation-crisis", "reputation-crisis", [], ["hierarchy", "podular", "open"]),
        ("restless", "restless", [], ["hierarchy", "network", "podular"]),
        ("new-competitor", "new-competitor", [], ["hierarchy", "podular"]),
        ("fully-informed", "need-shift", ["firm.decision_information=fully_informed"],
         ["hierarchy", "network", "podular"]),
        ("arrival-order", "need-shift", ["firm.decision_order=arrival"],
         ["hierarchy", "podular"]),
        ("zero-costs", "need-shift", ZERO_COSTS, ["hierarchy", "podular"]),
        ("per-segment", "talent-loss", ["firm.variants=per_segment"],
         ["hierarchy", "open"]),
        ("market-3", "talent-loss", [], [("hierarchy", "podular", "network")]),
        # The atlas's restless markets (the optimum is re-found after every turbulent step).
        ("turbulent-coupled", "need-shift",
         ["market.turbulence=0.15", "market.cross_module_share=0.7"], ["hierarchy", "podular"]),
        ("turbulent-modular", "need-shift",
         ["market.turbulence=0.05", "market.cross_module_share=0.1", "firm.variants=per_segment"],
         ["network", "open"]),
        ("market-3-turbulent", "need-shift", ["market.turbulence=0.15"],
         [("hierarchy", "podular", "network")]),
        ("market-entry", "need-shift", [], [("hierarchy", {"name": "startup",
                                                          "structure": "podular",
                                                          "enters_at": 60})]),
    ]
    return out


def _final_state(firm) -> dict:
    """The organization's and stakeholders' arrays at the end of a run (copies)."""
    state = {name: np.array(value) for name, value in vars(firm.queues).items()}
    for name in ("capacity_left", "workload", "products", "stance"):
        value = getattr(firm, name, None)
        if value is not None:
            state[name] = np.array(value)
    state["pending"] = sorted(tuple(int(x) for x in change) for change in firm.pending)
    state["counters"] = dict(firm.counters)
    state["alive"] = np.array(firm.org.alive)
    return state


def run_cases(only: str | None = None) -> dict:
    """Run every case in this process's ``simulation``; tables and final states by label."""
    import simulation as fs
    from simulation.config.seeds import run_seed
    from simulation.core.competition import MarketModel
    from simulation.execution.competition import market_config
    from simulation.execution.runs import build_model

    results = {}
    for label, scenario, settings, lineups in cases():
        if only and only not in label:
            continue
        config = fs.load_scenario(scenario, set=SMALL + settings).model_config_only()
        for lineup in lineups:
            for replicate in (0, 1):
                seed = run_seed(11, replicate)
                key = f"{label}/{lineup if isinstance(lineup, str) else 'market'}/r{replicate}"
                if isinstance(lineup, str):
                    model = build_model(config, lineup, seed).run()
                    results[key] = {"metrics": model.metrics(), "state": _final_state(model)}
                else:
                    market = MarketModel(market_config(config, list(lineup)), rng=seed).run()
                    results[key] = {
                        "metrics": market.metrics(), "shares": market.shares(),
                        "flows": market.flows(),
                        "state": [_final_state(firm) for firm in market.firms],
                    }
    return results


def _same(a, b, where: str, problems: list[str]) -> None:
    import pandas as pd

    if isinstance(a, pd.DataFrame):
        if not isinstance(b, pd.DataFrame) or list(a.columns) != list(b.columns) \
                or a.shape != b.shape:
            problems.append(f"{where}: columns or shape differ")
            return
        for column in a.columns:
            _same(a[column].to_numpy(), b[column].to_numpy(), f"{where}.{column}", problems)
    elif isinstance(a, np.ndarray):
        b = np.asarray(b)
        if a.dtype != b.dtype or a.shape != b.shape:
            problems.append(f"{where}: dtype/shape {a.dtype}{a.shape} vs {b.dtype}{b.shape}")
        elif a.dtype.kind == "f":
            if not np.array_equal(a.view(np.uint8), b.view(np.uint8)):
                bad = np.flatnonzero(~((a == b) | (np.isnan(a) & np.isnan(b))).ravel())
                problems.append(f"{where}: {bad.size} values differ (first at {bad[:3]})")
        elif not np.array_equal(a, b):
            problems.append(f"{where}: values differ")
    elif isinstance(a, dict):
        if set(a) != set(b):
            problems.append(f"{where}: keys {sorted(set(a) ^ set(b))} differ")
        for key in a:
            if key in b:
                _same(a[key], b[key], f"{where}.{key}", problems)
    elif isinstance(a, list):
        if len(a) != len(b):
            problems.append(f"{where}: lengths differ")
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            _same(x, y, f"{where}[{i}]", problems)
    elif a != b:
        problems.append(f"{where}: {a!r} != {b!r}")


def compare(reference: dict, current: dict) -> int:
    """Print one line per case; return the number of cases that differ."""
    differing = 0
    for key in sorted(set(reference) | set(current)):
        problems: list[str] = []
        if key not in reference or key not in current:
            problems.append("missing on one side")
        else:
            _same(reference[key], current[key], key, problems)
        steps = ""
        if not problems and isinstance(current[key], dict):
            steps = f"{len(current[key]['metrics'])} rows x {current[key]['metrics'].shape[1]}"
        print(f"{'SAME' if not problems else 'DIFF'}  {key}  {steps}")
        for line in problems[:5]:
            print(f"      {line}")
        differing += bool(problems)
    return differing


def _thread_everything() -> None:
    """Every population, however small, takes the threaded customer step with its hearing
    split between the threads (the sizes are thresholds of speed, not of the rule)."""
    from simulation.kernels import threads

    threads.MIN_CUSTOMERS = 0
    threads.SPLIT_FROM = 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--against", help="git revision to compare this tree with")
    group.add_argument("--save", type=Path, help="run the cases here, write them to this file")
    group.add_argument("--compare", type=Path, help="run the cases here, compare with this file")
    parser.add_argument("--only", help="cases whose label contains this text")
    parser.add_argument("--threaded", action="store_true",
                        help="this tree's runs take the threaded customer step at any size, "
                             "the hearing split, and draw ahead (when Numba has threads)")
    args = parser.parse_args()
    if args.threaded and (args.compare or args.save):
        _thread_everything()
    if args.save:
        with open(args.save, "wb") as handle:
            pickle.dump(run_cases(args.only), handle)
        return 0
    if args.compare:
        with open(args.compare, "rb") as handle:
            reference = pickle.load(handle)
        started = time.perf_counter()
        current = run_cases(args.only)
        print(f"ran {len(current)} runs in {time.perf_counter() - started:.0f} s")
        return 1 if compare(reference, current) else 0
    here = Path(__file__).resolve()
    root = Path(subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=here.parent,
                               capture_output=True, text=True, check=True).stdout.strip())
    with tempfile.TemporaryDirectory() as folder:
        archive = subprocess.run(["git", "archive", args.against], cwd=root,
                                 capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", folder], input=archive, check=True)
        saved = Path(folder) / "reference.pkl"
        command = [sys.executable, str(here), "--save", str(saved)]
        if args.only:
            command += ["--only", args.only]
        environment = dict(os.environ, PYTHONPATH=folder)
        subprocess.run(command, cwd=folder, env=environment, check=True)
        commit = subprocess.run(["git", "rev-parse", "--short", args.against], cwd=root,
                                capture_output=True, text=True).stdout.strip()
        print(f"reference: {args.against} ({commit})")
        environment = dict(os.environ, PYTHONPATH=str(root))
        return subprocess.run([sys.executable, str(here), "--compare", str(saved)]
                              + (["--only", args.only] if args.only else [])
                              + (["--threaded"] if args.threaded else []),
                              cwd=root, env=environment).returncode


if __name__ == "__main__":
    sys.exit(main())
