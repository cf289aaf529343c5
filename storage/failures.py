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
