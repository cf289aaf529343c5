"""Administration ▸ Audit trail: every event newest first, narrowed by who, what and days, read a
page at a time as the list scrolls; Enter opens the event's patient; the chain verified."""
from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import sqlalchemy as sa
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from application import audit_trail as app
from domain.errors import DomainError
from storage import audit_chain
from storage import schema as t
from tests.conftest import add_staff_member
from tests.ui import window_helpers

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")
ADA, BEN = "Ada Park, RN", "Ben Cole, PharmD"
START = dt.datetime(2026, 11, 2, 14, 0)


def _patient(engine) -> int:
    with engine.begin() as conn:
        practice = conn.execute(sa.insert(t.practice).values(code="OFM", name="Oak Family Medicine")).inserted_primary_key[0]
        return conn.execute(sa.insert(t.patient).values(practice_id=practice, mrn="M77", family="Ito", given="Ida",
                                                        birth_date=dt.date(1950, 3, 4), sex="female")).inserted_primary_key[0]


def _events(engine, patient_id: int, views: int = 3) -> None:
    """``views`` chart views by Ada an hour apart, then Ben prints a report (no patient)."""
    events = [dict(at=START + dt.timedelta(hours=n), actor=ADA, action="view", record_type="Patient",
                   record_id=patient_id, patient_id=patient_id, detail="chart opened") for n in range(views)]
    events.append(dict(at=START + dt.timedelta(hours=views), actor=BEN, action="print", record_type="report",
                       record_id=None, patient_id=None, detail="quality report OFM 2026"))
    with engine.begin() as conn:
        audit_chain.append_many(conn, events)


def _page(qtbot, engine):
    window, context = window_helpers.open_window(qtbot, engine, ADA)
    page = window.show_section("Administration").show_page("Audit trail")
    qtbot.waitUntil(lambda: page.status_label.text().startswith(("Newest first", "No event")), timeout=20_000)
    return window, context, page


def _settle(qtbot, context, page, text_start: str):
    context.tasks.wait_idle()
    qtbot.waitUntil(lambda: page.status_label.text().startswith(text_start), timeout=20_000)


def test_events_newest_first_narrowed_by_who_what_and_days_and_enter_opens_the_chart(qtbot, engine):
    add_staff_member(engine, ADA, roles=("care_manager", "administrator"))
    add_staff_member(engine, BEN, roles=("pharmacist",))
    patient = _patient(engine)
    _events(engine, patient)
    window, context, page = _page(qtbot, engine)
    rows = page.model.rows
    assert [(r.actor, r.action) for r in rows[:4]] == [(BEN, "print"), (ADA, "view"), (ADA, "view"), (ADA, "view")]
    assert page.model.texts(rows[1])[2:5] == ("View", f"Patient {patient}", "Ito, Ida · M77")
    assert page.model.texts(rows[0])[4] == ""  # a report is about no patient
    page.who_combo.setCurrentIndex(page.who_combo.findData(BEN))
    qtbot.waitUntil(lambda: {r.actor for r in page.model.rows} == {BEN}, timeout=20_000)
    # his print, then his own joining of the staff (recorded as done by him: add_staff_member)
    assert [(r.action, r.detail) for r in page.model.rows][0] == ("print", "quality report OFM 2026")
    assert page.model.rows[-1].action == "create" and "view" not in {r.action for r in page.model.rows}
    page.action_combo.setCurrentIndex(page.action_combo.findData("view"))
    _settle(qtbot, context, page, "No event matches these filters.")
    assert page.model.rowCount() == 0 and not page.empty.showing()
    page.who_combo.setCurrentIndex(0)
    _settle(qtbot, context, page, "Newest first")
    assert {r.action for r in page.model.rows} == {"view"}
    # days on this computer's clock: the day after the last view lists none of them
    day_after = (START + dt.timedelta(days=1)).replace(tzinfo=dt.timezone.utc).astimezone().date()
    page.first_day.setFocus()
    qtbot.keyClicks(page.first_day, day_after.strftime("%m/%d/%Y"))
    page.first_day.editingFinished.emit()
    _settle(qtbot, context, page, "No event matches these filters.")
    page.first_day.clear()
    page.last_day.setText("not a day")
    page.last_day.editingFinished.emit()
    assert page.status_label.text() == "To: “not a day” is not a date; type it as MM/DD/YYYY."
    page.last_day.clear()
    page.first_day.editingFinished.emit()
    _settle(qtbot, context, page, "Newest first · 3 events shown")
    page.table.setFocus()
    page.table.setCurrentIndex(page.model.index(0, 0))
    window_helpers.active(qtbot, window)
    qtbot.keyClick(page.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.current_section_name() == "Patients", timeout=20_000)
    patients = window.section("Patients")
    qtbot.waitUntil(lambda: any(v.patient_id == patient for v in patients.open_charts()), timeout=20_000)


