"""The night nurse line: entering a call (with its draft saved as she types), the calls waiting
for a call-back, paging the on-call clinician, the overnight log, each practice's morning
hand-off and its acknowledgement, and the printouts.

Which calls the covering care manager's Today list takes: :func:`needs_care_manager` (the
disposition is ``call_911`` or ``ed_now``, or ``follow_up_needed`` is set), read with
:func:`calls_for_care_manager`.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable

from application.changes import ChangeSet
from domain.calls import (
    DISPOSITIONS, PAGE_OUTCOMES, RELATIONS, AfterHoursCall, CallPage, check_call_back, check_received_at, is_late,
    needs_care_manager, practice_action, waited,
)
from domain.clock import today as clock_today
from domain.clock import utcnow
from domain.errors import DomainError, NotFound
from domain.office_hours import OfficeHours, Window, to_local
from domain.text import counted, parse_typed_date
from domain.triage import PROTOCOLS, clean_protocol_name
from storage import call_drafts
from storage.db import write_transaction
from storage.call_drafts import Draft
from storage.practice_calendar import office_hours_for
from storage.queries import calls as q
from storage.queries.calls import CallPractice, CallRow, PageRow
from storage.queries.practices import clinicians_of

__all__ = ["CallEntry", "CallPractice", "CallRow", "PatientContext", "call_practices", "patient_context", "Draft", "Handoff", "OvernightLog", "PageEntry", "PageRow", "SavedCall",
           "WaitingCall", "acknowledge_calls", "call_drafts_of", "call_records", "calls_for_care_manager",
           "discard_draft", "handoff", "lead_list", "link_call_to_patient", "mark_call_entered_in_error",
           "morning_of_night", "needs_care_manager", "on_call_now", "overnight_log", "patient_calls",
           "practice_time", "protocol_choices", "record_page", "save_call", "save_draft", "update_page",
           "waiting_calls"]

CALLS = "calls"


# --- times in the practice's wall clock ----------------------------------------------------------

def practice_time(instant: dt.datetime | None, time_zone: str, *, with_date: bool = True) -> str:
    """'11/01/2026 02:13 EST' (or '02:13 EST'): a stored instant as the practice's clock says it."""
    if instant is None:
        return ""
    local = to_local(instant, time_zone)
    return local.strftime("%m/%d/%Y %H:%M " if with_date else "%H:%M ") + (local.tzname() or time_zone)


def morning_of_night(now_local: dt.datetime) -> dt.date:
    """The morning that ends the night in progress (after noon: tomorrow's), on the nurse's clock."""
    return now_local.date() + dt.timedelta(days=1 if now_local.hour >= 12 else 0)


# --- entering a call -------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class PageEntry:
    clinician_id: int
    paged_at: dt.datetime  # naive UTC
    outcome: str = "awaiting"
    note: str = ""


@dataclasses.dataclass(frozen=True)
class CallEntry:
    """What the call entry form holds. Instants are naive UTC."""

    practice_id: int | None
    received_at: dt.datetime
    caller_name: str
    reason: str
    caller_relation: str = "self"
    caller_phone: str = ""
    patient_id: int | None = None
    patient_name: str = ""  # a caller not yet a patient: whom the call is about
    patient_birth_date: dt.date | None = None
    called_back_at: dt.datetime | None = None  # None on a complete call: answered live
    symptoms: str = ""
    protocol: str = ""
    medications_confirmed: bool = False
    allergies_confirmed: bool = False
    disposition: str = ""
    advice: str = ""
    advice_repeated_back: bool = False
    follow_up_needed: bool = False
    follow_up_note: str = ""
    pages: tuple[PageEntry, ...] = ()
    call_id: int | None = None  # a waiting call being completed
    draft_id: int | None = None  # the draft this entry replaces once saved


@dataclasses.dataclass(frozen=True)
class SavedCall:
    call_id: int
    changes: ChangeSet


def _describe_in(time_zone: str):
    return lambda instant: practice_time(instant, time_zone)


