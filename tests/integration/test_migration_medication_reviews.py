"""Migration 0014 on a database with reviews written before it: the four categories become the
seven (the former one kept as a revision), reconciliation words follow, the reviews stay finished,
recommendations are dated, and the medication counts are filled."""
from __future__ import annotations

import json

import sqlalchemy as sa

from storage.db import create_engine, open_database
from storage.migrate import upgrade_to

ROWS = """
INSERT INTO practice (id, code, name) VALUES (1, 'OAK', 'Oak');
INSERT INTO patient (id, practice_id, mrn, family, given, birth_date) VALUES (1, 1, 'M1', 'Okafor', 'Grace', '1951-02-28');
INSERT INTO clinical_fact (id, patient_id, kind, code_system, code, display, status)
  VALUES (1, 1, 'medication_request', 'rx', '314076', 'lisinopril', 'active'),
         (2, 1, 'medication_request', 'rx', '314076', 'lisinopril', 'active'),
         (3, 1, 'medication_statement', 'rx', '849574', 'naproxen', 'active'),
         (4, 1, 'medication_request', 'rx', '197361', 'amlodipine', 'stopped');
INSERT INTO medication_review (id, patient_id, review_type, review_date, pharmacist)
  VALUES (1, 1, 'comprehensive', '2026-02-20', 'Sam Ortiz');
INSERT INTO reviewed_medication (id, review_id, name, action)
  VALUES (1, 1, 'lisinopril', 'continue'), (2, 1, 'naproxen', 'stop'), (3, 1, 'amlodipine', 'change'),
         (4, 1, 'aspirin', 'start');
INSERT INTO drug_therapy_problem (id, review_id, category, description, recommendation, response, responded_at)
  VALUES (1, 1, 'indication', 'Duplicate NSAID therapy', 'Stop one NSAID', 'pending', NULL),
         (2, 1, 'indication', 'Diabetes and no statin', 'Start atorvastatin', 'accepted', '2026-02-25'),
         (3, 1, 'effectiveness', 'BP above goal', 'Increase lisinopril to 20 mg', 'accepted', '2026-02-18'),
         (4, 1, 'safety', 'Dizziness on amlodipine', 'Reduce amlodipine to 2.5 mg', 'pending', NULL),
         (5, 1, 'adherence', 'Refill gaps', '90-day supply', 'pending', NULL);
"""


def test_reviews_written_before_the_seven_categories_are_carried_forward(db_path):
    engine = create_engine(db_path)
    upgrade_to(engine, "0013")
    raw = engine.raw_connection()
    raw.executescript(ROWS)
    raw.commit()
    raw.close()
    engine.dispose()

    engine = open_database(db_path)
    with engine.connect() as conn:
        q = lambda sql: [tuple(r) for r in conn.execute(sa.text(sql))]  # noqa: E731
        assert q("SELECT id, category, recommended_on FROM drug_therapy_problem ORDER BY id") == [
            (1, "unnecessary_therapy", "2026-02-20"), (2, "needs_additional_therapy", "2026-02-20"),
            # a response dated before the review: the recommendation is dated with it, never after
            (3, "dosage_too_low", "2026-02-18"), (4, "dosage_too_high", "2026-02-20"), (5, "adherence", "2026-02-20")]
        assert q("SELECT action FROM reviewed_medication ORDER BY id") == [
            ("continue",), ("stopped",), ("changed",), ("continue",)]
        assert q("SELECT status, summary_method FROM medication_review") == [("finished", "")]
        revisions = q("SELECT record_id, changed_by, old_values, new_values FROM record_revision "
                      "WHERE record_type = 'DrugTherapyProblem' ORDER BY record_id")
        assert [(r[0], json.loads(r[2])["category"], json.loads(r[3])["category"]) for r in revisions] == [
            (1, "indication", "unnecessary_therapy"), (2, "indication", "needs_additional_therapy"),
            (3, "effectiveness", "dosage_too_low"), (4, "safety", "dosage_too_high")]
        assert {r[1] for r in revisions} == {"Carepod (migration 0014)"}
        # two orders of one medication count once; a stopped one not at all
        assert q("SELECT patient_id, medications FROM patient_medication_count") == [(1, 2)]
        # an uncoded medication counts by its name (its concept's display since 0024)
        fish_oil = conn.execute(sa.text("INSERT INTO coding_concept (system, code, display) "
                                        "VALUES ('rx', '', 'fish oil')")).lastrowid
        for _ in range(2):  # twice: one medication
            conn.execute(sa.text("INSERT INTO clinical_fact (patient_id, kind, code, concept_id, status) "
                                 "VALUES (1, 'medication_statement', '', :n, 'active')"), {"n": fish_oil})
        assert q("SELECT medications FROM patient_medication_count") == [(3,)]
    engine.dispose()
