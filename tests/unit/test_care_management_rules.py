"""Chronic and transitional care rules at their edges (domain.care_management, domain.time_entry)."""
from __future__ import annotations

import datetime as dt

import pytest

from domain import care_management as cm
from domain.business_days import BusinessCalendar
from domain.errors import DomainError
from domain.time_entry import RunningTimer, TimeEntry, check_not_claimed

MARCH = dt.date(2026, 3, 1)
CONSENTED = cm.Consent(dt.date(2026, 1, 5))


def entry(minutes: int, day: int = 10, *, programme: str = "ccm", performer: str = "clinical_staff",
          practice: int | None = 1, month: int = 3, staff: str = "Dana", start: str | None = None) -> TimeEntry:
    started = None if start is None else dt.datetime.fromisoformat(f"2026-{month:02d}-{day:02d}T{start}")
    return TimeEntry(staff, 1, minutes, "care_coordination", dt.date(2026, month, day), programme=programme,
                     performer=performer, practice_id=practice, started_at=started)


@pytest.mark.parametrize("minutes,codes,next_step", [
    (19, (), ("99490", 1)),
    (20, (("99490", 1),), ("99439", 20)),
    (39, (("99490", 1),), ("99439", 1)),
    (40, (("99490", 1), ("99439", 1)), ("99439", 20)),
    (59, (("99490", 1), ("99439", 1)), ("99439", 1)),
    (60, (("99490", 1), ("99439", 2)), None),
    (95, (("99490", 1), ("99439", 2)), None),  # at most two add-ons
])
def test_basic_ccm_thresholds(minutes, codes, next_step):
    month = cm.ccm_month([entry(minutes)], MARCH, CONSENTED)
    assert month.codes == codes and month.staff_minutes == minutes and month.to_next == next_step


@pytest.mark.parametrize("minutes,codes", [
    (59, (("99490", 1), ("99439", 1))),  # complex below 60: the basic codes
    (60, (("99487", 1),)), (89, (("99487", 1),)), (90, (("99487", 1), ("99489", 1))),
    (120, (("99487", 1), ("99489", 2))),
])
def test_complex_ccm_thresholds(minutes, codes):
    month = cm.ccm_month([entry(minutes - 10), entry(10, 11, programme="complex_ccm")], MARCH, CONSENTED)
    assert month.complex and month.codes == codes


def test_the_billing_practitioners_own_minutes_make_99491_and_are_not_the_staffs():
    assert cm.ccm_month([entry(29, performer="practitioner")], MARCH, CONSENTED).codes == ()
    month = cm.ccm_month([entry(30, performer="practitioner"), entry(15)], MARCH, CONSENTED)
    assert month.codes == (("99491", 1),) and month.staff_minutes == 15 and month.practitioner_minutes == 30


def test_consent_dated_after_some_minutes_of_the_month():
    entries = [entry(12, 3), entry(9, 9), entry(15, 20)]
    month = cm.ccm_month(entries, MARCH, cm.Consent(dt.date(2026, 3, 10)))
    assert month.staff_minutes == 15 and month.codes == ()
    assert [(u.minutes, u.reason) for u in month.uncounted] == [(21, "before consent (2026-03-10)")]
    on_the_day = cm.ccm_month(entries + [entry(5, 10)], MARCH, cm.Consent(dt.date(2026, 3, 10)))
    assert on_the_day.staff_minutes == 20 and on_the_day.codes == (("99490", 1),)  # the consent day counts
    none = cm.ccm_month(entries, MARCH, cm.Consent(None))
    assert none.staff_minutes == 0 and none.uncounted[0].reason == "no consent on record"