def save_call(pod, entry: CallEntry, *, complete: bool = True, now: dt.datetime | None = None) -> SavedCall:
    """Save the call in one transaction: complete (the nurse spoke with the caller; needs a
    disposition) or waiting for its call-back (needs the caller's phone). A protocol not yet on
    the pod's list is added to it; the entry's draft is deleted with the same commit."""
    now = now or utcnow()
    if entry.practice_id is None:
        raise DomainError("Choose the practice the call is for (it is filled in once the patient is found).")
    if entry.caller_relation not in RELATIONS:
        raise DomainError(f"Unknown caller relation {entry.caller_relation!r}.")
    check_received_at(entry.received_at, now)
    if complete:
        if entry.disposition not in DISPOSITIONS:
            raise DomainError("Choose the disposition (the triage level) before saving the call.")
        called_back = entry.called_back_at or entry.received_at
    else:
        called_back = None
    with pod.unit_of_work() as uow:
        practice = uow.practices.get(entry.practice_id)
        check_call_back(entry.received_at, called_back, _describe_in(practice.time_zone))
        if called_back is not None and called_back > now + dt.timedelta(minutes=5):
            raise DomainError("The call-back cannot be in the future; check its time.")
        if entry.patient_id is not None:
            patient = uow.patients.get(entry.patient_id)
            if patient.practice_id != practice.id:
                raise DomainError(f"{patient.display_name} is a patient of another practice than {practice.name}; "
                                  "choose the patient's practice.")
        protocol = clean_protocol_name(entry.protocol) if entry.protocol.strip() else ""
        if protocol:
            q.add_protocol(uow, protocol)
        values = dict(
            practice_id=practice.id, patient_id=entry.patient_id, received_at=entry.received_at,
            caller_name=entry.caller_name.strip(), caller_relation=entry.caller_relation,
            caller_phone=entry.caller_phone.strip(), called_back_at=called_back, reason=entry.reason.strip(),
            symptoms=entry.symptoms.strip(), protocol=protocol, disposition=entry.disposition if complete else "",
            advice=entry.advice.strip(), advice_repeated_back=entry.advice_repeated_back,
            medications_confirmed=entry.medications_confirmed, allergies_confirmed=entry.allergies_confirmed,
            follow_up_needed=entry.follow_up_needed, follow_up_note=entry.follow_up_note.strip(),
            patient_name="" if entry.patient_id else " ".join(entry.patient_name.split()),
            patient_birth_date=None if entry.patient_id else entry.patient_birth_date,
        )
        if complete:
            values["taken_by"] = uow.actor
        pages = [CallPage(p.clinician_id, p.paged_at, p.outcome, p.note.strip(), by=uow.actor) for p in entry.pages]
        if entry.call_id is None:
            call = AfterHoursCall(**values)
            if not complete:
                call.taken_by = uow.actor
            for page in pages:
                _check_page_clinician(uow, practice.id, page.clinician_id)
                call.add_page(page)
            uow.calls.add(call)
        else:
            call = uow.calls.get(entry.call_id)
            if call.entered_in_error:
                raise DomainError("This call was marked entered-in-error; enter a new call instead.")
            for page in pages:
                _check_page_clinician(uow, practice.id, page.clinician_id)
                call.add_page(page)
            uow.calls.correct(call, values, reason="call-back documented" if complete else "waiting call edited")
            uow.session.flush()
            for page in pages:
                uow.audit.record("change", "AfterHoursCall", call.id, call.patient_id,
                                 f"on-call clinician {page.clinician_id} paged ({page.outcome})")
        if entry.draft_id is not None:
            call_drafts.delete_draft(uow.session.connection(), entry.draft_id)
        uow.commit()
        return SavedCall(call.id, ChangeSet.of(CALLS, "drafts", patients=[call.patient_id] if call.patient_id else ()))


