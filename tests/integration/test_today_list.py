"""Today's list on a small pod: what is on it and why, in what order, and what done and snooze do."""
from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest
import sqlalchemy as sa

from application import today as app
from application.outreach import log_outreach
from application.referrals import advance_referral, set_expected_days
from domain.errors import DomainError, NotFound
from domain.referral import EXPECTED_DAYS
from storage import schema as t
from tests.conftest import ROOT, app_pod_for
from tests.query_plans import query_plans, statements_run
from tests.today_pod import DANA, DAY, NOW, SAM, build_today_pod


@pytest.fixture
def tp(engine):
    return build_today_pod(engine)


@pytest.fixture
def pod(engine):
    return app_pod_for(engine).with_actor(DANA)


def listing(pod, day=DAY, now=NOW, staff=DANA):
    return app.today_list(pod, staff, day, now=now)


def rows_of(result, kind):
    return [r for r in result.rows if r.kind == kind]


def test_each_kind_is_listed_with_its_reason_and_since(pod, tp):
    result = listing(pod)
    assert [p.code for p in result.staff.practices] == ["ELM", "OAK"]
    by_kind = {kind.name: rows_of(result, kind.name) for kind in app.KINDS}
    assert [r.record_id for r in by_kind["emergency_call"]] == [tp.ed_call]
    assert by_kind["emergency_call"][0].reason.endswith("chest pain: sent to the ED")
    assert [r.record_id for r in by_kind["call"]] == [tp.flagged_call]
    assert [r.record_id for r in by_kind["task"]] == [tp.overdue_task]
    assert by_kind["task"][0].reason == "High-priority task: Call about cardiology appointment — overdue 3 days"
    assert by_kind["task"][0].since == DAY - dt.timedelta(days=3)
    assert [r.record_id for r in by_kind["referral"]] == [tp.overdue_referral]
    assert by_kind["referral"][0].reason.startswith("Routine referral to Cardiology: Sent since 10/13/2026, overdue "
                                                    "since 10/27/2026")
    assert [r.patient_id for r in by_kind["outreach"]] == [tp.outreach_patient]
    assert by_kind["outreach"][0].reason == ("Try 2 of 3 about the patient's care due since 10/30/2026 "
                                             "(last try 10/28/2026)")
    # never contacted first, then the longest since the last contact (a tier set by hand counts)
    assert [r.patient_id for r in by_kind["high_risk"]] == [tp.high_risk_never, tp.complex_old_contact]
    assert by_kind["high_risk"][0].reason == "High risk: no two-way contact on record"
    assert by_kind["high_risk"][1].reason == "High risk: last two-way contact 09/23/2026 (40 days ago)"
    assert result.totals == {"emergency_call": 1, "discharge": 2, "task": 1, "call": 1, "referral": 1, "outreach": 1,
                             "high_risk": 2}


def test_priority_order_is_the_kinds_order(pod, tp):
    priorities = [r.priority for r in listing(pod).rows]
    assert priorities == sorted(priorities)
    assert priorities[0] == 1 and priorities[-1] == 7


def test_discharges_need_a_two_way_contact_within_two_business_days(pod, tp):
    rows = rows_of(listing(pod), "discharge")
    # Bob (Friday, a message left) is due first, then Ann (Saturday); Cat was reached, Dan's contact was logged
    assert [r.patient_id for r in rows] == [tp.discharged_left_message, tp.discharged_no_contact]
    assert rows[1].reason == ("Discharged Sat 10/31 (Hospital admission): no two-way contact yet — due by Tue 11/03 "
                              "(1 business day left)")
    # on Wednesday their windows have closed: missed, no longer on Today
    assert rows_of(listing(pod, DAY + dt.timedelta(days=2), NOW + dt.timedelta(days=2)), "discharge") == []


