"""Imperative mapping of the domain's plain dataclasses onto the tables (Cosmic Python)."""
from __future__ import annotations

import threading

from sqlalchemy.orm import configure_mappers, registry, relationship

from domain.calls import AfterHoursCall, CallPage
from domain.care_plan import CareGoal, CareIntervention, CarePlan, Task
from domain.facts import ClinicalFact, Coding, Component
from domain.gaps import GapOverride
from domain.medication_review import DrugTherapyProblem, MedicationReview, ReviewedMedication
from domain.outreach import OutreachAttempt
from domain.patient import Patient
from domain.practice import Clinician, OnCallSlot, Payer, Practice, StaffMember
from domain.referral import Referral, ReferralEvent
from domain.time_entry import RunningTimer, TimeEntry
from domain.today import TodayMark
from storage import schema as t

mapper_registry = registry(metadata=t.metadata)
_started = False
_starting = threading.Lock()


def start_mappers() -> None:
    """Map every domain record once per process. Threads that need the mappers at the same
    moment wait for the first to finish them: one that saw them half made failed."""
    global _started
    if _started:
        return
    with _starting:
        if not _started:
            _map_all()
            configure_mappers()  # relationships resolved now, not by whichever thread queries first
            _started = True


def _map_all() -> None:
    m = mapper_registry.map_imperatively
    m(Practice, t.practice)
    m(Clinician, t.clinician)
    m(OnCallSlot, t.on_call_slot)
    m(StaffMember, t.staff_member)
    m(Payer, t.payer)
    m(Patient, t.patient)
    m(Coding, t.fact_coding)
    m(Component, t.fact_component)
    m(ClinicalFact, t.clinical_fact, properties={
        "codings": relationship(Coding, cascade="all, delete-orphan", order_by=t.fact_coding.c.id),
        "components": relationship(Component, cascade="all, delete-orphan",
                                   order_by=t.fact_component.c.id),
    }, exclude_properties=["resource_json"])
    m(ReferralEvent, t.referral_event)
    m(Referral, t.referral, properties={
        "events": relationship(ReferralEvent, cascade="all, delete-orphan",
                               order_by=(t.referral_event.c.at, t.referral_event.c.id)),
    }, exclude_properties=["due_at"])  # kept by storage.referral_due, never set on the record
    m(CallPage, t.call_page)
    m(AfterHoursCall, t.after_hours_call, properties={
        "pages": relationship(CallPage, cascade="all, delete-orphan", lazy="selectin",
                              order_by=(t.call_page.c.paged_at, t.call_page.c.id)),
    })
    m(ReviewedMedication, t.reviewed_medication)
    m(DrugTherapyProblem, t.drug_therapy_problem)
    m(MedicationReview, t.medication_review, properties={
        "medications": relationship(ReviewedMedication, cascade="all, delete-orphan",
                                    order_by=t.reviewed_medication.c.id),
        "problems": relationship(DrugTherapyProblem, cascade="all, delete-orphan",
                                 order_by=t.drug_therapy_problem.c.id),
    })
    m(OutreachAttempt, t.outreach_attempt)
    m(CareGoal, t.care_goal)
    m(CareIntervention, t.care_intervention)
    m(CarePlan, t.care_plan, properties={
        "goals": relationship(CareGoal, cascade="all, delete-orphan", order_by=t.care_goal.c.id),
        "interventions": relationship(CareIntervention, cascade="all, delete-orphan",
                                      order_by=t.care_intervention.c.id),
    })
    m(Task, t.task)
    m(TimeEntry, t.time_entry)
    m(RunningTimer, t.running_timer)
    m(GapOverride, t.gap_override)
    m(TodayMark, t.today_mark)
