"""``firmsim design SCENARIO``: search the organisation's design parameters with Optuna.

Every trial is one design (values of the parameters of
:data:`simulation.design.search.DESIGN_SPACE`, and the structure when the scenario lists
several) run on the same replicate seeds (common random numbers). The search minimises or
maximises one objective (default: area lost after the scenario's shocks); every trial also
records the coordination costs (messages sent, workload), and the Pareto front of the
objective against them is reported. ``--pareto`` makes the search itself multi-objective
(NSGA-II). The study lives in ``OUT/design.db`` (SQLite): running the command again on the
same folder adds trials to it. Writes ``trials.csv``, ``best.csv``, ``pareto.csv``,
``pareto.png`` and ``manifest.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from simulation.errors import UserError

HELP = "search organisation designs (Optuna) for the most resilient firm"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``firmsim design``."""
    from simulation.design.objectives import OBJECTIVES

    parser.add_argument("scenario", metavar="SCENARIO",
                        help="shipped scenario name or a .toml file")
    parser.add_argument("--objective", default="area_lost", choices=list(OBJECTIVES),
                        help="what the search optimises (default: area_lost, summed over the "
                             "scenario's shocks; " + "; ".join(
                                 f"{name}: {direction}" for name, (direction, _)
                                 in OBJECTIVES.items()) + ")")
    parser.add_argument("--pareto", action="store_true",
                        help="multi-objective search (NSGA-II) of the objective against "
                             "messages sent and workload, instead of the objective alone")
    parser.add_argument("--trials", type=int, default=20,
                        help="trials to add in this call (default 20); a folder with a study "
                             "resumes it")
    parser.add_argument("--replicates", type=int, default=None,
                        help="replicate seeds per trial, the same for every trial "
                             "(default: the scenario's)")
    parser.add_argument("--structure", action="append", default=None, metavar="NAME",
                        help="structure(s) searched; with several, the structure is a "
                             "search dimension (default: the scenario's structures)")
    parser.add_argument("--parameters", default=None, metavar="PATH,...",
                        help="design parameters searched (default: all of DESIGN_SPACE: "
                             "firm.lateral_links, firm.span, firm.pod_size, firm.hub_span, "
                             "firm.change_budget, firm.sample_size, "
                             "firm.side_effect_awareness)")
    parser.add_argument("--seed", type=int, default=None,
                        help="root seed of the replicate seeds (default: the scenario's)")
    parser.add_argument("--sampler-seed", type=int, default=0,
                        help="seed of Optuna's sampler (default 0)")
    parser.add_argument("--steps", type=int, default=None, help="steps per run")
    parser.add_argument("--set", dest="assignments", action="append", default=[],
                        metavar="KEY=VALUE", help="override a scenario field (as in run)")
    parser.add_argument("--out", type=Path, default=None,
                        help="output folder (default: results/design/<scenario name>/)")
    parser.add_argument("--workers", type=int, default=1,
                        help="local processes running a trial's replicates (default 1)")
    parser.add_argument("--scheduler", metavar="ADDRESS", default=None,
                        help="run the replicates on an existing Dask scheduler instead")
    parser.add_argument("--yes", action="store_true",
                        help="run a search above the size limit (100,000 trials, 1,000,000 "
                             "runs or 24 hours estimated); its size is shown first")


def design_space(firm_fields, chosen: list[str] | None, structures: list[str]) -> dict:
    """The search space: DESIGN_SPACE (restricted to ``chosen``), the decision order when the
    configuration has such a field, the structure when several are searched."""
    from simulation.config.vocabulary import DECISION_ORDERS
    from simulation.design.objectives import STRUCTURE_PARAMETER
    from simulation.design.search import DESIGN_SPACE

    space = dict(DESIGN_SPACE)
    if "decision_order" in firm_fields:
        space["firm.decision_order"] = (DECISION_ORDERS, "categorical")
    if chosen:
        unknown = [name for name in chosen if name not in space]
        if unknown:
            raise UserError(f"--parameters: {unknown[0]!r} is not a design parameter "
                            f"(allowed: {', '.join(space)})")
        space = {name: space[name] for name in chosen}
    if len(structures) > 1:
        space[STRUCTURE_PARAMETER] = (tuple(structures), "categorical")
    return space


