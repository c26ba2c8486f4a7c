"""Mutation testing of the model's rule modules with Cosmic Ray (issue 27).

Why Cosmic Ray: it mutates the module's source on disk and runs an ordinary test command
per mutant, so Numba kernels run their Python twins when the command sets
``NUMBA_DISABLE_JIT=1`` and the package needs no special layout. mutmut 3 instead rewrites
every function into a trampoline in a ``mutants/`` copy of the project, which ``@njit``
kernels cannot compile and which loses this package's shipped data folders.

Each module is mutated in a scratch copy of the repository (the working tree is never
touched), against the test files that guard it (``MODULES``), stopping at the first
failure. A mutant is *killed* when the tests fail or time out, *survived* when they pass.

Usage (from the repository root)::

    python experiments/mutation/run.py                        # every module, every mutant
    python experiments/mutation/run.py --sample 30            # 30 mutants per module
    python experiments/mutation/run.py --modules structures market --sample 30
    python experiments/mutation/run.py --check experiments/mutation/baseline.json   # CI

Writes ``<work>/<module>.json`` (every mutant with its outcome and diff) and prints a table
per module: mutants run, killed, survived, kill rate. ``--check BASELINE`` runs exactly the
mutants the baseline records as killed (found by name, see :func:`key`, so edits elsewhere
in a module do not move them) and exits 1 when one of them survives or is no longer a
mutant of its module (its source changed: record the baseline again). ``--record`` writes
the killed mutants of this run (``--per-module N``: the first N of each module by name).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable

#: Rule module -> (path, tests that guard it, whether it is a Numba kernel module).
MODULES: dict[str, tuple[str, tuple[str, ...], bool]] = {
    "structures": ("simulation/core/structures.py", ("tests/test_rules.py",), False),
    "market": ("simulation/core/market.py",
               ("tests/test_rules.py",
                "tests/test_decisions.py::test_need_shift_keeps_segment_correlation",
                "tests/test_decisions.py::test_need_shift_moves_the_landscape_by_its_share",
                "tests/test_decisions.py::test_turbulence_is_a_share_of_the_landscape_per_step"),
               False),
    "organization": ("simulation/core/organization.py",
                     ("tests/test_rules.py", "tests/test_decisions.py::"
                      "test_silo_surveys_are_limited_by_marketing_capacity"), False),
    "metrics": ("simulation/core/metrics.py", ("tests/test_model.py", "tests/test_rules.py"),
                False),
    "statistics": ("simulation/analysis/statistics.py", ("tests/test_statistics.py",
                                                         "tests/test_rules.py"), False),
    "shocks": ("simulation/core/shocks.py", ("tests/test_model.py", "tests/test_rules.py",
                                             "tests/test_shocks_rules.py"), False),
    "stakeholders": ("simulation/core/stakeholders.py",
                     ("tests/test_model.py", "tests/test_conversation.py",
                      "tests/test_stakeholders_rules.py"), False),
    "conversation": ("simulation/core/conversation.py",
                     ("tests/test_conversation.py", "tests/test_conversation_rules.py"), False),
    "customers": ("simulation/core/customers.py",
                  ("tests/test_model.py", "tests/test_customers_rules.py"), False),
    "kernels.customers": ("simulation/kernels/customers.py", ("tests/test_kernels.py",), True),
    "kernels.organization": ("simulation/kernels/organization.py",
                             ("tests/test_kernels.py",), True),
    "kernels.contagion": ("simulation/kernels/contagion.py",
                          ("tests/test_kernels_contagion.py", "tests/test_kernels.py",
                           # the hearing split between threads (a part's bounds)
                           "tests/test_threads.py::"
                           "test_hearing_split_in_parts_equals_one_push_and_the_twin"),
                          True),
    "economics": ("simulation/core/economics.py",
                  ("tests/test_economics.py", "tests/test_economics_rules.py"), False),
    "competition": ("simulation/core/competition.py", ("tests/test_compete.py",), False),
    # Only the kernel-level tests: without the JIT the whole-market tests take minutes.
    "kernels.competition": ("simulation/kernels/competition.py",
                            ("tests/test_compete.py::test_market_kernel_equals_its_twin",
                             "tests/test_compete.py::"
                             "test_market_kernel_with_one_firm_is_the_single_firm_kernel"),
                            True),
}

COPIED = ("simulation", "tests", "pyproject.toml", "docs", "scenarios", "experiments")


def copy_tree(work: Path) -> Path:
    tree = work / "tree"
    if tree.exists():
        shutil.rmtree(tree)
    tree.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "mutation-work*")
    for part in COPIED:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, tree / part, ignore=ignore)
        elif source.exists():
            shutil.copy2(source, tree / part)
    return tree


def write_config(tree: Path, name: str, timeout: float) -> Path:
    path, tests, _ = MODULES[name]
    arguments = " ".join(f"'{t}'" if " " in t else t for t in tests)
    command = f"{PYTHON} -m pytest -x -q -p no:cacheprovider -o addopts= {arguments}"
    config = tree / f"cosmic-ray-{name}.toml"
    config.write_text(
        "[cosmic-ray]\n"
        f'module-path = "{path}"\n'
        f"timeout = {timeout}\n"
        "excluded-modules = []\n"
        f"test-command = {json.dumps(command)}\n\n"
        "[cosmic-ray.distributor]\n"
        'name = "local"\n')
    return config


def sample_items(session: Path, size: int | None, seed: int) -> int:
    """Keep a fixed random sample of ``size`` mutants; mark the others skipped."""
    from cosmic_ray.work_db import use_db
    from cosmic_ray.work_item import WorkerOutcome, WorkResult

    with use_db(str(session)) as db:
        items = sorted(db.pending_work_items, key=lambda w: w.job_id)
        # Order by (operator, line, occurrence) so the sample does not depend on job ids.
        items.sort(key=lambda w: (w.mutations[0].operator_name,
                                  w.mutations[0].start_pos, w.mutations[0].occurrence))
        if size is None or size >= len(items):
            return len(items)
        keep = set(random.Random(seed).sample(range(len(items)), size))
        skipped = [w.job_id for i, w in enumerate(items) if i not in keep]
        db.set_multiple_results(skipped, WorkResult(worker_outcome=WorkerOutcome.SKIPPED))
        return size


def pending_key(tree: Path, name: str, item) -> str:
    """The name (:func:`key`) of a mutant that has not run yet: mutate the source in memory
    the way Cosmic Ray's worker does and diff it."""
    from cosmic_ray.mutating import _make_diff, mutate_code
    from cosmic_ray.plugins import get_operator

    mutation = item.mutations[0]
    source = (tree / MODULES[name][0]).read_text(encoding="utf-8")
    operator = get_operator(mutation.operator_name)(**(mutation.operator_args or {}))
    mutated = mutate_code(source, operator, mutation.occurrence)
    if mutated is None:
        return ""
    diff = "\n".join(_make_diff(source, mutated, MODULES[name][0]))
    return key({"module": name, "operator": mutation.operator_name, "diff": diff})


