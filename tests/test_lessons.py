"""Every claim of a teach card holds on the runs its page makes.

The Teach page opens a card's preset in Compare; the runs checked here are made exactly as
that page makes them: the editor's form as the preset loads (:func:`simulation.ui.state.
load_form`: full size, the app's default paired replicates, the preset's seed), run by the
page's runner (:class:`simulation.ui.runner.ComparisonRun`), every structure the page shows
(the largest visible effect is judged on the whole page). A claim holds when the 95%
t-interval of its paired differences (or of its after-minus-before differences) over those
replicates lies on the claimed side of 0. A claim the runs do not support is rewritten in
:mod:`simulation.ui.teach`, never loosened here; every claim's sentence is on the card, word
for word. Each card also names its page's largest visible effect (:func:`visible_effects`),
and every claim's rate over independent seed blocks is recorded in docs/testing.md (read by
the last test).
"""

import itertools
import re
from dataclasses import replace
from functools import partial
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from simulation.analysis.statistics import t_interval
from simulation.ui import state
from simulation.ui.form import validate_form
from simulation.ui.runner import ComparisonRun
from simulation.ui.teach import LESSONS, Claim

CHECKED = [name for name, lesson in LESSONS.items() if lesson.claims]
_RUNS: dict = {}


def page_runs(name: str):
    """The preset's scenario as the page loads it, and the finished run of every structure
    the page shows, made as the page makes it (cached per card: the module's tests share
    it)."""
    key = name
    if key not in _RUNS:
        form, message = state.load_form(name)
        assert message is None, message
        scenario = validate_form(form).scenario
        assert scenario.replicates == LESSONS[name].page_replicates
        run = ComparisonRun(scenario.model_config_only(), list(scenario.structures),
                            seed=scenario.seed, metric=scenario.resilience_metric,
                            replicates=scenario.replicates).start()
        assert run.wait(1800), f"{name}: the page's runs did not finish"
        snapshot = run.snapshot()
        assert snapshot.error is None, snapshot.error
        _RUNS[key] = scenario, snapshot.long_table(), run
    return _RUNS[key]


def differences(claim, scenario, long):
    """Per replicate: ``structure`` minus ``other`` over the claim's steps, or after minus
    before the claim's shock."""
    def shock():
        return scenario.shocks[claim.shock].step

    def series(structure):
        part = long[long["structure"] == structure]
        return [frame.set_index("step")[claim.metric] for _, frame in part.groupby("replicate")]

    if claim.other is None:
        step = shock()
        return [s.loc[step:step + claim.window - 1].mean()
                - s.loc[step - claim.window:step - 1].mean() for s in series(claim.structure)]
    start = shock() if claim.start is None else claim.start
    end = scenario.steps if claim.end is None else claim.end
    return [mine.loc[start:end - 1].mean() - theirs.loc[start:end - 1].mean()
            for mine, theirs in zip(series(claim.structure), series(claim.other),
                                    strict=True)]


def claimed_structures(lesson) -> set[str]:
    return {c.structure for c in lesson.claims} | {c.other for c in lesson.claims if c.other}


def holds(claim, values) -> bool:
    """The claim's rule on its paired differences: the 95% t-interval on the claimed side of
    0."""
    _, low, high = t_interval(values)
    return bool(low > 0 if claim.higher else high < 0)


#: Charts whose axis is fixed by what the metric can take, so a gap on one is comparable with
#: a gap on another: its size in units of the axis. (Profit, decision latency and congestion
#: have no upper bound; their charts scale to the data, so a gap there has no fixed size.)
VISIBLE_AXES = {"market_share": 1.0, "fitness": 1.0, "satisfaction": 1.0, "sentiment": 2.0}
#: Steps before and after a shock over which a change at the shock is seen.
SHOCK_WINDOW = 20


