"""What people type: dates in several formats, ages on leap days."""
from __future__ import annotations

import datetime as dt

import pytest

from domain.text import age_on, name_key, parse_typed_date, phone_digits

TODAY = dt.date(2026, 11, 24)


@pytest.mark.parametrize("text,expected", [
    ("1957-03-04", dt.date(1957, 3, 4)), ("3/4/1957", dt.date(1957, 3, 4)),
    ("03/04/1957", dt.date(1957, 3, 4)), ("03041957", dt.date(1957, 3, 4)),
    ("3-4-1957", dt.date(1957, 3, 4)), ("3.4.1957", dt.date(1957, 3, 4)),
    ("3/4/57", dt.date(1957, 3, 4)), ("3/4/26", dt.date(2026, 3, 4)), ("3/4/27", dt.date(1927, 3, 4)),
    ("2/29/2024", dt.date(2024, 2, 29)),
    # a two-digit year is the latest such day not after today (11/24/2026): 11/24/26 is today,
    # 12/25/26 a century ago, 2/29/28 in 1928 (a leap year too)
    ("11/24/26", dt.date(2026, 11, 24)), ("12/25/26", dt.date(1926, 12, 25)), ("2/29/28", dt.date(1928, 2, 29)),
])
def test_dates_as_typed(text, expected):
    assert parse_typed_date(text, today=TODAY) == expected


@pytest.mark.parametrize("text", ["2/29/2023", "13/1/2000", "smith", "", "1957-3", "123"])
def test_not_dates(text):
    assert parse_typed_date(text, today=TODAY) is None


def test_leap_day_birthday_counts_on_first_of_march_in_common_years():
    born = dt.date(2008, 2, 29)
    assert age_on(born, dt.date(2026, 2, 28)) == 17
    assert age_on(born, dt.date(2026, 3, 1)) == 18
    assert age_on(born, dt.date(2028, 2, 29)) == 20


def test_age_on_birthday_and_day_before():
    born = dt.date(1960, 12, 31)
    assert age_on(born, dt.date(2025, 12, 30)) == 64
    assert age_on(born, dt.date(2025, 12, 31)) == 65


def test_name_and_phone_normalisation():
    assert name_key("  de la Cruz ") == "DE LA CRUZ"
    assert phone_digits("1-555-010-9999") == "5550109999"
    assert phone_digits("555.0109") == "5550109"


@pytest.mark.parametrize("unit,label", [
    ("mm[Hg]", "mmHg"), ("kg/m2", "kg/m²"), ("{score}", ""), ("%", "%"), ("", ""), ("mg/dL", "mg/dL"),
])
def test_units_read_as_clinicians_write_them(unit, label):
    from domain.facts import unit_label

    assert unit_label(unit) == label
