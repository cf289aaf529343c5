"""The demo's medication reviews tell a true story about each patient (issue 23.13): no review
of a patient without medications, every reviewed line is a medication the chart has on the day,
every problem is about a line of the review or a condition the patient has, the blood pressures
and HbA1c values quoted are the chart's, and responses never come before their recommendation."""
from __future__ import annotations

import datetime as dt
import re
import sqlite3

import pytest

from domain.medication_review import plain_name
from storage.demo.generate import create_demo_pod
from storage.codings import components_with_text, facts_with_text


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "pod.db"
    create_demo_pod(path, seed=11, practices=3, patients=400)
    conn = sqlite3.connect(path)
    yield conn
    conn.close()


def test_every_reviewed_patient_has_medications_and_every_line_is_on_their_chart_that_day(demo):
    reviews = demo.execute("SELECT id, patient_id, review_date FROM medication_review").fetchall()
    assert len(reviews) >= 10
    for review_id, patient_id, day in reviews:
        lines = demo.execute("SELECT name, rxnorm, fact_id FROM reviewed_medication WHERE review_id = ?",
                             (review_id,)).fetchall()
        assert lines, f"review {review_id} of a patient without medications"
        for name, rxnorm, fact_id in lines:
            fact = demo.execute("SELECT patient_id, kind, code, display, status, substr(start_raw, 1, 10) "
                                f"FROM {facts_with_text()} f WHERE id = ?", (fact_id,)).fetchone()
            assert fact is not None, (review_id, name)
            assert fact[:5] == (patient_id, fact[1], rxnorm, name, "active") and fact[1].startswith("medication_")
            assert fact[5] <= day, f"{name} started {fact[5]}, after the review of {day}"


def test_every_problem_is_about_the_reviews_medications_or_the_patients_conditions(demo):
    problems = demo.execute(
        "SELECT p.id, r.id, r.patient_id, r.review_date, p.medication, p.condition, p.description, p.recommended_on, "
        "p.responded_at FROM drug_therapy_problem p JOIN medication_review r ON r.id = p.review_id").fetchall()
    assert len(problems) >= 10
    for pid, review_id, patient_id, day, medication, condition, description, sent, responded in problems:
        assert medication or condition
        if medication:
            names = {n for (n,) in demo.execute("SELECT name FROM reviewed_medication WHERE review_id = ?",
                                                (review_id,))}
            assert medication in names, (description, medication)
        if condition:
            conditions = {plain_name(d) for (d,) in demo.execute(
                f"SELECT display FROM {facts_with_text()} f WHERE patient_id = ? AND kind = 'condition' "
                "AND clinical_status = 'active'", (patient_id,))}
            assert condition in conditions, (description, condition)
        assert sent == day and (responded is None or responded >= sent)
        _check_quoted_values(demo, patient_id, description, day)


def _check_quoted_values(demo, patient_id: int, description: str, review_day: str) -> None:
    """A value quoted in a problem is in the chart, taken on or before the review."""
    bp = re.search(r"Blood pressure (\d+)/(\d+) on (\d\d)/(\d\d)/(\d{4})", description)
    if bp:
        systolic, diastolic, month, day, year = bp.groups()
        assert f"{year}-{month}-{day}" <= review_day, description
        found = demo.execute(
            f"SELECT count(*) FROM clinical_fact f JOIN {components_with_text()} s ON s.fact_id = f.id "
            f"AND s.code = '8480-6' JOIN {components_with_text()} d ON d.fact_id = f.id AND d.code = '8462-4' "
            "WHERE f.patient_id = ? "
            "AND s.value_num = ? AND d.value_num = ? AND substr(f.start_raw, 1, 10) = ?",
            (patient_id, float(systolic), float(diastolic), f"{year}-{month}-{day}")).fetchone()[0]
        assert found, description
    a1c = re.search(r"HbA1c ([\d.]+) % on (\d\d)/(\d\d)/(\d{4})", description)
    if a1c:
        value, month, day, year = a1c.groups()
        assert f"{year}-{month}-{day}" <= review_day, description
        found = demo.execute("SELECT count(*) FROM clinical_fact WHERE patient_id = ? AND kind = 'observation' "
                             "AND value_num = ? AND substr(start_raw, 1, 10) = ?",
                             (patient_id, float(value), f"{year}-{month}-{day}")).fetchone()[0]
        assert found, description


def test_reviews_drafts_and_attempts_belong_together(demo):
    statuses = {s for (s,) in demo.execute("SELECT DISTINCT status FROM medication_review")}
    assert statuses == {"draft", "finished", "unable_to_reach"}
    mismatched = demo.execute(
        "SELECT count(*) FROM outreach_attempt o JOIN medication_review r ON r.id = o.medication_review_id "
        "WHERE o.patient_id <> r.patient_id").fetchone()[0]
    assert mismatched == 0
    for (review_id,) in demo.execute("SELECT id FROM medication_review WHERE status = 'unable_to_reach'").fetchall():
        days = {d for (d,) in demo.execute("SELECT substr(at, 1, 10) FROM outreach_attempt "
                                           "WHERE medication_review_id = ?", (review_id,))}
        assert len(days) >= 3
    late = demo.execute("SELECT count(*) FROM medication_review WHERE summary_given_on < review_date").fetchone()[0]
    assert late == 0
    reference = dt.date(2026, 11, 1).isoformat()
    assert demo.execute("SELECT max(review_date) FROM medication_review").fetchone()[0] < reference
