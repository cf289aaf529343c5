"""Today: the staff member's prioritised worklist across the practices she covers (read
model), marking an item done or snoozing it (use cases), and the printed day sheet.

Priority order (``domain.today.KINDS``): emergency follow-ups of after-hours calls, then
discharges awaiting their 2-business-day contact, her tasks due, other call follow-ups,
overdue referrals, outreach tries due, and high-risk patients without contact in 30 days.
"""
from __future__ import annotations

import dataclasses
import datetime as dt

from application.changes import ChangeSet
from domain import today as rules
from domain.clock import today as clock_today
from domain.clock import utcnow
from domain.errors import DomainError, NotFound
from domain.today import KINDS, TodayMark
from storage.queries import today as q
from storage.queries.practices import practice_codes
from storage.queries.today import KindRows, Practice, Staff, TodayRow

__all__ = ["KINDS", "Practice", "Staff", "TodayList", "TodayRow", "as_of", "mark_done", "print_day_sheet",
           "Marked", "snooze", "staff_member", "today_list", "undo_mark"]


@dataclasses.dataclass(frozen=True)
class TodayList:
    staff: Staff
    on: dt.date
    rows: list[TodayRow]  # in priority order, at most ``storage.queries.today.LIMIT`` of each kind
    totals: dict[str, int]  # kind -> items on the list today, shown or not

    @property
    def total(self) -> int:
        return sum(self.totals.values())

    def shown(self, kind: str) -> int:
        return sum(1 for r in self.rows if r.kind == kind)

    @property
    def practice_codes(self) -> list[str]:
        return [p.code for p in self.staff.practices]


def as_of(on: dt.date) -> dt.datetime:
    """The moment Today is worked out for: now for today, else the end of that day (naive UTC),
    so a given day always gives the same list."""
    if on == clock_today():
        return utcnow()
    local_end = dt.datetime.combine(on, dt.time(23, 59, 59)).astimezone()
    return local_end.astimezone(dt.timezone.utc).replace(tzinfo=None)


def staff_member(pod, name: str) -> Staff:
    """The staff member called ``name`` and the practices she covers; raises :class:`NotFound`."""
    return q.staff_member(pod.engine, (name or "").strip())


def prepare(on: dt.date | None = None) -> None:
    """Load what the first list needs once per process (the federal holiday calendar of the
    business-day windows: a tenth of a second the first time), so the window can do it as it
    opens rather than when Today is first looked at."""
    from domain.business_days import federal_holidays

    year = (on or clock_today()).year
    for each in (year - 1, year):
        federal_holidays(each)


def today_list(pod, staff_name: str, on: dt.date | None = None, *, now: dt.datetime | None = None,
               limit: int = q.LIMIT) -> TodayList:
    """The worklist of ``staff_name`` for the day ``on`` (today by default). Raises
    :class:`NotFound` naming the name when nobody in the pod is called that."""
    staff = staff_member(pod, staff_name)
    on = on or clock_today()
    now = now or as_of(on)
    practice_ids = [p.id for p in staff.practices]
    found: dict[str, KindRows] = {}
    with pod.engine.connect() as conn:
        codes = practice_codes(conn)  # every practice's: a task may be about a patient of one not covered
        found["task"] = q.tasks(conn, staff.name, on, codes, limit)
        if practice_ids:
            found["emergency_call"], found["call"] = q.calls(conn, practice_ids, on, now, codes, limit)
            found["discharge"] = q.discharges(conn, practice_ids, on, now, codes, limit)
            found["referral"] = q.referrals(conn, practice_ids, on, now, codes, limit)
            found["outreach"] = q.outreach(conn, practice_ids, on, codes, limit)
            found["high_risk"] = q.high_risk(conn, practice_ids, on, now, codes, limit)
    rows = [row for kind in KINDS for row in (found[kind.name].rows if kind.name in found else [])]
    return TodayList(staff, on, rows, {kind.name: found[kind.name].total if kind.name in found else 0
                                       for kind in KINDS})



# --- use cases ------------------------------------------------------------------------------

def _mark_fields(row: TodayRow) -> dict:
    return dict(item_kind=row.kind, record_id=row.record_id, patient_id=row.patient_id,
                occurrence_at=row.occurrence_at)


