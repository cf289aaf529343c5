"""Giving a SQLite pod's free pages back to the file system (VACUUM; SQLite's alone, named as such).

SQLite keeps the pages that deleted rows or a migration free inside the file, and reuses them for
the rows written next: the file never shrinks by itself. VACUUM writes the database anew, packed,
and then puts the new pages in place through the write-ahead log, in one transaction: a crash,
a kill or a full disk leaves the database as it was. It needs the database to itself for its
whole run (another program's open transaction makes it wait, then stop with nothing changed),
and free disk for two copies of the data in use (the packed copy and the log).
"""
from __future__ import annotations

import dataclasses
import os
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

OTHERS_WAIT_S = 2.0  # how long compaction waits for another program's transaction to end


class CompactFailed(Exception):
    """The database could not be compacted; the message names the file and why. Nothing changed."""


@dataclasses.dataclass(frozen=True)
class Space:
    file_bytes: int
    free_bytes: int  # pages inside the file that hold nothing

    @property
    def in_use(self) -> int:
        return self.file_bytes - self.free_bytes


@dataclasses.dataclass(frozen=True)
class Compacted:
    before: Space
    after: Space
    seconds: float


def space(con: sqlite3.Connection) -> Space:
    page_size = con.execute("PRAGMA page_size").fetchone()[0]
    pages = con.execute("PRAGMA page_count").fetchone()[0]
    free = con.execute("PRAGMA freelist_count").fetchone()[0]
    return Space(pages * page_size, free * page_size)


def _disk_free(folder: Path) -> int:
    return shutil.disk_usage(folder).free


def compact(database: str | os.PathLike, progress=None) -> Compacted:
    """VACUUM ``database`` and fold its log back into it. Raises :class:`CompactFailed`."""
    say = progress or (lambda _text: None)
    database = Path(database)
    started = time.perf_counter()
    con = sqlite3.connect(database, isolation_level=None, timeout=OTHERS_WAIT_S)
    try:
        before = space(con)
        need = before.in_use
        for folder, what in ((database.parent, "the database's folder"), (Path(tempfile.gettempdir()), "the temporary folder")):
            if _disk_free(folder) < need * 1.05:
                raise CompactFailed(
                    f"Compacting {database.name} needs {need / 1e9:,.1f} GB free in {what} ({folder}); it has "
                    f"{_disk_free(folder) / 1e9:,.1f} GB. Nothing was changed.")
        say(f"Compacting {database.name}: {before.file_bytes / 1e6:,.0f} MB, "
            f"{before.free_bytes / 1e6:,.0f} MB of it free pages…")
        try:
            con.execute("VACUUM")
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise CompactFailed(f"{database} is in use by another Carepod window or command: close it, then "
                                    "compact again. Nothing was changed.") from None
            if "full" in str(exc):
                raise CompactFailed(f"The disk filled while compacting {database}. Nothing was changed.") from None
            raise
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        after = space(con)
    finally:
        con.close()
    return Compacted(before, after, time.perf_counter() - started)
