"""A SQLite database taken for one connection alone (SQLite's alone, named as such): a restore
replaces the file, and compaction rewrites it; neither may go ahead while another program (a
Carepod window, a recompute…) has the file open, since it would go on with the old file's pages."""
from __future__ import annotations

import sqlite3


def take_alone(con: sqlite3.Connection) -> bool:
    """Hold the database for ``con`` alone until it closes; False, with nothing taken, when
    another program has it open (``con``'s busy timeout is how long it waits for it)."""
    con.execute("PRAGMA locking_mode=EXCLUSIVE")
    try:
        con.execute("BEGIN EXCLUSIVE")
        con.execute("COMMIT")
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            return False
        raise
    return True