@dataclasses.dataclass(frozen=True)
class Marked:
    """A done or snooze mark just left, and what it changed (the screen offers to undo it)."""
    mark_id: int
    changes: ChangeSet


def mark_done(pod, row: TodayRow, *, reason: str = "") -> Marked:
    """Take the item off Today as done: a done mark with who and when (audited); a task is
    also completed (its earlier status kept as a revision)."""
    kinds = ("today",)
    with pod.unit_of_work() as uow:
        if row.kind == "task":
            task = uow.tasks.get(row.record_id)
            if task.status in ("done", "cancelled"):
                raise DomainError(f"The task is already {task.status}.")
            uow.tasks.correct(task, {"status": "done", "completed_at": utcnow()},
                              reason=reason.strip() or "done from Today")
            kinds = ("tasks", "today")
        mark = uow.today_marks.add(TodayMark.done(by=uow.actor, reason=reason, **_mark_fields(row)))
        uow.commit()
    return Marked(mark.id, ChangeSet.of(*kinds, patients=[row.patient_id] if row.patient_id else []))


def snooze(pod, row: TodayRow, until: dt.date | None, reason: str, *, today: dt.date | None = None) -> Marked:
    """Keep the item off Today until ``until`` (a day after today), with the reason (audited).
    Raises :class:`DomainError` for a day that is not after today or no reason; nothing is kept."""
    today = today or clock_today()
    mark = TodayMark.snooze(until=until, reason=reason, by=pod.actor(), today=today, **_mark_fields(row))
    with pod.unit_of_work() as uow:
        mark.by = uow.actor
        uow.today_marks.add(mark)
        uow.commit()
    return Marked(mark.id, ChangeSet.of("today", patients=[row.patient_id] if row.patient_id else []))


def undo_mark(pod, mark_id: int, *, reason: str) -> ChangeSet:
    """A done or snoozed mark left by mistake: kept, marked entered in error; the item is back.
    A task the mark completed gets the status it had before (a revision of its own), unless
    someone has changed it since."""
    kinds = ("today",)
    with pod.unit_of_work() as uow:
        mark = uow.today_marks.get(mark_id)
        uow.today_marks.mark_entered_in_error(mark, reason=reason)
        if mark.item_kind == "task" and mark.action == "done":
            task = uow.tasks.get(mark.record_id)
            revisions = uow.tasks.revisions(task)
            last = revisions[-1] if revisions else None
            # only the completion this mark made is taken back: a task changed since (reopened,
            # completed again by a colleague, entered in error) is left as it is, and so is the mark
            if not (task.status == "done" and last is not None and last["changed_by"] == mark.by
                    and (last["new_values"] or {}).get("status") == "done" and last["changed_at"] <= mark.at):
                raise DomainError(f"The task was changed after it was marked done (it is {task.status} now, "
                                  f"by {last['changed_by'] if last else 'someone'}): nothing was undone.")
            before = (last["old_values"] or {}).get("status") or "open"
            uow.tasks.correct(task, {"status": before, "completed_at": None}, reason=reason)
            kinds = ("tasks", "today")
        uow.commit()
    return ChangeSet.of(*kinds, patients=[mark.patient_id] if mark.patient_id else [])


@dataclasses.dataclass(frozen=True)
class Printed:
    path: str
    changes: ChangeSet = ChangeSet.of("audit")


def print_day_sheet(pod, listing: TodayList, path) -> Printed:
    """The list as it is shown, on paper (a PDF, audited as a print)."""
    from reports.day_sheet import DaySheet, SheetKind, SheetRow, write_day_sheet

    kinds = [SheetKind(kind.priority, kind.label, kind.explanation, listing.totals.get(kind.name, 0),
                       [SheetRow(r.practice_code, r.patient_name, r.mrn, r.reason, r.since)
                        for r in listing.rows if r.kind == kind.name]) for kind in KINDS]
    sheet = DaySheet(listing.staff.name, listing.on, [(p.code, p.name) for p in listing.staff.practices], kinds,
                     pod.actor())
    write_day_sheet(sheet, path)
    with pod.unit_of_work() as uow:
        uow.audit.record("print", "DaySheet", None, None,
                         f"day sheet of {listing.staff.name} for {listing.on:%m/%d/%Y}: {len(listing.rows)} rows")
        uow.commit()
    return Printed(str(path))
