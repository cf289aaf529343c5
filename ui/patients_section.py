"""The Patients section: the search page first, then one closable tab per open chart.

Charts stay open side by side as tabs, so a care manager can keep the few patients of
the morning at hand and come back to the search with Ctrl+K or Esc.
"""
from __future__ import annotations

import logging

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QTabBar, QTabWidget, QVBoxLayout, QWidget
from domain.errors import DomainError
from ui import dialogs, shortcuts
from ui.context import AppContext
from ui.patient_search import PatientSearch
from ui.tasks import error_sentence

log = logging.getLogger(__name__)
MAX_OPEN_CHARTS = 12


def _load_chart_modules() -> None:
    """Import the chart's view, tabs and read model with the window, so that opening the first
    chart of the day does not wait for a dozen modules to load (on the UI thread, and on the
    task runner for the read)."""
    import application.care_management  # noqa: F401 (loaded for later)
    import application.chart  # noqa: F401
    import application.risk  # noqa: F401
    from ui.chart_tabs import CHART_TABS
    from ui.chart_view import ChartView  # noqa: F401
    from ui.sections import load_factory

    for spec in CHART_TABS:
        load_factory(spec.factory)


class PatientsSection(QWidget):
    def __init__(self, context: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.setObjectName("patientsSection")
        self.search = PatientSearch(context)
        self.search.chart_requested.connect(self.open_chart)
        self.tabs = QTabWidget(objectName="patientTabs")
        self.tabs.setDocumentMode(True)
        self.tabs.setTabsClosable(True)
        self.tabs.setMovable(False)
        self.tabs.addTab(self.search, "Find patient")
        # the search page stays: no close button on it
        self.tabs.tabBar().setTabButton(0, QTabBar.ButtonPosition.RightSide, None)
        self.tabs.tabBar().setTabButton(0, QTabBar.ButtonPosition.LeftSide, None)
        self.tabs.tabCloseRequested.connect(self._close_tab)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)
        shortcuts.bind(shortcuts.NEXT_CHART, self, lambda: self._step_chart(1))
        shortcuts.bind(shortcuts.PREVIOUS_CHART, self, lambda: self._step_chart(-1))
        shortcuts.bind(shortcuts.PRACTICE_FILTER, self, self._focus_practice)
        _load_chart_modules()
        from application.chart import prepare

        context.tasks.read(lambda job: prepare(context.pod), on_error=lambda _error: None)  # a failure shows at the first chart

    # -- search ----------------------------------------------------------------------------
    def focus_search(self) -> None:
        self.tabs.setCurrentWidget(self.search)
        self.search.focus_search()

    def _focus_practice(self) -> None:
        self.tabs.setCurrentWidget(self.search)
        self.search.practice_combo.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.practice_combo.showPopup()

    # -- charts ------------------------------------------------------------------------------
    def open_charts(self) -> list:
        return [self.tabs.widget(i) for i in range(1, self.tabs.count())]

    def current_chart(self):
        widget = self.tabs.currentWidget()
        return None if widget is self.search else widget

    def open_chart(self, patient_id: int):
        """Show the patient's chart (already open: bring it forward, read anew). Every opening
        is audited: the view is recorded first, then the chart read, on the task runner's
        writer, and the tab appears when both are done. Returns the task."""
        from application.chart import open_chart

        return self.context.tasks.write(lambda job: open_chart(self.context.pod, patient_id),
                                        label="Opening the chart…", parent=self,
                                        on_done=self.show_chart, on_error=self._chart_failed)

    def _chart_failed(self, error: BaseException) -> None:
        if isinstance(error, DomainError):
            dialogs.show_error(self, "Cannot open the chart", str(error))
            return
        log.error("cannot open a chart", exc_info=(type(error), error, error.__traceback__))
        dialogs.show_error(self, "Cannot open the chart", f"The chart could not be read from the database: "
                                                          f"{error_sentence(error)}")

    def show_chart(self, chart):
        """Show a chart that was read (a new tab, or the open one replaced in place)."""
        patient_id = chart.patient.id
        self.context.settings.remember_opened(patient_id)
        for index, view in enumerate(self.open_charts(), start=1):
            if view.patient_id == patient_id:
                # refresh in place so the chart shows what is in the database now
                self._replace(index, chart)
                return self.tabs.widget(index)
        view = self._make_view(chart)
        index = self.tabs.addTab(view, self._tab_title(chart))
        self.tabs.setTabToolTip(index, f"{chart.patient.display_name} · MRN {chart.patient.mrn} · "
                                       f"{chart.practice_name}")
        if len(self.open_charts()) > MAX_OPEN_CHARTS:
            self._close_tab(1)  # the oldest chart
        self.tabs.setCurrentWidget(view)
        view.tabs.setFocus(Qt.FocusReason.OtherFocusReason)
        return view

    def apply_changes(self, changes) -> None:
        """Open charts whose patient's records changed are read again in place."""
        from application.chart import read_chart

        for view in self.open_charts():
            if changes.touches_patient(view.patient_id) and not changes.kinds <= {"audit"}:
                patient_id, period_end = view.patient_id, view.gap_period_end()
                # the Gaps tab stays in the period the user chose
                self.context.tasks.read(lambda job, p=patient_id, e=period_end: read_chart(
                    self.context.pod, p, gap_period_end=e), on_done=self._chart_reread, on_error=lambda _e: None)
        if changes.touches("patients", "risk"):
            self.search.run_search()

    def _chart_reread(self, chart) -> None:
        """A chart read again after a change: replaced where it is, if it is still open."""
        for index, view in enumerate(self.open_charts(), start=1):
            if view.patient_id == chart.patient.id:
                self._replace(index, chart, make_current=self.tabs.currentIndex() == index)

    def _make_view(self, chart):
        from ui.chart_view import ChartView

        view = ChartView(self.context, chart)
        view.close_requested.connect(lambda v=view: self.close_chart(v))
        view.open_patient.connect(self.open_chart)
        return view

    def _replace(self, index: int, chart, make_current: bool = True) -> None:
        old = self.tabs.widget(index)
        tab = old.tabs.currentIndex()
        focused = QApplication.focusWidget()
        kept = _kept_choices(old) if focused is not None and old.isAncestorOf(focused) else None
        view = self._make_view(chart)
        self.tabs.removeTab(index)
        self.tabs.insertTab(index, view, self._tab_title(chart))
        view.tabs.setCurrentIndex(tab)
        old.deleteLater()
        if make_current:
            self.tabs.setCurrentIndex(index)
        if kept is not None:  # the user was working in this chart: she goes on where she was
            _restore_choices(view, *kept)

    @staticmethod
    def _tab_title(chart) -> str:
        p = chart.patient
        return f"{p.family}, {p.given[:1]}." if p.given else p.family

    def close_chart(self, view) -> None:
        index = self.tabs.indexOf(view)
        if index > 0:
            self._close_tab(index)

    def _close_tab(self, index: int) -> None:
        if index <= 0:
            return
        widget = self.tabs.widget(index)
        self.tabs.removeTab(index)
        widget.deleteLater()
        if self.tabs.currentIndex() == 0 or not self.open_charts():
            self.focus_search()

    def _step_chart(self, step: int) -> None:
        count = self.tabs.count()
        self.tabs.setCurrentIndex((self.tabs.currentIndex() + step) % count)

    def save_settings(self, settings) -> None:
        self.search.save_settings(settings)


