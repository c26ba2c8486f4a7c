# ---
# jupyter:
#   jupytext:
#     formats: py:percent
# ---

# %% [markdown]
# # 1. Your first comparison, and how to read it
#
# firmsim asks which organizational structure adapts better when the market moves. This
# tutorial compares the five preset structures after a shift of customer needs, and reads
# the answer the way the paper would: **paired differences with 95% intervals on common
# random numbers**.
#
# Time: about a minute at full size (seconds with `FIRMSIM_TUTORIAL_SMALL=1`).

# %%
from _size import SMALL, sizes

import simulation as fs

scenario = fs.load_scenario("need-shift", set=sizes(**{"customers.count": 3000}))
scenario.structures, scenario.shocks

# %% [markdown]
# ## Common random numbers
#
# Replicate *r* of every structure runs on the **same seed**: the same landscapes, the same
# customers and their network, the same shock. Only the organization differs, so the
# difference between two structures in replicate *r* is an effect of structure, not of luck,
# and we can take differences replicate by replicate (paired), which needs far fewer runs
# than comparing two independent averages.

# %%
result = fs.compare(scenario, replicates=3 if SMALL else 8)
result.timeseries.head()

# %% [markdown]
# `compare` runs in this process by default; `workers=None` uses one worker process per core
# (in a script, put the call under `if __name__ == "__main__":`, as for any Python
# multiprocessing). The numbers are the same whatever the number of workers.
#
# `result.timeseries` is tidy: one row per structure x replicate x step, a column per
# metric. Anything pandas does works on it:

# %%
result.timeseries.groupby("structure")[["market_share", "fitness", "decision_latency"]].mean()

# %% [markdown]
# ## Paired differences
#
# The level each structure reaches over the last steps, against the first structure of the
# scenario (the reference), with a 95% t-interval over the paired replicates. An interval
# that excludes 0 is a clear difference at that level; one that straddles 0 says "not
# settled with these replicates", not "no difference".

# %%
result.differences("market_share")

# %% [markdown]
# ## The shock
#
# Per shock: the level before it (baseline), how far the metric fell (depth), how long
# until it was back at 95% of the baseline (recovery, censored when it never was) and the
# area lost. Losses are measured from each structure's own baseline: a structure can lose
# less *and* sit lower.

# %%
result.summary()[["structure", "baseline_mean", "depth_mean", "depth_low", "depth_high",
                  "area_lost_mean", "recovery_median"]]

# %%
figure = result.plot("market_share")
figure

# %% [markdown]
# ## What you learned, and what to try next
#
# - `load_scenario` and `compare` run a comparison; its tables are pandas DataFrames.
# - Common random numbers make differences paired; read them with their intervals.
# - Levels and losses answer different questions: look at both.
#
# Next: `firmsim run need-shift --precision 0.02` adds replicates until every paired
# difference is within +/- 0.02; tutorial 2 adds a shock and a structure of your own.
