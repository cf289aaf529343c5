"""Referrals and their closed loop.

ordered → sent → scheduled → seen → report received → closed, plus the exits
cancelled / declined by patient / no-show / unable to reach. Every change is
kept as a :class:`ReferralEvent` with who and when.
"""
from __future__ import annotations

import dataclasses
import datetime as dt

from domain.clock import utcnow
from domain.errors import DomainError, InvalidTransition

LOOP = ("ordered", "sent", "scheduled", "seen", "report_received", "closed")
EXITS = ("cancelled", "declined", "no_show", "unable_to_reach")
STATES = LOOP + EXITS
LABELS = {
    "ordered": "Ordered", "sent": "Sent", "scheduled": "Scheduled", "seen": "Seen",
    "report_received": "Report received", "closed": "Closed", "cancelled": "Cancelled",
    "declined": "Declined by patient", "no_show": "No-show", "unable_to_reach": "Unable to reach",
}
URGENCIES = ("routine", "urgent", "stat")

# Where each state may go next. A no-show may be rescheduled; an unreachable
# patient may still be reached and scheduled.
NEXT: dict[str, tuple[str, ...]] = {
    "ordered": ("sent", "cancelled", "declined", "unable_to_reach"),
    "sent": ("scheduled", "cancelled", "declined", "unable_to_reach"),
    "scheduled": ("seen", "no_show", "cancelled", "declined"),
    "seen": ("report_received",),
    "report_received": ("closed",),
    "no_show": ("scheduled", "cancelled", "unable_to_reach"),
    "unable_to_reach": ("scheduled", "cancelled"),
    "closed": (),
    "cancelled": (),
    "declined": (),
}
FINAL = frozenset(s for s, nxt in NEXT.items() if not nxt)

ExpectedDays = dict[str, dict[str, int]]  # urgency -> state -> days

# Days a state may last before the referral is overdue, by urgency (the pod may set its own:
# storage keeps them in ``referral_expected_days``; these are the defaults).
EXPECTED_DAYS: ExpectedDays = {
    "routine": {"ordered": 3, "sent": 14, "scheduled": 60, "seen": 14, "report_received": 7,
                "no_show": 7, "unable_to_reach": 14},
    "urgent": {"ordered": 1, "sent": 3, "scheduled": 14, "seen": 7, "report_received": 3,
               "no_show": 2, "unable_to_reach": 3},
    "stat": {"ordered": 1, "sent": 1, "scheduled": 2, "seen": 2, "report_received": 1,
             "no_show": 1, "unable_to_reach": 1},
}


@dataclasses.dataclass(eq=False)
class ReferralEvent:
    from_state: str | None
    to_state: str
    at: dt.datetime
    by: str
    note: str = ""
    id: int | None = None
    referral_id: int | None = None


@dataclasses.dataclass(eq=False)
class Referral:
    patient_id: int
    specialty: str
    reason: str
    urgency: str = "routine"
    clinician_id: int | None = None
    specialist: str = ""
    state: str = "ordered"
    state_since: dt.datetime = dataclasses.field(default_factory=utcnow)
    ordered_at: dt.datetime = dataclasses.field(default_factory=utcnow)
    appointment_at: dt.datetime | None = None
    source_key: str | None = None
    entered_in_error: bool = False
    id: int | None = None
    events: list[ReferralEvent] = dataclasses.field(default_factory=list)

    def validate(self) -> None:
        if self.urgency not in URGENCIES:
            raise DomainError(f"Urgency must be one of {', '.join(URGENCIES)}.")
        if self.state not in STATES:
            raise DomainError(f"Unknown referral state {self.state!r}.")
        if not (self.specialty or "").strip():
            raise DomainError("A referral needs a specialty or service.")

    @classmethod
    def order(cls, *, by: str, at: dt.datetime | None = None, **fields) -> "Referral":
        at = at or utcnow()
        referral = cls(ordered_at=at, state="ordered", state_since=at, **fields)
        referral.validate()
        referral.events.append(ReferralEvent(None, "ordered", at, by))
        return referral

    def advance_to(self, state: str, *, by: str, at: dt.datetime | None = None, note: str = "") -> ReferralEvent:
        if self.entered_in_error:
            raise InvalidTransition("This referral was marked entered-in-error.")
        if state not in STATES:
            raise InvalidTransition(f"Unknown referral state {state!r}.")
        if state not in NEXT[self.state]:
            allowed = ", ".join(LABELS[s] for s in NEXT[self.state]) or "nothing (it is final)"
            raise InvalidTransition(
                f"A referral that is {LABELS[self.state]} cannot become {LABELS[state]}; "
                f"it can become {allowed}."
            )
        if not by:
            raise DomainError("A referral change must say who made it.")
        at = at or utcnow()
        if at < self.state_since:
            raise InvalidTransition("A referral change cannot be dated before the previous one.")
        event = ReferralEvent(self.state, state, at, by, note)
        self.events.append(event)
        self.state, self.state_since = state, at
        return event

    def days_in_state(self, now: dt.datetime | None = None) -> int:
        return ((now or utcnow()) - self.state_since).days

    def due_at(self, expected: ExpectedDays | None = None) -> dt.datetime | None:
        """When the current state will have lasted as long as expected for the referral's
        urgency (``expected``: the pod's table, :data:`EXPECTED_DAYS` by default); None for a
        final state, a state without an expected time, or a referral entered in error."""
        if self.state in FINAL or self.entered_in_error:
            return None
        return due_at(self.state, self.urgency, self.state_since, expected)

    def is_overdue(self, now: dt.datetime | None = None, expected: ExpectedDays | None = None) -> bool:
        """The state has lasted longer than expected: overdue one moment after :meth:`due_at`,
        not at it (a routine referral sent at 9:00 on the 1st, 14 days expected, is overdue from
        9:00:01 on the 15th)."""
        due = self.due_at(expected)
        return due is not None and (now or utcnow()) > due


def expected_days_for(expected: ExpectedDays | None, urgency: str, state: str) -> int | None:
    """Days the state may last at this urgency (None: no limit, e.g. a final state)."""
    return (expected or EXPECTED_DAYS).get(urgency, {}).get(state)


def due_at(state: str, urgency: str, state_since: dt.datetime,
           expected: ExpectedDays | None = None) -> dt.datetime | None:
    """The moment a referral in ``state`` since ``state_since`` becomes due to move on (the
    same rule as :meth:`Referral.due_at`, for rows read without their record)."""
    if state in FINAL:
        return None
    days = expected_days_for(expected, urgency, state)
    return None if days is None else state_since + dt.timedelta(days=days)


MAX_EXPECTED_DAYS = 365


def checked_expected_days(table: dict) -> ExpectedDays:
    """The pod's expected days, checked: every urgency and every state that can wait (not a
    final one) has a whole number of days from 1 to 365. Raises :class:`DomainError` naming
    the urgency, state and value."""
    checked: ExpectedDays = {}
    for urgency in URGENCIES:
        row = table.get(urgency) or {}
        checked[urgency] = {}
        for state in STATES:
            if state in FINAL:
                continue
            value = row.get(state, EXPECTED_DAYS[urgency].get(state))
            if isinstance(value, bool) or not isinstance(value, int):
                raise DomainError(f"Expected days for a {urgency} referral that is {LABELS[state]} must be a "
                                  f"whole number of days; got {value!r}.")
            if not 1 <= value <= MAX_EXPECTED_DAYS:
                raise DomainError(f"Expected days for a {urgency} referral that is {LABELS[state]} must be "
                                  f"between 1 and {MAX_EXPECTED_DAYS}; got {value}.")
            checked[urgency][state] = value
    return checked
