"""Compare structures after a shift of customer needs, from Python.

    .venv/bin/python examples/first_comparison.py [--small]
"""

import argparse

import simulation as fs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", action="store_true", help="a tiny run (seconds)")
    args = parser.parse_args()

    overrides = ["customers.count=5000"]
    if args.small:
        overrides = ["customers.count=300", "customers.degree=4", "firm.employees=20",
                     "steps=40", "shocks.0.step=20"]
    scenario = fs.load_scenario("need-shift", set=overrides)

    # Every structure runs on the same seeds: replicate r of each sees the same market.
    result = fs.compare(scenario, replicates=2 if args.small else 6, workers=None)

    print(result.timeseries.groupby("structure").market_share.mean().round(3))
    print("\nMarket share over the last steps, paired against", result.structures[0])
    print(result.differences("market_share").round(3).to_string(index=False))
    result.plot("market_share", "first_comparison.png")
    print("\nfigure: first_comparison.png")


if __name__ == "__main__":  # worker processes import this file: run only when executed
    main()
