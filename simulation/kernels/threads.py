"""When a kernel with a threaded twin runs on Numba's threads.

The customer step (:func:`simulation.kernels.customers.customer_step`) has a threaded twin,
``customer_step_threads``, that gives the same numbers for any number of threads: its
threaded passes touch one customer's entries each, and the sums over customers stay in one
sequential pass. The kernels that scatter sums into customers' entries (the hearing,
:func:`simulation.kernels.contagion.spread_voices_threads`, and the media's messages,
``simulation.kernels.customers.media_messages_threads``) split the customers into one range
per thread, each range summed in the usual order. So the choices below are about speed only;
no result depends on them.

The threaded twin runs when all of these hold:

- the population has at least :data:`MIN_CUSTOMERS` customers (below that, waking the
  threads costs more than they save);
- this thread may use more than one of Numba's threads (``numba.get_num_threads()``; the
  environment variable ``NUMBA_NUM_THREADS`` caps it). The executor's workers run with 1: a
  sweep already keeps every core busy with one run per worker, and the workers are forked
  from a server, and a process forked from one that has used GNU OpenMP cannot use it;
- a thread-safe threading layer (OpenMP or TBB) loaded. Runs may call the step from several
  threads at once, which Numba's fallback layer, ``workqueue``, does not allow; without a
  thread-safe layer every step runs on one thread.
"""

from __future__ import annotations

import os

import numba
import numpy as np

#: Fewest customers for which the threaded twin runs. Below it, waking the threads costs more
#: than they save: ``experiments/benchmarks/bench_threads.py --thresholds`` timed the kernel
#: alone on 2 threads at 0.48x the one-thread kernel's speed at 4,000 customers, 1.00x at
#: 8,000 and 1.32x at 16,000.
MIN_CUSTOMERS = 10_000

#: Fewest customers for which the kernels that scatter sums into the customers' entries (the
#: hearing, :func:`simulation.kernels.contagion.spread_voices_threads`, and the media's
#: messages, :data:`simulation.kernels.customers.media_messages_threads`) split the customers
#: between the threads. Each thread then reads every voice's ties or every audience, which costs
#: more than the scattered writes it shares at small sizes: ``bench_threads.py
#: --thresholds`` timed the split hearing on 2 threads at 0.85x one push at 100,000
#: customers, 1.04x at 200,000 and 1.09x at 1,000,000.
SPLIT_FROM = 200_000

#: ``None`` until Numba's threads were first asked for; then whether a thread-safe threading
#: layer started (``False``: every step runs on one thread for the rest of the process).
_layer_usable: bool | None = None


def _start_layer() -> bool:
    """Start Numba's threads once, on a thread-safe layer, its idle threads sleeping."""
    global _layer_usable
    if _layer_usable is None:
        # Idle OpenMP threads sleep at once instead of spinning (OpenMP's default spins a
        # while). Spinning made the default run a fifth faster on a quiet machine (0.503
        # against 0.625 s) but 2-4 times slower beside one other busy process (1.29-2.49
        # against 0.638 s): the spinning thread takes the core the run's main thread needs
        # (experiments/benchmarks/bench_wait_policy.py). OpenMP reads it when it starts,
        # which is below.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        if numba.config.THREADING_LAYER == "default":
            # Only a layer that allows calls from several threads at once: the default order
            # falls back to workqueue, which aborts on them.
            numba.config.THREADING_LAYER = "threadsafe"
        try:
            numba.get_num_threads()  # starts the layer
            _layer_usable = True
        except ValueError as error:  # "No threading layer could be loaded"
            if "threading layer" not in str(error):
                raise
            _layer_usable = False
    return _layer_usable


def threads_for(size: int) -> int:
    """How many threads a step over ``size`` customers uses (1 = the one-thread kernel).

    Asks Numba only when ``NUMBA_NUM_THREADS`` allows more than one thread: asking starts
    its threads, which a process that forks (the executor's fork server) must never do.
    """
    if size < MIN_CUSTOMERS or numba.config.NUMBA_NUM_THREADS <= 1 or not _start_layer():
        return 1
    return numba.get_num_threads()


def split_parts(size: int, threads: int) -> int:
    """Into how many parts the scattering kernels split ``size`` customers on ``threads``
    threads: ``threads`` from :data:`SPLIT_FROM` customers, else 1 (one thread)."""
    return threads if threads > 1 and size >= SPLIT_FROM else 1


#: How much of the customer step's first pass the thread that also draws the next step's
#: numbers takes, as a share of an even split (:func:`voice_bounds`). Drawing a customer's
#: three numbers costs about as much as its first pass (0.20 ms each for 20,000 customers on
#: one thread), so the drawing thread takes a small share: on 2 threads the kernel measured
#: 0.71, 0.67, 0.70, 0.71 and 0.72 ms at shares 0, 0.25, 0.5, 0.75 and 1 (20,000 customers)
#: and 31.4, 31.6, 32.3, 33.5 and 34.0 ms (1,000,000; 26.7 ms without drawing).
DRAWER_SHARE = 0.25


def voice_bounds(size: int, threads: int) -> np.ndarray:
    """The customers of each thread's part of the customer step's first pass, as bounds
    (``threads + 1`` of them): the first part, whose thread also draws the next step's
    numbers, gets :data:`DRAWER_SHARE` of an even share; the others split the rest evenly.
    One part (all customers) on one thread. Speed only: no number depends on it."""
    if threads <= 1:
        return np.array([0, size], dtype=np.int64)
    first = int(size * DRAWER_SHARE / (threads - 1 + DRAWER_SHARE))
    rest = np.linspace(first, size, threads).round().astype(np.int64)
    return np.concatenate([[0], rest]).astype(np.int64)
