"""Tests of simulation.analysis.statistics: t-intervals, bands, paired differences, recovery,
precision."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from simulation.analysis.statistics import (
    band,
    paired_differences,
    precision_reached,
    recovery_summary,
    recovery_table,
    replicate_until_precise,
    t_half_width,
    t_interval,
)
from simulation.errors import ConfigError


def test_t_interval_matches_the_t_formula_and_drops_nans():
    """Mean +/- t(0.975, n-1) * s / sqrt(n), computed independently; NaNs are ignored."""
    values = [1.0, 2.0, 4.0, np.nan, 7.0]
    clean = np.array([1.0, 2.0, 4.0, 7.0])
    half = stats.t.ppf(0.975, 3) * clean.std(ddof=1) / 2.0
    mean, low, high = t_interval(values)
    assert mean == pytest.approx(3.5)
    assert low == pytest.approx(3.5 - half)
    assert high == pytest.approx(3.5 + half)


def test_t_interval_is_wider_than_the_normal_one_for_five_replicates():
    """With 5 replicates the t quantile (2.776) applies, not 1.96."""
    values = [0.1, 0.3, 0.2, 0.5, 0.4]
    mean, low, high = t_interval(values)
    normal_half = 1.96 * np.std(values, ddof=1) / math.sqrt(5)
    assert (high - low) / 2 / normal_half == pytest.approx(2.7764451 / 1.96, rel=1e-6)


def test_t_interval_single_and_empty():
    """One value: NaN bounds; no value: all NaN."""
    mean, low, high = t_interval([3.0, np.nan])
    assert mean == 3.0 and math.isnan(low) and math.isnan(high)
    assert all(math.isnan(v) for v in t_interval([]))


def test_t_interval_rejects_a_bad_confidence():
    """Confidence outside (0, 1) is refused with a message naming it."""
    with pytest.raises(ConfigError, match="confidence"):
        t_interval([1.0, 2.0], confidence=95)


def test_band_per_step_and_structure():
    """Band rows agree with t_interval on each step's replicates; one replicate -> NaN band."""
    rng = np.random.default_rng(1)
    rows = [{"structure": s, "replicate": r, "step": t, "share": rng.normal()}
            for s in ("hierarchy", "network") for r in range(4) for t in range(3)]
    rows.append({"structure": "solo", "replicate": 0, "step": 0, "share": 1.0})
    frame = pd.DataFrame(rows)
    result = band(frame, "share")
    assert list(result.columns) == ["structure", "step", "n", "mean", "half_width", "low", "high"]
    for _, row in result[result["structure"] != "solo"].iterrows():
        chosen = frame[(frame["structure"] == row["structure"]) & (frame["step"] == row["step"])]
        mean, low, high = t_interval(chosen["share"])
        assert row["n"] == 4
        assert (row["mean"], row["low"], row["high"]) == pytest.approx((mean, low, high))
    solo = result[result["structure"] == "solo"].iloc[0]
    assert solo["mean"] == 1.0 and math.isnan(solo["half_width"])


def test_t_half_width_vectorised_matches_scalar():
    """The array form equals the scalar form element by element, NaN where n < 2."""
    halves = t_half_width(np.array([1.0, 2.0, 1.0]), np.array([5, 10, 1]))
    assert halves[0] == pytest.approx(t_half_width(1.0, 5))
    assert halves[1] == pytest.approx(stats.t.ppf(0.975, 9) * 2.0 / math.sqrt(10))
    assert math.isnan(halves[2])


def _paired_table():
    """Area lost of three structures over 4 pairs; network better in 3 of 4, one tie."""
    hierarchy = [10.0, 12.0, 11.0, 9.0]
    network = [8.0, 12.0, 10.0, 5.0]
    podular = [11.0, 13.0, 12.0, 10.0]
    rows = []
    for name, values in (("hierarchy", hierarchy), ("network", network), ("podular", podular)):
        rows += [{"structure": name, "replicate": i, "area_lost": v}
                 for i, v in enumerate(values)]
    return pd.DataFrame(rows)


