"""The compare page: edit a scenario, run two to five structures on it over paired replicates,
watch them diverge (mean lines with t-bands), and read the resilience figures with intervals.
"""

from __future__ import annotations

import io
import math
import threading
import tomllib
import weakref

import solara

from simulation import registry
from simulation.config import scenario as scenario_module
from simulation.errors import ConfigError
from simulation.ui import link, state
from simulation.ui.charts import CHARTS, band_option, chart_bands, chart_json, charts_png
from simulation.ui.form import (
    GENERAL,
    SECTIONS,
    as_shown,
    basic_fields,
    form_from_scenario,
    labels,
    section_fields,
    shock_fields,
    validate_form,
)
from simulation.ui.runner import ComparisonRun, worker_count
from simulation.ui.summary import (
    CONFIRM_ABOVE_SECONDS,
    SPEED,
    UNITS,
    budget_problem,
    chart_description,
    comparison_sentence,
    estimate_seconds,
    resilience_summary,
    values_at_last_common_step,
    work_seconds,
)
from simulation.ui.teach import lesson_for
from simulation.ui.widgets import Choice, Collapsible, EChart, Progress, Prose, TextUpload

#: Runs timed for the speed calibration: run -> uncalibrated work seconds (only runs played
#: at full speed from start to end; Pause, Step or a slower speed drop a run from it).
TIMED = weakref.WeakKeyDictionary()

#: Seconds within which a closed tab's runs are stopped and their worker process freed.
CLOSED_TAB_FREED_WITHIN = 5.0
ERROR_STYLE = {"color": "#b00020", "font-size": "0.85em"}


def _speed_value(text: str) -> float:
    return math.inf if text == "max" else float(text)


def _stop_when_closed(run, closed: threading.Event) -> None:
    """Stop ``run`` (and free its worker) as soon as the browser tab closes."""
    while not run.finished:
        if closed.wait(0.5):
            run.stop(wait=CLOSED_TAB_FREED_WITHIN - 1)
            return


def watch_tab(run) -> None:
    """Tie ``run`` to the current browser tab: closing the tab stops it."""
    try:
        closed = solara.kernel_closed_event()
    except RuntimeError:  # outside a page (tests, scripts): nothing to watch
        return
    threading.Thread(target=_stop_when_closed, args=(run, closed), daemon=True,
                     name="firmsim-ui-tab-watch").start()


def scenario_key(scenario) -> dict:
    """What a run depends on (resolved scenario data), to tell stale results."""
    return scenario_module.scenario_data(scenario)


def start_run(paused: bool = False, confirmed: bool = False) -> None:
    """Start a new comparison from the editor (nothing happens if the editor is invalid).

    A run estimated to take longer than :data:`CONFIRM_ABOVE_SECONDS` waits for the user's
    confirmation (``state.confirm`` holds the estimate) unless ``confirmed``.
    """
    checked = validate_form(state.form.value)
    if not checked.ok:
        return
    scenario = checked.scenario
    structures = list(state.form.value.structures)
    if budget_problem(scenario.model_config_only(), len(structures), scenario.replicates):
        return  # refused: the editor shows why and Run is disabled
    estimate = estimate_seconds(scenario.model_config_only(), len(structures),
                                scenario.replicates, cores=worker_count())
    if estimate > CONFIRM_ABOVE_SECONDS and not confirmed:
        state.confirm.set(estimate)
        return
    state.confirm.set(None)
    stop_run()
    run = ComparisonRun(scenario.model_config_only(), structures, seed=scenario.seed,
                        metric=scenario.resilience_metric,
                        steps_per_second=_speed_value(state.speed.value), playing=not paused,
                        replicates=scenario.replicates)
    run.start()
    if not paused and state.speed.value == "max":
        TIMED[run] = work_seconds(scenario.model_config_only(), len(structures),
                                  scenario.replicates, cores=worker_count())
    watch_tab(run)
    show_run(run, scenario_key(scenario))


