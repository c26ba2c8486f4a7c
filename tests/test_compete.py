"""Several firms in one market (simulation/core/competition.py, issue 23).

The checks that make competition honest: the market kernel equals its plain twin
(tests/naive.py) and, with one firm, the single-firm kernel; a market of one firm is
FirmModel bit for bit; customers are conserved every step; where a firm stands in the list
changes nothing; two identical firms split the market evenly over paired replicates; the
numbers do not depend on the worker count; bad input is refused in one line naming the field.
"""

import itertools

import naive
import numpy as np
import pandas as pd
import pytest

from simulation.config.schema import config_from_flat, validate_model_config
from simulation.core.competition import NO_FIRM, MarketModel
from simulation.core.model import FirmModel
from simulation.errors import ConfigError
from simulation.execution.competition import head_to_head, market_config, run_markets
from simulation.kernels import competition as kc
from simulation.kernels import contagion
from simulation.kernels import customers as ck

SMALL = dict(customers=600, employees=30, customer_degree=6, steps=30)


def small_config(firms, shocks=(), **overrides):
    settings = {**SMALL, **overrides}
    return market_config(config_from_flat(**settings), list(firms), list(shocks))


# ----------------------------------------------------------------------------- the kernel
def market_arguments(seed, firms=3, customers=15, segments=3, edges=30, absent=(),
                     reconsider_rate=0.4, imitation=0.38, threshold=None, talk_rate=0.3):
    """All arguments of ``market_customer_step`` for a small random world."""
    rng = np.random.default_rng(seed)
    c, f = customers, firms
    indptr, indices = contagion_csr(rng, c, edges)
    rows = np.repeat(np.arange(c), np.diff(indptr))
    strong = ((np.minimum(rows, indices) + np.maximum(rows, indices)) % 3 != 0).astype(np.uint8)
    tie_weight = np.empty(c)
    contagion.tie_weight_sums(indptr, strong, 0.25, tie_weight)
    present = np.ones(f, np.uint8)
    present[list(absent)] = 0
    active = (rng.random(c) < 0.85).astype(np.uint8)
    current = np.where(active == 1, rng.integers(-1, f, c), -1).astype(np.int64)
    buying = np.zeros((f, c), np.uint8)
    for g in range(f):
        buying[g] = current == g
    thresholds = rng.random(c) * 0.5 if threshold is None else np.full(c, float(threshold))
    talk, choice = rng.random(c), rng.random(c)
    talk[0] = choice[0] = 0.0
    sparse = (rng.random((f, c)) < 0.3)
    return (
        present, current, buying, active, rng.integers(0, min(segments, 3), c),
        rng.normal(0, 0.1, c), rng.random((f, c)), rng.random((f, c)), np.zeros((f, c)),
        thresholds, np.zeros((f, c)), np.zeros((f, c), np.int8), indptr, indices, strong, 0.25,
        tie_weight, rng.random((f, c)) * 2, rng.integers(0, 3, (f, c)).astype(float), 0.05,
        rng.random((f, c)) * sparse, rng.random((f, c)) * sparse,
        rng.integers(0, 3, (f, c)) * sparse.astype(float), np.full((f, c, 4), 9.0),
        rng.random((f, segments)), 0.45, talk, choice,
        rng.standard_normal(c), 0.1, 0.3, talk_rate, 1.0, 2.0, 0.4, imitation, 6.0,
        reconsider_rate, np.zeros((f, segments), np.int64), np.zeros(segments, np.int64),
        np.zeros((f, segments)), np.zeros((f, segments)), np.zeros(f, np.int64),
        np.zeros((f + 1, f + 1), np.int64), *np.full((2, f, c), 9.0),
    )


def contagion_csr(rng, nodes, edges):
    from simulation.core.networks import csr_from_edges

    return csr_from_edges(nodes, rng.integers(0, nodes, edges), rng.integers(0, nodes, edges))


MARKET_CASES = [
    {},
    {"firms": 1},
    {"firms": 2, "absent": (0,)},           # customers of a firm that left choose afresh
    {"firms": 4, "absent": (1, 3)},
    {"threshold": 0.0},                      # every buyer reconsiders at once
    {"reconsider_rate": 1.0, "imitation": 0.9},  # hazards above 1: scaled down together
    # Hazards well above 1 for many non-buyers: the scaling decides who buys from whom.
    {"reconsider_rate": 1.0, "imitation": 6.0, "customers": 60, "edges": 240},
    {"reconsider_rate": 0.0, "talk_rate": 0.0},
    {"customers": 1},
    {"firms": 3, "absent": (0, 1, 2)},      # no firm in the market
]


