"""Rules of the night nurse line at their edges: after hours and the overnight window per
practice (midnight, weekends, holidays, a daylight-saving change, two time zones), the on-call
clinician at a slot's first and last minute, waiting time, and a call's own rules."""
from __future__ import annotations

import datetime as dt

import pytest

from domain.calls import (
    CALLBACK_TARGET, DISPOSITIONS, LEGACY_DISPOSITIONS, AfterHoursCall, CallPage, check_call_back, duration_label,
    is_late, needs_care_manager, practice_action, waited,
)
from domain.errors import DomainError
from domain.office_hours import OfficeHours, OpeningHours, parse_hhmm, to_local, to_utc
from domain.practice import OnCallSlot, on_call_at

T = dt.time
NEW_YORK, CHICAGO, PHOENIX = "America/New_York", "America/Chicago", "America/Phoenix"


def week(zone: str, opens=T(8), closes=T(17), days=range(5), closed=()) -> OfficeHours:
    return OfficeHours(zone, [OpeningHours(d, opens, closes) for d in days], closed)


def utc(*args) -> dt.datetime:
    return dt.datetime(*args)


def local(zone: str, *args) -> dt.datetime:
    return to_utc(dt.datetime(*args), zone)


# --- after hours --------------------------------------------------------------------------------

@pytest.mark.parametrize("wall,after", [
    ((2026, 11, 23, 16, 59), False), ((2026, 11, 23, 17, 0), True),  # Monday: closes at 17:00 sharp
    ((2026, 11, 24, 7, 59), True), ((2026, 11, 24, 8, 0), False),    # Tuesday: opens at 08:00 sharp
    ((2026, 11, 23, 23, 59), True), ((2026, 11, 24, 0, 0), True),    # across midnight
    ((2026, 11, 28, 12, 0), True),                                   # Saturday noon
    ((2026, 11, 26, 12, 0), True),                                   # Thanksgiving Day noon
])
def test_after_hours_is_the_practice_wall_clock(wall, after):
    office = week(NEW_YORK)
    assert office.is_after_hours(local(NEW_YORK, *wall)) is after


def test_the_same_instant_is_office_time_in_one_zone_and_after_hours_in_another():
    new_york, chicago = week(NEW_YORK), week(CHICAGO)
    instant = utc(2026, 3, 2, 13, 30)  # 08:30 in New York (EST), 07:30 in Chicago (CST)
    assert new_york.is_open(instant) and chicago.is_after_hours(instant)
    evening = utc(2026, 3, 2, 22, 30)  # 17:30 in New York, 16:30 in Chicago
    assert new_york.is_after_hours(evening) and chicago.is_open(evening)


def test_a_saturday_clinic_opens_but_not_on_a_holiday_that_falls_on_saturday():
    office = OfficeHours(NEW_YORK, [OpeningHours(d, T(8), T(17)) for d in range(5)] + [OpeningHours(5, T(9), T(12))])
    assert office.is_open(local(NEW_YORK, 2026, 11, 28, 10, 0))
    assert office.closed_reason(dt.date(2026, 7, 4)) == "Independence Day"  # a Saturday
    assert office.closed_reason(dt.date(2026, 7, 3)).startswith("Independence Day")  # observed on Friday
    assert office.closed_reason(dt.date(2026, 11, 29)) == "Closed on Sundays"


def test_a_practice_closed_day_is_after_hours_all_day():
    office = week(CHICAGO, closed={dt.date(2026, 10, 7): "Staff training day"})
    assert office.closed_reason(dt.date(2026, 10, 7)) == "Staff training day"
    assert office.is_after_hours(local(CHICAGO, 2026, 10, 7, 11, 0))
    night = office.overnight(dt.date(2026, 10, 8))  # Tuesday's closing to Thursday's opening
    assert (night.start, night.end) == (local(CHICAGO, 2026, 10, 6, 17, 0), local(CHICAGO, 2026, 10, 8, 8, 0))
    assert office.overnight(dt.date(2026, 10, 7)) == night


# --- the overnight window -------------------------------------------------------------------------