def test_a_left_message_does_not_take_a_discharge_off_but_reaching_the_patient_does(pod, tp):
    log_outreach(pod, patient_id=tp.discharged_left_message, channel="phone", outcome="left_message",
                 at=NOW - dt.timedelta(hours=1))
    assert tp.discharged_left_message in [r.patient_id for r in rows_of(listing(pod), "discharge")]
    log_outreach(pod, patient_id=tp.discharged_left_message, channel="phone", outcome="reached",
                 at=NOW - dt.timedelta(minutes=30))
    assert tp.discharged_left_message not in [r.patient_id for r in rows_of(listing(pod), "discharge")]


def test_high_risk_contact_window_is_thirty_days(pod, tp):
    # Fay, reached 10 days ago, comes back once her contact is more than 30 days old
    later = listing(pod, DAY + dt.timedelta(days=21), NOW + dt.timedelta(days=21))
    assert tp.high_risk_recent in [r.patient_id for r in rows_of(later, "high_risk")]
    assert tp.high_risk_recent not in [r.patient_id for r in rows_of(listing(pod), "high_risk")]


def test_only_her_practices_and_her_tasks(pod, tp):
    result = listing(pod)
    assert tp.not_covered not in [r.patient_id for r in result.rows]
    assert "Sam's own task" not in " ".join(r.reason for r in result.rows)
    sams = listing(pod, staff=SAM)
    assert [r.patient_id for r in sams.rows] == [tp.not_covered, tp.not_covered]  # his task, his high-risk patient


def test_her_task_at_a_practice_she_no_longer_covers_still_names_that_practice(pod, tp):
    """Her tasks stay hers when her practices change: the row still says the patient's practice."""
    from application.staff import edit_staff, staff_list

    dana = next(member for member in staff_list(pod) if member.name == DANA)
    edit_staff(pod, dana.id, roles=dana.roles, practice_ids=[tp.elm])  # OAK handed to a colleague
    task = next(r for r in rows_of(listing(pod), "task") if r.record_id == tp.overdue_task)
    assert task.practice_code == "OAK"


def test_an_unknown_staff_name_is_an_error_naming_it(pod, tp):
    with pytest.raises(NotFound, match="'Nobody Here'"):
        listing(pod, staff="Nobody Here")


def test_done_takes_an_item_off_with_who_and_when(pod, engine, tp):
    row = rows_of(listing(pod), "emergency_call")[0]
    app.mark_done(pod, row)
    assert rows_of(listing(pod), "emergency_call") == []
    with engine.connect() as conn:
        mark = conn.execute(sa.select(t.today_mark)).one()
        audit = conn.execute(sa.select(t.audit_event).where(t.audit_event.c.record_type == "TodayMark")).one()
    assert (mark.item_kind, mark.record_id, mark.action, mark.by) == ("emergency_call", tp.ed_call, "done", DANA)
    assert (audit.actor, audit.action, audit.record_id) == (DANA, "create", mark.id)


def test_done_on_a_task_completes_it(pod, engine, tp):
    row = rows_of(listing(pod), "task")[0]
    app.mark_done(pod, row)
    with engine.connect() as conn:
        status = conn.scalar(sa.select(t.task.c.status).where(t.task.c.id == tp.overdue_task))
        revision = conn.execute(sa.select(t.record_revision).where(t.record_revision.c.record_type == "Task")).one()
    assert status == "done" and revision.old_values["status"] == "open" and revision.changed_by == DANA
    assert rows_of(listing(pod), "task") == []
    with pytest.raises(DomainError, match="already done"):
        app.mark_done(pod, row)


