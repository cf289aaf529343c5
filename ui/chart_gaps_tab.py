"""The chart's Gaps tab: each measure's state for the current period, why, and its history.

Nothing here types a result: the only things a person records are a documented
exclusion or "patient declined" (with a reason), and marking one of those
entered-in-error. Both go through ``domain.services`` with a unit of work.
"""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QHBoxLayout, QHeaderView, QLabel, QPushButton, QSplitter, QTableWidget,
    QTableWidgetItem, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget,
)
from sqlalchemy.engine import Engine

from domain import services
from domain.errors import DomainError
from domain.gaps import STATE_LABELS
from domain.measures.explain import override_label
from domain.measures.period import MeasurementPeriod
from storage.measures.recompute import recompute_for_patients
from storage.queries import gaps as q
from storage.uow import UnitOfWork
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
    changed = Signal()  # an override was documented or marked entered-in-error

    def __init__(self, engine: Engine, actor: str | Callable[[], str], patient_id: int,
                 patient_name: str = "", parent: QWidget | None = None,
                 recompute: Callable[..., object] | None = None):
        super().__init__(parent)
        self.setObjectName("chartGapsTab")
        self.engine, self.patient_id = engine, patient_id
        # recompute_for_patients in the app: a documented override changes the gap's state
        # at once (about 0.3 s for one patient); None keeps the stored states (screens of fixtures)
        self.recompute = recompute
        self.patient_name = patient_name or "the patient"
        self._actor = actor if callable(actor) else (lambda: actor)
        # a dialog factory tests can replace; the real one is modal
        self.make_dialog = GapOverrideDialog
        self.gaps: list[q.PatientGap] = []

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
        self.refresh()

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        # rows built while the tab was hidden were measured against a too-narrow column;
        # measure them again once the table has its real width
        super().showEvent(event)
        QTimer.singleShot(0, self.table.resizeRowsToContents)

    # -- reading ---------------------------------------------------------------------------
    def open_count(self) -> int:
        """The number the chart shows in this tab's title."""
        return sum(1 for g in self.gaps if g.state == "open")

    def refresh(self) -> None:
        selected = self.selected_gap()
        self.gaps = q.patient_gaps(self.engine, self.patient_id)
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
        entries = q.patient_gap_history(self.engine, self.patient_id)
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
    def _run(self, action: Callable[[UnitOfWork], None]) -> str | None:
        """Run one service in its own unit of work: None when kept, else the message to show."""
        try:
            with UnitOfWork(self.engine, self._actor()) as uow:
                action(uow)
        except DomainError as exc:
            return str(exc)
        return None

    def document(self, kind: str) -> bool:
        """Ask for the reason and keep a documented exclusion or refusal of the selected gap."""
        gap = self.selected_gap()
        if gap is None or gap.state != "open":
            return False

        def submit(reason: str) -> str | None:
            return self._run(lambda uow: services.document_gap_override(
                uow, patient_id=self.patient_id, measure_id=gap.measure_id,
                period_start=gap.period_start, period_end=gap.period_end, kind=kind, reason=reason))

        return self._ask(kind, gap, submit)

    def mark_error(self) -> bool:
        gap = self.selected_gap()
        override = self._active_override(gap)
        if override is None:
            return False

        def submit(reason: str) -> str | None:
            return self._run(lambda uow: services.mark_entered_in_error(
                uow, "gap_overrides", override.id, reason=reason))

        return self._ask("error", gap, submit, f"{override_label(override.kind).lower()} for ")

    def _ask(self, kind: str, gap: q.PatientGap, submit, prefix: str = "") -> bool:
        dialog = self.make_dialog(kind, prefix + _measure_label(gap), self.patient_name, submit, self)
        if not dialog.exec():
            return False
        if self.recompute is not None:
            self.recompute(self.engine, [self.patient_id], MeasurementPeriod(gap.period_start, gap.period_end),
                           measure_ids=[gap.measure_id])
        self.refresh()
        self.changed.emit()
        return True


def chart_gaps_tab(context, chart):
    """The chart's tab factory (``ui.chart_tabs.CHART_TABS``): (widget, number of open gaps)."""
    patient = chart.patient
    tab = ChartGapsTab(context.engine, lambda: context.user, patient.id, patient.display_name,
                       recompute=recompute_for_patients)
    return tab, tab.open_count()
