"""Effects of the social mechanics on a reputation crisis (issue 11), as paired differences.

    PYTHONPATH=. .venv/bin/python experiments/studies/social_effects.py [--replicates 20]
    [--workers 2]

Setting: ``scenarios/reputation-crisis.toml``'s shock (media turn to -0.4, 30% of customers
lose 0.4 of belief) at step 80 of 200, 3,000 customers, 120 employees, default parameters
otherwise. Each comparison changes one setting from a reference; both arms of replicate ``r``
run with the seed ``run_seed(ROOT, r)`` (common random numbers), so differences are paired.
Figures per run (market share, ``simulation.core.metrics.resilience_table``): depth, recovered,
recovery time (censored at the end of the run), area lost. Per comparison: the mean paired
difference (arm minus reference) of depth and area lost with a 95% t-interval, and per arm the
share recovered and the Kaplan-Meier median recovery time
(``simulation.analysis.statistics.recovery_summary``). Writes ``results/social_effects.csv``.
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = 11
SIZE = dict(customers=3_000, employees=120, steps=200)
SHOCK = dict(kind="reputation_crisis", step=80, strength=0.4, share=0.3)
STRUCTURES = ("hierarchy", "siloed_social", "network", "podular", "open")

#: (comparison, structure, reference settings, arm settings), arms as flat keywords.
COMPARISONS = [
    ("amplification 0 vs 2 (default)", "hierarchy", dict(amplification=2.0),
     dict(amplification=0.0)),
    ("amplification 8 vs 2 (default)", "hierarchy", dict(amplification=2.0),
     dict(amplification=8.0)),
    ("negativity 1 vs 2 (default)", "hierarchy", dict(), dict(negativity=1.0)),
    ("scale_free vs small_world", "hierarchy", dict(), dict(customer_network="scale_free")),
    ("random vs small_world", "hierarchy", dict(), dict(customer_network="random")),
    ("media 20 vs 0", "hierarchy", dict(media=0), dict(media=20)),
    *[(f"employees converse on vs off ({s})", s, dict(employees_converse=False),
       dict(employees_converse=True)) for s in STRUCTURES],
    ("investors' pressure on (0.4) vs off", "hierarchy", dict(investor_pressure=0.0),
     dict(investor_pressure=0.4)),
    ("investors' pressure on (0.4) vs off", "network", dict(investor_pressure=0.0),
     dict(investor_pressure=0.4)),
    ("partner share 10% vs 0", "open", dict(partner_share=0.0), dict(partner_share=0.1)),
]


def one_run(job):
    """Run one arm of one replicate; returns its figures."""
    from simulation.config.schema import config_from_flat
    from simulation.config.seeds import run_seed
    from simulation.execution.runs import build_model

    comparison, arm, structure, settings, replicate = job
    config = config_from_flat(**SIZE, **settings, shocks=[SHOCK])
    model = build_model(config, structure, run_seed(ROOT, replicate))
    capacity = []
    for _ in range(config.steps):
        model.step()
        capacity.append(float(model.capacity.mean()))
    row = model.resilience("market_share").iloc[0]
    frame = model.metrics()
    after = frame.iloc[SHOCK["step"]:]
    return dict(comparison=comparison, arm=arm, structure=structure, replicate=replicate,
                depth=float(row["depth"]), area_lost=float(row["area_lost"]),
                recovered=bool(row["recovered"]),
                recovery_time=float(row["recovery_time"]) if row["recovered"]
                else float(config.steps - SHOCK["step"]),
                sentiment_trough=float(after["sentiment"].min()),
                mean_capacity_after=float(np.mean(capacity[SHOCK["step"]:])),
                messages_after=float(after["messages_sent"].mean()),
                fitness_after=float(after["fitness"].mean()))


def summarise(runs: pd.DataFrame) -> pd.DataFrame:
    from simulation.analysis.statistics import recovery_summary, t_interval

    rows = []
    for (comparison, structure), group in runs.groupby(["comparison", "structure"], sort=False):
        ref = group[group.arm == "reference"].set_index("replicate").sort_index()
        alt = group[group.arm == "changed"].set_index("replicate").sort_index()
        row = dict(comparison=comparison, structure=structure, replicates=len(ref))
        for figure in ("depth", "area_lost", "sentiment_trough", "mean_capacity_after",
                       "messages_after", "fitness_after"):
            mean, low, high = t_interval(alt[figure] - ref[figure])
            row[f"{figure}_ref"] = float(ref[figure].mean())
            row[f"{figure}_diff"], row[f"{figure}_low"], row[f"{figure}_high"] = mean, low, high
        for arm, frame in (("ref", ref), ("changed", alt)):
            summary = recovery_summary(frame["recovery_time"], frame["recovered"])
            row[f"recovered_share_{arm}"] = float(frame["recovered"].mean())
            row[f"km_median_{arm}"] = float(summary.median)
        rows.append(row)
    return pd.DataFrame(rows)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", default="results/social_effects.csv")
    args = parser.parse_args(argv)
    jobs = [(name, arm, structure, settings, r)
            for name, structure, reference, changed in COMPARISONS
            for arm, settings in (("reference", reference), ("changed", {**reference,
                                                                         **changed}))
            for r in range(args.replicates)]
    with ProcessPoolExecutor(args.workers) as pool:
        runs = pd.DataFrame(list(pool.map(one_run, jobs, chunksize=4)))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    runs.to_csv(out.with_name(out.stem + "_runs.csv"), index=False)
    table = summarise(runs)
    table.to_csv(out, index=False)
    columns = ["comparison", "structure", "depth_ref", "depth_diff", "depth_low", "depth_high",
               "area_lost_diff", "area_lost_low", "area_lost_high", "recovered_share_ref",
               "recovered_share_changed", "km_median_ref", "km_median_changed"]
    with pd.option_context("display.width", 250, "display.max_columns", 30):
        print(table[columns].round(3).to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
