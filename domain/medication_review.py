"""Medication reviews by the pod's clinical pharmacists, and their rules.

A review is opened as a **draft** (saved as the pharmacist types) and **finished** explicitly;
a review the patient could not be reached for is closed as **unable to reach**. Its medication
list is reconciled one line at a time; each drug-therapy problem is in one of the seven standard
categories (Cipolle, Strand & Morley), grouped under the four needs the categories answer
(indication, effectiveness, safety, adherence), is tied to a medication or a condition, and goes
to the prescriber as a recommendation whose response is entered when it comes back.

The clocks a pharmacist works to are here too: a comprehensive review is due again 12 calendar
months after the last one, its written summary is due to the patient within 14 days, and after
failed attempts to reach the patient on 3 different days the review is closed as unable to reach.
"""
from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from domain.clock import today, utcnow
from domain.errors import DomainError
from domain.text import counted
from domain.today import HIGH_RISK_TIERS  # the tiers that count as high risk, listed once

REVIEW_TYPES = ("comprehensive", "targeted", "reconciliation")
REVIEW_TYPE_LABELS = {"comprehensive": "Comprehensive", "targeted": "Targeted",
                      "reconciliation": "Reconciliation after discharge"}
STATUSES = ("draft", "finished", "unable_to_reach")
STATUS_LABELS = {"draft": "Draft", "finished": "Finished", "unable_to_reach": "Unable to reach"}

# what a line of the medication list is
MEDICATION_KINDS = ("prescription", "otc", "herbal", "supplement")
MEDICATION_KIND_LABELS = {"prescription": "Prescription", "otc": "Over the counter", "herbal": "Herbal",
                          "supplement": "Supplement"}

# how a line was reconciled with the patient ("" while not yet reconciled in a draft)
RECONCILIATIONS = ("continue", "changed", "stopped", "not_taking")
RECONCILIATION_LABELS = {"continue": "Continue", "changed": "Changed", "stopped": "Stopped",
                         "not_taking": "Patient not taking", "": "Not yet reconciled"}
MED_ACTIONS = RECONCILIATIONS

# the seven drug-therapy problem categories, in the order pharmacists assess them
PROBLEM_CATEGORIES = ("needs_additional_therapy", "unnecessary_therapy", "ineffective_drug", "dosage_too_low",
                      "adverse_reaction", "dosage_too_high", "adherence")
CATEGORY_LABELS = {
    "needs_additional_therapy": "Needs additional therapy", "unnecessary_therapy": "Unnecessary therapy",
    "ineffective_drug": "Ineffective drug", "dosage_too_low": "Dosage too low",
    "adverse_reaction": "Adverse drug reaction", "dosage_too_high": "Dosage too high", "adherence": "Adherence",
}
# the need each category answers; the four names were the categories before the seven
NEED_OF_CATEGORY = {
    "needs_additional_therapy": "indication", "unnecessary_therapy": "indication",
    "ineffective_drug": "effectiveness", "dosage_too_low": "effectiveness",
    "adverse_reaction": "safety", "dosage_too_high": "safety", "adherence": "adherence",
}
NEED_LABELS = {"indication": "Indication", "effectiveness": "Effectiveness", "safety": "Safety",
               "adherence": "Adherence"}

RESPONSES = ("pending", "accepted", "modified", "rejected")
RESPONSE_LABELS = {"pending": "Awaiting response", "accepted": "Accepted", "modified": "Accepted with changes",
                   "rejected": "Rejected"}

SUMMARY_METHODS = ("in_person", "mailed")
SUMMARY_METHOD_LABELS = {"in_person": "Given in person", "mailed": "Mailed"}
SUMMARY_DAYS = 14  # the written summary of a comprehensive review is due within 14 days
COMPREHENSIVE_EVERY_MONTHS = 12
# a medication fact with one of these statuses (and no end date past) is on the active list
ACTIVE_MEDICATION_STATUSES = ("", "active", "on-hold", "intended", "unknown")
POLYPHARMACY_COUNT = 10  # active medications that call for a comprehensive review

# outreach outcomes that did not reach the patient, and how many days of them close a review
FAILED_OUTCOMES = ("no_answer", "left_message", "wrong_number")
UNABLE_TO_REACH_DAYS = 3


