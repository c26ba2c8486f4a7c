"""Messages the user can act on: a pydantic ``ValidationError`` as one line naming the field.

:func:`format_validation_error` is the one place a pydantic ``ValidationError`` becomes that
line; configurations, scenario files, experiment files and the app's editor all use it.
"""

from __future__ import annotations

import re
import typing
from typing import TYPE_CHECKING, Any, Literal

from simulation import registry
from simulation.config.limits import shown
from simulation.config.paths import bracketed, did_you_mean, field_at, keys_at

if TYPE_CHECKING:
    from pydantic import BaseModel, ValidationError


_RANGE_ERRORS = ("greater_than", "greater_than_equal", "less_than", "less_than_equal")


def _bounds(field) -> tuple[str | None, str | None]:
    low = high = None
    for item in getattr(field, "metadata", ()):
        for attribute, prefix in (("ge", ""), ("gt", "above ")):
            value = getattr(item, attribute, None)
            if value is not None:
                low = f"{prefix}{value}"
        for attribute, prefix in (("le", ""), ("lt", "below ")):
            value = getattr(item, attribute, None)
            if value is not None:
                high = f"{prefix}{value}"
    return low, high


def allowed_range(field) -> str:
    """``"2 to 1000000"``, ``">= 0"``, ``"> 0"``... from a field's constraints ("" if none)."""
    low, high = _bounds(field)
    if low is not None and high is not None:
        return f"{low} to {high}"
    if low is not None:
        return f"> {low.removeprefix('above ')}" if low.startswith("above ") else f">= {low}"
    if high is not None:
        return f"< {high.removeprefix('below ')}" if high.startswith("below ") else f"<= {high}"
    return ""


def literal_choices(field) -> tuple:
    """The allowed values of a ``Literal`` field (or a list of one), or of a field whose
    values are the names of a registry kind (``json_schema_extra={"registry": kind}``); ()
    for other fields."""
    if field is None:
        return ()
    kind = (field.json_schema_extra or {}).get("registry") if isinstance(
        field.json_schema_extra, dict) else None
    if kind:
        return registry.names(kind)
    annotation = field.annotation
    if typing.get_origin(annotation) is Literal:
        return typing.get_args(annotation)
    for arg in typing.get_args(annotation):
        if typing.get_origin(arg) is Literal:
            return typing.get_args(arg)
    return ()


def describe_problem(problem: dict[str, Any], model: type[BaseModel]) -> str:
    """One readable line for one entry of ``ValidationError.errors()``.

    Names the field as users write it (``shocks[0].step``), the value and what is allowed:
    the full range of an out-of-range number, the choices of a misspelt name and the
    closest one, the keys allowed beside an unknown key. Messages of our own validators
    already name field and value; they are prefixed with their location when they do not.
    """
    location = tuple(problem.get("loc", ()))
    where = bracketed(location)
    kind = problem.get("type", "")
    value = problem.get("input")
    if kind == "extra_forbidden":
        allowed = keys_at(model, location[:-1])
        return (f"unknown key '{where}'{did_you_mean(str(location[-1]), allowed)} "
                f"(allowed: {', '.join(allowed)})")
    if kind == "missing":
        return f"{where}: required field is missing"
    if kind == "string_pattern_mismatch":
        return (f"{'.'.join(str(p) for p in location)}={shown(value)}: use letters, digits, '-', "
                "'_' and '.', starting with a letter or digit")
    message = problem.get("msg", "invalid value")
    if message.startswith("Value error, "):
        # Raised by our own validators: already names the field and the allowed values.
        message = message.removeprefix("Value error, ")
        first = str(location[0]) if location else ""
        placed = message.startswith(first) or f"'{first}[" in message or f"'{first}." in message
        if location and not placed:
            named = re.match(r"^(\w+)=", message)
            if named and named.group(1) == str(location[-1]) and len(location) > 1:
                # A field validator named its own field: place it under its section.
                message = f"{bracketed(location[:-1])}.{message}"
            elif named:
                message = f"{where}.{message}"
            else:
                message = f"{where}: {message}"
        return message
    field = field_at(model, location)
    context = problem.get("ctx") or {}
    if kind == "literal_error" and "expected" in context:
        choices = [str(c) for c in literal_choices(field)]
        return (f"{where}={shown(value)}: allowed values are {context['expected']}"
                f"{did_you_mean(str(value)[:100], choices)}")
    message = f"{where}={shown(value)}: {message.lower()}"
    allowed = allowed_range(field) if kind in _RANGE_ERRORS and field is not None else ""
    return f"{message} (allowed: {allowed})" if allowed else message


def format_validation_error(error: ValidationError, model: type[BaseModel]) -> str:
    """One readable line for the first problem of a pydantic ``ValidationError``.

    Parameters
    ----------
    error : pydantic.ValidationError
        Raised by ``model.model_validate``.
    model : type of pydantic.BaseModel
        The validated model (its fields give the allowed ranges, choices and keys).
    """
    return describe_problem(error.errors()[0], model)
