"""The browser app's logic without a browser: editor validation, background runs, results
folders, teach texts and the ``firmsim ui`` command."""

from __future__ import annotations

import math
import time

import pandas as pd
import pytest

from simulation import registry
from simulation.config.scenario import load_scenario
from simulation.config.schema import config_from_flat
from simulation.config.seeds import run_seed
from simulation.ui import charts, explore, teach
from simulation.ui.form import GENERAL, form_from_scenario, validate_form
from simulation.ui.runner import ComparisonRun, ThreadedRun, customer_sample, tree_layout

STRUCTURES = registry.default_structures()


@pytest.fixture
def demo_form():
    return form_from_scenario(load_scenario("demo"))


# ----------------------------------------------------------------------------- the editor
def test_shipped_scenario_fills_a_valid_form(demo_form):
    checked = validate_form(demo_form)
    assert checked.ok, checked.errors
    assert checked.scenario.steps == 300
    assert demo_form.values["customers.count"] == "20000"
    assert demo_form.shocks[0]["step"] == "150"


@pytest.mark.parametrize("key, text, expected", [
    ("steps", "abc", "expected a whole number"),
    ("steps", "", "enter a value"),
    ("market.turbulence", "2", "allowed: 0 to 1"),
    ("customers.count", "0", "allowed: 1 to 50000000"),
    # Fields named as the form shows them (labels, not dotted paths).
    ("market.k", "25", "interdependence K = 25: must be smaller than market attributes = 20"),
    ("firm.variants", "one", "allowed values are standard, per_segment"),
    ("firm.side_effect_awareness", "2", "allowed: 0 to 1"),
    ("firm.employees", "1.5", "expected a whole number"),
])
def test_invalid_field_gets_a_message_beside_it(demo_form, key, text, expected):
    checked = validate_form(demo_form.with_value(key, text))
    assert not checked.ok
    assert expected in checked.errors[key], checked.errors


def test_cross_field_errors_land_on_a_field(demo_form):
    # Fewer steps than the shock's step: the message goes beside the shock's step.
    checked = validate_form(demo_form.with_value("steps", "60"))
    assert "shocks.0.step" in checked.errors
    assert "0 to 59" in checked.errors["shocks.0.step"]
    # Too few customers for the network degree: beside the customers field.
    checked = validate_form(demo_form.with_value("customers.count", "5"))
    assert GENERAL not in checked.errors
    assert {"customers.count", "customers.degree"} & set(checked.errors), checked.errors
    fixed = demo_form.with_value("steps", "60").with_shock(0, "step", "30")
    assert validate_form(fixed).ok


def test_shock_strength_and_structures_are_checked(demo_form):
    checked = validate_form(demo_form.with_shock(0, "strength", "3"))
    assert "allowed: 0 to 1" in checked.errors["shocks.0.strength"]
    assert validate_form(demo_form.with_shock(0, "kind", "competitor_entry")
                         .with_shock(0, "strength", "3")).ok
    assert "pick 2 to 5" in validate_form(demo_form.with_structures(["network"])).errors[
        "structures"]
    two = demo_form.with_structures(["network", "hierarchy"])
    assert two.structures == ("hierarchy", "network")  # canonical order
    assert validate_form(two).ok
    assert len(validate_form(demo_form.add_shock()).scenario.shocks) == 2
    assert validate_form(demo_form.remove_shock(0)).scenario.shocks == []


# ----------------------------------------------------------------------------- the runs
SMALL = {"customers": 1_000, "employees": 40, "steps": 30,
         "shocks": [{"kind": "need_shift", "step": 15, "strength": 0.5}]}


def test_runs_advance_in_the_background_and_give_resilience():
    run = ComparisonRun(config_from_flat(None, **SMALL), ["hierarchy", "podular"], seed=3)
    run.start()
    assert run.wait(60)
    snapshot = run.snapshot()
    assert snapshot.state == "finished" and snapshot.error is None
    assert snapshot.done == {"hierarchy": 30, "podular": 30}
    assert set(snapshot.resilience["structure"]) == {"hierarchy", "podular"}
    assert {"depth", "recovery_time", "area_lost"} <= set(snapshot.resilience.columns)
    assert run.snapshot() is snapshot  # cached until something changes


def test_same_seed_same_market_for_every_structure():
    run = ComparisonRun(config_from_flat(None, **SMALL), ["hierarchy", "network"], seed=5)
    run.start().wait(60)
    first = run.snapshot().frames
    local = ThreadedRun(config_from_flat(None, **SMALL), ["hierarchy", "network"], seed=5)
    local.start().wait(60)
    models = local.models()
    assert (models["hierarchy"].segment == models["network"].segment).all()
    assert (models["hierarchy"].indices == models["network"].indices).all()
    pd.testing.assert_frame_equal(first["network"], local.snapshot().frames["network"])
    again = ComparisonRun(config_from_flat(None, **SMALL), ["hierarchy", "network"], seed=5)
    again.start().wait(60)
    pd.testing.assert_frame_equal(first["network"], again.snapshot().frames["network"])


def wait_for_state(run, state: str, timeout: float = 10.0) -> bool:
    """Wait until the run's state is ``state`` (the last worker's "rest" follows its copies
    by a moment)."""
    deadline = time.time() + timeout
    while run.snapshot().state != state and time.time() < deadline:
        time.sleep(0.05)
    return run.snapshot().state == state


def test_pause_step_play_and_stop():
    run = ComparisonRun(config_from_flat(None, **SMALL), ["network", "open"], seed=1,
                        playing=False).start()
    deadline = time.time() + 30
    while len(run.snapshot().done) < 2 and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)
    assert run.snapshot().done == {"network": 0, "open": 0}
    run.step_once()
    deadline = time.time() + 10
    while run.snapshot().done != {"network": 1, "open": 1} and time.time() < deadline:
        time.sleep(0.05)
    assert run.snapshot().done == {"network": 1, "open": 1}
    assert wait_for_state(run, "paused")
    run.set_speed(20)  # 20 steps per second: slow enough to catch it running
    run.play()
    time.sleep(0.3)
    assert run.snapshot().state == "running"
    run.stop()
    assert run.finished and run.snapshot().state == "stopped"
    assert max(run.snapshot().done.values()) < 30


