"""Issue 12 wiring: censoring-aware summaries, plateau recovery, precision runs, winner maps,
scenario discovery, design search and the demo's generated reading."""

from __future__ import annotations

import contextlib
import io
import json
import math

import numpy as np
import pandas as pd
import pytest

from simulation.commands.cli import main

SMALL = ["--set", "customers.count=400", "--set", "firm.employees=25", "--steps", "40",
         "--set", "shocks.0.step=20", "--no-progress"]


def run_cli(argv):
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        status = main(argv)
    return status, stdout.getvalue(), stderr.getvalue()


# ------------------------------------------------------------------ metrics and summaries
def test_plateau_recovery_on_a_known_series():
    """Settling: back to 95% of the post-shock plateau, not of the old baseline."""
    from simulation.core.metrics import resilience_table

    # Baseline 1.0; falls to 0.4, settles at 0.6 (never back to 0.95).
    series = np.r_[np.ones(10), [0.4, 0.5, 0.55, 0.58], np.full(10, 0.6)]
    schedule = pd.DataFrame({"shock": [0], "kind": ["need_shift"], "step": [10]})
    row = resilience_table(series, schedule, window=5).iloc[0]
    assert not row["recovered"] and row["recovery_time"] == 14
    assert row["plateau"] == pytest.approx(0.6)
    # 0.95 * 0.6 = 0.57: first reached at offset 3 (0.58).
    assert row["plateau_recovered"] and row["plateau_recovery_time"] == 3
    assert row["window"] == 14  # the censoring time of a recovery
    flat = resilience_table(np.r_[np.ones(10), np.full(10, 0.5)], schedule, window=5).iloc[0]
    assert flat["plateau_recovery_time"] == 0 and flat["plateau_recovered"]


def hand_resilience():
    """Two structures, four pairs: hierarchy recovers at 5 and 10, two censored at 30;
    network never recovers (all censored at 30)."""
    rows = []
    for replicate, (time, back) in enumerate([(5, True), (10, True), (30, False),
                                              (30, False)]):
        rows.append({"structure": "hierarchy", "replicate": replicate, "shock": 0,
                     "kind": "need_shift", "recovery_time": time, "recovered": back,
                     "plateau_recovery_time": 2, "plateau_recovered": True,
                     "depth": 0.1 * replicate, "area_lost": 1.0 + replicate})
        rows.append({"structure": "network", "replicate": replicate, "shock": 0,
                     "kind": "need_shift", "recovery_time": 30, "recovered": False,
                     "plateau_recovery_time": 4, "plateau_recovered": True,
                     "depth": 0.1 * replicate + 0.2, "area_lost": 3.0 + replicate})
    return pd.DataFrame(rows)


def test_summary_is_kaplan_meier_and_paired_first():
    """Exact KM figures on the hand-made series; paired differences against the reference."""
    from simulation.execution.experiment import summarise

    summary = summarise(hand_resilience(), ["hierarchy", "network"],
                        figures=("depth", "area_lost")).set_index("structure")
    hierarchy, network = summary.loc["hierarchy"], summary.loc["network"]
    # S(5) = 3/4, S(10) = 3/4 * 2/3 = 1/2: median 10; horizons 7.5, 15, 30.
    assert hierarchy["recovery_median"] == 10 and hierarchy["recovery_censored"] == 2
    assert hierarchy["recovery_by_0.25"] == pytest.approx(0.25)
    assert hierarchy["recovery_by_0.5"] == pytest.approx(0.5)
    assert hierarchy["recovery_by_1"] == pytest.approx(0.5)
    assert math.isinf(network["recovery_median"]) and network["recovery_censored"] == 4
    assert network["plateau_recovery_median"] == 4
    assert "recovery_time_mean" not in summary.columns  # no mean of censored times
    assert network["area_lost_diff"] == pytest.approx(2.0)
    assert network["area_lost_diff_low"] == pytest.approx(2.0)  # constant differences
    assert network["area_lost_pairs"] == 4 and hierarchy["window"] == 30  # no window column
    # With a window column the horizons are shares of the window, not of the longest time.
    longer = hand_resilience().assign(window=40)
    summary = summarise(longer, ["hierarchy", "network"]).set_index("structure")
    assert summary.loc["hierarchy", "window"] == 40
    assert summary.loc["hierarchy", "recovery_by_0.25"] == pytest.approx(0.5)  # by step 10