def show_run(run, key: dict) -> None:
    """Make ``run`` (started from scenario data ``key``) the run the pages show."""
    state.run.set(run)
    state.run_scenario.set(key)
    if state.reference.value not in run.structures:
        state.reference.set(run.structures[0])
    if state.firm_structure.value not in run.structures:
        state.firm_structure.set(run.structures[0])


def stop_run() -> None:
    run = state.run.value
    if run is not None:
        run.stop(wait=0.5)


def reset_run() -> None:
    stop_run()
    state.run.set(None)
    state.run_scenario.set(None)
    state.confirm.set(None)


def set_form(form) -> None:
    state.form.set(form)
    state.confirm.set(None)


def choose_scenario(name: str) -> None:
    """Load a preset into the editor, from a clean page (the previous runs are dropped)."""
    reset_run()
    form, message = state.load_form(name)
    state.scenario_name.set(name)
    set_form(form)
    state.load_message.set(message)
    state.upload_message.set(None)


def load_uploaded(name: str, data: bytes) -> None:
    """Load an uploaded scenario file into the editor (a message if it is not valid)."""
    try:
        parsed = tomllib.loads(data.decode("utf-8"))
        scenario = scenario_module.parse_scenario(parsed, name)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        state.upload_message.set(f"{name}: not a TOML file ({error})")
        return
    except ConfigError as error:
        detail = str(error).removeprefix(f"{name}: ")
        state.upload_message.set(f"{name}: {as_shown(detail, labels(state.form.value))}")
        return
    reset_run()
    set_form(form_from_scenario(scenario))
    state.upload_message.set(f"loaded {name}")


def is_stale(run_key, checked) -> bool:
    """True when the editor no longer holds the scenario the shown results come from."""
    if run_key is None:
        return False
    return not checked.ok or scenario_key(checked.scenario) != run_key


@solara.component
def Lesson(name: str):
    lesson = lesson_for(name, state.scenario_path(name))
    if lesson is None:
        return
    with solara.Card(lesson.title, classes=["firmsim-lesson"]):
        Prose(lesson.concept)
        Prose(f"**What to look for.** {lesson.look_for}")


@solara.component
def Field(spec, form, errors):
    key = spec.key
    value = form.values.get(key, "")

    def change(text, key=key):
        set_form(state.form.value.with_value(key, str(text)))

    if spec.kind == "choice":
        Choice(spec.label, list(spec.choices), value, change)
        if key in errors:
            solara.Text(errors[key], classes=["firmsim-error"], style=ERROR_STYLE)
    elif spec.kind == "bool":
        solara.Checkbox(label=spec.label, value=value == "true",
                        on_value=lambda on, key=key: change("true" if on else "false"))
    else:
        solara.InputText(spec.label, value=value, on_value=change, continuous_update=True,
                         error=errors.get(key, False), message=spec.description,
                         style={"max-width": "260px", "min-width": "170px"})


@solara.component
def ShockEditor(form, errors):
    solara.Text("Shocks", style={"font-weight": "bold"})
    for index, shock in enumerate(form.shocks):
        with solara.Row(style={"align-items": "baseline", "flex-wrap": "wrap"},
                        classes=["firmsim-shock"]):
            def set_kind(kind, index=index):
                set_form(state.form.value.with_shock_kind(index, kind))
            Choice(f"shock {index + 1} kind", list(registry.names("shock")), shock.get("kind"),
                   set_kind)
            for spec in shock_fields(str(shock.get("kind"))):
                label = f"shock {index + 1} {spec.label}"
                key = f"shocks.{index}.{spec.key}"

                def set_field(text, index=index, name=spec.key):
                    set_form(state.form.value.with_shock(index, name, str(text)))
                if spec.kind == "choice":
                    Choice(label, list(spec.choices), str(shock.get(spec.key, "")), set_field)
                else:
                    solara.InputText(label, value=str(shock.get(spec.key, "")),
                                     on_value=set_field, continuous_update=True,
                                     error=errors.get(key, False), message=spec.description,
                                     style={"max-width": "170px"})
            solara.Button(icon_name="mdi-delete", text=True,
                          attributes={"aria-label": f"delete shock {index + 1}"},
                          on_click=lambda index=index: set_form(
                              state.form.value.remove_shock(index)))
            kind_error = errors.get(f"shocks.{index}.kind")
            if kind_error:
                solara.Text(kind_error, style=ERROR_STYLE)
    solara.Button("add shock", icon_name="mdi-plus", text=True,
                  on_click=lambda: set_form(state.form.value.add_shock()))


