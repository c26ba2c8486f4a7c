"""Property tests (hypothesis) of the rules with an invariant (issue 27): a chart is a tree
before and after any loss, every (module, segment) pair has a sensor, shares stay in [0, 1]
and customers are conserved, and a summary does not depend on the order of its rows."""

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation import FirmModel
from simulation.analysis.statistics import band
from simulation.config.schema import ModelConfig
from simulation.config.vocabulary import HUB, POD_MEMBER
from simulation.core.structures import build_organization, repair_after_loss, scope_cycles

FAST = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])


def build(structure, seed=0, **firm):
    config = ModelConfig(structure=structure, firm=firm)
    return build_organization(config, np.random.default_rng(seed)), config


def assert_is_a_tree(org):
    """Among the employees still there: one top, every other one's chain of managers reaches
    it through employees still there, depth = hops to the top, only non-managers sense."""
    alive = org.alive.astype(bool)
    if not alive.any():
        return
    live = np.flatnonzero(alive)
    tops = live[org.parent[live] == -1]
    assert tops.size == 1, f"tops {tops}"
    for i in live:
        hops, p = 0, org.parent[i]
        while p >= 0:
            assert alive[p], f"{i} reports to departed {p}"
            hops, p = hops + 1, org.parent[p]
            assert hops <= org.size, "a cycle in the chart"
        assert org.depth[i] == hops
    managers = np.zeros(org.size, dtype=bool)
    managers[org.parent[live][org.parent[live] >= 0]] = True
    assert not (org.senses & (managers | ~alive)).any()


@FAST
@given(employees=st.integers(3, 300), span=st.integers(2, 9), siloed=st.booleans())
def test_a_tree_chart_is_a_tree_with_at_most_span_reports(employees, span, siloed):
    org, _ = build("siloed_social" if siloed else "hierarchy", employees=employees, span=span)
    assert_is_a_tree(org)
    assert np.all(org.parent[1:] < np.arange(1, employees))  # breadth-first numbering
    reports = np.bincount(org.parent[org.parent >= 0], minlength=employees)
    assert reports.max() <= span
    assert np.array_equal(org.senses, reports == 0)  # the frontline senses, no one else


@FAST
@given(employees=st.integers(3, 120), span=st.integers(2, 6),
       losses=st.lists(st.lists(st.integers(0, 119), min_size=1, max_size=10), max_size=4),
       siloed=st.booleans())
def test_a_tree_stays_a_tree_after_any_sequence_of_losses(employees, span, losses, siloed):
    org, _ = build("siloed_social" if siloed else "hierarchy", employees=employees, span=span)
    for wave in losses:
        leaving = np.unique(np.array([i for i in wave if i < employees], dtype=np.int64))
        repair_after_loss(org, leaving)
        assert not org.senses[leaving].any()
        assert_is_a_tree(org)


@FAST
@given(employees=st.integers(8, 200), pod_size=st.integers(2, 8), hub_span=st.integers(1, 8),
       segments=st.integers(1, 6), modules=st.integers(1, 5), lost=st.sets(st.integers(0, 199),
                                                                            max_size=20))
def test_pods_report_to_hubs_and_cover_every_pair(employees, pod_size, hub_span, segments,
                                                  modules, lost):
    """Every member reports to a hub (or decides alone when no hub is left); the members'
    scopes cover every (module, segment) pair."""
    config = ModelConfig(structure="podular", market={"segments": segments, "modules": modules},
                         firm={"employees": employees, "pod_size": pod_size,
                               "hub_span": hub_span})
    org = build_organization(config, np.random.default_rng(0))
    members = org.role == POD_MEMBER
    assert np.all(org.role[org.parent[members]] == HUB)
    pairs = set(org.scope_cycle[members][org.scope_cycle[members] >= 0].tolist())
    assert pairs == set(range(modules * segments))
    repair_after_loss(org, np.array(sorted(i for i in lost if i < employees), dtype=np.int64))
    alive = org.alive.astype(bool)
    hubs_left = np.flatnonzero((org.role == HUB) & alive)
    if hubs_left.size:
        assert np.all(np.isin(org.parent[members], hubs_left))
    else:
        assert np.all(org.parent[members] == -2)


@FAST
@given(count=st.integers(0, 50), pairs=st.integers(1, 40))
def test_scope_cycles_give_every_pair_a_sensor_evenly(count, pairs):
    cycle, length = scope_cycles(count, np.arange(pairs))
    if count == 0:
        assert cycle.shape[0] == 0
        return
    assigned = cycle[cycle >= 0]
    assert set(assigned.tolist()) == set(range(pairs))
    per_pair = np.bincount(assigned, minlength=pairs)
    assert per_pair.max() - per_pair.min() <= 1
    assert np.array_equal(length, (cycle >= 0).sum(axis=1))


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(structure=st.sampled_from(["hierarchy", "siloed_social", "network", "podular", "open"]),
       seed=st.integers(0, 10_000), customers=st.integers(50, 400),
       employees=st.integers(8, 40))
