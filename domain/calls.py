"""After-hours calls: taken at night for any practice, handed over in the morning.

A call is logged when it comes in (the answering service's message, a voicemail) and is
**waiting** until the nurse speaks with the caller (``called_back_at``; for a call she answers
live, the moment it was received). Once she has spoken with the caller it carries a
**disposition** in the standard telephone-triage levels, from "call 911 now" to "home care",
or says that the on-call clinician was paged. Pages of the on-call clinician are kept one by
one (:class:`CallPage`: when, whom, the outcome).

The disposition codes before the triage levels (self_care, office_next_day, urgent_care, ed,
911, on_call_paged) were mapped onto them by migration 0010 (:data:`LEGACY_DISPOSITIONS`).
"""
from __future__ import annotations

import dataclasses
import datetime as dt

from domain.clock import utcnow
from domain.errors import DomainError

# the standard triage levels, most urgent first, and the on-call clinician taking the decision
DISPOSITIONS = ("call_911", "ed_now", "see_within_4h", "see_within_24h", "see_within_3d", "home_care",
                "on_call_paged")
DISPOSITION_LABELS = {
    "call_911": "Call 911 now",
    "ed_now": "Emergency department now",
    "see_within_4h": "See today within 4 hours",
    "see_within_24h": "See within 24 hours",
    "see_within_3d": "See within 3 days",
    "home_care": "Home care",
    "on_call_paged": "On-call clinician paged",
}
# what each level asks of the practice the next morning
PRACTICE_ACTIONS = {
    "call_911": "Sent by 911: find out what happened (ED visit, admission) and arrange follow-up.",
    "ed_now": "Sent to the emergency department: find out the outcome and arrange follow-up after discharge.",
    "see_within_4h": "Told to be seen within 4 hours (urgent care or the office): confirm the patient was seen.",
    "see_within_24h": "Offer an appointment within 24 hours.",
    "see_within_3d": "Offer an appointment within 3 days.",
    "home_care": "Home care advised: nothing to do unless a follow-up is asked for.",
    "on_call_paged": "Decided by the on-call clinician: read their instructions and act on them.",
}
# codes of the first version → the triage level with the same meaning (migration 0010)
LEGACY_DISPOSITIONS = {
    "self_care": "home_care",
    "office_next_day": "see_within_24h",
    "urgent_care": "see_within_4h",
    "ed": "ed_now",
    "911": "call_911",
    "on_call_paged": "on_call_paged",
}
# dispositions that put the call on the covering care manager's Today list (besides any call
# with follow_up_needed): the patient went to the emergency department or was sent by 911
CARE_MANAGER_DISPOSITIONS = ("call_911", "ed_now")
RELATIONS = ("self", "parent", "spouse", "child", "caregiver", "other")
RELATION_LABELS = {"self": "The patient", "parent": "Parent", "spouse": "Spouse or partner", "child": "Son or daughter",
                   "caregiver": "Caregiver", "other": "Other"}

PAGE_OUTCOMES = ("awaiting", "reached", "no_answer")
PAGE_OUTCOME_LABELS = {"awaiting": "Awaiting the clinician's call", "reached": "Clinician called back",
                       "no_answer": "No answer"}

# a waiting caller should be called back within this long; later ones stand out
CALLBACK_TARGET = dt.timedelta(minutes=30)
# a call's received time may be ahead of this clock by a little (another workstation's clock)
CLOCK_TOLERANCE = dt.timedelta(minutes=5)


@dataclasses.dataclass(eq=False)
class CallPage:
    """One page of the on-call clinician about a call: when, whom, by whom, and what came of it."""

    clinician_id: int
    paged_at: dt.datetime
    outcome: str = "awaiting"
    note: str = ""  # the clinician's instructions, or what was tried
    by: str = ""
    call_id: int | None = None
    id: int | None = None

    def validate(self) -> None:
        if self.outcome not in PAGE_OUTCOMES:
            raise DomainError(f"Unknown page outcome {self.outcome!r}.")


