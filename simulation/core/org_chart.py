"""Org charts as files: a firm's own chart runs as a structure, and every preset exports one.

A chart is a table, one row per employee (CSV, or GraphML with the same fields as node
attributes):

``employee``
    An id, unique in the chart. Employees are numbered in row order.
``reports_to``
    The id of the employee's manager or hub; empty for a top.
``role``
    ``frontline``, ``manager``, ``marketing``, ``pod member`` or ``hub``.
``team`` (optional)
    The pod a pod member belongs to (any label; pods are numbered in order of first
    appearance).
``peers`` (optional)
    Ids of the colleagues who review the employee's proposals, separated by ``;`` (ties
    are mutual: a tie listed one way is added the other way).

The mapping from a chart to the mechanics (ODD section 7, "Org charts") is a rule, the same
one the presets follow, so the chart exported from a preset runs exactly as that preset
(:func:`chart_of`, ``firmsim chart``):

- Employees in ``frontline``, ``marketing`` and ``pod member`` roles sense customers;
  managers and hubs do not.
- A proposal goes to the employee's ``reports_to``. An employee with no ``reports_to`` who
  has reports is a top: it decides what reaches it. One with no ``reports_to`` and no
  reports decides its own proposals.
- A sensing employee decides its own proposals after peer review when it is a pod member,
  has nobody to report to, or has peers (a lateral link in a tree, Dodds, Watts & Sabel
  2003); otherwise it escalates.
- A chart with hubs is a pod structure: hubs judge pods' decisions in arrival order and may
  veto them, whole pods turn to a new segment, everyone speaks in the customer conversation.
  A chart with reporting lines and no hub is a tree: its tops rank proposals best-first;
  when it has a ``marketing`` role, the other sensing employees hear customers only through
  surveys and only marketing converses (``siloed_social``), otherwise only the official
  voice does. A chart with no reporting line is a network: everyone converses.
- Sensing employees share out the (module, segment) pairs as the presets do: in a tree, the
  marketing branch and the surveyed branches each cover every pair; in pods, pod ``p`` owns
  the pairs the presets give pod ``p``; in a network, all sensors share all pairs.
- ``firm.org_chart_partners`` makes partners propose changes too (as in ``open``).
"""

from __future__ import annotations

import csv
import dataclasses
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from simulation import registry
from simulation.config.limits import MAX_CHART_BYTES
from simulation.config.vocabulary import (
    FRONTLINE,
    HUB,
    MARKETING,
    POD_MEMBER,
    ROLES,
)
from simulation.core.structures import (
    Organization,
    _assign_scopes,
    _scope_table,
    current_scopes,
    scope_cycles,
)
from simulation.errors import ConfigError

#: The columns of a chart, in the order ``firmsim chart`` writes them.
COLUMNS = ("employee", "reports_to", "role", "team", "peers")
REQUIRED = ("employee", "reports_to", "role")
#: Largest chart read (rows): the firm's own size bound.
MAX_ROWS = 1_000_000


@dataclasses.dataclass(frozen=True)
class Chart:
    """A validated chart: one entry per employee, numbered in row order."""

    ids: tuple[str, ...]
    parent: np.ndarray        # int64: index of reports_to, -1 if empty
    role: np.ndarray          # int8 codes of ROLES
    team: tuple[str, ...]     # "" where none
    peers: tuple[tuple[int, ...], ...]


def chart_of(org: Organization) -> pd.DataFrame:
    """The chart of a built organization (``firmsim chart`` writes it as CSV).

    Ids are the employee numbers; a pod member's team is its pod number; ``peers`` lists
    each employee's review partners in the order the organization holds them.
    """
    ids = np.arange(org.size)
    reports_to = ["" if p < 0 else str(p) for p in org.parent]
    role = [ROLES[r] for r in org.role]
    team = ["" if p < 0 else str(p) for p in org.pod]
    peers = [";".join(str(q) for q in org.peers[org.peer_ptr[i]:org.peer_ptr[i + 1]])
             for i in range(org.size)]
    return pd.DataFrame({"employee": ids.astype(str), "reports_to": reports_to, "role": role,
                         "team": team, "peers": peers}, columns=list(COLUMNS))