def test_recovery_cells_say_not_recovered_instead_of_an_interval():
    """A median not reached is a sentence with the window and the count, never [30, 30]."""
    from simulation.analysis.report import format_table
    from simulation.execution.experiment import summarise

    summary = summarise(hand_resilience(), ["hierarchy", "network"])
    text = format_table(summary, figures=("recovery_time",))
    assert "not recovered within 30 steps: 4/4 runs" in text
    assert "10 [5, not reached]; 2/4 censored" in text


# ------------------------------------------------------------------ winner map and PRIM
def synthetic_runs(seed=0, replicates=8):
    """Conditions x (2 levels) x y (2 levels); podular best where x = 1 (by 1.0, tiny noise),
    hierarchy best where x = 0 but only by 0.01 under noise 1 (not significant)."""
    rng = np.random.default_rng(seed)
    rows = []
    for x in (0.0, 1.0):
        for y in ("a", "b"):
            for replicate in range(replicates):
                shared = rng.normal()
                for structure in ("hierarchy", "network", "podular"):
                    loss = 5.0 + shared
                    if x == 1.0:
                        loss += {"hierarchy": 1.0, "network": 1.5, "podular": 0.0}[structure]
                        loss += rng.normal(scale=0.01)
                    else:
                        loss += rng.normal(scale=1.0) + (0.0 if structure == "hierarchy"
                                                         else 0.01)
                    rows.append({"x": x, "y": y, "replicate": replicate,
                                 "structure": structure, "loss": loss})
    return pd.DataFrame(rows)


def test_winner_table_names_the_best_and_its_significance():
    from simulation.analysis.winners import winner_table

    table = winner_table(synthetic_runs(), ["x", "y"], "loss",
                         ["hierarchy", "network", "podular"], better="lower")
    assert len(table) == 4 and (table["replicates"] == 8).all()
    strong = table[table["x"] == 1.0]
    assert (strong["best"] == "podular").all() and strong["significant"].all()
    assert (strong["runner_up"] == "hierarchy").all()
    assert np.allclose(strong["margin"], 1.0, atol=0.02)
    assert (strong["margin_low"] > 0).all()
    assert not table[table["x"] == 0.0]["significant"].any()


def test_winner_table_higher_is_better_and_ties():
    from simulation.analysis.winners import TIE, winner_table

    runs = synthetic_runs()
    runs["gain"] = -runs["loss"]
    table = winner_table(runs, ["x", "y"], "gain", ["hierarchy", "network", "podular"],
                         better="higher")
    strong = table[table["x"] == 1.0]
    assert (strong["best"] == "podular").all() and strong["significant"].all()
    assert (strong["margin"] > 0.9).all() and (strong["margin_low"] <= strong["margin"]).all()
    runs["flat"] = 0.0
    tied = winner_table(runs, ["x", "y"], "flat", ["hierarchy", "network"], better="lower")
    assert (tied["best"] == TIE).all() and not tied["significant"].any()


def test_winner_map_png_is_written(tmp_path):
    from simulation.analysis.winners import plot_winner_map, winner_table

    structures = ["hierarchy", "network", "podular"]
    table = winner_table(synthetic_runs(), ["x", "y"], "loss", structures, "lower")
    plot_winner_map(table, ["x", "y"], structures, "loss", tmp_path / "map.png")
    assert (tmp_path / "map.png").stat().st_size > 1000


def test_discover_table_finds_the_known_region():
    """podular beats hierarchy by >= 0.5 exactly where x >= 0.6: one PRIM box on x only."""
    from simulation.analysis.winners import Question, discover_table

    rng = np.random.default_rng(1)
    rows = []
    for x in np.round(np.linspace(0, 0.9, 10), 1):
        for y in ("a", "b", "c"):
            for replicate in range(3):
                advantage = 1.0 if x >= 0.6 else -1.0
                for structure, loss in (("hierarchy", 5.0), ("podular", 5.0 - advantage)):
                    rows.append({"x": x, "y": y, "replicate": replicate,
                                 "structure": structure,
                                 "loss": loss + rng.normal(scale=0.01)})
    runs = pd.DataFrame(rows)
    boxes, note = discover_table(runs, ["x", "y"], Question("podular", "hierarchy", "loss", 0.5),
                                 better="lower")
    assert "12 of 30 conditions" in note
    first = boxes.iloc[0]
    assert first["density"] == 1.0 and first["coverage"] == 1.0
    assert first["points"] == 12 and first["y"] == "any"
    low, high = (float(v) for v in first["x"].strip("[]").split(","))
    assert 0.5 < low <= 0.6 and math.isinf(high)
    none, note = discover_table(runs, ["x", "y"], Question("podular", "hierarchy", "loss", 5.0),
                                better="lower")
    assert none.empty and "never" in note


