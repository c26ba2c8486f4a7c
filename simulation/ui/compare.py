"""The compare page: edit a scenario, run two to five structures on it, watch them diverge."""

from __future__ import annotations

import io
import math

import pandas as pd
import solara

from ..vocabulary import SHOCK_KINDS, STRUCTURES
from . import state
from .charts import CHARTS, charts_png, combined_frame, line_option
from .form import FIELDS, GENERAL, validate_form
from .runner import ComparisonRun
from .teach import lesson_for
from .widgets import EChart, Prose

RESILIENCE_SHOWN = ("structure", "kind", "step", "baseline", "trough", "depth",
                    "recovery_time", "recovered", "area_lost", "post_level")


def _speed_value(text: str) -> float:
    return math.inf if text == "max" else float(text)


def start_run(paused: bool = False) -> None:
    """Start a new comparison from the editor (nothing happens if the editor is invalid)."""
    checked = validate_form(state.form.value)
    if not checked.ok:
        return
    stop_run()
    scenario = checked.scenario
    run = ComparisonRun(scenario.model_config_only(), list(state.form.value.structures),
                        seed=scenario.seed, metric=scenario.resilience_metric,
                        steps_per_second=_speed_value(state.speed.value), playing=not paused)
    run.start()
    state.run.set(run)
    if state.firm_structure.value not in run.structures:
        state.firm_structure.set(run.structures[0])


def stop_run() -> None:
    run = state.run.value
    if run is not None:
        run.stop(wait=0.5)


def reset_run() -> None:
    stop_run()
    state.run.set(None)


def choose_scenario(name: str) -> None:
    form, message = state.load_form(name)
    state.scenario_name.set(name)
    state.form.set(form)
    state.load_message.set(message)


@solara.component
def Lesson(name: str):
    lesson = lesson_for(name, state.scenario_path(name))
    if lesson is None:
        return
    with solara.Card(lesson.title, classes=["firmsim-lesson"]):
        Prose(lesson.concept)
        Prose(f"**What to look for.** {lesson.look_for}")


@solara.component
def ScenarioEditor():
    form = state.form.value
    checked = validate_form(form)
    errors = checked.errors
    run = state.run.value
    names = state.shipped_names()

    with solara.Card("Scenario", classes=["firmsim-editor"]):
        with solara.Row():
            solara.Select("preset scenario", values=names, value=state.scenario_name.value,
                          on_value=choose_scenario)
            solara.Switch(label="teach mode", value=state.teach_mode)
        if state.load_message.value:
            solara.Warning(state.load_message.value)
        if state.teach_mode.value:
            Lesson(state.scenario_name.value)

        solara.Text("Structures (2 to 5)")
        with solara.Row(style={"flex-wrap": "wrap", "gap": "0 12px"}):
            for structure in STRUCTURES:
                def toggle(on, structure=structure):
                    chosen = set(state.form.value.structures)
                    chosen = chosen | {structure} if on else chosen - {structure}
                    state.form.set(state.form.value.with_structures(chosen))
                solara.Checkbox(label=structure, value=structure in form.structures,
                                on_value=toggle)
        if "structures" in errors:
            solara.Text(errors["structures"], classes=["firmsim-error"],
                        style={"color": "#c62828", "font-size": "0.85em"})

        with solara.Row(style={"flex-wrap": "wrap"}):
            for key, label, _ in FIELDS:
                def change(text, key=key):
                    state.form.set(state.form.value.with_value(key, text))
                solara.InputText(label, value=form.values.get(key, ""), on_value=change,
                                 continuous_update=True, error=errors.get(key, False),
                                 style={"max-width": "190px"})

        solara.Text("Shocks")
        for index, shock in enumerate(form.shocks):
            with solara.Row(style={"align-items": "baseline", "flex-wrap": "wrap"},
                            classes=["firmsim-shock"]):
                def set_kind(kind, index=index):
                    state.form.set(state.form.value.with_shock(index, "kind", kind))
                solara.Select(f"shock {index + 1} kind", values=list(SHOCK_KINDS),
                              value=shock.get("kind"), on_value=set_kind,
                              style={"max-width": "190px"})
                for key, label in (("step", "step"), ("strength", "strength")):
                    def set_field(text, index=index, key=key):
                        state.form.set(state.form.value.with_shock(index, key, text))
                    solara.InputText(f"shock {index + 1} {label}", value=str(shock.get(key, "")),
                                     on_value=set_field, continuous_update=True,
                                     error=errors.get(f"shocks.{index}.{key}", False),
                                     style={"max-width": "130px"})
                solara.Button(icon_name="mdi-delete", text=True,
                              on_click=lambda index=index: state.form.set(
                                  state.form.value.remove_shock(index)))
                kind_error = errors.get(f"shocks.{index}.kind")
                if kind_error:
                    solara.Text(kind_error, style={"color": "#c62828"})
        solara.Button("add shock", icon_name="mdi-plus", text=True,
                      on_click=lambda: state.form.set(state.form.value.add_shock()))
        if GENERAL in errors:
            solara.Error(errors[GENERAL])

        with solara.Row(style={"margin-top": "8px", "flex-wrap": "wrap"}):
            solara.Button("Run", icon_name="mdi-play-box-multiple", color="primary",
                          disabled=not checked.ok, on_click=start_run,
                          classes=["firmsim-run"])
            if not checked.ok:
                solara.Text("fix the fields marked in red to run",
                            style={"color": "#c62828", "font-size": "0.85em"})
        Controls(run, checked.ok)


