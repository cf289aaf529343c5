"""Today as a care manager works it: Ctrl+1, Enter opens the chart, Ctrl+L logs outreach, Ctrl+S
snoozes (a day in the past is refused), Ctrl+D marks done; what was done is off the list and
kept with who and when."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit

from storage import schema as t
from tests.today_pod import DANA, DAY, NOW, SAM, build_today_pod
from tests.ui import window_helpers
from tests.ui.window_helpers import active, choosing

CTRL, ALT = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.AltModifier


@pytest.fixture(autouse=True)
def _the_day(monkeypatch):
    """The screen opens on the pod's day (Monday 2 November 2026), as if it were today."""
    monkeypatch.setattr("application.today.clock_today", lambda: DAY)
    monkeypatch.setattr("application.today.utcnow", lambda: NOW)
    monkeypatch.setattr("application.outreach.utcnow", lambda: NOW)
    monkeypatch.setattr("ui.today_screen.clock_today", lambda: DAY)


@pytest.fixture
def tp(engine):
    return build_today_pod(engine)


def open_window(qtbot, engine, user=DANA):
    return window_helpers.open_window(qtbot, engine, user)


def show_today(qtbot, window, context):
    screen = window.section("Today")
    with qtbot.waitSignal(screen.loaded, timeout=30_000, raising=False):
        qtbot.keyClick(window, Qt.Key.Key_1, CTRL)
    qtbot.waitUntil(lambda: screen.listing is not None or screen.empty_label.isVisible(), timeout=30_000)
    context.tasks.wait_idle()
    assert window.current_section_name() == "Today"
    return screen


def select(qtbot, screen, kind: str, patient_id: int | None = None) -> int:
    row = next(i for i, r in enumerate(screen.model.rows) if r.kind == kind and
               (patient_id is None or r.patient_id == patient_id))
    screen.table.setFocus()
    screen.table.setCurrentIndex(screen.model.index(row, 0))
    return row


def reread(qtbot, screen, context):
    context.tasks.wait_idle()
    qtbot.waitUntil(lambda: not screen.reads.running, timeout=30_000)
    context.tasks.wait_idle()


def count(engine, table, *where) -> int:
    with engine.connect() as conn:
        return conn.scalar(sa.select(sa.func.count()).select_from(table).where(*where))


def test_today_lists_her_items_in_priority_order(qtbot, engine, tp):
    window, context = open_window(qtbot, engine)
    screen = show_today(qtbot, window, context)
    rows = screen.model.rows
    assert [r.priority for r in rows] == sorted(r.priority for r in rows)
    assert screen.model.cells(rows[0])[:4] == ("1 · Emergency follow-up", "OAK", "Jones, Jon", "T010")
    assert "Dana Reyes" in screen.staff_label.text() and "ELM, OAK" in screen.staff_label.text()
    assert screen.summary_text(screen.listing).startswith("9 items for Monday 11/02/2026 — 1 Emergency follow-up 1")



def test_the_priority_and_kind_column_never_cuts_a_kind(qtbot, engine, tp):
    """The first column is as wide as its widest text needs (Qt's own measure of the rows
    shown), without being resized to each listing."""
    window, context = open_window(qtbot, engine)
    screen = show_today(qtbot, window, context)
    assert {r.kind for r in screen.model.rows} >= {"emergency_call", "high_risk"}
    assert screen.table.columnWidth(0) >= screen.table.sizeHintForColumn(0)


def test_enter_opens_the_rows_chart(qtbot, engine, tp):
    window, context = open_window(qtbot, engine)
    screen = show_today(qtbot, window, context)
    select(qtbot, screen, "referral")
    qtbot.keyClick(screen.table, Qt.Key.Key_Return)
    patients = window.section("Patients")
    qtbot.waitUntil(lambda: any(v.patient_id == tp.referral_patient for v in patients.open_charts()), timeout=30_000)
    assert window.current_section_name() == "Patients"
    assert count(engine, t.audit_event, t.audit_event.c.action == "view",
                 t.audit_event.c.patient_id == tp.referral_patient) == 1


