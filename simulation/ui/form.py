"""The scenario editor of the compare page, as plain data: fields, parsing and validation.

The page keeps what the user typed as text (:class:`FormState`), so a half-typed or wrong
value is never lost or silently replaced. :func:`validate_form` parses the text and runs the
same validation as scenario files (:class:`simulation.config.scenario.Scenario`); it returns the
valid scenario or a message per field key (``"steps"``, ``"market.k"``,
``"shocks.0.step"``...), which the page shows beside the field while Run stays disabled.
"""

from __future__ import annotations

import re
import typing
from dataclasses import dataclass, field, replace
from typing import Any

from pydantic import ValidationError

from simulation import registry
from simulation.config import scenario as scenario_module
from simulation.config.messages import allowed_range, describe_problem, literal_choices
from simulation.config.paths import get_path, set_path
from simulation.config.schema import ModelConfig
from simulation.errors import ConfigError

#: The app runs this many paired replicates per structure unless told otherwise: what every
#: shipped preset asks for and the question page uses. With 3 the 95% t quantile is 4.30 and
#: the page could almost never tell a difference it showed (at 5 it is 2.78, and the half
#: width t s / sqrt(n) is 0.50 of 3 runs'); the teach cards' claims are checked on runs of
#: this many (tests/test_lessons.py). A preset asking for more is capped to it on loading.
DEFAULT_REPLICATES = 5

#: The basic fields shown first: key (dotted path in the scenario), label, type.
FIELDS: tuple[tuple[str, str, type], ...] = (
    ("steps", "steps", int),
    ("replicates", "replicates (paired runs per structure)", int),
    ("seed", "seed", int),
    ("customers.count", "customers", int),
    ("firm.employees", "employees", int),
    ("market.turbulence", "market turbulence", float),
    ("market.k", "interdependence K", int),
    ("market.cross_module_share", "cross-module share of K", float),
    ("market.segments", "segments", int),
)
#: Sections of the configuration, in the editor's order (each a collapsible group).
SECTIONS: tuple[str, ...] = scenario_module.SECTIONS


@dataclass(frozen=True)
class FieldSpec:
    """One editable field, read from the pydantic configuration (never listed by hand)."""

    key: str
    label: str
    annotation: Any
    description: str
    allowed: str
    choices: tuple

    @property
    def kind(self) -> str:
        """``int``, ``float``, ``bool``, ``choice``, ``int_list`` or ``text``."""
        if self.choices:
            return "choice"
        if self.annotation in (int, float, bool):
            return self.annotation.__name__
        if typing.get_origin(self.annotation) is list:
            return "int_list"
        return "text"

    @property
    def hint(self) -> str:
        allowed = f" (allowed: {self.allowed})" if self.allowed else ""
        return f"{self.description}{allowed}"


def _spec(key: str, label: str, info) -> FieldSpec:
    return FieldSpec(key, label, info.annotation, info.description or "",
                     allowed_range(info), tuple(str(c) for c in literal_choices(info)))


def section_fields(section: str) -> list[FieldSpec]:
    """Every field of a configuration section (fields added to config.py appear here)."""
    model = ModelConfig.model_fields[section].annotation
    basic = {key for key, _, _ in FIELDS}
    specs = []
    for name, info in model.model_fields.items():
        key = f"{section}.{name}"
        if key in basic or (info.json_schema_extra or {}).get("app") is False:
            continue  # settings the app's menus do not offer (an org chart file)
        specs.append(_spec(key, f"{section} {name.replace('_', ' ')}", info))
    return specs


def basic_fields() -> list[FieldSpec]:
    specs = []
    for key, label, _ in FIELDS:
        section, _, name = key.rpartition(".")
        model = (ModelConfig.model_fields[section].annotation if section
                 else scenario_module.Scenario)
        specs.append(_spec(key, label, model.model_fields[name]))
    return specs


def all_fields() -> list[FieldSpec]:
    return basic_fields() + [spec for section in SECTIONS for spec in section_fields(section)]


def shock_model(kind: str):
    """The validated model of a registered shock kind (its own fields only)."""
    return registry.get("shock", kind).parameters


def shock_fields(kind: str) -> list[FieldSpec]:
    """The fields of one shock kind, as its registered model declares them."""
    return [_spec(name, name.replace("_", " "), info)
            for name, info in shock_model(kind).model_fields.items()
            if name != "kind" and (info.json_schema_extra or {}).get("app") is not False]


SHOCK_FIELDS: tuple[tuple[str, str, type], ...] = (
    ("step", "step", int),
    ("strength", "strength", float),
)
MIN_STRUCTURES, MAX_STRUCTURES = 2, 5
#: Key of messages that belong to no single field.
GENERAL = "_general"


