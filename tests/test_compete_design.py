"""Competing firms as a design factor (issue 23): ``firmsim run`` of a scenario with
``firms``, a sweep whose factor ``firms`` varies who competes with whom, and ``firmsim
analyze`` reading the per-firm rows.

Every check compares against a market run directly (:class:`MarketModel` on the run's seed),
so a wrong seed, a firm's row filled from another firm or a lost firm fails it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulation.commands.cli import main
from simulation.config.seeds import run_seed
from simulation.core.competition import MarketModel
from simulation.sweep.spec import load_experiment, point_config
from simulation.sweep.storage import read_table

TINY = ('set = ["customers.count=300", "customers.degree=4", "firm.employees=20", '
        '"steps=36", "shocks.0.step=18", "market.attributes=10"]')

LINEUPS = f"""
name = "tiny-lineups"
scenario = "need-shift"
{TINY}
replicates = 2
seed = 5

[[parameters]]
path = "firms"
levels = [["hierarchy", "podular"], ["hierarchy", "network"]]

[[parameters]]
path = "market.turbulence"
levels = [0.0, 0.1]
"""


def write(folder: Path, text: str) -> Path:
    path = Path(folder) / "experiment.toml"
    path.write_text(text)
    return path


def sweep(path: Path, out: Path, *options: str) -> int:
    return main(["sweep", str(path), "--out", str(out), "--no-progress", *options])


@pytest.fixture(scope="module")
def lineup_sweep(tmp_path_factory):
    """The line-up sweep run once with one worker in batches of 1, once with two in 3."""
    folder = tmp_path_factory.mktemp("lineups")
    path = write(folder, LINEUPS)
    assert sweep(path, folder / "a", "--workers", "1", "--batch-size", "1") == 0
    assert sweep(path, folder / "b", "--workers", "2", "--batch-size", "3") == 0
    return path, folder


def test_sweep_over_lineups_has_one_row_per_firm_and_market(lineup_sweep):
    path, folder = lineup_sweep
    runs = read_table(folder / "a", "runs")
    # 4 points x 2 replicates markets, 2 firms each; names hierarchy, podular, network.
    assert len(runs) == 16 and runs["run"].is_unique
    assert set(runs["structure"]) == {"hierarchy", "podular", "network"}
    for label, group in runs.groupby("firms"):
        assert set(group["structure"]) == set(label.split("+"))
        assert group.groupby(["point", "replicate"]).size().eq(2).all()
    manifest = json.loads((folder / "a" / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["runs_done"] == 16
    assert manifest["design"]["structures"] == ["hierarchy", "podular", "network"]


def test_sweep_rows_are_the_market_run_directly(lineup_sweep):
    """A firm's row = that firm in MarketModel(point's config, run_seed(root, rep, point))."""
    path, folder = lineup_sweep
    runs = read_table(folder / "a", "runs")
    resolved = load_experiment(path)
    for point, values in ((1, ["hierarchy+podular", 0.1]), (2, ["hierarchy+network", 0.0])):
        config = point_config(resolved.base, ["firms", "market.turbulence"], values)
        model = MarketModel(config, rng=run_seed(5, 1, point)).run()
        metrics = model.metrics()
        shocks = model.resilience("market_share")
        for name in values[0].split("+"):
            row = runs[(runs["point"] == point) & (runs["replicate"] == 1)
                       & (runs["structure"] == name)].iloc[0]
            mine = metrics[metrics["firm"] == name]
            assert row["final_market_share"] == mine["market_share"].iloc[-1]
            assert row["mean_fitness"] == pytest.approx(mine["fitness"].iloc[18:].mean(),
                                                        rel=1e-12)
            assert row["s0_depth"] == shocks[shocks["firm"] == name]["depth"].iloc[0]
            assert row["firms"] == values[0] and row["turbulence"] == values[1]


def test_sweep_over_lineups_does_not_depend_on_workers(lineup_sweep):
    _, folder = lineup_sweep
    for table in ("runs", "timeseries"):
        pd.testing.assert_frame_equal(read_table(folder / "a", table),
                                      read_table(folder / "b", table), check_exact=True)


def test_analyze_ranks_the_firms_of_each_lineup(lineup_sweep, capsys):
    """The winner table of a line-up sweep ranks the firms that competed in each cell (and
    only those), on the per-firm rows."""
    _, folder = lineup_sweep
    assert main(["analyze", str(folder / "a"), "--x", "turbulence", "--y", "firms",
                 "--winner-metric", "mean_market_share"]) == 0
    capsys.readouterr()
    winners = pd.read_csv(folder / "a" / "analysis" / "winners.csv")
    runs = read_table(folder / "a", "runs")
    assert len(winners) == 4
    for _, cell in winners.iterrows():
        group = runs[(runs["firms"] == cell["firms"])
                     & np.isclose(runs["turbulence"], cell["turbulence"])]
        means = group.groupby("structure")["mean_market_share"].mean()
        assert cell["best"] == means.idxmax()
        absent = {"podular", "network"} - set(cell["firms"].split("+"))
        assert all(np.isnan(cell[f"mean_{name}"]) for name in absent)


def test_sweep_on_a_market_scenario_and_resume(tmp_path):
    """A base scenario with firms (no firms factor) runs markets; a resumed sweep runs
    nothing again."""
    text = LINEUPS.replace('path = "firms"\nlevels = [["hierarchy", "podular"], '
                           '["hierarchy", "network"]]',
                           'path = "market.cross_module_share"\nlevels = [0.2, 0.8]')
    text = text.replace('"market.attributes=10"]', '"market.attributes=10", '
                        '"firms=[\\"podular\\", \\"open\\"]"]')
    path = write(tmp_path, text)
    assert sweep(path, tmp_path / "out", "--workers", "1") == 0
    runs = read_table(tmp_path / "out", "runs")
    assert len(runs) == 4 * 2 * 2 and set(runs["structure"]) == {"podular", "open"}
    before = read_table(tmp_path / "out", "runs")
    assert sweep(path, tmp_path / "out", "--workers", "1") == 0
    pd.testing.assert_frame_equal(before, read_table(tmp_path / "out", "runs"))


@pytest.mark.parametrize("change,message", [
    (('levels = [["hierarchy", "podular"], ["hierarchy", "network"]]',
      'levels = [["hierarchy", "podulr"], ["hierarchy", "network"]]'),
     "did you mean 'podular'"),
    (('levels = [["hierarchy", "podular"], ["hierarchy", "network"]]',
      'levels = [["hierarchy", "podular"], ["hierarchy", "podular"]]'), "repeat a value"),
    (('levels = [["hierarchy", "podular"], ["hierarchy", "network"]]',
      'levels = ["hierarchy", ["hierarchy", "network"]]'), "a line-up is a list of firms"),
    (('levels = [["hierarchy", "podular"], ["hierarchy", "network"]]',
      'levels = [["hierarchy", "hierarchy"], ["hierarchy", "network"]]'), None),
    (('levels = [["hierarchy", "podular"], ["hierarchy", "network"]]',
      'levels = [["h=hierarchy", "h=podular"]]'), "same name"),
    (('levels = [["hierarchy", "podular"], ["hierarchy", "network"]]',
      'levels = [["hierarchy", "podular@99"]]'), "enters_at=99"),
    (("seed = 5", 'seed = 5\nstructures = ["hierarchy"]'), "remove structures"),
    (('levels = [["hierarchy", "podular"], ["hierarchy", "network"]]',
      "low = 0\nhigh = 1"), "a grid needs levels"),
])
def test_bad_lineup_is_one_line(tmp_path, capsys, change, message):
    """A bad line-up: one line naming the factor and the level; two unnamed firms of one
    structure are fine (named hierarchy, hierarchy-2, as in firmsim compete)."""
    path = write(tmp_path, LINEUPS.replace(*change))
    if message is None:
        resolved = load_experiment(path)
        assert resolved.lineups()[0] == ["hierarchy", "hierarchy-2"]
        return
    assert sweep(path, tmp_path / "out") == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err and "firms" in err, err
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------------------- firmsim run
RUN = ["demo", "--set", "steps=30", "--set", "customers.count=300", "--set",
       "customers.degree=4", "--set", "firm.employees=20", "--set", "shocks.0.step=15",
       "--set", 'firms=["podular", {name="boss", structure="hierarchy"}]',
       "--replicates", "2", "--seed", "3", "--no-progress"]


def test_run_of_a_market_scenario_compares_its_firms(tmp_path, capsys):
    """``firmsim run`` of a scenario with firms: one market per replicate, each firm a
    compared 'structure' (paired within the market); 1 or 2 workers, the same tables."""
    for workers in ("1", "2"):
        assert main(["run", *RUN, "--workers", workers, "--out", str(tmp_path / workers)]) == 0
    out = capsys.readouterr().out
    assert "against podular" in out
    one = pd.read_parquet(tmp_path / "1" / "timeseries.parquet")
    two = pd.read_parquet(tmp_path / "2" / "timeseries.parquet")
    pd.testing.assert_frame_equal(one, two, check_exact=True)
    assert list(one["structure"].unique()) == ["podular", "boss"]
    summary = pd.read_csv(tmp_path / "1" / "summary.csv")
    assert list(summary["structure"]) == ["podular", "boss"]

    from simulation.api import load_scenario

    scenario = load_scenario("demo", set=RUN[2:14:2])
    model = MarketModel(scenario.model_config_only(), rng=run_seed(3, 1)).run()
    metrics = model.metrics()
    direct = metrics[metrics["firm"] == "boss"]["market_share"].to_numpy()
    mine = one[(one["structure"] == "boss") & (one["replicate"] == 1)]
    np.testing.assert_array_equal(mine["market_share"].to_numpy(), direct)
    manifest = json.loads((tmp_path / "1" / "manifest.json").read_text())
    assert manifest["scenario"]["firms"][1]["name"] == "boss"


# ---------------------------------------------------------------------------- clipped bands
def _shares(values: dict[str, list[float]], steps: int = 3) -> pd.DataFrame:
    """A shares table: each firm's share per replicate, the same at every step."""
    rows = [{"replicate": r, "step": t, "firm": firm, "market_share": share}
            for firm, shares in values.items() for r, share in enumerate(shares)
            for t in range(steps)]
    return pd.DataFrame(rows)


