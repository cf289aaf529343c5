"""Business days at their edges: weekends, federal holidays and their observed days, a practice's
own closed days, month and year ends."""
from __future__ import annotations

import datetime as dt

import pytest

from domain.business_days import BusinessCalendar

D = dt.date


def test_weekends_and_federal_holidays_are_skipped():
    cal = BusinessCalendar()
    assert cal.add(D(2026, 12, 4), 1) == D(2026, 12, 7)       # Friday + 1 -> Monday
    assert cal.add(D(2026, 7, 2), 1) == D(2026, 7, 6)         # 3 July observed, 4 July Saturday
    assert cal.closed_reason(D(2026, 7, 3)) == "Independence Day (observed)"
    assert cal.add(D(2026, 11, 25), 2) == D(2026, 11, 30)     # Thanksgiving, then the weekend
    assert cal.add(D(2026, 12, 24), 1) == D(2026, 12, 28)     # Christmas Friday, then the weekend


def test_month_and_year_ends():
    cal = BusinessCalendar()
    assert cal.add(D(2026, 12, 31), 1) == D(2027, 1, 4)       # 1 Jan holiday (Fri), then weekend
    assert cal.add(D(2027, 2, 26), 2) == D(2027, 3, 2)
    assert cal.add(D(2024, 2, 28), 1) == D(2024, 2, 29)       # a leap day is a Thursday


def test_a_practice_closed_day_with_its_reason():
    cal = BusinessCalendar({D(2026, 11, 27): "Day after Thanksgiving"})
    assert cal.closed_reason(D(2026, 11, 27)) == "Day after Thanksgiving"
    assert cal.add(D(2026, 11, 25), 1) == D(2026, 11, 30)
    assert BusinessCalendar([D(2026, 12, 8)]).closed_reason(D(2026, 12, 8)) == "Practice closed"


def test_counting_between_two_days():
    cal = BusinessCalendar()
    assert cal.between(D(2026, 12, 4), D(2026, 12, 8)) == 2   # Mon and Tue after a Friday
    assert cal.between(D(2026, 12, 8), D(2026, 12, 8)) == 0
    assert cal.between(D(2026, 12, 9), D(2026, 12, 8)) == 0
    assert cal.next_business_day(D(2026, 12, 5)) == D(2026, 12, 7)
    with pytest.raises(ValueError):
        cal.add(D(2026, 12, 4), -1)
