"""The chart's Gaps tab: each measure's state for the current period, why, and its history.

Nothing here types a result: the only things a person records are a documented
exclusion or "patient declined" (with a reason), and marking one of those
entered-in-error. Both are use cases of ``application.gaps``, run on the task runner's
writer; their ChangeSet has the open chart read anew.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QHBoxLayout, QHeaderView, QLabel, QPushButton, QSplitter, QTableWidget,
    QTableWidgetItem, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget,
)
from application import gaps as q
from domain.errors import DomainError
from domain.gaps import STATE_LABELS
from domain.measures.explain import override_label
from ui import format as fmt
from ui.gap_override_dialog import GapOverrideDialog
from ui.gaps_model import STATE_COLOURS
from ui.tables import make_read_only_list

COLUMNS = ("Measure", "State", "Why", "Due", "Last outreach")
WHY = 2
MEASURE_WIDTH = 250


def _measure_label(gap: q.PatientGap) -> str:
    group = f" · {gap.group_index + 1}" if gap.group_index else ""
    return f"{gap.measure_id}{group} {gap.measure_title}"


class ChartGapsTab(QWidget):
    changed = Signal()  # an override was documented or marked entered-in-error (and saved)

    def __init__(self, context, patient_id: int, patient_name: str = "",
                 gaps: list[q.PatientGap] | None = None, history: list[q.GapHistoryEntry] | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("chartGapsTab")
        self.context, self.patient_id = context, patient_id
        self.patient_name = patient_name or "the patient"
        # a dialog factory tests can replace; the real one is modal
        self.make_dialog = GapOverrideDialog
        self.gaps: list[q.PatientGap] = []
        self._history: list[q.GapHistoryEntry] = []

        title = QLabel("Gaps in care — current period")
        title.setProperty("role", "sectionTitle")
        self.empty_label = QLabel("No gaps in care computed for this patient yet.")
        self.empty_label.setProperty("role", "empty")
        self.table = QTableWidget(0, len(COLUMNS), objectName="chartGapsTable")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        make_read_only_list(self.table)
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        for column in range(len(COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        # long measure titles wrap in a fixed column; the explanation gets the rest of the width
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(0, MEASURE_WIDTH)
        header.setSectionResizeMode(WHY, QHeaderView.ResizeMode.Stretch)
        # wrapped text needs its row height again whenever a column's width changes
        header.sectionResized.connect(lambda *_: self.table.resizeRowsToContents())
        self.table.itemSelectionChanged.connect(self._selection_changed)

        self.exclusion_button = QPushButton("Document exclusion…", objectName="documentExclusion")
        self.declined_button = QPushButton("Patient declined…", objectName="documentDeclined")
        self.error_button = QPushButton("Mark documentation entered in error…", objectName="markOverrideError")
        self.exclusion_button.clicked.connect(lambda: self.document("exclusion"))
        self.declined_button.clicked.connect(lambda: self.document("declined"))
        self.error_button.clicked.connect(self.mark_error)
        buttons = QHBoxLayout()
        for button in (self.exclusion_button, self.declined_button, self.error_button):
            buttons.addWidget(button)
        buttons.addStretch(1)

        history_title = QLabel("History")
        history_title.setProperty("role", "sectionTitle")
        self.history = QTreeWidget(objectName="chartGapsHistory")
        self.history.setHeaderLabels(["When", "Measure", "Change"])
        self.history.setRootIsDecorated(False)
        self.history.setAlternatingRowColors(True)
        self.history.setUniformRowHeights(True)

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(title)
        top_layout.addWidget(self.empty_label)
        top_layout.addWidget(self.table, 1)
        top_layout.addLayout(buttons)
        bottom = QWidget()
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        bottom_layout.addWidget(history_title)
        bottom_layout.addWidget(self.history, 1)
        splitter = QSplitter(Qt.Orientation.Vertical, objectName="chartGapsSplitter")
        splitter.addWidget(top)
        splitter.addWidget(bottom)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 12)
        layout.addWidget(splitter)
        self.show_gaps(gaps or [], history or [])
        if gaps is None:  # a tab on its own, not made from a chart read model
            self.reload()

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        # rows built while the tab was hidden were measured against a too-narrow column;
        # measure them again once the table has its real width
        super().showEvent(event)
        QTimer.singleShot(0, self.table.resizeRowsToContents)

    # -- reading ---------------------------------------------------------------------------
    def open_count(self) -> int:
        """The number the chart shows in this tab's title."""
        return sum(1 for g in self.gaps if g.state == "open")

    def show_gaps(self, gaps: list[q.PatientGap], history: list[q.GapHistoryEntry]) -> None:
        selected = self.selected_gap()
        self.gaps, self._history = gaps, history
        self.table.setRowCount(len(self.gaps))
        for row, gap in enumerate(self.gaps):
            cells = (_measure_label(gap), STATE_LABELS.get(gap.state, gap.state), gap.why,
                     fmt.date(gap.due_date), fmt.local_datetime(gap.last_outreach_at))
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(gap.why if column == WHY else text)
                if column == 1:
                    item.setForeground(QBrush(QColor(STATE_COLOURS.get(gap.state, "#1f2a33"))))
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.table.setItem(row, column, item)
        self.table.resizeRowsToContents()
        self.table.setVisible(bool(self.gaps))
        self.empty_label.setVisible(not self.gaps)
        if self.gaps:
            ids = [g.gap_id for g in self.gaps]
            self.table.selectRow(ids.index(selected.gap_id) if selected and selected.gap_id in ids else 0)
        self._fill_history()
        self._selection_changed()

    def _fill_history(self) -> None:
        self.history.clear()
        entries = self._history
        for entry in entries:
            self.history.addTopLevelItem(QTreeWidgetItem([fmt.local_datetime(entry.at), entry.measure_id,
                                                          entry.text]))
        if not entries:
            self.history.addTopLevelItem(QTreeWidgetItem(["", "", "No changes on record"]))
        for column in range(2):
            self.history.resizeColumnToContents(column)
            self.history.setColumnWidth(column, self.history.columnWidth(column) + 18)

    def selected_gap(self) -> q.PatientGap | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows or rows[0].row() >= len(self.gaps):
            return None
        return self.gaps[rows[0].row()]

    def _active_override(self, gap: q.PatientGap | None):
        return next((o for o in gap.overrides if not o.entered_in_error), None) if gap else None

    def _selection_changed(self) -> None:
        gap = self.selected_gap()
        # only an open gap is closed out by documentation: a met, excluded or not-applicable one
        # has nothing to exclude (and a second note on an excluded one would say it twice)
        documentable = gap is not None and gap.state == "open"
        for button in (self.exclusion_button, self.declined_button):
            button.setEnabled(documentable)
            button.setToolTip("" if documentable or gap is None else "Only an open gap can be documented; "
                              f"this one is {STATE_LABELS.get(gap.state, gap.state).lower()}.")
        self.error_button.setEnabled(self._active_override(gap) is not None)

    # -- documenting -------------------------------------------------------------------------
    def document(self, kind: str) -> bool:
        """Ask for the reason and keep a documented exclusion or refusal of the selected gap."""
        gap = self.selected_gap()
        if gap is None or gap.state != "open":
            return False
        return self._ask(kind, gap, lambda reason: q.document_override(
            self.context.pod, patient_id=self.patient_id, measure_id=gap.measure_id,
            period_start=gap.period_start, period_end=gap.period_end, kind=kind, reason=reason))

    def mark_error(self) -> bool:
        gap = self.selected_gap()
        override = self._active_override(gap)
        if override is None:
            return False
        return self._ask("error", gap, lambda reason: q.mark_override_entered_in_error(
            self.context.pod, override_id=override.id, patient_id=self.patient_id, measure_id=gap.measure_id,
            period_start=gap.period_start, period_end=gap.period_end, reason=reason),
            f"{override_label(override.kind).lower()} for ")

    def _ask(self, kind: str, gap: q.PatientGap, use_case, prefix: str = "") -> bool:
        """The dialog asks for the reason; on OK the use case runs on the writer (it saves and
        recomputes the gap) while the dialog waits. A rule broken (no reason) keeps the dialog
        open with the message; nothing is saved."""
        def submit(reason: str) -> str | None:
            task = self.context.tasks.write(lambda job: use_case(reason), label="Saving…", parent=self,
                                            on_error=lambda _e: None)
            self.context.tasks.wait_for(task)
            if isinstance(task.error, DomainError):
                return str(task.error)
            if task.error is not None:
                return f"It could not be saved: {task.error}"
            return None

        dialog = self.make_dialog(kind, prefix + _measure_label(gap), self.patient_name, submit, self)
        if not dialog.exec():
            return False
        self.reload()
        self.changed.emit()
        return True

    def reload(self):
        """Read this patient's gaps and history again (in the background) and show them."""
        pod, patient_id = self.context.pod, self.patient_id
        return self.context.tasks.read(
            lambda job: (q.patient_gaps(pod, patient_id), q.patient_gap_history(pod, patient_id)),
            parent=self, on_done=lambda result: self.show_gaps(*result))


def chart_gaps_tab(context, chart):
    """The chart's tab factory (``ui.chart_tabs.CHART_TABS``): (widget, number of open gaps)."""
    patient = chart.patient
    tab = ChartGapsTab(context, patient.id, patient.display_name, chart.gaps, chart.gap_history)
    return tab, tab.open_count()