@solara.component
def Controls(run, valid: bool):
    def play():
        if run is None or run.finished:
            start_run()
        else:
            run.play()

    def pause():
        if run is not None:
            run.pause()

    def step():
        if run is None or run.finished:
            start_run(paused=True)
            new = state.run.value
            if new is not None:
                new.step_once()
        else:
            run.step_once()

    def set_speed(text):
        state.speed.set(text)
        if run is not None:
            run.set_speed(_speed_value(text))

    with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
        solara.Button("Play", icon_name="mdi-play", on_click=play, text=True,
                      disabled=run is None and not valid, classes=["firmsim-play"])
        solara.Button("Pause", icon_name="mdi-pause", on_click=pause, text=True,
                      disabled=run is None, classes=["firmsim-pause"])
        solara.Button("Step", icon_name="mdi-step-forward", on_click=step, text=True,
                      disabled=run is None and not valid, classes=["firmsim-step"])
        solara.Button("Reset", icon_name="mdi-restore", on_click=reset_run, text=True,
                      disabled=run is None, classes=["firmsim-reset"])
    solara.Select("speed (steps per second per structure)", values=list(state.SPEEDS),
                  value=state.speed.value, on_value=set_speed)


def _status_text(snapshot) -> str:
    done = ", ".join(f"{s} {n}" for s, n in snapshot.done.items())
    return (f"{snapshot.state}: step {done or '0'} of {snapshot.steps} "
            f"({snapshot.elapsed:.1f} s)")


@solara.component
def Results(run):
    state.tick.value  # noqa: B018 - re-render when the run advances
    if run is None:
        solara.Info("Pick structures and a scenario, then press Run. Charts update live as "
                    "the runs advance; shocks are drawn as dashed vertical lines.")
        return
    snapshot = run.snapshot()
    with solara.Row(style={"align-items": "center"}):
        solara.Text(_status_text(snapshot), classes=["firmsim-status"])
        solara.ProgressLinear(value=100 * snapshot.progress, color="primary")
    if snapshot.error:
        solara.Error(f"A run failed: {snapshot.error}")
    if snapshot.state == "starting" and not snapshot.frames:
        solara.Text("building the models...")
    with solara.GridFixed(columns=2):
        for metric, title, y_name in CHARTS:
            option = line_option(metric, title, snapshot.frames, snapshot.steps,
                                 snapshot.shocks, y_name)
            EChart(option, "300px", f"firmsim-chart firmsim-chart-{metric}")
    ResilienceTable(_resilience_html(snapshot), bool(snapshot.shocks),
                    run.metric.replace("_", " "))
    Export(run)


def _resilience_html(snapshot) -> str:
    table = snapshot.resilience
    if table is None or table.empty:
        return ""
    shown = table[[c for c in RESILIENCE_SHOWN if c in table.columns]].copy()
    for column in shown.columns:
        if pd.api.types.is_float_dtype(shown[column]):
            shown[column] = shown[column].round(4)
    return shown.to_html(index=False, classes="firmsim-resilience", border=0)


@solara.component
def ResilienceTable(html: str, has_shocks: bool, metric: str = "market share"):
    Prose("", heading=f"Resilience ({metric.replace('_', ' ')})")
    if not html:
        text = ("No shocks in this scenario." if not has_shocks
                else "Figures appear once the runs pass a shock.")
        solara.Text(text, classes=["firmsim-resilience-empty"])
        return
    solara.HTML(tag="div", unsafe_innerHTML=html, style={"overflow-x": "auto"})
    solara.Text("depth: baseline minus trough; recovery time: steps until back at 95% of the "
                "baseline (censored at the next shock or the end if not recovered); area lost: "
                "the shortfall summed over those steps.", style={"font-size": "0.8em"})


@solara.component
def Export(run):
    """Downloads of the current runs; the data is read when a button is pressed (the
    component itself does not change while the runs advance, so it costs nothing to keep)."""
    def as_csv():
        return combined_frame(run.snapshot().frames).to_csv(index=False)

    def as_parquet():
        buffer = io.BytesIO()
        combined_frame(run.snapshot().frames).to_parquet(buffer, index=False)
        return buffer.getvalue()

    def as_png():
        snapshot = run.snapshot()
        return charts_png(snapshot.frames, snapshot.shocks)

    with solara.Row(style={"flex-wrap": "wrap"}):
        solara.FileDownload(as_csv, filename="firmsim-timeseries.csv",
                            label="time series (CSV)", mime_type="text/csv")
        solara.FileDownload(as_parquet, filename="firmsim-timeseries.parquet",
                            label="time series (Parquet)")
        solara.FileDownload(as_png, filename="firmsim-charts.png", label="charts (PNG)",
                            mime_type="image/png")
        solara.FileDownload(lambda: run.snapshot().resilience.to_csv(index=False),
                            filename="firmsim-resilience.csv", label="resilience (CSV)",
                            mime_type="text/csv")
    solara.Text("Each chart also saves itself as a PNG from its toolbox (top right).",
                style={"font-size": "0.8em"})


@solara.component
def ComparePage():
    with solara.Columns([4, 8]):
        ScenarioEditor()
        Results(state.run.value)
