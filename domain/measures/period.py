"""The measurement period and the CQL calendar arithmetic measures use.

CQL's measurement period is the closed interval [start 00:00:00.000, end 23:59:59.999] in the
evaluation time zone (UTC offset 0 unless told otherwise). Comparisons "at day precision" use
each value's own calendar date as written (cql-execution does not shift offsets for day
precision); comparisons at millisecond precision use UTC instants.
"""
from __future__ import annotations

import calendar
import dataclasses
import datetime as dt

from domain.errors import DomainError

UNITS = ("years", "months", "days")


def add_calendar(day: dt.date, years: int = 0, months: int = 0, days: int = 0) -> dt.date:
    """CQL date + quantity: years and months move the calendar and clamp to the month's last
    day (2024-02-29 + 1 year = 2025-02-28), then days are added."""
    total = day.year * 12 + (day.month - 1) + years * 12 + months
    year, month = divmod(total, 12)
    month += 1
    if not 1 <= year <= 9999:
        raise DomainError(f"Date out of range: {day} + {years} years {months} months")
    last = calendar.monthrange(year, month)[1]
    return dt.date(year, month, min(day.day, last)) + dt.timedelta(days=days)


def _same_day_years_on(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` on; 29 February, where that year has none, is 1 March (so a year
    from 29 February 2024 ends on 28 February 2025, and one ending then starts the day after)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return dt.date(day.year + years, 3, 1)


def shift(day: dt.date, offset: dict | None) -> dt.date:
    """``day`` moved by an offset such as {"years": -2} or {"months": 6, "days": -1}."""
    offset = offset or {}
    unknown = set(offset) - set(UNITS)
    if unknown:
        raise DomainError(f"Unknown offset unit(s): {', '.join(sorted(unknown))}")
    return add_calendar(day, int(offset.get("years", 0)), int(offset.get("months", 0)),
                        int(offset.get("days", 0)))


@dataclasses.dataclass(frozen=True)
class MeasurementPeriod:
    start: dt.date
    end: dt.date
    tz_offset_hours: int = 0

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise DomainError(f"The period ends ({self.end}) before it starts ({self.start}).")
        if not -14 <= self.tz_offset_hours <= 14:
            raise DomainError("The evaluation time-zone offset must be between -14 and +14 hours.")

    @classmethod
    def parse(cls, start: str, end: str, tz_offset_hours: int = 0) -> "MeasurementPeriod":
        try:
            start_day = dt.date.fromisoformat(start)
        except (TypeError, ValueError):
            raise DomainError(f"Period start {start!r} is not a date (YYYY-MM-DD).") from None
        try:
            end_day = dt.date.fromisoformat(end)
        except (TypeError, ValueError):
            raise DomainError(f"Period end {end!r} is not a date (YYYY-MM-DD).") from None
        return cls(start_day, end_day, tz_offset_hours)

    @classmethod
    def from_bounds(cls, start: str | None, end: str | None, today: dt.date) -> "MeasurementPeriod":
        """A period as typed on a command line: both days; one of them (the year that starts
        or ends there); or neither (the calendar year of ``today``)."""
        if start is None and end is None:
            return cls(dt.date(today.year, 1, 1), dt.date(today.year, 12, 31))
        if end is None:
            first = cls.parse(start, start).start
            return cls(first, _same_day_years_on(first, 1) - dt.timedelta(days=1))
        if start is None:
            last = cls.parse(end, end).end
            return cls(_same_day_years_on(last + dt.timedelta(days=1), -1), last)
        return cls.parse(start, end)

    @property
    def start_instant(self) -> dt.datetime:
        """Start 00:00:00.000 in the evaluation zone, as naive UTC."""
        return dt.datetime.combine(self.start, dt.time()) - dt.timedelta(hours=self.tz_offset_hours)

    @property
    def end_instant(self) -> dt.datetime:
        """End 23:59:59.999 in the evaluation zone, as naive UTC."""
        return (dt.datetime.combine(self.end, dt.time(23, 59, 59, 999000))
                - dt.timedelta(hours=self.tz_offset_hours))

    def label(self) -> str:
        return f"{self.start.isoformat()}..{self.end.isoformat()}"


def age_in_years_at(birth_date: dt.date, on: dt.date) -> int:
    """CQL AgeInYearsAt: completed years (a 29 February birthday arrives on 1 March in
    common years)."""
    years = on.year - birth_date.year
    if (on.month, on.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years
