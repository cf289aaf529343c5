"""Reads for chronic and transitional care management: a practice's month (minutes, consent,
discharges with their contacts and visits), colleagues covering a practice, running timers.

Each read is a few set-based queries for the practice or patient asked about, never one per
patient; the rules that turn the rows into thresholds and windows are in
:mod:`domain.care_management` (applied by :mod:`application.care_management`).
"""
from __future__ import annotations

import dataclasses
import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from domain import risk as risk_rules
from domain.time_entry import TimeEntry
from storage import schema as t

# encounters that are a face-to-face visit (office, home) for transitional care
FACE_TO_FACE_CLASSES = ("AMB", "HH")
WINDOW_DAYS = 15  # contacts and visits read after a discharge (the visit window is 14 days)


def staff_covering(engine: Engine, practice_id: int) -> list[str]:
    """Names of the active staff members who cover a practice (staff_practice), by name."""
    s, sp = t.staff_member, t.staff_practice
    with engine.connect() as conn:
        return list(conn.scalars(sa.select(s.c.name).select_from(s.join(sp, sp.c.staff_id == s.c.id))
                                 .where(sp.c.practice_id == practice_id, s.c.active.is_(True)).order_by(s.c.name)))


def active_staff(engine: Engine) -> list[str]:
    s = t.staff_member
    with engine.connect() as conn:
        return list(conn.scalars(sa.select(s.c.name).where(s.c.active.is_(True)).order_by(s.c.name)))


@dataclasses.dataclass(frozen=True)
class PracticeCalendar:
    practice_id: int
    code: str
    name: str
    time_zone: str
    closed_days: dict[dt.date, str]


def practice_calendar(engine: Engine, practice_id: int) -> PracticeCalendar | None:
    p, c = t.practice, t.practice_closed_day
    with engine.connect() as conn:
        row = conn.execute(sa.select(p.c.id, p.c.code, p.c.name, p.c.time_zone).where(p.c.id == practice_id)).first()
        if row is None:
            return None
        closed = dict(conn.execute(sa.select(c.c.day, c.c.reason).where(c.c.practice_id == practice_id)).all())
    return PracticeCalendar(row.id, row.code, row.name, row.time_zone, closed)


def practices(engine: Engine) -> list[tuple[int, str, str]]:
    """(id, code, name) of the active practices, by name."""
    p = t.practice
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.select(p.c.id, p.c.code, p.c.name)
                                                .where(p.c.active.is_(True)).order_by(p.c.name))]


def practice_names(engine: Engine) -> dict[int, str]:
    p = t.practice
    with engine.connect() as conn:
        return dict(conn.execute(sa.select(p.c.id, p.c.name)).all())


# --- a practice's month ----------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class MonthPatient:
    id: int
    name: str
    mrn: str
    consent_date: dt.date | None
    consent_withdrawn_on: dt.date | None
    chronic_conditions: int | None  # None: never tiered (not known)
    payer_kind: str


def month_patients(engine: Engine, practice_id: int, first: dt.date, last: dt.date,
                   with_time: set[int], *, consented: bool = True) -> list[MonthPatient]:
    """The practice's active patients with consent covering some of the month (a withdrawal ends
    it with its month, so one dated from ``first`` on still covers it), and those with
    time logged in it (``with_time``; only those when not ``consented``), with their chronic condition
    count from the last tiering."""
    p, r, pay = t.patient, t.risk_score, t.payer
    columns = sa.select(p.c.id, p.c.family, p.c.given, p.c.mrn, p.c.consent_date, p.c.consent_withdrawn_on,
                        r.c.chronic_groups, r.c.patient_id.label("tiered"), pay.c.kind, p.c.family_key,
                        p.c.given_key) \
        .select_from(p.outerjoin(r, r.c.patient_id == p.c.id).outerjoin(pay, pay.c.id == p.c.payer_id)) \
        .where(p.c.practice_id == practice_id, p.c.entered_in_error.is_(False))
    # the consented through their own index (a practice of 100,000 patients has a few thousand)
    with_consent = columns.where(p.c.consent_date.is_not(None), p.c.consent_date <= last, p.c.status == "active",
                                 sa.or_(p.c.consent_withdrawn_on.is_(None), p.c.consent_withdrawn_on >= first))
    found = {}
    with engine.connect() as conn:
        for row in (conn.execute(with_consent) if consented else ()):
            found[row.id] = row
        ids = sorted(set(with_time) - set(found))
        for start in range(0, len(ids), 5000):
            for row in conn.execute(columns.where(p.c.id.in_(ids[start:start + 5000]))):
                found[row.id] = row
    rows = sorted(found.values(), key=lambda row: (row.family_key, row.given_key, row.id))
    return [MonthPatient(row.id, f"{row.family}, {row.given}".rstrip(", "), row.mrn, row.consent_date,
                         row.consent_withdrawn_on,
                         None if row.tiered is None else len([g for g in row.chronic_groups.split(",") if g]),
                         row.kind or "") for row in rows]


