"""Bass (1969) on the contagion kernel: analytic curve, discretisation, ABM, tolerance logic."""

import math

import numpy as np

from simulation.classics import bass1969 as bass
from simulation.classics import replication

P, Q = 0.03, 0.38


def test_analytic_curve_solves_bass_equation():
    """F(0) = 0, F rises to 1, dF/dt = (1 - F)(p + q F), and the rate peaks at ln(q/p)/(p+q)."""
    time = np.linspace(0.0, 40.0, 400_001)
    share = bass.bass_curve(time, P, Q)
    assert share[0] == 0.0 and share[-1] > 0.999 and np.all(np.diff(share) > 0)
    rate = np.gradient(share, time)
    assert np.max(np.abs(rate - (1 - share) * (P + Q * share))) < 1e-6
    assert abs(time[np.argmax(rate)] - bass.bass_peak_time(P, Q)) <= 2 * (time[1] - time[0])


def test_euler_error_is_first_order_in_dt():
    """The discrete model's expected path converges to F(t) as dt -> 0, error about halving."""
    errors = []
    for dt in (0.1, 0.05, 0.025):
        steps = int(round(30 / dt))
        time = np.arange(steps + 1) * dt
        errors.append(np.max(np.abs(bass.euler_curve(P, Q, dt, steps)
                                    - bass.bass_curve(time, P, Q))))
    assert errors[0] > errors[1] > errors[2]
    assert 0.4 < errors[1] / errors[0] < 0.6 and 0.4 < errors[2] / errors[1] < 0.6


def test_abm_expected_step_is_euler_step():
    """With q = 0 the ABM is independent Bernoulli adoption: share 1 - (1 - p dt)^k on average."""
    rng = np.random.default_rng(5)
    paths = np.array([bass.run_once(rng, p=0.2, q=0.0, population=2000, dt=0.5, steps=6)
                      for _ in range(20)])
    expected = 1 - (1 - 0.1) ** np.arange(7)
    standard_error = np.sqrt(expected * (1 - expected) / (2000 * 20))
    assert np.all(np.abs(paths.mean(axis=0) - expected) <= 4 * standard_error + 1e-12)


def test_small_abm_within_its_derived_tolerance():
    """A small run (2,000 agents, 8 replicates) stays within the tolerance derived for its size,
    and its peak time within the peak tolerance; the same seed gives the same numbers."""
    arguments = {"p": P, "q": Q, "population": 2000, "dt": 0.05, "horizon": 20.0,
                 "bin_steps": 4, "half_window": 1.5}
    result = bass.experiment_curve(8, 3, **arguments)
    curve = bass.curve_tolerance(P, Q, 2000, 8, 0.05, 20.0)
    peak = bass.peak_tolerance(P, Q, 2000, 8, 0.05, 20.0, 4, 1.5)
    assert result.metrics["max_abs_error"] <= curve["total"]
    assert abs(result.metrics["peak_time"] - bass.bass_peak_time(P, Q)) <= peak["total"]
    again = bass.experiment_curve(8, 3, **arguments)
    assert again.metrics == result.metrics


def test_tolerance_grows_with_coarser_step_and_fewer_agents():
    """The derived tolerance has the right dependencies: larger dt, fewer agents, fewer runs."""
    base = bass.curve_tolerance(P, Q, 10_000, 100, 0.02, 30.0)["total"]
    assert bass.curve_tolerance(P, Q, 10_000, 100, 0.1, 30.0)["total"] > base
    assert bass.curve_tolerance(P, Q, 1_000, 100, 0.02, 30.0)["total"] > base
    assert bass.curve_tolerance(P, Q, 10_000, 10, 0.02, 30.0)["total"] > base


def test_experiment_file_tolerances_are_the_derived_ones():
    """bass1969.toml's tolerances are the derivation rounded up, and its t* is ln(q/p)/(p+q)."""
    spec = replication.load_spec("bass1969")
    parameters = spec.parameters
    checks = {check.metric: check for check in spec.checks}
    arguments = (parameters["p"], parameters["q"], parameters["population"], spec.replicates,
                 parameters["dt"], parameters["horizon"])
    curve = bass.curve_tolerance(*arguments)["total"]
    peak = bass.peak_tolerance(*arguments, parameters["bin_steps"],
                               parameters["half_window"])["total"]
    assert checks["max_abs_error"].tolerance == math.ceil(curve * 1000) / 1000
    assert checks["peak_time"].tolerance == math.ceil(peak * 100) / 100
    assert abs(checks["peak_time"].published
               - bass.bass_peak_time(parameters["p"], parameters["q"])) < 5e-4