def select_named(tree: Path, session: Path, name: str, wanted: set[str]) -> set[str]:
    """Keep only the mutants named in ``wanted`` (mark the others skipped); returns the
    wanted names of this module that were found."""
    from cosmic_ray.work_db import use_db
    from cosmic_ray.work_item import WorkerOutcome, WorkResult

    found, skipped = set(), []
    with use_db(str(session)) as db:
        for item in db.pending_work_items:
            mutant = pending_key(tree, name, item)
            if mutant in wanted:
                found.add(mutant)
            else:
                skipped.append(item.job_id)
        db.set_multiple_results(skipped, WorkResult(worker_outcome=WorkerOutcome.SKIPPED))
    return found


def collect(session: Path, name: str) -> list[dict]:
    from cosmic_ray.work_db import use_db

    rows = []
    with use_db(str(session)) as db:
        for item, result in db.completed_work_items:
            if result.worker_outcome == "skipped":
                continue
            mutation = item.mutations[0]
            rows.append({
                "module": name, "operator": mutation.operator_name,
                "occurrence": mutation.occurrence, "line": mutation.start_pos[0],
                "outcome": str(result.test_outcome or result.worker_outcome
                               ).split(".")[-1].lower(),
                "diff": result.diff,
            })
    rows.sort(key=lambda r: (r["line"], r["operator"], r["occurrence"]))
    return rows


