"""Advisory locks on small files beside the database, shared between Carepod processes.

SQLite has one writer at a time and lets its waiters poll; these locks say more: who waits
for what (a staff member's save waiting for a bulk step, an import waiting for another one).
Each lock is its own open file description, so two threads of one process (the app's import
thread and its save) hold them independently, and the system drops a lock when its process
dies, however it dies. POSIX ``flock``; on Windows an exclusive byte lock (no shared locks:
there :func:`shared` holds nothing and a bulk writer does not wait for saves).
"""
from __future__ import annotations

import contextlib
import os
from pathlib import Path

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None
    import msvcrt


class FileLock:
    """One held lock; :meth:`release` (or the end of the process) lets it go."""

    def __init__(self, fd: int):
        self.fd = fd

    def release(self) -> None:
        if self.fd is not None:
            try:
                if fcntl is None:  # pragma: no cover - Windows
                    with contextlib.suppress(OSError):
                        os.lseek(self.fd, 0, os.SEEK_SET)
                        msvcrt.locking(self.fd, msvcrt.LK_UNLCK, 1)
            finally:
                os.close(self.fd)
                self.fd = None

    def __enter__(self) -> "FileLock":
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def _open(path: Path, create: bool) -> int | None:
    flags = os.O_RDWR | (os.O_CREAT if create else 0)
    try:
        return os.open(path, flags, 0o600)  # readable by the user only, like the database
    except OSError:  # a read-only folder, or the file is not there and may not be made
        return None


def _acquire(fd: int, exclusive: bool, wait: bool) -> bool:
    try:
        if fcntl is not None:
            fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | (0 if wait else fcntl.LOCK_NB))
        else:  # pragma: no cover - Windows
            if not exclusive:
                return False
            msvcrt.locking(fd, msvcrt.LK_LOCK if wait else msvcrt.LK_NBLCK, 1)
    except OSError:  # held by another (only without waiting)
        return False
    return True


def _lock(path: Path, exclusive: bool, wait: bool) -> FileLock | None:
    fd = _open(path, create=True)
    if fd is None:
        return None
    if not _acquire(fd, exclusive, wait):
        os.close(fd)
        return None
    return FileLock(fd)


def try_exclusive(path: Path) -> FileLock | None:
    """The lock if nobody holds it now, else None at once."""
    return _lock(path, exclusive=True, wait=False)


def wait_exclusive(path: Path) -> FileLock | None:
    """The lock, once every holder has let it go (None: the lock file cannot be made)."""
    return _lock(path, exclusive=True, wait=True)


def shared(path: Path) -> FileLock | None:
    """A shared hold, once no exclusive holder is left (None: none to be had here)."""
    return _lock(path, exclusive=False, wait=True)


def is_held(path: Path) -> bool:
    """Whether some process holds the lock now (no lock file: nobody does). Makes no file."""
    fd = _open(path, create=False)
    if fd is None:
        return False
    try:
        return not _acquire(fd, exclusive=True, wait=False)
    finally:
        if fcntl is None:  # pragma: no cover - Windows
            with contextlib.suppress(OSError):
                msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        os.close(fd)  # closing the descriptor lets a POSIX lock go
