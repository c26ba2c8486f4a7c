"""The Info page: each structure and each metric in plain language, and the ideas behind them."""

from __future__ import annotations

import solara

from simulation import registry
from simulation.ui.widgets import Prose

IDEAS = (
    ("Mass production vs. the networked firm",
     "Firms built for mass production are a tree of managers: the frontline hears the "
     "customer, proposals climb the tree, decisions are taken at the top and one standard "
     "product is pushed out. The networked (\"social\") firm is flat or made of small teams "
     "that sense customers directly, decide locally and treat customers and stakeholders as "
     "partners. firmsim asks which of them adapts better to market shocks, by how much and "
     "under which conditions; the answer must come out of the agents' interactions, never be "
     "written into the rules, and each structure is expected to win somewhere."),
    ("Pods and hubs",
     "A pod is a small autonomous team (five to seven people) that owns a part of the product "
     "and a group of customers. A hub links several pods: it can veto a pod's change that "
     "hurts another pod's part of the product, with a lag and a capacity of its own. The "
     "podular firm keeps most of a network's speed while limiting the damage of local "
     "decisions with side effects (the \"dandelion\" or hub-and-spoke firm)."),
    ("Customers as partners",
     "In the open firm a share of customers, and the partner stakeholders, propose changes "
     "themselves, tested on their own needs: the firm senses through people outside it."),
    ("What nobody knows",
     "No agent uses information that did not reach it through a modelled channel: whoever "
     "decides judges a change by what it was told (distorted at each hop) and what it "
     "gathered itself at a cost in time."),
)

METRICS_TEXT = (
    ("market share", "share of the active customers who buy the product (0 to 1)."),
    ("fitness", "how well the product fits the customers' needs, normalised so that the "
     "best possible product is 1."),
    ("satisfaction", "mean satisfaction of the buyers with what they get."),
    ("sentiment", "mean belief of the customers about the product relative to the "
     "competitors' offer (-1 to 1); word of mouth and media move it."),
    ("decision latency", "steps a proposal waits from being made to being decided."),
    ("congestion (largest queue)", "the most messages waiting at any one employee."),
    ("depth", "how far the metric falls after a shock: the level before it (baseline) minus "
     "the lowest point (trough)."),
    ("recovery time", "steps until the metric is back at 95% of its baseline; a run that "
     "has not recovered by the next shock or the end is 'not recovered within N steps' "
     "(censored), and the median is a Kaplan-Meier estimate."),
    ("area lost", "the shortfall below the baseline summed over the steps after the shock: "
     "depth and duration in one number (lower is better)."),
    ("interval [low, high]", "a 95% Student-t interval over the replicates. Paired: every "
     "structure runs the same seeds (the same market and customers), so a difference is "
     "taken replicate by replicate; an interval that excludes 0 is a clear difference."),
)


@solara.component
def InfoPage():
    solara.HTML(tag="h3", unsafe_innerHTML="What the app shows")
    for title, text in IDEAS:
        Prose(text, heading=title)
    solara.HTML(tag="h3", unsafe_innerHTML="The structures")
    for structure in registry.entries("structure"):
        Prose(f"**{structure.name}**: {structure.description} *Who senses:* "
              f"{structure.senses}. *Who decides:* {structure.decides}.")
    solara.HTML(tag="h3", unsafe_innerHTML="The figures")
    for name, text in METRICS_TEXT:
        Prose(f"**{name}**: {text}")
