"""A scenario in the page address: ``?scenario=<code>`` reproduces the editor's scenario.

The code is the scenario's difference from the defaults (shocks and structures whole), as
compact JSON, zlib-compressed and base64url-encoded: a few hundred characters for a shipped
scenario. :func:`decode` validates it like a scenario file (one-line ConfigError).
:func:`pack`, :func:`unpack` and :func:`code_in` are the address code itself, shared with the
other pages that keep their inputs in the address (the Compete page's ``?compete=<code>``).
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from typing import Any
from urllib.parse import parse_qs

from simulation.config import scenario as scenario_module
from simulation.errors import ConfigError

PARAMETER = "scenario"


def _difference(data: dict, defaults: dict) -> dict:
    out = {}
    for key, value in data.items():
        default = defaults.get(key)
        if isinstance(value, dict) and isinstance(default, dict):
            inner = _difference(value, default)
            if inner:
                out[key] = inner
        elif key in ("shocks", "structures") or value != default:
            out[key] = value
    return out


def pack(data: dict[str, Any]) -> str:
    """An address code of ``data``: compact JSON, zlib, base64url without padding."""
    text = json.dumps(data, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(zlib.compress(text.encode(), 9)).decode().rstrip("=")


def unpack(code: str, parameter: str = PARAMETER, what: str = "scenario") -> dict:
    """The data of an address code (:func:`pack`); a one-line ConfigError naming the
    address's ``parameter`` if the code is damaged or holds no table (``what`` names what it
    should hold: "scenario", "market")."""
    try:
        padded = code + "=" * (-len(code) % 4)
        data = json.loads(zlib.decompress(base64.urlsafe_b64decode(padded)).decode())
    except (binascii.Error, zlib.error, ValueError, UnicodeDecodeError):
        raise ConfigError(f"the page address holds a damaged {what} ({parameter}=...); "
                          "open the app without it or paste the whole link") from None
    if not isinstance(data, dict):
        raise ConfigError(f"the page address holds no {what} ({parameter}=...)")
    return data


def encode(data: dict[str, Any]) -> str:
    """The address code of resolved scenario data
    (:func:`simulation.config.scenario.scenario_data`)."""
    defaults = scenario_module.scenario_data(scenario_module.Scenario())
    return pack(_difference(data, defaults))


def decode(code: str) -> scenario_module.Scenario:
    """The scenario of an address code; ConfigError if it is damaged or not valid."""
    return scenario_module.parse_scenario(unpack(code), "page address")


def code_in(search: str | None, parameter: str = PARAMETER) -> str | None:
    """The code of ``parameter`` in a query string (``a=1&scenario=...``), or None."""
    values = parse_qs(search or "").get(parameter)
    return values[0] if values else None
