"""The chart's Gaps tab recomputes the patient after an override, so the state changes at once."""
from __future__ import annotations

import pytest

from tests.measures.test_documented_overrides import PERIOD, _open_patients
from tests.ui.conftest import make_context
from tests.ui.override_answers import Answer, declined
from ui.chart_gaps_tab import ChartGapsTab


def _answering(reason: str, kind: str = "declined"):
    return Answer(declined(reason) if kind == "declined" else reason)


def _row(tab):
    row = next(i for i, g in enumerate(tab.gaps) if g.measure_id == "CMS130")
    tab.table.selectRow(row)
    return tab.gaps[row]


def test_declined_shows_excluded_at_once_and_error_reopens(qtbot, measure_engine):
    pid = _open_patients(measure_engine)[0]
    tab = ChartGapsTab(make_context(measure_engine, "nurse.kim"), pid, "Doe, Jo")
    qtbot.addWidget(tab)
    tab.context.tasks.wait_idle()
    tab.reload(PERIOD.end)  # the 2025 cases' period (not this year's)
    tab.context.tasks.wait_idle()
    assert _row(tab).state == "open" and _row(tab).period_end == PERIOD.end
    tab.make_dialog = _answering("Does not want a colonoscopy")
    assert tab.document("declined")
    tab.context.tasks.wait_idle()
    gap = _row(tab)
    assert gap.state == "excluded"
    assert gap.why.startswith("Excluded: Patient declined on ") and "by nurse.kim: Declined colorectal cancer " \
        "screening after discussing its benefits" in gap.why and gap.why.endswith(": Does not want a colonoscopy.")
    tab.make_dialog = _answering("Wrong patient", kind="error")
    assert tab.mark_error()
    tab.context.tasks.wait_idle()
    gap = _row(tab)
    assert gap.state == "open" and gap.why.startswith("Open: no colorectal cancer screening on record")


@pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")  # offscreen, a shown window
def test_the_chart_tab_title_and_the_worklist_follow_an_override(qtbot, measure_engine, db_path):
    """Declining in a chart opened from the window: the tab's count and the Gaps worklist's
    counts change at once, without a filter change or a recompute from the menu (the ChangeSet of
    the documentation reaches both)."""
    from ui.main_window import MainWindow
    from ui.settings import Settings

    pid = _open_patients(measure_engine)[0]
    window = MainWindow(make_context(measure_engine, "nurse.kim", Settings()))
    qtbot.addWidget(window)
    window.show()
    gaps = window.show_section("Gaps")
    window.context.tasks.wait_idle()  # the worklist and its counts are read on the task runner
    open_before = gaps.count_label.text()
    window.open_chart(pid)
    window.context.tasks.wait_idle()
    view = window.section("Patients").open_charts()[-1]
    tab = view.show_tab("Gaps")
    index = view.tab_titles.index("Gaps")
    count = tab.open_count()
    assert view.tabs.tabText(index) == f"Gaps ({count})"
    tab.make_dialog = answer = _answering("Does not want a colonoscopy")
    _row(tab)
    assert tab.document("declined"), answer.messages
    window.context.tasks.wait_idle()  # the change set has the chart read anew, in place
    view = window.section("Patients").open_charts()[-1]
    assert view.current_tab_title() == "Gaps"
    assert view.tabs.tabText(index) == f"Gaps ({count - 1})"
    assert gaps.count_label.text() != open_before
    assert int(gaps.count_label.text().split()[0].replace(",", "")) == \
        int(open_before.split()[0].replace(",", "")) - 1
