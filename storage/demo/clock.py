"""The demo's fixed calendar: a reference date instead of the clock, local times to UTC.

Everything is anchored on ``REFERENCE_DATE`` so that the same seed gives the same
rows on any day; measurement period 2025 is complete and 2026 runs up to it.
"""
from __future__ import annotations

import datetime as dt

REFERENCE_DATE = dt.date(2026, 11, 1)
MEASUREMENT_YEAR = 2025
MEASURES = ("CMS125", "CMS130", "CMS124", "CMS122", "CMS165", "CMS138", "CMS2", "CMS117")

_OFFSETS = {h: f"{'-' if h < 0 else '+'}{abs(h):02d}:00" for h in range(-12, 13)}
_HOURS = {h: dt.timedelta(hours=h) for h in range(-12, 13)}  # called millions of times: built once
_MIDNIGHT = dt.time()


def at_local(day: dt.date, minutes: int, utc_offset: int) -> dt.datetime:
    """Naive UTC instant of ``minutes`` after local midnight of ``day``."""
    return dt.datetime.combine(day, _MIDNIGHT) + dt.timedelta(minutes=minutes) - _HOURS[utc_offset]


def fhir_instant(utc: dt.datetime, utc_offset: int) -> str:
    """The FHIR dateTime text a practice's EHR would send for a UTC instant (local time and offset)."""
    return (utc + _HOURS[utc_offset]).isoformat() + _OFFSETS[utc_offset]


def shift_to_weekday(day: dt.date) -> dt.date:
    """Office visits happen Monday to Friday."""
    weekday = day.weekday()
    return day + dt.timedelta(days=7 - weekday) if weekday >= 5 else day


def reference_moment(hour: int = 6) -> dt.datetime:
    return dt.datetime.combine(REFERENCE_DATE, dt.time(hour, 0))
