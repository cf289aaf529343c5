"""Opening a Carepod database: engine, SQLite pragmas, migrations, default location.

Write transactions begin as writes: a unit of work, or ``write_transaction(engine)``, starts
with ``BEGIN IMMEDIATE`` and so waits for the write lock (``BUSY_TIMEOUT_MS``) before it
reads anything. A transaction begun as a read that later writes cannot wait in WAL mode: it
fails at once with "database is locked" whenever another connection committed meanwhile.
Reads (``engine.connect()``) begin deferred and never wait for writers.

Every commit is made durable (``synchronous=FULL``: the write-ahead log is synced) so a save
the user was told succeeded survives a power cut; bulk writers that mark their own completion
(imports, recomputes) set NORMAL on their own connection for the steps before that mark.

The database file, its log files and a folder Carepod makes for it are readable by the user
only (0600 / 0700). A database found damaged (:func:`mark_damaged`) is opened read-only
(``PRAGMA query_only``) by every later connection of this process.
"""
from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine

from storage.private_files import create_private_file, make_private_folder

log = logging.getLogger(__name__)

APP_NAME = "Carepod"
# how long a write waits for the write lock before it fails: bulk writers give way between
# their short steps (storage.write_priority), so a save waits far less than this; an import
# writes each file in one transaction, which a save may have to wait out (a large file: a minute)
BUSY_TIMEOUT_MS = 300_000
PAGE_SIZE = 16384
WRITE = "carepod_write"  # execution option: the transaction begins as a write
_DAMAGED: dict[str, str] = {}  # database file -> why it was found damaged


def default_db_path(*, create_folder: bool = False) -> Path:
    """carepod.db in the user's data directory (CAREPOD_HOME overrides, e.g. in tests);
    ``create_folder`` makes the folder (readable by the user only) if it is not there."""
    home = os.environ.get("CAREPOD_HOME")
    if home:
        base = Path(home)
    else:
        import platformdirs

        base = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    if create_folder:
        make_private_folder(base)
    return base / "carepod.db"


def database_url(path_or_url: str | os.PathLike | None) -> str:
    """Accept a file path or a SQLAlchemy URL; None means the default database."""
    if path_or_url is None:
        return f"sqlite:///{default_db_path(create_folder=True)}"
    text = str(path_or_url)
    if "://" in text:
        return text
    return f"sqlite:///{Path(text).expanduser().resolve()}"


def database_file(engine: Engine) -> str | None:
    """The engine's SQLite file, or None (in memory, another database server)."""
    url = engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    database = url.database
    if database.startswith("file:"):  # a URI filename (read-only opens)
        database = database[5:].split("?", 1)[0]
    return database


def _sqlite_pragmas(dbapi_connection, _record, database: str | None, read_only: bool = False) -> None:
    cursor = dbapi_connection.cursor()
    if not read_only:  # a file opened read-only is left exactly as it is (a backup, another's file)
        # A new database's pages are 16 KB rather than 4 KB: shallower B-trees with fewer pages to
        # split (a recompute at 100k patients took 7 % less CPU). Only a file not yet written takes
        # it (before WAL mode writes the header); an existing database keeps its page size.
        cursor.execute(f"PRAGMA page_size={PAGE_SIZE}")
        cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=FULL")
    # the log is copied into the database off the save's path (storage.checkpoints)
    cursor.execute("PRAGMA wal_autocheckpoint=0")
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.execute("PRAGMA cache_size=-65536")  # 64 MB page cache per connection
    if database and database in _DAMAGED:
        cursor.execute("PRAGMA query_only=ON")
    cursor.close()


def create_engine(path_or_url: str | os.PathLike | None = None, *, echo: bool = False,
                  read_only: bool = False) -> Engine:
    """An engine on the database; ``read_only`` opens an SQLite file so that nothing can be
    written nor created (a missing file is an error, not a new database)."""
    url = database_url(path_or_url)
    if read_only and url.startswith("sqlite:///") and ":memory:" not in url:
        url = f"sqlite:///file:{url[len('sqlite:///'):]}?mode=ro&uri=true"
    # an SQL error's message never carries the values of a row (patient data) into a log
    engine = sa.create_engine(url, echo=echo, hide_parameters=True)
    if engine.dialect.name == "sqlite":
        database = database_file(engine)
        # let SQLAlchemy's transaction begin be the one SQLite sees (pysqlite's own is lazy)
        event.listen(engine, "connect", lambda dbapi, record: _sqlite_pragmas(dbapi, record, database, read_only))
        event.listen(engine, "connect", _disable_pysqlite_begin)
        event.listen(engine, "begin", lambda conn: _begin(conn, database))
        event.listen(engine, "commit", lambda conn: _end_write(conn, database, committed=True))
        event.listen(engine, "rollback", lambda conn: _end_write(conn, database))
    return engine


