"""Backup and restore of a Carepod database (SQLite: a speed module, named as such).

A backup is SQLite's online backup of one consistent moment, taken while others keep
writing (a write-ahead-log database lets a reader copy while writers go on); the database
is checked whole first (pages, indexes, audit chain). The copy is written beside its final
name, checked in its turn (every page, the audit chain), synced to the disk, and only then
given its name: a backup file is whole, or not there (a leftover ``.part`` is not a backup).

A restore checks the backup the same way (a damaged file is refused and nothing changes),
makes sure no other program has the database open, keeps the current database aside
(``<name>.before-restore-<time>``), puts the backup in its place and records the restore in
the audit trail. A backup from an older Carepod is brought up to date when next opened.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import os
import sqlite3
import time
from pathlib import Path
from typing import Callable

from storage.alone import take_alone
from storage.private_files import create_private_file

CHECK_SAYS_WHOLE = [("ok",)]
OTHERS_WAIT_S = 0.5  # how long a restore waits for another program to let go of the database


class BackupFailed(Exception):
    """The backup or restore could not be made; the message says which file and why.
    Nothing was changed (a half-made copy is removed)."""


@dataclasses.dataclass(frozen=True)
class BackupMade:
    path: Path
    size: int
    seconds: float
    audit_events: int
    audit_head: str          # the newest audit event's hash in the copy (compare it later)
    audit_problem: str = ""  # the source's audit chain was broken (the copy keeps it as it was)


@dataclasses.dataclass(frozen=True)
class Restored:
    database: Path
    kept_as: Path | None     # the database as it was before the restore (None: there was none)
    audit_events: int


def _check(con, what: str) -> None:
    """Every page and index of an open database, or BackupFailed naming ``what``."""
    try:
        found = con.execute("PRAGMA integrity_check").fetchall()
    except sqlite3.DatabaseError as exc:
        raise BackupFailed(f"{what} is damaged ({exc}).") from None
    if found != CHECK_SAYS_WHOLE:
        problems = "; ".join(row[0] for row in found[:3])
        raise BackupFailed(f"{what} is damaged (SQLite's check found: {problems}).")


def _chain(path: Path):
    """The audit chain's verdict of a database file (read-only)."""
    import sqlalchemy as sa

    from storage import audit_chain

    engine = sa.create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table("audit_chain"):
                return None  # from a Carepod before the chain: nothing to check yet
            return audit_chain.verify(conn)
    finally:
        engine.dispose()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - a system without directory handles (Windows)
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def make_backup(database: str | os.PathLike, out: str | os.PathLike,
                progress: Callable[[str], None] | None = None) -> BackupMade:
    """Copy ``database`` to ``out`` (see the module docstring); ``progress(text)`` says the step."""
    say = progress or (lambda _text: None)
    source, target = Path(database), Path(out)
    if target.resolve() == source.resolve():
        raise BackupFailed(f"{target} is the database itself: choose another file for the backup.")
    if target.is_dir():
        raise BackupFailed(f"{target} is a folder: give the backup file's name (for example "
                           f"{target / (source.stem + '-' + dt.date.today().isoformat() + '.db')}).")
    started = time.monotonic()
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, isolation_level=None)
    try:
        say(f"Checking {source.name} (every page and index)…")
        _check(src, str(source))
        say("Checking the audit trail's chain…")
        verdict = _chain(source)
        partial = target.with_name(target.name + ".part")
        partial.unlink(missing_ok=True)
        try:
            create_private_file(partial)
            dst = sqlite3.connect(partial, isolation_level=None)
            try:
                say(f"Copying {source.name}…")
                src.backup(dst)  # one step: one consistent moment, writers carry on meanwhile
                dst.execute("PRAGMA journal_mode=DELETE")  # the backup is one file, with no log beside it
                say("Checking the copy…")
                _check(dst, f"The copy ({partial})")
            finally:
                dst.close()
            copied = _chain(partial)
            # events may have been added since the source was checked; the copy's chain is whole too
            if verdict is not None and verdict.ok and (copied is None or not copied.ok
                                                       or copied.events < verdict.events):
                raise BackupFailed(f"The copy's audit trail does not match {source}'s: the copy was not kept.")
            _fsync(partial)
            os.replace(partial, target)
            _fsync_folder(target.parent)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    except sqlite3.Error as exc:
        from storage.failures import explain

        unusable = explain(exc, target)
        raise BackupFailed(str(unusable) if unusable else f"The backup to {target} failed: {exc}.") from None
    except OSError as exc:
        raise BackupFailed(f"{target} could not be written: {exc.strerror or exc}. Nothing was kept.") from None
    finally:
        src.close()
    events = copied.events if copied is not None else 0
    return BackupMade(target, target.stat().st_size, time.monotonic() - started, events,
                      copied.last_hash if copied is not None else "",
                      "" if verdict is None or verdict.ok else verdict.problem)


