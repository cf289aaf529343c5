"""Keeping ``outreach_plan`` in step with the outreach attempts.

One row per thing outreach is about (a gap, a referral, the patient), worked out by
:func:`domain.outreach.outreach_progress` from that target's attempts, each on the local day
of the patient's practice and against the practice's business calendar. The use case that
logs an attempt refreshes its target in the same transaction; :func:`rebuild_all` works out
every target at once (the migration that made the table, the demo generator).
"""
from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from domain.business_days import BusinessCalendar
from domain.clock import utcnow
from domain.outreach import OutreachProgress, Try, outreach_progress, target_key
from storage import schema as t

o, plan = t.outreach_attempt, t.outreach_plan
BATCH = 5000


@functools.lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo | dt.timezone:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return dt.timezone.utc


def local_day(at: dt.datetime, zone_name: str) -> dt.date:
    """The practice's local calendar day of a stored (naive UTC) instant."""
    return at.replace(tzinfo=dt.timezone.utc).astimezone(zone(zone_name)).date()


class PracticeCalendars:
    """Each practice's business calendar (its closed days) and time zone, read once."""

    def __init__(self, conn: Connection, practice_ids: Iterable[int] | None = None):
        query = sa.select(t.practice.c.id, t.practice.c.time_zone)
        closed = sa.select(t.practice_closed_day.c.practice_id, t.practice_closed_day.c.day,
                           t.practice_closed_day.c.reason)
        if practice_ids is not None:
            ids = list(practice_ids)
            query = query.where(t.practice.c.id.in_(ids))
            closed = closed.where(t.practice_closed_day.c.practice_id.in_(ids))
        self.zones = {pid: tz for pid, tz in conn.execute(query)}
        days: dict[int, dict[dt.date, str]] = {}
        for pid, day, reason in conn.execute(closed):
            days.setdefault(pid, {})[day] = reason
        self.calendars = {pid: BusinessCalendar(days.get(pid, {})) for pid in self.zones}

    def calendar(self, practice_id: int) -> BusinessCalendar:
        return self.calendars.get(practice_id) or BusinessCalendar()

    def zone_name(self, practice_id: int) -> str:
        return self.zones.get(practice_id) or "America/New_York"

    def local_day(self, practice_id: int, at: dt.datetime) -> dt.date:
        return local_day(at, self.zone_name(practice_id))


def _attempts(conn: Connection, where) -> sa.engine.Result:
    return conn.execute(
        sa.select(o.c.patient_id, o.c.gap_id, o.c.referral_id, o.c.at, o.c.outcome, t.patient.c.practice_id)
        .select_from(o.join(t.patient, t.patient.c.id == o.c.patient_id))
        .where(o.c.entered_in_error.is_(False), where)
        .order_by(o.c.patient_id, o.c.at, o.c.id))


def _row(target: str, patient_id: int, practice_id: int, gap_id, referral_id, progress: OutreachProgress,
         last_at: dt.datetime, now: dt.datetime) -> dict:
    return dict(target=target, patient_id=patient_id, practice_id=practice_id, gap_id=gap_id, referral_id=referral_id,
                status=progress.status, days_tried=progress.days_tried, next_try_on=progress.next_try,
                last_attempt_at=last_at, settled_on=progress.settled_on, updated_at=now)


def _plans(rows, calendars: PracticeCalendars, now: dt.datetime) -> dict[str, tuple[dict, OutreachProgress]]:
    by_target: dict[str, list] = {}
    for r in rows:
        by_target.setdefault(target_key(r.patient_id, r.gap_id, r.referral_id), []).append(r)
    plans = {}
    for target, attempts in by_target.items():
        first = attempts[0]
        practice = first.practice_id
        tries = [Try(calendars.local_day(practice, a.at), a.outcome) for a in attempts]
        progress = outreach_progress(tries, calendars.calendar(practice))
        plans[target] = (_row(target, first.patient_id, practice, first.gap_id, first.referral_id, progress,
                              max(a.at for a in attempts), now), progress)
    return plans


def refresh_patient(conn: Connection, patient_id: int, now: dt.datetime | None = None
                    ) -> dict[str, OutreachProgress]:
    """Work out again every outreach target of one patient (after an attempt was logged or
    marked entered in error); returns where each stands, by target."""
    now = now or utcnow()
    rows = list(_attempts(conn, o.c.patient_id == patient_id))
    practice_ids = {r.practice_id for r in rows}
    plans = _plans(rows, PracticeCalendars(conn, practice_ids), now)
    conn.execute(sa.delete(plan).where(plan.c.patient_id == patient_id))
    if plans:
        conn.execute(sa.insert(plan), [row for row, _progress in plans.values()])
    return {target: progress for target, (_row, progress) in plans.items()}


def rebuild_all(conn: Connection, now: dt.datetime | None = None) -> int:
    """Every target of the pod worked out anew from its attempts; returns the plans written."""
    now = now or utcnow()
    calendars = PracticeCalendars(conn)
    conn.execute(sa.delete(plan))
    written, batch_patient = 0, None
    buffer: list = []

    def flush(rows) -> int:
        plans = [row for row, _progress in _plans(rows, calendars, now).values()]
        if plans:
            conn.execute(sa.insert(plan), plans)
        return len(plans)

    for row in _attempts(conn, sa.true()).all():  # a patient's attempts never straddle two batches
        if batch_patient is not None and row.patient_id != batch_patient and len(buffer) >= BATCH:
            written += flush(buffer)
            buffer = []
        buffer.append(row)
        batch_patient = row.patient_id
    if buffer:
        written += flush(buffer)
    return written
