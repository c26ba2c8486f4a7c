"""Organizational structures as arrays: who reports to whom, who senses, who decides.

A structure is an :class:`Organization`: per-employee arrays (struct-of-arrays) plus a
peer graph in CSR form. Each preset is defined once, as a :class:`StructureSpec` in
:data:`STRUCTURE_SPECS`; the organization submodel (:mod:`simulation.organization`) reads
its properties and never tests a structure's name: ``hierarchy`` and ``siloed_social`` are
trees whose top decides best-first, ``network`` a small world of local deciders, ``podular``
and ``open`` pods whose hubs check decisions in arrival order (``open`` adds partners'
proposals). ``docs/ODD.md`` section 5 describes each builder.

The continuous dial ``lateral_links`` (Dodds, Watts & Sabel 2003) adds random lateral links
among the frontline of a tree: ``round(lateral_links * frontline * network_degree / 2)``
links. A frontline employee with at least one lateral link decides its own proposals after
peer review with its lateral neighbours, as in the network; the others escalate. At 0 the
tree is a pure hierarchy; near 1 almost every proposal is decided locally.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import numpy as np

from .networks import build_network, csr_from_edges
from .vocabulary import (
    FRONTLINE,
    HUB,
    MANAGER,
    MARKETING,
    POD_MEMBER,
    ConversationMode,
    DecisionOrder,
    StructureName,
)

#: Small-world rewiring probability of the employees' peer network in ``network``: a few
#: long ties on a ring lattice, Watts & Strogatz's (1998) small-world regime, so reviews
#: reach across the firm in a few hops while peers stay mostly local.
PEER_REWIRING = 0.1


@dataclass
class Organization:
    """Employees of one firm as arrays (index = employee number).

    Attributes
    ----------
    role : int8 (E,)               one of FRONTLINE, MANAGER, MARKETING, POD_MEMBER, HUB
    parent : int64 (E,)            where proposals go next (-1: decides them; -2: no one)
    depth : int64 (E,)             hops to the top of its tree (implementation lag down)
    module : int64 (E,)            module in scope (-1: any module; -2: none)
    segment : int64 (E,)           segment in scope (-1: none)
    senses : bool (E,)             tests changes on customers
    survey_only : bool (E,)        senses only on survey steps (siloed_social)
    decides_locally : bool (E,)    decides its own proposals after peer review
    pod : int64 (E,)               pod number (-1: none)
    peer_ptr, peers : CSR          whom an employee asks for review
    alive : uint8 (E,)             still employed
    edges : int64 (L, 2)           links to draw (reporting lines, lateral links, pod ties)
    kind : str                     "tree", "network" or "pods"
    """

    role: np.ndarray
    parent: np.ndarray
    depth: np.ndarray
    module: np.ndarray
    segment: np.ndarray
    senses: np.ndarray
    survey_only: np.ndarray
    decides_locally: np.ndarray
    pod: np.ndarray
    peer_ptr: np.ndarray
    peers: np.ndarray
    edges: np.ndarray
    kind: str
    alive: np.ndarray = field(default=None)

    def __post_init__(self) -> None:
        if self.alive is None:
            self.alive = np.ones(self.role.shape[0], dtype=np.uint8)

    @property
    def size(self) -> int:
        return int(self.role.shape[0])


def _tree_parents(employees: int, span: int) -> np.ndarray:
    """Breadth-first tree: employee ``i``'s manager is ``(i - 1) // span``; 0 is the top."""
    parent = (np.arange(employees, dtype=np.int64) - 1) // span
    parent[0] = -1
    return parent


def _depths(parent: np.ndarray) -> np.ndarray:
    depth = np.zeros(parent.shape[0], dtype=np.int64)
    for i in range(parent.shape[0]):  # parents precede children in breadth-first order
        if parent[i] >= 0:
            depth[i] = depth[parent[i]] + 1
    return depth


