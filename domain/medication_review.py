"""Medication reviews by the pod's clinical pharmacists."""
from __future__ import annotations

import dataclasses
import datetime as dt

from domain.errors import DomainError

REVIEW_TYPES = ("comprehensive", "targeted", "reconciliation")
REVIEW_TYPE_LABELS = {"comprehensive": "Comprehensive", "targeted": "Targeted",
                      "reconciliation": "Reconciliation after discharge"}
PROBLEM_CATEGORIES = ("indication", "effectiveness", "safety", "adherence")
RESPONSES = ("pending", "accepted", "modified", "rejected")
MED_ACTIONS = ("continue", "change", "stop", "start")


@dataclasses.dataclass(eq=False)
class ReviewedMedication:
    name: str
    rxnorm: str = ""
    dose: str = ""
    action: str = "continue"
    note: str = ""
    id: int | None = None
    review_id: int | None = None


@dataclasses.dataclass(eq=False)
class DrugTherapyProblem:
    category: str
    description: str
    medication: str = ""
    recommendation: str = ""
    response: str = "pending"
    responded_at: dt.date | None = None
    id: int | None = None
    review_id: int | None = None

    def validate(self) -> None:
        if self.category not in PROBLEM_CATEGORIES:
            raise DomainError(f"Problem category must be one of {', '.join(PROBLEM_CATEGORIES)}.")
        if self.response not in RESPONSES:
            raise DomainError(f"Prescriber response must be one of {', '.join(RESPONSES)}.")
        if self.response != "pending" and self.responded_at is None:
            raise DomainError("A prescriber response needs its date.")


@dataclasses.dataclass(eq=False)
class MedicationReview:
    patient_id: int
    review_type: str
    review_date: dt.date
    pharmacist: str
    follow_up_date: dt.date | None = None
    notes: str = ""
    entered_in_error: bool = False
    id: int | None = None
    medications: list[ReviewedMedication] = dataclasses.field(default_factory=list)
    problems: list[DrugTherapyProblem] = dataclasses.field(default_factory=list)

    def validate(self) -> None:
        if self.review_type not in REVIEW_TYPES:
            raise DomainError(f"Review type must be one of {', '.join(REVIEW_TYPES)}.")
        if not (self.pharmacist or "").strip():
            raise DomainError("A review needs the pharmacist.")
        if self.follow_up_date and self.follow_up_date < self.review_date:
            raise DomainError("Follow-up cannot be before the review.")
        for problem in self.problems:
            problem.validate()

    @property
    def open_problems(self) -> list[DrugTherapyProblem]:
        return [p for p in self.problems if p.response == "pending"]
