"""The write lock: SQLite lets one connection write at a time. A recompute holds the lock only
while it writes one measure's rows (worked out beforehand), and a worker process whose sibling
is writing can ask for it without waiting (:func:`begin_now`) and go on with its next measure.
SQLite-specific (BEGIN IMMEDIATE, busy_timeout) on a raw sqlite3 connection, for speed."""
from __future__ import annotations

import sqlite3
from typing import Any, Callable

from storage.failures import rollback_quietly


def begin_now(con) -> bool:
    """Begin a write transaction if no other connection is writing; False if one is."""
    timeout = con.execute("PRAGMA busy_timeout").fetchone()[0]
    con.execute("PRAGMA busy_timeout = 0")
    try:
        con.execute("BEGIN IMMEDIATE")
        return True
    except sqlite3.OperationalError as exc:
        if "locked" not in str(exc) and "busy" not in str(exc):
            raise
        return False
    finally:
        con.execute(f"PRAGMA busy_timeout = {int(timeout)}")


def in_write_transaction(con, work: Callable[..., Any], *args, begun: bool = False):
    """``work(*args)`` in one write transaction (taking the lock, waiting up to the
    connection's busy timeout, unless ``begun``): committed when it returns, rolled back
    when it raises."""
    if not begun:
        con.execute("BEGIN IMMEDIATE")
    try:
        outcome = work(*args)
        con.execute("COMMIT")
        return outcome
    except BaseException:
        rollback_quietly(con)  # a full disk has rolled it back already: keep that error, not ROLLBACK's
        raise