def test_log_outreach_from_today_in_a_few_keys(qtbot, engine, tp):
    window, context = open_window(qtbot, engine)
    screen = show_today(qtbot, window, context)
    select(qtbot, screen, "outreach", tp.outreach_patient)
    qtbot.keyClick(screen.table, Qt.Key.Key_L, CTRL)
    qtbot.waitUntil(lambda: screen.outreach_dialog is not None and screen.outreach_dialog.isVisible(), timeout=30_000)
    dialog = active(qtbot, screen.outreach_dialog)
    qtbot.keyClick(dialog, Qt.Key.Key_L, ALT)  # Left message (a button's key clicks it a moment later)
    qtbot.waitUntil(lambda: dialog.outcome() == "left_message")
    qtbot.keyClicks(dialog.note_edit, "Voicemail with callback number")
    qtbot.keyClick(dialog.note_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=30_000)
    reread(qtbot, screen, context)
    with engine.connect() as conn:
        attempt = conn.execute(sa.select(t.outreach_attempt).where(t.outreach_attempt.c.patient_id ==
                                                                   tp.outreach_patient)
                               .order_by(t.outreach_attempt.c.id.desc())).first()
        audit = conn.execute(sa.select(t.audit_event).where(t.audit_event.c.record_type == "OutreachAttempt",
                                                            t.audit_event.c.record_id == attempt.id)).one()
    assert (attempt.outcome, attempt.channel, attempt.by, attempt.note) == (
        "left_message", "phone", DANA, "Voicemail with callback number")
    assert audit.actor == DANA
    # the next try is scheduled two business days on: off today's list
    assert tp.outreach_patient not in [r.patient_id for r in screen.model.rows if r.kind == "outreach"]
    assert "next try due 11/04/2026" in screen.message_label.text()


def test_snooze_refuses_a_past_day_then_takes_the_row_off(qtbot, engine, tp):
    window, context = open_window(qtbot, engine)
    screen = show_today(qtbot, window, context)
    select(qtbot, screen, "referral")
    qtbot.keyClick(screen.table, Qt.Key.Key_S, CTRL)
    dialog = screen.snooze_dialog
    qtbot.waitUntil(dialog.isVisible)
    dialog.until_edit.selectAll()
    qtbot.keyClicks(dialog.until_edit, "10/30/2026")
    qtbot.keyClicks(dialog.reason_edit, "Specialist office closed")
    qtbot.keyClick(dialog.reason_edit, Qt.Key.Key_Return)
    context.tasks.wait_idle()
    assert dialog.isVisible()
    assert "10/30/2026 is in the past: choose a day after today (11/02/2026)" in dialog.error_label.text()
    assert count(engine, t.today_mark) == 0  # nothing kept
    dialog.until_edit.selectAll()
    qtbot.keyClicks(dialog.until_edit, "+3")
    qtbot.keyClick(dialog.reason_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=30_000)
    reread(qtbot, screen, context)
    with engine.connect() as conn:
        mark = conn.execute(sa.select(t.today_mark)).one()
    assert (mark.item_kind, mark.record_id, mark.action, mark.until, mark.reason, mark.by) == (
        "referral", tp.overdue_referral, "snooze", DAY.replace(day=5), "Specialist office closed", DANA)
    assert count(engine, t.audit_event, t.audit_event.c.record_type == "TodayMark") == 1
    assert [r for r in screen.model.rows if r.kind == "referral"] == []


def test_done_takes_the_row_off_and_keeps_who(qtbot, engine, tp):
    window, context = open_window(qtbot, engine)
    screen = show_today(qtbot, window, context)
    row = select(qtbot, screen, "call")
    before = len(screen.model.rows)
    qtbot.keyClick(screen.table, Qt.Key.Key_D, CTRL)
    reread(qtbot, screen, context)
    assert len(screen.model.rows) == before - 1
    assert [r for r in screen.model.rows if r.kind == "call"] == []
    assert screen.table.currentIndex().row() == row  # the next item is selected, ready for the next key
    with engine.connect() as conn:
        mark = conn.execute(sa.select(t.today_mark)).one()
    assert (mark.item_kind, mark.record_id, mark.action, mark.by) == ("call", tp.flagged_call, "done", DANA)


