"""Where a worker's time goes per run, at the atlas's run size: is anything but the steps large?

    .venv/bin/python experiments/benchmarks/bench_run_overhead.py [--seeds 3] [--default]

Runs, in this process, what a sweep worker does for each run (``simulation.sweep.worker``):
the run's seed, the model build (and, inside it, the Mesa agents' share), the steps, the
tables (``metrics()``, ``resilience()``), the sweep's row of outputs, and the pickling of the
task sent to a worker and of the tables sent back (what a process pool adds per task besides
its queue latency). Five structures x ``--seeds`` seeds at the atlas's size (2,000 customers,
100 employees, 200 steps, a need shift at step 100, on the calm scenario; ``--default``:
every default, 20,000 customers, 200 employees, 500 steps, a need shift at step 250).
Prints CPU milliseconds per run and the share of each part; the steps' share is what batching
or reusing builds can never remove.
"""

from __future__ import annotations

import argparse
import pickle
import time

ATLAS = ["customers.count=2000", "firm.employees=100", "steps=200",
         'shocks=[{kind="need_shift", step=100, strength=0.5}]']
STRUCTURES = ["hierarchy", "siloed_social", "network", "podular", "open"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--default", action="store_true", help="the default run size")
    parser.add_argument("--turbulence", type=float, default=0.0,
                        help="market.turbulence of the atlas-size runs (the atlas: 0, 0.05, 0.15)")
    parser.add_argument("--coupling", type=float, default=0.5,
                        help="market.cross_module_share of the atlas-size runs (atlas: 0.1, 0.7)")
    args = parser.parse_args()

    import simulation as fs
    from simulation.config.schema import validate_model_config
    from simulation.config.seeds import run_seed
    from simulation.core import agents
    from simulation.execution.experiment import RunSpec
    from simulation.execution.runs import RunTables, build_model
    from simulation.sweep.worker import _outputs

    if args.default:  # every default (20,000 customers, 200 employees, 500 steps) + a shift
        config = validate_model_config(
            {"shocks": [{"kind": "need_shift", "step": 250, "strength": 0.5}]})
    else:
        config = fs.load_scenario(
            "calm", set=ATLAS + [f"market.turbulence={args.turbulence}",
                                 f"market.cross_module_share={args.coupling}"],
        ).model_config_only()
    job = {"outputs": ["resilience", "levels"], "level_window": 0.2}
    for structure in STRUCTURES:  # compile or load the kernels first
        build_model(config, structure, run_seed(1, 0)).run(5)

    agent_seconds = [0.0]
    for cls in (agents.Customer, agents.Employee, agents.Stakeholder):
        original = cls.__init__

        def timed(self, *a, _original=original, **k):
            start = time.process_time()
            _original(self, *a, **k)
            agent_seconds[0] += time.process_time() - start

        cls.__init__ = timed

    parts = dict.fromkeys(("seed", "build (all)", "  of which Mesa agents", "steps", "tables",
                           "sweep row", "pickle task + tables"), 0.0)
    runs = 0
    for seed_number in range(args.seeds):
        for structure in STRUCTURES:
            clock = time.process_time()
            seed = run_seed(7, seed_number, 3)
            parts["seed"] += time.process_time() - clock
            agent_seconds[0] = 0.0
            clock = time.process_time()
            model = build_model(config, structure, seed)
            parts["build (all)"] += time.process_time() - clock
            parts["  of which Mesa agents"] += agent_seconds[0]
            clock = time.process_time()
            model.run()
            parts["steps"] += time.process_time() - clock
            clock = time.process_time()
            tables = RunTables(model.metrics(), model.resilience("market_share"))
            parts["tables"] += time.process_time() - clock
            clock = time.process_time()
            _outputs(tables, job)
            parts["sweep row"] += time.process_time() - clock
            clock = time.process_time()
            pickle.loads(pickle.dumps(RunSpec(structure, seed_number, seed, config)))
            pickle.loads(pickle.dumps(tables))
            parts["pickle task + tables"] += time.process_time() - clock
            runs += 1
    total = sum(v for k, v in parts.items() if not k.startswith("  "))
    size = "default" if args.default else "atlas"
    print(f"{runs} runs at the {size} size, CPU ms per run (share of the worker's total):")
    for name, seconds in parts.items():
        print(f"  {name:24s} {seconds / runs * 1e3:8.1f} ms  {seconds / total:6.1%}")
    print(f"  {'total':24s} {total / runs * 1e3:8.1f} ms  -> at most "
          f"{2 * runs / total:.1f} runs/s on 2 fully used cores")


if __name__ == "__main__":
    main()