@pytest.mark.parametrize(("case", "seed"),
                         list(itertools.product(range(len(MARKET_CASES)), range(3))))
def test_market_kernel_equals_its_twin(case, seed):
    """Kernel, its py_func and the plain twin agree exactly on small random worlds (every
    array but the kernel's hearing scratch, which the twin does not use)."""
    args = market_arguments(seed, **MARKET_CASES[case])
    arrays = [k for k, a in enumerate(args) if isinstance(a, np.ndarray)]
    scratch = {arrays.index(23)}  # heard
    scratch |= {len(arrays) - 2, len(arrays) - 1}  # the choice's weight and against
    results = naive.run_three_ways(kc.market_customer_step, naive.market_customer_step, *args)
    want = [a for k, a in enumerate(results["reference"][1]) if k not in scratch]
    for name in ("kernel", "py_func"):
        got = [a for k, a in enumerate(results[name][1]) if k not in scratch]
        naive.assert_same(want, got, f"market_customer_step {name}")
    assert want[1].shape[0] > 0


@pytest.mark.parametrize("seed", range(4))
def test_market_kernel_with_one_firm_is_the_single_firm_kernel(seed):
    """With one firm the market step is the single-firm customer step, bit for bit."""
    args = market_arguments(seed, firms=1, customers=40, edges=120)
    (present, current, buying, active, segment, taste, belief, satisfaction, sentiment,
     threshold, opinion, voice, indptr, indices, strong, weak, tie_weight, media_sum,
     media_count, influence, media_pos, media_neg, firm_voices, _heard,
     value, outside, talk, choice, experience, *rest) = args
    heard = np.full((current.shape[0], 4), 9.0)  # the single kernel's hearing rows
    parameters, (buyers, active_count, sat_sum, sent_sum, defections) = rest[:9], rest[9:14]
    single = [a.copy() if isinstance(a, np.ndarray) else a for a in (
        active, buying[0], segment, taste, belief[0], satisfaction[0], sentiment[0],
        threshold, opinion[0], voice[0], indptr, indices, strong, weak, tie_weight,
        media_sum[0], media_count[0], influence, media_pos[0], media_neg[0], firm_voices[0],
        heard, value[0], outside, talk, choice, experience, *parameters,
        buyers[0], active_count, sat_sum[0], sent_sum[0])]
    cascade = ck.customer_step(*single)
    kc.market_customer_step(*args)
    for got, want in ((buying[0], single[1]), (belief[0], single[4]),
                      (satisfaction[0], single[5]), (sentiment[0], single[6]),
                      (voice[0], single[9]), (buyers[0], single[-4]),
                      (sent_sum[0], single[-1]), (sat_sum[0], single[-2])):
        np.testing.assert_array_equal(got, want)
    assert defections[0] == cascade


# ----------------------------------------------------------------------------- the model
SHOCKS = [{"kind": "turbulence", "step": 3, "strength": 0.05},
          {"kind": "reputation_crisis", "step": 8, "strength": 0.4, "share": 0.3},
          {"kind": "talent_loss", "step": 10, "strength": 0.2, "target": "managers"},
          {"kind": "need_shift", "step": 12},
          {"kind": "new_segment", "step": 14, "count": 150},
          {"kind": "competitor_entry", "step": 16, "strength": 0.1}]


@pytest.mark.parametrize("structure", ["hierarchy", "podular", "open"])
def test_one_firm_is_firm_model_bit_for_bit(structure):
    """A market of one firm gives FirmModel's numbers exactly (same seed, every shock)."""
    cfg = config_from_flat(structure=structure, **SMALL, shocks=SHOCKS)
    single = FirmModel(structure=structure, rng=7, config=cfg).run().metrics()
    market = MarketModel(cfg, rng=7).run().metrics()
    assert set(market["firm"]) == {structure}
    pd.testing.assert_frame_equal(single, market.drop(columns=["firm", "structure"]),
                                  check_exact=True)
    named = market_config(cfg.model_copy(update={"structure": "hierarchy"}), [structure])
    listed = MarketModel(named, rng=7).run().metrics()
    pd.testing.assert_frame_equal(single, listed.drop(columns=["firm", "structure"]),
                                  check_exact=True)