def key(row: dict) -> str:
    """A mutant's name that survives edits elsewhere in the module: module, operator and the
    changed source lines (without line numbers)."""
    changed = [line[1:].strip() for line in (row.get("diff") or "").splitlines()
               if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    return f"{row['module']}:{row['operator']}:" + " => ".join(changed)


def run_module(name: str, tree: Path, work: Path, sample: int | None, seed: int,
               timeout: float, wanted: set[str] | None = None) -> list[dict]:
    config = write_config(tree, name, timeout)
    session = work / f"{name}.sqlite"
    session.unlink(missing_ok=True)
    env = {**os.environ, "PYTHONPATH": str(tree)}
    if MODULES[name][2]:
        env["NUMBA_DISABLE_JIT"] = "1"  # kernels run as Python, so their mutants count
    # The unmutated tree must pass, or every mutant would count as killed. (Not with
    # --check: CI runs the whole suite first, and the check's budget is small.)
    command = json.loads(config.read_text().split("test-command = ")[1].split("\n")[0])
    if wanted is None and subprocess.run(command.split(), cwd=tree, env=env,
                                         stdout=subprocess.DEVNULL).returncode != 0:
        raise SystemExit(f"{name}: the tests fail without any mutant; fix them first")
    subprocess.run([PYTHON, "-m", "cosmic_ray.cli", "init", str(config), str(session)],
                   cwd=tree, env=env, check=True)
    if wanted is None:
        sample_items(session, sample, seed)
    else:
        mine = {m for m in wanted if m.startswith(f"{name}:")}
        missing = sorted(mine - select_named(tree, session, name, mine))
        for mutant in missing:
            print(f"MISSING: {mutant} is not a mutant of the module any more (its source "
                  "changed): record the baseline again (--record)", flush=True)
        if missing:
            raise SystemExit(1)
    started = time.perf_counter()
    subprocess.run([PYTHON, "-m", "cosmic_ray.cli", "exec", str(config), str(session)],
                   cwd=tree, env=env, check=True)
    rows = collect(session, name)
    (work / f"{name}.json").write_text(json.dumps(rows, indent=1))
    summarize(name, rows, time.perf_counter() - started)
    return rows


def summarize(name: str, rows: list[dict], seconds: float | None = None) -> None:
    killed = sum(r["outcome"] == "killed" for r in rows)
    survived = [r for r in rows if r["outcome"] == "survived"]
    other = len(rows) - killed - len(survived)
    rate = killed / max(1, killed + len(survived))
    took = f"  {seconds:6.0f} s" if seconds is not None else ""
    print(f"{name:22s} {len(rows):5d} run {killed:5d} killed {len(survived):4d} survived "
          f"{other:3d} other  kill rate {rate:6.1%}{took}", flush=True)
    for row in survived:
        print(f"    survived line {row['line']}: {key(row)}", flush=True)


def record(args, rows: list[dict]) -> None:
    """Write the killed mutants (at most ``--per-module`` of each module, the first by
    name) as the baseline ``--check`` runs."""
    killed = []
    for name in dict.fromkeys(r["module"] for r in rows):
        mine = sorted({key(r) for r in rows if r["module"] == name and r["outcome"] == "killed"})
        killed += mine[:args.per_module] if args.per_module else mine
    args.record.write_text(json.dumps({"sample": args.sample, "seed": args.seed,
                                       "per_module": args.per_module,
                                       "killed": killed}, indent=1) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--modules", nargs="+", choices=sorted(MODULES), default=None)
    parser.add_argument("--sample", type=int, default=None,
                        help="mutants per module, a fixed random sample (default: all)")
    parser.add_argument("--seed", type=int, default=27, help="seed of the sample")
    parser.add_argument("--timeout", type=float, default=180.0,
                        help="seconds per mutant's test run (a timeout counts as killed)")
    parser.add_argument("--work", type=Path, default=None,
                        help="folder for the scratch copy and the results (default: temp)")
    parser.add_argument("--check", type=Path, default=None,
                        help="baseline JSON: exit 1 if a mutant it records killed survives")
    parser.add_argument("--summarize", action="store_true",
                        help="only print the table of the results already in --work")
    parser.add_argument("--count", action="store_true",
                        help="only count each module's mutants")
    parser.add_argument("--record", type=Path, default=None,
                        help="write this run's killed mutants as a baseline JSON")
    parser.add_argument("--per-module", type=int, default=None,
                        help="with --record: keep at most this many killed mutants a module")
    args = parser.parse_args(argv)
    names = args.modules or list(MODULES)
    work = args.work or Path(tempfile.mkdtemp(prefix="mutation-"))
    work.mkdir(parents=True, exist_ok=True)
    if args.summarize:
        rows = []
        for name in names:
            path = work / f"{name}.json"
            if path.exists():
                found = json.loads(path.read_text())
                for row in found:
                    row["outcome"] = row["outcome"].split(".")[-1].lower()
                summarize(name, found)
                rows += found
        if args.record:
            record(args, rows)
        return 0
    tree = copy_tree(work)
    print(f"scratch copy and results in {work}", flush=True)
    if args.count:
        for name in names:
            config = write_config(tree, name, args.timeout)
            session = work / f"{name}.sqlite"
            session.unlink(missing_ok=True)
            subprocess.run([PYTHON, "-m", "cosmic_ray.cli", "init", str(config), str(session)],
                           cwd=tree, check=True)
            print(f"{name:22s} {sample_items(session, None, 0):5d} mutants", flush=True)
        return 0
    baseline = json.loads(args.check.read_text()) if args.check else None
    wanted = set(baseline["killed"]) if baseline else None
    if baseline and not args.modules:  # the baseline's modules, exactly its mutants
        names = list(dict.fromkeys(m.split(":")[0] for m in baseline["killed"]))
    rows = []
    for name in names:
        rows += run_module(name, tree, work, args.sample, args.seed, args.timeout, wanted)
    if args.record:
        record(args, rows)
    if baseline:
        survived = {key(r) for r in rows if r["outcome"] == "survived"}
        lost = sorted(set(baseline["killed"]) & survived)
        for mutant in lost:
            print(f"REGRESSION: {mutant} was killed in the baseline and now survives")
        if lost:
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
