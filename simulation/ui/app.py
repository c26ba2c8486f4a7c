"""The firmsim browser app (Solara): ``firmsim ui`` or ``solara run simulation.ui.app:Page``.

Pages (tabs): Compare (the start page), Question, Inside the firm, Explore results, Teach,
Info, Compete (the start page of a Compete link, ``?compete=...``). The runs compute in
worker processes (:mod:`simulation.ui.runner`); a light polling thread in :func:`Page`
re-renders the page while a run advances (the status about twice a
second, the charts at most once a second).
"""

from __future__ import annotations

import math
import os
import threading
import time

import solara

from simulation.ui import compete_page, state
from simulation.ui.compare import AddressSync, ComparePage, choose_scenario
from simulation.ui.compete_page import CompetePage
from simulation.ui.explore_page import ExplorePage
from simulation.ui.firm_view import FirmPage
from simulation.ui.info import InfoPage
from simulation.ui.question import QuestionPage
from simulation.ui.runner import prepare_worker
from simulation.ui.state import CHART_REFRESH, REFRESH, chart_wait_after
from simulation.ui.teach import lesson_for
from simulation.ui.widgets import EChartsPreload, PageLanguage, Prose

#: Page styles: narrow screens stack the editor above the results, charts wrap to one
#: column; stale results are dimmed; presenter mode enlarges everything; the progress bar jumps
#: to its new value (its sliding animation kept Chromium drawing ~20 frames a second).
STYLE = """
.firmsim-resilience td, .firmsim-resilience th {padding: 2px 8px; text-align: right;
  font-size: 0.85em}
.firmsim-resilience th {text-align: center}
.firmsim-resilience {border-collapse: collapse}
.firmsim-resilience tr:nth-child(even) {background: #f4f4f4}
.firmsim-editor-column {flex: 1 1 360px; min-width: 0; max-width: 560px}
.firmsim-results-column {flex: 3 1 560px; min-width: 0}
.firmsim-chart-cell {flex: 1 1 420px; min-width: 0}
.firmsim-stale-results {opacity: 0.45}
.firmsim-presenter {zoom: 1.35}
.firmsim-progress .v-progress-linear__determinate,
.firmsim-progress .v-progress-linear__background {transition: none !important}
@media (max-width: 900px) {
  .firmsim-editor-column, .firmsim-results-column {flex: 1 1 100%; max-width: 100%}
}
"""

#: ``FIRMSIM_UI_DEBUG=1`` prints how long each live refresh takes on the server.
DEBUG = bool(os.environ.get("FIRMSIM_UI_DEBUG"))


def _prepare() -> None:
    """Worker processes load the model and its compiled kernels while the first page opens;
    the server imports what the resilience table needs (lifelines, scipy.stats: 0.7-2.5 s of
    CPU that the first comparison would otherwise take from its runs)."""
    prepare_worker()
    import lifelines.utils  # noqa: F401


threading.Thread(target=_prepare, name="firmsim-ui-standby", daemon=True).start()


#: Sessions whose charts refresh now (their runs advance): the server's chart time is
#: shared between them (:func:`simulation.ui.state.chart_wait_after`).
_refreshing = [0]
_refreshing_lock = threading.Lock()


def _poll(runs, cancel: threading.Event) -> None:
    with _refreshing_lock:
        _refreshing[0] += 1
    try:
        _poll_until_ended(runs, cancel)
    finally:
        with _refreshing_lock:
            _refreshing[0] -= 1