def test_withdrawal_ends_consent_at_the_end_of_that_month():
    consent = cm.Consent(dt.date(2026, 1, 5), withdrawn_on=dt.date(2026, 3, 15))
    assert cm.ccm_month([entry(25, 31)], MARCH, consent).codes == (("99490", 1),)
    april = cm.ccm_month([entry(25, 1, month=4)], dt.date(2026, 4, 1), consent)
    assert april.codes == () and april.uncounted[0].reason == "after consent was withdrawn (2026-03-15)"
    assert consent.covers(dt.date(2026, 3, 31)) and not consent.covers(dt.date(2026, 4, 1))


def test_one_billing_practice_per_patient_and_month():
    month = cm.ccm_month([entry(15, 2, practice=1), entry(20, 9, practice=2), entry(5, 12, practice=1)], MARCH,
                         CONSENTED, practice_names={1: "Oak", 2: "Elm"})
    assert month.billing_practice_id == 1 and month.staff_minutes == 20 and month.codes == (("99490", 1),)
    assert [(u.minutes, u.reason) for u in month.uncounted] == [(20, "another practice (Oak bills this month)")]


def test_a_minute_counts_for_one_programme_only():
    month = cm.ccm_month([entry(15), entry(20, programme="tcm"), entry(10, programme="none")], MARCH, CONSENTED)
    assert month.staff_minutes == 15 and month.tcm_minutes == 20 and month.codes == ()
    assert month.uncounted[0].minutes == 10


def test_other_months_and_entries_in_error_are_left_aside():
    wrong = entry(30)
    wrong.entered_in_error = True
    month = cm.ccm_month([wrong, entry(30, 28, month=2), entry(30, 1, month=4)], MARCH, CONSENTED)
    assert month.logged_minutes == 0


def test_advanced_primary_care_management_is_flagged_by_condition_count():
    assert cm.apcm_level(3, CONSENTED, MARCH)[0] == "G0557"
    assert cm.apcm_level(1, CONSENTED, MARCH)[0] == "G0556"
    assert cm.apcm_level(0, CONSENTED, MARCH)[0] == "G0556"
    assert cm.apcm_level(3, cm.Consent(None), MARCH) is None
    assert cm.apcm_level(None, CONSENTED, MARCH) is None  # never tiered: the count is not known
    assert cm.apcm_level(2, cm.Consent(dt.date(2026, 3, 31)), MARCH)[0] == "G0557"  # consent within the month


# --- one minute claimed twice -----------------------------------------------------------------

def test_one_minute_claimed_twice_is_refused_whatever_the_programme():
    first = entry(20, 10, start="09:00")
    first.id = 1
    overlapping = entry(15, 10, programme="tcm", start="09:19")
    with pytest.raises(DomainError, match="already claimed"):
        check_not_claimed(overlapping, [first], lambda e: f"entry {e.id}")
    check_not_claimed(entry(15, 10, start="09:20"), [first])  # starts as the other ends
    check_not_claimed(entry(15, 10, start="09:05", staff="Sam"), [first])  # another staff member's minutes
    first.entered_in_error = True
    check_not_claimed(overlapping, [first])  # an entry in error claims nothing


@pytest.mark.parametrize("minutes", [0, -5, 601, 1000])
def test_minutes_out_of_range(minutes):
    with pytest.raises(DomainError, match="Minutes must be a whole number from 1 to 600"):
        entry(minutes).validate()


def test_time_cannot_be_logged_for_the_future():
    now = dt.datetime(2026, 3, 10, 12, 0)
    with pytest.raises(DomainError, match="day still to come"):
        entry(10, 11).validate(now=now, today=now.date())
    with pytest.raises(DomainError, match="still to come"):
        entry(30, 10, start="11:45").validate(now=now, today=now.date())
    entry(30, 10, start="11:30").validate(now=now, today=now.date())  # ends now: fine
    entry(30, 2, month=1).validate(now=now, today=now.date())  # backdated: fine


