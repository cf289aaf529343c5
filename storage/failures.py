"""What went wrong with the database file or the disk, in one sentence for the user.

A full disk, a read-only file or folder, a file that is not a database or is damaged, a
database kept locked by another program: each surfaced as an ``OperationalError`` or
``DatabaseError`` from deep inside SQLite (or an ``OSError``), which reached the user as a
traceback. :func:`explain` turns one into :class:`DatabaseUnusable`, naming the file and the
reason; SQLite has rolled the transaction back by then, so nothing was changed.
"""
from __future__ import annotations

import errno
import os
import sqlite3

import sqlalchemy.exc

# exit status of a command that could not use the database or the disk (see README)
EXIT_UNUSABLE = 3


class DatabaseUnusable(Exception):
    """The database or the disk could not be used; the message says which file and why."""


# what a read of a damaged database raises (through SQLAlchemy, or from sqlite3 itself)
UNREADABLE = (sqlalchemy.exc.DatabaseError, sqlite3.DatabaseError)


def _sqlite_error(exc: BaseException) -> BaseException:
    if isinstance(exc, sqlalchemy.exc.DBAPIError) and exc.orig is not None:
        return exc.orig
    return exc


def reason_of(exc: BaseException) -> str | None:
    """The reason in words, or None when ``exc`` is not about the database file or the disk."""
    inner = _sqlite_error(exc)
    text = str(inner).lower()
    if isinstance(inner, sqlite3.Error):
        if "disk is full" in text or "database or disk is full" in text:
            return "the disk is full (free some space, then try again)"
        if "readonly" in text or "read-only" in text:
            return ("it cannot be written: the file or its folder is read-only, or it was found damaged "
                    "and Carepod only reads it")
        if "unable to open" in text:
            return "it cannot be opened: the file or its folder cannot be read or written by you"
        if "not a database" in text:
            return "it is not an SQLite database file"
        if "malformed" in text or "corrupt" in text:
            return "it is damaged (run python main.py check, and restore a backup)"
        if "locked" in text or "busy" in text:
            return "another program kept it locked too long (close it, then try again)"
        if "disk i/o error" in text:
            return "the disk could not be read or written (a disk error, or the disk was removed)"
        return None
    if isinstance(inner, OSError):
        if inner.errno in (errno.ENOSPC, errno.EDQUOT):
            return "the disk is full (free some space, then try again)"
        if inner.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            return "the file or its folder cannot be written by you"
    return None


def explain(exc: BaseException, database: str | os.PathLike | None) -> DatabaseUnusable | None:
    """:class:`DatabaseUnusable` for an error about the database or the disk, else None."""
    reason = reason_of(exc)
    if reason is None:
        return None
    where = os.fspath(database) if database else "The database"
    return DatabaseUnusable(f"{where}: {reason}. Nothing was changed.")


def rollback_quietly(con) -> None:
    """Roll back an sqlite3 connection's transaction if it still has one: after a full disk
    SQLite has already rolled it back, and a second ROLLBACK ("cannot rollback - no
    transaction is active") would hide the real error."""
    if con.in_transaction:
        con.execute("ROLLBACK")


def open_to_write(db, command: str, doing: str, *, create: bool = True):
    """``(engine, 0)`` of the Carepod database ``db`` for a command that writes, or ``(None,
    exit status)`` after saying in one sentence why not (2: not a Carepod database, or none
    there; :data:`EXIT_UNUSABLE`: found damaged, or a read-only file or folder, a full disk).
    What opening found that matters (damage, a broken audit trail) is said on stderr.
    ``doing``: what would not be done ("imported", …)."""
    import sys

    from storage import health
    from storage.queries.database import (NotACarepodDatabase, open_carepod_database,
                                          open_existing_carepod_database)

    say = lambda text: print(f"{command}: {text}", file=sys.stderr)  # noqa: E731
    try:
        engine = open_carepod_database(db) if create else open_existing_carepod_database(db)
    except NotACarepodDatabase as exc:
        say(str(exc))
        return None, 2
    except DatabaseUnusable as exc:  # read-only, a full disk: the file is there but cannot be used
        say(str(exc))
        return None, EXIT_UNUSABLE
    if health.tell_findings(engine, say):
        say(f"the database was found damaged: nothing was {doing}.")
        engine.dispose()
        return None, EXIT_UNUSABLE
    return engine, 0


def unusable_exit(exc: BaseException, engine, command: str) -> int:
    """:data:`EXIT_UNUSABLE` after saying in one sentence what was wrong with the database or the
    disk; ``exc`` raised again when it is about neither (a bug: main.py logs it)."""
    import sys

    unusable = explain(exc, engine.url.database)
    if unusable is None:
        raise exc
    print(f"{command}: {unusable}", file=sys.stderr)
    return EXIT_UNUSABLE
