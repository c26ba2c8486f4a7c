"""Random-graph generator kernels: Watts-Strogatz, Barabasi-Albert, Erdos-Renyi G(n, M), CSR.

Their plain-Python reference twins live in ``tests/naive.py``; they draw the same uniforms in
the same order and do the same arithmetic on them, so kernel and twin return equal arrays.
The twins keep the set of present edges in a Python ``set``; the kernels keep it in the
open-addressing hash table below (linear probing, at most half full). The table is only
ever asked "is this edge present?", so the hash function changes speed, never results.

Randomness
----------
Kernels draw no random numbers. The caller passes ``uniforms``, a float64 pool drawn from the
run's numpy Generator, which a kernel reads front to back. Rejection loops make the number of
draws random, so each generator returns ``used``: the count it consumed, or ``-1`` if the pool
ran out (the caller then extends the pool with further draws from the same Generator and calls
again; the graph therefore depends only on the stream of uniforms, not on the pool size).

A uniform ``r`` in [0, 1) becomes an integer in ``[0, count)`` as ``int(r * count)``, clamped
to ``count - 1`` (rounding of ``r * count`` can reach ``count`` for ``r`` just below 1).

Edge keys
---------
An undirected edge ``{u, v}`` with ``u < v`` is the int64 key ``u * n + v``; ``n`` is below
2**31 so the key fits.
"""

import numpy as np

from simulation.kernels._config import kernel

#: Marks an empty slot in the hash table (keys are never negative).
EMPTY = -1

#: 2**64 / golden ratio: Fibonacci hashing spreads the structured lattice keys
#: ``u * n + u + j`` over the table, which the identity hash would cluster.
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)

#: Rows up to this length are sorted by insertion sort in :func:`csr_from_edge_arrays`.
_SHORT_ROW = 32


@kernel
def _slot(key, shift):
    """Home slot of ``key``: top bits of ``key * golden`` (wrapping uint64 product)."""
    return np.int64((np.uint64(key) * _GOLDEN) >> np.uint64(shift))


@kernel
def _new_table(capacity):
    """Empty table for up to ``capacity`` keys, at most half full (short probe runs).

    Returns the table and the shift that turns a 64-bit hash into a slot number.
    """
    bits = 4
    while (1 << bits) < 2 * capacity:
        bits += 1
    table = np.empty(1 << bits, dtype=np.int64)
    table[:] = EMPTY
    return table, 64 - bits


@kernel
def _table_contains(table, shift, key):
    """True if ``key`` is in the table (linear probing)."""
    mask = table.shape[0] - 1
    i = _slot(key, shift)
    while True:
        found = table[i]
        if found == key:
            return True
        if found == EMPTY:
            return False
        i = (i + 1) & mask


@kernel
def _table_add(table, shift, key):
    """Insert ``key``; True if it was new, False if already present."""
    mask = table.shape[0] - 1
    i = _slot(key, shift)
    while True:
        found = table[i]
        if found == EMPTY:
            table[i] = key
            return True
        if found == key:
            return False
        i = (i + 1) & mask


@kernel
def _table_grown(table, shift):
    """A table of twice the size holding the same keys (keeps the load at most one half)."""
    bigger = np.empty(2 * table.shape[0], dtype=np.int64)
    bigger[:] = EMPTY
    for key in table:
        if key != EMPTY:
            _table_add(bigger, shift - 1, key)
    return bigger, shift - 1


@kernel
def _edge_key(u, v, n):
    """Key of the undirected edge ``{u, v}``."""
    if u < v:
        return np.int64(u) * n + v
    return np.int64(v) * n + u


@kernel
def _draw_index(r, count):
    """``int(r * count)`` clamped to ``count - 1``."""
    index = np.int64(r * count)
    if index >= count:
        index = count - 1
    return index


@kernel
def _lattice_has(targets, n, half, u, w):
    """True if lattice edge ``{u, w}`` is still in place (has not been rewired away).

    Lattice edge ``(a, a + d)`` sits at ``e = (d - 1) * n + a``; it is in place while
    ``targets[e]`` is still ``a + d``, since a rewired edge never points at a node that was
    already a neighbour. ``2 * half < n``, so at most one of the two directions is a lattice
    distance.
    """
    d = (w - u) % n
    if d <= half:
        return targets[(d - 1) * n + u] == w
    if n - d <= half:
        return targets[(n - d - 1) * n + w] == u
    return False


