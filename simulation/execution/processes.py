"""Worker processes that die with their parent, and named fault points for the crash tests.

:func:`die_with_parent` asks Linux to SIGKILL the calling process when its parent dies
(``prctl(PR_SET_PDEATHSIG)``); the one worker initializer
(:func:`simulation.execution.executor.initialize_worker`) and the app's server call it, so a parent
killed with SIGKILL leaves no worker behind (elsewhere it does nothing, and the workers exit
when their pool's pipes close).

:func:`fault_point` lets the fault-injection tests kill a process at a named moment: with
``FIRMSIM_FAULT=NAME`` (or ``NAME@N``: the N-th time) in the environment, the process
SIGKILLs itself when it reaches :func:`fault_point` ``(NAME)``; with ``FIRMSIM_FAULT_ONCE``
naming a file as well, only the first process to create that file does (so a rebuilt pool's
new workers carry on). Without the variable it is a no-op.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys

#: Environment variable naming the fault point at which a process kills itself.
FAULT_VARIABLE = "FIRMSIM_FAULT"
ONCE_VARIABLE = "FIRMSIM_FAULT_ONCE"
_PR_SET_PDEATHSIG = 1
_hits: dict[str, int] = {}


def die_with_parent(parent: int | None = None) -> None:
    """Make the kernel SIGKILL this process when its parent dies (Linux; no-op elsewhere).

    ``parent`` is the pid the caller expects as its parent (default: the parent it has
    now): if it has already died before the request took effect (the process was
    re-parented), exit now.
    """
    if not sys.platform.startswith("linux"):
        return
    if parent is None:
        parent = os.getppid()
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)


def fault_point(name: str) -> None:
    """SIGKILL this process here if ``FIRMSIM_FAULT`` names this point (tests only)."""
    wanted = os.environ.get(FAULT_VARIABLE)
    if not wanted:
        return
    point, _, count = wanted.partition("@")
    if point != name:
        return
    _hits[name] = _hits.get(name, 0) + 1
    if _hits[name] < int(count or 1):
        return
    once = os.environ.get(ONCE_VARIABLE)
    if once:
        try:
            os.close(os.open(once, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return
    os.kill(os.getpid(), signal.SIGKILL)
