"""Medication reviews: starting one from the chart, saving its draft as the pharmacist types,
finishing it, entering the prescriber's responses and the written summary, reaching the patient
(use cases); the review screen's data and the pharmacist's worklist (read models); and the
printouts: the patient's documents (cover letter, personal medication list, medication action
plan) and the letters to the prescribers.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import os
from zoneinfo import ZoneInfo

from application.changes import ChangeSet
from domain.clock import today, utcnow
from domain.errors import DomainError, NotFound
from domain.medication_review import (
    REVIEW_TYPE_LABELS, REVIEW_TYPES, Attempt, DrugTherapyProblem, MedicationReview, ReviewedMedication,
    failed_attempt_days, unable_to_reach, us_date,
)
from domain.outreach import OutreachAttempt
from reports import medication_documents as documents
from reports import prescriber_letter as letters
from storage.queries import gaps as gap_queries
from storage.queries import reviews as q
from storage.queries.gaps import PatientGap
from storage.queries.reviews import (
    DUE_GROUPS, GROUP_COUNTS, GROUP_LABELS, GROUPS, PAGE_SIZE, ChartMedication, ReviewData, ReviewPatient, WorklistRow,
)

__all__ = ["DUE_GROUPS", "GAP_MEASURES", "GROUP_COUNTS", "GROUPS", "GROUP_LABELS", "PAGE_SIZE", "AttemptLogged", "ChartMedication", "DraftSaved",
           "Printed", "ReviewData", "ReviewPatient", "ReviewSheet", "ReviewStarted", "WorklistRow",
           "change_follow_up", "finish_review", "log_attempt", "mark_review_entered_in_error",
           "print_medication_list", "print_patient_documents", "print_prescriber_letters", "read_review",
           "record_response", "record_summary", "save_draft", "snapshot", "start_review", "worklist_counts",
           "worklist_page"]

# the gaps a pharmacist's work on diabetes and blood-pressure medicines closes
GAP_MEASURES = ("CMS122", "CMS165")
FIELDS = ("review_type", "review_date", "follow_up_date", "notes", "summary_given_on", "summary_method")
MEDICATION_FIELDS = ("name", "rxnorm", "dose", "action", "note", "kind", "indication", "prescriber", "start_date",
                     "patient_words", "fact_id")
PROBLEM_FIELDS = ("category", "description", "medication", "recommendation", "response", "responded_at",
                  "condition", "prescriber", "recommended_on", "response_note", "talked_about", "patient_action")


# --- read models -------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class ReviewSheet:
    """What the review screen shows: the review and everything around it."""

    data: ReviewData
    gaps: tuple[PatientGap, ...]  # the patient's open CMS122 / CMS165 gaps, with why

    @property
    def review(self) -> MedicationReview:
        return self.data.review

    @property
    def patient(self) -> ReviewPatient:
        return self.data.patient


def read_review(pod, review_id: int) -> ReviewSheet:
    """The review screen's data. Raises :class:`NotFound` for an unknown review."""
    data = q.load_review(pod.engine, review_id)
    if data is None:
        raise NotFound(f"There is no medication review with id {review_id}.")
    gaps = tuple(g for g in gap_queries.patient_gaps(pod.engine, data.patient.id)
                 if g.measure_id in GAP_MEASURES and g.state == "open")
    return ReviewSheet(data, gaps)


def worklist_counts(pod, on: dt.date | None = None) -> dict[str, int]:
    return q.worklist_counts(pod.engine, on or today())


def worklist_page(pod, group: str, *, on: dt.date | None = None, after: tuple | None = None,
                  limit: int = PAGE_SIZE) -> list[WorklistRow]:
    return q.worklist_page(pod.engine, group, on or today(), after=after, limit=limit)