def _begin(conn, database: str | None) -> None:
    if not conn.get_execution_options().get(WRITE):
        conn.exec_driver_sql("BEGIN")
        return
    from storage.write_priority import staff_turn

    turn = staff_turn(database)  # a bulk writer lets this save go first (storage.write_priority)
    try:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    except BaseException:
        if turn is not None:
            turn.release()
        raise
    if turn is not None:
        conn.info["carepod_turn"] = turn


def _end_write(conn, database: str | None, committed: bool = False) -> None:
    turn = conn.info.pop("carepod_turn", None)
    if turn is not None:
        turn.release()
        if committed:
            from storage.checkpoints import after_write

            after_write(database)


def limit_page_cache(engine: Engine, mib: int) -> None:
    """From now on each connection of the engine keeps at most ``mib`` MB of pages (rather than
    64): the window's, whose reads are a page of a list or a chart at a time, and whose
    memory is the user's; the pages it drops stay in the system's file cache. The
    connections already open are closed (the next ones are opened with it)."""
    if engine.dialect.name != "sqlite" or engine.__dict__.get("carepod_cache_mb") == mib:
        return
    engine.__dict__["carepod_cache_mb"] = mib
    event.listen(engine, "connect", lambda dbapi, _record: dbapi.execute(f"PRAGMA cache_size=-{int(mib) * 1024}"))
    engine.dispose()


BULK_CACHE_MB = 64  # the page cache of a long job's connection (storage.measures.local_run, the importer)


@contextlib.contextmanager
def large_page_cache(conn, mib: int = BULK_CACHE_MB):
    """One long read on this connection (an export sorting a practice's 145,000 gaps) keeps up
    to ``mib`` MB of pages meanwhile, then what the connection kept before (the window's keep
    16 MB: sorting with them took a fifth longer)."""
    if conn.dialect.name != "sqlite":
        yield conn
        return
    with bulk_page_cache(conn.connection.driver_connection, mib):
        yield conn


@contextlib.contextmanager
def bulk_page_cache(raw, mib: int = BULK_CACHE_MB):
    """A long job's raw sqlite3 connection (an import, a recompute, a long read) keeps up to
    ``mib`` MB of pages while it works, whatever its engine's connections keep (the window's
    16 MB: a period's gap rows written with a small cache took a quarter more CPU at 1M
    patients), then what it kept before."""
    before = raw.execute("PRAGMA cache_size").fetchone()[0]
    raw.execute(f"PRAGMA cache_size=-{int(mib) * 1024}")
    try:
        yield raw
    finally:
        raw.execute(f"PRAGMA cache_size={int(before)}")


def writer(engine: Engine) -> Engine:
    """The engine whose transactions begin as writes (``BEGIN IMMEDIATE``)."""
    return engine.execution_options(**{WRITE: True})


def write_transaction(engine: Engine):
    """``with write_transaction(engine) as conn:`` one transaction that writes, begun as a
    write (see the module docstring); committed at the end of the block."""
    return writer(engine).begin()


def _disable_pysqlite_begin(dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None


def open_database(path_or_url: str | os.PathLike | None = None, *, upgrade: bool = True) -> Engine:
    """Engine for the database, upgraded to the newest schema (an older file is migrated).
    A new database file is made readable by the user only (SQLite gives its log files the
    database file's permissions)."""
    url = database_url(path_or_url)
    if url.startswith("sqlite:///") and ":memory:" not in url and "?" not in url:
        try:
            create_private_file(url[len("sqlite:///"):])
        except OSError:  # no such folder, or not writable: SQLite says so when it opens the file
            pass
    engine = create_engine(url)
    if upgrade:
        from storage.migrate import upgrade_to_head

        upgrade_to_head(engine)
    return engine


# --- a database found damaged ----------------------------------------------------------

def mark_damaged(engine: Engine, reason: str) -> None:
    """From now on this process opens the database read-only: reading stays possible, so that
    what it holds can be saved, and nothing more is written to it."""
    database = database_file(engine)
    if database:
        _DAMAGED[database] = reason
        engine.dispose()  # pooled connections were opened writable


def damage_of(engine: Engine) -> str | None:
    """Why the database was found damaged in this process, or None."""
    database = database_file(engine)
    return _DAMAGED.get(database) if database else None


def forget_damage(database: str | os.PathLike) -> None:
    """After a restore: the file at this path is another database now."""
    _DAMAGED.pop(os.fspath(database), None)