def test_customers_are_conserved_every_step():
    """Buyers of all firms + non-buyers = active customers at every step, through entry,
    exit, firm-aimed shocks and arrivals; shares and the outside option sum to one."""
    cfg = small_config(
        ["hierarchy", {"name": "pods", "structure": "podular", "enters_at": 5},
         {"name": "net", "structure": "network", "exits": True, "exit_below": 0.0,
          "exit_fixed_cost": 150.0}],
        shocks=[{"kind": "talent_loss", "step": 6, "strength": 0.3, "firm": "hierarchy"},
                {"kind": "reputation_crisis", "step": 9, "firm": "pods"},
                {"kind": "new_segment", "step": 11, "count": 100}])
    model = MarketModel(cfg, rng=3)
    for _ in range(cfg.steps):
        model.step()
        assert model.conserved()
    shares = model.shares()
    sums = shares.groupby("step")["market_share"].sum()
    np.testing.assert_allclose(sums, 1.0, atol=1e-12)
    frame = model.metrics()
    pods = frame[frame["firm"] == "pods"]
    assert (pods["customers_buying"].iloc[:5] == 0).all()
    assert pods["customers_buying"].iloc[6:].sum() > 0
    assert model.by_name["net"].exited_at is not None  # its stand-in standing fell below 0
    net = frame[frame["firm"] == "net"]
    assert (net["customers_buying"].iloc[model.by_name["net"].exited_at + 1:] == 0).all()
    flows = model.flows()
    assert set(flows["from"]) <= {NO_FIRM, "hierarchy", "pods", "net"}


def test_firm_order_changes_nothing():
    """Swapping the firms' order in the scenario gives the same numbers per firm."""
    a = [{"name": "alpha", "structure": "podular"}, {"name": "beta", "structure": "hierarchy"}]
    shocks = [{"kind": "talent_loss", "step": 5, "firm": "beta"}]
    one = MarketModel(small_config(a, shocks), rng=11).run().metrics()
    two = MarketModel(small_config(a[::-1], shocks), rng=11).run().metrics()
    key = ["firm", "step"]
    pd.testing.assert_frame_equal(one.sort_values(key, ignore_index=True),
                                  two.sort_values(key, ignore_index=True), check_exact=True)


@pytest.mark.parametrize(("sense_rate", "replicates", "widest"),
                         [(0.0, 16, 0.03), (0.2, 64, 0.15)])
def test_identical_firms_split_the_market_evenly(sense_rate, replicates, widest):
    """Two firms of one structure: the paired difference of their final shares has a 95%
    interval containing 0 and narrower than ``widest``. With products held still
    (sense_rate 0) only the customers' choice separates them and 16 replicates give a narrow
    interval: a planted 1.3x adoption bias toward the first firm gives +0.018 [+0.004,
    +0.031] and fails here. Firms that adapt drift apart (first-mover lock-in through word of
    mouth), so their interval is wide and needs 64 replicates to be narrow. Over 20 seed
    blocks (seed 5 and 10,000 b + 5, session 6): still, 20 of 20 contain 0, widths 0.008 to
    0.029; adapting at 64 replicates, 20 of 20 contain 0, widths 0.085 to 0.120 (at 16 they
    were 0.16 to 0.27, under 0.2 in only 7 of 20: the old bound held on its seed's luck)."""
    cfg = small_config([{"name": "a", "structure": "hierarchy"},
                        {"name": "b", "structure": "hierarchy"}], steps=40,
                       sense_rate=sense_rate)
    tables = run_markets(cfg, replicates=replicates, seed=5, workers=1)
    pair = head_to_head(tables.shares, window=10).iloc[0]
    assert pair["low"] <= 0.0 <= pair["high"], pair
    assert pair["high"] - pair["low"] < widest, pair
    finals = tables.shares[tables.shares["step"] == 39]
    assert finals[finals["firm"] == "a"]["market_share"].mean() > 0.1


