"""Folder locks (simulation.store.locks): one writer at a time, none left behind by a dead one."""

import multiprocessing
import os
import signal

import pytest

from simulation.errors import UserError
from simulation.store.locks import LOCK_NAME, folder_lock


def _hold(folder, ready, release):
    with folder_lock(folder, "run"):
        ready.set()
        release.wait(30)


def test_second_writer_is_refused_in_one_line(tmp_path):
    """While one process holds the folder, another gets a UserError naming the holder."""
    context = multiprocessing.get_context("spawn")
    ready, release = context.Event(), context.Event()
    holder = context.Process(target=_hold, args=(tmp_path, ready, release))
    holder.start()
    try:
        assert ready.wait(30)
        with pytest.raises(UserError) as refused, folder_lock(tmp_path, "sweep"):
            pass
        message = str(refused.value)
        assert "\n" not in message and "another firmsim process" in message
        assert f"pid {holder.pid}" in message
    finally:
        release.set()
        holder.join(30)


def test_lock_of_a_killed_writer_does_not_block(tmp_path):
    """SIGKILL of the holder frees the folder: the next writer gets it at once."""
    context = multiprocessing.get_context("spawn")
    ready, release = context.Event(), context.Event()
    holder = context.Process(target=_hold, args=(tmp_path, ready, release))
    holder.start()
    assert ready.wait(30)
    os.kill(holder.pid, signal.SIGKILL)
    holder.join(30)
    with folder_lock(tmp_path, "run") as folder:
        assert folder == tmp_path


def test_lock_is_reentrant_across_sequential_writers(tmp_path):
    """Two writers one after the other both get the folder; while one writes, the folder
    names it as the holder; when it is done, no lock file is left behind."""
    out = tmp_path / "out"
    for command in ("run", "sweep"):
        with folder_lock(out, command) as folder:
            assert folder == out
            assert (out / LOCK_NAME).exists()
            assert (out / (LOCK_NAME + ".owner")).read_text() == f"{os.getpid()} {command}\n"
        assert sorted(p.name for p in out.iterdir()) == []
