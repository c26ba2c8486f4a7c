"""March (1991): mutual learning between individuals and an organizational code.

Reference: March, J. G. (1991). Exploration and exploitation in organizational learning.
*Organization Science* 2(1), 71-87.

The model (pp. 74-79 of the paper): reality has ``m`` dimensions of value +1 or -1; ``n``
individuals and an organizational code hold beliefs +1, 0 or -1 on each dimension. Each period
individuals are socialized to the code (rate ``p1``) and the code learns from the *superior
group*, the individuals who beat it (rate ``p2``). Turnover (``p3``) replaces individuals by
naive newcomers; turbulence (``p4``) flips dimensions of reality.

Two variants are implemented (see :mod:`simulation.classics._kernels_march`):
``"original"`` (default) is the reconstruction of March's own program by Rodan (2005) and
Christensen (2015), which is known to reproduce Fig. 1 of the paper; ``"paper"`` follows the
printed text literally.

Examples
--------
>>> from simulation.classics import march1991
>>> k = march1991.equilibrium_knowledge(p1=0.1, p2=0.5, replicates=20, seed=1)
>>> 0.0 < k <= 1.0
True
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulation.classics import _kernels_march as km
from simulation.classics._common import ExperimentResult, mean_and_sem, replicate_generators

VARIANTS = {"original": km.ORIGINAL, "paper": km.PAPER}

#: Periods per kernel call; the draws of one call are made together, so results depend on it.
CHUNK_PERIODS = 50
#: Safety bound on the run to equilibrium (Workiewicz 2019 reports rare runs of 500+ periods).
MAX_PERIODS = 5000


def _p1_vector(p1, n: int) -> np.ndarray:
    vector = np.broadcast_to(np.asarray(p1, dtype=np.float64), (n,)).copy()
    if np.any((vector < 0) | (vector > 1)):
        raise ValueError("p1: every socialization rate must lie in [0, 1]")
    return vector


def run_once(
    rng: np.random.Generator,
    *,
    m: int = 30,
    n: int = 50,
    p1=0.1,
    p2: float = 0.5,
    p3: float = 0.0,
    p4: float = 0.0,
    periods: int | None = None,
    variant: str = "original",
    use_kernel: bool = True,
) -> dict:
    """One history of the model.

    Parameters
    ----------
    rng : numpy.random.Generator
        All random numbers of the run come from here (pre-drawn, then passed to the kernel).
    m, n : int
        Dimensions of reality and number of individuals (the paper: 30 and 50).
    p1 : float or array of n floats
        Socialization rate (per individual, to mix fast and slow learners).
    p2, p3, p4 : float
        Code learning rate, turnover rate and turbulence rate.
    periods : int or None
        ``None``: run to the absorbing equilibrium (only allowed with ``p3 = p4 = 0``);
        otherwise run exactly this many periods.
    variant : {"original", "paper"}
        See the module docstring.
    use_kernel : bool
        ``False`` runs the plain-Python twin (identical results, for tests).

    Returns
    -------
    dict
        ``code_knowledge`` and ``individual_knowledge`` (per period), ``periods`` run and
        ``equilibrium`` (whether the absorbing state was reached).
    """
    if variant not in VARIANTS:
        raise ValueError(f"variant={variant!r}: allowed values are {sorted(VARIANTS)}")
    if periods is None and (p3 > 0 or p4 > 0):
        raise ValueError("periods: must be given when p3 > 0 or p4 > 0 (no equilibrium)")
    flag = VARIANTS[variant]
    p1_vec = _p1_vector(p1, n)
    step = km.march_periods if use_kernel else km.march_periods_py
    reality = np.where(rng.random(m) < 0.5, 1, -1).astype(np.int8)
    beliefs = ((rng.random((n, m)) * 3.0).astype(np.int64) - 1).astype(np.int8)
    code = np.zeros(m, dtype=np.int8)
    total = MAX_PERIODS if periods is None else int(periods)
    code_k: list[np.ndarray] = []
    indiv_k: list[np.ndarray] = []
    done, absorbed = 0, False
    empty2, empty3 = np.empty((0, 0)), np.empty((0, 0, 0))
    while done < total and not absorbed:
        t = min(CHUNK_PERIODS, total - done)
        # Fixed draw order; arrays a setting never reads are not drawn at all.
        u_turnover = rng.random((t, n)) if p3 > 0 else empty2
        u_newbelief = rng.random((t, n, m)) if p3 > 0 else empty3
        u_turbulence = rng.random((t, m)) if p4 > 0 else empty2
        u_act = rng.random((t, n, m)) if flag == km.ORIGINAL else empty3
        u_social = rng.random((t, n, m))
        u_code = rng.random((t, m))
        ck, ik = np.empty(t), np.empty(t)
        ran, absorbed = step(
            reality, beliefs, code, p1_vec, float(p2), float(p3), float(p4), flag,
            u_turnover, u_newbelief, u_turbulence, u_act, u_social, u_code,
            periods is None, ck, ik,
        )
        code_k.append(ck[:ran])
        indiv_k.append(ik[:ran])
        done += ran
    return {
        "code_knowledge": np.concatenate(code_k),
        "individual_knowledge": np.concatenate(indiv_k),
        "periods": done,
        "equilibrium": bool(absorbed),
    }


def simulate(replicates: int = 80, seed: int | None = 1, **params) -> list[dict]:
    """:func:`run_once` for each replicate, each with its own child generator."""
    return [run_once(rng, **params) for rng in replicate_generators(seed, replicates)]


def equilibrium_knowledge(
    p1=0.1, p2: float = 0.5, replicates: int = 80, seed: int | None = 1, *, m: int = 30,
    n: int = 50, variant: str = "original", return_runs: bool = False,
):
    """Mean equilibrium knowledge of the code over ``replicates`` runs.

    Parameters
    ----------
    p1, p2 : float
        Socialization and code learning rates (``p1`` may be a per-individual array).
    replicates, seed : int
        Number of runs and seed of the ``SeedSequence`` they are spawned from.
    m, n, variant
        See :func:`run_once`.
    return_runs : bool
        Also return the per-run knowledge and period counts.

    Returns
    -------
    float or (float, numpy.ndarray, numpy.ndarray)
        Mean knowledge (``"original"``: (right - wrong) / m, as in March's program;
        ``"paper"``: share of dimensions right).

    Notes
    -----
    A run ends in the absorbing state: every individual agrees with every non-zero entry of the
    code and no individual can beat the code any more. Runs that have not reached it after
    ``MAX_PERIODS`` periods contribute their last value.
    """
    runs = simulate(replicates, seed, m=m, n=n, p1=p1, p2=p2, variant=variant)
    final = np.array([r["code_knowledge"][-1] for r in runs])
    if return_runs:
        return float(final.mean()), final, np.array([r["periods"] for r in runs])
    return float(final.mean())


# --------------------------------------------------------------------------- experiments


def _key(**values) -> str:
    return ",".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                    for k, v in values.items())


def experiment_fig1(replicates: int, seed: int, *, m: int = 30, n: int = 50,
                    p1=(0.1, 0.3, 0.5, 0.7, 0.9), p2=(0.1, 0.5, 0.9),
                    variant: str = "original") -> ExperimentResult:
    """Fig. 1: equilibrium code knowledge against ``p1`` for several ``p2``."""
    rows, metrics, notes = [], {}, []
    for j, b in enumerate(p2):
        for i, a in enumerate(p1):
            mean, finals, periods = equilibrium_knowledge(
                a, b, replicates, seed=[seed, j, i], m=m, n=n, variant=variant,
                return_runs=True,
            )
            _, sem = mean_and_sem(finals)
            rows.append({"p2": b, "p1": a, "knowledge": mean, "sem": sem,
                         "mean_periods": periods.mean(), "max_periods": periods.max(),
                         "replicates": replicates})
            metrics[f"knowledge[{_key(p2=float(b), p1=float(a))}]"] = mean
            if periods.max() >= MAX_PERIODS:
                notes.append(f"p1={a}, p2={b}: some runs stopped at {MAX_PERIODS} periods")
    data = pd.DataFrame(rows)

    def plot(ax):
        for b, group in data.groupby("p2"):
            ax.errorbar(group["p1"], group["knowledge"], yerr=group["sem"], marker="o",
                        label=f"p2 = {b:g}")
        ax.set_xlabel("socialization rate p1")
        ax.set_ylabel("equilibrium code knowledge")
        ax.legend()

    return ExperimentResult(data, metrics, plot,
                            f"March (1991) Fig. 1: m={m}, n={n}, {replicates} runs", notes)


def experiment_fig2(replicates: int, seed: int, *, m: int = 30, n: int = 50,
                    fast=(0, 10, 20, 30, 40, 50), p1_fast: float = 0.9, p1_slow: float = 0.1,
                    p2: float = 0.5, p1_uniform: float = 0.5,
                    variant: str = "original") -> ExperimentResult:
    """Fig. 2: equilibrium knowledge with a mix of fast and slow learners.

    Also runs the homogeneous organization with ``p1_uniform`` for comparison.
    """
    rows, metrics = [], {}
    for i, count in enumerate(fast):
        rates = np.full(n, p1_slow)
        rates[:count] = p1_fast
        mean, finals, _ = equilibrium_knowledge(rates, p2, replicates, seed=[seed, i], m=m, n=n,
                                                variant=variant, return_runs=True)
        rows.append({"fast_learners": count, "knowledge": mean, "sem": mean_and_sem(finals)[1]})
        metrics[f"knowledge[fast={count}]"] = mean
    uniform, finals, _ = equilibrium_knowledge(p1_uniform, p2, replicates, seed=[seed, 999],
                                               m=m, n=n, variant=variant, return_runs=True)
    metrics[f"knowledge[uniform_p1={p1_uniform:g}]"] = uniform
    data = pd.DataFrame(rows)
    data["uniform_p1"] = p1_uniform
    data["uniform_knowledge"] = uniform

    def plot(ax):
        ax.errorbar(data["fast_learners"], data["knowledge"], yerr=data["sem"], marker="o",
                    label=f"mix of p1={p1_fast:g} and p1={p1_slow:g}")
        ax.axhline(uniform, ls="--", color="grey", label=f"all p1 = {p1_uniform:g}")
        ax.set_xlabel(f"number of fast learners (of {n})")
        ax.set_ylabel("equilibrium code knowledge")
        ax.legend()

    return ExperimentResult(data, metrics, plot,
                            f"March (1991) Fig. 2: p2={p2:g}, {replicates} runs")


def experiment_fig3(replicates: int, seed: int, *, m: int = 30, n: int = 50,
                    p3=(0.0, 0.02, 0.05, 0.1, 0.2, 0.3), p1=(0.1, 0.9), p2: float = 0.5,
                    period: int = 100, variant: str = "original") -> ExperimentResult:
    """Fig. 3: code knowledge at a given period against turnover ``p3``, for several ``p1``."""
    rows, metrics = [], {}
    for j, a in enumerate(p1):
        for i, rate in enumerate(p3):
            runs = simulate(replicates, [seed, j, i], m=m, n=n, p1=a, p2=p2, p3=rate,
                            periods=period, variant=variant)
            values = np.array([r["code_knowledge"][-1] for r in runs])
            mean, sem = mean_and_sem(values)
            rows.append({"p1": a, "p3": rate, "knowledge": mean, "sem": sem})
            metrics[f"knowledge[{_key(p1=float(a), p3=float(rate))}]"] = mean
    data = pd.DataFrame(rows)

    def plot(ax):
        for a, group in data.groupby("p1"):
            ax.errorbar(group["p3"], group["knowledge"], yerr=group["sem"], marker="o",
                        label=f"p1 = {a:g}")
        ax.set_xlabel("turnover rate p3")
        ax.set_ylabel(f"code knowledge at period {period}")
        ax.legend()

    return ExperimentResult(data, metrics, plot,
                            f"March (1991) Fig. 3: p2={p2:g}, period {period}, {replicates} runs")


def experiment_fig4(replicates: int, seed: int, *, m: int = 30, n: int = 50, p1: float = 0.5,
                    p2: float = 0.5, p3=(0.0, 0.1), p4: float = 0.02, periods: int = 100,
                    variant: str = "original") -> ExperimentResult:
    """Fig. 4: code knowledge over time under turbulence ``p4``, without and with turnover."""
    frames, metrics = [], {}
    for i, rate in enumerate(p3):
        runs = simulate(replicates, [seed, i], m=m, n=n, p1=p1, p2=p2, p3=rate, p4=p4,
                        periods=periods, variant=variant)
        paths = np.stack([r["code_knowledge"] for r in runs])
        mean = paths.mean(axis=0)
        frames.append(pd.DataFrame({"p3": rate, "period": np.arange(1, periods + 1),
                                    "knowledge": mean,
                                    "sem": paths.std(axis=0, ddof=1) / np.sqrt(len(runs))}))
        metrics[f"peak[p3={rate:g}]"] = float(mean.max())
        metrics[f"final[p3={rate:g}]"] = float(mean[-1])
    data = pd.concat(frames, ignore_index=True)

    def plot(ax):
        for rate, group in data.groupby("p3"):
            ax.plot(group["period"], group["knowledge"], label=f"p3 = {rate:g}")
        ax.set_xlabel("period")
        ax.set_ylabel("code knowledge")
        ax.legend()

    return ExperimentResult(data, metrics, plot,
                            f"March (1991) Fig. 4: p4={p4:g}, p1={p1:g}, p2={p2:g}, "
                            f"{replicates} runs")


EXPERIMENTS = {
    "fig1": experiment_fig1,
    "fig2": experiment_fig2,
    "fig3": experiment_fig3,
    "fig4": experiment_fig4,
}
