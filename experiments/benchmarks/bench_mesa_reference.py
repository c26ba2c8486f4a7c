"""firmsim's default run against an idiomatic Mesa model of the same market (issue 26: >= 100x).

    .venv/bin/python experiments/benchmarks/bench_mesa_reference.py             # 25 Mesa steps
    .venv/bin/python experiments/benchmarks/bench_mesa_reference.py --mesa-steps 500 --repeats 1

The reference is what a modeller would write first in Mesa 3.5: one ``mesa.Agent`` per
customer and per employee, Python methods called through ``AgentSet.do`` /
``shuffle_do``, the model's ``rng`` for every draw, a ``DataCollector`` for the market share.
Its customers follow a far simpler rule than firmsim's (see :class:`Customer`): they
experience one product, voice to their neighbours with one probability, move their belief to
the mean opinion heard and choose by the logistic of their belief, with a threshold for
defection. Its employees only decide, with one draw, whether to propose a change, and the
product's value drifts by one draw a step. No media, stakeholders, books, structures,
queues, segments or landscape. So the ratio below understates what the compiled model saves.

Both models have the default's size: 20,000 customers on a small-world network (10
neighbours, rewiring 0.1; networkx's generator for Mesa, firmsim's own for firmsim),
200 employees. firmsim's run is ``build_model(defaults, "hierarchy", seed).run()``, 500 steps,
on whatever threads a run in the user's own process uses (``NUMBA_NUM_THREADS``). The Mesa
model's build is timed once and its steps for ``--mesa-steps`` steps; its 500-step time is
build + 500 x the median time per step (a Mesa step's cost does not grow over a run: the
same agents each step). Both are timed in one process, alternating; medians. The ratio is
Mesa's 500-step time over firmsim's.
"""

from __future__ import annotations

import argparse
import math
import os
import time

import mesa
import networkx as nx
import numpy as np

from simulation.config.schema import validate_model_config
from simulation.config.seeds import run_seed
from simulation.execution.runs import build_model