# ------------------------------------------------------------------ the demo's reading
def reading_tables(shift=0.0):
    """Two markets, two structures, six paired replicates: the hierarchy ahead in the calm
    market by 0.04 of share and 400 of profit, the network ahead in the turbulent one."""
    rng = np.random.default_rng(3)
    shocks, levels, series = [], [], []
    for market in ("calm", "turbulent"):
        for replicate in range(6):
            common = rng.normal()
            for structure in ("hierarchy", "network"):
                better = (structure == "hierarchy") == (market == "calm")
                area = 10.0 + common + (0.0 if better else 4.0)
                if structure == "network" and market == "turbulent":
                    area += shift
                shocks.append({"market": market, "structure": structure,
                               "replicate": replicate, "shock": 0, "area_lost": area})
                levels.append({"market": market, "structure": structure,
                               "replicate": replicate,
                               "market_share": 0.6 - area / 100 + 0.001 * replicate,
                               "cumulative_profit": 1000.0 - 100 * area})
                for step in range(2):
                    series.append({"market": market, "structure": structure,
                                   "replicate": replicate, "step": step,
                                   "fitness": 0.9 if better else 0.8,
                                   "proposals_implemented": 1.0 if better else 0.5,
                                   "decision_latency": 2.0 if better else 6.0,
                                   "unit_cost": 0.5 if better else 0.6,
                                   "coordination_cost": 10.0, "revenue": 100.0})
    return pd.DataFrame(shocks), pd.DataFrame(levels), pd.DataFrame(series)


def _reading(shift=0.0):
    from simulation.analysis.demo_reading import demo_reading, standings

    shocks, levels, series = reading_tables(shift)
    structures = ["hierarchy", "network"]
    statuses = standings(levels, structures, potential=100.0)
    labels = {"calm": "calm", "turbulent": "turbulent"}
    return demo_reading(levels, statuses, series, shocks, structures, labels)


def test_demo_reading_is_computed_from_the_table():
    """The sentences carry the table's numbers; change a number and the reading changes."""
    text = " ".join(_reading())
    assert "In the calm market hierarchy reached the highest mean market share" in text
    assert "In the turbulent market network reached the highest cumulative profit" in text
    assert "400 [400, 400] above network" in text  # the exact paired margin (100 x 4)
    assert "ahead of every other structure at 95% (6 paired runs)" in text
    assert ("Why, in the calm market: hierarchy fit the product better than network "
            "(fitness 0.900 vs 0.800)") in text
    assert "secondary): hierarchy lost least" in text
    changed = " ".join(_reading(shift=6.0))  # network now loses more in turbulent too
    assert changed != text
    assert "In the turbulent market hierarchy reached the highest mean market share" in changed


def test_lead_status_verdicts():
    """clear / tie within the margin / ahead of the runner-up only / not settled, on
    hand-made paired runs whose differences are known."""
    from simulation.analysis.demo_reading import lead_status

    def runs(**columns):
        return pd.DataFrame([{"structure": s, "replicate": r, "x": v}
                             for s, values in columns.items() for r, v in enumerate(values)])

    base = np.array([0.50, 0.52, 0.48, 0.51, 0.49, 0.50])
    wobble = np.array([0.002, -0.002, 0.001, -0.001, 0.002, -0.002])
    clear = lead_status(runs(a=base + 0.05, b=base + wobble, c=base - 0.1), "x",
                        ["a", "b", "c"], margin=0.01)
    assert clear["verdict"] == "clear" and clear["best"] == "a"
    assert clear["margin"] == pytest.approx(0.05)
    tie = lead_status(runs(a=base + 0.001 + wobble, b=base, c=base - 0.1), "x",
                      ["a", "b", "c"], margin=0.01)
    assert tie["verdict"] == "tie" and {tie["best"], tie["runner_up"]} == {"a", "b"}
    swing = np.array([0.3, -0.3, 0.3, -0.3, 0.3, -0.35])
    ahead = lead_status(runs(a=base + 0.05, b=base + wobble, c=base - 0.02 + swing), "x",
                        ["a", "b", "c"], margin=0.01)
    assert ahead["verdict"] == "ahead" and ahead["unbeaten"] == ["c"]
    both_ways = np.array([0.05, -0.04, 0.05, -0.04, 0.05, -0.04])
    unsettled = lead_status(runs(a=base + both_ways, b=base, c=base - 0.1), "x",
                            ["a", "b", "c"], margin=0.01)
    assert unsettled["verdict"] == "open"


