"""The economics submodel: the firm's books, and what a change costs as a decider knows it.

The rules are in ``docs/ODD.md`` section 7, "Economics". Each step the firm books

- **revenue**: buyers x price (as the metrics always did);
- **production cost**: units sold x unit cost. Unit cost follows an experience curve (Wright
  1936) on the cumulative volume of the product as it is made now. Experience is held per
  (variant, module); variants whose module is the same design pool their volume (a part
  made the same way is one part, whoever it is sold to), so variants that differ split it.
  A landed change depreciates the experience of the module it changes by
  ``change_depreciation`` times the changed share of that module (one attribute of ``m``);
- **variety cost**: ``variant_cost`` per distinct product design in the market;
- **change cost**: ``retooling_cost`` per module a landed change touches (its own and each
  other module holding a part whose contribution depends on the changed attribute);
- **organization cost**: the wage bill (managers and hubs paid ``1 + manager_premium``
  times base pay) plus coordination time (capacity units spent testing, reviewing,
  relaying, surveying and conversing), priced at the wage of that time times
  ``coordination_price``: coordination displaces operations, which are bought back;
- **profit** = revenue - costs; cumulative and discounted profit; margin = profit / revenue.

Money parameters are shares of the potential revenue per step (price x initial customers),
so the books keep their proportions at any market size. Memory is O(variants x modules +
attributes + employees), never O(customers).

Decisions (:func:`hurdles`, :func:`local_affordable`): a decider approves a change when its
estimated gain over the payback horizon exceeds the change's retooling cost as it knows it.
The gain converts the change's estimated value (normalised-fitness units) into revenue by the
slope of the customers' logistic choice at the firm's current sales: a unit of value is worth
``price x beta x sum over the segments served of n_s x share_s x (1 - share_s)`` per step.
Tops (the CEO, hubs) see the whole retooling cost (the books reach them); a local decider
knows the cost in its own module and a share ``side_effect_awareness`` of the cost falling
in other modules, the same channel through which it sees a change's side effects.
"""

from __future__ import annotations

import math

import numpy as np

from simulation.config.vocabulary import HUB, MANAGER
from simulation.kernels.judging import logit_worth


