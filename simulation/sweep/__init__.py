"""Parameter sweeps: experiment files, designs, a resumable runner (local or Dask), analysis.

- :mod:`.spec`: the experiment file (TOML, validated like scenarios) and its resolution
  against a base scenario.
- :mod:`.design`: full factorial grid, Latin hypercube, Sobol (Saltelli) and Morris designs.
- :mod:`.storage`: the results folder: manifest, design table and partitioned Parquet tables
  appended batch by batch, with the "done" set derived from the data on disk.
- :mod:`.runner`: batches of runs on local worker processes or a Dask cluster.
- :mod:`.analysis`: Sobol / Morris indices, grid heatmaps of a structure's advantage.

See ``docs/sweeps.md``.
"""
