"""The pod's expected days per referral urgency and state, and each open referral's due time.

``referral.due_at`` (when the current state will have lasted as long as the pod expects,
:func:`domain.referral.due_at`) is kept here, never typed: the repository stores it when a
referral is ordered or moves, and :func:`save_expected_days` works it out again for every
open referral when the pod changes its expected days. The board and Today read referrals
overdue-first from its index.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from domain.clock import utcnow
from domain.referral import EXPECTED_DAYS, FINAL, ExpectedDays, checked_expected_days, due_at
from storage import schema as t

r, x = t.referral, t.referral_expected_days
BATCH = 5000
IN_LIMIT = 500


def expected_days(conn: Connection) -> ExpectedDays:
    """The pod's expected days: its own where set, :data:`EXPECTED_DAYS` elsewhere."""
    table = {urgency: dict(states) for urgency, states in EXPECTED_DAYS.items()}
    for urgency, state, days in conn.execute(sa.select(x.c.urgency, x.c.state, x.c.days)):
        table.setdefault(urgency, {})[state] = days
    return table


@dataclasses.dataclass(frozen=True)
class ExpectedDaysChange:
    urgency: str
    state: str
    old: int | None
    new: int


def store_due_at(conn: Connection, referral_ids: Iterable[int], expected: ExpectedDays | None = None) -> None:
    """Work out the due time of these referrals from their state, urgency and state_since, and
    keep their patient's practice beside it."""
    ids = list(referral_ids)
    if not ids:
        return
    expected = expected if expected is not None else expected_days(conn)
    for start in range(0, len(ids), IN_LIMIT):
        rows = conn.execute(sa.select(r.c.id, r.c.state, r.c.urgency, r.c.state_since, r.c.entered_in_error,
                                      t.patient.c.practice_id)
                            .select_from(r.join(t.patient, t.patient.c.id == r.c.patient_id))
                            .where(r.c.id.in_(ids[start:start + IN_LIMIT]))).all()
        _write(conn, [(row.id, None if row.entered_in_error else due_at(row.state, row.urgency, row.state_since,
                                                                           expected), row.practice_id)
                      for row in rows])


def _write(conn: Connection, dues: list[tuple]) -> None:
    """(referral id, due time, practice id) of each; a practice id of None leaves it as it is."""
    if not dues:
        return
    with_practice = [{"rid": rid, "due": due, "practice": practice} for rid, due, practice in dues
                     if practice is not None]
    due_only = [{"rid": rid, "due": due} for rid, due, practice in dues if practice is None]
    if with_practice:
        conn.execute(sa.update(r).where(r.c.id == sa.bindparam("rid"))
                     .values(due_at=sa.bindparam("due"), practice_id=sa.bindparam("practice")), with_practice)
    if due_only:
        conn.execute(sa.update(r).where(r.c.id == sa.bindparam("rid")).values(due_at=sa.bindparam("due")), due_only)


def save_expected_days(conn: Connection, table: dict, *, actor: str, at: dt.datetime | None = None
                       ) -> list[ExpectedDaysChange]:
    """Keep the pod's expected days (checked by the domain), every change with who and when
    as a revision, and work out the due time of every open referral again. Returns what
    changed (nothing when the table is the same)."""
    at = at or utcnow()
    new = checked_expected_days(table)
    old = expected_days(conn)
    changes = [ExpectedDaysChange(urgency, state, old.get(urgency, {}).get(state), days)
               for urgency, states in new.items() for state, days in states.items()
               if old.get(urgency, {}).get(state) != days]
    if not changes:
        return []
    for change in changes:
        conn.execute(sa.delete(x).where(x.c.urgency == change.urgency, x.c.state == change.state))
        conn.execute(sa.insert(x).values(urgency=change.urgency, state=change.state, days=change.new,
                                         changed_at=at, changed_by=actor))
    conn.execute(sa.insert(t.record_revision).values(
        record_type="ReferralExpectedDays", record_id=0, changed_at=at, changed_by=actor,
        reason="expected days of referral states",
        old_values={f"{c.urgency}.{c.state}": c.old for c in changes},
        new_values={f"{c.urgency}.{c.state}": c.new for c in changes}))
    touched = {(c.urgency, c.state) for c in changes}
    query = (sa.select(r.c.id, r.c.state, r.c.urgency, r.c.state_since)
             .where(r.c.state.not_in(sorted(FINAL)), r.c.entered_in_error.is_(False)))
    rows = [row for row in conn.execute(query) if (row.urgency, row.state) in touched]
    for start in range(0, len(rows), BATCH):
        _write(conn, [(row.id, due_at(row.state, row.urgency, row.state_since, new), None)
                      for row in rows[start:start + BATCH]])
    return changes


def fill_missing(db) -> None:
    """Referrals written by the bulk importer (a DB-API connection, inside its transaction):
    their patient's practice, and the due time of the open ones that have none."""
    db.execute("UPDATE referral SET practice_id = (SELECT practice_id FROM patient WHERE patient.id = "
               "referral.patient_id) WHERE practice_id IS NULL")
    final = sorted(FINAL)
    rows = db.execute(f"SELECT id, state, urgency, state_since FROM referral WHERE due_at IS NULL AND "
                      f"entered_in_error = 0 AND state NOT IN ({', '.join('?' * len(final))})", final).fetchall()
    if not rows:
        return
    expected = {urgency: dict(states) for urgency, states in EXPECTED_DAYS.items()}
    for urgency, state, days in db.execute("SELECT urgency, state, days FROM referral_expected_days"):
        expected.setdefault(urgency, {})[state] = days
    updates = []
    for rid, state, urgency, since in rows:
        due = due_at(state, urgency, dt.datetime.fromisoformat(since), expected)
        updates.append((None if due is None else due.isoformat(" ", "microseconds"), rid))
    db.executemany("UPDATE referral SET due_at = ? WHERE id = ?", updates)
