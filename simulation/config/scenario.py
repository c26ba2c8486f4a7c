"""Scenario files: a named situation in TOML, validated, with every field defaulted.

A scenario is a :class:`simulation.config.schema.ModelConfig` plus what a comparison needs: a name,
a description, the structures to compare, replicates, the root seed and the metric the
resilience figures use. Unknown keys are refused with the closest valid key suggested.

Sources a command accepts (:func:`load_source`): the name of a shipped scenario
(``scenarios/<name>.toml``), the path of a TOML file, or the ``manifest.json`` of a results
folder (or the folder itself), which holds the fully resolved scenario of that run.
``--set key=value`` overrides (:func:`apply_overrides`) use dotted paths of the resolved
scenario (``firm.employees=500``, ``shocks.0.step=120``); values are parsed as TOML.
"""

from __future__ import annotations

import json
import tomllib
import typing
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from simulation import registry
from simulation.config.limits import (
    MAX_DESCRIPTION,
    MAX_FILE_BYTES,
    MAX_STRUCTURES,
    check_length,
)
from simulation.config.messages import (
    allowed_range,
    format_validation_error,
    literal_choices,
)
from simulation.config.paths import did_you_mean, set_path
from simulation.config.schema import (
    Customers,
    Economics,
    Firm,
    FirmEntry,
    Market,
    ModelConfig,
    Stakeholders,
    check_registered,
)
from simulation.data import shipped_folder
from simulation.errors import ConfigError

SCENARIO_DIR = shipped_folder("scenarios")
#: Top-level keys of a scenario file, in the order ``firmsim show`` prints them.
TOP_LEVEL = ("name", "description", "structures", "steps", "replicates", "seed",
             "resilience_metric")
SECTIONS = ("market", "customers", "firm", "stakeholders", "economics")


class Scenario(ModelConfig):
    """A comparison of structures in one market situation."""

    name: str = Field("scenario", min_length=1, max_length=80,
                      pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
                      description="short name (letters, digits, '-', '_', '.'); names the "
                      "results folder results/<name>/")
    description: str = Field("", description="one line: what the scenario shows")
    structures: list[str] = Field(
        default_factory=lambda: list(registry.default_structures()), min_length=1,
        json_schema_extra={"registry": "structure"},
        description="structures to compare; the first is the reference of the paired "
        "differences")
    replicates: int = Field(5, ge=1, le=100_000, description="replicates per structure")
    seed: int = Field(1, ge=0, le=2**64 - 1, description="root seed of the replicate seeds")
    resilience_metric: str = Field(
        "market_share", description="step metric the resilience figures are computed on "
        "(any registered step metric)", json_schema_extra={"registry": "metric"})

    @field_validator("structures")
    @classmethod
    def _registered_structures(cls, value: list[str]) -> list[str]:
        for number, name in enumerate(value):
            check_registered("structure", name, f"structures[{number}]")
        return value

    @field_validator("resilience_metric")
    @classmethod
    def _registered_metric(cls, value: str) -> str:
        return check_registered("metric", value, "resilience_metric")

    @field_validator("description", mode="before")
    @classmethod
    def _bound_description(cls, value):
        return check_length("description", value, MAX_DESCRIPTION)

    @field_validator("structures", mode="before")
    @classmethod
    def _bound_structures(cls, value):
        return check_length("structures", value, MAX_STRUCTURES, "structures")

    @model_validator(mode="after")
    def _check_structures(self) -> Scenario:
        if len(set(self.structures)) != len(self.structures):
            raise ValueError(f"structures={self.structures}: each structure at most once")
        if "structure" in self.model_fields_set:
            raise ValueError(
                "structure: a scenario compares several structures; use "
                f"structures = [\"{self.structure}\", ...] instead")
        return self

    def model_config_only(self) -> ModelConfig:
        """The :class:`ModelConfig` part (what one model run needs)."""
        data = self.model_dump(include=set(ModelConfig.model_fields))
        return ModelConfig.model_validate(data)


