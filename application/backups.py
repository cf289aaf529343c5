"""Backup and restore of the pod (use cases; the copying is :mod:`storage.backups`)."""
from __future__ import annotations

import gc
import os
from pathlib import Path

from application.changes import ChangeSet
from storage import backups
from storage.backups import BackupFailed, BackupMade, Restored
from storage.db import database_file

__all__ = ["BackupFailed", "BackupMade", "Restored", "backup_pod", "check_backup", "restore_pod",
           "suggested_backup_name"]


def suggested_backup_name(pod) -> str:
    """``carepod-2026-12-07-0930.db``: the database's name and when."""
    import datetime as dt

    stem = Path(database_file(pod.engine) or "carepod.db").stem
    return f"{stem}-{dt.datetime.now():%Y-%m-%d-%H%M}.db"


def backup_pod(pod, out: str | os.PathLike, progress=None) -> BackupMade:
    """Check the pod whole, copy it to ``out`` while others go on working, check the copy; the
    backup is audited. ``progress(text)``. Raises :class:`BackupFailed` (nothing kept)."""
    database = database_file(pod.engine)
    if database is None:
        raise BackupFailed(f"{pod.label} is not a database file: back it up with the server's own tools.")
    made = backups.make_backup(database, out, progress)
    if not pod.damaged:
        with pod.unit_of_work() as uow:
            uow.audit.record("export", "Database", None, None,
                             f"backup to {Path(out).name} ({made.audit_events} audit events, head {made.audit_head[:16]})")
            uow.commit()
    return made


def check_backup(path: str | os.PathLike) -> None:
    """Raises :class:`BackupFailed` unless ``path`` is a whole Carepod backup."""
    backups.check_backup(path)


def restore_pod(database: str | os.PathLike, backup: str | os.PathLike, actor: str, progress=None) -> tuple[Restored, ChangeSet]:
    """Replace the database with the backup (checked first; the current one kept aside). The
    caller closed its Pod and asked the user to confirm; every screen reads again afterwards."""
    from storage.checkpoints import release

    release(os.fspath(database))  # this process's log copier lets go of the file
    # a closed sqlite3 connection is freed (its file let go) only when the collector breaks
    # its cycle with its own statement cache
    gc.collect()
    restored = backups.restore_backup(backup, database, actor=actor, progress=progress)
    return restored, ChangeSet.everything()
