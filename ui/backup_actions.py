"""File ▸ Back up… and File ▸ Restore from backup…, run on the task runner's background lane.

A backup is taken while everyone keeps working; its progress says which step it is at
(checking the database, copying, checking the copy). A restore asks first, closes this
window's hold on the database, puts the backup in place (the current database kept beside
it) and reopens the window on the restored database.
"""
from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from application import backups

FILES = "Carepod backups (*.db);;All files (*)"


def back_up(window, path: str | None = None) -> None:
    """Ask where (unless ``path``), then back up; the result is told in a message."""
    context = window.context
    if path is None:
        folder = Path(context.pod.database_path or os.path.expanduser("~/carepod.db")).parent
        suggested = str(folder / backups.suggested_backup_name(context.pod))
        path, _ = QFileDialog.getSaveFileName(window, "Back up the database", suggested, FILES)
        if not path:
            return
    pod = context.pod

    def work(job):
        return backups.backup_pod(pod, path, progress=job.set_label)

    def done(made) -> None:
        warning = f"\n\nNote: {made.audit_problem}" if made.audit_problem else ""
        QMessageBox.information(
            window, "Backup made",
            f"The database was copied to {made.path} ({made.size / 1e6:,.1f} MB) and the copy checked whole."
            f"\n\nAudit trail: {made.audit_events:,} events; newest hash {made.audit_head[:16] or '(none)'}…{warning}")

    context.tasks.background(work, label="Backing up the database…", parent=window, cancellable=False,
                             on_done=done, on_error=lambda error: _failed(window, "Backup not made", error))


def restore(window, path: str | None = None, *, confirm=None) -> None:
    """Ask for the backup (unless ``path``) and a confirmation (``confirm(text) -> bool``, a
    question box by default), then restore and reopen the window on the restored database."""
    context = window.context
    database = context.pod.database_path
    if database is None:
        _failed(window, "Restore", backups.BackupFailed(f"{context.pod.label} is not a database file."))
        return
    if path is None:
        path, _ = QFileDialog.getOpenFileName(window, "Restore from a backup", str(Path(database).parent), FILES)
        if not path:
            return
    question = (f"Replace the database\n{database}\nwith the backup\n{path}?\n\nThe current database is kept "
                "beside it (….before-restore-<date>). The window then opens the restored database; other "
                "Carepod windows on this database must be closed first.")
    ask = confirm or (lambda text: QMessageBox.question(window, "Restore from a backup", text)
                      == QMessageBox.StandardButton.Yes)
    if not ask(question):
        return
    context.tasks.wait_idle()
    context.pod.close()  # this window's connections let go of the file
    actor = context.user

    def work(job):
        return backups.restore_pod(database, path, actor, progress=job.set_label)

    def done(result) -> None:
        restored, _changes = result
        kept = f"\n\nThe database as it was is kept as {restored.kept_as}." if restored.kept_as else ""
        QMessageBox.information(window, "Restored", f"{database} was restored from {path}.{kept}")
        window.database_chosen.emit(str(database))  # a new window on the restored database

    context.tasks.background(work, label="Restoring the database…", parent=window, cancellable=False,
                             on_done=done, on_error=lambda error: _failed(window, "Not restored", error))


def _failed(parent: QWidget, title: str, error: BaseException) -> None:
    QMessageBox.critical(parent, title, str(error))