def test_share_intervals_are_clipped_to_0_1_and_marked():
    """A firm near 0 (and the outside option near 1): its t-interval reaches past 0 (1);
    bands, the reading and the picture clip it and say so; other rows keep their interval."""
    import matplotlib.pyplot as plt

    from simulation.analysis.compete_report import share_figure
    from simulation.analysis.statistics import band
    from simulation.core.competition import NO_FIRM
    from simulation.execution.competition import MarketTables, reading, share_bands

    shares = _shares({"tiny": [0.0, 0.0, 0.03], "big": [0.4, 0.5, 0.45],
                      NO_FIRM: [0.6, 0.5, 0.52]})
    raw = band(shares, "market_share", by="firm")
    bands = share_bands(shares)
    assert (raw[raw["firm"] == "tiny"]["low"] < 0).all()  # the case is real
    tiny = bands[bands["firm"] == "tiny"]
    assert (tiny["low"] == 0).all() and tiny["clipped"].all()
    assert (bands["low"] >= 0).all() and (bands["high"] <= 1).all()
    kept = bands[~bands["clipped"]]
    pd.testing.assert_frame_equal(kept.drop(columns="clipped"),
                                  raw[~bands["clipped"].to_numpy()], check_exact=True)
    tables = MarketTables(None, shares, pd.DataFrame(columns=["step", "from", "to",
                                                              "customers"]), None, None)
    text = reading(tables, window=2)
    assert "tiny 0.010 [0 (clipped), " in text and "big 0.450 [0." in text
    figure = share_figure(bands, {"tiny": "hierarchy", "big": "podular"})
    assert "clipped to [0, 1]" in figure.axes[0].get_title()
    plt.close(figure)
    high = share_bands(_shares({"all": [0.99, 1.0, 1.0], NO_FIRM: [0.01, 0.0, 0.0]}))
    assert (high[high["firm"] == "all"]["high"] == 1).all() and high["clipped"].all()