def us_date(day: dt.date | None) -> str:
    return "" if day is None else day.strftime("%m/%d/%Y")


SEMANTIC_TAGS = ("disorder", "finding", "situation", "morphologic abnormality", "event")


def plain_name(display: str) -> str:
    """A condition as a pharmacist writes it: a SNOMED display without its semantic tag
    ('Essential hypertension (disorder)' → 'Essential hypertension')."""
    text = (display or "").strip()
    if text.endswith(")") and " (" in text and text[text.rindex(" (") + 2:-1] in SEMANTIC_TAGS:
        text = text[:text.rindex(" (")]
    return text


@dataclasses.dataclass(eq=False)
class ReviewedMedication:
    """One line of the reviewed list: from the chart (``fact_id``) or added by hand."""

    name: str
    rxnorm: str = ""
    dose: str = ""  # how to take it, in the patient's words where possible
    action: str = ""  # the reconciliation (RECONCILIATIONS), "" until reconciled
    note: str = ""
    kind: str = "prescription"
    indication: str = ""  # what it is for
    prescriber: str = ""
    start_date: dt.date | None = None
    patient_words: str = ""  # what the patient said about it
    fact_id: int | None = None
    id: int | None = None
    review_id: int | None = None

    @property
    def added_by_hand(self) -> bool:
        return self.fact_id is None

    @property
    def on_the_list(self) -> bool:
        """Still taken after the review (the personal medication list shows it)."""
        return self.action not in ("stopped",)

    def validate(self) -> None:
        if not (self.name or "").strip():
            raise DomainError("A medication line needs the medication's name.")
        if self.kind not in MEDICATION_KINDS:
            raise DomainError(f"Medication {self.name}: kind must be one of "
                              f"{', '.join(MEDICATION_KIND_LABELS.values())}.")
        if self.action and self.action not in RECONCILIATIONS:
            raise DomainError(f"Medication {self.name}: reconciliation must be one of "
                              f"{', '.join(RECONCILIATION_LABELS[a] for a in RECONCILIATIONS)}.")


@dataclasses.dataclass(eq=False)
class DrugTherapyProblem:
    category: str
    description: str
    medication: str = ""  # the medication it is about (a line of the review), or
    recommendation: str = ""  # to the prescriber
    response: str = "pending"
    responded_at: dt.date | None = None
    condition: str = ""  # the condition it is about
    prescriber: str = ""  # whom the recommendation goes to
    recommended_on: dt.date | None = None  # sent to the prescriber (set when the review is finished)
    response_note: str = ""
    talked_about: str = ""  # for the patient's action plan: what we talked about
    patient_action: str = ""  # for the patient's action plan: what I need to do
    id: int | None = None
    review_id: int | None = None

    @property
    def need(self) -> str:
        return NEED_OF_CATEGORY.get(self.category, "")

    @property
    def about(self) -> str:
        """The medication or condition the problem is tied to, as written on letters."""
        return " · ".join(x for x in (self.medication, self.condition) if x)

    @property
    def on_action_plan(self) -> bool:
        return bool(self.patient_action.strip())

    def validate(self) -> None:
        if self.category not in PROBLEM_CATEGORIES:
            raise DomainError(f"Problem category must be one of {', '.join(CATEGORY_LABELS.values())}.")
        if self.response not in RESPONSES:
            raise DomainError(f"Prescriber response must be one of {', '.join(RESPONSES)}.")
        if self.response != "pending" and self.responded_at is None:
            raise DomainError(f"The prescriber's response ({RESPONSE_LABELS[self.response].lower()}) "
                              f"needs the date it came back.")
        if self.response == "pending" and self.responded_at is not None:
            raise DomainError("A response date was given, but the response is still awaited: "
                              "choose accepted, accepted with changes or rejected.")
        if self.responded_at and self.recommended_on and self.responded_at < self.recommended_on:
            raise DomainError(
                f"The prescriber's response cannot be dated {us_date(self.responded_at)}: the recommendation "
                f"was sent on {us_date(self.recommended_on)}, and a response cannot come before it.")
        if self.responded_at and self.responded_at > today() + dt.timedelta(days=1):
            raise DomainError(f"The prescriber's response date {us_date(self.responded_at)} is in the future.")

    def check_complete(self, number: int) -> None:
        """What finishing a review asks of each problem (a draft may be half typed)."""
        where = f"Problem {number}"
        if not self.description.strip():
            raise DomainError(f"{where} needs a description of the problem.")
        if not (self.medication.strip() or self.condition.strip()):
            raise DomainError(f"{where} ({self.description}) must be tied to a medication or a condition.")
        if not self.recommendation.strip():
            raise DomainError(f"{where} ({self.description}) needs a recommendation to the prescriber.")
        if not self.prescriber.strip():
            raise DomainError(f"{where} ({self.description}) needs the prescriber the recommendation goes to.")


