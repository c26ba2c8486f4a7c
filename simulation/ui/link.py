"""A scenario in the page address: ``?scenario=<code>`` reproduces the editor's scenario.

The code is the scenario's difference from the defaults (shocks and structures whole), as
compact JSON, zlib-compressed and base64url-encoded: a few hundred characters for a shipped
scenario. :func:`decode` validates it like a scenario file (one-line ConfigError).
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


def encode(data: dict[str, Any]) -> str:
    """The address code of resolved scenario data
    (:func:`simulation.config.scenario.scenario_data`)."""
    defaults = scenario_module.scenario_data(scenario_module.Scenario())
    text = json.dumps(_difference(data, defaults), separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(zlib.compress(text.encode(), 9)).decode().rstrip("=")


def decode(code: str) -> scenario_module.Scenario:
    """The scenario of an address code; ConfigError if it is damaged or not valid."""
    try:
        padded = code + "=" * (-len(code) % 4)
        data = json.loads(zlib.decompress(base64.urlsafe_b64decode(padded)).decode())
    except (binascii.Error, zlib.error, ValueError, UnicodeDecodeError):
        raise ConfigError(f"the page address holds a damaged scenario ({PARAMETER}=...); "
                          "open the app without it or paste the whole link") from None
    if not isinstance(data, dict):
        raise ConfigError(f"the page address holds no scenario ({PARAMETER}=...)")
    return scenario_module.parse_scenario(data, "page address")


def code_in(search: str | None) -> str | None:
    """The scenario code of a query string (``a=1&scenario=...``), or None."""
    values = parse_qs(search or "").get(PARAMETER)
    return values[0] if values else None
