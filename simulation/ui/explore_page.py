"""Explore results: a results folder's figures, sensitivity indices and tables."""

from __future__ import annotations

import solara

from simulation.ui import state
from simulation.ui.explore import (
    filter_frame,
    load_results,
    results_folders,
    results_root,
    sensitivity_tables,
)
from simulation.ui.widgets import Prose


@solara.component
def TableView(name: str, frame):
    filters, set_filters = solara.use_state({}, key=name)
    columns = [str(c) for c in frame.columns]
    shown_columns = [c for c in columns if c in ("structure", "replicate", "step", "kind",
                                                 "shock", "metric")][:4] or columns[:3]
    with solara.Row(style={"flex-wrap": "wrap"}):
        for column in shown_columns:
            def change(text, column=column):
                set_filters({**filters, column: text})
            solara.InputText(f"filter {column}", value=filters.get(column, ""),
                             on_value=change, continuous_update=False,
                             style={"max-width": "170px"})
    filtered, problems = filter_frame(frame, filters)
    for message in problems.values():
        solara.Warning(message)
    solara.Text(f"{len(filtered):,} of {len(frame):,} rows. Filters: text contained, or "
                "for numbers >0.5, <=10, =3, !=0.", style={"font-size": "0.8em"})
    solara.DataFrame(filtered, items_per_page=15, scrollable=True)


@solara.component
def ExplorePage():
    path = state.results_path.value
    root = results_root()
    result = solara.use_memo(lambda: load_results(path, root=root), [path])
    folders = solara.use_memo(lambda: results_folders(root), [])
    chosen, set_chosen = solara.use_state(None)
    with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
        solara.InputText("results folder", value=state.results_path, style={"min-width": "380px"},
                         classes=["firmsim-results-path"])
        if folders:
            solara.Select("or pick one", values=folders,
                          value=path if path in folders else None,
                          on_value=state.results_path.set, style={"min-width": "320px"})
    for message in result.messages:
        solara.Warning(message, classes=["firmsim-results-message"])
    if not result.ok:
        return
    if result.manifest and isinstance(result.manifest.get("scenario"), dict):
        scenario = result.manifest["scenario"]
        Prose(f"**{scenario.get('name', '')}**: {scenario.get('description', '')}")
    if result.images:
        Prose("", heading="Figures (heatmaps, comparisons)")
        with solara.GridFixed(columns=2):
            for name, url in result.images.items():
                with solara.Column():
                    solara.Text(name)
                    solara.HTML(tag="img", attributes={"src": url, "alt": name,
                                                       "style": "max-width: 100%;"})
    sensitivity = sensitivity_tables(result)
    if sensitivity:
        Prose("", heading="Sensitivity indices")
        for name, frame in sensitivity.items():
            solara.Text(name)
            solara.DataFrame(frame, items_per_page=20, scrollable=True)
    if result.tables:
        Prose("", heading="Tables")
        preferred = ("timeseries.parquet", "resilience.parquet")
        names = [n for n in preferred if n in result.tables] + [
            n for n in result.tables if n not in preferred]
        if chosen not in result.tables:
            chosen = names[0]
        solara.ToggleButtonsSingle(value=chosen, values=names, on_value=set_chosen)
        TableView(chosen, result.tables[chosen]).key(f"{path}/{chosen}")