def _kept_choices(view) -> tuple[dict[str, object], str]:
    """What the user had chosen in a chart about to be read again: the line chosen in each of its
    lists (by the record it stands for) and the list or field she was in (by its name)."""
    from ui.record_list import RecordList

    lists = view.findChildren(RecordList)
    chosen = {r.objectName(): r.current_key() for r in lists if r.objectName() and r.current_key() is not None}
    focused = QApplication.focusWidget()
    owner = next((r for r in lists if r.isAncestorOf(focused)), None)
    return chosen, (owner.objectName() if owner is not None else focused.objectName())


def _restore_choices(view, chosen: dict[str, object], focused: str) -> None:
    """The same lines chosen in the chart read again, and the keyboard back in the same list
    (else in its tab), so the chart's keys (Ctrl+T, Ctrl+D, Alt+N...) act on what she chose."""
    from ui.record_list import RecordList

    lists = {r.objectName(): r for r in view.findChildren(RecordList) if r.objectName()}
    for name, key in chosen.items():
        if name in lists:
            lists[name].select_key(key)
    target = lists.get(focused)
    if target is not None:
        target.tree.setFocus(Qt.FocusReason.OtherFocusReason)
        return
    named = view.findChild(QWidget, focused) if focused else None
    if named is not None and named.isVisibleTo(view):
        named.setFocus(Qt.FocusReason.OtherFocusReason)
    else:
        view.focus_current_tab()
