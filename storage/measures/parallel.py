"""A recompute of the whole pod (or one practice) on every core: the measures are shared out
between worker processes, each evaluating its measures and writing each in its own short
transaction (SQLite has one writer at a time: a worker waits for the other's write). The
caller's progress and cancel work as in one process; measures already written stay written
when the run is cancelled or a worker fails."""
from __future__ import annotations

import multiprocessing
import os
from multiprocessing import connection
import traceback
from typing import Callable

from domain.measures import definition as definitions
from domain.measures.period import MeasurementPeriod

MAX_WORKERS = 4
WRITE_LOCK_WAIT_MS = 30 * 60 * 1000  # a worker waits for its sibling's write, however long
# Relative cost of each measure on the demo pod (evaluate + write, measured with
# bench/bench_measures.py), to share the work out evenly; a measure not listed counts 2.
COST = {"CMS2": 6, "CMS138": 6, "CMS165": 4, "CMS130": 2, "CMS117": 2, "CMS122": 2, "CMS124": 2,
        "CMS125": 1.5}
POLL_SECONDS = 0.1


def worker_count(engine, measure_ids: list[str], patient_ids, wanted: int | None) -> int:
    """How many processes a recompute uses: one when it is some patients' (after an import),
    one measure, or a database only this process can see (in memory)."""
    if patient_ids is not None or len(measure_ids) < 2 or not _database_file(engine):
        return 1
    if wanted is None:
        env = os.environ.get("CAREPOD_RECOMPUTE_WORKERS", "").strip()
        wanted = int(env) if env.isdigit() else (os.cpu_count() or 1)
    return max(1, min(wanted, MAX_WORKERS, len(measure_ids)))


def _database_file(engine) -> str | None:
    url = engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return url.database


def share_out(measure_ids: list[str], workers: int) -> list[list[str]]:
    """Longest first, each to the least loaded worker (ties: the first); each worker's list
    keeps the caller's order, so measures sharing criteria (hospice, frailty) still share them."""
    loads = [0.0] * workers
    lists: list[list[str]] = [[] for _ in range(workers)]
    for mid in sorted(measure_ids, key=lambda m: -COST.get(m, 2)):
        worker = loads.index(min(loads))
        loads[worker] += COST.get(mid, 2)
        lists[worker].append(mid)
    order = {mid: i for i, mid in enumerate(measure_ids)}
    return [sorted(group, key=order.__getitem__) for group in lists if group]


def _steps(measure_ids: list[str]) -> int:
    from storage.measures.engine import _needed

    return sum(len(_needed(definitions.load(m))) for m in measure_ids)


def recompute_in_processes(engine, period: MeasurementPeriod, measure_ids: list[str], workers: int, *,
                           practice_id: int | None = None,
                           progress: Callable[[int, int, str], None] | None = None,
                           cancel: Callable[[], bool] | None = None) -> dict[str, dict[str, int]]:
    from storage.measures.engine import Cancelled
    from storage.measures.recompute import run_time

    groups = share_out(measure_ids, workers)
    steps = [_steps(g) for g in groups]
    context = multiprocessing.get_context("spawn")  # safe beside Qt and other threads
    stop = context.Event()
    now = run_time()
    processes, channels = [], {}
    for n, group in enumerate(groups):
        # one pipe per worker: a worker that dies cannot block the others' reports
        receiver, sender = context.Pipe(duplex=False)
        process = context.Process(target=_work, name=f"carepod-recompute-{n}", daemon=True,
                                  args=(n, _database_file(engine), period, group, practice_id, now, sender, stop))
        process.start()
        sender.close()
        processes.append(process)
        channels[receiver] = n
    done = [0] * len(groups)
    outcome: dict[int, str] = {}
    summary: dict[str, dict[str, int]] = {}
    failure: str | None = None
    try:
        while channels:
            if cancel is not None and cancel():
                stop.set()
            for channel in connection.wait(list(channels), timeout=POLL_SECONDS):
                n = channels[channel]
                try:
                    kind, *rest = channel.recv()
                except EOFError:  # the worker is gone: it said why first, or it was killed
                    del channels[channel]
                    if n not in outcome:
                        processes[n].join()
                        outcome[n] = "died"
                        failure = failure or f"a recompute worker stopped unexpectedly (exit code {processes[n].exitcode})"
                        stop.set()
                    continue
                if kind == "progress":
                    done[n] = rest[0]
                    if progress is not None:
                        progress(sum(done), sum(steps), rest[1])
                elif kind == "measure":
                    summary[rest[0]] = rest[1]
                elif kind in ("finished", "cancelled"):
                    outcome[n] = kind
                    if kind == "cancelled":
                        stop.set()
                elif kind == "error":
                    outcome[n] = kind
                    failure = failure or rest[0]
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
    if failure is not None:
        raise RuntimeError(f"Recompute failed: {failure}")
    if "cancelled" in outcome.values():
        raise Cancelled()
    return {mid: summary[mid] for mid in measure_ids if mid in summary}


def _work(n: int, database: str, period: MeasurementPeriod, measure_ids: list[str], practice_id, now: str,
          channel, stop) -> None:
    """One worker process: its measures, evaluated and written one by one, each reported."""
    try:
        from storage.db import open_database
        from storage.measures.engine import Cancelled
        from storage.measures.recompute import recompute_here

        engine = open_database(database, upgrade=False)
        try:
            try:
                written = recompute_here(engine, period, measure_ids, practice_id=practice_id,
                                         progress=lambda done, total, label: channel.send(("progress", done, label)),
                                         cancel=stop.is_set, write_lock_wait_ms=WRITE_LOCK_WAIT_MS, now=now)
            except Cancelled:
                channel.send(("cancelled",))
                return
            for mid, counts in written.items():
                channel.send(("measure", mid, counts))
            channel.send(("finished",))
        finally:
            engine.dispose()
    except BaseException as exc:  # reported to the parent, which raises it there
        channel.send(("error", f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"))
    finally:
        channel.close()
