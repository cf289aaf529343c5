"""Outreach attempts: a call, letter or message to a patient about a gap or referral."""
from __future__ import annotations

import dataclasses
import datetime as dt

from domain.errors import DomainError

CHANNELS = ("phone", "text", "letter", "portal", "in_person")
OUTCOMES = ("reached", "left_message", "wrong_number", "no_answer", "declined")


@dataclasses.dataclass(eq=False)
class OutreachAttempt:
    patient_id: int
    at: dt.datetime
    channel: str
    outcome: str
    by: str
    gap_id: int | None = None
    referral_id: int | None = None
    note: str = ""
    medication_review_id: int | None = None  # an attempt to reach the patient for this review
    entered_in_error: bool = False
    id: int | None = None

    def validate(self) -> None:
        if self.channel not in CHANNELS:
            raise DomainError(f"Channel must be one of {', '.join(CHANNELS)}.")
        if self.outcome not in OUTCOMES:
            raise DomainError(f"Outcome must be one of {', '.join(OUTCOMES)}.")
        if not self.by:
            raise DomainError("An outreach attempt must say who made it.")
