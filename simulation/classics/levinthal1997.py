"""Levinthal (1997): adaptation on rugged landscapes, with selection and a landscape shock.

Reference: Levinthal, D. A. (1997). Adaptation on rugged landscapes. *Management Science*
43(7), 934-950.

A population of organizations (forms: N binary attributes) lives on an NK landscape. Each
period every organization searches (local search: one attribute changed; with probability
``jump_rate`` a long jump to a random form) and keeps a change only if it is fitter. Then
selection: an organization survives with probability ``min(1, (f_i / mean f) ** selection)``;
failed organizations are replaced by entrants, keeping the population size fixed: by default
an entrant copies a surviving form drawn with probability proportional to fitness (selection
retains fit forms), optionally it is a random form. At ``shock_period`` the environment
changes: the landscape's contribution tables are redrawn with correlation
``shock_correlation`` to the old ones (same interaction structure).

Deviations: the paper's exact survival function, entry rule and respecification of the landscape
could not be checked against the text in this project; the rules above are documented choices
(see docs/classics.md) and the experiments test the paper's qualitative claims only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulation.classics import _kernels_search as ks
from simulation.classics._common import ExperimentResult, mean_and_sem, replicate_generators
from simulation.core.landscapes import NKLandscape, correlated_contributions


def run_once(rng: np.random.Generator, *, k: int, n: int = 10, population: int = 100,
             periods: int = 100, shock_period: int = 50, shock_correlation: float = 0.0,
             jump_rate: float = 0.01, selection: float = 5.0, entry: str = "copy",
             use_kernel: bool = True) -> dict:
    """One population history.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of the landscape and of every pre-drawn random number.
    k, n : int
        Landscape ruggedness and number of attributes.
    population, periods : int
        Number of organizations and periods.
    shock_period : int
        First period on the changed landscape (``>= periods``: no shock).
    shock_correlation : float
        Correlation between old and new contribution tables (0: a new landscape).
    jump_rate, selection : float
        Probability of a long jump, and exponent of the survival function.
    entry : {"copy", "random"}
        Form of the entrant replacing a failed organization: a copy of a survivor drawn with
        probability proportional to fitness, or a random form.
    use_kernel : bool
        ``False`` runs the plain-Python twin.

    Returns
    -------
    dict
        ``mean_fitness``, ``distinct_forms`` (per period) and ``births`` (period x slot: the
        period in which the slot's current organization entered; -1 for the founders).
    """
    before = NKLandscape(n, k, seed=rng)
    after = NKLandscape(n, k, dependencies=before.dependencies,
                        contributions=correlated_contributions(before.contributions,
                                                               shock_correlation, rng))
    table_before, table_after = before.enumerate(), after.enumerate()
    states = 1 << n
    forms = rng.integers(0, states, size=population)
    births = np.full(population, -1, dtype=np.int64)
    u_jump = rng.random((periods, population))
    jump_forms = rng.integers(0, states, size=(periods, population))
    flip_bits = rng.integers(0, n, size=(periods, population))
    u_survive = rng.random((periods, population))
    entrant_forms = rng.integers(0, states, size=(periods, population))
    u_parent = rng.random((periods, population))
    if entry not in ("copy", "random"):
        raise ValueError(f"entry={entry!r}: allowed values are 'copy', 'random'")
    mean_fitness = np.empty(periods)
    distinct = np.empty(periods, dtype=np.int64)
    history = np.empty((periods, population), dtype=np.int64)
    step = ks.population_search if use_kernel else ks.population_search_py
    step(table_before, table_after, shock_period, forms, births, u_jump, jump_forms, flip_bits,
         u_survive, entrant_forms, u_parent, entry == "copy", float(jump_rate),
         float(selection), mean_fitness, distinct, history)
    return {"mean_fitness": mean_fitness, "distinct_forms": distinct, "births": history}


def survival(births: np.ndarray, start: int, horizon: int) -> float:
    """Share of the organizations alive at the end of period ``start`` still alive ``horizon``
    periods later."""
    return float(np.mean(births[start + horizon] == births[start]))


def experiment_shock(replicates: int, seed: int, *, ks_values=(0, 1, 3, 5, 9), n: int = 10,
                     population: int = 100, periods: int = 100, shock_period: int = 50,
                     shock_correlation: float = 0.0, jump_rate: float = 0.01,
                     selection: float = 5.0, entry: str = "copy",
                     horizon: int = 10) -> ExperimentResult:
    """Diversity of forms and survival against K, before and after the landscape shock.

    Survival "before" is over the ``horizon`` periods ending just before the shock, "after"
    over the ``horizon`` periods starting with it.
    """
    rows, paths, metrics = [], [], {}
    for index, k in enumerate(ks_values):
        runs = [run_once(rng, k=k, n=n, population=population, periods=periods,
                         shock_period=shock_period, shock_correlation=shock_correlation,
                         jump_rate=jump_rate, selection=selection, entry=entry)
                for rng in replicate_generators([seed, index], replicates)]
        last = shock_period - 1
        values = {
            "diversity_before": [r["distinct_forms"][last] for r in runs],
            "diversity_end": [r["distinct_forms"][-1] for r in runs],
            "survival_before": [survival(r["births"], last - horizon, horizon) for r in runs],
            "survival_after": [survival(r["births"], last, horizon) for r in runs],
            "fitness_before": [r["mean_fitness"][last] for r in runs],
            "fitness_after": [r["mean_fitness"][shock_period] for r in runs],
        }
        row = {"k": k}
        for name, value in values.items():
            row[name], row[name + "_sem"] = mean_and_sem(np.array(value, dtype=float))
            metrics[f"{name}[k={k}]"] = row[name]
        rows.append(row)
        paths.append(pd.DataFrame({
            "k": k, "period": np.arange(periods),
            "mean_fitness": np.mean([r["mean_fitness"] for r in runs], axis=0),
            "distinct_forms": np.mean([r["distinct_forms"] for r in runs], axis=0),
        }))
    data = pd.DataFrame(rows)

    def plot(ax):
        ax.plot(data["k"], data["survival_before"], "o-", label="survival before shock")
        ax.plot(data["k"], data["survival_after"], "s-", label="survival after shock")
        ax.set_xlabel("K")
        ax.set_ylabel(f"share surviving {horizon} periods")
        twin = ax.twinx()
        twin.plot(data["k"], data["diversity_before"], "^--", color="grey",
                  label="distinct forms before shock")
        twin.set_ylabel("distinct forms")
        ax.legend(loc="lower left")
        twin.legend(loc="upper right")

    result = ExperimentResult(data, metrics, plot,
                              f"Levinthal (1997): N={n}, {population} organizations, shock at "
                              f"{shock_period}, {replicates} runs")
    result.data = data
    result.paths = pd.concat(paths, ignore_index=True)
    return result


EXPERIMENTS = {"shock": experiment_shock}
