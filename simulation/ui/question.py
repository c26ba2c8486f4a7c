"""The strategist's page: the firm you have, the firm you consider, what happens; one button.

The answer runs both structures over paired replicates (the same seeds: the same market and
customers) and reads the verdict, its uncertainty and the mechanism from the runs
(:func:`simulation.ui.summary.verdict`); a button opens the same runs as the full comparison.
"""

from __future__ import annotations

import solara

from simulation import registry
from simulation.config import scenario as scenario_module
from simulation.ui import state
from simulation.ui.compare import scenario_key, show_run, watch_tab
from simulation.ui.form import form_from_scenario
from simulation.ui.runner import ComparisonRun
from simulation.ui.summary import budget_problem, verdict
from simulation.ui.widgets import Choice, Progress

#: Paired runs per structure behind an answer (both structures: 2 x 5 runs of the demo size,
#: a few seconds here).
QUESTION_REPLICATES = 5
#: Customers of the market an answer runs on (the demo's).
QUESTION_CUSTOMERS = 20_000
SHOCK_STEP = 150
#: What can happen: label -> the shock (on the demo market), or a shipped scenario's name.
SITUATIONS: dict[str, dict | str] = {
    "a reputation crisis (media turn negative, 30% of customers hear it)": {
        "kind": "reputation_crisis", "step": SHOCK_STEP, "strength": 0.4, "share": 0.3},
    "a shift of customer needs (half of every segment's needs change)": {
        "kind": "need_shift", "step": SHOCK_STEP, "strength": 0.5},
    "losing a fifth of the staff, managers first": {
        "kind": "talent_loss", "step": SHOCK_STEP, "strength": 0.2, "target": "managers"},
    "a competitor raising the bar": {
        "kind": "competitor_entry", "step": SHOCK_STEP, "strength": 0.1},
    "a new customer segment arriving": {
        "kind": "new_segment", "step": SHOCK_STEP, "strength": 0.25},
}


def situations() -> dict[str, dict | str]:
    shipped = {f"scenario '{name}'": name for name in state.shipped_names()
               if name not in ("calm", "restless")}
    return {**SITUATIONS, **shipped}


def question_scenario(have: str, consider: str, situation: str, replicates: int,
                      customers: int | None = None) -> scenario_module.Scenario:
    """The scenario an answer runs: the demo market with the chosen shock, or a preset
    (``customers``: a smaller or larger market than the scenario's)."""
    chosen = situations()[situation]
    if isinstance(chosen, str):
        data = scenario_module.scenario_data(scenario_module.load_scenario(chosen))
    else:
        data = scenario_module.scenario_data(scenario_module.load_scenario("demo"))
        data["shocks"] = [dict(chosen)]
        data["name"] = "question"
        data["description"] = f"{have} vs {consider} under {situation}"
    data["structures"] = [have, consider]
    data["replicates"] = replicates
    if customers is not None:
        data["customers"]["count"] = customers
    return scenario_module.parse_scenario(data, "question")


def ask(have: str, consider: str, situation: str, replicates: int,
        customers: int | None = None) -> None:
    old = state.question_run.value
    if old is not None and old is not state.run.value:
        old.stop(wait=0.5)
    scenario = question_scenario(have, consider, situation, replicates, customers)
    run = ComparisonRun(scenario.model_config_only(), [have, consider], seed=scenario.seed,
                        metric=scenario.resilience_metric, replicates=replicates)
    run.start()
    watch_tab(run)
    state.question_run.set(run)
    state.question.set((have, consider, situation, replicates, customers))


def open_full_comparison() -> None:
    """Show the answer's runs on the Compare page, with the editor holding their scenario."""
    run, question = state.question_run.value, state.question.value
    if run is None or question is None:
        return
    scenario = question_scenario(*question)
    previous = state.run.value
    if previous is not None and previous is not run:
        previous.stop(wait=0.5)
    state.form.set(form_from_scenario(scenario))
    show_run(run, scenario_key(scenario))
    state.tab.set(0)


def question_form() -> tuple:
    """The question page's form as ``(have, consider, situation, replicates, customers)``,
    the tuple :data:`simulation.ui.state.question` holds for the answer shown (customers as
    text, as typed)."""
    names = list(situations())
    situation = state.question_situation.value
    if situation not in names:
        situation = names[0]
    return (state.question_have.value, state.question_consider.value, situation,
            state.question_replicates.value, state.question_customers.value)