def _round_robin_scopes(count: int, modules: int, segments: int):
    """Scopes covering every (module, segment) pair as evenly as possible."""
    order = np.arange(count, dtype=np.int64)
    return order % modules, (order // modules) % segments


def build_tree(config, rng: np.random.Generator, siloed: bool) -> Organization:
    """``hierarchy`` (and, with ``siloed``, ``siloed_social``), plus the lateral-link dial."""
    firm, market = config.firm, config.market
    employees = firm.employees
    span = max(2, firm.span) if employees > 2 else 1
    parent = _tree_parents(employees, span)
    depth = _depths(parent)
    has_children = np.zeros(employees, dtype=bool)
    has_children[parent[parent >= 0]] = True
    frontline = np.flatnonzero(~has_children)
    role = np.where(has_children, MANAGER, FRONTLINE).astype(np.int8)
    module = np.full(employees, -2, dtype=np.int64)
    segment = np.full(employees, -1, dtype=np.int64)
    module[frontline], segment[frontline] = _round_robin_scopes(
        frontline.shape[0], market.modules, market.segments
    )
    senses = ~has_children
    survey_only = np.zeros(employees, dtype=bool)
    if siloed:
        # The marketing branch is the last division under the top: it senses all modules
        # through social channels every step; the other branches wait for surveys.
        division = np.where(depth >= 1, 0, -1)
        for i in range(1, employees):
            division[i] = i if depth[i] == 1 else division[parent[i]]
        marketing_division = division[depth == 1].max() if employees > 1 else -1
        in_marketing = (division == marketing_division) & (depth >= 1)
        role[in_marketing & senses] = MARKETING
        module[in_marketing & senses] = -1
        survey_only = senses & ~in_marketing
    edges = [np.column_stack([np.arange(1, employees), parent[1:]])]
    lateral_count = int(round(firm.lateral_links * frontline.shape[0] * firm.network_degree / 2))
    decides_locally = np.zeros(employees, dtype=bool)
    if lateral_count > 0 and frontline.shape[0] > 1:
        a = frontline[rng.integers(frontline.shape[0], size=lateral_count)]
        b = frontline[rng.integers(frontline.shape[0], size=lateral_count)]
        peer_ptr, peers = csr_from_edges(employees, a, b)
        lateral_degree = np.diff(peer_ptr)
        decides_locally = senses & (lateral_degree > 0)
        keep = a != b
        edges.append(np.column_stack([a[keep], b[keep]]))
    else:
        peer_ptr, peers = csr_from_edges(employees, np.empty(0, np.int64), np.empty(0, np.int64))
    return Organization(
        role=role, parent=parent, depth=depth, module=module, segment=segment, senses=senses,
        survey_only=survey_only, decides_locally=decides_locally,
        pod=np.full(employees, -1, dtype=np.int64), peer_ptr=peer_ptr, peers=peers,
        edges=np.concatenate(edges).astype(np.int64), kind="tree",
    )


def build_flat_network(config, rng: np.random.Generator) -> Organization:
    """``network``: everyone senses and decides; peers are small-world neighbours."""
    firm, market = config.firm, config.market
    employees = firm.employees
    degree = min(firm.network_degree, employees - 1)
    peer_ptr, peers = build_network("small_world", employees, max(1, degree), PEER_REWIRING,
                                    rng)
    module, segment = _round_robin_scopes(employees, market.modules, market.segments)
    sources = np.repeat(np.arange(employees), np.diff(peer_ptr))
    keep = sources < peers
    return Organization(
        role=np.full(employees, FRONTLINE, dtype=np.int8),
        parent=np.full(employees, -2, dtype=np.int64),
        depth=np.zeros(employees, dtype=np.int64), module=module, segment=segment,
        senses=np.ones(employees, dtype=bool), survey_only=np.zeros(employees, dtype=bool),
        decides_locally=np.ones(employees, dtype=bool),
        pod=np.full(employees, -1, dtype=np.int64), peer_ptr=peer_ptr,
        peers=peers.astype(np.int64),
        edges=np.column_stack([sources[keep], peers[keep]]).astype(np.int64), kind="network",
    )


def build_pods(config, rng: np.random.Generator) -> Organization:
    """``podular`` and ``open``: pods owning a (module, segment), hubs aligning them.

    With ``E`` employees, ``H = max(1, round(E / (pod_size * hub_span + 1)))`` hubs and
    ``P = max(1, (E - H) // pod_size)`` pods; leftover employees join pods round-robin. Pod
    ``p`` owns module ``p mod G`` and segment ``(p div G) mod S`` and reports to hub
    ``p mod H``. Members review each other; their approved proposals queue at the hub.
    """
    firm, market = config.firm, config.market
    employees = firm.employees
    hubs = max(1, int(round(employees / (firm.pod_size * firm.hub_span + 1))))
    hubs = min(hubs, employees - 1)
    members = employees - hubs
    pods = max(1, members // firm.pod_size)
    member_ids = np.arange(hubs, employees, dtype=np.int64)
    pod = np.full(employees, -1, dtype=np.int64)
    pod[member_ids] = np.arange(members) % pods
    pod_module, pod_segment = _round_robin_scopes(pods, market.modules, market.segments)
    pod_hub = np.arange(pods, dtype=np.int64) % hubs
    role = np.full(employees, POD_MEMBER, dtype=np.int8)
    role[:hubs] = HUB
    parent = np.full(employees, -1, dtype=np.int64)
    parent[member_ids] = pod_hub[pod[member_ids]]
    module = np.full(employees, -2, dtype=np.int64)
    segment = np.full(employees, -1, dtype=np.int64)
    module[member_ids] = pod_module[pod[member_ids]]
    segment[member_ids] = pod_segment[pod[member_ids]]
    # Pod members form a clique: everyone in a pod reviews everyone else's proposals.
    sources, targets = [], []
    for p in range(pods):
        team = member_ids[pod[member_ids] == p]
        a, b = np.meshgrid(team, team)
        upper = a < b
        sources.append(a[upper])
        targets.append(b[upper])
    sources = np.concatenate(sources) if sources else np.empty(0, np.int64)
    targets = np.concatenate(targets) if targets else np.empty(0, np.int64)
    peer_ptr, peers = csr_from_edges(employees, sources, targets)
    edges = np.concatenate([
        np.column_stack([sources, targets]),
        np.column_stack([member_ids, parent[member_ids]]),
    ]).astype(np.int64)
    senses = role == POD_MEMBER
    return Organization(
        role=role, parent=parent, depth=np.where(role == HUB, 0, 1).astype(np.int64),
        module=module, segment=segment, senses=senses,
        survey_only=np.zeros(employees, dtype=bool), decides_locally=senses.copy(), pod=pod,
        peer_ptr=peer_ptr, peers=peers.astype(np.int64), edges=edges, kind="pods",
    )


@dataclass(frozen=True)
class StructureSpec:
    """One preset structure: how it is built and how its step runs.

    Attributes
    ----------
    name : str
        The preset's name (a :data:`simulation.vocabulary.STRUCTURES` entry).
    builder : callable
        ``builder(config, rng) -> Organization``.
    senses, decides : str
        Who tests changes and who decides them (documentation; the arrays of the built
        :class:`Organization` carry the rule).
    tops_decide : bool
        Escalated proposals climb to tops (parent -1) that decide them against the projected
        product; False where nobody escalates (``network``).
    decision_order : {"best_first", "arrival"} or None
        How a top judges what reached it: ``best_first`` ranks the proposals by their
        projected gain and approves from the best (a CEO comparing options, March & Simon
        1958); ``arrival`` judges them one by one as they come (a hub clearing a queue).
        None where there are no tops.
    hub_review : bool
        Proposals a pod approved still go to its hub, which may veto them; with no hub left
        the pod's decision stands. False: only non-local deciders escalate.
    partners_propose : bool
        Partner customers and partner stakeholders bring proposals too (``open``).
    rescope_pods : bool
        When a segment arrives, whole pods turn to it (True) rather than single sensors.
    employees_converse : {"everyone", "marketing", "official"}
        Who takes part in the customer conversation (:mod:`simulation.conversation`):
        every sensing employee, only the marketing branch, or only the marketing function's
        official voice.
    """

    name: StructureName
    builder: Callable[..., Organization]
    senses: str
    decides: str
    tops_decide: bool
    decision_order: DecisionOrder | None
    hub_review: bool = False
    partners_propose: bool = False
    rescope_pods: bool = False
    employees_converse: ConversationMode = "official"

    @property
    def best_first(self) -> bool:
        """Whether tops rank what reached them before deciding."""
        return self.decision_order == "best_first"


_PODS = dict(builder=build_pods, senses="pod members", tops_decide=True,
             decision_order="arrival", hub_review=True, rescope_pods=True,
             employees_converse="everyone")

#: Every preset, keyed by name: the one place a structure is defined.
STRUCTURE_SPECS: dict[str, StructureSpec] = {spec.name: spec for spec in (
    StructureSpec("hierarchy", partial(build_tree, siloed=False), senses="frontline leaves",
                  decides="the top, best-first", tops_decide=True,
                  decision_order="best_first"),
    StructureSpec("siloed_social", partial(build_tree, siloed=True),
                  senses="marketing branch each step; other branches on survey steps",
                  decides="the top, best-first", tops_decide=True,
                  decision_order="best_first", employees_converse="marketing"),
    StructureSpec("network", build_flat_network, senses="everyone",
                  decides="each proposer after peer review", tops_decide=False,
                  decision_order=None, employees_converse="everyone"),
    StructureSpec("podular", decides="the pod after peer review; its hub may veto", **_PODS),
    StructureSpec("open", decides="as podular; partners' proposals go to the owning pod",
                  partners_propose=True, **_PODS),
)}


def build_organization(config, rng: np.random.Generator) -> Organization:
    """The organization of ``config.structure``."""
    return STRUCTURE_SPECS[config.structure].builder(config, rng)


def repair_after_loss(org: Organization, leaving: np.ndarray) -> None:
    """Remove employees ``leaving`` and repair the structure (in place).

    Rule: a tree re-attaches the reports of a departed manager to its nearest remaining
    manager above; if the top leaves, its lowest-numbered remaining direct report is
    promoted. Pods keep working with fewer members (a pod with no one left stops sensing);
    the pods of a departed hub move to the lowest-numbered remaining hub, and when no hub is
    left pod decisions go through unchecked. In the flat network departed employees simply
    drop out of their peers' reviews. Depths are recomputed, so implementation lags follow.
    """
    org.alive[leaving] = 0
    alive = org.alive.astype(bool)
    if org.kind == "tree":
        parent = org.parent
        if not alive[parent == -1].any():
            old_top = int(np.flatnonzero(parent == -1)[0])
            candidates = np.flatnonzero(alive & (parent == old_top))
            if candidates.size == 0:
                candidates = np.flatnonzero(alive)
            if candidates.size:
                new_top = int(candidates[0])
                parent[new_top] = -1
                parent[parent == old_top] = new_top
        for i in range(parent.shape[0]):
            p = parent[i]
            while p >= 0 and not alive[p]:
                p = parent[p]
            parent[i] = p
        # Recompute depths; a re-attached employee may now sit under a later index.
        depth = np.zeros_like(org.depth)
        for i in range(parent.shape[0]):
            d, p = 0, parent[i]
            while p >= 0:
                d, p = d + 1, parent[p]
            depth[i] = d
        org.depth[:] = depth
        has_reports = np.zeros(parent.shape[0], dtype=bool)
        has_reports[parent[(parent >= 0) & alive]] = True
        # A promoted frontline employee stops sensing: it now manages.
        org.senses &= ~has_reports
    elif org.kind == "pods":
        hubs = np.flatnonzero((org.role == HUB) & alive)
        members = org.role == POD_MEMBER
        orphaned = members & (org.parent >= 0) & ~alive[np.maximum(org.parent, 0)]
        if hubs.size:
            org.parent[orphaned] = hubs[0]
        else:
            org.parent[members] = -2  # no hub left: pods decide alone
    org.senses &= alive