def snapshot(review: MedicationReview) -> MedicationReview:
    """A detached copy of a review as the screen holds it, safe to hand to the writer thread
    while the pharmacist goes on typing."""
    def copy(record, fields, cls):
        return cls(**{name: getattr(record, name) for name in fields}, id=record.id, review_id=review.id)

    return MedicationReview(
        patient_id=review.patient_id, pharmacist=review.pharmacist, status=review.status, id=review.id,
        started_at=review.started_at, finished_at=review.finished_at,
        **{name: getattr(review, name) for name in FIELDS},
        medications=[copy(m, MEDICATION_FIELDS, ReviewedMedication) for m in review.medications],
        problems=[copy(p, PROBLEM_FIELDS, DrugTherapyProblem) for p in review.problems])


# --- use cases -------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class ReviewStarted:
    review_id: int
    changes: ChangeSet


def start_review(pod, patient_id: int, review_type: str, *, on: dt.date | None = None) -> ReviewStarted:
    """Open a draft review of the patient with the active medications on record as its list
    (each still to be reconciled). A patient has one unfinished review at a time."""
    if review_type not in REVIEW_TYPES:
        raise DomainError(f"Review type must be one of {', '.join(REVIEW_TYPE_LABELS.values())}.")
    on = on or today()
    with pod.unit_of_work() as uow:
        patient = uow.patients.get(patient_id)
        conn = uow.session.connection()
        draft = q.draft_of(conn, patient_id)
        if draft is not None:
            _, kind, day, pharmacist = draft
            raise DomainError(f"{patient.display_name} already has an unfinished {REVIEW_TYPE_LABELS[kind].lower()} "
                              f"review ({us_date(day)}, {pharmacist}): open it from the chart and finish it first.")
        pcp = q.patient_of(conn, patient_id).pcp
        lines = [ReviewedMedication(name=m.name, rxnorm=m.rxnorm, start_date=m.start_date, fact_id=m.fact_id,
                                    kind="prescription" if m.source == "medication_request" else "otc",
                                    prescriber=pcp if m.source == "medication_request" else "")
                 for m in q.chart_medications(conn, patient_id)]
        review = uow.reviews.add(MedicationReview(
            patient_id=patient_id, review_type=review_type, review_date=on, pharmacist=uow.actor,
            status="draft", started_at=utcnow(), medications=lines))
        uow.commit()
        return ReviewStarted(review.id, ChangeSet.of("reviews", patients=[patient_id]))


@dataclasses.dataclass(frozen=True)
class DraftSaved:
    review_id: int
    medication_ids: tuple[int, ...]  # the ids of the snapshot's lines, in its order
    problem_ids: tuple[int, ...]
    saved_at: dt.datetime
    changes: ChangeSet = ChangeSet.of("drafts")


def _apply(review: MedicationReview, state: MedicationReview) -> None:
    """Make the stored draft what the screen holds: fields, lines and problems (by id; new
    ones added, ones the pharmacist removed from the draft dropped)."""
    for name in FIELDS:
        setattr(review, name, getattr(state, name))
    review.medications[:] = _merge(review.medications, state.medications, MEDICATION_FIELDS, ReviewedMedication)
    review.problems[:] = _merge(review.problems, state.problems, PROBLEM_FIELDS, DrugTherapyProblem)


def _merge(stored: list, wanted: list, fields: tuple[str, ...], cls) -> list:
    by_id = {x.id: x for x in stored}
    result = []
    for line in wanted:
        target = by_id.get(line.id) if line.id is not None else None
        if line.id is not None and target is None:
            raise DomainError("This review was changed in another window; close it and open it again.")
        if target is None:
            target = cls(**{name: getattr(line, name) for name in fields})
        else:
            for name in fields:
                setattr(target, name, getattr(line, name))
        result.append(target)
    return result


def _draft(uow, review_id: int) -> MedicationReview:
    review = uow.reviews.get(review_id)
    if review.entered_in_error:
        raise DomainError("This review was marked entered in error.")
    if not review.is_draft:
        raise DomainError("This review is already finished: only the prescriber's responses, the follow-up "
                          "and the written summary can be entered now.")
    return review