def scenario_data(scenario: Scenario) -> dict[str, Any]:
    """The fully resolved scenario as plain data (what a file or a manifest holds)."""
    return scenario.model_dump(mode="json", exclude={"structure"})


# ---------------------------------------------------------------------------- loading
def parse_scenario(data: dict, source: str = "scenario") -> Scenario:
    """Validate scenario data, raising a one-line :class:`ConfigError`."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as error:
        raise ConfigError(f"{source}: {format_validation_error(error, Scenario)}") from None


def shipped_names() -> list[str]:
    """Names of the scenarios in ``scenarios/``."""
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.toml"))


def resolve_path(name_or_path: str | Path) -> Path:
    """A scenario file path, or the name of a shipped scenario (``demo``)."""
    path = Path(name_or_path)
    if path.suffix == "" and not path.is_file():
        shipped = SCENARIO_DIR / f"{path.name}.toml"
        if shipped.exists():
            return shipped
        names = ", ".join(shipped_names())
        hint = did_you_mean(path.name, shipped_names())
        raise ConfigError(
            f"scenario '{name_or_path}' not found{hint} (shipped scenarios: {names})")
    if not path.exists():
        raise ConfigError(f"scenario file '{path}' does not exist")
    if not path.is_file():
        raise ConfigError(f"'{path}' is not a scenario file")
    return path


def read_toml_file(path: Path) -> dict:
    """The data of a TOML file; an unreadable or malformed file is one ConfigError line."""
    try:
        size = path.stat().st_size
    except OSError as error:
        raise ConfigError(f"{path}: cannot read ({error.strerror or error})") from None
    if size > MAX_FILE_BYTES:
        raise ConfigError(f"{path}: {size / 2**20:.1f} MB, more than the "
                          f"{MAX_FILE_BYTES // 2**20} MB a scenario or experiment file may "
                          "have")
    try:
        return tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML ({error})") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot read ({error})") from None


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Read and validate a scenario file (or a shipped scenario by name).

    A relative ``firm.org_chart`` is relative to the scenario file, and is stored resolved.
    """
    path = resolve_path(name_or_path)
    data = read_toml_file(path)
    firm = data.get("firm")
    if isinstance(firm, dict) and isinstance(firm.get("org_chart"), str) and firm["org_chart"]:
        chart = Path(firm["org_chart"]).expanduser()
        firm["org_chart"] = str(chart if chart.is_absolute() else
                                (path.parent / chart).resolve())
    return parse_scenario(data, str(path))



# ---------------------------------------------------------------------------- overrides
def parse_value(text: str) -> Any:
    """A ``--set`` value: TOML (``500``, ``0.2``, ``true``, ``["a", "b"]``), else the text."""
    text = text.strip()
    try:
        return tomllib.loads(f"value = {text}")["value"]
    except tomllib.TOMLDecodeError:
        return text


def apply_overrides(data: dict[str, Any], assignments: list[str]) -> dict[str, Any]:
    """Apply ``key=value`` assignments (dotted paths) to resolved scenario data, in order.

    Only keys that exist in the resolved scenario can be set
    (:func:`simulation.config.paths.set_path`); a misspelt key is refused with the closest
    valid one. Validation is left to the caller (it runs on the result).
    """
    data = json.loads(json.dumps(data))  # deep copy of plain data
    for assignment in assignments:
        key, equals, raw = assignment.partition("=")
        key = key.strip()
        if not equals or not key:
            raise ConfigError(f"--set {assignment!r}: expected key=value, e.g. firm.employees=500")
        try:
            set_path(data, key, parse_value(raw))
        except ConfigError as error:
            raise ConfigError(f"--set {key}: {error}") from None
    return data


def command_assignments(args) -> list[str]:
    """``--set`` assignments of a command, plus its ``--replicates/--seed/--steps`` options."""
    assignments = list(args.assignments)
    for option in ("replicates", "seed", "steps"):
        value = getattr(args, option, None)
        if value is not None:
            assignments.append(f"{option}={value}")
    return assignments



