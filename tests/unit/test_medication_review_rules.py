"""The pharmacist's rules at their edges: the 12-month rule, the 14-day summary clock, unable to
reach after failed attempts on 3 different days, and a response never dated before its
recommendation."""
from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path

import pytest

from domain.errors import DomainError
from domain.medication_review import (
    Attempt, DrugTherapyProblem, MedicationReview, ReviewedMedication, add_months, comprehensive_review_cutoff,
    comprehensive_review_due, comprehensive_review_due_on, failed_attempt_days, plain_name, summary_status,
    unable_to_reach,
)

D = dt.date


# --- the 12-month rule ------------------------------------------------------------------------------

@pytest.mark.parametrize("days, due", [(364, False), (365, True), (366, True)])
def test_a_comprehensive_review_counts_for_12_months_in_a_common_year(days, due):
    last = D(2025, 3, 10)
    assert comprehensive_review_due(last, last + dt.timedelta(days=days)) is due


def test_twelve_months_are_calendar_months_across_a_leap_day():
    # 2023-03-01 to 2024-02-29 is 365 days, yet not 12 months: not due until 1 March
    last = D(2023, 3, 1)
    assert (D(2024, 2, 29) - last).days == 365
    assert comprehensive_review_due(last, D(2024, 2, 29)) is False
    assert comprehensive_review_due(last, D(2024, 3, 1)) is True  # 366 days
    # reviewed the day before a leap day: 365 days later it is still not due, 366 it is
    assert comprehensive_review_due(D(2024, 2, 28), D(2025, 2, 27)) is False
    assert comprehensive_review_due(D(2024, 2, 28), D(2025, 2, 28)) is True


def test_a_review_on_a_leap_day_is_due_again_on_28_february():
    assert comprehensive_review_due_on(D(2024, 2, 29)) == D(2025, 2, 28)
    assert comprehensive_review_due(D(2024, 2, 29), D(2025, 2, 27)) is False
    assert comprehensive_review_due(D(2024, 2, 29), D(2025, 2, 28)) is True
    assert add_months(D(2024, 1, 31), 1) == D(2024, 2, 29) and add_months(D(2023, 1, 31), 1) == D(2023, 2, 28)


def test_never_reviewed_is_due():
    assert comprehensive_review_due(None, D(2026, 1, 1)) is True


def test_the_worklists_cut_off_day_agrees_with_the_rule_on_every_day_of_four_years():
    """The SQL compares review dates with comprehensive_review_cutoff(on): a review on or after it
    counts. Checked against the rule for every day (leap days and month ends included)."""
    on = D(2023, 1, 1)
    while on <= D(2026, 12, 31):
        cutoff = comprehensive_review_cutoff(on)
        assert comprehensive_review_due(cutoff, on) is False, on
        assert comprehensive_review_due(cutoff - dt.timedelta(days=1), on) is True, on
        on += dt.timedelta(days=1)


# --- the written summary ------------------------------------------------------------------------------

def test_the_written_summary_is_due_within_14_days():
    day = D(2026, 3, 2)
    assert summary_status("comprehensive", day, None, "", day + dt.timedelta(days=13)).text.endswith("(1 day left)")
    on_time = summary_status("comprehensive", day, None, "", day + dt.timedelta(days=14))
    assert (on_time.state, on_time.due, on_time.outstanding) == ("due", D(2026, 3, 16), True)
    assert "(today)" in on_time.text
    late = summary_status("comprehensive", day, None, "", day + dt.timedelta(days=15))
    assert (late.state, late.text) == ("late", "Written summary late: due 03/16/2026, 1 day ago")


def test_a_summary_given_on_the_14th_day_is_on_time_and_on_the_15th_late():
    day = D(2026, 3, 2)
    given = summary_status("comprehensive", day, D(2026, 3, 16), "mailed", D(2026, 4, 1))
    assert (given.state, given.text, given.outstanding) == ("given", "Mailed 03/16/2026", False)
    late = summary_status("comprehensive", day, D(2026, 3, 17), "in_person", D(2026, 4, 1))
    assert late.state == "given_late" and late.text == "Given in person 03/17/2026, 1 day late (due 03/16/2026)"


