"""One place for the Numba compilation flags used by every kernel."""

from numba import njit

#: Options shared by all kernels. ``cache=True`` writes compiled code next to the module so a
#: second process skips compilation. ``fastmath`` stays off: it would let the compiler reorder
#: floating-point sums, and kernels must equal their plain references (tests/naive.py) and
#: their own ``py_func`` bit for bit.
NJIT_OPTIONS = {"cache": True, "nogil": True, "fastmath": False}


def kernel(function):
    """Compile ``function`` with the project's Numba options."""
    compiled = njit(**NJIT_OPTIONS)(function)
    if compiled is function:  # NUMBA_DISABLE_JIT=1: the plain function is its own py_func
        function.py_func = function
    return compiled
