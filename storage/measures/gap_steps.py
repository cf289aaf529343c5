"""Writing one measure's gaps in short steps, so that a staff member's save never waits
behind a measure of a million patients (SQLite has one writer; a measure's first write at
1M patients held the lock for up to 25 s).

A plan (:class:`storage.measures.recompute.Plan`) is written in steps of about
:data:`STEP_SECONDS` each (sized from the step before, at most :data:`STEP_ROWS` gaps), each
its own transaction, the staff's saves let in between
(:func:`storage.write_priority.before_bulk_step`). Each step keeps every gap whole (its row,
its evidence, its history). The last step also bumps the measure's write version and keeps
this month's pod-peer snapshot, in the same transaction: a measure's gaps and its snapshot
become visible together (a kill between them left the snapshot missing).

A measure and period with no gaps yet (a new period: the big case, every gap new) stays out
of sight until its last step: ``gap_staging`` names it meanwhile, and the reads that find
periods and a patient's latest period leave it out (:data:`UNPUBLISHED`). A run killed midway
leaves it named there, its rows unseen, and the next recompute completes it. A measure
whose period was published already and that changes in more than one step (a large import
since) shows each gap's new state as its step commits.

Each step bumps ``gap_write.version``: another writer's plan made before it is worked out
again, and this one's own, should another writer have written the measure between two of its
steps.

Like :mod:`storage.measures.gap_writer`, one of the modules that use SQLite-specific SQL for
speed, on the recompute's raw sqlite3 connection.
"""
from __future__ import annotations

import bisect
import datetime as dt
import time
from typing import Callable

import sqlalchemy as sa

from storage import schema as t
from storage.failures import rollback_quietly
from storage.write_priority import before_bulk_step

STEP_ROWS = 50_000  # at most, gaps written per step
STEP_SECONDS = 0.1  # what a step aims to last: it is sized from how long the one before took
FIRST_STEP_ROWS = 2_000

# the measure-periods whose first write is under way: unseen until published
UNPUBLISHED = sa.exists().where(t.gap_staging.c.measure_id == t.gap.c.measure_id,
                                t.gap_staging.c.period_start == t.gap.c.period_start,
                                t.gap_staging.c.period_end == t.gap.c.period_end)


def unpublished_periods(conn) -> set[tuple[str, dt.date, dt.date]]:
    """(measure, period start, period end) of the measures whose first write is under way."""
    s = t.gap_staging
    return {tuple(row) for row in conn.execute(sa.select(s.c.measure_id, s.c.period_start, s.c.period_end))}


class _Steps:
    """What is left to write of a plan, a step at a time (new gaps first, in patient order,
    then changes to stored gaps in gap order)."""

    def __init__(self, plan, rows: int):
        self.plan = plan
        self.rows = rows  # gaps the next step writes
        self.new = 0  # new gaps written so far
        self.touched = sorted({row[-1] for row in plan.updates} | {row[0] for row in plan.history}
                              | {row[0] for row in plan.rekeyed})
        self.changed = 0  # stored gaps changed so far (in gap id order)
        self.counted = False  # the worklist's counts are in step with the gaps as this step begins

    def left(self) -> int:
        return len(self.plan.new_gaps) - self.new + len(self.touched) - self.changed

    def took(self, seconds: float) -> None:
        """Size the next step so that it lasts about STEP_SECONDS (this machine, this pod)."""
        wanted = int(self.rows * STEP_SECONDS / max(seconds, 1e-3))
        self.rows = max(min(100, STEP_ROWS), min(STEP_ROWS, wanted, self.rows * 4))

    def write_next(self, con, mid: str, ps: str, pe: str) -> None:
        """Write the next step; when the Gaps worklist's counts are in step with the measure's
        gaps (``self.counted``), what is written is added to them (storage.measures.gap_counts)."""
        from storage.measures import gap_counts
        from storage.measures.gap_writer import _UPDATE, _insert_sql, insert_new_gaps

        plan = self.plan
        if self.new < len(plan.new_gaps):
            start, end = self.new, min(self.new + self.rows, len(plan.new_gaps))
            first_id = insert_new_gaps(con, plan, _insert_sql(mid, ps, pe, plan.now), start, end)
            evidence = plan.new_evidence
            con.executemany("INSERT INTO gap_evidence (gap_id, items) VALUES (?, ?)",
                            [(first_id + n, evidence[start + n].items) for n in range(end - start)
                             if evidence[start + n].items])
            if self.counted:
                gap_counts.add_new(con, first_id, first_id + end - start - 1)
            self.new = end
            return
        ids = self.touched[self.changed:self.changed + self.rows]
        self.changed += len(ids)
        low, high = ids[0], ids[-1]

        def within(rows, key):
            keys = [key(row) for row in rows]
            return rows[bisect.bisect_left(keys, low):bisect.bisect_right(keys, high)]

        updates = within(plan.updates, lambda row: row[-1])
        history = within(plan.history, lambda row: row[0])
        rekeyed = within(plan.rekeyed, lambda row: row[0])
        con.executemany(_UPDATE, updates)
        con.executemany("INSERT INTO gap_history (gap_id, from_state, to_state, at) VALUES (?, ?, ?, ?)", history)
        if self.counted:
            gap_counts.move_states(con, history)
        con.executemany("DELETE FROM gap_evidence WHERE gap_id = ?", [(gid,) for gid, _key, _items in rekeyed])
        con.executemany("UPDATE gap SET evidence_key = ? WHERE id = ?", [(key, gid) for gid, key, _items in rekeyed])
        con.executemany("INSERT INTO gap_evidence (gap_id, items) VALUES (?, ?)",
                        [(gid, items) for gid, _key, items in rekeyed if items])