class Economics:
    """The books of one firm (state of the economics submodel).

    Attributes
    ----------
    potential : float               price x initial customers: the unit of the money shares
    one_unit : float                one unit in experience units (the curve's floor)
    exponent : float                b = -log2(progress_ratio) of the experience curve
    experience : float64 (V, G)     own cumulative volume of each variant's module, in steps
                                    of the whole market's demand (pooled across variants of
                                    the same module design when unit costs are read)
    module_weight : float64 (G,)    share of a unit's cost in each module (its attributes)
    module_size : int64 (G,)        attributes per module
    touched_modules : int64 (N,)    modules a change of each attribute touches (own first)
    wage : float64 (E,)             pay of each employee per step
    step_change_cost : float        retooling booked by the changes landed this step
    step_changes : int              changes landed this step
    cumulative_profit, discounted_profit : float    running sums over the run
    steps_booked : int              steps booked so far (the discount exponent)
    last : dict                     this step's booked figures (see :func:`book`)
    """

    def __init__(self, config, products: np.ndarray, variant_of_segment: np.ndarray,
                 segment_sizes: np.ndarray, segment_active: np.ndarray, market, org) -> None:
        e = config.economics
        self.config = e
        self.potential = config.market.price * config.customers.count
        self.one_unit = 1.0 / config.customers.count  # one unit, in steps of market demand
        self.exponent = -math.log2(e.progress_ratio)
        modules = market.modules
        self.module_size = np.diff(market.module_start).astype(np.int64)
        self.module_start = market.module_start.copy()
        self.module_weight = self.module_size / self.module_size.sum()
        # Prior experience is shared out as the market was at the start; at the start every
        # variant is the same design, so the pooled experience of each module is the prior.
        served = np.zeros(products.shape[0])
        np.add.at(served, variant_of_segment, np.where(segment_active, segment_sizes, 0.0))
        served = served / served.sum() if served.sum() > 0 else np.full_like(served,
                                                                             1 / served.size)
        self.experience = np.repeat((e.prior_experience * served)[:, None], modules, axis=1)
        self.touched_modules = touched_modules(market.dependencies, market.module_of)
        self._known_cost: dict[float, np.ndarray] = {}
        base = e.wage_bill * self.potential / org.size
        premium = np.isin(org.role, (MANAGER, HUB))
        self.wage = np.where(premium, base * (1.0 + e.manager_premium), base)
        self.step_change_cost = 0.0
        self.step_changes = 0
        self.cumulative_profit = 0.0
        self.discounted_profit = 0.0
        self.steps_booked = 0
        self.annuity = annuity(e.payback_horizon, e.discount_rate)
        self.last = dict.fromkeys(BOOKED, 0.0)
        self._worth = np.zeros(segment_sizes.shape[0])
        self._worth_step = -1

    # -- production -----------------------------------------------------------------------

    def pooled_experience(self, products: np.ndarray) -> np.ndarray:
        """Experience of each (variant, module): the summed own volume of every variant whose
        module is the same design (identical attributes of that module)."""
        variants = products.shape[0]
        if variants == 1:
            return self.experience.copy()
        pooled = np.empty_like(self.experience)
        for g in range(self.experience.shape[1]):
            part = products[:, self.module_start[g]:self.module_start[g + 1]]
            same = (part[:, None, :] == part[None, :, :]).all(axis=2)
            pooled[:, g] = same @ self.experience[:, g]
        return pooled

    def unit_costs(self, products: np.ndarray) -> np.ndarray:
        """Unit cost of each variant: each module's cost share on its experience curve."""
        start = self.config.start_unit_cost
        if start == 0.0:
            return np.zeros(products.shape[0])
        # At least one unit made: a design nobody has made yet (a new segment's variant, a
        # module changed whole) costs what Wright's curve gives the first unit, not infinity.
        # One variant pools with nobody: its own experience (np.maximum makes the copy).
        own = self.experience if products.shape[0] == 1 else self.pooled_experience(products)
        pooled = np.maximum(own, self.one_unit)
        relative = pooled / self.config.prior_experience
        return start * (relative ** -self.exponent) @ self.module_weight

    def change_landed(self, attribute: int, variant: int) -> None:
        """Book a landed change: its retooling, and the experience it depreciates."""
        e = self.config
        self.step_change_cost += e.retooling_cost * self.potential * self.touched_modules[
            attribute]
        self.step_changes += 1
        module = int(np.searchsorted(self.module_start, attribute, side="right") - 1)
        self.experience[variant, module] *= 1.0 - e.change_depreciation / self.module_size[
            module]

    # -- decisions ------------------------------------------------------------------------

    def known_cost(self, attribute: np.ndarray, awareness: float) -> np.ndarray:
        """Retooling cost of changing each attribute as a decider knows it: its own module
        in full, the other modules touched at ``awareness`` (1 for tops)."""
        return self.known_cost_table(awareness)[attribute]

    def known_cost_table(self, awareness: float) -> np.ndarray:
        """:meth:`known_cost` of every attribute (float64 (N,)), computed once per
        awareness (the touched modules never change)."""
        # The same element-wise arithmetic as on the chosen attributes: the same numbers.
        table = self._known_cost.get(awareness)
        if table is None:
            others = self.touched_modules - 1
            table = self.config.retooling_cost * self.potential * (1.0 + awareness * others)
            self._known_cost[awareness] = table
        return table

    def value_worth(self, model) -> np.ndarray:
        """Revenue per step of one unit of normalised value in each segment (the slope of
        the logistic choice at the segment's current sales): ``price x beta x n s (1 - s)``."""
        # Sales change once a step (customers move before the organization decides), so
        # the worth is computed once per step for every decider.
        if self._worth_step != model.step_index:
            p = model.population
            # n q (1 - q) per segment, q = buyers / n (0 without active customers), in one
            # kernel pass: the same products in the same order.
            self._worth = np.empty(p.buyers.shape[0])
            logit_worth(p.buyers, p.active_count,
                        model.config.market.price * model.config.customers.choice_sensitivity,
                        self._worth)
            self._worth_step = model.step_index
        return self._worth

    # -- the books ------------------------------------------------------------------------

    def book(self, model) -> dict[str, float]:
        """Book this step: costs by kind, profit, and experience from this step's sales."""
        e, p, org = self.config, model.population, model.org
        products, variant_of = model.products, model.variant_of_segment
        variants = products.shape[0]
        volume = np.bincount(variant_of, weights=p.buyers, minlength=variants)
        units = float(volume.sum())
        unit = self.unit_costs(products)
        spent = volume @ unit  # what this step's units cost (a NumPy float)
        production = float(spent)
        if variants == 1:  # one design, in the market while a segment is
            designs = int(bool(p.segment_active.any()))
        else:
            served = np.zeros(variants, dtype=bool)
            served[variant_of[p.segment_active]] = True
            # Distinct designs among the variants in the market (a handful of rows: a set
            # of their bytes is ~50 times faster than np.unique along an axis).
            designs = len({row.tobytes() for row in products[served]})
        variety = e.variant_cost * self.potential * designs
        alive = org.alive == 1
        used = np.where(alive, model.capacity - model.capacity_left, 0).astype(float)
        wages = float(self.wage[alive].sum())
        coordination = float(e.coordination_price * (self.wage * used).sum()
                             / model.config.firm.capacity)
        organization = wages + coordination
        change = self.step_change_cost
        revenue = float(p.buyers.sum()) * model.config.market.price
        cost = production + variety + change + organization
        profit = revenue - cost
        self.cumulative_profit += profit
        self.discounted_profit += profit / (1.0 + e.discount_rate) ** self.steps_booked
        self.steps_booked += 1
        # This step's output adds to the experience of what was made (own volume).
        self.experience += (volume / (self.potential / model.config.market.price))[:, None]
        if units > 0:
            mean_unit = float(spent / units)
        else:  # no sales: the unit cost of what the active customers are served
            served_weight = np.bincount(variant_of, minlength=variants,
                                        weights=np.where(p.segment_active, p.active_count, 0))
            mean_unit = (float(served_weight @ unit / served_weight.sum())
                         if served_weight.sum() > 0 else float(unit.mean()))
        self.last = {
            "profit": profit, "cost": cost, "production_cost": production,
            "variety_cost": variety, "change_cost": change, "organization_cost": organization,
            "coordination_cost": coordination, "unit_cost": mean_unit,
            "cumulative_profit": self.cumulative_profit,
            "discounted_profit": self.discounted_profit,
            "margin": profit / revenue if revenue > 0 else math.nan,
        }
        self.step_change_cost = 0.0
        self.step_changes = 0
        return self.last


