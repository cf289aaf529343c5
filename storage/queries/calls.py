"""After-hours calls as the night nurse and the practices read them: the night's calls, the
calls waiting for their call-back, a practice's hand-off, one call's record.

Each read is one indexed query for the calls plus one for their pages; a practice's night is
an index range of ``ix_call_practice_received``, the pod's night one of ``ix_call_received``,
the waiting and unacknowledged calls small partial indexes.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from domain.practice import OnCallSlot, on_call_at
from domain.triage import PROTOCOLS
from storage import schema as t
from storage.queries.patients import clinician_name

c = t.after_hours_call


@dataclasses.dataclass(frozen=True)
class PageRow:
    id: int
    call_id: int
    clinician_id: int
    clinician: str
    paged_at: dt.datetime
    outcome: str
    note: str
    by: str


@dataclasses.dataclass(frozen=True, slots=True)
class CallRow:
    """One call with the names a list or a printout shows beside it."""

    id: int
    practice_id: int
    practice_code: str
    practice_name: str
    time_zone: str
    patient_id: int | None
    patient_family: str
    patient_given: str
    mrn: str
    birth_date: dt.date | None
    patient_phone: str
    patient_name: str  # a caller not yet a patient: whom the call is about
    patient_birth_date: dt.date | None
    caller_name: str
    caller_relation: str
    caller_phone: str
    received_at: dt.datetime
    called_back_at: dt.datetime | None
    reason: str
    symptoms: str
    protocol: str
    disposition: str
    advice: str
    advice_repeated_back: bool
    medications_confirmed: bool
    allergies_confirmed: bool
    follow_up_needed: bool
    follow_up_note: str
    taken_by: str
    acknowledged_by: str
    acknowledged_at: dt.datetime | None
    escalated_to: str
    escalated_at: dt.datetime | None
    entered_in_error: bool
    pages: tuple[PageRow, ...] = ()

    @property
    def is_patient(self) -> bool:
        return self.patient_id is not None

    @property
    def patient_display(self) -> str:
        """'Okafor, Grace' for a patient; the name given for a caller not yet a patient."""
        if self.patient_id is not None:
            return f"{self.patient_family}, {self.patient_given}" if self.patient_given else self.patient_family
        return self.patient_name or (self.caller_name if self.caller_relation == "self" else "")

    @property
    def waiting(self) -> bool:
        return self.called_back_at is None


def _select() -> sa.Select:
    p, pr, k = t.patient, t.practice, t.clinician
    return sa.select(
        c.c.id, c.c.practice_id, pr.c.code.label("practice_code"), pr.c.name.label("practice_name"),
        pr.c.time_zone, c.c.patient_id, p.c.family.label("patient_family"), p.c.given.label("patient_given"),
        p.c.mrn, p.c.birth_date, p.c.phone.label("patient_phone"), c.c.patient_name, c.c.patient_birth_date,
        c.c.caller_name, c.c.caller_relation, c.c.caller_phone, c.c.received_at, c.c.called_back_at, c.c.reason,
        c.c.symptoms, c.c.protocol, c.c.disposition, c.c.advice, c.c.advice_repeated_back,
        c.c.medications_confirmed, c.c.allergies_confirmed, c.c.follow_up_needed, c.c.follow_up_note,
        c.c.taken_by, c.c.acknowledged_by, c.c.acknowledged_at, k.c.given.label("k_given"),
        k.c.family.label("k_family"), k.c.credentials.label("k_credentials"), c.c.escalated_at,
        c.c.entered_in_error,
    ).select_from(c.join(pr, pr.c.id == c.c.practice_id).outerjoin(p, p.c.id == c.c.patient_id)
                  .outerjoin(k, k.c.id == c.c.escalated_to_id))


def _row(row, pages: dict[int, tuple[PageRow, ...]]) -> CallRow:
    r = row._mapping  # one mapping lookup per column instead of the Row's attribute machinery
    return CallRow(
        id=r["id"], practice_id=r["practice_id"], practice_code=r["practice_code"], practice_name=r["practice_name"],
        time_zone=r["time_zone"], patient_id=r["patient_id"], patient_family=r["patient_family"] or "",
        patient_given=r["patient_given"] or "", mrn=r["mrn"] or "", birth_date=r["birth_date"],
        patient_phone=r["patient_phone"] or "", patient_name=r["patient_name"] or "",
        patient_birth_date=r["patient_birth_date"], caller_name=r["caller_name"], caller_relation=r["caller_relation"] or "",
        caller_phone=r["caller_phone"] or "", received_at=r["received_at"], called_back_at=r["called_back_at"],
        reason=r["reason"], symptoms=r["symptoms"] or "", protocol=r["protocol"] or "", disposition=r["disposition"] or "",
        advice=r["advice"] or "", advice_repeated_back=bool(r["advice_repeated_back"]),
        medications_confirmed=bool(r["medications_confirmed"]), allergies_confirmed=bool(r["allergies_confirmed"]),
        follow_up_needed=bool(r["follow_up_needed"]), follow_up_note=r["follow_up_note"] or "", taken_by=r["taken_by"] or "",
        acknowledged_by=r["acknowledged_by"] or "", acknowledged_at=r["acknowledged_at"],
        escalated_to=clinician_name(r["k_given"], r["k_family"], r["k_credentials"]), escalated_at=r["escalated_at"],
        entered_in_error=bool(r["entered_in_error"]), pages=pages.get(r["id"], ()),
    )


def _pages(conn, call_ids: Sequence[int]) -> dict[int, tuple[PageRow, ...]]:
    if not call_ids:
        return {}
    g, k = t.call_page, t.clinician
    found: dict[int, list[PageRow]] = {}
    for chunk_start in range(0, len(call_ids), 500):
        chunk = list(call_ids[chunk_start:chunk_start + 500])
        rows = conn.execute(sa.select(g, k.c.given, k.c.family, k.c.credentials)
                            .select_from(g.join(k, k.c.id == g.c.clinician_id))
                            .where(g.c.call_id.in_(chunk)).order_by(g.c.paged_at, g.c.id))
        for r in rows:
            found.setdefault(r.call_id, []).append(PageRow(r.id, r.call_id, r.clinician_id,
                                                           clinician_name(r.given, r.family, r.credentials),
                                                           r.paged_at, r.outcome, r.note or "", r.by or ""))
    return {call_id: tuple(pages) for call_id, pages in found.items()}


def _read(engine: Engine, query: sa.Select, with_pages: bool = True) -> list[CallRow]:
    with engine.connect() as conn:
        rows = list(conn.execute(query))
        pages = _pages(conn, [r.id for r in rows]) if with_pages else {}
        return [_row(r, pages) for r in rows]


def calls_received(engine: Engine, start: dt.datetime, end: dt.datetime, *,
                   practice_ids: Iterable[int] | None = None, dispositions: Iterable[str] | None = None,
                   with_pages: bool = False) -> list[CallRow]:
    """Calls received in [start, end) (entered-in-error ones left out), oldest first."""
    query = _select().where(c.c.received_at >= start, c.c.received_at < end, c.c.entered_in_error.is_(False))
    if practice_ids is not None:
        ids = list(practice_ids)
        query = query.where(c.c.practice_id == ids[0] if len(ids) == 1 else c.c.practice_id.in_(ids))
    if dispositions is not None:
        query = query.where(c.c.disposition.in_(list(dispositions)))
    return _read(engine, query.order_by(c.c.received_at, c.c.id), with_pages)


def waiting_calls(engine: Engine) -> list[CallRow]:
    """Calls nobody has spoken with yet, longest waiting first."""
    query = _select().where(c.c.called_back_at.is_(None), c.c.entered_in_error.is_(False))
    return _read(engine, query.order_by(c.c.received_at, c.c.id), with_pages=True)


def unacknowledged_calls(engine: Engine, practice_ids: Iterable[int] | None = None) -> list[CallRow]:
    """Complete calls no practice has acknowledged yet, oldest first."""
    query = _select().where(c.c.acknowledged_at.is_(None), c.c.called_back_at.is_not(None),
                            c.c.entered_in_error.is_(False))
    if practice_ids is not None:
        query = query.where(c.c.practice_id.in_(list(practice_ids)))
    return _read(engine, query.order_by(c.c.received_at, c.c.id), with_pages=False)


def calls_by_ids(engine: Engine, call_ids: Iterable[int]) -> list[CallRow]:
    """These calls with their pages, in the order given (unknown ids left out)."""
    wanted = list(dict.fromkeys(call_ids))
    if not wanted:
        return []
    rows = {r.id: r for r in _read(engine, _select().where(c.c.id.in_(wanted)), with_pages=True)}
    return [rows[i] for i in wanted if i in rows]


def patient_calls(engine: Engine, patient_id: int) -> list[CallRow]:
    query = _select().where(c.c.patient_id == patient_id, c.c.entered_in_error.is_(False))
    return _read(engine, query.order_by(c.c.received_at.desc(), c.c.id.desc()), with_pages=True)


def on_call_clinician(engine: Engine, practice_id: int, moment: dt.datetime) -> tuple[int, str] | None:
    """(clinician id, name) on call for the practice at ``moment`` by its rota, or None."""
    s, k = t.on_call_slot, t.clinician
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(s.c.id, s.c.practice_id, s.c.clinician_id, s.c.starts_at, s.c.ends_at, k.c.given, k.c.family,
                      k.c.credentials)
            .select_from(s.join(k, k.c.id == s.c.clinician_id))
            .where(s.c.practice_id == practice_id, s.c.starts_at <= moment, s.c.ends_at > moment)).all()
    names = {r.id: clinician_name(r.given, r.family, r.credentials) for r in rows}
    slot = on_call_at([OnCallSlot(r.practice_id, r.clinician_id, r.starts_at, r.ends_at, id=r.id) for r in rows], moment)
    return None if slot is None else (slot.clinician_id, names[slot.id])


def protocol_names(engine: Engine) -> list[str]:
    """The shipped protocols and the pod's active own ones, alphabetically."""
    with engine.connect() as conn:
        own = conn.scalars(sa.select(t.triage_protocol.c.name).where(t.triage_protocol.c.active.is_(True))).all()
    return sorted(set(PROTOCOLS) | set(own), key=str.casefold)


