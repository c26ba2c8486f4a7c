"""Tests of the social-network generators in simulation.core.networks (CSR arrays)."""

from collections import deque

import naive
import networkx as nx
import numpy as np
import pytest

from simulation.core import networks
from simulation.core.networks import NETWORK_KINDS, build_network, csr_from_edges
from simulation.errors import ConfigError
from simulation.kernels import graphs


def _check_csr(indptr, indices, n):
    """Assert the CSR layout promised by build_network: symmetric, sorted, simple."""
    assert indptr.dtype == np.int64 and indptr.shape == (n + 1,)
    assert indices.dtype == np.int32 and indices.shape == (indptr[-1],)
    assert indptr[0] == 0 and np.all(np.diff(indptr) >= 0)
    rows = np.repeat(np.arange(n), np.diff(indptr))
    assert np.all(indices >= 0) and np.all(indices < n)
    assert not np.any(rows == indices), "self-loop"
    same_row = rows[1:] == rows[:-1]
    assert np.all(indices[1:][same_row] > indices[:-1][same_row]), "unsorted or duplicate"
    forward = set(zip(rows.tolist(), indices.tolist(), strict=True))
    assert forward == {(b, a) for a, b in forward}, "not symmetric"


def _edge_set(indptr, indices):
    """Undirected edges {(u, v): u < v} of a CSR graph."""
    rows = np.repeat(np.arange(indptr.size - 1), np.diff(indptr))
    keep = rows < indices
    return set(zip(rows[keep].tolist(), indices[keep].tolist(), strict=True))


def _to_networkx(indptr, indices):
    """The CSR graph as a networkx Graph (all nodes, even isolated ones)."""
    graph = nx.Graph()
    graph.add_nodes_from(range(indptr.size - 1))
    graph.add_edges_from(_edge_set(indptr, indices))
    return graph


def _mean_path_length(indptr, indices, sources):
    """Mean BFS distance from each of ``sources`` to every reachable node."""
    total = 0
    pairs = 0
    n = indptr.size - 1
    for s in sources:
        dist = np.full(n, -1)
        dist[s] = 0
        queue = deque([s])
        while queue:
            u = queue.popleft()
            for v in indices[indptr[u]:indptr[u + 1]]:
                if dist[v] < 0:
                    dist[v] = dist[u] + 1
                    queue.append(v)
        reached = dist > 0
        total += dist[reached].sum()
        pairs += reached.sum()
    return total / pairs


def _nx_csr(graph):
    """CSR arrays of a networkx graph (nodes 0..n-1)."""
    edges = np.array(list(graph.edges()), dtype=np.int64).reshape(-1, 2)
    return csr_from_edges(graph.number_of_nodes(), edges[:, 0], edges[:, 1])


@pytest.mark.parametrize("kind", NETWORK_KINDS)
def test_layout_symmetric_sorted_simple(kind):
    """Every kind returns symmetric CSR rows, sorted, without self-loops or duplicates."""
    for n, degree in ((2000, 10), (50, 7), (12, 11), (3, 2)):
        indptr, indices = build_network(kind, n, degree, 0.3, np.random.default_rng(5))
        _check_csr(indptr, indices, n)


@pytest.mark.parametrize("kind", NETWORK_KINDS)
def test_mean_degree_close_to_target(kind):
    """Mean degree is about the requested degree (exact for small_world and random)."""
    n = 20_000
    for degree in (4, 10):
        indptr, indices = build_network(kind, n, degree, 0.2, np.random.default_rng(1))
        assert abs(indices.size / n - degree) < 0.01 * degree


def test_small_world_without_rewiring_is_the_ring_lattice():
    """With rewiring 0, small_world equals networkx's ring lattice and its clustering formula."""
    for n, degree in ((30, 4), (200, 10), (101, 7)):
        k = degree - degree % 2
        indptr, indices = build_network("small_world", n, degree, 0.0, np.random.default_rng(0))
        expected = {tuple(sorted(e)) for e in nx.watts_strogatz_graph(n, k, 0.0).edges()}
        assert _edge_set(indptr, indices) == expected
        clustering = nx.average_clustering(_to_networkx(indptr, indices))
        assert clustering == pytest.approx(3 * (k - 2) / (4 * (k - 1)), abs=1e-12)


