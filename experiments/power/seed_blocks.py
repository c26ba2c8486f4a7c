"""Pass rates of the statistical tests over independent seed blocks (issue 27).

Each statistical claim of ``tests/test_findings.py`` is evaluated exactly as its test
evaluates it, on ``--blocks`` independent blocks of seeds
(block ``b`` uses seeds ``10_000 (b + 1) + range(n)``, the test itself uses ``range(n)``),
once with the rule the claim names and once with it removed. A claim has power when it
holds in at least 19 of 20 blocks with its rule and fails in most blocks without it.
``--cards`` does the same for the teach cards' claims (``tests/test_lessons.py``), each run
exactly as the page runs it (the preset's form, the page's runner and replicates) with the
preset's seed replaced by the block's seed ``10_000 (b + 1) + preset seed``; without the
rule, the card's shocks are removed (only the claims about a shock can fail that way: a
structure-versus-structure claim has no rule to remove short of the structure itself).

Usage (from the repository root; a few minutes per claim)::

    python experiments/power/seed_blocks.py                      # every claim, 20 blocks
    python experiments/power/seed_blocks.py --claims need_shift louder --blocks 20
    python experiments/power/seed_blocks.py --removed-blocks 5   # fewer blocks without rule
    python experiments/power/seed_blocks.py --cards demo need-shift --blocks 20 --removed-blocks 2
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
    if rule:
        gain = findings.coupled_hierarchy_gain(seeds)
    else:
        gain = findings.paired_difference("fitness", "hierarchy", "hierarchy", seeds,
                                          cross_module_share=1.0, k=4)
    return bool(findings.mean_interval(gain)[1] > 0)


def coupled_interaction(seeds, rule):
    """The test's second claim: the hierarchy's lead is larger with coupled modules than
    with uncoupled ones (removed: uncoupled in both arms)."""
    share = 1.0 if rule else 0.0
    more = (findings.coupled_hierarchy_gain(seeds, cross_module_share=share)
            - findings.coupled_hierarchy_gain(seeds, cross_module_share=0.0))
    return bool(findings.mean_interval(more)[1] > 0)


def coupled_uncoupled(seeds, rule):
    """The same claim, removed by uncoupling the modules (cross-module share 0): does the
    hierarchy's lead come from the coupling?"""
    gain = findings.coupled_hierarchy_gain(seeds, cross_module_share=1.0 if rule else 0.0)
    return bool(findings.mean_interval(gain)[1] > 0)


def rumour(structure):
    def claim(seeds, rule):
        less = [findings.rumour_reach(structure, s, employees_converse=rule)
                - findings.rumour_reach(structure, s, employees_converse=False)
                for s in seeds]
        return bool(findings.mean_interval(less)[2] < 0)
    return claim, len(findings.RUMOUR_SEEDS), "employees converse in neither arm"


def turbulence(seeds, rule):
    """tests/test_decisions.py: every seed, the hierarchy's fitness over the last 60 steps is
    lower by > 0.05 at turbulence 0.2 than in a calm market (removed: calm against calm)."""
    from simulation import FirmModel

    for seed in seeds:
        levels = []
        for level in (0.0, 0.2 if rule else 0.0):
            model = FirmModel(structure="hierarchy", rng=seed, customers=1000, employees=60,
                              steps=120, turbulence=level)
            model.run()
            levels.append(model.metrics()["fitness"].iloc[-60:].mean())
        if not levels[0] - levels[1] > 0.05:
            return False
    return True


