"""Rules of the workflow records: referral loop, calls, reviews, tasks, time, gaps, corrections."""
from __future__ import annotations

import datetime as dt

import pytest

from domain import referral as ref
from domain.care_plan import CarePlan, CareGoal, Task
from domain.errors import DomainError, InvalidTransition
from domain.gaps import GapOverride, state_from_populations
from domain.history import correct
from domain.medication_review import DrugTherapyProblem, MedicationReview
from domain.outreach import OutreachAttempt
from domain.practice import OnCallSlot, Practice, StaffMember, on_call_at

T0 = dt.datetime(2026, 3, 2, 9, 0)


def new_referral(**kw) -> ref.Referral:
    fields = dict(by="Dana", at=T0, patient_id=1, specialty="Cardiology", reason="Chest pain")
    fields.update(kw)
    return ref.Referral.order(**fields)


def test_referral_walks_the_closed_loop_and_keeps_each_step():
    r = new_referral()
    for i, state in enumerate(["sent", "scheduled", "seen", "report_received", "closed"], start=1):
        r.advance_to(state, by="Dana", at=T0 + dt.timedelta(days=i))
    assert [e.to_state for e in r.events] == list(ref.LOOP)
    assert [e.from_state for e in r.events][1:] == list(ref.LOOP[:-1])
    assert r.state == "closed" and r.state in ref.FINAL


@pytest.mark.parametrize("start,target", [
    ("ordered", "seen"), ("ordered", "closed"), ("sent", "report_received"), ("scheduled", "closed"),
])
def test_referral_cannot_skip_steps(start, target):
    r = new_referral()
    path = list(ref.LOOP[: ref.LOOP.index(start) + 1])[1:]
    for state in path:
        r.advance_to(state, by="Dana", at=T0 + dt.timedelta(hours=1))
    with pytest.raises(InvalidTransition, match="cannot become"):
        r.advance_to(target, by="Dana", at=T0 + dt.timedelta(days=1))


def test_final_states_go_nowhere_and_no_show_can_be_rescheduled():
    r = new_referral()
    r.advance_to("sent", by="D", at=T0)
    r.advance_to("scheduled", by="D", at=T0)
    r.advance_to("no_show", by="D", at=T0)
    r.advance_to("scheduled", by="D", at=T0)
    r.advance_to("cancelled", by="D", at=T0)
    with pytest.raises(InvalidTransition, match="nothing"):
        r.advance_to("scheduled", by="D", at=T0)


def test_referral_change_cannot_be_backdated_or_anonymous():
    r = new_referral()
    with pytest.raises(InvalidTransition, match="before the previous"):
        r.advance_to("sent", by="D", at=T0 - dt.timedelta(minutes=1))
    with pytest.raises(DomainError, match="who"):
        r.advance_to("sent", by="", at=T0)


def test_referral_overdue_on_the_day_after_its_expected_time():
    r = new_referral(urgency="urgent")  # ordered may last 1 day when urgent
    assert not r.is_overdue(T0 + dt.timedelta(days=1))
    assert r.is_overdue(T0 + dt.timedelta(days=2))
    r.advance_to("cancelled", by="D", at=T0)
    assert not r.is_overdue(T0 + dt.timedelta(days=90))


def test_entered_in_error_referral_cannot_move():
    r = new_referral()
    r.entered_in_error = True
    with pytest.raises(InvalidTransition, match="entered-in-error"):
        r.advance_to("sent", by="D", at=T0)


def test_on_call_slot_boundaries():
    a = OnCallSlot(1, 10, dt.datetime(2026, 1, 1, 17), dt.datetime(2026, 1, 2, 8))
    b = OnCallSlot(1, 11, dt.datetime(2026, 1, 2, 8), dt.datetime(2026, 1, 2, 17))
    assert on_call_at([a, b], dt.datetime(2026, 1, 2, 7, 59)).clinician_id == 10
    assert on_call_at([a, b], dt.datetime(2026, 1, 2, 8, 0)).clinician_id == 11
    assert on_call_at([a, b], dt.datetime(2026, 1, 1, 16, 59)) is None
    with pytest.raises(DomainError):
        OnCallSlot(1, 1, a.ends_at, a.starts_at).validate()


