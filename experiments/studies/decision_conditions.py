"""Issue 10 study: the four contrasting markets, both product policies, both decision rules.

Conditions: calm (turbulence 0) vs turbulent (0.05 of each landscape redrawn per step) x
coupled (cross_module_share 1) vs modular (0) modules x one standard product vs one variant
per segment x ``decision_information`` staff (default) vs fully_informed; all five
structures on common random numbers (replicate r has the same seed in every cell).

Each run: 3,000 customers, 200 employees, 300 steps, no scheduled shock; a run's level is the
mean over its last 100 steps. Output: ``results/studies/decision_conditions_runs.csv`` (one
row per run) and ``..._summary.csv`` (mean per structure and paired difference against the
hierarchy with its 95% t-interval, per condition). Usage::

    python experiments/studies/decision_conditions.py [--replicates 20] [--workers 2]
"""

from __future__ import annotations

import argparse
import itertools
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd

ROOT_SEED = 20261127
STRUCTURES = ("hierarchy", "siloed_social", "network", "podular", "open")
CONDITIONS = {
    "turbulence": (0.0, 0.05),
    "cross_module_share": (1.0, 0.0),
    "variants": ("standard", "per_segment"),
    "decision_information": ("staff", "fully_informed"),
}
WINDOW = 100


def run_cell(job: tuple) -> list[dict]:
    from simulation.config.schema import config_from_flat
    from simulation.config.seeds import run_seed
    from simulation.execution.runs import build_model

    condition, replicate, size = job
    rows = []
    seed = run_seed(ROOT_SEED, replicate)
    for structure in STRUCTURES:
        config = config_from_flat(None, customers=size["customers"], employees=size["employees"],
                                  steps=size["steps"], structure=structure, **condition)
        model = build_model(config, structure, seed)
        model.run()
        tail = model.metrics().iloc[-WINDOW:]
        rows.append({**condition, "structure": structure, "replicate": replicate,
                     "fitness": tail["fitness"].mean(),
                     "market_share": tail["market_share"].mean(),
                     "decision_latency": tail["decision_latency"].mean(),
                     "proposals_implemented": tail["proposals_implemented"].mean(),
                     "staff_evaluations": tail["staff_evaluations"].mean(),
                     "messages_sent": tail["messages_sent"].mean()})
    return rows


def summarise(runs: pd.DataFrame) -> pd.DataFrame:
    from simulation.analysis.statistics import paired_differences, t_interval

    groups = list(CONDITIONS)
    frames = []
    for metric in ("fitness", "market_share"):
        diff = paired_differences(runs, metric, reference="hierarchy", groups=groups,
                                  better="higher")
        means = (runs.groupby([*groups, "structure"])[metric]
                 .apply(lambda v: t_interval(v)[0]).rename("mean").reset_index())
        frames.append(diff.merge(means, on=[*groups, "structure"]))
    return pd.concat(frames, ignore_index=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--customers", type=int, default=3000)
    parser.add_argument("--employees", type=int, default=200)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--out", default="results/studies")
    args = parser.parse_args()
    size = {"customers": args.customers, "employees": args.employees, "steps": args.steps}
    keys = list(CONDITIONS)
    jobs = [(dict(zip(keys, values, strict=True)), r, size)
            for values in itertools.product(*CONDITIONS.values())
            for r in range(args.replicates)]
    start = time.perf_counter()
    rows = []
    with ProcessPoolExecutor(args.workers) as pool:
        for done, cell in enumerate(pool.map(run_cell, jobs, chunksize=2), 1):
            rows.extend(cell)
            if done % 40 == 0:
                print(f"{done}/{len(jobs)} cells, {time.perf_counter() - start:.0f} s",
                      flush=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    runs = pd.DataFrame(rows)
    runs.to_csv(out / "decision_conditions_runs.csv", index=False)
    summary = summarise(runs)
    summary.to_csv(out / "decision_conditions_summary.csv", index=False)
    print(f"{len(runs)} runs in {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