def _audit(levels, statuses, structures):
    """An independent check of every claim of the standings: recompute each paired
    difference against the named leader with scipy's t quantile and confirm each structure
    is where the reading puts it (behind: interval below 0; level: inside the margin;
    unresolved: neither), and that the leader has the highest mean."""
    from scipy import stats

    for (market, output), status in statuses.items():
        table = levels[levels["market"] == market].pivot(index="replicate",
                                                         columns="structure", values=output)
        means = table.mean()
        assert means.idxmax() == status["best"]
        places = {}
        for other in structures:
            if other == status["best"]:
                continue
            d = (table[other] - table[status["best"]]).dropna().to_numpy()
            half = stats.t.ppf(0.975, d.size - 1) * d.std(ddof=1) / np.sqrt(d.size)
            low, high = d.mean() - half, d.mean() + half
            margin = status["tie_margin"]
            places[other] = ("behind" if high < 0 else
                             "level" if -margin <= low and high <= margin else "unresolved")
        assert sorted(status["behind"]) == sorted(s for s, p in places.items() if p == "behind")
        assert sorted(status["level"]) == sorted(s for s, p in places.items() if p == "level")
        assert sorted(status["unbeaten"]) == sorted(
            s for s, p in places.items() if p == "unresolved")
        expected = ("clear" if all(p == "behind" for p in places.values()) else
                    "tie" if "unresolved" not in places.values() else
                    "ahead" if places[status["runner_up"]] == "behind" else "open")
        assert status["verdict"] == expected


def test_lead_status_places_every_structure_and_a_planted_wrong_reading_fails():
    """Five structures whose paired differences against the leader are known: one clearly
    behind, one level within the margin, one unresolved. The standings put each where an
    independent computation does; a reading that calls the open lead clear (a planted wrong
    verdict) or drops a structure from its place fails the audit."""
    from simulation.analysis.demo_reading import lead_sentence, lead_status

    rng = np.random.default_rng(3)
    common = rng.normal(0.5, 0.05, 10)
    noise = lambda scale: rng.normal(0, scale, 10)  # noqa: E731
    columns = {"a": common + 0.10, "b": common + 0.10 + noise(0.002),
               "c": common + 0.10 + noise(0.2), "d": common, "e": common - 0.2}
    runs = pd.DataFrame([{"market": "m", "structure": s, "replicate": r, "x": v}
                         for s, values in columns.items() for r, v in enumerate(values)])
    structures = list(columns)
    status = lead_status(runs, "x", structures, margin=0.01)
    statuses = {("m", "x"): status}
    _audit(runs, statuses, structures)
    # Seed 3 draws c (sd 0.2) highest: its lead over a and b is unresolved, d and e are
    # clearly behind, so the verdict is open.
    assert status["best"] == "c" and status["runner_up"] == "a"
    assert sorted(status["behind"]) == ["d", "e"] and status["level"] == []
    assert sorted(status["unbeaten"]) == ["a", "b"]
    assert status["verdict"] == "open"
    planted = {**status, "verdict": "clear"}
    with pytest.raises(AssertionError):
        _audit(runs, {("m", "x"): planted}, structures)
    dropped = {**status, "behind": [s for s in status["behind"] if s != "e"]}
    with pytest.raises(AssertionError):
        _audit(runs, {("m", "x"): dropped}, structures)
    from simulation.analysis import demo_reading

    demo_reading.OUTPUTS["x"] = ("x", ".3f")
    try:
        sentence = lead_sentence(status, "m", "x")
    finally:
        del demo_reading.OUTPUTS["x"]
    assert "not yet told apart from" in sentence and "d and e clearly behind" in sentence


