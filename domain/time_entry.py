"""Time logged by shared staff, and the chronic care management thresholds it feeds."""
from __future__ import annotations

import dataclasses
import datetime as dt

from domain.errors import DomainError

ACTIVITIES = ("care_coordination", "outreach", "medication_review", "care_plan",
              "transition_of_care", "after_hours_call", "education")
CCM_BASIC_MINUTES = 20  # a calendar month's minimum for the basic CCM code


@dataclasses.dataclass(eq=False)
class TimeEntry:
    staff: str
    patient_id: int
    minutes: int
    activity: str
    entry_date: dt.date
    note: str = ""
    entered_in_error: bool = False
    id: int | None = None

    def validate(self) -> None:
        if not 1 <= self.minutes <= 600:
            raise DomainError("Minutes must be between 1 and 600.")
        if self.activity not in ACTIVITIES:
            raise DomainError(f"Activity must be one of {', '.join(ACTIVITIES)}.")
        if not self.staff:
            raise DomainError("A time entry must name the staff member.")


def ccm_month_status(entries: list[TimeEntry], *, year: int, month: int, consent: dt.date | None) -> tuple[int, bool]:
    """Minutes in the calendar month and whether the basic CCM code is met (needs consent
    on or before the month's last day)."""
    minutes = sum(
        e.minutes for e in entries
        if not e.entered_in_error and e.entry_date.year == year and e.entry_date.month == month
    )
    next_month = dt.date(year + month // 12, month % 12 + 1, 1)
    consented = consent is not None and consent < next_month
    return minutes, consented and minutes >= CCM_BASIC_MINUTES


def business_days_after(start: dt.date, days: int) -> dt.date:
    """The date ``days`` business days (Mon–Fri) after ``start``."""
    current = start
    while days > 0:
        current += dt.timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current
