"""The chart's Care plan tab: plans with their problems, goals and interventions, and the
patient's tasks — each added, changed, handed over or marked entered-in-error from here.

Every change runs a use case of :mod:`application.care_plans` on the writer; its ChangeSet
names the patient, so the chart is read again and this tab rebuilt with the change in it."""
from __future__ import annotations

import datetime as dt

from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from application import care_plans as uc
from application.chart import Chart
from domain.care_plan import GOAL_STATUSES, INTERVENTION_STATUSES, PLAN_STATUSES, TASK_PRIORITIES, TASK_STATUSES
from domain.clock import today
from ui import format as fmt
from ui import shortcuts
from ui.chart_tabs import record_list
from ui.record_form import Field, FormDialog, action_button, open_form
from ui.record_list import Line


def _choices(values) -> tuple[tuple[str, str], ...]:
    return tuple((fmt.label(v), v) for v in values)


def care_plan_lines(chart: Chart) -> list[Line]:
    lines = []
    for plan in chart.care_plans:
        children = [Line(("", f"Goal: {g.description}", g.target, fmt.date(g.due_date), fmt.label(g.status)),
                         key=("goal", plan.id, g.id),
                         alert=g.status == "active" and g.due_date is not None and g.due_date < today())
                    for g in plan.current_goals]
        children += [Line(("", f"Intervention: {i.description}",
                           f"for: {i.goal_description}" if i.goal_description else "", "", fmt.label(i.status)),
                          key=("intervention", plan.id, i.id)) for i in plan.current_interventions]
        lines.append(Line((fmt.date(plan.created_at), plan.title, "; ".join(plan.problem_list), "",
                           fmt.label(plan.status)), children=children, key=("plan", plan.id),
                          tooltip=f"Created by {plan.created_by}" if plan.created_by else ""))
    return lines


def task_lines(chart: Chart, on: dt.date | None = None) -> list[Line]:
    on = on or today()
    return [Line((fmt.date(t.due_date), t.title, t.assignee, fmt.label(t.priority),
                  fmt.label(t.status) + (" — overdue" if t.is_overdue(on) else ""), t.note),
                 alert=t.is_overdue(on), key=("task", t.id),
                 tooltip=f"Created by {t.created_by}" if t.created_by else "") for t in chart.tasks]


