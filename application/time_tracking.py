"""Time for chronic and transitional care: the chart's running timer, manual entries (backdating
allowed, with a trail of who entered them when), corrections, and care management consent."""
from __future__ import annotations

import dataclasses
import datetime as dt

from application.changes import ChangeSet
from domain import clock
from domain.errors import DomainError
from domain.patient import CONSENT_METHODS
from domain.time_entry import (ACTIVITIES, PROGRAMME_LABELS, RunningTimer, TimeEntry, check_not_claimed)
from storage.queries import care_management as care_queries

__all__ = ["TimerStarted", "start_timer", "running_timers", "stop_timer", "discard_timer", "log_time",
           "mark_time_entry_in_error", "record_consent", "withdraw_consent", "local_start", "staff_names"]


def staff_names(pod) -> list[str]:
    """The pod's active staff, for choosing who did the work."""
    return care_queries.active_staff(pod.engine)


def local_start(day: dt.date, at: dt.time) -> dt.datetime:
    """A local date and time of day as the naive UTC instant the database keeps."""
    return dt.datetime.combine(day, at).astimezone().astimezone(dt.timezone.utc).replace(tzinfo=None)


def _local_day(instant: dt.datetime) -> dt.date:
    return instant.replace(tzinfo=dt.timezone.utc).astimezone().date()


@dataclasses.dataclass(frozen=True)
class TimerStarted:
    timer_id: int
    started_at: dt.datetime
    resumed: bool  # the timer was already running (after a crash, or on another chart tab)
    changes: ChangeSet


def running_timers(pod, staff: str | None = None, patient_id: int | None = None) -> list[care_queries.TimerRow]:
    """Timers still running (a crash keeps them), oldest first."""
    return care_queries.running_timers(pod.engine, staff=staff, patient_id=patient_id)


def start_timer(pod, patient_id: int, *, activity: str = "care_coordination", programme: str = "ccm") -> TimerStarted:
    """Start the current staff member's timer on a chart, written at once. The one already
    running on this chart continues; one running on another patient's chart must be stopped first."""
    with pod.unit_of_work() as uow:
        uow.patients.get(patient_id)
        running = uow.timers.running(staff=uow.actor)
        same = next((r for r in running if r.patient_id == patient_id), None)
        if same is not None:
            return TimerStarted(same.id, same.started_at, True, ChangeSet.of("time", patients=[patient_id]))
        if running:
            other = uow.patients.get(running[0].patient_id)
            raise DomainError(f"Your timer for {other.display_name} has been running since "
                              f"{_clock(running[0].started_at)}; stop it on that chart first.")
        if activity not in ACTIVITIES or programme not in PROGRAMME_LABELS:
            raise DomainError("Choose the activity and the programme the minutes are for.")
        timer = uow.timers.add(RunningTimer(staff=uow.actor, patient_id=patient_id, started_at=clock.utcnow(),
                                            activity=activity, programme=programme))
        uow.commit()
        return TimerStarted(timer.id, timer.started_at, False, ChangeSet.of("time", patients=[patient_id]))


def _clock(instant: dt.datetime) -> str:
    return instant.replace(tzinfo=dt.timezone.utc).astimezone().strftime("%H:%M on %m/%d/%Y")


def stop_timer(pod, timer_id: int, *, minutes: int, activity: str, programme: str,
               performer: str = "clinical_staff", note: str = "") -> ChangeSet:
    """Stop the timer and keep its minutes as a time entry starting when the timer did."""
    with pod.unit_of_work() as uow:
        timer = uow.timers.get(timer_id)
        if timer.state != "running":
            raise DomainError(f"This timer was already {timer.state}.")
        entry = _new_entry(uow, timer.patient_id, staff=timer.staff, started_at=timer.started_at,
                           entry_date=_local_day(timer.started_at), minutes=minutes, activity=activity,
                           programme=programme, performer=performer, note=note)
        uow.timers.stop(timer, "saved", entry.id)
        uow.commit()
        return ChangeSet.of("time", patients=[timer.patient_id])


def discard_timer(pod, timer_id: int, reason: str) -> ChangeSet:
    """Stop the timer without logging its minutes (started by mistake), saying why."""
    if len(reason.strip()) < 3:
        raise DomainError("Say why the timer's minutes are not kept.")
    with pod.unit_of_work() as uow:
        timer = uow.timers.get(timer_id)
        timer.note = reason.strip()
        uow.timers.stop(timer, "discarded")
        uow.commit()
        return ChangeSet.of("time", patients=[timer.patient_id])