@dataclasses.dataclass(eq=False)
class AfterHoursCall:
    practice_id: int
    received_at: dt.datetime
    caller_name: str
    reason: str
    patient_id: int | None = None
    caller_relation: str = "self"
    caller_phone: str = ""
    called_back_at: dt.datetime | None = None
    symptoms: str = ""
    protocol: str = ""
    disposition: str = ""  # "" while the call waits for its call-back
    advice: str = ""
    escalated_to_id: int | None = None  # the clinician paged last (its pages are in ``pages``)
    escalated_at: dt.datetime | None = None
    follow_up_needed: bool = False
    taken_by: str = ""
    acknowledged_by: str = ""
    acknowledged_at: dt.datetime | None = None
    entered_in_error: bool = False
    # a caller not yet a patient of the pod: who the call is about, linked to a patient later
    patient_name: str = ""
    patient_birth_date: dt.date | None = None
    medications_confirmed: bool = False
    allergies_confirmed: bool = False
    advice_repeated_back: bool = False
    follow_up_note: str = ""  # what the practice must do, in the nurse's words
    pages: list[CallPage] = dataclasses.field(default_factory=list)
    id: int | None = None

    @property
    def waiting(self) -> bool:
        """Logged, but nobody has spoken with the caller yet."""
        return self.called_back_at is None

    def validate(self) -> None:
        if not (self.caller_name or "").strip():
            raise DomainError("A call needs the caller's name.")
        if not (self.reason or "").strip():
            raise DomainError("A call needs a reason.")
        if self.caller_relation not in RELATIONS:
            raise DomainError(f"Unknown caller relation {self.caller_relation!r}.")
        if self.patient_id is None and self.caller_relation != "self" and not (self.patient_name or "").strip():
            raise DomainError("The caller is not the patient: a call for someone not yet a patient needs "
                              "the patient's name.")
        check_call_back(self.received_at, self.called_back_at)
        if self.waiting:
            if self.disposition:
                raise DomainError("A call waiting for its call-back has no disposition yet.")
            if not (self.caller_phone or "").strip():
                raise DomainError("A call waiting for a call-back needs the caller's phone number.")
        elif self.disposition not in DISPOSITIONS:
            raise DomainError(f"Unknown disposition {self.disposition!r}." if self.disposition else
                              "A call needs a disposition once the nurse has spoken with the caller.")
        if self.disposition == "on_call_paged" and self.escalated_to_id is None:
            raise DomainError("Paging the on-call clinician needs the clinician paged.")

    def acknowledge(self, by: str, at: dt.datetime | None = None) -> None:
        if self.entered_in_error:
            raise DomainError("This call was marked entered-in-error; there is nothing to acknowledge.")
        if self.waiting:
            raise DomainError("This call still waits for its call-back; it can be acknowledged once it is complete.")
        if self.acknowledged_at is not None:
            raise DomainError(f"Already acknowledged by {self.acknowledged_by}.")
        if not by:
            raise DomainError("Acknowledging a call must say who.")
        self.acknowledged_by, self.acknowledged_at = by, at or utcnow()

    def add_page(self, page: CallPage) -> None:
        """Record a page of the on-call clinician; the call names the clinician paged last."""
        page.validate()
        if page.paged_at < self.received_at:
            raise DomainError("The clinician cannot have been paged before the call was received.")
        self.pages.append(page)
        latest = max(self.pages, key=lambda p: p.paged_at)
        self.escalated_to_id, self.escalated_at = latest.clinician_id, latest.paged_at

    @property
    def callback_minutes(self) -> int | None:
        if self.called_back_at is None:
            return None
        return int((self.called_back_at - self.received_at).total_seconds() // 60)

    @property
    def needs_care_manager(self) -> bool:
        return needs_care_manager(self.disposition, self.follow_up_needed)

    @property
    def who_for(self) -> str:
        """Whom the call is about, when not (yet) a patient of the pod."""
        return (self.patient_name or "").strip() or (self.caller_name if self.caller_relation == "self" else "")


def check_call_back(received_at: dt.datetime, called_back_at: dt.datetime | None, describe=None) -> None:
    """The call-back cannot come before the call; ``describe(instant)`` writes the times in
    the message (the practice's wall clock), which then says both."""
    if called_back_at is None or called_back_at >= received_at:
        return
    if describe is None:
        raise DomainError("The call-back cannot be before the call was received.")
    raise DomainError(f"The call-back ({describe(called_back_at)}) cannot be before the call was received "
                      f"({describe(received_at)}); check both times.")


def needs_care_manager(disposition: str, follow_up_needed: bool) -> bool:
    """The call belongs on the covering care manager's Today list: sent to the emergency
    department or by 911, or a follow-up was asked for."""
    return disposition in CARE_MANAGER_DISPOSITIONS or bool(follow_up_needed)


def practice_action(disposition: str, follow_up_note: str = "", follow_up_needed: bool = False) -> str:
    """What the practice must do about a call the next morning, as the hand-off says it."""
    action = PRACTICE_ACTIONS.get(disposition, "Still waiting for the nurse's call-back.")
    note = (follow_up_note or "").strip()
    if note:
        return f"{note} — {action}" if disposition not in ("home_care", "") else note
    if follow_up_needed and disposition == "home_care":
        return "Follow-up asked for: call the patient to check how they are."
    return action


def waited(received_at: dt.datetime, now: dt.datetime) -> dt.timedelta:
    """How long a waiting caller has waited (never negative)."""
    return max(now - received_at, dt.timedelta(0))


def is_late(received_at: dt.datetime, now: dt.datetime, target: dt.timedelta = CALLBACK_TARGET) -> bool:
    """Waited longer than the call-back target (30 minutes exactly is still on time)."""
    return waited(received_at, now) > target


def duration_label(span: dt.timedelta) -> str:
    """'7 min', '1 h 05 min', '2 d 3 h' — how long, in whole minutes."""
    minutes = int(span.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


def check_received_at(received_at: dt.datetime, now: dt.datetime | None = None) -> None:
    if received_at > (now or utcnow()) + CLOCK_TOLERANCE:
        raise DomainError("The call cannot have been received in the future; check the date and time.")
