"""A small synthetic pod for the window tests, made through the unit of work."""
from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from domain.calls import AfterHoursCall
from domain.care_plan import CareGoal, CareIntervention, CarePlan, Task
from domain.facts import ClinicalFact, Coding, Component
from domain.medication_review import DrugTherapyProblem, MedicationReview, ReviewedMedication
from domain.outreach import OutreachAttempt
from domain.patient import Patient
from domain.practice import Clinician, Payer, Practice, StaffMember
from domain.referral import Referral
from domain.time_entry import TimeEntry
from storage.uow import UnitOfWork

ACTOR = "Dana Reyes"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
T0 = dt.datetime(2026, 3, 2, 15, 30)


@dataclasses.dataclass
class SamplePod:
    oak: int
    elm: int
    grace: int  # Okafor, Grace: the full chart
    john: int   # Smith, John (Oak)
    joan: int   # Smith, Joan (Elm)
    jo: int     # Smithers, Jo (Oak)
    empty: int  # Zimmer, Ola: a chart with nothing on record


def _observation(pid: int, code: str, display: str, at: dt.datetime, **values) -> ClinicalFact:
    return ClinicalFact(patient_id=pid, kind="observation", code_system=LOINC, code=code, display=display,
                        status="final", start_at=at, start_raw=at.isoformat(),
                        codings=[Coding(LOINC, code, display)], **values)


def build_sample_pod(engine) -> SamplePod:
    with UnitOfWork(engine, ACTOR) as uow:
        oak = uow.practices.add(Practice(code="OAK", name="Oak Family Medicine"))
        elm = uow.practices.add(Practice(code="ELM", name="Elm Street Clinic"))
        patel = uow.clinicians.add(Clinician(practice_id=oak.id, family="Patel", given="Ravi"))
        uow.clinicians.add(Clinician(practice_id=elm.id, family="Nguyen", given="Lan", credentials="DO"))
        medicare = uow.payers.add(Payer(code="MCR", name="Medicare Advantage", kind="medicare"))
        uow.staff.add(StaffMember(name=ACTOR, roles="care_manager"))
        uow.staff.add(StaffMember(name="Sam Ortiz", roles="pharmacist"))

        def patient(practice, mrn, family, given, born, **more):
            return uow.patients.add(Patient(practice_id=practice.id, mrn=mrn, family=family, given=given,
                                            birth_date=born, **more))

        grace = patient(oak, "M001", "Okafor", "Grace", dt.date(1951, 2, 28), sex="female",
                        phone="(617) 555-0147", pcp_id=patel.id, payer_id=medicare.id, member_id="MA-99812",
                        risk_tier="moderate", risk_override="high",
                        risk_override_reason="Two admissions this winter",
                        consent_date=dt.date(2026, 1, 5), consent_by=ACTOR)
        john = patient(oak, "M002", "Smith", "John", dt.date(1957, 3, 4), sex="male", phone="617-555-2290")
        joan = patient(elm, "E100", "Smith", "Joan", dt.date(1962, 11, 30), sex="female",
                       phone="508 555 7788")
        jo = patient(oak, "M003", "Smithers", "Jo", dt.date(1990, 7, 1), sex="other", phone="6175551234")
        empty = patient(elm, "E200", "Zimmer", "Ola", dt.date(1948, 5, 9), sex="female")
        uow.commit()

        pid = grace.id
        uow.facts.add(ClinicalFact(patient_id=pid, kind="condition", code_system=SNOMED, code="44054006",
                                   display="Type 2 diabetes mellitus", clinical_status="active",
                                   start_at=dt.datetime(2015, 6, 1), start_raw="2015-06-01"))
        uow.facts.add(ClinicalFact(patient_id=pid, kind="condition", code_system=SNOMED, code="195967001",
                                   display="Asthma", clinical_status="resolved",
                                   start_at=dt.datetime(2001, 1, 1), end_at=dt.datetime(2005, 1, 1)))
        uow.facts.add(_observation(pid, "4548-4", "Hemoglobin A1c", dt.datetime(2025, 6, 1),
                                   value_num=9.8, value_unit="%"))
        uow.facts.add(_observation(pid, "4548-4", "Hemoglobin A1c", dt.datetime(2026, 2, 10),
                                   value_num=8.1, value_unit="%"))
        uow.facts.add(_observation(pid, "85354-9", "Blood pressure panel", dt.datetime(2026, 2, 10), components=[
            Component(LOINC, "8480-6", "Systolic", value_num=142, value_unit="mm[Hg]"),
            Component(LOINC, "8462-4", "Diastolic", value_num=88, value_unit="mm[Hg]")]))
        uow.facts.add(_observation(pid, "39156-5", "BMI", dt.datetime(2026, 2, 10),
                                   value_num=31.4, value_unit="kg/m2"))
        smoking = _observation(pid, "72166-2", "Tobacco smoking status", dt.datetime(2026, 2, 10),
                               value_system=SNOMED, value_code="8517006")
        smoking.codings.append(Coding(SNOMED, "8517006", "Ex-smoker", role="value"))
        uow.facts.add(smoking)
        uow.facts.add(ClinicalFact(patient_id=pid, kind="medication_request", code_system=RXNORM,
                                   code="860975", display="Metformin 500 MG Extended Release Oral Tablet",
                                   status="active", intent="order", start_at=dt.datetime(2024, 1, 3)))
        uow.facts.add(ClinicalFact(patient_id=pid, kind="medication_request", code_system=RXNORM,
                                   code="197361", display="Amlodipine 5 MG Oral Tablet",
                                   status="stopped", start_at=dt.datetime(2020, 1, 3)))
        uow.facts.add(ClinicalFact(patient_id=pid, kind="allergy", code_system=SNOMED, code="91936005",
                                   display="Allergy to penicillin", clinical_status="active"))
        uow.facts.add(ClinicalFact(patient_id=pid, kind="encounter", code_system=SNOMED, code="32485007",
                                   display="Hospital admission", start_at=dt.datetime(2026, 1, 12, 8),
                                   end_at=dt.datetime(2026, 1, 15, 12), encounter_class="IMP",
                                   discharge_code="01"))
        referral = uow.referrals.add(Referral.order(by=ACTOR, at=T0 - dt.timedelta(days=20), patient_id=pid,
                                                    specialty="Cardiology", reason="Palpitations"))
        uow.referrals.advance(referral, "sent", at=T0 - dt.timedelta(days=19))
        uow.calls.add(AfterHoursCall(practice_id=oak.id, patient_id=pid, received_at=T0 - dt.timedelta(days=3),
                                     called_back_at=T0 - dt.timedelta(days=3) + dt.timedelta(minutes=6),
                                     caller_name="Grace Okafor", reason="Dizzy after new medication",
                                     disposition="see_within_24h", taken_by="Lee Park"))
        uow.reviews.add(MedicationReview(
            patient_id=pid, review_type="comprehensive", review_date=dt.date(2026, 2, 20), pharmacist="Sam Ortiz",
            medications=[ReviewedMedication("Metformin 500 mg ER", dose="1 tab daily")],
            problems=[DrugTherapyProblem("adherence", "Misses evening doses", medication="Metformin",
                                         recommendation="Switch to once-daily morning dosing")]))
        uow.care_plans.add(CarePlan(
            patient_id=pid, title="Diabetes self-management", problems="Uncontrolled diabetes",
            created_by=ACTOR, created_at=T0 - dt.timedelta(days=30),
            goals=[CareGoal("HbA1c below 8%", target="< 8 %", due_date=dt.date(2026, 6, 30))],
            interventions=[CareIntervention("Monthly check-in call", status="in_progress")]))
        uow.tasks.add(Task(title="Call about cardiology appointment", assignee=ACTOR,
                           due_date=dt.date(2026, 3, 9), patient_id=pid, practice_id=oak.id))
        uow.outreach.add(OutreachAttempt(patient_id=pid, at=T0 - dt.timedelta(days=5), channel="phone",
                                         outcome="left_message", by=ACTOR))
        uow.time_entries.add(TimeEntry(staff=ACTOR, patient_id=pid, minutes=25, activity="care_coordination",
                                       entry_date=dt.date(2026, 2, 11)))
        uow.commit()
        return SamplePod(oak=oak.id, elm=elm.id, grace=grace.id, john=john.id, joan=joan.id, jo=jo.id,
                         empty=empty.id)


