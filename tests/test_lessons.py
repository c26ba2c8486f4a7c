"""Every claim of a teach card holds on the runs its page makes.

The Teach page opens a card's preset in Compare; the runs checked here are made exactly as
that page makes them: the editor's form as the preset loads (:func:`simulation.ui.state.
load_form`: full size, the app's default paired replicates, the preset's seed), run by the
page's runner (:class:`simulation.ui.runner.ComparisonRun`). Only the structures the claims
name are run: every (structure, replicate) run has its own seed, so a structure's numbers do
not depend on which others run beside it (tests/test_ui.py checks the runner gives the same
numbers whatever the split). A claim holds when the 95% t-interval of its paired differences
(or of its after-minus-before differences) over those replicates lies on the claimed side of
0. A claim the runs do not support is rewritten in :mod:`simulation.ui.teach`, never loosened
here; every claim's sentence is on the card, word for word.
"""

import numpy as np
import pytest

from simulation.analysis.statistics import t_interval
from simulation.ui import state
from simulation.ui.form import DEFAULT_REPLICATES, validate_form
from simulation.ui.runner import ComparisonRun
from simulation.ui.teach import LESSONS

CHECKED = [name for name, lesson in LESSONS.items() if lesson.claims]
_RUNS: dict = {}


def page_runs(name: str, structures: set[str]):
    """The preset's scenario as the page loads it, and the finished run of ``structures``
    made as the page makes it (cached per card: the module's tests share it)."""
    key = (name, tuple(sorted(structures)))
    if key not in _RUNS:
        form, message = state.load_form(name)
        assert message is None, message
        scenario = validate_form(form).scenario
        assert scenario.replicates == DEFAULT_REPLICATES
        run = ComparisonRun(scenario.model_config_only(), sorted(structures),
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


def test_cards_with_claims_exist_and_show_their_claims_word_for_word():
    assert len(CHECKED) >= 4
    for name in CHECKED:
        lesson = LESSONS[name]
        for claim in lesson.claims:
            assert claim.text in lesson.look_for, f"{name}: '{claim.text}' is not on the card"


@pytest.mark.parametrize("name", CHECKED)
def test_every_claim_of_the_card_holds_on_the_pages_runs(name):
    lesson = LESSONS[name]
    scenario, long, _ = page_runs(name, claimed_structures(lesson))
    assert sorted(long["replicate"].unique()) == list(range(DEFAULT_REPLICATES))
    failed = []
    for claim in lesson.claims:
        values = differences(claim, scenario, long)
        mean, low, high = t_interval(values)
        holds = low > 0 if claim.higher else high < 0
        if not holds:
            failed.append(f"'{claim.text}': difference {mean:.4f} [{low:.4f}, {high:.4f}] "
                          f"over {len(values)} paired runs")
    assert not failed, f"{name}: " + "; ".join(failed)


def test_talent_loss_inside_the_firm_shows_the_star_the_card_describes():
    """The card says losing a fifth of the staff, managers first, removes every manager of
    the 200-person tree and the repair leaves one promoted employee with everyone else
    reporting to them; "Inside the firm" draws replicate 0 of the page's runs."""
    lesson = LESSONS["talent-loss"]
    assert "everyone else reports to them" in lesson.look_for
    _, _, run = page_runs("talent-loss", claimed_structures(lesson))
    view = run.org_view("hierarchy")
    alive = view.alive.astype(bool)
    assert alive.sum() == 160 and view.departed == 40
    # The view's reporting lines are [report, manager] pairs of the repaired tree.
    reports = np.bincount(view.edges[:, 1], minlength=alive.size)
    assert reports.max() == 159 and (reports > 0).sum() == 1, np.flatnonzero(reports)
