"""Results folders: the manifest that makes a run repeatable, the folder guard, queries.

A results folder holds ``timeseries.parquet``, ``resilience.parquet``, ``summary.csv``,
``levels.csv``, ``comparison.png``, ``process.png`` and ``manifest.json``. The manifest is
written first with ``status = "running"`` (so the folder is known to belong to the scenario
even if the run is interrupted) and rewritten last with ``status = "complete"`` and the
SHA-256 of every file. It holds the fully resolved scenario, the root seed and the spawned
replicate seeds, package versions and the git commit: ``firmsim run DIR/manifest.json``
re-runs it exactly.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import platform
import subprocess
from pathlib import Path
from typing import Any

from .errors import ConfigError, UserError
from .scenario import MANIFEST_NAME

MANIFEST_FORMAT = 1
RESULT_FILES = ("timeseries.parquet", "resilience.parquet", "summary.csv", "levels.csv",
                "comparison.png", "process.png")
PACKAGES = ("numpy", "numba", "mesa", "pandas", "pyarrow", "pydantic", "scipy", "firmsim")
TABLES = {"timeseries": "timeseries.parquet", "resilience": "resilience.parquet"}


def package_versions() -> dict[str, str | None]:
    """Installed versions of the packages the numbers depend on, and Python's."""
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def git_state(where: Path | None = None) -> dict[str, Any]:
    """``{"commit": sha or None, "dirty": bool or None}`` of the repository holding the code."""
    where = where or Path(__file__).resolve().parent

    def git(*arguments) -> str | None:
        try:
            done = subprocess.run(["git", *arguments], cwd=where, capture_output=True,
                                  text=True, timeout=10)
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if commit is None:
        return {"commit": None, "dirty": None}
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": bool(status) if status is not None else None}


def seed_records(root_seed: int, replicates: int) -> list[dict[str, Any]]:
    """Entropy and spawn key of every replicate's ``SeedSequence``."""
    from .experiment import replicate_seeds

    return [{"replicate": number, "entropy": int(seq.entropy),
             "spawn_key": [int(k) for k in seq.spawn_key]}
            for number, seq in enumerate(replicate_seeds(root_seed, replicates))]


def build_manifest(scenario, source: str, argv: list[str] | None, workers: int) -> dict:
    """The manifest of a run that is about to start (``status = "running"``)."""
    from .scenario import scenario_data

    return {
        "format": MANIFEST_FORMAT,
        "tool": "firmsim",
        "scenario_name": scenario.name,
        "status": "running",
        "source": source,
        "command": argv,
        "scenario": scenario_data(scenario),
        "seeds": {"root": scenario.seed, "replicates": scenario.replicates,
                  "replicate_seeds": seed_records(scenario.seed, scenario.replicates)},
        "workers": workers,
        "versions": package_versions(),
        "git": git_state(),
    }


def check_manifest_seeds(manifest: dict) -> None:
    """Refuse a manifest whose recorded replicate seeds the root seed does not give."""
    seeds = manifest.get("seeds") or {}
    recorded = seeds.get("replicate_seeds")
    if recorded is None:
        return
    scenario = manifest["scenario"]
    expected = seed_records(int(scenario.get("seed", 1)), int(scenario.get("replicates", 5)))
    if recorded != expected:
        raise ConfigError("manifest: the recorded replicate seeds do not follow from its root "
                          "seed and replicate count (edited by hand?)")


def manifest_differences(manifest: dict) -> list[str]:
    """Notes on what differs between the manifest's environment and this one."""
    notes = []
    recorded = manifest.get("versions") or {}
    for name, version in package_versions().items():
        if name in recorded and recorded[name] != version:
            notes.append(f"{name} {recorded[name]} in the manifest, {version} here")
    commit = (manifest.get("git") or {}).get("commit")
    here = git_state()["commit"]
    if commit and here and commit != here:
        notes.append(f"git commit {commit[:10]} in the manifest, {here[:10]} here")
    return notes


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_manifest(manifest: dict, folder: Path) -> Path:
    """Write ``manifest.json`` atomically."""
    from .report import atomic_write

    path = Path(folder) / MANIFEST_NAME
    text = json.dumps(manifest, indent=2, sort_keys=False) + "\n"
    atomic_write(path, lambda p: Path(p).write_text(text))
    return path


def check_output_folder(folder: Path, scenario_name: str, force: bool = False) -> None:
    """Refuse to write into a folder holding results of another (or an unknown) scenario."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise UserError(f"--out {folder}: exists and is not a folder")
    if force or not folder.is_dir():
        return
    manifest_path = folder / MANIFEST_NAME
    if manifest_path.exists():
        try:
            owner = json.loads(manifest_path.read_text()).get("scenario_name")
        except (OSError, ValueError, AttributeError):
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
