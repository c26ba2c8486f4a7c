"""Results folders of ``firmsim run``: the folder guard, file hashes, SQL queries.

A results folder holds ``timeseries.parquet``, ``resilience.parquet``, ``summary.csv``,
``levels.csv``, ``comparison.png``, ``process.png`` and ``manifest.json``
(:mod:`simulation.store.manifest`). The manifest is written first with ``status = "running"`` (so
the folder is known to belong to the scenario even if the run is interrupted) and rewritten
last with ``status = "complete"`` and the SHA-256 of every file (:func:`file_hashes`), once
every file is written and has been read back against its hash.

Before a run writes anything, :func:`set_aside` moves what the folder held (results of
another configuration into ``replaced-<time>/`` inside it, so a manifest never describes
files of another configuration. Readers (:func:`connect`, the app) check
every file against the manifest's hashes (:func:`verify_folder`) and refuse a damaged or
unfinished folder with one line. :func:`query` is read-only: only ``SELECT``-like
statements, with DuckDB's external access disabled and its configuration locked once the
views exist.
"""

from __future__ import annotations

import datetime
import hashlib
import shutil
from pathlib import Path

from simulation.errors import ConfigError, UserError
from simulation.store.inside import check_inside
from simulation.store.manifest import MANIFEST_NAME, read_manifest

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


def _temporaries(folder: Path) -> list[Path]:
    """Temporary files an interrupted :func:`~simulation.store.atomic.atomic_write` left."""
    return [p for name in (*RESULT_FILES, MANIFEST_NAME)
            for p in folder.glob(f".{name}.*") if p.is_file()]


def set_aside(folder: Path, same_config: bool) -> Path | None:
    """Clear a run folder before a run writes to it; returns where old results went.

    Temporary files are removed. Result files of a run of the same configuration stay in
    place (they are replaced, file by file and atomically, by identical ones; the manifest
    says ``running`` until all are). Those of any other configuration, or of no known one,
    are moved to ``replaced-<UTC time>/`` inside the folder, so nothing is lost and no old
    file remains beside the new manifest.
    """
    folder = Path(folder)
    for path in _temporaries(folder):
        path.unlink(missing_ok=True)
    present = [folder / n for n in (*RESULT_FILES, MANIFEST_NAME) if (folder / n).exists()]
    if not present or same_config:
        return None
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    target = folder / f"replaced-{stamp}"
    target.mkdir(parents=True)
    for path in present:
        shutil.move(str(path), target / path.name)
    return target


def verify_folder(folder: Path, names=None) -> dict:
    """The manifest of a complete run folder whose files match its hashes.

    Raises a one-line :class:`UserError` naming the first problem: no manifest, a manifest
    that is damaged or still ``running`` (an interrupted run), a file that is missing or
    whose SHA-256 differs from the manifest's. ``names``: check only these files.
    """
    folder = Path(folder)
    recover = (f"re-run it with `firmsim run {folder / MANIFEST_NAME} --out {folder}` "
               "(the same seeds give the same numbers)")
    try:
        manifest = read_manifest(folder, missing_ok=True)
    except ConfigError as error:
        raise UserError(f"{error}") from None
    if manifest is None:
        return {}  # results written by hand or by an older firmsim: nothing to check
    status = manifest.get("status")
    if status != "complete":
        raise UserError(f"{folder}: the run that wrote it did not finish (manifest status "
                        f"{status!r}); {recover}")
    recorded = manifest.get("files")
    if not isinstance(recorded, dict):
        raise UserError(f"{folder / MANIFEST_NAME}: no file hashes ('files'); {recover}")
    for name, expected in recorded.items():
        if names is not None and name not in names:
            continue
        path = check_inside(folder, folder / name)
        if not path.is_file():
            raise UserError(f"{path}: missing (the manifest lists it); {recover}")
        if sha256(path) != expected:
            raise UserError(f"{path}: its SHA-256 does not match the manifest's (damaged or "
                            f"changed file); {recover}")
    return manifest


def file_hashes(folder: Path, names=RESULT_FILES) -> dict[str, str]:
    """SHA-256 of the result files present in ``folder``."""
    return {name: sha256(Path(folder) / name) for name in names
            if (Path(folder) / name).exists()}