def _check_page_clinician(uow, practice_id: int, clinician_id: int) -> None:
    clinician = uow.clinicians.get(clinician_id)
    if clinician.practice_id != practice_id:
        raise DomainError(f"{clinician.display_name} is not a clinician of this practice; page its own on-call clinician.")


def record_page(pod, call_id: int, page: PageEntry) -> ChangeSet:
    """A page of the on-call clinician about a saved call (audited)."""
    if page.outcome not in PAGE_OUTCOMES:
        raise DomainError(f"Unknown page outcome {page.outcome!r}.")
    with pod.unit_of_work() as uow:
        call = uow.calls.get(call_id)
        _check_page_clinician(uow, call.practice_id, page.clinician_id)
        call.add_page(CallPage(page.clinician_id, page.paged_at, page.outcome, page.note.strip(), by=uow.actor))
        uow.session.flush()
        uow.audit.record("change", "AfterHoursCall", call.id, call.patient_id,
                         f"on-call clinician {page.clinician_id} paged ({page.outcome})")
        uow.commit()
        return ChangeSet.of(CALLS, patients=[call.patient_id] if call.patient_id else ())


def update_page(pod, page_id: int, *, outcome: str, note: str) -> ChangeSet:
    """What came of a page (the clinician called back, no answer); the earlier outcome is kept."""
    if outcome not in PAGE_OUTCOMES:
        raise DomainError(f"Unknown page outcome {outcome!r}.")
    with pod.unit_of_work() as uow:
        page = uow.session.get(CallPage, page_id)
        if page is None:
            raise NotFound(f"There is no page with id {page_id}.")
        call = uow.calls.get(page.call_id)
        uow.calls.correct(page, {"outcome": outcome, "note": note.strip()}, reason="page outcome")
        uow.commit()
        return ChangeSet.of(CALLS, patients=[call.patient_id] if call.patient_id else ())


def acknowledge_calls(pod, call_ids: Iterable[int], *, at: dt.datetime | None = None) -> ChangeSet:
    """The practice acknowledges these calls (who: the staff member using Carepod; when: now),
    all or none; each acknowledgement is audited."""
    ids = list(dict.fromkeys(call_ids))
    if not ids:
        raise DomainError("Choose the calls to acknowledge.")
    patients = []
    with pod.unit_of_work() as uow:
        for call_id in ids:
            call = uow.calls.get(call_id)
            uow.calls.acknowledge(call, at)
            if call.patient_id:
                patients.append(call.patient_id)
        uow.commit()
    return ChangeSet.of(CALLS, patients=patients)


def link_call_to_patient(pod, call_id: int, patient_id: int) -> ChangeSet:
    """A call from someone not yet a patient, linked to the patient's record once it exists."""
    with pod.unit_of_work() as uow:
        call = uow.calls.get(call_id)
        patient = uow.patients.get(patient_id)
        if call.patient_id is not None:
            raise DomainError("This call is already linked to a patient.")
        if patient.practice_id != call.practice_id:
            raise DomainError(f"{patient.display_name} is a patient of another practice than the call's.")
        uow.calls.correct(call, {"patient_id": patient_id}, reason=f"linked to patient (was {call.who_for!r})")
        uow.commit()
    return ChangeSet.of(CALLS, patients=[patient_id])


def mark_call_entered_in_error(pod, call_id: int, reason: str) -> ChangeSet:
    with pod.unit_of_work() as uow:
        call = uow.calls.get(call_id)
        uow.calls.mark_entered_in_error(call, reason=reason)
        uow.commit()
        return ChangeSet.of(CALLS, patients=[call.patient_id] if call.patient_id else ())


# --- drafts ------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class DraftSaved:
    draft_id: int


def save_draft(pod, draft_id: int | None, content: dict, *, now: dt.datetime | None = None) -> DraftSaved:
    """Keep the unfinished entry (its fields as typed) for the staff member; its draft id."""
    return DraftSaved(call_drafts.save_draft(pod.engine, pod.actor(), draft_id, content, now or utcnow()))