@kernel
def watts_strogatz_edges(n, half, p, uniforms):
    """Watts-Strogatz small world: ring lattice, then rewire each lattice edge with prob. ``p``.

    Same procedure as ``networkx.watts_strogatz_graph``: node ``u`` is joined to ``u + 1`` ..
    ``u + half`` (mod ``n``); then, distance ``j`` in the outer loop and node ``u`` in the inner
    loop, edge ``(u, u + j)`` is rewired with probability ``p`` to ``(u, w)``, ``w`` uniform over
    the nodes that are neither ``u`` nor a neighbour of ``u`` (rejection), unless ``u`` is already
    joined to every node. Draws: one uniform per lattice edge, then one per target tried.

    The set of present edges (a Python set in the twin) is kept in two parts: lattice edges
    are looked up in ``targets`` itself (:func:`_lattice_has`), and only edges added by
    rewiring go into the hash table. Each lattice edge is rewired at most once and added edges
    are never removed, so the table needs no deletion, and it stays small when ``p`` is small.

    Returns
    -------
    sources, targets : int32 (n * half,)
        Edge ``(j - 1) * n + u`` is lattice edge ``(u, u + j)`` or its rewired replacement.
    used : int
        Uniforms consumed, or -1 if ``uniforms`` ran out.
    """
    edges = n * half
    sources = np.empty(edges, dtype=np.int32)
    targets = np.empty(edges, dtype=np.int32)
    for j in range(1, half + 1):
        for u in range(n):
            sources[(j - 1) * n + u] = u
            targets[(j - 1) * n + u] = (u + j) % n
    degree = np.empty(n, dtype=np.int64)
    degree[:] = 2 * half
    table, shift = _new_table(64)
    added = 0
    total = uniforms.shape[0]
    used = 0
    for j in range(1, half + 1):
        for u in range(n):
            e = (j - 1) * n + u
            if used >= total:
                return sources, targets, -1
            r = uniforms[used]
            used += 1
            if r < p and degree[u] < n - 1:
                while True:
                    if used >= total:
                        return sources, targets, -1
                    # Uniform over the n - 1 nodes other than u: skip over u itself.
                    w = _draw_index(uniforms[used], n - 1)
                    used += 1
                    if w >= u:
                        w += 1
                    if not _lattice_has(targets, n, half, u, w) and not _table_contains(
                        table, shift, _edge_key(u, w, n)
                    ):
                        break
                v = targets[e]
                targets[e] = w
                if 2 * (added + 1) > table.shape[0]:
                    table, shift = _table_grown(table, shift)
                _table_add(table, shift, _edge_key(u, w, n))
                added += 1
                degree[v] -= 1
                degree[w] += 1
    return sources, targets, used


@kernel
def barabasi_albert_edges(n, m, uniforms):
    """Barabasi-Albert preferential attachment from a star seed of ``m + 1`` nodes.

    Same procedure as ``networkx.barabasi_albert_graph`` with its default seed graph: node 0 is
    joined to nodes 1..m; each later node ``s`` picks ``m`` distinct targets, each drawn
    uniformly from ``repeated`` (every node listed once per edge end it has, so the chance is
    proportional to degree; repeats of an already picked target are redrawn). The new edge ends
    are appended to ``repeated`` only after all ``m`` targets are picked.

    Returns
    -------
    sources, targets : int32 (m + (n - m - 1) * m,)
        Edges in creation order.
    used : int
        Uniforms consumed, or -1 if ``uniforms`` ran out.
    """
    edges = m + (n - m - 1) * m
    sources = np.empty(edges, dtype=np.int32)
    targets = np.empty(edges, dtype=np.int32)
    repeated = np.empty(2 * edges, dtype=np.int32)
    # picked_by[x] == s marks x as already a target of s: O(1) duplicate test even for large m.
    picked_by = np.empty(n, dtype=np.int32)
    picked_by[:] = -1
    e = 0
    size = 0
    for leaf in range(1, m + 1):
        sources[e] = leaf
        targets[e] = 0
        e += 1
        repeated[size] = 0
        repeated[size + 1] = leaf
        size += 2
    total = uniforms.shape[0]
    used = 0
    for s in range(m + 1, n):
        picked = 0
        while picked < m:
            if used >= total:
                return sources, targets, -1
            x = repeated[_draw_index(uniforms[used], size)]
            used += 1
            if picked_by[x] == s:
                continue
            picked_by[x] = s
            sources[e] = s
            targets[e] = x
            e += 1
            picked += 1
        for t in range(e - m, e):
            repeated[size] = targets[t]
            size += 1
        for _ in range(m):
            repeated[size] = s
            size += 1
    return sources, targets, used


