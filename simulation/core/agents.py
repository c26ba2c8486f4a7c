"""Mesa agents as thin views onto the model's arrays.

Each agent holds only its index; its attributes read and write the model's arrays, so the
kernels work on whole populations while Mesa's tools (``model.agents``, ``agents_by_type``,
``DataCollector`` agent reporters) see ordinary agents.
"""

from __future__ import annotations

import mesa

from simulation.config.vocabulary import ROLES, STAKEHOLDER_KINDS


class Customer(mesa.Agent):
    """A customer: segment, taste, whether it buys, its belief, satisfaction and sentiment."""

    def __init__(self, model, index: int) -> None:
        super().__init__(model)
        self.index = index

    segment = property(lambda self: int(self.model.segment[self.index]))
    taste = property(lambda self: float(self.model.taste[self.index]))
    active = property(lambda self: bool(self.model.active[self.index]))
    buying = property(lambda self: bool(self.model.buying[self.index]))
    belief = property(lambda self: float(self.model.belief[self.index]))
    satisfaction = property(lambda self: float(self.model.satisfaction[self.index]))
    sentiment = property(lambda self: float(self.model.sentiment[self.index]))
    is_partner = property(lambda self: bool(self.model.is_partner[self.index]))

    @property
    def neighbours(self) -> list[int]:
        """Indices of the customers this one talks to."""
        m = self.model
        return m.indices[m.indptr[self.index]:m.indptr[self.index + 1]].tolist()


class Employee(mesa.Agent):
    """An employee: role, scope (module, segment), capacity, workload and queue."""

    def __init__(self, model, index: int) -> None:
        super().__init__(model)
        self.index = index

    role = property(lambda self: ROLES[self.model.org.role[self.index]])
    module = property(lambda self: int(self.model.org.module[self.index]))
    segment = property(lambda self: int(self.model.org.segment[self.index]))
    manager = property(lambda self: int(self.model.org.parent[self.index]))
    depth = property(lambda self: int(self.model.org.depth[self.index]))
    alive = property(lambda self: bool(self.model.org.alive[self.index]))
    capacity = property(lambda self: int(self.model.capacity[self.index]))
    workload = property(lambda self: float(self.model.workload[self.index]))
    queue_length = property(lambda self: int(self.model.q_length[self.index]))


class Stakeholder(mesa.Agent):
    """An investor, community/media outlet or partner with a stance in [-1, 1]."""

    def __init__(self, model, index: int) -> None:
        super().__init__(model)
        self.index = index

    kind = property(lambda self: STAKEHOLDER_KINDS[self.model.stakeholder_kind[self.index]])

    @property
    def stance(self) -> float:
        return float(self.model.stance[self.index])

    @stance.setter
    def stance(self, value: float) -> None:
        self.model.stance[self.index] = max(-1.0, min(1.0, float(value)))
