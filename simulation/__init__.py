"""firmsim: networked vs hierarchical firms adapting to market shocks.

>>> from simulation import FirmModel
>>> model = FirmModel(structure="network", rng=1, customers=2_000, steps=10).run()
"""

from simulation.core.model import FirmModel

__all__ = ["FirmModel"]
