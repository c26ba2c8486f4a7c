"""Pass rates of the statistical tests over independent seed blocks (issue 27).

Each statistical claim of ``tests/test_findings.py`` is evaluated exactly as its test
evaluates it, on ``--blocks`` independent blocks of seeds
(block ``b`` uses seeds ``10_000 (b + 1) + range(n)``, the test itself uses ``range(n)``),
once with the rule the claim names and once with it removed. A claim has power when it
holds in at least 19 of 20 blocks with its rule and fails in most blocks without it.
(The teach cards' claims are checked on the runs their page makes, ``tests/test_lessons.py``;
this script does not measure their power.)

Usage (from the repository root; a few minutes per claim)::

    python experiments/power/seed_blocks.py                      # every claim, 20 blocks
    python experiments/power/seed_blocks.py --claims need_shift louder --blocks 20
    python experiments/power/seed_blocks.py --removed-blocks 5   # fewer blocks without rule
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

import test_findings as findings  # noqa: E402


def block_seeds(block: int, size: int) -> range:
    start = 10_000 * (block + 1)
    return range(start, start + size)


def need_shift(structure):
    def claim(seeds, rule):
        return findings.drop_and_recovery(structure, seeds, strength=0.5 if rule else 0.0)[0]
    return claim, len(findings.SHIFT_SEEDS), "need shift of strength 0.5 -> 0"


def settles(seeds, rule):
    overrides = {} if rule else {"shocks": [{"kind": "need_shift", "step": 230,
                                             "strength": 0.5}]}
    return findings.market_settles(seeds, **overrides)


def modular(seeds, rule):
    gain = findings.modular_network_gain(seeds, shifts=rule)
    return bool(findings.mean_interval(gain)[1] > 0)


def louder(field, loud, quiet, size):
    def claim(seeds, rule):
        return findings.louder_is_deeper(seeds, field, loud, quiet if rule else loud)[0]
    return claim, size, f"{field} {loud} vs {quiet} -> {loud} vs {loud}"


def latency(seeds, rule):
    """Every seed: the tree's latency exceeds the network's by 2 and its queues are longer
    (removed: the network against itself)."""
    tree = "hierarchy" if rule else "network"
    for seed in seeds:
        slow, flat = findings.run(tree, seed), findings.run("network", seed)
        if not (slow["decision_latency"].mean() > flat["decision_latency"].mean() + 2
                and slow["largest_queue"].mean() > flat["largest_queue"].mean()):
            return False
    return True


def coupled(seeds, rule):
    """Hierarchy minus network fitness, coupled modules, calm market (removed: the
    hierarchy against itself)."""
    other = "network" if rule else "hierarchy"
    gain = findings.paired_difference("fitness", other, "hierarchy", seeds,
                                      cross_module_share=1.0, k=4)
    return bool(findings.mean_interval(gain)[1] > 0)


def rumour(structure):
    def claim(seeds, rule):
        less = [findings.rumour_reach(structure, s, employees_converse=rule)
                - findings.rumour_reach(structure, s, employees_converse=False)
                for s in seeds]
        return bool(findings.mean_interval(less)[2] < 0)
    return claim, 8, "employees converse in neither arm"


CLAIMS = {
    "need_shift_hierarchy": need_shift("hierarchy"),
    "need_shift_podular": need_shift("podular"),
    "settles": (settles, len(findings.SETTLE_SEEDS), "a need shift at step 230"),
    "louder_amplification": louder("amplification", 8.0, 0.0, len(findings.LOUDER_SEEDS)),
    "louder_negativity": louder("negativity", 3.0, 1.0, len(findings.NEGATIVITY_SEEDS)),
    "modular": (modular, len(findings.MODULAR_SEEDS), "no need shifts"),
    "latency": (latency, 3, "the network against itself"),
    "coupled": (coupled, 4, "the hierarchy against itself"),
    "rumour_network": rumour("network"),
    "rumour_podular": rumour("podular"),
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--claims", nargs="+", default=list(CLAIMS))
    parser.add_argument("--blocks", type=int, default=20)
    parser.add_argument("--removed-blocks", type=int, default=None,
                        help="blocks without the rule (default: --blocks)")
    args = parser.parse_args(argv)
    removed_blocks = args.blocks if args.removed_blocks is None else args.removed_blocks
    print(f"{'claim':28s} {'n':>3s} {'with rule':>10s} {'without':>9s} {'time':>6s}  rule removed")
    for name in args.claims:
        claim, size, removal = CLAIMS[name]
        if not any(name.startswith(p) for p in CLAIMS) and name not in CLAIMS:
            raise SystemExit(f"unknown claim {name}")
        started = time.perf_counter()
        holds = sum(claim(block_seeds(b, size), True) for b in range(args.blocks))
        without = sum(claim(block_seeds(b, size), False) for b in range(removed_blocks))
        print(f"{name:28s} {size:3d} {holds:4d} / {args.blocks:<3d} {without:3d} / "
              f"{removed_blocks:<3d} {time.perf_counter() - started:5.0f}s  {removal}",
              flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