def visible_effects(scenario, long: pd.DataFrame) -> pd.DataFrame:
    """Every effect a reader sees on the page's fixed-axis charts, largest first.

    A *gap*: one structure's mean curve apart from all the others over a stretch between
    shocks (step 0 to the first shock, shock to shock, the last shock to the end): above
    every other structure or below every other, by its distance to the nearest one (the mean
    over the replicates of the paired difference of their means over the stretch). A
    *change*: a structure's mean over the ``SHOCK_WINDOW`` steps from a shock minus over the
    ``SHOCK_WINDOW`` steps before it. ``size`` is its absolute value in units of the chart's
    axis (:data:`VISIBLE_AXES`). ``effect`` is what a reader sees happen, whatever the chart:
    ``("gap", structure)``, one structure apart from the rest, or ``("change", shock
    index)``, the curves moving at a shock (a row per chart, stretch and structure, with
    ``metric`` and ``structure``). A gap between two of several curves that lie close
    together is not counted: the reader sees a bundle, not one curve apart.
    """
    steps = sorted({shock.step for shock in scenario.shocks})
    bounds = [0, *steps, scenario.steps]
    structures = list(dict.fromkeys(long["structure"]))
    rows = []
    for metric, axis in VISIBLE_AXES.items():
        table = long.pivot_table(index=["replicate", "step"], columns="structure",
                                 values=metric)
        for start, end in itertools.pairwise(bounds):
            stretch = table.loc[(slice(None), slice(start, end - 1)), :]
            means = stretch.groupby(level="replicate").mean()
            for structure in structures:
                gaps = np.array([(means[structure] - means[other]).mean()
                                 for other in structures if other != structure])
                if (gaps > 0).all():
                    gap = gaps.min()
                elif (gaps < 0).all():
                    gap = gaps.max()
                else:
                    continue
                rows.append((("gap", structure), metric, structure, start, end, gap,
                             abs(gap) / axis))
        for index, shock in enumerate(scenario.shocks):
            step = shock.step
            after = table.loc[(slice(None), slice(step, step + SHOCK_WINDOW - 1)), :]
            before = table.loc[(slice(None), slice(step - SHOCK_WINDOW, step - 1)), :]
            change = (after.groupby(level="replicate").mean()
                      - before.groupby(level="replicate").mean()).mean()
            for structure in structures:
                rows.append((("change", index), metric, structure, step,
                             step + SHOCK_WINDOW, change[structure],
                             abs(change[structure]) / axis))
    frame = pd.DataFrame(rows, columns=["effect", "metric", "structure", "start", "end",
                                        "value", "size"])
    return frame.sort_values("size", ascending=False, ignore_index=True)


def names_effect(claim, effect) -> bool:
    """Whether ``claim`` names ``effect``, on a fixed-axis chart: a gap, by comparing the
    structure apart (the claim's subject) with another; a change at a shock, by a
    structure's change at it."""
    if claim.metric not in VISIBLE_AXES:
        return False
    kind, which = effect
    if kind == "gap":
        return claim.other is not None and claim.structure == which
    return claim.other is None and claim.shock == which


def largest_problem(lesson, effects: pd.DataFrame) -> str | None:
    """Why the card's ``largest`` marks are wrong for the page's ``effects``, or None.

    One marked claim must name the largest effect; two marked claims (a card saying "the two
    largest effects on this page are ...") must name the two largest distinct effects, one
    each (an effect counted once, at its largest stretch). On a card whose two marked
    effects are so close that the largest depends on the seed (``largest_one_of``: "the
    largest effect is X or, in some seeds, Y"), the largest must be named by one of them."""
    marked = [claim for claim in lesson.claims if claim.largest]
    if not 1 <= len(marked) <= 2:
        return f"{len(marked)} claims marked largest (one, or two for the two largest)"
    distinct = effects.drop_duplicates("effect")
    ranked = 1 if lesson.largest_one_of else len(marked)
    for rank, (_, top) in enumerate(distinct.head(ranked).iterrows()):
        if not any(names_effect(claim, top["effect"]) for claim in marked):
            return (f"marked {[c.text for c in marked]}, but the visible effect ranked "
                    f"{rank + 1} is {top['effect']} (at its largest {top['structure']}'s "
                    f"{top['metric']} over steps {top['start']}-{top['end'] - 1}: "
                    f"{top['value']:+.3f}, {top['size']:.3f} of its axis)")
    return None


def test_cards_with_claims_exist_and_show_their_claims_word_for_word():
    assert len(CHECKED) >= 4
    for name in CHECKED:
        lesson = LESSONS[name]
        for claim in lesson.claims:
            assert claim.text in lesson.look_for, f"{name}: '{claim.text}' is not on the card"


@pytest.mark.parametrize("name", CHECKED)
def test_every_claim_of_the_card_holds_on_the_pages_runs(name):
    lesson = LESSONS[name]
    scenario, long, _ = page_runs(name)
    assert sorted(long["replicate"].unique()) == list(range(lesson.page_replicates))
    failed = []
    for claim in lesson.claims:
        values = differences(claim, scenario, long)
        mean, low, high = t_interval(values)
        if not holds(claim, values):
            failed.append(f"'{claim.text}': difference {mean:.4f} [{low:.4f}, {high:.4f}] "
                          f"over {len(values)} paired runs")
    assert not failed, f"{name}: " + "; ".join(failed)


