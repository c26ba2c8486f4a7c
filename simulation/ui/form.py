"""The scenario editor of the compare page, as plain data: fields, parsing and validation.

The page keeps what the user typed as text (:class:`FormState`), so a half-typed or wrong
value is never lost or silently replaced. :func:`validate_form` parses the text and runs the
same validation as scenario files (:class:`simulation.scenario.Scenario`); it returns the
valid scenario or a message per field key (``"steps"``, ``"market.k"``,
``"shocks.0.step"``...), which the page shows beside the field while Run stays disabled.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from pydantic import ValidationError

from .. import scenario as scenario_module
from ..errors import ConfigError, describe_problem
from ..paths import get_path, set_path
from ..vocabulary import SHOCK_KINDS, STRUCTURES

#: Editable scalar fields: key (dotted path in the scenario), label, type.
FIELDS: tuple[tuple[str, str, type], ...] = (
    ("steps", "steps", int),
    ("seed", "seed", int),
    ("customers.count", "customers", int),
    ("firm.employees", "employees", int),
    ("market.turbulence", "market turbulence", float),
    ("market.k", "interdependence K", int),
    ("market.cross_module_share", "cross-module share of K", float),
    ("market.segments", "segments", int),
)
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
        ordered = tuple(s for s in STRUCTURES if s in set(structures))
        return replace(self, structures=ordered)

    def with_path(self, key: str, text: str) -> FormState:
        """The editor with ``text`` typed at a dotted path: a field of :data:`FIELDS` or
        ``shocks.<i>.<field>``. ConfigError (from :func:`simulation.paths.set_path`) if the
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
        shock = {"kind": "need_shift", "step": str(max(0, steps // 2)), "strength": "0.5"}
        return replace(self, shocks=(*self.shocks, shock))

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
    return repr(value) if isinstance(value, float) else str(value)


def form_from_scenario(scenario) -> FormState:
    """The editor filled from a :class:`simulation.scenario.Scenario`."""
    data = scenario_module.scenario_data(scenario)
    values = {key: _text(get_path(data, key)) for key, _, _ in FIELDS}
    shocks = []
    for shock in data.get("shocks", []):
        entry = dict(shock)
        for key, _, _ in SHOCK_FIELDS:
            entry[key] = _text(shock[key])
        shocks.append(entry)
    structures = tuple(data.get("structures", ()))[:MAX_STRUCTURES]
    return FormState(base=data, values=values, shocks=tuple(shocks), structures=structures)


def _parse(text: str, kind: type, label: str):
    text = (text or "").strip()
    if not text:
        raise ValueError(f"{label}: enter a value")
    try:
        return kind(text) if kind is float else int(text)
    except ValueError:
        what = "a whole number" if kind is int else "a number"
        raise ValueError(f"{label}={text!r}: expected {what}") from None


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
    keys = {key for key, _, _ in FIELDS}
    for i in range(len(state.shocks)):
        keys |= {f"shocks.{i}.{key}" for key, _, _ in SHOCK_FIELDS} | {f"shocks.{i}.kind"}
    return keys


def validate_form(state: FormState) -> Validation:
    """Parse and validate the editor; a valid scenario or messages per field key."""
    result = Validation()
    data = {k: v for k, v in state.base.items()}
    data = {**data, "market": dict(data.get("market", {})),
            "customers": dict(data.get("customers", {})), "firm": dict(data.get("firm", {}))}
    for key, _label, kind in FIELDS:
        try:
            set_path(data, key, _parse(state.values.get(key, ""), kind, key))
        except ValueError as error:
            result.errors[key] = str(error)
    shocks = []
    for i, shock in enumerate(state.shocks):
        entry = dict(shock)
        for key, label, kind in SHOCK_FIELDS:
            try:
                entry[key] = _parse(str(shock.get(key, "")), kind, f"shock {i + 1} {label}")
            except ValueError as error:
                result.errors[f"shocks.{i}.{key}"] = str(error)
        if entry.get("kind") not in SHOCK_KINDS:
            result.errors[f"shocks.{i}.kind"] = (
                f"shocks.{i}.kind={entry.get('kind')!r}: allowed values are "
                f"{', '.join(SHOCK_KINDS)}")
        if entry.get("kind") != "need_shift" or not entry.get("segments"):
            entry.pop("segments", None)
        shocks.append(entry)
    data["shocks"] = shocks
    count = len(state.structures)
    if not MIN_STRUCTURES <= count <= MAX_STRUCTURES:
        result.errors["structures"] = (
            f"structures: pick {MIN_STRUCTURES} to {MAX_STRUCTURES} (now {count})")
    data["structures"] = list(state.structures) or [STRUCTURES[0]]
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
                                     message)
        return result
    except (ConfigError, ValueError) as error:
        result.errors[GENERAL] = str(error)
        return result
    result.scenario = scenario
    return result
