"""Time logged by shared staff for a patient, and the running timer that becomes one.

How the minutes of a month count for chronic and transitional care is
:mod:`domain.care_management`'s business; here are the records and their own rules.
"""
from __future__ import annotations

import dataclasses
import datetime as dt

from domain.clock import utcnow
from domain.errors import DomainError

ACTIVITIES = ("care_coordination", "outreach", "medication_review", "care_plan",
              "transition_of_care", "after_hours_call", "education")
ACTIVITY_LABELS = {
    "care_coordination": "Care coordination", "outreach": "Outreach", "medication_review": "Medication review",
    "care_plan": "Care plan", "transition_of_care": "Transition of care", "after_hours_call": "After-hours call",
    "education": "Education",
}
# the programme a minute is claimed for; a minute belongs to one programme only
PROGRAMMES = ("ccm", "complex_ccm", "tcm", "none")
PROGRAMME_LABELS = {
    "ccm": "Chronic care management", "complex_ccm": "Complex chronic care management",
    "tcm": "Transitional care", "none": "Not billed",
}
# who did the work: clinical staff under general supervision, or the billing practitioner personally
PERFORMERS = ("clinical_staff", "practitioner")
PERFORMER_LABELS = {"clinical_staff": "Clinical staff", "practitioner": "Billing practitioner personally"}
MAX_MINUTES = 600  # one entry; a longer stretch is two entries (or a typing slip)


@dataclasses.dataclass(eq=False)
class TimeEntry:
    staff: str  # who did the work
    patient_id: int
    minutes: int
    activity: str
    entry_date: dt.date  # the calendar day the work was done (the month it counts in)
    note: str = ""
    entered_in_error: bool = False
    id: int | None = None
    programme: str = "ccm"
    performer: str = "clinical_staff"
    started_at: dt.datetime | None = None  # naive UTC; None for entries kept by the day only
    practice_id: int | None = None  # the billing practice: the patient's practice when logged
    recorded_at: dt.datetime | None = None  # when it was entered (a backdated entry says so)
    recorded_by: str = ""

    def validate(self, *, now: dt.datetime | None = None, today: dt.date | None = None) -> None:
        if not isinstance(self.minutes, int) or not 1 <= self.minutes <= MAX_MINUTES:
            raise DomainError(f"Minutes must be a whole number from 1 to {MAX_MINUTES}; got {self.minutes}.")
        if self.activity not in ACTIVITIES:
            raise DomainError(f"Activity must be one of {', '.join(ACTIVITY_LABELS.values())}.")
        if self.programme not in PROGRAMMES:
            raise DomainError(f"Programme must be one of {', '.join(PROGRAMME_LABELS.values())}.")
        if self.performer not in PERFORMERS:
            raise DomainError(f"Who did the work must be one of {', '.join(PERFORMER_LABELS.values())}.")
        if not (self.staff or "").strip():
            raise DomainError("A time entry must name the staff member who did the work.")
        if self.entry_date is None:
            raise DomainError("A time entry needs the date the work was done.")
        if today is not None and self.entry_date > today:
            raise DomainError(f"Time cannot be logged for a day still to come ({self.entry_date.isoformat()}).")
        if now is not None and self.started_at is not None and self.ends_at > now + dt.timedelta(minutes=1):
            raise DomainError("Time cannot be logged for minutes still to come: the entry would end "
                              f"{_minutes_between(now, self.ends_at)} min from now.")

    @property
    def ends_at(self) -> dt.datetime | None:
        return None if self.started_at is None else self.started_at + dt.timedelta(minutes=self.minutes)

    def overlaps(self, other: "TimeEntry") -> bool:
        """Do the two entries claim the same minute (same staff member, both timed)?"""
        if self.started_at is None or other.started_at is None or self.staff != other.staff:
            return False
        return self.started_at < other.ends_at and other.started_at < self.ends_at


def _minutes_between(a: dt.datetime, b: dt.datetime) -> int:
    return max(0, round((b - a).total_seconds() / 60))


def check_not_claimed(entry: TimeEntry, others: list[TimeEntry], describe=None) -> None:
    """A minute counts once: refuse an entry whose minutes the same staff member already claimed
    (for this or another patient, in this or another programme). ``describe(entry)`` names the
    other entry in the message."""
    for other in others:
        if other is entry or other.entered_in_error or (entry.id is not None and other.id == entry.id):
            continue
        if entry.overlaps(other):
            what = describe(other) if describe else f"entry {other.id}"
            raise DomainError(f"{entry.staff} already claimed some of these minutes: {what}. "
                              "A minute counts once; change the start or the minutes.")


TIMER_STATES = ("running", "saved", "discarded")


@dataclasses.dataclass(eq=False)
class RunningTimer:
    """A timer started on a chart. Its start is in the database at once, so a crash keeps it;
    stopping it makes a :class:`TimeEntry` (or discards it, saying why)."""

    staff: str
    patient_id: int
    started_at: dt.datetime  # naive UTC
    activity: str = "care_coordination"
    programme: str = "ccm"
    state: str = "running"
    stopped_at: dt.datetime | None = None
    time_entry_id: int | None = None
    note: str = ""
    id: int | None = None

    def elapsed_minutes(self, now: dt.datetime | None = None) -> int:
        """Whole minutes run so far, at least 1 (a timer stopped at once still logs a minute)."""
        seconds = ((now or utcnow()) - self.started_at).total_seconds()
        return max(1, int(seconds // 60) + (1 if seconds % 60 >= 30 else 0))

    def stop(self, state: str, at: dt.datetime | None = None) -> None:
        if self.state != "running":
            raise DomainError(f"This timer was already {self.state}.")
        if state not in ("saved", "discarded"):
            raise ValueError(state)
        self.state, self.stopped_at = state, at or utcnow()