def test_a_failing_run_reports_instead_of_raising():
    run = ComparisonRun(config_from_flat(None, **SMALL), ["hierarchy", "no-such-structure"])
    run.start().wait(60)
    snapshot = run.snapshot()
    assert snapshot.state == "error" and "no-such-structure" in snapshot.error


def test_firm_and_customer_views():
    run = ComparisonRun(config_from_flat(None, **SMALL), list(STRUCTURES), seed=2)
    run.start().wait(120)
    for structure in STRUCTURES:
        view = run.org_view(structure)
        assert view.positions.shape == (40, 2) and view.queue.shape == (40,)
        option = charts.org_option(view, "queue", structure)
        assert len(option["series"][0]["data"]) == 40
    customers = run.customer_view("open")
    assert 0 < customers.nodes.shape[0] <= 160
    assert customers.edges.max() < customers.nodes.shape[0]
    assert ((-1 <= customers.sentiment) & (customers.sentiment <= 1)).all()


def test_layouts():
    parent = (pd.RangeIndex(13).to_numpy() - 1) // 3
    parent[0] = -1
    depth = (parent >= 0).astype(int) + (parent > 0).astype(int)
    xy = tree_layout(parent, depth)
    assert xy[0, 1] == 0 and (xy[4:, 1] == 1).all()
    assert math.isclose(xy[1, 0], xy[4:7, 0].mean())
    import numpy as np

    indptr = np.array([0, 1, 3, 4])
    indices = np.array([1, 0, 2, 1])
    nodes, edges, positions = customer_sample(indptr, indices, np.ones(3, np.uint8), 1, 10, 1)
    assert sorted(nodes.tolist()) == [0, 1, 2] and edges.shape == (2, 2)


# ----------------------------------------------------------------------------- charts, export
def test_line_option_marks_shocks_and_hides_nan():
    frame = pd.DataFrame({"step": [0, 1, 2], "decision_latency": [float("nan"), 2.0, 3.0]})
    option = charts.line_option("decision_latency", "t", {"network": frame}, 3,
                                [{"kind": "need_shift", "step": 1, "strength": 0.5}])
    series = option["series"][0]
    assert series["data"][0] == [0, None]
    assert series["markLine"]["data"][0]["xAxis"] == 1
    assert option["tooltip"]["trigger"] == "axis"


def _long_table() -> pd.DataFrame:
    """Three replicates of two structures over 4 steps, with a share near 1 (its t-interval
    reaches above 1) and a latency near 0 with a gap (NaN in every replicate at step 2)."""
    rows = []
    for structure, offset in (("network", 0.0), ("hierarchy", 0.1)):
        for replicate, noise in enumerate((-0.05, 0.0, 0.08)):
            for step in range(4):
                rows.append({
                    "structure": structure, "replicate": replicate, "step": step,
                    "market_share": min(0.9 + offset + noise, 1.0),
                    "decision_latency": (float("nan") if step == 2
                                         else 0.1 + 3 * (noise + 0.05) + offset),
                    **{m: 0.5 + noise for m, _, _ in charts.CHARTS
                       if m not in ("market_share", "decision_latency")}})
    return pd.DataFrame(rows)


def test_band_series_hold_the_clipped_interval_of_the_data():
    """The band a chart draws is [mean - t s / sqrt(n), mean + t s / sqrt(n)] of the
    replicates (t from scipy), clipped to what the metric can take, with a gap where no
    replicate has a value; every series has its own id (live updates merge by id)."""
    import numpy as np
    from scipy import stats

    long = _long_table()
    for metric, bounds in (("market_share", (0, 1)), ("decision_latency", (0, None))):
        bands = charts.chart_bands(long, metric)
        option = charts.band_option(metric, "t", bands, 4, [])
        ids = [series["id"] for series in option["series"]]
        assert len(ids) == len(set(ids)) == 4
        assert [s["name"] for s in option["series"]] == ["network"] * 2 + ["hierarchy"] * 2
        assert "95% t-interval" in option["title"]["subtext"]
        assert "clipped to [0, " in option["title"]["subtext"]
        assert "only 3 runs" in option["title"]["subtext"]
        for series in option["series"]:
            if series["type"] != "custom":
                continue
            rows = long[long["structure"] == series["name"]]
            for step, low, high in series["data"]:
                values = rows[rows["step"] == step][metric].dropna().to_numpy()
                if not values.size:
                    assert low is None and high is None
                    continue
                half = stats.t.ppf(0.975, 2) * values.std(ddof=1) / np.sqrt(3)
                want = np.clip([values.mean() - half, values.mean() + half], *bounds)
                assert low == pytest.approx(want[0], abs=1e-5)
                assert high == pytest.approx(want[1], abs=1e-5)
    share = charts.chart_bands(long, "market_share")
    assert share["high"].max() == 1.0 and share["clipped"].any()
    from simulation.ui.summary import chart_description

    text = chart_description("Market share", share, 4)
    last = share[share["structure"] == "hierarchy"].iloc[-1]
    assert f"hierarchy {last['mean']:.3f} [{last['low']:.3f}, 1.000]" in text, text


