"""Analysing a sweep's folder: the work of ``firmsim analyze`` and of
:func:`simulation.api.analyze` (one code path for both): Sobol / Morris indices, grid tables
and heatmaps of structure advantages, the winner map and PRIM scenario discovery.
"""

from __future__ import annotations

from pathlib import Path

from simulation.errors import UserError


def analyze_folder(args) -> int:
    """Analyse the sweep in ``args.folder`` (the options of ``firmsim analyze``), write the CSV
    and figures to ``args.out`` (default: its ``analysis/``), print the main table."""
    import pandas as pd

    from simulation.analysis.report import write_csv
    from simulation.sweep.analysis import (
        DEFAULT_OUTPUTS,
        grid_table,
        load_sweep,
        plot_advantage,
        plot_levels,
        plot_sensitivity,
        sensitivity,
    )

    data = load_sweep(args.folder)
    available = data.outputs
    experiment = data.manifest["resolved"]["experiment"]
    if args.outputs:
        chosen = [name.strip() for name in args.outputs.split(",") if name.strip()]
        unknown = [name for name in chosen if name not in available]
        if unknown:
            raise UserError(f"--outputs: unknown output '{unknown[0]}' (available: "
                            f"{', '.join(available)})")
    else:
        chosen = [o for o in (experiment.get("analysis") or {}).get("outputs") or []
                  if o in available] or [o for o in DEFAULT_OUTPUTS if o in available]
        chosen = chosen or available[:5]
    out = args.out or data.folder / "analysis"
    total = data.manifest["design"]["runs"]
    print(f"firmsim analyze: {data.manifest['experiment_name']}: {data.kind} design, "
          f"{len(data.runs)}/{total} runs finished; structures "
          f"{', '.join(data.structures)} (advantage = other - {data.structures[0]})")
    if len(data.runs) < total:
        print("firmsim analyze: note: the sweep is incomplete; points without runs are "
              "missing from the analysis")
    written = []
    pd.set_option("display.width", 160)
    if data.kind == "grid":
        parameters = data.parameters
        analysis = experiment.get("analysis") or {}
        x = args.x or analysis.get("x") or parameters[0]
        y = args.y or analysis.get("y") or (
            next((p for p in parameters if p != x), None))
        for axis, value in (("--x", x), ("--y", y)):
            if value is not None and value not in parameters:
                raise UserError(f"{axis}={value!r}: not a parameter of this sweep "
                                f"(parameters: {', '.join(parameters)})")
        if y == x:
            raise UserError(f"--y={y!r}: choose a parameter other than --x")
        table = grid_table(data, x, y, available)
        write_csv(table, out / "grid.csv")
        written.append("grid.csv")
        advantages = [t for t in table["target"].unique() if "-" in t]
        for output in chosen:
            for target in advantages:
                name = f"advantage_{output}_{target}.png"
                if plot_advantage(table, target, output, x, y, out / name):
                    written.append(name)
                rows = table[(table["target"] == target) & (table["output"] == output)]
                if y is None:
                    shown = rows.set_index(x)["mean"].to_frame(output).T
                else:
                    shown = rows.pivot(index=y, columns=x, values="mean")
                print(f"\n{output}: {target} (mean; rows {y or '-'}, columns {x}):")
                print(shown.to_string(float_format=lambda v: f"{v:.3g}"))
            name = f"levels_{output}.png"
            if plot_levels(table, data.structures, output, x, out / name):
                written.append(name)
    else:
        table, notes = sensitivity(data, available)
        if table.empty:
            raise UserError("no output could be analysed: " + "; ".join(notes[:3]))
        write_csv(table, out / "sensitivity.csv")
        written.append("sensitivity.csv")
        for output in chosen:
            name = f"sensitivity_{output}.png"
            if plot_sensitivity(table, data.kind, output, out / name):
                written.append(name)
        columns = {"sobol": ["S1", "S1_conf", "ST", "ST_conf"],
                   "morris": ["mu_star", "mu_star_conf", "sigma", "mu"],
                   "lhs": ["spearman", "p_value"]}[data.kind]
        order = {"sobol": "ST", "morris": "mu_star", "lhs": "spearman"}[data.kind]
        for output in chosen:
            rows = table[table["output"] == output]
            if rows.empty:
                continue
            print(f"\n{output}:")
            for target, group in rows.groupby("target", sort=False):
                group = group.reindex(group[order].abs().sort_values(ascending=False).index)
                print(f"  {target}:")
                text = group.set_index("parameter")[columns].to_string(
                    float_format=lambda v: f"{v:.3f}")
                print("\n".join("    " + line for line in text.splitlines()))
        skipped = [n for n in notes if n.split(" ")[0] in chosen]
        for note in skipped:
            print(f"firmsim analyze: note: {note}")
    written += winners_and_discovery(args, data, experiment, out)
    print(f"\nwrote {out}/: {', '.join(written)}")
    return 0


