"""Today: what a care manager should do first, across the practices she covers.

The worklist is made of kinds of items, each with a priority (1 first) and a reason written
for her. This module holds the rules that decide what is on the list (two-way contact, the
transitional-care window, the contact interval of high-risk patients) and the marks she
leaves on items: done, or snoozed until a day with a reason.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import re

from domain.business_days import BusinessCalendar
from domain.calls import CARE_MANAGER_DISPOSITIONS
from domain.clock import utcnow
from domain.errors import DomainError


@dataclasses.dataclass(frozen=True)
class ItemKind:
    name: str
    priority: int
    label: str
    explanation: str  # why this kind comes where it does


KINDS: tuple[ItemKind, ...] = (
    ItemKind("emergency_call", 1, "Emergency follow-up",
             "an after-hours call that sent the patient to the emergency department or 911: "
             "follow up first"),
    ItemKind("discharge", 2, "Transition of care",
             "discharged from hospital: a two-way contact is due within 2 business days"),
    ItemKind("task", 3, "Task", "a task assigned to you, due today or overdue (high priority first)"),
    ItemKind("call", 4, "Call follow-up", "an after-hours call the nurse flagged for follow-up"),
    ItemKind("referral", 5, "Overdue referral",
             "a referral whose state has lasted longer than expected (stat, then urgent, then routine)"),
    ItemKind("outreach", 6, "Outreach due", "the next try of outreach about a gap, a referral or the patient"),
    ItemKind("high_risk", 7, "High risk, no contact",
             "a high-risk patient without a two-way contact in the last 30 days"),
)
KIND = {k.name: k for k in KINDS}

HIGH_RISK_TIERS = ("high",)  # domain.risk.TIERS; a "complex" override became "high" (migration 0011)
CONTACT_INTERVAL_DAYS = 30  # a high-risk patient is contacted at least this often
DISCHARGE_CONTACT_BUSINESS_DAYS = 2  # transitional care: two-way contact within 2 business days
CALL_FOLLOW_UP_DAYS = 30  # after-hours calls of the last 30 days are followed up from Today
EMERGENCY_DISPOSITIONS = CARE_MANAGER_DISPOSITIONS  # sent to the emergency department or by 911
INPATIENT_CLASSES = ("IMP", "ACUTE", "OBSENC", "SS")  # stays whose discharge starts transitional care

# A two-way contact: the patient (or caregiver) was reached, or a transitional-care contact was
# logged as time. A message left, a letter sent or no answer is not one.
TWO_WAY_OUTCOMES = ("reached",)
TWO_WAY_ACTIVITIES = ("transition_of_care",)

ACTIONS = ("done", "snooze")
MAX_SNOOZE_DAYS = 365


def is_two_way_contact(*, outcome: str | None = None, activity: str | None = None) -> bool:
    """An outreach outcome or a time entry's activity that counts as a two-way contact."""
    return outcome in TWO_WAY_OUTCOMES or activity in TWO_WAY_ACTIVITIES


def discharge_contact_due(discharged_on: dt.date, calendar: BusinessCalendar) -> dt.date:
    """The last day of the transitional-care contact window: 2 business days after the
    discharge day (a Friday discharge before a Monday holiday is due on Wednesday)."""
    return calendar.add(discharged_on, DISCHARGE_CONTACT_BUSINESS_DAYS)


def in_discharge_window(discharged_on: dt.date, on: dt.date, calendar: BusinessCalendar) -> bool:
    """Is ``on`` within the contact window of a discharge (the discharge day up to its due day)?"""
    return discharged_on <= on <= discharge_contact_due(discharged_on, calendar)


