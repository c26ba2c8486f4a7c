"""What ``firmsim design`` can optimise and report: names only, so the CLI's help loads nothing."""

from __future__ import annotations

#: Objectives of ``firmsim design`` -> (metric name, direction, meaning).
OBJECTIVES: dict[str, tuple[str, str]] = {
    "area_lost": ("minimize", "area of the resilience triangle of the resilience metric, "
                              "summed over the scenario's shocks"),
    "depth": ("minimize", "depth of the fall after each shock, summed over shocks"),
    "post_level": ("maximize", "level after each shock over the old baseline, mean over "
                               "shocks"),
    "mean_fitness": ("maximize", "product fitness, mean over all steps"),
    "mean_market_share": ("maximize", "market share, mean over all steps"),
    "cumulative_profit": ("maximize", "profit summed over the run (revenue less every cost "
                                      "of the economics submodel)"),
}

#: Coordination costs reported for every trial (and the second and third objectives of the
#: Pareto front): messages sent and capacity used per employee, means over all steps.
COSTS = ("messages_sent", "workload")

STRUCTURE_PARAMETER = "structure"