def run(args: argparse.Namespace) -> int:
    """Search, write the tables and the Pareto plot, print the best designs."""
    from simulation import registry
    from simulation.analysis.report import write_csv
    from simulation.config.scenario import command_assignments, scenario_data
    from simulation.config.schema import Firm
    from simulation.config.seeds import run_seed
    from simulation.design.objectives import COSTS, OBJECTIVES, STRUCTURE_PARAMETER
    from simulation.design.runs import DesignEvaluator
    from simulation.design.search import pareto_front, search_designs, storage_url
    from simulation.store.atomic import atomic_write
    from simulation.store.locks import folder_lock
    from simulation.store.sources import resolve

    if args.trials < 0:
        raise UserError(f"--trials={args.trials}: must be 0 or more")
    if args.workers < 1:
        raise UserError(f"--workers={args.workers}: must be at least 1")
    assignments = command_assignments(args)
    scenario, source, _ = resolve(args.scenario, assignments)
    structures = args.structure or list(scenario.structures)
    for name in structures:
        if name not in registry.names("structure"):
            raise UserError(f"--structure={name!r}: allowed values are "
                            f"{', '.join(registry.names('structure'))}")
    direction, meaning = OBJECTIVES[args.objective]
    if args.objective in ("area_lost", "depth", "post_level") and not scenario.shocks:
        raise UserError(f"--objective={args.objective}: the scenario has no shocks; use "
                        "mean_fitness or mean_market_share")
    # Bounded and estimated before any work: each trial runs one structure on every
    # replicate seed.
    from simulation.execution.budget import check_design_size, check_run_budget, run_seconds

    config = scenario.model_config_only()
    runs = args.trials * scenario.replicates
    workers = args.workers
    size = check_design_size(args.trials, runs, runs * run_seconds(config) / workers, workers,
                             yes=args.yes, what="design search (points: trials)")
    check_run_budget(config, max(1, min(runs, workers)), workers)
    print(f"firmsim design: {size}", file=sys.stderr)
    chosen = [p.strip() for p in args.parameters.split(",")] if args.parameters else None
    space = design_space(Firm.model_fields, chosen, structures)
    out = args.out or Path("results") / "design" / scenario.name
    root = scenario.seed
    seed_of = {int(run_seed(root, r).generate_state(1)[0]): r
               for r in range(scenario.replicates)}
    objectives = {args.objective: direction}
    if args.pareto:
        objectives.update({cost: "minimize" for cost in COSTS})
    base = scenario.model_config_only().model_dump(mode="json")
    with folder_lock(out, "design"):
        _check_same_scenario(out, scenario_data(scenario), structures)
        print(f"firmsim design: {scenario.name}: {args.trials} trial(s) of "
              f"{len(space)} parameter(s), {scenario.replicates} replicate seeds each "
              f"(common to every trial), {', '.join(structures)}; objective "
              f"{args.objective} ({direction}: {meaning})"
              + ("; Pareto search against messages sent and workload" if args.pareto else "")
              + f" -> {out}")
        evaluate = DesignEvaluator(base, structures, seed_of, root, scenario.resilience_metric,
                                   workers=args.workers, scheduler=args.scheduler)
        started = time.perf_counter()
        try:
            result = search_designs(space, evaluate, list(seed_of), objectives, args.trials,
                                    sampler_seed=args.sampler_seed, storage=storage_url(out),
                                    study_name="design")
        finally:
            evaluate.close()
        elapsed = time.perf_counter() - started
        trials = result.trials[result.trials["state"] == "complete"]
        front = pareto_front(trials, {args.objective: direction,
                                      **{cost: "minimize" for cost in COSTS}})
        front = front.sort_values(args.objective, ascending=direction == "minimize")
        write_csv(result.trials, out / "trials.csv")
        write_csv(result.best, out / "best.csv")
        write_csv(front, out / "pareto.csv")
        _plot_front(trials, front, args.objective, out / "pareto.png")
        manifest = {"kind": "design", "scenario": scenario_data(scenario), "source": source,
                    "structures": structures, "space": {k: list(map(_plain, v))
                                                        for k, v in space.items()},
                    "objectives": objectives, "root_seed": root,
                    "replicates": scenario.replicates, "sampler_seed": args.sampler_seed,
                    "trials": int(len(result.trials)), "argv": sys.argv,
                    "seconds_this_call": round(elapsed, 2), "storage": "design.db"}
        text = json.dumps(manifest, indent=2) + "\n"
        atomic_write(out / "manifest.json", lambda p: p.write_text(text))
    shown = [*space, args.objective, *COSTS]
    shown = [c for c in shown if c in trials.columns]
    print(f"\n{len(trials)} completed trial(s) in the study ({elapsed:.1f} s this call).")
    label = "Best design" if len(objectives) == 1 else "Pareto-optimal designs (search)"
    print(f"{label} ({args.objective}, mean over {scenario.replicates} replicates):")
    print(result.best[[c for c in shown if c in result.best.columns]].to_string(
        index=False, float_format=lambda v: f"{v:.4g}"))
    print(f"\nPareto front of {args.objective} against coordination cost (messages sent, "
          "workload; no trial is better on all three):")
    print(front[shown].to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    if STRUCTURE_PARAMETER in space:
        print("(structure is a search dimension: the design parameters of other structures "
              "have no effect in a trial)")
    print(f"\nwrote {out}/: trials.csv, best.csv, pareto.csv, pareto.png, manifest.json, "
          "design.db (resume by running the same command again)")
    return 0


def _plain(value):
    return list(value) if isinstance(value, tuple) else value


def _check_same_scenario(out: Path, data: dict, structures: list[str]) -> None:
    path = out / "manifest.json"
    if not path.exists():
        return
    try:
        stored = json.loads(path.read_text())
    except (OSError, ValueError):
        return
    if stored.get("kind") != "design":
        raise UserError(f"--out={out}: holds other results; choose another folder")
    if stored.get("scenario") != data or stored.get("structures") != structures:
        raise UserError(f"--out={out}: holds a design study of another scenario or other "
                        "structures; choose another folder (or the same settings to resume)")


def _plot_front(trials, front, objective: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from simulation.store.atomic import atomic_write

    figure, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    for axis, cost in zip(axes, ("messages_sent", "workload"), strict=True):
        axis.scatter(trials[cost], trials[objective], s=18, color="0.6", label="trial")
        axis.scatter(front[cost], front[objective], s=36, color="#0072B2",
                     label="Pareto front (objective, messages, workload)")
        axis.set_xlabel(f"{cost.replace('_', ' ')} (mean per step)")
        axis.set_ylabel(objective.replace("_", " "))
    axes[0].legend(frameon=False, fontsize=8)
    figure.suptitle(f"Design search: {objective.replace('_', ' ')} against coordination cost")
    figure.tight_layout()
    atomic_write(path, lambda p: figure.savefig(p, dpi=110, format="png"))
    plt.close(figure)