def write_chart(org: Organization, path: Path) -> None:
    """Write :func:`chart_of` as CSV to ``path`` (complete or not at all)."""
    from simulation.store.atomic import atomic_write

    atomic_write(Path(path), lambda p: chart_of(org).to_csv(p, index=False))


def _rows_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            raise ConfigError(f"{path}: the chart has no column {missing[0]!r} (columns: "
                              f"{', '.join(REQUIRED)}, optional team and peers)")
        unknown = [c for c in header if c not in COLUMNS]
        if unknown:
            raise ConfigError(f"{path}: unknown column {unknown[0]!r} (allowed: "
                              f"{', '.join(COLUMNS)})")
        rows = []
        for row in reader:
            if len(rows) >= MAX_ROWS:
                raise ConfigError(f"{path}: more than {MAX_ROWS:,} employees")
            rows.append({k: (v or "").strip() for k, v in row.items() if k is not None})
        return rows


def _rows_graphml(path: Path) -> list[dict[str, str]]:
    import networkx as nx

    try:
        graph = nx.read_graphml(path)
    except Exception as error:  # noqa: BLE001 - a malformed file is one line, not a traceback
        raise ConfigError(f"{path}: not a readable GraphML file ({error})") from None
    rows = {str(n): {"employee": str(n), "reports_to": "", "role": str(a.get("role", "")),
                     "team": str(a.get("team", "")), "peers": ""}
            for n, a in graph.nodes(data=True)}
    peers: dict[str, list[str]] = {n: [] for n in rows}
    for a, b, data in graph.edges(data=True):
        kind = data.get("kind", "reports_to" if graph.is_directed() else "peer")
        if kind == "reports_to":
            if rows[str(a)]["reports_to"]:
                raise ConfigError(f"{path}: employee {a!r} reports to two managers")
            rows[str(a)]["reports_to"] = str(b)
        elif kind == "peer":
            peers[str(a)].append(str(b))
        else:
            raise ConfigError(f"{path}: edge {a!r}-{b!r} kind={kind!r}: allowed values are "
                              "reports_to, peer")
    for n, row in rows.items():
        row["peers"] = ";".join(peers[n])
    return list(rows.values())


def parse_chart(rows: list[dict[str, str]], source: str) -> Chart:
    """Validate chart rows; a malformed chart is one line naming the row."""
    if not rows:
        raise ConfigError(f"{source}: the chart has no employees")
    if len(rows) < 2:
        raise ConfigError(f"{source}: a firm needs at least 2 employees (the chart has 1)")
    index: dict[str, int] = {}
    for number, row in enumerate(rows):
        line = number + 2  # the header is line 1
        employee = row.get("employee", "")
        if not employee:
            raise ConfigError(f"{source} line {line}: employee is empty")
        if employee in index:
            raise ConfigError(f"{source} line {line}: duplicate employee {employee!r} (first "
                              f"on line {index[employee] + 2})")
        index[employee] = number
    parent = np.full(len(rows), -1, dtype=np.int64)
    role = np.zeros(len(rows), dtype=np.int8)
    peers: list[list[int]] = []
    for number, row in enumerate(rows):
        line = number + 2
        boss = row.get("reports_to", "")
        if boss:
            if boss not in index:
                raise ConfigError(f"{source} line {line}: reports_to={boss!r} is not an "
                                  "employee of the chart")
            if boss == row["employee"]:
                raise ConfigError(f"{source} line {line}: {boss!r} reports to itself")
            parent[number] = index[boss]
        name = row.get("role", "")
        if name not in ROLES:
            raise ConfigError(f"{source} line {line}: role={name!r}: allowed values are "
                              f"{', '.join(ROLES)}")
        role[number] = ROLES.index(name)
        own = []
        for peer in filter(None, (p.strip() for p in row.get("peers", "").split(";"))):
            if peer not in index:
                raise ConfigError(f"{source} line {line}: peer {peer!r} is not an employee "
                                  "of the chart")
            if index[peer] != number and index[peer] not in own:
                own.append(index[peer])
        peers.append(own)
    if (parent >= 0).all():
        raise ConfigError(f"{source}: the chart has no top (every employee reports to "
                          "someone): leave reports_to empty for the top")
    for start in range(len(rows)):
        seen, node = set(), start
        while node >= 0:
            if node in seen:
                raise ConfigError(f"{source} line {start + 2}: reporting lines form a cycle "
                                  f"through {rows[node]['employee']!r}")
            seen.add(node)
            node = int(parent[node])
    # Ties are mutual: a tie listed one way is added the other way, after the listed ones.
    for a, own in enumerate(peers):
        for b in own:
            if a not in peers[b]:
                peers[b].append(a)
    return Chart(ids=tuple(index), parent=parent, role=role,
                 team=tuple(row.get("team", "") for row in rows),
                 peers=tuple(tuple(p) for p in peers))


