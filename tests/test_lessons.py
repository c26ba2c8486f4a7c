"""Every claim of a teach card holds over paired replicates (common random numbers).

Each card's scenario runs at a reduced size (as in tests/test_findings.py) for every
structure its claims name; a claim holds when the 95% t-interval of its paired differences
(or of its after-minus-before differences) lies on the claimed side of 0. A claim that the
runs do not support is rewritten in :mod:`simulation.ui.teach`, never loosened here.
"""

import pytest

from simulation.analysis.statistics import t_interval
from simulation.config.scenario import load_scenario
from simulation.config.schema import config_from_flat
from simulation.config.seeds import run_seed
from simulation.execution.runs import build_model
from simulation.ui.teach import LESSONS

WORLD = dict(customers=3_000, employees=120)
REPLICATES = 5
CHECKED = [name for name, lesson in LESSONS.items() if lesson.claims]


def scenario_runs(name: str, structures: set[str]):
    scenario = load_scenario(name)
    config = config_from_flat(scenario.model_config_only(), **WORLD)
    runs = {structure: [build_model(config, structure, run_seed(scenario.seed, r)).run()
                        .metrics() for r in range(REPLICATES)] for structure in structures}
    return scenario, runs


def differences(claim, scenario, runs):
    shock = scenario.shocks[0].step
    if claim.other is None:
        return [frame[claim.metric].iloc[shock:shock + claim.window].mean()
                - frame[claim.metric].iloc[shock - claim.window:shock].mean()
                for frame in runs[claim.structure]]
    start = shock if claim.start is None else claim.start
    return [mine[claim.metric].iloc[start:].mean() - theirs[claim.metric].iloc[start:].mean()
            for mine, theirs in zip(runs[claim.structure], runs[claim.other], strict=True)]


def test_cards_with_claims_exist():
    assert len(CHECKED) >= 4


@pytest.mark.parametrize("name", CHECKED)
def test_every_claim_of_the_card_holds_over_paired_replicates(name):
    lesson = LESSONS[name]
    names = {c.structure for c in lesson.claims} | {c.other for c in lesson.claims if c.other}
    scenario, runs = scenario_runs(name, names)
    failed = []
    for claim in lesson.claims:
        mean, low, high = t_interval(differences(claim, scenario, runs))
        holds = low > 0 if claim.higher else high < 0
        if not holds:
            failed.append(f"'{claim.text}': difference {mean:.4f} [{low:.4f}, {high:.4f}]")
    assert not failed, f"{name}: " + "; ".join(failed)
