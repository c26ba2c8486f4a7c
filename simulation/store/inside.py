"""Reads stay inside the results folder: no link, no path that leaves it.

firmsim never writes a symbolic link into a results folder, so a file there that is a link
(to ``/etc/passwd``, to another user's results, to a device) was put there by someone else:
every reader of a results folder (``query``, ``analyze``, ``show``, a resumed sweep, the
app's explorer) checks each file it opens with :func:`check_inside` and refuses, in one line
naming it, a link or a path that resolves outside the folder.
"""

from __future__ import annotations

import os
from pathlib import Path

from simulation.errors import UserError


def outside_problem(folder: Path, path: Path) -> str | None:
    """Why reading ``path`` would leave ``folder`` (a link, a path outside), or None."""
    folder, path = Path(folder), Path(path)
    try:
        relative = path.relative_to(folder)
    except ValueError:
        relative = None
    # Every component from the folder down, so a linked sub-folder is caught too.
    current = folder
    for part in (relative.parts if relative is not None else ()):
        current = current / part
        if current.is_symlink():
            return f"a symbolic link (to {os.readlink(current)})"
    if path.is_symlink():
        return f"a symbolic link (to {os.readlink(path)})"
    try:
        inside = path.resolve().is_relative_to(folder.resolve())
    except (OSError, RuntimeError):
        return "a path that cannot be resolved"
    if not inside:
        return f"a path outside the folder ({path.resolve()})"
    return None


def check_inside(folder: Path, path: Path) -> Path:
    """``path`` if reading it stays inside ``folder``; else a one-line :class:`UserError`."""
    problem = outside_problem(folder, path)
    if problem is not None:
        raise UserError(f"{path}: {problem}, outside the results folder {folder}; firmsim "
                        "reads only the files it wrote there: remove it")
    return Path(path)
