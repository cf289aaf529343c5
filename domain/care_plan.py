"""Care plans: problems, goals with targets and due dates, interventions; and tasks."""
from __future__ import annotations

import dataclasses
import datetime as dt

from domain.clock import utcnow
from domain.errors import DomainError

GOAL_STATUSES = ("proposed", "active", "achieved", "not_achieved", "cancelled")
PLAN_STATUSES = ("active", "on_hold", "completed", "cancelled")
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
    entered_in_error: bool = False

    def validate(self) -> None:
        if not self.description.strip():
            raise DomainError("A goal needs a description.")
        if self.status not in GOAL_STATUSES:
            raise DomainError(f"Goal status must be one of {', '.join(GOAL_STATUSES)}.")
        if not (self.target or "").strip():
            raise DomainError(f"The goal '{self.description.strip()}' needs a measurable target "
                              "(for example 'HbA1c below 8 %' or 'walks 20 minutes 5 days a week').")
        if self.due_date is None:
            raise DomainError(f"The goal '{self.description.strip()}' needs a date it is due by.")


@dataclasses.dataclass(eq=False)
class CareIntervention:
    description: str
    status: str = "planned"
    goal_description: str = ""
    id: int | None = None
    care_plan_id: int | None = None
    entered_in_error: bool = False

    def validate(self) -> None:
        if not self.description.strip():
            raise DomainError("An intervention needs a description.")
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
        if self.status not in PLAN_STATUSES:
            raise DomainError(f"Care plan status must be one of {', '.join(PLAN_STATUSES)}.")
        for item in [*self.goals, *self.interventions]:
            if not item.entered_in_error:
                item.validate()

    @property
    def problem_list(self) -> list[str]:
        return [line.strip() for line in self.problems.splitlines() if line.strip()]

    @property
    def current_goals(self) -> list[CareGoal]:
        return [g for g in self.goals if not g.entered_in_error]

    @property
    def current_interventions(self) -> list[CareIntervention]:
        return [i for i in self.interventions if not i.entered_in_error]


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
    created_by: str = ""
    note: str = ""

    def validate(self) -> None:
        if not self.title.strip():
            raise DomainError("A task needs a title.")
        if not (self.assignee or "").strip():
            raise DomainError("A task needs a staff member to do it.")
        if self.due_date is None:
            raise DomainError("A task needs a due date.")
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


def check_assignee(name: str, practice_id: int | None, *, colleague_practices: set[int] | None,
                   active: bool) -> None:
    """A patient's task goes only to an active staff member who covers the patient's practice.

    ``colleague_practices``: the practices the staff member covers (None: no such staff member)."""
    if colleague_practices is None:
        raise DomainError(f"There is no staff member called {name!r} in this pod.")
    if not active:
        raise DomainError(f"{name} is no longer an active staff member.")
    if practice_id is not None and practice_id not in colleague_practices:
        raise DomainError(f"{name} does not cover this patient's practice, so the task cannot go to them. "
                          "Choose a colleague who covers the practice (Administration ▸ Staff).")


def check_hand_over(task: Task, to: str, *, colleague_practices: set[int] | None, active: bool) -> None:
    """An open task may be handed to another active colleague covering the task's practice."""
    if task.status in ("done", "cancelled"):
        raise DomainError(f"The task '{task.title}' is already {task.status}; there is nothing to hand over.")
    if to == task.assignee:
        raise DomainError(f"The task is already assigned to {to}.")
    check_assignee(to, task.practice_id, colleague_practices=colleague_practices, active=active)
