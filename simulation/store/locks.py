"""One writer per output folder: a lock held for the whole write (``filelock``).

Every command that writes a results folder (``firmsim run``, ``sweep``, ``design``) holds
:func:`folder_lock` from before it checks the folder until its last file is written. A second
writer is refused at once with one line; a lock left by a crashed process does not block:
``filelock`` uses an OS-level lock (``fcntl.flock``) that the kernel releases when its holder
dies, so there is no stale lock to clean up by hand. The lock file is removed on release
(while still held; an acquirer that locked the removed file notices its path now names
another file, or none, and tries again), so a finished folder holds no lock file.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from filelock import FileLock, Timeout

from simulation.errors import UserError

#: The lock file inside each output folder.
LOCK_NAME = ".firmsim.lock"


@contextlib.contextmanager
def folder_lock(folder: Path | str, command: str) -> Iterator[Path]:
    """Hold the lock of ``folder`` (created if missing) for the duration of the block.

    Raises
    ------
    UserError
        When another process holds it: "<folder> is being written by another firmsim
        process (pid N); wait for it or choose another --out".
    """
    folder = Path(folder)
    created = not folder.exists()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"--out={folder}: cannot create the folder ({exc.strerror})") from None
    path = folder / LOCK_NAME
    owner = folder / (LOCK_NAME + ".owner")
    for _attempt in range(20):
        lock = FileLock(path, timeout=0)
        try:
            lock.acquire()
        except Timeout:
            holder = _holder(path)
            raise UserError(
                f"--out={folder}: the folder is being written by another firmsim process"
                f"{holder}; wait for it to finish or choose another --out") from None
        except OSError as exc:
            raise UserError(f"--out={folder}: cannot lock the folder ({exc.strerror})"
                            ) from None
        if _still_named(lock, path):
            break
        lock.release()  # we locked a file its previous holder had just removed
    else:
        raise UserError(f"--out={folder}: cannot lock the folder (its lock file keeps "
                        "changing); try again")
    try:
        with contextlib.suppress(OSError):
            # Tell a refused second writer who holds the folder.
            owner.write_text(f"{os.getpid()} {command}\n")
        yield folder
    except BaseException:
        failed = True
        raise
    else:
        failed = False
    finally:
        with contextlib.suppress(OSError):
            owner.unlink()
        if getattr(lock._context, "lock_file_fd", None) is not None:
            with contextlib.suppress(OSError):
                path.unlink()
        lock.release()
        if created and failed:
            # A writer refused before it wrote anything leaves no empty folder behind.
            with contextlib.suppress(OSError):
                folder.rmdir()


def _still_named(lock: FileLock, path: Path) -> bool:
    """Whether the file ``lock`` holds is still the one at ``path``."""
    fd = getattr(lock._context, "lock_file_fd", None)
    if fd is None:  # a lock without a descriptor (soft fallback): nothing to compare
        return True
    try:
        return os.fstat(fd).st_ino == os.stat(path).st_ino
    except OSError:
        return False


def _holder(path: Path) -> str:
    with contextlib.suppress(OSError, ValueError, IndexError):
        pid, command = (path.parent / (LOCK_NAME + ".owner")).read_text().split(maxsplit=1)
        return f" ({command.strip()}, pid {int(pid)})"
    return ""