def _poll_until_ended(runs, cancel: threading.Event) -> None:
    """Bump ``state.tick`` whenever one of ``runs`` has advanced (every ``REFRESH`` s) and
    ``state.chart_tick`` at most every ``CHART_REFRESH`` s and within ``CHART_SHARE`` of the
    time (and whenever a run pauses, plays or ends), until they have all ended.

    Setting either re-renders the components that read it, in this thread.
    """
    last, last_flags, charts_at, chart_wait = None, None, -math.inf, CHART_REFRESH
    while not cancel.is_set():
        began = time.perf_counter()
        version = tuple((run.version(), run.finished, run.playing) for run in runs)
        if version != last:
            last = version
            flags = tuple(item[1:] for item in version)
            playing = any(item[2] for item in version)
            # Rate-limited only while runs play: a step taken by hand shows at once. Charts
            # first, so the status never says "finished" above charts that do not yet.
            if flags != last_flags or not playing or began - charts_at >= chart_wait:
                last_flags, charts_at = flags, began
                state.chart_tick.set(state.chart_tick.value + 1)  # renders, in this thread
                chart_wait = chart_wait_after(time.perf_counter() - began, _refreshing[0])
            state.tick.set(state.tick.value + 1)
            if DEBUG:
                print(f"firmsim ui: render {time.perf_counter() - began:.3f} s", flush=True)
        if all(item[1] for item in last):
            return
        cancel.wait(max(0.02, REFRESH - (time.perf_counter() - began)))


@solara.component
def TeachPage():
    Prose("Each preset scenario demonstrates one idea. Open one in the Compare page, press "
          "Run, and read the charts with the notes below.", heading="Teach mode")
    for name in state.shipped_names():
        lesson = lesson_for(name, state.scenario_path(name))
        if lesson is None:
            continue

        def open_it(name=name):
            choose_scenario(name)  # from a clean page: the previous runs are dropped
            state.teach_mode.set(True)
            state.tab.set(0)

        with solara.Card(f"{lesson.title} ({name})", classes=["firmsim-teach-card"]):
            Prose(lesson.concept)
            Prose(f"**What to look for.** {lesson.look_for}")
            solara.Button(f"open '{name}' in Compare", on_click=open_it, text=True,
                          icon_name="mdi-arrow-right")
            if lesson.checked_by:
                solara.Text(f"Checked by {lesson.checked_by} over paired replicates.",
                            style={"font-size": "0.8em"})


#: The tabs, in order (``state.tab`` is an index into it).
PAGES = (("Compare", ComparePage), ("Question", QuestionPage),
         ("Inside the firm", FirmPage), ("Explore results", ExplorePage),
         ("Teach", TeachPage), ("Info", InfoPage), ("Compete", CompetePage))


@solara.component
def Page():
    run = state.run.value
    asked = state.question_run.value

    def poll(cancel: threading.Event):
        runs = [r for r in dict.fromkeys((run, asked)) if r is not None]
        if runs:
            _poll(runs, cancel)

    solara.use_thread(poll, dependencies=[run, asked], intrusive_cancel=False)
    router = solara.use_router()

    def open_linked_tab():
        # A Compete link (``?compete=...``) opens its own tab; the page loads its inputs
        # from the address when it is first drawn.
        if compete_page.code_in(router.search) is not None:
            state.tab.set(next(k for k, (label, _) in enumerate(PAGES) if label == "Compete"))

    solara.use_effect(open_linked_tab, [])
    solara.Title("firmsim: structures under shocks")
    solara.Style(STYLE)
    PageLanguage()
    EChartsPreload()
    AddressSync()
    classes = ["firmsim-root"] + (["firmsim-presenter"] if state.presenter.value else [])
    with solara.Column(style={"padding": "8px 16px"}, classes=classes):
        with solara.Row(style={"align-items": "baseline", "flex-wrap": "wrap"}):
            solara.HTML(tag="h1", unsafe_innerHTML="firmsim",
                        style="font-size: 1.6em; margin: 0")
            solara.Text("networked vs. hierarchical firms under market shocks")
            solara.Switch(label="presenter mode (large text)", value=state.presenter)
        # Vuetify tabs (solara.lab.Tabs needs a newer ipyvuetify than Mesa's); only the
        # open page is rendered.
        with solara.v.Tabs(v_model=state.tab.value, on_v_model=state.tab.set):
            for label, _ in PAGES:
                solara.v.Tab(children=[label])
        index = state.tab.value if 0 <= (state.tab.value or 0) < len(PAGES) else 0
        PAGES[index][1]()

__all__ = ["Page"]