def test_png_export_is_the_screen_charts():
    """The PNG holds per chart the mean lines and the same clipped bands as the screen."""
    import numpy as np

    long = _long_table()
    figure = charts.charts_figure(long, [{"kind": "x", "step": 2, "strength": 1}], 4)
    assert charts.charts_png(long, [], 4).startswith(b"\x89PNG")
    for ax, (metric, _, _) in zip(figure.axes, charts.CHARTS, strict=True):
        bands = charts.chart_bands(long, metric)
        assert "95% t-interval" in ax.get_title()
        for line, (structure, group) in zip(
                [line for line in ax.lines if line.get_label() in ("network", "hierarchy")],
                bands.groupby("structure", sort=False), strict=True):
            assert line.get_label() == structure
            np.testing.assert_allclose(line.get_ydata(), group["mean"])
        fills = ax.collections
        assert len(fills) == 2
        for fill, (_, group) in zip(fills, bands.groupby("structure", sort=False),
                                    strict=True):
            vertices = np.vstack([path.vertices for path in fill.get_paths()])
            assert vertices[:, 1].min() == pytest.approx(group["low"].min())
            assert vertices[:, 1].max() == pytest.approx(group["high"].max())
    frame = long[long["structure"] == "network"].drop(columns="structure")
    combined = charts.combined_frame({"hierarchy": frame, "network": frame})
    assert combined.columns[0] == "structure" and len(combined) == 24


def test_cli_figure_bands_span_the_datas_interval_at_every_step():
    """Issue 28 for the command line's figures (shown in Explore results too): the band
    drawn at each step spans the 95% t-interval of the data (computed here with scipy),
    clipped to what the metric can take."""
    import numpy as np
    from matplotlib.figure import Figure
    from scipy import stats

    from simulation.analysis.report import _lines_with_bands

    rng = np.random.default_rng(4)
    rows = [{"structure": structure, "replicate": r, "step": step,
             "market_share": float(np.clip(centre + rng.normal(0, 0.08), 0, 1))}
            for structure, centre in (("hierarchy", 0.92), ("network", 0.45))
            for r in range(4) for step in range(12)]
    table = pd.DataFrame(rows)
    axis = Figure().subplots()
    _lines_with_bands(axis, table, "market_share")
    assert len(axis.collections) == 2
    checked = 0
    for fill, structure in zip(axis.collections, ("hierarchy", "network"), strict=True):
        vertices = np.vstack([path.vertices for path in fill.get_paths()])
        for step, values in table[table["structure"] == structure].groupby("step")[
                "market_share"]:
            half = stats.t.ppf(0.975, 3) * values.std() / 2
            low, high = max(values.mean() - half, 0.0), min(values.mean() + half, 1.0)
            at = vertices[np.isclose(vertices[:, 0], step), 1]
            assert at.min() == pytest.approx(low) and at.max() == pytest.approx(high), (
                structure, step, at, low, high)
            checked += 1
    assert checked == 24


# ----------------------------------------------------------------------------- results folders
def test_missing_and_corrupt_results_folders_give_messages(tmp_path):
    assert "does not exist" in explore.load_results(tmp_path / "nope").messages[0]
    assert "Enter the path" in explore.load_results("").messages[0]
    (tmp_path / "timeseries.parquet").write_bytes(b"not parquet")
    (tmp_path / "heatmap.png").write_bytes(b"not a png")
    result = explore.load_results(tmp_path)
    assert not result.ok
    assert any("timeseries.parquet could not be read" in m for m in result.messages)
    assert any("heatmap.png is not a valid PNG" in m for m in result.messages)
    file = tmp_path / "file.txt"
    file.write_text("x")
    assert "is not a folder" in explore.load_results(file).messages[0]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "holds no results" in explore.load_results(empty).messages[0]


def test_results_folder_tables_sensitivity_and_filters(tmp_path):
    frame = pd.DataFrame({"structure": ["hierarchy", "network"] * 3, "step": range(6),
                          "market_share": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]})
    frame.to_parquet(tmp_path / "timeseries.parquet")
    pd.DataFrame({"parameter": ["k", "turbulence"], "S1": [0.2, 0.5], "ST": [0.3, 0.6]}).to_csv(
        tmp_path / "indices.csv", index=False)
    result = explore.load_results(tmp_path)
    assert result.ok and set(result.tables) == {"timeseries.parquet", "indices.csv"}
    assert list(explore.sensitivity_tables(result)) == ["indices.csv"]
    rows, problems = explore.filter_frame(frame, {"structure": "net", "step": ">=3"})
    assert rows["step"].tolist() == [3, 5] and not problems
    rows, problems = explore.filter_frame(frame, {"structure": ">1", "step": ">x"})
    assert set(problems) == {"structure", "step"} and len(rows) == 6


