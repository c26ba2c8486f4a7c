"""The Compete page: two to four firms of the strategist's choice in one market, their
shares moving live, with replicates and 95% bands as in Compare.

The replicates advance in lockstep in a background thread (:func:`run_live`): every
``PUBLISH_EVERY`` steps the page gets the shares so far, drawn with their bands
(:func:`simulation.analysis.compete_report.share_figure`); at the end, the reading of who
took the market from whom and when (:func:`simulation.execution.competition.reading`).
The page's inputs live in the address (``?compete=<code>``, :func:`encode_inputs`), as the
Compare page keeps its scenario there: a copied address opens the app on this tab
(:func:`simulation.ui.app.Page`) with the same firms and market. Not yet: the Compare page's
live worker processes (the runs here share the app's process).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pandas as pd
import solara

from simulation import registry
from simulation.config.schema import ModelConfig
from simulation.errors import ConfigError
from simulation.ui import link

#: Steps between two live redraws of the shares.
PUBLISH_EVERY = 10
#: Structures offered for a firm, and the market's default sizes on this page.
MAX_FIRMS_HERE = 4
DEFAULTS = {"customers": 3000, "steps": 200, "replicates": 5, "turbulence": 0.0}


#: The query parameter that holds the page's inputs.
PARAMETER = "compete"
#: The page's inputs, their types and what each may hold (a link is checked against them).
INPUTS = {"count": int, "structures": list, "sizes": list, "enters": list, "customers": int,
          "steps": int, "replicates": int, "turbulence": float, "crisis": str,
          "crisis_step": int}


def encode_inputs(inputs: dict) -> str:
    """The address code of the page's inputs (:func:`simulation.ui.link.pack`, as the
    Compare page's scenario links)."""
    return link.pack({k: inputs[k] for k in INPUTS})


def decode_inputs(code: str) -> dict:
    """The inputs of an address code; a one-line :class:`ConfigError` naming the field if a
    value is missing, of the wrong type or out of range, or if the code is damaged."""
    data = link.unpack(code, PARAMETER, "market")
    for name, kind in INPUTS.items():
        value = data.get(name)
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = data[name] = float(value)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise ConfigError(f"page address: {name}={value!r}: expected a "
                              f"{kind.__name__}")
    if not 2 <= data["count"] <= MAX_FIRMS_HERE:
        raise ConfigError(f"page address: count={data['count']}: allowed 2 to "
                          f"{MAX_FIRMS_HERE} firms")
    for name in ("structures", "sizes", "enters"):
        if len(data[name]) != MAX_FIRMS_HERE:
            raise ConfigError(f"page address: {name}: expected {MAX_FIRMS_HERE} values")
    names = registry.names("structure")
    for k, structure in enumerate(data["structures"]):
        if structure not in names:
            raise ConfigError(f"page address: structures[{k}]={structure!r}: allowed values "
                              f"are {', '.join(names)}")
    if not 2 <= data["replicates"] <= 20:
        raise ConfigError(f"page address: replicates={data['replicates']}: allowed 2 to 20")
    # The market itself is checked as the Run button checks it (one line naming the field).
    compete_config(data["structures"][:data["count"]], data["sizes"][:data["count"]],
                   data["enters"][:data["count"]], data["customers"], data["steps"],
                   data["turbulence"], data["crisis"], data["crisis_step"])
    return data


def code_in(search: str | None) -> str | None:
    """The market code of a query string (``a=1&compete=...``), or None."""
    return link.code_in(search, PARAMETER)


def compete_config(structures: list[str], employees: list[int], enters: list[int],
                   customers: int, steps: int, turbulence: float, crisis_firm: str = "",
                   crisis_step: int = 0) -> ModelConfig:
    """The market the page runs (one-line ConfigError naming a field on bad input)."""
    from simulation.config.schema import config_from_flat
    from simulation.execution.competition import market_config

    firms, seen = [], {}
    for structure, size, step in zip(structures, employees, enters, strict=True):
        seen[structure] = seen.get(structure, 0) + 1
        name = structure if seen[structure] == 1 else f"{structure}-{seen[structure]}"
        firms.append({"name": name, "structure": structure, "enters_at": int(step),
                      "firm": {"employees": int(size)}})
    shocks = ([{"kind": "reputation_crisis", "step": int(crisis_step), "strength": 0.4,
                "share": 0.3, "firm": crisis_firm}] if crisis_firm else [])
    base = config_from_flat(customers=customers, steps=steps, turbulence=turbulence)
    return market_config(base, firms, shocks)


def run_live(config: ModelConfig, replicates: int, seed: int,
             publish: Callable[[pd.DataFrame, int], None],
             cancel: threading.Event | None = None) -> list:
    """Run ``replicates`` markets in lockstep; ``publish(shares so far, step)`` every
    :data:`PUBLISH_EVERY` steps and at the end. Returns the finished models (seeds as in
    ``firmsim compete``, so the numbers are the command's)."""
    from simulation.config.seeds import run_seed
    from simulation.core.competition import MarketModel

    models = [MarketModel(config, rng=run_seed(seed, r)) for r in range(replicates)]

    def shares() -> pd.DataFrame:
        frames = []
        for r, model in enumerate(models):
            frame = model.shares()
            frame.insert(0, "replicate", r)
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)

    for t in range(config.steps):
        if cancel is not None and cancel.is_set():
            return models
        for model in models:
            model.step()
        if (t + 1) % PUBLISH_EVERY == 0 or t + 1 == config.steps:
            publish(shares(), t + 1)
    return models


