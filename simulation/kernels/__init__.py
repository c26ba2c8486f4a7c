"""Numba kernels: small pure functions of arrays.

Each kernel is compiled with :func:`._config.kernel` (``@njit``); its undecorated source stays
available as ``kernel.py_func`` and runs the same rule as plain Python (the benchmarks use it
to measure the speed-up, the classics' ``use_kernel=False`` to run without compilation). The
tests compare both the compiled kernel and its ``py_func`` with an independent, plainly
written reference in ``tests/naive.py`` (one section per kernel module), array for array and
bit for bit, on many small and edge-case worlds. The graph generators' references there are
set-based twins that draw the same uniforms in the same order. As in STUMPY, coverage under
``NUMBA_DISABLE_JIT=1`` is not required: the ``py_func`` runs already execute every line.
Kernels import neither Mesa nor Solara and draw no random numbers: uniform and normal
variates are drawn by the caller from the run's numpy Generator and passed in.
"""
