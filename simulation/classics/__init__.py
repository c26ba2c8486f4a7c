"""Classic models of organizational learning and of contagion, on the project's building blocks.

- :mod:`~simulation.classics.march1991`: mutual learning, exploration and exploitation.
- :mod:`~simulation.classics.lazer_friedman2007`: network structure of parallel problem solving.
- :mod:`~simulation.classics.levinthal1997`: adaptation and selection on rugged landscapes.
- :mod:`~simulation.classics.bass1969`: diffusion of an innovation (imitation hazard).
- :mod:`~simulation.classics.watts2002`: global cascades of threshold contagion.

``firmsim replicate NAME`` (:mod:`simulation.classics.replication`) runs the experiment files in
``experiments/replications/`` and compares the reproduced values with the published ones.
"""

from simulation.classics import bass1969, lazer_friedman2007, levinthal1997, march1991, watts2002

__all__ = ["march1991", "lazer_friedman2007", "levinthal1997", "bass1969", "watts2002"]