def test_a_weeknight_runs_from_closing_to_opening_across_midnight():
    office = week(NEW_YORK)
    night = office.overnight(dt.date(2026, 11, 24))  # Tuesday morning
    assert (night.start, night.end) == (local(NEW_YORK, 2026, 11, 23, 17, 0), local(NEW_YORK, 2026, 11, 24, 8, 0))
    assert night.hours == 15
    assert local(NEW_YORK, 2026, 11, 23, 23, 59) in night and local(NEW_YORK, 2026, 11, 24, 0, 1) in night
    assert night.end not in night and local(NEW_YORK, 2026, 11, 23, 16, 59) not in night


def test_the_weekend_is_one_night_from_friday_closing_to_monday_opening():
    office = week(NEW_YORK)
    monday = office.overnight(dt.date(2026, 11, 16))
    assert (monday.start, monday.end) == (local(NEW_YORK, 2026, 11, 13, 17, 0), local(NEW_YORK, 2026, 11, 16, 8, 0))
    # asked on the Saturday or the Sunday, it is the same weekend
    assert office.overnight(dt.date(2026, 11, 14)) == monday == office.overnight(dt.date(2026, 11, 15))


def test_thanksgiving_makes_the_night_from_wednesday_to_friday():
    office = week(NEW_YORK)
    friday = office.overnight(dt.date(2026, 11, 27))
    assert (friday.start, friday.end) == (local(NEW_YORK, 2026, 11, 25, 17, 0), local(NEW_YORK, 2026, 11, 27, 8, 0))
    assert office.overnight(dt.date(2026, 11, 26)) == friday  # asked on the holiday itself


def test_a_practice_closing_the_day_after_thanksgiving_hands_off_on_monday():
    office = week(NEW_YORK, closed={dt.date(2026, 11, 27): "Day after Thanksgiving"})
    night = office.overnight(dt.date(2026, 11, 30))
    assert (night.start, night.end) == (local(NEW_YORK, 2026, 11, 25, 17, 0), local(NEW_YORK, 2026, 11, 30, 8, 0))
    assert night.hours == 4 * 24 + 15


def test_the_spring_forward_weekend_is_an_hour_shorter_and_fall_back_an_hour_longer():
    office = week(NEW_YORK)
    spring = office.overnight(dt.date(2026, 3, 9))  # clocks went forward on Sunday 8 March
    assert spring.start == utc(2026, 3, 6, 22, 0)  # Friday 17:00 EST
    assert spring.end == utc(2026, 3, 9, 12, 0)    # Monday 08:00 EDT
    assert spring.hours == 63 - 1
    autumn = office.overnight(dt.date(2026, 11, 2))  # clocks went back on Sunday 1 November
    assert autumn.start == utc(2026, 10, 30, 21, 0)  # Friday 17:00 EDT
    assert autumn.end == utc(2026, 11, 2, 13, 0)     # Monday 08:00 EST
    assert autumn.hours == 63 + 1
    # Arizona keeps standard time all year: its weekend is 63 hours both times
    assert week(PHOENIX).overnight(dt.date(2026, 3, 9)).hours == 63


def test_two_practices_in_two_zones_have_two_nights():
    new_york, chicago = week(NEW_YORK), week(CHICAGO, opens=T(8, 30), closes=T(17, 30))
    a, b = new_york.overnight(dt.date(2026, 11, 24)), chicago.overnight(dt.date(2026, 11, 24))
    assert a.start == utc(2026, 11, 23, 22, 0) and b.start == utc(2026, 11, 23, 23, 30)
    assert a.end == utc(2026, 11, 24, 13, 0) and b.end == utc(2026, 11, 24, 14, 30)
    call = utc(2026, 11, 23, 22, 45)  # 17:45 in New York, 16:45 in Chicago
    assert call in a and call not in b
    assert chicago.hand_off_morning(call) == dt.date(2026, 11, 24)  # during Chicago's office hours: next opening
    # a call at the opening minute is the office's: the night that ended then does not hold it
    assert a.end not in a and new_york.hand_off_morning(a.end) == dt.date(2026, 11, 25)
    assert new_york.hand_off_morning(a.end - dt.timedelta(minutes=1)) == dt.date(2026, 11, 24)


def test_mid_morning_is_two_hours_after_opening_in_the_practice_zone():
    office = week(CHICAGO)
    assert office.mid_morning(dt.date(2026, 11, 24)) == local(CHICAGO, 2026, 11, 24, 10, 0)