def test_paired_differences_counts_and_interval():
    """Differences network - hierarchy = [-2, 0, -1, -4]: mean -1.75, better 3, ties 1."""
    result = paired_differences(_paired_table(), "area_lost", reference="hierarchy").set_index(
        "structure")
    network = result.loc["network"]
    mean, low, high = t_interval([-2.0, 0.0, -1.0, -4.0])
    assert network["pairs"] == 4
    assert network["mean_difference"] == pytest.approx(-1.75)
    assert (network["low"], network["high"]) == pytest.approx((low, high))
    assert network["better"] == 3 and network["worse"] == 0 and network["ties"] == 1
    podular = result.loc["podular"]
    assert podular["mean_difference"] == pytest.approx(1.0)
    assert podular["worse"] == 4 and podular["better"] == 0
    assert result.loc["hierarchy", "pairs"] == 4 and result.loc["hierarchy", "ties"] == 4


def test_paired_differences_higher_is_better_flips_the_counts():
    """For a metric where higher is better, a negative difference is a loss."""
    result = paired_differences(_paired_table(), "area_lost", reference="hierarchy",
                                better="higher").set_index("structure")
    assert result.loc["network", "worse"] == 3 and result.loc["network", "better"] == 0


def test_paired_differences_pairs_only_matching_ids_and_groups():
    """A run without a partner is left out; groups are compared separately."""
    table = _paired_table()
    table = table[~((table["structure"] == "network") & (table["replicate"] == 3))]
    result = paired_differences(table, "area_lost", reference="hierarchy").set_index("structure")
    assert result.loc["network", "pairs"] == 3
    assert result.loc["network", "mean_difference"] == pytest.approx(-1.0)
    both = pd.concat([_paired_table().assign(shock="a"),
                      _paired_table().assign(shock="b", area_lost=lambda f: f["area_lost"] * 2)])
    grouped = paired_differences(both, "area_lost", reference="hierarchy", groups=["shock"])
    network = grouped[grouped["structure"] == "network"].set_index("shock")
    assert network.loc["b", "mean_difference"] == pytest.approx(2 * network.loc["a",
                                                                                "mean_difference"])


def test_paired_differences_bad_input():
    """Missing column, unknown reference and duplicate pair ids are one-line errors."""
    table = _paired_table()
    with pytest.raises(ValueError, match="column 'depth'"):
        paired_differences(table, "depth")
    with pytest.raises(ConfigError, match="reference: 'open'"):
        paired_differences(table, "area_lost", reference="open")
    with pytest.raises(ValueError, match="appears twice"):
        paired_differences(pd.concat([table, table.iloc[:1]]), "area_lost")
    with pytest.raises(ConfigError, match="better"):
        paired_differences(table, "area_lost", better="smaller")


def test_kaplan_meier_hand_computed_with_censoring():
    """times [2, 3, 3, 5, 8], recovered [T, T, F, T, F] (the second 3 and the 8 censored).

    By hand (runs censored at t count as at risk at t):
    t=2: 5 at risk, 1 recovers -> S = 4/5 = 0.8
    t=3: 4 at risk, 1 recovers (1 censored) -> S = 0.8 * 3/4 = 0.6
    t=5: 2 at risk, 1 recovers -> S = 0.6 * 1/2 = 0.3
    t=8: censored -> S stays 0.3.
    Median = first t with S <= 0.5 = 5. Recovered by 1: 0; by 2: 0.2; by 4: 0.4;
    by 5: 0.7; by 8: 0.7; horizon 9 is past the last observation -> NaN.
    """
    summary = recovery_summary([2, 3, 3, 5, 8], [True, True, False, True, False],
                               horizons=(1, 2, 4, 5, 8, 9))
    assert summary.n == 5 and summary.n_censored == 2
    assert summary.median == 5.0 and summary.median_reached
    expected = {1.0: 0.0, 2.0: 0.2, 4.0: 0.4, 5.0: 0.7, 8.0: 0.7}
    for horizon, share in expected.items():
        assert summary.recovered_by[horizon] == pytest.approx(share, abs=1e-12)
    assert math.isnan(summary.recovered_by[9.0])
    assert summary.median_low <= summary.median <= summary.median_high
    assert summary.median_text().startswith("5 [")