# ------------------------------------------------------------------ commands end to end
def test_run_with_precision_stops_and_says_why(tmp_path):
    """--precision: batches of paired replicates; the manifest and summary say which limit
    was hit, and the replicate count matches the tables."""
    out = tmp_path / "precise"
    status, stdout, stderr = run_cli(
        ["run", "need-shift", "--out", str(out), "--replicates", "2", "--precision", "1e-9",
         "--max-replicates", "4", "--precision-step", "2", "--precision-metric", "depth",
         "--workers", "1", *SMALL])
    assert status == 0, stderr
    manifest = json.loads((out / "manifest.json").read_text())
    precision = manifest["precision"]
    assert precision["stopped_by"] == "maximum" and precision["replicates"] == 4
    assert manifest["scenario"]["replicates"] == 4 and len(
        manifest["seeds"]["replicate_seeds"]) == 4
    resilience = pd.read_parquet(out / "resilience.parquet")
    assert sorted(resilience["replicate"].unique()) == [0, 1, 2, 3]
    assert "maximum of 4 paired replicates reached" in stdout
    loose = tmp_path / "loose"
    status, stdout, _ = run_cli(
        ["run", "need-shift", "--out", str(loose), "--replicates", "3", "--precision", "1e6",
         "--max-replicates", "9", "--workers", "1", *SMALL])
    assert status == 0
    precision = json.loads((loose / "manifest.json").read_text())["precision"]
    assert precision["stopped_by"] == "precision" and precision["replicates"] == 3
    assert "precision +/- 1e+06 reached after 3 paired replicates" in stdout


def test_precision_batches_equal_a_plain_run(tmp_path):
    """Replicates added in batches have the seeds of a plain run of the final count."""
    batched, plain = tmp_path / "batched", tmp_path / "plain"
    assert run_cli(["run", "need-shift", "--out", str(batched), "--replicates", "2",
                    "--precision", "1e-9", "--max-replicates", "3", "--precision-step", "1",
                    "--workers", "1", *SMALL])[0] == 0
    assert run_cli(["run", "need-shift", "--out", str(plain), "--replicates", "3",
                    "--workers", "1", *SMALL])[0] == 0
    pd.testing.assert_frame_equal(pd.read_parquet(batched / "resilience.parquet"),
                                  pd.read_parquet(plain / "resilience.parquet"))


def test_bad_precision_metric_is_one_line(tmp_path):
    status, _, stderr = run_cli(["run", "need-shift", "--out", str(tmp_path / "x"),
                                 "--precision", "0.1", "--precision-metric", "nonsense",
                                 *SMALL])
    assert status == 2 and "--precision-metric='nonsense'" in stderr
    assert len(stderr.strip().splitlines()) == 1


def test_design_end_to_end_and_resume(tmp_path):
    """Two trials on common seeds, tables and a Pareto front; a second call adds a trial."""
    out = tmp_path / "design"
    argv = ["design", "need-shift", "--out", str(out), "--replicates", "2",
            "--structure", "podular", "--parameters", "firm.pod_size,firm.change_budget",
            "--set", "customers.count=400", "--set", "firm.employees=25", "--steps", "40",
            "--set", "shocks.0.step=20"]
    status, stdout, stderr = run_cli([*argv, "--trials", "2"])
    assert status == 0, stderr
    trials = pd.read_csv(out / "trials.csv")
    assert len(trials) == 2
    assert {"firm.pod_size", "firm.change_budget", "area_lost", "messages_sent",
            "workload"} <= set(trials.columns)
    front = pd.read_csv(out / "pareto.csv")
    assert 1 <= len(front) <= 2 and (out / "pareto.png").stat().st_size > 1000
    best = pd.read_csv(out / "best.csv").iloc[0]
    assert best["area_lost"] == trials["area_lost"].min()
    assert "Pareto front" in stdout
    status, _, stderr = run_cli([*argv, "--trials", "1"])
    assert status == 0, stderr
    assert len(pd.read_csv(out / "trials.csv")) == 3
    status, _, stderr = run_cli([*argv[:-2], "--set", "shocks.0.step=21", "--trials", "1"])
    assert status == 2 and "another scenario" in stderr