@solara.component
def ScenarioFiles(checked):
    """Download the editor's scenario as TOML; upload one."""
    with solara.Row(style={"flex-wrap": "wrap", "align-items": "center"}):
        if checked.ok:
            scenario = checked.scenario
            solara.FileDownload(lambda: scenario_module.to_toml(scenario),
                                filename=f"{scenario.name}.toml",
                                label="download scenario (TOML)", mime_type="text/plain")
        TextUpload("load a scenario file (TOML):",
                   lambda name, text: load_uploaded(name, text.encode("utf-8")))
    if state.upload_message.value:
        solara.Text(state.upload_message.value, classes=["firmsim-upload-message"],
                    style={"font-size": "0.85em"})


@solara.component
def ScenarioEditor():
    form = state.form.value
    checked = validate_form(form)
    errors = checked.errors
    run = state.run.value
    names = state.shipped_names()

    with solara.Card("Scenario", classes=["firmsim-editor"]):
        with solara.Row(style={"flex-wrap": "wrap"}):
            Choice("preset scenario", names, state.scenario_name.value, choose_scenario)
            solara.Switch(label="teach mode", value=state.teach_mode)
        if state.load_message.value:
            solara.Warning(state.load_message.value)
        if state.teach_mode.value:
            Lesson(state.scenario_name.value)

        solara.Text("Structures (2 to 5)", style={"font-weight": "bold"})
        with solara.Row(style={"flex-wrap": "wrap", "gap": "0 12px"}):
            for structure in registry.menu_structures():
                def toggle(on, structure=structure):
                    chosen = set(state.form.value.structures)
                    chosen = chosen | {structure} if on else chosen - {structure}
                    set_form(state.form.value.with_structures(chosen))
                solara.Checkbox(label=structure, value=structure in form.structures,
                                on_value=toggle)
        if "structures" in errors:
            solara.Text(errors["structures"], classes=["firmsim-error"], style=ERROR_STYLE)

        with solara.Row(style={"flex-wrap": "wrap"}):
            for spec in basic_fields():
                Field(spec, form, errors)

        for section in SECTIONS:
            specs = section_fields(section)
            wrong = [s for s in specs if s.key in errors]
            title = f"{section} settings ({len(specs)})"
            if wrong:
                title += f" - {len(wrong)} to fix"
            with Collapsible(title, css_class=f"firmsim-section-{section}"):
                with solara.Row(style={"flex-wrap": "wrap"}):
                    for spec in specs:
                        Field(spec, form, errors)
        ShockEditor(form, errors)
        if GENERAL in errors:
            solara.Error(errors[GENERAL])
        ScenarioFiles(checked)

        too_big = (budget_problem(checked.scenario.model_config_only(), len(form.structures),
                                  checked.scenario.replicates) if checked.ok else None)
        with solara.Row(style={"margin-top": "8px", "flex-wrap": "wrap",
                               "align-items": "center"}):
            solara.Button("Run", icon_name="mdi-play-box-multiple", color="primary",
                          disabled=not checked.ok or bool(too_big), on_click=start_run,
                          classes=["firmsim-run"])
            if too_big:
                solara.Text(f"refused: {too_big}", classes=["firmsim-error",
                                                            "firmsim-budget"],
                            style=ERROR_STYLE)
            elif checked.ok:
                scenario = checked.scenario
                estimate = estimate_seconds(scenario.model_config_only(),
                                            len(form.structures), scenario.replicates,
                                            cores=worker_count())
                solara.Text(f"about {estimate:.0f} s ({len(form.structures)} structures x "
                            f"{scenario.replicates} replicates)",
                            classes=["firmsim-estimate"], style={"font-size": "0.85em"})
            else:
                solara.Text("fix the fields marked in red to run", style=ERROR_STYLE)
        if state.confirm.value is not None:
            with solara.Card(classes=["firmsim-confirm"]):
                solara.Warning(
                    f"This run would take about {state.confirm.value:.0f} s (estimate; the "
                    f"app asks first above {CONFIRM_ABOVE_SECONDS:.0f} s). Fewer customers, "
                    "steps or replicates make it faster.")
                with solara.Row():
                    solara.Button("Run anyway", color="warning",
                                  on_click=lambda: start_run(confirmed=True))
                    solara.Button("Cancel", text=True,
                                  on_click=lambda: state.confirm.set(None))
        Controls(run, checked.ok)


