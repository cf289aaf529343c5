"""Rules at their edges: the referral loop (every allowed and every forbidden move), overdue at
exactly the expected time, the outreach schedule (three tries on different days), the
transitional-care window in business days, snoozes and typed days."""
from __future__ import annotations

import datetime as dt

import pytest

from domain import referral as ref
from domain.business_days import BusinessCalendar
from domain.errors import DomainError, InvalidTransition
from domain.outreach import (
    DECLINED, IN_PROGRESS, REACHED, UNABLE_TO_REACH, OutreachAttempt, Try, outreach_progress, target_key,
)
from domain.today import (
    TodayMark, check_snooze, discharge_contact_due, in_discharge_window, is_two_way_contact, parse_day,
)

T0 = dt.datetime(2026, 3, 2, 9, 0)

# a walk from Ordered to each state along NEXT
PATHS = {"ordered": [], "sent": ["sent"], "scheduled": ["sent", "scheduled"], "seen": ["sent", "scheduled", "seen"],
         "report_received": ["sent", "scheduled", "seen", "report_received"],
         "closed": ["sent", "scheduled", "seen", "report_received", "closed"], "cancelled": ["cancelled"],
         "declined": ["declined"], "no_show": ["sent", "scheduled", "no_show"],
         "unable_to_reach": ["unable_to_reach"]}


def referral_in(state: str, urgency: str = "routine") -> ref.Referral:
    r = ref.Referral.order(by="Dana", at=T0, patient_id=1, specialty="Cardiology", reason="Chest pain",
                           urgency=urgency)
    for step in PATHS[state]:
        r.advance_to(step, by="Dana", at=T0)
    assert r.state == state
    return r


def test_the_paths_cover_every_state():
    assert set(PATHS) == set(ref.STATES)


@pytest.mark.parametrize("source,target", [(s, t) for s in ref.STATES for t in ref.NEXT[s]])
def test_every_allowed_move(source, target):
    r = referral_in(source)
    event = r.advance_to(target, by="Sam", at=T0 + dt.timedelta(hours=1), note="as planned")
    assert (r.state, r.state_since) == (target, T0 + dt.timedelta(hours=1))
    assert (event.from_state, event.to_state, event.by, event.note) == (source, target, "Sam", "as planned")


@pytest.mark.parametrize("source,target", [(s, t) for s in ref.STATES for t in ref.STATES if t not in ref.NEXT[s]])
def test_every_forbidden_move_is_refused_and_changes_nothing(source, target):
    r = referral_in(source)
    events = len(r.events)
    with pytest.raises(InvalidTransition, match="cannot become"):
        r.advance_to(target, by="Sam", at=T0 + dt.timedelta(hours=1))
    assert (r.state, len(r.events)) == (source, events)


def test_backwards_names_what_is_allowed():
    r = referral_in("scheduled")
    with pytest.raises(InvalidTransition, match="A referral that is Scheduled cannot become Sent; it can become "
                                                "Seen, No-show, Cancelled, Declined by patient"):
        r.advance_to("sent", by="Sam", at=T0 + dt.timedelta(hours=1))


@pytest.mark.parametrize("urgency,state", [(u, s) for u in ref.URGENCIES for s in ref.EXPECTED_DAYS[u]])
def test_overdue_at_exactly_the_expected_time_is_not_yet(urgency, state):
    r = referral_in(state, urgency)
    limit = dt.timedelta(days=ref.EXPECTED_DAYS[urgency][state])
    assert r.due_at() == T0 + limit
    assert not r.is_overdue(T0 + limit)
    assert r.is_overdue(T0 + limit + dt.timedelta(seconds=1))


def test_the_pods_own_expected_days_decide():
    r = referral_in("sent")
    pod_days = {u: dict(s) for u, s in ref.EXPECTED_DAYS.items()}
    pod_days["routine"]["sent"] = 5
    assert r.is_overdue(T0 + dt.timedelta(days=6), pod_days)
    assert not r.is_overdue(T0 + dt.timedelta(days=6))


@pytest.mark.parametrize("state", sorted(ref.FINAL))
def test_a_final_referral_is_never_due(state):
    r = referral_in(state)
    assert r.due_at() is None and not r.is_overdue(T0 + dt.timedelta(days=3650))


@pytest.mark.parametrize("value,message", [(0, "between 1 and 365; got 0"), (366, "got 366"),
                                           ("7", "whole number"), (True, "whole number"), (2.5, "whole number")])
def test_expected_days_out_of_range_are_refused(value, message):
    table = {u: dict(s) for u, s in ref.EXPECTED_DAYS.items()}
    table["urgent"]["scheduled"] = value
    with pytest.raises(DomainError, match="urgent referral that is Scheduled must be .*" + message.split(";")[0]):
        ref.checked_expected_days(table)


# --- outreach ------------------------------------------------------------------------------------

MON = dt.date(2026, 11, 2)


def tries(*pairs) -> list[Try]:
    return [Try(day, outcome) for day, outcome in pairs]


def test_three_tries_the_same_day_are_one():
    progress = outreach_progress(tries((MON, "no_answer"), (MON, "left_message"), (MON, "no_answer")))
    assert (progress.status, progress.days_tried) == (IN_PROGRESS, 1)
    assert progress.next_try == dt.date(2026, 11, 3)