def save_draft(pod, state: MedicationReview, *, closing: bool = False) -> DraftSaved:
    """Keep the draft as the screen holds it (a :func:`snapshot`), so nothing typed is lost.
    While the pharmacist types only "drafts" changed; when she closes the review, the chart and
    the worklist read it again (``closing``)."""
    state.validate()
    with pod.unit_of_work() as uow:
        review = _draft(uow, state.id)
        _apply(review, state)
        review.validate()
        uow.session.flush()
        uow.audit.record("change", "MedicationReview", review.id, review.patient_id, "draft saved")
        changes = ChangeSet.of("drafts", "reviews", patients=[review.patient_id]) if closing else ChangeSet.of("drafts")
        saved = DraftSaved(review.id, tuple(m.id for m in review.medications), tuple(p.id for p in review.problems),
                           utcnow(), changes)
        uow.commit()
    return saved


@dataclasses.dataclass(frozen=True)
class ReviewFinished:
    review_id: int
    changes: ChangeSet


def finish_review(pod, state: MedicationReview, *, on: dt.date | None = None) -> ReviewFinished:
    """Finish the draft as the screen holds it: every line reconciled, every problem tied to a
    medication or condition with a recommendation to a prescriber; the recommendations are dated
    as sent today. Nothing changes when a rule is not met (the message says which)."""
    with pod.unit_of_work() as uow:
        review = _draft(uow, state.id)
        _apply(review, state)
        review.finish(on=on or today())
        uow.session.flush()
        uow.audit.record("change", "MedicationReview", review.id, review.patient_id,
                         f"finished: {len(review.medications)} medications, {len(review.problems)} problems")
        uow.commit()
        return ReviewFinished(review.id, ChangeSet.of("reviews", patients=[review.patient_id]))


def _finished(uow, review_id: int) -> MedicationReview:
    review = uow.reviews.get(review_id)
    if review.entered_in_error:
        raise DomainError("This review was marked entered in error.")
    if review.status != "finished":
        raise DomainError("Finish the review first: responses, follow-up and summary belong to a finished review.")
    return review


def record_response(pod, problem_id: int, response: str, responded_at: dt.date | None, *,
                    note: str = "") -> ChangeSet:
    """The prescriber's response to a recommendation, as it came back (kept with the earlier
    values). A response dated before the recommendation was sent is refused."""
    with pod.unit_of_work() as uow:
        problem = uow.reviews.problem(problem_id)
        review = _finished(uow, problem.review_id)
        uow.reviews.correct_line(review, problem, {"response": response, "responded_at": responded_at,
                                                   "response_note": note.strip()},
                                 reason="prescriber's response")
        uow.commit()
        return ChangeSet.of("reviews", patients=[review.patient_id])


def record_summary(pod, review_id: int, given_on: dt.date | None, method: str) -> ChangeSet:
    """The written summary of a comprehensive review reached the patient (in person or mailed)."""
    with pod.unit_of_work() as uow:
        review = _finished(uow, review_id)
        uow.reviews.correct(review, {"summary_given_on": given_on, "summary_method": method if given_on else ""},
                            reason="written summary")
        uow.commit()
        return ChangeSet.of("reviews", patients=[review.patient_id])


def change_follow_up(pod, review_id: int, follow_up: dt.date | None, *, reason: str = "") -> ChangeSet:
    with pod.unit_of_work() as uow:
        review = _finished(uow, review_id)
        uow.reviews.correct(review, {"follow_up_date": follow_up}, reason=reason or "follow-up date")
        uow.commit()
        return ChangeSet.of("reviews", patients=[review.patient_id])


def mark_review_entered_in_error(pod, review_id: int, reason: str) -> ChangeSet:
    """A review opened by mistake (or of the wrong patient) is kept, marked entered in error."""
    with pod.unit_of_work() as uow:
        review = uow.reviews.get(review_id)
        uow.reviews.mark_entered_in_error(review, reason=reason)
        uow.commit()
        return ChangeSet.of("reviews", patients=[review.patient_id])


@dataclasses.dataclass(frozen=True)
class AttemptLogged:
    unable_to_reach: bool  # this attempt closed the review
    failed_days: int  # different days with failed attempts since the patient was last reached
    changes: ChangeSet


