"""Dotted paths into scenario data and into the configuration's schema: the one walker.

A dotted path names one value of a resolved scenario (plain data, as
:func:`simulation.config.scenario.scenario_data` gives it): ``steps``, ``market.turbulence``,
``shocks.0.strength`` (an integer part indexes a list). ``--set``, the parameters of a sweep
and the fields of the app's editor all go through :func:`get_path` and :func:`set_path`,
so they accept the same paths and refuse a wrong one with the same one-line message
(a :class:`~simulation.errors.ConfigError` naming the path, the closest valid one and
the keys allowed there).

Validation errors locate a problem as a tuple (``("shocks", 0, "step")``);
:func:`field_at` and :func:`keys_at` walk the pydantic models along such a location, and
:func:`bracketed` writes it as users read it (``shocks[0].step``).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import Any, get_args

from pydantic import BaseModel

from simulation.errors import ConfigError


# ---------------------------------------------------------------------------- names
def closest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate closest to a misspelt ``word`` (difflib ratio >= 0.6), or None."""
    found = difflib.get_close_matches(str(word), list(candidates), n=1)
    return found[0] if found else None


def did_you_mean(word: str, candidates: Iterable[str], prefix: Sequence[str] = ()) -> str:
    """``"; did you mean 'x'?"`` for the closest candidate (``prefix`` dotted before it)."""
    found = closest(word, candidates)
    return f"; did you mean '{'.'.join([*prefix, found])}'?" if found else ""


def bracketed(location: Sequence[str | int]) -> str:
    """A location as users read it: ``("shocks", 0, "step")`` -> ``shocks[0].step``."""
    parts: list[str] = []
    for item in location:
        if isinstance(item, int):
            parts[-1:] = [f"{parts[-1]}[{item}]" if parts else f"[{item}]"]
        else:
            parts.append(str(item))
    return ".".join(parts)


# ---------------------------------------------------------------------------- data
def _step(target: Any, part: str, parts: list[str], depth: int,
          hidden: Sequence[str]) -> int | str:
    """The key of ``part`` in ``target`` (an int for a list); ConfigError if it is not one."""
    here = ".".join(parts[:depth + 1])
    parent = ".".join(parts[:depth])
    if isinstance(target, dict):
        allowed = [k for k in target if depth or k not in hidden]
        if part not in allowed:
            raise ConfigError(f"unknown key '{here}'{did_you_mean(part, allowed, parts[:depth])}"
                              f" (allowed: {', '.join(allowed)})")
        return part
    if isinstance(target, list):
        if not part.isdigit():
            raise ConfigError(f"'{here}' needs a number (an index of {parent})")
        index = int(part)
        if index >= len(target):
            if not target:
                raise ConfigError(f"{parent} is empty; set the whole list, e.g. "
                                  f"{parent}=[{{kind=\"need_shift\", step=100}}]")
            raise ConfigError(f"{parent} has {len(target)} entries (index 0 to "
                              f"{len(target) - 1}); to change the number of entries set the "
                              f"whole list, e.g. {parent}=[...]")
        return index
    raise ConfigError(f"'{parent}' is a single value, it has no field '{part}'")


def _locate(data: Any, path: str, hidden: Sequence[str]) -> tuple[Any, int | str]:
    parts = path.split(".")
    target = data
    for depth, part in enumerate(parts[:-1]):
        target = target[_step(target, part, parts, depth, hidden)]
    return target, _step(target, parts[-1], parts, len(parts) - 1, hidden)


def get_path(data: Any, path: str, hidden: Sequence[str] = ()) -> Any:
    """The value at ``path`` in nested dicts and lists.

    Parameters
    ----------
    data : dict
        Plain nested data (a resolved scenario).
    path : str
        Dotted path; integer parts index lists.
    hidden : sequence of str
        Top-level keys treated as absent (e.g. keys a sweep may not vary).

    Raises
    ------
    ConfigError
        One line naming the wrong part, the closest valid path and what is allowed there.
    """
    target, key = _locate(data, path, hidden)
    return target[key]


def set_path(data: Any, path: str, value: Any) -> Any:
    """Set the value at an existing ``path`` in place; returns ``data``.

    Only paths that exist can be set (a list grows or shrinks by setting it whole), so a
    typo is refused (:class:`ConfigError`, as in :func:`get_path`) instead of adding a key.
    """
    target, key = _locate(data, path, ())
    target[key] = value
    return data


def valid_paths(data: Any, prefix: str = "") -> list[str]:
    """Every dotted path to a single value in ``data``, in order."""
    if isinstance(data, dict):
        items: Iterable[tuple[Any, Any]] = data.items()
    elif isinstance(data, list):
        items = enumerate(data)
    else:
        return [prefix] if prefix else []
    paths = []
    for key, value in items:
        paths += valid_paths(value, f"{prefix}.{key}" if prefix else str(key))
    return paths


# ---------------------------------------------------------------------------- schema
def model_at(model: type[BaseModel] | None, location: Sequence[str | int]
             ) -> type[BaseModel] | None:
    """The pydantic model holding the fields at ``location`` (ints index lists), or None."""
    current = model
    for item in location:
        if isinstance(item, int):
            continue
        field = current.model_fields.get(item) if current is not None else None
        if field is None:
            return None
        candidates = [field.annotation, *get_args(field.annotation)]
        current = next((c for c in candidates
                        if isinstance(c, type) and issubclass(c, BaseModel)), None)
    return current


def field_at(model: type[BaseModel], location: Sequence[str | int]):
    """The pydantic ``FieldInfo`` named by ``location``, or None."""
    names = [item for item in location if not isinstance(item, int)]
    if not names:
        return None
    parent = model_at(model, location[:max(i for i, item in enumerate(location)
                                           if not isinstance(item, int))])
    return parent.model_fields.get(names[-1]) if parent is not None else None


def keys_at(model: type[BaseModel], location: Sequence[str | int]) -> list[str]:
    """Field names valid at ``location`` (the parent of an unknown key)."""
    current = model_at(model, location)
    return list(current.model_fields) if current is not None else []
