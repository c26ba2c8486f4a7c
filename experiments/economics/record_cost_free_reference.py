"""Record the step metrics of the cost-free model, to check that zero costs change nothing.

Run once at the commit before the economics submodel existed (dc5d75a); the file it writes,
``tests/data/cost_free_reference.npz``, is what ``tests/test_economics.py`` compares a run with
every cost set to zero against, number for number. Run it again only to re-record after a
deliberate change of the cost-free model's numbers.

Re-recorded since: ``hierarchy_lateral`` only, when the tree-to-network dial changed its rule
(decision rights move linearly with ``lateral_links``; ODD section 5): that case now holds
the new dial's numbers with every cost zero. The other cases are still the numbers of dc5d75a.

    PYTHONPATH=. python experiments/economics/record_cost_free_reference.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from simulation import FirmModel

SMALL = dict(customers=800, employees=40, customer_degree=6, steps=60)
SHOCKS = [{"kind": "need_shift", "step": 20, "strength": 0.5},
          {"kind": "talent_loss", "step": 30, "strength": 0.2}]

#: name -> keyword arguments of one run (seed 3 each); every structure, and the switches that
#: take other paths through the decisions.
CASES = {
    **{f"{s}_calm": dict(structure=s) for s in
       ("hierarchy", "siloed_social", "network", "podular", "open")},
    **{f"{s}_turbulent": dict(structure=s, turbulence=0.05, shocks=SHOCKS) for s in
       ("hierarchy", "siloed_social", "network", "podular", "open")},
    "hierarchy_per_segment": dict(structure="hierarchy", variants="per_segment"),
    "podular_per_segment": dict(structure="podular", variants="per_segment", turbulence=0.02),
    "hierarchy_informed": dict(structure="hierarchy", decision_information="fully_informed",
                               turbulence=0.02),
    "podular_informed": dict(structure="podular", decision_information="fully_informed"),
    "hierarchy_lateral": dict(structure="hierarchy", lateral_links=0.1, turbulence=0.02),
}

#: The metrics recorded (every step metric of the cost-free model).
COLUMNS = (
    "market_share", "revenue", "fitness", "satisfaction", "sentiment", "outside_option",
    "stance_investors", "stance_media", "stance_partners", "change_budget",
    "proposals_made", "proposals_approved", "proposals_implemented", "proposals_vetoed",
    "proposals_dropped", "messages_sent", "staff_evaluations", "largest_queue",
    "decision_latency", "workload", "customers_active", "customers_buying", "employees_active",
)


def run_case(case: dict, **extra) -> dict[str, np.ndarray]:
    """The step metrics of one case, one array per column."""
    frame = FirmModel(rng=3, **{**SMALL, **case, **extra}).run().metrics()
    return {c: frame[c].to_numpy(dtype=float) for c in COLUMNS}


def main() -> None:
    out = {}
    for name, case in CASES.items():
        for column, values in run_case(case).items():
            out[f"{name}/{column}"] = values
    path = Path(__file__).resolve().parents[2] / "tests" / "data" / "cost_free_reference.npz"
    np.savez_compressed(path, **out)
    print(f"wrote {len(out)} series to {path}")


if __name__ == "__main__":
    main()
