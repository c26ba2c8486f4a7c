"""The results folder of a sweep: manifest, design and partitioned Parquet tables.

::

    DIR/manifest.json           the resolved experiment, its fingerprint, seeds, versions,
                                status and counts (rewritten at start and end)
    DIR/design.parquet          one row per design point: values and raw sampler coordinates
    DIR/runs/part-<id>.parquet  one row per finished run: keys, parameters, outputs
    DIR/timeseries/part-<id>.parquet   every step of every run (if "timeseries" is kept)
    DIR/errors/part-<id>.parquet       one row per failed attempt: parameters, seed, error

Each finished batch appends one file per table, written atomically (temporary file and
rename). A file is named ``part-<first>-<last>-<attempt>-<sha>.parquet``: the first and last
run numbers of its batch, a random id of this attempt (so a retried batch never overwrites
an earlier file) and the first 32 hex digits of the SHA-256 of its own bytes (so every file
can be checked: :func:`verify_part`). The ``runs`` file is written last and is the batch's
commit: the set of finished runs is read from the verified ``runs`` files on disk, never
from separate bookkeeping, so a sweep killed at any moment resumes with exactly the runs that
are missing. A timeseries file whose ``runs`` file was never written (killed in between) is
removed on resume before its runs are run again. Errors are a history of attempts; a run is
"failed" while it has an error and no row in ``runs``. A damaged file is one
:class:`~simulation.errors.UserError` line naming it; ``firmsim sweep --repair`` drops it
(with the other files of its batch) and runs its runs again.

Read the tables with :func:`read_table` or DuckDB:
``SELECT * FROM read_parquet('DIR/runs/*.parquet', union_by_name=true)``.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import uuid
from pathlib import Path

import pandas as pd

from simulation.errors import ConfigError, UserError
from simulation.execution.processes import fault_point
from simulation.store.atomic import (
    StorageError,
    atomic_write,
    is_storage_error,
    storage_message,
)
from simulation.store.inside import check_inside
from simulation.store.manifest import read_manifest, write_manifest
from simulation.store.results import sha256

DESIGN = "design.parquet"
TABLES = ("runs", "timeseries", "errors")
#: Hex digits of a part's SHA-256 kept in its name.
HASH_DIGITS = 32
_PART = re.compile(r"^part-(?P<batch>.+?)(?:-(?P<sha>[0-9a-f]{" + str(HASH_DIGITS)
                   + r"}))?\.parquet$")


def part_batch(path: Path) -> str:
    """The batch id of a part file (its name without ``part-``, the hash and ``.parquet``)."""
    match = _PART.match(Path(path).name)
    return match.group("batch") if match else Path(path).stem


def part_problem(path: Path) -> str | None:
    """Why the part file ``path`` cannot be trusted, or None if its bytes match its name.

    Files named before checksums were kept (``part-<first>-<last>.parquet``) are checked by
    reading their Parquet footer only.
    """
    path = Path(path)
    match = _PART.match(path.name)
    try:
        if match and match.group("sha"):
            if sha256(path)[:HASH_DIGITS] != match.group("sha"):
                return "its SHA-256 does not match the one in its name (damaged file)"
            return None
        import pyarrow.parquet as pq

        pq.read_metadata(path)
    except OSError as error:
        return f"cannot be read ({error.strerror or error})"
    except Exception as error:  # noqa: BLE001 - any Parquet error means a damaged file
        return f"not a readable Parquet file ({str(error).splitlines()[0][:120]})"
    return None


def damaged_message(path: Path, problem: str, folder: Path) -> str:
    """One line naming a damaged file of a sweep folder and how to recover."""
    return (f"{path}: {problem}; run the same `firmsim sweep` command with --repair to drop "
            f"its batch and run it again (results folder {folder})")


def write_part(directory: Path, batch: str, frame: pd.DataFrame) -> Path:
    """Write ``frame`` as ``directory/part-<batch>-<sha>.parquet``, atomically, never over
    an existing file; returns its path."""
    try:
        return _write_part(directory, batch, frame)
    except OSError as error:
        if is_storage_error(error):
            raise StorageError(storage_message(directory / f"part-{batch}.parquet", error)
                               ) from None
        raise


def _write_part(directory: Path, batch: str, frame: pd.DataFrame) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".part-", suffix=".parquet.tmp",
                                         dir=directory)
    os.close(handle)
    try:
        frame.to_parquet(temporary, index=False)
        with open(temporary, "rb+") as stream:
            os.fsync(stream.fileno())
        digest = sha256(Path(temporary))[:HASH_DIGITS]
        target = directory / f"part-{batch}-{digest}.parquet"
        fault_point("sweep:part-temporary")
        os.chmod(temporary, 0o644)
        # link + unlink: fails instead of replacing a file of the same name.
        try:
            os.link(temporary, target)
        except FileExistsError:
            raise
        except OSError:  # no hard links on this file system: the name is unique anyway
            os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            with contextlib.suppress(OSError):
                os.remove(temporary)
    return target


def _differences(old: dict, new: dict) -> list[str]:
    changed = []
    old_experiment = (old.get("resolved") or {}).get("experiment") or {}
    new_experiment = (new.get("resolved") or {}).get("experiment") or {}
    for key in sorted(set(old_experiment) | set(new_experiment)):
        if key in ("description", "batch_size", "analysis"):
            continue
        if old_experiment.get(key) != new_experiment.get(key):
            changed.append(key)
    old_scenario = (old.get("resolved") or {}).get("scenario") or {}
    new_scenario = (new.get("resolved") or {}).get("scenario") or {}
    for key in sorted(set(old_scenario) | set(new_scenario)):
        if key not in ("name", "description") and old_scenario.get(key) != new_scenario.get(key):
            changed.append(f"base scenario {key}")
    return changed


class SweepStore:
    """Reads and appends to one sweep results folder."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    # ------------------------------------------------------------------ checks
    def check(self, manifest: dict, repair: bool = False) -> dict | None:
        """Refuse a folder holding something else; returns the existing manifest (resume)
        or None (new sweep). Touches nothing. ``repair``: accept a manifest whose checksum
        does not match if it still names this experiment's fingerprint (it is rewritten)."""
        folder = self.folder
        if folder.exists() and not folder.is_dir():
            raise UserError(f"--out {folder}: exists and is not a folder")
        if not folder.is_dir():
            return None
        try:
            existing = read_manifest(folder, missing_ok=True)
        except ConfigError:
            if not repair:
                raise
            existing = read_manifest(folder, missing_ok=True, verify=False)
            existing.pop("files", None)  # its design hash cannot be trusted either
        if existing is None:
            present = [p.name for p in folder.iterdir() if not p.name.startswith(".")]
            if present:
                raise UserError(f"{folder} is not empty and holds no sweep manifest ("
                                f"{', '.join(sorted(present)[:5])}); choose another --out")
            return None
        if existing.get("kind") != "sweep":
            owner = existing.get("scenario_name")
            what = f"a run of scenario '{owner}'" if owner else "something else"
            raise UserError(f"{folder} holds {what}, not sweep results; choose another --out")
        if existing.get("fingerprint") != manifest["fingerprint"]:
            name = existing.get("experiment_name")
            if name != manifest["experiment_name"]:
                raise UserError(f"{folder} holds results of experiment '{name}', not "
                                f"'{manifest['experiment_name']}'; choose another --out")
            changed = _differences(existing, manifest) or ["settings"]
            raise UserError(f"{folder} holds results of experiment '{name}' with different "
                            f"{', '.join(changed)}; they cannot be resumed by this file: "
                            "choose another --out or restore the file")
        return existing

    # ------------------------------------------------------------------ writing
    def start(self, manifest: dict, design: pd.DataFrame, repair: bool = False) -> list[Path]:
        """Create the folder (or reopen it), tidy up what an interrupted sweep left
        (temporary files, uncommitted partitions), verify every file (``repair``: drop
        damaged batches instead of refusing), record the design and the manifest (status
        ``running``). Returns the files dropped by ``repair``."""
        self.folder.mkdir(parents=True, exist_ok=True)
        for table in TABLES:
            (self.folder / table).mkdir(exist_ok=True)
        self._tidy()
        dropped = self.verify(repair=repair)
        design_path = self.folder / DESIGN
        if design_path.exists() or design_path.is_symlink():
            check_inside(self.folder, design_path)
        recorded = (manifest.get("files") or {}).get(DESIGN)
        if design_path.exists() and recorded is None and not _same_design(design_path, design):
            # No trusted hash (an older folder, or a repaired manifest): compare the content.
            if not repair:
                raise UserError(damaged_message(design_path, "it does not hold this "
                                                "experiment's design", self.folder))
            design_path.unlink()
            dropped.append(design_path)
        if design_path.exists() and recorded and sha256(design_path) != recorded:
            if not repair:
                raise UserError(damaged_message(design_path, "its SHA-256 does not match "
                                                "the manifest's (damaged file)", self.folder))
            design_path.unlink()
            dropped.append(design_path)
        if not design_path.exists():
            atomic_write(design_path, lambda p: design.to_parquet(p, index=False))
        manifest["files"] = {DESIGN: sha256(design_path)}
        manifest["status"] = "running"
        self.write_manifest(manifest)
        return dropped

    def write_manifest(self, manifest: dict) -> None:
        """Write the folder's manifest (atomically)."""
        write_manifest(manifest, self.folder)

    def _tidy(self) -> None:
        for directory in [self.folder, *(self.folder / t for t in TABLES)]:
            for path in [*directory.glob(".*.parquet.*"), *directory.glob(".part-*")]:
                path.unlink(missing_ok=True)
        committed = {part_batch(p) for p in self.files("runs")}
        for path in self.files("timeseries"):
            if part_batch(path) not in committed:
                path.unlink()

    def verify(self, repair: bool = False) -> list[Path]:
        """Check every part file against the hash in its name.

        Raises a one-line :class:`UserError` naming the first damaged file, or with
        ``repair`` deletes it and the other files of its batch (so its runs are run again)
        and returns what was deleted.
        """
        dropped: list[Path] = []
        for table in TABLES:
            for path in self.files(table):
                if not path.exists():
                    continue  # dropped with its batch already
                problem = part_problem(path)
                if problem is None:
                    continue
                if not repair:
                    raise UserError(damaged_message(path, problem, self.folder))
                batch = part_batch(path)
                for other in (TABLES if table != "errors" else ("errors",)):
                    for candidate in self.files(other):
                        if candidate == path or (other != "errors"
                                                 and part_batch(candidate) == batch):
                            candidate.unlink(missing_ok=True)
                            dropped.append(candidate)
        return dropped

    def write_batch(self, batch: str, rows: list[dict], timeseries: pd.DataFrame | None,
                    errors: list[dict]) -> None:
        """Append one finished batch: timeseries and errors first, the runs file last.

        ``batch`` is made unique per attempt (a random suffix), so a retried batch never
        replaces the file of an earlier attempt.
        """
        batch = f"{batch}-{uuid.uuid4().hex[:8]}"
        if timeseries is not None and len(timeseries) and rows:
            write_part(self.folder / "timeseries", batch, timeseries)
        if errors:
            frame = pd.DataFrame(errors)
            frame["time"] = pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds")
            write_part(self.folder / "errors", batch, frame)
        if rows:
            write_part(self.folder / "runs", batch, pd.DataFrame(rows))

    # ------------------------------------------------------------------ reading
    def files(self, table: str) -> list[Path]:
        return part_files(self.folder, table)

    def done_runs(self) -> set[int]:
        """Run numbers with a committed row on disk."""
        done: set[int] = set()
        for path in self.files("runs"):
            done.update(int(r) for r in _read_part(path, self.folder, ["run"])["run"])
        return done

    def read(self, table: str) -> pd.DataFrame:
        return read_table(self.folder, table, verify=False)

    def failures(self) -> pd.DataFrame:
        """The last error of every run that has no committed row."""
        errors = self.read("errors")
        if errors.empty:
            return errors
        done = self.done_runs()
        errors = errors[~errors["run"].isin(done)]
        return errors.drop_duplicates("run", keep="last").sort_values("run").reset_index(
            drop=True)