def test_snooze_hides_until_its_day_and_needs_a_later_day_and_a_reason(pod, engine, tp):
    row = rows_of(listing(pod), "referral")[0]
    for until, reason, message in ((DAY - dt.timedelta(days=1), "on holiday", "in the past"),
                                   (DAY, "on holiday", "is today"),
                                   (DAY + dt.timedelta(days=3), "  ", "why"),
                                   (None, "x", "until which day")):
        with pytest.raises(DomainError, match=message):
            app.snooze(pod, row, until, reason, today=DAY)
    with engine.connect() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(t.today_mark)) == 0  # nothing kept
    app.snooze(pod, row, DAY + dt.timedelta(days=3), "Specialist office closed this week", today=DAY)
    assert rows_of(listing(pod), "referral") == []
    day2 = DAY + dt.timedelta(days=2)
    assert rows_of(listing(pod, day2, NOW + dt.timedelta(days=2)), "referral") == []
    day3 = DAY + dt.timedelta(days=3)
    assert [r.record_id for r in rows_of(listing(pod, day3, NOW + dt.timedelta(days=3)), "referral")] == \
        [tp.overdue_referral]


def test_a_referral_done_in_one_state_is_back_when_overdue_in_the_next(pod, engine, tp):
    row = rows_of(listing(pod), "referral")[0]
    app.mark_done(pod, row, reason="Called the cardiology office")
    assert rows_of(listing(pod), "referral") == []
    advance_referral(pod, tp.overdue_referral, "scheduled", at=NOW - dt.timedelta(days=1))
    much_later = NOW + dt.timedelta(days=70)  # scheduled may last 60 days (routine)
    rows = rows_of(listing(pod, much_later.date(), much_later), "referral")
    assert tp.overdue_referral in [r.record_id for r in rows]


def test_undo_brings_the_item_back(pod, engine, tp):
    row = rows_of(listing(pod), "call")[0]
    app.mark_done(pod, row)
    with engine.connect() as conn:
        mark_id = conn.scalar(sa.select(t.today_mark.c.id))
    app.undo_mark(pod, mark_id, reason="Wrong row")
    assert [r.record_id for r in rows_of(listing(pod), "call")] == [tp.flagged_call]


def test_undo_reopens_a_task_only_if_nobody_changed_it_since(pod, engine, tp):
    from application import care_plans

    row = rows_of(listing(pod), "task")[0]
    marked = app.mark_done(pod, row)
    app.undo_mark(pod, marked.mark_id, reason="Slip of the key")
    with engine.connect() as conn:
        assert conn.scalar(sa.select(t.task.c.status).where(t.task.c.id == row.record_id)) == "open"
    marked = app.mark_done(pod, row)
    sam = pod.with_actor("Sam Ortiz")  # a colleague reopens it, then completes it properly
    care_plans.change_task(sam, row.record_id, reason="Not finished", status="open")
    care_plans.complete_task(sam, row.record_id)
    with pytest.raises(DomainError, match="changed after it was marked done"):
        app.undo_mark(pod, marked.mark_id, reason="Slip of the key")
    with engine.connect() as conn:
        assert conn.scalar(sa.select(t.task.c.status).where(t.task.c.id == row.record_id)) == "done"
        assert conn.scalar(sa.select(t.today_mark.c.entered_in_error).where(t.today_mark.c.id == marked.mark_id)) \
            is False


def test_expected_days_of_the_pod_drive_overdue(pod, engine, tp):
    assert [r.record_id for r in rows_of(listing(pod), "referral")] == [tp.overdue_referral]
    longer = {u: dict(s) for u, s in EXPECTED_DAYS.items()}
    longer["routine"]["sent"] = 30
    set_expected_days(pod, longer)
    assert rows_of(listing(pod), "referral") == []
    shorter = {u: dict(s) for u, s in EXPECTED_DAYS.items()}
    shorter["routine"]["sent"] = 3
    set_expected_days(pod, shorter)
    assert [r.record_id for r in rows_of(listing(pod), "referral")] == [tp.overdue_referral, tp.fresh_referral]


def test_outreach_due_follows_the_schedule(pod, tp):
    logged = log_outreach(pod, patient_id=tp.outreach_patient, channel="phone", outcome="no_answer",
                          at=NOW - dt.timedelta(hours=2))
    assert logged.progress.next_try == dt.date(2026, 11, 3)
    assert rows_of(listing(pod), "outreach") == []  # the next try is tomorrow
    tomorrow = listing(pod, DAY + dt.timedelta(days=1), NOW + dt.timedelta(days=1))
    kim = [r for r in rows_of(tomorrow, "outreach") if r.patient_id == tp.outreach_patient]
    assert kim[0].reason.startswith("Try 3 of 3 about the patient's care due today")
    # Bob's message left on Sunday is tried again on Tuesday too (2 business days)
    assert tp.discharged_left_message in [r.patient_id for r in rows_of(tomorrow, "outreach")]


