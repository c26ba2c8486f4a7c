"""The picture of a market of several firms: each firm's share over time, with bands.

Used by ``firmsim compete`` (written to ``shares.png``) and the app's Compete page.
"""

from __future__ import annotations

import pandas as pd


def share_figure(bands: pd.DataFrame, structure_of: dict[str, str], marks=()):
    """A matplotlib figure: mean share per firm and of the outside option, 95% bands.

    ``bands`` is :func:`simulation.execution.competition.share_bands`'s table (bands
    clipped to [0, 1]; the title says so when any was);
    ``structure_of`` maps each firm to its structure (for colours and labels); ``marks`` are
    steps drawn as dashed lines (shocks, entries).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from simulation import registry
    from simulation.analysis.report import band_note
    from simulation.core.competition import NO_FIRM

    figure, axis = plt.subplots(figsize=(9, 5))
    for firm in [*structure_of, NO_FIRM]:
        rows = bands[bands["firm"] == firm]
        if firm == NO_FIRM:
            style = {"color": "0.5", "linestyle": ":", "label": "no firm (outside option)"}
        else:
            colour = getattr(registry.get("structure", structure_of[firm]), "colour", None)
            style = {"color": colour, "label": f"{firm} ({structure_of[firm]})"}
        line, = axis.plot(rows["step"], rows["mean"], linewidth=1.5, **style)
        axis.fill_between(rows["step"], rows["low"], rows["high"], alpha=0.2,
                          color=line.get_color())
    for step in marks:
        axis.axvline(step, color="0.4", linestyle="--", linewidth=1)
    axis.set_xlabel("step")
    axis.set_ylabel("market share")
    axis.set_ylim(0, 1)
    clipped = bool(bands["clipped"].any()) if "clipped" in bands else False
    replicates = int(bands["n"].max()) if len(bands) else 0
    axis.set_title("market share of each firm\n(" + band_note("market_share", replicates,
                                                               clipped) + ")")
    axis.legend(frameon=False)
    figure.tight_layout()
    return figure