def test_practice_and_staff_validation():
    Practice(code="OAK-1", name="Oak").validate()
    for bad in ("o", "oak", "TOO-LONG-CODE-1234"):
        with pytest.raises(DomainError, match="Practice code"):
            Practice(code=bad, name="Oak").validate()
    with pytest.raises(DomainError, match="roles"):
        StaffMember(name="Kim", roles="wizard").validate()
    StaffMember(name="Kim", roles="care_manager,nurse").validate()


def test_review_problem_response_needs_a_date():
    review = MedicationReview(patient_id=1, review_type="targeted", review_date=dt.date(2026, 1, 5),
                              pharmacist="P. Shah")
    review.problems.append(DrugTherapyProblem("adverse_reaction", "NSAID with CKD", response="accepted"))
    with pytest.raises(DomainError, match="date"):
        review.validate()
    review.problems[0].responded_at = dt.date(2026, 1, 6)
    review.validate()
    review.follow_up_date = dt.date(2026, 1, 4)
    with pytest.raises(DomainError, match="Follow-up"):
        review.validate()


def test_outreach_care_plan_task_rules():
    with pytest.raises(DomainError, match="Outcome"):
        OutreachAttempt(1, T0, "phone", "maybe", by="D").validate()
    plan = CarePlan(patient_id=1, title="Diabetes", goals=[CareGoal("A1c < 8", status="someday")])
    with pytest.raises(DomainError, match="Goal status"):
        plan.validate()
    task = Task("Call back", "Dana", dt.date(2026, 3, 1))
    assert task.is_overdue(dt.date(2026, 3, 2)) and not task.is_overdue(dt.date(2026, 3, 1))
    task.complete(T0)
    with pytest.raises(DomainError, match="already done"):
        task.complete(T0)


@pytest.mark.parametrize("pops,inverse,state", [
    ((0, 0, 0, 0, 0), False, "not_applicable"), ((1, 1, 1, 0, 0), False, "excluded"),
    ((1, 1, 0, 1, 0), False, "excluded"), ((1, 1, 0, 0, 1), False, "closed"),
    ((1, 1, 0, 0, 0), False, "open"), ((1, 1, 0, 0, 1), True, "open"), ((1, 1, 0, 0, 0), True, "closed"),
])
def test_gap_state_from_populations(pops, inverse, state):
    assert state_from_populations(*pops, inverse=inverse) == state


def test_gap_override_needs_reason_and_who():
    o = GapOverride(1, "CMS125", dt.date(2025, 1, 1), dt.date(2025, 12, 31), "declined", "", "Dana")
    with pytest.raises(DomainError, match="reason"):
        o.validate()


def test_correction_keeps_earlier_values_and_rejected_correction_changes_nothing():
    task = Task("Call back", "Dana", dt.date(2026, 3, 1))
    task.id = 7
    revision = correct(task, {"title": "Call back re: A1c", "assignee": "Dana"}, by="Lee", reason="clarify")
    assert revision.old_values == {"title": "Call back"}
    assert revision.new_values == {"title": "Call back re: A1c"}
    assert correct(task, {"title": "Call back re: A1c"}, by="Lee") is None
    with pytest.raises(DomainError):
        correct(task, {"status": "lost"}, by="Lee")
    assert task.status == "open"


def test_gap_states_of_whole_sets_agree_with_one_patient_at_a_time():
    import itertools

    from domain.gaps import states_from_population_sets

    combos = list(itertools.product((0, 1), repeat=5))  # every combination of the five flags
    sets = [{n for n, flags in enumerate(combos) if flags[i]} for i in range(5)]
    for inverse in (False, True):
        states = states_from_population_sets(*sets, inverse=inverse)
        for n, flags in enumerate(combos):
            if not flags[0]:
                assert all(n not in members for members in states.values())
                continue
            [state] = [s for s, members in states.items() if n in members]
            assert state == state_from_populations(*flags, inverse=inverse), (flags, inverse)