def check_backup(path: str | os.PathLike) -> None:
    """A backup file fit to restore: a whole Carepod database, or BackupFailed saying why."""
    from storage.queries.database import NotACarepodDatabase, check_database_file

    backup = Path(path)
    if not backup.is_file():
        raise BackupFailed(f"{backup} is not a file." if backup.exists() else f"{backup} does not exist.")
    try:
        check_database_file(backup)
    except NotACarepodDatabase as exc:
        raise BackupFailed(str(exc)) from None
    if backup.stat().st_size == 0:
        raise BackupFailed(f"{backup} is empty: it is not a backup.")
    con = sqlite3.connect(f"file:{backup}?mode=ro", uri=True, isolation_level=None)
    try:
        _check(con, f"The backup {backup}")
        revision = con.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error as exc:
        raise BackupFailed(f"The backup {backup} cannot be read: {exc}.") from None
    finally:
        con.close()
    _known_revision(backup, revision[0] if revision else None)


def _known_revision(backup: Path, revision: str | None) -> None:
    from storage.migrate import MIGRATIONS

    known = {p.name.split("_", 1)[0] for p in (MIGRATIONS / "versions").glob("*.py")}
    if revision not in known:
        raise BackupFailed(f"The backup {backup} was made by a newer Carepod (schema {revision}): "
                           "restore it with that version.")


def _nobody_else(database: Path) -> None:
    """Checkpoint the database's log into it, making sure no other program has it open
    (Carepod's window, a recompute…): their writes would go to the file being set aside."""
    con = sqlite3.connect(database, isolation_level=None, timeout=OTHERS_WAIT_S)
    try:
        if not take_alone(con):
            raise BackupFailed(f"{database} is open in another Carepod window or command: close it, then "
                               "restore again. Nothing was changed.")
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        con.close()


def restore_backup(backup: str | os.PathLike, database: str | os.PathLike, *, actor: str,
                   progress: Callable[[str], None] | None = None) -> Restored:
    """Replace ``database`` with ``backup`` (see the module docstring). The caller has asked
    the user to confirm; nothing else may have the database open."""
    say = progress or (lambda _text: None)
    backup, database = Path(backup), Path(database)
    say(f"Checking {backup.name}…")
    check_backup(backup)
    if database.exists() and backup.resolve() == database.resolve():
        raise BackupFailed(f"{backup} is the database itself: nothing to restore.")
    kept = None
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    incoming = database.with_name(database.name + ".restoring")
    try:
        say("Copying the backup…")
        incoming.unlink(missing_ok=True)
        create_private_file(incoming)
        src = sqlite3.connect(f"file:{backup}?mode=ro", uri=True, isolation_level=None)
        dst = sqlite3.connect(incoming, isolation_level=None)
        try:
            src.backup(dst)
            _check(dst, f"The copy of the backup ({incoming})")
        finally:
            dst.close()
            src.close()
        _fsync(incoming)
        if database.exists():
            try:
                _nobody_else(database)
            except sqlite3.DatabaseError:  # damaged, or not a database: set aside as it is
                pass
            kept = database.with_name(f"{database.name}.before-restore-{stamp}")
            say(f"Keeping the current database as {kept.name}…")
            for suffix in ("", "-wal", "-shm"):
                part = Path(f"{database}{suffix}")
                if part.exists():
                    os.replace(part, Path(f"{kept}{suffix}"))
        os.replace(incoming, database)
        _fsync_folder(database.parent)
    except BackupFailed:
        incoming.unlink(missing_ok=True)
        raise
    except OSError as exc:
        incoming.unlink(missing_ok=True)
        raise BackupFailed(f"{database} could not be replaced: {exc.strerror or exc}. Nothing was changed.") from None
    from storage.db import forget_damage

    forget_damage(database)
    return Restored(database, kept, _record_restore(database, backup, kept, actor))


def _record_restore(database: Path, backup: Path, kept: Path | None, actor: str) -> int:
    """The restore in the restored database's own audit trail (brought up to date first)."""
    from domain.clock import utcnow
    from storage import audit_chain
    from storage.db import open_database, write_transaction

    engine = open_database(database)
    try:
        with write_transaction(engine) as conn:
            audit_chain.append(conn, at=utcnow(), actor=actor, action="change", record_type="Database",
                               record_id=None, patient_id=None,
                               detail=f"restored from backup {backup.name}"
                                      + (f"; the database before was kept as {kept.name}" if kept else ""))
        return audit_chain.verify(engine).events
    finally:
        engine.dispose()
