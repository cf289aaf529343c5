"""A recompute in this process: each measure evaluated (set-based, outside any write
transaction), its writes planned, then written in short steps (storage.measures.gap_steps) and
dropped, so memory holds one measure at a time. A worker process of a parallel run
(:mod:`storage.measures.parallel`) runs this too, over the measures it is handed. Tunes its
raw sqlite3 connection with SQLite pragmas (memory map, busy timeout) for speed."""
from __future__ import annotations

import contextlib
import datetime as dt
import gc
from typing import Callable, Iterable

from domain.clock import utcnow
from domain.measures.period import MeasurementPeriod
from storage.db import BUSY_TIMEOUT_MS, bulk_page_cache, database_file
from storage.measures.engine import evaluate_each, raw_connection
from storage.measures.gap_plan import Plan
from storage.measures.gap_writer import plan_writes, write_plan
from storage.measures.measure_table import install_measures
from storage.measures.peer_rates import PracticeOf
from storage.measures.write_lock import in_write_transaction

MMAP_BYTES = 2 ** 28


def recompute_here(engine, period: MeasurementPeriod, measure_ids: Iterable[str], *,
                   patient_ids: set[int] | None = None, practice_id: int | None = None,
                   progress: Callable[[int, int, str], None] | None = None,
                   cancel: Callable[[], bool] | None = None,
                   write_lock_wait_ms: int | None = None, now: str | None = None,
                   still_to_come: Callable[[], Iterable[str]] | None = None,
                   snapshot_month: dt.date | None = None) -> dict[str, dict[str, int]]:
    """Evaluate and write the measures in this process (see
    :func:`storage.measures.recompute.recompute`); ``now`` is the run's time written as the
    gaps' ``computed_at``. A worker process passes its measures one
    by one with ``still_to_come`` (see :func:`storage.measures.engine.evaluate_each`); the
    ``measure`` rows are then already installed. With ``snapshot_month`` each measure's
    pod-peer rates are kept for that month once it is written."""
    scoped = patient_ids is not None or practice_id is not None
    database = database_file(engine)
    fairy, con = raw_connection(engine)
    con.row_factory = None
    # a measure's steps need not each reach the disk: its last step, which marks it written, does (gap_steps)
    con.execute("PRAGMA synchronous = NORMAL")
    if write_lock_wait_ms is not None:  # a worker waits for its sibling's write, however long
        con.execute(f"PRAGMA busy_timeout = {int(write_lock_wait_ms)}")
    # Reading the facts through a memory map saves a system call per page; the mapped pages
    # count in the worker's memory, so the map is capped (256 MB: 5 % more CPU than 2 GB at
    # 100k patients, 0.5 GB less memory) and dropped afterwards so an open app does not keep it.
    con.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
    # a page cache of the recompute's own size, whatever the engine's connections keep (the
    # window's 16 MB: a period's gap rows written with a small cache took a quarter more CPU)
    restore = contextlib.ExitStack()  # closed in the finally below, before the connection goes back
    restore.enter_context(bulk_page_cache(con))
    # The run's temp tables (per-measure rows, half a gigabyte at 1M patients) stay in memory,
    # as every connection's do: in temp files they cost 8 % more CPU at 1M, in system calls.
    # Millions of evidence objects and rows are made and dropped, none in a reference cycle:
    # the cyclic collector would walk them again and again (11 % of the CPU at 100k patients).
    collecting = gc.isenabled()
    gc.disable()
    try:
        now = now or run_time()
        summary: dict[str, dict[str, int]] = {}
        # Each measure is evaluated outside any write transaction (reads never block the
        # staff's own saves), then written in one short transaction of its own and dropped,
        # so memory holds one measure (two in a worker, below) at a time. A cancel stops
        # before the next measure: measures already written stay written, the one being
        # evaluated (and one waiting to be written) is not written.
        if still_to_come is None:
            measure_ids = list(measure_ids)
            in_write_transaction(con, install_measures, con, measure_ids)
        # A worker whose sibling is writing (SQLite has one writer) does not wait idle: it goes
        # on with its next measure and writes the waiting one as soon as the sibling is done
        # (at 1M patients a sibling's write lasts up to 25 s).
        overlap = write_lock_wait_ms is not None
        waiting: list[Plan] = []  # at most one
        practices = PracticeOf() if snapshot_month is not None else None  # for the snapshots

        def written(plan: Plan) -> None:  # its snapshot was kept in its last step (gap_steps)
            summary[plan.result.measure_id] = plan.counts

        def write(plan: Plan, wait: bool) -> None:
            done = write_plan(con, plan, wait, database=database, snapshot_month=snapshot_month)
            if done is None:
                waiting.append(plan)
            else:
                written(done)

        def write_waiting_if_free() -> bool:
            """Between two criteria of the next measure: the waiting measure is written as
            soon as the sibling's write ends. Then the caller's cancel is asked."""
            if waiting:
                write(waiting.pop(), wait=False)
            return cancel is not None and cancel()

        # what to write is worked out before the write lock is taken: the lock (one writer at
        # a time) is held only while rows are written
        for result in evaluate_each(con, measure_ids, period, practice_id=practice_id, patient_ids=patient_ids,
                                    progress=progress, cancel=write_waiting_if_free if overlap else cancel,
                                    still_to_come=still_to_come):
            if waiting:  # the sibling may be done by now: write before working out the next plan
                write(waiting.pop(), wait=False)
            plan = plan_writes(con, result, period, now, scoped, practices)
            del result  # the plan keeps it, to work the plan out again if need be
            if waiting:
                write(waiting.pop(), wait=True)
            write(plan, wait=not overlap)
            del plan  # before the next measure is evaluated
        if waiting:
            write(waiting.pop(), wait=True)
    finally:
        if collecting:
            gc.enable()
        restore.close()
        con.execute("PRAGMA mmap_size = 0")
        con.execute("PRAGMA synchronous = FULL")  # back to the pool as it came
        if write_lock_wait_ms is not None:
            con.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        fairy.close()
        if write_lock_wait_ms is None:  # a worker's log is copied by its parent (parallel._Checkpointer)
            from storage.checkpoints import after_write

            after_write(database)
    return summary


def run_time() -> str:
    """A recompute's time as stored in ``computed_at`` and gap history."""
    return utcnow().strftime("%Y-%m-%d %H:%M:%S.%f")
