"""Build time and peak memory of the social-network generators (simulation.core.networks).

Prints, for each network kind at n = 20,000 and n = 1,000,000 with degree 10 (rewiring 0.1),
the time to build the CSR arrays (best of a few runs, after compilation), split into the
edge generator and the CSR step, and the peak extra resident memory during one build.

Peak memory is read from the kernel (``VmHWM`` in ``/proc/self/status``, reset by writing 5 to
``/proc/self/clear_refs``) because the Numba kernels allocate outside Python's allocator, where
``tracemalloc`` cannot see them. On systems without that interface memory prints as n/a.

Run: ``.venv/bin/python experiments/benchmarks/bench_networks.py [--quick]``
(``--quick``: one timed run per case).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from simulation.core import networks
from simulation.core.networks import NETWORK_KINDS, build_network
from simulation.kernels import graphs

SIZES = (20_000, 1_000_000)
DEGREE = 10
REWIRING = 0.1
EDGE_MAKERS = {
    "small_world": lambda n, rng: networks._small_world_edges(n, DEGREE, REWIRING, rng),
    "scale_free": lambda n, rng: networks._scale_free_edges(n, DEGREE, rng),
    "random": lambda n, rng: networks._random_edges(n, DEGREE, rng),
}


def _status_kib(field: str) -> int | None:
    """A ``/proc/self/status`` field in KiB (None where there is no such file)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    """Reset the peak-RSS mark to the current RSS; False if the kernel does not allow it."""
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
        return True
    except OSError:
        return False


def peak_extra_mb(kind: str, n: int) -> float | None:
    """Peak resident memory above the starting level while building one network, in MB."""
    before = _status_kib("VmRSS")
    if before is None or not _reset_peak():
        return None
    result = build_network(kind, n, DEGREE, REWIRING, np.random.default_rng(0))
    peak = _status_kib("VmHWM")
    del result
    return (peak - before) / 1024


def timings(kind: str, n: int, repeats: int) -> tuple[float, float, float]:
    """Best-of-``repeats`` seconds for the whole build, the edge generator and the CSR step."""
    best_total = best_edges = best_csr = float("inf")
    for seed in range(repeats):
        start = time.perf_counter()
        build_network(kind, n, DEGREE, REWIRING, np.random.default_rng(seed))
        best_total = min(best_total, time.perf_counter() - start)
        start = time.perf_counter()
        sources, targets = EDGE_MAKERS[kind](n, np.random.default_rng(seed))
        middle = time.perf_counter()
        graphs.csr_from_edge_arrays(n, sources, targets)
        end = time.perf_counter()
        best_edges = min(best_edges, middle - start)
        best_csr = min(best_csr, end - middle)
    return best_total, best_edges, best_csr


def main() -> None:
    """Compile (or load cached) kernels, then print one line per kind and size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one timed run per case")
    args = parser.parse_args()

    start = time.perf_counter()
    for kind in NETWORK_KINDS:
        build_network(kind, 100, DEGREE, REWIRING, np.random.default_rng(0))
    print(f"first calls (compile or load cache): {time.perf_counter() - start:.2f} s")
    print(f"degree={DEGREE}, rewiring={REWIRING} (small_world only)")
    header = (
        f"{'kind':<12} {'n':>10} {'build s':>9} {'edges s':>9} {'csr s':>8} "
        f"{'peak MB':>8} {'output MB':>9} {'mean deg':>8}"
    )
    print(header)
    print("-" * len(header))
    for n in SIZES:
        repeats = 1 if args.quick else (5 if n <= 100_000 else 2)
        for kind in NETWORK_KINDS:
            peak = peak_extra_mb(kind, n)
            total, edges, csr = timings(kind, n, repeats)
            indptr, indices = build_network(kind, n, DEGREE, REWIRING, np.random.default_rng(0))
            output = (indptr.nbytes + indices.nbytes) / 2**20
            peak_text = "n/a" if peak is None else f"{peak:.0f}"
            print(
                f"{kind:<12} {n:>10,} {total:>9.4f} {edges:>9.4f} {csr:>8.4f} "
                f"{peak_text:>8} {output:>9.1f} {indices.size / n:>8.3f}"
            )
            del indptr, indices


if __name__ == "__main__":
    main()
