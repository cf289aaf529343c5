"""The real main window, offscreen, on a small pod: search, practice filter, chart, keys, settings."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QWidget

from storage import schema as t
from ui.chart_view import ChartView
from tests.ui.conftest import make_context, open_chart
from ui.main_window import MainWindow
from ui.settings import Settings


def make_window(qtbot, engine, db_path, user="Dana Reyes") -> MainWindow:
    window = MainWindow(make_context(engine, user))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


@pytest.fixture
def window(qtbot, engine, db_path, sample_pod):
    return make_window(qtbot, engine, db_path)


def patients(window):
    return window.section("Patients")


def listed_names(window) -> list[str]:
    model = patients(window).search.model
    return [model.index(r, 0).data() for r in range(model.rowCount())]


def type_search(qtbot, window, text: str) -> None:
    box = patients(window).search.search_box
    box.clear()
    qtbot.keyClicks(box, text)
    # the search runs after a short pause in typing, on the task runner
    qtbot.waitUntil(lambda: not patients(window).search.searching(), timeout=5000)


def test_only_built_sections_and_status_bar(window, db_path):
    from ui.sections import SECTIONS, load_factory

    # every section whose module is built, in the registry's order, and none other
    assert window.section_names() == [s.name for s in SECTIONS if load_factory(s.factory) is not None]
    assert {"Today", "Patients", "Gaps", "Referrals", "Quality", "Reports",
                                            "After-hours calls"} <= set(window.section_names())
    assert window.database_label.text() == f"Database: {db_path}"
    assert window.user_label.text() == "User: Dana Reyes"


def test_the_window_readies_the_first_chart_for_its_pod(qtbot, engine, db_path, sample_pod, monkeypatch):
    """As the window opens, the chart's statements are run once for no one on the pod it shows
    (application.chart.prepare given the pod), so the day's first chart opens as fast as the next."""
    import application.chart

    readied = []
    monkeypatch.setattr(application.chart, "prepare", lambda pod=None: readied.append(pod))
    window = make_window(qtbot, engine, db_path)
    qtbot.waitUntil(lambda: bool(readied), timeout=5000)
    assert readied == [patients(window).context.pod]


