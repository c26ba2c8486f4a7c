"""The tree-to-network dial (``firm.lateral_links``): decision rights move linearly from the
top of a tree to its frontline, and the dial's ends are the two structures' decision rules.

The counts are checked against an independent formula; a planted bug (decision rights
following the number of links instead of the dial, a decider left without a peer, a link
leaving the group) fails a test here.
"""

import numpy as np
import pytest

from simulation import FirmModel
from simulation.config.schema import ModelConfig
from simulation.config.vocabulary import FRONTLINE
from simulation.core.structures import build_organization


def org_of(structure, seed=0, **firm):
    return build_organization(ModelConfig(structure=structure, firm=firm),
                              np.random.default_rng(seed))


def lateral_peers(org, i):
    return set(org.peers[org.peer_ptr[i]:org.peer_ptr[i + 1]].tolist())


@pytest.mark.parametrize("dial", [0.0, 0.01, 0.02, 0.05, 0.1, 0.3, 0.5, 0.77, 1.0])
def test_decision_rights_move_linearly_with_the_dial(dial):
    """round(dial x frontline) frontline employees decide locally (none below a group of
    two), each has at least one lateral peer, every peer is in the group, managers never
    decide, and the lateral links number round(group x degree / 2) before self-loops (a pair
    drawn with both ends the same) are dropped, and never fewer than the ring's."""
    org = org_of("hierarchy", seed=3, employees=200, span=5, lateral_links=dial,
                 network_degree=6)
    frontline = np.flatnonzero(org.role == FRONTLINE)
    group = int(round(dial * frontline.size))
    expected = group if group >= 2 else 0
    deciders = np.flatnonzero(org.decides_locally)
    assert deciders.size == expected
    assert np.all(org.role[deciders] == FRONTLINE)
    members = set(deciders.tolist())
    for i in range(org.size):
        peers = lateral_peers(org, i)
        assert (len(peers) > 0) == (i in members)
        assert peers <= members
    if expected > 2:
        links = org.edges.shape[0] - (org.size - 1)  # reporting lines come first
        assert expected <= links <= max(expected, int(round(expected * 6 / 2)))


def test_the_dial_at_zero_is_the_hierarchy():
    """At 0 the tree has no lateral links and nobody decides locally, and a run is the
    hierarchy's run, metric for metric."""
    org = org_of("hierarchy", lateral_links=0.0, employees=60)
    assert not org.decides_locally.any() and org.peers.size == 0
    small = dict(customers=600, employees=40, steps=40, turbulence=0.05, rng=9)
    plain = FirmModel(structure="hierarchy", **small).run().metrics()
    dialled = FirmModel(structure="hierarchy", lateral_links=0.0, **small).run().metrics()
    assert plain.equals(dialled)


def test_the_dial_at_one_is_the_networks_decision_rule():
    """At 1 every employee who senses decides its own proposals after review by lateral
    peers, with the network's mean degree, and nothing climbs to the top: every change
    lands the step after it was decided (decision latency 1, as in the network; the tree's
    changes take 2 x depth steps to climb and come down)."""
    org = org_of("hierarchy", seed=1, employees=200, span=5, lateral_links=1.0,
                 network_degree=6)
    network = org_of("network", seed=1, employees=200, network_degree=6)
    assert np.array_equal(org.decides_locally, org.senses)
    assert network.decides_locally[network.senses].all()
    degree = np.diff(org.peer_ptr)[org.senses].mean()
    assert degree == pytest.approx(np.diff(network.peer_ptr).mean(), rel=0.1)
    model = FirmModel(structure="hierarchy", lateral_links=1.0, customers=600, employees=40,
                      steps=40, turbulence=0.05, rng=9)
    model.run()
    frame = model.metrics()
    assert frame["proposals_implemented"].sum() > 0
    assert set(frame["decision_latency"].dropna()) == {1.0}
    tree = FirmModel(structure="hierarchy", customers=600, employees=40, steps=40,
                     turbulence=0.05, rng=9).run().metrics()
    assert tree["decision_latency"].dropna().min() > 1.0
