"""Repository round-trips, audit events written and immutable, corrections kept."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DatabaseError

from domain.calls import AfterHoursCall, CallPage
from domain.care_plan import CareGoal, CareIntervention, CarePlan, Task
from domain.errors import DomainError, InvalidTransition
from domain.facts import ClinicalFact, Coding, Component
from domain.medication_review import DrugTherapyProblem, MedicationReview, ReviewedMedication
from domain.outreach import OutreachAttempt
from domain.patient import Patient
from domain.practice import Clinician, OnCallSlot, Practice, StaffMember
from domain.referral import Referral
from domain.time_entry import TimeEntry
from storage import schema as t
from storage.uow import UnitOfWork

T0 = dt.datetime(2026, 3, 2, 21, 15)


@pytest.fixture
def pod(engine):
    with UnitOfWork(engine, "Dana Reyes") as uow:
        practice = uow.practices.add(Practice(code="OAK", name="Oak Family Medicine", npi="1234567893"))
        doc = uow.clinicians.add(Clinician(practice_id=practice.id, family="Patel", given="Ravi"))
        patient = uow.patients.add(Patient(practice_id=practice.id, mrn="M001", family="Okafor",
                                           given="Grace", birth_date=dt.date(1951, 2, 28), sex="female",
                                           phone="555-010-4477", pcp_id=doc.id))
        uow.commit()
        return {"practice": practice.id, "clinician": doc.id, "patient": patient.id}


def audit_rows(engine):
    with engine.connect() as conn:
        return conn.execute(sa.select(t.audit_event).order_by(t.audit_event.c.id)).mappings().all()


def test_every_record_round_trips(engine, pod):
    pid, cid = pod["patient"], pod["clinician"]
    with UnitOfWork(engine, "Dana Reyes") as uow:
        staff = uow.staff.add(StaffMember(name="Dana Reyes", roles="care_manager"))
        uow.staff.set_covered_practices(staff, [pod["practice"]])
        uow.on_call.add(OnCallSlot(pod["practice"], cid, T0, T0 + dt.timedelta(hours=11)))
        fact = uow.facts.add(ClinicalFact(
            patient_id=pid, kind="observation", code_system="http://loinc.org", code="85354-9",
            display="Blood pressure panel", status="final", start_at=T0, start_raw="2026-03-02T21:15:00Z",
            codings=[Coding("http://loinc.org", "85354-9", "Blood pressure panel")],
            components=[Component("http://loinc.org", "8480-6", value_num=128, value_unit="mm[Hg]"),
                        Component("http://loinc.org", "8462-4", value_num=79, value_unit="mm[Hg]")]))
        referral = uow.referrals.add(Referral.order(by="Dana Reyes", at=T0, patient_id=pid,
                                                    specialty="Cardiology", reason="Palpitations"))
        uow.referrals.advance(referral, "sent", at=T0 + dt.timedelta(days=1))
        call = AfterHoursCall(practice_id=pod["practice"], patient_id=pid, received_at=T0,
                              called_back_at=T0 + dt.timedelta(minutes=5), caller_name="Grace Okafor",
                              reason="Dizzy", disposition="on_call_paged")
        call.add_page(CallPage(cid, T0 + dt.timedelta(minutes=9), "reached", "Hold the new dose", by="Lee Park"))
        uow.calls.add(call)
        uow.reviews.add(MedicationReview(
            patient_id=pid, review_type="comprehensive", review_date=dt.date(2026, 3, 3),
            pharmacist="Priya Shah", medications=[ReviewedMedication("Lisinopril 10 mg", "314076")],
            problems=[DrugTherapyProblem("adherence", "Misses evening doses", "Metformin")]))
        uow.outreach.add(OutreachAttempt(pid, T0, "phone", "left_message", by="Dana Reyes"))
        uow.care_plans.add(CarePlan(patient_id=pid, title="Blood pressure",
                                    goals=[CareGoal("BP < 140/90", "home readings", dt.date(2026, 6, 30))],
                                    interventions=[CareIntervention("Home BP log")]))
        uow.tasks.add(Task("Call about BP log", "Dana Reyes", dt.date(2026, 3, 9), patient_id=pid))
        uow.time_entries.add(TimeEntry("Dana Reyes", pid, 25, "care_plan", dt.date(2026, 3, 2)))
        uow.commit()
        fact_id = fact.id

    with UnitOfWork(engine, "Dana Reyes") as uow:
        fact = uow.facts.get(fact_id)
        assert [c.code for c in fact.components] == ["8480-6", "8462-4"]
        assert fact.value_text_for_display() == "128/79 mmHg"
        assert [e.to_state for e in uow.referrals.for_patient(pid)[0].events] == ["ordered", "sent"]
        assert uow.calls.for_patient(pid)[0].escalated_to_id == cid
        assert [(p.clinician_id, p.outcome, p.note) for p in uow.calls.for_patient(pid)[0].pages] == \
            [(cid, "reached", "Hold the new dose")]
        review = uow.reviews.for_patient(pid)[0]
        assert review.medications[0].rxnorm == "314076" and review.problems[0].category == "adherence"
        assert uow.care_plans.for_patient(pid)[0].goals[0].description == "BP < 140/90"
        assert len(uow.outreach.for_patient(pid)) == len(uow.tasks.for_patient(pid)) == 1
        assert uow.time_entries.for_patient(pid)[0].minutes == 25
        assert uow.staff.covered_practice_ids(uow.staff.by_name("Dana Reyes").id) == [pod["practice"]]
    created = {r["record_type"] for r in audit_rows(engine) if r["action"] == "create"}
    assert {"Patient", "ClinicalFact", "Referral", "AfterHoursCall", "MedicationReview",
            "OutreachAttempt", "CarePlan", "Task", "TimeEntry"} <= created


def test_uncommitted_work_is_rolled_back(engine, pod):
    with UnitOfWork(engine, "Dana Reyes") as uow:
        uow.patients.add(Patient(practice_id=pod["practice"], mrn="M002", family="Lee", given="Ann",
                                 birth_date=dt.date(1990, 1, 1)))
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(t.patient)).scalar() == 1
        assert not any(r["record_id"] == 2 and r["record_type"] == "Patient" for r in audit_rows(engine))


def test_duplicate_mrn_in_a_practice_is_refused_with_a_clear_message(engine, pod):
    with UnitOfWork(engine, "Dana Reyes") as uow:
        with pytest.raises(DomainError, match="MRN M001 is already used"):
            uow.patients.add(Patient(practice_id=pod["practice"], mrn="M001", family="X", given="Y",
                                     birth_date=dt.date(1990, 1, 1)))


def test_correction_keeps_earlier_values_and_is_audited(engine, pod):
    with UnitOfWork(engine, "Lee Chan") as uow:
        patient = uow.patients.get(pod["patient"])
        uow.patients.correct(patient, {"phone": "555-010-9000", "given": "Grace A."}, reason="patient called")
        uow.commit()
    with UnitOfWork(engine, "Lee Chan") as uow:
        patient = uow.patients.get(pod["patient"])
        assert patient.phone_key == "5550109000"
        (rev,) = uow.patients.revisions(patient)
        assert rev["old_values"] == {"phone": "555-010-4477", "given": "Grace"}
        assert rev["changed_by"] == "Lee Chan" and rev["reason"] == "patient called"
    change = [r for r in audit_rows(engine) if r["action"] == "change"][-1]
    assert (change["actor"], change["record_type"], change["patient_id"]) == ("Lee Chan", "Patient", pod["patient"])


def test_entered_in_error_instead_of_delete(engine, pod):
    with UnitOfWork(engine, "Dana Reyes") as uow:
        task = uow.tasks.add(Task("Wrong patient", "Dana Reyes", dt.date(2026, 3, 9), patient_id=pod["patient"]))
        with pytest.raises(DomainError, match="reason"):
            uow.tasks.mark_entered_in_error(task, reason=" ")
        uow.tasks.mark_entered_in_error(task, reason="wrong chart")
        uow.commit()
    with UnitOfWork(engine, "Dana Reyes") as uow:
        assert uow.tasks.for_patient(pod["patient"]) == []
        (kept,) = uow.tasks.for_patient(pod["patient"], include_errors=True)
        assert kept.entered_in_error and uow.tasks.revisions(kept)[0]["reason"] == "wrong chart"


def test_invalid_referral_step_changes_nothing(engine, pod):
    with UnitOfWork(engine, "Dana Reyes") as uow:
        referral = uow.referrals.add(Referral.order(by="Dana Reyes", patient_id=pod["patient"],
                                                    specialty="GI", reason="Colonoscopy"))
        uow.commit()
        with pytest.raises(InvalidTransition):
            uow.referrals.advance(referral, "closed")
        assert referral.state == "ordered" and len(referral.events) == 1


def test_audit_events_cannot_be_changed_or_deleted(engine, pod):
    with engine.connect() as conn:
        with pytest.raises(DatabaseError, match="cannot be changed"):
            conn.execute(sa.update(t.audit_event).values(actor="someone else"))
        conn.rollback()
        with pytest.raises(DatabaseError, match="cannot be deleted"):
            conn.execute(sa.delete(t.audit_event))
        conn.rollback()
    assert {r["actor"] for r in audit_rows(engine)} == {"Dana Reyes"}


def test_a_corrected_fact_reads_its_code_text_after_its_unit_of_work(engine, pod):
    """A fact's code system and display are its concept's (storage.codings): a correction writes the
    new text's concept, and the record stays readable once its unit of work has closed, as any
    other field of it."""
    with UnitOfWork(engine, "Dana Reyes") as uow:
        fact = uow.facts.add(ClinicalFact(
            patient_id=pod["patient"], kind="condition", code_system="http://snomed.info/sct", code="38341003",
            display="Hypertension", start_at=T0, codings=[Coding("http://snomed.info/sct", "38341003", "Hypertension")]))
        uow.commit()
    with UnitOfWork(engine, "Dana Reyes") as uow:
        fact = uow.facts.get(fact.id)
        uow.facts.correct(fact, {"display": "Essential hypertension"}, reason="the practice's wording")
        uow.facts.mark_entered_in_error(fact, reason="wrong patient")
        uow.commit()
    assert (fact.code_system, fact.code, fact.display) == ("http://snomed.info/sct", "38341003", "Essential hypertension")
    with UnitOfWork(engine, "Dana Reyes") as uow:
        again = uow.facts.get(fact.id)
        assert (again.code_system, again.display, again.entered_in_error) == (
            "http://snomed.info/sct", "Essential hypertension", True)
        assert [(c.system, c.code, c.display) for c in again.codings] == [
            ("http://snomed.info/sct", "38341003", "Hypertension")]
