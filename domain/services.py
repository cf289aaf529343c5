"""Use cases: plain functions ``f(args, uow) -> result``.

The unit of work (``storage.uow.UnitOfWork``, or a fake in tests) gives the
repositories; each service commits once, so a failure leaves nothing half-done.
Services never see a session, a table or a widget.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from domain.errors import DomainError
from domain.gaps import GapOverride
from domain.patient import Patient
from domain.referral import Referral


def open_chart(uow, patient_id: int) -> Patient:
    """The patient whose chart is being opened; the view is audited."""
    patient = uow.patients.get(patient_id)
    uow.audit.record("view", "Patient", patient.id, patient.id, "chart opened")
    uow.commit()
    return patient


def register_patient(uow, **fields: Any) -> int:
    patient = uow.patients.add(Patient(**fields))
    uow.commit()
    return patient.id


def correct_patient(uow, patient_id: int, changes: dict[str, Any], *, reason: str) -> None:
    if not reason.strip():
        raise DomainError("Say why the patient's record is being corrected.")
    uow.patients.correct(uow.patients.get(patient_id), changes, reason=reason)
    uow.commit()


def order_referral(uow, *, patient_id: int, specialty: str, reason: str, urgency: str = "routine",
                   clinician_id: int | None = None, specialist: str = "") -> int:
    uow.patients.get(patient_id)
    referral = Referral.order(by=uow.actor, patient_id=patient_id, specialty=specialty, reason=reason,
                              urgency=urgency, clinician_id=clinician_id, specialist=specialist)
    uow.referrals.add(referral)
    uow.commit()
    return referral.id


def advance_referral(uow, referral_id: int, state: str, *, at: dt.datetime | None = None,
                     note: str = "") -> None:
    uow.referrals.advance(uow.referrals.get(referral_id), state, at=at, note=note)
    uow.commit()


def acknowledge_call(uow, call_id: int) -> None:
    uow.calls.acknowledge(uow.calls.get(call_id))
    uow.commit()


def document_gap_override(uow, *, patient_id: int, measure_id: str, period_start: dt.date,
                          period_end: dt.date, kind: str, reason_code: str, reason: str = "",
                          applies_from: dt.date | None, source: str, confirm_past_period: bool = False,
                          on: dt.date | None = None) -> int:
    """A documented exclusion or "patient declined": a reason from the measure's list, a note,
    the day it applies from and its source, kept with who and when. A measurement year that
    has ended is changed only when ``confirm_past_period`` says the user agreed that the rates
    already reported for it will change."""
    from domain.clock import today
    from domain.gaps import period_has_ended
    from domain.measures.documented_reasons import reasons_for

    on = on or today()
    uow.patients.get(patient_id)
    override = GapOverride(patient_id, measure_id, period_start, period_end, kind, reason, uow.actor,
                           reason_code=reason_code, applies_from=applies_from, source=source)
    override.check_documented(reasons_for(measure_id, kind), on=on)
    if period_has_ended(period_end, on) and not confirm_past_period:
        raise DomainError(f"The measurement period ending {period_end.isoformat()} is over: documenting "
                          "this changes its gap, and the rates already reported for it will change. "
                          "Confirm to go ahead.")
    uow.gap_overrides.add(override)
    uow.commit()
    return override.id


def mark_entered_in_error(uow, repository_name: str, record_id: int, *, reason: str) -> None:
    repository = getattr(uow, repository_name)
    repository.mark_entered_in_error(repository.get(record_id), reason=reason)
    uow.commit()
