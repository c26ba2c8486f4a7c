"""Analysis of a sweep folder: sensitivity indices and structure advantage maps.

Targets: every structure on its own and the *advantage* of every other structure over the
reference (the first of ``structures``): the paired difference ``other - reference`` of an
output at the same design point and replicate (same seed). A design point's value of a
target is its mean over replicates.

- ``sobol``: first-order and total Sobol indices with 95% bootstrap intervals
  (``SALib.analyze.sobol`` on the Saltelli sample the sweep ran);
- ``morris``: mu, mu*, its 95% interval and sigma (``SALib.analyze.morris`` on the
  trajectories the sweep ran, in raw sampler coordinates);
- ``lhs``: Spearman rank correlations of each parameter with each target;
- ``grid``: per cell of two chosen parameters, the mean of each target (other parameters
  and replicates averaged), heatmaps of the advantage and lines of each structure.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.analysis.statistics import mean_interval
from simulation.errors import ConfigError, UserError
from simulation.store.atomic import atomic_write
from simulation.store.manifest import read_manifest
from simulation.sweep.spec import KEY_COLUMNS
from simulation.sweep.storage import read_table

DEFAULT_OUTPUTS = ("s0_recovery_time", "s0_depth", "s0_area_lost", "mean_market_share",
                   "mean_fitness", "mean_decision_latency", "mean_largest_queue")


@dataclass
class SweepData:
    """A sweep folder's manifest, design and finished runs."""

    folder: Path
    manifest: dict
    design: pd.DataFrame
    runs: pd.DataFrame

    @property
    def kind(self) -> str:
        return self.manifest["design"]["kind"]

    @property
    def parameters(self) -> list[str]:
        return list(self.manifest["design"]["parameters"])

    @property
    def structures(self) -> list[str]:
        return list(self.manifest["design"]["structures"])

    @property
    def outputs(self) -> list[str]:
        """Numeric output columns of the runs table."""
        skip = set(KEY_COLUMNS) | set(self.parameters)
        return [c for c in self.runs.columns if c not in skip
                and (pd.api.types.is_numeric_dtype(self.runs[c])
                     or pd.api.types.is_bool_dtype(self.runs[c]))]


def load_sweep(folder: Path) -> SweepData:
    """Read a sweep folder; UserError if it is not one or holds no finished runs."""
    folder = Path(folder)
    if not folder.is_dir():
        raise UserError(f"sweep folder '{folder}' does not exist")
    try:
        manifest = read_manifest(folder, missing_ok=True)
    except ConfigError as error:
        raise UserError(str(error)) from None
    if manifest is None or manifest.get("kind") != "sweep":
        raise UserError(f"{folder} is not a sweep results folder (no sweep manifest.json); "
                        "run `firmsim sweep EXPERIMENT --out DIR` first")
    from simulation.store.inside import check_inside
    from simulation.store.results import sha256
    from simulation.sweep.storage import DESIGN, SweepStore, damaged_message

    SweepStore(folder).verify()  # every part matches the hash in its name
    check_inside(folder, folder / DESIGN)
    recorded = (manifest.get("files") or {}).get(DESIGN)
    if recorded and (not (folder / DESIGN).is_file() or sha256(folder / DESIGN) != recorded):
        raise UserError(damaged_message(folder / DESIGN, "missing, or its SHA-256 does not "
                                        "match the manifest's", folder))
    design = pd.read_parquet(folder / DESIGN)
    runs = read_table(folder, "runs", verify=False)
    if runs.empty:
        raise UserError(f"{folder} holds no finished runs yet")
    return SweepData(folder, manifest, design, runs)


def targets(data: SweepData, outputs: list[str]) -> dict[str, pd.DataFrame]:
    """Target name -> frame indexed by (point, replicate) with the ``outputs`` columns."""
    runs = data.runs.copy()
    for column in outputs:
        runs[column] = runs[column].astype(float)
    frames = {}
    by_structure = {s: g.set_index(["point", "replicate"])[outputs]
                    for s, g in runs.groupby("structure", sort=False)}
    reference = data.structures[0]
    for structure in data.structures:
        if structure in by_structure:
            frames[structure] = by_structure[structure]
    if reference in by_structure:
        for structure in data.structures[1:]:
            if structure in by_structure:
                diff = (by_structure[structure] - by_structure[reference]).dropna(how="all")
                frames[f"{structure}-{reference}"] = diff
    return frames


def point_means(frame: pd.DataFrame, points: int) -> pd.DataFrame:
    """Mean over replicates per design point, one row per point (NaN where none finished)."""
    means = frame.groupby(level="point").mean()
    return means.reindex(range(points))


