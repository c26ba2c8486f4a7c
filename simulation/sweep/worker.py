"""What a worker does: run a batch of runs and return their rows (no file access).

A batch is plain data (the base config, the varied paths and, per run, its keys and the
point's values), so it pickles small and runs the same in a local process, in this process
or on a Dask worker. A run that raises becomes an error record; the batch carries on.

Run ``run`` of a sweep is design point ``point``, replicate ``replicate`` and structure
number ``s`` with ``run = (point * stride + replicate) * len(structures) + s``, the stride
being the replicates a point can hold (``replicates``, or ``precision.max_replicates`` when
replicates are chosen by precision: :func:`~.runner.run_number`). Its seed
is ``run_seed(root, replicate, point)`` (:data:`simulation.config.seeds.SEED_RULE`): the same for
every structure at a point and replicate (common random numbers) and independent of
batching, workers and order.

A market sweep (a ``firms`` factor, or a base scenario with ``firms``) runs one market of
several firms per point and replicate (:class:`simulation.core.competition.MarketModel`,
seed ``run_seed(root, replicate, point)``); each of its firms is a run of its own row: the
``structure`` column holds the firm's name, its run number is the market's plus the name's
place in the sweep's list of firm names, and its outputs are computed from that firm's
metrics as a single firm's are. Each run keeps ``final_<m>`` and ``mean_<m>`` of every
:func:`~simulation.config.vocabulary.level_metric_names` (last step; mean over the last
``level_window`` share of the steps, NaN-aware) and ``s<i>_<figure>`` of every
:data:`~simulation.config.vocabulary.RESILIENCE_FIGURES` per shock.
"""

from __future__ import annotations

import time
import traceback
from typing import Any

import numpy as np
import pandas as pd

from simulation.config.seeds import describe_seed, run_seed
from simulation.config.vocabulary import RESILIENCE_FIGURES, level_metric_names
from simulation.execution.processes import fault_point
from simulation.execution.runs import RunTables, run_model
from simulation.sweep.spec import point_config

#: The structure of a job entry that is a whole market (its firms are the runs).
MARKET = "(market)"


def run_batch(job: dict[str, Any]) -> dict[str, Any]:
    """Run every run of ``job``; returns rows, timeseries, errors and compute seconds.

    ``job`` holds ``base`` (ModelConfig data), ``paths`` and ``columns`` of the varied
    parameters, ``root`` seed, ``metric``, ``outputs``, ``level_window``, ``batch`` (an id)
    and ``runs``: ``(run, point, structure, replicate, values)`` tuples.
    """
    started = time.perf_counter()
    fault_point("sweep:worker")
    rows, series, errors = [], [], []
    configs: dict[int, Any] = {}
    run_seconds = 0.0
    for run, point, structure, replicate, values in job["runs"]:
        keys = {"run": run, "point": point, "structure": structure, "replicate": replicate}
        params = dict(zip(job["columns"], values, strict=True))
        begun = time.perf_counter()
        try:
            if point not in configs:
                configs[point] = point_config(job["base"], job["paths"], list(values))
            seed = run_seed(job["root"], replicate, point)
            if structure == MARKET:
                runs = _market_runs(configs[point], seed, job, keys)
            else:
                runs = [(keys, run_model(configs[point], structure, seed, job["metric"],
                                         labels=keys))]
            for run_keys, tables in runs:
                rows.append({**run_keys, **params, **_outputs(tables, job)})
                if "timeseries" in job["outputs"]:
                    series.append(tables.timeseries)
        except Exception as error:  # noqa: BLE001 - a failing run must not stop the batch
            errors.append({**keys, **params,
                           "seed": describe_seed(job["root"], replicate, point),
                           "error": f"{type(error).__name__}: {error}".strip(),
                           "traceback": traceback.format_exc(limit=20)})
        run_seconds += time.perf_counter() - begun
    return {"batch": job["batch"], "rows": rows,
            "timeseries": pd.concat(series, ignore_index=True) if series else None,
            "errors": errors, "run_seconds": run_seconds,
            "batch_seconds": time.perf_counter() - started}


def _market_runs(config, seed, job: dict[str, Any], keys: dict[str, Any]
                 ) -> list[tuple[dict[str, Any], RunTables]]:
    """One market of several firms: each firm's keys (run number, its name as structure)
    and its tables, shaped as a single firm's run's."""
    from simulation.core.competition import MarketModel

    model = MarketModel(config, rng=seed).run()
    metrics = model.metrics()
    resilience = model.resilience(job["metric"])
    runs = []
    for firm in sorted(model.firms, key=lambda f: job["structures"].index(f.name)):
        run_keys = {**keys, "run": keys["run"] + job["structures"].index(firm.name),
                    "structure": firm.name}
        series = metrics[metrics["firm"] == firm.name].drop(columns=["firm", "structure"])
        shocks = resilience[resilience["firm"] == firm.name].drop(columns=["firm"])
        tables = RunTables(series.reset_index(drop=True), shocks.reset_index(drop=True))
        for frame in tables:
            for position, (name, value) in enumerate(run_keys.items()):
                frame.insert(position, name, value)
        runs.append((run_keys, tables))
    return runs


def _outputs(tables: RunTables, job: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "resilience" in job["outputs"]:
        for _, shock in tables.resilience.iterrows():
            for figure in RESILIENCE_FIGURES:
                value = shock[figure]
                out[f"s{int(shock['shock'])}_{figure}"] = (
                    bool(value) if figure.endswith("recovered") else
                    int(value) if figure.endswith("recovery_time") or figure == "window"
                    else float(value))
    if "levels" in job["outputs"]:
        frame = tables.timeseries
        steps = len(frame)
        window = max(1, int(round(steps * job["level_window"])))
        tail = frame.iloc[steps - window:]
        for metric in level_metric_names():
            column = frame[metric].to_numpy(dtype=float)
            out[f"final_{metric}"] = float(column[-1]) if steps else float("nan")
            values = tail[metric].to_numpy(dtype=float)
            values = values[~np.isnan(values)]
            out[f"mean_{metric}"] = float(values.mean()) if values.size else float("nan")
    return out