@dataclasses.dataclass(eq=False)
class TodayMark:
    """Done or snoozed: left on one item of the list by a staff member, with who and when.

    ``occurrence_at`` ties the mark to one occurrence of the item where the same record can
    come back (a referral overdue again in a later state, outreach due again after a new try);
    None when the record itself is the item (a task, a call, a discharge).
    """

    item_kind: str
    record_id: int
    action: str
    by: str
    patient_id: int | None = None
    occurrence_at: dt.datetime | None = None
    until: dt.date | None = None  # a snooze: the item is back on this day
    reason: str = ""
    at: dt.datetime = dataclasses.field(default_factory=utcnow)
    entered_in_error: bool = False
    id: int | None = None

    def validate(self, today: dt.date | None = None) -> None:
        """The mark's own rules; a snooze's day is checked against ``today`` when given (the day
        the user is on when she snoozes), else only that there is one, with a reason."""
        if self.item_kind not in KIND:
            raise DomainError(f"Unknown kind of Today item {self.item_kind!r}.")
        if self.action not in ACTIONS:
            raise DomainError(f"A Today mark is done or snooze, not {self.action!r}.")
        if not self.by:
            raise DomainError("A Today mark must say who left it.")
        if self.action == "snooze":
            if today is not None:
                check_snooze(self.until, self.reason, today)
            elif self.until is None or not (self.reason or "").strip():
                raise DomainError("A snooze needs the day the item is back and a reason.")

    @classmethod
    def snooze(cls, *, item_kind: str, record_id: int, until: dt.date, reason: str, by: str, today: dt.date,
               **fields) -> "TodayMark":
        mark = cls(item_kind=item_kind, record_id=record_id, action="snooze", until=until,
                   reason=(reason or "").strip(), by=by, **fields)
        mark.validate(today)
        return mark

    @classmethod
    def done(cls, *, item_kind: str, record_id: int, by: str, reason: str = "", **fields) -> "TodayMark":
        mark = cls(item_kind=item_kind, record_id=record_id, action="done", reason=(reason or "").strip(),
                   by=by, **fields)
        mark.validate()
        return mark

    def hides_on(self, day: dt.date) -> bool:
        """Does this mark keep its item off the list on ``day``?"""
        if self.entered_in_error:
            return False
        return self.action == "done" or (self.until is not None and day < self.until)


def check_snooze(until: dt.date | None, reason: str, today: dt.date) -> None:
    """A snooze needs a day after today (within a year) and a reason."""
    if until is None:
        raise DomainError("Say until which day the item is snoozed.")
    if until <= today:
        when = "today" if until == today else "in the past"
        raise DomainError(f"The snooze date {until:%m/%d/%Y} is {when}: choose a day after today "
                          f"({today:%m/%d/%Y}).")
    if (until - today).days > MAX_SNOOZE_DAYS:
        raise DomainError(f"A snooze lasts at most {MAX_SNOOZE_DAYS} days; {until:%m/%d/%Y} is further away.")
    if not (reason or "").strip():
        raise DomainError("Say why the item is snoozed.")


def parse_day(text: str, today: dt.date) -> dt.date:
    """A day as typed: MM/DD/YYYY, YYYY-MM-DD, or +N (N days from today). Raises
    :class:`DomainError` saying what was not understood."""
    from domain.text import parse_typed_date

    typed = (text or "").strip()
    if not typed:
        raise DomainError("Type the day, e.g. 11/20/2026, 2026-11-20, or +7 for a week from today.")
    ahead = re.fullmatch(r"\+\s*(\d+)", typed, re.ASCII)  # ASCII digits only ("+²" is no number)
    if ahead:
        try:
            return today + dt.timedelta(days=int(ahead.group(1)))
        except (OverflowError, ValueError):  # past the calendar's last year, or thousands of digits
            raise DomainError(f"{typed!r} is too many days ahead: type a day, e.g. 11/20/2026, or +7.") from None
    day = parse_typed_date(typed, today=today)
    four_digit_year = (typed.isdigit() and len(typed) == 8) or any(
        len(part) == 4 for part in typed.replace("-", "/").split("/"))
    if day is None or not four_digit_year:
        raise DomainError(f"{typed!r} is not a day: write it as MM/DD/YYYY, YYYY-MM-DD, or +N for N days from today.")
    return day
