"""Replication runner: experiment files in ``experiments/replications/`` -> figure, CSV, table.

An experiment file (TOML) names the model and experiment, its parameters, replicates and seed,
and the *checks*: published values (with citation, whether read off a figure, and tolerance) or
published orderings ("slower socialization gives higher knowledge"). The runner evaluates each
check on the reproduced metrics and reports PASS or FAIL; it never adjusts a tolerance.
"""

from __future__ import annotations

import importlib
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from simulation.data import shipped_folder
from simulation.errors import UserError

#: Where the replication files live (``experiments/replications`` in the repository).
SPEC_DIR = shipped_folder("experiments") / "replications"

MODELS = {
    "march1991": "simulation.classics.march1991",
    "lazer_friedman2007": "simulation.classics.lazer_friedman2007",
    "levinthal1997": "simulation.classics.levinthal1997",
    "bass1969": "simulation.classics.bass1969",
    "watts2002": "simulation.classics.watts2002",
}


class Check(BaseModel):
    """One published result to compare with.

    ``kind = "value"``: ``|metric - published| <= tolerance``. ``kind = "greater"``:
    ``metric - other > margin`` (a published ordering; ``margin`` defaults to 0).
    """

    model_config = ConfigDict(extra="forbid")
    id: str
    kind: Literal["value", "greater"]
    metric: str
    source: str
    read_off_figure: bool
    published: float | None = None
    tolerance: float | None = None
    other: str | None = None
    margin: float = 0.0
    note: str = ""

    @model_validator(mode="after")
    def _complete(self):
        if self.kind == "value" and (self.published is None or self.tolerance is None):
            raise ValueError("a 'value' check needs 'published' and 'tolerance'")
        if self.kind == "greater" and self.other is None:
            raise ValueError("a 'greater' check needs 'other'")
        if self.tolerance is not None and self.tolerance < 0:
            raise ValueError("tolerance must be >= 0")
        return self


class ReplicationSpec(BaseModel):
    """The contents of one experiment file."""

    model_config = ConfigDict(extra="forbid")
    name: str
    title: str
    citation: str
    model: Literal["march1991", "lazer_friedman2007", "levinthal1997", "bass1969", "watts2002"]
    experiment: str
    replicates: int
    seed: int
    parameters: dict = {}
    notes: str = ""
    checks: list[Check]

    @model_validator(mode="after")
    def _valid(self):
        if self.replicates < 2:
            raise ValueError("replicates must be at least 2")
        experiments = importlib.import_module(MODELS[self.model]).EXPERIMENTS
        if self.experiment not in experiments:
            raise ValueError(f"experiment {self.experiment!r} not in {sorted(experiments)}")
        return self


def available(spec_dir: Path = SPEC_DIR) -> list[str]:
    """Names of the experiment files (without ``.toml``)."""
    return sorted(p.stem for p in spec_dir.glob("*.toml"))


def load_spec(name: str, spec_dir: Path = SPEC_DIR) -> ReplicationSpec:
    """Read and validate one experiment file; a bad file raises a one-line :class:`UserError`."""
    path = spec_dir / f"{name}.toml"
    if not path.exists():
        raise UserError(f"NAME={name!r}: no such replication; allowed values are "
                        f"{', '.join(available(spec_dir) + ['all'])}")
    try:
        raw = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as error:
        raise UserError(f"{path}: not valid TOML: {error}") from None
    try:
        spec = ReplicationSpec(**raw)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(file)"
        raise UserError(f"{path}: field '{where}': {first['msg']} "
                        f"(got {first.get('input')!r})") from None
    if spec.name != name:
        raise UserError(f"{path}: field 'name': {spec.name!r} must equal the file name {name!r}")
    return spec


@dataclass
class CheckOutcome:
    """A check evaluated on reproduced metrics."""

    check: Check
    reproduced: float | None
    reference: float | None
    passed: bool
    reason: str


