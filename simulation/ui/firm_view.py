"""Inside the firm: the organization of one running structure and its customers' network."""

from __future__ import annotations

import solara

from simulation.ui import state
from simulation.ui.charts import customer_option, org_option
from simulation.ui.compare import Controls, validate_form
from simulation.ui.widgets import EChart, Prose


@solara.component
def FirmPage():
    state.tick.value  # noqa: B018 - re-render when the run advances
    run = state.run.value
    if run is None:
        solara.Info("Start a comparison on the Compare page: this page then shows, live, the "
                    "organization of each structure and a sample of its customers.")
        return
    structure = state.firm_structure.value
    if structure not in run.structures:
        structure = run.structures[0]
    Controls(run, validate_form(state.form.value).ok)
    with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
        solara.ToggleButtonsSingle(value=structure, values=list(run.structures),
                                   on_value=state.firm_structure.set)
        solara.ToggleButtonsSingle(value=state.color_by.value, values=["queue", "workload"],
                                   on_value=state.color_by.set)
        snapshot = run.snapshot()
        solara.Text(f"step {snapshot.done.get(structure, 0)} of {snapshot.steps}",
                    classes=["firmsim-firm-step"])
    org = run.org_view(structure)
    customers = run.customer_view(structure)
    if org is None or customers is None:
        solara.Text("building the model...")
        return
    what = "queue length" if state.color_by.value == "queue" else "workload"
    with solara.Columns([7, 5]):
        with solara.Column():
            caption = f"{structure}: {org.kind}, coloured by {what}"
            solara.Text(caption, classes=["firmsim-org-caption"])
            if org.departed:
                lines = ("reporting lines" if org.kind == "tree" else "links to a hub")
                solara.Text(f"as it is now (replicate 0): {org.departed} employees left; "
                            f"{org.reattached} re-attached by the repair ({lines} redrawn), "
                            f"{int(org.alive.sum())} remain",
                            classes=["firmsim-org-repair"])
            description = (f"Organization of {structure} at step "
                           f"{snapshot.done.get(structure, 0)}: {int(org.alive.sum())} "
                           f"employees, {len(org.edges)} links, largest queue "
                           f"{int(org.queue.max()) if len(org.queue) else 0}")
            EChart(org_option(org, state.color_by.value, ""), "520px", "firmsim-org",
                   description)
            Prose(
                "Each dot is an employee (large: managers and hubs; grey, in the bottom row "
                "of a tree: employees who left). The drawing follows the firm as it is now: "
                "after a talent loss the reports of a departed manager hang under the "
                "manager who took them over. In a hierarchy proposals climb to the top, so "
                "the queues grow at the managers; in a network or pods they are spread over "
                "many deciders. Hover a node for its value; scroll to zoom.")
        with solara.Column():
            solara.Text("Customers around a few customers, coloured by sentiment",
                        classes=["firmsim-customers-caption"])
            negative = int((customers.sentiment < 0).sum())
            EChart(customer_option(customers, ""), "420px", "firmsim-customers",
                   f"Sample of {len(customers.nodes)} customers: {negative} with negative "
                   f"sentiment, {int(customers.buying.sum())} buying")
            Prose(
                "A sample of the customer network (a few customers and their neighbours), "
                "coloured by sentiment (orange negative, blue positive; large: buying). "
                "After a reputation crisis, watch orange spread from neighbour to neighbour "
                "by word of mouth, then fade as experience contradicts the story.")
