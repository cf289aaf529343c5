"""The chart of one patient: everything its tabs show, read in a fixed number of queries.

Each kind of record is one query for the patient plus one per child collection
(``selectinload``), never a query per row. Records marked entered-in-error are
left out. The records are the domain's own classes, so the screens use the
domain's rules (overdue referrals, active conditions, CCM months) directly.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, selectinload

from domain.audit import AuditEvent
from domain.calls import AfterHoursCall
from domain.care_plan import CarePlan, Task
from domain.clock import utcnow
from domain.facts import ClinicalFact, components_display
from domain.medication_review import ACTIVE_MEDICATION_STATUSES, MedicationReview
from domain.outreach import OutreachAttempt
from domain.patient import Patient
from domain.referral import Referral
from domain.services import open_chart
from domain.time_entry import TimeEntry
from storage import schema as t
from storage.mapping import start_mappers
from storage.queries.patients import clinician_name
from storage.uow import UnitOfWork

VALUESETS = Path(__file__).resolve().parents[1] / "data" / "valuesets"
LOINC = "http://loinc.org"
SYSTOLIC, DIASTOLIC = "8480-6", "8462-4"
AUDIT_ROWS = 500


@functools.lru_cache(maxsize=None)
def valueset_codes(oid: str) -> frozenset[tuple[str, str]]:
    """(system, code) pairs of a shipped value set expansion."""
    data = json.loads((VALUESETS / f"{oid}.json").read_text(encoding="utf-8"))
    return frozenset((c["system"], c["code"]) for c in data.get("expansion", {}).get("contains", []))


def _loinc(*codes: str) -> frozenset[tuple[str, str]]:
    return frozenset((LOINC, code) for code in codes)


# The observations the summary shows, latest first. The value sets are the eCQM
# ones where a measure defines them, so the summary and the measures agree.
KEY_OBSERVATIONS: tuple[tuple[str, Callable[[], frozenset[tuple[str, str]]]], ...] = (
    ("HbA1c", lambda: valueset_codes("2.16.840.1.113883.3.464.1003.198.12.1013")),
    ("Blood pressure", lambda: _loinc("85354-9", "55284-4", "8480-6")),
    ("BMI", lambda: _loinc("39156-5")),
    ("Tobacco", lambda: valueset_codes("2.16.840.1.113883.3.526.3.1278")),
    ("PHQ-9", lambda: _loinc("44261-6", "89204-2")),
)


@dataclasses.dataclass(frozen=True)
class KeyObservation:
    label: str
    value: str
    fact: ClinicalFact | None  # None: nothing on record


@dataclasses.dataclass
class Chart:
    patient: Patient
    practice_code: str
    practice_name: str
    pcp: str
    payer: str
    facts: list[ClinicalFact]
    referrals: list[Referral]
    calls: list[AfterHoursCall]
    reviews: list[MedicationReview]
    care_plans: list[CarePlan]
    tasks: list[Task]
    outreach: list[OutreachAttempt]
    time_entries: list[TimeEntry]
    audit: list[AuditEvent]
    # the Gaps tab's rows and history (storage.queries.gaps), read with the chart
    gaps: list = dataclasses.field(default_factory=list)
    gap_history: list = dataclasses.field(default_factory=list)
    # the period the Gaps tab shows, the others, and why nothing is shown (PatientGapsView)
    gap_view: object | None = None
    # the same person's records at other practices, confirmed by a person (LinkedRecord)
    linked_records: list = dataclasses.field(default_factory=list)
    practice_holding: bool = False  # the patient waits in the holding place for a practice
    # when each referral is due to move on (the pod's expected days; storage.referral_due)
    referral_due: dict = dataclasses.field(default_factory=dict)
    # the Calls tab's rows (storage.queries.calls.CallRow: times on the practice clock, pages named)
    call_rows: list = dataclasses.field(default_factory=list)
    # the care manager's (application.chart): why the risk tier, CCM months, transitional care of
    # recent discharges, timers running on this chart, staff to hand tasks to and to log time for
    risk: object = None
    care_months: list = dataclasses.field(default_factory=list)
    transitions: list = dataclasses.field(default_factory=list)
    timers: list = dataclasses.field(default_factory=list)
    colleagues: list = dataclasses.field(default_factory=list)
    staff: list = dataclasses.field(default_factory=list)
    time_zone: str = "America/New_York"

    def of_kind(self, *kinds: str) -> list[ClinicalFact]:
        return [f for f in self.facts if f.kind in kinds]

    @property
    def active_conditions(self) -> list[ClinicalFact]:
        return [f for f in self.facts if f.is_active_condition]

    @property
    def encounters(self) -> list[ClinicalFact]:
        return self.of_kind("encounter")

    @property
    def active_medications(self) -> list[ClinicalFact]:
        now = utcnow()
        return [f for f in self.of_kind("medication_request", "medication_statement")
                if is_active_medication(f, now)]

    @property
    def allergies(self) -> list[ClinicalFact]:
        return [f for f in self.of_kind("allergy")
                if f.clinical_status not in ("inactive", "resolved")
                and f.verification_status not in ("refuted", "entered-in-error")]

    @property
    def key_observations(self) -> list[KeyObservation]:
        observations = [f for f in self.of_kind("observation") if not f.not_done]
        found = []
        for label, codes in KEY_OBSERVATIONS:
            wanted = codes()
            latest = next((f for f in observations if _has_code(f, wanted)), None)
            found.append(KeyObservation(label, value_display(latest) if latest else "", latest))
        return found


def is_active_medication(fact: ClinicalFact, now: dt.datetime) -> bool:
    """On the active list: not stopped, completed or refuted, and not ended in the past."""
    return (fact.status in ACTIVE_MEDICATION_STATUSES
            and (fact.end_at is None or fact.end_at >= now))


def _has_code(fact: ClinicalFact, wanted: frozenset[tuple[str, str]]) -> bool:
    if (fact.code_system, fact.code) in wanted:
        return True
    if any((c.system, c.code) in wanted for c in fact.codings if c.role == "code"):
        return True
    # blood pressure recorded as a panel: the systolic component identifies it
    return (LOINC, SYSTOLIC) in wanted and any(c.code == SYSTOLIC for c in fact.components)


def value_display(fact: ClinicalFact) -> str:
    """A fact's value as a clinician reads it: 132/84 mmHg, 7.2 %, "Never smoker"."""
    systolic = next((c for c in fact.components if c.code == SYSTOLIC), None)
    diastolic = next((c for c in fact.components if c.code == DIASTOLIC), None)
    if systolic is not None and diastolic is not None and None not in (systolic.value_num, diastolic.value_num):
        # systolic first whatever order the components came in
        return components_display([systolic, diastolic])
    coded = next((c for c in fact.codings if c.role == "value"), None)
    if fact.value_num is None and coded is not None:
        return coded.display or coded.code
    return fact.value_text_for_display()


