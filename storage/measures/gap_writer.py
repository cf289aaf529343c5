"""Writing one measure's gaps: its plan (:mod:`storage.measures.gap_plan`) worked out from one
consistent read of what is stored, without the write lock, then written in one transaction
under it (:mod:`storage.measures.write_lock`) — the plan made again first if another
connection wrote the same measure meanwhile.

This is one of the few modules that use SQLite-specific SQL for speed, on a raw sqlite3
connection: foreign-key checks off while writing, INSERT statements with the constants of a
measure written in, new gap ids assigned by SQLite's rowid (one larger than the largest, in
the order inserted, read back with last_insert_rowid()). At 1M patients a new period writes
millions of gaps and their evidence under the lock."""
from __future__ import annotations

from domain.measures.period import MeasurementPeriod
from storage.measures.criteria import quote
from storage.measures.engine import MeasureResult
from storage.measures.gap_plan import Plan, plan_measure
from storage.measures.peer_rates import PracticeOf
from storage.measures.stored_gaps import read_state, write_version
from storage.measures.write_lock import begin_now, in_write_transaction


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


def write_plan(con, plan: Plan, wait: bool = True) -> Plan | None:
    """Write one measure's gaps in one transaction and return the plan written (worked out
    again if need be: :func:`apply`), or, unless ``wait``, None at once when another
    connection is writing; without SQLite looking up the parent row of
    every foreign key: at 1M patients those look-ups (each evidence row's fact among millions)
    cost more than the writing itself. Every id written comes from rows read in this run that
    are never deleted — patients and facts are marked entered-in-error instead, the measure row
    is installed first, gap ids are assigned inside the same transaction — and a test checks
    ``PRAGMA foreign_key_check`` after a recompute."""
    con.execute("PRAGMA foreign_keys = OFF")  # only outside a transaction does this take effect
    try:
        if not wait and not begin_now(con):
            return None
        return in_write_transaction(con, apply, con, plan, begun=not wait)
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


def apply(con, plan: Plan) -> Plan:
    """Write a plan, in the caller's write transaction, and return it. A plan made before
    another connection wrote the same measure's gaps is made again first, in the transaction."""
    mid, ps, pe = plan.result.measure_id, plan.period.start.isoformat(), plan.period.end.isoformat()
    if write_version(con, mid, ps, pe) != plan.version:
        plan = _plan(con, plan.result, plan.period, plan.now, plan.scoped, plan.practices)
    first_id = _insert_new_gaps(con, plan, _insert_sql(mid, ps, pe, plan.now))
    con.executemany(_UPDATE, plan.updates)
    con.executemany("INSERT INTO gap_history (gap_id, from_state, to_state, at) VALUES (?, ?, ?, ?)", plan.history)
    con.executemany("DELETE FROM gap_evidence WHERE gap_id = ?", [(r.gap_id,) for r in plan.rekeyed])
    con.executemany("UPDATE gap SET evidence_key = ? WHERE id = ?", [(r.key, r.gap_id) for r in plan.rekeyed])
    con.executemany("INSERT INTO gap_evidence (gap_id, items) VALUES (?, ?)",
                    [(r.gap_id, r.items) for r in plan.rekeyed if r.items])
    con.executemany("INSERT INTO gap_evidence (gap_id, items) VALUES (?, ?)",
                    [(first_id + index, evidence.items) for index, evidence in enumerate(plan.new_evidence)
                     if evidence.items])
    con.execute("INSERT INTO gap_write (measure_id, period_start, period_end, version) VALUES (?, ?, ?, 1) "
                "ON CONFLICT DO UPDATE SET version = version + 1", (mid, ps, pe))
    return plan


def _insert_new_gaps(con, plan: Plan, sql: str) -> int:
    """Insert the plan's new gaps in its order and return the id SQLite gave the first; the
    others have the ids after it (each new rowid is one larger than the largest, and nobody
    else writes meanwhile: checked)."""
    if not plan.new_gaps:
        return 0
    evidence = plan.new_evidence
    rows = [(pid, gi, bits, state, due, evidence[index].key)
            for index, (pid, gi, bits, state, due) in enumerate(plan.new_gaps)]
    first_id = con.execute(sql, rows[0]).lastrowid
    con.executemany(sql, rows[1:])
    last_id = con.execute("SELECT last_insert_rowid()").fetchone()[0]
    if last_id != first_id + len(rows) - 1:  # only if the largest gap id were 2**63 - 1
        raise RuntimeError(f"{plan.result.measure_id}: SQLite gave the new gaps ids {first_id}..{last_id}, "
                           f"not {len(rows)} in a row")
    return first_id
