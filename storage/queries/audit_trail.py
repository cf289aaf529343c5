"""The pod's audit trail as an administrator reads it: every event, newest first, a page at a
time, narrowed by who, what and when (read model, portable SQLAlchemy Core)."""
from __future__ import annotations

import dataclasses
import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from storage import schema as t

PAGE_SIZE = 200


@dataclasses.dataclass(frozen=True)
class AuditFilter:
    actor: str | None = None  # a staff member's name as recorded
    action: str | None = None  # one of domain.audit.ACTIONS (or any recorded action)
    since: dt.datetime | None = None  # naive UTC, inclusive
    until: dt.datetime | None = None  # naive UTC, exclusive


@dataclasses.dataclass(frozen=True)
class AuditRow:
    id: int
    at: dt.datetime
    actor: str
    action: str
    record_type: str
    record_id: int | None
    patient_id: int | None
    patient: str  # "Family, Given · MRN", or "" for an event about no patient
    detail: str


def audit_page(engine: Engine, flt: AuditFilter, before_id: int | None = None,
               limit: int = PAGE_SIZE) -> list[AuditRow]:
    """The newest ``limit`` events matching ``flt`` older than event ``before_id`` (None: the
    newest), in the order they were recorded, newest first (events are only ever appended, so
    the id orders them; keyset paging reads each page from the primary key)."""
    a, p = t.audit_event, t.patient
    query = (sa.select(a.c.id, a.c.at, a.c.actor, a.c.action, a.c.record_type, a.c.record_id, a.c.patient_id,
                       a.c.detail, p.c.family, p.c.given, p.c.mrn)
             .select_from(a.outerjoin(p, p.c.id == a.c.patient_id))
             .order_by(a.c.id.desc()).limit(limit))
    if before_id is not None:
        query = query.where(a.c.id < before_id)
    if flt.actor:
        query = query.where(a.c.actor == flt.actor)
    if flt.action:
        query = query.where(a.c.action == flt.action)
    if flt.since is not None:
        query = query.where(a.c.at >= flt.since)
    if flt.until is not None:
        query = query.where(a.c.at < flt.until)
    with engine.connect() as conn:
        return [AuditRow(r.id, r.at, r.actor, r.action, r.record_type, r.record_id, r.patient_id,
                         _patient_label(r.family, r.given, r.mrn) if r.patient_id is not None else "",
                         r.detail or "")
                for r in conn.execute(query)]


def _patient_label(family: str | None, given: str | None, mrn: str | None) -> str:
    name = ", ".join(part for part in (family, given) if part)
    return f"{name} · {mrn}" if mrn else name