CLAIMS = {
    "need_shift_hierarchy": need_shift("hierarchy"),
    "need_shift_podular": need_shift("podular"),
    "settles": (settles, len(findings.SETTLE_SEEDS), "a need shift at step 230"),
    "louder_amplification": louder("amplification", 8.0, 0.0, len(findings.LOUDER_SEEDS)),
    "louder_negativity": louder("negativity", 3.0, 1.0, len(findings.NEGATIVITY_SEEDS)),
    "modular": (modular, len(findings.MODULAR_SEEDS), "no need shifts"),
    "latency": (latency, len(findings.LATENCY_SEEDS), "the network against itself"),
    "coupled": (coupled, len(findings.COUPLED_SEEDS), "the hierarchy against itself"),
    "coupled_uncoupled": (coupled_uncoupled, len(findings.COUPLED_SEEDS),
                          "cross-module share 1 -> 0"),
    "coupled_interaction": (coupled_interaction, len(findings.COUPLED_SEEDS),
                            "uncoupled in both arms"),
    "rumour_network": rumour("network"),
    "rumour_podular": rumour("podular"),
    "turbulence": (turbulence, 3, "turbulence 0.2 -> 0 (calm against calm)"),
}


class Card:
    """A teach card's claims, evaluated on the page's runs of one block of seeds."""

    def __init__(self, name: str) -> None:

        from simulation.ui import state
        from simulation.ui.form import validate_form
        from simulation.ui.teach import LESSONS

        self.name, self.lesson = name, LESSONS[name]
        form, message = state.load_form(name)
        assert message is None, message
        self.scenario = validate_form(form).scenario
        # Every structure the page runs (not only the claimed ones), so the runs also serve
        # the largest visible effect; a structure's numbers do not depend on the others.
        self.structures = list(self.scenario.structures)
        self.with_rule: list[list[bool]] = []
        self.without: list[list[bool]] = []
        #: Per block with the shocks: whether the claim marked largest names the largest
        #: visible effect of that block's runs.
        self.largest: list[bool] = []

    def page_table(self, block: int, shocks: bool, runs: Path | None = None):
        """The long table of the page's runs with block ``block``'s seed (without the card's
        shocks if not ``shocks``), read from ``runs`` when saved there, else run (and saved
        there when ``runs`` is given)."""
        import pandas as pd

        from simulation.ui.runner import ComparisonRun

        scenario = self.scenario
        saved = None
        if runs is not None:
            saved = runs / f"{self.name}-b{block}-{'shocks' if shocks else 'noshocks'}.parquet"
            if saved.exists():
                return pd.read_parquet(saved)
        config = scenario.model_config_only()
        if not shocks:
            config = config.model_copy(update={"shocks": []})
        run = ComparisonRun(config, self.structures, seed=10_000 * (block + 1) + scenario.seed,
                            metric=scenario.resilience_metric,
                            replicates=scenario.replicates).start()
        assert run.wait(3600), f"{self.name}: block {block} did not finish"
        snapshot = run.snapshot()
        assert snapshot.error is None, snapshot.error
        long = snapshot.long_table()
        if saved is not None:
            runs.mkdir(parents=True, exist_ok=True)
            long.to_parquet(saved)
        return long

    def holds(self, block: int, shocks: bool, runs: Path | None = None) -> list[bool]:
        """Whether each claim holds on the page's runs with block ``block``'s seed (without
        the card's shocks if not ``shocks``)."""
        import test_lessons as lessons

        scenario = self.scenario
        long = self.page_table(block, shocks, runs)
        result = [lessons.holds(claim, lessons.differences(claim, scenario, long))
                  for claim in self.lesson.claims]
        if shocks:
            effects = lessons.visible_effects(scenario, long)
            self.largest.append(lessons.largest_problem(self.lesson, effects) is None)
        (self.with_rule if shocks else self.without).append(result)
        return result

    def report(self) -> None:
        for i, claim in enumerate(self.lesson.claims):
            removed = (f"{sum(b[i] for b in self.without):3d} / {len(self.without):<3d}"
                       if self.without else "   -     ")
            print(f"{self.name:18s} {sum(b[i] for b in self.with_rule):4d} / "
                  f"{len(self.with_rule):<3d} {removed} n={self.scenario.replicates}  "
                  f"{claim.text}", flush=True)
        print(f"{self.name:18s} {sum(self.largest):4d} / {len(self.largest):<3d} "
              f"   -      the claim marked largest names the largest visible effect")

    def markdown(self, first_block: int = 0) -> list[str]:
        """The card's rows of docs/testing.md's table (read by tests/test_lessons.py): card,
        claim, the page's replicates, the blocks run (``(fresh)`` when they start after block
        0), held of those blocks, held without the card's shocks."""
        last = first_block + len(self.with_rule) - 1
        blocks = f"{first_block}-{last}" + (" (fresh)" if first_block else "")
        rows = []
        for i, claim in enumerate(self.lesson.claims):
            # Shown for every claim; only a claim about a shock must fail without it.
            removed = (f"{sum(b[i] for b in self.without)} of {len(self.without)}"
                       if self.without else "-")
            rows.append(f"| {self.name} | {claim.text} | {self.scenario.replicates} | "
                        f"{blocks} | {sum(b[i] for b in self.with_rule)} of "
                        f"{len(self.with_rule)} | {removed} |")
        rows.append(f"| {self.name} | (the claim marked largest names the largest visible "
                    f"effect) | {self.scenario.replicates} | {blocks} | {sum(self.largest)} "
                    f"of {len(self.largest)} | - |")
        return rows