def log_attempt(pod, review_id: int, channel: str, outcome: str, *, at: dt.datetime | None = None,
                note: str = "") -> AttemptLogged:
    """An attempt to reach the patient for an unfinished review. When failed attempts have been
    made on 3 different days (the practice's calendar), the review is closed as unable to reach;
    several attempts on one day count once."""
    with pod.unit_of_work() as uow:
        review = _draft(uow, review_id)
        uow.outreach.add(OutreachAttempt(patient_id=review.patient_id, at=at or utcnow(), channel=channel,
                                                   outcome=outcome, by=uow.actor, note=note.strip(),
                                                   medication_review_id=review.id))
        conn = uow.session.connection()
        zone = q.patient_of(conn, review.patient_id).time_zone
        attempts = [Attempt(a.at, a.outcome) for a in q.review_attempts(conn, review.id)]  # this one among them
        closed = unable_to_reach(attempts, zone)
        if closed:
            review.close_unable_to_reach()
            uow.session.flush()
            uow.audit.record("change", "MedicationReview", review.id, review.patient_id,
                             "unable to reach: failed attempts on 3 different days")
        uow.commit()
        return AttemptLogged(closed, len(failed_attempt_days(attempts, zone)),
                             ChangeSet.of("reviews", "outreach", patients=[review.patient_id]))


# --- printouts ------------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Printed:
    path: str
    pages: int
    changes: ChangeSet


def _audited_print(pod, patient_id: int, review_id: int | None, detail: str) -> None:
    with pod.unit_of_work() as uow:
        uow.audit.record("print", "MedicationReview" if review_id else "Patient", review_id or patient_id,
                         patient_id, detail)
        uow.commit()


def _local(at: dt.datetime | None, patient: ReviewPatient) -> dt.datetime:
    """A stored instant (naive UTC; now when None) on the practice's clock, for "Date prepared"."""
    at = at or utcnow()
    return at.replace(tzinfo=dt.timezone.utc).astimezone(ZoneInfo(patient.time_zone))


def _documents_of(sheet: ReviewSheet, at: dt.datetime | None) -> documents.PatientDocuments:
    review, patient = sheet.review, sheet.patient
    prepared = _local(at, patient)
    on_list = [m for m in review.medications if m.on_the_list]
    return documents.PatientDocuments(
        patient=_document_patient(patient), pharmacist=review.pharmacist, review_date=review.review_date,
        review_type=REVIEW_TYPE_LABELS[review.review_type], prepared_at=prepared,
        allergies=tuple(sheet.data.allergies),
        medications=tuple(_line(m) for m in on_list),
        stopped=tuple(dataclasses.replace(_line(m), stopped_on=review.review_date,
                                          why_stopped=m.patient_words or m.note)
                      for m in review.medications if not m.on_the_list),
        actions=tuple(documents.ActionItem(p.talked_about.strip() or p.description, p.patient_action)
                      for p in review.problems if p.on_action_plan),
        follow_up=review.follow_up_date, notes="")


def _document_patient(patient: ReviewPatient) -> documents.DocumentPatient:
    return documents.DocumentPatient(
        name=patient.full_name, birth_date=patient.birth_date, address=patient.address, mrn=patient.mrn,
        practice=patient.practice_name, practice_phone=patient.practice_phone,
        practice_address=patient.practice_address)


def _line(m: ReviewedMedication) -> documents.MedicationLine:
    notes = "; ".join(x for x in (m.note, "You told us you are not taking this medicine — please talk to your "
                                  "doctor before starting it again" if m.action == "not_taking" else "") if x)
    return documents.MedicationLine(name=m.name, what_for=m.indication, how=m.dose, prescriber=m.prescriber,
                                    started=m.start_date, notes=notes, kind=m.kind)


def _output(path) -> str:
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise DomainError(f"Cannot write {path}: the folder {folder} does not exist.")
    return path