@solara.component
def Controls(run, valid: bool):
    """Play, Pause, Step, Reset and the speed; they act on the run shown, never another."""
    def play():
        if run is None or run.finished:
            start_run()
        else:
            run.play()

    def pause():
        if run is not None:
            TIMED.pop(run, None)
            run.pause()

    def step():
        if run is None or run.finished:
            start_run(paused=True)
            new = state.run.value
            if new is not None:
                new.step_once()
        else:
            TIMED.pop(run, None)
            run.step_once()

    def set_speed(text):
        state.speed.set(text)
        if run is not None:
            if text != "max":
                TIMED.pop(run, None)
            run.set_speed(_speed_value(text))

    with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
        solara.Button("Play", icon_name="mdi-play", on_click=play, text=True,
                      disabled=run is None and not valid, classes=["firmsim-play"])
        solara.Button("Pause", icon_name="mdi-pause", on_click=pause, text=True,
                      disabled=run is None or run.finished, classes=["firmsim-pause"])
        solara.Button("Step", icon_name="mdi-step-forward", on_click=step, text=True,
                      disabled=run is None and not valid, classes=["firmsim-step"])
        solara.Button("Reset", icon_name="mdi-restore", on_click=reset_run, text=True,
                      disabled=run is None, classes=["firmsim-reset"])
    Choice("speed (steps per second per structure)", list(state.SPEEDS), state.speed.value,
           set_speed)


def shared_view(snapshot, name: str, compute, *parameters):
    """``compute()``: what the page shows of ``snapshot`` under ``name`` (with
    ``parameters``), computed once for every session showing the same numbers
    (:class:`simulation.ui.cache.SharedViews`; a run without a content key computes its
    own). Numbers at rest (finished, stopped, error, paused) are matched exactly; while the
    runs go on, a view of the same comparison at most one chart refresh old, computed from
    no step this session has not reached, is shown."""
    if snapshot.content is None:
        return compute()
    from simulation.ui.cache import VIEWS

    if snapshot.state not in ("running", "starting"):
        # Finished, stopped, failed, paused or pausing: exactly these steps.
        return VIEWS.get((snapshot.content, snapshot.version, name, *parameters), compute)
    steps = tuple(length for structure in snapshot.version[0] for length in structure)
    return VIEWS.recent((snapshot.content, name, *parameters), compute,
                        max_age=state.CHART_REFRESH, share=state.CHART_SHARE, steps=steps)


def _status_text(snapshot) -> str:
    """The status line; "step t" when every chart is at step t, "steps t1 to t2" while the
    structures stand at different steps (each chart is drawn to its structure's step)."""
    low, high = min(snapshot.done.values(), default=0), max(snapshot.done.values(), default=0)
    reached = f"{low}" if low == high else f"{low} to {high}"
    replicates = (f"{snapshot.replicates} paired replicates per structure"
                  if snapshot.replicates > 1 else "1 run per structure")
    if snapshot.state == "queued":
        ahead = snapshot.queue or 0
        place = ("next in the queue" if ahead == 0 else
                 f"{ahead} comparison{'s' if ahead > 1 else ''} ahead in the queue")
        return (f"queued: {place}; the server computes a few comparisons at a time "
                f"({snapshot.elapsed:.1f} s)")
    words = {"running": "running", "paused": "paused (no run advances)",
             "pausing": "pausing (bringing every run to one step)",
             "starting": "starting", "finished": "finished", "stopped": "stopped",
             "error": "error"}
    return (f"{words.get(snapshot.state, snapshot.state)}: step{'s' if low != high else ''} "
            f"{reached} of "
            f"{snapshot.steps}, {len(snapshot.done)} structures, {replicates} "
            f"({snapshot.elapsed:.1f} s)")


