"""Care plans (problems, goals, interventions) and tasks: the use cases the chart's Care plan tab
calls. Every change keeps the earlier values as a revision and is audited under the patient;
nothing is deleted, only marked entered-in-error with a reason."""
from __future__ import annotations

import datetime as dt
from typing import Any

from application.changes import ChangeSet
from domain.care_plan import CareGoal, CareIntervention, CarePlan, Task, check_assignee, check_hand_over
from domain.clock import utcnow
from domain.errors import DomainError
from storage.queries import care_management as care_queries

PLAN_FIELDS = {"title", "problems", "status"}
GOAL_FIELDS = {"description", "target", "due_date", "status", "problem"}
INTERVENTION_FIELDS = {"description", "status", "goal_description"}
TASK_FIELDS = {"title", "due_date", "status", "priority", "note"}


def _changed(patient_id: int, *kinds: str) -> ChangeSet:
    return ChangeSet.of(*kinds, patients=[patient_id])


def _only(fields: dict[str, Any], allowed: set[str]) -> dict[str, Any]:
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"not changeable here: {', '.join(sorted(unknown))}")
    return fields


def create_care_plan(pod, patient_id: int, *, title: str, problems: str = "") -> ChangeSet:
    with pod.unit_of_work() as uow:
        uow.patients.get(patient_id)
        uow.care_plans.add(CarePlan(patient_id=patient_id, title=title.strip(), problems=problems.strip(),
                                    created_by=uow.actor, created_at=utcnow()))
        uow.commit()
    return _changed(patient_id, "care_plans")


def change_care_plan(pod, plan_id: int, reason: str = "", **fields: Any) -> ChangeSet:
    with pod.unit_of_work() as uow:
        plan = uow.care_plans.get(plan_id)
        _not_in_error(plan, "care plan")
        uow.care_plans.correct(plan, _only(fields, PLAN_FIELDS), reason=reason)
        uow.commit()
        return _changed(plan.patient_id, "care_plans")


def add_goal(pod, plan_id: int, *, description: str, target: str, due_date: dt.date | None,
             status: str = "active", problem: str = "") -> ChangeSet:
    with pod.unit_of_work() as uow:
        plan = uow.care_plans.get(plan_id)
        _not_in_error(plan, "care plan")
        uow.care_plans.add_item(plan, CareGoal(description.strip(), target.strip(), due_date, status, problem.strip()))
        uow.commit()
        return _changed(plan.patient_id, "care_plans")


def add_intervention(pod, plan_id: int, *, description: str, status: str = "planned",
                     goal_description: str = "") -> ChangeSet:
    with pod.unit_of_work() as uow:
        plan = uow.care_plans.get(plan_id)
        _not_in_error(plan, "care plan")
        uow.care_plans.add_item(plan, CareIntervention(description.strip(), status, goal_description.strip()))
        uow.commit()
        return _changed(plan.patient_id, "care_plans")


def change_goal(pod, plan_id: int, goal_id: int, reason: str = "", **fields: Any) -> ChangeSet:
    return _change_item(pod, plan_id, CareGoal, goal_id, _only(fields, GOAL_FIELDS), reason)


def change_intervention(pod, plan_id: int, intervention_id: int, reason: str = "", **fields: Any) -> ChangeSet:
    return _change_item(pod, plan_id, CareIntervention, intervention_id, _only(fields, INTERVENTION_FIELDS), reason)


def _change_item(pod, plan_id: int, kind: type, item_id: int, fields: dict, reason: str) -> ChangeSet:
    with pod.unit_of_work() as uow:
        plan = uow.care_plans.get(plan_id)
        item = uow.care_plans.item(plan, kind, item_id)
        _not_in_error(item, kind.__name__[4:].lower())
        if uow.care_plans.correct(item, fields, reason=reason, patient_id=plan.patient_id) is None:
            raise DomainError("Nothing was changed.")
        uow.commit()
        return _changed(plan.patient_id, "care_plans")


