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

#: Fewest customers for which the threaded twin runs. Below it, waking the threads costs more
#: than they save: ``experiments/benchmarks/bench_threads.py --thresholds`` timed the kernel
#: alone on 2 threads at 0.48x the one-thread kernel's speed at 4,000 customers, 1.00x at
#: 8,000 and 1.32x at 16,000.
MIN_CUSTOMERS = 10_000

#: Fewest customers for which the kernels that scatter sums into the customers' entries (the
#: hearing, :func:`simulation.kernels.contagion.spread_voices_threads`, and the media's
#: messages, :data:`simulation.kernels.customers.media_messages_threads`) split the customers
#: between the threads, and from which the draws made ahead draw their uniforms and normals
#: on two threads. Each thread then reads every voice's ties or every audience, which costs
#: more than the scattered writes it shares at small sizes: ``bench_threads.py
#: --thresholds`` timed the split hearing on 2 threads at 0.85x one push at 100,000
#: customers, 1.04x at 200,000 and 1.09x at 1,000,000.
SPLIT_FROM = 200_000

#: ``None`` until Numba's threads were first asked for; then whether a thread-safe threading
#: layer started (``False``: every step runs on one thread for the rest of the process).
_layer_usable: bool | None = None


def _start_layer() -> bool:
    """Start Numba's threads once, on a thread-safe layer with idle threads sleeping."""
    global _layer_usable
    if _layer_usable is None:
        # Idle OpenMP threads sleep instead of spinning, so that the customer step's draws,
        # made ahead on a thread of their own (simulation.core.customers.CustomerDraws), get
        # a core between the threaded passes. OpenMP reads it when it starts, which is below.
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
