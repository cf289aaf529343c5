"""Outreach attempts: a call, letter or message to a patient about a gap or referral, and
the schedule of tries that follows from their outcomes.

Outreach about one thing (a gap in care, a referral, or the patient in general) goes in
rounds: a try that does not reach the patient schedules the next one; a round ends when the
patient is reached, declines, or has not been reached on :data:`MAX_TRIES` different days
("unable to reach"). Tries on the same day count once: three calls in one morning are not
three attempts. A try after a round has ended starts a new round.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable

from domain.business_days import BusinessCalendar
from domain.errors import DomainError

CHANNELS = ("phone", "text", "letter", "portal", "in_person")
OUTCOMES = ("reached", "left_message", "wrong_number", "no_answer", "declined")
CHANNEL_LABELS = {"phone": "Phone", "text": "Text message", "letter": "Letter", "portal": "Portal message",
                  "in_person": "In person"}
OUTCOME_LABELS = {"reached": "Reached", "left_message": "Left message", "wrong_number": "Wrong number",
                  "no_answer": "No answer", "declined": "Declined"}

MAX_TRIES = 3  # unsuccessful tries on different days before the patient is "unable to reach"
# business days until the next try after an unsuccessful one: a message left gives the patient
# time to call back; no answer or a wrong number is tried again the next business day
RETRY_AFTER = {"left_message": 2, "no_answer": 1, "wrong_number": 1}
SETTLING = ("reached", "declined")  # outcomes that end a round

# what a round of outreach came to
IN_PROGRESS, REACHED, DECLINED, UNABLE_TO_REACH = "in_progress", "reached", "declined", "unable_to_reach"
STATUS_LABELS = {IN_PROGRESS: "Next try due", REACHED: "Reached", DECLINED: "Declined",
                 UNABLE_TO_REACH: "Unable to reach"}


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
        if self.gap_id is not None and self.referral_id is not None:
            raise DomainError("An outreach attempt is about one gap or one referral, not both.")

    @property
    def target(self) -> str:
        return target_key(self.patient_id, self.gap_id, self.referral_id)


def target_key(patient_id: int, gap_id: int | None = None, referral_id: int | None = None) -> str:
    """What an attempt is about, as one key: 'gap:12', 'referral:7' or 'patient:3'."""
    if gap_id is not None:
        return f"gap:{gap_id}"
    if referral_id is not None:
        return f"referral:{referral_id}"
    return f"patient:{patient_id}"


@dataclasses.dataclass(frozen=True)
class Try:
    """One attempt as the schedule sees it: the day it was made (the practice's local day)
    and its outcome."""

    day: dt.date
    outcome: str


@dataclasses.dataclass(frozen=True)
class OutreachProgress:
    """Where outreach about one thing stands after its tries."""

    status: str  # IN_PROGRESS, REACHED, DECLINED or UNABLE_TO_REACH
    days_tried: int  # different days with an unsuccessful try in the current (or last) round
    next_try: dt.date | None  # the day the next try is due (only while IN_PROGRESS)
    last_day: dt.date | None
    settled_on: dt.date | None = None  # the day the round ended

    @property
    def is_due(self) -> bool:
        return self.status == IN_PROGRESS

    def describe(self) -> str:
        """'Try 2 of 3 made; next try due 11/05/2026', 'Unable to reach after 3 tries on different days'."""
        if self.status == IN_PROGRESS:
            made = f"{self.days_tried} of {MAX_TRIES} tries made" if self.days_tried else "No try made yet"
            return f"{made}; next try due {self.next_try:%m/%d/%Y}"
        if self.status == UNABLE_TO_REACH:
            return f"Unable to reach after {MAX_TRIES} tries on different days ({self.settled_on:%m/%d/%Y})"
        return f"{STATUS_LABELS[self.status]} on {self.settled_on:%m/%d/%Y}"


def outreach_progress(tries: Iterable[Try], calendar: BusinessCalendar | None = None) -> OutreachProgress | None:
    """The schedule after these tries (in any order; None when there are none).

    Each unsuccessful try on a new day counts; the next is due ``RETRY_AFTER[outcome]``
    business days after the latest try (the practice's calendar: weekends, federal holidays
    and its own closed days are skipped). The third different day without reaching the
    patient ends the round as unable to reach; reached or declined end it at once.
    """
    calendar = calendar or BusinessCalendar()
    ordered = sorted(tries, key=lambda t: t.day)
    if not ordered:
        return None
    days: set[dt.date] = set()
    status, settled_on, last = IN_PROGRESS, None, None
    for attempt in ordered:
        if attempt.outcome not in OUTCOMES:
            raise DomainError(f"Outcome must be one of {', '.join(OUTCOMES)}.")
        if status != IN_PROGRESS:  # a try after the round ended starts a new one
            days, status, settled_on = set(), IN_PROGRESS, None
        last = attempt
        if attempt.outcome in SETTLING:
            status, settled_on = attempt.outcome, attempt.day
            continue
        days.add(attempt.day)
        if len(days) >= MAX_TRIES:
            status, settled_on = UNABLE_TO_REACH, attempt.day
    if status != IN_PROGRESS:
        return OutreachProgress(status, len(days), None, last.day, settled_on)
    next_try = calendar.add(last.day, RETRY_AFTER[last.outcome])
    return OutreachProgress(status, len(days), next_try, last.day)