@lru_cache(maxsize=32)
def _read_cached(path: str, modified: float, size: int) -> Chart:
    location = Path(path)
    reader = _rows_graphml if location.suffix.lower() == ".graphml" else _rows_csv
    return parse_chart(reader(location), path)


def read_chart(path: str | Path) -> Chart:
    """Read and validate a chart file (CSV, or GraphML by its ``.graphml`` suffix)."""
    location = Path(path)
    if not str(path):
        raise ConfigError("firm.org_chart is empty: structure 'org_chart' needs a chart file "
                          "(firmsim chart STRUCTURE --out chart.csv writes one)")
    try:
        stat = location.stat()
    except OSError as error:
        raise ConfigError(f"firm.org_chart={str(path)!r}: cannot read it "
                          f"({error.strerror or error})") from None
    if not location.is_file():
        raise ConfigError(f"firm.org_chart={str(path)!r}: not a file")
    if stat.st_size > MAX_CHART_BYTES:
        raise ConfigError(f"firm.org_chart={str(path)!r}: {stat.st_size / 2**20:.0f} MB, more "
                          f"than the {MAX_CHART_BYTES // 2**20} MB a chart file may have")
    try:
        return _read_cached(str(location), stat.st_mtime, stat.st_size)
    except UnicodeDecodeError:
        raise ConfigError(f"firm.org_chart={str(path)!r}: not a UTF-8 text file") from None
    except csv.Error as error:
        raise ConfigError(f"firm.org_chart={str(path)!r}: malformed CSV ({error})") from None


def _depths(parent: np.ndarray) -> np.ndarray:
    depth = np.zeros(parent.shape[0], dtype=np.int64)
    for i in range(parent.shape[0]):
        d, p = 0, parent[i]
        while p >= 0:
            d, p = d + 1, parent[p]
        depth[i] = d
    return depth


def _csr(peers: tuple[tuple[int, ...], ...]) -> tuple[np.ndarray, np.ndarray]:
    lengths = np.array([len(p) for p in peers], dtype=np.int64)
    ptr = np.zeros(len(peers) + 1, dtype=np.int64)
    np.cumsum(lengths, out=ptr[1:])
    flat = np.array([q for p in peers for q in p], dtype=np.int64)
    return ptr, flat


def chart_kind(chart: Chart) -> str:
    """``"pods"`` with hubs, ``"tree"`` with reporting lines and no hub, else ``"network"``."""
    if (chart.role == HUB).any():
        return "pods"
    return "tree" if (chart.parent >= 0).any() else "network"