def test_small_world_clustering_and_path_length_follow_networkx():
    """Clustering and path length fall with rewiring as in networkx's Watts-Strogatz graphs."""
    n, k, seeds = 1000, 10, range(3)
    sample = np.arange(0, n, 25)  # BFS from 40 sources: a close estimate of the mean path
    ours, theirs = {}, {}
    for p in (0.01, 0.1, 0.5):
        c_ours, l_ours, c_nx, l_nx = [], [], [], []
        for seed in seeds:
            indptr, indices = build_network("small_world", n, k, p, np.random.default_rng(seed))
            c_ours.append(nx.average_clustering(_to_networkx(indptr, indices)))
            l_ours.append(_mean_path_length(indptr, indices, sample))
            graph = nx.watts_strogatz_graph(n, k, p, seed=seed)
            c_nx.append(nx.average_clustering(graph))
            l_nx.append(_mean_path_length(*_nx_csr(graph), sample))
        ours[p] = (np.mean(c_ours), np.mean(l_ours))
        theirs[p] = (np.mean(c_nx), np.mean(l_nx))
        assert ours[p][0] == pytest.approx(theirs[p][0], rel=0.05, abs=0.01)
        # At p = 0.01 only ~50 shortcuts exist, so the path length varies more between seeds.
        assert ours[p][1] == pytest.approx(theirs[p][1], rel=0.15 if p == 0.01 else 0.05)
    lattice_c = 3 * (k - 2) / (4 * (k - 1))
    lattice_l = n / (2 * k)  # about n / 2k for a ring lattice: 50
    assert lattice_c > ours[0.01][0] > ours[0.1][0] > ours[0.5][0]
    assert lattice_l > ours[0.01][1] > ours[0.1][1] > ours[0.5][1]
    assert ours[0.1][1] < 0.2 * lattice_l and ours[0.1][0] > 0.5 * lattice_c  # small world


def test_scale_free_degrees_heavy_tailed_like_networkx():
    """scale_free degrees have a heavy tail matching networkx.barabasi_albert_graph."""
    n, degree, m = 20_000, 10, 5
    stats = {"ours": [], "nx": []}
    for seed in range(3):
        indptr, _ = build_network("scale_free", n, degree, 0.0, np.random.default_rng(seed))
        graph = nx.barabasi_albert_graph(n, m, seed=seed)
        for name, deg in (
            ("ours", np.diff(indptr)),
            ("nx", np.array([d for _, d in graph.degree()])),
        ):
            stats[name].append(
                (deg.min(), deg.mean(), np.mean(deg == m), np.quantile(deg, 0.99), deg.max())
            )
    ours = np.mean(stats["ours"], axis=0)
    theirs = np.mean(stats["nx"], axis=0)
    assert ours[0] == m  # every node keeps its m attachment edges
    assert ours[1] == pytest.approx(theirs[1], rel=1e-3)
    assert ours[2] == pytest.approx(2 / (m + 2), abs=0.02)  # BA: P(k = m) = 2 / (m + 2)
    assert ours[2] == pytest.approx(theirs[2], abs=0.01)
    assert ours[3] == pytest.approx(theirs[3], rel=0.1)
    assert ours[4] > 20 * ours[1]  # hubs: max degree >> mean
    assert 0.5 * theirs[4] < ours[4] < 2 * theirs[4]


def test_random_degree_variance_about_mean():
    """random (G(n, M)) has exactly M edges and nearly Poisson degrees: variance ~ mean."""
    n, degree = 20_000, 10
    indptr, indices = build_network("random", n, degree, 0.0, np.random.default_rng(3))
    deg = np.diff(indptr)
    assert indices.size == 2 * round(n * degree / 2)
    assert deg.var() == pytest.approx(deg.mean(), rel=0.1)
    assert deg.max() < 4 * degree  # no hubs


def test_random_dense_and_complete():
    """random reaches dense graphs, including the complete graph at degree n - 1."""
    indptr, indices = build_network("random", 40, 39, 0.0, np.random.default_rng(2))
    assert np.all(np.diff(indptr) == 39)
    indptr, indices = build_network("random", 41, 30, 0.0, np.random.default_rng(2))
    _check_csr(indptr, indices, 41)
    assert indices.size == 2 * round(41 * 30 / 2)


