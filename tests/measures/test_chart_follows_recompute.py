"""A chart open while gaps are recomputed shows the new gaps at once (issue 23.3): the recompute's
ChangeSet (any patient) has every open chart read anew, in the period its Gaps tab shows."""
from __future__ import annotations

import pytest

from tests.measures.test_documented_overrides import PERIOD, SHARED
from tests.measures.conftest import import_isolated
from tests.ui.conftest import make_context


@pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")  # offscreen, a shown window
def test_an_open_chart_is_not_stale_after_a_recompute(qtbot, measure_engine):
    from ui.main_window import MainWindow
    from ui.recompute_dialog import RecomputeDialog
    from ui.settings import Settings

    files = sorted((SHARED / "ecqm" / "CMS130" / "cases").glob("*.json"))[:3]
    pid = next(iter(import_isolated(measure_engine, files).values()))
    window = MainWindow(make_context(measure_engine, "Dana Reyes", Settings()))
    qtbot.addWidget(window)
    window.show()
    window.open_chart(pid)
    window.context.tasks.wait_idle()
    view = window.section("Patients").open_charts()[-1]
    tab = view.show_tab("Gaps")
    assert tab.gaps == [] and "No gaps in care have been computed for the pod yet" in tab.empty_label.text()

    dialog = RecomputeDialog(window.context, window, year=PERIOD.start.year)
    qtbot.addWidget(dialog)
    dialog.start()
    window.context.tasks.wait_idle()  # the change set has the chart read anew, in place
    view = window.section("Patients").open_charts()[-1]
    assert view.current_tab_title() == "Gaps"
    tab = view.show_tab("Gaps")
    assert {g.period_end for g in tab.gaps} == {PERIOD.end} and any(g.measure_id == "CMS130" for g in tab.gaps)
    assert tab.empty_label.isHidden() or "No gaps" not in tab.empty_label.text()