def organization_from_chart(chart: Chart, modules: int, segments: int) -> Organization:
    """The :class:`Organization` a chart describes (the rule in the module docstring)."""
    employees = len(chart.ids)
    role = chart.role.copy()
    has_reports = np.zeros(employees, dtype=bool)
    has_reports[chart.parent[chart.parent >= 0]] = True
    parent = np.where((chart.parent < 0) & ~has_reports, -2, chart.parent).astype(np.int64)
    kind = chart_kind(chart)
    if kind == "pods":
        # A hub decides what reaches it even before any pod reports to it.
        parent[(role == HUB) & (chart.parent < 0)] = -1
    senses = np.isin(role, (FRONTLINE, MARKETING, POD_MEMBER))
    peer_ptr, peers = _csr(chart.peers)
    has_peers = np.diff(peer_ptr) > 0
    decides_locally = senses & ((role == POD_MEMBER) | (parent == -2) | has_peers)
    pairs = np.arange(modules * segments, dtype=np.int64)
    pod = np.full(employees, -1, dtype=np.int64)
    survey_only = np.zeros(employees, dtype=bool)
    if kind == "pods":
        labels: dict[str, int] = {}
        members = np.flatnonzero(role == POD_MEMBER)
        for i in members:
            pod[i] = labels.setdefault(chart.team[i] or f"hub {chart.parent[i]}", len(labels))
        pods = max(1, len(labels))
        pod_pairs, pod_pair_count = scope_cycles(pods, pairs)
        team_size = np.bincount(pod[members], minlength=pods)
        cycle, length = _scope_table(employees, int(pod_pair_count.max()),
                                     int(team_size.min(initial=1)) or 1)
        for p in range(pods):
            _assign_scopes(cycle, length, members[pod[members] == p],
                           pod_pairs[p, :pod_pair_count[p]])
    elif kind == "tree":
        cycle, length = _scope_table(employees, pairs.size, 1)
        if (role == MARKETING).any():
            survey_only = senses & (role != MARKETING)
            groups = [np.flatnonzero(role == MARKETING), np.flatnonzero(survey_only)]
        else:
            groups = [np.flatnonzero(senses)]
        for group in groups:
            _assign_scopes(cycle, length, group, pairs)
    else:
        cycle, length = scope_cycles(employees, pairs)
        sensors = np.flatnonzero(senses)
        if sensors.size != employees:
            cycle, length = _scope_table(employees, pairs.size, max(1, sensors.size))
            _assign_scopes(cycle, length, sensors, pairs)
    reports = np.flatnonzero(chart.parent >= 0)
    sources = np.repeat(np.arange(employees), np.diff(peer_ptr))
    keep = sources < peers
    edges = np.concatenate([np.column_stack([sources[keep], peers[keep]]),
                            np.column_stack([reports, chart.parent[reports]])]).astype(np.int64)
    return Organization(
        role=role, parent=parent, depth=_depths(parent), module=np.full(employees, -2, np.int64),
        segment=np.full(employees, -1, np.int64), senses=senses, survey_only=survey_only,
        decides_locally=decides_locally, pod=pod, peer_ptr=peer_ptr, peers=peers, edges=edges,
        kind=kind, scope_cycle=cycle, scope_length=length,
    )


def build_from_chart(config, rng: np.random.Generator) -> Organization:
    """Builder of the ``org_chart`` structure: the chart in ``config.firm.org_chart``."""
    chart = read_chart(config.firm.org_chart)
    org = organization_from_chart(chart, config.market.modules, config.market.segments)
    current_scopes(org, 0, config.market.modules)
    return org


def chart_structure(org: Organization, config) -> registry.Structure:
    """The ``org_chart`` structure's rules for a built chart (the rule in the docstring)."""
    base = registry.get("structure", "org_chart")
    if org.kind == "pods":
        rules = dict(tops_decide=True, decision_order="arrival", hub_review=True,
                     rescope_pods=True, employees_converse="everyone")
    elif org.kind == "tree":
        rules = dict(tops_decide=True, decision_order="best_first", hub_review=False,
                     rescope_pods=False, employees_converse=(
                         "marketing" if (org.role == MARKETING).any() else "official"))
    else:
        rules = dict(tops_decide=False, decision_order=None, hub_review=False,
                     rescope_pods=False, employees_converse="everyone")
    return dataclasses.replace(base, partners_propose=config.firm.org_chart_partners, **rules)