def _skip_reason(y: np.ndarray) -> str | None:
    if np.isnan(y).any():
        return f"{int(np.isnan(y).sum())} of {y.size} design points have no value"
    if np.nanstd(y) == 0:
        return "constant over the design"
    return None


def sensitivity(data: SweepData, outputs: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """Sensitivity table of a sampled design (sobol, morris or lhs) and notes on skipped
    outputs."""
    kind = data.kind
    if kind == "grid":
        raise UserError("a grid has no sensitivity indices; use the heatmaps")
    problem = dict(data.manifest["design"]["problem"])
    raw = data.design[[f"raw_{name}" for name in data.parameters]].to_numpy(dtype=float)
    points = len(data.design)
    rows, notes = [], []
    for target, frame in targets(data, outputs).items():
        means = point_means(frame, points)
        for output in outputs:
            y = means[output].to_numpy(dtype=float)
            reason = _skip_reason(y)
            if reason:
                notes.append(f"{output} ({target}): skipped, {reason}")
                continue
            rows += _indices(kind, problem, raw, y, data, output, target)
    return pd.DataFrame(rows), notes


def _indices(kind, problem, raw, y, data, output, target) -> list[dict]:
    experiment = data.manifest["resolved"]["experiment"]
    seed = int(data.manifest["seeds"]["root"])
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        if kind == "sobol":
            from SALib.analyze import sobol

            result = sobol.analyze(problem, y, calc_second_order=experiment["second_order"],
                                   conf_level=0.95, seed=seed)
            return [{"output": output, "target": target, "parameter": name,
                     "S1": result["S1"][i], "S1_conf": result["S1_conf"][i],
                     "ST": result["ST"][i], "ST_conf": result["ST_conf"][i]}
                    for i, name in enumerate(problem["names"])]
        if kind == "morris":
            from SALib.analyze import morris

            result = morris.analyze(problem, raw, y, conf_level=0.95,
                                    num_levels=experiment["morris_levels"], seed=seed)
            return [{"output": output, "target": target, "parameter": name,
                     "mu": result["mu"][i], "mu_star": result["mu_star"][i],
                     "mu_star_conf": result["mu_star_conf"][i], "sigma": result["sigma"][i]}
                    for i, name in enumerate(problem["names"])]
        from scipy import stats

        rows = []
        for i, name in enumerate(problem["names"]):
            rho, p = stats.spearmanr(raw[:, i], y)
            rows.append({"output": output, "target": target, "parameter": name,
                         "spearman": rho, "p_value": p})
        return rows


def grid_table(data: SweepData, x: str, y: str | None, outputs: list[str]) -> pd.DataFrame:
    """Per cell of ``x`` (and ``y``), target and output: mean, 95% t-interval and count over
    the other parameters and replicates."""
    design = data.design.set_index("point")
    axes = [x] if y is None else [x, y]
    rows = []
    for target, frame in targets(data, outputs).items():
        cells = frame.join(design[axes], on="point")
        for key, group in cells.groupby(axes, sort=True):
            key = key if isinstance(key, tuple) else (key,)
            for output in outputs:
                values = group[output].to_numpy(dtype=float)
                mean, low, high = mean_interval(values)
                row = {"target": target, "output": output, x: key[0],
                       "mean": mean, "low": low, "high": high,
                       "n": int(np.isfinite(values).sum())}
                if y is not None:
                    row[y] = key[1]
                rows.append(row)
    columns = ["target", "output", *axes, "mean", "low", "high", "n"]
    return pd.DataFrame(rows, columns=columns)


# ---------------------------------------------------------------------------- figures
def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(figure, path: Path) -> None:
    atomic_write(path, lambda p: figure.savefig(p, dpi=110, format="png"))
    _pyplot().close(figure)


def plot_sensitivity(table: pd.DataFrame, kind: str, output: str, path: Path) -> bool:
    """One panel per target: S1/ST bars (sobol), mu* vs sigma (morris) or Spearman bars."""
    rows = table[table["output"] == output]
    if rows.empty:
        return False
    plt = _pyplot()
    groups = list(rows.groupby("target", sort=False))
    columns = min(3, len(groups))
    lines = math.ceil(len(groups) / columns)
    figure, axes = plt.subplots(lines, columns, figsize=(5.2 * columns, 4 * lines),
                                squeeze=False)
    for axis, (target, group) in zip(axes.flat, groups, strict=False):
        names = list(group["parameter"])
        at = np.arange(len(names))
        if kind == "sobol":
            axis.bar(at - 0.2, group["S1"], 0.4, yerr=group["S1_conf"], label="first order S1",
                     capsize=3)
            axis.bar(at + 0.2, group["ST"], 0.4, yerr=group["ST_conf"], label="total ST",
                     capsize=3)
            axis.set_xticks(at, names, rotation=30, ha="right")
            axis.set_ylabel("Sobol index (95% interval)")
            axis.axhline(0, color="0.5", linewidth=0.8)
        elif kind == "morris":
            axis.errorbar(group["mu_star"], group["sigma"], xerr=group["mu_star_conf"],
                          fmt="o", capsize=3)
            for _, row in group.iterrows():
                axis.annotate(row["parameter"], (row["mu_star"], row["sigma"]),
                              textcoords="offset points", xytext=(4, 4), fontsize=8)
            axis.set_xlabel("mu* (mean |elementary effect|)")
            axis.set_ylabel("sigma (interactions / non-linearity)")
        else:
            axis.bar(at, group["spearman"])
            axis.set_xticks(at, names, rotation=30, ha="right")
            axis.set_ylabel("Spearman rank correlation")
            axis.axhline(0, color="0.5", linewidth=0.8)
        axis.set_title(target)
    for axis in list(axes.flat)[len(groups):]:
        axis.set_visible(False)
    if kind == "sobol":
        axes.flat[0].legend(frameon=False, fontsize=8)
    figure.suptitle(f"{output}: {kind} sensitivity")
    figure.tight_layout()
    _save(figure, path)
    return True


def plot_advantage(table: pd.DataFrame, target: str, output: str, x: str, y: str | None,
                   path: Path) -> bool:
    """Heatmap over ``x`` and ``y`` of the mean advantage (``target`` = other - reference),
    centred on 0, cells annotated (mean, and * when the 95% interval excludes 0)."""
    rows = table[(table["target"] == target) & (table["output"] == output)]
    if rows.empty:
        return False
    plt = _pyplot()
    if y is None:
        rows = rows.assign(_y="all")
        y_axis = "_y"
    else:
        y_axis = y
    grid = rows.pivot(index=y_axis, columns=x, values="mean")
    low = rows.pivot(index=y_axis, columns=x, values="low")
    high = rows.pivot(index=y_axis, columns=x, values="high")
    values = grid.to_numpy(dtype=float)
    finite = values[np.isfinite(values)]
    limit = float(np.abs(finite).max()) if finite.size else 1.0
    limit = limit or 1.0
    figure, axis = plt.subplots(figsize=(1.1 * len(grid.columns) + 3,
                                         0.7 * len(grid.index) + 2.2))
    image = axis.imshow(values, cmap="RdBu_r", vmin=-limit, vmax=limit, origin="lower",
                        aspect="auto")
    axis.set_xticks(range(len(grid.columns)), [f"{v:g}" if isinstance(v, float) else str(v)
                                               for v in grid.columns])
    axis.set_yticks(range(len(grid.index)), [f"{v:g}" if isinstance(v, float) else str(v)
                                             for v in grid.index])
    axis.set_xlabel(x)
    axis.set_ylabel(y or "")
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            if np.isfinite(values[i, j]):
                lo, hi = low.iat[i, j], high.iat[i, j]
                star = " *" if np.isfinite(lo) and (lo > 0 or hi < 0) else ""
                colour = "white" if abs(values[i, j]) > 0.6 * limit else "black"
                axis.text(j, i, f"{values[i, j]:.3g}{star}", ha="center", va="center",
                          fontsize=8, color=colour)
    other, reference = target.split("-", 1)
    figure.colorbar(image, ax=axis, label=f"{output}: {other} - {reference}")
    axis.set_title(f"{output}: {other} minus {reference}\n(mean over replicates and other "
                   "parameters; * 95% interval excludes 0)", fontsize=9)
    figure.tight_layout()
    _save(figure, path)
    return True


def plot_levels(table: pd.DataFrame, structures: list[str], output: str, x: str,
                path: Path) -> bool:
    """Each structure's mean ``output`` against ``x`` (other parameters averaged)."""
    rows = table[(table["output"] == output) & table["target"].isin(structures)]
    if rows.empty:
        return False
    plt = _pyplot()
    figure, axis = plt.subplots(figsize=(7, 4.5))
    for structure in structures:
        group = rows[rows["target"] == structure]
        if group.empty:
            continue
        means = group.groupby(x, sort=True)["mean"].mean()
        axis.plot(list(map(str, means.index)) if means.index.dtype == object
                  else means.index, means.values, marker="o", label=structure)
    numeric = pd.api.types.is_numeric_dtype(rows[x])
    if numeric and (rows[x] > 0).all() and rows[x].max() / max(rows[x].min(), 1e-300) >= 100:
        axis.set_xscale("log")
    axis.set_xlabel(x)
    axis.set_ylabel(output)
    axis.set_title(f"{output} by {x} (mean over replicates and other parameters)")
    axis.legend(frameon=False)
    figure.tight_layout()
    _save(figure, path)
    return True
