"""The experiment file: a base scenario, the parameters to vary, the design and the outputs.

An experiment file is TOML, validated like a scenario (unknown keys are refused with the
closest valid key, values are checked against the scenario's own constraints)::

    name = "turbulence-grid"
    scenario = "restless"                 # shipped scenario name, or a path (relative to
                                          # this file or the working directory)
    set = ["steps=300"]                   # optional overrides of the base scenario
    structures = ["hierarchy", "network"] # every design point runs every structure with the
                                          # same seeds (common random numbers)
    replicates = 3
    seed = 7
    design = "grid"                       # grid | lhs | sobol | morris
    outputs = ["resilience", "levels"]    # add "timeseries" to keep every step

    [[parameters]]
    path = "market.turbulence"            # dotted path in the resolved scenario
    levels = [0.0, 0.05, 0.1]             # grid: explicit levels, or low/high/count

    [[parameters]]
    path = "market.cross_module_share"
    low = 0.0
    high = 1.0
    count = 5

:func:`load_experiment` returns a :class:`ResolvedExperiment`: the validated file, the base
scenario with ``set`` applied and the typed parameters. Every error is one
:class:`~simulation.errors.ConfigError` line naming the file, the field, the value and what
is allowed.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from simulation.config.limits import (
    MAX_DESCRIPTION,
    MAX_FACTORS,
    MAX_LEVELS,
    MAX_OVERRIDES,
    MAX_STRUCTURES,
    check_length,
)
from simulation.config.messages import format_validation_error
from simulation.config.paths import did_you_mean, get_path, set_path, valid_paths
from simulation.config.scenario import (
    Scenario,
    apply_overrides,
    load_scenario,
    parse_scenario,
    read_toml_file,
    resolve_path,
    scenario_data,
)
from simulation.config.schema import ModelConfig, check_registered, validate_model_config
from simulation.core.competition import lineup_label, lineup_tables
from simulation.data import shipped_folder
from simulation.errors import ConfigError

#: Scenario keys that describe the comparison, not one run: they cannot be swept.
NOT_SWEEPABLE = ("name", "description", "structures", "replicates", "seed",
                 "resilience_metric")
#: Columns every run row has; parameter names may not reuse them.
KEY_COLUMNS = ("run", "point", "structure", "replicate")
#: The path of the competing-firms factor: its levels are line-ups of firms (who competes
#: with whom); a sweep with it, or on a scenario with ``firms``, runs markets, and its
#: ``structure`` column holds the firm's name (:mod:`simulation.sweep.worker`).
FIRMS_PATH = "firms"
EXPERIMENT_DIR = shipped_folder("experiments")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Parameter(_Strict):
    """One varied parameter: a dotted path of the scenario and its range or levels."""

    path: str = Field(min_length=1, description="dotted path in the resolved scenario, e.g. "
                      "market.turbulence or shocks.0.strength")
    name: str | None = Field(None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
                             description="column name in the results (default: the last "
                             "part of the path)")
    low: float | None = Field(None, description="lower end of the range")
    high: float | None = Field(None, description="upper end of the range")
    count: int | None = Field(None, ge=2, le=1000,
                              description="grid: evenly spaced levels from low to high")
    levels: list[int | float | str | bool | list[str]] | None = Field(
        None, min_length=1, description="grid: explicit levels (path firms: line-ups of "
        "competing firms, e.g. [[\"hierarchy\", \"podular\"], [\"hierarchy\", \"open\"]])")
    scale: Literal["linear", "log"] = Field(
        "linear", description="log: sample (or space the grid) evenly in log(value)")

    @field_validator("levels", mode="before")
    @classmethod
    def _bound_levels(cls, value):
        return check_length("levels", value, MAX_LEVELS, "levels")

    @model_validator(mode="after")
    def _check_range(self) -> Parameter:
        for end in ("low", "high"):
            value = getattr(self, end)
            if value is not None and not math.isfinite(value):
                raise ValueError(f"{self.path}: {end}={value} must be a finite number")
        has_range = self.low is not None or self.high is not None
        if self.levels is not None and (has_range or self.count is not None):
            raise ValueError(f"{self.path}: give either levels or low/high, not both")
        if self.levels is None:
            if self.low is None or self.high is None:
                raise ValueError(f"{self.path}: needs low and high (or levels for a grid)")
            if self.low > self.high:
                raise ValueError(f"{self.path}: low={self.low} > high={self.high}; the range "
                                 "must have low < high")
            if self.low == self.high:
                raise ValueError(f"{self.path}: low = high = {self.low}; to fix a value use "
                                 "set = [...] instead of a parameter")
            if self.scale == "log" and self.low <= 0:
                raise ValueError(f"{self.path}: scale='log' needs low > 0 (got {self.low})")
        elif len(set(map(repr, self.levels))) != len(self.levels):
            raise ValueError(f"{self.path}: levels={self.levels} repeat a value")
        return self

    @property
    def column(self) -> str:
        if self.name:
            return self.name
        parts = [p for p in self.path.split(".") if not p.isdigit()]
        return parts[-1]


class Analysis(_Strict):
    """Defaults of ``firmsim analyze`` for this experiment."""

    x: str | None = Field(None, description="grid heatmaps: parameter on the x axis")
    y: str | None = Field(None, description="grid heatmaps: parameter on the y axis")
    outputs: list[str] = Field(default_factory=list,
                               description="outputs to plot (default: a standard set)")
    winner_metric: str | None = Field(None, description="output the winner map ranks "
                                      "structures on (default: s0_area_lost, else "
                                      "mean_market_share)")
    better: Literal["lower", "higher"] | None = Field(
        None, description="direction of winner_metric (default: from its name)")
    discover: list[str] = Field(default_factory=list,
                                description="scenario discovery questions A:B:output:d "
                                "(A beats B on output by at least d)")


class Precision(_Strict):
    """Replicates chosen by precision: after the first ``replicates`` of every point, points
    whose leader is not yet told apart get ``step`` more, up to ``max_replicates``.

    At a point, the leader on a metric (best mean over the structures) is *told apart* from
    another structure when their paired difference's interval excludes 0 in the leader's
    favour (clearly ahead) or lies within plus or minus the metric's margin (a tie within the
    margin). A point is resolved when the leader is told apart from every other structure on
    every listed metric (:mod:`simulation.analysis.precision`).
    """

    margins: dict[str, float] = Field(
        min_length=1, description="outputs the leader must be told apart on, each with its "
        "tie margin in the output's units (0: only a clear lead resolves)")
    step: int = Field(4, ge=1, le=1000, description="replicates added per round to every "
                      "point not yet resolved")
    max_replicates: int = Field(ge=2, le=100_000, description="replicates per point and "
                                "structure at most")
    confidence: float = Field(0.95, gt=0.5, lt=1, description="coverage of the intervals")

    @field_validator("margins")
    @classmethod
    def _margins(cls, value: dict[str, float]) -> dict[str, float]:
        for name, margin in value.items():
            if not (isinstance(margin, (int, float)) and math.isfinite(margin)
                    and margin >= 0):
                raise ValueError(f"margins.{name}={margin!r}: a tie margin is a finite number "
                                 ">= 0")
        return value


class Experiment(_Strict):
    """A sweep: a base scenario, the varied parameters, the design, replicates, outputs."""

    name: str = Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
                      description="short name; names the results folder results/sweeps/<name>/")
    description: str = Field("", description="one line: what the sweep asks")
    scenario: str = Field(min_length=1, description="base scenario: shipped name or a path")
    set: list[str] = Field(default_factory=list,
                           description="overrides of the base scenario, key=value (TOML)")
    structures: list[str] | None = Field(
        None, min_length=1, description="structures run at every point (default: the "
        "scenario's); the first is the reference of the advantage")
    replicates: int = Field(1, ge=1, le=100_000, description="replicates per point and "
                            "structure")
    seed: int | None = Field(None, ge=0, description="root seed (default: the scenario's)")
    resilience_metric: str | None = Field(
        None, description="metric of the resilience figures (default: the scenario's)")

    @field_validator("structures")
    @classmethod
    def _registered_structures(cls, value: list[str] | None) -> list[str] | None:
        for number, name in enumerate(value or ()):
            check_registered("structure", name, f"structures[{number}]")
        return value

    @field_validator("resilience_metric")
    @classmethod
    def _registered_metric(cls, value: str | None) -> str | None:
        return value if value is None else check_registered("metric", value,
                                                            "resilience_metric")

    @field_validator("parameters", "set", "structures", "description", mode="before")
    @classmethod
    def _bound_sizes(cls, value, info):
        limit, unit = {"parameters": (MAX_FACTORS, "parameters"),
                       "set": (MAX_OVERRIDES, "overrides"),
                       "structures": (MAX_STRUCTURES, "structures"),
                       "description": (MAX_DESCRIPTION, "characters")}[info.field_name]
        return check_length(info.field_name, value, limit, unit)
    design: Literal["grid", "lhs", "sobol", "morris"] = Field("grid", description="design")
    samples: int | None = Field(None, ge=1, le=10_000_000, description="lhs: points; sobol: "
                                "base sample N (a power of two; N*(D+2) points); morris: "
                                "trajectories (N*(D+1) points)")
    morris_levels: int = Field(4, ge=2, le=100, description="morris: grid levels p")
    second_order: bool = Field(False, description="sobol: also second-order indices "
                               "(N*(2D+2) points)")
    outputs: list[Literal["resilience", "levels", "timeseries"]] = Field(
        default_factory=lambda: ["resilience", "levels"], min_length=1,
        description="what each run keeps: resilience figures per shock, levels (final and "
        "mean metrics), full timeseries")
    level_window: float = Field(0.5, gt=0, le=1, description="share of the run, at its end, "
                                "averaged into the mean_* outputs")
    batch_size: int | None = Field(None, ge=1, le=100_000,
                                   description="runs per task (default: automatic)")
    parameters: list[Parameter] = Field(min_length=1, description="the varied parameters")
    analysis: Analysis = Field(default_factory=Analysis, description="defaults of analyze")
    precision: Precision | None = Field(
        None, description="replicates chosen by precision (grid designs): more replicates "
        "where the leader is not yet told apart")

    @model_validator(mode="after")
    def _check_design(self) -> Experiment:
        if self.precision is not None:
            if self.design != "grid":
                raise ValueError(f"precision: design='{self.design}' samples points for "
                                 "sensitivity indices, which need the same replicates at "
                                 "every point; precision is for grid designs")
            if self.precision.max_replicates < self.replicates:
                raise ValueError(f"precision.max_replicates={self.precision.max_replicates}: "
                                 f"must be at least replicates={self.replicates}")
            if self.replicates < 2:
                raise ValueError(f"replicates={self.replicates}: precision needs at least 2 "
                                 "first replicates (an interval)")
        if self.structures is not None and len(set(self.structures)) != len(self.structures):
            raise ValueError(f"structures={self.structures}: each structure at most once")
        if len(set(self.outputs)) != len(self.outputs):
            raise ValueError(f"outputs={self.outputs}: each output at most once")
        if self.design == "grid":
            for number, parameter in enumerate(self.parameters):
                if parameter.levels is None and parameter.count is None:
                    raise ValueError(
                        f"parameters[{number}] ({parameter.path}): a grid needs levels = "
                        "[...] or low, high and count")
            if self.samples is not None:
                raise ValueError(f"samples={self.samples}: a grid takes its points from the "
                                 "parameters' levels; remove samples")
            return self
        if self.samples is None:
            raise ValueError(f"design='{self.design}' needs samples = N")
        for number, parameter in enumerate(self.parameters):
            if parameter.levels is not None or parameter.count is not None:
                raise ValueError(
                    f"parameters[{number}] ({parameter.path}): design='{self.design}' samples "
                    "a range; give low and high (levels and count are for grids)")
        if self.design == "sobol" and self.samples & (self.samples - 1):
            below = 1 << (self.samples.bit_length() - 1)
            raise ValueError(
                f"samples={self.samples}: the sobol design needs a power of two (e.g. {below} "
                f"or {below * 2})")
        if self.design == "morris" and len(self.parameters) < 2:
            raise ValueError("design='morris' needs at least 2 parameters")
        return self


@dataclass
class Varied:
    """A parameter resolved against the base scenario: its column, type and values."""

    spec: Parameter
    column: str
    kind: str  # "int", "float", "str" or "bool"
    levels: list[Any] | None  # grid levels (typed), None for sampled ranges

    @property
    def path(self) -> str:
        return self.spec.path

    def coerce(self, value: Any) -> Any:
        """``value`` as the type the scenario field holds (ints rounded)."""
        if self.kind == "int":
            return int(round(float(value)))
        if self.kind == "float":
            return float(value)
        if self.kind == "firms":
            return lineup_label(value)
        return value


@dataclass
class ResolvedExperiment:
    """A validated experiment with its base scenario and typed parameters."""

    experiment: Experiment
    source: str
    scenario: Scenario
    parameters: list[Varied]
    base: dict[str, Any] = field(default_factory=dict)  # ModelConfig data of the base

    @property
    def market(self) -> bool:
        """Whether every run is a market of several firms (a ``firms`` factor, or a base
        scenario with ``firms``)."""
        return bool(self.base.get("firms")) or any(p.path == FIRMS_PATH
                                                    for p in self.parameters)

    @property
    def structures(self) -> list[str]:
        """The structures compared at every point; in a market sweep, the names of the
        firms of every line-up, in order of appearance (the first is the reference)."""
        if not self.market:
            return list(self.scenario.structures)
        names: dict[str, None] = {}
        for lineup in self.lineups():
            names.update(dict.fromkeys(lineup))
        return list(names)

    def lineups(self) -> list[list[str]]:
        """A market sweep's line-ups: the firm names of each level of the ``firms`` factor
        (or of the base scenario's ``firms``)."""
        for varied in self.parameters:
            if varied.path == FIRMS_PATH:
                return [[e["name"] for e in lineup_tables(level, FIRMS_PATH)]
                        for level in varied.levels]
        return [[e["name"] for e in self.base.get("firms", [])]]

    def firms_at(self, values) -> list[str]:
        """The firm names of the market at a design point of ``values``."""
        for varied, value in zip(self.parameters, values, strict=True):
            if varied.path == FIRMS_PATH:
                return [e["name"] for e in lineup_tables(value, FIRMS_PATH)]
        return [e["name"] for e in self.base.get("firms", [])]

    @property
    def replicates(self) -> int:
        """Replicates of every point (with precision: the first round's)."""
        return self.experiment.replicates

    @property
    def replicate_stride(self) -> int:
        """Replicates a point can hold: run numbers are spaced by it, so a run's number (and
        its numbers) do not depend on how many replicates precision ends up choosing."""
        precision = self.experiment.precision
        return precision.max_replicates if precision is not None else self.replicates

    @property
    def seed(self) -> int:
        return int(self.scenario.seed)

    @property
    def metric(self) -> str:
        return self.scenario.resilience_metric

    def data(self) -> dict[str, Any]:
        """Plain data of everything the numbers depend on (what the manifest records)."""
        experiment = self.experiment.model_dump(mode="json")
        return {"experiment": experiment, "scenario": scenario_data(self.scenario),
                "parameters": [{"path": p.path, "column": p.column, "kind": p.kind,
                                "levels": p.levels} for p in self.parameters]}

    def fingerprint(self) -> str:
        """SHA-256 of what decides the runs and their numbers (not name-independent
        cosmetics: the description, the base scenario's file name and the batch size)."""
        data = self.data()
        experiment = dict(data["experiment"])
        for key in ("description", "scenario", "batch_size", "analysis"):
            experiment.pop(key, None)
        scenario = dict(data["scenario"])
        for key in ("name", "description"):
            scenario.pop(key, None)
        text = json.dumps({"experiment": experiment, "scenario": scenario,
                           "parameters": data["parameters"]}, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()


# ---------------------------------------------------------------------------- loading
def resolve_experiment_path(name_or_path: str | Path) -> Path:
    """An experiment file path, or the name of a shipped one (``experiments/<name>.toml``)."""
    path = Path(name_or_path)
    if path.is_file():
        return path
    if path.suffix == "" and len(path.parts) == 1:
        shipped = EXPERIMENT_DIR / f"{path.name}.toml"
        if shipped.is_file():
            return shipped
        names = shipped_experiments()
        hint = did_you_mean(path.name, names)
        raise ConfigError(f"experiment '{name_or_path}' not found{hint} (shipped: "
                          f"{', '.join(names)})")
    if not path.exists():
        raise ConfigError(f"experiment file '{path}' does not exist")
    raise ConfigError(f"'{path}' is not an experiment file")


def shipped_experiments() -> list[str]:
    """Names of the experiment files in ``experiments/``."""
    return sorted(p.stem for p in EXPERIMENT_DIR.glob("*.toml"))


def load_experiment(name_or_path: str | Path) -> ResolvedExperiment:
    """Read, validate and resolve an experiment file."""
    path = resolve_experiment_path(name_or_path)
    return resolve_experiment(read_toml_file(path), str(path), base_dir=path.parent)


def parse_experiment(data: dict, source: str = "experiment") -> Experiment:
    """Validate experiment data (not yet the parameters against the scenario)."""
    try:
        return Experiment.model_validate(data)
    except ValidationError as error:
        raise ConfigError(f"{source}: {format_validation_error(error, Experiment)}") from None


def _scenario_source(spec: str, base_dir: Path | None) -> Path:
    path = Path(spec)
    if base_dir is not None and not path.is_absolute() and (base_dir / path).is_file():
        return base_dir / path
    return resolve_path(spec)


def resolve_experiment(data: dict, source: str = "experiment",
                       base_dir: Path | None = None) -> ResolvedExperiment:
    """Validate experiment data and resolve it against its base scenario."""
    experiment = parse_experiment(data, source)
    try:
        scenario = load_scenario(_scenario_source(experiment.scenario, base_dir))
    except ConfigError as error:
        raise ConfigError(f"{source}: scenario = {experiment.scenario!r}: {error}") from None
    resolved = scenario_data(scenario)
    try:
        resolved = apply_overrides(resolved, experiment.set)
    except ConfigError as error:
        raise ConfigError(f"{source}: {str(error).replace('--set ', 'set ')}") from None
    for key, value in (("structures", experiment.structures), ("seed", experiment.seed),
                       ("resilience_metric", experiment.resilience_metric)):
        if value is not None:
            resolved[key] = value
    resolved["replicates"] = experiment.replicates
    resolved["name"] = experiment.name
    scenario = parse_scenario(resolved, f"{source} (base scenario with set)")
    resolved = scenario_data(scenario)

    parameters = []
    columns: dict[str, str] = {}
    for number, spec in enumerate(experiment.parameters):
        where = f"{source}: parameters[{number}] ({spec.path})"
        if spec.path == FIRMS_PATH:
            varied = _firms_factor(spec, resolved, where, experiment.structures)
        else:
            current = _lookup(resolved, spec.path, where)
            varied = _typed(spec, current, where)
        if varied.column in KEY_COLUMNS:
            reserved = ", ".join(KEY_COLUMNS)
            raise ConfigError(f"{where}: name '{varied.column}' is reserved ({reserved}); "
                              "set name = \"...\"")
        if varied.column in columns:
            raise ConfigError(f"{where}: column name '{varied.column}' is also used by "
                              f"{columns[varied.column]}; set name = \"...\" on one of them")
        if spec.path in columns.values():
            raise ConfigError(f"{where}: the path is varied twice")
        columns[varied.column] = spec.path
        for label, value in _extremes(varied) if varied.kind != "firms" else ():
            _check_value(resolved, varied, value, f"{where} {label}={value!r}")
        parameters.append(varied)
    for axis in ("x", "y"):
        chosen = getattr(experiment.analysis, axis)
        if chosen is not None and chosen not in columns:
            raise ConfigError(f"{source}: analysis.{axis}={chosen!r}: not a parameter "
                              f"(parameters: {', '.join(columns)})")
    base = scenario.model_config_only().model_dump(mode="json")
    if experiment.precision is not None:
        allowed = output_columns(experiment.outputs, len(scenario.shocks))
        for name in experiment.precision.margins:
            if name not in allowed:
                hint = did_you_mean(name, allowed)
                raise ConfigError(f"{source}: precision.margins.{name}: not an output of this "
                                  f"sweep{hint} (outputs {experiment.outputs} give e.g. "
                                  f"{', '.join(allowed[:6])}, ...)")
    return ResolvedExperiment(experiment, source, scenario, parameters, base)


def output_columns(outputs, shocks: int) -> list[str]:
    """The output columns a run row of a sweep with ``outputs`` and ``shocks`` shocks holds
    (:mod:`simulation.sweep.worker`)."""
    from simulation.config.vocabulary import RESILIENCE_FIGURES, level_metric_names

    columns = []
    if "levels" in outputs:
        for metric in level_metric_names():
            columns += [f"final_{metric}", f"mean_{metric}"]
    if "resilience" in outputs:
        columns += [f"s{i}_{figure}" for i in range(shocks) for figure in RESILIENCE_FIGURES]
    return columns


def _firms_factor(spec: Parameter, resolved: dict, where: str,
                  structures: list[str] | None) -> Varied:
    """The ``firms`` factor: each level a line-up of competing firms, checked as the base
    scenario's ``firms`` would be; its values are the line-ups' labels."""
    if spec.levels is None:
        raise ConfigError(f"{where}: firms is varied by levels = [[\"hierarchy\", "
                          "\"podular\"], [\"hierarchy\", \"open\"]] in a grid (line-ups of "
                          "competing firms), not a range")
    if structures is not None:
        raise ConfigError(f"{where}: a sweep over line-ups of firms compares the firms of each "
                          f"market; remove structures = {structures}")
    labels = []
    for number, level in enumerate(spec.levels):
        at = f"{where} levels[{number}]"
        if not isinstance(level, list):
            raise ConfigError(f"{at}={level!r}: a line-up is a list of firms, e.g. "
                              "[\"hierarchy\", \"podular\"]")
        tables = lineup_tables(level, at)
        label = lineup_label(level)
        data = json.loads(json.dumps(resolved))
        data[FIRMS_PATH] = tables
        try:
            Scenario.model_validate(data)
        except ValidationError as error:
            raise ConfigError(f"{at}={level!r}: {format_validation_error(error, Scenario)}"
                              ) from None
        labels.append(label)
    return Varied(spec, spec.column, "firms", labels)


def _lookup(data: Any, path: str, where: str) -> Any:
    """The base scenario's value at a parameter's path (one of its single values)."""
    top = path.split(".")[0]
    if top in NOT_SWEEPABLE:
        raise ConfigError(f"{where}: '{top}' describes the comparison, it cannot be "
                          "varied (structures are compared at every point: list them in "
                          "structures = [...])")
    try:
        current = get_path(data, path, hidden=NOT_SWEEPABLE)
    except ConfigError as error:
        raise ConfigError(f"{where}: {error}") from None
    if isinstance(current, (dict, list)):
        inside = valid_paths(current, path)
        listed = ", ".join(inside[:8]) + (", ..." if len(inside) > 8 else "")
        raise ConfigError(f"{where}: '{path}' is a table or list; vary one of its values "
                          f"({listed or 'none: it is empty'})")
    return current


def _typed(spec: Parameter, current: Any, where: str) -> Varied:
    if isinstance(current, bool):
        kind = "bool"
    elif isinstance(current, int):
        kind = "int"
    elif isinstance(current, float):
        kind = "float"
    else:
        kind = "str"
    if kind in ("bool", "str") and spec.levels is None:
        raise ConfigError(f"{where}: a {kind} value ({current!r}) is varied by levels = [...] "
                          "in a grid, not a range")
    levels = None
    if spec.levels is not None:
        levels = [_coerce_level(level, kind, where) for level in spec.levels]
        if len(set(levels)) != len(levels):  # 60 and 60.0 are one design point
            raise ConfigError(f"{where}: levels={spec.levels} repeat a value "
                              f"(as {kind}: {levels})")
    elif spec.count is not None:
        if spec.scale == "log":
            raw = [math.exp(math.log(spec.low) + (math.log(spec.high) - math.log(spec.low))
                            * i / (spec.count - 1)) for i in range(spec.count)]
        else:
            raw = [spec.low + (spec.high - spec.low) * i / (spec.count - 1)
                   for i in range(spec.count)]
        levels = [int(round(v)) if kind == "int" else float(round(v, 12)) for v in raw]
        levels = list(dict.fromkeys(levels))
    return Varied(spec, spec.column, kind, levels)


def _coerce_level(level: Any, kind: str, where: str) -> Any:
    if kind == "bool":
        if not isinstance(level, bool):
            raise ConfigError(f"{where}: level {level!r} must be true or false")
        return level
    if kind == "str":
        if not isinstance(level, str):
            raise ConfigError(f"{where}: level {level!r} must be a string")
        return level
    if isinstance(level, (bool, str)):
        raise ConfigError(f"{where}: level {level!r} must be a number")
    if not math.isfinite(level):
        raise ConfigError(f"{where}: level {level!r} must be a finite number")
    if kind == "int":
        if float(level) != int(level):
            raise ConfigError(f"{where}: level {level!r} must be a whole number")
        return int(level)
    return float(level)


def _extremes(varied: Varied) -> list[tuple[str, Any]]:
    if varied.levels is not None and varied.spec.levels is not None:
        return [(f"levels[{i}]", v) for i, v in enumerate(varied.levels)]
    spec = varied.spec
    return [("low", varied.coerce(spec.low)), ("high", varied.coerce(spec.high))]


def _check_value(resolved: dict, varied: Varied, value: Any, where: str) -> None:
    data = set_path(json.loads(json.dumps(resolved)), varied.path, value)
    try:
        Scenario.model_validate(data)
    except ValidationError as error:
        raise ConfigError(f"{where}: {format_validation_error(error, Scenario)}") from None


def point_config(base: dict, paths: list[str], values: list[Any]) -> ModelConfig:
    """The :class:`ModelConfig` of one design point: ``base`` with ``values`` at ``paths``."""
    data = json.loads(json.dumps(base))
    for path, value in zip(paths, values, strict=True):
        if path == FIRMS_PATH:  # a line-up's label: its firm tables
            value = lineup_tables(value, FIRMS_PATH)
        set_path(data, path, value)
    return validate_model_config(data)
