"""A recompute of the whole pod (or one practice) on every core: worker processes take the
measures one at a time, longest first, each evaluating its measure and writing it in its own
short transaction (SQLite has one writer at a time: a worker waits for the other's write).
Each worker talks to this process over its own pipe — it asks for its next measure and
reports progress — so a worker that dies cannot block the others. The caller's progress and
cancel work as in one process; measures already written stay written when the run is
cancelled or a worker fails."""
from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import sqlite3
import sys
import threading
import traceback
from multiprocessing import connection
from typing import Callable, Iterator

from domain.measures import definition as definitions
from domain.measures.catalogue import DEFAULT_COST, catalogue
from domain.measures.period import MeasurementPeriod
from storage.measures.engine import Cancelled, needed_criteria, raw_connection
from storage.measures.local_run import recompute_here, run_time
from storage.measures.measure_table import install_measures
from storage.measures.write_lock import in_write_transaction

MAX_WORKERS = 4
WRITE_LOCK_WAIT_MS = 30 * 60 * 1000  # a worker waits for its sibling's write, however long
POLL_SECONDS = 0.1
CHECKPOINT_SECONDS = 0.5
log = logging.getLogger(__name__)


class RecomputeFailed(RuntimeError):
    """A worker failed or was killed; the message says so in words (the details are logged).
    The measures written before it stay written, each whole; the others were not.
    ``unusable``: it was the database or the disk (full, read-only, damaged)."""

    def __init__(self, message: str, unusable: bool = False):
        super().__init__(message)
        self.unusable = unusable


def worker_count(engine, measure_ids: list[str], patient_ids, wanted: int | None) -> int:
    """How many processes a recompute uses: one when it is some patients' (after an import),
    one measure, or a database only this process can see (in memory)."""
    if patient_ids is not None or len(measure_ids) < 2 or not _database_file(engine):
        return 1
    if wanted is None:
        env = os.environ.get("CAREPOD_RECOMPUTE_WORKERS", "").strip()
        wanted = int(env) if env.isdigit() else (os.cpu_count() or 1)
    return max(1, min(wanted, MAX_WORKERS, len(measure_ids)))


def _worker_pragmas(dbapi, _record) -> None:
    # its snapshots wait for the sibling's write, however long, like its gaps; the parent
    # copies the log into the database (_Checkpointer)
    dbapi.execute(f"PRAGMA busy_timeout = {WRITE_LOCK_WAIT_MS}")
    dbapi.execute("PRAGMA wal_autocheckpoint = 0")


def _database_file(engine) -> str | None:
    url = engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return url.database


def hand_out_order(measure_ids: list[str]) -> list[str]:
    """Longest first (ties keep the caller's order): the catalogue's relative cost of each
    measure (evaluate + write, measured with bench/bench_measures.py), so no worker is left
    with a long one at the end."""
    costs = catalogue().costs()
    return sorted(measure_ids, key=lambda m: -costs.get(m, DEFAULT_COST))


def _steps(measure_ids: list[str]) -> int:
    return sum(len(needed_criteria(definitions.load(m))) for m in measure_ids)


def recompute_in_processes(engine, period: MeasurementPeriod, measure_ids: list[str], workers: int, *,
                           practice_id: int | None = None,
                           progress: Callable[[int, int, str], None] | None = None,
                           cancel: Callable[[], bool] | None = None,
                           snapshot_month=None) -> dict[str, dict[str, int]]:
    fairy, con = raw_connection(engine)
    try:
        in_write_transaction(con, install_measures, con, measure_ids)
    finally:
        fairy.close()
    queue = hand_out_order(measure_ids)
    total = _steps(measure_ids)
    context = multiprocessing.get_context("spawn")  # safe beside Qt and other threads
    stop = context.Event()
    now = run_time()
    processes, channels = [], {}
    for n in range(workers):
        mine, theirs = context.Pipe()
        process = context.Process(target=_work, name=f"carepod-recompute-{n}", daemon=True,
                                  args=(_database_file(engine), period, practice_id, now, theirs, stop, snapshot_month))
        process.start()
        theirs.close()
        processes.append(process)
        channels[mine] = n
    checkpoints = _Checkpointer(_database_file(engine))
    checkpoints.start()
    done = [0] * workers  # criteria evaluated by each worker
    outcome: dict[int, str] = {}
    summary: dict[str, dict[str, int]] = {}
    failure: str | None = None
    unusable = False
    cancelled = False
    try:
        while channels:
            if cancel is not None and not cancelled and cancel():
                cancelled = True
                stop.set()
            for channel in connection.wait(list(channels), timeout=POLL_SECONDS):
                n = channels[channel]
                try:
                    kind, *rest = channel.recv()
                except (EOFError, OSError):  # the worker is gone (said why first, or was killed mid-message)
                    del channels[channel]
                    if n not in outcome:
                        processes[n].join()
                        outcome[n] = "died"
                        failure = failure or _died(processes[n].exitcode)
                        stop.set()
                    continue
                if kind == "next":
                    mid = queue.pop(0) if queue and not stop.is_set() else None
                    channel.send((mid, list(queue)))
                elif kind == "progress":
                    done[n], label = rest
                    if progress is not None:
                        progress(sum(done), total, label)
                elif kind == "measure":
                    summary[rest[0]] = rest[1]
                elif kind in ("finished", "cancelled"):
                    outcome[n] = kind
                    if kind == "cancelled":
                        cancelled = True
                        stop.set()
                elif kind == "error":
                    outcome[n] = kind
                    summary_text, detail, about_the_database = rest
                    log.error("recompute worker %d failed: %s", n, detail)
                    if failure is None:
                        failure, unusable = summary_text, about_the_database
                    stop.set()
    finally:
        stop.set()
        for process in processes:
            process.join(timeout=60)
            if process.is_alive():  # stuck: its open transaction is rolled back by SQLite
                process.terminate()
                process.join()
        for channel in channels:
            channel.close()
        checkpoints.finish()
    if failure is not None:
        raise RecomputeFailed(f"The recompute stopped: {failure}. The measures written before stay written, "
                              "each whole; run the recompute again for the others.", unusable)
    if cancelled:
        raise Cancelled()
    return {mid: summary[mid] for mid in measure_ids if mid in summary}


