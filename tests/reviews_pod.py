"""A small pod for the medication review tests, made through the unit of work."""
from __future__ import annotations

import dataclasses
import datetime as dt

from domain.facts import ClinicalFact
from domain.medication_review import DrugTherapyProblem, MedicationReview, ReviewedMedication
from domain.patient import Patient
from domain.practice import Clinician, Practice, StaffMember
from storage.uow import UnitOfWork

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
SNOMED = "http://snomed.info/sct"
PHARMACIST = "Sam Ortiz"
TODAY = dt.date.today()
# Grace's active list (RxNorm, name, ordered or reported)
GRACE_MEDICATIONS = (
    ("314076", "lisinopril 10 MG Oral Tablet", "medication_request"),
    ("860975", "24 HR Metformin hydrochloride 500 MG Extended Release Oral Tablet", "medication_request"),
    ("617310", "atorvastatin 20 MG Oral Tablet", "medication_request"),
    ("849574", "Naproxen sodium 220 MG Oral Tablet", "medication_statement"),
)
OTHER_MEDICATIONS = tuple((str(900000 + i), f"Othermed {i} 10 MG Oral Tablet") for i in range(10))


@dataclasses.dataclass
class ReviewsPod:
    practice: int
    grace: int  # high risk, four active medications, diabetes and CKD, no review yet
    many: int  # low risk, ten active medications
    ended: int  # low risk, ten medications of which two have ended
    recent: int  # high risk, comprehensive review 364 days ago
    other: int  # another practice's patient, Ten Othermeds, never on Grace's papers
    other_practice: int


def _medication(pid: int, code: str, name: str, kind: str = "medication_request", *, start: dt.date,
                status: str = "active", end: dt.datetime | None = None) -> ClinicalFact:
    return ClinicalFact(patient_id=pid, kind=kind, code_system=RXNORM, code=code, display=name, status=status,
                        start_at=dt.datetime.combine(start, dt.time(15)), start_raw=start.isoformat(), end_at=end)


def build_reviews_pod(engine) -> ReviewsPod:
    with UnitOfWork(engine, PHARMACIST) as uow:
        oak = uow.practices.add(Practice(code="OAK", name="Oak Family Medicine", phone="(617) 555-0100",
                                         address="12 Oak St, Boston, MA 02118"))
        elm = uow.practices.add(Practice(code="ELM", name="Elm Street Clinic"))
        patel = uow.clinicians.add(Clinician(practice_id=oak.id, family="Patel", given="Ravi", credentials="MD"))
        uow.clinicians.add(Clinician(practice_id=oak.id, family="Kim", given="Lee", credentials="NP"))
        uow.staff.add(StaffMember(name=PHARMACIST, roles="pharmacist"))
        uow.staff.add(StaffMember(name="Dana Reyes", roles="care_manager"))

        def patient(practice, mrn, family, given, born, **more):
            return uow.patients.add(Patient(practice_id=practice.id, mrn=mrn, family=family, given=given,
                                            birth_date=born, pcp_id=patel.id, **more))

        grace = patient(oak, "M001", "Okafor", "Grace", dt.date(1951, 2, 28), sex="female", risk_tier="high",
                        address_line="4 Elm Row", city="Boston", state="MA", postal_code="02118")
        many = patient(oak, "M002", "Smith", "John", dt.date(1950, 3, 4))
        ended = patient(oak, "M003", "Ended", "Ana", dt.date(1949, 5, 6))
        recent = patient(oak, "M004", "Recent", "Rita", dt.date(1948, 7, 8), risk_tier="high")
        other = patient(elm, "E001", "Zimmer", "Ola", dt.date(1952, 9, 10), risk_tier="high")
        uow.commit()

        started = TODAY - dt.timedelta(days=400)
        for code, name, kind in GRACE_MEDICATIONS:
            uow.facts.add(_medication(grace.id, code, name, kind, start=started))
        # a refill of the same medication is one line; a stopped one is not on the list
        uow.facts.add(_medication(grace.id, "314076", "lisinopril 10 MG Oral Tablet", start=TODAY - dt.timedelta(days=30)))
        uow.facts.add(_medication(grace.id, "197361", "amlodipine 5 MG Oral Tablet", start=started, status="stopped"))
        for code, name in (("44054006", "Type 2 diabetes mellitus (disorder)"),
                           ("433144002", "Chronic kidney disease stage 3 (disorder)")):
            uow.facts.add(ClinicalFact(patient_id=grace.id, kind="condition", code_system=SNOMED, code=code,
                                       display=name, clinical_status="active"))
        uow.facts.add(ClinicalFact(patient_id=grace.id, kind="allergy", code_system=SNOMED, code="91936005",
                                   display="Allergy to penicillin", clinical_status="active"))
        for index, (code, name) in enumerate(OTHER_MEDICATIONS):
            uow.facts.add(_medication(many.id, code, name, start=started))
            uow.facts.add(_medication(other.id, code, name, start=started))
            end = dt.datetime.combine(TODAY - dt.timedelta(days=3), dt.time()) if index < 2 else None
            uow.facts.add(_medication(ended.id, code, name, start=started, end=end))
        uow.reviews.add(MedicationReview(
            patient_id=recent.id, review_type="comprehensive", review_date=TODAY - dt.timedelta(days=364),
            pharmacist=PHARMACIST, summary_given_on=TODAY - dt.timedelta(days=364), summary_method="in_person",
            medications=[ReviewedMedication("Othermed 1", action="continue")],
            problems=[DrugTherapyProblem("adherence", "Misses doses", medication="Othermed 1",
                                         recommendation="Pill organizer", prescriber="Ravi Patel, MD",
                                         recommended_on=TODAY - dt.timedelta(days=364), response="accepted",
                                         responded_at=TODAY - dt.timedelta(days=360))]))
        uow.commit()
        return ReviewsPod(oak.id, grace.id, many.id, ended.id, recent.id, other.id, elm.id)
