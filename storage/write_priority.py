"""Staff saves go before bulk work.

SQLite lets one connection write at a time, and a connection waiting for the lock polls for
it: a recompute or an import that wrote step after step would keep taking the lock back
before a waiting save polled again. So a staff member's save holds a shared lock on the
database's ``-turns`` file while it waits for the write lock and writes, and a bulk writer,
before each of its short steps, waits until nobody holds it: a save waits at most for the
step under way. (SQLite-only, like the bulk writers that call it.)
"""
from __future__ import annotations

import os
from pathlib import Path

from storage import file_locks

SUFFIX = "-turns"


def turns_file(database: str | os.PathLike) -> Path:
    return Path(f"{os.fspath(database)}{SUFFIX}")


def staff_turn(database: str | os.PathLike | None) -> file_locks.FileLock | None:
    """Hold while a staff save waits for the write lock and writes; release when it ends."""
    if not database:
        return None
    return file_locks.shared(turns_file(database))


def before_bulk_step(database: str | os.PathLike | None) -> None:
    """Wait until no staff save is waiting or writing (a bulk writer calls this between steps,
    holding no transaction)."""
    if not database:
        return
    lock = file_locks.wait_exclusive(turns_file(database))
    if lock is not None:
        lock.release()
