"""The chart's Gaps tab: each measure's state for one measurement period, why, and its history.

One period at a time, never a mix: the current one (containing today) by default, the others
from a chooser (read on the task runner). The title says which period is shown.

Nothing here types a result: the only things a person records are a documented
exclusion or "patient declined" (a reason from the measure's list, a note, the date it applies
from, its source), and marking one of those entered-in-error. Both are use cases of
``application.gaps``, run on the task runner's writer; their ChangeSet has the open chart read
anew (in the same period).
"""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QComboBox, QHBoxLayout, QHeaderView, QLabel, QPushButton, QSplitter, QTableWidget,
    QTableWidgetItem, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget,
)
from application import gaps as q
from domain.clock import today
from domain.gaps import STATE_LABELS
from domain.measures.documented_reasons import reasons_for
from domain.measures.explain import override_label
from ui import format as fmt
from ui.gap_override_dialog import GapOverrideDialog, OverrideAnswer
from ui.saving import save_and_wait
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
    count_changed = Signal(int)  # the open gaps of the period now shown (the chart's tab title)

    def __init__(self, context, patient_id: int, patient_name: str = "",
                 view: q.PatientGapsView | None = None, history: list[q.GapHistoryEntry] | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("chartGapsTab")
        self.context, self.patient_id = context, patient_id
        self.patient_name = patient_name or "the patient"
        # a dialog factory tests can replace; the real one is modal
        self.make_dialog = GapOverrideDialog
        self.gaps: list[q.PatientGap] = []
        self.view: q.PatientGapsView | None = None
        self._history: list[q.GapHistoryEntry] = []

        self.title = QLabel("Gaps in care", objectName="chartGapsTitle")
        self.title.setProperty("role", "sectionTitle")
        self.period_combo = QComboBox(objectName="chartGapsPeriod")
        self.period_combo.setToolTip("The measurement period shown: one at a time, the current one first")
        self.period_combo.activated.connect(self._period_chosen)
        period_label = QLabel("&Period:")
        period_label.setBuddy(self.period_combo)
        self.empty_label = QLabel(objectName="chartGapsNote")
        self.empty_label.setProperty("role", "empty")
        self.empty_label.setWordWrap(True)
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

        heading = QHBoxLayout()
        heading.addWidget(self.title)
        heading.addStretch(1)
        heading.addWidget(period_label)
        heading.addWidget(self.period_combo)
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addLayout(heading)
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
        self.show_gaps(view, history or [])
        if view is None:  # a tab on its own, not made from a chart read model
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

    def chosen_period_end(self):
        """The end of the period shown (None: nothing computed yet)."""
        return self.view.period[1] if self.view is not None and self.view.period else None

    def _show_period(self, view: q.PatientGapsView | None) -> None:
        self.period_combo.blockSignals(True)
        self.period_combo.clear()
        on = today()
        for start, end in (view.periods if view else []):
            current = start <= on <= end
            text = (str(start.year) if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31)
                    and start.year == end.year else f"{fmt.date(start)} – {fmt.date(end)}")
            self.period_combo.addItem(text + (" (current)" if current else ""), end)
        chosen = self.chosen_period_end()
        index = next((i for i in range(self.period_combo.count()) if self.period_combo.itemData(i) == chosen), -1)
        self.period_combo.setCurrentIndex(index)
        self.period_combo.setEnabled(self.period_combo.count() > 1)
        self.period_combo.blockSignals(False)
        if view is None or view.period is None:
            self.title.setText("Gaps in care")
            return
        start, end = view.period
        self.title.setText(f"Gaps in care — {view.period_label}"
                           + (" (current)" if view.current else f" ({fmt.date(start)} – {fmt.date(end)})"
                              if view.period_label.startswith("Measurement year") else ""))

    def _period_chosen(self, index: int) -> None:
        period_end = self.period_combo.itemData(index)
        if period_end is not None and period_end != self.chosen_period_end():
            self.reload(period_end)

    def show_gaps(self, view: q.PatientGapsView | None, history: list[q.GapHistoryEntry]) -> None:
        selected = self.selected_gap()
        self.view = view
        gaps = view.gaps if view is not None else []
        self.gaps, self._history = gaps, history
        self._show_period(view)
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
        note = view.note if view is not None else ""
        self.empty_label.setText(note or "No gaps in care computed for this patient yet.")
        self.empty_label.setVisible(bool(note) or not self.gaps)
        self.empty_label.setProperty("role", "empty" if not self.gaps else "hint")
        self.empty_label.style().unpolish(self.empty_label)
        self.empty_label.style().polish(self.empty_label)
        if self.gaps:
            ids = [g.gap_id for g in self.gaps]
            self.table.selectRow(ids.index(selected.gap_id) if selected and selected.gap_id in ids else 0)
        self._fill_history()
        self._selection_changed()
        self.count_changed.emit(self.open_count())  # the chart's tab title follows the period shown

    def _fill_history(self) -> None:
        """The changes of the period shown (each says its period too)."""
        self.history.clear()
        shown = self.chosen_period_end()
        entries = [e for e in self._history if shown is None or e.period_end in (None, shown)]
        for entry in entries:
            self.history.addTopLevelItem(QTreeWidgetItem([fmt.local_datetime(entry.at), entry.measure_id,
                                                          entry.text]))
        if not entries:
            self.history.addTopLevelItem(QTreeWidgetItem(["", "", "No changes on record for this period"
                                                          if self._history else "No changes on record"]))
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
        """Ask for the reason, date and source, and keep a documented exclusion or refusal of
        the selected gap."""
        gap = self.selected_gap()
        if gap is None or gap.state != "open":
            return False
        return self._ask(kind, gap, lambda answer: q.document_override(
            self.context.pod, patient_id=self.patient_id, measure_id=gap.measure_id,
            period_start=gap.period_start, period_end=gap.period_end, kind=kind,
            reason_code=answer.reason_code, reason=answer.note, applies_from=answer.applies_from,
            source=answer.source, confirm_past_period=answer.confirmed_past_period))

    def mark_error(self) -> bool:
        gap = self.selected_gap()
        override = self._active_override(gap)
        if override is None:
            return False
        return self._ask("error", gap, lambda answer: q.mark_override_entered_in_error(
            self.context.pod, override_id=override.id, patient_id=self.patient_id, measure_id=gap.measure_id,
            period_start=gap.period_start, period_end=gap.period_end, reason=answer.note),
            f"{override_label(override.kind).lower()} for ")

    def _ask(self, kind: str, gap: q.PatientGap, use_case, prefix: str = "") -> bool:
        """The dialog asks for the reason; on OK the use case runs on the writer (it saves and
        recomputes the gap) while the dialog waits. A rule broken (no reason) keeps the dialog
        open with the message; nothing is saved."""
        def submit(answer: OverrideAnswer) -> str | None:
            return save_and_wait(self.context, lambda: use_case(answer), parent=self)[1]

        reasons = reasons_for(gap.measure_id, kind) if kind != "error" else None
        dialog = self.make_dialog(kind, prefix + _measure_label(gap), self.patient_name, submit, self,
                                  reasons=reasons, period=(gap.period_start, gap.period_end))
        if not dialog.exec():
            return False
        self.reload(gap.period_end)
        self.changed.emit()
        return True

    def reload(self, period_end=None):
        """Read this patient's gaps of a period (the one shown; None: the current one) and the
        history again, in the background, and show them."""
        pod, patient_id, name = self.context.pod, self.patient_id, _spoken_name(self.patient_name)
        return self.context.tasks.read(
            lambda job: (q.patient_gap_view(pod, patient_id, period_end, patient_name=name),
                         q.patient_gap_history(pod, patient_id)),
            parent=self, on_done=lambda result: self.show_gaps(*result))


def _spoken_name(display_name: str) -> str:
    """'Okafor, Grace' as said in a sentence: 'Grace Okafor'."""
    family, _, given = display_name.partition(", ")
    return f"{given} {family}".strip() if given else display_name


def open_gaps_count(chart) -> int:
    """The number in the tab's title without building it: the open gaps of the period shown
    (what :meth:`ChartGapsTab.open_count` counts once the tab is built)."""
    view = chart.gap_view
    return sum(1 for g in (view.gaps if view is not None else []) if g.state == "open")


def chart_gaps_tab(context, chart):
    """The chart's tab factory (``ui.chart_tabs.CHART_TABS``): (widget, number of open gaps)."""
    patient = chart.patient
    tab = ChartGapsTab(context, patient.id, patient.display_name, chart.gap_view, chart.gap_history)
    return tab, tab.open_count()
