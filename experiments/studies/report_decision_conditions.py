"""Markdown tables from ``decision_conditions.py``'s runs (for docs/ODD.md section 8).

Usage: python experiments/studies/report_decision_conditions.py [results/studies]
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from simulation.analysis.statistics import paired_differences, t_interval

STRUCTURES = ("hierarchy", "siloed_social", "network", "podular", "open")
CONDITION = ["turbulence", "cross_module_share", "variants"]


def _cell(mean, low, high) -> str:
    star = "*" if (low > 0 or high < 0) else ""
    return f"{mean:+.3f} [{low:+.3f}, {high:+.3f}]{star}"


def structure_table(runs: pd.DataFrame, metric: str, information: str) -> str:
    subset = runs[runs["decision_information"] == information]
    diff = paired_differences(subset, metric, reference="hierarchy", groups=CONDITION,
                              better="higher")
    lines = ["| turbulence | coupling | product | hierarchy level | "
             + " | ".join(f"{s} - hierarchy" for s in STRUCTURES[1:]) + " |",
             "|---" * (4 + len(STRUCTURES) - 1) + "|"]
    for keys, group in subset.groupby(CONDITION):
        level = t_interval(group[group["structure"] == "hierarchy"][metric])
        row = diff.set_index(CONDITION + ["structure"]).loc[keys]
        cells = [_cell(row.loc[s, "mean_difference"], row.loc[s, "low"], row.loc[s, "high"])
                 for s in STRUCTURES[1:]]
        coupling = "coupled" if keys[1] == 1.0 else "modular"
        lines.append(f"| {keys[0]:g} | {coupling} | {keys[2]} | {level[0]:.3f} | "
                     + " | ".join(cells) + " |")
    return "\n".join(lines)


def information_table(runs: pd.DataFrame, metric: str) -> str:
    """Fully informed minus staff, per structure and condition (paired by replicate)."""
    table = runs.copy()
    table["arm"] = table["decision_information"]
    lines = ["| turbulence | coupling | product | "
             + " | ".join(STRUCTURES) + " |", "|---" * (3 + len(STRUCTURES)) + "|"]
    for keys, group in table.groupby(CONDITION):
        cells = []
        for structure in STRUCTURES:
            one = group[group["structure"] == structure]
            diff = paired_differences(one, metric, reference="staff", by="arm",
                                      better="higher")
            row = diff[diff["structure"] == "fully_informed"].iloc[0]
            cells.append(_cell(row["mean_difference"], row["low"], row["high"]))
        coupling = "coupled" if keys[1] == 1.0 else "modular"
        lines.append(f"| {keys[0]:g} | {coupling} | {keys[2]} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "results/studies")
    runs = pd.read_csv(folder / "decision_conditions_runs.csv")
    n = runs.groupby(CONDITION + ["decision_information", "structure"]).size().min()
    print(f"runs: {len(runs)}; paired replicates per cell: {n}\n")
    for metric in ("fitness", "market_share"):
        print(f"### {metric}, decision_information = staff (difference against the hierarchy)\n")
        print(structure_table(runs, metric, "staff"), "\n")
    print("### fitness, decision_information = fully_informed\n")
    print(structure_table(runs, "fitness", "fully_informed"), "\n")
    print("### fully informed minus staff, fitness (paired, per structure)\n")
    print(information_table(runs, "fitness"), "\n")
    print("### fully informed minus staff, market share\n")
    print(information_table(runs, "market_share"))


if __name__ == "__main__":
    main()
