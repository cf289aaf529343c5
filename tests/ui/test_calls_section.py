"""The After-hours calls section on a small pod: the overnight log and its filters, each
practice's hand-off acknowledged from the keyboard (audited, the other practice untouched), the
nurse lead's list, and printing from the section."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from PySide6.QtCore import QDate, Qt

from application import calls as app
from storage import schema as t
from tests.night_pod import MORNING, night, night_window  # noqa: F401 (night: a fixture)
from tests.ui.conftest import make_context
from ui.main_window import MainWindow

CTRL, SHIFT = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier


@pytest.fixture
def section(qtbot, engine, night):
    window = night_window(qtbot, engine, "Front Desk Oak")
    section = window.show_section("After-hours calls")
    window.context.tasks.wait_idle()
    return section


def settle(section) -> None:
    section.context.tasks.wait_idle()


def test_the_overnight_log_shows_each_practice_night_and_filters(section, night):
    page = section.log_page
    page.morning.setDate(QDate(2026, 11, 24))
    settle(section)
    rows = page.table.texts()
    assert [r[2] for r in rows] == ["Lopez, Mia", "Smith, John", "Lopez, Mia", "Okafor, Grace"]  # newest first
    assert rows[1][0] == "Tue 11/24 07:30 EST" and rows[0][0] == "Tue 11/24 08:15 CST"
    assert rows[1][5] == "Emergency department now · paged"
    assert "4 calls in the night that ends on the morning of Tue 11/24/2026" in page.summary.text()
    page.practice.setCurrentIndex(page.practice.findData(night.oak))
    settle(section)
    assert [r[2] for r in page.table.texts()] == ["Smith, John", "Okafor, Grace"]
    page.disposition.setCurrentIndex(page.disposition.findData("ed_now"))
    settle(section)
    assert [r[2] for r in page.table.texts()] == ["Smith, John"]
    page.morning.setDate(QDate(2026, 11, 20))
    settle(section)
    assert page.table.rowCount() == 0 and "No calls for Oak Family Medicine (OAK)" in page.summary.text()


def test_a_practice_acknowledges_its_calls_from_the_keyboard_and_it_is_audited(qtbot, section, night, app_pod):
    section.show_handoff(night.oak, MORNING)
    settle(section)
    page = section.handoff_page
    assert [r[1] for r in page.table.texts()] == ["Okafor, Grace", "Smith, John"]
    assert "2 to acknowledge by 11/24/2026 10:00 EST" in page.summary.text()
    assert page.table.texts()[0][5] == "Offer an appointment within 24 hours."
    page.table.setFocus()
    page.table.selectAll()
    qtbot.keyClick(page.table, Qt.Key.Key_A, CTRL | SHIFT)
    settle(section)
    assert [r[7].split(",")[0] for r in page.table.texts()] == ["Front Desk Oak", "Front Desk Oak"]
    assert "all acknowledged" in page.summary.text()
    with app_pod.engine.connect() as conn:
        events = conn.execute(sa.select(t.audit_event.c.record_id, t.audit_event.c.actor).where(
            t.audit_event.c.detail == "acknowledged")).all()
    assert sorted(events) == sorted([(night.calls["grace"], "Front Desk Oak"), (night.calls["john"], "Front Desk Oak")])
    # the other practice's calls are untouched, and wait on the lead's list
    assert len(app.handoff(app_pod, night.pine, MORNING).unacknowledged) == 2
    section.tabs.setCurrentWidget(section.lead_page)
    settle(section)
    listed = {r[2] for r in section.lead_page.table.texts()}
    assert listed >= {"Lopez, Mia"} and "Okafor, Grace" not in listed
    assert "Not acknowledged (" in section.tabs.tabText(section.tabs.indexOf(section.lead_page))


def test_the_lead_acknowledges_an_overdue_call_on_the_practice_behalf(section, night, app_pod):
    section.tabs.setCurrentWidget(section.lead_page)
    settle(section)
    page = section.lead_page
    mia_rows = [i for i, r in enumerate(page.table.texts()) if r[2] == "Lopez, Mia"]
    assert len(mia_rows) == 2 and all(page.table.texts()[i][0] == "PINE" for i in mia_rows)
    page.table.clearSelection()
    page.table.setSelectionMode(page.table.SelectionMode.MultiSelection)
    for row in mia_rows:
        page.table.selectRow(row)
    page.acknowledge()
    settle(section)
    assert "Lopez, Mia" not in {r[2] for r in page.table.texts()}
    assert app.handoff(app_pod, night.pine, MORNING).unacknowledged == []
    page.table.selectRow(0)
    page.show_handoff()
    settle(section)
    assert section.tabs.currentWidget() is section.handoff_page


def test_printing_the_hand_off_and_call_records_from_the_section(section, night, app_pod, tmp_path, monkeypatch):
    monkeypatch.setattr(type(section), "printed", lambda self, result: setattr(self, "last_printed", result))
    section.show_handoff(night.pine, MORNING)
    settle(section)
    section.handoff_page.print_sheet_to(str(tmp_path / "pine.pdf"))
    settle(section)
    assert section.last_printed.calls == 2 and (tmp_path / "pine.pdf").stat().st_size > 1000
    section.print_records_to([night.calls["mia"]], str(tmp_path / "mia.pdf"))
    settle(section)
    assert section.last_printed.calls == 1
    with app_pod.engine.connect() as conn:
        printed = conn.execute(sa.select(t.audit_event.c.detail, t.audit_event.c.actor).where(
            t.audit_event.c.action == "print")).all()
    assert ("call record", "Front Desk Oak") in printed and ("hand-off sheet", "Front Desk Oak") in printed


def test_the_chart_calls_tab_lists_the_calls_on_the_practice_clock(qtbot, engine, night):
    from tests.ui.conftest import open_chart

    window = MainWindow(make_context(engine, "Kim Night"))
    qtbot.addWidget(window)
    view = open_chart(window.section("Patients"), night.john)
    index = next(i for i in range(view.tabs.count()) if view.tabs.tabText(i).startswith("Calls"))
    assert view.tabs.tabText(index) == "Calls (2)"  # counted before the tab is built (when first shown)
    tab = view.show_tab("Calls")
    rows = tab.calls.rows()
    assert rows[0][0] == "11/24/2026 18:00 EST" and rows[1][0] == "11/24/2026 07:30 EST"
    assert rows[1][3] == "Emergency department now" and "Ravi Patel, MD" in rows[1][5]
    assert tab.print_button.isEnabled()
