"""NK fitness landscapes (Kauffman 1993): the one NK implementation of the project.

The firm model's product space and the classic models (:mod:`simulation.classics`) both build
on the functions here. A landscape is two arrays (see :mod:`simulation.kernels.nk`):
``dependencies`` (which attributes set each attribute's contribution) and ``contributions``
(the random contribution tables). :class:`NKLandscape` wraps them with the tools a researcher
uses to check a landscape: enumeration, global optimum, local optima and ruggedness.
"""

from __future__ import annotations

import numpy as np

from simulation.kernels import nk

#: Enumeration stores or walks all 2**n states; above this it stops being cheap.
MAX_ENUMERABLE_ATTRIBUTES = 24


def module_of_attributes(n: int, modules: int) -> np.ndarray:
    """Module number of each attribute: ``n`` attributes split into ``modules`` blocks.

    Blocks are contiguous and as equal as possible (20 attributes in 4 modules: 5 each).
    """
    if not 1 <= modules <= n:
        raise ValueError(f"modules={modules}: must be between 1 and the attribute count {n}")
    return (np.arange(n, dtype=np.int64) * modules) // n


def draw_dependencies(
    n: int,
    k: int,
    rng: np.random.Generator,
    *,
    modules: int = 1,
    cross_module_share: float | None = None,
    interaction: str = "random",
) -> np.ndarray:
    """Draw the interaction structure: for each attribute, itself and ``k`` others.

    Parameters
    ----------
    n, k : int
        Attribute count and number of other attributes each one depends on (``0 <= k < n``).
    rng : numpy.random.Generator
        Source of randomness.
    modules : int
        Number of contiguous modules the attributes are split into.
    cross_module_share : float or None
        With ``None`` the ``k`` partners are drawn uniformly among all other attributes
        (Kauffman's random neighbourhood). With a share in [0, 1], each partner is drawn from
        another module with that probability, else from the attribute's own module (when a
        side runs out of candidates the other side is used).
    interaction : {"random", "adjacent"}
        ``"adjacent"``: the ``k`` attributes that follow ``i`` cyclically (ignores modules).

    Returns
    -------
    numpy.ndarray
        int64 array of shape ``(n, k + 1)``; column 0 is the attribute itself.
    """
    if not 0 <= k < n:
        raise ValueError(f"k={k}: must satisfy 0 <= k < n (n={n})")
    dependencies = np.empty((n, k + 1), dtype=np.int64)
    dependencies[:, 0] = np.arange(n)
    if interaction == "adjacent":
        for i in range(n):
            dependencies[i, 1:] = (i + 1 + np.arange(k)) % n
        return dependencies
    if interaction != "random":
        raise ValueError(f"interaction={interaction!r}: allowed values are 'random', 'adjacent'")
    module_of = module_of_attributes(n, modules)
    for i in range(n):
        others = np.delete(np.arange(n), i)
        if cross_module_share is None or modules == 1:
            dependencies[i, 1:] = rng.choice(others, size=k, replace=False)
            continue
        inside = [a for a in others if module_of[a] == module_of[i]]
        outside = [a for a in others if module_of[a] != module_of[i]]
        chosen = []
        for _ in range(k):
            want_outside = rng.random() < cross_module_share
            pool = outside if (want_outside and outside) or not inside else inside
            pick = pool.pop(int(rng.integers(len(pool))))
            chosen.append(pick)
        dependencies[i, 1:] = chosen
    return dependencies


