"""The referral board, the chart's Referrals tab and outreach from the Gaps worklist, driven from
the keyboard: Ctrl+4, arrows, Ctrl+M to move a referral to Scheduled, Ctrl+N for a new one,
Ctrl+L to log outreach about a gap."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from PySide6.QtCore import Qt

from storage import schema as t
from tests.today_pod import DANA, NOW, build_today_pod
from tests.ui import window_helpers
from tests.ui.conftest import make_context, open_chart
from tests.ui.window_helpers import active

CTRL, ALT = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.AltModifier


@pytest.fixture
def tp(engine):
    return build_today_pod(engine)


@pytest.fixture(autouse=True)
def _the_moment(monkeypatch):
    """The board is read at the pod's moment (Monday 2 November 2026, 15:00 UTC)."""
    monkeypatch.setattr("ui.referral_board.utcnow", lambda: NOW)


def open_window(qtbot, engine):
    return window_helpers.open_window(qtbot, engine, DANA)


def show_board(qtbot, window, context):
    section = window.section("Referrals")
    with qtbot.waitSignal(section.loaded, timeout=30_000):
        qtbot.keyClick(window, Qt.Key.Key_4, CTRL)
    context.tasks.wait_idle()
    return section


def column(section, state):
    return next(c for c in section.board.visible_columns() if c.state == state)


def test_board_columns_overdue_first_and_the_table(qtbot, engine, tp):
    window, context = open_window(qtbot, engine)
    section = show_board(qtbot, window, context)
    sent = column(section, "sent")
    assert "<b>Sent</b><br>2" in sent.heading.text() and "1 overdue" in sent.heading.text()
    assert [card.id for card in sent.model.cards] == [tp.overdue_referral, tp.fresh_referral]
    assert sent.model.index(0, 0).data().startswith("Ito, Ida · Cardiology · Overdue")
    assert section.status_label.text() == "2 referrals · 1 overdue · overdue first in every column"
    qtbot.keyClick(section.views, Qt.Key.Key_T, ALT)
    assert section.views.currentWidget() is section.table
    model = section.table_model
    assert [model.index(r, 0).data() for r in range(model.rowCount())] == ["Ito, Ida", "Ito, Ida"]
    assert model.index(0, 7).data().startswith("Overdue")


def test_the_tables_practice_column_shows_a_long_practice_code_whole(qtbot, engine, tp):
    """A practice code may be up to 16 characters: the table's column fits the pod's longest."""
    with engine.begin() as conn:
        conn.execute(sa.update(t.practice).where(t.practice.c.code == "OAK").values(code="OAK-FAMILY-NORTH"))
    window, context = open_window(qtbot, engine)
    section = show_board(qtbot, window, context)
    qtbot.waitUntil(lambda: section.practice_combo.count() > 1, timeout=30_000)
    practice = section.table_model.headerData(2, Qt.Orientation.Horizontal)
    assert practice == "Practice"
    qtbot.keyClick(section.views, Qt.Key.Key_T, ALT)  # the table, with the OAK referrals in view
    assert section.table.sizeHintForColumn(2) > section.table.fontMetrics().horizontalAdvance("OAK-FAMILY-NORTH")
    assert section.table.columnWidth(2) >= section.table.sizeHintForColumn(2)


def board_on_sent(qtbot, engine):
    """The board, the keys in its first column with cards (Sent, its overdue card first)."""
    window, context = open_window(qtbot, engine)
    section = show_board(qtbot, window, context)
    section.board.focus_first()
    cards = column(section, "sent").list
    qtbot.waitUntil(cards.hasFocus)
    return window, context, section, cards