# ---------------------------------------------------------------------------- share links
def test_compete_page_link_round_trip_and_bad_links():
    """The Compete page's address code gives back its inputs (and the market they make);
    a damaged code or a wrong field is one line naming it."""
    from simulation.errors import ConfigError
    from simulation.ui.compete_page import (
        PARAMETER,
        code_in,
        compete_config,
        decode_inputs,
        encode_inputs,
    )

    inputs = {"count": 3, "structures": ["hierarchy", "podular", "open", "network"],
              "sizes": [50, 60, 70, 80], "enters": [0, 0, 30, 0], "customers": 900,
              "steps": 80, "replicates": 4, "turbulence": 0.05, "crisis": "podular",
              "crisis_step": 40}
    code = encode_inputs(inputs)
    assert code_in(f"x=1&{PARAMETER}={code}") == code and code_in("x=1") is None
    back = decode_inputs(code)
    assert back == inputs
    config = compete_config(back["structures"][:3], back["sizes"][:3], back["enters"][:3],
                            back["customers"], back["steps"], back["turbulence"],
                            back["crisis"], back["crisis_step"])
    assert [f.name for f in config.firms] == ["hierarchy", "podular", "open"]
    assert [f.enters_at for f in config.firms] == [0, 0, 30]
    for change, message in ((("count", 9), "count=9"),
                            (("structures", ["hierarchy", "podulr", "open", "network"]),
                             "structures[1]='podulr'"),
                            (("replicates", "many"), "replicates='many'"),
                            (("steps", 20), "shocks[0].step=40")):
        bad = {**inputs, change[0]: change[1]}
        with pytest.raises(ConfigError, match=re.escape(message)) as error:
            decode_inputs(encode_inputs(bad))
        assert "\n" not in str(error.value)
    with pytest.raises(ConfigError, match="damaged market"):
        decode_inputs(code[:-7] + "!!")
