"""The app's state: Solara reactive variables (one value per browser session).

``FIRMSIM_UI_SCENARIO`` names the scenario the compare page opens with (default ``demo``);
``FIRMSIM_UI_SET`` pre-fills editor fields, e.g. ``customers.count=2000,steps=60,shocks.0.step=30``
(used by the tests and the benchmark; an unknown key is ignored).
"""

from __future__ import annotations

import os

import solara

from simulation.config import scenario as scenario_module
from simulation.errors import ConfigError
from simulation.ui.form import DEFAULT_REPLICATES, FormState, form_from_scenario
from simulation.ui.teach import LESSONS

DEFAULT_SCENARIO = os.environ.get("FIRMSIM_UI_SCENARIO", "demo")
SPEEDS = ("1", "5", "20", "50", "max")

#: Seconds between two refreshes of the status line while a run advances (about 2 a second).
REFRESH = 0.45
#: Seconds between two refreshes of the charts and tables while a run advances, at least. A
#: chart refresh costs the server 0.2-0.7 s and the browser about as much at the demo's size
#: (six charts of 5 structures x 3 series x 300 steps), CPU time the runs need; so while runs
#: play, the wait after a refresh is also at least its own duration / ``CHART_SHARE`` (charts
#: take at most about a fifth of the server's time). They refresh at once when runs pause or
#: end.
CHART_REFRESH = 1.0
CHART_SHARE = 0.2


def chart_wait_after(render_seconds: float, sessions: int = 1) -> float:
    """Seconds from one chart refresh to the next while runs play, given how long the
    refresh took and how many ``sessions`` refresh charts on this server now: at least
    ``CHART_REFRESH``, and long enough that refreshing, all sessions together, takes at most
    ``CHART_SHARE`` of the server's time (thirty sessions refreshing every second took more
    of the server's one interpreter than the runs had left)."""
    return max(CHART_REFRESH, max(1, sessions) * render_seconds / CHART_SHARE)


def shipped_names() -> list[str]:
    """Names of the shipped scenarios (none if the folder cannot be read)."""
    try:
        return scenario_module.shipped_names()
    except OSError:
        return []


def scenario_path(name: str):
    return scenario_module.SCENARIO_DIR / f"{name}.toml"


def _apply_env(form: FormState) -> FormState:
    for item in os.environ.get("FIRMSIM_UI_SET", "").split(","):
        key, equals, value = item.partition("=")
        key, value = key.strip(), value.strip()
        if not equals or not key:
            continue
        try:
            form = form.with_path(key, value)
        except ConfigError:
            continue  # not a field of the editor: the page opens without it
    return form


def load_form(name: str) -> tuple[FormState, str | None]:
    """The editor filled from a shipped scenario; the default one if it cannot be read.

    A preset with a teach card opens with the paired runs its card's claims need
    (:attr:`simulation.ui.teach.Lesson.page_replicates`); any other with its own, at most
    the app's default."""
    try:
        scenario = scenario_module.load_scenario(name)
        form = form_from_scenario(scenario, DEFAULT_REPLICATES)
        lesson = LESSONS.get(name)
        if lesson is not None and lesson.claims:
            form = form.with_value("replicates", str(lesson.page_replicates))
        return _apply_env(form), None
    except (ConfigError, OSError, ValueError) as error:
        return (_apply_env(form_from_scenario(scenario_module.Scenario(), DEFAULT_REPLICATES)),
                str(error))


def _initial_form() -> FormState:
    return load_form(DEFAULT_SCENARIO)[0]


scenario_name = solara.reactive(DEFAULT_SCENARIO)
form = solara.reactive(_initial_form())
load_message = solara.reactive(None)
run = solara.reactive(None)        # the current ComparisonRun, or None
tick = solara.reactive(0)          # bumped when the current run advances (status line)
chart_tick = solara.reactive(0)    # bumped at most every CHART_REFRESH s while it runs (charts)
speed = solara.reactive("max")
teach_mode = solara.reactive(True)
tab = solara.reactive(0)
firm_structure = solara.reactive(None)
color_by = solara.reactive("queue")
results_path = solara.reactive("results/demo")
run_scenario = solara.reactive(None)  # scenario data (dict) the current run was started from
reference = solara.reactive(None)     # structure the paired differences are taken against
confirm = solara.reactive(None)       # estimated seconds of a run waiting for confirmation
presenter = solara.reactive(False)    # large-font mode for a room
question_run = solara.reactive(None)  # the question page's run
question = solara.reactive(None)      # (have, consider, situation, replicates) of that run
upload_message = solara.reactive(None)

# The question page's form (reactive here, not component state: it survives a tab change).
question_have = solara.reactive("hierarchy")
question_consider = solara.reactive("podular")
question_situation = solara.reactive(None)   # None: the first situation
question_replicates = solara.reactive(5)
question_customers = solara.reactive("20000")
