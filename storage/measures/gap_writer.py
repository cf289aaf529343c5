"""Writing one measure's gaps: its plan (:mod:`storage.measures.gap_plan`) worked out from one
consistent read of what is stored, without the write lock, then written in short steps under
it (:mod:`storage.measures.gap_steps`, :mod:`storage.measures.write_lock`) — the plan made
again first if another connection wrote the same measure meanwhile.

This is one of the few modules that use SQLite-specific SQL for speed, on a raw sqlite3
connection: foreign-key checks off while writing, INSERT statements with the constants of a
measure written in, new gap ids assigned by SQLite's rowid (one larger than the largest, in
the order inserted, read back with last_insert_rowid()). At 1M patients a new period writes
millions of gaps and their evidence, a step at a time."""
from __future__ import annotations

from domain.measures.period import MeasurementPeriod
from storage.measures.criteria import quote
from storage.measures.engine import MeasureResult
from storage.measures.gap_plan import Plan, plan_measure
from storage.measures.peer_rates import PracticeOf
from storage.measures.stored_gaps import read_state, write_version
from storage.measures.write_lock import begin_now


def plan_writes(con, result: MeasureResult, period: MeasurementPeriod, now: str, scoped: bool,
                practices: PracticeOf | None = None) -> Plan:
    """A measure's writes, worked out from one consistent read of what is stored, without
    holding the write lock (a sibling worker writes meanwhile)."""
    con.execute("BEGIN")
    try:
        return _plan(con, result, period, now, scoped, practices)
    finally:
        con.execute("COMMIT")


def _plan(con, result: MeasureResult, period: MeasurementPeriod, now: str, scoped: bool,
          practices: PracticeOf | None) -> Plan:
    stored = read_state(con, result, period, scoped)
    return plan_measure(result, stored, period, now, scoped, practices,
                        practices.read(con) if practices is not None else None)


def write_plan(con, plan: Plan, wait: bool = True, *, database: str | None = None,
               snapshot_month=None) -> Plan | None:
    """Write one measure's gaps in short steps, published together with its snapshot
    (:mod:`storage.measures.gap_steps`), and return the plan written (worked out again if
    need be), or, unless ``wait``, None at once when another connection is writing as it
    would begin; without SQLite looking up the parent row of
    every foreign key: at 1M patients those look-ups (each evidence row's fact among millions)
    cost more than the writing itself. Every id written comes from rows read in this run that
    are never deleted — patients and facts are marked entered-in-error instead, the measure row
    is installed first, gap ids are assigned inside the same transaction — and a test checks
    ``PRAGMA foreign_key_check`` after a recompute."""
    from storage.measures.gap_steps import write_in_steps

    con.execute("PRAGMA foreign_keys = OFF")  # only outside a transaction does this take effect
    try:
        return write_in_steps(con, plan, wait=wait, database=database, snapshot_month=snapshot_month,
                              begin_now=begin_now)
    finally:
        con.execute("PRAGMA foreign_keys = ON")


def _insert_sql(mid: str, ps: str, pe: str, now: str) -> str:
    """The INSERT of a measure's new gaps: (patient, group, flags as bits, state, due date,
    evidence key). What all of them share (measure, period, time) is written into the statement
    once rather than bound for each of millions of rows, and the five population flags travel
    as one number: a tenth less time under the write lock at 1M patients."""
    flags = ", ".join(f"(?3 >> {n}) & 1" for n in range(5))
    return ("INSERT INTO gap (patient_id, measure_id, period_start, period_end, group_index, initial_population, "
            "denominator, denominator_exclusion, denominator_exception, numerator, state, due_date, computed_at, "
            f"created_at, evidence_key) VALUES (?1, {quote(mid)}, {quote(ps)}, {quote(pe)}, ?2, {flags}, ?4, ?5, "
            f"{quote(now)}, {quote(now)}, ?6)")


_UPDATE = ("UPDATE gap SET initial_population = ?, denominator = ?, denominator_exclusion = ?, "
           "denominator_exception = ?, numerator = ?, state = ?, due_date = ?, computed_at = ? WHERE id = ?")


def insert_new_gaps(con, plan: Plan, sql: str, start: int = 0, end: int | None = None) -> int:
    """Insert the plan's new gaps ``start:end`` in its order and return the id SQLite gave the
    first; the others have the ids after it (each new rowid is one larger than the largest, and
    nobody else writes meanwhile: checked)."""
    end = len(plan.new_gaps) if end is None else end
    if start >= end:
        return 0
    evidence = plan.new_evidence
    rows = [(pid, gi, bits, state, due, evidence[start + index].key)
            for index, (pid, gi, bits, state, due) in enumerate(plan.new_gaps[start:end])]
    first_id = con.execute(sql, rows[0]).lastrowid
    con.executemany(sql, rows[1:])
    last_id = con.execute("SELECT last_insert_rowid()").fetchone()[0]
    if last_id != first_id + len(rows) - 1:  # only if the largest gap id were 2**63 - 1
        raise RuntimeError(f"{plan.result.measure_id}: SQLite gave the new gaps ids {first_id}..{last_id}, "
                           f"not {len(rows)} in a row")
    return first_id