def add_protocol(uow, name: str) -> bool:
    """Add a protocol to the pod's list inside a unit of work (audited); False when it is there."""
    known = {n.casefold() for n in PROTOCOLS}
    known |= {n.casefold() for n in uow.session.scalars(sa.select(t.triage_protocol.c.name))}
    if name.casefold() in known:
        return False
    new_id = uow.session.execute(sa.insert(t.triage_protocol).values(name=name, created_by=uow.actor)).inserted_primary_key[0]
    uow.audit.record("create", "TriageProtocol", new_id, None, name)
    return True


@dataclasses.dataclass(frozen=True)
class CallPractice:
    """A practice as the call entry offers it."""

    id: int
    code: str
    name: str
    time_zone: str
    phone: str
    after_hours_instructions: str

    @property
    def label(self) -> str:
        return f"{self.name} ({self.code})"


def call_practices(engine: Engine) -> list[CallPractice]:
    p = t.practice
    with engine.connect() as conn:
        rows = conn.execute(sa.select(p.c.id, p.c.code, p.c.name, p.c.time_zone, p.c.phone, p.c.after_hours_instructions)
                            .where(p.c.active.is_(True)).order_by(p.c.name))
        return [CallPractice(r.id, r.code, r.name, r.time_zone, r.phone or "", r.after_hours_instructions or "")
                for r in rows]