def test_ctrl_z_undoes_a_slip_of_done_and_reopens_the_task(qtbot, engine, tp):
    """Ctrl+D sits beside Ctrl+S: a task marked done by mistake comes back with Ctrl+Z, open
    again; the mark is kept, entered in error, with who undid it."""
    window, context = open_window(qtbot, engine)
    screen = show_today(qtbot, window, context)
    assert not screen.undo_button.isEnabled()
    select(qtbot, screen, "task")
    task_id = screen.selected().record_id
    qtbot.keyClick(screen.table, Qt.Key.Key_D, CTRL)
    reread(qtbot, screen, context)
    assert task_id not in [r.record_id for r in screen.model.rows if r.kind == "task"]
    assert "Undo: Ctrl+Z" in screen.message_label.text() and screen.undo_button.isEnabled()
    qtbot.keyClick(screen.table, Qt.Key.Key_Z, CTRL)
    reread(qtbot, screen, context)
    assert task_id in [r.record_id for r in screen.model.rows if r.kind == "task"]
    assert screen.message_label.text().startswith("Undone — back on the list:") and not screen.undo_button.isEnabled()
    with engine.connect() as conn:
        mark = conn.execute(sa.select(t.today_mark)).one()
        status = conn.scalar(sa.select(t.task.c.status).where(t.task.c.id == task_id))
    assert mark.entered_in_error and status == "open"
    qtbot.keyClick(screen.table, Qt.Key.Key_Z, CTRL)  # nothing more to undo
    context.tasks.wait_idle()
    assert count(engine, t.today_mark) == 1


def test_someone_who_is_not_staff_is_told_so_and_sees_nothing(qtbot, engine, tp):
    window, context = open_window(qtbot, engine, user="Visiting Student")
    screen = show_today(qtbot, window, context)
    assert screen.empty_label.isVisible()
    assert "“Visiting Student” is not one of this pod's staff" in screen.empty_label.text()
    assert not screen.table.isVisible() and screen.model.rowCount() == 0
    assert not screen.done_button.isEnabled()


def test_the_day_sheet_prints_what_is_shown(qtbot, engine, tp, tmp_path):
    from pypdf import PdfReader

    window, context = open_window(qtbot, engine)
    screen = show_today(qtbot, window, context)
    screen.print_day_sheet(str(tmp_path / "sheet.pdf"))
    context.tasks.wait_idle()
    text = " ".join(page.extract_text() for page in PdfReader(str(tmp_path / "sheet.pdf")).pages)
    assert "Day sheet — Dana Reyes" in text and "Monday 11/02/2026" in text and "Jones, Jon" in text
    assert "Day sheet written to" in screen.message_label.text()


def test_every_field_of_the_outreach_dialog_is_reachable(qtbot, engine, tp):
    window, context = open_window(qtbot, engine)
    screen = show_today(qtbot, window, context)
    select(qtbot, screen, "referral")
    screen.log_outreach()
    qtbot.waitUntil(lambda: screen.outreach_dialog is not None and screen.outreach_dialog.isVisible(), timeout=30_000)
    dialog = screen.outreach_dialog
    # opened from a referral's row: that referral is what the try is about
    assert dialog.target_combo.currentData() == (None, tp.overdue_referral)
    qtbot.keyClick(dialog, Qt.Key.Key_Return)  # no outcome chosen: said, nothing saved
    assert "Choose the outcome" in dialog.error_label.text()
    assert count(engine, t.outreach_attempt, t.outreach_attempt.c.patient_id == tp.referral_patient) == 0
    assert isinstance(dialog.note_edit, QLineEdit)
    dialog.reject()


def test_an_empty_list_keeps_its_controls_at_the_top(qtbot, engine, tp):
    """On an empty list (a fresh pod) the count, the buttons and "Nothing on the list…" were spread
    down the whole screen at 1366×768, with empty bands between them."""
    window, context = open_window(qtbot, engine, user="Visiting Student")
    window.resize(1366, 768)
    screen = show_today(qtbot, window, context)
    assert screen.empty_label.isVisible() and not screen.table.isVisible()
    qtbot.waitUntil(lambda: screen.height() > 600)
    assert screen.print_button.mapTo(screen, screen.print_button.rect().topLeft()).y() < 120
    assert screen.empty_label.mapTo(screen, screen.empty_label.rect().topLeft()).y() < 160


def test_changing_user_shows_the_new_users_list(qtbot, engine, tp):
    """File ▸ Change user: Today reads the new user's list at once, so she never marks the
    previous user's items done in her own name."""
    window, context = open_window(qtbot, engine)
    screen = show_today(qtbot, window, context)
    assert "Dana Reyes" in screen.staff_label.text()

    with qtbot.waitSignal(screen.loaded, timeout=30_000):
        assert window.choose_user(choosing(SAM))
    reread(qtbot, screen, context)
    assert "Sam Ortiz" in screen.staff_label.text() and "PINE" in screen.staff_label.text()
    assert {r.practice_code for r in screen.model.rows} <= {"PINE", ""}