def test_hours_are_checked():
    with pytest.raises(DomainError, match="close after it opens"):
        OfficeHours(NEW_YORK, [OpeningHours(0, T(17), T(8))])
    with pytest.raises(DomainError, match="twice"):
        OfficeHours(NEW_YORK, [OpeningHours(0, T(8), T(17)), OpeningHours(0, T(9), T(12))])
    with pytest.raises(DomainError, match="not a time zone"):
        OfficeHours("Mars/Olympus_Mons")
    with pytest.raises(DomainError, match="08:00"):
        parse_hhmm("25:00")
    with pytest.raises(DomainError, match="no opening hours"):
        OfficeHours(NEW_YORK, []).overnight(dt.date(2026, 11, 24))


def test_local_times_that_the_clock_skips_or_repeats():
    # 02:30 on 8 March 2026 does not exist in New York: read as standard time (07:30 UTC)
    assert to_utc(dt.datetime(2026, 3, 8, 2, 30), NEW_YORK) == utc(2026, 3, 8, 7, 30)
    # 01:30 on 1 November 2026 happens twice: the first (EDT) one
    assert to_utc(dt.datetime(2026, 11, 1, 1, 30), NEW_YORK) == utc(2026, 11, 1, 5, 30)
    assert to_local(utc(2026, 11, 1, 6, 30), NEW_YORK).strftime("%H:%M %Z") == "01:30 EST"


# --- the on-call rota ----------------------------------------------------------------------------------

def test_the_on_call_clinician_at_a_slot_first_and_last_minute():
    night = OnCallSlot(1, 10, utc(2026, 11, 23, 22, 0), utc(2026, 11, 24, 13, 0))
    day = OnCallSlot(1, 11, utc(2026, 11, 24, 13, 0), utc(2026, 11, 24, 22, 0))
    slots = [night, day]
    assert on_call_at(slots, night.starts_at).clinician_id == 10  # first minute
    assert on_call_at(slots, night.ends_at - dt.timedelta(minutes=1)).clinician_id == 10  # last minute
    assert on_call_at(slots, night.ends_at).clinician_id == 11  # the next slot's first minute
    assert on_call_at(slots, night.starts_at - dt.timedelta(minutes=1)) is None
    assert on_call_at(slots, day.ends_at) is None
    cover = OnCallSlot(1, 12, utc(2026, 11, 24, 3, 0), utc(2026, 11, 24, 5, 0))  # covers part of the night
    assert on_call_at([night, cover], utc(2026, 11, 24, 4, 0)).clinician_id == 12
    assert on_call_at([night, cover], utc(2026, 11, 24, 5, 0)).clinician_id == 10


# --- waiting time --------------------------------------------------------------------------------------

def test_waiting_time_and_the_thirty_minute_target():
    received = utc(2026, 11, 24, 3, 0)
    assert waited(received, received + dt.timedelta(minutes=29, seconds=59)) < CALLBACK_TARGET
    assert not is_late(received, received + dt.timedelta(minutes=30))  # exactly 30 minutes is on time
    assert is_late(received, received + dt.timedelta(minutes=30, seconds=1))
    assert waited(received, received - dt.timedelta(minutes=3)) == dt.timedelta(0)  # another clock ahead
    assert duration_label(dt.timedelta(minutes=7, seconds=50)) == "7 min"
    assert duration_label(dt.timedelta(minutes=65)) == "1 h 05 min"
    assert duration_label(dt.timedelta(days=3, hours=2)) == "3 d 2 h"


# --- a call's own rules ----------------------------------------------------------------------------------

def call(**fields) -> AfterHoursCall:
    values = dict(practice_id=1, received_at=utc(2026, 11, 24, 3, 0), caller_name="Ann Lee", reason="Fever",
                  caller_phone="617-555-0100")
    values.update(fields)
    return AfterHoursCall(**values)


