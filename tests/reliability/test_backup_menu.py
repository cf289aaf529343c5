"""File ▸ Back up… and File ▸ Restore from backup… in the real window, on the task runner."""
from __future__ import annotations

import sqlite3

import pytest

from tests.ui.conftest import build_sample_pod, make_context
from ui.main_window import MainWindow

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")  # offscreen, shown


@pytest.fixture
def sample_pod(engine):
    return build_sample_pod(engine)


def _window(qtbot, engine):
    window = MainWindow(make_context(engine, "Dana Reyes"))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def _menu_action(window, text):
    file_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&File")
    return next(a for a in file_menu.actions() if a.text() == text)


def test_back_up_and_restore_from_the_file_menu(qtbot, engine, db_path, sample_pod, tmp_path, monkeypatch):
    from ui import backup_actions

    window = _window(qtbot, engine)
    out = tmp_path / "copy.db"
    monkeypatch.setattr(backup_actions.QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    shown = []
    monkeypatch.setattr(backup_actions.QMessageBox, "information", lambda parent, title, text: shown.append((title, text)))
    monkeypatch.setattr(backup_actions.QMessageBox, "critical", lambda parent, title, text: shown.append((title, text)))
    _menu_action(window, "&Back up…").trigger()
    qtbot.waitUntil(lambda: bool(shown), timeout=60_000)
    assert shown[0][0] == "Backup made" and "checked whole" in shown[0][1]
    assert sqlite3.connect(out).execute("PRAGMA integrity_check").fetchone() == ("ok",)

    with engine.begin() as conn:  # a change after the backup, which the restore takes back
        conn.exec_driver_sql("UPDATE patient SET family = 'Changed' WHERE id = 1")
    reopened = []
    window.database_chosen.connect(reopened.append)
    monkeypatch.setattr(backup_actions.QFileDialog, "getOpenFileName", lambda *a, **k: (str(out), ""))
    monkeypatch.setattr(backup_actions.QMessageBox, "question",
                        lambda *a, **k: backup_actions.QMessageBox.StandardButton.Yes)
    _menu_action(window, "&Restore from backup…").trigger()
    qtbot.waitUntil(lambda: bool(reopened) or len(shown) > 1, timeout=60_000)
    assert reopened, shown
    assert reopened == [str(db_path)]
    assert shown[-1][0] == "Restored" and "kept as" in shown[-1][1]
    con = sqlite3.connect(db_path)
    assert con.execute("SELECT family FROM patient WHERE id = 1").fetchone()[0] != "Changed"
    con.close()


def test_a_failed_backup_is_a_sentence(qtbot, engine, sample_pod, tmp_path, monkeypatch):
    from ui import backup_actions

    window = _window(qtbot, engine)
    told = []
    monkeypatch.setattr(backup_actions.QMessageBox, "critical", lambda parent, title, text: told.append((title, text)))
    backup_actions.back_up(window, str(tmp_path / "no-such-folder" / "copy.db"))
    qtbot.waitUntil(lambda: bool(told), timeout=60_000)
    assert told[0][0] == "Backup not made" and "no-such-folder" in told[0][1] and "could not be written" in told[0][1]


def test_opening_a_damaged_database_says_so_and_only_reads(qtbot, demo, tmp_path):
    import shutil

    from PySide6.QtWidgets import QApplication, QMessageBox

    from tests.reliability.conftest import damage
    from ui.app import open_window

    path = tmp_path / "damaged.db"
    shutil.copy(demo, path)
    damage(path)
    # who is using Carepod is settled (no chooser dialog): what is shown next is the point here
    window = open_window(QApplication.instance(), str(path), start=lambda context, as_name: "ready")
    qtbot.addWidget(window)
    boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]
    try:
        assert boxes and boxes[0].windowTitle() == "The database needs attention"
        assert f"{path} is damaged" in boxes[0].text() and "will not write to it" in boxes[0].text()
        assert "found damaged: read only" in window.database_label.text()
    finally:
        for box in boxes:
            box.done(0)
        window.context.tasks.wait_idle()
        window.close()


def test_a_damaged_section_says_so_and_the_window_still_opens(qtbot, demo, tmp_path, monkeypatch):
    """Where the damage lies decides which reads fail: a section whose own rows cannot be read
    shows why in its page, and every other section opens."""
    import shutil

    import sqlalchemy as sa
    from PySide6.QtWidgets import QApplication, QLabel, QMessageBox

    import application.gaps
    from tests.reliability.conftest import damage
    from ui.app import open_window

    path = tmp_path / "damaged.db"
    shutil.copy(demo, path)
    damage(path)

    def unreadable(*_args, **_kwargs):
        raise sa.exc.DatabaseError("SELECT", {}, Exception("database disk image is malformed"))

    monkeypatch.setattr(application.gaps, "gap_periods", unreadable)
    window = open_window(QApplication.instance(), str(path), start=lambda context, as_name: "ready")
    qtbot.addWidget(window)
    boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]
    try:
        page = window.show_section("Gaps")
        message = page.findChild(QLabel, "unreadable_message").text()
        assert "Gaps cannot be shown" in message and "damaged" in message and "Restore from backup" in message
        assert {"Today", "Patients", "Referrals", "Quality"} <= set(window.section_names())
    finally:
        for box in boxes:
            box.done(0)
        window.context.tasks.wait_idle()
        window.close()