def evaluate(check: Check, metrics: dict[str, float]) -> CheckOutcome:
    """PASS/FAIL of one check; a missing metric is a FAIL that says so."""
    if check.metric not in metrics:
        return CheckOutcome(check, None, None, False, f"metric {check.metric!r} not produced")
    value = metrics[check.metric]
    if check.kind == "value":
        gap = abs(value - check.published)
        passed = gap <= check.tolerance
        reason = f"|diff| = {gap:.3f} {'<=' if passed else '>'} {check.tolerance:g}"
        return CheckOutcome(check, value, check.published, passed, reason)
    if check.other not in metrics:
        return CheckOutcome(check, value, None, False, f"metric {check.other!r} not produced")
    other = metrics[check.other]
    passed = value - other > check.margin
    reason = f"diff = {value - other:+.3f} {'>' if passed else '<='} {check.margin:g}"
    return CheckOutcome(check, value, other, passed, reason)


def run_spec(spec: ReplicationSpec, replicates: int | None = None):
    """Run the experiment of ``spec``; returns ``(result, outcomes)``."""
    module = importlib.import_module(MODELS[spec.model])
    function = module.EXPERIMENTS[spec.experiment]
    parameters = {key: tuple(v) if isinstance(v, list) else v
                  for key, v in spec.parameters.items()}
    try:
        result = function(replicates or spec.replicates, spec.seed, **parameters)
    except TypeError as error:
        raise UserError(f"{spec.name}: field 'parameters': {error}") from None
    return result, [evaluate(check, result.metrics) for check in spec.checks]


def format_table(spec: ReplicationSpec, outcomes: list[CheckOutcome], replicates: int) -> str:
    """Plain-text table: check, published, reproduced, tolerance, PASS/FAIL (and why)."""
    lines = [f"{spec.name}: {spec.title} ({spec.citation}); {replicates} replicates",
             f"{'check':<36} {'published':>18} {'reproduced':>16} {'tolerance':>9}  result"]
    for o in outcomes:
        c = o.check
        if c.kind == "value":
            published = f"{c.published:.3f}" + (" (read off fig)" if c.read_off_figure else "")
            tolerance = f"±{c.tolerance:g}"
            reproduced = "n/a" if o.reproduced is None else f"{o.reproduced:.3f}"
        else:
            published = "ordering A > B"
            tolerance = f"margin {c.margin:g}"
            reproduced = ("n/a" if o.reproduced is None or o.reference is None
                          else f"{o.reproduced:.3f} > {o.reference:.3f}")
        verdict = "PASS" if o.passed else "FAIL"
        lines.append(f"{c.id:<36} {published:>18} {reproduced:>16} {tolerance:>9}  {verdict}"
                     f"  ({o.reason})")
        if not o.passed and c.note:
            lines.append(f"    why: {c.note}")
    return "\n".join(lines)


def write_outputs(spec: ReplicationSpec, result, outcomes: list[CheckOutcome], out_dir: Path,
                  replicates: int) -> list[Path]:
    """Write ``<name>.png`` (figure), ``<name>.csv`` (its numbers), ``checks.csv``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    from simulation.store.atomic import atomic_write

    out_dir.mkdir(parents=True, exist_ok=True)
    figure, ax = plt.subplots(figsize=(7, 4.5))
    result.plot(ax)
    ax.set_title(result.title, fontsize=9)
    figure.tight_layout()
    png = out_dir / f"{spec.name}.png"
    try:
        atomic_write(png, lambda p: figure.savefig(p, dpi=120, format="png"))
    finally:
        plt.close(figure)
    csv = out_dir / f"{spec.name}.csv"
    atomic_write(csv, lambda p: result.data.to_csv(p, index=False))
    checks = out_dir / "checks.csv"
    table = pd.DataFrame([{
        "check": o.check.id, "kind": o.check.kind, "metric": o.check.metric,
        "published": o.check.published, "other": o.check.other, "reference": o.reference,
        "reproduced": o.reproduced, "tolerance": o.check.tolerance, "margin": o.check.margin,
        "result": "PASS" if o.passed else "FAIL", "reason": o.reason,
        "source": o.check.source, "read_off_figure": o.check.read_off_figure,
        "replicates": replicates,
    } for o in outcomes])
    atomic_write(checks, lambda p: table.to_csv(p, index=False))
    return [png, csv, checks]
