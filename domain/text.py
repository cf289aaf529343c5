"""Normalising what people type: names, phone numbers, birth dates."""
from __future__ import annotations

import datetime as dt
import re
import unicodedata


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """``1 measure``, ``2 measures``, ``1,204 patients``: a number with its noun in agreement."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


def name_key(text: str) -> str:
    """Upper-case, accents and punctuation removed: the form names are searched in."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[^A-Z0-9 ]", "", plain.upper()).strip()


def phone_digits(text: str) -> str:
    """Digits only, without a leading US country code."""
    digits = re.sub(r"\D", "", text or "")
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    return digits


_DATE_PATTERNS = (
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"), ("y", "m", "d")),
    (re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$"), ("m", "d", "y")),
    (re.compile(r"^(\d{1,2})-(\d{1,2})-(\d{4})$"), ("m", "d", "y")),
    (re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$"), ("m", "d", "y")),
    (re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{2})$"), ("m", "d", "yy")),
    (re.compile(r"^(\d{2})(\d{2})(\d{4})$"), ("m", "d", "y")),
)


def parse_typed_date(text: str, *, today: dt.date | None = None) -> dt.date | None:
    """A birth date as people type it (US order): 1957-03-04, 3/4/1957, 03041957, 3/4/57.

    Two-digit years are read as the latest such date not after today (12/25/26, typed on
    12/07/2026, is 12/25/1926). Returns None when the text is not a date.
    """
    text = (text or "").strip()
    for pattern, order in _DATE_PATTERNS:
        match = pattern.match(text)
        if not match:
            continue
        parts = dict(zip(order, match.groups()))
        year = 2000 + int(parts["yy"]) if "yy" in parts else int(parts["y"])
        try:
            day = dt.date(year, int(parts["m"]), int(parts["d"]))
            if "yy" in parts and day > (today or dt.date.today()):
                day = dt.date(year - 100, day.month, day.day)
            return day
        except ValueError:  # no such day (a 29 February a century earlier included)
            return None
    return None


def age_on(birth_date: dt.date, on: dt.date) -> int:
    """Completed years on ``on``; a 29 February birthday counts on 1 March in common years
    (as CQL's AgeInYearsAt does: the birthday has not come until the calendar passes it)."""
    years = on.year - birth_date.year
    if (on.month, on.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


def months_on(birth_date: dt.date, on: dt.date) -> int:
    """Completed months on ``on`` (born 31 January: a month old on 28/29 February, the month's end)."""
    months = (on.year - birth_date.year) * 12 + on.month - birth_date.month
    if on.day < birth_date.day:
        # the day of birth is not reached yet this month, unless the month has no such day
        next_day = on + dt.timedelta(days=1)
        if next_day.month == on.month:
            months -= 1
    return max(months, 0)


def age_text(birth_date: dt.date, on: dt.date) -> str:
    """An age as a clinician writes it: days under a month, months under two years, else years
    ('9 d', '18 mo', '67 y')."""
    if birth_date > on:
        return ""
    months = months_on(birth_date, on)
    if months < 1:
        return f"{(on - birth_date).days} d"
    if months < 24:
        return f"{months} mo"
    return f"{age_on(birth_date, on)} y"


def phone_display(text: str) -> str:
    """A phone number in one format: (617) 555-0147 for a US number however it was typed or
    imported (617-555-0147, 6175550147, +1 617 555 0147); anything else as it was written."""
    digits = phone_digits(text)
    if len(digits) == 10:
        return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
    return (text or "").strip()


def us_date(day: dt.date | None) -> str:
    """A date as US clinics read it, 03/04/1957 (the screens' order, for sentences built below them)."""
    return "" if day is None else day.strftime("%m/%d/%Y")