@solara.component
def Status(run):
    """The status line and progress bar (refreshed about twice a second)."""
    state.tick.value  # noqa: B018 - re-render when the run advances
    snapshot = run.snapshot()
    with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
        solara.Text(_status_text(snapshot), classes=["firmsim-status"])
        Progress(100 * snapshot.progress)


@solara.component
def Results(run):
    state.chart_tick.value  # noqa: B018 - re-render the charts (at most once a second)
    if run is None:
        solara.Info("Pick structures and a scenario, then press Run. Every structure runs "
                    "the same paired seeds; the charts show the mean over the replicates "
                    "with a 95% band and update live; shocks are dashed vertical lines.")
        return
    snapshot = run.snapshot()
    if snapshot.state == "finished" and not snapshot.error and run in TIMED:
        SPEED.observe(TIMED.pop(run), snapshot.elapsed)
    checked = validate_form(state.form.value)
    stale = is_stale(state.run_scenario.value, checked)
    Status(run)
    pids = getattr(run, "worker_pids", [])
    if pids:
        names = ", ".join(str(pid) for pid in pids)
        solara.Text(f"worker process{'es' if len(pids) > 1 else ''} {names}; "
                    f"{'they stop' if len(pids) > 1 else 'it stops'} within "
                    f"{CLOSED_TAB_FREED_WITHIN:.0f} s of closing this tab",
                    classes=["firmsim-worker"],
                    style={"font-size": "0.75em", "color": "#555"})
    if stale:
        solara.Warning("Stale: these results come from an earlier scenario; the settings "
                       "have changed since. Press Run to compute the new one.",
                       classes=["firmsim-stale"])
    if snapshot.error:
        solara.Error(f"A run failed: {snapshot.error}")
    if snapshot.state == "starting" and not snapshot.frames:
        solara.Text("building the models...")
    provisional = "" if snapshot.state == "finished" else (
        f"(provisional: step {min(snapshot.done.values(), default=0)} of {snapshot.steps})")
    def charts():
        long = snapshot.long_table()
        drawn = []
        for metric, title, y_name in CHARTS:
            bands = chart_bands(long, metric)
            option = band_option(metric, title, bands, snapshot.steps, snapshot.shocks,
                                 y_name, provisional)
            drawn.append((metric, chart_json(option),
                          chart_description(title, bands, snapshot.steps)))
        return drawn

    with solara.Column(classes=["firmsim-results"] + (["firmsim-stale-results"]
                                                     if stale else [])):
        with solara.Row(style={"flex-wrap": "wrap", "gap": "8px"},
                        classes=["firmsim-charts"]):
            for metric, option, description in shared_view(snapshot, "charts", charts):
                with solara.Column(classes=["firmsim-chart-cell"]):
                    EChart(option, "300px", f"firmsim-chart firmsim-chart-{metric}",
                           description)
        Resilience(run, snapshot, bool(provisional))
    Export(run)


