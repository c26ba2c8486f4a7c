"""The registry: every structure, shock kind, step metric and product policy, declared once.

Each is a small frozen object (its name, its description, its validated parameters, its
rule) registered under its kind. Configuration validation, the command line's choices and
the app's menus, colours and info texts read these tables, so a new entry appears everywhere
with no other edit.

Where entries come from, in this order:

1. the built-ins, declared in :mod:`simulation.config.builtins`;
2. installed packages that declare a ``firmsim.plugins`` entry point (``pyproject.toml``:
   ``[project.entry-points."firmsim.plugins"] mine = "my_package.firmsim_plugin"``);
3. modules named in the ``FIRMSIM_PLUGINS`` environment variable (comma-separated), for a
   researcher's own module that is not packaged;
4. anything registered by calling :func:`register_structure`, :func:`register_shock`,
   :func:`register_metric` or :func:`register_product_policy` from Python.

A plugin module registers on import (module-level calls to the ``register_*`` functions).
A rule may be given as a callable or as ``"module:attribute"``, imported on first use, so
declaring an entry loads nothing heavy (``firmsim --help`` stays fast).

This module sits on the ground floor with :mod:`simulation.errors`: it imports nothing of
the package at module level, and loads the built-ins and plugins by module name when a
table is first read.

Examples
--------
>>> import simulation.registry as registry
>>> "hierarchy" in registry.names("structure")
True
>>> registry.get("shock", "talent_loss").parameters.__name__
'TalentLossShock'
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from simulation.errors import ConfigError

#: The kinds of entry, in the order the documentation lists them.
KINDS = ("structure", "shock", "metric", "product_policy")

#: The entry-point group through which installed packages add entries.
ENTRY_POINT_GROUP = "firmsim.plugins"

#: The environment variable naming extra plugin modules (comma-separated).
PLUGINS_VARIABLE = "FIRMSIM_PLUGINS"

#: The module that declares the built-in entries.
BUILTINS = "simulation.config.builtins"

#: Colour-blind-safe palette (Okabe & Ito 2008) for structures that do not choose a colour.
PALETTE = ("#D55E00", "#E69F00", "#0072B2", "#009E73", "#CC79A7", "#56B4E9", "#F0E442",
           "#000000")


def resolve(rule: Callable | str | None) -> Callable | None:
    """A rule given as ``"module:attribute"`` imported; a callable (or None) as it is."""
    if rule is None or callable(rule):
        return rule
    module, _, attribute = rule.partition(":")
    target: Any = importlib.import_module(module)
    for part in attribute.split("."):
        target = getattr(target, part)
    return target


@dataclass(frozen=True)
class Structure:
    """An organizational structure: how its employees are linked and who decides.

    Attributes
    ----------
    name : str
        What scenarios, the command line and the app call it.
    description : str
        One paragraph for the app's info page and ``firmsim chart``.
    builder : callable or str
        ``builder(config, rng) -> simulation.core.structures.Organization`` (or its
        ``"module:function"``). The organization's arrays carry who senses, who decides,
        who reports to whom.
    senses, decides : str
        Who tests changes and who decides them (documentation, shown in the app).
    tops_decide : bool
        Escalated proposals climb to tops (parent -1) that decide them against the projected
        product; False where nobody escalates.
    decision_order : {"best_first", "arrival"} or None
        How a top judges what reached it: ``best_first`` ranks the proposals by projected
        gain (a CEO comparing options, March & Simon 1958); ``arrival`` judges them as they
        come (a hub clearing a queue). None where there are no tops.
    hub_review : bool
        Proposals a pod approved still go to its hub, which may veto them.
    partners_propose : bool
        Partner customers and partner stakeholders bring proposals too.
    rescope_pods : bool
        When a segment arrives, whole pods turn to it rather than single sensors.
    employees_converse : {"everyone", "marketing", "official"}
        Who takes part in the customer conversation.
    colour : str
        The line colour (hex) in the app and the figures; "" picks from :data:`PALETTE`.
    dash : tuple of int
        The line's dash pattern (on, off, on, off... in points); () is a solid line, so two
        structures are never told apart by colour alone.
    parameters : pydantic model class or None
        The structure's own parameters (``firm.structure_parameters`` in a scenario).
    compared_by_default : bool
        In a scenario's comparison when it lists no ``structures`` (the five presets; a
        plugin's structure is compared when a scenario names it).
    requires : str
        A setting the structure cannot run without (``firm.org_chart``); "" if none. The
        app's menus offer only structures that need nothing more.
    rules_for : callable, str or None
        ``rules_for(org, config) -> Structure``: the rules of a structure that depend on
        the organization built (an org chart's tops, hubs and roles); None if fixed.
    """

    name: str
    description: str
    builder: Callable | str
    senses: str
    decides: str
    tops_decide: bool
    decision_order: str | None
    hub_review: bool = False
    partners_propose: bool = False
    rescope_pods: bool = False
    employees_converse: str = "official"
    colour: str = ""
    dash: tuple[int, ...] = ()
    parameters: type | None = None
    compared_by_default: bool = False
    requires: str = ""
    rules_for: Callable | str | None = None

    @property
    def best_first(self) -> bool:
        """Whether tops rank what reached them before deciding."""
        return self.decision_order == "best_first"

    def build(self, config, rng):
        """The organization of this structure for ``config`` (see ``builder``)."""
        return resolve(self.builder)(config, rng)

    def rules(self, org, config) -> Structure:
        """The rules this structure runs by, given the organization it built."""
        return self if self.rules_for is None else resolve(self.rules_for)(org, config)


@dataclass(frozen=True)
class Shock:
    """A kind of scheduled shock.

    Attributes
    ----------
    name : str
        The ``kind`` a scenario's ``[[shocks]]`` entry names.
    description : str
        What it does, for the app and the documentation.
    parameters : pydantic model class
        Validates one shock of this kind: ``kind``, ``step`` and this kind's own fields only
        (subclass :class:`simulation.config.schema.ShockBase`).
    rule : callable or str
        ``rule(model, shock, t, rng)``: applies the shock at step ``t`` (in place).
    """

    name: str
    description: str
    parameters: type
    rule: Callable | str

    def apply(self, model, shock, t: int, rng) -> None:
        resolve(self.rule)(model, shock, t, rng)


@dataclass(frozen=True)
class Metric:
    """A step metric: one number per step of a run.

    Attributes
    ----------
    name : str
        Its column in the time series.
    description : str
        What it measures (shown in menus and the documentation).
    compute : callable, str or None
        ``compute(model) -> float`` called after every step, or None for the built-in
        metrics the model records itself (:mod:`simulation.core.metrics`).
    level : bool
        Summarised per run (final value, mean over the last steps) by ``firmsim run`` and
        sweeps.
    """

    name: str
    description: str
    compute: Callable | str | None = None
    level: bool = False


@dataclass(frozen=True)
class ProductPolicy:
    """How a firm's product variants map onto its segments.

    Attributes
    ----------
    name : str
        The ``firm.variants`` value.
    description : str
        What it means.
    variant_of_segment : callable or str
        ``variant_of_segment(segments) -> int array``: the variant each segment buys (the
        variants are numbered 0 to its maximum).
    """

    name: str
    description: str
    variant_of_segment: Callable | str

    def variants(self, segments: int):
        return resolve(self.variant_of_segment)(segments)


_CLASSES = {"structure": Structure, "shock": Shock, "metric": Metric,
            "product_policy": ProductPolicy}


@dataclass
class _Tables:
    entries: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {kind: {} for kind in KINDS})
    origin: dict[tuple[str, str], str] = field(default_factory=dict)
    loaded: bool = False


_TABLES = _Tables()
_LOCK = threading.RLock()
_loading: list[str] = []  # the module being loaded (names what a registration came from)


def register(entry: Structure | Shock | Metric | ProductPolicy, replace: bool = False
             ) -> Structure | Shock | Metric | ProductPolicy:
    """Add ``entry`` to its kind's table; a second entry of the same name is refused.

    Parameters
    ----------
    entry : Structure, Shock, Metric or ProductPolicy
        The declaration.
    replace : bool
        Replace an entry of the same name (for tests and interactive work) instead of
        refusing it.
    """
    kind = next((k for k, cls in _CLASSES.items() if isinstance(entry, cls)), None)
    if kind is None:
        raise TypeError(f"cannot register {type(entry).__name__}: allowed are "
                        f"{', '.join(c.__name__ for c in _CLASSES.values())}")
    name = entry.name
    if not name or not name.replace("_", "a").isalnum() or not name[0].isalpha():
        raise ConfigError(f"{kind} name={name!r}: use letters, digits and '_', starting with "
                          "a letter")
    with _LOCK:
        table = _TABLES.entries[kind]
        source = _loading[-1] if _loading else "Python"
        if name in table and not replace:
            raise ConfigError(f"{kind} {name!r} is registered twice (by "
                              f"{_TABLES.origin[(kind, name)]} and by {source})")
        table[name] = entry
        _TABLES.origin[(kind, name)] = source
    return entry


def register_structure(name: str, builder: Callable | str, **declaration: Any) -> Structure:
    """Register an organizational structure (see :class:`Structure` for the fields).

    Examples
    --------
    >>> from simulation.registry import names, register_structure, unregister
    >>> entry = register_structure(
    ...     "wide_tree", "simulation.core.structures:build_hierarchy",
    ...     description="the hierarchy's builder under another name", senses="leaves",
    ...     decides="the top", tops_decide=True, decision_order="best_first")
    >>> "wide_tree" in names("structure"), entry.best_first
    (True, True)
    >>> unregister("structure", "wide_tree")
    """
    replace = declaration.pop("replace", False)
    declaration.setdefault("description", "")
    return register(Structure(name=name, builder=builder, **declaration), replace=replace)


def register_shock(name: str, parameters: type, rule: Callable | str, description: str = "",
                   replace: bool = False) -> Shock:
    """Register a kind of shock: its parameter model and the rule that applies it.

    Examples
    --------
    >>> from simulation.config.schema import ShockBase, validate_model_config
    >>> from simulation.registry import register_shock, unregister
    >>> class PriceWar(ShockBase):
    ...     kind: str = "price_war"
    ...     cut: float = 0.1
    >>> _ = register_shock("price_war", PriceWar, lambda model, shock, t, rng: None)
    >>> validate_model_config({"shocks": [{"kind": "price_war", "step": 3}]}).shocks[0].cut
    0.1
    >>> unregister("shock", "price_war")
    """
    return register(Shock(name, description, parameters, rule), replace=replace)


def register_metric(name: str, compute: Callable | str | None, description: str = "",
                    level: bool = False, replace: bool = False) -> Metric:
    """Register a step metric computed by ``compute(model) -> float`` after each step.

    Examples
    --------
    >>> from simulation import FirmModel
    >>> from simulation.registry import register_metric, unregister
    >>> _ = register_metric("buyers_x2", lambda model: 2 * model.population.buyers.sum())
    >>> frame = FirmModel(rng=1, customers=300, customer_degree=4, employees=20,
    ...                   steps=5).run().metrics()
    >>> bool((frame.buyers_x2 == 2 * frame.customers_buying).all())
    True
    >>> unregister("metric", "buyers_x2")
    """
    return register(Metric(name, description, compute, level), replace=replace)


def register_product_policy(name: str, variant_of_segment: Callable | str,
                            description: str = "", replace: bool = False) -> ProductPolicy:
    """Register a product policy: which variant each segment buys.

    Examples
    --------
    >>> import numpy as np
    >>> from simulation.registry import get, register_product_policy, unregister
    >>> _ = register_product_policy("two_lines", lambda segments: np.arange(segments) % 2)
    >>> get("product_policy", "two_lines").variants(4).tolist()
    [0, 1, 0, 1]
    >>> unregister("product_policy", "two_lines")
    """
    return register(ProductPolicy(name, description, variant_of_segment), replace=replace)


def unregister(kind: str, name: str) -> None:
    """Remove an entry (for tests); unknown names are ignored."""
    with _LOCK:
        _TABLES.entries[_check_kind(kind)].pop(name, None)
        _TABLES.origin.pop((kind, name), None)


def _import_plugin(module: str, where: str) -> None:
    _loading.append(module)
    try:
        importlib.import_module(module)
    except ConfigError:
        raise
    except Exception as error:  # a broken plugin is named, not a traceback from deep inside
        raise ConfigError(f"plugin {module!r} ({where}) failed to load: "
                          f"{type(error).__name__}: {error}") from error
    finally:
        _loading.pop()


def plugin_modules() -> list[tuple[str, str]]:
    """``(module, where it was named)`` for every plugin to load, built-ins excluded."""
    found = []
    for point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        found.append((point.value.partition(":")[0], f"entry point {point.name!r} of "
                      f"{point.dist.name if point.dist else 'an installed package'}"))
    for module in os.environ.get(PLUGINS_VARIABLE, "").split(","):
        if module.strip():
            found.append((module.strip(), f"${PLUGINS_VARIABLE}"))
    return found


def load() -> None:
    """Load the built-ins and every plugin once (every reader calls this first)."""
    if _TABLES.loaded:
        return
    with _LOCK:
        if _TABLES.loaded:
            return
        _TABLES.loaded = True  # set first: a plugin that reads the tables sees the built-ins
        try:
            _import_plugin(BUILTINS, "built-in")
            for module, where in plugin_modules():
                _import_plugin(module, where)
        except BaseException:
            _TABLES.loaded = False
            raise


def _check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"kind={kind!r}: allowed values are {', '.join(KINDS)}")
    return kind


def names(kind: str) -> tuple[str, ...]:
    """The registered names of ``kind``, built-ins first, in registration order."""
    load()
    return tuple(_TABLES.entries[_check_kind(kind)])


def entries(kind: str) -> tuple:
    """The registered entries of ``kind``, in :func:`names` order."""
    load()
    return tuple(_TABLES.entries[_check_kind(kind)].values())


def get(kind: str, name: str):
    """The entry ``name`` of ``kind``; an unknown name is one line naming the choices."""
    load()
    table = _TABLES.entries[_check_kind(kind)]
    if name not in table:
        raise ConfigError(f"unknown {kind.replace('_', ' ')} {name!r} (allowed: "
                          f"{', '.join(table)})")
    return table[name]


def default_structures() -> tuple[str, ...]:
    """The structures a comparison runs when a scenario names none (the presets)."""
    return tuple(s.name for s in entries("structure") if s.compared_by_default)


def menu_structures() -> tuple[str, ...]:
    """The structures a menu offers: every one that needs no setting beyond the scenario's."""
    return tuple(s.name for s in entries("structure") if not s.requires)


def colour(structure: str) -> str:
    """The app's colour of ``structure``: its own, or the palette's by registration order."""
    order = names("structure")
    chosen = get("structure", structure).colour
    return chosen or PALETTE[order.index(structure) % len(PALETTE)]
