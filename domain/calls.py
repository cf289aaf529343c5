"""After-hours calls: taken at night for any practice, handed over in the morning."""
from __future__ import annotations

import dataclasses
import datetime as dt

from domain.clock import utcnow
from domain.errors import DomainError

DISPOSITIONS = ("self_care", "office_next_day", "urgent_care", "ed", "911", "on_call_paged")
DISPOSITION_LABELS = {
    "self_care": "Self-care", "office_next_day": "Call office next day",
    "urgent_care": "Urgent care", "ed": "Emergency department", "911": "911",
    "on_call_paged": "On-call clinician paged",
}
RELATIONS = ("self", "parent", "spouse", "child", "caregiver", "other")


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
    disposition: str = "self_care"
    advice: str = ""
    escalated_to_id: int | None = None
    escalated_at: dt.datetime | None = None
    follow_up_needed: bool = False
    taken_by: str = ""
    acknowledged_by: str = ""
    acknowledged_at: dt.datetime | None = None
    entered_in_error: bool = False
    id: int | None = None

    def validate(self) -> None:
        if not (self.caller_name or "").strip():
            raise DomainError("A call needs the caller's name.")
        if not (self.reason or "").strip():
            raise DomainError("A call needs a reason.")
        if self.disposition not in DISPOSITIONS:
            raise DomainError(f"Unknown disposition {self.disposition!r}.")
        if self.caller_relation not in RELATIONS:
            raise DomainError(f"Unknown caller relation {self.caller_relation!r}.")
        if self.called_back_at and self.called_back_at < self.received_at:
            raise DomainError("The call-back cannot be before the call was received.")
        if self.disposition == "on_call_paged" and self.escalated_to_id is None:
            raise DomainError("Paging the on-call clinician needs the clinician paged.")

    def acknowledge(self, by: str, at: dt.datetime | None = None) -> None:
        if self.acknowledged_at is not None:
            raise DomainError(f"Already acknowledged by {self.acknowledged_by}.")
        if not by:
            raise DomainError("Acknowledging a call must say who.")
        self.acknowledged_by, self.acknowledged_at = by, at or utcnow()

    @property
    def callback_minutes(self) -> int | None:
        if self.called_back_at is None:
            return None
        return int((self.called_back_at - self.received_at).total_seconds() // 60)


def is_after_hours(moment: dt.datetime) -> bool:
    """5 pm to 8 am on weekdays, and all weekend."""
    if moment.weekday() >= 5:
        return True
    return moment.hour >= 17 or moment.hour < 8