def test_kaplan_meier_median_not_reached():
    """times [4, 6, 10, 10, 10], only the first recovers.

    S(4) = 4/5 = 0.8 and no further recovery: the median is not reached (inf), the share
    recovered by 10 is 0.2, and the text says "not reached" rather than a number.
    """
    summary = recovery_summary([4, 6, 10, 10, 10], [1, 0, 0, 0, 0], horizons=(3, 10))
    assert math.isinf(summary.median) and not summary.median_reached
    assert summary.median_text() == "not reached"
    assert summary.recovered_by[3.0] == 0.0
    assert summary.recovered_by[10.0] == pytest.approx(0.2)
    assert summary.n_censored == 4


def test_kaplan_meier_without_censoring_is_the_empirical_distribution():
    """All recover at [1, 2, 3, 4]: S(2) = 0.5 exactly, so the median is 2 (left end).

    S(3.5) = 0.25; S = 0 from 4 on, so the share recovered by 9 is 1, not undefined.
    """
    summary = recovery_summary([1, 2, 3, 4], [True] * 4, horizons=(2, 3.5, 9))
    assert summary.median == 2.0 and summary.n_censored == 0
    assert summary.recovered_by[2.0] == pytest.approx(0.5)
    assert summary.recovered_by[3.5] == pytest.approx(0.75)
    assert summary.recovered_by[9.0] == 1.0  # all recovered: defined past the last time


def test_kaplan_meier_remembered_fits_are_not_shared_with_callers():
    """The fits are remembered (the app re-tabulates the same runs on every refresh): the
    same runs give the same summary, and changing one caller's copy changes no other."""
    first = recovery_summary([2, 3, 3, 5, 8], [True, True, False, True, False], horizons=(5,))
    first.recovered_by[5.0] = -1.0
    again = recovery_summary(np.array([2.0, 3, 3, 5, 8]), np.array([1, 1, 0, 1, 0]),
                             horizons=[5])
    assert again.recovered_by[5.0] == pytest.approx(0.7)
    assert (again.median, again.median_low, again.n_censored) == (
        first.median, first.median_low, first.n_censored)
    # Different runs are never answered from memory.
    assert recovery_summary([2, 3, 3, 5, 9], [True, True, False, True, True]).n_censored == 1


def test_kaplan_meier_bad_input():
    """Mismatched lengths, NaN times and non-boolean flags are refused."""
    with pytest.raises(ValueError, match="recovered"):
        recovery_summary([1, 2], [True])
    with pytest.raises(ValueError, match="times"):
        recovery_summary([1, np.nan], [True, False])
    with pytest.raises(ValueError, match="True/False"):
        recovery_summary([1, 2], [2, 0])


def test_recovery_table_per_structure():
    """Per group the row equals recovery_summary of that group's runs."""
    table = pd.DataFrame({
        "structure": ["a"] * 5 + ["b"] * 5,
        "recovery_time": [2, 3, 3, 5, 8, 4, 6, 10, 10, 10],
        "recovered": [True, True, False, True, False, True, False, False, False, False],
    })
    result = recovery_table(table, horizons=(5,)).set_index("structure")
    assert result.loc["a", "median"] == 5.0 and result.loc["a", "censored"] == 2
    assert math.isinf(result.loc["b", "median"])
    assert result.loc["a", "recovered_by_5"] == pytest.approx(0.7)
    assert result.loc["b", "recovered_by_5"] == pytest.approx(0.2)


def test_precision_reached_threshold():
    """Half width just under / over the target decides; fewer than 2 values never suffice."""
    values = np.array([0.0, 0.1, 0.2, 0.3])
    _, low, high = t_interval(values)
    half = (high - low) / 2
    assert precision_reached(values, half * 1.001)
    assert not precision_reached(values, half * 0.999)
    assert not precision_reached([0.5], 10.0)
    with pytest.raises(ConfigError, match="target_half_width"):
        precision_reached(values, 0.0)


