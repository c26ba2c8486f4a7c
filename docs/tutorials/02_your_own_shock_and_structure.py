# ---
# jupyter:
#   jupytext:
#     formats: py:percent
# ---

# %% [markdown]
# # 2. A shock of your own, and your own org chart
#
# Structures, shock kinds, step metrics and product policies are each a small registered
# object: a name, validated parameters and a rule. Register one and it works everywhere:
# scenarios, `firmsim run`, sweeps and the app. Your own firm needs no code at all: an org
# chart file runs as the structure `org_chart`.

# %%
import tempfile
from pathlib import Path
from typing import Literal

from _size import sizes
from pydantic import Field

import simulation as fs
from simulation.config.schema import ShockBase

# %% [markdown]
# ## A shock kind
#
# A shock is a pydantic model (its own fields, validated) and a rule `rule(model, shock, t,
# rng)` that changes the model at step `t`, drawing randomness only from `rng`.

# %%
class PriceWar(ShockBase):
    """Competitors cut prices: the outside option rises by `cut`."""

    kind: Literal["price_war"] = "price_war"
    cut: float = Field(0.1, ge=0, le=1)


def price_war(model, shock, t, rng):
    model.outside_option += shock.cut


fs.register_shock("price_war", PriceWar, price_war, "competitors cut prices",
                  replace=True)

# %%
scenario = fs.load_scenario("calm", set=[*sizes(**{"customers.count": 3000}), "steps=120",
                                         'structures=["hierarchy", "podular"]',
                                         'shocks=[{kind = "price_war", step = 60, cut = 0.15}]'])
result = fs.compare(scenario, replicates=2)
result.timeseries.groupby(["structure", "step"]).outside_option.mean().unstack(0).iloc[58:62]

# %% [markdown]
# A wrong field is one line naming it and what is allowed:

# %%
try:
    fs.load_scenario("calm", set=['shocks=[{kind = "price_war", step = 60, cut = 2}]'])
except Exception as error:
    print(error)

# %% [markdown]
# ## Your own org chart
#
# `org_chart` gives any structure's chart as a table; `firmsim chart hierarchy --out
# chart.csv` writes it. Edit it (here: cut out the middle managers) and run it beside the
# presets.

# %%
chart = fs.org_chart("hierarchy", scenario)
chart.head()

# %%
flat = chart.copy()
flat.loc[flat.role == "frontline", "reports_to"] = "0"
flat = flat[(flat.role != "manager") | (flat.employee == "0")]
path = Path(tempfile.mkdtemp()) / "flat_chart.csv"
flat.to_csv(path, index=False)
mine = fs.load_scenario("calm", set=[*sizes(**{"customers.count": 3000}), "steps=120",
                                     'structures=["hierarchy", "org_chart"]',
                                     f'firm.org_chart="{path}"'])
fs.compare(mine, replicates=2).differences("decision_latency")

# %% [markdown]
# ## What you learned, and what to try next
#
# - A shock kind is a model and a rule; `register_shock` makes it a scenario kind.
# - `register_structure` and `register_metric` work the same way; a plugin module named in
#   `FIRMSIM_PLUGINS` (or a `firmsim.plugins` entry point) makes them available to the
#   command line and to worker processes (see `docs/architecture.md`).
# - An org chart runs as a structure; a preset's chart runs exactly as the preset.
#
# Next: tutorial 3 sweeps turbulence and coupling to map where each structure wins.