# no record has this id (ids start at 1): the chart of no one reads nothing
NOBODY = 0


def load_chart(engine: Engine, patient_id: int) -> Chart | None:
    """The whole chart of a patient, or None when there is no such patient."""
    start_mappers()
    with Session(engine, expire_on_commit=False) as session:
        patient = session.get(Patient, patient_id)
        if patient is None:
            return None
        chart = _read_chart(session, patient)
        session.expunge_all()
        return chart


def nobodys_chart(engine: Engine) -> Chart | None:
    """The chart of no one: each of a chart's statements run once for an id no record has.

    SQLAlchemy compiles a statement at its first run, about a millisecond each and some forty
    for a chart; running them here, on the task runner as the window opens, lets the day's first
    chart open as fast as the next. No patient's record is read, so nothing is viewed. Should a
    patient have that id after all (put there by another tool), nothing is run: None."""
    start_mappers()
    nobody = Patient(practice_id=NOBODY, mrn="", family="", given="", birth_date=dt.date.min, id=NOBODY)
    with Session(engine) as session:
        if session.get(Patient, NOBODY) is not None:
            return None
        return _read_chart(session, nobody)


def _read_chart(session: Session, patient: Patient) -> Chart:
    patient_id = patient.id
    names = session.execute(
        sa.select(t.practice.c.code, t.practice.c.name, t.practice.c.holding, t.clinician.c.given, t.clinician.c.family,
                  t.clinician.c.credentials, t.payer.c.name.label("payer"))
        .select_from(t.patient.join(t.practice, t.practice.c.id == t.patient.c.practice_id)
                     .outerjoin(t.clinician, t.clinician.c.id == t.patient.c.pcp_id)
                     .outerjoin(t.payer, t.payer.c.id == t.patient.c.payer_id))
        .where(t.patient.c.id == patient_id)).one_or_none()
    code, name, holding, given, family, credentials, payer = names or ("", "", False, None, None, None, None)

    def newest_first(cls, table, *order, children=()):
        query = (sa.select(cls).where(table.c.patient_id == patient_id,
                                      table.c.entered_in_error.is_(False))
                 .order_by(*(c.desc() for c in order), table.c.id.desc()))
        for child in children:
            query = query.options(selectinload(getattr(cls, child)))
        return list(session.scalars(query))

    f = t.clinical_fact
    facts = newest_first(ClinicalFact, f, f.c.start_at, children=("codings", "components"))
    return Chart(
        patient=patient, practice_code=code, practice_name=name, practice_holding=bool(holding),
        pcp=clinician_name(given, family, credentials), payer=payer or "",
        # undated facts last, newest first otherwise
        facts=sorted(facts, key=lambda x: x.start_at is None),
        referrals=newest_first(Referral, t.referral, t.referral.c.ordered_at, children=("events",)),
        calls=newest_first(AfterHoursCall, t.after_hours_call, t.after_hours_call.c.received_at),
        reviews=newest_first(MedicationReview, t.medication_review, t.medication_review.c.review_date,
                             children=("medications", "problems")),
        care_plans=newest_first(CarePlan, t.care_plan, t.care_plan.c.created_at,
                                children=("goals", "interventions")),
        tasks=newest_first(Task, t.task, t.task.c.due_date),
        outreach=newest_first(OutreachAttempt, t.outreach_attempt, t.outreach_attempt.c.at),
        time_entries=newest_first(TimeEntry, t.time_entry, t.time_entry.c.entry_date),
        audit=_audit_trail(session, patient_id),
    )


def _audit_trail(session: Session, patient_id: int) -> list[AuditEvent]:
    a = t.audit_event
    rows = session.execute(sa.select(a).where(a.c.patient_id == patient_id)
                           .order_by(a.c.at.desc(), a.c.id.desc()).limit(AUDIT_ROWS)).mappings()
    return [AuditEvent(r["actor"], r["action"], r["record_type"], r["record_id"], r["patient_id"],
                       r["detail"], r["at"]) for r in rows]


def record_chart_view(engine: Engine, actor: str, patient_id: int) -> None:
    """Opening a chart is an audited 'view' (the domain's service, in its own transaction).

    Raises :class:`domain.errors.NotFound` for an unknown patient."""
    with UnitOfWork(engine, actor) as uow:
        open_chart(uow, patient_id)