@dataclass(frozen=True)
class FormState:
    """What the compare page's editor holds: the base scenario and the typed text."""

    base: dict[str, Any]
    values: dict[str, str]
    shocks: tuple[dict[str, Any], ...]
    structures: tuple[str, ...]

    def with_value(self, key: str, text: str) -> FormState:
        return replace(self, values={**self.values, key: text})

    def with_structures(self, structures) -> FormState:
        ordered = tuple(s for s in registry.menu_structures() if s in set(structures))
        return replace(self, structures=ordered)

    def with_path(self, key: str, text: str) -> FormState:
        """The editor with ``text`` typed at a dotted path: a field of :data:`FIELDS` or
        ``shocks.<i>.<field>``. ConfigError (from :func:`simulation.config.paths.set_path`) if the
        editor has no such field."""
        if key in self.values:
            return self.with_value(key, text)
        shocks = [dict(shock) for shock in self.shocks]
        set_path({"shocks": shocks}, key, text)
        return replace(self, shocks=tuple(shocks))

    def with_shock(self, index: int, key: str, value: Any) -> FormState:
        shocks = list(self.shocks)
        shocks[index] = {**shocks[index], key: value}
        return replace(self, shocks=tuple(shocks))

    def add_shock(self) -> FormState:
        steps = _int_or(self.values.get("steps"), 100)
        shock = shock_texts({"kind": "need_shift", "step": max(0, steps // 2),
                             "strength": 0.5})
        return replace(self, shocks=(*self.shocks, shock))

    def with_shock_kind(self, index: int, kind: str) -> FormState:
        """Change a shock's kind, filling the new kind's own fields with their defaults."""
        shocks = list(self.shocks)
        shocks[index] = shock_texts({**shocks[index], "kind": kind})
        return replace(self, shocks=tuple(shocks))

    def remove_shock(self, index: int) -> FormState:
        return replace(self, shocks=tuple(s for i, s in enumerate(self.shocks) if i != index))


@dataclass
class Validation:
    scenario: Any = None
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.scenario is not None and not self.errors


def _int_or(text, default: int) -> int:
    try:
        return int(str(text).strip())
    except (TypeError, ValueError):
        return default


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return repr(value) if isinstance(value, float) else str(value)


def shock_texts(shock: dict) -> dict:
    """A shock as the editor holds it: its kind and the text of each of its kind's fields
    (missing ones filled with their defaults)."""
    kind = str(shock.get("kind", "need_shift"))
    entry = {"kind": kind}
    for spec in shock_fields(kind):
        name = spec.key
        if name in shock:
            value = shock[name]
            entry[name] = value if isinstance(value, str) else _text(value)
        else:
            default = shock_model(kind).model_fields[name].get_default(
                call_default_factory=True)
            entry[name] = _text(default)
    return entry


def form_from_scenario(scenario, replicates_cap: int | None = None) -> FormState:
    """The editor filled from a :class:`simulation.config.scenario.Scenario` (``replicates_cap``:
    at most this many replicates, for presets written for the command line)."""
    data = scenario_module.scenario_data(scenario)
    if replicates_cap is not None:
        data["replicates"] = min(int(data.get("replicates", 1)), replicates_cap)
    values = {spec.key: _text(get_path(data, spec.key)) for spec in all_fields()}
    shocks = tuple(shock_texts(shock) for shock in data.get("shocks", []))
    structures = tuple(data.get("structures", ()))[:MAX_STRUCTURES]
    return FormState(base=data, values=values, shocks=shocks, structures=structures)


def _parse(text: str, kind, label: str):
    """The value of ``text`` for a field of type ``kind`` (a type or a :class:`FieldSpec`)."""
    if isinstance(kind, FieldSpec):
        spec = kind
        kind = {"int": int, "float": float}.get(spec.kind)
        raw = (text or "").strip()
        if spec.kind == "bool":
            if raw.lower() in ("true", "1", "yes", "on"):
                return True
            if raw.lower() in ("false", "0", "no", "off"):
                return False
            raise ValueError(f"{label}={raw!r}: expected true or false")
        if spec.kind == "int_list":
            parts = [p for p in re.split(r"[,\s]+", raw) if p]
            try:
                return [int(p) for p in parts]
            except ValueError:
                raise ValueError(f"{label}={raw!r}: expected whole numbers separated by "
                                 "commas (or nothing)") from None
        if kind is None:
            if not raw:
                raise ValueError(f"{label}: enter a value")
            return raw
    text = (text or "").strip()
    if not text:
        raise ValueError(f"{label}: enter a value")
    try:
        return kind(text) if kind is float else int(text)
    except ValueError:
        what = "a whole number" if kind is int else "a number"
        raise ValueError(f"{label}={text!r}: expected {what}") from None


def labels(state: FormState) -> dict[str, str]:
    """Form key -> the label the form shows (``shocks.0.step`` -> ``shock 1 step``)."""
    shown = {spec.key: spec.label for spec in all_fields()}
    for i, shock in enumerate(state.shocks):
        shown[f"shocks.{i}.kind"] = f"shock {i + 1} kind"
        for spec in shock_fields(str(shock.get("kind"))):
            shown[f"shocks.{i}.{spec.key}"] = f"shock {i + 1} {spec.label}"
    return shown


def as_shown(message: str, shown: dict[str, str]) -> str:
    """``message`` with every field path it names written as the form's label:
    ``market.k=25: must be smaller than market.attributes=20`` ->
    ``interdependence K = 25: must be smaller than market attributes = 20``."""
    def name(key: str) -> str | None:
        return shown.get(key)

    def replace_path(match: re.Match) -> str:
        path = re.sub(r"\[(\d+)\]", r".\1", match.group(1))
        label = name(path)
        if label is None:
            return match.group(0)
        return f"{label}{' = ' if match.group(2) == '=' else ': ' if match.group(2) else ''}"

    pattern = re.compile(r"\b((?:[A-Za-z_]\w*(?:\[\d+\])?\.)+[A-Za-z_]\w*|[A-Za-z_]\w*)"
                         r"(=|: )?")

    def guarded(match: re.Match) -> str:
        path = match.group(1)
        # A bare word is a field only where it starts the message ("steps=0: ...").
        if "." not in path and "[" not in path and match.start() != 0:
            return match.group(0)
        return replace_path(match)

    return pattern.sub(guarded, message)


_LOCATION = re.compile(r"^([A-Za-z_][\w]*(?:\[\d+\])?(?:\.[A-Za-z_]\w*)*)(?:=|:)")


def _key_of(location: tuple, message: str) -> str:
    """The form key an error belongs to: from its location, or the field its message names."""
    key = ".".join(str(p) for p in location)
    match = _LOCATION.match(message)
    if match:  # a model-level check names the field it is about ("market.k=20: ...")
        named = re.sub(r"\[(\d+)\]", r".\1", match.group(1))
        if "." not in named and location:
            named = ".".join([*map(str, location), named])
        return named
    return key or GENERAL


def _field_keys(state: FormState) -> set[str]:
    return set(labels(state))


def validate_form(state: FormState) -> Validation:
    """Parse and validate the editor; a valid scenario or messages per field key."""
    result = Validation()
    data = {k: v for k, v in state.base.items()}
    data.update({section: dict(data.get(section, {})) for section in SECTIONS})
    for spec in all_fields():
        if spec.key not in state.values:
            continue
        try:
            set_path(data, spec.key, _parse(state.values[spec.key], spec, spec.label))
        except (ValueError, ConfigError) as error:
            result.errors[spec.key] = str(error)
    shocks = []
    for i, shock in enumerate(state.shocks):
        kind = shock.get("kind")
        entry = {"kind": kind}
        if kind not in registry.names("shock"):
            result.errors[f"shocks.{i}.kind"] = (
                f"shock {i + 1} kind={kind!r}: allowed values are "
                f"{', '.join(registry.names('shock'))}")
            shocks.append(entry)
            continue
        for spec in shock_fields(kind):
            try:
                entry[spec.key] = _parse(str(shock.get(spec.key, "")), spec,
                                         f"shock {i + 1} {spec.label}")
            except ValueError as error:
                result.errors[f"shocks.{i}.{spec.key}"] = str(error)
        shocks.append(entry)
    data["shocks"] = shocks
    count = len(state.structures)
    if not MIN_STRUCTURES <= count <= MAX_STRUCTURES:
        result.errors["structures"] = (
            f"structures: pick {MIN_STRUCTURES} to {MAX_STRUCTURES} (now {count})")
    data["structures"] = list(state.structures) or [registry.menu_structures()[0]]
    if result.errors:  # do not validate what could not be parsed
        return result
    try:
        scenario = scenario_module.Scenario.model_validate(data)
    except ValidationError as error:
        known = _field_keys(state)
        for item in error.errors():
            message = describe_problem(item, scenario_module.Scenario)
            key = _key_of(tuple(item.get("loc", ())), message)
            if key not in known and key != "structures":
                # e.g. "customers.degree=10: must be smaller than customers.count=5"
                named = [k for k in known if f"{k}=" in message.replace("[", ".")
                         .replace("]", "")]
                key = named[0] if named else key
            result.errors.setdefault(key if key in known or key == "structures" else GENERAL,
                                     as_shown(message, labels(state)))
        return result
    except (ConfigError, ValueError) as error:
        result.errors[GENERAL] = str(error)
        return result
    result.scenario = scenario
    return result
