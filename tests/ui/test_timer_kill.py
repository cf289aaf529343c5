"""A killed Carepod keeps the started timer: a child process with the window starts the timer from
the keyboard and is killed (SIGKILL, no chance to save anything); the next start offers the timer
back, its chart shows it still running from the same start, and stopping it keeps the minutes."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
import sqlalchemy as sa
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from storage import schema as t
from tests.ui.test_patients_window import make_window, patients

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

CHILD = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {root!r})
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication
    app = QApplication([])
    from application.pod import open_pod
    from ui.context import AppContext
    from ui.main_window import MainWindow
    from ui.settings import Settings
    settings = Settings()
    settings.user_name = "Dana Reyes"
    context = AppContext.create(open_pod({db!r}), settings)
    window = MainWindow(context)
    window.show()
    QTest.qWaitForWindowExposed(window)
    window.activateWindow()
    QTest.qWaitForWindowActive(window)
    section = window.show_section("Patients")
    context.tasks.wait_for(section.open_chart({patient}))
    chart = section.current_chart()
    window.activateWindow()  # after the first chart's progress dialog (offscreen gives no window back)
    QTest.qWaitForWindowActive(window)
    chart.tabs.setFocus()
    QTest.keyClick(chart.tabs, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    context.tasks.wait_idle()
    from application.time_tracking import running_timers
    print("STARTED" if running_timers(context.pod, "Dana Reyes") else "NO TIMER", flush=True)
    while True:  # the user keeps working until the machine dies
        app.processEvents()
        time.sleep(0.05)
""")


def running(engine):
    with engine.connect() as conn:
        return conn.execute(sa.select(t.running_timer)).mappings().all()


@pytest.mark.qt_log_ignore(r"This plugin does not support (raise\(\)|propagateSizeHints)")
def test_a_killed_carepod_keeps_the_started_timer(qtbot, engine, db_path, sample_pod):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    child = subprocess.Popen([sys.executable, "-c", CHILD.format(root=ROOT, db=str(db_path), patient=sample_pod.grace)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = child.stdout.readline()
        assert line.strip() == "STARTED", child.stderr.read() if child.poll() is not None else line
        os.kill(child.pid, signal.SIGKILL)
        child.wait(30)
    finally:
        if child.poll() is None:
            child.kill()
        child.stdout.close()
        child.stderr.close()
    assert child.returncode == -signal.SIGKILL
    [timer] = running(engine)
    assert (timer["staff"], timer["patient_id"], timer["state"]) == ("Dana Reyes", sample_pod.grace, "running")

    time.sleep(1.1)  # the timer keeps counting while Carepod is down
    window = make_window(qtbot, engine, db_path)
    qtbot.waitUntil(lambda: getattr(window, "running_timer_offer", None) is not None, timeout=10_000)
    offer: QMessageBox = window.running_timer_offer
    assert "Your timer for Okafor, Grace has been running since" in offer.text()
    open_button = next(b for b in offer.buttons() if b.text() == "Open the chart")
    qtbot.mouseClick(open_button, Qt.MouseButton.LeftButton)
    window.context.tasks.wait_idle()
    chart = patients(window).current_chart()
    assert chart.patient_id == sample_pod.grace
    assert chart.timer.running is not None and chart.timer.running.started_at == timer["started_at"]
    chart.timer._show()
    assert chart.timer.clock.text() >= "Timer 00:00:01"  # counted from the start before the kill
    dialog = chart.timer.stop()
    qtbot.keyClick(dialog.widgets["note"], Qt.Key.Key_Return)
    window.context.tasks.wait_idle()
    [timer] = running(engine)
    with engine.connect() as conn:
        entry = conn.execute(sa.select(t.time_entry).where(t.time_entry.c.id == timer["time_entry_id"])).mappings().one()
    assert timer["state"] == "saved" and entry["started_at"] == timer["started_at"] and entry["minutes"] >= 1