@kernel
def gnm_edges(n, m, uniforms):
    """Erdos-Renyi G(n, M): ``m`` distinct edges drawn uniformly among all node pairs.

    Each attempt draws two uniforms, ``u`` and ``v`` uniform over the ``n`` nodes; a self-loop
    or an edge already drawn is rejected. Ordered pairs with ``u != v`` are uniform, so
    unordered pairs are too, and rejecting repeats makes the edge set a uniform ``m``-subset.

    Returns
    -------
    sources, targets : int32 (m,)
        Edges in draw order, ``sources < targets``.
    used : int
        Uniforms consumed, or -1 if ``uniforms`` ran out.
    """
    sources = np.empty(m, dtype=np.int32)
    targets = np.empty(m, dtype=np.int32)
    table, shift = _new_table(m)
    total = uniforms.shape[0]
    used = 0
    count = 0
    while count < m:
        if used + 2 > total:
            return sources, targets, -1
        u = _draw_index(uniforms[used], n)
        v = _draw_index(uniforms[used + 1], n)
        used += 2
        if u == v:
            continue
        if u > v:
            u, v = v, u
        if _table_add(table, shift, np.int64(u) * n + v):
            sources[count] = u
            targets[count] = v
            count += 1
    return sources, targets, used


@kernel
def csr_from_edge_arrays(n, sources, targets):
    """Symmetric CSR adjacency of the undirected edges ``(sources[e], targets[e])``.

    Self-loops are dropped and repeated edges (in either direction) kept once. Rows are
    filled by a counting sort on the row, then each row is sorted and compacted in place, so
    the work is linear in the edge count plus the small per-row sorts, and the only large
    allocation is ``indices`` itself.

    Returns
    -------
    indptr : int64 (n + 1,)
    indices : int32 (indptr[n],)
        Neighbours of ``i`` are ``indices[indptr[i]:indptr[i + 1]]``, ascending.
    """
    indptr = np.zeros(n + 1, dtype=np.int64)
    for e in range(sources.shape[0]):
        s = sources[e]
        t = targets[e]
        if s != t:
            indptr[s + 1] += 1
            indptr[t + 1] += 1
    for i in range(n):
        indptr[i + 1] += indptr[i]
    indices = np.empty(indptr[n], dtype=np.int32)
    fill = indptr[:n].copy()
    for e in range(sources.shape[0]):
        s = sources[e]
        t = targets[e]
        if s != t:
            indices[fill[s]] = t
            fill[s] += 1
            indices[fill[t]] = s
            fill[t] += 1
    # Compact leftwards: the write position never passes the read position.
    write = 0
    start = 0
    for i in range(n):
        end = indptr[i + 1]
        indptr[i] = write
        if end - start > _SHORT_ROW:
            indices[start:end].sort()
        else:
            # Insertion sort: most rows hold about ten entries, where the library sort's call
            # overhead cost three times as much (measured at n = 1,000,000).
            for a in range(start + 1, end):
                x = indices[a]
                b = a - 1
                while b >= start and indices[b] > x:
                    indices[b + 1] = indices[b]
                    b -= 1
                indices[b + 1] = x
        for q in range(start, end):
            x = indices[q]
            if write == indptr[i] or indices[write - 1] != x:
                indices[write] = x
                write += 1
        start = end
    indptr[n] = write
    if write < indices.shape[0]:
        return indptr, indices[:write].copy()
    return indptr, indices
