"""Writes that are complete or absent: a temporary name, then a rename.

Every file firmsim writes (Parquet tables and parts, CSV summaries, figures, manifests) goes
through :func:`atomic_write` (or, for sweep parts, the same steps in
:func:`simulation.sweep.storage.write_part`): the bytes go to a temporary file beside the
target, which is renamed over the target only once complete. A write that fails because the
disk or the folder cannot take it (no space, quota, read-only, no permission:
:data:`STORAGE_ERRNOS`) removes its temporary file and ends in one :class:`StorageError` line
naming the folder, the space free there and, when the command estimated it
(:func:`expected_output`), the space it needs. Nothing half-written is left behind, and the
folder stays resumable: its manifest still says ``running`` until the last write.
"""

from __future__ import annotations

import contextlib
import contextvars
import errno
import os
import shutil
import tempfile
from pathlib import Path

from simulation.errors import UserError

#: ``errno`` values meaning: this disk or folder cannot take the write.
STORAGE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES,
                            errno.EPERM, errno.EFBIG})

_expected: contextvars.ContextVar[int | None] = contextvars.ContextVar("firmsim_expected",
                                                                      default=None)


class StorageError(UserError):
    """A write the disk or folder could not take (one line: folder, free space, need)."""


def size_text(bytes_: float) -> str:
    """Bytes as KB, MB or GB (one decimal for GB)."""
    if bytes_ >= 2**30:
        return f"{bytes_ / 2**30:.1f} GB"
    return f"{bytes_ / 2**20:.0f} MB" if bytes_ >= 2**20 else f"{bytes_ / 2**10:.0f} KB"


def free_bytes(folder: Path) -> int | None:
    """Free bytes on the file system holding ``folder`` (or its nearest existing parent)."""
    folder = Path(folder).absolute()
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            try:
                return shutil.disk_usage(candidate).free
            except OSError:
                return None
    return None


@contextlib.contextmanager
def expected_output(bytes_: int):
    """Within this block, a :class:`StorageError` says the command needs ``bytes_``."""
    token = _expected.set(int(bytes_))
    try:
        yield
    finally:
        _expected.reset(token)


def storage_message(path: Path, error: OSError) -> str:
    """One line: what could not be written where, the space free there and the need."""
    path = Path(path)
    folder = path.parent
    reason = error.strerror or next(
        (os.strerror(n) for n in STORAGE_ERRNOS if os.strerror(n) in str(error)),
        type(error).__name__)
    free = free_bytes(folder)
    need = _expected.get()
    parts = [f"cannot write {path.name} in {folder} ({reason})"]
    if free is not None:
        parts.append(f"{size_text(free)} free there")
    if need is not None:
        parts.append(f"the command writes about {size_text(need)}")
    advice = ("make space (or use a writable folder with --out) and run the same command "
              "again: nothing half-written was kept")
    if error.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        advice = "choose a writable folder with --out and run the same command again"
    return "; ".join(parts) + f"; {advice}"


def is_storage_error(error: BaseException) -> bool:
    """An ``OSError`` meaning the disk or folder cannot take a write (Arrow's carry the
    reason in the text only)."""
    if not isinstance(error, OSError):
        return False
    if error.errno in STORAGE_ERRNOS:
        return True
    text = str(error)
    return error.errno is None and any(
        os.strerror(number) in text for number in STORAGE_ERRNOS)


def atomic_write(path: Path, write) -> None:
    """Call ``write(temporary_path)`` then rename it to ``path``.

    An interrupted write leaves only a temporary file, never a truncated ``path``; a write
    the disk cannot take (:data:`STORAGE_ERRNOS`) removes the temporary file and raises a
    one-line :class:`StorageError`.
    """
    path = Path(path)
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        os.close(handle)
        write(Path(temporary))
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes it private; use the default
        os.replace(temporary, path)
    except OSError as error:
        if is_storage_error(error):
            raise StorageError(storage_message(path, error)) from None
        raise
    finally:
        if temporary is not None and os.path.exists(temporary):
            with contextlib.suppress(OSError):
                os.remove(temporary)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
