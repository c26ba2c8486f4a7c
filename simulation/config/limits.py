"""Bounds on the size of every input, checked before any work: one line naming the field,
its size and the limit.

Values that are valid by type can still be enormous (100 000 shocks, a 30 MB description, a
five-factor grid of 40 levels each). Each bound here is a limit of what a scenario or an
experiment sensibly holds, far above every shipped file, and is checked by a small
``mode="before"`` validator (:func:`check_length`), so it refuses before the items are
validated one by one. :func:`shown` cuts a value for an error line: a refused value is
never echoed whole.
"""

from __future__ import annotations

#: Shocks in one scenario (the shipped ones have at most 4).
MAX_SHOCKS = 1000
#: Structures compared in one scenario or experiment.
MAX_STRUCTURES = 50
#: Characters of a description (one line: what the scenario or sweep shows).
MAX_DESCRIPTION = 2000
#: Overrides (``set = [...]``) of an experiment's base scenario.
MAX_OVERRIDES = 1000
#: Varied parameters (design factors) of a sweep.
MAX_FACTORS = 50
#: Explicit levels of one grid parameter (``levels`` or ``count``).
MAX_LEVELS = 10_000
#: Bytes of a scenario or experiment file.
MAX_FILE_BYTES = 1 * 2**20
#: Bytes of an org chart file (CSV or GraphML; GraphML is parsed whole, so its size is
#: checked before it is read): room for the largest chart allowed (1,000,000 employees).
MAX_CHART_BYTES = 256 * 2**20
#: Characters of a value shown in an error line.
SHOWN = 60


def shown(value, limit: int = SHOWN) -> str:
    """``repr(value)`` cut to about ``limit`` characters (with the full length said)."""
    text = repr(value)
    if len(text) <= limit:
        return text
    size = f"{len(value)} characters" if isinstance(value, str) else f"{len(text)} characters"
    return f"{text[:limit]}... ({size})"


def check_length(field: str, value, limit: int, unit: str = "items"):
    """``value`` itself if its length is at most ``limit``; else a one-line ``ValueError``
    naming ``field``, the length and the limit (for ``mode="before"`` validators)."""
    try:
        length = len(value)
    except TypeError:
        return value  # not a list or string: the type check says so
    if length > limit:
        what = "characters" if isinstance(value, str) else unit
        raise ValueError(f"{field}: {length} {what}, more than the {limit} allowed")
    return value