def winners_and_discovery(args, data, experiment: dict,
                          out: Path) -> list[str]:
    """The winner map (grid, several structures) and the PRIM boxes asked for; files
    written."""
    import pandas as pd

    from simulation.analysis.report import write_csv
    from simulation.analysis.winners import (
        better_direction,
        discover_table,
        parse_question,
        plot_winner_map,
        winner_table,
    )

    analysis = experiment.get("analysis") or {}
    available = data.outputs
    written = []
    conditions = data.parameters
    if data.kind == "grid" and len(data.structures) > 1:
        metric = (args.winner_metric or analysis.get("winner_metric")
                  or next((o for o in ("s0_area_lost", "mean_market_share")
                           if o in available), None))
        if metric not in available:
            raise UserError(f"--winner-metric={metric!r}: unknown output (available: "
                            f"{', '.join(available)})")
        better = args.better or analysis.get("better") or better_direction(metric)
        margins = (experiment.get("precision") or {}).get("margins") or {}
        table = winner_table(data.runs, conditions, metric, data.structures, better,
                             tie_margin=margins.get(metric))
        write_csv(table, out / "winners.csv")
        plot_winner_map(table, conditions, data.structures, metric, out / "winners.png",
                        x=args.x or analysis.get("x"), y=args.y or analysis.get("y"))
        written += ["winners.csv", "winners.png"]
        shown = table[[*conditions, "best", "significant", "verdict", "level_with",
                       "replicates", "margin", "margin_low", "margin_high", "runner_up"]]
        wins = table.groupby("best")["significant"].agg(["size", "sum"])
        margin_note = (f"; tie within margin: every other structure behind or within "
                       f"+/-{margins[metric]:g}" if metric in margins else "")
        print(f"\nWinner map on {metric} ({better} is better; significant: the paired 95% "
              f"interval against every other structure excludes 0{margin_note}):")
        print(shown.to_string(index=False, float_format=lambda v: f"{v:.3g}"))
        print("Cells won (significantly): " + "; ".join(
            f"{name} {int(row['size'])} ({int(row['sum'])})" for name, row in wins.iterrows()))
    questions = args.discover or list(analysis.get("discover") or [])
    if questions:
        frames = []
        for text in questions:
            question = parse_question(text, data.structures, available)
            boxes, note = discover_table(data.runs, conditions, question,
                                         better=args.better, per_pair=args.per_pair)
            print(f"\nScenario discovery (PRIM): {note}")
            for _, box in boxes.iterrows():
                print(f"  box {box['box']}: {box['limits']} (coverage {box['coverage']:.2f}, "
                      f"density {box['density']:.2f}, {box['points']} points)")
            frames.append(boxes)
        found = [frame for frame in frames if len(frame)]
        write_csv(pd.concat(found, ignore_index=True) if found else frames[0],
                  out / "discovery.csv")
        written.append("discovery.csv")
    return written
