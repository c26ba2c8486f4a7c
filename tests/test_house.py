"""The package's house rules: wings by kind, imports only downward, no circle, every package
shipped.

Levels from the ground (docs/architecture.md draws them): a module may import its own wing
and the wings below it, never one above. The registry loads the built-in declarations and
plugins by module name when a table is first read (that is what a registry is for); those
names are strings, not imports, and are not arrows here.
"""

import ast
import tomllib
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "simulation"

LEVELS = {
    "errors": 0, "registry": 0, "kernels": 0, "data": 0,
    "config": 1,
    "core": 2, "store": 2,
    "analysis": 3, "classics": 3,
    "execution": 4,
    "sweep": 5,
    "design": 6, "ui": 6,
    "api": 7,
    "commands": 8,
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _imports(path: Path, module: str, top_level_only: bool) -> set[str]:
    tree = ast.parse(path.read_text())
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    nodes = tree.body if top_level_only else ast.walk(tree)
    found = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return {name for name in found if name == "simulation" or name.startswith("simulation.")}


def _wing(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def test_every_module_belongs_to_a_wing_with_a_level():
    for module in _modules():
        wing = _wing(module)
        assert wing is None or wing in LEVELS, f"{module}: wing {wing!r} has no level"


def test_no_import_runs_back_up():
    """No module imports a wing above its own (imports inside functions included)."""
    modules = _modules()
    upward = []
    for module, path in modules.items():
        own = _wing(module)
        if own is None:  # the package's face loads its public names lazily
            continue
        for target in _imports(path, module, top_level_only=False):
            wing = _wing(target)
            if wing is not None and wing in LEVELS and LEVELS[wing] > LEVELS[own]:
                upward.append(f"{module} -> {target}")
    assert not upward, "imports that run back up:\n" + "\n".join(sorted(upward))


def test_no_circle_between_modules():
    modules = _modules()
    graph = nx.DiGraph()
    for module, path in modules.items():
        for target in _imports(path, module, top_level_only=False):
            if target in modules and target != module:
                graph.add_edge(module, target)
    # importing a package's submodule passes through the package's __init__: not an arrow
    cycles = [c for c in nx.simple_cycles(graph)
              if not any(a.startswith(b + ".") or b.startswith(a + ".")
                         for a in c for b in c if a != b)]
    assert not cycles, f"circles: {cycles[:5]}"


def test_every_package_is_shipped_and_the_data_is_mapped():
    """pyproject.toml lists every package folder (a missing one would be absent from the
    wheel) and maps the shipped scenarios and experiment files into the package."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    listed = set(project["tool"]["setuptools"]["packages"])
    folders = {".".join(p.parent.relative_to(ROOT).parts) for p in PACKAGE.rglob("__init__.py")}
    assert folders <= listed, f"not shipped: {sorted(folders - listed)}"
    mapping = project["tool"]["setuptools"]["package-dir"]
    assert mapping["simulation.data.scenarios"] == "scenarios"
    assert mapping["simulation.data.experiments"] == "experiments"


def test_importing_the_package_loads_no_model():
    """``import simulation`` loads no NumPy, Numba, Mesa or model module (fast start)."""
    import subprocess
    import sys

    code = ("import sys, simulation; heavy = [m for m in ('numpy', 'numba', 'mesa', "
            "'pandas', 'simulation.core.model') if m in sys.modules]; print(heavy)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"