@dataclasses.dataclass(eq=False)
class MedicationReview:
    patient_id: int
    review_type: str
    review_date: dt.date
    pharmacist: str
    follow_up_date: dt.date | None = None
    notes: str = ""
    entered_in_error: bool = False
    status: str = "finished"  # a review recorded whole; one typed in Carepod starts as a "draft"
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    summary_given_on: dt.date | None = None
    summary_method: str = ""
    id: int | None = None
    medications: list[ReviewedMedication] = dataclasses.field(default_factory=list)
    problems: list[DrugTherapyProblem] = dataclasses.field(default_factory=list)

    @property
    def is_draft(self) -> bool:
        return self.status == "draft"

    @property
    def open_problems(self) -> list[DrugTherapyProblem]:
        return [p for p in self.problems if p.response == "pending"]

    @property
    def unreconciled(self) -> list[ReviewedMedication]:
        return [m for m in self.medications if not m.action]

    def validate(self) -> None:
        if self.review_type not in REVIEW_TYPES:
            raise DomainError(f"Review type must be one of {', '.join(REVIEW_TYPE_LABELS.values())}.")
        if self.status not in STATUSES:
            raise DomainError(f"Review status must be one of {', '.join(STATUSES)}.")
        if not (self.pharmacist or "").strip():
            raise DomainError("A review needs the pharmacist.")
        if self.review_date is None:
            raise DomainError("A review needs its date.")
        if self.follow_up_date and self.follow_up_date < self.review_date:
            raise DomainError(f"Follow-up ({us_date(self.follow_up_date)}) cannot be before the review "
                              f"({us_date(self.review_date)}).")
        if self.summary_method and self.summary_method not in SUMMARY_METHODS:
            raise DomainError(f"The summary is given in person or mailed, not {self.summary_method!r}.")
        if self.summary_given_on is not None:
            if self.review_type != "comprehensive":
                raise DomainError("A written summary is given after a comprehensive review only.")
            if not self.summary_method:
                raise DomainError("Say how the written summary was given: in person or mailed.")
            if self.summary_given_on < self.review_date:
                raise DomainError(f"The written summary cannot be given ({us_date(self.summary_given_on)}) "
                                  f"before the review ({us_date(self.review_date)}).")
        for medication in self.medications:
            medication.validate()
        for problem in self.problems:
            problem.validate()

    def finish(self, *, at: dt.datetime | None = None, on: dt.date | None = None) -> None:
        """Finish a draft: every line reconciled, every problem complete; recommendations are
        dated as sent on ``on`` (the day of finishing) unless a date was typed."""
        if self.status != "draft":
            raise DomainError(f"This review is already {STATUS_LABELS[self.status].lower()}.")
        on = on or today()
        if self.review_date > on:
            raise DomainError(f"The review date {us_date(self.review_date)} is in the future.")
        waiting = self.unreconciled
        if waiting:
            names = ", ".join(m.name for m in waiting[:3]) + (" …" if len(waiting) > 3 else "")
            raise DomainError(f"{len(waiting)} medication{'s are' if len(waiting) != 1 else ' is'} not yet "
                              f"reconciled: {names}. Choose continue, changed, stopped or not taking for each.")
        for number, problem in enumerate(self.problems, start=1):
            problem.check_complete(number)
        for problem in self.problems:
            if problem.recommended_on is None:
                problem.recommended_on = max(self.review_date, on) if problem.responded_at is None \
                    else min(max(self.review_date, on), problem.responded_at)
        self.validate()
        self.status = "finished"
        self.finished_at = at or utcnow()

    def close_unable_to_reach(self, *, at: dt.datetime | None = None) -> None:
        if self.status != "draft":
            raise DomainError(f"This review is already {STATUS_LABELS[self.status].lower()}.")
        self.status = "unable_to_reach"
        self.finished_at = at or utcnow()

    # the written summary (comprehensive reviews)
    @property
    def summary_due(self) -> dt.date | None:
        return summary_due(self.review_type, self.review_date) if self.status == "finished" else None

    def summary_status(self, on: dt.date) -> "SummaryStatus":
        return summary_status(self.review_type, self.review_date, self.summary_given_on, self.summary_method, on,
                              finished=self.status == "finished")