def test_today_command_prints_the_rows_and_refuses_unknown_staff(db_path, engine, tp):
    engine.dispose()
    def run(*args):
        return subprocess.run([sys.executable, str(ROOT / "main.py"), "today", "--db", str(db_path), *args],
                              capture_output=True, text=True, cwd=ROOT, timeout=120)

    done = run("--staff", DANA, "--date", DAY.isoformat())
    assert done.returncode == 0, done.stderr
    lines = [line.split("\t") for line in done.stdout.splitlines()]
    assert all(len(cells) == 6 for cells in lines)
    assert lines[0][:4] == ["1", "OAK", "Jones, Jon", "T010"]
    assert [cells[0] for cells in lines] == sorted(cells[0] for cells in lines)
    assert ["3", "OAK", "Ito, Ida", "T009", "High-priority task: Call about cardiology appointment — overdue 3 days",
            "2026-10-30"] in lines
    unknown = run("--staff", "Nobody Here")
    assert unknown.returncode == 2 and "'Nobody Here'" in unknown.stderr and unknown.stdout == ""
    bad_date = run("--staff", DANA, "--date", "11/02/2026")
    assert bad_date.returncode == 2 and "YYYY-MM-DD" in bad_date.stderr


def test_day_sheet_prints_the_rows(pod, engine, tp, tmp_path):
    from pypdf import PdfReader

    result = listing(pod)
    printed = app.print_day_sheet(pod, result, tmp_path / "sheet.pdf")
    text = " ".join(page.extract_text() for page in PdfReader(printed.path).pages)
    assert "Day sheet — Dana Reyes" in text and "Monday 11/02/2026" in text
    assert "Jones, Jon" in text and "High-priority task: Call about cardiology appointment" in text
    assert "Page 1 of" in text and "Generated" in text
    with engine.connect() as conn:
        assert conn.execute(sa.select(t.audit_event.c.action, t.audit_event.c.record_type)
                            .where(t.audit_event.c.action == "print")).all() == [("print", "DaySheet")]


def test_partial_index_conditions_say_what_the_domain_says():
    from domain import today as rules

    for tier in rules.HIGH_RISK_TIERS:
        assert f"'{tier}'" in str(t.HIGH_RISK_WHERE)
    for klass in rules.INPATIENT_CLASSES:
        assert f"'{klass}'" in str(t.DISCHARGE_WHERE)
    assert rules.TWO_WAY_OUTCOMES == ("reached",) and "'reached'" in str(t.REACHED_WHERE)
    assert rules.TWO_WAY_ACTIVITIES == ("transition_of_care",) and "'transition_of_care'" in str(t.CONTACT_TIME_WHERE)
    for disposition in rules.EMERGENCY_DISPOSITIONS:
        assert f"'{disposition}'" in str(t.CALL_FOLLOW_UP_WHERE)


def test_high_risk_patients_are_read_from_the_practices_index(pod, engine, tp):
    """A care manager's high-risk patients come from her practices' entries of the practices'
    partial index: never from the pod-wide one of the pharmacist's worklist, which made Today
    look up every high-risk patient of the pod (43,000 for her 1,500 at 1,000,000 patients)."""
    with statements_run(engine) as statements:
        assert rows_of(listing(pod), "high_risk")
    plans = query_plans(engine, statements, lambda sql: "coalesce(risk_override, risk_tier) IN" in sql)
    assert len(plans) >= 2  # the count and the patients of each tier
    for plan in plans:
        assert plan[0] == "SEARCH patient USING INDEX ix_patient_high_risk (practice_id=?)", plan
