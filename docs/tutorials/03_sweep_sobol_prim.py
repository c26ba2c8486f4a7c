# ---
# jupyter:
#   jupytext:
#     formats: py:percent
# ---

# %% [markdown]
# # 3. A sweep, Sobol indices and PRIM: where does each structure win?
#
# One comparison answers for one market. A **sweep** runs the comparison over many
# markets, a **Sobol analysis** says which parameters drive an outcome, and **PRIM**
# (scenario discovery, as in the EMA Workbench) finds the region of parameters where one
# structure beats another. Each is one call (or one command: `firmsim sweep`, `firmsim
# analyze`); the results are tables you read in pandas.
#
# Time: minutes at full size; under a minute with `FIRMSIM_TUTORIAL_SMALL=1`.

# %%
import tempfile
import textwrap
from pathlib import Path

import simulation as fs
from _size import SMALL, sizes

work = Path(tempfile.mkdtemp())
settings = [*sizes(**{"customers.count": 2000}), "steps=80", "shocks.0.step=40"]

# %% [markdown]
# ## A grid: turbulence x coupling
#
# An experiment file names a base scenario, the structures, the varied parameters (dotted
# paths) and the design. Every design point runs every structure on the same seeds.

# %%
(work / "grid.toml").write_text(textwrap.dedent(f"""
    name = "tutorial-grid"
    scenario = "need-shift"
    set = {settings!r}
    structures = ["hierarchy", "podular"]
    replicates = {2 if SMALL else 6}
    seed = 3
    design = "grid"
    outputs = ["resilience", "levels"]
    [[parameters]]
    path = "market.turbulence"
    name = "turbulence"
    levels = [0.0, 0.05]
    [[parameters]]
    path = "market.cross_module_share"
    name = "coupling"
    levels = [0.1, 0.8]
""").replace("'", '"'))
# workers=None: one process per core (in a script, under `if __name__ == "__main__":`)
grid = fs.run_sweep(work / "grid.toml", out=work / "grid", workers=1)

# %% [markdown]
# The sweep's folder reads like any results folder: `runs` has one row per run (the design
# point's parameters, the structure, the replicate and the run's figures).

# %%
runs = fs.read_results(grid)["runs"]
runs[["structure", "turbulence", "coupling", "replicate", "mean_market_share"]].head()

# %% [markdown]
# Where does each structure hold more of the market? A paired difference per design
# point: podular minus hierarchy, replicate by replicate.

# %%
wide = runs.pivot_table(index=["turbulence", "coupling", "replicate"], columns="structure",
                        values="mean_market_share")
(wide["podular"] - wide["hierarchy"]).groupby(["turbulence", "coupling"]).agg(
    ["mean", "std", "count"])

# %% [markdown]
# `analyze` does this with intervals and draws the winner map (the figures go to the
# folder's `analysis/`).

# %%
tables = fs.analyze_sweep(grid, x="turbulence", y="coupling",
                         winner_metric="mean_market_share",
                         better="higher")
tables["winners"]

# %% [markdown]
# ## Sobol indices and PRIM: which parameter drives the loss, and where does one win?
#
# A Sobol design (Saltelli sampling, SALib) varies every parameter at once; its first-order
# index S1 is the share of the output's variance a parameter explains alone, ST with its
# interactions. Here: the area lost after the need shift. On the same runs, PRIM looks for
# the box of parameters where the network loses less than the hierarchy.

# %%
(work / "sobol.toml").write_text(textwrap.dedent(f"""
    name = "tutorial-sobol"
    scenario = "need-shift"
    set = {settings!r}
    structures = ["hierarchy", "network"]
    replicates = 1
    seed = 4
    design = "sobol"
    samples = {8 if SMALL else 64}
    second_order = false
    outputs = ["resilience"]
    [[parameters]]
    path = "market.turbulence"
    name = "turbulence"
    low = 0.0
    high = 0.1
    [[parameters]]
    path = "shocks.0.strength"
    name = "shock_strength"
    low = 0.2
    high = 0.8
    [[parameters]]
    path = "firm.side_effect_awareness"
    name = "awareness"
    low = 0.0
    high = 1.0
""").replace("'", '"'))
sobol = fs.run_sweep(work / "sobol.toml", out=work / "sobol", workers=1)
tables = fs.analyze_sweep(sobol, outputs=["s0_area_lost"],
                    discover=["network:hierarchy:s0_area_lost:0"])
tables["sensitivity"]

# %%
tables["discovery"]

# %% [markdown]
# With 8 base samples (the small size) the intervals of the indices are wide: read them
# only at the full size (64 or more), and report them with their intervals.
#
# ## What you learned, and what to try next
#
# - An experiment file is a base scenario plus varied paths and a design (grid, LHS,
#   Sobol, Morris); sweeps resume after an interruption and run on a Dask cluster with
#   `--scheduler`.
# - A sweep's folder is read like a run's (`fs.read_results`, `firmsim query`).
# - `fs.analyze_sweep` (`firmsim analyze`) gives winner maps, Sobol and Morris indices, and
#   PRIM boxes.
#
# Next: `experiments/atlas.toml` is the full atlas behind `docs/atlas.md`.