def test_shares_stay_in_unit_interval_and_customers_are_conserved(structure, seed, customers,
                                                                  employees):
    model = FirmModel(structure=structure, rng=seed, customers=customers, employees=employees,
                      steps=15, shocks=[{"kind": "need_shift", "step": 5, "strength": 0.5}])
    frame = model.run().metrics()
    for column in ("market_share", "fitness", "satisfaction", "workload"):
        assert frame[column].between(0.0, 1.0).all(), column
    assert (frame["customers_buying"] <= frame["customers_active"]).all()
    assert (frame["customers_active"] <= customers).all()


@FAST
@given(values=st.lists(st.one_of(st.floats(-10, 10), st.just(float("nan"))), min_size=1,
                       max_size=30), seed=st.integers(0, 1000))
def test_band_does_not_depend_on_row_order(values, seed):
    frame = pd.DataFrame({"structure": [("a", "b")[i % 2] for i in range(len(values))],
                          "step": [i % 3 for i in range(len(values))], "value": values})
    shuffled = frame.sample(frac=1.0, random_state=seed)
    pd.testing.assert_frame_equal(band(frame, "value"), band(shuffled, "value"))


#: customer_step's arguments that hold one value per customer (the rest are the network,
#: scalars, the segments' values and the per-segment outputs).
PER_CUSTOMER = (*range(10), 14, 15, 16, *range(18, 22), 24, 25, 26)


def relabel_customers(arguments, order):
    """The same world with customer ``order[k]`` renamed ``k``: every per-customer array
    (draws included) reordered, the network's ties renamed and each neighbour list sorted
    again (the kernel wants ascending lists), each tie keeping its strong flag."""
    arguments = [a.copy() if isinstance(a, np.ndarray) else a for a in arguments]
    indptr, indices, strong = arguments[10], arguments[11], arguments[12]
    new_name = np.empty_like(order)
    new_name[order] = np.arange(order.size)
    rows, names, flags = [], [], []
    for k, old in enumerate(order):
        ties = slice(indptr[old], indptr[old + 1])
        renamed = new_name[indices[ties]]
        by_name = np.argsort(renamed, kind="stable")
        rows.append(np.full(renamed.size, k))
        names.append(renamed[by_name])
        flags.append(strong[ties][by_name])
    counts = np.bincount(np.concatenate(rows + [np.empty(0, int)]).astype(int),
                         minlength=order.size)
    arguments[10] = np.concatenate([[0], np.cumsum(counts)]).astype(indptr.dtype)
    arguments[11] = np.concatenate(names + [np.empty(0, int)]).astype(indices.dtype)
    arguments[12] = np.concatenate(flags + [np.empty(0, int)]).astype(strong.dtype)
    for i in PER_CUSTOMER:
        arguments[i] = arguments[i][order]
    return arguments


@FAST
@given(seed=st.integers(0, 10_000), customers=st.integers(1, 40), edges=st.integers(0, 120),
       talk_rate=st.sampled_from([0.3, 2.0]), threshold=st.sampled_from([None, 0.0]))
def test_customer_step_does_not_depend_on_the_customers_order(seed, customers, edges,
                                                                talk_rate, threshold):
    """Customers update synchronously from this step's voices: renaming them (each keeping
    its own draws and ties) renames the outcome and changes no segment's totals."""
    from test_kernels import customer_arguments

    from simulation.kernels import customers as ck

    arguments = customer_arguments(seed, customers=customers, edges=edges,
                                   talk_rate=talk_rate, threshold=threshold)
    order = np.random.default_rng(seed + 1).permutation(customers)
    mine = [a.copy() if isinstance(a, np.ndarray) else a for a in arguments]
    renamed = relabel_customers(arguments, order)
    assert ck.customer_step(*mine) == ck.customer_step(*renamed)
    for i in PER_CUSTOMER:  # the hearing rows (21) included: what each customer heard
        np.testing.assert_allclose(renamed[i], mine[i][order], rtol=0, atol=1e-12,
                                   err_msg=f"argument {i}")
    for i in range(36, 40):  # buyers, active customers, satisfaction and sentiment sums
        np.testing.assert_allclose(renamed[i], mine[i], rtol=0, atol=1e-9,
                                   err_msg=f"segment totals {i}")
