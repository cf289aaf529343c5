"""Printing after-hours calls: a practice's morning hand-off sheet and the call record for the
chart (one call per page). Each print is audited, call by call, so each patient's audit trail
shows that the call was printed and by whom."""
from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import os
from collections.abc import Iterable

from application.calls import CallRow, Handoff, handoff, practice_time
from application.changes import ChangeSet
from domain.calls import DISPOSITION_LABELS, PAGE_OUTCOME_LABELS, RELATION_LABELS, practice_action
from domain.errors import DomainError
from reports.base import PatientLine, ReportWriteFailed
from reports.calls_pdf import CallRecord, CallRecordsReport, HandoffSheet, HandoffSheetReport, SheetCall
from storage.queries import calls as q

__all__ = ["Printed", "call_record", "handoff_sheet", "print_call_records", "print_handoff"]


@dataclasses.dataclass(frozen=True)
class Printed:
    path: str
    calls: int
    changes: ChangeSet = ChangeSet.of("audit")


def _date(day: dt.date | None) -> str:
    return day.strftime("%m/%d/%Y") if day else ""


def patient_line(call: CallRow) -> str:
    if call.patient_id is not None:
        return f"{call.patient_display} · MRN {call.mrn} · born {_date(call.birth_date)}"
    born = f", born {_date(call.patient_birth_date)}" if call.patient_birth_date else ""
    return f"Not yet a patient: {call.patient_display or 'name not given'}{born}"


def caller_line(call: CallRow) -> str:
    relation = RELATION_LABELS.get(call.caller_relation, call.caller_relation)
    phone = f" · {call.caller_phone}" if call.caller_phone else ""
    return f"{call.caller_name} ({relation.lower()}){phone}"


def disposition_label(call: CallRow) -> str:
    return DISPOSITION_LABELS.get(call.disposition, call.disposition) if call.disposition else "Waiting for call-back"


def pages_lines(call: CallRow) -> list[tuple[str, str, str, str]]:
    return [(practice_time(p.paged_at, call.time_zone), p.clinician, PAGE_OUTCOME_LABELS.get(p.outcome, p.outcome),
             p.note + (f" (paged by {p.by})" if p.by else "")) for p in call.pages]


def handoff_sheet(data: Handoff, *, by: str) -> HandoffSheet:
    counts = collections.Counter(disposition_label(c) for c in data.calls)
    calls = []
    for number, call in enumerate(data.calls, start=1):
        acknowledged = (f"{call.acknowledged_by}, {practice_time(call.acknowledged_at, call.time_zone)}"
                        if call.acknowledged_at else "")
        calls.append(SheetCall(
            number=number, received=practice_time(call.received_at, call.time_zone), patient=patient_line(call),
            caller=caller_line(call), reason="\n".join(x for x in (call.reason, call.symptoms) if x),
            disposition=disposition_label(call), urgent=call.disposition in ("call_911", "ed_now"),
            action=data.action(call),
            pages="\n".join(f"{a} {b}: {c}" for a, b, c, _ in pages_lines(call)),
            acknowledged=acknowledged))
    return HandoffSheet(
        practice=f"{data.practice_name} ({data.practice_code})",
        night=data.night_label, acknowledge_by=data.time(data.acknowledge_by),
        counts=sorted(counts.items(), key=lambda kv: -kv[1]), calls=calls, by=by)


def _write(report, path) -> None:
    try:
        report.write(path)
    except ReportWriteFailed as exc:
        raise DomainError(str(exc)) from None


def print_handoff(pod, practice: int | str, morning: dt.date, path: str | os.PathLike) -> Printed:
    """The practice's hand-off sheet for the night that ends on ``morning``, as PDF (audited)."""
    data = handoff(pod, practice, morning)
    actor = pod.actor()
    _write(HandoffSheetReport(handoff_sheet(data, by=actor)), path)
    with pod.unit_of_work() as uow:
        uow.audit.record("print", "Practice", data.practice_id, None,
                         f"hand-off sheet of {morning.isoformat()} ({len(data.calls)} calls)")
        for call in data.calls:
            uow.audit.record("print", "AfterHoursCall", call.id, call.patient_id, "hand-off sheet")
        uow.commit()
    return Printed(str(path), len(data.calls))


def call_record(call: CallRow) -> CallRecord:
    t = lambda instant: practice_time(instant, call.time_zone)  # noqa: E731
    callback = ""
    if call.called_back_at is not None:
        minutes = int((call.called_back_at - call.received_at).total_seconds() // 60)
        callback = t(call.called_back_at) + (" (answered live)" if minutes == 0 else f" ({minutes} min after the call)")
    fields = [
        ("Received", t(call.received_at)),
        ("Nurse spoke with caller", callback or "Not yet: waiting for call-back"),
        ("Caller", caller_line(call)),
        ("Reason", call.reason),
        ("Symptoms", call.symptoms),
        ("Protocol used", call.protocol),
        ("Medications confirmed", "Yes" if call.medications_confirmed else "No"),
        ("Allergies confirmed", "Yes" if call.allergies_confirmed else "No"),
        ("Disposition", disposition_label(call)),
        ("Advice given", call.advice),
        ("Caller repeated the advice back", "Yes" if call.advice_repeated_back else "No"),
        ("Follow-up needed", "Yes" if call.follow_up_needed else "No"),
        ("The practice must", practice_action(call.disposition, call.follow_up_note, call.follow_up_needed)),
        ("Taken by", call.taken_by),
        ("Acknowledged by the practice", f"{call.acknowledged_by}, {t(call.acknowledged_at)}"
         if call.acknowledged_at else "Not yet"),
    ]
    if call.patient_id is not None:
        patient = PatientLine(call.patient_display, call.birth_date, call.mrn)
    else:
        patient = PatientLine(f"Not yet a patient: {call.patient_display or 'name not given'}", call.patient_birth_date)
    return CallRecord(practice=f"{call.practice_name} ({call.practice_code})", patient=patient,
                      night=f"Call of {t(call.received_at)}", title=f"After-hours call of {t(call.received_at)}",
                      fields=fields, pages=pages_lines(call),
                      status="Entered in error: this call record is not valid." if call.entered_in_error else "")


def print_call_records(pod, call_ids: Iterable[int], path: str | os.PathLike) -> Printed:
    """The call records for the practice's chart, one call per page (audited per call)."""
    calls = q.calls_by_ids(pod.engine, call_ids)
    if not calls:
        raise DomainError("Choose the calls to print.")
    actor = pod.actor()
    _write(CallRecordsReport([call_record(c) for c in calls], actor), path)
    with pod.unit_of_work() as uow:
        for call in calls:
            uow.audit.record("print", "AfterHoursCall", call.id, call.patient_id, "call record")
        uow.commit()
    return Printed(str(path), len(calls))
