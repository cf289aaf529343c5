"""Medication reviews through the application layer: drafts, finishing, responses, reaching the
patient, the worklist's groups and rules, and what is audited."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from application import reviews as app
from domain.errors import DomainError
from domain.medication_review import DrugTherapyProblem, ReviewedMedication
from storage import schema as t
from storage.db import open_database
from tests.conftest import app_pod_for
from tests.query_plans import query_plans, statements_run
from tests.reviews_pod import GRACE_MEDICATIONS, PHARMACIST, TODAY, build_reviews_pod


@pytest.fixture
def pod(engine):
    return build_reviews_pod(engine)


@pytest.fixture
def pharmacist(engine):
    return app_pod_for(engine).with_actor(PHARMACIST)


def _audit(engine, action: str | None = None):
    a = t.audit_event
    query = sa.select(a.c.action, a.c.record_type, a.c.detail, a.c.actor).order_by(a.c.id)
    if action:
        query = query.where(a.c.action == action)
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(query)]


def _started(pharmacist, pod, kind="comprehensive"):
    started = app.start_review(pharmacist, pod.grace, kind)
    return app.snapshot(app.read_review(pharmacist, started.review_id).review)


def _save(pharmacist, state):
    saved = app.save_draft(pharmacist, app.snapshot(state))
    for line, line_id in zip(state.medications, saved.medication_ids):
        line.id = line_id
    for line, line_id in zip(state.problems, saved.problem_ids):
        line.id = line_id
    return saved


def test_a_review_starts_with_the_active_list_on_record_one_line_per_medication(pharmacist, pod):
    started = app.start_review(pharmacist, pod.grace, "comprehensive")
    assert started.changes.touches_patient(pod.grace, "reviews")
    sheet = app.read_review(pharmacist, started.review_id)
    review = sheet.review
    assert (review.status, review.pharmacist, review.review_date) == ("draft", PHARMACIST, TODAY)
    assert sorted(m.rxnorm for m in review.medications) == sorted(code for code, _, _ in GRACE_MEDICATIONS)
    assert all(m.action == "" and m.fact_id for m in review.medications)
    kinds = {m.rxnorm: (m.kind, m.prescriber) for m in review.medications}
    assert kinds["314076"] == ("prescription", "Ravi Patel, MD") and kinds["849574"] == ("otc", "")
    assert sorted(sheet.data.conditions) == ["Chronic kidney disease stage 3", "Type 2 diabetes mellitus"]
    assert sheet.data.allergies == ("Allergy to penicillin",)
    assert sheet.data.clinicians == ("Lee Kim, NP", "Ravi Patel, MD")


def test_a_patient_has_one_unfinished_review_at_a_time(pharmacist, pod):
    app.start_review(pharmacist, pod.grace, "targeted")
    with pytest.raises(DomainError, match="already has an unfinished targeted review"):
        app.start_review(pharmacist, pod.grace, "comprehensive")


def test_the_draft_is_kept_as_typed_and_survives_a_crash(pharmacist, pod, db_path):
    state = _started(pharmacist, pod)
    state.medications[0].action = "continue"
    state.medications[0].patient_words = "I take it with breakfast"
    state.medications.append(ReviewedMedication("Fish oil 1000 mg", kind="supplement", action="continue"))
    state.problems.append(DrugTherapyProblem("adverse_reaction", "NSAID with CKD stage 3", medication="Naproxen"))
    saved = _save(pharmacist, state)
    assert saved.changes.kinds == {"drafts"} and len(saved.medication_ids) == 5
    state.problems[0].recommendation = "Stop naproxen"
    assert _save(pharmacist, state).problem_ids == saved.problem_ids  # the same rows, not new ones
    pharmacist.engine.dispose()  # Carepod stops here; what was saved is in the file
    reopened = open_database(db_path)
    review = app.read_review(app_pod_for(reopened), state.id).review
    assert review.status == "draft"
    assert review.medications[0].patient_words == "I take it with breakfast"
    assert [m.name for m in review.medications][-1] == "Fish oil 1000 mg"
    assert [(p.description, p.recommendation) for p in review.problems] == [("NSAID with CKD stage 3", "Stop naproxen")]
    reopened.dispose()
    assert ("change", "MedicationReview", "draft saved", PHARMACIST) in _audit(pharmacist.engine)


def test_finishing_refuses_an_unreconciled_list_and_changes_nothing(pharmacist, pod):
    state = _started(pharmacist, pod)
    state.medications[0].action = "continue"
    with pytest.raises(DomainError, match="3 medications are not yet reconciled"):
        app.finish_review(pharmacist, app.snapshot(state))
    assert app.read_review(pharmacist, state.id).review.medications[0].action == ""  # the finish was all or nothing


def _finished(pharmacist, pod, on=None):
    state = _started(pharmacist, pod)
    for line in state.medications:
        line.action = "stopped" if line.rxnorm == "849574" else "continue"
    state.problems += [
        DrugTherapyProblem("adverse_reaction", "NSAID with chronic kidney disease", medication=state.medications[3].name,
                           condition="Chronic kidney disease stage 3", recommendation="Stop naproxen",
                           prescriber="Ravi Patel, MD", talked_about="Naproxen can hurt your kidneys",
                           patient_action="Stop taking naproxen; use acetaminophen for pain"),
        DrugTherapyProblem("needs_additional_therapy", "Diabetes with CKD and no SGLT2 inhibitor",
                           condition="Type 2 diabetes mellitus", recommendation="Add empagliflozin 10 mg daily",
                           prescriber="Lee Kim, NP")]
    state.follow_up_date = TODAY + dt.timedelta(days=30)
    finished = app.finish_review(pharmacist, app.snapshot(state), on=on)
    assert finished.changes.touches_patient(pod.grace, "reviews")
    return app.read_review(pharmacist, state.id).review


def test_finishing_dates_the_recommendations_and_the_summary_clock_starts(pharmacist, pod):
    review = _finished(pharmacist, pod)
    assert review.status == "finished" and review.finished_at is not None
    assert [p.recommended_on for p in review.problems] == [TODAY, TODAY]
    assert review.summary_status(TODAY).state == "due"
    with pytest.raises(DomainError, match="already finished"):
        app.save_draft(pharmacist, app.snapshot(review))


def test_a_response_dated_before_the_recommendation_is_refused_and_a_later_one_kept_with_history(pharmacist, pod):
    review = _finished(pharmacist, pod)
    problem = review.problems[0]
    with pytest.raises(DomainError, match="cannot be dated .* the recommendation was sent on"):
        app.record_response(pharmacist, problem.id, "accepted", TODAY - dt.timedelta(days=1))
    assert app.read_review(pharmacist, review.id).review.problems[0].response == "pending"
    changes = app.record_response(pharmacist, problem.id, "modified", TODAY, note="Acetaminophen 500 mg instead")
    assert changes.touches_patient(pod.grace, "reviews")
    again = app.read_review(pharmacist, review.id).review.problems[0]
    assert (again.response, again.responded_at, again.response_note) == ("modified", TODAY,
                                                                         "Acetaminophen 500 mg instead")
    r = t.record_revision
    with pharmacist.engine.connect() as conn:
        old = conn.execute(sa.select(r.c.old_values).where(r.c.record_type == "DrugTherapyProblem",
                                                           r.c.record_id == problem.id)).scalar_one()
    assert old["response"] == "pending" and old["responded_at"] is None


def test_the_written_summary_is_recorded_after_a_comprehensive_review(pharmacist, pod):
    review = _finished(pharmacist, pod)
    with pytest.raises(DomainError, match="in person or mailed"):
        app.record_summary(pharmacist, review.id, TODAY, "")
    app.record_summary(pharmacist, review.id, TODAY, "in_person")
    assert app.read_review(pharmacist, review.id).review.summary_status(TODAY).state == "given"


def test_three_failed_attempts_on_one_day_keep_the_review_open_and_a_third_day_closes_it(pharmacist, pod):
    state = _started(pharmacist, pod)
    morning = dt.datetime.combine(TODAY - dt.timedelta(days=10), dt.time(14))  # 09:00 or 10:00 in New York
    for hour in (0, 2, 4):
        logged = app.log_attempt(pharmacist, state.id, "phone", "no_answer", at=morning + dt.timedelta(hours=hour))
    assert (logged.unable_to_reach, logged.failed_days) == (False, 1)
    assert app.read_review(pharmacist, state.id).review.status == "draft"
    app.log_attempt(pharmacist, state.id, "phone", "left_message", at=morning + dt.timedelta(days=2))
    logged = app.log_attempt(pharmacist, state.id, "letter", "no_answer", at=morning + dt.timedelta(days=5))
    assert logged.unable_to_reach is True
    sheet = app.read_review(pharmacist, state.id)
    assert sheet.review.status == "unable_to_reach" and len(sheet.data.attempts) == 5
    assert any(d.startswith("unable to reach") for _, _, d, _ in _audit(pharmacist.engine, "change"))
    with pytest.raises(DomainError, match="already finished"):
        app.log_attempt(pharmacist, state.id, "phone", "no_answer")


# --- the worklist ----------------------------------------------------------------------------------------

def _rows(pharmacist, group, on=None):
    return app.worklist_page(pharmacist, group, on=on)


def test_due_for_a_comprehensive_review_high_risk_or_ten_medications(pharmacist, pod):
    rows = {r.patient_id: r for group in app.DUE_GROUPS for r in _rows(pharmacist, group)}
    assert set(rows) == {pod.grace, pod.many, pod.other}
    assert [r.patient_id for r in _rows(pharmacist, "due_medications")] == [pod.many]  # "ended" has 8 active; "recent" was reviewed 364 days ago
    assert rows[pod.grace].why == "High risk · 4 active medications · no comprehensive review on record"
    assert rows[pod.many].why == "10 active medications · no comprehensive review on record"
    counts = app.worklist_counts(pharmacist)
    assert (counts["due_risk"], counts["due_medications"]) == (2, 1)


def test_the_12_month_rule_in_the_worklist_at_its_edges(pharmacist, pod):
    day = TODAY - dt.timedelta(days=364)  # the date of Rita Recent's review
    due = {r.patient_id for r in _rows(pharmacist, "due_risk", on=day + dt.timedelta(days=364))}
    assert pod.recent not in due
    later = _rows(pharmacist, "due_risk", on=dt.date(day.year + 1, day.month, day.day)
                  if (day.month, day.day) != (2, 29) else dt.date(day.year + 1, 3, 1))
    row = next(r for r in later if r.patient_id == pod.recent)
    assert row.why.startswith("High risk · 0 active medications · last comprehensive review")


def test_the_medication_count_follows_every_write_of_a_fact(pharmacist, pod):
    with pharmacist.engine.begin() as conn:
        conn.execute(sa.update(t.clinical_fact).where(t.clinical_fact.c.patient_id == pod.many,
                                                      t.clinical_fact.c.code == "900000").values(status="stopped"))
    assert pod.many not in {r.patient_id for r in _rows(pharmacist, "due_medications")}
    with pharmacist.engine.connect() as conn:
        count = conn.execute(sa.select(t.patient_medication_count.c.medications)
                             .where(t.patient_medication_count.c.patient_id == pod.many)).scalar()
    assert count == 9


def test_awaiting_response_follow_up_summary_and_drafts_each_say_why(pharmacist, pod):
    review = _finished(pharmacist, pod, on=TODAY)
    awaiting = _rows(pharmacist, "awaiting_response")
    assert [r.review_id for r in awaiting] == [review.id, review.id]
    assert awaiting[0].why == "No response from Ravi Patel, MD for 0 days · Adverse drug reaction — " \
                              "Naproxen sodium 220 MG Oral Tablet · Chronic kidney disease stage 3"
    assert [r.why for r in _rows(pharmacist, "summary")] == [
        f"Written summary due {(TODAY + dt.timedelta(days=14)):%m/%d/%Y} (14 days left) — comprehensive review of "
        f"{TODAY:%m/%d/%Y}"]
    assert _rows(pharmacist, "follow_up") == []  # due in 30 days
    follow_up = _rows(pharmacist, "follow_up", on=TODAY + dt.timedelta(days=25))
    assert follow_up[0].why.startswith(f"Due in 5 days · after the comprehensive review of {TODAY:%m/%d/%Y}")
    app.start_review(pharmacist, pod.many, "targeted")
    drafts = _rows(pharmacist, "draft")
    assert [(r.patient, r.why) for r in drafts] == [("Smith, John", f"Targeted review started {TODAY:%m/%d/%Y} by "
                                                                    f"{PHARMACIST}")]
    assert pod.grace not in {r.patient_id for r in _rows(pharmacist, "due_risk")}  # reviewed today


def test_recommendations_awaiting_a_response_oldest_first_and_paged(pharmacist, pod):
    _finished(pharmacist, pod)
    with pharmacist.engine.begin() as conn:  # the first problem was sent long ago
        first = conn.execute(sa.select(sa.func.min(t.drug_therapy_problem.c.id))).scalar()
        conn.execute(sa.update(t.drug_therapy_problem).where(t.drug_therapy_problem.c.id == first + 1)
                     .values(recommended_on=TODAY - dt.timedelta(days=40)))
    page = app.worklist_page(pharmacist, "awaiting_response", limit=1)
    assert "for 40 days" in page[0].why
    rest = app.worklist_page(pharmacist, "awaiting_response", after=page[0].key, limit=5)
    assert len(rest) == 1 and "for 0 days" in rest[0].why


def test_the_counts_leave_out_a_patient_entered_in_error_as_the_rows_do(pharmacist, pod):
    """The counts read the patients in error once and take their rows off (none in error: nothing
    to take off); each group's count is the number of its rows either way."""
    _finished(pharmacist, pod, on=TODAY)
    app.start_review(pharmacist, pod.many, "targeted")

    def counted_and_listed():
        counts = app.worklist_counts(pharmacist)
        return {group: (counts[group], len(_rows(pharmacist, group))) for group in app.GROUPS}

    before = counted_and_listed()
    assert all(count == listed for count, listed in before.values())
    assert (before["awaiting_response"], before["summary"], before["draft"]) == ((2, 2), (1, 1), (1, 1))
    with pharmacist.engine.begin() as conn:
        conn.execute(sa.update(t.patient).where(t.patient.c.id.in_([pod.grace, pod.many])).values(entered_in_error=True))
    after = counted_and_listed()
    assert all(count == listed for count, listed in after.values())
    assert (after["awaiting_response"], after["summary"], after["draft"]) == ((0, 0), (0, 0), (0, 0))


def test_the_counts_find_the_patients_in_error_from_their_own_index(pharmacist, pod):
    """The patients in error are read from their partial index: never by walking the index of
    every inactive patient (moved, deceased) and reading each one's row (50 ms at 1M)."""
    with statements_run(pharmacist.engine) as statements:
        app.worklist_counts(pharmacist)
    plans = query_plans(pharmacist.engine, statements,
                        lambda sql: "entered_in_error = 1" in sql and "FROM patient" in sql)
    assert plans and all(plan == ["SCAN patient USING INDEX ix_patient_in_error"] for plan in plans), plans