def answer_is_stale(form: tuple, question) -> bool:
    """True when the answer shown was computed for another form than the one on the page."""
    if question is None:
        return False
    have, consider, situation, replicates, customers = form
    try:
        count = int(customers)
    except ValueError:
        return True
    return (have, consider, situation, replicates, count) != tuple(question)


@solara.component
def QuestionPage():
    state.tick.value  # noqa: B018 - re-render when the run advances
    names = list(situations())
    have, consider, situation, replicates, customers = question_form()

    solara.HTML(tag="h3", unsafe_innerHTML="Would another structure have done better?")
    solara.Text("Pick the firm you have, the firm you consider and what happens; the app runs "
                "both on the same paired markets and says what the runs show, how sure that "
                "is, and why.")
    with solara.Row(style={"flex-wrap": "wrap", "align-items": "baseline"}):
        Choice("the firm you have", list(registry.menu_structures()), have, state.question_have.set)
        Choice("the firm you consider", list(registry.menu_structures()), consider,
               state.question_consider.set)
    Choice("what happens", names, situation, state.question_situation.set)
    with solara.Row(style={"flex-wrap": "wrap", "align-items": "baseline"}):
        solara.SliderInt(f"paired runs per firm: {replicates}", value=replicates, min=2,
                         max=20, on_value=state.question_replicates.set, thumb_label="always")
        solara.InputText("customers in the market", value=customers,
                         on_value=state.question_customers.set, continuous_update=True,
                         style={"max-width": "200px"})
    same = have == consider
    try:
        count = int(customers)
        problem = "" if 100 <= count <= 1_000_000 else "customers: 100 to 1000000"
    except ValueError:
        count, problem = 0, f"customers in the market={customers!r}: expected a whole number"
    if not problem and not same:
        scenario = question_scenario(have, consider, situation, replicates, count)
        problem = budget_problem(scenario.model_config_only(), 2, replicates) or ""
    solara.Button("Answer", color="primary", icon_name="mdi-scale-balance",
                  disabled=same or bool(problem), classes=["firmsim-ask"],
                  on_click=lambda: ask(have, consider, situation, replicates, count))
    if same:
        solara.Text("pick two different firms", style={"color": "#b00020"})
    if problem:
        solara.Text(problem, style={"color": "#b00020"})
    question = state.question.value
    if answer_is_stale((have, consider, situation, replicates, customers), question):
        solara.Warning("Stale: this answer was computed for another question (the choices "
                       "above have changed since). Press Answer to compute the new one.",
                       classes=["firmsim-stale", "firmsim-question-stale"])
    Answer(state.question_run.value, question)


@solara.component
def Answer(run, question):
    state.tick.value  # noqa: B018 - re-render when the run advances
    if run is None or question is None:
        return
    have, consider, situation, replicates, _customers = question
    snapshot = run.snapshot()
    if snapshot.error:
        solara.Error(f"A run failed: {snapshot.error}")
        return
    if snapshot.state != "finished":
        reached = min(snapshot.done.values(), default=0)
        solara.Text(f"computing {len(run.structures)} firms x {replicates} paired runs: step "
                    f"{reached} of {snapshot.steps} ({snapshot.elapsed:.1f} s)",
                    classes=["firmsim-question-status"])
        Progress(100 * snapshot.progress)
        return
    table = snapshot.resilience
    if table is None or table.empty:
        solara.Warning("The runs have no shock to compare after.")
        return
    shock_step = int(table["step"].min())
    answer = verdict(snapshot.long_table(), table, have, consider, situation, run.metric,
                     shock_step, snapshot.steps)
    with solara.Card(classes=["firmsim-verdict"]):
        solara.HTML(tag="h4", unsafe_innerHTML=answer.headline,
                    classes=["firmsim-verdict-headline"])
        solara.HTML(tag="p", unsafe_innerHTML=answer.detail)
        solara.HTML(tag="p", unsafe_innerHTML=answer.mechanism,
                    classes=["firmsim-mechanism"])
        if not answer.table.empty:
            solara.HTML(tag="div", style={"overflow-x": "auto"},
                        unsafe_innerHTML=answer.table.to_html(
                            index=False, classes="firmsim-resilience", border=0))
        solara.Text(f"{replicates} paired runs per firm, {snapshot.steps} steps, "
                    f"{snapshot.elapsed:.1f} s. A model shows what follows from its rules, "
                    "not what will happen to a real firm.", style={"font-size": "0.8em"})
        solara.Button("open the full comparison", icon_name="mdi-chart-line", text=True,
                      on_click=open_full_comparison, classes=["firmsim-open-comparison"])
