"""A practice's calendar in the database: its opening hours, closed days and time zone.

Reads give the domain's :class:`domain.office_hours.OfficeHours`; writes happen inside a unit
of work and are audited with what was there before and what is there now.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from domain.errors import DomainError
from domain.office_hours import DEFAULT_HOURS, WEEKDAY_SHORT, OfficeHours, OpeningHours, hhmm, parse_hhmm
from storage import schema as t

DEFAULT_WEEK = tuple(OpeningHours(day, opens, closes) for day, (opens, closes) in DEFAULT_HOURS.items())


def _hours_rows(conn, practice_ids: list[int] | None) -> dict[int, list[OpeningHours]]:
    h = t.practice_hours
    query = sa.select(h.c.practice_id, h.c.weekday, h.c.opens, h.c.closes).order_by(h.c.practice_id, h.c.weekday)
    if practice_ids is not None:
        query = query.where(h.c.practice_id.in_(practice_ids))
    found: dict[int, list[OpeningHours]] = {}
    for row in conn.execute(query):
        found.setdefault(row.practice_id, []).append(
            OpeningHours(row.weekday, parse_hhmm(row.opens), parse_hhmm(row.closes)))
    return found


def _closed_rows(conn, practice_ids: list[int] | None) -> dict[int, dict[dt.date, str]]:
    c = t.practice_closed_day
    query = sa.select(c.c.practice_id, c.c.day, c.c.reason).order_by(c.c.practice_id, c.c.day)
    if practice_ids is not None:
        query = query.where(c.c.practice_id.in_(practice_ids))
    found: dict[int, dict[dt.date, str]] = {}
    for row in conn.execute(query):
        found.setdefault(row.practice_id, {})[row.day] = row.reason or ""
    return found


def office_hours_for(conn: Connection, practice_ids: Iterable[int] | None = None) -> dict[int, OfficeHours]:
    """Each practice's OfficeHours (all practices when ``practice_ids`` is None), in three queries."""
    ids = None if practice_ids is None else sorted(set(practice_ids))
    query = sa.select(t.practice.c.id, t.practice.c.time_zone)
    if ids is not None:
        query = query.where(t.practice.c.id.in_(ids))
    zones = {row.id: row.time_zone for row in conn.execute(query)}
    hours, closed = _hours_rows(conn, ids), _closed_rows(conn, ids)
    # a practice whose hours were never set keeps the pod's old fixed rule (open 08:00-17:00
    # Monday to Friday) rather than being "after hours" all week
    return {pid: OfficeHours(zone_name, hours.get(pid) or DEFAULT_WEEK, closed.get(pid, {}))
            for pid, zone_name in zones.items()}


def hours_are_set(conn: Connection, practice_id: int) -> bool:
    return conn.execute(sa.select(sa.func.count()).select_from(t.practice_hours)
                        .where(t.practice_hours.c.practice_id == practice_id)).scalar() > 0


def hours_text(hours: Iterable[OpeningHours]) -> str:
    """'Mon 08:00–17:00, Tue …' (or 'closed every day'), as the audit trail writes it."""
    parts = [f"{WEEKDAY_SHORT[h.weekday]} {hhmm(h.opens)}–{hhmm(h.closes)}" for h in sorted(hours, key=lambda h: h.weekday)]
    return ", ".join(parts) or "closed every day"


def replace_hours(uow, practice_id: int, hours: list[OpeningHours]) -> bool:
    """Set the practice's weekly hours (audited with the old and new week); False when unchanged."""
    OfficeHours("UTC", hours)  # validates each day and refuses a weekday given twice
    session = uow.session
    old = _hours_rows(session.connection(), [practice_id]).get(practice_id, [])
    if hours_text(old) == hours_text(hours):
        return False
    session.execute(sa.delete(t.practice_hours).where(t.practice_hours.c.practice_id == practice_id))
    if hours:
        session.execute(sa.insert(t.practice_hours), [
            {"practice_id": practice_id, "weekday": h.weekday, "opens": hhmm(h.opens), "closes": hhmm(h.closes)}
            for h in hours])
    uow.audit.record("change", "Practice", practice_id, None,
                     f"opening hours: {hours_text(old)} -> {hours_text(hours)}")
    return True


def add_closed_day(uow, practice_id: int, day: dt.date, reason: str) -> None:
    c = t.practice_closed_day
    exists = uow.session.execute(sa.select(c.c.reason).where(c.c.practice_id == practice_id, c.c.day == day)).first()
    if exists is not None:
        raise DomainError(f"{day:%m/%d/%Y} is already a closed day of this practice ({exists.reason or 'no reason'}).")
    uow.session.execute(sa.insert(c).values(practice_id=practice_id, day=day, reason=reason))
    uow.audit.record("change", "Practice", practice_id, None, f"closed day added: {day.isoformat()} {reason}".strip())


def remove_closed_day(uow, practice_id: int, day: dt.date) -> None:
    c = t.practice_closed_day
    gone = uow.session.execute(sa.delete(c).where(c.c.practice_id == practice_id, c.c.day == day))
    if not gone.rowcount:
        raise DomainError(f"{day:%m/%d/%Y} is not one of this practice's own closed days.")
    uow.audit.record("change", "Practice", practice_id, None, f"closed day removed: {day.isoformat()}")


def remove_on_call_slot(uow, slot) -> None:
    """A slot that has not started yet can be taken off the rota (audited); one that has
    started stays as the record of who was on call."""
    uow.session.delete(slot)
    uow.session.flush()
    uow.audit.record("change", "Practice", slot.practice_id, None,
                     f"on-call slot removed: clinician {slot.clinician_id} "
                     f"{slot.starts_at.isoformat(' ', 'minutes')} - {slot.ends_at.isoformat(' ', 'minutes')} UTC")
