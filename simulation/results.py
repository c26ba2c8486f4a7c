"""Results folders of ``firmsim run``: the folder guard, file hashes, SQL queries.

A results folder holds ``timeseries.parquet``, ``resilience.parquet``, ``summary.csv``,
``levels.csv``, ``comparison.png``, ``process.png`` and ``manifest.json``
(:mod:`simulation.manifest`). The manifest is written first with ``status = "running"`` (so
the folder is known to belong to the scenario even if the run is interrupted) and rewritten
last with ``status = "complete"`` and the SHA-256 of every file (:func:`file_hashes`).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from .errors import ConfigError, UserError
from .manifest import MANIFEST_NAME, read_manifest

RESULT_FILES = ("timeseries.parquet", "resilience.parquet", "summary.csv", "levels.csv",
                "comparison.png", "process.png")
TABLES = {"timeseries": "timeseries.parquet", "resilience": "resilience.parquet"}


def sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, as hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_output_folder(folder: Path, scenario_name: str, force: bool = False) -> None:
    """Refuse to write into a folder holding results of another (or an unknown) scenario."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise UserError(f"--out {folder}: exists and is not a folder")
    if force or not folder.is_dir():
        return
    if (folder / MANIFEST_NAME).exists():
        try:
            owner = read_manifest(folder).get("scenario_name")
        except ConfigError:
            owner = None
        if owner == scenario_name:
            return
        what = f"scenario '{owner}'" if owner else "an unreadable manifest"
        raise UserError(f"{folder} holds results of {what}, not '{scenario_name}'; choose "
                        "another --out or pass --force to overwrite them")
    present = [name for name in RESULT_FILES if (folder / name).exists()]
    if present:
        raise UserError(f"{folder} holds results without a manifest ({', '.join(present)}); "
                        "choose another --out or pass --force to overwrite them")


def file_hashes(folder: Path, names=RESULT_FILES) -> dict[str, str]:
    """SHA-256 of the result files present in ``folder``."""
    return {name: sha256(Path(folder) / name) for name in names
            if (Path(folder) / name).exists()}


def connect(folder: Path):
    """A DuckDB connection with views ``timeseries`` and ``resilience`` (and ``summary``,
    ``levels`` when present) over the files of a results folder."""
    import duckdb

    folder = Path(folder)
    if not folder.is_dir():
        raise UserError(f"results folder '{folder}' does not exist")
    present = {name: folder / file for name, file in TABLES.items() if (folder / file).exists()}
    if not present:
        raise UserError(f"{folder} holds no results ({', '.join(TABLES.values())} missing); "
                        "run `firmsim run SCENARIO --out DIR` first")
    connection = duckdb.connect()
    for name, path in present.items():
        quoted = str(path.resolve()).replace("'", "''")
        connection.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{quoted}')")
    for name in ("summary", "levels"):
        path = folder / f"{name}.csv"
        if path.exists():
            quoted = str(path.resolve()).replace("'", "''")
            connection.execute(
                f"CREATE VIEW {name} AS SELECT * FROM read_csv_auto('{quoted}', header=true)")
    return connection


def query(folder: Path, sql: str):
    """Run DuckDB ``sql`` over a results folder; returns a pandas DataFrame."""
    import duckdb

    connection = connect(folder)
    try:
        relation = connection.sql(sql)
        if relation is None:
            return None
        return relation.df()
    except duckdb.Error as error:
        message = str(error).strip().splitlines()
        raise UserError(f"SQL error: {' '.join(line.strip() for line in message[:3])}"
                        ) from None
    finally:
        connection.close()
