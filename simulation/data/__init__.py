"""Files that ship inside the package: named scenarios, experiment files, classic replications.

They live at the top of the repository (``scenarios/``, ``experiments/``) where people edit
them; ``pyproject.toml`` maps those folders into this package at build time
(``simulation.data.scenarios``, ``simulation.data.experiments``), so an editable checkout
and an installed wheel find them the same way: through the import system, never through a
path relative to a source file.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

KINDS = ("scenarios", "experiments")


def shipped_folder(kind: str) -> Path:
    """The folder of shipped files of ``kind`` (``"scenarios"`` or ``"experiments"``)."""
    if kind not in KINDS:
        raise ValueError(f"kind={kind!r}: allowed values are {', '.join(KINDS)}")
    spec = importlib.util.find_spec(f"{__name__}.{kind}")
    locations = list(spec.submodule_search_locations or []) if spec else []
    if locations:
        return Path(locations[0])
    # A source checkout: setuptools' editable finder maps top-level packages only, so the
    # folders are where pyproject.toml maps them from (the wheel test covers the other case).
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "pyproject.toml").is_file() and (checkout / kind).is_dir():
        return checkout / kind
    raise RuntimeError(f"the shipped {kind} folder is missing from this installation of "
                           "firmsim (reinstall it: pip install firmsim)")