def test_a_sweep_folder_shows_its_datasets_analysis_tables_and_heatmaps(tmp_path):
    """A sweep's partitioned runs/, analysis/ CSVs and PNG heatmaps are all found."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = tmp_path / "runs"
    runs.mkdir()
    for batch in range(2):
        pd.DataFrame({"run": [batch * 2, batch * 2 + 1], "mean_fitness": [0.8, 0.9]}).to_parquet(
            runs / f"batch-{batch:05d}.parquet")
    analysis = tmp_path / "analysis"
    analysis.mkdir()
    pd.DataFrame({"parameter": ["k"], "S1": [0.4], "ST": [0.5]}).to_csv(
        analysis / "sensitivity.csv", index=False)
    figure = plt.figure()
    figure.savefig(analysis / "advantage_fitness.png")
    plt.close(figure)
    result = explore.load_results(tmp_path)
    assert len(result.tables["runs/"]) == 4
    assert list(explore.sensitivity_tables(result)) == ["analysis/sensitivity.csv"]
    assert list(result.images) == ["analysis/advantage_fitness.png"]
    (runs / "batch-00002.parquet").write_bytes(b"corrupt")
    broken = explore.load_results(tmp_path)
    assert "runs/" not in broken.tables
    assert any("runs/ could not be read" in m for m in broken.messages)


# ----------------------------------------------------------------------------- teach mode
def test_every_shipped_scenario_has_a_lesson():
    from simulation.config.scenario import SCENARIO_DIR

    for path in SCENARIO_DIR.glob("*.toml"):
        lesson = teach.lesson_for(path.stem, path)
        assert lesson is not None and lesson.concept and lesson.look_for, path.stem
    for concept in ("Mass production", "command-and-control", "Customers as partners",
                    "hub that aligns pods"):
        assert any(concept.lower() in lesson.title.lower()
                   for lesson in teach.LESSONS.values()), concept


def test_unknown_scenario_lesson_comes_from_its_comment_block(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text("# My own scenario.\n#\n# Shows: something to see.\nname = \"mine\"\n")
    lesson = teach.lesson_for("mine", path)
    assert lesson.title == "My own scenario." and lesson.look_for == "something to see."


# ----------------------------------------------------------------------------- the command
def test_ui_command_arguments_and_server_command():
    from simulation.commands import ui
    from simulation.commands.cli import build_parser

    parser, _ = build_parser()
    args = parser.parse_args(["ui", "--port", "0"])
    assert args.host == "127.0.0.1" and args.port == 0
    command = ui.server_command("127.0.0.1", 9999)
    assert "simulation.ui.app:Page" in command and "--production" in command
    assert ui.server_environment("demo")["FIRMSIM_UI_SCENARIO"] == "demo"
    assert ui.free_port() > 0


def test_ui_command_refuses_bad_input(capsys):
    from simulation.commands.cli import main

    assert main(["ui", "--port", "70000"]) == 2
    assert "--port=70000" in capsys.readouterr().err
    assert main(["ui", "--scenario", "no-such-scenario"]) == 2
    assert "not found" in capsys.readouterr().err


# ----------------------------------------------------------------------------- issue 14
def test_every_config_field_and_shock_field_is_in_the_editor():
    from simulation.config.schema import ModelConfig
    from simulation.ui.form import all_fields, shock_fields

    keys = {spec.key for spec in all_fields()}
    for section in ("market", "customers", "firm", "stakeholders"):
        model = ModelConfig.model_fields[section].annotation
        offered = {f"{section}.{name}" for name, info in model.model_fields.items()
                   if (info.json_schema_extra or {}).get("app") is not False}
        assert offered <= keys
    assert {"target"} <= {s.key for s in shock_fields("talent_loss")}
    assert "share" not in {s.key for s in shock_fields("talent_loss")}
    assert {"segments"} <= {s.key for s in shock_fields("need_shift")}
    assert {"share"} <= {s.key for s in shock_fields("reputation_crisis")}


def test_changing_a_shock_kind_fills_its_own_fields(demo_form):
    form = demo_form.with_shock_kind(0, "talent_loss")
    assert form.shocks[0]["target"] == "random" and "segments" not in form.shocks[0]
    checked = validate_form(form.with_shock(0, "target", "managers"))
    assert checked.ok, checked.errors
    assert checked.scenario.shocks[0].target == "managers"
    bad = validate_form(form.with_shock(0, "strength", "1.5"))
    assert "shock 1 strength = 1.5" in bad.errors["shocks.0.strength"], bad.errors


def test_scenario_link_round_trip_and_damaged_link():
    from simulation.config.scenario import scenario_data
    from simulation.errors import ConfigError
    from simulation.ui import link

    scenario = load_scenario("talent-loss")
    code = link.encode(scenario_data(scenario))
    assert link.code_in(f"a=1&{link.PARAMETER}={code}") == code
    assert scenario_data(link.decode(code)) == scenario_data(scenario)
    with pytest.raises(ConfigError, match="damaged"):
        link.decode(code[:-5] + "!!!!!")


def _resilience_rows(areas: dict[str, list[float]], recovered=True,
                     levels: dict[str, list[float]] | None = None) -> pd.DataFrame:
    rows = []
    for structure, values in areas.items():
        for replicate, area in enumerate(values):
            level = levels[structure][replicate] if levels else 0.45
            rows.append({"structure": structure, "replicate": replicate, "shock": 0,
                         "kind": "need_shift", "step": 30, "baseline": 0.5, "trough": 0.4,
                         "depth": 0.1, "recovery_time": 12 if recovered else 30,
                         "recovered": recovered, "area_lost": area, "post_level": 1.0,
                         "plateau": level})
    return pd.DataFrame(rows)


def test_sentence_and_table_come_from_the_paired_numbers():
    from simulation.ui.summary import comparison_sentence, resilience_summary

    table = _resilience_rows({"hierarchy": [1.0, 1.2, 0.9], "podular": [0.5, 0.8, 0.6]},
                             levels={"hierarchy": [0.40, 0.42, 0.41],
                                     "podular": [0.60, 0.61, 0.65]})
    sentence = comparison_sentence(table, "hierarchy", "market_share")
    assert sentence.startswith("After the need shift podular holds 0.620 [")
    assert "podular minus hierarchy 0.210 [" in sentence and "clearly higher" in sentence
    assert ("Podular lost less market share than hierarchy from its own level (area lost, "
            "paired difference -0.400 [") in sentence
    assert "does not make it better" not in sentence
    reverse = comparison_sentence(table, "podular", "market_share")
    assert "clearly lower, higher in 0 of 3" in reverse and "lost more" in reverse
    summary = resilience_summary(table, "hierarchy", "market_share", 60)
    assert list(summary["structure"]) == ["hierarchy", "podular"]
    assert summary.iloc[0, -1] == "reference"
    assert "less lost in 3 of 3" in summary.iloc[1, -1]
    assert "higher in 3 of 3" in summary.iloc[1]["level after minus hierarchy's (paired)"]
    assert summary.iloc[1]["level after (share of active customers)"].startswith("0.620 [")
    assert summary.iloc[1]["level before (share of active customers)"] == "0.500 [0.500, 0.500]"
    assert any("share of active customers" in column for column in summary.columns)
    censored = resilience_summary(_resilience_rows({"hierarchy": [1, 2], "network": [1, 1]},
                                                   recovered=False), "hierarchy",
                                  "market_share", 60)
    assert censored.iloc[0]["recovery (steps to 95% of own baseline)"].startswith(
        "not recovered within 30 steps (0 of 2")


def test_losing_less_from_a_lower_level_is_never_called_better():
    """The issue's case: the network holds ~0.44 of the market and the hierarchy ~0.90; the
    network loses less (from its own, lower level) in 2 of 3 runs. The sentence leads with
    the levels and says losing less does not make it better; the question page says No."""
    from simulation.ui.summary import comparison_sentence, verdict

    table = _resilience_rows({"hierarchy": [3.0, 5.0, 4.0], "network": [1.0, 6.0, 2.0]},
                             levels={"hierarchy": [0.90, 0.91, 0.89],
                                     "network": [0.44, 0.40, 0.47]})
    sentence = comparison_sentence(table, "hierarchy", "market_share")
    assert sentence.startswith("After the need shift network holds 0.437 [")
    assert "clearly lower, higher in 0 of 3" in sentence
    assert "but from a lower level: losing less does not make it better here" in sentence
    assert "better" not in sentence.replace("does not make it better", "")
    long = pd.DataFrame({"structure": ["hierarchy", "network"] * 3, "replicate": [0, 0, 1, 1,
                         2, 2], "step": [40] * 6, "decision_latency": [5.0, 1, 6, 1, 5, 2]})
    answer = verdict(long, table, "hierarchy", "network", "a need shift", "market_share",
                     30, 60)
    assert answer.headline.startswith("No: the network firm would have ended a need shift "
                                      "with less market share"), answer.headline
    assert "lost less, but from a lower level" in answer.detail


def test_the_sentence_ranks_on_cumulative_profit_before_it_speaks_of_losses():
    """Issue 28: the sentence ranks on what a strategist asks, the level reached and the
    cumulative profit (at the last step every run reached, paired), before the loss."""
    from scipy import stats

    from simulation.ui.summary import comparison_sentence, values_at_last_common_step

    table = _resilience_rows({"hierarchy": [3.0, 5.0, 4.0], "network": [1.0, 6.0, 2.0]},
                             levels={"hierarchy": [0.90, 0.91, 0.89],
                                     "network": [0.44, 0.40, 0.47]})
    profit = {"hierarchy": [120.0, 135.0, 110.0], "network": [150.0, 160.0, 149.0]}
    long = pd.DataFrame([
        {"structure": structure, "replicate": r, "step": step,
         "cumulative_profit": values[r] * (step + 1) / 60}
        # network's replicate 2 is one step behind: every run is read at step 58.
        for structure, values in profit.items() for r in range(3)
        for step in range(59 if (structure, r) == ("network", 2) else 60)])
    final = values_at_last_common_step(long)
    assert set(final["step"]) == {58} and len(final) == 6
    sentence = comparison_sentence(table, "hierarchy", "market_share", final)
    at = {s: [v * 59 / 60 for v in values] for s, values in profit.items()}
    differences = [n - h for n, h in zip(at["network"], at["hierarchy"], strict=True)]
    mean = sum(differences) / 3
    half = stats.t.ppf(0.975, 2) * pd.Series(differences).std() / 3 ** 0.5
    expected = (f"Cumulative profit by step 58: network {sum(at['network']) / 3:.2f} [")
    assert expected in sentence, sentence
    assert (f"difference {mean:.2f} [{mean - half:.2f}, {mean + half:.2f}]: clearly higher, "
            "higher in 3 of 3.") in sentence, sentence
    # Large amounts in one unit for the whole sentence.
    large = final.assign(cumulative_profit=final["cumulative_profit"] * 10_000)
    text = comparison_sentence(table, "hierarchy", "market_share", large)
    assert (f"Cumulative profit by step 58 (millions): network "
            f"{sum(at['network']) / 3 * 0.01:.2f} [") in text, text
    # The level first, then the profit, then the loss.
    assert (sentence.index("holds") < sentence.index("Cumulative profit")
            < sentence.index("lost less"))
    # Without a profit column the sentence is as before.
    assert comparison_sentence(table, "hierarchy", "market_share",
                               values_at_last_common_step(long.drop(
                                   columns="cumulative_profit"))) == comparison_sentence(
        table, "hierarchy", "market_share")


def test_intervals_of_quantities_that_cannot_be_negative_are_clipped_and_marked():
    from simulation.ui.summary import interval_text, resilience_summary

    assert interval_text(3.78, -4.432, 11.992, floor=0) == "3.780 [0 (clipped), 11.992]"
    assert interval_text(3.78, 1.0, 11.992, floor=0) == "3.780 [1.000, 11.992]"
    assert interval_text(-0.2, -0.5, 0.1) == "-0.200 [-0.500, 0.100]"  # a difference: not
    table = _resilience_rows({"hierarchy": [0.0, 0.0, 3.0], "network": [0.1, 0.0, 0.2]})
    summary = resilience_summary(table, "hierarchy", "market_share", 60)
    assert "[0 (clipped), " in summary.iloc[0]["area lost (share of active customers x steps)"]
    assert "(clipped)" not in summary.iloc[1]["area lost minus hierarchy's (paired)"]


def test_estimate_grows_with_the_work():
    from simulation.ui.summary import estimate_seconds

    def config(customers, steps):
        return config_from_flat(customers=customers, steps=steps)

    small = estimate_seconds(config(2_000, 60), 2, 1, cores=2)
    assert small < estimate_seconds(config(20_000, 300), 5, 3, cores=2) < estimate_seconds(
        config(200_000, 300), 5, 3, cores=2)


def test_the_app_refuses_a_run_over_the_memory_budget_as_the_cli_does(demo_form,
                                                                       monkeypatch):
    """One function for every way in: the app's refusal is the CLI's check
    (``check_run_budget``) with all the comparison's runs held at once; the Run button's
    handler starts nothing (no "Run anyway")."""
    from simulation.errors import UserError
    from simulation.execution import budget
    from simulation.ui import compare, state
    from simulation.ui.summary import budget_problem

    form = demo_form.with_value("customers.count", "50000000")
    scenario = validate_form(form).scenario
    config = scenario.model_config_only()
    problem = budget_problem(config, len(form.structures), scenario.replicates)
    runs = len(form.structures) * scenario.replicates
    with pytest.raises(UserError) as cli:
        budget.check_run_budget(config, runs, runs)
    assert problem.startswith(str(cli.value).removesuffix(" or --workers"))
    assert problem.startswith("customers.count=50000000: a run needs about")
    demo = validate_form(demo_form).scenario.model_config_only()
    assert budget_problem(demo, 5, 3) is None
    # Pretend the machine has 4 GB: 15 demo runs (about 0.6 GB each) no longer fit.
    monkeypatch.setattr(budget, "available_memory", lambda: 4 * 2**30)
    assert "15 concurrent runs" in budget_problem(demo, 5, 3)
    state.form.set(form)
    state.run.set(None)
    try:
        compare.start_run(confirmed=True)
        assert state.run.value is None and state.confirm.value is None
    finally:
        state.form.set(state.load_form("demo")[0])


def test_replicates_are_paired_and_the_firm_view_is_the_repaired_one():
    config = config_from_flat(customers=500, employees=60, steps=20,
                              shocks=[{"kind": "talent_loss", "step": 5, "strength": 0.3,
                                       "target": "managers"}])
    run = ThreadedRun(config, ["hierarchy", "network"], seed=4, replicates=3).start()
    assert run.wait(120)
    snapshot = run.snapshot()
    long = snapshot.long_table()
    assert sorted(long["replicate"].unique()) == [0, 1, 2]
    assert snapshot.done == {"hierarchy": 20, "network": 20}
    # Pairs: replicate r of both structures sees the same market (same seed) ...
    first = long[long["step"] == 0].set_index(["structure", "replicate"])["customers_active"]
    assert first["hierarchy"].equals(first["network"])
    # ... and replicates differ from each other.
    assert long[long["structure"] == "hierarchy"].groupby("replicate")["market_share"].sum(
        ).nunique() > 1
    assert set(snapshot.resilience["replicate"]) == {0, 1, 2}
    org = run.org_view("hierarchy")
    assert org.departed > 0 and org.reattached > 0
    alive = org.alive.astype(bool)
    assert alive[org.edges[:, 0]].all() and alive[org.edges[:, 1]].all()


def test_runs_are_shared_out_over_workers_in_contiguous_balanced_shares():
    from simulation.ui.runner import share_out

    shares = share_out(["hierarchy", "network", "open"], 3, 2)
    assert shares == [{"hierarchy": [0, 1, 2], "network": [0, 1]},
                      {"network": [2], "open": [0, 1, 2]}]
    assert share_out(["hierarchy"], 1, 4) == [{"hierarchy": [0]}]  # never an idle worker
    for workers in (1, 2, 3, 7):
        shares = share_out(list(STRUCTURES), 3, workers)
        units = [(s, r) for share in shares for s, ids in share.items() for r in ids]
        assert sorted(units) == sorted((s, r) for s in STRUCTURES for r in range(3))
        sizes = [sum(len(ids) for ids in share.values()) for share in shares]
        assert max(sizes) - min(sizes) <= 1


def test_same_numbers_whatever_the_number_of_worker_processes():
    config = config_from_flat(None, **SMALL)
    snapshots, runs = [], []
    from simulation.ui.runner import shared_pool

    for workers in (1, 2, 3):
        shared_pool().cache.clear()  # computed each time, not served from the first
        run = ComparisonRun(config, ["hierarchy", "podular"], seed=7, replicates=3,
                            workers=workers).start()
        assert run.wait(120)
        assert len(run.worker_pids) == workers
        snapshots.append(run.snapshot())
        runs.append(run)
    local = ThreadedRun(config, ["hierarchy", "podular"], seed=7, replicates=3).start()
    assert local.wait(120)
    snapshots.append(local.snapshot())
    first = snapshots[0]
    assert first.state == "finished" and first.error is None
    for other in snapshots[1:]:
        pd.testing.assert_frame_equal(first.long_table(), other.long_table())
        pd.testing.assert_frame_equal(first.resilience, other.resilience)
    # The views are replicate 0's, wherever it was computed (3 workers: podular's replicate
    # 0 shares a process with hierarchy's replicate 2).
    assert snapshots[2].frames["podular"].equals(first.frames["podular"])
    for structure in ("hierarchy", "podular"):
        one, three = runs[0].org_view(structure), runs[2].org_view(structure)
        assert (one.queue == three.queue).all() and (one.alive == three.alive).all()
        assert (runs[0].customer_view(structure).nodes
                == runs[2].customer_view(structure).nodes).all()


def test_a_structure_ahead_of_the_reference_gives_figures_not_an_error():
    """Structures run at their own pace: one may pass the shock before the reference has.
    (This crashed the results panel: the paired differences demanded the reference.)"""
    from simulation.ui.summary import comparison_sentence, resilience_summary

    run = ThreadedRun(config_from_flat(None, **SMALL), ["hierarchy", "network"], seed=3,
                      replicates=2).start()
    assert run.wait(120)
    table = run.snapshot().resilience
    ahead = table[table["structure"] == "network"]
    assert len(ahead) == 2
    sentence = comparison_sentence(ahead, "hierarchy", "market_share")
    assert sentence.startswith("Waiting for hierarchy to pass the need shift")
    summary = resilience_summary(ahead, "hierarchy", "market_share", 30)
    assert summary.iloc[0]["area lost minus hierarchy's (paired)"] == "waiting for hierarchy"
    # A structure whose replicates are not all past the shock is not scored yet.
    published = run._published["network"]
    run._published["network"] = published._replace(
        frames=[published.frames[0], published.frames[1].iloc[:10]])
    run._cache = None
    assert "network" not in set(run.snapshot().resilience["structure"])


def test_step_on_a_run_that_has_not_published_yet_takes_one_step():
    """The Step button on a new run starts it paused and steps at once, before any worker
    has published anything."""
    run = ComparisonRun(config_from_flat(None, **SMALL), ["network", "open"], seed=1,
                        playing=False, replicates=2).start()
    run.step_once()
    deadline = time.time() + 60
    while run.snapshot().done != {"network": 1, "open": 1} and time.time() < deadline:
        time.sleep(0.05)
    assert run.snapshot().done == {"network": 1, "open": 1}
    assert wait_for_state(run, "paused")
    time.sleep(0.5)
    assert run.snapshot().done == {"network": 1, "open": 1}  # and no further
    run.stop()


def test_charts_refresh_less_often_when_a_refresh_is_costly():
    from simulation.ui.state import CHART_REFRESH, CHART_SHARE, REFRESH, chart_wait_after

    # A cheap refresh: the charts follow the runs once a second, slower than the status line.
    assert chart_wait_after(0.01) == CHART_REFRESH > REFRESH
    # A costly one (0.2-0.7 s at the demo's size): refreshing keeps to CHART_SHARE of the time.
    for seconds in (0.3, 0.7, 2.0):
        wait = chart_wait_after(seconds)
        assert wait > CHART_REFRESH and seconds / wait == pytest.approx(CHART_SHARE)
    # Thirty sessions refreshing: all of them together keep to CHART_SHARE of the server.
    for seconds in (0.01, 0.05, 0.3):
        wait = chart_wait_after(seconds, sessions=30)
        assert wait >= CHART_REFRESH and 30 * seconds / wait <= CHART_SHARE + 1e-9
    assert chart_wait_after(0.05, sessions=30) == pytest.approx(30 * 0.05 / CHART_SHARE)


def test_a_failing_structure_is_reported_and_the_others_finish(monkeypatch):
    """One thread steps every model of a run: a structure whose step fails is reported by
    name and dropped; the other structures run to the end."""
    from simulation.core.model import FirmModel
    from simulation.ui import runner

    build_model = runner.build_model

    def build(config, structure, seed):
        model = build_model(config, structure, seed)
        if structure == "network":
            def failing_step():
                if model.step_index == 10:
                    raise FloatingPointError("test failure at step 10")
                FirmModel.step(model)
            model.step = failing_step
        return model

    monkeypatch.setattr(runner, "build_model", build)
    run = ThreadedRun(config_from_flat(None, **SMALL), ["hierarchy", "network", "podular"],
                      seed=2).start()
    assert run.wait(60)
    snapshot = run.snapshot()
    assert snapshot.state == "error"
    assert snapshot.error == "network: FloatingPointError: test failure at step 10"
    assert snapshot.done == {"hierarchy": 30, "network": 10, "podular": 30}


def test_a_question_answer_is_stale_once_the_form_changes():
    from simulation.ui.question import answer_is_stale

    asked = ("hierarchy", "podular", "a crisis", 5, 2000)
    assert not answer_is_stale(("hierarchy", "podular", "a crisis", 5, "2000"), asked)
    assert answer_is_stale(("hierarchy", "podular", "another", 5, "2000"), asked)
    assert answer_is_stale(("hierarchy", "podular", "a crisis", 6, "2000"), asked)
    assert answer_is_stale(("hierarchy", "podular", "a crisis", 5, "20x"), asked)
    assert not answer_is_stale(("hierarchy", "podular", "a crisis", 5, "2000"), None)


def _reached(run) -> list[int]:
    """Steps reached by every replicate of every structure, as published to the page."""
    return [len(frame) for frames in run.snapshot().replicate_frames.values()
            for frame in frames]


def test_pause_stops_every_worker_at_the_same_step_and_step_advances_each_by_one():
    """At full speed on two worker processes, Pause leaves every structure and replicate at
    one step (the slower worker catches up), and Step then advances each by exactly one. A
    Step (or two) pressed while the Pause still brings the workers together is applied once
    they stand at one step: the common step is the furthest step a worker answered to that
    Pause plus the Steps pressed, no more, no less."""
    # Far more steps than the runs make while the test looks: a share that reaches the end
    # before the Pause arrives ends the comparison ("finished", never "paused"), which is
    # how the earlier 400-step version of this test failed under load.
    steps = 5_000
    config = config_from_flat(customers=1_000, employees=40, steps=steps)
    run = ComparisonRun(config, ["hierarchy", "network", "podular"], seed=3, replicates=2,
                        workers=2)
    answers: list[tuple[int, int, int]] = []  # (share, command, step) of every "rest"
    rest = run._rest

    def record(index, command, step):
        answers.append((index, command, step))
        rest(index, command, step)

    run._rest = record
    run.start()

    def furthest_answer(command: int) -> int:
        steps_answered = [s for _, c, s in answers if c == command]
        assert len({i for i, c, _ in answers if c == command}) == 2, answers
        return max(steps_answered)

    try:
        deadline = time.time() + 120
        while min(_reached(run), default=0) < 20 and time.time() < deadline:
            time.sleep(0.05)
        run.pause()
        deadline = time.time() + 30
        while time.time() < deadline:
            time.sleep(0.3)
            reached = _reached(run)
            if run.snapshot().state == "paused" and len(set(reached)) == 1:
                break
        reached = _reached(run)
        assert len(set(reached)) == 1, f"paused at different steps: {reached}"
        assert reached[0] < steps
        run.step_once()
        deadline = time.time() + 30
        while time.time() < deadline and _reached(run) != [reached[0] + 1] * len(reached):
            time.sleep(0.1)
        time.sleep(1.0)  # nothing moves further
        assert _reached(run) == [reached[0] + 1] * len(reached), _reached(run)
        assert wait_for_state(run, "paused")
        # Play, then Pause and Step(s) at once (while the Pause still brings the workers
        # together): the Steps are applied once they stand at one step, to every run.
        before = reached[0] + 1
        for pressed in (1, 2):
            run.play()
            deadline = time.time() + 60
            while min(_reached(run)) < before + 20 and time.time() < deadline:
                time.sleep(0.05)
            run.pause()
            pause_command = run._command
            for _ in range(pressed):
                run.step_once()
            paused = wait_for_state(run, "paused", timeout=30)
            state = run.snapshot().state
            assert paused, f"state {state!r}, steps {_reached(run)}, answers {answers[-6:]}"
            again = _reached(run)
            assert len(set(again)) == 1 and before + 20 <= again[0] < steps, again
            assert again[0] == furthest_answer(pause_command) + pressed, (again, answers[-6:])
            time.sleep(1.0)
            assert _reached(run) == again and run.snapshot().state == "paused"
            run.step_once()
            assert wait_for_state(run, "paused", timeout=30)
            assert _reached(run) == [again[0] + 1] * len(again), _reached(run)
            before = again[0] + 1
    finally:
        run.stop()


def test_the_estimate_follows_the_speed_the_app_measured():
    """After timed comparisons the estimate is the uncalibrated work times the median probe
    ratio times the median probe-to-comparison factor of the last five, plus the start-up
    seconds."""
    from simulation.ui import summary

    config = config_from_flat(customers=20_000, steps=300)
    work = summary.work_seconds(config, 5, 5, cores=2)
    # 25 runs on 2 workers: the busier one steps 13 whole runs (a calm market: no redraws).
    assert work == pytest.approx(13 * (300 * (20_000 * 1.5e-7 + 200 * 4e-7) + 0.15))
    calibration = summary.SpeedCalibration()
    assert calibration.ratio == 1.0
    for measured in (12.0, 32.0, 22.0):  # ratios (m - 2) / 10: 1, 3, 2 (no probe: factor)
        calibration.observe(10.0, measured)
    assert calibration.ratio == pytest.approx(2.0)
    for _ in range(5):
        calibration.observe(10.0, 42.0)  # ratio 4: the older ones drop out
    assert calibration.ratio == pytest.approx(4.0)
    original = summary.SPEED
    try:
        summary.SPEED = calibration
        assert summary.estimate_seconds(config, 5, 5, cores=2) == pytest.approx(
            4.0 * work + summary.START_SECONDS)
    finally:
        summary.SPEED = original


def test_comparisons_are_kept_as_their_ratio_to_the_probes_of_their_time():
    """A probe measures the machine's speed now; a timed comparison, what comparisons cost
    beyond the probe. A first estimate is the probe's; after a comparison 1.5 times the
    probe's ratio, estimates are 1.5 times the probe's; a later probe twice as slow (more
    load) doubles them."""
    from simulation.ui import summary

    calibration = summary.SpeedCalibration()
    calibration.observe_probe(10.0, 8.0)  # ratio 0.8
    assert calibration.ratio == pytest.approx(0.8)
    calibration.observe(10.0, 10.0 * 0.8 * 1.5 + summary.START_SECONDS)
    assert calibration.factor == pytest.approx(1.5)
    assert calibration.ratio == pytest.approx(1.2)
    for _ in range(5):
        calibration.observe_probe(10.0, 16.0)  # the machine got twice as slow
    assert calibration.ratio == pytest.approx(1.6 * 1.5)


def test_expected_redraws_count_the_turbulence_windows():
    """Every step of a turbulence window re-searches each live segment whose landscape
    moved: probability 1 - (1 - rate)^attributes per window and step."""
    from simulation.ui import summary

    calm = config_from_flat(steps=300)
    assert summary.expected_redraws(calm) == 0.0
    assert summary.work_seconds(calm, 1, 1, cores=1) == pytest.approx(
        300 * (calm.customers.count * 1.5e-7 + calm.firm.employees * 4e-7)
        + 0.15 * calm.customers.count / 20_000)
    restless = config_from_flat(steps=350, turbulence=0.01, shocks=[
        {"kind": "turbulence", "step": 150, "strength": 0.04, "duration": 0},
        {"kind": "turbulence", "step": 300, "strength": 0.1, "duration": 20},
        {"kind": "new_segment", "step": 200, "strength": 0.25}])
    n, segments = restless.market.attributes, restless.market.segments

    def moved(rate):
        return 1 - (1 - rate) ** n

    expected = (moved(0.01) * (200 * segments + 150 * (segments + 1))
                + moved(0.04) * (50 * segments + 150 * (segments + 1))
                + moved(0.1) * 20 * (segments + 1))
    assert summary.expected_redraws(restless) == pytest.approx(expected)
    assert summary.redraw_seconds(restless.market) > 0
    assert summary.work_seconds(restless, 1, 1, cores=1) == pytest.approx(
        summary.work_seconds(restless.model_copy(update={"shocks": []}).model_copy(
            update={"market": restless.market.model_copy(update={"turbulence": 0.0})}),
            1, 1, cores=1)
        + expected * summary.redraw_seconds(restless.market))


def test_expected_redraws_match_the_searches_a_run_makes(monkeypatch):
    """The estimate's count of optimum searches against the searches real runs make (the
    market's ``refresh_optimum`` counted), over four seeds: within 10%."""
    from simulation.core.market import Market
    from simulation.execution.runs import run_model
    from simulation.ui import summary

    config = config_from_flat(customers=300, employees=20, steps=150, turbulence=0.02,
                              shocks=[{"kind": "turbulence", "step": 60, "strength": 0.05,
                                       "duration": 50}])
    searches = []
    refresh = Market.refresh_optimum

    def counted(self, segment):
        searches.append(segment)
        refresh(self, segment)

    monkeypatch.setattr(Market, "refresh_optimum", counted)
    seeds = 4
    for seed in range(seeds):
        run_model(config, "hierarchy", run_seed(seed, 0))
    at_build = seeds * config.market.segments  # each model searches every segment once
    made = (len(searches) - at_build) / seeds
    assert made == pytest.approx(summary.expected_redraws(config), rel=0.10), made
