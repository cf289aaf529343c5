"""The care manager's use cases through the application layer: time (manual, timer), consent,
tasks handed over, care plan changes kept with history, the practice's month — and bad input
that changes nothing."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from application import care_management, care_plans, time_tracking
from domain import clock
from domain.errors import DomainError
from domain.facts import ClinicalFact
from domain.outreach import OutreachAttempt
from domain.patient import Patient
from domain.practice import Practice, StaffMember
from storage import schema as t
from storage.uow import UnitOfWork

TODAY = dt.date(2026, 12, 7)
NOW = dt.datetime(2026, 12, 7, 15, 0)  # naive UTC


@pytest.fixture(autouse=True)
def pinned_clock(monkeypatch):
    monkeypatch.setattr(clock, "utcnow", lambda: NOW)
    monkeypatch.setattr(clock, "today", lambda: TODAY)


@pytest.fixture
def pod(app_pod):
    with UnitOfWork(app_pod.engine, "setup") as uow:
        oak = uow.practices.add(Practice(code="OAK", name="Oak Family Medicine"))
        elm = uow.practices.add(Practice(code="ELM", name="Elm Street Clinic"))
        for name, practices in (("Dana Reyes", [oak.id, elm.id]), ("Lee Park", [oak.id]), ("Sam Ortiz", [elm.id])):
            staff = uow.staff.add(StaffMember(name=name, roles="care_manager"))
            uow.staff.set_covered_practices(staff, practices)
        patient = uow.patients.add(Patient(practice_id=oak.id, mrn="M1", family="Okafor", given="Grace",
                                           birth_date=dt.date(1951, 2, 28), consent_date=dt.date(2026, 11, 10),
                                           consent_by="Dana Reyes", consent_method="verbal"))
        uow.commit()
        app_pod.ids = {"oak": oak.id, "elm": elm.id, "grace": patient.id}
    return app_pod


def rows(engine, table) -> list:
    with engine.connect() as conn:
        return conn.execute(sa.select(table)).mappings().all()


def audit_count(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(t.audit_event)).scalar()


def log(pod, **more):
    fields = dict(entry_date=dt.date(2026, 12, 1), start=None, minutes=20, staff="Dana Reyes",
                  activity="care_coordination", programme="ccm")
    fields.update(more)
    return time_tracking.log_time(pod, pod.ids["grace"], **fields)


@pytest.mark.parametrize("change,message", [
    (dict(entry_date=dt.date(2026, 12, 8)), "day still to come"),
    (dict(minutes=0), "from 1 to 600; got 0"),
    (dict(minutes=1000), "from 1 to 600; got 1000"),
    (dict(staff="Nobody Here"), "no staff member called 'Nobody Here'"),
    (dict(programme="bonus"), "Programme must be one of"),
])
def test_bad_time_entries_change_nothing(pod, change, message):
    before = audit_count(pod.engine)
    with pytest.raises(DomainError, match=message):
        log(pod, **change)
    assert rows(pod.engine, t.time_entry) == [] and audit_count(pod.engine) == before


def test_a_backdated_entry_keeps_who_entered_it_and_when(pod):
    changes = log(pod, entry_date=dt.date(2026, 11, 20), start=dt.time(9, 30), minutes=25, staff="Lee Park")
    assert changes.touches_patient(pod.ids["grace"], "time")
    entry = rows(pod.engine, t.time_entry)[0]
    assert (entry["staff"], entry["recorded_by"], entry["recorded_at"], entry["practice_id"]) == \
        ("Lee Park", "Dana Reyes", NOW, pod.ids["oak"])
    assert entry["started_at"] == time_tracking.local_start(dt.date(2026, 11, 20), dt.time(9, 30))


def test_one_minute_claimed_twice_is_refused_across_patients_and_programmes(pod):
    log(pod, start=dt.time(9, 0), minutes=30)
    with UnitOfWork(pod.engine, "setup") as uow:
        other = uow.patients.add(Patient(practice_id=pod.ids["oak"], mrn="M2", family="Smith", given="John",
                                         birth_date=dt.date(1960, 1, 1))).id
        uow.commit()
    with pytest.raises(DomainError, match="already claimed some of these minutes: .* for Okafor, Grace "
                                          r"\(Chronic care management\)"):
        time_tracking.log_time(pod, other, entry_date=dt.date(2026, 12, 1), start=dt.time(9, 29), minutes=10,
                               staff="Dana Reyes", activity="transition_of_care", programme="tcm")
    log(pod, start=dt.time(9, 30), minutes=10, programme="tcm")  # right after: fine
    assert len(rows(pod.engine, t.time_entry)) == 2


def test_the_timer_is_kept_from_its_first_second_and_becomes_an_entry(pod, monkeypatch):
    pid = pod.ids["grace"]
    started = time_tracking.start_timer(pod, pid)
    assert not started.resumed
    assert [(r["staff"], r["state"], r["started_at"]) for r in rows(pod.engine, t.running_timer)] == \
        [("Dana Reyes", "running", NOW)]
    assert time_tracking.start_timer(pod, pid).resumed  # the same timer continues
    with UnitOfWork(pod.engine, "setup") as uow:
        other = uow.patients.add(Patient(practice_id=pod.ids["oak"], mrn="M3", family="Zimmer", given="Ola",
                                         birth_date=dt.date(1948, 5, 9))).id
        uow.commit()
    with pytest.raises(DomainError, match="Your timer for Okafor, Grace has been running since"):
        time_tracking.start_timer(pod, other)
    monkeypatch.setattr(clock, "utcnow", lambda: NOW + dt.timedelta(minutes=23))
    with pytest.raises(DomainError, match="still to come"):
        time_tracking.stop_timer(pod, started.timer_id, minutes=40, activity="care_plan", programme="ccm")
    time_tracking.stop_timer(pod, started.timer_id, minutes=23, activity="care_plan", programme="ccm", note="Plan")
    entry = rows(pod.engine, t.time_entry)[0]
    timer = rows(pod.engine, t.running_timer)[0]
    assert (entry["minutes"], entry["started_at"], timer["state"], timer["time_entry_id"]) == \
        (23, NOW, "saved", entry["id"])
    with pytest.raises(DomainError, match="already saved"):
        time_tracking.stop_timer(pod, started.timer_id, minutes=23, activity="care_plan", programme="ccm")


def test_consent_is_recorded_and_withdrawn_with_its_history(pod):
    pid = pod.ids["grace"]
    with pytest.raises(DomainError, match="already on record"):
        time_tracking.record_consent(pod, pid, given_on=dt.date(2026, 12, 1), method="written")
    with pytest.raises(DomainError, match="still to come"):
        time_tracking.withdraw_consent(pod, pid, on=dt.date(2026, 12, 9))
    time_tracking.withdraw_consent(pod, pid, on=dt.date(2026, 12, 2), reason="Declined further calls")
    with pytest.raises(DomainError, match="dated after"):
        time_tracking.record_consent(pod, pid, given_on=dt.date(2026, 12, 1), method="written")
    time_tracking.record_consent(pod, pid, given_on=dt.date(2026, 12, 5), method="written")
    patient = rows(pod.engine, t.patient)[0]
    assert (patient["consent_date"], patient["consent_method"], patient["consent_withdrawn_on"]) == \
        (dt.date(2026, 12, 5), "written", None)
    revisions = rows(pod.engine, t.record_revision)
    assert [r["new_values"] for r in revisions][0] == {"consent_withdrawn_on": "2026-12-02"}
    assert revisions[1]["old_values"]["consent_date"] == "2026-11-10"


def test_a_task_goes_only_to_a_colleague_covering_the_practice(pod):
    pid = pod.ids["grace"]
    with pytest.raises(DomainError, match="Sam Ortiz does not cover this patient's practice"):
        care_plans.create_task(pod, pid, title="Call back", assignee="Sam Ortiz", due_date=TODAY)
    care_plans.create_task(pod, pid, title="Call back", assignee="Dana Reyes", due_date=TODAY)
    task_id = rows(pod.engine, t.task)[0]["id"]
    for to, message in (("Sam Ortiz", "does not cover"), ("Nobody", "no staff member called 'Nobody'"),
                        ("Dana Reyes", "already assigned to Dana Reyes")):
        with pytest.raises(DomainError, match=message):
            care_plans.hand_over_task(pod, task_id, to)
    assert care_plans.colleagues_covering(pod, pod.ids["oak"]) == ["Dana Reyes", "Lee Park"]
    care_plans.hand_over_task(pod, task_id, "Lee Park", "She asked for the afternoon")
    task = rows(pod.engine, t.task)[0]
    revision = rows(pod.engine, t.record_revision)[0]
    assert task["assignee"] == "Lee Park"
    assert (revision["old_values"], revision["reason"]) == \
        ({"assignee": "Dana Reyes"}, "handed over by Dana Reyes: She asked for the afternoon")
    care_plans.complete_task(pod, task_id)
    with pytest.raises(DomainError, match="already done"):
        care_plans.hand_over_task(pod, task_id, "Dana Reyes")


def test_care_plan_items_are_changed_with_history_and_never_deleted(pod):
    pid = pod.ids["grace"]
    care_plans.create_care_plan(pod, pid, title="Diabetes", problems="Uncontrolled diabetes\nObesity")
    plan_id = rows(pod.engine, t.care_plan)[0]["id"]
    with pytest.raises(DomainError, match="measurable target"):
        care_plans.add_goal(pod, plan_id, description="Better sugars", target=" ", due_date=TODAY)
    care_plans.add_goal(pod, plan_id, description="Better sugars", target="HbA1c < 8 %",
                        due_date=dt.date(2027, 3, 1), problem="Uncontrolled diabetes")
    goal_id = rows(pod.engine, t.care_goal)[0]["id"]
    care_plans.change_goal(pod, plan_id, goal_id, status="achieved", reason="HbA1c 7.4 % in February")
    care_plans.mark_care_plan_item_in_error(pod, plan_id, "goal", goal_id, "Wrong patient")
    goal = rows(pod.engine, t.care_goal)[0]
    assert (goal["status"], goal["entered_in_error"]) == ("achieved", True)
    with pytest.raises(DomainError, match="entered-in-error"):
        care_plans.change_goal(pod, plan_id, goal_id, status="active")
    with pod.engine.connect() as conn:
        audited = conn.execute(sa.select(t.audit_event.c.action, t.audit_event.c.record_type)
                               .where(t.audit_event.c.patient_id == pid, t.audit_event.c.record_type != "Patient")
                               .order_by(t.audit_event.c.id)).all()
    assert audited == [("create", "CarePlan"), ("create", "CareGoal"), ("change", "CareGoal"), ("change", "CareGoal")]


def test_the_practice_month(pod):
    pid = pod.ids["grace"]
    log(pod, entry_date=dt.date(2026, 11, 3), minutes=12)  # before consent (10 November)
    log(pod, entry_date=dt.date(2026, 11, 12), minutes=25)
    log(pod, entry_date=dt.date(2026, 11, 13), minutes=20)
    with UnitOfWork(pod.engine, "setup") as uow:  # a discharge on Friday 20 November, home
        uow.facts.add(ClinicalFact(pid, "encounter", "http://snomed.info/sct", "32485007", encounter_class="IMP", discharge_code="home",
                                   start_at=dt.datetime(2026, 11, 17, 14), end_at=dt.datetime(2026, 11, 20, 16),
                                   start_raw="2026-11-17T09:00:00-05:00", end_raw="2026-11-20T11:00:00-05:00",
                                   status="finished"))
        uow.outreach.add(OutreachAttempt(pid, dt.datetime(2026, 11, 23, 15), "phone", "left_message", "Dana Reyes"))
        uow.outreach.add(OutreachAttempt(pid, dt.datetime(2026, 11, 24, 15), "phone", "reached", "Dana Reyes"))
        uow.facts.add(ClinicalFact(pid, "encounter", "http://www.ama-assn.org/go/cpt", "99214", encounter_class="AMB", status="finished",
                                   start_at=dt.datetime(2026, 11, 27, 15), start_raw="2026-11-27T10:00:00-05:00"))
        uow.commit()
    view = care_management.practice_month(pod, pod.ids["oak"], dt.date(2026, 11, 1))
    [row] = view.ccm
    assert (row.month.staff_minutes, row.month.threshold, row.month.to_next) == (45, "99490 + 99439", ("99439", 15))
    assert row.notes == ["12 min not counted: before consent (2026-11-10)"]
    assert view.thresholds == [("99490 + 99439", 1)]
    [tcm] = view.tcm
    # Friday 20th: Monday 23rd and Tuesday 24th are the two business days; the message on the 23rd
    # does not count, the call that reached her on the 24th does; the visit on the 27th is day 7
    assert (tcm.care.contact_due, tcm.care.contact.state, tcm.care.visit.state, tcm.care.code) == \
        (dt.date(2026, 11, 24), "met", "met", "99496")
    assert view.windows("contact") == {"met": 1}
    assert care_management.practice_month(pod, pod.ids["elm"], dt.date(2026, 11, 1)).ccm == []