def test_numbers_do_not_depend_on_worker_count():
    cfg = small_config(["hierarchy", "network"], steps=15)
    one = run_markets(cfg, replicates=2, seed=9, workers=1)
    two = run_markets(cfg, replicates=2, seed=9, workers=2)
    for a, b in zip(one, two, strict=True):
        pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_shocks_aimed_at_one_firm():
    """talent_loss and reputation_crisis with ``firm`` hit that firm only; a named
    competitor_entry brings the firm in without raising the outside option."""
    cfg = small_config(
        ["hierarchy", "podular", {"name": "late", "structure": "network"}],
        shocks=[{"kind": "talent_loss", "step": 4, "strength": 0.5, "firm": "podular"},
                {"kind": "reputation_crisis", "step": 6, "strength": 0.8, "firm": "hierarchy"},
                {"kind": "competitor_entry", "step": 8, "firm": "late"}], steps=12)
    frame = MarketModel(cfg, rng=2).run().metrics().set_index(["firm", "step"])
    staff = frame["employees_active"]
    assert staff["podular", 4] < staff["podular", 3] and staff["hierarchy", 4] == 30
    media = frame["stance_media"]
    assert media["hierarchy", 6] < -0.5 < media["podular", 6]
    assert frame.loc["late", "customers_buying"].iloc[:8].sum() == 0
    assert frame.loc["late", "customers_buying"].iloc[8:].sum() > 0
    assert (frame["outside_option"] == cfg.market.outside_option).all()


# ----------------------------------------------------------------------------- bad input
BAD = [
    ({"firms": ["hierarchy", "hierarchy"]}, "firms[1].name='hierarchy': two firms"),
    ({"firms": ["hierarchy", {"name": "x", "structure": "podulr"}]},
     "firms[1].structure='podulr': allowed values are"),
    ({"steps": 50, "firms": [{"name": "x", "structure": "podular", "enters_at": 50}]},
     "firms[0].enters_at=50: must be before the last step (0 to 49)"),
    ({"firms": ["hierarchy", "podular"],
      "shocks": [{"kind": "talent_loss", "step": 3, "firm": "network"}]},
     "shocks[0].firm='network': allowed values are hierarchy, podular"),
    ({"shocks": [{"kind": "reputation_crisis", "step": 3, "firm": "x"}]},
     "shocks[0].firm='x': allowed values are none"),
    ({"firms": [{"name": f"f{i}", "structure": "network"} for i in range(17)]},
     "firms: at most 16 firms"),
    ({"firms": [{"name": "x", "structure": "podular", "firm": {"employes": 5}}]},
     "unknown key 'firms[0].firm.employes'"),
]


@pytest.mark.parametrize(("data", "message"), BAD)
def test_bad_input_is_one_line_naming_the_field(data, message):
    with pytest.raises(ConfigError) as error:
        validate_model_config(data)
    assert str(error.value).startswith(message), str(error.value)
    assert "\n" not in str(error.value)


def test_compete_command_writes_tables_picture_and_reading(tmp_path):
    from simulation.commands.cli import main

    out = tmp_path / "out"
    status = main(["compete", "hierarchy", "pods=podular@5", "--replicates", "2", "--steps",
                   "20", "--set", "customers.count=400", "--set", "firm.employees=20",
                   "--window", "5", "--workers", "1", "--out", str(out)])
    assert status == 0
    for name in ("metrics.parquet", "shares.csv", "head_to_head.csv", "flows.csv",
                 "resilience.parquet", "shares.png", "reading.txt", "entries.csv"):
        assert (out / name).exists(), name
    text = (out / "reading.txt").read_text()
    assert "hierarchy - pods" in text and "Final shares" in text
    assert main(["compete", "hierarchy", "hier archy"]) == 2


def test_compete_page_runs_live_and_reads():
    """The app's Compete page: shares published every few steps with every replicate, the
    numbers of the command's seeds, and the reading at the end; bad input in one line."""
    from simulation.config.seeds import run_seed
    from simulation.ui.compete_page import compete_config, final_reading, run_live

    config = compete_config(["hierarchy", "podular"], [20, 20], [0, 4], customers=400,
                            steps=12, turbulence=0.05, crisis_firm="hierarchy", crisis_step=6)
    seen = []
    models = run_live(config, 2, 1, lambda shares, t: seen.append((t, shares)))
    assert [t for t, _ in seen] == [10, 12]
    assert set(seen[-1][1]["replicate"]) == {0, 1}
    alone = MarketModel(config, rng=run_seed(1, 1)).run().metrics()
    pd.testing.assert_frame_equal(models[1].metrics(), alone, check_exact=True)
    assert "Final shares" in final_reading(config, models)
    with pytest.raises(ConfigError, match="firms"):
        compete_config(["hierarchy", "podular"], [20, 1], [0, 0], 400, 12, 0.0)


def test_compete_page_renders_with_its_run_button():
    import ipyvuetify as v
    import solara

    from simulation.ui.compete_page import CompetePage

    _, rc = solara.render(CompetePage(), handle_error=False)
    rc.find(v.Btn, children=["Run"]).assert_single()