def test_a_call_back_before_the_call_was_received_is_refused_with_both_times():
    received = utc(2026, 11, 24, 6, 30)
    with pytest.raises(DomainError, match="call-back cannot be before the call was received"):
        call(received_at=received, called_back_at=received - dt.timedelta(minutes=20), disposition="home_care").validate()
    describe = lambda instant: to_local(instant, NEW_YORK).strftime("%H:%M %Z")  # noqa: E731
    with pytest.raises(DomainError) as error:
        check_call_back(received, received - dt.timedelta(minutes=20), describe)
    assert str(error.value) == ("The call-back (01:10 EST) cannot be before the call was received (01:30 EST); "
                                "check both times.")
    check_call_back(received, received, describe)  # answered live


def test_waiting_and_complete_calls():
    waiting = call()
    waiting.validate()
    assert waiting.waiting
    with pytest.raises(DomainError, match="phone number"):
        call(caller_phone="").validate()
    with pytest.raises(DomainError, match="no disposition yet"):
        call(disposition="home_care").validate()
    with pytest.raises(DomainError, match="needs a disposition"):
        call(called_back_at=utc(2026, 11, 24, 3, 5)).validate()
    with pytest.raises(DomainError, match="acknowledged once it is complete"):
        waiting.acknowledge("Front desk")
    done = call(called_back_at=utc(2026, 11, 24, 3, 12), disposition="see_within_24h")
    done.validate()
    assert done.callback_minutes == 12
    done.acknowledge("Front desk", utc(2026, 11, 24, 14, 0))
    with pytest.raises(DomainError, match="Already acknowledged by Front desk"):
        done.acknowledge("Someone else")


def test_paging_names_the_clinician_and_comes_after_the_call():
    paged = call(called_back_at=utc(2026, 11, 24, 3, 5), disposition="on_call_paged")
    with pytest.raises(DomainError, match="clinician paged"):
        paged.validate()
    with pytest.raises(DomainError, match="before the call was received"):
        paged.add_page(CallPage(10, utc(2026, 11, 24, 2, 0)))
    paged.add_page(CallPage(10, utc(2026, 11, 24, 3, 10), "no_answer"))
    paged.add_page(CallPage(11, utc(2026, 11, 24, 3, 25), "reached", "Start antibiotic"))
    assert (paged.escalated_to_id, paged.escalated_at) == (11, utc(2026, 11, 24, 3, 25))
    paged.validate()
    with pytest.raises(DomainError, match="outcome"):
        paged.add_page(CallPage(11, utc(2026, 11, 24, 3, 30), "maybe"))


def test_a_caller_not_yet_a_patient_needs_the_patient_name_unless_calling_for_themselves():
    call(called_back_at=utc(2026, 11, 24, 3, 5), disposition="home_care").validate()  # self
    with pytest.raises(DomainError, match="patient's name"):
        call(caller_relation="parent").validate()
    parent = call(caller_relation="parent", patient_name="Mia Lee")
    parent.validate()
    assert parent.who_for == "Mia Lee" and call().who_for == "Ann Lee"


def test_dispositions_map_from_the_old_codes_and_say_what_the_practice_must_do():
    assert set(LEGACY_DISPOSITIONS.values()) <= set(DISPOSITIONS)
    assert LEGACY_DISPOSITIONS["office_next_day"] == "see_within_24h"
    assert LEGACY_DISPOSITIONS["911"] == "call_911"
    assert needs_care_manager("ed_now", False) and needs_care_manager("call_911", False)
    assert needs_care_manager("home_care", True) and not needs_care_manager("see_within_24h", False)
    assert practice_action("see_within_24h") == "Offer an appointment within 24 hours."
    assert practice_action("see_within_24h", "Book BP check") == "Book BP check — Offer an appointment within 24 hours."
    assert practice_action("home_care", follow_up_needed=True).startswith("Follow-up asked for")


def test_a_mornings_hand_off_covers_its_night_and_the_office_hours_before_it():
    new_york = week(NEW_YORK)
    covered, night = new_york.hand_off(dt.date(2026, 11, 24)), new_york.overnight(dt.date(2026, 11, 24))
    assert covered.end == night.end and covered.start == utc(2026, 11, 23, 13, 0)  # Monday's opening, 08:00
    for call in (utc(2026, 11, 23, 13, 0), utc(2026, 11, 23, 19, 25), night.start, night.end - dt.timedelta(minutes=1)):
        assert call in covered and new_york.hand_off_morning(call) == dt.date(2026, 11, 24)
    assert night.end not in covered
