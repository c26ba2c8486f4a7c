"""Why do a few lateral links undo the tree? A diagnosis of the ``lateral_links`` dial
(issue 22).

    PYTHONPATH=. python experiments/economics/lateral_dial.py [--seeds 4] [--customers 3000]

Hierarchy, every cost zero (the cost-free model the issue measured; ``--with-costs`` for the
default economics), calm market unless ``--set turbulence=...``, lateral links at several
levels. Per level: the share of frontline employees who decide locally, the
market-share level (mean of the last 50 of 250 steps), changes approved a step by the top
and by local deciders, and the share of local approvals whose true effect on the product
(customer-weighted normalised fitness of the variant, at the moment of approval) was
negative. Counts come from wrapping the organization submodel's functions (no change to it).
"""

from __future__ import annotations

import argparse

import numpy as np

from simulation import FirmModel
from simulation.core import organization
from simulation.kernels import organization as org_kernels

ZERO = dict(start_unit_cost=0.0, variant_cost=0.0, retooling_cost=0.0, wage_bill=0.0,
            manager_premium=0.0, coordination_price=0.0)


class Tally:
    """Counts of approvals by the tops and by local deciders, and the true value of the
    local ones."""

    def __init__(self):
        self.top = 0
        self.local_values: list[float] = []


def run(level: float, seed: int, customers: int, steps: int, **extra) -> dict:
    tally = Tally()
    original_climb = organization.climb_and_decide
    original_pending_append = None

    def climb(model, t, budget, rng):
        approved = original_climb(model, t, budget, rng)
        tally.top += approved
        return approved

    costs = {} if extra.pop("with_costs", False) else ZERO
    model = FirmModel(structure="hierarchy", rng=seed, customers=customers, steps=steps,
                      lateral_links=level, **{**costs, **extra})

    class Pending(list):
        """The model's pending list, noting the true value of every local approval."""

        def append(self, change):
            land, attribute, value, variant, created = change
            local = created == model.step_index and land == created + 1 and in_local[0]
            if local:
                m = model.market
                weight = organization.serve_weight(model)
                true = org_kernels.change_value(
                    organization.projected_products(model), attribute, value, variant, weight,
                    m.dependencies, m.contributions, m.max_fitness, m.dependents_ptr,
                    m.dependents, m.module_of)
                tally.local_values.append(float(true))
            super().append(change)

    in_local = [False]
    original_step = organization.organization_step

    def step(model_, t):
        model_.pending = Pending(model_.pending)
        in_local[0] = False
        original_step(model_, t)

    # Local approvals are appended after the tops decided: flag the phase once the climb ends.
    def climb_then_local(model_, t, budget, rng):
        approved = climb(model_, t, budget, rng)
        in_local[0] = True
        return approved

    organization.climb_and_decide = climb_then_local
    organization.organization_step = step
    try:
        model.run()
    finally:
        organization.climb_and_decide = original_climb
        organization.organization_step = original_step
    del original_pending_append
    frame = model.metrics()
    frontline = model.org.senses.sum()
    values = np.array(tally.local_values)
    return {
        "local_share": float(model.org.decides_locally.sum() / max(1, frontline)),
        "share_level": float(frame["market_share"].iloc[-50:].mean()),
        "top_per_step": tally.top / steps,
        "local_per_step": values.size / steps,
        "local_harmful": float((values < 0).mean()) if values.size else float("nan"),
        "fitness": float(frame["fitness"].iloc[-50:].mean()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--customers", type=int, default=3000)
    parser.add_argument("--steps", type=int, default=250)
    parser.add_argument("--levels", default="0,0.002,0.005,0.01,0.05,0.2,1")
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE")
    parser.add_argument("--with-costs", action="store_true",
                        help="the default economics instead of every cost zero")
    args = parser.parse_args()
    extra = {"with_costs": True} if args.with_costs else {}
    for item in args.set:
        key, value = item.split("=", 1)
        extra[key] = type(FirmModel.__init__.__signature__.parameters[key].default)(value)
    costs = "default" if args.with_costs else "zero"
    print(f"hierarchy, costs {costs}, {args.customers} customers, {args.steps} steps, "
          f"{args.seeds} seeds; overrides {extra}")
    print(f"{'lateral':>8s} {'local%':>7s} {'share':>7s} {'fitness':>8s} {'top/st':>7s} "
          f"{'local/st':>9s} {'harmful%':>9s}")
    for level in (float(x) for x in args.levels.split(",")):
        rows = [run(level, seed, args.customers, args.steps, **dict(extra))
                for seed in range(1, args.seeds + 1)]
        mean = {k: float(np.mean([r[k] for r in rows if not np.isnan(r[k])] or [np.nan]))
                for k in rows[0]}
        print(f"{level:8.3f} {mean['local_share']:7.1%} {mean['share_level']:7.3f} "
              f"{mean['fitness']:8.3f} {mean['top_per_step']:7.2f} "
              f"{mean['local_per_step']:9.2f} {mean['local_harmful']:9.1%}", flush=True)


if __name__ == "__main__":
    main()
