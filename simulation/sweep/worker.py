"""What a worker does: run a batch of runs and return their rows (no file access).

A batch is plain data (the base config, the varied paths and, per run, its keys and the
point's values), so it pickles small and runs the same in a local process, in this process
or on a Dask worker. A run that raises becomes an error record; the batch carries on.

Run ``run`` of a sweep is design point ``point``, replicate ``replicate`` and structure
number ``s`` with ``run = (point * replicates + replicate) * len(structures) + s``. Its seed
is ``SeedSequence(root, spawn_key=(point, replicate))``: the same for every structure at a
point and replicate (common random numbers) and independent of batching, workers and order.
"""

from __future__ import annotations

import time
import traceback
from typing import Any

import numpy as np
import pandas as pd

#: Step metrics summarised per run as ``final_<m>`` (last step) and ``mean_<m>`` (mean over
#: the last ``level_window`` share of the steps, NaN-aware).
LEVEL_METRICS = ("market_share", "revenue", "fitness", "satisfaction", "sentiment",
                 "decision_latency", "largest_queue", "workload", "messages_sent",
                 "proposals_implemented")
#: Resilience figures kept per shock as ``s<i>_<figure>``.
RESILIENCE_FIGURES = ("baseline", "trough", "depth", "relative_depth", "recovery_time",
                      "recovered", "area_lost", "post_level")


def run_key(run: int, replicates: int, structures: int) -> tuple[int, int, int]:
    """``(point, replicate, structure number)`` of run number ``run``."""
    point_replicate, structure = divmod(run, structures)
    point, replicate = divmod(point_replicate, replicates)
    return point, replicate, structure


def run_seed(root: int, point: int, replicate: int) -> np.random.SeedSequence:
    """The seed of every run at ``point`` and ``replicate``."""
    return np.random.SeedSequence(root, spawn_key=(point, replicate))


def describe_seed(root: int, point: int, replicate: int) -> str:
    return f"SeedSequence({root}, spawn_key=({point}, {replicate}))"


def run_batch(job: dict[str, Any]) -> dict[str, Any]:
    """Run every run of ``job``; returns rows, timeseries, errors and compute seconds.

    ``job`` holds ``base`` (ModelConfig data), ``paths`` and ``columns`` of the varied
    parameters, ``root`` seed, ``metric``, ``outputs``, ``level_window``, ``batch`` (an id)
    and ``runs``: ``(run, point, structure, replicate, values)`` tuples.
    """
    from ..model import FirmModel
    from .spec import point_config

    started = time.perf_counter()
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
            config = configs[point].model_copy(update={"structure": structure})
            model = FirmModel(config=config, rng=run_seed(job["root"], point, replicate))
            model.run()
            row = {**keys, **params, **_outputs(model, job)}
            if "timeseries" in job["outputs"]:
                frame = model.metrics()
                for position, (name, value) in enumerate(keys.items()):
                    frame.insert(position, name, value)
                series.append(frame)
            rows.append(row)
        except Exception as error:  # noqa: BLE001 - a failing run must not stop the batch
            errors.append({**keys, **params,
                           "seed": describe_seed(job["root"], point, replicate),
                           "error": f"{type(error).__name__}: {error}".strip(),
                           "traceback": traceback.format_exc(limit=20)})
        run_seconds += time.perf_counter() - begun
    return {"batch": job["batch"], "rows": rows,
            "timeseries": pd.concat(series, ignore_index=True) if series else None,
            "errors": errors, "run_seconds": run_seconds,
            "batch_seconds": time.perf_counter() - started}


def _outputs(model, job: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "resilience" in job["outputs"]:
        table = model.resilience(job["metric"])
        for _, shock in table.iterrows():
            for figure in RESILIENCE_FIGURES:
                value = shock[figure]
                out[f"s{int(shock['shock'])}_{figure}"] = (
                    bool(value) if figure == "recovered" else
                    int(value) if figure == "recovery_time" else float(value))
    if "levels" in job["outputs"]:
        frame = model.metrics()
        steps = len(frame)
        window = max(1, int(round(steps * job["level_window"])))
        tail = frame.iloc[steps - window:]
        for metric in LEVEL_METRICS:
            column = frame[metric].to_numpy(dtype=float)
            out[f"final_{metric}"] = float(column[-1]) if steps else float("nan")
            values = tail[metric].to_numpy(dtype=float)
            values = values[~np.isnan(values)]
            out[f"mean_{metric}"] = float(values.mean()) if values.size else float("nan")
    return out
