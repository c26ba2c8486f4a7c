# ---
# jupyter:
#   jupytext:
#     formats: py:percent
# ---

# %% [markdown]
# # 4. Profit vs market share: does reorganising pay?
#
# Market share is the flexibility side of the trade-off. The economics submodel (ODD
# section 7, "Economics") adds the efficiency side: production on an experience curve,
# the cost of product variants, of retooling for each change, the wage bill with managers
# at a premium and the time spent coordinating. A strategist's question is about both:
# *if we move from a hierarchy to pods, do we win customers, and does it pay?*
#
# Time: a few minutes at full size; under a minute with `FIRMSIM_TUTORIAL_SMALL=1`.

# %%
import simulation as fs
from _size import SMALL, sizes

markets = {
    "calm": ["market.turbulence=0.0", "market.cross_module_share=0.8"],
    "turbulent": ["market.turbulence=0.05", "market.cross_module_share=0.2"],
}
base = [*sizes(**{"customers.count": 3000}), "steps=150", 'structures=["hierarchy", "podular"]',
        f"replicates={3 if SMALL else 10}"]

# %% [markdown]
# The same two structures in two markets, on common random numbers:

# %%
results = {name: fs.compare(fs.load_scenario("calm", set=[*base, *extra]))
           for name, extra in markets.items()}

# %% [markdown]
# ## Both sides of the answer
#
# For each market, the paired difference podular minus hierarchy of the level reached on
# market share and on cumulative profit (profit summed over the run, in units of the
# price), with its 95% interval. An interval that excludes 0 is a clear lead.

# %%
import pandas as pd

rows = []
for market, result in results.items():
    for metric in ("market_share", "cumulative_profit"):
        row = result.differences(metric).iloc[0]
        rows.append({"market": market, "metric": metric, "podular - hierarchy": row["diff"],
                     "low": row["diff_low"], "high": row["diff_high"],
                     "pairs": row["runs"]})
pd.DataFrame(rows).round(3)

# %% [markdown]
# ## Where the money goes
#
# The costs by kind, per step, averaged over the run: production (cheaper with experience,
# and experience is lost on the modules a change touches), variety, change (retooling) and
# organization (wages and coordination).

# %%
costs = ["production_cost", "variety_cost", "change_cost", "organization_cost", "revenue"]
pd.concat({market: result.timeseries.groupby("structure")[costs].mean()
           for market, result in results.items()}).round(2)

# %%
results["turbulent"].plot("cumulative_profit")

# %% [markdown]
# ## What you learned, and what to try next
#
# - A comparison reports profit beside market share; every cost kind is a step metric.
# - A structure can win customers and lose money, or the reverse: read both sides, each
#   with its paired interval, before saying that reorganising pays.
# - The defaults come from published ranges (ODD section 7); set any cost to zero
#   (`economics.retooling_cost=0`, ...) to see what it changes, and every cost to zero to get
#   the cost-free model back exactly.
#
# Next: `firmsim demo` reads both sides for two contrasting markets; `docs/atlas.md` maps
# them over turbulence, coupling, product policy and the costs of change and variety.
