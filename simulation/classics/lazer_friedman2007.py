"""Lazer and Friedman (2007): the network structure of exploration and exploitation.

Reference: Lazer, D., & Friedman, A. (2007). The network structure of exploration and
exploitation. *Administrative Science Quarterly* 52(4), 667-694.

Agents solve the same NK problem in parallel (the paper: 100 agents, N = 20, K = 5). Each round,
synchronously, an agent whose best neighbour scores higher copies that neighbour's whole
solution (imitation); otherwise it changes one random attribute and keeps the change only if it
scores higher (local exploration). The score is the fitness divided by the landscape's global
maximum, raised to the eighth power, so that most solutions look mediocre (as in the paper).
The landscape is the project's single NK implementation,
:class:`simulation.core.landscapes.NKLandscape`.

Examples
--------
>>> from simulation.classics import lazer_friedman2007 as lf
>>> df = lf.run(network="linear", steps=5, landscapes=2, seed=1, n=10, k=3)
>>> list(df.columns)[:3]
['network', 'step', 'mean_score']
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd

from simulation.classics import _kernels_search as ks
from simulation.classics._common import ExperimentResult, mean_and_sem
from simulation.core.landscapes import NKLandscape

NETWORKS = ("linear", "full", "random", "small_world")


def build_network(name: str, agents: int, rng: np.random.Generator, *, degree: int = 4,
                  shortcut_probability: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Neighbour lists of a communication network in CSR form ``(ptr, neighbours)``.

    Parameters
    ----------
    name : {"linear", "full", "random", "small_world"}
        ``linear``: a ring, each agent linked to the previous and next one (the paper's least
        efficient network); ``full``: everyone linked to everyone (the most efficient);
        ``random``: a connected random graph with ``agents * degree / 2`` links;
        ``small_world``: the ring plus random shortcuts (Newman-Watts, probability
        ``shortcut_probability`` per ring link).
    agents : int
        Number of agents.
    rng : numpy.random.Generator
        Source of the random graphs' seeds.
    """
    if name not in NETWORKS:
        raise ValueError(f"network={name!r}: allowed values are {', '.join(NETWORKS)}")
    if name == "linear":
        graph = nx.cycle_graph(agents)
    elif name == "full":
        graph = nx.complete_graph(agents)
    elif name == "random":
        edges = agents * degree // 2
        for _ in range(1000):  # redraw until connected, so no agent is cut off
            graph = nx.gnm_random_graph(agents, edges, seed=int(rng.integers(2**31)))
            if nx.is_connected(graph):
                break
        else:
            raise ValueError(f"degree={degree}: random network never connected")
    else:
        graph = nx.newman_watts_strogatz_graph(agents, 2, shortcut_probability,
                                               seed=int(rng.integers(2**31)))
    ptr = np.zeros(agents + 1, dtype=np.int64)
    lists = [sorted(graph.neighbors(i)) for i in range(agents)]
    ptr[1:] = np.cumsum([len(x) for x in lists])
    neighbours = np.array([j for x in lists for j in x], dtype=np.int64)
    return ptr, neighbours


def normalised_scores(landscape: NKLandscape, power: float = 8.0) -> np.ndarray:
    """``(fitness / global maximum) ** power`` for every state of ``landscape``."""
    table = landscape.enumerate()
    return (table / table.max()) ** power


def simulate(networks=NETWORKS, steps: int = 100, landscapes: int = 100, seed: int | None = 1,
             *, n: int = 20, k: int = 5, agents: int = 100, power: float = 8.0,
             degree: int = 4, shortcut_probability: float = 0.05,
             use_kernel: bool = True) -> dict[str, np.ndarray]:
    """Mean score per round on each landscape, for each network.

    The networks share the landscapes and the agents' starting solutions (common random
    numbers), so differences between networks are not landscape luck.

    Returns
    -------
    dict
        network -> float array ``(landscapes, steps + 1)``; column 0 is before the first round.
    """
    step_fn = ks.network_search if use_kernel else ks.network_search_py
    out = {name: np.empty((landscapes, steps + 1)) for name in networks}
    for index, child in enumerate(np.random.SeedSequence(seed).spawn(landscapes)):
        land_seq, start_seq, run_seq = child.spawn(3)
        landscape = NKLandscape(n, k, seed=np.random.default_rng(land_seq))
        table = normalised_scores(landscape, power)
        start = np.random.default_rng(start_seq).integers(0, 1 << n, size=agents)
        for j, name in enumerate(networks):
            rng = np.random.default_rng([run_seq.generate_state(1)[0], j])
            ptr, neighbours = build_network(name, agents, rng, degree=degree,
                                            shortcut_probability=shortcut_probability)
            flips = rng.integers(0, n, size=(steps, agents))
            solutions = start.astype(np.int64).copy()
            step_fn(table, ptr, neighbours, solutions, flips, out[name][index])
    return out


def run(network: str = "linear", steps: int = 100, landscapes: int = 100,
        seed: int | None = 1, **options) -> pd.DataFrame:
    """Average performance over time for one network (the paper's main experiment).

    Parameters
    ----------
    network : {"linear", "full", "random", "small_world"}
        Communication network (see :func:`build_network`).
    steps, landscapes, seed : int
        Rounds, number of landscapes averaged over, and seed.
    **options
        ``n``, ``k``, ``agents``, ``power``, ``degree``, ``shortcut_probability``,
        ``use_kernel`` (see :func:`simulate`).

    Returns
    -------
    pandas.DataFrame
        Columns ``network``, ``step``, ``mean_score`` (mean over agents and landscapes of the
        normalised eighth-power score) and ``sem`` (over landscapes).
    """
    scores = simulate((network,), steps, landscapes, seed, **options)[network]
    return _frame(network, scores)


def _frame(network: str, scores: np.ndarray) -> pd.DataFrame:
    count = scores.shape[0]
    sem = scores.std(axis=0, ddof=1) / np.sqrt(count) if count > 1 else np.zeros(scores.shape[1])
    return pd.DataFrame({"network": network, "step": np.arange(scores.shape[1]),
                         "mean_score": scores.mean(axis=0), "sem": sem})


def experiment_performance(replicates: int, seed: int, *, networks=NETWORKS, steps: int = 100,
                           n: int = 20, k: int = 5, agents: int = 100, power: float = 8.0,
                           degree: int = 4, shortcut_probability: float = 0.05,
                           early_step: int = 10) -> ExperimentResult:
    """Average score over time per network; ``replicates`` is the number of landscapes."""
    scores = simulate(tuple(networks), steps, replicates, seed, n=n, k=k, agents=agents,
                      power=power, degree=degree, shortcut_probability=shortcut_probability)
    data = pd.concat([_frame(name, value) for name, value in scores.items()],
                     ignore_index=True)
    metrics = {}
    for name, value in scores.items():
        metrics[f"score[network={name},step={early_step}]"] = float(value[:, early_step].mean())
        metrics[f"score[network={name},step={steps}]"] = float(value[:, steps].mean())
        metrics[f"sem[network={name},step={steps}]"] = mean_and_sem(value[:, steps])[1]

    def plot(ax):
        for name, group in data.groupby("network", sort=False):
            ax.plot(group["step"], group["mean_score"], label=name)
        ax.set_xlabel("round")
        ax.set_ylabel("average score (normalised, 8th power)")
        ax.legend()

    return ExperimentResult(data, metrics, plot,
                            f"Lazer & Friedman (2007): N={n}, K={k}, {agents} agents, "
                            f"{replicates} landscapes")


EXPERIMENTS = {"performance": experiment_performance}
