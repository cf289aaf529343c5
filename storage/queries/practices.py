"""What the Practices page of Administration shows: the pod's practices, one practice's
details, calendar, clinicians and on-call rota."""
from __future__ import annotations

import dataclasses
import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from domain.office_hours import OfficeHours
from storage import schema as t
from storage.practice_calendar import hours_are_set, office_hours_for
from storage.queries.patients import clinician_name


@dataclasses.dataclass(frozen=True)
class PracticeListRow:
    id: int
    code: str
    name: str
    active: bool
    time_zone: str
    clinicians: int


@dataclasses.dataclass(frozen=True)
class ClinicianChoice:
    id: int
    name: str  # "Ana Ruiz, MD"
    active: bool


@dataclasses.dataclass(frozen=True)
class RotaSlot:
    id: int
    clinician_id: int
    clinician: str
    starts_at: dt.datetime  # naive UTC
    ends_at: dt.datetime


@dataclasses.dataclass(frozen=True)
class PracticeDetail:
    id: int
    code: str
    name: str
    address: str
    phone: str
    tin: str
    npi: str
    after_hours_instructions: str
    active: bool
    time_zone: str
    office: OfficeHours
    hours_set: bool  # False: never set, the default week (Mon-Fri 08:00-17:00) applies
    closed_days: tuple[tuple[dt.date, str], ...]  # its own, by date
    clinicians: tuple[ClinicianChoice, ...]
    rota: tuple[RotaSlot, ...]  # slots ending after ``rota_from``, by start


def practice_codes(conn) -> dict[int, str]:
    """Every practice's code by its id (a few hundred rows)."""
    pr = t.practice
    return {pid: code for pid, code in conn.execute(sa.select(pr.c.id, pr.c.code))}


def practice_list(engine: Engine, include_inactive: bool = True) -> list[PracticeListRow]:
    p, c = t.practice, t.clinician
    counts = (sa.select(c.c.practice_id, sa.func.count().label("n")).where(c.c.active.is_(True))
              .group_by(c.c.practice_id).subquery())
    query = (sa.select(p.c.id, p.c.code, p.c.name, p.c.active, p.c.time_zone, sa.func.coalesce(counts.c.n, 0).label("n"))
             .select_from(p.outerjoin(counts, counts.c.practice_id == p.c.id))
             .where(p.c.holding.is_(False))  # the holding place of unplaced imported patients is no practice
             .order_by(p.c.name))
    if not include_inactive:
        query = query.where(p.c.active.is_(True))
    with engine.connect() as conn:
        return [PracticeListRow(r.id, r.code, r.name, bool(r.active), r.time_zone, r.n) for r in conn.execute(query)]


def clinicians_of(conn, practice_id: int) -> tuple[ClinicianChoice, ...]:
    c = t.clinician
    rows = conn.execute(sa.select(c.c.id, c.c.given, c.c.family, c.c.credentials, c.c.active)
                        .where(c.c.practice_id == practice_id).order_by(c.c.family, c.c.given))
    return tuple(ClinicianChoice(r.id, clinician_name(r.given, r.family, r.credentials), bool(r.active)) for r in rows)


def rota(conn, practice_id: int, start: dt.datetime, end: dt.datetime) -> tuple[RotaSlot, ...]:
    """The practice's on-call slots overlapping [start, end), by start."""
    s, c = t.on_call_slot, t.clinician
    rows = conn.execute(
        sa.select(s.c.id, s.c.clinician_id, c.c.given, c.c.family, c.c.credentials, s.c.starts_at, s.c.ends_at)
        .select_from(s.join(c, c.c.id == s.c.clinician_id))
        .where(s.c.practice_id == practice_id, s.c.ends_at > start, s.c.starts_at < end)
        .order_by(s.c.starts_at, s.c.id))
    return tuple(RotaSlot(r.id, r.clinician_id, clinician_name(r.given, r.family, r.credentials), r.starts_at, r.ends_at)
                 for r in rows)


def practice_detail(engine: Engine, practice_id: int, rota_from: dt.datetime, rota_to: dt.datetime) -> PracticeDetail | None:
    p = t.practice
    with engine.connect() as conn:
        row = conn.execute(sa.select(p).where(p.c.id == practice_id)).mappings().first()
        if row is None:
            return None
        office = office_hours_for(conn, [practice_id])[practice_id]
        return PracticeDetail(
            id=row["id"], code=row["code"], name=row["name"], address=row["address"], phone=row["phone"],
            tin=row["tin"], npi=row["npi"], after_hours_instructions=row["after_hours_instructions"],
            active=bool(row["active"]), time_zone=row["time_zone"], office=office,
            hours_set=hours_are_set(conn, practice_id),
            closed_days=tuple(sorted(office.calendar.closed_days.items())),
            clinicians=clinicians_of(conn, practice_id),
            rota=rota(conn, practice_id, rota_from, rota_to))
