"""The printouts of a medication review, read back by text extraction: the patient's documents
(cover letter, Medication Action Plan, Personal Medication List), the letters to prescribers and
the med-list command; every page names the patient, nothing of another patient is on them, and
each print is audited."""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from application import reviews as app
from storage import schema as t
from tests.reviews_pod import PHARMACIST, TODAY
from tests.integration.test_reviews import _finished, pharmacist, pod  # noqa: F401 (the fixtures)

ROOT = Path(__file__).resolve().parents[2]


def pages(path) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in PdfReader(str(path)).pages]


def _prints(engine) -> list[tuple]:
    a = t.audit_event
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.select(a.c.actor, a.c.record_type, a.c.patient_id, a.c.detail)
                                               .where(a.c.action == "print").order_by(a.c.id))]


def test_the_patients_documents_hold_the_list_the_action_plan_and_the_letter(pharmacist, pod, tmp_path):
    review = _finished(pharmacist, pod)
    printed = app.print_patient_documents(pharmacist, review.id, tmp_path / "grace.pdf")
    text = pages(printed.path)
    assert printed.pages == len(text) >= 3
    for page in text:  # the patient's name and birth date on every page
        assert "Patient: Grace Okafor · born 02/28/1951 · MRN M001" in page
    whole = " ".join(text)
    assert "Dear Grace Okafor:" in whole and f"on {TODAY:%m/%d/%Y} about your health" in whole
    assert "MEDICATION ACTION PLAN FOR Grace Okafor" in whole
    assert "What we talked about: Naproxen can hurt your kidneys" in whole
    assert "What I need to do: Stop taking naproxen; use acetaminophen for pain" in whole
    assert "What I did and when:" in whole
    # the SGLT2 recommendation is for the prescriber: it has no step for the patient
    assert "empagliflozin" not in whole
    assert "PERSONAL MEDICATION LIST FOR Grace Okafor" in whole
    for name in ("lisinopril 10 MG Oral Tablet", "24 HR Metformin hydrochloride 500 MG Extended Release Oral Tablet",
                 "atorvastatin 20 MG Oral Tablet"):
        assert name in whole
    assert "Medications you stopped at this review Naproxen sodium 220 MG Oral Tablet" in whole
    assert "Allergy to penicillin" in whole and "Prescriber: Ravi Patel, MD" in whole
    assert "amlodipine" not in whole  # stopped before the review: not on her list
    assert "Othermed" not in whole and "Zimmer" not in whole and "Smith" not in whole
    assert "Cover letter, page 1 of 1" in text[0] and "Personal Medication List, page 1 of" in whole
    assert _prints(pharmacist.engine)[-1] == (PHARMACIST, "MedicationReview", pod.grace,
                                              "patient documents: cover letter, personal medication list, "
                                              "medication action plan")


def test_one_letter_per_prescriber_with_only_their_recommendations(pharmacist, pod, tmp_path):
    review = _finished(pharmacist, pod)
    printed = app.print_prescriber_letters(pharmacist, review.id, tmp_path / "letters.pdf")
    patel, kim = pages(printed.path)
    assert "To: Ravi Patel, MD" in patel and "Adverse drug reaction (Safety)" in patel
    assert "Recommendation: Stop naproxen" in patel and "empagliflozin" not in patel
    assert "To: Lee Kim, NP" in kim and "Needs additional therapy (Indication)" in kim
    assert "Recommendation: Add empagliflozin 10 mg daily" in kim and "Stop naproxen" not in kim
    for page in (patel, kim):
        assert "Accept Accept with changes Reject" in page and "Prescriber signature:" in page
        assert "Grace Okafor · date of birth 02/28/1951 · MRN M001" in page
        assert "page 1 of 1" in page and "Othermed" not in page
    assert _prints(pharmacist.engine)[-1][3] == "prescriber letters: Ravi Patel, MD, Lee Kim, NP"