def print_patient_documents(pod, review_id: int, path, *, at: dt.datetime | None = None) -> Printed:
    """The patient's take-home documents of a finished review, in the layout of medication-therapy
    management (cover letter, personal medication list, medication action plan), as one PDF."""
    sheet = read_review(pod, review_id)
    if sheet.review.status != "finished":
        raise DomainError("Finish the review before printing the patient's documents: they show the reconciled list.")
    path = _output(path)
    pages = documents.write_patient_documents(_documents_of(sheet, at), path)
    _audited_print(pod, sheet.patient.id, review_id,
                   "patient documents: cover letter, personal medication list, medication action plan")
    return Printed(path, pages, ChangeSet.of("audit", patients=[sheet.patient.id]))


def print_prescriber_letters(pod, review_id: int, path, *, at: dt.datetime | None = None) -> Printed:
    """One page per prescriber with the problems, recommendations and a place for the response."""
    sheet = read_review(pod, review_id)
    review = sheet.review
    if review.status != "finished":
        raise DomainError("Finish the review before printing the letters: the recommendations are dated when "
                          "it is finished.")
    if not review.problems:
        raise DomainError("This review has no recommendations, so there is no letter to send.")
    by_prescriber: dict[str, list[DrugTherapyProblem]] = {}
    for problem in review.problems:
        by_prescriber.setdefault(problem.prescriber, []).append(problem)
    path = _output(path)
    data = letters.PrescriberLetters(
        patient=_document_patient(sheet.patient), pharmacist=review.pharmacist, review_date=review.review_date,
        review_type=REVIEW_TYPE_LABELS[review.review_type], prepared_at=_local(at, sheet.patient),
        medications=tuple(_line(m) for m in review.medications if m.on_the_list),
        letters=tuple(letters.Letter(prescriber, tuple(letters.Recommendation.of(p) for p in problems))
                      for prescriber, problems in by_prescriber.items()))
    pages = letters.write_prescriber_letters(data, path)
    _audited_print(pod, sheet.patient.id, review_id,
                   f"prescriber letters: {', '.join(by_prescriber)}")
    return Printed(path, pages, ChangeSet.of("audit", patients=[sheet.patient.id]))


def print_medication_list(pod, patient_id: int, path, *, at: dt.datetime | None = None) -> Printed:
    """The patient's personal medication list: as reconciled at the latest finished review (with
    any medication recorded since), or the active list on record when none was reviewed yet."""
    patient = q.review_patient(pod.engine, patient_id)
    if patient is None:
        raise NotFound(f"There is no patient with id {patient_id}.")
    review_id = q.latest_finished_review_id(pod.engine, patient_id)
    with pod.engine.connect() as conn:
        on_record = q.chart_medications(conn, patient_id)
        _, allergies = q.conditions_and_allergies(conn, patient_id)
    if review_id is not None:
        sheet = read_review(pod, review_id)
        data = _documents_of(sheet, at)
        known = {m.rxnorm or m.name for m in sheet.review.medications}
        since = [documents.MedicationLine(name=m.name, what_for="", how="", prescriber="", started=m.start_date,
                                          notes="Added to your record after your medication review",
                                          kind="prescription" if m.source == "medication_request" else "otc")
                 for m in on_record if (m.rxnorm or m.name) not in known]
        data = dataclasses.replace(data, medications=data.medications + tuple(since))
    else:
        data = documents.PatientDocuments(
            patient=_document_patient(patient), pharmacist="", review_date=None, review_type="", prepared_at=_local(at, patient),
            allergies=tuple(allergies), medications=tuple(
                documents.MedicationLine(name=m.name, what_for="", how="", prescriber="", started=m.start_date,
                                         notes="", kind="prescription" if m.source == "medication_request" else "otc")
                for m in on_record), stopped=(), actions=(), follow_up=None, notes="")
    path = _output(path)
    pages = documents.write_medication_list(data, path)
    _audited_print(pod, patient_id, review_id, "personal medication list")
    return Printed(path, pages, ChangeSet.of("audit", patients=[patient_id]))
