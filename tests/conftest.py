"""Suite-wide guard: forking a multi-threaded process fails the test that did it.

Python 3.12 only warns ("use of fork() may lead to deadlocks in the child"), and the warning
is raised inside ``os.fork`` where a warnings filter cannot turn it into a failure (it ends
as an unraisable exception). Every firmsim pool starts its workers with ``forkserver`` or
``spawn`` (:mod:`simulation.execution.executor`); a fork that creeps back in is caught here:
an ``os.register_at_fork`` hook notes a fork made while this process has more than one
thread, and the test fails at its end, naming the thread count.
"""

from __future__ import annotations

import os

import pytest

_forks_with_threads: list[int] = []


def _threads() -> int:
    try:
        with open("/proc/self/stat") as handle:
            return int(handle.read().rsplit(")", 1)[1].split()[17])
    except (OSError, ValueError, IndexError):
        import threading

        return threading.active_count()


def _before_fork() -> None:
    threads = _threads()
    if threads > 1:
        _forks_with_threads.append(threads)


os.register_at_fork(before=_before_fork)


@pytest.fixture(autouse=True)
def no_fork_of_a_threaded_process():
    """Fail a test during which this process forked while it had other threads."""
    _forks_with_threads.clear()
    yield
    if _forks_with_threads:
        found = list(_forks_with_threads)
        _forks_with_threads.clear()
        pytest.fail(f"this process forked while it had {max(found)} threads (use of fork() "
                    "may lead to deadlocks in the child); start processes with forkserver "
                    "or spawn (simulation/execution/executor.py)")