def final_reading(config: ModelConfig, models: list) -> str:
    """The command's reading of the finished runs."""
    from simulation.execution.competition import MarketTables, reading

    tables = []
    for r, model in enumerate(models):
        parts = [model.metrics(), model.shares(), model.flows(), model.resilience(),
                 pd.DataFrame()]
        for part in parts[:4]:
            part.insert(0, "replicate", r)
        tables.append(parts)
    merged = MarketTables(*(pd.concat([t[k] for t in tables], ignore_index=True)
                            for k in range(5)))
    return reading(merged, min(50, config.steps), config.shocks)


@solara.component
def CompetePage():
    """The page: firms, market, run, live shares, reading."""
    count = solara.use_reactive(2)
    structures = solara.use_reactive(["hierarchy", "podular", "network", "open"])
    sizes = solara.use_reactive([200, 200, 200, 200])
    enters = solara.use_reactive([0, 0, 0, 0])
    customers = solara.use_reactive(DEFAULTS["customers"])
    steps = solara.use_reactive(DEFAULTS["steps"])
    replicates = solara.use_reactive(DEFAULTS["replicates"])
    turbulence = solara.use_reactive(DEFAULTS["turbulence"])
    crisis = solara.use_reactive("")
    crisis_step = solara.use_reactive(100)
    live = solara.use_reactive(None)
    message = solara.use_reactive("")
    running = solara.use_reactive(False)
    names = registry.names("structure")
    choices = [n for n in names if n != "org_chart"]
    router = solara.use_router()
    first = solara.use_ref(True)
    fields = {"count": count, "structures": structures, "sizes": sizes, "enters": enters,
              "customers": customers, "steps": steps, "replicates": replicates,
              "turbulence": turbulence, "crisis": crisis, "crisis_step": crisis_step}

    def load_from_address():
        code = code_in(router.search)
        if code is None:
            return
        try:
            inputs = decode_inputs(code)
        except ConfigError as error:
            message.set(str(error))
            return
        for name, reactive in fields.items():
            reactive.set(inputs[name])

    solara.use_effect(load_from_address, [])
    code = encode_inputs({name: reactive.value for name, reactive in fields.items()})

    def push():
        # Not on the first render: the address it was opened with is read first.
        if first.current:
            first.current = False
            return
        if code_in(router.search) != code:
            router.push(f"{router.path or '/'}?{PARAMETER}={code}")

    solara.use_effect(push, [code])

    def set_item(reactive, k, value):
        items = list(reactive.value)
        items[k] = value
        reactive.set(items)

    def start():
        try:
            config = compete_config(structures.value[:count.value], sizes.value[:count.value],
                                    enters.value[:count.value], customers.value, steps.value,
                                    turbulence.value, crisis.value, crisis_step.value)
        except Exception as error:  # noqa: BLE001 - shown beside the button, one line
            message.set(str(error))
            return
        message.set("")
        running.set(True)

        def work():
            try:
                models = run_live(config, replicates.value, 1,
                                  lambda shares, t: live.set((config, shares, t, "")))
                shares = live.value[1] if live.value else None
                live.set((config, shares, config.steps, final_reading(config, models)))
            finally:
                running.set(False)

        threading.Thread(target=work, daemon=True).start()

    with solara.Row(style={"flex-wrap": "wrap"}):
        with solara.Column(classes=["firmsim-editor-column"]):
            solara.Markdown("Two to four firms in one market, competing for the same "
                            "customers (`firmsim compete`).")
            # Sliders show their value in the label (a slider alone shows no number).
            solara.SliderInt(f"firms: {count.value}", value=count, min=2, max=MAX_FIRMS_HERE)
            # The firms' rows in a column of their own: a change in their number never
            # moves the fields below to another position (a field reused at another
            # position kept the text of the one it replaced: a linked market opened with
            # three firms showed the steps in "customers").
            with solara.Column(gap="0px"):
                for k in range(count.value):
                    with solara.Row():
                        solara.Select(f"firm {k + 1}", values=choices,
                                      value=structures.value[k],
                                      on_value=lambda v, k=k: set_item(structures, k, v))
                        solara.InputInt("employees", value=sizes.value[k],
                                        on_value=lambda v, k=k: set_item(sizes, k, v))
                        solara.InputInt("enters at step", value=enters.value[k],
                                        on_value=lambda v, k=k: set_item(enters, k, v))
            solara.InputInt("customers", value=customers)
            solara.InputInt("steps", value=steps)
            solara.SliderInt(f"replicates: {replicates.value}", value=replicates, min=2,
                             max=20)
            solara.SliderFloat("turbulence (share of needs redrawn a step): "
                               f"{turbulence.value:.2f}", value=turbulence, min=0.0, max=0.2,
                               step=0.01)
            firm_names = [""] + list(dict.fromkeys(structures.value[:count.value]))
            solara.Select("reputation crisis about (none: no crisis)", values=firm_names,
                          value=crisis)
            solara.InputInt("crisis at step", value=crisis_step)
            solara.Button("Run", on_click=start, disabled=running.value, color="primary")
            if message.value:
                solara.Error(message.value)
            solara.Text("The page address holds these inputs: copy it to share this market.",
                        style={"font-size": "0.8em"})
        with solara.Column(classes=["firmsim-results-column"]):
            if live.value is not None and live.value[1] is not None:
                from simulation.analysis.compete_report import share_figure
                from simulation.execution.competition import share_bands

                config, shares, t, text = live.value
                marks = [s.step for s in config.shocks] + [
                    f.enters_at for f in config.firms if f.enters_at]
                solara.Text(f"step {t} of {config.steps}")
                solara.FigureMatplotlib(share_figure(
                    share_bands(shares), {f.name: f.structure for f in config.firms}, marks))
                if text:
                    solara.Markdown("\n\n".join(text.splitlines()))
