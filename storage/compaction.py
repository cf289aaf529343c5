"""Giving a SQLite pod's free pages back to the file system (VACUUM; SQLite's alone, named as such).

SQLite keeps the pages that deleted rows or a migration free inside the file, and reuses them for
the rows written next: the file never shrinks by itself. VACUUM writes the database anew, packed,
and then puts the new pages in place through the write-ahead log, in one transaction: a crash,
a kill or a full disk leaves the database as it was. It needs the database to itself for its
whole run: it first makes sure no other program has the file open (as a restore does) and keeps
everyone else out until the log is folded back into the file. It needs free disk, in the
database's folder, for two copies of the data in use (the packed copy, which SQLite is told to
write there, and the log).
"""
from __future__ import annotations

import dataclasses
import os
import shutil
import sqlite3
import time
from pathlib import Path

from storage.alone import take_alone

OTHERS_WAIT_S = 0.5  # how long compaction waits for another program to let go of the database
_MARGIN = 1.05


class CompactFailed(Exception):
    """The database could not be compacted; the message names the file and why. Nothing changed."""


@dataclasses.dataclass(frozen=True)
class Space:
    file_bytes: int  # the database file and its log, as the file system has them
    free_bytes: int  # pages inside the file that hold nothing
    in_use: int      # the pages that hold data


@dataclasses.dataclass(frozen=True)
class Compacted:
    before: Space
    after: Space
    seconds: float


def _on_disk(database: Path) -> int:
    log = Path(f"{database}-wal")
    return database.stat().st_size + (log.stat().st_size if log.exists() else 0)


def space(con: sqlite3.Connection, database: Path) -> Space:
    page_size = con.execute("PRAGMA page_size").fetchone()[0]
    pages = con.execute("PRAGMA page_count").fetchone()[0]
    free = con.execute("PRAGMA freelist_count").fetchone()[0]
    return Space(_on_disk(database), free * page_size, (pages - free) * page_size)


def _disk_free(folder: Path) -> int:
    return shutil.disk_usage(folder).free


def compact(database: str | os.PathLike, progress=None) -> Compacted:
    """VACUUM ``database`` and fold its log back into it. Raises :class:`CompactFailed`."""
    say = progress or (lambda _text: None)
    database = Path(database)
    started = time.perf_counter()
    con = sqlite3.connect(database, isolation_level=None, timeout=OTHERS_WAIT_S)
    try:
        # no other program may have it open: a window reading it would keep the old pages, and
        # the file, as they were
        if not take_alone(con):
            raise CompactFailed(f"{database} is open in another Carepod window or command: close it, then "
                                "compact again. Nothing was changed.")
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        before = space(con, database)
        need = int(2 * before.in_use * _MARGIN)
        if _disk_free(database.parent) < need:
            raise CompactFailed(
                f"Compacting {database.name} needs {need / 1e9:,.1f} GB free in the database's folder "
                f"({database.parent}); it has {_disk_free(database.parent) / 1e9:,.1f} GB. Nothing was changed.")
        # the packed copy goes beside the database, on the disk just checked (SQLite's own choice
        # of temporary folder, /var/tmp or /tmp, may be another disk or a small one in memory)
        con.execute("PRAGMA temp_store = FILE")
        con.execute(f"PRAGMA temp_store_directory = '{str(database.parent).replace(chr(39), chr(39) * 2)}'")
        say(f"Compacting {database.name}: {before.file_bytes / 1e6:,.0f} MB, "
            f"{before.free_bytes / 1e6:,.0f} MB of it free pages…")
        try:
            con.execute("VACUUM")
        except sqlite3.OperationalError as exc:
            if "full" in str(exc):
                raise CompactFailed(f"The disk filled while compacting {database}. Nothing was changed.") from None
            raise
        busy = con.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        if busy:  # nobody else can have it open; should it happen, the file is whole, only not smaller yet
            raise CompactFailed(f"{database} was compacted, but its log could not be folded back into it: "
                                "open and close Carepod to finish.")
        after = space(con, database)
    finally:
        try:
            con.execute("PRAGMA temp_store_directory = ''")
        finally:
            con.close()
    return Compacted(before, after, time.perf_counter() - started)