@pytest.mark.parametrize("kind", NETWORK_KINDS)
def test_same_seed_same_graph_other_seed_other_graph(kind):
    """The graph depends only on the Generator: same seed same arrays, other seed differs."""
    first = build_network(kind, 5000, 10, 0.2, np.random.default_rng(42))
    again = build_network(kind, 5000, 10, 0.2, np.random.default_rng(42))
    other = build_network(kind, 5000, 10, 0.2, np.random.default_rng(43))
    assert np.array_equal(first[0], again[0]) and np.array_equal(first[1], again[1])
    assert not (first[1].size == other[1].size and np.array_equal(first[1], other[1]))


@pytest.mark.parametrize(
    ("make", "args"),
    [
        (networks._small_world_edges, (300, 10, 0.3)),
        (networks._small_world_edges, (12, 10, 0.9)),
        (networks._scale_free_edges, (300, 6)),
        (networks._random_edges, (300, 10)),
        (networks._random_edges, (20, 19)),
    ],
)
def test_pool_exhaustion_retry_gives_same_graph(make, args):
    """A pool too small at first is extended from the same stream: the graph is unchanged."""
    roomy = make(*args, np.random.default_rng(9))
    tight = make(*args, np.random.default_rng(9), pool=3)
    for a, b in zip(roomy, tight, strict=True):
        assert np.array_equal(a, b)


@pytest.mark.parametrize(
    ("compiled", "twin", "args", "draws"),
    [
        (graphs.watts_strogatz_edges, naive.watts_strogatz_edges, (60, 3, 0.4), 400),
        (graphs.watts_strogatz_edges, naive.watts_strogatz_edges, (11, 4, 1.0), 400),
        (graphs.watts_strogatz_edges, naive.watts_strogatz_edges, (8, 3, 0.8), 200),
        (graphs.barabasi_albert_edges, naive.barabasi_albert_edges, (80, 3), 400),
        (graphs.barabasi_albert_edges, naive.barabasi_albert_edges, (30, 1), 100),
        (graphs.gnm_edges, naive.gnm_edges, (50, 200), 600),
        (graphs.gnm_edges, naive.gnm_edges, (10, 45), 2000),
    ],
)
def test_kernel_equals_twin(compiled, twin, args, draws):
    """Each generator, compiled and as its own py_func, returns exactly the set-based twin's
    arrays (tests/naive.py) from the same uniforms."""
    uniforms = np.random.default_rng(11).random(draws)
    for pool in (uniforms, uniforms[:17]):  # enough draws, and running out
        p_src, p_dst, p_used = twin(*args, pool)
        for generator in (compiled, compiled.py_func):
            k_src, k_dst, k_used = generator(*args, pool)
            assert k_used == p_used
            if k_used >= 0:
                assert np.array_equal(k_src, p_src) and np.array_equal(k_dst, p_dst)
    assert compiled(*args, uniforms)[2] > 0  # the full pool sufficed


@pytest.mark.parametrize(
    ("compiled", "twin", "args"),
    [
        (graphs.watts_strogatz_edges, naive.watts_strogatz_edges, (5, 2, 1.0)),  # complete
        (graphs.watts_strogatz_edges, naive.watts_strogatz_edges, (20, 2, 0.0)),  # no rewiring
        (graphs.watts_strogatz_edges, naive.watts_strogatz_edges, (3, 1, 1.0)),  # triangle
        (graphs.barabasi_albert_edges, naive.barabasi_albert_edges, (4, 3)),  # seed star only
        (graphs.barabasi_albert_edges, naive.barabasi_albert_edges, (12, 10)),  # m near n
        (graphs.gnm_edges, naive.gnm_edges, (10, 0)),  # no edges
        (graphs.gnm_edges, naive.gnm_edges, (2, 1)),  # the one possible edge
    ],
)
def test_kernel_equals_twin_edge_cases(compiled, twin, args):
    """Degenerate graphs (complete, unrewired, seed-only, empty) match the twin exactly."""
    uniforms = np.random.default_rng(12).random(3000)
    for pool in (uniforms, uniforms[:1], uniforms[:0]):
        expected = twin(*args, pool)
        for generator in (compiled, compiled.py_func):
            result = generator(*args, pool)
            assert result[2] == expected[2]
            if result[2] >= 0:
                assert np.array_equal(result[0], expected[0])
                assert np.array_equal(result[1], expected[1])


