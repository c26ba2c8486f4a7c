"""Social networks of customers and employees, as CSR arrays that scale to millions of nodes.

A network is two arrays: ``indptr`` (int64, ``n + 1``) and ``indices`` (int32). The
undirected graph is stored in both directions: the neighbours of node ``i`` are
``indices[indptr[i]:indptr[i + 1]]``, ascending, without ``i`` itself and without repeats.
networkx spends hundreds of bytes and microseconds per edge; these generators spend tens of
bytes and tens of nanoseconds, so a million-node network of degree 10 builds in under a second.

:func:`build_network` makes one of :data:`NETWORK_KINDS`; :func:`csr_from_edges` turns any
edge list (for instance a hierarchy of employees) into the same CSR form.

The compiled generators are in :mod:`simulation.kernels.graphs` (their set-based reference
twins, which draw the same uniforms in the same order, are in ``tests/naive.py``).
Randomness comes only from the numpy Generator passed in: uniforms are drawn into a pool that
the generator reads; if rejections exhaust the pool, the pool is extended with further draws
from the same Generator and the graph is built again. Since
``rng.random(a)`` followed by ``rng.random(b)`` is the start of ``rng.random(a + b)``, the
graph depends only on the Generator's state, not on the pool-size guess.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from numbers import Real

import numpy as np

from simulation.config.vocabulary import (
    NETWORK_KINDS as NETWORK_KINDS,
)  # re-exported: tests loop over it
from simulation.errors import ConfigError
from simulation.kernels import graphs

#: ``indices`` is int32; node numbers must fit.
MAX_NODES = 2**31 - 1


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def build_network(
    kind: str,
    n: int,
    degree: int,
    rewiring: float,
    rng: np.random.Generator,
    *,
    field_prefix: str = "",
) -> tuple[np.ndarray, np.ndarray]:
    """Build a random social network on ``n`` nodes with mean degree about ``degree``.

    Parameters
    ----------
    kind : {"small_world", "scale_free", "random"}
        ``"small_world"``: Watts-Strogatz. Ring lattice, each node joined to its ``k // 2``
        nearest nodes on each side, where ``k`` is ``degree`` rounded down to even (at least
        2); then each lattice edge ``(u, u + j)`` is rewired with probability ``rewiring`` to
        ``(u, w)``, ``w`` uniform among nodes that are neither ``u`` nor already its neighbours
        (the procedure of ``networkx.watts_strogatz_graph``). Mean degree exactly ``k``.

        ``"scale_free"``: Barabasi-Albert preferential attachment with
        ``m = max(1, degree // 2)`` edges per new node, grown from a *star* seed of ``m + 1``
        nodes (node 0 joined to 1..m; networkx's default seed). Mean degree
        ``2 m (n - m) / n``, about ``degree`` for even ``degree``; the degree distribution has
        a power-law tail.

        ``"random"``: Erdos-Renyi G(n, M) with ``M = round(n * degree / 2)`` distinct edges
        drawn uniformly (Python's ``round``: halves go to even). Mean degree about
        ``degree``; degrees are nearly Poisson.
    n : int
        Number of nodes, 2 <= n <= 2**31 - 1.
    degree : int
        Target mean degree, 1 <= degree < n.
    rewiring : float
        Rewiring probability in [0, 1]; checked for every kind, used only by
        ``"small_world"``.
    rng : numpy.random.Generator
        The only source of randomness: the same Generator state gives the same graph.
    field_prefix : str
        Put in front of field names in error messages, e.g. ``"customers."``.

    Returns
    -------
    indptr : numpy.ndarray
        int64, shape ``(n + 1,)``.
    indices : numpy.ndarray
        int32, shape ``(2 * edges,)``; see the module docstring for the layout.

    Raises
    ------
    simulation.errors.ConfigError
        A one-line message naming the bad field (``network``, ``n``, ``degree``, ``rewiring``).
    """
    check_network_config(kind, n, degree, rewiring, field_prefix=field_prefix)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, not {type(rng).__name__}")
    n = int(n)
    degree = int(degree)
    if kind == "small_world":
        sources, targets = _small_world_edges(n, degree, float(rewiring), rng)
    elif kind == "scale_free":
        sources, targets = _scale_free_edges(n, degree, rng)
    else:
        sources, targets = _random_edges(n, degree, rng)
    return graphs.csr_from_edge_arrays(n, sources, targets)


def check_network_config(
    kind: object, n: object, degree: object, rewiring: object, *, field_prefix: str = ""
) -> None:
    """Raise :class:`ConfigError` unless :func:`build_network` accepts these values.

    Callers that validate a whole configuration before building anything can call this on
    its own. Fields are checked in the order network, n, degree, rewiring.
    """
    if kind not in NETWORK_KINDS:
        allowed = ", ".join(repr(k) for k in NETWORK_KINDS)
        raise ConfigError(f"{field_prefix}network={kind!r}: allowed values are {allowed}")
    if not _is_int(n) or not 2 <= n <= MAX_NODES:
        raise ConfigError(
            f"{field_prefix}n={n!r}: allowed values are integers from 2 to {MAX_NODES}"
        )
    if not _is_int(degree) or not 1 <= degree < n:
        raise ConfigError(
            f"{field_prefix}degree={degree!r}: allowed values are integers from 1 to "
            f"n - 1 = {n - 1}"
        )
    if kind == "small_world" and _lattice_degree(int(degree)) >= n:
        # Only degree 1 with n = 2: the ring lattice needs one neighbour on each side.
        raise ConfigError(
            f"{field_prefix}degree={degree!r}: small_world rounds degree up to the lattice "
            f"degree 2, so allowed values need n >= 3 (n={n})"
        )
    if (
        not isinstance(rewiring, Real)
        or isinstance(rewiring, bool)
        or not 0.0 <= float(rewiring) <= 1.0
    ):
        raise ConfigError(
            f"{field_prefix}rewiring={rewiring!r}: allowed values are numbers from 0 to 1"
        )


def csr_from_edges(
    n: int, sources: np.ndarray, targets: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric CSR adjacency of an undirected edge list on nodes ``0 .. n - 1``.

    Edge ``e`` joins ``sources[e]`` and ``targets[e]``; direction is ignored, self-loops are
    dropped and an edge given several times (either way round) is kept once.

    Parameters
    ----------
    n : int
        Number of nodes (rows), 1 <= n <= 2**31 - 1; nodes without edges get empty rows.
    sources, targets : array_like of int
        Equal-length 1-D arrays of node numbers in ``[0, n)``.

    Returns
    -------
    indptr : numpy.ndarray
        int64, shape ``(n + 1,)``.
    indices : numpy.ndarray
        int32; neighbours of ``i`` are ``indices[indptr[i]:indptr[i + 1]]``, ascending.

    Raises
    ------
    simulation.errors.ConfigError
        For a bad ``n``, mismatched shapes, non-integer arrays or out-of-range node numbers.
    """
    if not _is_int(n) or not 1 <= n <= MAX_NODES:
        raise ConfigError(f"n={n!r}: allowed values are integers from 1 to {MAX_NODES}")
    sources = _edge_array("sources", sources)
    targets = _edge_array("targets", targets)
    if sources.shape != targets.shape:
        raise ConfigError(
            f"targets has {targets.size} entries: allowed is the same count as sources "
            f"({sources.size})"
        )
    for name, array in (("sources", sources), ("targets", targets)):
        if array.size and (array.min() < 0 or array.max() >= n):
            bad = array.min() if array.min() < 0 else array.max()
            raise ConfigError(
                f"{name} contains node {bad}: allowed values are 0 to n - 1 = {n - 1}"
            )
    # Node numbers are below MAX_NODES, so int32 holds them; one dtype means the kernel is
    # compiled once (the customer network's generators give int32), not once per dtype.
    return graphs.csr_from_edge_arrays(int(n), sources.astype(np.int32, copy=False),
                                       targets.astype(np.int32, copy=False))


# --------------------------------------------------------------------------------------------
# Wrappers: parameters, pool sizes, retries
# --------------------------------------------------------------------------------------------


def _lattice_degree(degree: int) -> int:
    """Watts-Strogatz lattice degree: ``degree`` rounded down to even, at least 2."""
    return max(2, degree - degree % 2)


def _run_with_pool(
    generate: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray, int]],
    rng: np.random.Generator,
    size: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Call ``generate(uniforms)`` with a pool of ``size`` uniforms, growing it until enough.

    The pool is extended (doubled) with further draws from ``rng`` rather than redrawn, so the
    result is what a single large enough pool would have given.
    """
    uniforms = rng.random(max(int(size), 1))
    while True:
        sources, targets, used = generate(uniforms)
        if used >= 0:
            return sources, targets
        uniforms = np.concatenate((uniforms, rng.random(uniforms.size)))


def _small_world_edges(
    n: int, degree: int, rewiring: float, rng: np.random.Generator, pool: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Watts-Strogatz edge list; ``pool`` overrides the first pool size (for tests)."""
    half = _lattice_degree(degree) // 2
    edges = n * half
    if pool is None:
        # One decision per edge, about one target per rewired edge (repeats are rare when
        # k << n; when they are not, the retry takes over).
        pool = edges + math.ceil(edges * rewiring * 1.05) + 64
    return _run_with_pool(
        lambda u: graphs.watts_strogatz_edges(n, half, rewiring, u), rng, pool
    )


def _scale_free_edges(
    n: int, degree: int, rng: np.random.Generator, pool: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Barabasi-Albert edge list; ``pool`` overrides the first pool size (for tests)."""
    m = max(1, degree // 2)
    edges = m + (n - m - 1) * m
    if pool is None:
        # One draw per edge plus redraws of repeated targets, which are common only while the
        # graph is small.
        pool = edges + edges // 20 + 256
    return _run_with_pool(lambda u: graphs.barabasi_albert_edges(n, m, u), rng, pool)


def _random_edges(
    n: int, degree: int, rng: np.random.Generator, pool: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Erdos-Renyi G(n, M) edge list; ``pool`` overrides the first pool size (for tests)."""
    m = int(round(n * degree / 2))
    if pool is None:
        # Coupon collector: drawing m distinct pairs out of N takes about
        # N * ln(N / (N - m)) pair draws; self-loops waste a share 1 / n; two uniforms a pair.
        pairs = n * (n - 1) / 2
        attempts = pairs * math.log((pairs + 0.5) / (pairs - m + 0.5)) * n / (n - 1)
        pool = 2 * math.ceil(attempts * 1.02) + 64
    return _run_with_pool(lambda u: graphs.gnm_edges(n, m, u), rng, pool)


def _is_int(value: object) -> bool:
    """True for Python and numpy integers, but not booleans."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _edge_array(name: str, values: object) -> np.ndarray:
    """``values`` as a 1-D int32 or int64 array (checked, then passed on as int32)."""
    array = np.asarray(values)
    if array.ndim != 1 or not (array.size == 0 or np.issubdtype(array.dtype, np.integer)):
        raise ConfigError(
            f"{name} has dtype {array.dtype} and shape {array.shape}: allowed is a 1-D array "
            "of integers"
        )
    if array.dtype not in (np.int32, np.int64):
        array = array.astype(np.int64)
    return np.ascontiguousarray(array)
