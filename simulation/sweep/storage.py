"""The results folder of a sweep: manifest, design and partitioned Parquet tables.

::

    DIR/manifest.json           the resolved experiment, its fingerprint, seeds, versions,
                                status and counts (rewritten at start and end)
    DIR/design.parquet          one row per design point: values and raw sampler coordinates
    DIR/runs/part-<id>.parquet  one row per finished run: keys, parameters, outputs
    DIR/timeseries/part-<id>.parquet   every step of every run (if "timeseries" is kept)
    DIR/errors/part-<id>.parquet       one row per failed attempt: parameters, seed, error

Each finished batch appends one file per table, written atomically (temporary file and
rename). The ``runs`` file is written last and is the batch's commit: the set of finished
runs is read from the ``runs`` files on disk, never from separate bookkeeping, so a sweep
killed at any moment resumes with exactly the runs that are missing. A timeseries file whose
``runs`` file was never written (killed in between) is removed on resume before its runs are
run again. Errors are a history of attempts; a run is "failed" while it has an error and no
row in ``runs``.

Read the tables with :func:`read_table` or DuckDB:
``SELECT * FROM read_parquet('DIR/runs/*.parquet', union_by_name=true)``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import UserError
from ..manifest import read_manifest, write_manifest
from ..report import atomic_write

DESIGN = "design.parquet"
TABLES = ("runs", "timeseries", "errors")


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
    def check(self, manifest: dict) -> dict | None:
        """Refuse a folder holding something else; returns the existing manifest (resume)
        or None (new sweep). Touches nothing."""
        folder = self.folder
        if folder.exists() and not folder.is_dir():
            raise UserError(f"--out {folder}: exists and is not a folder")
        if not folder.is_dir():
            return None
        existing = read_manifest(folder, missing_ok=True)
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
    def start(self, manifest: dict, design: pd.DataFrame) -> None:
        """Create the folder (or reopen it), record the manifest and the design, tidy up
        what an interrupted sweep left (temporary files, uncommitted partitions)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        for table in TABLES:
            (self.folder / table).mkdir(exist_ok=True)
        self._tidy()
        if not (self.folder / DESIGN).exists():
            atomic_write(self.folder / DESIGN, lambda p: design.to_parquet(p, index=False))
        self.write_manifest(manifest)

    def write_manifest(self, manifest: dict) -> None:
        """Write the folder's manifest (atomically)."""
        write_manifest(manifest, self.folder)

    def _tidy(self) -> None:
        for directory in [self.folder, *(self.folder / t for t in TABLES)]:
            for path in directory.glob(".*.parquet.*"):
                path.unlink(missing_ok=True)
        committed = {p.name for p in (self.folder / "runs").glob("part-*.parquet")}
        for path in (self.folder / "timeseries").glob("part-*.parquet"):
            if path.name not in committed:
                path.unlink()

    def write_batch(self, batch: str, rows: list[dict], timeseries: pd.DataFrame | None,
                    errors: list[dict]) -> None:
        """Append one finished batch: timeseries and errors first, the runs file last."""
        name = f"part-{batch}.parquet"
        if timeseries is not None and len(timeseries) and rows:
            atomic_write(self.folder / "timeseries" / name,
                         lambda p: timeseries.to_parquet(p, index=False))
        if errors:
            frame = pd.DataFrame(errors)
            frame["time"] = pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds")
            atomic_write(self.folder / "errors" / name, lambda p: frame.to_parquet(p, index=False))
        if rows:
            frame = pd.DataFrame(rows)
            atomic_write(self.folder / "runs" / name, lambda p: frame.to_parquet(p, index=False))

    # ------------------------------------------------------------------ reading
    def files(self, table: str) -> list[Path]:
        return sorted((self.folder / table).glob("part-*.parquet"))

    def done_runs(self) -> set[int]:
        """Run numbers with a committed row on disk."""
        done: set[int] = set()
        for path in self.files("runs"):
            done.update(int(r) for r in pd.read_parquet(path, columns=["run"])["run"])
        return done

    def read(self, table: str) -> pd.DataFrame:
        return read_table(self.folder, table)

    def failures(self) -> pd.DataFrame:
        """The last error of every run that has no committed row."""
        errors = self.read("errors")
        if errors.empty:
            return errors
        done = self.done_runs()
        errors = errors[~errors["run"].isin(done)]
        return errors.drop_duplicates("run", keep="last").sort_values("run").reset_index(
            drop=True)


def read_table(folder: Path, table: str) -> pd.DataFrame:
    """All partitions of ``table`` (runs, timeseries, errors) as one frame, sorted by run
    (and step): the same frame whatever the batching or the order batches finished in."""
    folder = Path(folder)
    paths = sorted((folder / table).glob("part-*.parquet"))
    frames = [pd.read_parquet(p) for p in paths]
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame()
    frame = pd.concat(frames, ignore_index=True)
    order = ["run", "step"] if table == "timeseries" else ["run"]
    if table == "errors":
        order = ["run", "time"]
    frame = frame.sort_values(order, kind="stable").reset_index(drop=True)
    return frame

