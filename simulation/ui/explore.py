"""Reading a results folder for the "Explore results" page, never raising.

A results folder (``firmsim run`` or a sweep) may hold ``timeseries.parquet``,
``resilience.parquet``, other ``*.parquet`` tables, ``*.csv`` tables (sensitivity indices,
summaries) and ``*.png`` figures (heatmaps, comparisons). :func:`load_results` reads what it
finds and turns every problem into a message: a missing folder, a corrupt file, an empty
folder, a file whose checksum does not match (it is not shown).

The page reads only below the results root given at start (``firmsim ui --results-root``,
passed in ``FIRMSIM_RESULTS_ROOT``; default ``results/`` of the working directory):
:func:`load_results` with ``root`` refuses any other path.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from simulation.errors import ConfigError
from simulation.store.manifest import read_manifest

#: Environment variable holding the folder the page may read results from.
ROOT_VARIABLE = "FIRMSIM_RESULTS_ROOT"

#: Largest table read into the page (rows); bigger tables are cut, with a note.
MAX_ROWS = 200_000
MAX_IMAGE_BYTES = 15_000_000


@dataclass
class ResultsFolder:
    path: Path
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    images: dict[str, str] = field(default_factory=dict)  # name -> data: URL
    messages: list[str] = field(default_factory=list)
    manifest: dict | None = None

    @property
    def ok(self) -> bool:
        return bool(self.tables or self.images)


def results_root() -> Path:
    """The folder the page may read results from (resolved)."""
    return Path(os.environ.get(ROOT_VARIABLE) or "results").expanduser().resolve()


def damaged_files(path: Path, manifest: dict | None, skip=()) -> dict[Path, str]:
    """Files of a results folder whose bytes do not match their recorded SHA-256 (``skip``:
    files not to open)."""
    from simulation.store.results import sha256
    from simulation.sweep.storage import TABLES, part_problem

    bad: dict[Path, str] = {}
    if manifest and manifest.get("kind") == "sweep":
        for table in TABLES:
            for part in sorted((path / table).glob("part-*.parquet")):
                if part in skip or part.parent in skip:
                    continue
                problem = part_problem(part)
                if problem:
                    bad[part] = problem
    elif manifest and isinstance(manifest.get("files"), dict):
        for name, expected in manifest["files"].items():
            file = path / str(name)
            if file in skip:
                continue
            try:
                if file.is_file() and sha256(file) != expected:
                    bad[file] = "its SHA-256 does not match the manifest's (damaged file)"
            except OSError as error:
                bad[file] = f"cannot be read ({error.strerror})"
    return bad


def results_folders(root: Path = Path("results"), limit: int = 200) -> list[str]:
    """Folders under ``root`` (two levels deep) that hold Parquet, CSV or PNG files."""
    found = []
    try:
        candidates = [root, *sorted(p for p in root.glob("*") if p.is_dir()),
                      *sorted(p for p in root.glob("*/*") if p.is_dir())]
    except OSError:
        return []
    for folder in candidates:
        try:
            if any(folder.glob("*.parquet")) or any(folder.glob("*.csv")):
                found.append(str(folder))
        except OSError:
            continue
        if len(found) >= limit:
            break
    return found


def _read_table(path: Path | list[Path]) -> pd.DataFrame:
    if isinstance(path, list):
        return pd.concat([pd.read_parquet(p) for p in path], ignore_index=True)
    if path.is_dir() or path.suffix == ".parquet":
        frame = pd.read_parquet(path)
    else:
        frame = pd.read_csv(path, nrows=MAX_ROWS + 1)
    return frame


def load_results(folder: str | Path, root: Path | None = None) -> ResultsFolder:
    """Everything readable in ``folder``; problems become messages.

    ``root``: refuse a folder that is not ``root`` or below it (the app passes
    :func:`results_root`).
    """
    text = str(folder).strip()
    path = Path(text).expanduser()
    result = ResultsFolder(path)
    if not text:
        result.messages.append("Enter the path of a results folder.")
        return result
    if root is not None:
        try:
            inside = (path if path.is_absolute() else Path.cwd() / path).resolve(
                ).is_relative_to(Path(root).resolve())
        except (OSError, RuntimeError):
            inside = False
        if not inside:
            result.messages.append(f"'{path}' is outside the results folder {root}; this "
                                   "app reads results only below it (firmsim ui "
                                   "--results-root DIR sets it).")
            return result
    if not path.exists():
        result.messages.append(f"The folder '{path}' does not exist.")
        return result
    if not path.is_dir():
        result.messages.append(f"'{path}' is not a folder: give the folder that holds "
                               "timeseries.parquet, resilience.parquet or the sweep's files.")
        return result
    try:
        # A sweep keeps its figures and index tables in analysis/ beside the data.
        files = sorted(p for p in path.iterdir() if p.is_file())
        if (path / "analysis").is_dir():
            files += sorted(p for p in (path / "analysis").iterdir() if p.is_file())
        # ... and its data as partitioned Parquet datasets (one file per finished batch).
        datasets = [d for d in sorted(path.iterdir())
                    if d.is_dir() and d.name != "analysis" and any(d.glob("*.parquet"))]
    except OSError as error:
        result.messages.append(f"Cannot read the folder '{path}': {error}")
        return result
    try:
        manifest = read_manifest(path, missing_ok=True)
    except ConfigError:
        manifest = None
    # Links and paths leaving the folder are never read (firmsim writes no links).
    from simulation.store.inside import outside_problem

    refused = {}
    for candidate in [*files, *datasets, *(p for d in datasets for p in d.glob("*.parquet"))]:
        problem = outside_problem(path, candidate)
        if problem is not None:
            refused[candidate] = problem
            result.messages.append(f"{candidate.relative_to(path).as_posix()} is not read: "
                                   f"{problem}, outside the results folder")
    files = [f for f in files if f not in refused]
    datasets = [d for d in datasets if d not in refused]
    bad = damaged_files(path, manifest, skip=refused)
    for file, problem in bad.items():
        result.messages.append(f"{file.relative_to(path).as_posix()} is not shown: {problem}"
                               "; recompute it (firmsim run ... / firmsim sweep ... --repair)")
    bad.update(refused)
    # Partitioned datasets read as one table each ("runs/"), then single table files.
    readable = [(f"{d.name}/", d, "Parquet dataset") for d in datasets] + [
        (f.relative_to(path).as_posix(), f, "table") for f in files
        if f.suffix in (".parquet", ".csv")]
    for name, source, what in readable:
        if source.is_dir() and any(p.parent == source for p in bad):
            source = [p for p in sorted(source.glob("*.parquet")) if p not in bad]
            if not source:
                continue
        elif source in bad:
            continue
        try:
            frame = _read_table(source)
        except Exception as error:  # noqa: BLE001 - anything unreadable is reported
            first = str(error).splitlines()[0] if str(error) else type(error).__name__
            result.messages.append(f"{name} could not be read (corrupt or not a {what}): "
                                   f"{first[:200]}")
            continue
        if len(frame) > MAX_ROWS:
            result.messages.append(f"{name}: showing the first {MAX_ROWS:,} rows.")
            frame = frame.head(MAX_ROWS)
        result.tables[name] = frame
    for file in files:
        if file.suffix.lower() != ".png" or file in bad:
            continue
        try:
            data = file.read_bytes()
            if len(data) > MAX_IMAGE_BYTES:
                result.messages.append(f"{file.name}: too large to show.")
                continue
            if not data.startswith(b"\x89PNG"):
                result.messages.append(f"{file.name} is not a valid PNG image.")
                continue
        except OSError as error:
            result.messages.append(f"{file.name} could not be read: {error}")
            continue
        encoded = base64.b64encode(data).decode()
        result.images[file.relative_to(path).as_posix()] = "data:image/png;base64," + encoded
    try:
        result.manifest = read_manifest(path, missing_ok=True)
    except ConfigError as error:
        result.messages.append(f"manifest.json could not be read: {error}")
    if not result.ok and not result.messages:
        result.messages.append(f"'{path}' holds no results: no .parquet, .csv or .png files.")
    return result


def sensitivity_tables(result: ResultsFolder) -> dict[str, pd.DataFrame]:
    """Tables that look like sensitivity indices (Sobol/Morris columns or file names)."""
    picked = {}
    for name, frame in result.tables.items():
        columns = {str(c).lower() for c in frame.columns}
        if ("sensitiv" in name.lower() or "sobol" in name.lower() or "morris" in name.lower()
                or {"s1", "st"} <= columns or {"mu_star", "sigma"} <= columns):
            picked[name] = frame
    return picked


_COMPARISONS = (">=", "<=", "!=", ">", "<", "=")


def _numeric_filter(series: pd.Series, text: str):
    """``>0.5``, ``<=10``, ``=3``, ``!=0`` on a numeric column; None if ``text`` is not one."""
    for operator in _COMPARISONS:
        if text.startswith(operator):
            try:
                value = float(text[len(operator):].strip())
            except ValueError:
                return None
            return {">=": series >= value, "<=": series <= value, "!=": series != value,
                    ">": series > value, "<": series < value, "=": series == value}[operator]
    return None


def filter_frame(frame: pd.DataFrame, filters: dict[str, str]
                 ) -> tuple[pd.DataFrame, dict[str, str]]:
    """Rows matching every filter, and a message per filter that could not be applied.

    A filter is text the column's value must contain (case-insensitive), or for a numeric
    column a comparison: ``>0.5``, ``<=10``, ``=3``, ``!=0``.
    """
    out, problems = frame, {}
    for column, text in filters.items():
        text = (text or "").strip()
        if not text or column not in out.columns:
            continue
        series = out[column]
        if text[0] in "<>=!":
            if not pd.api.types.is_numeric_dtype(series):
                problems[column] = f"{column} is not numeric: type text to match instead"
                continue
            mask = _numeric_filter(series, text)
            if mask is None:
                problems[column] = f"{text!r}: expected e.g. >0.5, <=10, =3 or !=0"
                continue
            out = out[mask]
        else:
            out = out[series.astype(str).str.contains(text, case=False, regex=False)]
    return out, problems