def test_move_a_referral_to_scheduled_from_the_keyboard(qtbot, engine, tp):
    window, context, section, cards = board_on_sent(qtbot, engine)
    assert section.selected().id == tp.overdue_referral
    qtbot.keyClick(cards, Qt.Key.Key_M, CTRL)
    dialog = active(qtbot, section.referral_dialog)
    assert [b.text() for b in dialog.states.buttons()] == ["&1  Scheduled", "&2  Cancelled", "&3  Declined by patient",
                                                          "&4  Unable to reach"]
    qtbot.keyClick(dialog, Qt.Key.Key_1, ALT)
    qtbot.waitUntil(lambda: dialog.chosen() == "scheduled")
    qtbot.keyClicks(dialog.note_edit, "Appointment 11/20 10:30 with Dr. Okafor")
    with qtbot.waitSignal(section.loaded, timeout=30_000):
        qtbot.keyClick(dialog.note_edit, Qt.Key.Key_Return)  # saved, the dialog closes, the board is read again
    context.tasks.wait_idle()
    with engine.connect() as conn:
        referral = conn.execute(sa.select(t.referral).where(t.referral.c.id == tp.overdue_referral)).one()
        event = conn.execute(sa.select(t.referral_event).where(t.referral_event.c.referral_id == tp.overdue_referral)
                             .order_by(t.referral_event.c.id.desc())).first()
        audit = conn.execute(sa.select(t.audit_event).where(t.audit_event.c.record_type == "Referral")
                             .order_by(t.audit_event.c.id.desc())).first()
    assert referral.state == "scheduled"
    assert (event.to_state, event.by, event.note) == ("scheduled", DANA, "Appointment 11/20 10:30 with Dr. Okafor")
    assert (audit.actor, audit.detail) == (DANA, "state sent -> scheduled")
    assert [card.id for card in column(section, "scheduled").model.cards] == [tp.overdue_referral]
    assert [card.id for card in column(section, "sent").model.cards] == [tp.fresh_referral]


def test_f5_keeps_the_chosen_card_ready_for_ctrl_m_and_alt_t_is_the_table(qtbot, engine, tp):
    _window, context, section, cards = board_on_sent(qtbot, engine)
    chosen = section.selected().id
    with qtbot.waitSignal(section.loaded, timeout=30_000):
        qtbot.keyClick(cards, Qt.Key.Key_F5)
    context.tasks.wait_idle()
    assert section.selected() is not None and section.selected().id == chosen
    # one key, one place: Alt+T shows the table, the State filter is Alt+E
    qtbot.keyClick(section.views, Qt.Key.Key_T, ALT)
    assert section.views.currentWidget() is section.table
    qtbot.keyClick(section.views, Qt.Key.Key_T, ALT)
    assert section.views.currentWidget() is section.table and not section.state_combo.hasFocus()


def test_left_and_right_go_from_column_to_column(qtbot, engine, tp):
    _window, _context, section, sent = board_on_sent(qtbot, engine)
    qtbot.keyClick(sent, Qt.Key.Key_Right)
    assert column(section, "scheduled").list.hasFocus()
    qtbot.keyClick(column(section, "scheduled").list, Qt.Key.Key_Left)
    assert sent.hasFocus()


def test_a_move_dated_before_the_last_change_is_refused_in_the_dialog(qtbot, engine, tp):
    window, context = open_window(qtbot, engine)
    section = show_board(qtbot, window, context)
    section.board.focus_first()
    dialog = section.move_selected()
    dialog.when_edit.setDateTime(dialog.when_edit.dateTime().addYears(-2))
    dialog.save()
    assert dialog.isVisible() and "cannot be dated before the previous one" in dialog.error_label.text()
    with engine.connect() as conn:
        assert conn.scalar(sa.select(t.referral.c.state).where(t.referral.c.id == tp.overdue_referral)) == "sent"
    dialog.reject()


def test_expected_days_out_of_range_are_refused_and_change_nothing(qtbot, engine, tp):
    window, context = open_window(qtbot, engine)
    section = show_board(qtbot, window, context)
    section.days_button.click()
    qtbot.waitUntil(lambda: section.referral_dialog is not None and section.referral_dialog.isVisible(),
                    timeout=30_000)
    dialog = section.referral_dialog
    spin = dialog.spins[("routine", "sent")]
    assert spin.value() == 14
    spin.selectAll()
    qtbot.keyClicks(spin, "0")
    dialog.save()
    assert "routine referral that is Sent must be between 1 and 365; got 0" in dialog.error_label.text()
    with engine.connect() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(t.referral_expected_days)) == 0
    dialog.reject()


