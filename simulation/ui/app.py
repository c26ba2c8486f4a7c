"""The firmsim browser app (Solara): ``firmsim ui`` or ``solara run simulation.ui.app:Page``.

Pages (tabs): Compare (the start page), Inside the firm, Explore results, Teach. The runs
compute in background threads (:mod:`simulation.ui.runner`); a light polling thread in
:func:`Page` re-renders the page while a run advances (about three times a second).
"""

from __future__ import annotations

import os
import threading
import time

import solara

from . import state
from .compare import ComparePage, choose_scenario
from .explore_page import ExplorePage
from .firm_view import FirmPage
from .runner import prepare_worker
from .teach import lesson_for
from .widgets import Prose

#: Seconds between two refreshes of the page while a run advances (>= 2 Hz).
REFRESH = 0.25
#: ``FIRMSIM_UI_DEBUG=1`` prints how long each live refresh takes on the server.
DEBUG = bool(os.environ.get("FIRMSIM_UI_DEBUG"))

# A worker process loads the model and its compiled kernels while the first page opens.
threading.Thread(target=prepare_worker, name="firmsim-ui-standby", daemon=True).start()


def _poll(run, cancel: threading.Event) -> None:
    """Bump ``state.tick`` whenever ``run`` has advanced (every ``REFRESH`` s), until it ends.

    Setting ``state.tick`` re-renders the components that read it, in this thread.
    """
    last = None
    while not cancel.is_set():
        began = time.perf_counter()
        version = (run.version(), run.finished, run.playing)
        if version != last:
            last = version
            state.tick.set(state.tick.value + 1)
            if DEBUG:
                print(f"firmsim ui: render {time.perf_counter() - began:.3f} s", flush=True)
        if run.finished and last[1]:
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
            choose_scenario(name)
            state.teach_mode.set(True)
            state.tab.set(0)

        with solara.Card(f"{lesson.title} ({name})", classes=["firmsim-teach-card"]):
            Prose(lesson.concept)
            Prose(f"**What to look for.** {lesson.look_for}")
            solara.Button(f"open '{name}' in Compare", on_click=open_it, text=True,
                          icon_name="mdi-arrow-right")


@solara.component
def Page():
    run = state.run.value

    def poll(cancel: threading.Event):
        if run is not None:
            _poll(run, cancel)

    solara.use_thread(poll, dependencies=[run], intrusive_cancel=False)
    solara.Title("firmsim: structures under shocks")
    solara.Style(".firmsim-resilience td, .firmsim-resilience th {padding: 2px 8px;"
                 " text-align: right; font-size: 0.85em} .firmsim-resilience"
                 " {border-collapse: collapse} .firmsim-resilience tr:nth-child(even)"
                 " {background: #f4f4f4}")
    with solara.Column(style={"padding": "8px 16px"}):
        with solara.Row(style={"align-items": "baseline"}):
            solara.HTML(tag="h2", unsafe_innerHTML="firmsim")
            solara.Text("networked vs. hierarchical firms under market shocks")
        pages = (("Compare", ComparePage), ("Inside the firm", FirmPage),
                 ("Explore results", ExplorePage), ("Teach", TeachPage))
        # Vuetify tabs (solara.lab.Tabs needs a newer ipyvuetify than Mesa's); only the
        # open page is rendered.
        with solara.v.Tabs(v_model=state.tab.value, on_v_model=state.tab.set):
            for label, _ in pages:
                solara.v.Tab(children=[label])
        index = state.tab.value if 0 <= (state.tab.value or 0) < len(pages) else 0
        pages[index][1]()

__all__ = ["Page"]