def pytest_collection_modifyitems(items):
    # the offscreen platform (and only it) says this whenever a top-level window is shown (or raised)
    for item in items:
        if "/tests/ui/" in str(item.fspath):
            item.add_marker(pytest.mark.qt_log_ignore(
                r"This plugin does not support (propagateSizeHints|raise|grabbing the keyboard)"))


@pytest.fixture
def sample_pod(engine) -> SamplePod:
    return build_sample_pod(engine)


@pytest.fixture
def pod(engine):
    """The gaps pod of ``tests.ui.test_gaps_data`` (measured gaps in two practices)."""
    from tests.ui.test_gaps_data import build_pod

    return build_pod(engine)



def open_chart(section, patient_id: int):
    """Open a chart as the Patients section does (the view is saved on the task runner's writer,
    then the tab appears) and return its view, or None when it could not be opened."""
    task = section.open_chart(patient_id)
    section.context.tasks.wait_for(task)
    return next((v for v in section.open_charts() if v.patient_id == patient_id), None)


def make_context(engine, user: str = "Dana Reyes", settings=None):
    """The AppContext a MainWindow gets, over a test's engine."""
    from tests.conftest import app_pod_for
    from ui.context import AppContext
    from ui.settings import Settings

    settings = settings or Settings()
    if user:
        settings.user_name = user
    return AppContext.create(app_pod_for(engine), settings)