def test_talent_loss_inside_the_firm_shows_the_star_the_card_describes():
    """The card says losing a fifth of the staff, managers first, removes every manager of
    the 200-person tree and the repair leaves one promoted employee with everyone else
    reporting to them; "Inside the firm" draws replicate 0 of the page's runs."""
    lesson = LESSONS["talent-loss"]
    assert "everyone else reports to them" in lesson.look_for
    _, _, run = page_runs("talent-loss")
    view = run.org_view("hierarchy")
    alive = view.alive.astype(bool)
    assert alive.sum() == 160 and view.departed == 40
    # The view's reporting lines are [report, manager] pairs of the repaired tree.
    reports = np.bincount(view.edges[:, 1], minlength=alive.size)
    assert reports.max() == 159 and (reports > 0).sum() == 1, np.flatnonzero(reports)


def test_visible_effects_size_gaps_and_changes_in_units_of_their_axis():
    """Known curves: b's market share 0.1 below the nearest other (a), c's sentiment 0.8
    below the others (0.4 of its axis of 2), a 20-step spike of 0.5 in b's fitness and of
    0.45 in its satisfaction at the shock (step 50); a, between b and c in market share, is
    apart from nothing."""
    scenario = SimpleNamespace(steps=100, shocks=[SimpleNamespace(step=50)])
    rows = []
    for structure, replicate, step in itertools.product("abc", range(3), range(100)):
        spike = 0.5 if structure == "b" and 50 <= step < 70 else 0.0
        rows.append({"structure": structure, "replicate": replicate, "step": step,
                     "market_share": {"a": 0.4, "b": 0.3, "c": 0.45}[structure],
                     "fitness": 0.4 + spike, "satisfaction": 0.3 + 0.9 * spike,
                     "sentiment": -0.8 if structure == "c" else 0.0})
    effects = visible_effects(scenario, pd.DataFrame(rows))
    top = effects.iloc[0]
    assert (top["effect"], top["metric"], top["structure"]) == (("change", 0), "fitness", "b")
    assert top["value"] == pytest.approx(0.5) and top["size"] == pytest.approx(0.5)
    assert effects.iloc[1]["effect"] == ("change", 0)  # the same spike, in satisfaction
    assert effects.iloc[1]["size"] == pytest.approx(0.45)
    second = effects.iloc[2]
    assert second["effect"] == ("gap", "c") and second["metric"] == "sentiment"
    assert second["size"] == pytest.approx(0.4)
    share = effects[(effects["effect"] == ("gap", "b")) & (effects["metric"] == "market_share")]
    assert sorted(share["start"]) == [0, 50] and np.allclose(share["value"], -0.1)
    assert ("gap", "a") not in set(effects.loc[effects["metric"] == "market_share", "effect"])
    top_share = effects[(effects["effect"] == ("gap", "c")) & (effects["metric"] == "market_share")]
    assert np.allclose(top_share["value"], 0.05)  # c above a (0.05) and b (0.15): the nearest
    # The spike, averaged over the 50 steps from the shock: b above the others by 0.2.
    spike = effects[(effects["effect"] == ("gap", "b")) & (effects["metric"] == "fitness")]
    assert spike["size"].item() == pytest.approx(0.2)
    # A card marking the market-share gap instead of the spike is wrong; marking the spike
    # and the gap as the two largest is wrong too (the second distinct effect is c's
    # sentiment: the spike in satisfaction is the same effect, counted once).
    exact = partial(SimpleNamespace, largest_one_of=False)
    spike_claim = Claim("b's fitness jumps", "fitness", "b")
    gap_claim = Claim("b holds less share than c", "market_share", "b", "c", higher=False)
    sentiment_claim = Claim("c is gloomier than a", "sentiment", "c", "a", higher=False)
    card = exact(claims=(replace(spike_claim, largest=True), gap_claim))
    assert largest_problem(card, effects) is None
    card = exact(claims=(spike_claim, replace(gap_claim, largest=True)))
    assert "ranked 1 is ('change', 0)" in largest_problem(card, effects)
    card = exact(claims=(replace(spike_claim, largest=True),
                         replace(gap_claim, largest=True)))
    assert "ranked 2 is ('gap', 'c')" in largest_problem(card, effects)
    card = exact(claims=(replace(spike_claim, largest=True), gap_claim,
                         replace(sentiment_claim, largest=True)))
    assert largest_problem(card, effects) is None
    # "The largest is the spike or, in some seeds, the gap": right when either names the
    # largest (here the spike), wrong when neither does.
    card = SimpleNamespace(largest_one_of=True, claims=(replace(gap_claim, largest=True),
                                                        replace(spike_claim, largest=True)))
    assert largest_problem(card, effects) is None
    card = SimpleNamespace(largest_one_of=True, claims=(replace(gap_claim, largest=True),
                                                        replace(sentiment_claim, largest=True)))
    assert "ranked 1 is ('change', 0)" in largest_problem(card, effects)