class CarePlanTab(QWidget):
    def __init__(self, context, chart: Chart, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("carePlanTab")
        self.context, self.chart = context, chart
        self.patient_id = chart.patient.id
        self.dialog: FormDialog | None = None  # the open form (tests reach it here)
        self.plans = record_list("Care plans", ("Created", "Plan / goal / intervention", "Problems / target",
                                                "Due", "Status"),
                                 "No care plan yet: start one with New care plan.", care_plan_lines(chart))
        self.tasks = record_list("Tasks", ("Due", "Task", "Assignee", "Priority", "Status", "Note"),
                                 "No tasks for this patient.", task_lines(chart))
        plan_bar = QHBoxLayout()
        for button in (
            action_button("New care plan…", self.new_plan, "newPlan"),
            action_button("Add goal…", self.add_goal, "addGoal", shortcuts.NEW_GOAL.keys),
            action_button("Add intervention…", self.add_intervention, "addIntervention"),
            action_button("Change…", self.change_plan_item, "changePlanItem", shortcuts.EDIT_ITEM.keys),
            action_button("Entered in error…", self.plan_item_in_error, "planItemInError"),
        ):
            plan_bar.addWidget(button)
        plan_bar.addStretch(1)
        task_bar = QHBoxLayout()
        for button in (
            action_button("New task…", self.new_task, "newTask", shortcuts.NEW_TASK.keys),
            action_button("Done", self.task_done, "taskDone", shortcuts.TASK_DONE.keys),
            action_button("Hand over…", self.hand_over, "handOver", shortcuts.HAND_OVER.keys),
            action_button("Change…", self.change_task, "changeTask", shortcuts.EDIT_ITEM.keys),
            action_button("Entered in error…", self.task_in_error, "taskInError"),
        ):
            task_bar.addWidget(button)
        task_bar.addStretch(1)
        self.status = QLabel("", objectName="carePlanStatus")
        self.status.setProperty("role", "hint")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 12)
        layout.setSpacing(8)
        layout.addLayout(plan_bar)
        layout.addWidget(self.plans, 1)
        layout.addSpacing(6)
        layout.addLayout(task_bar)
        layout.addWidget(self.tasks, 1)
        layout.addWidget(self.status)
        layout.addStretch(0)
        shortcuts.bind(shortcuts.NEW_GOAL, self, self.add_goal)
        shortcuts.bind(shortcuts.NEW_TASK, self, self.new_task)
        shortcuts.bind(shortcuts.TASK_DONE, self, self.task_done)
        shortcuts.bind(shortcuts.HAND_OVER, self, self.hand_over)
        shortcuts.bind(shortcuts.EDIT_ITEM, self, self._change_focused)
        if chart.care_plans:
            self.plans.select_key(("plan", chart.care_plans[0].id))
        if chart.tasks:
            self.tasks.select_key(("task", chart.tasks[0].id))

    # -- what is chosen ---------------------------------------------------------------------
    def _chosen_plan(self):
        key = self.plans.current_key()
        if key is None:
            if len(self.chart.care_plans) == 1:
                return self.chart.care_plans[0], None
            self._say("Choose a care plan (or one of its lines) first.")
            return None, None
        plan = next(p for p in self.chart.care_plans if p.id == key[1])
        return plan, key

    def _chosen_task(self):
        key = self.tasks.current_key()
        if key is None:
            self._say("Choose a task first.")
            return None
        return next(t for t in self.chart.tasks if t.id == key[1])

    def _say(self, text: str) -> None:
        self.status.setText(text)

    def _form(self, title: str, fields: list[Field], save, **more) -> FormDialog:
        return open_form(self, title, fields, save, **more)

    def _change_focused(self) -> None:
        if self.tasks.tree.hasFocus():
            self.change_task()
        else:
            self.change_plan_item()

    # -- plans, goals, interventions ---------------------------------------------------------
    def new_plan(self) -> None:
        pod, pid = self.context.pod, self.patient_id
        self._form("New care plan", [
            Field("title", "Title", hint="e.g. Chronic care management plan"),
            Field("problems", "Problems", "lines", hint="One problem a line, in the clinic's words"),
        ], lambda v: uc.create_care_plan(pod, pid, title=v["title"], problems=v["problems"]))

    def add_goal(self) -> None:
        plan, _key = self._chosen_plan()
        if plan is None:
            return
        pod = self.context.pod
        problems = tuple((p, p) for p in plan.problem_list)
        self._form(f"Add a goal to '{plan.title}'", [
            Field("description", "Goal", hint="What the patient wants to reach"),
            Field("target", "Measurable target", hint="e.g. HbA1c below 8 %, BP under 140/90 at home"),
            Field("due_date", "Due by", "date", today() + dt.timedelta(days=90)),
            Field("status", "Status", "choice", "active", _choices(GOAL_STATUSES)),
            Field("problem", "For the problem", "choice", plan.problem_list[0] if problems else "",
                  (("", ""),) + problems, editable=True),
        ], lambda v: uc.add_goal(pod, plan.id, **v))

    def add_intervention(self) -> None:
        plan, _key = self._chosen_plan()
        if plan is None:
            return
        pod = self.context.pod
        goals = tuple((g.description, g.description) for g in plan.current_goals)
        self._form(f"Add an intervention to '{plan.title}'", [
            Field("description", "Intervention", hint="e.g. Weekly phone check-in by the care manager"),
            Field("status", "Status", "choice", "planned", _choices(INTERVENTION_STATUSES)),
            Field("goal_description", "For the goal", "choice", "", (("", ""),) + goals, editable=True),
        ], lambda v: uc.add_intervention(pod, plan.id, **v))

    def change_plan_item(self) -> None:
        plan, key = self._chosen_plan()
        if plan is None:
            return
        pod = self.context.pod
        if key is None or key[0] == "plan":
            self._form(f"Change the care plan '{plan.title}'", [
                Field("title", "Title", value=plan.title),
                Field("problems", "Problems", "lines", plan.problems),
                Field("status", "Status", "choice", plan.status, _choices(PLAN_STATUSES)),
                Field("reason", "Why", hint="optional: what changed"),
            ], lambda v: uc.change_care_plan(pod, plan.id, **v))
        elif key[0] == "goal":
            goal = next(g for g in plan.goals if g.id == key[2])
            self._form("Change the goal", [
                Field("description", "Goal", value=goal.description),
                Field("target", "Measurable target", value=goal.target),
                Field("due_date", "Due by", "date", goal.due_date),
                Field("status", "Status", "choice", goal.status, _choices(GOAL_STATUSES)),
                Field("problem", "For the problem", "choice", goal.problem,
                      (("", ""),) + tuple((p, p) for p in plan.problem_list), editable=True),
                Field("reason", "Why", hint="optional: e.g. target reached at the March visit"),
            ], lambda v: uc.change_goal(pod, plan.id, goal.id, **v))
        else:
            item = next(i for i in plan.interventions if i.id == key[2])
            self._form("Change the intervention", [
                Field("description", "Intervention", value=item.description),
                Field("status", "Status", "choice", item.status, _choices(INTERVENTION_STATUSES)),
                Field("goal_description", "For the goal", "choice", item.goal_description,
                      (("", ""),) + tuple((g.description, g.description) for g in plan.current_goals),
                      editable=True),
                Field("reason", "Why", hint="optional"),
            ], lambda v: uc.change_intervention(pod, plan.id, item.id, **v))

    def plan_item_in_error(self) -> None:
        plan, key = self._chosen_plan()
        if plan is None:
            return
        kind = "plan" if key is None else key[0]
        item_id = None if kind == "plan" else key[2]
        what = {"plan": f"the care plan '{plan.title}' (with its goals and interventions)",
                "goal": "the chosen goal", "intervention": "the chosen intervention"}[kind]
        pod = self.context.pod
        self._form("Mark entered in error", [Field("reason", "Reason", hint="e.g. entered in the wrong chart")],
                   lambda v: uc.mark_care_plan_item_in_error(pod, plan.id, kind, item_id, v["reason"]),
                   intro=f"Marks {what} entered-in-error: it leaves the chart, its history stays.",
                   ok_text="Mark entered in error")

    # -- tasks ----------------------------------------------------------------------------------
    def _assignees(self, current: str = "") -> tuple[tuple[str, str], ...]:
        names = list(self.chart.colleagues)
        if current and current not in names:
            names.insert(0, current)
        return tuple((n, n) for n in names)

    def new_task(self) -> None:
        pod, pid = self.context.pod, self.patient_id
        me = self.context.user
        self._form("New task", [
            Field("title", "Task", hint="e.g. Call about the cardiology appointment"),
            Field("assignee", "Assigned to", "choice", me if me in self.chart.colleagues else "",
                  self._assignees()),
            Field("due_date", "Due", "date", today() + dt.timedelta(days=2)),
            Field("priority", "Priority", "choice", "normal", _choices(TASK_PRIORITIES)),
            Field("note", "Note", hint="optional"),
        ], lambda v: uc.create_task(pod, pid, **v),
            intro="A task goes to a colleague who covers this patient's practice.")

    def task_done(self) -> None:
        task = self._chosen_task()
        if task is None:
            return
        pod = self.context.pod
        self.context.tasks.write(lambda job: uc.complete_task(pod, task.id), label="Marking the task done…",
                                 parent=self, on_done=lambda _r: self._say(f"Done: {task.title}"))

    def hand_over(self) -> None:
        task = self._chosen_task()
        if task is None:
            return
        pod = self.context.pod
        others = tuple((n, n) for n in self.chart.colleagues if n != task.assignee)
        self._form(f"Hand over '{task.title}'", [
            Field("to", "To", "choice", others[0][1] if others else "", others, editable=True),
            Field("note", "Note for them", hint="optional: what they need to know"),
        ], lambda v: uc.hand_over_task(pod, task.id, v["to"], v["note"]),
            intro=f"Now with {task.assignee}. It can go to a colleague who covers "
                  f"{self.chart.practice_name}.", ok_text="Hand over")

    def change_task(self) -> None:
        task = self._chosen_task()
        if task is None:
            return
        pod = self.context.pod
        self._form("Change the task", [
            Field("title", "Task", value=task.title),
            Field("due_date", "Due", "date", task.due_date),
            Field("priority", "Priority", "choice", task.priority, _choices(TASK_PRIORITIES)),
            Field("status", "Status", "choice", task.status, _choices(TASK_STATUSES)),
            Field("note", "Note", value=task.note),
            Field("reason", "Why", hint="optional"),
        ], lambda v: uc.change_task(pod, task.id, **v))

    def task_in_error(self) -> None:
        task = self._chosen_task()
        if task is None:
            return
        pod = self.context.pod
        self._form("Mark entered in error", [Field("reason", "Reason", hint="e.g. duplicate of another task")],
                   lambda v: uc.mark_task_in_error(pod, task.id, v["reason"]),
                   intro=f"Marks the task '{task.title}' entered-in-error: it leaves the chart, its history stays.",
                   ok_text="Mark entered in error")


def care_plan_tab(context, chart: Chart):
    tab = CarePlanTab(context, chart)
    return tab, len(chart.care_plans)

