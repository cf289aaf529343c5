"""Business days: weekends, US federal holidays and a practice's own closed days are not.

Transitional care counts "within 2 business days of discharge", a referral's expected days and
the morning hand-off follow the same calendar. Federal holidays come from the ``holidays``
library with their observed days (Independence Day on a Saturday is observed on Friday
3 July 2026, and offices close then); a practice adds its own closed days (a staff training
day, the day after Thanksgiving). Plain Python apart from that one well-kept library.
"""
from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable

import holidays

WEEKEND = (5, 6)  # Saturday, Sunday


@functools.lru_cache(maxsize=64)
def federal_holidays(year: int) -> dict[dt.date, str]:
    """US federal holidays of a year, observed days included: date -> name."""
    return dict(holidays.US(years=year, observed=True).items())


class BusinessCalendar:
    """``BusinessCalendar(closed_days={date: reason})``: when is the practice open for business?"""

    def __init__(self, closed_days: Iterable[dt.date] | dict[dt.date, str] = ()):
        self.closed_days = dict(closed_days) if isinstance(closed_days, dict) else {d: "" for d in closed_days}

    def closed_reason(self, day: dt.date) -> str | None:
        """Why the day is not a business day ("Saturday", "Thanksgiving Day", the practice's
        reason), or None when it is one."""
        if day.weekday() in WEEKEND:
            return day.strftime("%A")
        holiday = federal_holidays(day.year).get(day)
        if holiday:
            return holiday
        if day in self.closed_days:
            return self.closed_days[day] or "Practice closed"
        return None

    def is_business_day(self, day: dt.date) -> bool:
        return self.closed_reason(day) is None

    def add(self, start: dt.date, days: int) -> dt.date:
        """The date ``days`` business days after ``start`` (``start`` itself is not counted,
        whatever it is): a discharge on Friday 3 July 2026 + 2 is Tuesday 7 July."""
        if days < 0:
            raise ValueError("days must not be negative")
        current = start
        while days > 0:
            current += dt.timedelta(days=1)
            if self.is_business_day(current):
                days -= 1
        return current

    def between(self, start: dt.date, end: dt.date) -> int:
        """Business days after ``start`` up to and including ``end`` (0 when end <= start)."""
        count, current = 0, start
        while current < end:
            current += dt.timedelta(days=1)
            if self.is_business_day(current):
                count += 1
        return count

    def next_business_day(self, day: dt.date) -> dt.date:
        """``day`` itself when it is a business day, else the next one."""
        while not self.is_business_day(day):
            day += dt.timedelta(days=1)
        return day
