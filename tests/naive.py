"""Slow, obviously correct references for the kernels (compared for exact equality in tests).

Each section belongs to one kernel module; the references are written independently of the
kernels (plain Python, no Numba, no shared helpers).
"""

# contagion
# --------------------------------------------------------------------------------------------
# References for simulation/kernels/contagion.py. Sums run over the neighbours in CSR order,
# as in the kernels, so floating-point results agree bit for bit.


def contagion_neighbours(indptr, indices, node):
    """Neighbours of ``node`` with their CSR positions, in CSR order."""
    return [(int(indices[e]), e) for e in range(int(indptr[node]), int(indptr[node + 1]))]


def contagion_share(indptr, indices, edge_weights, state, by_weight, node):
    """Share of ``node``'s neighbours in ``state`` (weighted fraction or weight / degree)."""
    weights = [float(edge_weights[e]) if len(edge_weights) else 1.0
               for _, e in contagion_neighbours(indptr, indices, node)]
    members = [bool(state[j]) for j, _ in contagion_neighbours(indptr, indices, node)]
    heard = 0.0
    for weight, member in zip(weights, members, strict=True):
        if member:
            heard += weight
    if by_weight:
        denominator = 0.0
        for weight in weights:
            denominator += weight
    else:
        denominator = float(len(weights))
    return heard / denominator if denominator > 0 else 0.0


def neighbour_share(indptr, indices, edge_weights, state, by_weight):
    """List of every node's neighbour share."""
    return [contagion_share(indptr, indices, edge_weights, state, by_weight, i)
            for i in range(len(state))]


def bass_adoption_step(indptr, indices, edge_weights, adopted, innovation, imitation,
                       by_weight, uniforms):
    """New adoption state and count: non-adopter i adopts iff u_i < p + q * share_i."""
    after = []
    for i, already in enumerate(adopted):
        share = contagion_share(indptr, indices, edge_weights, adopted, by_weight, i)
        after.append(bool(already) or uniforms[i] < innovation + imitation * share)
    return after, sum(after) - sum(bool(a) for a in adopted)


def bass_adoption_step_mixed(adopted, innovation, imitation, uniforms):
    """Fully mixed Bass step: the population share of adopters replaces the neighbour share."""
    fraction = sum(bool(a) for a in adopted) / len(adopted) if len(adopted) else 0.0
    after = [bool(a) or uniforms[i] < innovation + imitation * fraction
             for i, a in enumerate(adopted)]
    return after, sum(after) - sum(bool(a) for a in adopted)


def threshold_step(indptr, indices, edge_weights, thresholds, by_weight, switched):
    """Synchronous Watts round: i switches iff share_i >= phi_i (start-of-round state)."""
    after = [bool(s) or contagion_share(indptr, indices, edge_weights, switched, by_weight, i)
             >= thresholds[i] for i, s in enumerate(switched)]
    return after, sum(after) - sum(bool(s) for s in switched)


def threshold_cascade(indptr, indices, edge_weights, thresholds, by_weight, switched):
    """Final state of synchronous rounds repeated until nothing changes."""
    state = [bool(s) for s in switched]
    while True:
        state_next, changed = threshold_step(indptr, indices, edge_weights, thresholds,
                                             by_weight, state)
        if changed == 0:
            return state
        state = state_next