def test_a_draft_is_not_printed(pharmacist, pod, tmp_path):
    started = app.start_review(pharmacist, pod.grace, "targeted")
    with pytest.raises(Exception, match="Finish the review"):
        app.print_patient_documents(pharmacist, started.review_id, tmp_path / "x.pdf")
    assert not (tmp_path / "x.pdf").exists() and _prints(pharmacist.engine) == []


def _med_list(db_path, *args):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.run([sys.executable, str(ROOT / "main.py"), "med-list", "--db", str(db_path), *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_med_list_command_writes_the_reconciled_list(pharmacist, pod, db_path, tmp_path):
    _finished(pharmacist, pod)
    out = tmp_path / "list.pdf"
    done = _med_list(db_path, "--patient", str(pod.grace), "--out", str(out), "--as", PHARMACIST.upper())
    assert done.returncode == 0, done.stderr
    assert f"written to {out}" in done.stdout
    text = " ".join(pages(out))
    assert "PERSONAL MEDICATION LIST FOR Grace Okafor" in text and "lisinopril 10 MG Oral Tablet" in text
    assert "Othermed" not in text
    # recorded as the pod spells the name, however it was typed
    assert _prints(pharmacist.engine)[-1] == (PHARMACIST, "MedicationReview", pod.grace, "personal medication list")


def test_med_list_without_a_review_lists_the_record_and_says_so(pod, db_path, tmp_path):
    out = tmp_path / "many.pdf"
    done = _med_list(db_path, "--patient", str(pod.many), "--out", str(out), "--as", "Dana Reyes")
    assert done.returncode == 0, done.stderr
    text = " ".join(pages(out))
    assert "made from your records at Oak Family Medicine" in text and "not yet been reviewed" in text
    assert all(f"Othermed {i} 10 MG Oral Tablet" in text for i in range(10))


@pytest.mark.parametrize("args, message", [
    (("--patient", "4242", "--as", "Dana Reyes"), "med-list: there is no patient with id 4242 in"),
    (("--patient", "1", "--as", "Nobody"),  # checked by main.py before the command runs
     "carepod med-list: 'Nobody' is not an active staff member of this pod; the active staff are: "),
])
def test_med_list_errors_name_what_is_wrong(pod, db_path, tmp_path, args, message):
    done = _med_list(db_path, *args, "--out", str(tmp_path / "x.pdf"))
    assert done.returncode == 2 and done.stderr.startswith(message)
    assert not (tmp_path / "x.pdf").exists()


def test_rendered_pages_are_letter_size_portrait(pharmacist, pod, tmp_path):
    review = _finished(pharmacist, pod)
    # 03:00 UTC on 3 March is still 2 March on the practice's clock (New York)
    printed = app.print_patient_documents(pharmacist, review.id, tmp_path / "grace.pdf", at=dt.datetime(2026, 3, 3, 3))
    for page in PdfReader(printed.path).pages:
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (612, 792)
    assert "Date prepared: 03/02/2026" in " ".join(pages(printed.path))


def test_the_patients_documents_are_in_large_type(pharmacist, pod, tmp_path):
    """Medication-therapy-management programmes ask for 12-point type at least: every word on the
    patient's pages is 12 points or more, but the running header and footer (the report base's
    small print, above and below the page's body)."""
    review = _finished(pharmacist, pod)
    printed = app.print_patient_documents(pharmacist, review.id, tmp_path / "grace.pdf")
    sizes: dict[float, int] = {}

    def visit(text, cm, tm, font, size):
        y = tm[5] * abs(cm[3]) + cm[5] if tm and cm else 400
        if text.strip() and 80 < y < 792 - 110:  # the body of the page
            scale = abs(tm[0]) * abs(cm[0]) if tm and cm else 1
            effective = round(size * scale, 1)
            sizes[effective] = sizes.get(effective, 0) + len(text.strip())

    for page in PdfReader(printed.path).pages:
        page.extract_text(visitor_text=visit)
    assert min(sizes) >= 12 and sum(sizes.values()) > 2000, sizes