def test_a_long_trail_is_read_a_page_at_a_time_as_it_scrolls(qtbot, engine):
    add_staff_member(engine, ADA, roles=("administrator",))
    patient = _patient(engine)
    _events(engine, patient, views=app.PAGE_SIZE + 50)
    window, context, page = _page(qtbot, engine)
    assert page.model.rowCount() == app.PAGE_SIZE
    assert page.status_label.text().endswith("scroll down for older ones. Enter opens the patient's chart.")
    with engine.connect() as conn:
        total = conn.execute(sa.select(sa.func.count()).select_from(t.audit_event)).scalar()
    assert total > app.PAGE_SIZE + 50
    page.table.scrollToBottom()
    qtbot.waitUntil(lambda: page.model.rowCount() == total, timeout=20_000)
    context.tasks.wait_idle()
    assert page.model.complete
    ids = [r.id for r in page.model.rows]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == len(ids)  # every event once, newest first
    assert page.status_label.text().startswith(f"Newest first · {total:,} events shown.")


def test_verify_the_chain_says_it_holds_or_names_the_changed_event(qtbot, engine, monkeypatch):
    add_staff_member(engine, ADA, roles=("administrator",))
    patient = _patient(engine)
    _events(engine, patient)
    window, context, page = _page(qtbot, engine)
    said = []
    monkeypatch.setattr(QMessageBox, "information", lambda _parent, title, text: said.append((title, text)))
    monkeypatch.setattr(QMessageBox, "warning", lambda _parent, title, text: said.append((title, text)))
    context.tasks.wait_for(page.verify())
    qtbot.waitUntil(lambda: bool(said), timeout=20_000)
    assert said[-1][0] == "Audit trail verified" and "no event was changed, removed or slipped in" in said[-1][1]
    with engine.begin() as conn:  # someone edits an event behind the app's back
        conn.exec_driver_sql("DROP TRIGGER audit_event_no_update")
        conn.exec_driver_sql("UPDATE audit_event SET actor = 'Someone Else' WHERE actor = ?", (BEN,))
    context.tasks.wait_for(page.verify())
    qtbot.waitUntil(lambda: len(said) == 2, timeout=20_000)
    assert said[-1][0] == "The audit trail was changed"


def test_a_pod_with_no_events_says_what_will_be_listed(qtbot, engine):
    with engine.begin() as conn:
        conn.execute(sa.insert(t.staff_member).values(name=ADA, roles="administrator", active=True))
    window, context, page = _page(qtbot, engine)
    assert page.model.rowCount() == 0
    assert page.status_label.text() == "No events recorded yet."
    assert page.empty.showing() and "Every chart opened" in page.empty.text()


def test_days_are_the_users_clock_across_a_daylight_saving_change():
    new_york = zoneinfo.ZoneInfo("America/New_York")
    flt = app.audit_filter(None, None, dt.date(2026, 3, 8), dt.date(2026, 3, 8), tz=new_york)
    assert flt.since == dt.datetime(2026, 3, 8, 5, 0)  # midnight EST
    assert flt.until == dt.datetime(2026, 3, 9, 4, 0)  # the next midnight, EDT: a 23-hour day
    with pytest.raises(DomainError, match="is after To"):
        app.audit_filter(None, None, dt.date(2026, 3, 9), dt.date(2026, 3, 8))


@pytest.mark.parametrize("flt", [app.AuditFilter(actor=BEN), app.AuditFilter(action="print")],
                         ids=["who", "action"])
def test_one_staff_members_or_actions_events_are_read_from_an_index_newest_first(engine, flt):
    """A staff member with 20 events among a year's 3,000,000 took 180 ms walking every event
    from the newest (bench/bench_audit.py): the page starts from that member's (or action's)
    events, in id order, without a sort."""
    from sqlalchemy import event

    from storage.queries import audit_trail

    patient = _patient(engine)
    _events(engine, patient)
    statements = []

    def seen(conn, cursor, statement, params, context, many):
        statements.append((statement, params))

    event.listen(engine, "before_cursor_execute", seen)
    try:
        rows = audit_trail.audit_page(engine, flt)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert [r.actor for r in rows] == [BEN] and [r.action for r in rows] == ["print"]
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        plans = [[row[3] for row in raw.execute("EXPLAIN QUERY PLAN " + sql, params)]
                 for sql, params in statements if "audit_event" in sql]
    index = "ix_audit_actor" if flt.actor else "ix_audit_action"
    assert plans and plans[0][0].startswith(f"SEARCH audit_event USING INDEX {index}"), plans
    assert not any("TEMP B-TREE" in step for plan in plans for step in plan), plans
