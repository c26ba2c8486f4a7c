"""Where a scenario comes from: a shipped name, a TOML file, a run's manifest or its folder."""

from __future__ import annotations

from pathlib import Path

from simulation.config.scenario import (
    Scenario,
    apply_overrides,
    load_scenario,
    parse_scenario,
    resolve_path,
    scenario_data,
)
from simulation.store.manifest import MANIFEST_NAME, manifest_path, read_run_manifest


def load_source(spec: str | Path) -> tuple[Scenario, str, dict | None]:
    """A scenario from a shipped name, a TOML file, a manifest or a results folder.

    Returns ``(scenario, source, manifest)``; ``manifest`` is None unless the source is one.
    """
    path = Path(spec)
    if path.suffix == ".json" or (path.is_dir() and (path / MANIFEST_NAME).is_file()):
        manifest = read_run_manifest(path)
        source = str(manifest_path(path))
        return parse_scenario(manifest["scenario"], source), source, manifest
    path = resolve_path(spec)
    return load_scenario(path), str(path), None


def resolve(spec: str | Path, assignments: list[str] | None = None
            ) -> tuple[Scenario, str, dict | None]:
    """Load a scenario source and apply ``--set`` assignments; validated result."""
    scenario, source, manifest = load_source(spec)
    if assignments:
        data = apply_overrides(scenario_data(scenario), assignments)
        scenario = parse_scenario(data, f"{source} with --set")
    return scenario, source, manifest
