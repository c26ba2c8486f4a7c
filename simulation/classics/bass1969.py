"""Bass (1969): diffusion of a new product, as an agent-based model on a fully mixed population.

Reference: Bass, F. M. (1969). A new product growth for model consumer durables. *Management
Science* 15(5), 215-227. The cumulative share of adopters solves
``dF/dt = (1 - F) (p + q F)``, ``F(0) = 0``:

    F(t) = (1 - exp(-(p + q) t)) / (1 + (q / p) exp(-(p + q) t)),

and the adoption rate ``dF/dt`` peaks at ``t* = ln(q / p) / (p + q)``.

Agent-based version: ``population`` agents; in each step of length ``dt`` every non-adopter
adopts with probability ``p dt + q dt F``, ``F`` the share of adopters at the start of the step
(:func:`simulation.kernels.contagion.bass_adoption_step_mixed`, the same kernel family the firm
model's word of mouth uses). In expectation this is the Euler scheme of the Bass equation, so
it converges to ``F(t)`` as ``dt -> 0`` and ``population -> infinity``; the experiment file
states how large the remaining differences may be and why.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulation.classics._common import ExperimentResult, replicate_generators
from simulation.kernels import contagion


def bass_curve(t: np.ndarray, p: float, q: float) -> np.ndarray:
    """Analytic Bass cumulative adoption ``F(t)`` (Bass 1969)."""
    decay = np.exp(-(p + q) * np.asarray(t, dtype=float))
    return (1.0 - decay) / (1.0 + (q / p) * decay)


def bass_peak_time(p: float, q: float) -> float:
    """Time of the peak adoption rate, ``ln(q / p) / (p + q)`` (Bass 1969)."""
    return float(np.log(q / p) / (p + q))


def euler_curve(p: float, q: float, dt: float, steps: int) -> np.ndarray:
    """Expected path of the discrete model without sampling noise (the Euler scheme).

    ``F[k + 1] = F[k] + (1 - F[k]) (p dt + q dt F[k])``: the distance of this path from
    :func:`bass_curve` is the error the time step alone causes.
    """
    share = np.zeros(steps + 1)
    for k in range(steps):
        share[k + 1] = share[k] + (1.0 - share[k]) * (p * dt + q * dt * share[k])
    return share


def path_variance(p: float, q: float, horizon: float,
                  points: int = 300_001) -> tuple[np.ndarray, np.ndarray]:
    """``N * Var F(t)`` of the agent-based path on a grid of ``[0, horizon]`` (linear noise).

    Linearising the Bass process around ``F(t)``: adoptions add independent noise of variance
    ``f(s) ds / N`` (``f = dF/dt``) and a deviation at time ``s`` propagates to ``t`` as
    ``f(t) / f(s)`` (the equation is autonomous), so ``Var F(t) = f(t)^2 / N * int_0^t ds /
    f(s)``. Returns the time grid and ``N * Var F`` on it.
    """
    time = np.linspace(0.0, horizon, points)
    share = bass_curve(time, p, q)
    rate = (1.0 - share) * (p + q * share)
    integral = np.concatenate(([0.0], np.cumsum(0.5 * (1.0 / rate[1:] + 1.0 / rate[:-1])
                                                * np.diff(time))))
    return time, rate**2 * integral


def curve_tolerance(p: float, q: float, population: int, replicates: int, dt: float,
                    horizon: float, sds: float = 4.0) -> dict[str, float]:
    """Allowed ``max_t |mean F_abm(t) - F(t)|``, from its three sources (before any run).

    ``euler``: the time step alone (:func:`euler_curve` against :func:`bass_curve`);
    ``sampling``: ``sds`` standard errors of the replicate mean (:func:`path_variance`);
    ``bias``: the mean of ``q F (1 - F)`` differs from its value at the mean by ``q Var F``,
    accumulated over time, at most ``q * int_0^horizon Var F dt``. ``total`` is their sum.
    """
    steps = int(round(horizon / dt))
    time = np.arange(steps + 1) * dt
    euler = float(np.max(np.abs(euler_curve(p, q, dt, steps) - bass_curve(time, p, q))))
    time, scaled_variance = path_variance(p, q, horizon)
    sampling = sds * float(np.sqrt(scaled_variance.max() / (population * replicates)))
    bias = q * float(np.trapezoid(scaled_variance, time)) / population
    return {"euler": euler, "sampling": sampling, "bias": bias,
            "total": euler + sampling + bias}


def peak_tolerance(p: float, q: float, population: int, replicates: int, dt: float,
                   horizon: float, bin_steps: int, half_window: float,
                   sds: float = 4.0) -> dict[str, float]:
    """Allowed ``|estimated peak time - ln(q/p)/(p+q)|``, from its sources (before any run).

    ``deterministic``: :func:`estimate_peak_time` on the Euler path against the analytic
    ``t*`` (time step and estimator together). ``sampling``: ``sds`` times the combined
    standard deviation of (a) the fitted vertex, from Poisson noise of the binned rate
    (variance ``f* / (w N R)`` per bin of width ``w``; a least-squares parabola over
    ``+-H`` has slope variance ``sigma^2 / sum x^2 ~ 3 f* / (2 N R H^3)``, and the vertex
    moves by the slope error over ``|f''(t*)|``) and (b) the shift in time of the whole mean
    path, ``sd F(t*) / f*``.
    """
    steps = int(round(horizon / dt))
    peak = bass_peak_time(p, q)
    deterministic = abs(estimate_peak_time(euler_curve(p, q, dt, steps), dt, bin_steps,
                                           half_window) - peak)
    top_rate = (p + q) ** 2 / (4.0 * q)
    h = 1e-3
    rate = [(1 - f) * (p + q * f) for f in bass_curve(np.array([peak - h, peak, peak + h]), p,
                                                        q)]
    curvature = abs(rate[0] - 2.0 * rate[1] + rate[2]) / h**2
    draws = population * replicates
    vertex = float(np.sqrt(3.0 * top_rate / (2.0 * draws * half_window**3))) / curvature
    shift = float(np.sqrt(path_variance(p, q, peak)[1][-1] / draws)) / top_rate
    sampling = sds * float(np.hypot(vertex, shift))
    return {"deterministic": deterministic, "sampling": sampling,
            "total": deterministic + sampling}


def run_once(rng: np.random.Generator, *, p: float, q: float, population: int, dt: float,
             steps: int) -> np.ndarray:
    """Share of adopters after each of ``steps`` steps (``steps + 1`` values, from 0).

    One array of ``population`` uniforms is drawn per step, for every agent, so the stream of
    random numbers does not depend on who has adopted.
    """
    adopted = np.zeros(population, dtype=bool)
    after = np.empty(population, dtype=bool)
    share = np.zeros(steps + 1)
    adopters = 0
    for k in range(steps):
        uniforms = rng.random(population)
        adopters += contagion.bass_adoption_step_mixed(adopted, p * dt, q * dt, uniforms,
                                                       after)
        adopted, after = after, adopted
        share[k + 1] = adopters / population
    return share


def estimate_peak_time(share: np.ndarray, dt: float, bin_steps: int,
                       half_window: float) -> float:
    """Time of the peak of the adoption rate of a cumulative path ``share``.

    The rate is averaged over bins of ``bin_steps`` steps; a parabola is fitted by least
    squares to the bins whose centres lie within ``half_window`` of the highest bin, and its
    vertex is the estimate (a fitted peak is far less noisy than the highest bin itself).
    """
    width = bin_steps * dt
    binned = share[::bin_steps]
    rate = np.diff(binned) / width
    centres = (np.arange(rate.size) + 0.5) * width
    top = int(np.argmax(rate))
    near = np.abs(centres - centres[top]) <= half_window + 1e-12
    x = centres[near] - centres[top]
    curvature, slope, _ = np.polyfit(x, rate[near], 2)
    if curvature >= 0:  # no maximum in the window: report the highest bin
        return float(centres[top])
    return float(centres[top] - slope / (2.0 * curvature))


def experiment_curve(replicates: int, seed: int, *, p: float = 0.03, q: float = 0.38,
                     population: int = 10_000, dt: float = 0.02, horizon: float = 30.0,
                     bin_steps: int = 10, half_window: float = 1.5) -> ExperimentResult:
    """Mean agent-based path against the analytic Bass curve; peak time of the adoption rate.

    Metrics: ``max_abs_error`` (max over the time grid of ``|mean F_abm - F|``),
    ``euler_max_abs_error`` (the part due to the time step alone), ``peak_time`` (of the mean
    path's adoption rate), ``peak_time_analytic`` and ``peak_time_euler``.
    """
    steps = int(round(horizon / dt))
    paths = np.array([run_once(rng, p=p, q=q, population=population, dt=dt, steps=steps)
                      for rng in replicate_generators(seed, replicates)])
    time = np.arange(steps + 1) * dt
    analytic = bass_curve(time, p, q)
    euler = euler_curve(p, q, dt, steps)
    mean = paths.mean(axis=0)
    sem = paths.std(axis=0, ddof=1) / np.sqrt(replicates)
    metrics = {
        "max_abs_error": float(np.max(np.abs(mean - analytic))),
        "euler_max_abs_error": float(np.max(np.abs(euler - analytic))),
        "peak_time": estimate_peak_time(mean, dt, bin_steps, half_window),
        "peak_time_euler": estimate_peak_time(euler, dt, bin_steps, half_window),
        "peak_time_analytic": bass_peak_time(p, q),
    }
    data = pd.DataFrame({"t": time, "abm_mean": mean, "abm_sem": sem, "analytic": analytic,
                         "euler": euler})
    curve = curve_tolerance(p, q, population, replicates, dt, horizon)
    peak = peak_tolerance(p, q, population, replicates, dt, horizon, bin_steps, half_window)
    notes = [f"population {population}, {replicates} replicates, dt = {dt}: "
             f"max |F_abm - F| = {metrics['max_abs_error']:.4f} "
             f"(time step alone: {metrics['euler_max_abs_error']:.4f})",
             "tolerances derived from the sources of error (curve_tolerance, peak_tolerance): "
             f"path {curve['total']:.4f}, peak time {peak['total']:.3f}"]

    def plot(ax):
        ax.plot(time, analytic, "k-", label="Bass F(t), analytic")
        ax.plot(time, mean, "--", color="tab:orange", label="agent-based mean")
        rate = np.gradient(analytic, time)
        twin = ax.twinx()
        twin.plot(time, rate, ":", color="grey", label="dF/dt, analytic")
        twin.axvline(metrics["peak_time"], color="tab:orange", lw=0.8)
        twin.axvline(metrics["peak_time_analytic"], color="k", lw=0.8, ls=":")
        twin.set_ylabel("adoption rate dF/dt")
        ax.set_xlabel("time t")
        ax.set_ylabel("cumulative share of adopters F")
        ax.legend(loc="center right")

    return ExperimentResult(data, metrics, plot,
                            f"Bass (1969): p={p:g}, q={q:g}, {population} agents fully mixed, "
                            f"dt={dt:g}, {replicates} runs", notes)


EXPERIMENTS = {"curve": experiment_curve}
