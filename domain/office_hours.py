"""When a practice's office is open, and so when its phones go to the night nurse.

A practice keeps its opening hours by weekday in its own time zone (an IANA name, read with
``zoneinfo``, so daylight-saving changes are right), and is closed on weekends it has no hours
for, on US federal holidays (observed days included) and on its own closed days
(:mod:`domain.business_days`). Everything outside those hours is **after hours**; the stretch
of after hours that ends when the office opens on a morning is that morning's **overnight**
window, the one the morning hand-off covers: Friday 17:00 to Monday 08:00 over a weekend,
Wednesday 17:00 to Friday 08:00 over Thanksgiving.

Instants are naive UTC (as the database keeps them); local times are the practice's wall clock.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re
import zoneinfo
from collections.abc import Iterable, Mapping

from domain.business_days import BusinessCalendar, federal_holidays
from domain.errors import DomainError

UTC = dt.timezone.utc
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WEEKDAY_SHORT = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DEFAULT_ZONE = "America/New_York"
# a new practice opens 08:00-17:00 Monday to Friday until its hours are set (the pod's old fixed rule)
DEFAULT_HOURS = {day: (dt.time(8), dt.time(17)) for day in range(5)}
# the time zones of US practices, for the Practices page's chooser (any IANA name is accepted)
US_ZONES = (
    ("America/New_York", "Eastern"), ("America/Detroit", "Eastern (Michigan)"),
    ("America/Indiana/Indianapolis", "Eastern (Indiana)"), ("America/Chicago", "Central"),
    ("America/Denver", "Mountain"), ("America/Boise", "Mountain (Idaho)"),
    ("America/Phoenix", "Mountain, no daylight saving (Arizona)"), ("America/Los_Angeles", "Pacific"),
    ("America/Anchorage", "Alaska"), ("Pacific/Honolulu", "Hawaii"), ("America/Puerto_Rico", "Atlantic (Puerto Rico)"),
)
# how far to look for an opening or a closing before saying the practice never opens
SEARCH_DAYS = 60
# a night's calls should be acknowledged by the practice within this long after it opens (mid-morning)
ACKNOWLEDGE_WITHIN = dt.timedelta(hours=2)
_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def parse_hhmm(text: str, what: str = "time") -> dt.time:
    """'08:00' or '8:30' as a time; a DomainError naming ``what`` otherwise."""
    match = _HHMM.match((text or "").strip())
    if not match:
        raise DomainError(f"The {what} {text!r} is not a time like 08:00 or 17:30.")
    return dt.time(int(match.group(1)), int(match.group(2)))


def hhmm(value: dt.time) -> str:
    return value.strftime("%H:%M")


@functools.lru_cache(maxsize=256)
def zone(name: str) -> zoneinfo.ZoneInfo:
    """The IANA zone called ``name``; a DomainError naming it when there is none."""
    try:
        return zoneinfo.ZoneInfo((name or "").strip())
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise DomainError(f"{name!r} is not a time zone (use an IANA name such as America/Chicago).") from None


def to_local(instant_utc: dt.datetime, zone_name: str) -> dt.datetime:
    """A stored instant (naive UTC) as the practice's wall-clock time (aware)."""
    return instant_utc.replace(tzinfo=UTC).astimezone(zone(zone_name))


def to_utc(local: dt.datetime, zone_name: str) -> dt.datetime:
    """A wall-clock time of the practice (naive) as a stored instant (naive UTC).

    A time the clocks skip (02:30 on the spring-forward night) is read as standard time; a
    time that happens twice (01:30 on the fall-back night) as its first occurrence."""
    aware = local.replace(tzinfo=zone(zone_name), fold=0)
    return aware.astimezone(UTC).replace(tzinfo=None)


