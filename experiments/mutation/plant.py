"""Plant the bugs of issue 27's table one at a time and report which tests catch each.

Each bug is one plausible slip in one rule: a text substitution in one module. For each bug
the package and the tests are copied to a scratch folder, the bug is planted there (the
working tree is never touched), and the tests that guard the rule are run. A bug is
*caught* when at least one test fails, and *caught by name* when a failing test is one named
after the rule (``expect``).

Usage (from the repository root)::

    python experiments/mutation/plant.py            # the bugs of the issue's table
    python experiments/mutation/plant.py --weak     # the bugs the once-weak tests missed
    python experiments/mutation/plant.py tree_parent budget_sign

Prints one row per bug and exits 1 if a bug is not caught by a test named after its rule.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Bug:
    name: str
    description: str
    path: str           # module, relative to the repository root
    old: str            # text replaced (must occur exactly once)
    new: str
    tests: tuple[str, ...]   # test files (or node ids) to run
    expect: str         # regular expression a failing test's name must match


BUGS = [
    Bug("negativity_positive", "negativity bias applied to positive voices",
        "simulation/kernels/customers.py",
        "tone = 1.0 if pleased else negativity",
        "tone = negativity if pleased else 1.0",
        ("tests/test_kernels.py",), r"test_customer_step"),
    Bug("area_lost_off_by_one", "area_lost sums one step too few",
        "simulation/core/metrics.py",
        "shortfall = np.maximum(0.0, baseline - after[:max(recovery, 1)])",
        "shortfall = np.maximum(0.0, baseline - after[:max(recovery, 1) - 1])",
        ("tests/test_model.py::test_resilience_figures_on_a_known_series",),
        r"resilience_figures"),
    Bug("approval_lag_one", "approval lag fixed at 1",
        "simulation/core/organization.py",
        "lag = max(1, int(org.depth[origin[c]]))", "lag = 1",
        ("tests/test_rules.py",), r"test_approval_lag"),
    Bug("budget_sign", "budget shrink sign flipped",
        "simulation/core/organization.py",
        "(1.0 + BUDGET_SHRINK * min(0.0, mood))", "(1.0 - BUDGET_SHRINK * min(0.0, mood))",
        ("tests/test_rules.py",), r"test_change_budget"),
    Bug("peer_review_sum", "peer-review noise not averaged",
        "simulation/core/organization.py",
        "judged_noise[reviewed] = (noise[reviewed] + noise_sum) / (1.0 + reviewers)",
        "judged_noise[reviewed] = noise[reviewed] + noise_sum",
        ("tests/test_rules.py",), r"test_peer_review"),
    Bug("tree_parent", "tree parent off by one (i // span)",
        "simulation/core/structures.py",
        "parent = (np.arange(employees, dtype=np.int64) - 1) // span",
        "parent = np.arange(employees, dtype=np.int64) // span",
        ("tests/test_rules.py",), r"test_tree_chart"),
    Bug("promoted_keeps_sensing", "a promoted employee keeps sensing (repair rule)",
        "simulation/core/structures.py",
        "        org.senses &= ~has_reports\n", "",
        ("tests/test_rules.py",), r"test_repair_rule"),
    Bug("turbulence_skips_own", "turbulence skips the segments' own entries",
        "simulation/core/market.py",
        "            self.own[segment][moving] = rng.random((moving.size, width))\n", "",
        ("tests/test_rules.py",), r"test_turbulence_reach"),
    Bug("band_counts_nan", "band counts NaN rows",
        "simulation/analysis/statistics.py",
        'grouped.agg(n="count", mean="mean", sd="std")',
        'grouped.agg(n="size", mean="mean", sd="std")',
        ("tests/test_rules.py", "tests/test_statistics.py"), r"test_band_with_missing"),
]


#: Bugs that the tests issue 27 names as unable to fail let through; each must now be caught
#: by the strengthened test (``expect``).
WEAK = [
    Bug("lock_file_left", "the lock file is left behind on release",
        "simulation/store/locks.py", "                path.unlink()",
        "                pass", ("tests/test_locks.py",), r"sequential_writers"),
    Bug("analyze_message_silent", "a refused --outputs does not name the unknown output",
        "simulation/sweep/report.py", "unknown output '{unknown[0]}'", "unknown output",
        ("tests/test_sweep.py::test_bad_options_and_analyze_input",), r"bad_options"),
    Bug("sensitivity_points_shuffled", "sensitivity pairs outputs with the wrong points",
        "simulation/sweep/analysis.py", "return means.reindex(range(points))",
        "return means.reindex(range(points)).iloc[::-1].set_axis(range(points))",
        ("tests/test_sweep.py::test_analyze_sobol_and_morris",), r"sobol_and_morris"),
    Bug("replicate_seed_shifted", "replicates run on another root seed than the manifest's",
        "simulation/config/seeds.py", "return np.random.SeedSequence(root, spawn_key=key)",
        "return np.random.SeedSequence(root + 1, spawn_key=key)",
        ("tests/test_scenarios.py::test_short_version_of_each_shipped_scenario_runs",),
        r"short_version"),
    Bug("march_no_turnover", "turnover never replaces anyone (March 1991)",
        "simulation/classics/_kernels_march.py", "if u_turnover[t, i] < p3:",
        "if u_turnover[t, i] < 0.0:",
        ("tests/test_classics_replicate.py::test_command_writes_png_csv_and_table",),
        r"png_csv"),
    Bug("winner_always_tie", "the winner map calls every cell a tie",
        "simulation/analysis/winners.py", "if means[runner_up] == means[best]:",
        "if abs(means[runner_up] - means[best]) < 1.0:",
        ("tests/test_atlas.py::test_analyze_writes_the_winner_map_and_discovery",),
        r"winner_map"),
]


#: Mutants that survived the first Cosmic Ray sample (docs/testing.md), each with the test
#: written to kill it.
SURVIVORS = [
    Bug("scope_unscoped", "current_scopes rewrites the scope of employees without one",
        "simulation/core/structures.py", "scoped = org.scope_length > 0",
        "scoped = org.scope_length > -1", ("tests/test_rules.py",), r"test_tree_chart"),
    Bug("scope_rotation", "a rotating sensor's pair is t >> length, not t mod length",
        "simulation/core/structures.py", "t % np.maximum(org.scope_length, 1)",
        "t >> np.maximum(org.scope_length, 1)", ("tests/test_rules.py",), r"scope_rotation"),
    Bug("silo_marketing_group", "the marketing group's scopes go to its managers too",
        "simulation/core/structures.py", "np.flatnonzero(in_marketing & senses)",
        "np.flatnonzero(in_marketing ** senses)", ("tests/test_rules.py",), r"siloed_tree"),
    Bug("lateral_edges_drawn", "lateral links drawn one way only, self-loops kept",
        "simulation/core/structures.py", "keep = a != b", "keep = a <= b",
        ("tests/test_rules.py",), r"lateral_links"),
    Bug("latency_or", "a landed change's latency is land | created",
        "simulation/core/organization.py", "model.latencies.append(land - created)",
        "model.latencies.append(land | created)", ("tests/test_rules.py",),
        r"decision_latency"),
    Bug("judge_adds_weight", "an unsurveyed report is added to its segment's share",
        "simulation/core/organization.py", "reported = weight[variant, proposer_segment] * report",
        "reported = weight[variant, proposer_segment] + report", ("tests/test_rules.py",),
        r"staff_judge"),
    Bug("staff_slots_shift", "staff slots are capacity << tops",
        "simulation/core/organization.py", "f.staff_capacity * max(1, tops)",
        "f.staff_capacity << max(1, tops)", ("tests/test_rules.py",), r"staff_judge"),
    Bug("partner_owner_capacity", "a partner proposal may go to a member with no capacity",
        "simulation/core/organization.py", "owners = owners[model.capacity_left[owners] > 0]",
        "owners = owners[model.capacity_left[owners] >= 0]", ("tests/test_rules.py",),
        r"partner_proposals"),
    Bug("partner_drop_inverted", "partner proposals dropped when an owner exists",
        "simulation/core/organization.py",
        "            if owners.size == 0:\n                counters",
        "            if owners.size > 0:\n                counters", ("tests/test_rules.py",),
        r"partner_proposals"),
    Bug("normalised_times", "normalised fitness multiplies by the optimum",
        "simulation/kernels/nk.py", "contributions[s]) / max_fitness[s]",
        "contributions[s]) * max_fitness[s]", ("tests/test_rules.py",), r"normalised_fitness"),
    Bug("correlation_one_segment", "one segment's correlation is computed, not 1",
        "simulation/core/market.py", "if len(segments) < 2:", "if len(segments) < 1:",
        ("tests/test_rules.py",), r"correlation_of_one"),
    Bug("fitness_divided", "step fitness divides segment fitness by customers",
        "simulation/core/metrics.py", "(model.segment_fitness * counts).sum()",
        "(model.segment_fitness / counts).sum()", ("tests/test_rules.py",), r"weighted_mean"),
    Bug("empty_metrics", "an empty record becomes one row",
        "simulation/core/metrics.py", "if values else np.empty(0)",
        "if values else np.empty(1)", ("tests/test_rules.py",), r"not_stepped"),
    Bug("interval_of_two", "two values get no interval",
        "simulation/analysis/statistics.py", "    if array.size < 2:\n        return mean",
        "    if array.size < 3:\n        return mean", ("tests/test_rules.py",), r"two_values"),
    Bug("default_reference_last", "the default reference is the last structure",
        "simulation/analysis/statistics.py", "reference = names[0]", "reference = names[-1]",
        ("tests/test_rules.py",), r"default_reference"),
    Bug("last_batch_xor", "the last batch size is max ^ done",
        "simulation/analysis/statistics.py", "min(step, max_replicates - replicates)",
        "min(step, max_replicates ^ replicates)", ("tests/test_rules.py",), r"exactly_at"),
    Bug("rescope_times", "a re-scoped sensor's modules are multiplied, not kept",
        "simulation/core/organization.py", "cycle % modules + modules * segment",
        "cycle * modules + modules * segment", ("tests/test_rules.py",), r"rescope"),
    Bug("review_messages", "a peer review costs three messages per reviewer",
        "simulation/core/organization.py", 'counters["messages"] += 2 * int(reviewers.sum())',
        'counters["messages"] += 3 * int(reviewers.sum())', ("tests/test_rules.py",),
        r"test_peer_review"),
    Bug("partner_sample_draw", "a partner's self-test asks another customer (/ -> %)",
        "simulation/core/organization.py",
        "sample_draw = ((speaking - start[segments] + 0.5) / sizes)[:, None]",
        "sample_draw = ((speaking - start[segments] + 0.5) % sizes)[:, None]",
        ("tests/test_rules.py",), r"partner_self_test"),
    Bug("vetoed_when_tops_used_budget", "one local decision too few vetoed when the tops "
        "used the whole budget", "simulation/core/organization.py",
        'counters["vetoed"] += max(0, len(direct) - max(0, remaining))',
        'counters["vetoed"] += max(0, len(direct) - max(1, remaining))',
        ("tests/test_rules.py",), r"tops_left_of_the_budget"),
    Bug("survey_steps_shift", "surveys run while t >> interval is 0, not every interval",
        "simulation/core/organization.py", "on_survey = (t % f.survey_interval) == 0",
        "on_survey = (t >> f.survey_interval) == 0", ("tests/test_rules.py",),
        r"survey_steps_only"),
    Bug("survey_steps_never", "surveys never run (t + interval == 0)",
        "simulation/core/organization.py", "on_survey = (t % f.survey_interval) == 0",
        "on_survey = (t + f.survey_interval) == 0", ("tests/test_rules.py",),
        r"survey_steps_only"),
    Bug("sense_rate_or", "every sensor tests every step (& -> + binds first)",
        "simulation/core/organization.py",
        "tests = sensing & ~org.survey_only & (draw < f.sense_rate)",
        "tests = sensing & ~org.survey_only + (draw < f.sense_rate)", ("tests/test_rules.py",),
        r"sense_rate_is"),
    Bug("workload_mod", "workload from capacity % left, not capacity - left",
        "simulation/core/organization.py", "used = model.capacity - model.capacity_left",
        "used = model.capacity % model.capacity_left", ("tests/test_rules.py",),
        r"workload_is"),
    Bug("staff_noise_minus", "staff survey noise shifted by, not scaled by, the feedback noise",
        "simulation/core/organization.py",
        "noise_draw = rng.standard_normal((count, f.staff_sample)) * f.feedback_noise",
        "noise_draw = rng.standard_normal((count, f.staff_sample)) - f.feedback_noise",
        ("tests/test_rules.py",), r"staff_survey_noise"),
    Bug("departed_time_paid", "a departed employee's coordination time counts as -1",
        "simulation/core/economics.py",
        "used = np.where(alive, model.capacity - model.capacity_left, 0).astype(float)",
        "used = np.where(alive, model.capacity - model.capacity_left, -1).astype(float)",
        ("tests/test_economics_rules.py",), r"departed_employees"),
    Bug("no_buyers_unit_cost", "with no buyers the unit cost is a shift, not a mean",
        "simulation/core/economics.py",
        "float(served_weight @ unit / served_weight.sum())",
        "float(served_weight @ unit << served_weight.sum())",
        ("tests/test_economics_rules.py",), r"no_buyers"),
    Bug("first_chance_mod", "the first purchase chance is 1 / (1 % exp(...))",
        "simulation/core/customers.py", "chance = 1.0 / (1.0 + np.exp(-c.choice_sensitivity",
        "chance = 1.0 / (1.0 % np.exp(-c.choice_sensitivity",
        ("tests/test_customers_rules.py",), r"first_purchase"),
    Bug("threshold_clip_zero", "defection thresholds clipped to [0, 0]",
        "simulation/core/customers.py", "                        0.0, 1.0)",
        "                        0.0, 0.0)", ("tests/test_customers_rules.py",),
        r"defection_thresholds"),
    Bug("media_message_minus", "a medium's message moves the outside option against its stance",
        "simulation/kernels/customers.py",
        "said = outside + tone * stance[k]",
        "said = outside - tone * stance[k]",
        ("tests/test_customers_rules.py",), r"media_message"),
    Bug("investor_horizon_floor", "an investor compares with H steps back, not H + 1",
        "simulation/core/stakeholders.py", "past = history[-horizon - 1]",
        "past = history[-horizon // 1]", ("tests/test_stakeholders_rules.py",),
        r"own_target"),
    Bug("investor_growth_floor", "revenue growth by floor division",
        "simulation/core/stakeholders.py", "growth = revenue / past - 1.0",
        "growth = revenue // past - 1.0", ("tests/test_stakeholders_rules.py",), r"own_target"),
    Bug("investor_past_above_one", "growth only when past revenue exceeds 1",
        "simulation/core/stakeholders.py", "if past > 0 else 0.0", "if past > 1 else 0.0",
        ("tests/test_stakeholders_rules.py",), r"own_target"),
    Bug("investor_stance_two", "an investor's stance keeps (2 - r) of itself",
        "simulation/core/stakeholders.py", "s.stance[i] = (1 - rate) * s.stance[i]",
        "s.stance[i] = (2 - rate) * s.stance[i]", ("tests/test_stakeholders_rules.py",),
        r"own_target"),
    Bug("partner_rule_for_others", "the partner rule moves everyone but the partners",
        "simulation/core/stakeholders.py", "partners = np.flatnonzero(s.kind == PARTNER)",
        "partners = np.flatnonzero(s.kind != PARTNER)", ("tests/test_stakeholders_rules.py",),
        r"own_target"),
    Bug("ties_one_customer", "every tie of an employee goes to its segment's first customer",
        "simulation/core/conversation.py", "size = p.segment_start[segment + 1] - start",
        "size = p.segment_start[segment ** 1] - start", ("tests/test_conversation_rules.py",),
        r"ties_are_spread"),
    Bug("mode_none_official", "with the conversation off the official voice still answers",
        "simulation/core/conversation.py", 'elif conv.mode == "official":',
        'elif conv.mode <= "official":', ("tests/test_conversation_rules.py",),
        r"switched_off"),
    Bug("heard_xor", "a tied customer is heard when buying xor active",
        "simulation/core/conversation.py", "(p.buying[conv.customer] == 1) & (",
        "(p.buying[conv.customer] == 1) ^ (", ("tests/test_conversation_rules.py",),
        r"shrink_its_noise"),
    Bug("heard_shift", "the noise shrinks by sqrt(m / (m << h))",
        "simulation/core/conversation.py", "math.sqrt(m / (m + h))",
        "math.sqrt(m / (m << h))", ("tests/test_conversation_rules.py",), r"shrink_its_noise"),
    Bug("crisis_everyone", "a reputation crisis reaches every active customer",
        "simulation/core/shocks.py", "< shock.share]", "!= shock.share]",
        ("tests/test_shocks_rules.py",), r"reputation_crisis"),
    Bug("talent_loss_all", "a talent loss may take every employee",
        "simulation/core/shocks.py", "alive.shape[0] - 1)", "alive.shape[0] ** 1)",
        ("tests/test_shocks_rules.py",), r"leaves_one_employee"),
    Bug("segment_end_xor", "an arriving odd segment's customers end at segment ^ 1",
        "simulation/core/shocks.py", "p.segment_start[segment + 1]\n",
        "p.segment_start[segment ^ 1]\n", ("tests/test_shocks_rules.py",), r"new_segment"),
    Bug("arrival_belief_div", "an arriving customer believes fitness / taste",
        "simulation/core/shocks.py", "model.segment_fitness[segment] + p.taste[a:b]",
        "model.segment_fitness[segment] / p.taste[a:b]", ("tests/test_shocks_rules.py",),
        r"new_segment"),
    Bug("window_skips_start", "a turbulence window skips its first step",
        "simulation/core/shocks.py", "if start <= t < end:", "if start != t < end:",
        ("tests/test_shocks_rules.py",), r"turbulence_window"),
    Bug("network_tops_decide", "the network's spec says tops decide",
        "simulation/config/builtins.py",
        'decides="each proposer after peer review", tops_decide=False,',
        'decides="each proposer after peer review", tops_decide=True,',
        ("tests/test_rules.py",), r"network_has_no_tops"),
    Bug("surveys_or", "surveys go to anyone with capacity, not the waiting branches",
        "simulation/core/organization.py", "np.flatnonzero(waiting & (capacity_left > 0))",
        "np.flatnonzero(waiting | (capacity_left > 0))",
        ("tests/test_decisions.py::test_silo_surveys_are_limited_by_marketing_capacity",),
        r"silo_surveys"),
    Bug("first_entry_step", "firms there from the start entered at step -1",
        "simulation/core/competition.py", "firm.entered_at = 0", "firm.entered_at = -1",
        ("tests/test_competition_rules.py",), r"entered_at_step_0"),
    Bug("first_choice_others", "the first choice subtracts the other firms' weights",
        "simulation/core/competition.py", "others = others + weight", "others = others - weight",
        ("tests/test_competition_rules.py",), r"first_choice_is_the_logit"),
    Bug("first_choice_logistic", "the first satisfaction's logistic has 2 + exp",
        "simulation/core/competition.py", "logistic = 1.0 / (1.0 + np.exp(-x))",
        "logistic = 1.0 / (2.0 + np.exp(-x))",
        ("tests/test_competition_rules.py",), r"first_choice_is_the_logit"),
    Bug("first_sentiment_pow", "the first sentiment is 2 ** logistic - 1",
        "simulation/core/competition.py", 'rows["sentiment"][g] = 2.0 * logistic - 1.0',
        'rows["sentiment"][g] = 2.0 ** logistic - 1.0',
        ("tests/test_competition_rules.py",), r"first_choice_is_the_logit"),
    Bug("conserved_le", "the conservation check allows missing buying flags",
        "simulation/core/competition.py",
        'self._per_firm["buying"][:, active].sum()) == buyers',
        'self._per_firm["buying"][:, active].sum()) <= buyers',
        ("tests/test_competition_rules.py",), r"conservation_check"),
    Bug("market_far_le", "the market's voices cross weak ties on u <= c f",
        "simulation/kernels/competition.py",
        "far = talk_draw[i] < chance * (push / (1.0 + push))",
        "far = talk_draw[i] <= chance * (push / (1.0 + push))",
        ("tests/test_competition_rules.py",), r"no_voice_crosses_weak_ties"),
    Bug("isolated_hears_positive", "a customer who hears no one hears only positive voices",
        "simulation/kernels/customers.py",
        "positive_share = positive / total if total > 0.0 else 0.0",
        "positive_share = positive / total if total > 0.0 else 1.0",
        ("tests/test_customers_rules.py",), r"isolated_customer"),
]


def plant(bug: Bug, scratch: Path) -> None:
    """Copy the package and tests into ``scratch`` and plant ``bug`` there."""
    if scratch.exists():
        shutil.rmtree(scratch)
    scratch.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for part in ("simulation", "tests"):
        shutil.copytree(ROOT / part, scratch / part, ignore=ignore)
    for extra in ("pyproject.toml", "docs", "scenarios", "experiments"):
        source = ROOT / extra
        if source.is_dir():
            shutil.copytree(source, scratch / extra, ignore=ignore)
        elif source.exists():
            shutil.copy2(source, scratch / extra)
    target = scratch / bug.path
    text = target.read_text()
    if text.count(bug.old) != 1:
        raise SystemExit(f"{bug.name}: the text to replace occurs {text.count(bug.old)} times "
                         f"in {bug.path} (the module changed; update the bug)")
    target.write_text(text.replace(bug.old, bug.new))


def run_tests(bug: Bug, scratch: Path) -> tuple[list[str], float]:
    """Run the bug's tests in ``scratch``; return the failing test ids and the time taken."""
    env = {**os.environ, "PYTHONPATH": str(scratch)}
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rf",
         "-o", "addopts=", *bug.tests],
        cwd=scratch, env=env, capture_output=True, text=True,
    )
    failed = re.findall(r"^FAILED (\S+)", result.stdout, flags=re.MULTILINE)
    if result.returncode not in (0, 1):
        failed.append(f"<pytest exit {result.returncode}>")
    return failed, time.perf_counter() - started


def main(argv: list[str]) -> int:
    every = BUGS + WEAK + SURVIVORS
    if argv == ["--weak"]:
        chosen = WEAK
    elif argv == ["--survivors"]:
        chosen = SURVIVORS
    else:
        chosen = [b for b in BUGS if not argv] + [b for b in every if b.name in argv]
    missed = 0
    with tempfile.TemporaryDirectory(prefix="plant-") as folder:
        scratch = Path(folder) / "tree"
        print(f"{'bug':24s} {'caught':7s} {'by name':8s} {'time':>6s}  failing tests")
        for bug in chosen:
            plant(bug, scratch)
            failed, seconds = run_tests(bug, scratch)
            by_name = any(re.search(bug.expect, f) for f in failed)
            missed += not by_name
            shown = ", ".join(f.split("::")[-1] for f in failed[:4])
            more = f" (+{len(failed) - 4})" if len(failed) > 4 else ""
            print(f"{bug.name:24s} {'yes' if failed else 'NO':7s} "
                  f"{'yes' if by_name else 'NO':8s} {seconds:5.0f}s  {shown}{more}", flush=True)
    print(f"{len(chosen) - missed} of {len(chosen)} planted bugs caught by a test named after "
          "their rule")
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