def test_a_running_timer_counts_whole_minutes_and_stops_once():
    timer = RunningTimer("Dana", 1, dt.datetime(2026, 3, 10, 9, 0))
    assert timer.elapsed_minutes(dt.datetime(2026, 3, 10, 9, 0, 10)) == 1
    assert timer.elapsed_minutes(dt.datetime(2026, 3, 10, 9, 12, 29)) == 12
    assert timer.elapsed_minutes(dt.datetime(2026, 3, 10, 9, 12, 30)) == 13
    timer.stop("saved", dt.datetime(2026, 3, 10, 9, 13))
    with pytest.raises(DomainError, match="already saved"):
        timer.stop("discarded")


# --- transitional care --------------------------------------------------------------------------

def discharge(day: dt.date, disposition: str = "home") -> cm.Discharge:
    return cm.Discharge(1, day, disposition, disposition.capitalize())


def contact(day: dt.date, two_way: bool = True) -> cm.Contact:
    return cm.Contact(day, two_way, "phone, reached" if two_way else "phone, left message")


def test_a_discharge_on_a_friday_before_a_holiday():
    friday = dt.date(2026, 9, 4)  # Labor Day is Monday 7 September
    calendar = BusinessCalendar()
    care = cm.transitional_care(discharge(friday), [contact(dt.date(2026, 9, 9))], [], calendar,
                                today=dt.date(2026, 9, 30))
    assert care.contact_due == dt.date(2026, 9, 9)  # Tuesday and Wednesday are the two business days
    assert care.contact.state == "met"
    late = cm.transitional_care(discharge(friday), [contact(dt.date(2026, 9, 10))], [], calendar,
                                today=dt.date(2026, 9, 30))
    assert late.contact.state == "late"
    closed = BusinessCalendar({dt.date(2026, 9, 8): "Staff training"})  # the practice's own closed day
    assert cm.transitional_care(discharge(friday), [], [], closed, today=friday).contact_due == dt.date(2026, 9, 10)
    observed = cm.transitional_care(discharge(dt.date(2026, 7, 2)), [], [], calendar, today=dt.date(2026, 7, 2))
    assert observed.contact_due == dt.date(2026, 7, 7)  # 3 July 2026 is the observed Independence Day
    assert observed.contact.state == "open"


def test_a_left_message_does_not_count():
    day = dt.date(2026, 3, 2)
    care = cm.transitional_care(discharge(day), [contact(dt.date(2026, 3, 3), two_way=False)], [],
                                BusinessCalendar(), today=dt.date(2026, 3, 20))
    assert care.contact.state == "missed"
    assert "1 attempt without reaching the patient" in care.contact.detail
    same_day = cm.transitional_care(discharge(day), [contact(day)], [], BusinessCalendar(), today=day)
    assert same_day.contact.state == "met"  # a call on the discharge day counts


@pytest.mark.parametrize("visit_day,state,code", [
    (7, "met", "99496"), (8, "met", "99495"), (14, "met", "99495"), (15, "missed", None), (0, "missed", None),
])
def test_face_to_face_visit_within_7_or_14_days(visit_day, state, code):
    day = dt.date(2026, 3, 2)
    care = cm.transitional_care(discharge(day), [contact(dt.date(2026, 3, 3))], [day + dt.timedelta(days=visit_day)],
                                BusinessCalendar(), today=dt.date(2026, 4, 30))
    assert care.visit.state == state and care.code == code
    assert care.period_end == dt.date(2026, 3, 31)  # day 30 of the period that starts on the discharge date


def test_windows_still_open_and_a_facility_discharge():
    day = dt.date(2026, 3, 2)
    care = cm.transitional_care(discharge(day), [], [], BusinessCalendar(), today=dt.date(2026, 3, 4))
    assert (care.contact.state, care.visit.state, care.code) == ("open", "open", None)
    snf = cm.transitional_care(discharge(day, "snf"), [contact(day)], [day + dt.timedelta(days=3)],
                               BusinessCalendar(), today=dt.date(2026, 3, 20))
    assert not snf.eligible and snf.contact.state == "not_eligible" and snf.code is None
