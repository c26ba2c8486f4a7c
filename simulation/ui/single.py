"""One firm under Mesa's own ``SolaraViz``: its parameter controls, play/step/reset, plots.

Served by ``firmsim ui --single``. The compare page (``simulation.ui.app``) runs several
structures in a background process; this page is the plain Mesa way of watching one model,
stepped by SolaraViz itself. Plots use the matplotlib backend so they render offline.
"""

from __future__ import annotations

from mesa.visualization import SolaraViz, make_plot_component

from simulation import registry
from simulation.core.model import FirmModel

#: Controls SolaraViz builds from FirmModel's flat keywords (each one a real parameter).
MODEL_PARAMS = {
    "structure": {"type": "Select", "value": "hierarchy",
                  "values": list(registry.menu_structures()),
                  "label": "structure"},
    "variants": {"type": "Select", "value": "standard", "values": ["standard", "per_segment"],
                 "label": "product variants"},
    "customers": {"type": "SliderInt", "value": 5_000, "min": 500, "max": 50_000,
                  "step": 500, "label": "customers"},
    "employees": {"type": "SliderInt", "value": 200, "min": 20, "max": 2_000, "step": 20,
                  "label": "employees"},
    "cross_module_share": {"type": "SliderFloat", "value": 0.5, "min": 0.0, "max": 1.0,
                           "step": 0.05, "label": "cross-module share of K"},
    "turbulence": {"type": "SliderFloat", "value": 0.0, "min": 0.0, "max": 0.5, "step": 0.01,
                   "label": "market turbulence (redraws per step)"},
    "side_effect_awareness": {"type": "SliderFloat", "value": 0.5, "min": 0.0, "max": 1.0,
                              "step": 0.05, "label": "side-effect awareness w"},
    "lateral_links": {"type": "SliderFloat", "value": 0.0, "min": 0.0, "max": 1.0,
                      "step": 0.05, "label": "lateral links (tree-to-network dial)"},
}

COMPONENTS = [
    make_plot_component("market_share"),
    make_plot_component("fitness"),
    make_plot_component(["decision_latency", "largest_queue"]),
]


def initial_model() -> FirmModel:
    """The model the page opens with (the controls' starting values)."""
    return FirmModel(rng=1, **{name: spec["value"] for name, spec in MODEL_PARAMS.items()})


page = SolaraViz(initial_model(), components=COMPONENTS, model_params=MODEL_PARAMS,
                 name="firmsim: one firm")