def mark_care_plan_item_in_error(pod, plan_id: int, kind: str, item_id: int | None, reason: str) -> ChangeSet:
    """``kind``: "plan", "goal" or "intervention" (``item_id`` then names it)."""
    with pod.unit_of_work() as uow:
        plan = uow.care_plans.get(plan_id)
        record = plan if kind == "plan" else uow.care_plans.item(
            plan, {"goal": CareGoal, "intervention": CareIntervention}[kind], item_id)
        uow.care_plans.mark_entered_in_error(record, reason=reason, patient_id=plan.patient_id)
        uow.commit()
        return _changed(plan.patient_id, "care_plans")


def _not_in_error(record, what: str) -> None:
    if getattr(record, "entered_in_error", False):
        raise DomainError(f"This {what} was marked entered-in-error; it cannot be changed.")


# --- tasks ---------------------------------------------------------------------------------------

def colleagues_covering(pod, practice_id: int) -> list[str]:
    """Active staff members who cover the practice: whom its patients' tasks may go to."""
    return care_queries.staff_covering(pod.engine, practice_id)


def create_task(pod, patient_id: int, *, title: str, assignee: str, due_date: dt.date,
                priority: str = "normal", note: str = "") -> ChangeSet:
    with pod.unit_of_work() as uow:
        patient = uow.patients.get(patient_id)
        task = Task(title=title.strip(), assignee=assignee.strip(), due_date=due_date, practice_id=patient.practice_id,
                    patient_id=patient_id, priority=priority, created_at=utcnow(), created_by=uow.actor,
                    note=note.strip())
        task.validate()
        _check_assignee(uow, task, task.assignee)
        uow.tasks.add(task)
        uow.commit()
    return _changed(patient_id, "tasks")


def _coverage(uow, name: str) -> tuple[set[int] | None, bool]:
    """(practices the staff member covers or None when there is no such member, active)."""
    staff = uow.staff.by_name(name)
    return (None, False) if staff is None else (set(uow.staff.covered_practice_ids(staff.id)), staff.active)


def _check_assignee(uow, task: Task, name: str) -> None:
    covered, active = _coverage(uow, name)
    check_assignee(name, task.practice_id, colleague_practices=covered, active=active)


def change_task(pod, task_id: int, reason: str = "", **fields: Any) -> ChangeSet:
    """Title, due date, status, priority or note; done sets when it was completed."""
    with pod.unit_of_work() as uow:
        task = uow.tasks.get(task_id)
        _not_in_error(task, "task")
        fields = _only(fields, TASK_FIELDS)
        if fields.get("status") == "done" and task.status != "done":
            fields["completed_at"] = utcnow()
        elif "status" in fields and fields["status"] != "done":
            fields["completed_at"] = None
        if uow.tasks.correct(task, fields, reason=reason) is None:
            raise DomainError("Nothing was changed.")
        uow.commit()
        return _changed(task.patient_id, "tasks")


def complete_task(pod, task_id: int) -> ChangeSet:
    with pod.unit_of_work() as uow:
        task = uow.tasks.get(task_id)
        _not_in_error(task, "task")
        probe = Task(task.title, task.assignee, task.due_date, status=task.status)
        probe.complete()  # the domain's rule: an open task only
        uow.tasks.correct(task, {"status": "done", "completed_at": probe.completed_at}, reason="completed")
        uow.commit()
        return _changed(task.patient_id, "tasks")


def hand_over_task(pod, task_id: int, to: str, note: str = "") -> ChangeSet:
    """Give the task to a colleague who covers the patient's practice (others are refused)."""
    with pod.unit_of_work() as uow:
        task = uow.tasks.get(task_id)
        _not_in_error(task, "task")
        to = to.strip()
        covered, active = _coverage(uow, to)
        check_hand_over(task, to, colleague_practices=covered, active=active)
        reason = f"handed over by {uow.actor}" + (f": {note.strip()}" if note.strip() else "")
        uow.tasks.correct(task, {"assignee": to}, reason=reason)
        uow.commit()
        return ChangeSet.of("tasks", "today", patients=[task.patient_id] if task.patient_id else [])


def mark_task_in_error(pod, task_id: int, reason: str) -> ChangeSet:
    with pod.unit_of_work() as uow:
        task = uow.tasks.get(task_id)
        uow.tasks.mark_entered_in_error(task, reason=reason)
        uow.commit()
        return _changed(task.patient_id, "tasks")