def connect(folder: Path, verify: bool = True):
    """A read-only DuckDB connection with views ``timeseries`` and ``resilience`` (and
    ``summary``, ``levels`` when present) over the files of a results folder.

    With ``verify``, the files are first checked against the manifest
    (:func:`verify_folder`). Once the views exist, external access is disabled (the views'
    own files excepted) and the configuration locked, so SQL can read nothing else and
    write nothing at all.
    """
    import duckdb

    folder = Path(folder)
    if not folder.is_dir():
        raise UserError(f"results folder '{folder}' does not exist")
    present = {name: folder / file for name, file in TABLES.items()
               if (folder / file).exists() or (folder / file).is_symlink()}
    for path in [*present.values(), folder / "summary.csv", folder / "levels.csv"]:
        if path.exists() or path.is_symlink():
            check_inside(folder, path)
    if not present:
        raise UserError(f"{folder} holds no results ({', '.join(TABLES.values())} missing); "
                        "run `firmsim run SCENARIO --out DIR` first")
    if verify:
        verify_folder(folder)
    connection = duckdb.connect(config={"autoinstall_known_extensions": False,
                                        "autoload_known_extensions": False})
    allowed = []
    try:
        for name, path in present.items():
            quoted = str(path.resolve()).replace("'", "''")
            connection.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{quoted}')")
            allowed.append(str(path.resolve()))
        for name in ("summary", "levels"):
            path = folder / f"{name}.csv"
            if path.exists():
                quoted = str(path.resolve()).replace("'", "''")
                connection.execute(f"CREATE VIEW {name} AS SELECT * FROM "
                                   f"read_csv_auto('{quoted}', header=true)")
                allowed.append(str(path.resolve()))
        # Read every table once now: a damaged file is refused here, in one line.
        for name in present:
            connection.execute(f"SELECT count(*) FROM {name}").fetchall()
    except duckdb.Error as error:
        connection.close()
        reason = str(error).strip().splitlines()[0][:160]
        raise UserError(f"{folder}: a result file cannot be read ({reason}); re-run it with "
                        f"`firmsim run {folder / MANIFEST_NAME} --out {folder}`") from None
    connection.execute("SET allowed_paths = ?", [allowed])
    connection.execute("SET enable_external_access = false")
    connection.execute("SET lock_configuration = true")
    return connection


#: Statement kinds ``firmsim query`` runs: reading only.
READ_STATEMENTS = ("SELECT", "EXPLAIN")


def check_read_only(sql: str) -> None:
    """Refuse SQL that is not a read (COPY, ATTACH, INSTALL, CREATE, SET...), one line."""
    import duckdb

    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as error:
        message = str(error).strip().splitlines()
        raise UserError(f"SQL error: {' '.join(line.strip() for line in message[:3])}"
                        ) from None
    for statement in statements:
        kind = statement.type.name
        if kind not in READ_STATEMENTS:
            raise UserError(f"SQL: {kind} statements are not allowed; query is read-only "
                            "(SELECT, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN)")


def connect_frames(frames: dict):
    """A read-only DuckDB connection with one view per pandas DataFrame of ``frames`` (tables
    already read and checked, e.g. a sweep's partitions); nothing else can be read."""
    import duckdb

    connection = duckdb.connect(config={"autoinstall_known_extensions": False,
                                        "autoload_known_extensions": False})
    for name, frame in frames.items():
        connection.register(name, frame)
    connection.execute("SET enable_external_access = false")
    connection.execute("SET lock_configuration = true")
    return connection


def query(folder: Path, sql: str, frames: dict | None = None):
    """Run DuckDB ``sql`` (reads only) over a results folder; returns a pandas DataFrame.

    ``frames``: the folder's tables already read (a sweep's), queried instead of its files.
    """
    import duckdb

    check_read_only(sql)
    connection = connect(folder) if frames is None else connect_frames(frames)
    try:
        relation = connection.sql(sql)
        if relation is None:
            return None
        return relation.df()
    except duckdb.PermissionException as error:
        reason = str(error).strip().splitlines()[0]
        raise UserError(f"SQL refused: query is read-only over the folder's tables ({reason})"
                        ) from None
    except duckdb.Error as error:
        message = str(error).strip().splitlines()
        raise UserError(f"SQL error: {' '.join(line.strip() for line in message[:3])}"
                        ) from None
    finally:
        connection.close()