def write_in_steps(con, plan, *, wait: bool, database: str | None, snapshot_month: dt.date | None,
                   begin_now: Callable[[object], bool]):
    """Write the plan (see the module docstring) and return it as written (worked out again if
    another writer wrote the measure meanwhile); None at once, unless ``wait``, when another
    connection is writing as it would begin (``begin_now``). The caller's connection is outside
    a transaction and has foreign-key checks off (storage.measures.gap_writer.write_plan)."""
    from storage.measures import gap_counts
    from storage.measures.gap_writer import _plan
    from storage.measures.stored_gaps import write_version as _version

    mid, ps, pe = plan.result.measure_id, plan.period.start.isoformat(), plan.period.end.isoformat()
    steps, begun = _Steps(plan, min(FIRST_STEP_ROWS, STEP_ROWS)), False
    while True:
        before_bulk_step(database)  # a staff member's save waiting now goes first
        last = steps.left() <= steps.rows
        # the measure's last step marks it written: that commit, and the ones before it, reach the disk
        con.execute(f"PRAGMA synchronous = {'FULL' if last else 'NORMAL'}")
        if not begun and not wait:
            if not begin_now(con):
                return None
        else:
            con.execute("BEGIN IMMEDIATE")
        try:
            started = time.perf_counter()
            if _version(con, mid, ps, pe) != steps.plan.version:  # another writer wrote it meanwhile
                steps = _Steps(_plan(con, steps.plan.result, steps.plan.period, steps.plan.now,
                                     steps.plan.scoped, steps.plan.practices), steps.rows)
            if not begun and steps.left() > steps.rows and not con.execute(
                    "SELECT 1 FROM gap WHERE measure_id = ? AND period_start = ? AND period_end = ? LIMIT 1",
                    (mid, ps, pe)).fetchone():
                # a new period, to be written in several steps: out of sight until its last
                con.execute("INSERT INTO gap_staging (measure_id, period_start, period_end, started_at) "
                            "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING", (mid, ps, pe, steps.plan.now))
            begun = True
            steps.counted = gap_counts.in_step(con, mid, ps, pe)  # before this step's version
            if steps.left():
                steps.write_next(con, mid, ps, pe)
            con.execute("INSERT INTO gap_write (measure_id, period_start, period_end, version) VALUES (?, ?, ?, 1) "
                        "ON CONFLICT DO UPDATE SET version = version + 1", (mid, ps, pe))
            done = not steps.left()
            gap_counts.after_step(con, mid, ps, pe, counted=steps.counted, done=done)
            if done:
                con.execute("DELETE FROM gap_staging WHERE measure_id = ? AND period_start = ? AND period_end = ?",
                            (mid, ps, pe))
                if snapshot_month is not None:
                    _keep_snapshot(con, steps.plan, snapshot_month)
            steps.plan.version = _version(con, mid, ps, pe)
            con.execute("COMMIT")
            steps.took(time.perf_counter() - started)
        except BaseException:
            rollback_quietly(con)
            raise
        if done:
            con.execute("PRAGMA synchronous = NORMAL")
            return steps.plan


def _keep_snapshot(con, plan, month: dt.date) -> None:
    """This month's pod-peer rates of the measure, from the sums its plan worked out, in the
    transaction that completes its gaps."""
    from domain.clock import utcnow
    from storage.measures.peer_rates import snapshot_rows
    from storage.queries.pod_settings import MINIMUM_DENOMINATOR, minimum_from
    from storage.schema import sql_date, sql_datetime

    mid = plan.result.measure_id
    holding = {pid for (pid,) in con.execute("SELECT id FROM practice WHERE holding")}  # never a peer
    setting = con.execute("SELECT value FROM pod_setting WHERE key = ?", (MINIMUM_DENOMINATOR,)).fetchone()
    rows = snapshot_rows(mid, plan.period.start, plan.period.end, month,
                         (plan.sums, bool(plan.result.definition.get("inverse"))), utcnow(),
                         holding, minimum_from(setting and setting[0]))
    con.execute("DELETE FROM quality_snapshot WHERE measure_id = ? AND period_end = ? AND month = ?",
                (mid, sql_date(plan.period.end), sql_date(month.replace(day=1))))
    columns = ("practice_id", "measure_id", "period_start", "period_end", "group_index", "month", "numerator",
               "denominator", "rate", "rank", "practices_ranked", "pod_median", "pod_best", "taken_at")
    con.executemany(f"INSERT INTO quality_snapshot ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                    [tuple(sql_datetime(v) if isinstance(v, dt.datetime) else sql_date(v) if isinstance(v, dt.date)
                           else v for v in (row[c] for c in columns)) for row in rows])
