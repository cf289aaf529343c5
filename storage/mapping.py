"""Imperative mapping of the domain's plain dataclasses onto the tables (Cosmic Python)."""
from __future__ import annotations

import threading

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import column_property, configure_mappers, registry, relationship

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
from storage import codings, schema as t

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


def _coding_concept(_mapper, connection, coding: Coding | Component) -> None:
    coding.concept_id = codings.concept_id(connection, coding.system or "", coding.code or "", coding.display or "")


def _fact_concept(_mapper, connection, fact: ClinicalFact) -> None:
    fact.concept_id = codings.concept_id(connection, fact.code_system or "", fact.code or "", fact.display or "")


def _concept_text(table, columns: tuple[str, ...], names: dict | None = None) -> dict:
    """A record's code text read through its concept (storage.codings): attribute -> the concept's
    column of the row's ``concept_id``, as a read-only SQL expression. Not expired by a flush: the
    events below write the concept of the text the record holds, so it stays true, and a record
    stays readable after its unit of work closes (expire_on_commit is off) as a column would."""
    concept = t.coding_concept.c
    return {(names or {}).get(column, column): column_property(
        sa.select(getattr(concept, column)).where(concept.id == table.c.concept_id).scalar_subquery(),
        expire_on_flush=False)
        for column in columns}


def _map_all() -> None:
    m = mapper_registry.map_imperatively
    m(Practice, t.practice)
    m(Clinician, t.clinician)
    m(OnCallSlot, t.on_call_slot)
    m(StaffMember, t.staff_member)
    m(Payer, t.payer)
    m(Patient, t.patient)
    # a coding's text is its concept's (storage.codings); a new coding gets its concept when written
    m(Coding, t.fact_coding, properties=_concept_text(t.fact_coding, ("system", "code", "display")))
    event.listen(Coding, "before_insert", _coding_concept)
    event.listen(Coding, "before_update", _coding_concept)
    m(Component, t.fact_component, properties=_concept_text(t.fact_component, ("system", "code", "display")))
    event.listen(Component, "before_insert", _coding_concept)
    event.listen(Component, "before_update", _coding_concept)
    # a fact's code system and display are its concept's, as a coding's are
    m(ClinicalFact, t.clinical_fact, properties={
        **_concept_text(t.clinical_fact, ("system", "display"), {"system": "code_system"}),
        "codings": relationship(Coding, cascade="all, delete-orphan", order_by=t.fact_coding.c.id),
        "components": relationship(Component, cascade="all, delete-orphan",
                                   order_by=t.fact_component.c.id),
    }, exclude_properties=["resource_json"])
    event.listen(ClinicalFact, "before_insert", _fact_concept)
    event.listen(ClinicalFact, "before_update", _fact_concept)
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