def _logistic(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


class Customer(mesa.Agent):
    """A customer: experiences the product if it buys, may talk, listens, then chooses.

    Two phases per step (``speak`` for every customer, then ``listen``), so every customer
    hears what its neighbours said this step, as in firmsim.
    """

    def __init__(self, model: MesaMarket, taste: float, threshold: float) -> None:
        super().__init__(model)
        self.taste = taste
        self.threshold = threshold
        self.belief = model.value + taste
        self.buying = model.rng.random() < self.buy_chance()
        self.opinion = self.belief
        self.voiced = False
        self.neighbours: list[Customer] = []

    def buy_chance(self) -> float:
        m = self.model
        return _logistic(m.choice_sensitivity * (self.belief - m.outside_option))

    def speak(self) -> None:
        m = self.model
        if self.buying:
            experienced = m.value + self.taste + m.experience_noise * m.rng.normal()
            self.opinion = ((1 - m.experience_weight) * self.belief
                            + m.experience_weight * experienced)
            self.voiced = m.rng.random() < m.talk_rate
        else:
            self.opinion = self.belief
            self.voiced = False

    def listen(self) -> None:
        m = self.model
        heard = [n.opinion for n in self.neighbours if n.voiced]
        if heard:
            self.belief = self.opinion + m.word_of_mouth_weight * (
                sum(heard) / len(heard) - self.opinion)
        else:
            self.belief = self.opinion
        negative = sum(1 for n in self.neighbours
                       if n.voiced and n.opinion < m.outside_option)
        negative_share = negative / len(self.neighbours) if self.neighbours else 0.0
        chance = self.buy_chance()
        u = m.rng.random()
        if self.buying and negative_share >= self.threshold:
            self.buying = u < chance
        elif u < m.reconsider_rate:
            self.buying = m.rng.random() < chance


class Employee(mesa.Agent):
    """An employee who proposes a change with a fixed chance each step."""

    def step(self) -> None:
        if self.model.rng.random() < self.model.sense_rate:
            self.model.proposals += 1


class MesaMarket(mesa.Model):
    """The reference market: customers on a small-world network and a firm's employees."""

    def __init__(self, customers: int, employees: int, degree: int, rewiring: float,
                 seed: int) -> None:
        super().__init__(rng=seed)
        config = validate_model_config({}).customers
        self.outside_option = 0.75
        self.value = 0.8
        self.choice_sensitivity = config.choice_sensitivity
        self.experience_noise = config.experience_noise
        self.experience_weight = config.experience_weight
        self.talk_rate = config.talk_rate
        self.word_of_mouth_weight = config.word_of_mouth_weight
        self.reconsider_rate = config.reconsider_rate
        self.sense_rate = 0.1
        self.proposals = 0
        people = [Customer(self, self.rng.normal(0.0, config.taste_sd),
                           min(1.0, max(0.0, self.rng.normal(config.defection_threshold,
                                                             config.defection_threshold_sd))))
                  for _ in range(customers)]
        graph = nx.watts_strogatz_graph(customers, degree, rewiring,
                                        seed=int(self.rng.integers(2**31)))
        for node, person in enumerate(people):
            person.neighbours = [people[other] for other in graph.neighbors(node)]
        for _ in range(employees):
            Employee(self)
        self.datacollector = mesa.DataCollector(model_reporters={"market_share": "share"})

    @property
    def share(self) -> float:
        customers = self.agents_by_type[Customer]
        return sum(1 for c in customers if c.buying) / len(customers)

    def step(self) -> None:
        self.value += 0.01 * self.rng.normal()  # the market moves
        customers = self.agents_by_type[Customer]
        customers.do("speak")
        customers.do("listen")
        self.agents_by_type[Employee].shuffle_do("step")
        self.datacollector.collect(self)


def firmsim_run(config, seed: int) -> float:
    started = time.perf_counter()
    build_model(config, "hierarchy", run_seed(seed, 0)).run()
    return time.perf_counter() - started


def mesa_run(customers: int, employees: int, steps: int, seed: int) -> tuple[float, float]:
    """(build seconds, median seconds per step) of the Mesa reference."""
    started = time.perf_counter()
    model = MesaMarket(customers, employees, 10, 0.1, seed)
    build = time.perf_counter() - started
    per_step = []
    for _ in range(steps):
        started = time.perf_counter()
        model.step()
        per_step.append(time.perf_counter() - started)
    assert 0.0 < model.share < 1.0
    return build, float(np.median(per_step))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mesa-steps", type=int, default=25)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    config = validate_model_config({})
    customers, employees, steps = config.customers.count, config.firm.employees, config.steps
    print(f"load average (1 min) {os.getloadavg()[0]:.2f}; {customers:,} customers, "
          f"{employees} employees, {steps} steps; NUMBA_NUM_THREADS="
          f"{os.environ.get('NUMBA_NUM_THREADS', 'default')}")
    firmsim_run(validate_model_config({"steps": 20}), 99)  # compile or load the kernels
    ours, theirs = [], []
    for repeat in range(args.repeats):
        ours.append(firmsim_run(config, repeat + 1))
        build, per_step = mesa_run(customers, employees, args.mesa_steps, repeat + 1)
        theirs.append(build + steps * per_step)
        print(f"  repeat {repeat + 1}: firmsim {ours[-1]:.3f} s; Mesa build {build:.2f} s + "
              f"{steps} x {per_step * 1e3:.1f} ms = {theirs[-1]:.1f} s")
    mine, reference = float(np.median(ours)), float(np.median(theirs))
    print(f"firmsim default run {mine:.3f} s (median of {args.repeats}); Mesa reference "
          f"{reference:.1f} s ({steps} steps from {args.mesa_steps} timed); "
          f"ratio {reference / mine:.0f}x (goal >= 100x)")


if __name__ == "__main__":
    main()