@dataclasses.dataclass(frozen=True)
class OpeningHours:
    weekday: int  # 0 Monday … 6 Sunday
    opens: dt.time
    closes: dt.time

    def validate(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise DomainError(f"Weekday {self.weekday} must be 0 (Monday) to 6 (Sunday).")
        if self.closes <= self.opens:
            raise DomainError(f"On {WEEKDAYS[self.weekday]} the office must close after it opens "
                              f"({hhmm(self.opens)}–{hhmm(self.closes)}).")


@dataclasses.dataclass(frozen=True)
class Window:
    """A stretch of time between two instants (naive UTC), start included, end excluded."""

    start: dt.datetime
    end: dt.datetime

    def __contains__(self, instant: dt.datetime) -> bool:
        return self.start <= instant < self.end

    @property
    def hours(self) -> float:
        return (self.end - self.start).total_seconds() / 3600


class OfficeHours:
    """``OfficeHours("America/Chicago", [OpeningHours(0, 08:00, 17:00), …], closed_days)``."""

    def __init__(self, time_zone: str, hours: Iterable[OpeningHours] = (),
                 closed_days: Mapping[dt.date, str] | Iterable[dt.date] = ()):
        self.time_zone = time_zone
        zone(time_zone)  # a bad name is refused here, not at the first question
        self.hours: dict[int, OpeningHours] = {}
        for row in hours:
            row.validate()
            if row.weekday in self.hours:
                raise DomainError(f"{WEEKDAYS[row.weekday]} has opening hours twice.")
            self.hours[row.weekday] = row
        self.calendar = BusinessCalendar(closed_days)
        self._openings: dict[dt.date, Window | None] = {}  # opening_on, worked out once per day

    @classmethod
    def default(cls, time_zone: str = DEFAULT_ZONE) -> "OfficeHours":
        return cls(time_zone, [OpeningHours(d, o, c) for d, (o, c) in DEFAULT_HOURS.items()])

    # -- days --------------------------------------------------------------------------------
    def closed_reason(self, day: dt.date) -> str | None:
        """Why the office does not open on ``day`` (a federal holiday, its own closed day, no
        hours that weekday), or None when it opens. A practice with Saturday hours opens on
        Saturdays, but not on a holiday that falls on one."""
        holiday = federal_holidays(day.year).get(day)
        if holiday:
            return holiday
        if day in self.calendar.closed_days:
            return self.calendar.closed_days[day] or "Practice closed"
        if day.weekday() not in self.hours:
            return f"Closed on {WEEKDAYS[day.weekday()]}s"
        return None

    def opening_on(self, day: dt.date) -> Window | None:
        """When the office is open on that local day (UTC instants), or None when it is closed."""
        if day not in self._openings:
            if self.closed_reason(day) is not None:
                self._openings[day] = None
            else:
                row = self.hours[day.weekday()]
                self._openings[day] = Window(to_utc(dt.datetime.combine(day, row.opens), self.time_zone),
                                             to_utc(dt.datetime.combine(day, row.closes), self.time_zone))
        return self._openings[day]

    # -- instants ------------------------------------------------------------------------------
    def local_day(self, instant: dt.datetime) -> dt.date:
        return to_local(instant, self.time_zone).date()

    def is_open(self, instant: dt.datetime) -> bool:
        opening = self.opening_on(self.local_day(instant))
        return opening is not None and instant in opening

    def is_after_hours(self, instant: dt.datetime) -> bool:
        return not self.is_open(instant)

    def next_opening(self, instant: dt.datetime) -> dt.datetime:
        """The first time the office opens at or after ``instant`` (it may be open then: the
        opening after this day's)."""
        day = self.local_day(instant)
        for _ in range(SEARCH_DAYS + 1):
            opening = self.opening_on(day)
            if opening is not None and opening.start >= instant:
                return opening.start
            day += dt.timedelta(days=1)
        raise self._never_opens()

    def last_closing(self, instant: dt.datetime) -> dt.datetime:
        """The last time the office closed at or before ``instant``."""
        day = self.local_day(instant)
        for _ in range(SEARCH_DAYS + 1):
            opening = self.opening_on(day)
            if opening is not None and opening.end <= instant:
                return opening.end
            day -= dt.timedelta(days=1)
        raise self._never_opens()

    def after_hours_window(self, instant: dt.datetime) -> Window | None:
        """The stretch of after hours ``instant`` falls in (None while the office is open)."""
        if self.is_open(instant):
            return None
        return Window(self.last_closing(instant), self.next_opening(instant))

    def overnight(self, morning: dt.date) -> Window:
        """The night that ends on ``morning``: from the last closing before the office's first
        opening on or after that day, to that opening. A Saturday or Sunday morning gives the
        weekend that ends on Monday's opening, as the Monday morning does."""
        opening = self.next_opening(to_utc(dt.datetime.combine(morning, dt.time()), self.time_zone))
        return Window(self.last_closing(opening), opening)

    def mid_morning(self, morning: dt.date) -> dt.datetime:
        """When a night's calls should have been acknowledged: two hours after the opening that
        ends it (10:00 for an office opening at 08:00)."""
        return self.overnight(morning).end + ACKNOWLEDGE_WITHIN

    def hand_off(self, morning: dt.date) -> Window:
        """What the hand-off of ``morning`` covers: the night that ends then, and the office
        hours of the day before it (a call taken while the office was open is handed off at the
        next opening, :meth:`hand_off_morning`)."""
        night = self.overnight(morning)
        day = self.opening_on(self.local_day(night.start))
        return Window(day.start if day is not None and day.end == night.start else night.start, night.end)

    def hand_off_morning(self, instant: dt.datetime) -> dt.date:
        """The local morning whose hand-off covers a call received at ``instant``: the day of
        the next opening after it (a call during office hours, even at the opening minute, is
        handed off at the next opening: a night ends as the office opens)."""
        return self.local_day(self.next_opening(instant + dt.timedelta(microseconds=1)))

    def _never_opens(self) -> DomainError:
        return DomainError(f"The practice has no opening hours in {SEARCH_DAYS} days around that date; "
                           "set its hours on the Practices page.")