def part_files(folder: Path, table: str) -> list[Path]:
    """The part files of ``table``; a link or a path leaving the folder is refused in one
    line (:func:`simulation.store.inside.check_inside`)."""
    folder = Path(folder)
    check_inside(folder, folder / table)
    return [check_inside(folder, path)
            for path in sorted((folder / table).glob("part-*.parquet"))]


def _same_design(path: Path, design: pd.DataFrame) -> bool:
    try:
        stored = pd.read_parquet(path)
    except Exception:  # noqa: BLE001 - unreadable: not the same
        return False
    try:
        pd.testing.assert_frame_equal(stored, design.reset_index(drop=True),
                                      check_exact=True, check_dtype=False)
    except AssertionError:
        return False
    return True


def _read_part(path: Path, folder: Path, columns: list[str] | None = None) -> pd.DataFrame:
    try:
        return pd.read_parquet(path, columns=columns)
    except Exception as error:  # noqa: BLE001 - any Parquet error means a damaged file
        reason = str(error).splitlines()[0][:120] if str(error) else type(error).__name__
        raise UserError(damaged_message(path, f"not a readable Parquet file ({reason})",
                                        folder)) from None


def read_table(folder: Path, table: str, verify: bool = True) -> pd.DataFrame:
    """All partitions of ``table`` (runs, timeseries, errors) as one frame, sorted by run
    (and step): the same frame whatever the batching or the order batches finished in.

    ``verify``: check each file against the hash in its name first (a damaged file is one
    :class:`UserError` line naming it). Runs found in two files are refused too: a folder
    written by two processes at once cannot be trusted.
    """
    folder = Path(folder)
    paths = part_files(folder, table)
    if verify:
        for path in paths:
            problem = part_problem(path)
            if problem is not None:
                raise UserError(damaged_message(path, problem, folder))
    frames = [_read_part(p, folder) for p in paths]
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame()
    frame = pd.concat(frames, ignore_index=True)
    if table == "runs" and frame["run"].duplicated().any():
        twice = sorted(set(frame.loc[frame["run"].duplicated(), "run"].tolist()))[:5]
        raise UserError(f"{folder}: runs {twice} are stored twice (two writers?); the folder "
                        "cannot be trusted: run the sweep again into a new --out")
    order = ["run", "step"] if table == "timeseries" else ["run"]
    if table == "errors":
        order = ["run", "time"]
    frame = frame.sort_values(order, kind="stable").reset_index(drop=True)
    return frame