def test_the_letter_is_printed_for_the_selected_referral(qtbot, engine, tp, tmp_path):
    from pypdf import PdfReader

    window, context = open_window(qtbot, engine)
    section = show_board(qtbot, window, context)
    section.board.focus_first()
    section.print_selected_letter(str(tmp_path / "letter.pdf"))
    context.tasks.wait_idle()
    text = PdfReader(str(tmp_path / "letter.pdf")).pages[0].extract_text()
    assert "Referral to Cardiology" in text and "Palpitations" in text
    assert "Letter written to" in section.status_label.text()


def test_a_new_referral_from_the_chart(qtbot, engine, tp):
    window, context = open_window(qtbot, engine)
    patients = window.section("Patients")
    window.show_section("Patients")
    view = open_chart(patients, tp.referral_patient)
    tab = view.show_tab("Referrals")
    assert len(tab.referrals) == 2 and view.tabs.tabText(view.tabs.currentIndex()) == "Referrals (2)"
    active(qtbot, window)  # the chart's keys work in the active window (an earlier test's could still be)
    tab.list.tree.setFocus()
    qtbot.keyClick(tab.list.tree, Qt.Key.Key_N, CTRL)
    qtbot.waitUntil(lambda: tab.referral_dialog is not None and tab.referral_dialog.isVisible(), timeout=30_000)
    dialog = active(qtbot, tab.referral_dialog)
    assert dialog.clinician_combo.currentText() == "Ravi Patel, MD (PCP)"
    qtbot.keyClicks(dialog.specialty_combo.lineEdit(), "Nephrology")
    qtbot.keyClicks(dialog.reason_edit, "CKD stage 3b, falling eGFR")
    qtbot.keyClick(dialog.reason_edit, Qt.Key.Key_Return)
    context.tasks.wait_idle()
    qtbot.waitUntil(lambda: any(v.patient_id == tp.referral_patient and len(v.chart.referrals) == 3
                                for v in patients.open_charts()), timeout=30_000)
    with engine.connect() as conn:
        new = conn.execute(sa.select(t.referral).where(t.referral.c.specialty == "Nephrology")).one()
    assert (new.reason, new.state, new.practice_id) == ("CKD stage 3b, falling eGFR", "ordered", tp.oak)
    view = next(v for v in patients.open_charts() if v.patient_id == tp.referral_patient)
    assert view.current_tab_title() == "Referrals"  # rebuilt in place, same tab


def test_ctrl_tab_to_referrals_then_ctrl_n_orders_one(qtbot, engine, tp):
    """From the keyboard alone: the tab reached with Ctrl+Tab has the focus, so its own key
    (Ctrl+N, a new referral) works at once, without an extra Tab."""
    from PySide6.QtWidgets import QApplication

    window, context = open_window(qtbot, engine)
    patients = window.section("Patients")
    window.show_section("Patients")
    view = open_chart(patients, tp.referral_patient)
    active(qtbot, window)
    view.tabs.tabBar().setFocus()  # where the focus is left after a chart opens on its tabs
    for _ in range(view.tabs.count()):
        if view.current_tab_title() == "Referrals":
            break
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab, CTRL)
    assert view.current_tab_title() == "Referrals"
    tab = view.tab_widget(view.tabs.currentIndex())
    focused = QApplication.focusWidget()
    assert focused is not None and tab.isAncestorOf(focused)
    qtbot.keyClick(focused, Qt.Key.Key_N, CTRL)
    qtbot.waitUntil(lambda: tab.referral_dialog is not None and tab.referral_dialog.isVisible(), timeout=30_000)
    tab.referral_dialog.reject()


def test_outreach_from_the_charts_activity_shows_there(qtbot, engine, tp):
    window, context = open_window(qtbot, engine)
    patients = window.section("Patients")
    window.show_section("Patients")
    view = open_chart(patients, tp.high_risk_never)
    activity = view.show_tab("Activity")
    from ui.chart_outreach import OutreachPanel

    panel = activity.findChild(OutreachPanel, "chartOutreach")
    panel.log_button.click()
    qtbot.waitUntil(lambda: panel.outreach_dialog is not None and panel.outreach_dialog.isVisible(), timeout=30_000)
    dialog = active(qtbot, panel.outreach_dialog)
    qtbot.keyClick(dialog, Qt.Key.Key_R, ALT)
    qtbot.waitUntil(lambda: dialog.outcome() == "reached")
    qtbot.keyClick(dialog, Qt.Key.Key_Return)
    context.tasks.wait_idle()
    qtbot.waitUntil(lambda: any(v.patient_id == tp.high_risk_never and len(v.chart.outreach) == 1
                                for v in patients.open_charts()), timeout=30_000)