def test_only_a_finished_comprehensive_review_owes_a_summary():
    day = D(2026, 3, 2)
    assert summary_status("targeted", day, None, "", D(2026, 5, 1)).state == "not_required"
    assert summary_status("comprehensive", day, None, "", D(2026, 5, 1), finished=False).state == "not_required"
    review = MedicationReview(1, "targeted", day, "Sam Ortiz", summary_given_on=day, summary_method="mailed")
    with pytest.raises(DomainError, match="comprehensive review only"):
        review.validate()
    review = MedicationReview(1, "comprehensive", day, "Sam Ortiz", summary_given_on=day - dt.timedelta(days=1),
                              summary_method="mailed")
    with pytest.raises(DomainError, match="before the review"):
        review.validate()


# --- reaching the patient ----------------------------------------------------------------------------

def _at(local_day: D, hour: int) -> dt.datetime:
    """Naive UTC of a New York wall-clock hour in March 2026 (EST before the 8th, EDT after)."""
    offset = 5 if local_day < D(2026, 3, 8) else 4
    return dt.datetime.combine(local_day, dt.time(hour)) + dt.timedelta(hours=offset)


def test_three_failed_attempts_on_the_same_day_do_not_make_unable_to_reach():
    day = D(2026, 3, 3)
    attempts = [Attempt(_at(day, h), o) for h, o in ((9, "no_answer"), (12, "left_message"), (16, "no_answer"))]
    assert failed_attempt_days(attempts) == [day]
    assert unable_to_reach(attempts) is False


def test_failed_attempts_on_three_different_days_make_unable_to_reach():
    attempts = [Attempt(_at(D(2026, 3, d), 10), "no_answer") for d in (2, 4, 9)]  # across the clock change
    assert unable_to_reach(attempts) is True
    assert unable_to_reach(attempts[:2]) is False


def test_days_are_the_practices_days_not_utc_days():
    # 22:00 and 10:00 in New York on 1 March are two UTC days but one local day
    evening = dt.datetime(2026, 3, 2, 3, 0)  # 22:00 EST on 1 March
    morning = dt.datetime(2026, 3, 1, 15, 0)  # 10:00 EST on 1 March
    third = _at(D(2026, 3, 3), 10)
    attempts = [Attempt(morning, "no_answer"), Attempt(evening, "no_answer"), Attempt(third, "wrong_number")]
    assert failed_attempt_days(attempts) == [D(2026, 3, 1), D(2026, 3, 3)]
    assert unable_to_reach(attempts) is False
    # in UTC they would be three days, and the patient "unreachable" a day early
    assert unable_to_reach(attempts, "UTC") is True


def test_reaching_the_patient_starts_the_count_again():
    attempts = [Attempt(_at(D(2026, 3, 2), 10), "no_answer"), Attempt(_at(D(2026, 3, 3), 10), "no_answer"),
                Attempt(_at(D(2026, 3, 4), 10), "reached"), Attempt(_at(D(2026, 3, 5), 10), "no_answer")]
    assert unable_to_reach(attempts) is False
    assert failed_attempt_days(attempts) == [D(2026, 3, 5)]


# --- problems, responses and finishing -------------------------------------------------------------------

def test_a_response_dated_before_its_recommendation_is_refused_with_a_clear_message():
    problem = DrugTherapyProblem("dosage_too_low", "BP 152/94 on lisinopril 10 mg", medication="Lisinopril",
                                 recommendation="Increase to 20 mg", recommended_on=D(2026, 3, 5),
                                 response="accepted", responded_at=D(2026, 3, 4))
    with pytest.raises(DomainError) as refused:
        problem.validate()
    assert str(refused.value) == ("The prescriber's response cannot be dated 03/04/2026: the recommendation was "
                                  "sent on 03/05/2026, and a response cannot come before it.")
    problem.responded_at = D(2026, 3, 5)  # the same day is fine
    problem.validate()