def _died(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        import signal as signals

        try:
            name = signals.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        how = "killed (out of memory?)" if name == "SIGKILL" else f"stopped by {name}"
        return f"a recompute worker process was {how}"
    return f"a recompute worker process ended unexpectedly (exit code {exitcode})"


class _Checkpointer(threading.Thread):
    """Copies what the workers commit from the write-ahead log into the database file while
    they go on. SQLite would otherwise have the worker that commits do it, holding up its
    next measure (at 1M patients a measure's write is gigabytes). The workers' own automatic
    checkpoints are off; a passive checkpoint never waits for, nor blocks, a reader or writer."""

    def __init__(self, database: str):
        super().__init__(name="carepod-recompute-checkpoint", daemon=True)
        self.database = database
        self.stop = threading.Event()

    def run(self) -> None:
        con = sqlite3.connect(self.database, isolation_level=None, check_same_thread=False)
        try:
            while not self.stop.wait(CHECKPOINT_SECONDS):
                self.checkpoint(con)
            self.checkpoint(con)  # what the last write left
        finally:
            con.close()

    @staticmethod
    def checkpoint(con) -> None:
        try:
            con.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.OperationalError:  # busy: the next round copies it
            pass

    def finish(self) -> None:
        self.stop.set()
        self.join()


# glibc's mallopt parameters
M_TRIM_THRESHOLD, M_MMAP_MAX = -1, -4


def _keep_freed_memory() -> None:
    """Let this worker reuse the memory it frees instead of handing it back to the system.

    A worker builds and drops sets, dicts and lists of millions of entries, measure after
    measure. By default glibc maps large allocations afresh and unmaps them when freed, and
    gives the top of its heap back when enough of it is free; the kernel must then fault in
    and zero every page again for the next one. Without that, a new period's recompute at 1M
    patients took 112–114 CPU seconds instead of 125–129 (a quarter fewer page faults, 3.3 GB
    peak per worker either way). The worker exits at the end of the run, and its memory with it."""
    if not sys.platform.startswith("linux"):  # glibc's parameters; Windows cannot even load "no library"
        return
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # a C library without mallopt: nothing to tune
        return
    mallopt(M_MMAP_MAX, 0)
    mallopt(M_TRIM_THRESHOLD, 2 ** 31 - 1)


def _work(database: str, period: MeasurementPeriod, practice_id, now: str, channel, stop, snapshot_month) -> None:
    """One worker process: asks for a measure, evaluates and writes it (and its pod-peer
    snapshot), asks for the next."""
    try:
        _keep_freed_memory()
        from sqlalchemy import event

        from storage.db import open_database

        still_to_come: list[str] = []

        def measures() -> Iterator[str]:
            while True:
                channel.send(("next",))
                mid, rest = channel.recv()
                if mid is None:
                    return
                still_to_come[:] = rest
                yield mid

        def report(done: int, total: int, label: str) -> None:  # done: this worker's criteria so far
            channel.send(("progress", done, label))

        engine = open_database(database, upgrade=False)
        event.listen(engine, "connect", _worker_pragmas)
        try:
            try:
                written = recompute_here(engine, period, measures(), practice_id=practice_id, progress=report,
                                         cancel=stop.is_set, write_lock_wait_ms=WRITE_LOCK_WAIT_MS, now=now,
                                         still_to_come=lambda: still_to_come, snapshot_month=snapshot_month)
            except Cancelled:
                channel.send(("cancelled",))
                return
            for mid, counts in written.items():
                channel.send(("measure", mid, counts))
            channel.send(("finished",))
        finally:
            engine.dispose()
    except BaseException as exc:  # reported to the parent, which raises it there (the details logged)
        from storage.failures import reason_of

        reason = reason_of(exc)
        channel.send(("error", f"the database could not be written: {reason}" if reason else
                      f"a worker failed ({type(exc).__name__}: {(str(exc).splitlines() or [''])[0][:200]})",
                      traceback.format_exc(), reason is not None))
    finally:
        channel.close()
