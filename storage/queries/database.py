"""Is this file a Carepod database? Checked before the app migrates or writes anything in it."""
from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

SQLITE_MAGIC = b"SQLite format 3\x00"
# tables every Carepod database has had since the first migration
CAREPOD_TABLES = {"alembic_version", "patient", "practice", "clinical_fact"}


class NotACarepodDatabase(Exception):
    """The chosen file cannot be used; the message says which file and why."""


def check_database_file(path: str | os.PathLike) -> None:
    """Raise :class:`NotACarepodDatabase` unless ``path`` is a Carepod database or a new, empty file."""
    file = Path(path).expanduser()
    if not file.exists():
        raise NotACarepodDatabase(f"{file} does not exist.")
    if file.is_dir():
        raise NotACarepodDatabase(f"{file} is a folder, not a database file.")
    try:
        with file.open("rb") as handle:
            head = handle.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise NotACarepodDatabase(f"{file} cannot be read: {exc.strerror or exc}.") from None
    if not head:
        return  # an empty file becomes a new database
    if head != SQLITE_MAGIC:
        raise NotACarepodDatabase(f"{file} is not a Carepod database (it is not an SQLite file).")
    # read-only: looking at another application's file must not change it, nor leave log files
    # beside it: a write-ahead-log file nobody has open is read as it is on disk (immutable)
    engine = sa.create_engine(f"sqlite:///file:{file.resolve()}?{_read_only_mode(file)}&uri=true")
    try:
        with engine.connect() as conn:
            tables = set(sa.inspect(conn).get_table_names())
    except SQLAlchemyError as exc:
        raise NotACarepodDatabase(f"{file} cannot be opened: {getattr(exc, 'orig', exc)}.") from None
    finally:
        engine.dispose()
    if tables and not CAREPOD_TABLES <= tables:
        raise NotACarepodDatabase(
            f"{file} is an SQLite database but not a Carepod one (it has no {', '.join(sorted(CAREPOD_TABLES - tables))} table).")


def _read_only_mode(file: Path) -> str:
    """``mode=ro``, or ``immutable=1`` for a write-ahead-log database nobody has open (a
    read-only connection to it would create its -wal and -shm files)."""
    try:
        with file.open("rb") as handle:
            header = handle.read(20)
    except OSError:
        return "mode=ro"
    in_wal_mode = len(header) == 20 and header[18] == 2
    if in_wal_mode and not Path(f"{file}-shm").exists() and not Path(f"{file}-wal").exists():
        return "immutable=1"
    return "mode=ro"


def open_carepod_database(path: str | os.PathLike | None, *, create: bool = True,
                          read_only: bool = False) -> Engine:
    """The engine of a checked, migrated Carepod database (None: the default one, created if
    new; so is a file that is not there yet). ``create=False``: a database that is not there is
    an error rather than a new one (a command that only reads never creates one). ``read_only``: opened so that nothing can be
    written to it (nor migrated). Opening looks for damage and a broken audit trail within
    about a second (:func:`storage.health.check_on_open`; :func:`storage.health.findings_of`
    says what it found); a damaged database is then only read.

    Raises :class:`NotACarepodDatabase` (a user error: exit 2) or, when the file or the disk
    cannot be used (read-only, full), :class:`storage.failures.DatabaseUnusable` (exit 3)."""
    from storage import health
    from storage.db import create_engine, default_db_path, open_database
    from storage.failures import explain

    if path is None and not create:
        path = default_db_path()
    if path is not None and "://" not in str(path):
        file = Path(path).expanduser()
        if file.exists():
            check_database_file(file)
        elif not create:
            raise NotACarepodDatabase(
                f"{file} does not exist: there is no Carepod database there yet. Open Carepod (python main.py) "
                "to start a pod there, or name another database with --db.")
        # else a new database, made by open_database below
    try:
        engine = create_engine(path, read_only=True) if read_only else open_database(path)
    except Exception as exc:
        # the file or the disk (a read-only file or folder, a full disk, damage found while
        # upgrading it): DatabaseUnusable, in words (exit 3); else a newer or foreign file
        unusable = explain(exc, path or default_db_path())
        if unusable is not None:
            raise unusable from None
        raise NotACarepodDatabase(f"{path or 'The default database'} cannot be opened: "
                                  f"{exc.__class__.__name__}: {exc}") from None
    health.remember_findings(engine, health.check_on_open(engine))
    return engine


def open_existing_carepod_database(path: str | os.PathLike | None) -> Engine:
    """:func:`open_carepod_database` for a command that only reads or adds to a pod: a database
    that does not exist yet is an error, never created (None: the default one)."""
    return open_carepod_database(path, create=False)
