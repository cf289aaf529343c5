"""The audit trail as a hash chain: events can only be appended, and any change is found.

Each ``audit_event`` row carries ``chain_hash`` = SHA-256 of the previous event's hash and
the event's own content (when, who, what, which record, which patient, detail). Changing an
event, removing one or slipping one in between breaks the link of the event after it;
``audit_chain`` (one row) keeps the number of events and the newest hash, so removing the
newest ones is found too. :func:`verify` walks the chain and names the first broken event.

The database refuses updates, deletes and an insert over an existing event (``REPLACE``)
with triggers; someone who drops them can change the rows, but not unnoticed. Someone who
also recomputes every later hash leaves a different newest hash: compare it with the one
``audit --verify`` (or a backup) printed before.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from typing import Callable, Iterable

import sqlalchemy as sa

from storage import schema as t

TAIL_ON_OPEN = 2000  # events whose links are checked when a database is opened
TRIGGERS = ("audit_event_no_update", "audit_event_no_delete", "audit_event_no_replace",
            "audit_chain_no_insert", "audit_chain_no_rewind", "audit_chain_no_delete")


def canonical_at(value) -> str:
    """The event time as the chain hashes it (as SQLAlchemy stores it in SQLite)."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.isoformat(" ", "microseconds")


def link(previous: str, at, actor: str, action: str, record_type: str, record_id: int | None,
         patient_id: int | None, detail: str) -> str:
    """The hash of an event chained to the previous event's hash ("" before the first)."""
    content = json.dumps([canonical_at(at), actor, action, record_type, record_id, patient_id, detail or ""],
                         ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"{previous}\n{content}".encode("utf-8", "surrogatepass")).hexdigest()


def append(conn, *, at: dt.datetime, actor: str, action: str, record_type: str, record_id: int | None,
           patient_id: int | None, detail: str = "") -> None:
    """Append one event inside the caller's write transaction (a Connection or Session).
    The chain's head is read for update: on a database server two writers take turns."""
    head = conn.execute(sa.select(t.audit_chain.c.events, t.audit_chain.c.last_hash)
                        .where(t.audit_chain.c.id == 1).with_for_update()).one()
    digest = link(head.last_hash, at, actor, action, record_type, record_id, patient_id, detail)
    conn.execute(sa.insert(t.audit_event).values(
        at=at, actor=actor, action=action, record_type=record_type, record_id=record_id,
        patient_id=patient_id, detail=detail or "", chain_hash=digest))
    conn.execute(sa.update(t.audit_chain).where(t.audit_chain.c.id == 1)
                 .values(events=head.events + 1, last_hash=digest))


def append_many(conn, events: list[dict]) -> None:
    """:func:`append` for many events at once (each a dict of its keyword arguments), in order."""
    if not events:
        return
    head = conn.execute(sa.select(t.audit_chain.c.events, t.audit_chain.c.last_hash)
                        .where(t.audit_chain.c.id == 1).with_for_update()).one()
    digest, rows = head.last_hash, []
    for event in events:
        row = {"detail": "", **event}
        digest = link(digest, row["at"], row["actor"], row["action"], row["record_type"], row["record_id"],
                      row["patient_id"], row["detail"])
        rows.append({**row, "chain_hash": digest})
    conn.execute(sa.insert(t.audit_event), rows)
    conn.execute(sa.update(t.audit_chain).where(t.audit_chain.c.id == 1)
                 .values(events=head.events + len(rows), last_hash=digest))


def append_sqlite(db, *, at: str, actor: str, action: str, record_type: str, record_id: int | None,
                  patient_id: int | None, detail: str = "") -> None:
    """:func:`append` for the importer's bulk writer, on its sqlite3 connection (speed module)."""
    events, last_hash = db.execute("SELECT events, last_hash FROM audit_chain WHERE id = 1").fetchone()
    digest = link(last_hash, at, actor, action, record_type, record_id, patient_id, detail)
    db.execute("INSERT INTO audit_event (at, actor, action, record_type, record_id, patient_id, detail, chain_hash) "
               "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
               (canonical_at(at), actor, action, record_type, record_id, patient_id, detail or "", digest))
    db.execute("UPDATE audit_chain SET events = ?, last_hash = ? WHERE id = 1", (events + 1, digest))


