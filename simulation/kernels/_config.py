"""One place for the Numba compilation flags used by every kernel."""

import functools

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
