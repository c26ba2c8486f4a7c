"""Watts (2002) on the contagion kernel: graphs, analytic window, cascades inside and outside."""

import math

import numpy as np

from simulation.classics import replication
from simulation.classics import watts2002 as watts


def test_random_graph_has_the_asked_mean_degree():
    """G(n, M) with M = round(n z / 2): mean degree z up to rounding, also for z < 1."""
    rng = np.random.default_rng(1)
    for z in (0.5, 3.25, 8.0):
        indptr, indices = watts.random_graph(1000, z, rng)
        assert indices.size == 2 * round(1000 * z / 2)
        assert indptr[-1] == indices.size


def test_analytic_window_solves_cascade_condition():
    """Both edges solve sum_{k<=1/phi} k(k-1)P(k) = z; the lower one lies just above z = 1
    (where the Poisson sum is still below z), the window narrows as phi grows."""
    low, high = watts.analytic_window(0.18)

    def residual(z):
        return sum(k * (k - 1) * math.exp(-z) * z**k / math.factorial(k)
                   for k in range(2, 6)) - z

    assert abs(residual(low)) < 1e-9 and abs(residual(high)) < 1e-9
    assert residual(1.0) < 0 and 1.0 < low < high
    assert watts.analytic_window(0.24)[1] < high  # K = 4 vulnerable degrees only


def test_cascades_only_inside_the_window():
    """Small n: no global cascade at z = 0.5 or z = 12; frequent global cascades at z = 3."""
    result = watts.experiment_window(30, 7, n=2000, z_values=(0.5, 3.0, 12.0),
                                     inside=(3.0, 3.0), below=0.5, above=12.0)
    frequency = dict(zip(result.data["z"], result.data["frequency"], strict=True))
    assert frequency[0.5] == 0.0 and frequency[12.0] == 0.0
    assert frequency[3.0] > 0.3
    assert result.metrics["window_low"] == 3.0 == result.metrics["window_high"]
    sizes = result.data.set_index("z")["mean_global_size"]
    assert sizes[3.0] > 0.5  # a global cascade reaches most of the network


def test_same_seed_same_cascades():
    """Same seed, identical cascade sizes; another seed, different graphs."""
    first = [watts.cascade_size(np.random.default_rng(s), n=500, z=2.5, phi=0.18)
             for s in range(6)]
    again = [watts.cascade_size(np.random.default_rng(s), n=500, z=2.5, phi=0.18)
             for s in range(6)]
    assert first == again and len(set(first)) > 1


def test_experiment_file_uses_the_analytic_window():
    """watts2002.toml's analytic edges are analytic_window(phi); the lower-edge tolerance is
    the z grid step, and the inside band lies within the analytic window."""
    spec = replication.load_spec("watts2002")
    parameters = spec.parameters
    low, high = watts.analytic_window(parameters["phi"])
    checks = {check.id: check for check in spec.checks}
    assert checks["lower edge of the window"].published == round(low, 3)
    assert checks["upper edge of the window"].published == round(high, 3)
    step = np.diff(parameters["z_values"])
    assert np.allclose(step, step[0])
    assert checks["lower edge of the window"].tolerance == step[0]
    assert low < parameters["inside"][0] and parameters["inside"][1] < high
    assert parameters["below"] < 1.0 and parameters["above"] > high
