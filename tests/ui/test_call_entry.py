"""Call entry, driven from the keyboard as a nurse on the phone drives it: a complete call typed
and saved, a waiting call called back, and the draft that survives a real SIGKILL of the process
driving the window."""
from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from application import calls as app
from tests.night_pod import night, night_window  # noqa: F401 (night: a fixture)
from tests.ui.conftest import make_context
from tests.ui.window_helpers import choosing
from ui.call_entry import CallEntryWindow, open_call_entry
from ui.main_window import MainWindow

ROOT = Path(__file__).resolve().parents[2]
CTRL, SHIFT, ALT = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier, Qt.KeyboardModifier.AltModifier


@pytest.fixture
def window(qtbot, engine, night):
    return night_window(qtbot, engine, "Kim Night")


def focused():
    widget = QApplication.focusWidget()
    assert widget is not None, "nothing has the keyboard focus"
    return widget


def type_text(qtbot, text: str) -> None:
    """Keys typed into whatever has the focus, as on a keyboard."""
    qtbot.keyClicks(focused(), text)


def press(qtbot, key, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.keyClick(focused(), key, modifiers)


def entry_of(qtbot, window) -> CallEntryWindow:
    qtbot.waitUntil(lambda: bool(window.findChildren(CallEntryWindow)), timeout=3000)
    entry = window.findChildren(CallEntryWindow)[-1]
    qtbot.waitExposed(entry)
    entry.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is entry.search, timeout=3000)
    return entry


def test_a_nurse_types_only_what_she_would_and_saves_a_complete_call(qtbot, window, night, app_pod):
    qtbot.keyClick(window, Qt.Key.Key_N, CTRL | SHIFT)  # from anywhere
    entry = entry_of(qtbot, window)
    type_text(qtbot, "okafor gr")
    qtbot.waitUntil(lambda: entry.results.count() == 1, timeout=3000)
    press(qtbot, Qt.Key.Key_Return)  # the highlighted patient: the practice follows
    assert entry.practice.currentData() == night.oak and focused() is entry.caller
    assert entry.caller.text() == "Grace Okafor" and entry.phone.text() == "(617) 555-0147"
    qtbot.waitUntil(lambda: "Metformin" in entry.meds_list.text(), timeout=3000)
    assert "penicillin" in entry.allergy_list.text()
    press(qtbot, Qt.Key.Key_R, ALT)
    type_text(qtbot, "Dizzy since supper")
    press(qtbot, Qt.Key.Key_Tab)
    type_text(qtbot, "Light-headed on standing, no chest pain")
    press(qtbot, Qt.Key.Key_Tab)
    type_text(qtbot, "Dizziness - Adult")
    press(qtbot, Qt.Key.Key_Tab)
    press(qtbot, Qt.Key.Key_Space)  # medications confirmed
    press(qtbot, Qt.Key.Key_Tab)
    press(qtbot, Qt.Key.Key_Space)  # allergies confirmed
    press(qtbot, Qt.Key.Key_Tab)
    type_text(qtbot, "4")  # see within 24 hours
    press(qtbot, Qt.Key.Key_V, ALT)
    type_text(qtbot, "Sit before standing, fluids; call back if she faints")
    press(qtbot, Qt.Key.Key_Tab)
    press(qtbot, Qt.Key.Key_Space)  # repeated it back
    press(qtbot, Qt.Key.Key_Tab)
    press(qtbot, Qt.Key.Key_Space)  # follow-up needed
    press(qtbot, Qt.Key.Key_Tab)
    type_text(qtbot, "Review the new blood-pressure pill")
    press(qtbot, Qt.Key.Key_S, CTRL)
    window.context.tasks.wait_idle()
    qtbot.waitUntil(lambda: not window.findChildren(CallEntryWindow), timeout=3000)  # closed once saved

    calls = app.patient_calls(app_pod, night.grace)
    saved = calls[0]
    assert (saved.reason, saved.symptoms, saved.protocol) == ("Dizzy since supper",
                                                              "Light-headed on standing, no chest pain",
                                                              "Dizziness - Adult")
    assert saved.disposition == "see_within_24h" and saved.caller_name == "Grace Okafor"
    assert saved.medications_confirmed and saved.allergies_confirmed and saved.advice_repeated_back
    assert saved.follow_up_needed and saved.follow_up_note == "Review the new blood-pressure pill"
    assert saved.advice == "Sit before standing, fluids; call back if she faints"
    assert saved.taken_by == "Kim Night" and saved.called_back_at == saved.received_at  # answered live
    assert abs(saved.received_at - dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)) < dt.timedelta(minutes=5)
    assert app.call_drafts_of(app_pod.with_actor("Kim Night")) == []  # the draft went with the save