def month_time(engine: Engine, practice_id: int, first: dt.date, last: dt.date) -> list[TimeEntry]:
    """Every time entry (not in error) dated in the month of the practice's patients, whichever
    practice it was logged for (so two billing practices in one month are seen)."""
    te, p = t.time_entry, t.patient
    query = (sa.select(*[te.c[name] for name in _ENTRY_COLUMNS])
             .select_from(te.join(p, p.c.id == te.c.patient_id))
             .where(p.c.practice_id == practice_id, te.c.entry_date.between(first, last),
                    te.c.entered_in_error.is_(False)))
    with engine.connect() as conn:
        return [TimeEntry(**row._mapping) for row in conn.execute(query)]


_ENTRY_COLUMNS = ("staff", "patient_id", "minutes", "activity", "entry_date", "note", "id", "programme",
                  "performer", "started_at", "practice_id", "recorded_at", "recorded_by")


# --- discharges, contacts and visits -------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class DischargeRow:
    patient_id: int
    encounter_id: int
    end_at: dt.datetime | None
    end_raw: str
    disposition: str
    disposition_label: str


@dataclasses.dataclass(frozen=True)
class ContactRow:
    patient_id: int
    at: dt.datetime
    channel: str
    outcome: str


@dataclasses.dataclass(frozen=True)
class VisitRow:
    patient_id: int
    start_at: dt.datetime | None
    start_raw: str


def discharges(engine: Engine, *, since: dt.datetime, until: dt.datetime, practice_id: int | None = None,
               patient_id: int | None = None) -> list[DischargeRow]:
    """Hospital stays (inpatient, observation, short stay) ended between ``since`` and ``until``,
    of a practice's patients or one patient. Read from the small index of acute encounters: the
    stays that began up to 60 days before ``since`` (a longer stay ending in the window is rare
    and would show in the chart's Encounters)."""
    f, p = t.clinical_fact, t.patient
    c, n = t.fact_coding, t.coding_concept
    disposition = (sa.select(n.c.display).select_from(c.join(n, n.c.id == c.c.concept_id))
                   .where(c.c.fact_id == f.c.id, c.c.role == "discharge").order_by(c.c.id)
                   .limit(1).scalar_subquery())
    query = (sa.select(f.c.patient_id, f.c.id, f.c.end_at, f.c.end_raw, f.c.discharge_code, disposition)
             .where(sa.text(t.ACUTE_ENCOUNTERS), f.c.encounter_class.in_(risk_rules.ADMISSION_CLASSES),
                    f.c.start_at >= since - dt.timedelta(days=60), f.c.start_at < until,
                    f.c.end_at >= since, f.c.end_at < until, f.c.status.not_in(("cancelled", "entered-in-error"))))
    if practice_id is not None:
        query = query.where(f.c.patient_id.in_(sa.select(p.c.id).where(p.c.practice_id == practice_id)))
    if patient_id is not None:
        query = query.where(f.c.patient_id == patient_id)
    with engine.connect() as conn:
        return [DischargeRow(r[0], r[1], r[2], r[3] or "", r[4] or "", r[5] or "") for r in conn.execute(query)]


def contacts_and_visits(engine: Engine, patient_ids: list[int], since: dt.datetime, until: dt.datetime
                        ) -> tuple[list[ContactRow], list[VisitRow]]:
    """The outreach attempts (not in error) and face-to-face encounters of some patients in a span."""
    if not patient_ids:
        return [], []
    o, f = t.outreach_attempt, t.clinical_fact
    with engine.connect() as conn:
        contacts = [ContactRow(*r) for r in conn.execute(
            sa.select(o.c.patient_id, o.c.at, o.c.channel, o.c.outcome)
            .where(o.c.patient_id.in_(patient_ids), o.c.at >= since, o.c.at < until,
                   o.c.entered_in_error.is_(False)))]
        visits = [VisitRow(r[0], r[1], r[2] or "") for r in conn.execute(
            sa.select(f.c.patient_id, f.c.start_at, f.c.start_raw)
            .where(f.c.patient_id.in_(patient_ids), f.c.kind == "encounter", f.c.start_at >= since,
                   f.c.start_at < until, f.c.encounter_class.in_(FACE_TO_FACE_CLASSES),
                   f.c.entered_in_error.is_(False), f.c.status.not_in(("cancelled", "entered-in-error"))))]
    return contacts, visits


# --- running timers ---------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class TimerRow:
    id: int
    staff: str
    patient_id: int
    patient_name: str
    started_at: dt.datetime
    activity: str
    programme: str


def running_timers(engine: Engine, *, staff: str | None = None, patient_id: int | None = None) -> list[TimerRow]:
    rt, p = t.running_timer, t.patient
    query = (sa.select(rt.c.id, rt.c.staff, rt.c.patient_id, p.c.family, p.c.given, rt.c.started_at, rt.c.activity,
                       rt.c.programme)
             .select_from(rt.join(p, p.c.id == rt.c.patient_id)).where(rt.c.state == "running")
             .order_by(rt.c.started_at))
    if staff is not None:
        query = query.where(rt.c.staff == staff)
    if patient_id is not None:
        query = query.where(rt.c.patient_id == patient_id)
    with engine.connect() as conn:
        return [TimerRow(r.id, r.staff, r.patient_id, f"{r.family}, {r.given}".rstrip(", "), r.started_at,
                         r.activity, r.programme) for r in conn.execute(query)]