def test_a_response_needs_its_date_and_an_awaited_one_has_none():
    problem = DrugTherapyProblem("adherence", "Misses doses", medication="Metformin", response="modified")
    with pytest.raises(DomainError, match="needs the date it came back"):
        problem.validate()
    problem = DrugTherapyProblem("adherence", "Misses doses", medication="Metformin", responded_at=D(2026, 3, 5))
    with pytest.raises(DomainError, match="still awaited"):
        problem.validate()


def _draft() -> MedicationReview:
    return MedicationReview(1, "comprehensive", D(2026, 3, 2), "Sam Ortiz", status="draft", medications=[
        ReviewedMedication("Lisinopril 10 mg", action="continue"), ReviewedMedication("Naproxen 220 mg", kind="otc")])


def test_finishing_needs_every_line_reconciled():
    review = _draft()
    with pytest.raises(DomainError, match="1 medication is not yet reconciled: Naproxen 220 mg"):
        review.finish(on=D(2026, 3, 2))
    assert review.status == "draft"


def test_finishing_needs_each_problem_tied_and_recommended_and_dates_the_recommendations():
    review = _draft()
    review.medications[1].action = "stopped"
    review.problems.append(DrugTherapyProblem("adverse_reaction", "NSAID with CKD", recommendation="Stop it",
                                              prescriber="Ravi Patel, MD"))
    with pytest.raises(DomainError, match="Problem 1 .*tied to a medication or a condition"):
        review.finish(on=D(2026, 3, 3))
    review.problems[0].condition = "Chronic kidney disease stage 3"
    review.problems[0].recommendation = ""
    with pytest.raises(DomainError, match="needs a recommendation to the prescriber"):
        review.finish(on=D(2026, 3, 3))
    review.problems[0].recommendation = "Stop naproxen"
    review.finish(on=D(2026, 3, 3))
    assert review.status == "finished" and review.problems[0].recommended_on == D(2026, 3, 3)
    with pytest.raises(DomainError, match="already finished"):
        review.finish(on=D(2026, 3, 3))


def test_categories_are_the_seven_standard_ones_with_their_needs():
    problem = DrugTherapyProblem("indication", "old category")
    with pytest.raises(DomainError, match="Needs additional therapy, Unnecessary therapy"):
        problem.validate()
    assert DrugTherapyProblem("dosage_too_high", "x").need == "safety"


def test_plain_condition_names():
    assert plain_name("Essential hypertension (disorder)") == "Essential hypertension"
    assert plain_name("Type 2 diabetes mellitus") == "Type 2 diabetes mellitus"
    assert plain_name("Asthma (mild intermittent)") == "Asthma (mild intermittent)"


# --- the migration's split of the four categories ---------------------------------------------------------

def _migration():
    path = Path(__file__).resolve().parents[2] / "storage" / "migrations" / "versions" / "0014_medication_reviews.py"
    spec = importlib.util.spec_from_file_location("migration_0014", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("former, description, recommendation, category", [
    ("indication", "Diabetes with CKD and no SGLT2 inhibitor", "Consider adding empagliflozin", "needs_additional_therapy"),
    ("indication", "Duplicate NSAID therapy (ibuprofen and naproxen)", "Stop one NSAID", "unnecessary_therapy"),
    ("effectiveness", "Blood pressure above goal", "Increase lisinopril to 20 mg daily", "dosage_too_low"),
    ("effectiveness", "HbA1c above goal on metformin alone", "Add a second agent", "ineffective_drug"),
    ("safety", "NSAID use with CKD stage 3", "Stop NSAID; acetaminophen for pain", "adverse_reaction"),
    ("safety", "Dizziness on standing since amlodipine started", "Reduce amlodipine to 2.5 mg", "dosage_too_high"),
    ("adherence", "Refill gaps", "90-day supply", None),
])
def test_the_migration_splits_each_former_need_by_what_is_recommended(former, description, recommendation, category):
    assert _migration().new_category(former, description, recommendation) == category