def test_design_evaluation_uses_common_seeds():
    """The same design on the same seeds gives the same metrics (common random numbers)."""
    from simulation.design.runs import design_metrics
    from simulation.store.sources import resolve

    scenario, _, _ = resolve("need-shift", ["customers.count=300", "firm.employees=20",
                                            "steps=30", "shocks.0.step=15"])
    base = scenario.model_config_only().model_dump(mode="json")
    first = design_metrics(base, ["firm.span"], [3], "hierarchy", 1, 0, "market_share")
    again = design_metrics(base, ["firm.span"], [3], "hierarchy", 1, 0, "market_share")
    other = design_metrics(base, ["firm.span"], [3], "hierarchy", 1, 1, "market_share")
    assert first == again and first != other


TINY_GRID = """
name = "tiny-atlas"
scenario = "need-shift"
set = ["customers.count=300", "firm.employees=20", "steps=36", "shocks.0.step=18",
       "market.attributes=10"]
structures = ["hierarchy", "network", "podular"]
replicates = 2
seed = 5
design = "grid"

[[parameters]]
path = "market.turbulence"
levels = [0.0, 0.1]

[[parameters]]
path = "firm.variants"
name = "policy"
levels = ["standard", "per_segment"]
"""


def test_analyze_writes_the_winner_map_and_discovery(tmp_path):
    """A grid sweep of three structures: winners.csv agrees with the runs; PRIM runs."""
    from simulation.sweep.storage import read_table

    path = tmp_path / "tiny.toml"
    path.write_text(TINY_GRID)
    out = tmp_path / "sweep"
    assert run_cli(["sweep", str(path), "--out", str(out), "--workers", "1",
                    "--no-progress"])[0] == 0
    status, stdout, stderr = run_cli(
        ["analyze", str(out), "--outputs", "mean_market_share",
         "--winner-metric", "mean_market_share",
         "--discover", "podular:hierarchy:mean_market_share:0"])
    assert status == 0, stderr
    winners = pd.read_csv(out / "analysis" / "winners.csv")
    assert len(winners) == 4 and (winners["replicates"] == 2).all()
    runs = read_table(out, "runs")
    means = runs.groupby(["turbulence", "policy", "structure"])["mean_market_share"].mean()
    for _, row in winners.iterrows():
        cell = means.loc[(row["turbulence"], row["policy"])].sort_values(ascending=False)
        # "tie" only where the two highest means are equal; otherwise the highest mean wins.
        expected = "tie" if cell.iloc[0] == cell.iloc[1] else cell.index[0]
        assert row["best"] == expected
        assert row["best_mean"] == pytest.approx(cell.iloc[0])
    assert (out / "analysis" / "winners.png").stat().st_size > 1000
    assert (out / "analysis" / "discovery.csv").exists()
    assert "Winner map on mean_market_share" in stdout
    assert "podular beats hierarchy on mean_market_share by at least 0" in stdout
    status, _, stderr = run_cli(["analyze", str(out), "--discover", "podular:ceo:x:1"])
    assert status == 2 and "structure 'ceo'" in stderr


def test_demo_reading_file_is_the_reading_of_its_own_tables(tmp_path):
    """firmsim demo at tiny size: reading.txt is demo_reading of the tables it wrote."""
    from simulation.analysis.demo_reading import demo_reading, standings
    from simulation.commands.demo import MARKETS, _levels

    out = tmp_path / "demo"
    status, stdout, stderr = run_cli(["demo", "--out", str(out), "--replicates", "2",
                                      "--max-replicates", "2", "--customers", "200",
                                      "--steps", "60",
                                      "--workers", "1"])
    assert status == 0, stderr
    resilience = pd.read_parquet(out / "resilience.parquet")
    timeseries = pd.read_parquet(out / "timeseries.parquet")
    assert set(resilience["market"]) == set(MARKETS)
    labels = {market: label for market, (label, _) in MARKETS.items()}
    structures = list(pd.unique(resilience["structure"]))
    levels = _levels(timeseries)
    steps = int(timeseries["step"].max()) + 1
    statuses = standings(levels, structures, potential=1.0 * 200 * steps)
    _audit(levels, statuses, structures)
    expected = demo_reading(levels, statuses, timeseries, resilience, structures, labels)
    assert (out / "reading.txt").read_text().splitlines() == expected
    assert "product policy: one standard product for all segments" in stdout
    for sentence in expected:
        assert sentence in stdout