def _synthetic_batches(sd: float, seed: int = 7):
    """A run_pair_batch whose paired difference (b - a) is normal with the given sd."""
    rng = np.random.default_rng(seed)
    state = {"next": 0}

    def run_pair_batch(count: int) -> pd.DataFrame:
        ids = np.arange(state["next"], state["next"] + count)
        state["next"] += count
        common = rng.normal(1.0, 1.0, count)  # the shared part cancels in the difference
        return pd.DataFrame({
            "structure": ["a"] * count + ["b"] * count,
            "replicate": np.concatenate([ids, ids]),
            "depth": np.concatenate([common, common + 0.1 + rng.normal(0.0, sd, count)]),
        })
    return run_pair_batch


def test_replicate_until_precise_stops_at_the_predicted_size():
    """sd 0.05, target +/- 0.02: about (1.96 * 0.05 / 0.02)^2 = 24 pairs are needed.

    It must stop for precision near that: over 200 generator seeds (first batch 10, step 1)
    the stopping size had median 24 and 5th to 99th percentiles 12 to 40, the range asserted
    here for one fixed seed. The stopping rule must hold exactly: precise at the stop, not
    one replicate before.
    """
    result = replicate_until_precise(_synthetic_batches(0.05), 0.02, "depth", reference="a",
                                     min_replicates=10, max_replicates=200, step=1)
    assert result.reason == "precision"
    assert 12 <= result.replicates <= 40
    differences = result.table.pivot(index="replicate", columns="structure", values="depth")
    paired = (differences["b"] - differences["a"]).to_numpy()
    assert len(paired) == result.replicates
    assert precision_reached(paired, 0.02)
    assert not precision_reached(paired[:-1], 0.02)
    row = result.differences.set_index("structure").loc["b"]
    assert row["half_width"] < 0.02 and row["pairs"] == result.replicates
    assert "reached after" in result.sentence()


def test_replicate_until_precise_stops_at_the_maximum_when_impossible():
    """sd 1 with target +/- 0.001 needs millions of pairs: it stops at the maximum, 23."""
    result = replicate_until_precise(_synthetic_batches(1.0), 0.001, "depth", reference="a",
                                     min_replicates=5, max_replicates=23, step=5)
    assert result.reason == "maximum"
    assert result.replicates == 23
    assert result.table["replicate"].nunique() == 23
    assert "maximum" in result.sentence()


def test_replicate_until_precise_refuses_reused_pairs():
    """A batch that repeats pair ids would re-use random numbers: an error."""
    def same_pairs(count):
        return pd.DataFrame({"structure": ["a", "b"] * count,
                             "replicate": np.repeat(np.arange(count), 2),
                             "depth": np.random.default_rng(0).normal(size=2 * count)})
    with pytest.raises(ValueError, match="fresh pairs"):
        replicate_until_precise(same_pairs, 1e-6, "depth", min_replicates=3, max_replicates=9)


def test_replicate_until_precise_needs_every_group_precise():
    """Calm (sd 0.01) is precise at once; turbulent (sd 1) is not, so it runs to the maximum.

    With the turbulent group alone removed, the same driver stops for precision at the first
    batch: t(0.975, 9) * 0.01 / sqrt(10) = 0.007 < 0.05 (for a sample sd near 0.01).
    """
    def batches(include_turbulent):
        calm, turbulent = _synthetic_batches(0.01, seed=1), _synthetic_batches(1.0, seed=2)

        def run_pair_batch(count):
            frames = [calm(count).assign(market="calm")]
            if include_turbulent:
                frames.append(turbulent(count).assign(market="turbulent"))
            return pd.concat(frames, ignore_index=True)
        return run_pair_batch

    both = replicate_until_precise(batches(True), 0.05, "depth", reference="a",
                                   min_replicates=10, max_replicates=20, step=5,
                                   groups=["market"])
    assert both.reason == "maximum" and both.replicates == 20
    halves = both.differences[both.differences["structure"] == "b"].set_index("market")
    assert halves.loc["calm", "half_width"] < 0.05 <= halves.loc["turbulent", "half_width"]
    calm_only = replicate_until_precise(batches(False), 0.05, "depth", reference="a",
                                        min_replicates=10, max_replicates=20, step=5,
                                        groups=["market"])
    assert calm_only.reason == "precision" and calm_only.replicates == 10