def test_adding_a_section_is_one_call(window, qtbot):
    page = QLabel("notes")
    window.add_section("Notes", page, "Ctrl+0")
    assert window.section_names()[-1] == "Notes"
    assert window.navigation.item(window.navigation.count() - 1).text() == "Notes"
    qtbot.keyClick(window, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert window.stack.currentWidget() is page
    assert ("Ctrl+0", "Go to Notes") in window.section_shortcuts()
    with pytest.raises(ValueError):
        window.add_section("Notes", QWidget())


def test_name_prefix_finds_matches_as_you_type(window, qtbot):
    type_search(qtbot, window, "smi")
    assert listed_names(window) == ["Smith, Joan", "Smith, John", "Smithers, Jo"]
    assert "3 patients match" in patients(window).search.summary.text()
    type_search(qtbot, window, "jo smith")
    assert listed_names(window) == ["Smith, Joan", "Smith, John", "Smithers, Jo"]
    type_search(qtbot, window, "smith, joh")
    assert listed_names(window) == ["Smith, John"]


def test_row_shows_every_column(window, qtbot):
    type_search(qtbot, window, "okafor")
    model = patients(window).search.model
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert headers == ["Name", "DOB", "Age", "Sex", "MRN", "Practice", "Phone", "PCP", "Risk tier"]
    cells = [model.index(0, c).data() for c in range(model.columnCount())]
    assert cells[0] == "Okafor, Grace" and cells[1] == "02/28/1951" and cells[3] == "Female"
    assert cells[4:] == ["M001", "Oak Family Medicine", "(617) 555-0147", "Ravi Patel, MD", "High"]
    assert cells[2].endswith(" y") and int(cells[2][:-2]) >= 75
    assert "Two admissions" in model.index(0, 8).data(Qt.ItemDataRole.ToolTipRole)


@pytest.mark.parametrize("text, expected", [
    ("M002", ["Smith, John"]),
    ("m00", ["Okafor, Grace", "Smith, John", "Smithers, Jo"]),
    ("3/4/1957", ["Smith, John"]),
    ("1957-03-04", ["Smith, John"]),
    ("03041957", ["Smith, John"]),
    ("1234", ["Smithers, Jo"]),
    ("617-555-0147", ["Okafor, Grace"]),
    ("nobody", []),
])
def test_mrn_birth_date_and_phone(window, qtbot, text, expected):
    type_search(qtbot, window, text)
    assert listed_names(window) == expected


def test_no_match_says_so(window, qtbot):
    type_search(qtbot, window, "qqq")
    assert patients(window).search.summary.text() == "No patient matches “qqq”."


def test_practice_filter(window, qtbot, sample_pod):
    search = patients(window).search
    search.set_practice(sample_pod.elm)
    qtbot.waitUntil(lambda: not search.searching(), timeout=5000)
    type_search(qtbot, window, "smi")
    assert listed_names(window) == ["Smith, Joan"]
    assert "in Elm Street Clinic (ELM)" in search.summary.text()
    search.set_practice(None)  # re-searches at once
    qtbot.waitUntil(lambda: not search.searching(), timeout=5000)
    assert listed_names(window) == ["Smith, Joan", "Smith, John", "Smithers, Jo"]


def test_enter_opens_the_chart_and_audits_the_view(window, qtbot, engine, sample_pod):
    type_search(qtbot, window, "okafor")
    table = patients(window).search.table
    table.setFocus()
    qtbot.keyClick(table, Qt.Key.Key_Return)
    window.context.tasks.wait_idle()
    chart = patients(window).current_chart()
    assert isinstance(chart, ChartView) and chart.patient_id == sample_pod.grace
    header = chart.header.values
    assert header["MRN"].text() == "M001"
    assert header["DOB"].text() == "02/28/1951"
    assert header["PCP"].text() == "Ravi Patel, MD"
    assert header["Payer"].text() == "Medicare Advantage · MA-99812"
    assert header["Consent"].text() == "01/05/2026 by Dana Reyes"
    assert chart.header.risk.text() == "High risk (set by hand)"
    assert "Two admissions this winter" in chart.header.risk.toolTip()
    with engine.connect() as conn:
        views = conn.execute(sa.select(t.audit_event.c.actor, t.audit_event.c.patient_id)
                             .where(t.audit_event.c.action == "view")).all()
    assert views == [("Dana Reyes", sample_pod.grace)]


def test_enter_in_the_search_box_opens_the_first_match(window, qtbot, sample_pod):
    box = patients(window).search.search_box
    qtbot.keyClicks(box, "smithers")
    qtbot.keyClick(box, Qt.Key.Key_Return)  # before the pause: searches first, then opens
    window.context.tasks.wait_idle()
    assert patients(window).current_chart().patient_id == sample_pod.jo


def test_summary_shows_the_latest_values(window, qtbot, sample_pod):
    chart = open_chart(patients(window), sample_pod.grace)
    summary = chart.show_tab("Summary")
    observations = summary.findChild(QWidget, "latest_observations").rows()
    assert observations == [("HbA1c", "8.1 %", "02/10/2026"), ("Blood pressure", "142/88 mmHg", "02/10/2026"),
                            ("BMI", "31.4 kg/m²", "02/10/2026"), ("Tobacco", "Ex-smoker", "02/10/2026"),
                            ("PHQ-9", "Not on record", "")]
    conditions = summary.findChild(QWidget, "active_conditions").rows()
    assert [c[0] for c in conditions] == ["Type 2 diabetes mellitus"]  # the resolved asthma is not active
    medications = summary.findChild(QWidget, "active_medications").rows()
    assert [m[0] for m in medications] == ["Metformin 500 MG Extended Release Oral Tablet"]
    assert summary.findChild(QWidget, "allergies").rows()[0][0] == "Allergy to penicillin"
    texts = [label.text() for label in summary.findChildren(QLabel)]
    assert "Medicare Advantage · member MA-99812" in texts
    assert any(text.startswith("High — set by hand: Two admissions this winter") for text in texts)


def test_tabs_show_records_with_their_history(window, qtbot, sample_pod):
    chart = open_chart(patients(window), sample_pod.grace)
    titles = [chart.tabs.tabText(i) for i in range(chart.tabs.count())]
    assert titles[0] == "Summary" and titles[1].startswith("Gaps")  # the measures' tab, when built
    assert titles[2:] == ["Encounters (1)", "Referrals (1)", "Calls (1)", "Medications && reviews (1)",
                          "Care plan (1)", "Time", "Activity"]
    referrals = chart.show_tab("Referrals").findChild(QWidget, "referrals_and_their_history")
    assert referrals.rows()[0][1:5] == ("Cardiology", "Palpitations", "Routine", "Sent")
    assert [r[4] for r in referrals.child_rows(0)] == ["Ordered → Sent", "New → Ordered"]
    reviews = chart.show_tab("Medications & reviews").findChild(QWidget, "medication_reviews")
    assert reviews.child_rows(0)[0][1:4] == ("Adherence", "Misses evening doses (Metformin)",
                                              "Switch to once-daily morning dosing")
    plan = chart.show_tab("Care plan").findChild(QWidget, "care_plans")
    assert [r[1] for r in plan.child_rows(0)] == ["Goal: HbA1c below 8%", "Intervention: Monthly check-in call"]
    ccm = chart.show_tab("Time").findChild(QWidget, "ccm_months")
    assert ("February 2026", "25", "", "99490", "15 min to 99439", "") in ccm.rows()
    activity = chart.show_tab("Activity")
    audit = activity.findChild(QWidget, "audit_trail").rows()
    assert audit[0][1:3] == ("Dana Reyes", "View")


def test_empty_tabs_say_so(window, qtbot, sample_pod):
    chart = open_chart(patients(window), sample_pod.empty)
    referrals = chart.show_tab("Referrals").findChild(QWidget, "referrals_and_their_history")
    assert referrals.is_empty() and referrals.empty.text() == "No referrals on record"
    calls = chart.show_tab("Calls").findChild(QWidget, "after_hours_calls")
    assert calls.empty.text() == "No after-hours calls on record"
    summary = chart.show_tab("Summary")
    assert summary.findChild(QWidget, "active_conditions").empty.text() == "No active conditions on record"
    assert chart.header.values["PCP"].text() == "None attributed"


def test_keyboard_close_next_tab_and_search_from_anywhere(window, qtbot, sample_pod):
    section = patients(window)
    chart = open_chart(section, sample_pod.grace)
    section.context.tasks.wait_idle()  # what opening the chart set off is done
    # the chart's keys work in the active window (an earlier test's window may still be the
    # active one in this process)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5000)
    chart.tabs.setFocus()
    qtbot.keyClick(chart.tabs, Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier)
    assert chart.current_tab_title() == chart.tab_titles[1]
    qtbot.keyClick(chart.tabs, Qt.Key.Key_PageUp, Qt.KeyboardModifier.ControlModifier)
    assert chart.current_tab_title() == "Summary"
    qtbot.keyClick(chart.tabs, Qt.Key.Key_Tab, Qt.KeyboardModifier.ControlModifier)
    assert chart.current_tab_title() == chart.tab_titles[1]
    qtbot.keyClick(chart.tabs, Qt.Key.Key_Backtab,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert chart.current_tab_title() == "Summary"
    assert section.tabs.currentWidget() is chart  # the chart's own tabs moved, not the open charts
    qtbot.keyClick(chart.tabs, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    assert section.tabs.currentWidget() is section.search
    assert QApplication.focusWidget() is section.search.search_box
    section.tabs.setCurrentWidget(chart)
    chart.tabs.setFocus()
    qtbot.keyClick(chart.tabs, Qt.Key.Key_Escape)
    assert section.open_charts() == []
    assert QApplication.focusWidget() is section.search.search_box
    other = open_chart(section, sample_pod.john)
    qtbot.keyClick(other.tabs, Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier)
    assert section.open_charts() == []


def test_f3_switches_section_and_focuses_search(window, qtbot):
    window.show_section("Reports")
    qtbot.keyClick(window, Qt.Key.Key_F3)
    assert window.current_section_name() == "Patients"
    assert QApplication.focusWidget() is patients(window).search.search_box


def test_opening_again_refreshes_the_same_tab(window, qtbot, sample_pod):
    section = patients(window)
    open_chart(section, sample_pod.john)
    open_chart(section, sample_pod.grace)
    open_chart(section, sample_pod.john)
    assert [c.patient_id for c in section.open_charts()] == [sample_pod.john, sample_pod.grace]
    assert section.current_chart().patient_id == sample_pod.john


def test_empty_search_lists_recently_opened_charts(window, qtbot, sample_pod):
    section = patients(window)
    open_chart(section, sample_pod.john)
    open_chart(section, sample_pod.grace)
    type_search(qtbot, window, "x")
    section.search.search_box.clear()
    section.search.run_search()
    qtbot.waitUntil(lambda: not section.search.searching(), timeout=5000)
    assert listed_names(window) == ["Okafor, Grace", "Smith, John"]
    assert section.search.summary.text() == "Recently opened charts"


def test_settings_are_remembered_across_windows(qtbot, engine, db_path, sample_pod):
    first = make_window(qtbot, engine, db_path, user="Sam Ortiz")
    first.resize(first.width(), 523)  # within the offscreen screen (800x600)
    patients(first).search.set_practice(sample_pod.elm)
    open_chart(patients(first), sample_pod.joan)
    first.close()
    second = MainWindow(make_context(engine, user="", settings=Settings()))
    qtbot.addWidget(second)
    assert second.size().height() == 523
    assert patients(second).search.practice_combo.currentData() == sample_pod.elm
    assert second.user_label.text() == "User: Sam Ortiz"
    qtbot.waitUntil(lambda: not patients(second).search.searching(), timeout=5000)
    assert listed_names(second) == ["Smith, Joan"]  # recently opened


def test_help_lists_the_shortcuts(window):
    from ui.dialogs import ShortcutsDialog

    dialog = ShortcutsDialog(window.section_shortcuts(), window)
    rows = dict((action, keys) for keys, action in dialog.rows())
    assert "Ctrl+K" in rows["Find a patient (from anywhere)"] and "F3" in rows["Find a patient (from anywhere)"]
    assert "Esc" in rows["Close the chart"]
    assert "Ctrl+PgDown" in rows["Next tab of the chart"]
    assert rows["Go to Patients"] == "Ctrl+2"
    dialog.close()


def test_model_contract(qtmodeltester, engine, sample_pod):
    from storage.queries.patients import search_patients
    from ui.patient_table_model import PatientTableModel

    model = PatientTableModel(lambda text, ids, limit, offset: search_patients(engine, text, ids, limit, offset),
                              page_size=2)
    model.search("smi", None)
    assert model.rowCount() == 2 and model.canFetchMore()
    qtmodeltester.check(model)
    model.fetchMore()
    assert model.rowCount() == 3 and not model.canFetchMore()
    assert model.index(5, 0).data() is None
    assert model.data(model.index(0, 99)) is None


def test_a_failing_search_is_a_message_not_a_crash(qtmodeltester):
    from ui.patient_table_model import PatientTableModel

    def broken(*_args):
        raise sa.exc.OperationalError("SELECT", {}, Exception("database is locked"))

    model = PatientTableModel(broken)
    model.search("smith", None)
    assert model.rowCount() == 0 and not model.canFetchMore()
    assert "database is locked" in model.error
    qtmodeltester.check(model)


def test_a_slow_open_shows_a_busy_notice_and_hands_back_the_engine(qtbot):
    """An older database is upgraded before the window opens (a minute at a million
    patients): meanwhile a dialog says so instead of a window that seems hung."""
    import threading

    from PySide6.QtWidgets import QApplication, QProgressDialog

    from ui.app import OPENING_NOTICE_AFTER_S, open_showing_progress

    seen, release = [], threading.Event()

    def look() -> None:
        seen.extend(w.labelText() for w in QApplication.topLevelWidgets()
                    if isinstance(w, QProgressDialog) and w.isVisible())
        release.set()

    def slow_open(path):
        assert release.wait(10)  # until the dialog has been looked at
        return f"engine of {path}"

    from PySide6.QtCore import QTimer

    QTimer.singleShot(int(OPENING_NOTICE_AFTER_S * 1000) + 300, look)
    assert open_showing_progress(slow_open, "/tmp/old-pod.db") == "engine of /tmp/old-pod.db"
    assert len(seen) == 1 and "Opening old-pod.db…" in seen[0]
    assert "brought up to date" in seen[0]
    assert not any(isinstance(w, QProgressDialog) and w.isVisible() for w in QApplication.topLevelWidgets())


def test_an_open_that_fails_raises_its_error_with_no_dialog_left(qtbot):
    import pytest

    from storage.queries.database import NotACarepodDatabase
    from ui.app import open_showing_progress

    def refuse(path):
        raise NotACarepodDatabase(f"{path} is not a Carepod database")

    with pytest.raises(NotACarepodDatabase, match="x.db is not"):
        open_showing_progress(refuse, "x.db")


def test_the_window_opens_on_a_database_of_an_earlier_version(qtbot, db_path):
    from storage.db import create_engine
    from storage.migrate import HEAD, current_revision, upgrade_to
    from ui.app import open_window

    old = create_engine(db_path)
    upgrade_to(old, "0007")
    old.dispose()
    from PySide6.QtWidgets import QApplication

    # who is using Carepod is settled by the first-run dialogs (tests/ui/test_first_run.py)
    window = open_window(QApplication.instance(), str(db_path), start=lambda context, as_name: "ready")
    qtbot.addWidget(window)
    assert window is not None and window.isVisible()
    assert current_revision(window.context.pod.engine) == HEAD


def test_a_long_risk_reason_and_payer_wrap_whole_in_the_summary(qtbot, engine, db_path, sample_pod):
    """At 1366 × 768 a hand-set risk tier's reason and a long payer line wrap onto as many lines
    as they need: no line of them is cut off."""
    from PySide6.QtWidgets import QLabel

    from tests.ui.conftest import open_chart

    with engine.begin() as conn:
        conn.execute(sa.update(t.patient).where(t.patient.c.id == sample_pod.grace).values(
            member_id="9UR6WW9AC81-0042", risk_override="high",
            risk_override_reason="New cancer diagnosis, treatment starting next week at the regional "
                                 "oncology centre; daughter is the main contact"))
    window = make_window(qtbot, engine, db_path)
    window.resize(1366, 768)
    window.show_section("Patients")
    view = open_chart(patients(window), sample_pod.grace)
    qtbot.wait(50)
    wrapped = [label for label in view.findChildren(QLabel)
               if label.isVisible() and label.wordWrap() and label.text()]
    risk = next(label for label in wrapped if "set by hand: New cancer diagnosis" in label.text())
    assert risk.height() >= risk.heightForWidth(risk.width()) > risk.fontMetrics().height() * 2
    cut = [label.text()[:40] for label in wrapped if label.height() + 2 < label.heightForWidth(label.width())]
    assert cut == []
