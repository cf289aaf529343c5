"""The pod's practices (Administration > Practices): details, opening hours, time zone, closed
days and the on-call rota. Each change is one audited transaction returning its ChangeSet."""
from __future__ import annotations

import dataclasses
import datetime as dt

from application.changes import ChangeSet
from domain.business_days import federal_holidays
from domain.clock import utcnow
from domain.errors import DomainError, NotFound
from domain.office_hours import DEFAULT_HOURS, OfficeHours, OpeningHours, to_utc
from domain.practice import Clinician, OnCallSlot, Practice
from storage import practice_calendar as calendar
from storage.queries import practices as q
from storage.queries.practices import ClinicianChoice, PracticeDetail, PracticeListRow, RotaSlot

__all__ = ["ClinicianChoice", "PracticeDetail", "PracticeFields", "PracticeListRow", "PracticeSaved", "RotaSlot",
           "add_clinician", "add_closed_day", "add_on_call_slots", "create_practice", "federal_holidays_of",
           "office_hours", "practice_detail", "practices", "remove_closed_day", "remove_on_call_slot",
           "set_opening_hours", "update_practice"]

ROTA_BACK = dt.timedelta(days=7)
ROTA_AHEAD = dt.timedelta(days=56)
MAX_REPEAT_WEEKS = 52
CHANGED = ChangeSet.of("practices")


@dataclasses.dataclass(frozen=True)
class PracticeFields:
    """The practice's details as the page edits them."""

    code: str
    name: str
    address: str = ""
    phone: str = ""
    tin: str = ""
    npi: str = ""
    after_hours_instructions: str = ""
    active: bool = True
    time_zone: str = "America/New_York"

    def cleaned(self) -> dict:
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        for name, value in values.items():
            if isinstance(value, str):
                values[name] = value.strip()
        values["code"] = values["code"].upper()
        return values


@dataclasses.dataclass(frozen=True)
class PracticeSaved:
    practice_id: int
    changes: ChangeSet = CHANGED


# --- read models ------------------------------------------------------------------------------

def practice_codes(pod) -> list[str]:
    """Every practice's code (inactive ones and the holding place too: their patients' rows
    still show them), for sizing the lists' Practice columns."""
    with pod.engine.connect() as conn:
        return sorted(q.practice_codes(conn).values())


def practices(pod, include_inactive: bool = True) -> list[PracticeListRow]:
    return q.practice_list(pod.engine, include_inactive)


def practice_detail(pod, practice_id: int, *, now: dt.datetime | None = None) -> PracticeDetail:
    """Everything the page shows of one practice; its rota from a week back to eight weeks ahead."""
    now = now or utcnow()
    detail = q.practice_detail(pod.engine, practice_id, now - ROTA_BACK, now + ROTA_AHEAD)
    if detail is None:
        raise NotFound(f"There is no practice with id {practice_id}.")
    return detail


def office_hours(pod, practice_id: int) -> OfficeHours:
    with pod.engine.connect() as conn:
        found = calendar.office_hours_for(conn, [practice_id])
    if practice_id not in found:
        raise NotFound(f"There is no practice with id {practice_id}.")
    return found[practice_id]


def federal_holidays_of(year: int) -> list[tuple[dt.date, str]]:
    """The US federal holidays of a year, observed days included, by date (offices close then)."""
    return sorted(federal_holidays(year).items())


# --- use cases ------------------------------------------------------------------------------------

def _check_code_free(uow, code: str, practice_id: int | None) -> None:
    other = uow.practices.by_code(code)
    if other is not None and other.id != practice_id:
        raise DomainError(f"Practice code {code} is already used by {other.name}.")


def create_practice(pod, fields: PracticeFields, hours: list[OpeningHours] | None = None) -> PracticeSaved:
    """A new practice with its opening hours (Monday to Friday 08:00-17:00 unless given)."""
    values = fields.cleaned()
    if hours is None:
        hours = [OpeningHours(day, opens, closes) for day, (opens, closes) in DEFAULT_HOURS.items()]
    with pod.unit_of_work() as uow:
        _check_code_free(uow, values["code"], None)
        practice = uow.practices.add(Practice(**values))
        calendar.replace_hours(uow, practice.id, hours)
        uow.commit()
        return PracticeSaved(practice.id)