@solara.component
def Resilience(run, snapshot, provisional: bool):
    metric = run.metric
    unit = UNITS.get(metric, metric)
    Prose("", heading=f"Resilience ({metric.replace('_', ' ')}, {unit})"
          + (" - provisional, runs still going" if provisional else ""))
    table = shared_view(snapshot, "resilience", lambda: snapshot.resilience)
    if table is None or table.empty:
        text = ("No shocks in this scenario." if not snapshot.shocks
                else "Figures appear once the runs pass a shock.")
        solara.Text(text, classes=["firmsim-resilience-empty"])
        return
    reference = state.reference.value
    if reference not in run.structures:
        reference = run.structures[0]
    Choice("reference structure (paired differences against it)", list(run.structures),
           reference, state.reference.set)
    def summary():
        return (comparison_sentence(table, reference, metric,
                                    values_at_last_common_step(snapshot.long_table())),
                resilience_summary(table, reference, metric, snapshot.steps).to_html(
                    index=False, classes="firmsim-resilience", border=0))

    sentence, html = shared_view(snapshot, "summary", summary, reference, metric)
    if sentence:
        solara.HTML(tag="p", unsafe_innerHTML=sentence, classes=["firmsim-sentence"],
                    style="font-weight: 500;")
    solara.HTML(tag="div", unsafe_innerHTML=html, style={"overflow-x": "auto"})
    solara.Text("Each cell: mean [95% t-interval over the replicates]. Level before: mean "
                "over the 20 steps before the shock (the baseline); level after: mean over "
                "the last 20 steps of the shock's window (to the next shock or the end). "
                "Depth: baseline minus trough; recovery: steps until back at 95% of the "
                "structure's own baseline (Kaplan-Meier median; runs not recovered by the "
                "next shock or the end are censored); area lost: the shortfall below the "
                "own baseline summed over those steps, so a structure at a lower level can "
                "lose less and still hold less. An interval of a quantity that cannot be "
                "negative (area lost) is clipped at 0 and marked. Paired: the same seeds for "
                "every structure, difference per replicate.", style={"font-size": "0.8em"})


@solara.component
def Export(run):
    """Downloads of the current runs; the data is read when a button is pressed (the
    component itself does not change while the runs advance, so it costs nothing to keep)."""
    def as_csv():
        return run.snapshot().long_table().to_csv(index=False)

    def as_parquet():
        buffer = io.BytesIO()
        run.snapshot().long_table().to_parquet(buffer, index=False)
        return buffer.getvalue()

    def as_png():
        snapshot = run.snapshot()
        return charts_png(snapshot.long_table(), snapshot.shocks, snapshot.steps)

    with solara.Row(style={"flex-wrap": "wrap"}):
        solara.FileDownload(as_csv, filename="firmsim-timeseries.csv",
                            label="time series (CSV)", mime_type="text/csv")
        solara.FileDownload(as_parquet, filename="firmsim-timeseries.parquet",
                            label="time series (Parquet)")
        solara.FileDownload(as_png, filename="firmsim-charts.png",
                            label="charts as shown (PNG)", mime_type="image/png")
        solara.FileDownload(lambda: run.snapshot().resilience.to_csv(index=False),
                            filename="firmsim-resilience.csv", label="resilience (CSV)",
                            mime_type="text/csv")
    solara.Text("Each chart also saves itself as a PNG from its toolbox (top right).",
                style={"font-size": "0.8em"})


@solara.component
def AddressSync():
    """Keep the scenario in the page address (so a link reproduces it) and load one from it."""
    router = solara.use_router()
    first = solara.use_ref(True)

    def load_from_address():
        code = link.code_in(router.search)
        if code is None:
            return
        try:
            scenario = link.decode(code)
        except ConfigError as error:
            state.load_message.set(str(error))
            return
        reset_run()
        set_form(form_from_scenario(scenario))
        if scenario.name in state.shipped_names():
            state.scenario_name.set(scenario.name)

    solara.use_effect(load_from_address, [])
    checked = validate_form(state.form.value)
    code = link.encode(scenario_key(checked.scenario)) if checked.ok else None

    def push():
        # Not on the first render: the browser then reports the address it opened, which
        # would overwrite ours (and the bare address opens the default scenario anyway).
        if first.current:
            first.current = False
            return
        if code is not None and link.code_in(router.search) != code:
            router.push(f"{router.path or '/'}?{link.PARAMETER}={code}")

    solara.use_effect(push, [code])


@solara.component
def ComparePage():
    with solara.Row(style={"flex-wrap": "wrap", "align-items": "flex-start"},
                    classes=["firmsim-compare"]):
        with solara.Column(classes=["firmsim-editor-column"]):
            ScenarioEditor()
        with solara.Column(classes=["firmsim-results-column"]):
            Results(state.run.value)
