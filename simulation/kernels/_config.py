"""One place for the Numba compilation flags used by every kernel."""

import functools
import types

from numba import njit

#: Options shared by all kernels. ``cache=True`` writes compiled code next to the module so a
#: second process skips compilation. ``fastmath`` stays off: it would let the compiler reorder
#: floating-point sums, and kernels must equal their plain references (tests/naive.py) and
#: their own ``py_func`` bit for bit.
NJIT_OPTIONS = {"cache": True, "nogil": True, "fastmath": False}


def kernel(function=None, **options):
    """Compile ``function`` with the project's Numba options.

    ``options`` override them for one kernel, used as ``@kernel(error_model="numpy")``: a
    float division by zero then gives ``inf`` or ``nan`` as in NumPy instead of raising, so
    the compiled code tests no divisor (the same numbers wherever the default would not
    raise).
    """
    if function is None:
        return functools.partial(kernel, **options)
    compiled = njit(**{**NJIT_OPTIONS, **options})(function)
    if compiled is function:  # NUMBA_DISABLE_JIT=1: the plain function is its own py_func
        function.py_func = function
    return compiled


def _renamed(function, name: str, **global_names):
    """A copy of ``function`` named ``name``, its globals overridden by ``global_names``.

    Under its own name so that its cached machine code is kept apart from that of other
    copies of the same function (Numba's cache is named after the qualified name).
    """
    copy = types.FunctionType(function.__code__, {**function.__globals__, **global_names},
                              name, function.__defaults__, function.__closure__)
    copy.__qualname__ = name
    copy.__module__ = function.__module__
    copy.__doc__ = function.__doc__
    return copy


def one_thread_kernel(function, name: str, **options):
    """Compile a copy of ``function``, named ``name``, whose ``prange`` loops are plain
    ``range`` loops: the one-thread twin of :func:`threaded_kernel`'s.

    Not ``parallel=True`` with one thread: a process forked from one that has used GNU
    OpenMP is stopped when it runs a parallel kernel, and the executor's workers are forked
    from a server, which must therefore never load OpenMP. (``prange`` outside
    ``parallel=True`` would run as fast: 0.70-0.73 ms against 0.73 ms for ``range`` on the
    customer step at 20,000 customers; ``range`` just says what runs.)
    """
    return kernel(_renamed(function, name, prange=range), **options)


def threaded_kernel(function, name: str, *, error_model: str = "python", **global_names):
    """Compile a copy of ``function``, named ``name``, with ``parallel=True``: its ``prange``
    loops run on Numba's threads (:mod:`simulation.kernels.threads` says when).

    ``global_names`` replace the kernels it calls by their threaded twins (e.g.
    ``spread_voices=spread_voices_threads``).
    """
    return kernel(_renamed(function, name, **global_names), parallel=True,
                  error_model=error_model)