#: The figures :meth:`Economics.book` returns each step (step metrics of the same names).
BOOKED = ("profit", "cost", "production_cost", "variety_cost", "change_cost",
          "organization_cost", "coordination_cost", "unit_cost", "cumulative_profit",
          "discounted_profit", "margin")


def touched_modules(dependencies: np.ndarray, module_of: np.ndarray) -> np.ndarray:
    """Modules a change of each attribute touches: its own, plus every other module holding
    an attribute whose contribution depends on it (``dependencies[i]`` lists the attributes
    attribute ``i``'s contribution reads, itself first)."""
    n = module_of.shape[0]
    touched = np.zeros((n, int(module_of.max()) + 1), dtype=bool)
    touched[np.arange(n), module_of] = True
    for reader in range(n):
        for source in dependencies[reader]:
            touched[source, module_of[reader]] = True
    return touched.sum(axis=1).astype(np.int64)


def annuity(horizon: int, rate: float) -> float:
    """Present value of one unit a step for ``horizon`` steps from the next: ``sum_{t=1}^{H}
    (1 + r)^-t`` (``H`` when ``r = 0``)."""
    if rate == 0.0:
        return float(horizon)
    return float((1.0 - (1.0 + rate) ** -horizon) / rate)


def hurdles(model, attribute: np.ndarray, variant: np.ndarray) -> np.ndarray:
    """The value (normalised-fitness units) a change must bring a top to pay its retooling
    over the payback horizon: whole cost / (worth of a unit of value x annuity).

    Exactly 0 where the change costs nothing, so zero costs leave every decision as it was.
    """
    books = model.economics
    cost = books.known_cost(attribute, 1.0)
    if not (cost > 0).any():
        return np.zeros(attribute.shape[0])
    worth = worth_of_variants(model)
    rate = worth[variant] * books.annuity
    # cost / rate where the rate is positive, else infinite (no division by zero to silence).
    out = np.divide(cost, rate, out=np.full(cost.shape[0], np.inf), where=rate > 0)
    return np.where(cost > 0, out, 0.0)


def worth_of_variants(model) -> np.ndarray:
    """Revenue per step of one unit of normalised value in each product variant: the sum of
    :meth:`Economics.value_worth` over the segments it serves (what :func:`hurdles` divides
    by, before the annuity)."""
    return np.bincount(model.variant_of_segment, weights=model.economics.value_worth(model),
                       minlength=model.products.shape[0])


def local_affordable(model, attribute: np.ndarray, segment: np.ndarray,
                     estimate: np.ndarray) -> np.ndarray:
    """Whether a local decider finds each change worth its cost: the estimated value in its
    own segment, as revenue over the payback horizon, exceeds the retooling it knows of.

    All True where the change costs nothing as it knows it.
    """
    books = model.economics
    cost = books.known_cost(attribute, model.config.firm.side_effect_awareness)
    if not (cost > 0).any():
        return np.ones(attribute.shape[0], dtype=bool)
    gain = estimate * books.value_worth(model)[segment] * books.annuity
    return (cost <= 0) | (gain > cost)