def draw_contributions(n: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """Uniform [0, 1) contribution tables, shape ``(n, 2 ** (k + 1))``."""
    return rng.random((n, 1 << (k + 1)))


def correlated_contributions(
    base: np.ndarray, correlation: float, rng: np.random.Generator
) -> np.ndarray:
    """A contribution table correlated with ``base``.

    Each entry is ``base``'s entry with probability ``correlation`` and a fresh uniform draw
    otherwise, so entries stay uniform on [0, 1) and the correlation between the two tables'
    entries equals ``correlation``.
    """
    fresh = rng.random(base.shape)
    keep = rng.random(base.shape) < correlation
    return np.where(keep, base, fresh)


def dependents_of(dependencies: np.ndarray):
    """Inverse of ``dependencies`` in CSR form: ``(dependents_ptr, dependents, dependents_bit)``.

    For attribute ``a``, ``dependents[dependents_ptr[a]:dependents_ptr[a+1]]`` are the
    attributes whose contribution reads ``a``, and ``dependents_bit`` the bit ``a`` occupies in
    each one's contribution index. Entries are sorted by dependent attribute.
    """
    n, width = dependencies.shape
    rows = []
    for d in range(n):
        for j in range(width):
            rows.append((int(dependencies[d, j]), d, j))
    rows.sort()
    sources = np.array([r[0] for r in rows], dtype=np.int64)
    dependents = np.array([r[1] for r in rows], dtype=np.int64)
    bits = np.array([r[2] for r in rows], dtype=np.int64)
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.add.at(ptr, sources + 1, 1)
    return np.cumsum(ptr), dependents, bits


def state_from_number(number: int, n: int) -> np.ndarray:
    """The 0/1 state whose bit ``i`` is attribute ``i`` (uint8, length ``n``)."""
    return ((int(number) >> np.arange(n)) & 1).astype(np.uint8)


def number_of_state(state) -> int:
    """Inverse of :func:`state_from_number`."""
    state = np.asarray(state)
    return int(np.sum(state.astype(np.int64) << np.arange(state.shape[0], dtype=np.int64)))


class NKLandscape:
    """An NK fitness landscape.

    Parameters
    ----------
    n : int
        Number of binary attributes.
    k : int
        Number of other attributes each attribute's contribution depends on.
    seed : int, numpy.random.Generator or None
        Seed of the landscape's random draws.
    modules, cross_module_share, interaction
        Interaction structure; see :func:`draw_dependencies`.
    dependencies, contributions : numpy.ndarray, optional
        Use these arrays instead of drawing them.

    Notes
    -----
    The fitness of a state :math:`x` is :math:`F(x) = \\frac{1}{N}\\sum_i c_i(x_i, x_{d_{i1}},
    \\ldots, x_{d_{iK}})` with :math:`c_i` drawn uniformly on [0, 1) (Kauffman 1993).

    Examples
    --------
    >>> land = NKLandscape(n=10, k=3, seed=7)
    >>> land.fitness(land.global_optimum()) == land.global_max()
    True
    """

    def __init__(
        self,
        n: int,
        k: int,
        seed=None,
        *,
        modules: int = 1,
        cross_module_share: float | None = None,
        interaction: str = "random",
        dependencies: np.ndarray | None = None,
        contributions: np.ndarray | None = None,
    ) -> None:
        if not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"n={n}: must be a positive integer")
        rng = np.random.default_rng(seed)
        self.n = int(n)
        self.k = int(k)
        self.modules = int(modules)
        if dependencies is None:
            dependencies = draw_dependencies(
                self.n, self.k, rng, modules=modules,
                cross_module_share=cross_module_share, interaction=interaction,
            )
        if contributions is None:
            contributions = draw_contributions(self.n, self.k, rng)
        self.dependencies = np.ascontiguousarray(dependencies, dtype=np.int64)
        self.contributions = np.ascontiguousarray(contributions, dtype=np.float64)
        if self.dependencies.shape != (self.n, self.k + 1):
            raise ValueError(f"dependencies: shape must be ({self.n}, {self.k + 1})")
        if self.contributions.shape != (self.n, 1 << (self.k + 1)):
            raise ValueError(f"contributions: shape must be ({self.n}, {1 << (self.k + 1)})")
        self.module_of = module_of_attributes(self.n, self.modules)
        self.dependents_ptr, self.dependents, self.dependents_bit = dependents_of(
            self.dependencies
        )
        self._table: np.ndarray | None = None

    def _check_state(self, state) -> np.ndarray:
        state = np.ascontiguousarray(state, dtype=np.uint8)
        if state.shape != (self.n,) or state.max(initial=0) > 1:
            raise ValueError(f"state: must be {self.n} values of 0 or 1")
        return state

    def _check_enumerable(self) -> None:
        if self.n > MAX_ENUMERABLE_ATTRIBUTES:
            raise ValueError(
                f"n={self.n}: enumeration is limited to n <= {MAX_ENUMERABLE_ATTRIBUTES}"
            )

    def fitness(self, state) -> float:
        """Fitness of one state (array of 0/1 of length ``n``)."""
        return float(nk.fitness(self._check_state(state), self.dependencies, self.contributions))

    def fitness_many(self, states) -> np.ndarray:
        """Fitness of each row of a 2-D array of states."""
        states = np.ascontiguousarray(states, dtype=np.uint8)
        out = np.empty(states.shape[0])
        nk.fitness_rows(states, self.dependencies, self.contributions, out)
        return out

    def change_effect(self, state, attribute: int, value: int, module: int = 0):
        """``(delta_total, delta_module)`` of setting ``attribute`` to ``value`` in ``state``."""
        return nk.change_effect(
            self._check_state(state), attribute, value, self.dependencies, self.contributions,
            self.dependents_ptr, self.dependents, self.module_of, module,
        )

    def enumerate(self) -> np.ndarray:
        """Fitness of all ``2 ** n`` states; entry ``s`` is the state whose bit i is attribute i."""
        if self._table is None:
            self._check_enumerable()
            table = np.empty(1 << self.n)
            nk.enumerate_fitness(
                self.dependencies, self.contributions, self.dependents_ptr, self.dependents,
                self.dependents_bit, table,
            )
            self._table = table
        return self._table

    def global_max(self) -> float:
        """Highest fitness over all states."""
        self._check_enumerable()
        value, _ = nk.global_maximum(
            self.dependencies, self.contributions, self.dependents_ptr, self.dependents,
            self.dependents_bit,
        )
        return float(value)

    def global_optimum(self) -> np.ndarray:
        """The state with the highest fitness."""
        self._check_enumerable()
        _, number = nk.global_maximum(
            self.dependencies, self.contributions, self.dependents_ptr, self.dependents,
            self.dependents_bit,
        )
        return state_from_number(number, self.n)

    def local_optima(self) -> np.ndarray:
        """State numbers of the local optima (no single-attribute change improves fitness)."""
        return np.flatnonzero(nk.local_optima(self.enumerate(), self.n))

    def local_optima_fitness(self) -> np.ndarray:
        """Fitness of each local optimum, in the order of :meth:`local_optima`."""
        return self.enumerate()[self.local_optima()]

    def neighbour_correlation(self) -> float:
        """Correlation of fitness between states one attribute apart (ruggedness).

        Pearson correlation over all pairs ``(s, s ^ 2**b)``; about ``1 - (k + 1) / n`` for
        random NK landscapes.
        """
        table = self.enumerate()
        states = np.arange(table.shape[0])
        left = np.concatenate([table] * self.n)
        right = np.concatenate([table[states ^ (1 << b)] for b in range(self.n)])
        return float(np.corrcoef(left, right)[0, 1])

    def state_from_number(self, number: int) -> np.ndarray:
        """The state numbered ``number``."""
        return state_from_number(number, self.n)

    def number_of_state(self, state) -> int:
        """The number of ``state``."""
        return number_of_state(self._check_state(state))
