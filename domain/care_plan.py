"""Care plans: problems, goals with targets and due dates, interventions; and tasks."""
from __future__ import annotations

import dataclasses
import datetime as dt

from domain.clock import utcnow
from domain.errors import DomainError

GOAL_STATUSES = ("proposed", "active", "achieved", "not_achieved", "cancelled")
INTERVENTION_STATUSES = ("planned", "in_progress", "done", "cancelled")
TASK_STATUSES = ("open", "in_progress", "done", "cancelled")
TASK_PRIORITIES = ("low", "normal", "high")


@dataclasses.dataclass(eq=False)
class CareGoal:
    description: str
    target: str = ""
    due_date: dt.date | None = None
    status: str = "active"
    problem: str = ""
    id: int | None = None
    care_plan_id: int | None = None

    def validate(self) -> None:
        if not self.description.strip():
            raise DomainError("A goal needs a description.")
        if self.status not in GOAL_STATUSES:
            raise DomainError(f"Goal status must be one of {', '.join(GOAL_STATUSES)}.")


@dataclasses.dataclass(eq=False)
class CareIntervention:
    description: str
    status: str = "planned"
    goal_description: str = ""
    id: int | None = None
    care_plan_id: int | None = None

    def validate(self) -> None:
        if self.status not in INTERVENTION_STATUSES:
            raise DomainError(f"Intervention status must be one of {', '.join(INTERVENTION_STATUSES)}.")


@dataclasses.dataclass(eq=False)
class CarePlan:
    patient_id: int
    title: str
    problems: str = ""  # one problem a line, in the clinic's words
    created_by: str = ""
    created_at: dt.datetime = dataclasses.field(default_factory=utcnow)
    status: str = "active"
    entered_in_error: bool = False
    id: int | None = None
    goals: list[CareGoal] = dataclasses.field(default_factory=list)
    interventions: list[CareIntervention] = dataclasses.field(default_factory=list)

    def validate(self) -> None:
        if not self.title.strip():
            raise DomainError("A care plan needs a title.")
        for item in [*self.goals, *self.interventions]:
            item.validate()


@dataclasses.dataclass(eq=False)
class Task:
    title: str
    assignee: str
    due_date: dt.date
    practice_id: int | None = None
    patient_id: int | None = None
    status: str = "open"
    priority: str = "normal"
    created_at: dt.datetime = dataclasses.field(default_factory=utcnow)
    completed_at: dt.datetime | None = None
    entered_in_error: bool = False
    id: int | None = None

    def validate(self) -> None:
        if not self.title.strip():
            raise DomainError("A task needs a title.")
        if self.status not in TASK_STATUSES:
            raise DomainError(f"Task status must be one of {', '.join(TASK_STATUSES)}.")
        if self.priority not in TASK_PRIORITIES:
            raise DomainError(f"Task priority must be one of {', '.join(TASK_PRIORITIES)}.")

    def complete(self, at: dt.datetime | None = None) -> None:
        if self.status in ("done", "cancelled"):
            raise DomainError(f"The task is already {self.status}.")
        self.status, self.completed_at = "done", at or utcnow()

    def is_overdue(self, on: dt.date) -> bool:
        return self.status in ("open", "in_progress") and self.due_date < on
