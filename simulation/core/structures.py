"""Organizational structures as arrays: who reports to whom, who senses, who decides.

A structure is an :class:`Organization`: per-employee arrays (struct-of-arrays) plus a
peer graph in CSR form. Each preset is declared once, as a
:class:`simulation.registry.Structure` (in :mod:`simulation.config.builtins`) whose builder
is here; the organization submodel (:mod:`simulation.core.organization`) reads
its properties and never tests a structure's name: ``hierarchy`` and ``siloed_social`` are
trees whose top decides best-first, ``network`` a small world of local deciders, ``podular``
and ``open`` pods whose hubs check decisions in arrival order (``open`` adds partners'
proposals). ``docs/ODD.md`` section 5 describes each builder.

The continuous dial ``lateral_links`` (Dodds, Watts & Sabel 2003) moves decision rights
from the top of a tree to its frontline linearly (:func:`lateral_links`): a share
``lateral_links`` of the frontline gets lateral links among itself (mean lateral degree
``network_degree``) and decides its own proposals after review by those peers, as in the
network; the others escalate. At 0 the tree is the hierarchy; at 1 every frontline employee
decides as in the network.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from simulation import registry
from simulation.config.vocabulary import (
    FRONTLINE,
    HUB,
    MANAGER,
    MARKETING,
    POD_MEMBER,
)
from simulation.core.networks import build_network, csr_from_edges

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
    scope_cycle : int64 (E, C)     the (module, segment) pairs an employee senses in turn, as
                                   pair numbers ``module + G * segment`` (-1: none)
    scope_length : int64 (E,)      how many pairs it rotates through (0: no scope; 1: fixed)

    Scopes: the sensors of a group share out every (module, segment) pair the group owns
    (:func:`scope_cycles`). With at least as many sensors as pairs each has one pair, round
    robin; with fewer, each rotates through several, one per step, so no pair goes unsensed
    whatever the firm's size (:func:`current_scopes` sets ``module`` and ``segment``).
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
    scope_cycle: np.ndarray = field(default=None)
    scope_length: np.ndarray = field(default=None)

    def __post_init__(self) -> None:
        if self.alive is None:
            self.alive = np.ones(self.role.shape[0], dtype=np.uint8)
        if self.scope_cycle is None:
            self.scope_cycle = np.full((self.role.shape[0], 1), -1, dtype=np.int64)
            self.scope_length = np.zeros(self.role.shape[0], dtype=np.int64)

    @property
    def size(self) -> int:
        return int(self.role.shape[0])

    @property
    def rotating(self) -> bool:
        """Whether some employee rotates through several scopes (a small firm)."""
        return bool((self.scope_length > 1).any())


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


def scope_cycles(count: int, pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Share ``pairs`` (pair numbers) out among ``count`` sensors.

    Sensor ``k`` takes pairs ``k, k + count, k + 2 count, ...`` of the list; when there are
    more sensors than pairs, sensor ``k`` takes pair ``k mod len(pairs)`` (round robin, so
    every pair has ``count / len(pairs)`` sensors, give or take one). Returns the cycle
    ``(count, C)`` padded with -1 and each sensor's cycle length.
    """
    pairs = np.asarray(pairs, dtype=np.int64)
    if count == 0 or pairs.size == 0:
        return np.full((count, 1), -1, dtype=np.int64), np.zeros(count, dtype=np.int64)
    if count >= pairs.size:
        return pairs[np.arange(count) % pairs.size][:, None], np.ones(count, dtype=np.int64)
    width = -(-pairs.size // count)
    cycle = np.full((count, width), -1, dtype=np.int64)
    length = np.zeros(count, dtype=np.int64)
    for k in range(count):
        own = pairs[k::count]
        cycle[k, :own.size] = own
        length[k] = own.size
    return cycle, length


def _assign_scopes(org_cycle, org_length, sensors, pairs) -> None:
    cycle, length = scope_cycles(sensors.shape[0], pairs)
    if cycle.shape[1] > org_cycle.shape[1]:
        raise ValueError("scope cycle wider than its table")
    org_cycle[sensors, :cycle.shape[1]] = cycle
    org_length[sensors] = length


def _scope_table(employees: int, pairs: int, sensors: int) -> tuple[np.ndarray, np.ndarray]:
    width = max(1, -(-pairs // max(1, sensors)))
    return (np.full((employees, width), -1, dtype=np.int64),
            np.zeros(employees, dtype=np.int64))


def current_scopes(org: Organization, t: int, modules: int) -> None:
    """Set ``module`` and ``segment`` to the pair each employee senses at step ``t``."""
    scoped = org.scope_length > 0
    index = np.where(scoped, t % np.maximum(org.scope_length, 1), 0)
    pair = org.scope_cycle[np.arange(org.size), index]
    org.module[:] = np.where(scoped, pair % modules, org.module)
    org.segment[:] = np.where(scoped, pair // modules, org.segment)


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
    pairs = np.arange(market.modules * market.segments, dtype=np.int64)
    senses = ~has_children
    survey_only = np.zeros(employees, dtype=bool)
    cycle, length = _scope_table(employees, pairs.size, 1)
    if siloed:
        # The marketing branch is the last division under the top. It hears customers through
        # social channels every step, within its own scopes; the other branches learn only
        # from surveys, which the marketing branch runs for them out of its own capacity
        # (ODD section 7, "Sensing"). Each group shares out every pair.
        division = np.where(depth >= 1, 0, -1)
        for i in range(1, employees):
            division[i] = i if depth[i] == 1 else division[parent[i]]
        marketing_division = division[depth == 1].max() if employees > 1 else -1
        in_marketing = (division == marketing_division) & (depth >= 1)
        role[in_marketing & senses] = MARKETING
        survey_only = senses & ~in_marketing
        groups = [np.flatnonzero(in_marketing & senses), np.flatnonzero(survey_only)]
    else:
        groups = [frontline]
    for group in groups:
        _assign_scopes(cycle, length, group, pairs)
    edges = [np.column_stack([np.arange(1, employees), parent[1:]])]
    a, b = lateral_links(firm.lateral_links, frontline, firm.network_degree, rng)
    peer_ptr, peers = csr_from_edges(employees, a, b)
    # A lateral link is the decision right of both its ends (peer review replaces the climb).
    decides_locally = senses & (np.diff(peer_ptr) > 0)
    if a.size:
        edges.append(np.column_stack([a, b]))
    return Organization(
        role=role, parent=parent, depth=depth, module=module, segment=segment, senses=senses,
        survey_only=survey_only, decides_locally=decides_locally,
        pod=np.full(employees, -1, dtype=np.int64), peer_ptr=peer_ptr, peers=peers,
        edges=np.concatenate(edges).astype(np.int64), kind="tree",
        scope_cycle=cycle, scope_length=length,
    )


def lateral_links(dial: float, frontline: np.ndarray, degree: int,
                  rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The lateral links of a tree at ``dial`` in [0, 1]: the two ends of each link.

    The dial moves decision rights linearly: ``m = round(dial x F)`` of the ``F`` frontline
    employees (a random subset) get lateral links, and a lateral link is the decision right of
    its ends (they decide their own proposals after review by their lateral peers, as in the
    network; everyone else escalates). The links carry the information of that review: a
    ring through the group gives each member a peer, and random pairs within the group bring
    the links to ``round(m x degree / 2)``, a mean lateral degree of ``degree`` (the
    network's). At 0 the tree is the hierarchy; at 1 every frontline employee decides after
    peer review with ``degree`` peers on average, the network's decision rule and degree,
    inside the tree's staff (its managers are still there, and paid, with nothing left to
    decide). A group of one has nobody to link to: below ``1.5 / F`` the dial is the tree.
    Links are never self-loops; a pair drawn twice is one link.
    """
    chosen = int(round(dial * frontline.shape[0]))
    if chosen < 2:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    group = rng.permutation(frontline)[:chosen]
    ring_a, ring_b = (group[:1], group[1:]) if chosen == 2 else (group, np.roll(group, -1))
    extra = max(0, int(round(chosen * degree / 2)) - ring_a.size)
    a = np.concatenate([ring_a, group[rng.integers(chosen, size=extra)]]).astype(np.int64)
    b = np.concatenate([ring_b, group[rng.integers(chosen, size=extra)]]).astype(np.int64)
    keep = a != b
    return a[keep], b[keep]


def build_flat_network(config, rng: np.random.Generator) -> Organization:
    """``network``: everyone senses and decides; peers are small-world neighbours."""
    firm, market = config.firm, config.market
    employees = firm.employees
    degree = min(firm.network_degree, employees - 1)
    peer_ptr, peers = build_network("small_world", employees, max(1, degree), PEER_REWIRING,
                                    rng)
    pairs = np.arange(market.modules * market.segments, dtype=np.int64)
    cycle, length = scope_cycles(employees, pairs)
    module, segment = np.full(employees, -2, np.int64), np.full(employees, -1, np.int64)
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
        scope_cycle=cycle, scope_length=length,
    )


def build_pods(config, rng: np.random.Generator) -> Organization:
    """``podular`` and ``open``: pods owning a (module, segment), hubs aligning them.

    With ``E`` employees, ``H = max(1, round(E / (pod_size * hub_span + 1)))`` hubs and
    ``P = max(1, (E - H) // pod_size)`` pods; leftover employees join pods round-robin. The
    ``G * S`` (module, segment) pairs are shared out among the pods (:func:`scope_cycles`):
    with at least as many pods as pairs, pod ``p`` owns module ``p mod G`` and segment
    ``(p div G) mod S``; with fewer, pod ``p`` owns pairs ``p, p + P, ...``, and its members
    share them out in turn, so a firm of any size senses every pair. Pod ``p`` reports to
    hub ``p mod H``. Members review each other; their approved proposals queue at the hub.
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
    pod_pairs, pod_pair_count = scope_cycles(
        pods, np.arange(market.modules * market.segments, dtype=np.int64))
    pod_hub = np.arange(pods, dtype=np.int64) % hubs
    role = np.full(employees, POD_MEMBER, dtype=np.int8)
    role[:hubs] = HUB
    parent = np.full(employees, -1, dtype=np.int64)
    parent[member_ids] = pod_hub[pod[member_ids]]
    module = np.full(employees, -2, dtype=np.int64)
    segment = np.full(employees, -1, dtype=np.int64)
    team_size = np.bincount(pod[member_ids], minlength=pods)
    cycle, length = _scope_table(
        employees, int(pod_pair_count.max()), int(team_size.min(initial=1)) or 1)
    for p in range(pods):
        _assign_scopes(cycle, length, member_ids[pod[member_ids] == p],
                       pod_pairs[p, :pod_pair_count[p]])
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
        scope_cycle=cycle, scope_length=length,
    )


def build_hierarchy(config, rng: np.random.Generator) -> Organization:
    """``hierarchy``: a tree whose leaves sense and whose top decides (see :func:`build_tree`)."""
    return build_tree(config, rng, siloed=False)


def build_siloed_social(config, rng: np.random.Generator) -> Organization:
    """``siloed_social``: the tree with a marketing branch (see :func:`build_tree`)."""
    return build_tree(config, rng, siloed=True)


def build_organization(config, rng: np.random.Generator) -> Organization:
    """The organization of ``config.structure``, with every sensor's scope for step 0."""
    org = registry.get("structure", config.structure).build(config, rng)
    current_scopes(org, 0, config.market.modules)
    return org


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
            # Every earlier top that left is still marked -1: take all of them, so a second
            # loss of the top does not leave the reports of an earlier one as a second top.
            old_tops = parent == -1
            candidates = np.flatnonzero(alive & np.isin(parent, np.flatnonzero(old_tops)))
            if candidates.size == 0:
                candidates = np.flatnonzero(alive)
            if candidates.size:
                new_top = int(candidates[0])
                parent[old_tops | np.isin(parent, np.flatnonzero(old_tops))] = new_top
                parent[new_top] = -1
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