def test_ctrl_l_in_the_gaps_worklist_logs_outreach_about_that_gap(qtbot, engine, pod):
    from ui.gaps_screen import GapsScreen

    context = make_context(engine, "Dana Reyes")
    screen = GapsScreen(context)
    context.tasks.changed.connect(screen.apply_changes)  # as the main window does
    qtbot.addWidget(screen)
    screen.show()
    qtbot.waitExposed(screen)
    active(qtbot, screen)
    qtbot.waitUntil(lambda: screen.model.rowCount() > 0, timeout=30_000)
    screen.table.setFocus()
    screen.table.setCurrentIndex(screen.model.index(0, 0))
    row = screen.model.row_at(0)
    qtbot.keyClick(screen.table, Qt.Key.Key_L, CTRL)
    qtbot.waitUntil(lambda: screen.outreach_dialog is not None and screen.outreach_dialog.isVisible(), timeout=30_000)
    dialog = active(qtbot, screen.outreach_dialog)
    assert dialog.target_combo.currentData() == (row.gap_id, None)
    qtbot.keyClick(dialog, Qt.Key.Key_N, ALT)
    qtbot.waitUntil(lambda: dialog.outcome() == "no_answer")
    qtbot.keyClick(dialog, Qt.Key.Key_Return)
    context.tasks.wait_idle()
    with engine.connect() as conn:
        attempt = conn.execute(sa.select(t.outreach_attempt).order_by(t.outreach_attempt.c.id.desc())).first()
    assert (attempt.patient_id, attempt.gap_id, attempt.outcome) == (row.patient_id, row.gap_id, "no_answer")
    qtbot.waitUntil(lambda: screen.model.row_at(0) is not None and any(
        r.last_outreach_at is not None for r in screen.model.loaded_rows() if r.patient_id == row.patient_id),
                    timeout=30_000)


def test_loop_closure_is_a_row_of_quality_beside_the_measures(qtbot, engine, pod):
    from application.referrals import advance_referral, order_referral
    from tests.conftest import app_pod_for
    from ui.quality_screen import QualityScreen

    app_pod = app_pod_for(engine).with_actor("Dana Reyes")
    with engine.connect() as conn:
        patient_id, practice_id = conn.execute(sa.select(t.patient.c.id, t.patient.c.practice_id)).first()
    ordered = order_referral(app_pod, patient_id=patient_id, specialty="Cardiology", reason="Murmur")
    with engine.begin() as conn:  # ordered in the measured period (2025), the report back that year
        conn.execute(sa.update(t.referral).values(ordered_at=dt.datetime(2025, 3, 1), state_since=dt.datetime(2025, 3, 1)))
        conn.execute(sa.update(t.referral_event).values(at=dt.datetime(2025, 3, 1)))
    for state, day in (("sent", 2), ("scheduled", 3), ("seen", 10), ("report_received", 12)):
        advance_referral(app_pod, ordered.referral_id, state, at=dt.datetime(2025, 3, day))
    screen = QualityScreen(make_context(engine, "Dana Reyes"))
    qtbot.addWidget(screen)
    with qtbot.waitSignal(screen.loaded, timeout=30_000):
        screen.show()
    screen.practice_combo.setCurrentIndex(screen.practice_combo.findData(practice_id))
    qtbot.waitUntil(lambda: screen.scores and screen.scores[-1].mine.practice_id == practice_id, timeout=30_000)
    last = screen.table.rowCount() - 1
    cells = [screen.table.item(last, c).text() for c in range(screen.table.columnCount())]
    assert cells[:6] == ["LOOP", "Referral loop closure: specialist report received (after CMS50)", "1", "1",
                         "100.0 %", "1 of 1"]
    assert "measures and referral loop closure" in screen.status_label.text()
