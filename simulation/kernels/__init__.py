"""Numba kernels: small pure functions of arrays.

Every kernel module holds a compiled kernel (``@njit``) and a plain-Python twin with the
same signature and the same arithmetic in the same order. The twin is the readable statement
of the rule and the reference the tests compare the kernel with, array for array.
Kernels import neither Mesa nor Solara and draw no random numbers: uniform and normal
variates are drawn by the caller from the run's numpy Generator and passed in.
"""