# ---------------------------------------------------------------------------- printing
def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {value!r} as TOML")


def _lines(data: dict, model: type[BaseModel], keys, comments: bool) -> list[str]:
    width = max((len(k) for k in keys), default=0)
    lines = []
    for key in keys:
        line = f"{key.ljust(width) if comments else key} = {_toml_value(data[key])}"
        description = model.model_fields[key].description if comments else None
        if description:
            line = f"{line}  # {description}"
        lines.append(line)
    return lines


def to_toml(scenario: Scenario, comments: bool = True) -> str:
    """The fully resolved scenario as a TOML file (a valid scenario file)."""
    data = scenario_data(scenario)
    models = {"market": Market, "customers": Customers, "firm": Firm,
              "stakeholders": Stakeholders, "economics": Economics}
    lines = _lines(data, Scenario, TOP_LEVEL, comments)
    for section in SECTIONS:
        lines += ["", f"[{section}]", *_lines(data[section], models[section],
                                              list(data[section]), comments)]
    for shock in data["shocks"]:
        model = registry.get("shock", shock["kind"]).parameters
        lines += ["", "[[shocks]]", *_lines(shock, model, list(shock), comments)]
    return "\n".join(lines) + "\n"


def _type_name(annotation) -> str:
    if typing.get_origin(annotation) is Literal:
        return "string"
    if typing.get_origin(annotation) is list:
        inner = typing.get_args(annotation)[0]
        return f"list of {_type_name(inner)}"
    return {int: "integer", float: "number", str: "string", bool: "boolean"}.get(
        annotation, getattr(annotation, "__name__", str(annotation)))


def _allowed_text(field) -> str:
    choices = literal_choices(field)
    if choices:
        return ", ".join(f"`{c}`" for c in choices)
    return allowed_range(field)


def reference_markdown() -> str:
    """Markdown tables of every scenario field: type, default, allowed values, meaning."""
    def table(model: type[BaseModel], keys, prefix: str = "") -> list[str]:
        rows = ["| key | type | default | allowed | meaning |", "|---|---|---|---|---|"]
        for key in keys:
            field = model.model_fields[key]
            if field.is_required():
                default = "(required)"
            else:
                value = field.get_default(call_default_factory=True)
                default = f"`{_toml_value(value if not isinstance(value, tuple) else list(value))}`"
            meaning = (field.description or "").replace("|", "\\|")
            rows.append(f"| `{prefix}{key}` | {_type_name(field.annotation)} | {default} | "
                        f"{_allowed_text(field)} | {meaning} |")
        return rows

    parts = ["### Top level", "", *table(Scenario, TOP_LEVEL)]
    for name, model in (("market", Market), ("customers", Customers), ("firm", Firm),
                        ("stakeholders", Stakeholders), ("economics", Economics)):
        parts += ["", f"### `[{name}]`", "", (model.__doc__ or "").strip().splitlines()[0], "",
                  *table(model, list(model.model_fields), f"{name}.")]
    parts += ["", "### `[[firms]]` (a market of several firms; none: one firm)", "",
              "Each entry is a structure name or a table; `firm.*` overrides `[firm]` for "
              "that firm (`firmsim compete`, `simulation.core.competition.MarketModel`).", "",
              *table(FirmEntry, [k for k in FirmEntry.model_fields if k != "firm"])]
    parts += ["", "### `[[shocks]]` (zero or more)", "",
              "Every shock has a `kind` and a `step`; each kind has fields of its own."]
    for shock in registry.entries("shock"):
        fields = [key for key in shock.parameters.model_fields if key != "kind"]
        parts += ["", f"#### `kind = \"{shock.name}\"`: {shock.description}", "",
                  *table(shock.parameters, fields)]
    return "\n".join(parts) + "\n"
