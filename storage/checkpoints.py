"""Copying the write-ahead log into the database file off the save's path (SQLite only).

SQLite has the connection that commits copy the log into the database once it holds more
than 1,000 pages, inside its commit. While a recompute or an import writes, the log holds
their pages too, and a staff member's one-row save paid for copying them (0.3 s measured
at 20,000 patients, more at a million). Connections here do not do that
(``wal_autocheckpoint=0``, storage.db): after a staff save, a thread of this process copies
the log a moment later, never waiting for a reader or a writer (PASSIVE); bulk writers
copy their own (the importer's connection keeps SQLite's automatic copy, a recompute has
its own checkpointer). The last connection to close copies what is left.
"""
from __future__ import annotations

import sqlite3
import threading

DELAY_S = 0.2  # saves in quick succession share one copy
_threads: dict[str, "_Checkpointer"] = {}
_lock = threading.Lock()


class _Checkpointer(threading.Thread):
    def __init__(self, database: str):
        super().__init__(name="carepod-checkpoint", daemon=True)
        self.database = database
        self.wanted = threading.Event()
        self.stopping = False

    def run(self) -> None:
        con = None
        try:
            while not self.stopping:
                self.wanted.wait()
                self.wanted.clear()
                if not self.stopping:
                    self.wanted.wait(DELAY_S)  # let a burst of saves finish first
                    self.wanted.clear()
                try:
                    if con is None:
                        con = sqlite3.connect(self.database, isolation_level=None, check_same_thread=False)
                    con.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error:  # busy, or the file is gone (restored): the next save asks again
                    if con is not None:
                        con.close()
                    con = None
        finally:
            if con is not None:
                con.close()


def after_write(database: str | None) -> None:
    """Ask for the log to be copied into ``database`` soon (returns at once)."""
    if not database:
        return
    with _lock:
        thread = _threads.get(database)
        if thread is None or not thread.is_alive():
            thread = _threads[database] = _Checkpointer(database)
            thread.start()
    thread.wanted.set()


def release(database: str | None) -> None:
    """Let go of ``database`` (before a restore replaces the file): the copying thread, if
    any, copies what is left and closes its connection."""
    if not database:
        return
    with _lock:
        thread = _threads.pop(database, None)
    if thread is not None and thread.is_alive():
        thread.stopping = True
        thread.wanted.set()
        thread.join(5)
