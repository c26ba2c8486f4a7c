"""Summary tables of the atlas-economics sweep for docs/atlas.md (issue 22).

    PYTHONPATH=. python experiments/economics/atlas_summary.py RESULTS_FOLDER

Reads the sweep's per-run table; prints, for cumulative profit and for market share (mean of
the level window), the mean per structure by turbulence x product policy (averaged over
coupling, retooling and variety cost), the cells each structure wins and wins significantly
(best against every other at 95%, paired; :func:`simulation.analysis.winners.winner_table`)
and the paired difference of pods and network against the hierarchy per turbulence x policy.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import pandas as pd

from simulation.analysis.statistics import paired_differences
from simulation.analysis.winners import winner_table

#: The five structures, in the order of the tables.
STRUCTURES = ("hierarchy", "siloed_social", "network", "podular", "open")

CONDITIONS = ["turbulence", "coupling", "policy", "retooling", "variety"]
OUTPUTS = {"final_cumulative_profit": ",.0f", "mean_market_share": ".3f"}
#: Replicates every condition has (the sweep's first round).
FIRST_ROUND = 10


def main() -> None:
    folder = Path(sys.argv[1])
    runs = pd.concat([pd.read_parquet(p) for p in sorted((folder / "runs").glob("*.parquet"))],
                     ignore_index=True)
    # A sweep stopped part-way (resumable) leaves conditions where some structures have run
    # fewer replicates than others: read only conditions where every structure has run the
    # same replicates (replicates chosen by precision differ between conditions).
    counts = runs.groupby(["point", "structure"])["replicate"].nunique().unstack()
    complete = counts.index[(counts.nunique(axis=1) == 1) & counts.notna().all(axis=1)]
    if len(complete) < runs["point"].nunique():
        print(f"reading {len(complete)} complete conditions of {runs['point'].nunique()} "
              "started")
    runs = runs[runs["point"].isin(complete)]
    per_point = runs.groupby("point")["replicate"].nunique()
    print(f"{len(runs)} runs, {runs['point'].nunique()} conditions, replicates per condition "
          f"{per_point.min()}-{per_point.max()} (median {per_point.median():.0f})")
    # Tie margins: the experiment's [precision] margins.
    margins = {}
    experiment = Path(__file__).resolve().parents[1] / "atlas-economics.toml"
    if experiment.is_file():
        with open(experiment, "rb") as handle:
            margins = (tomllib.load(handle).get("precision") or {}).get("margins") or {}
    # Pooled tables: the first round only (the same replicates at every condition), so
    # conditions that needed more replicates do not weigh more.
    first = runs[runs["replicate"] < FIRST_ROUND]
    for output, form in OUTPUTS.items():
        print(f"\n== {output}: mean per structure (over coupling, retooling, variety) ==")
        table = first.pivot_table(index=["policy", "turbulence"], columns="structure",
                                  values=output, aggfunc="mean")[list(STRUCTURES)]
        print(table.to_string(float_format=lambda v, form=form: f"{v:{form}}"))
        winners = winner_table(runs, CONDITIONS, output, list(STRUCTURES), "higher",
                               tie_margin=margins.get(output))
        won = winners["best"].value_counts().to_dict()
        clear = winners[winners["significant"]]["best"].value_counts().to_dict()
        print(f"cells won: {won}; significantly best against every other: {clear} "
              f"(of {len(winners)}); verdicts {winners['verdict'].value_counts().to_dict()}"
              f" (tie margin {margins.get(output)})")
        for _, cell in winners.iterrows():
            print("  " + " ".join(f"{c}={cell[c]}" for c in CONDITIONS)
                  + f": {cell['best']} ({cell['verdict']}"
                  + (f" with {cell['level_with']}" if cell["level_with"] else "")
                  + f"; runner-up {cell['runner_up']} by {cell['margin']:{form}} "
                  f"[{cell['margin_low']:{form}}, {cell['margin_high']:{form}}], "
                  f"n={cell['replicates']})")
        by = winners.groupby(["policy", "turbulence"])["best"].agg(
            lambda s: ", ".join(f"{k} {v}" for k, v in s.value_counts().items()))
        print(by.to_string())
        print(f"-- paired difference against hierarchy, {output}, per policy x turbulence "
              "(pairs: replicate x coupling x retooling x variety) --")
        keyed = first.assign(pair=first["replicate"].astype(str) + "/" + first["coupling"].astype(
            str) + "/" + first["retooling"].astype(str) + "/" + first["variety"].astype(str))
        diff = paired_differences(keyed, output, reference="hierarchy", pair_on="pair",
                                  groups=("policy", "turbulence"), better="higher")
        diff = diff[diff["structure"] != "hierarchy"]
        for _, d in diff.iterrows():
            star = " *" if d["low"] > 0 or d["high"] < 0 else ""
            print(f"  {d['policy']:12s} {d['turbulence']:5.2f} {d['structure']:14s} "
                  f"{d['mean_difference']:{form}} [{d['low']:{form}}, {d['high']:{form}}] "
                  f"n={int(d['pairs'])}{star}")
    print("\n== mechanics: means per structure by turbulence ==")
    cols = ["mean_unit_cost", "mean_proposals_implemented", "mean_decision_latency",
            "mean_margin"]
    print(first.groupby(["turbulence", "structure"])[cols].mean().to_string(
        float_format=lambda v: f"{v:.3f}"))


if __name__ == "__main__":
    main()