def test_a_missing_disposition_is_said_in_the_window_and_nothing_is_saved(qtbot, window, night, app_pod):
    entry = open_call_entry(window.context, window)
    qtbot.keyClicks(entry.search, "lopez")
    qtbot.waitUntil(lambda: entry.results.count() == 1, timeout=3000)
    qtbot.keyClick(entry.search, Qt.Key.Key_Return)
    qtbot.keyClicks(entry.reason, "Fever")
    entry.save(complete=True)
    assert entry.error.isVisible() and "disposition" in entry.error.text()
    entry.save(complete=False)  # as waiting for a call-back: the phone is there (the patient's)
    window.context.tasks.wait_idle()
    waiting = app.waiting_calls(app_pod)
    assert [(w.call.patient_id, w.call.reason) for w in waiting] == [(night.mia, "Fever")]


def test_a_waiting_call_is_called_back_from_the_waiting_list(qtbot, window, night, app_pod):
    received = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) - dt.timedelta(minutes=45)
    app.save_call(app_pod, app.CallEntry(practice_id=night.oak, received_at=received, caller_name="Mary Smith",
                                         reason="Vomiting", caller_phone="617-555-2290", patient_id=night.john,
                                         caller_relation="spouse"), complete=False)
    section = window.show_section("After-hours calls")
    section.tabs.setCurrentWidget(section.waiting_page)
    window.context.tasks.wait_idle()
    table = section.waiting_page.table
    assert table.rowCount() == 1 and "late" in table.item(0, 0).text()
    assert "(1)" in section.tabs.tabText(section.tabs.indexOf(section.waiting_page))
    table.setFocus()
    qtbot.keyClick(table, Qt.Key.Key_Return)
    entry = section.entry_window
    qtbot.waitExposed(entry)
    qtbot.waitUntil(entry.isActiveWindow, timeout=3000)
    assert entry.caller.text() == "Mary Smith" and not entry.live.isChecked()
    entry.disposition.setFocus()
    qtbot.keyClicks(entry.disposition, "3")
    qtbot.keyClick(entry.disposition, Qt.Key.Key_S, CTRL)
    window.context.tasks.wait_idle()
    assert app.waiting_calls(app_pod) == [], entry.error.text()
    done = app.patient_calls(app_pod, night.john)[0]
    assert done.disposition == "see_within_4h" and done.called_back_at > done.received_at
    qtbot.waitUntil(lambda: section.waiting_page.table.rowCount() == 0, timeout=3000)


# --- the draft survives a kill --------------------------------------------------------------------------

DRIVER = r'''
import os, sys, time
sys.path.insert(0, sys.argv[2])
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
app = QApplication([])
from application.pod import open_pod
from ui.context import AppContext
from ui.settings import Settings
from ui.call_entry import open_call_entry
settings = Settings()
settings.user_name = "Kim Night"
context = AppContext.create(open_pod(sys.argv[1]), settings)
entry = open_call_entry(context, None)
def idle(seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)
QTest.keyClicks(entry.search, "smith jo")
idle(0.5)
context.tasks.wait_idle()
QTest.keyClick(entry.search, Qt.Key.Key_Return)
QTest.keyClicks(entry.caller, "")
entry.caller.selectAll()
QTest.keyClicks(entry.caller, "Mary Smith")
QTest.keyClicks(entry.reason, "Chest tightness after dinner")
QTest.keyClicks(entry.symptoms, "Pressure 20 min, no sweating")
entry.disposition.setFocus()
QTest.keyClicks(entry.disposition, "2")
QTest.keyClicks(entry.advice, "Go to the ED now")
while entry.draft_id is None or entry._draft_timer.isActive() or entry._draft_saving or entry._draft_dirty:
    idle(0.05)  # the pause in typing that writes the draft
print("typed", entry.draft_id, flush=True)
QTest.keyClicks(entry.follow_note, "Call the patient tomorr")  # still typing when the process is killed
while True:
    idle(0.05)
'''


