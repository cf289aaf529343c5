"""Compacting the pod's file (the use case; the work is :mod:`storage.compaction`)."""
from __future__ import annotations

from storage import compaction
from storage.compaction import CompactFailed, Compacted
from storage.db import database_file

__all__ = ["CompactFailed", "Compacted", "compact_pod"]


def compact_pod(pod, progress=None) -> Compacted:
    """Give the pod's free pages back to the file system; audited. Raises :class:`CompactFailed`."""
    database = database_file(pod.engine)
    if database is None:
        raise CompactFailed(f"{pod.label} is not a database file: a database server reclaims its own space.")
    if pod.damaged:
        raise CompactFailed(f"{database} was found damaged: restore a backup rather than compact it. "
                            "Nothing was changed.")
    from storage.checkpoints import release

    release(database)  # this process's log copier lets go of the file
    pod.engine.dispose()  # and its pooled connections
    done = compaction.compact(database, progress)
    with pod.unit_of_work() as uow:
        uow.audit.record("change", "Database", None, None,
                         f"compacted from {done.before.file_bytes / 1e6:,.0f} MB to {done.after.file_bytes / 1e6:,.0f} MB")
        uow.commit()
    return done
