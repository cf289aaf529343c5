"""FHIR date, dateTime and instant values: kept as given, and read as a naive UTC instant.

A date-only value (``2025``, ``2025-03``, ``2025-03-04``) is that date (its first day) at
00:00; a dateTime without an offset is taken as given, as UTC; one with an offset
(``Z``, ``+02:00``) is converted to UTC. Anything else is an :class:`InvalidDate`.
"""
from __future__ import annotations

import datetime as dt
import re

_PATTERN = re.compile(
    r"^(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2})"
    r"(?:T(?P<H>\d{2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.(?P<f>\d{1,9}))?)?"
    r"(?P<tz>Z|[+-]\d{2}:\d{2})?)?)?)?$"
)


class InvalidDate(ValueError):
    """A text that is not a FHIR date, dateTime or instant."""


def parse_instant(text: str) -> dt.datetime:
    """The naive UTC instant of a FHIR date/dateTime/instant text."""
    if not isinstance(text, str):
        raise InvalidDate(f"{text!r} is not a date (expected text such as 2025-03-04)")
    match = _PATTERN.match(text)
    if not match:
        raise InvalidDate(f"{text!r} is not a FHIR date or dateTime")
    if len(text) == 10 or (len(text) == 20 and text[19] == "Z"):
        # the two commonest shapes (a date; a UTC instant to the second) are read by the C parser
        try:
            return dt.datetime.fromisoformat(text[:19])
        except ValueError as exc:
            raise InvalidDate(f"{text!r} is not a valid date ({exc})") from None
    g = match.groupdict()
    try:
        value = dt.datetime(
            int(g["y"]), int(g["m"] or 1), int(g["d"] or 1),
            int(g["H"] or 0), int(g["M"] or 0), int(g["S"] or 0),
            int((g["f"] or "0")[:6].ljust(6, "0")),
        )
    except ValueError as exc:
        raise InvalidDate(f"{text!r} is not a valid date ({exc})") from None
    if value.year < 1:
        raise InvalidDate(f"{text!r} is not a valid date")
    tz = g["tz"]
    if tz and tz != "Z":
        sign = 1 if tz[0] == "+" else -1
        hours, minutes = int(tz[1:3]), int(tz[4:6])
        if hours > 14 or minutes > 59:
            raise InvalidDate(f"{text!r} has an impossible time-zone offset")
        try:
            value -= sign * dt.timedelta(hours=hours, minutes=minutes)
        except OverflowError:
            raise InvalidDate(f"{text!r} is out of range") from None
    return value


def parse_date(text: str) -> dt.date:
    """A calendar date (birthDate, deceasedDateTime's date): full dates only."""
    if not isinstance(text, str) or not re.match(r"^\d{4}-\d{2}-\d{2}", text):
        raise InvalidDate(f"{text!r} is not a full date (expected YYYY-MM-DD)")
    return parse_instant(text[:10]).date() if len(text) == 10 else _local_date(text)


def _local_date(text: str) -> dt.date:
    # a birth date given with a time keeps its local calendar date (not shifted to UTC)
    parse_instant(text)
    return dt.date(int(text[0:4]), int(text[5:7]), int(text[8:10]))