@dataclasses.dataclass(frozen=True)
class Verdict:
    """What a check of the chain found."""

    events: int                  # events checked
    last_hash: str               # the newest event's hash (compare with an earlier one)
    broken_at: int | None = None  # id of the first event whose link does not hold
    problem: str = ""            # in words, for the user; "" when the chain is whole
    whole_chain: bool = True     # False: only the newest events were checked

    @property
    def ok(self) -> bool:
        return not self.problem


def _describe(row) -> str:
    record = f"{row.record_type} {row.record_id}" if row.record_id is not None else row.record_type
    return f"event {row.id} ({str(row.at)[:16]}, {row.actor}: {row.action} {record})"


def verify(engine_or_conn, *, tail: int | None = None,
           progress: Callable[[int, int], None] | None = None) -> Verdict:
    """Check the chain (its newest ``tail`` events only when given) and the triggers that
    keep it append-only."""
    if isinstance(engine_or_conn, sa.engine.Engine):
        with engine_or_conn.connect() as conn:
            return verify(conn, tail=tail, progress=progress)
    conn = engine_or_conn
    e = t.audit_event
    missing = sorted(set(TRIGGERS) - _triggers(conn))
    head = conn.execute(sa.select(t.audit_chain.c.events, t.audit_chain.c.last_hash)
                        .where(t.audit_chain.c.id == 1)).first()
    total = conn.execute(sa.select(sa.func.count()).select_from(e)).scalar()
    # the time as stored (text in SQLite), so that an unreadable one is a broken link, not an error
    query = sa.select(e.c.id, sa.type_coerce(e.c.at, sa.String).label("at"), e.c.actor, e.c.action, e.c.record_type, e.c.record_id, e.c.patient_id,
                      e.c.detail, e.c.chain_hash).order_by(e.c.id)
    previous, checked, whole = "", 0, True
    if tail is not None and total > tail:
        whole = False
        first = conn.execute(sa.select(e.c.id).order_by(e.c.id.desc()).offset(tail).limit(1)).scalar()
        previous = conn.execute(sa.select(e.c.chain_hash).where(e.c.id == first)).scalar() or ""
        query = query.where(e.c.id > first)
    broken, problem, last = None, "", previous
    for row in _rows(conn, query):
        try:
            expected = link(previous, row.at, row.actor, row.action, row.record_type, row.record_id,
                            row.patient_id, row.detail)
        except (TypeError, ValueError):  # a time that is no time
            expected = None
        checked += 1
        if row.chain_hash != expected:
            broken = row.id
            problem = (f"The audit trail is broken at {_describe(row)}: it was changed, or an event "
                       "just before it was removed or slipped in.")
            break
        previous = last = row.chain_hash
        if progress is not None and checked % 50_000 == 0:
            progress(checked, total)
    if not problem and head is None:
        problem = "The audit trail's chain head (table audit_chain) is missing: it was removed."
    elif not problem and (head.events != total or head.last_hash != last):
        problem = (f"The audit trail ends early: {head.events} events were recorded, {total} are there "
                   f"(the newest were removed, or events were added outside Carepod)."
                   if head.events != total else
                   "The audit trail's newest event is not the one recorded last: it was replaced.")
    if missing:
        problem = (problem + " " if problem else "") + (
            f"The database's protection of the audit trail was removed (trigger {', '.join(missing)}).")
    return Verdict(checked, last, broken, problem, whole)


def _rows(conn, query) -> Iterable:
    result = conn.execution_options(yield_per=10_000).execute(query)
    yield from result


def _triggers(conn) -> set[str]:
    if conn.dialect.name != "sqlite":
        return set(TRIGGERS)  # a server database keeps them in its own catalogue (later)
    return set(conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'").scalars())