# --- the 12-month rule -------------------------------------------------------------------------

def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by calendar months; a day the month lacks becomes its last day (as CQL's
    date arithmetic does: 29 February 2024 + 12 months is 28 February 2025)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def comprehensive_review_due_on(last_review: dt.date) -> dt.date:
    """The day a patient is due again: 12 calendar months after the last comprehensive review."""
    return add_months(last_review, COMPREHENSIVE_EVERY_MONTHS)


def comprehensive_review_due(last_review: dt.date | None, on: dt.date) -> bool:
    return last_review is None or on >= comprehensive_review_due_on(last_review)


def comprehensive_review_cutoff(on: dt.date) -> dt.date:
    """The earliest review date that still counts on ``on``: a comprehensive review on or after
    it means the patient is not due (the worklist's SQL compares with this day)."""
    day = add_months(on, -COMPREHENSIVE_EVERY_MONTHS)  # always still due: the answer is after it
    while comprehensive_review_due_on(day) <= on:
        day += dt.timedelta(days=1)
    return day


# --- the written summary -------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class SummaryStatus:
    state: str  # not_required, due, late, given, given_late
    due: dt.date | None
    text: str

    @property
    def outstanding(self) -> bool:
        return self.state in ("due", "late")


def summary_due(review_type: str, review_date: dt.date) -> dt.date | None:
    return review_date + dt.timedelta(days=SUMMARY_DAYS) if review_type == "comprehensive" else None


def summary_status(review_type: str, review_date: dt.date, given_on: dt.date | None, method: str,
                   on: dt.date, *, finished: bool = True) -> SummaryStatus:
    """Where the written summary of a comprehensive review stands on ``on``: due within 14 days
    of the review (the 14th day is still on time), given in person or mailed, or late."""
    due = summary_due(review_type, review_date)
    if due is None or not finished:
        return SummaryStatus("not_required", None, "")
    if given_on is not None:
        how = SUMMARY_METHOD_LABELS.get(method, "Given")
        if given_on <= due:
            return SummaryStatus("given", due, f"{how} {us_date(given_on)}")
        late = (given_on - due).days
        return SummaryStatus("given_late", due, f"{how} {us_date(given_on)}, "
                                                f"{counted(late, 'day')} late (due {us_date(due)})")
    if on <= due:
        left = (due - on).days
        return SummaryStatus("due", due, f"Written summary due {us_date(due)} "
                                         f"({'today' if left == 0 else f'{left} day' + ('s' if left != 1 else '') + ' left'})")
    late = (on - due).days
    return SummaryStatus("late", due, f"Written summary late: due {us_date(due)}, "
                                      f"{counted(late, 'day')} ago")


# --- reaching the patient --------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Attempt:
    at: dt.datetime  # naive UTC
    outcome: str


def failed_attempt_days(attempts: Iterable[Attempt], time_zone: str = "America/New_York") -> list[dt.date]:
    """The local days (in the practice's zone) with a failed attempt since the patient was last
    reached; several attempts on one day are one day."""
    zone = ZoneInfo(time_zone)
    days: set[dt.date] = set()
    for attempt in sorted(attempts, key=lambda a: a.at):
        if attempt.outcome in FAILED_OUTCOMES:
            days.add(attempt.at.replace(tzinfo=dt.timezone.utc).astimezone(zone).date())
        else:  # reached, or declined (which is an answer): the count starts again
            days.clear()
    return sorted(days)


def unable_to_reach(attempts: Iterable[Attempt], time_zone: str = "America/New_York") -> bool:
    """Failed attempts on 3 different days (in the practice's zone) since the last contact."""
    return len(failed_attempt_days(attempts, time_zone)) >= UNABLE_TO_REACH_DAYS