def test_a_killed_process_leaves_the_draft_which_is_offered_back_intact(qtbot, engine, night, app_pod, db_path,
                                                                        tmp_path):
    engine.dispose()  # the child has the database to itself while it types
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", CAREPOD_HOME=str(tmp_path / "child-home"))
    child = subprocess.Popen([sys.executable, "-c", DRIVER, str(db_path), str(ROOT)], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = child.stdout.readline()
        assert line.startswith("typed"), child.stderr.read()
        time.sleep(0.2)  # mid-word, mid-entry
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=20) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()

    window = MainWindow(make_context(engine, "Kim Night"))
    qtbot.addWidget(window)
    window.show()
    section = window.section("After-hours calls")
    qtbot.waitUntil(lambda: section.drafts_dialog is not None and section.drafts_dialog.isVisible(), timeout=5000)
    dialog = section.drafts_dialog
    assert dialog.list.count() == 1
    assert "Smith, John" in dialog.list.item(0).text() and "Chest tightness after dinner" in dialog.list.item(0).text()
    entry = dialog.resume()
    qtbot.waitExposed(entry)
    assert entry.patient_id == night.john and entry.practice.currentData() == night.oak
    assert entry.caller.text() == "Mary Smith"
    assert entry.reason.text() == "Chest tightness after dinner"
    assert entry.symptoms.toPlainText() == "Pressure 20 min, no sweating"
    assert entry.disposition.currentData() == "ed_now"
    assert entry.advice.toPlainText() == "Go to the ED now"
    assert "Call the patient tomorr".startswith(entry.follow_note.text())  # what the kill cut short, if anything
    assert "Draft restored" in entry.draft_status.text()
    entry.save(complete=True)
    window.context.tasks.wait_idle()
    assert app.call_drafts_of(app_pod.with_actor("Kim Night")) == []
    assert app.patient_calls(app_pod, night.john)[0].reason == "Chest tightness after dinner"


def test_closing_the_window_keeps_the_draft_and_discarding_removes_it(qtbot, window, night, app_pod):
    nurse = app_pod.with_actor("Kim Night")
    entry = open_call_entry(window.context, window)
    qtbot.keyClicks(entry.reason, "Rash")
    entry.close()  # Esc or the title bar's close: what was typed is written at once
    window.context.tasks.wait_idle()
    drafts = app.call_drafts_of(nurse)
    assert [d.content["reason"] for d in drafts] == ["Rash"]
    section = window.section("After-hours calls")
    section.check_drafts(offer=False)
    window.context.tasks.wait_idle()
    assert "1 unfinished call" in section.drafts_button.text()
    section.offer_drafts()
    section.drafts_dialog.discard(confirm=False)
    window.context.tasks.wait_idle()
    assert app.call_drafts_of(nurse) == []


def test_the_user_is_not_changed_while_a_call_is_being_entered(qtbot, window, night, app_pod):
    """The call and its draft name who took it: File > Change user waits until it is saved or closed."""
    before = window.context.user
    qtbot.keyClick(window, Qt.Key.Key_N, CTRL | SHIFT)
    entry = entry_of(qtbot, window)
    assert not window.choose_user(choosing("Sam Ortiz")) and window.context.user == before
    box = window.findChild(QMessageBox, "warningBox")
    assert box is not None and "A call is being entered" in box.text()
    box.close()
    entry.close()
    qtbot.waitUntil(lambda: not entry.isVisible(), timeout=3000)
