"""One import of a database at a time.

Two imports at once would each hold the write lock for a file's transaction while the other
waited on SQLite's busy timeout, then died with a traceback and no trace in the log. An
import holds an exclusive lock on the database's ``-import`` file (dropped by the system
when its process ends, however it ends); a second one is logged as "waiting" and waits for
it, saying so through its progress, or is refused and logged "refused". Runs still marked
"running" while nobody holds the lock were interrupted (their process was killed): the
next import marks them so, and the log shows them so meanwhile.
"""
from __future__ import annotations

import contextlib
import time
from pathlib import Path

import sqlalchemy as sa

from storage import file_locks
from storage import schema as t
from storage.db import database_file, write_transaction

SUFFIX = "-import"
POLL_SECONDS = 0.25
UNFINISHED = ("running", "waiting")


def lock_file(engine) -> Path | None:
    database = database_file(engine)
    return Path(f"{database}{SUFFIX}") if database else None


def importing_now(engine) -> bool:
    """Whether an import of this database is running (in any process)."""
    path = lock_file(engine)
    return path is not None and file_locks.is_held(path)


def shown_status(engine, status: str) -> str:
    """A logged run's status as it stands: unfinished with no import running means interrupted."""
    if status in UNFINISHED and not importing_now(engine):
        return "interrupted"
    return status


def _describe_running(engine) -> str:
    with engine.connect() as conn:
        row = conn.execute(sa.select(t.import_run.c.id, t.import_run.c.started_at, t.import_run.c.actor)
                           .where(t.import_run.c.status == "running")
                           .order_by(t.import_run.c.id.desc()).limit(1)).first()
    if row is None:
        return "another import of this database"
    return f"import {row.id}, started {row.started_at:%Y-%m-%d %H:%M} UTC by {row.actor}"


@contextlib.contextmanager
def one_import_at_a_time(engine, start_run, report, progress, cancel, wait: bool):
    """Log the run (``start_run(status) -> run id`` into ``report.run_id``) and yield True
    once this import has its turn; False when it was refused or cancelled while waiting."""
    from storage.importers.run import ImportProgress, _is_cancelled

    path = lock_file(engine)
    held = file_locks.try_exclusive(path) if path is not None else None
    if path is None or held is not None:
        report.run_id = start_run(status="running")
    else:
        busy = _describe_running(engine)
        report.run_id = start_run(status="waiting")
        if not wait:
            report.busy = busy
            report.problems.append(_problem(f"not started: {busy} is running; import again when it has finished"))
        else:
            while held is None and not _is_cancelled(cancel):
                if progress:
                    progress(ImportProgress(0, 0, "", 0, waiting=f"Waiting for {busy} to finish…"))
                time.sleep(POLL_SECONDS)
                held = file_locks.try_exclusive(path)
            if held is None:
                report.cancelled = True
                report.problems.append(_problem(f"cancelled while waiting for {busy} to finish: "
                                                "nothing was imported", "warning"))
            else:
                with write_transaction(engine) as conn:
                    conn.execute(sa.update(t.import_run).where(t.import_run.c.id == report.run_id)
                                 .values(status="running"))
    try:
        if held is not None:
            _mark_interrupted(engine, report.run_id)
        yield held is not None or path is None
    finally:
        if held is not None:
            held.release()


def _mark_interrupted(engine, run_id: int) -> None:
    """This import has the lock: any other run still "running" was killed."""
    with write_transaction(engine) as conn:
        conn.execute(sa.update(t.import_run).where(t.import_run.c.status == "running", t.import_run.c.id != run_id)
                     .values(status="interrupted"))


def _problem(reason: str, severity: str = "error"):
    from storage.importers.report import Problem

    return Problem("", "", "", "", reason, severity)