def test_csr_kernel_equals_twin():
    """The CSR builder, compiled and as its py_func, equals its set-based twin on a messy list."""
    rng = np.random.default_rng(4)
    # Node 0 is a hub (a row longer than the insertion-sort limit); nodes 30..34 are isolated.
    sources = np.concatenate((rng.integers(0, 30, 200), np.zeros(80, dtype=np.int64)))
    targets = np.concatenate((rng.integers(0, 30, 200), rng.integers(1, 30, 80)))
    sources, targets = sources.astype(np.int32), targets.astype(np.int32)
    expected = naive.csr_from_edge_arrays(35, sources, targets)
    for builder in (graphs.csr_from_edge_arrays, graphs.csr_from_edge_arrays.py_func):
        for k_array, p_array in zip(builder(35, sources, targets), expected, strict=True):
            assert k_array.dtype == p_array.dtype and np.array_equal(k_array, p_array)


def test_csr_from_edges_dedups_and_symmetrises():
    """csr_from_edges drops self-loops, merges repeats either way round, and symmetrises."""
    indptr, indices = csr_from_edges(5, [0, 1, 1, 2, 3, 3, 4], [1, 0, 2, 1, 3, 0, 0])
    _check_csr(indptr, indices, 5)
    assert indptr.tolist() == [0, 3, 5, 6, 7, 8]
    assert indices.tolist() == [1, 3, 4, 0, 2, 1, 0, 0]
    indptr, indices = csr_from_edges(3, np.array([], dtype=np.int64), [])
    assert indptr.tolist() == [0, 0, 0, 0] and indices.size == 0
    indptr, indices = csr_from_edges(4, np.array([3, 2], dtype=np.uint8), [0, 0])
    assert indices.tolist() == [2, 3, 0, 0]


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("ring", 100, 4, 0.1), "network='ring'"),
        (("small_world", 1, 1, 0.1), "n=1"),
        (("random", 10.0, 4, 0.1), "n=10.0"),
        (("scale_free", 100, 0, 0.1), "degree=0"),
        (("scale_free", 100, 100, 0.1), "degree=100"),
        (("random", 100, 2.5, 0.1), "degree=2.5"),
        (("small_world", 2, 1, 0.1), "degree=1"),
        (("small_world", 100, 4, 1.5), "rewiring=1.5"),
        (("small_world", 100, 4, float("nan")), "rewiring=nan"),
        (("random", 100, 4, -0.1), "rewiring=-0.1"),
    ],
)
def test_bad_input_raises_config_error_naming_field(args, field):
    """Bad arguments raise a one-line ConfigError naming the field and its value."""
    with pytest.raises(ConfigError) as error:
        build_network(*args, np.random.default_rng(0), field_prefix="customers.")
    message = str(error.value)
    assert message.startswith(f"customers.{field}:") and "allowed" in message
    assert "\n" not in message


def test_bad_kind_message_lists_allowed_values():
    """The network message lists the allowed kinds exactly as documented."""
    with pytest.raises(ConfigError, match=r"^network='ring': allowed values are "
                       r"'small_world', 'scale_free', 'random'$"):
        build_network("ring", 100, 4, 0.1, np.random.default_rng(0))


def test_csr_from_edges_bad_input():
    """csr_from_edges rejects out-of-range nodes, mismatched lengths and non-integers."""
    with pytest.raises(ConfigError, match="sources contains node 5"):
        csr_from_edges(5, [5], [0])
    with pytest.raises(ConfigError, match="targets contains node -1"):
        csr_from_edges(5, [1], [-1])
    with pytest.raises(ConfigError, match="targets has 2 entries"):
        csr_from_edges(5, [1], [0, 2])
    with pytest.raises(ConfigError, match="sources has dtype float64"):
        csr_from_edges(5, [1.0], [0])
