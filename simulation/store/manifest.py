"""``manifest.json``: what makes a results folder repeatable, read and written here only.

A run folder's manifest (:func:`run_manifest`) holds the fully resolved scenario, the root
seed and every replicate's seed; ``firmsim run DIR/manifest.json`` re-runs it. A sweep
folder's manifest (:func:`sweep_manifest`, ``kind = "sweep"``) holds the resolved
experiment, its fingerprint, the design and the seed rule. Both record the package versions
and the git commit, and are written first with ``status = "running"`` and rewritten at the
end, always atomically (:func:`write_manifest`).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import platform
import subprocess
from pathlib import Path
from typing import Any

from simulation.config.seeds import SEED_RULE, run_seed
from simulation.errors import ConfigError
from simulation.store.atomic import atomic_write

MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = 1
PACKAGES = ("numpy", "numba", "mesa", "pandas", "pyarrow", "pydantic", "scipy", "firmsim")


def manifest_path(path: str | Path) -> Path:
    """The manifest file of ``path`` (a manifest file, or the folder holding one)."""
    path = Path(path)
    return path / MANIFEST_NAME if path.is_dir() else path


def manifest_checksum(manifest: dict) -> str:
    """SHA-256 of a manifest's content (without its ``checksum``), as canonical JSON."""
    content = {key: value for key, value in manifest.items() if key != "checksum"}
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def read_manifest(path: str | Path, missing_ok: bool = False,
                  verify: bool = True) -> dict[str, Any] | None:
    """The manifest at ``path`` (the file or its folder).

    Returns None if there is none and ``missing_ok``; otherwise a missing, unreadable or
    non-object manifest is one :class:`ConfigError` line, and so is (with ``verify``) one
    whose ``checksum`` does not match its content (damaged, or edited by hand).
    """
    path = manifest_path(path)
    if path.is_symlink():
        raise ConfigError(f"{path}: a symbolic link (to {os.readlink(path)}); firmsim reads "
                          "only the manifest it wrote: remove it")
    try:
        manifest = json.loads(path.read_text())
    except FileNotFoundError:
        if missing_ok:
            return None
        raise ConfigError(f"manifest '{path}' does not exist") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ConfigError(f"{path}: not a readable manifest ({error})") from None
    if not isinstance(manifest, dict):
        raise ConfigError(f"{path}: not a firmsim manifest")
    recorded = manifest.get("checksum")
    if verify and recorded is not None and recorded != manifest_checksum(manifest):
        raise ConfigError(f"{path}: its checksum does not match its content (damaged or "
                          "edited by hand); re-run from the scenario or experiment file, or "
                          "restore the manifest")
    return manifest


def write_manifest(manifest: dict, folder: str | Path) -> Path:
    """Write ``folder/manifest.json`` atomically; returns its path."""
    path = Path(folder) / MANIFEST_NAME
    manifest = {key: value for key, value in manifest.items() if key != "checksum"}
    manifest["checksum"] = manifest_checksum(manifest)
    text = json.dumps(manifest, indent=2) + "\n"
    atomic_write(path, lambda p: Path(p).write_text(text))
    return path


# ---------------------------------------------------------------------------- environment
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


def _header(source: str, argv: list[str] | None) -> dict[str, Any]:
    return {"format": MANIFEST_FORMAT, "tool": "firmsim", "status": "running",
            "source": source, "command": argv}


def _environment() -> dict[str, Any]:
    return {"versions": package_versions(), "git": git_state()}


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


# ---------------------------------------------------------------------------- runs
def seed_records(root_seed: int, replicates: int) -> list[dict[str, Any]]:
    """Entropy and spawn key of every replicate's ``SeedSequence`` (:func:`run_seed`)."""
    records = []
    for number in range(replicates):
        seed = run_seed(root_seed, number)
        records.append({"replicate": number, "entropy": int(seed.entropy),
                        "spawn_key": [int(k) for k in seed.spawn_key]})
    return records


def run_manifest(scenario_name: str, scenario: dict[str, Any], source: str,
                 argv: list[str] | None, workers: int) -> dict[str, Any]:
    """The manifest of a ``firmsim run`` about to start; ``scenario`` is its resolved data."""
    root, replicates = int(scenario["seed"]), int(scenario["replicates"])
    return {**_header(source, argv), "scenario_name": scenario_name, "scenario": scenario,
            "seeds": {"root": root, "replicates": replicates, "rule": SEED_RULE,
                      "replicate_seeds": seed_records(root, replicates)},
            "workers": workers, **_environment()}


def read_run_manifest(path: str | Path) -> dict[str, Any]:
    """The manifest of a run folder (``path`` is the file or the folder); ConfigError if it
    is missing, unreadable or holds no resolved scenario."""
    manifest = read_manifest(path)
    if not isinstance(manifest.get("scenario"), dict):
        raise ConfigError(f"{manifest_path(path)}: not a firmsim manifest (no 'scenario' "
                          "object)")
    return manifest


def check_manifest_seeds(manifest: dict) -> None:
    """Refuse a run manifest whose recorded replicate seeds its root seed does not give
    (under :data:`~simulation.config.seeds.SEED_RULE`), or whose ``seeds`` is not what firmsim
    wrote."""
    seeds = manifest.get("seeds")
    if seeds is None:
        return
    if not isinstance(seeds, dict):
        raise ConfigError(f"manifest: seeds={seeds!r}: expected the object firmsim wrote "
                          "(root, replicates, rule, replicate_seeds); edited by hand?")
    recorded = seeds.get("replicate_seeds")
    if recorded is None:
        return
    scenario = manifest["scenario"]
    try:
        expected = seed_records(int(scenario.get("seed", 1)),
                                int(scenario.get("replicates", 5)))
    except (TypeError, ValueError, OverflowError):
        raise ConfigError(f"manifest: scenario seed={scenario.get('seed')!r}, replicates="
                          f"{scenario.get('replicates')!r}: not whole numbers") from None
    if recorded != expected:
        raise ConfigError("manifest: the recorded replicate seeds do not follow from its root "
                          "seed and replicate count (edited by hand?)")


# ---------------------------------------------------------------------------- sweeps
def sweep_manifest(experiment_name: str, fingerprint: str, resolved: dict[str, Any],
                   design: dict[str, Any], root: int, source: str,
                   argv: list[str] | None) -> dict[str, Any]:
    """The manifest of a sweep about to start (or resume)."""
    return {**_header(source, argv), "kind": "sweep", "experiment_name": experiment_name,
            "fingerprint": fingerprint, "resolved": resolved, "design": design,
            "seeds": {"root": root, "rule": SEED_RULE,
                      "run_number": "run = (point * replicates + replicate) * "
                                    "len(structures) + structure index"},
            **_environment(), "sessions": []}