def call_drafts_of(pod) -> list[Draft]:
    """The staff member's unfinished call entries, most recent first."""
    return call_drafts.drafts_of(pod.engine, pod.actor())


def discard_draft(pod, draft_id: int) -> ChangeSet:
    with write_transaction(pod.engine) as conn:  # a staff save: begun as a write (storage.db)
        call_drafts.delete_draft(conn, draft_id)
    return ChangeSet.of("drafts")


# --- what the entry form looks up -----------------------------------------------------------------------

def call_practices(pod) -> list[CallPractice]:
    """The pod's active practices with their time zone and after-hours instructions."""
    return q.call_practices(pod.engine)


@dataclasses.dataclass(frozen=True)
class PatientContext:
    """What the nurse confirms with the caller: the patient's active medications and allergies."""

    patient_id: int
    medications: tuple[str, ...]
    allergies: tuple[str, ...]


def patient_context(pod, patient_id: int) -> PatientContext:
    from application.chart import read_chart

    chart = read_chart(pod, patient_id)
    return PatientContext(patient_id, tuple(f.display or f.code for f in chart.active_medications),
                          tuple(f.display or f.code for f in chart.allergies))


def practice_clinicians(pod, practice_id: int) -> list[tuple[int, str]]:
    """(id, name) of the practice's active clinicians, whom the nurse can page."""
    with pod.engine.connect() as conn:
        return [(c.id, c.name) for c in clinicians_of(conn, practice_id) if c.active]


def protocol_choices(pod) -> list[str]:
    return q.protocol_names(pod.engine)


def on_call_now(pod, practice_id: int, at: dt.datetime | None = None) -> tuple[int, str] | None:
    """(clinician id, name) on call for the practice at that moment by its rota, or None."""
    return q.on_call_clinician(pod.engine, practice_id, at or utcnow())


def office_hours_of(pod, practice_ids: Iterable[int] | None = None) -> dict[int, OfficeHours]:
    with pod.engine.connect() as conn:
        return office_hours_for(conn, practice_ids)


def parse_birth_date(text: str, *, today: dt.date | None = None) -> dt.date | None:
    """A typed birth date ('3/4/1957'); None for nothing typed, a DomainError for a bad one or
    one after today (a caller cannot be born tomorrow)."""
    if not (text or "").strip():
        return None
    today = today or clock_today()
    day = parse_typed_date(text, today=today)
    if day is None:
        raise DomainError(f"{text!r} is not a date; type it as 03/04/1957.")
    if day > today:
        raise DomainError(f"The birth date {day:%m/%d/%Y} is after today; type it as 03/04/1957.")
    return day


# --- the night's calls ------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class WaitingCall:
    call: CallRow
    waited: dt.timedelta
    late: bool  # past the 30-minute call-back target


def waiting_calls(pod, now: dt.datetime | None = None) -> list[WaitingCall]:
    """Calls waiting for their call-back across the pod, longest waiting first."""
    now = now or utcnow()
    return [WaitingCall(call, waited(call.received_at, now), is_late(call.received_at, now))
            for call in q.waiting_calls(pod.engine)]


@dataclasses.dataclass(frozen=True)
class OvernightLog:
    morning: dt.date
    calls: tuple[CallRow, ...]  # newest first
    windows: dict[int, Window]  # each practice's night


def overnight_log(pod, morning: dt.date, *, practice_id: int | None = None,
                  disposition: str | None = None) -> OvernightLog:
    """The calls of the night that ends on ``morning``, across the pod or for one practice: each
    practice's own night (from its closing to its opening, in its time zone)."""
    offices = office_hours_of(pod, None if practice_id is None else [practice_id])
    windows = {pid: office.overnight(morning) for pid, office in offices.items()}
    if not windows:
        return OvernightLog(morning, (), {})
    start, end = min(w.start for w in windows.values()), max(w.end for w in windows.values())
    rows = q.calls_received(pod.engine, start, end, practice_ids=None if practice_id is None else [practice_id],
                            dispositions=None if disposition is None else [disposition])
    mine = [r for r in rows if r.practice_id in windows and r.received_at in windows[r.practice_id]]
    return OvernightLog(morning, tuple(reversed(mine)), windows)