def log_time(pod, patient_id: int, *, entry_date: dt.date, start: dt.time | None, minutes: int, staff: str,
             activity: str, programme: str, performer: str = "clinical_staff", note: str = "") -> ChangeSet:
    """A manual entry: any past day (the entry keeps who entered it and when), never the future."""
    with pod.unit_of_work() as uow:
        started_at = None if start is None else local_start(entry_date, start)
        _new_entry(uow, patient_id, staff=staff.strip(), started_at=started_at, entry_date=entry_date,
                   minutes=minutes, activity=activity, programme=programme, performer=performer, note=note)
        uow.commit()
    return ChangeSet.of("time", patients=[patient_id])


def _new_entry(uow, patient_id: int, *, staff: str, started_at, entry_date, minutes, activity, programme,
               performer, note) -> TimeEntry:
    patient = uow.patients.get(patient_id)
    if uow.staff.by_name(staff) is None:
        raise DomainError(f"There is no staff member called {staff!r} in this pod.")
    now = clock.utcnow()
    entry = TimeEntry(staff=staff, patient_id=patient_id, minutes=minutes, activity=activity, entry_date=entry_date,
                      note=note.strip(), programme=programme, performer=performer, started_at=started_at,
                      practice_id=patient.practice_id, recorded_at=now, recorded_by=uow.actor)
    entry.validate(now=now, today=clock.today())
    near = uow.time_entries.of_staff(staff, entry_date - dt.timedelta(days=1), entry_date + dt.timedelta(days=1))

    def describe(other: TimeEntry) -> str:
        who = uow.patients.get(other.patient_id).display_name
        start = other.started_at.replace(tzinfo=dt.timezone.utc).astimezone()
        end = other.ends_at.replace(tzinfo=dt.timezone.utc).astimezone()
        return (f"{start:%H:%M}–{end:%H:%M} on {start:%m/%d/%Y} for {who} "
                f"({PROGRAMME_LABELS.get(other.programme, other.programme)})")

    check_not_claimed(entry, near, describe)
    return uow.time_entries.add(entry)


def mark_time_entry_in_error(pod, entry_id: int, reason: str) -> ChangeSet:
    with pod.unit_of_work() as uow:
        entry = uow.time_entries.get(entry_id)
        uow.time_entries.mark_entered_in_error(entry, reason=reason)
        uow.commit()
        return ChangeSet.of("time", patients=[entry.patient_id])


# --- consent ---------------------------------------------------------------------------------------

def record_consent(pod, patient_id: int, *, given_on: dt.date, method: str) -> ChangeSet:
    """Consent to care management: the day it was given, how; who recorded it is the current user.
    A new consent after a withdrawal replaces it (the earlier one is kept as a revision)."""
    if method not in CONSENT_METHODS:
        raise DomainError(f"Say how consent was given: {', '.join(CONSENT_METHODS)}.")
    if given_on > clock.today():
        raise DomainError(f"Consent cannot be recorded for a day still to come ({given_on.isoformat()}).")
    with pod.unit_of_work() as uow:
        patient = uow.patients.get(patient_id)
        if patient.consent_date is not None and patient.consent_withdrawn_on is None:
            raise DomainError(f"Consent is already on record since {patient.consent_date.isoformat()}.")
        if patient.consent_withdrawn_on is not None and given_on <= patient.consent_withdrawn_on:
            raise DomainError(f"Consent was withdrawn on {patient.consent_withdrawn_on.isoformat()}; a new "
                              "consent must be dated after that.")
        uow.patients.correct(patient, {"consent_date": given_on, "consent_method": method, "consent_by": uow.actor,
                                       "consent_withdrawn_on": None}, reason="care management consent recorded")
        uow.commit()
    return ChangeSet.of("patients", "time", patients=[patient_id])


def withdraw_consent(pod, patient_id: int, *, on: dt.date, reason: str = "") -> ChangeSet:
    """Consent withdrawn: minutes still count to the end of that month, none after."""
    if on > clock.today():
        raise DomainError(f"A withdrawal cannot be recorded for a day still to come ({on.isoformat()}).")
    with pod.unit_of_work() as uow:
        patient = uow.patients.get(patient_id)
        if patient.consent_date is None or patient.consent_withdrawn_on is not None:
            raise DomainError("There is no consent on record to withdraw.")
        uow.patients.correct(patient, {"consent_withdrawn_on": on},
                             reason=reason.strip() or "care management consent withdrawn")
        uow.commit()
    return ChangeSet.of("patients", "time", patients=[patient_id])
