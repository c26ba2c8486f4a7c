"""March (1991) model: runs equal the independent reference, invariants and the paper's
qualitative results."""

import naive
import numpy as np
import pytest

from simulation.classics import _kernels_march as km
from simulation.classics import march1991


@pytest.mark.parametrize("variant", ["original", "paper"])
@pytest.mark.parametrize("p3,p4,periods", [(0.0, 0.0, None), (0.1, 0.05, 30)])
def test_run_through_the_kernel_equals_the_run_through_the_reference(variant, p3, p4, periods,
                                                                      monkeypatch):
    """A whole run_once through the compiled kernel equals the same run with the kernel
    replaced by the independent reference written from the paper (naive.march_periods)."""
    params = dict(m=12, n=8, p1=np.linspace(0.1, 0.9, 8), p2=0.5, p3=p3, p4=p4,
                  periods=periods, variant=variant)
    fast = march1991.run_once(np.random.default_rng(5), **params)
    monkeypatch.setattr(km, "march_periods_py", naive.march_periods)
    slow = march1991.run_once(np.random.default_rng(5), use_kernel=False, **params)
    assert fast["periods"] == slow["periods"] and fast["equilibrium"] == slow["equilibrium"]
    assert np.array_equal(fast["code_knowledge"], slow["code_knowledge"])
    assert np.array_equal(fast["individual_knowledge"], slow["individual_knowledge"])


def test_runs_reach_absorbing_equilibrium():
    """Without turnover and turbulence every run ends in the absorbing state, with knowledge
    in [-1, 1] and code knowledge constant once it is reached."""
    runs = march1991.simulate(20, seed=3, p1=0.5, p2=0.5)
    assert all(r["equilibrium"] for r in runs)
    for r in runs:
        assert -1.0 <= r["code_knowledge"][-1] <= 1.0
    rng = np.random.default_rng(0)
    out = march1991.run_once(rng, m=10, n=6, p1=0.9, p2=0.9)
    assert out["equilibrium"] and out["periods"] < march1991.MAX_PERIODS


def test_same_seed_same_result_and_replicates_independent():
    """Results are reproducible from the seed, and replicates differ from each other."""
    a = march1991.equilibrium_knowledge(0.3, 0.5, replicates=10, seed=4, return_runs=True)
    b = march1991.equilibrium_knowledge(0.3, 0.5, replicates=10, seed=4, return_runs=True)
    assert np.array_equal(a[1], b[1])
    assert np.unique(a[1]).size > 1


def test_slow_socialization_gives_higher_knowledge():
    """March (1991) Fig. 1: equilibrium knowledge falls as the socialization rate p1 rises."""
    slow = march1991.equilibrium_knowledge(p1=0.1, p2=0.5, replicates=60, seed=1)
    middle = march1991.equilibrium_knowledge(p1=0.5, p2=0.5, replicates=60, seed=1)
    fast = march1991.equilibrium_knowledge(p1=0.9, p2=0.5, replicates=60, seed=1)
    assert slow > middle > fast


def test_paper_variant_same_ordering():
    """The literal-text variant shows the same p1 effect (result is not an artefact)."""
    slow = march1991.equilibrium_knowledge(0.1, 0.5, 60, seed=2, variant="paper")
    fast = march1991.equilibrium_knowledge(0.9, 0.5, 60, seed=2, variant="paper")
    assert slow > fast


def test_mixed_learners_beat_all_fast():
    """March (1991) Fig. 2: a mix of slow and fast learners beats an all-fast organization."""
    result = march1991.experiment_fig2(60, 7, fast=(25, 50))
    assert result.metrics["knowledge[fast=25]"] > result.metrics["knowledge[fast=50]"]


def test_turbulence_erodes_knowledge_unless_turnover():
    """March (1991) Fig. 4: under turbulence knowledge decays; turnover keeps it higher."""
    result = march1991.experiment_fig4(40, 8, p3=(0.0, 0.1), periods=80)
    m = result.metrics
    assert m["peak[p3=0]"] > m["final[p3=0]"] + 0.05
    assert m["final[p3=0.1]"] > m["final[p3=0]"]


def test_bad_parameters_rejected():
    """Invalid variant, p1 outside [0, 1], or an equilibrium run with turnover are errors."""
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="variant"):
        march1991.run_once(rng, variant="nope")
    with pytest.raises(ValueError, match="p1"):
        march1991.run_once(rng, p1=1.5)
    with pytest.raises(ValueError, match="periods"):
        march1991.run_once(rng, p3=0.1)
