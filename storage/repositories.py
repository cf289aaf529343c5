"""Repositories: one per aggregate, over a session the unit of work owns.

Every write of a clinical record goes through :meth:`Repository.add`,
:meth:`Repository.correct` or :meth:`Repository.mark_entered_in_error`, which
write the audit event (and for corrections the kept earlier values) in the same
transaction as the change.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from domain.audit import AuditEvent
from domain.calls import AfterHoursCall
from domain.care_plan import CareGoal, CareIntervention, CarePlan, Task
from domain.clock import utcnow
from domain.errors import DomainError, NotFound
from domain.facts import ClinicalFact
from domain.gaps import GapOverride
from domain.history import Revision, correct
from domain.medication_review import DrugTherapyProblem, MedicationReview, ReviewedMedication
from domain.outreach import OutreachAttempt
from domain.patient import Patient
from domain.practice import Clinician, OnCallSlot, Payer, Practice, StaffMember
from domain.referral import Referral
from domain.time_entry import RunningTimer, TimeEntry
from domain.today import TodayMark
from storage import audit_chain
from storage import schema as t

R = TypeVar("R")


class AuditLog:
    """Append-only, hash-chained audit trail (:mod:`storage.audit_chain`; the database refuses
    updates, deletes and replacements)."""

    def __init__(self, session: Session, actor: str):
        self.session, self.actor = session, actor

    def record(self, action: str, record_type: str, record_id: int | None,
               patient_id: int | None = None, detail: str = "") -> None:
        event = AuditEvent(self.actor, action, record_type, record_id, patient_id, detail)
        audit_chain.append(self.session, at=event.at, actor=event.actor, action=event.action,
                           record_type=event.record_type, record_id=event.record_id,
                           patient_id=event.patient_id, detail=event.detail)

    def for_patient(self, patient_id: int, limit: int = 500) -> list[AuditEvent]:
        rows = self.session.execute(
            sa.select(t.audit_event).where(t.audit_event.c.patient_id == patient_id)
            .order_by(t.audit_event.c.at.desc(), t.audit_event.c.id.desc()).limit(limit)
        ).mappings()
        return [AuditEvent(r["actor"], r["action"], r["record_type"], r["record_id"],
                           r["patient_id"], r["detail"], r["at"]) for r in rows]


class Repository(Generic[R]):
    record_class: type
    audited = True

    def __init__(self, session: Session, audit: AuditLog):
        self.session, self.audit = session, audit

    def _patient_of(self, record: Any) -> int | None:
        return getattr(record, "patient_id", None)

    def get(self, record_id: int) -> R:
        record = self.session.get(self.record_class, record_id)
        if record is None:
            raise NotFound(f"No {self.record_class.__name__} with id {record_id}.")
        return record

    def add(self, record: R) -> R:
        validate = getattr(record, "validate", None)
        if validate is not None:
            validate()
        self.session.add(record)
        self.session.flush()
        if self.audited:
            self.audit.record("create", type(record).__name__, record.id, self._patient_of(record))
        return record

    def correct(self, record: R, changes: dict[str, Any], *, reason: str = "",
                patient_id: int | None = None) -> Revision | None:
        """Change fields, keeping the earlier values as a revision (``patient_id``: the patient
        a part of a record belongs to, a care plan's goal, for the audit trail)."""
        revision = correct(record, changes, by=self.audit.actor, reason=reason)
        if revision is None:
            return None
        if hasattr(record, "updated_at"):
            record.updated_at = utcnow()
        self.session.flush()
        self.session.execute(sa.insert(t.record_revision).values(
            record_type=revision.record_type, record_id=revision.record_id,
            changed_at=revision.changed_at, changed_by=revision.changed_by, reason=revision.reason,
            old_values=revision.old_values, new_values=revision.new_values,
        ))
        self.audit.record("change", revision.record_type, revision.record_id,
                          patient_id or self._patient_of(record), ", ".join(sorted(revision.new_values)))
        return revision

    def mark_entered_in_error(self, record: R, *, reason: str, patient_id: int | None = None) -> None:
        """Records are never deleted: they are marked entered-in-error, with the reason kept."""
        if not reason.strip():
            raise DomainError("Marking a record entered-in-error needs a reason.")
        if getattr(record, "entered_in_error", False):
            raise DomainError("This record is already marked entered-in-error.")
        self.correct(record, {"entered_in_error": True}, reason=reason, patient_id=patient_id)

    def revisions(self, record: R) -> list[dict]:
        rows = self.session.execute(
            sa.select(t.record_revision)
            .where(t.record_revision.c.record_type == type(record).__name__,
                   t.record_revision.c.record_id == record.id)
            .order_by(t.record_revision.c.changed_at, t.record_revision.c.id)
        ).mappings()
        return [dict(r) for r in rows]


class PracticeRepository(Repository[Practice]):
    record_class = Practice

    def by_code(self, code: str) -> Practice | None:
        return self.session.scalars(sa.select(Practice).where(t.practice.c.code == code)).first()

    def all(self) -> list[Practice]:
        return list(self.session.scalars(sa.select(Practice).order_by(t.practice.c.name)))


class ClinicianRepository(Repository[Clinician]):
    record_class = Clinician

    def of_practice(self, practice_id: int) -> list[Clinician]:
        return list(self.session.scalars(
            sa.select(Clinician).where(t.clinician.c.practice_id == practice_id)
            .order_by(t.clinician.c.family)))

    def by_npi(self, npi: str) -> Clinician | None:
        return self.session.scalars(sa.select(Clinician).where(t.clinician.c.npi == npi)).first()


class OnCallRepository(Repository[OnCallSlot]):
    record_class = OnCallSlot

    def for_practice(self, practice_id: int, start: dt.datetime, end: dt.datetime) -> list[OnCallSlot]:
        return list(self.session.scalars(
            sa.select(OnCallSlot).where(
                t.on_call_slot.c.practice_id == practice_id,
                t.on_call_slot.c.ends_at > start, t.on_call_slot.c.starts_at < end,
            ).order_by(t.on_call_slot.c.starts_at)))


class StaffRepository(Repository[StaffMember]):
    record_class = StaffMember

    def all(self) -> list[StaffMember]:
        return list(self.session.scalars(sa.select(StaffMember).order_by(t.staff_member.c.name)))

    def by_name(self, name: str) -> StaffMember | None:
        return self.session.scalars(sa.select(StaffMember).where(t.staff_member.c.name == name)).first()

    def covered_practice_ids(self, staff_id: int) -> list[int]:
        return list(self.session.scalars(
            sa.select(t.staff_practice.c.practice_id).where(t.staff_practice.c.staff_id == staff_id)))

    def set_covered_practices(self, staff: StaffMember, practice_ids: list[int]) -> None:
        self.session.execute(sa.delete(t.staff_practice).where(t.staff_practice.c.staff_id == staff.id))
        if practice_ids:
            self.session.execute(sa.insert(t.staff_practice),
                                 [{"staff_id": staff.id, "practice_id": p} for p in practice_ids])
        self.audit.record("change", "StaffMember", staff.id, None,
                          "covered practices: " + ",".join(map(str, practice_ids)))


class PayerRepository(Repository[Payer]):
    record_class = Payer
    audited = False

    def by_code(self, code: str) -> Payer | None:
        return self.session.scalars(sa.select(Payer).where(t.payer.c.code == code)).first()


class PatientRepository(Repository[Patient]):
    record_class = Patient

    def _patient_of(self, record: Patient) -> int | None:
        return record.id

    def by_mrn(self, practice_id: int, mrn: str) -> Patient | None:
        return self.session.scalars(sa.select(Patient).where(
            t.patient.c.practice_id == practice_id, t.patient.c.mrn == mrn)).first()

    def add(self, record: Patient) -> Patient:
        record.validate()
        if self.by_mrn(record.practice_id, record.mrn) is not None:
            raise DomainError(f"MRN {record.mrn} is already used in this practice.")
        return super().add(record)


class FactRepository(Repository[ClinicalFact]):
    record_class = ClinicalFact

    def for_patient(self, patient_id: int, kind: str | None = None,
                    include_errors: bool = False) -> list[ClinicalFact]:
        query = sa.select(ClinicalFact).where(t.clinical_fact.c.patient_id == patient_id)
        if kind:
            query = query.where(t.clinical_fact.c.kind == kind)
        if not include_errors:
            query = query.where(t.clinical_fact.c.entered_in_error.is_(False))
        return list(self.session.scalars(
            query.order_by(t.clinical_fact.c.start_at.desc().nulls_last(), t.clinical_fact.c.id)))


class _PatientRecords(Repository[R]):
    """Records that belong to one patient and are listed newest first in the chart."""

    order_column: sa.Column

    def for_patient(self, patient_id: int, include_errors: bool = False) -> list[R]:
        mapped = sa.inspect(self.record_class).local_table
        query = sa.select(self.record_class).where(mapped.c.patient_id == patient_id)
        if not include_errors:
            query = query.where(mapped.c.entered_in_error.is_(False))
        return list(self.session.scalars(query.order_by(self.order_column.desc(), mapped.c.id.desc())))


class ReferralRepository(_PatientRecords[Referral]):
    record_class = Referral
    order_column = t.referral.c.ordered_at

    def add(self, record: Referral) -> Referral:
        super().add(record)
        self._store_due(record)
        return record

    def advance(self, referral: Referral, state: str, *, at: dt.datetime | None = None,
                note: str = "") -> None:
        previous = referral.state
        referral.advance_to(state, by=self.audit.actor, at=at, note=note)
        self.session.flush()
        self._store_due(referral)
        self.audit.record("change", "Referral", referral.id, referral.patient_id,
                          f"state {previous} -> {state}")

    def correct(self, record: Referral, changes: dict[str, Any], *, reason: str = "") -> Revision | None:
        revision = super().correct(record, changes, reason=reason)
        self._store_due(record)  # a new urgency, or entered in error, changes when it is due
        return revision

    def _store_due(self, referral: Referral) -> None:
        """The referral's due time (``referral.due_at``) from the pod's expected days."""
        from storage.referral_due import store_due_at

        store_due_at(self.session.connection(), [referral.id])


class CallRepository(_PatientRecords[AfterHoursCall]):
    record_class = AfterHoursCall
    order_column = t.after_hours_call.c.received_at

    def acknowledge(self, call: AfterHoursCall, at: dt.datetime | None = None) -> None:
        call.acknowledge(self.audit.actor, at)
        self.session.flush()
        self.audit.record("change", "AfterHoursCall", call.id, call.patient_id, "acknowledged")


class ReviewRepository(_PatientRecords[MedicationReview]):
    record_class = MedicationReview
    order_column = t.medication_review.c.review_date

    def _patient_of(self, record: Any) -> int | None:
        if isinstance(record, (DrugTherapyProblem, ReviewedMedication)):
            return self.get(record.review_id).patient_id
        return record.patient_id

    def problem(self, problem_id: int) -> DrugTherapyProblem:
        problem = self.session.get(DrugTherapyProblem, problem_id)
        if problem is None:
            raise NotFound(f"No drug-therapy problem with id {problem_id}.")
        return problem

    def correct_line(self, review: MedicationReview, line: Any, changes: dict[str, Any], *,
                     reason: str = "") -> Revision | None:
        """Change a problem or medication line of a finished review, keeping the earlier values."""
        if line.review_id != review.id:
            raise DomainError("That line belongs to another review.")
        return self.correct(line, changes, reason=reason)


class OutreachRepository(_PatientRecords[OutreachAttempt]):
    record_class = OutreachAttempt
    order_column = t.outreach_attempt.c.at


class CarePlanRepository(_PatientRecords[CarePlan]):
    record_class = CarePlan
    order_column = t.care_plan.c.created_at

    def add_item(self, plan: CarePlan, item: CareGoal | CareIntervention) -> None:
        """A goal or intervention added to a plan, audited under the plan's patient."""
        item.validate()
        (plan.goals if isinstance(item, CareGoal) else plan.interventions).append(item)
        self.session.flush()
        self.audit.record("create", type(item).__name__, item.id, plan.patient_id, f"care plan {plan.id}")

    def item(self, plan: CarePlan, kind: type, item_id: int) -> CareGoal | CareIntervention:
        items = plan.goals if kind is CareGoal else plan.interventions
        found = next((i for i in items if i.id == item_id), None)
        if found is None:
            raise NotFound(f"The care plan '{plan.title}' has no {kind.__name__[4:].lower()} with id {item_id}.")
        return found


class TaskRepository(_PatientRecords[Task]):
    record_class = Task
    order_column = t.task.c.due_date


class TimeEntryRepository(_PatientRecords[TimeEntry]):
    record_class = TimeEntry
    order_column = t.time_entry.c.entry_date

    def of_staff(self, staff: str, first: dt.date, last: dt.date) -> list[TimeEntry]:
        """A staff member's entries (not in error) dated from ``first`` to ``last``, any patient."""
        te = t.time_entry
        return list(self.session.scalars(sa.select(TimeEntry).where(
            te.c.staff == staff, te.c.entry_date.between(first, last), te.c.entered_in_error.is_(False))))


class TimerRepository(Repository[RunningTimer]):
    record_class = RunningTimer

    def running(self, staff: str | None = None, patient_id: int | None = None) -> list[RunningTimer]:
        rt = t.running_timer
        query = sa.select(RunningTimer).where(rt.c.state == "running")
        if staff is not None:
            query = query.where(rt.c.staff == staff)
        if patient_id is not None:
            query = query.where(rt.c.patient_id == patient_id)
        return list(self.session.scalars(query.order_by(rt.c.started_at)))

    def stop(self, timer: RunningTimer, state: str, time_entry_id: int | None = None,
             at: dt.datetime | None = None) -> None:
        timer.stop(state, at)
        timer.time_entry_id = time_entry_id
        self.session.flush()
        self.audit.record("change", "RunningTimer", timer.id, timer.patient_id,
                          f"timer {state}" + (f" as time entry {time_entry_id}" if time_entry_id else ""))


class GapOverrideRepository(_PatientRecords[GapOverride]):
    record_class = GapOverride
    order_column = t.gap_override.c.at

    def add(self, record: GapOverride) -> GapOverride:
        self._ensure_measure(record.measure_id)
        return super().add(record)

    def _ensure_measure(self, measure_id: str) -> None:
        """The measure's row, which a pod never recomputed does not have yet (the first recompute
        writes them): an exclusion documented first failed on its foreign key. Unknown
        measures are a DomainError naming them."""
        if self.session.execute(sa.select(t.measure.c.id).where(t.measure.c.id == measure_id)).first():
            return
        from domain.measures import definition as definitions

        found = definitions.load(measure_id)
        self.session.execute(sa.insert(t.measure).values(
            id=measure_id, version=found.get("version", ""), title=found["title"],
            inverse=bool(found.get("inverse")), active=True, definition=found))


class TodayMarkRepository(Repository[TodayMark]):
    """Done and snoozed marks on Today's items; undone by marking them entered in error."""

    record_class = TodayMark