def update_practice(pod, practice_id: int, fields: PracticeFields, *, reason: str = "") -> ChangeSet:
    """Change the practice's details; the earlier values are kept as a revision (audited)."""
    values = fields.cleaned()
    with pod.unit_of_work() as uow:
        practice = uow.practices.get(practice_id)
        _check_code_free(uow, values["code"], practice_id)
        uow.practices.correct(practice, values, reason=reason or "edited on the Practices page")
        uow.commit()
    return CHANGED


def set_opening_hours(pod, practice_id: int, hours: list[OpeningHours]) -> ChangeSet:
    with pod.unit_of_work() as uow:
        uow.practices.get(practice_id)
        calendar.replace_hours(uow, practice_id, hours)
        uow.commit()
    return CHANGED


def add_closed_day(pod, practice_id: int, day: dt.date, reason: str) -> ChangeSet:
    """A day the practice closes besides weekends and federal holidays (a training day)."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise DomainError("Say why the practice is closed that day (e.g. staff training).")
    holiday = federal_holidays(day.year).get(day)
    if holiday:
        raise DomainError(f"{day:%m/%d/%Y} is already a federal holiday ({holiday}); offices are closed then.")
    with pod.unit_of_work() as uow:
        uow.practices.get(practice_id)
        calendar.add_closed_day(uow, practice_id, day, reason)
        uow.commit()
    return CHANGED


def remove_closed_day(pod, practice_id: int, day: dt.date) -> ChangeSet:
    with pod.unit_of_work() as uow:
        uow.practices.get(practice_id)
        calendar.remove_closed_day(uow, practice_id, day)
        uow.commit()
    return CHANGED


def add_clinician(pod, practice_id: int, *, given: str, family: str, credentials: str = "MD",
                  npi: str = "") -> ChangeSet:
    with pod.unit_of_work() as uow:
        uow.practices.get(practice_id)
        uow.clinicians.add(Clinician(practice_id=practice_id, family=family.strip(), given=given.strip(),
                                     credentials=credentials.strip(), npi=npi.strip()))
        uow.commit()
    return CHANGED


def add_on_call_slots(pod, practice_id: int, clinician_id: int, starts_local: dt.datetime, ends_local: dt.datetime,
                      *, weeks: int = 1) -> ChangeSet:
    """Put a clinician on call from ``starts_local`` to ``ends_local`` (the practice's wall
    clock), and the same hours each following week for ``weeks`` weeks in all. Where slots
    overlap, the one that starts last decides who is paged."""
    if not 1 <= weeks <= MAX_REPEAT_WEEKS:
        raise DomainError(f"Repeat for 1 to {MAX_REPEAT_WEEKS} weeks; got {weeks}.")
    with pod.unit_of_work() as uow:
        practice = uow.practices.get(practice_id)
        clinician = uow.clinicians.get(clinician_id)
        if clinician.practice_id != practice_id:
            raise DomainError(f"{clinician.display_name} is not a clinician of {practice.name}.")
        for week in range(weeks):
            shift = dt.timedelta(weeks=week)
            slot = OnCallSlot(practice_id, clinician_id, to_utc(starts_local + shift, practice.time_zone),
                              to_utc(ends_local + shift, practice.time_zone))
            if ends_local <= starts_local:
                raise DomainError("An on-call slot must end after it starts.")
            uow.on_call.add(slot)
        uow.commit()
    return CHANGED


def remove_on_call_slot(pod, slot_id: int, *, now: dt.datetime | None = None) -> ChangeSet:
    now = now or utcnow()
    with pod.unit_of_work() as uow:
        slot = uow.on_call.get(slot_id)
        if slot.starts_at <= now:
            raise DomainError("This slot has started: it stays as the record of who was on call. To change who "
                              "covers the rest of it, add a slot from now on (the slot that starts last decides).")
        calendar.remove_on_call_slot(uow, slot)
        uow.commit()
    return CHANGED