@dataclasses.dataclass(frozen=True)
class Handoff:
    practice_id: int
    practice_code: str
    practice_name: str
    time_zone: str
    practice_phone: str
    after_hours_instructions: str
    morning: dt.date
    window: Window
    acknowledge_by: dt.datetime  # mid-morning: two hours after the office opens
    calls: tuple[CallRow, ...]  # oldest first, with their pages

    @staticmethod
    def action(call: CallRow) -> str:
        return practice_action(call.disposition, call.follow_up_note, call.follow_up_needed)

    @property
    def unacknowledged(self) -> list[CallRow]:
        return [c for c in self.calls if c.acknowledged_at is None and not c.waiting]

    def time(self, instant: dt.datetime | None, with_date: bool = True) -> str:
        return practice_time(instant, self.time_zone, with_date=with_date)

    @property
    def night_label(self) -> str:
        label = f"{self.time(self.window.start)} to {self.time(self.window.end)}"
        daytime = sum(1 for c in self.calls if c.received_at < self.window.start)
        return label + (f", and {counted(daytime, 'call')} taken while the office was open before it" if daytime else "")


def _practice_by_code_or_id(uow, practice: int | str):
    if isinstance(practice, str):
        found = uow.practices.by_code(practice.strip().upper())
        if found is None:
            raise NotFound(f"There is no practice with code {practice!r}.")
        return found
    return uow.practices.get(practice)


def handoff(pod, practice: int | str, morning: dt.date) -> Handoff:
    """Every call of the practice's night that ends on ``morning`` (from its closing to its
    opening), with what the practice must do about each. ``practice``: its id or its code."""
    with pod.unit_of_work() as uow:
        found = _practice_by_code_or_id(uow, practice)
        details = (found.id, found.code, found.name, found.time_zone, found.phone, found.after_hours_instructions)
    office = office_hours_of(pod, [details[0]])[details[0]]
    window = office.overnight(morning)
    covered = office.hand_off(morning)  # the night, and the day's office hours before it
    calls = q.calls_received(pod.engine, covered.start, covered.end, practice_ids=[details[0]], with_pages=True)
    return Handoff(*details, morning=morning, window=window, acknowledge_by=office.mid_morning(morning),
                   calls=tuple(calls))


@dataclasses.dataclass(frozen=True)
class OverdueAcknowledgement:
    call: CallRow
    due: dt.datetime  # mid-morning of the practice's hand-off


def lead_list(pod, now: dt.datetime | None = None) -> list[OverdueAcknowledgement]:
    """Calls no practice acknowledged by mid-morning of their hand-off (two hours after the
    office opened): they stay on the nurse lead's list until acknowledged."""
    now = now or utcnow()
    calls = q.unacknowledged_calls(pod.engine)
    offices = office_hours_of(pod, {c.practice_id for c in calls})
    overdue = []
    for call in calls:
        office = offices[call.practice_id]
        due = office.mid_morning(office.hand_off_morning(call.received_at))
        if due <= now:
            overdue.append(OverdueAcknowledgement(call, due))
    return overdue


def call_records(pod, call_ids: Iterable[int]) -> list[CallRow]:
    return q.calls_by_ids(pod.engine, call_ids)


def patient_calls(pod, patient_id: int) -> list[CallRow]:
    return q.patient_calls(pod.engine, patient_id)


def calls_for_care_manager(pod, practice_ids: Iterable[int] | None, since: dt.datetime) -> list[CallRow]:
    """Calls since ``since`` that the covering care manager follows up: sent to the ED or by
    911, or flagged for follow-up (``needs_care_manager``)."""
    rows = q.calls_received(pod.engine, since, utcnow() + dt.timedelta(days=1), practice_ids=practice_ids)
    return [r for r in rows if r.patient_id is not None and needs_care_manager(r.disposition, r.follow_up_needed)]