def test_three_different_days_without_reaching_is_unable_to_reach():
    days = [MON, MON + dt.timedelta(days=1), MON + dt.timedelta(days=3)]
    two = outreach_progress(tries((days[0], "no_answer"), (days[1], "wrong_number")))
    assert (two.status, two.days_tried) == (IN_PROGRESS, 2)
    three = outreach_progress(tries((days[0], "no_answer"), (days[1], "wrong_number"), (days[2], "left_message")))
    assert (three.status, three.days_tried, three.next_try, three.settled_on) == (UNABLE_TO_REACH, 3, None, days[2])
    assert three.describe() == "Unable to reach after 3 tries on different days (11/05/2026)"


@pytest.mark.parametrize("outcome,status", [("reached", REACHED), ("declined", DECLINED)])
def test_reached_or_declined_end_the_round(outcome, status):
    progress = outreach_progress(tries((MON, "no_answer"), (MON + dt.timedelta(days=1), outcome)))
    assert (progress.status, progress.next_try) == (status, None)


def test_a_try_after_the_round_ended_starts_a_new_one():
    progress = outreach_progress(tries((MON, "reached"), (MON + dt.timedelta(days=30), "no_answer")))
    assert (progress.status, progress.days_tried) == (IN_PROGRESS, 1)


def test_next_try_skips_weekends_holidays_and_closed_days():
    friday = dt.date(2026, 11, 6)
    assert outreach_progress(tries((friday, "left_message"))).next_try == dt.date(2026, 11, 10)  # Tue
    # Wednesday 25 November: Thanksgiving (Thu) and the practice's own Friday closing are skipped
    calendar = BusinessCalendar({dt.date(2026, 11, 27): "Day after Thanksgiving"})
    assert outreach_progress(tries((dt.date(2026, 11, 25), "no_answer")), calendar).next_try == dt.date(2026, 11, 30)


def test_an_attempt_is_about_one_thing():
    attempt = OutreachAttempt(1, T0, "phone", "reached", "Dana", gap_id=3, referral_id=4)
    with pytest.raises(DomainError, match="not both"):
        attempt.validate()
    assert target_key(1, None, 4) == "referral:4" and target_key(1) == "patient:1" and target_key(1, 3) == "gap:3"


def test_an_unknown_outcome_is_refused():
    with pytest.raises(DomainError, match="Outcome must be one of"):
        outreach_progress(tries((MON, "voicemail")))


# --- Today ----------------------------------------------------------------------------------------

def test_a_friday_discharge_before_a_monday_holiday_is_due_on_wednesday():
    friday = dt.date(2026, 9, 4)  # Labor Day is Monday 7 September
    calendar = BusinessCalendar()
    assert discharge_contact_due(friday, calendar) == dt.date(2026, 9, 9)
    assert in_discharge_window(friday, dt.date(2026, 9, 9), calendar)
    assert not in_discharge_window(friday, dt.date(2026, 9, 10), calendar)
    assert not in_discharge_window(friday, dt.date(2026, 9, 3), calendar)


def test_a_discharge_before_the_practices_closed_day_and_across_the_year_end():
    calendar = BusinessCalendar({dt.date(2026, 12, 28): "Staff training"})
    # Thursday 24 Dec: Christmas (Fri), the weekend and the practice's Monday off are skipped
    assert discharge_contact_due(dt.date(2026, 12, 24), calendar) == dt.date(2026, 12, 30)
    # Wednesday 30 Dec: New Year's Day (Fri 1 Jan 2027) and the weekend
    assert discharge_contact_due(dt.date(2026, 12, 30), BusinessCalendar()) == dt.date(2027, 1, 4)


def test_only_reaching_the_patient_or_a_transitional_care_contact_is_two_way():
    assert is_two_way_contact(outcome="reached")
    assert is_two_way_contact(activity="transition_of_care")
    for outcome in ("left_message", "no_answer", "wrong_number", "declined"):
        assert not is_two_way_contact(outcome=outcome)
    assert not is_two_way_contact(activity="care_coordination")


@pytest.mark.parametrize("until,reason,message", [
    (dt.date(2026, 11, 1), "away", "11/01/2026 is in the past: choose a day after today \\(11/02/2026\\)"),
    (dt.date(2026, 11, 2), "away", "is today"),
    (dt.date(2027, 11, 3), "away", "at most 365 days"),
    (dt.date(2026, 11, 3), " ", "why"),
    (None, "away", "until which day"),
])
def test_a_snooze_needs_a_later_day_within_a_year_and_a_reason(until, reason, message):
    with pytest.raises(DomainError, match=message):
        check_snooze(until, reason, MON)
    with pytest.raises(DomainError):
        TodayMark.snooze(item_kind="task", record_id=1, until=until, reason=reason, by="Dana", today=MON)


def test_a_snooze_a_day_later_and_a_year_later_are_fine():
    check_snooze(MON + dt.timedelta(days=1), "back tomorrow", MON)
    check_snooze(MON + dt.timedelta(days=365), "annual", MON)


@pytest.mark.parametrize("text,day", [("+3", dt.date(2026, 11, 5)), ("11/20/2026", dt.date(2026, 11, 20)),
                                      ("2026-11-20", dt.date(2026, 11, 20)), ("11202026", dt.date(2026, 11, 20))])
def test_typed_days(text, day):
    assert parse_day(text, MON) == day


@pytest.mark.parametrize("text", ["", "tomorrow", "3/4/27", "13/45/2026", "+99999999", "+²", "+" + "9" * 5000])
def test_typed_days_that_are_not_days(text):
    with pytest.raises(DomainError):
        parse_day(text, MON)