def card_blocks(names: list[str], blocks: int, removed_blocks: int,
                runs: Path | None = None, first_block: int = 0) -> None:
    """Per claim of each card: in how many blocks it holds with the card's shocks and
    without them. Blocks go round the cards (block 0 of every card, then block 1, ...) and
    each is printed as it ends, so a run cut short still reports every card. With
    ``first_block`` the blocks are ``first_block``, ``first_block + 1``, ...: seeds no
    earlier measurement used (a fresh test of claims chosen on the earlier blocks)."""
    cards = [Card(name) for name in names]
    started = time.perf_counter()
    for index in range(max(blocks, removed_blocks)):
        block = first_block + index
        for card in cards:
            for shocks, wanted in ((True, blocks), (False, removed_blocks)):
                if index >= wanted or (not shocks and not card.scenario.shocks):
                    continue
                signs = "".join("+" if h else "-" for h in card.holds(block, shocks, runs))
                print(f"  {card.name} block {block}{'' if shocks else ' without shocks'}: "
                      f"{signs}  {time.perf_counter() - started:5.0f}s", flush=True)
    print(f"{'card':18s} {'with rule':>9s} {'without':>9s} replicates  claim")
    for card in cards:
        card.report()
    print("\n| card | claim | replicates | blocks | holds (of blocks) | holds without the "
          "card's shocks |\n|---|---|---|---|---|---|")
    for card in cards:
        print("\n".join(card.markdown(first_block)))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--claims", nargs="+", default=list(CLAIMS))
    parser.add_argument("--blocks", type=int, default=20)
    parser.add_argument("--removed-blocks", type=int, default=None,
                        help="blocks without the rule (default: --blocks)")
    parser.add_argument("--cards", nargs="*", default=None,
                        help="teach cards whose claims to measure (no names: every card "
                             "with claims) instead of the findings' claims")
    parser.add_argument("--runs", type=Path, default=None,
                        help="with --cards: a folder where each block's runs are saved "
                             "(Parquet) and read back when there, so a card's rewritten "
                             "claims are measured on the same runs without running again")
    parser.add_argument("--first-block", type=int, default=0,
                        help="with --cards: number of the first block (blocks before it are "
                             "not run: a fresh test on seeds no earlier run used)")
    args = parser.parse_args(argv)
    removed_blocks = args.blocks if args.removed_blocks is None else args.removed_blocks
    if args.cards is not None:
        from simulation.ui.teach import LESSONS
        card_blocks(args.cards or [n for n, lesson in LESSONS.items() if lesson.claims],
                    args.blocks, removed_blocks, args.runs, args.first_block)
        return 0
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
