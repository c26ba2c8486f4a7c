"""Timings of the classic models against the issue's targets (after compilation).

Run: ``.venv/bin/python experiments/benchmarks/bench_classics.py``

Targets: March (1991) at the paper's size (m = 30, n = 50) to equilibrium, 80 replicates, under
5 s; Lazer-Friedman (100 agents, N = 20, K = 5, 100 rounds, 100 landscapes) under 30 s.
"""

from __future__ import annotations

import time

from simulation.classics import lazer_friedman2007, levinthal1997, march1991


def timed(function, *args, **kwargs) -> float:
    start = time.perf_counter()
    function(*args, **kwargs)
    return time.perf_counter() - start


def main() -> None:
    # Compile (or load the cache) on tiny inputs first; timings below exclude compilation.
    march1991.equilibrium_knowledge(0.5, 0.5, replicates=2, seed=0)
    lazer_friedman2007.run("linear", steps=2, landscapes=1, seed=0, n=8, k=2, agents=5)
    levinthal1997.experiment_shock(2, 0, ks_values=(1,), periods=10, shock_period=5, horizon=2)

    rows = []
    for p1 in (0.1, 0.5, 0.9):  # p1 = 0.1 is the slowest to reach equilibrium
        seconds = timed(march1991.equilibrium_knowledge, p1=p1, p2=0.5, replicates=80, seed=1)
        rows.append((f"March 1991 m=30 n=50 p1={p1} p2=0.5, 80 runs to equilibrium",
                     seconds, 5.0))
    seconds = timed(lazer_friedman2007.run, network="linear", steps=100, landscapes=100,
                    seed=1)
    rows.append(("Lazer-Friedman linear, 100 agents N=20 K=5, 100 rounds, 100 landscapes",
                 seconds, 30.0))
    seconds = timed(lazer_friedman2007.simulate, ("linear", "full", "random", "small_world"),
                    100, 100, 1)
    rows.append(("Lazer-Friedman all 4 networks on the same 100 landscapes", seconds, 30.0))
    seconds = timed(levinthal1997.experiment_shock, 200, 1)
    rows.append(("Levinthal 1997, 5 K values x 200 runs x 100 periods", seconds, None))

    print(f"{'benchmark':<74} {'seconds':>8} {'target':>7} {'ratio':>6}")
    for name, seconds, target in rows:
        ratio = f"{seconds / target:.2f}" if target else "-"
        target_text = f"{target:.0f}" if target else "-"
        print(f"{name:<74} {seconds:8.2f} {target_text:>7} {ratio:>6}")


if __name__ == "__main__":
    main()