@pytest.mark.parametrize("name", CHECKED)
def test_every_card_names_the_largest_visible_effect_on_its_page(name):
    """One claim (or two about equal) is marked ``largest``; a marked claim names the largest
    visible effect on the page's runs (:func:`visible_effects`), and the card says which is
    largest. The mark moved to any other claim that does not name that effect (a planted
    wrong mark) is found wrong."""
    lesson = LESSONS[name]
    scenario, long, _ = page_runs(name)
    effects = visible_effects(scenario, long)
    problem = largest_problem(lesson, effects)
    assert problem is None, f"{name}: {problem}; next: {effects.head(4).to_dict('records')}"
    assert "largest" in lesson.look_for
    planted = 0
    for index, claim in enumerate(lesson.claims):
        if claim.largest or names_effect(claim, effects.iloc[0]["effect"]):
            continue
        moved = tuple(replace(c, largest=(i == index)) for i, c in enumerate(lesson.claims))
        assert largest_problem(replace(lesson, claims=moved), effects) is not None, claim.text
        planted += 1
    assert planted >= 1


#: Cards whose largest-effect mark, and claims, the seed blocks found below the standard
#: (docs/testing.md). Empty since session 6 gave the pages that needed them more paired runs.
#: The test requires the record of every listed item to be below the standard and of every
#: other item to meet it, so the lists stay exact: an item whose record falls below must be
#: added here (and reported), never silently passed.
LARGEST_BELOW_STANDARD: set[str] = set()
CLAIMS_BELOW_STANDARD: set[tuple[str, str]] = set()
LARGEST_ROW = "(the claim marked largest names the largest visible effect)"

#: The fewest seed blocks a card claim's record may rest on. The team's standard is 20
#: blocks, at least 19 held: one miss per 20 blocks at most (a record of fewer blocks, when the
#: measurement did not fit in a session, may have one miss; docs/testing.md says how many
#: were run).
FEWEST_BLOCKS = 5


def recorded_block_rates() -> dict[tuple[str, str], tuple[int, int, int, str]]:
    """The cards' seed-block table of docs/testing.md: (card, claim) -> (replicates, blocks
    held, blocks run, held without the card's shocks)."""
    text = (Path(__file__).resolve().parents[1] / "docs" / "testing.md").read_text()
    rows = {}
    # Columns: card, claim, replicates, which blocks, held of blocks, held without shocks.
    for match in re.finditer(r"^\| (\S+) \| (.+?) \| (\d+) \| [\d-]+(?: \(fresh\))? \| "
                             r"(\d+) of (\d+) \| (.+?) \|$", text, flags=re.MULTILINE):
        card, claim, replicates, held, blocks, without = match.groups()
        rows[(card, claim)] = (int(replicates), int(held), int(blocks), without)
    return rows


def test_the_pages_replicates_resolve_every_claim_in_19_of_20_seed_blocks():
    """The paired runs a card's page makes are enough for what the card says: every claim of
    every card holds at the page's replicates (:attr:`Lesson.page_replicates`: the app's
    default unless the card needs more) in at least 19 of 20 independent seed blocks (at most one
    miss in up to 20 blocks measured; experiments/power/seed_blocks.py --cards, recorded in
    docs/testing.md), every claim about a shock holds in none of the blocks run without the
    card's shocks, and the claims marked largest name the largest visible effect as often. A
    claim rewritten without being measured again fails here."""
    rows = recorded_block_rates()
    missing, weak = [], []
    for name in CHECKED:
        lesson = LESSONS[name]
        checked = [(claim.text, claim.other is None or claim.start is None)
                   for claim in lesson.claims]
        checked.append((LARGEST_ROW, False))
        for text, about_shock in checked:
            row = rows.get((name, text))
            if row is None:
                missing.append(f"{name}: '{text}'")
                continue
            replicates, held, blocks, without = row
            resolved = (replicates == lesson.page_replicates and blocks >= FEWEST_BLOCKS
                        and held >= blocks - max(1, blocks // 20)
                        and not (about_shock and not re.fullmatch(r"0 of \d+", without)))
            below = ((text == LARGEST_ROW and name in LARGEST_BELOW_STANDARD)
                     or (name, text) in CLAIMS_BELOW_STANDARD)
            if resolved == below:
                weak.append(f"{name}: '{text}' {row}")
    assert not missing, f"claims with no seed-block record in docs/testing.md: {missing}"
    assert not weak, (f"records at odds with the standard (or with the lists below it): "
                      f"{weak}")
