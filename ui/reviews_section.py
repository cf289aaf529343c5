"""The Medication reviews section: the pharmacist's worklist across the pod.

Reviews not finished, recommendations awaiting the prescriber's response (oldest first),
follow-ups due, written summaries not yet given, and patients due for a comprehensive review
(high risk or ten or more active medications, none in 12 months); each row says why. Rows are
read a page at a time on a reader as the list is scrolled.

Enter opens the row's review (or, for a patient due for one, the chart); Ctrl+N starts the
comprehensive review of a patient due for one; Alt+T opens the chart.
"""
from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget,
)

from application import reviews as app
from domain.text import counted
from ui import format as fmt
from ui import shortcuts
from ui.empty_view import EmptyViewMessage
from ui.review_screen import open_review, start_review
from ui.tables import fit_column, worklist_table

ALL = ""
COLUMNS = ("Patient", "MRN", "Practice", "Reason", "Date", "Why")
COLUMN_WIDTHS = (190, 90, 76, 196, 90)  # Why takes the rest
WATCHED = ("user", "reviews", "drafts", "outreach", "risk", "facts", "patients")


class WorklistModel(QAbstractTableModel):
    """Rows of one group (or of every group, in order), a page at a time from a reader."""

    loaded = Signal()

    def __init__(self, context, parent=None):
        super().__init__(parent)
        self.context = context
        self.rows: list[app.WorklistRow] = []
        self.groups: list[str] = []
        self._after: tuple | None = None
        self._task = None
        self.generation = 0

    # reading
    def load(self, group: str) -> None:
        """Read the first page of ``group`` ("" every group) anew."""
        self.generation += 1
        if self._task is not None:
            self._task.discard()
            self._task = None
        self.beginResetModel()
        self.rows = []
        self.groups = list(app.GROUPS) if group == ALL else [group]
        self._after = None
        self.endResetModel()
        self._read_more()

    def _read_more(self) -> None:
        if self._task is not None or not self.groups:
            return
        groups, after, generation = list(self.groups), self._after, self.generation
        pod = self.context.pod

        def read(job):
            rows, remaining, key = [], list(groups), after
            while remaining and len(rows) < app.PAGE_SIZE:
                wanted = app.PAGE_SIZE - len(rows)
                page = app.worklist_page(pod, remaining[0], after=key, limit=wanted)
                rows += page
                if len(page) < wanted:  # this group is read to its end: the next one follows
                    remaining.pop(0)
                    key = None
                else:
                    key = page[-1].key
            return rows, remaining, key

        self._task = self.context.tasks.read(read, on_done=lambda result: self._arrived(generation, *result),
                                             on_error=lambda _error: self._failed(generation))

    def _failed(self, generation: int) -> None:
        if generation == self.generation:
            self._task = None

    def _arrived(self, generation: int, rows, remaining, key) -> None:
        if generation != self.generation:
            return
        self._task = None
        if rows:
            self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows) + len(rows) - 1)
            self.rows += rows
            self.endInsertRows()
        self.groups, self._after = remaining, key
        self.loaded.emit()

    def loading(self) -> bool:
        return self._task is not None

    def canFetchMore(self, parent=QModelIndex()) -> bool:  # noqa: N802 (Qt's names)
        return not parent.isValid() and bool(self.groups) and self._task is None

    def fetchMore(self, parent=QModelIndex()) -> None:  # noqa: N802
        self._read_more()

    # the table
    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        row = self.rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return (row.patient, row.mrn, row.practice, row.reason, fmt.date(row.day), row.why)[index.column()]
        return None

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None


class ReviewsSection(QWidget):
    open_patient = Signal(int)

    def __init__(self, context, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("reviewsSection")
        self.context = context
        title = QLabel("Medication reviews — the pharmacist's worklist across the pod")
        title.setProperty("role", "sectionTitle")
        self.group_combo = QComboBox(objectName="reviewsGroup")
        self.group_combo.addItem("All", ALL)
        for group in app.GROUPS:
            self.group_combo.addItem(app.GROUP_LABELS[group], group)
        self.count_label = QLabel(objectName="reviewsCount")
        self.count_label.setProperty("role", "hint")
        self.count_label.setWordWrap(True)  # never wider than the window leaves it
        self.count_label.setMinimumWidth(120)
        self.model = WorklistModel(context, self)
        self.table = worklist_table(self.model, "reviewsTable", COLUMN_WIDTHS)
        self.empty = EmptyViewMessage(self.table)
        self.table.activated.connect(self._activated)
        self.open_button = QPushButton("&Open", objectName="reviewsOpen")
        self.chart_button = QPushButton("Open &the chart", objectName="reviewsChart")
        self.start_button = QPushButton("Start the comprehensive &review (Ctrl+N)", objectName="reviewsStart")
        self.open_button.clicked.connect(self.open_current)
        self.chart_button.clicked.connect(self.open_chart)
        self.start_button.clicked.connect(self.start_current)
        label = QLabel("&Show")
        label.setBuddy(self.group_combo)
        bar = QHBoxLayout()
        bar.addWidget(label)
        bar.addWidget(self.group_combo)
        bar.addSpacing(12)
        bar.addWidget(self.count_label, 1)
        for button in (self.open_button, self.chart_button, self.start_button):
            bar.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 12)
        layout.addWidget(title)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        shortcuts.bind(shortcuts.REVIEW_ADD, self, self.start_current)
        index = self.group_combo.findData(context.settings.review_group)
        self.group_combo.setCurrentIndex(max(index, 0))
        self.group_combo.currentIndexChanged.connect(self._group_changed)
        self.table.selectionModel().currentRowChanged.connect(self._update_buttons)
        self.model.modelReset.connect(self._update_buttons)
        self.model.loaded.connect(self._loaded)
        self.counts: dict[str, int] = {}
        self._shown_once = False
        self._update_buttons()

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if not self._shown_once:
            self._shown_once = True
            self.refresh()

    def group(self) -> str:
        return self.group_combo.currentData() or ALL

    def refresh(self) -> None:
        """Read the counts and the first page again."""
        self.model.load(self.group())
        self.context.tasks.read(lambda job: app.worklist_counts(self.context.pod), on_done=self._counted,
                                on_error=lambda _error: None)

    def _counted(self, counts: dict[str, int]) -> None:
        self.counts = counts
        self.group_combo.setItemText(0, f"All ({sum(counts.values()):,})")
        for index, group in enumerate(app.GROUPS, start=1):
            self.group_combo.setItemText(index, f"{app.GROUP_LABELS[group]} ({counts.get(group, 0):,})")
        self._show_count()

    def _show_count(self) -> None:
        if not self.counts:
            return
        group = self.group()
        total = sum(self.counts.values()) if group == ALL else self.counts.get(group, 0)
        parts = [f"{self.counts[g]:,} {app.GROUP_COUNTS[g]}" for g in app.GROUPS if self.counts.get(g)]
        self.count_label.setText(f"{counted(total, 'row')}" +
                                 (f": {' · '.join(parts)}" if group == ALL and parts else ""))
        self.empty.set_text(self.NOTHING_TO_DO if not any(self.counts.values()) else
                            "" if total else f"Nothing in “{app.GROUP_LABELS[group]}” now.")

    # what the worklist says when nobody is on it (a new pod, or a pharmacist up to date)
    NOTHING_TO_DO = ("Nothing on the worklist.\n\nListed here: reviews not finished, recommendations awaiting the "
                     "prescriber, follow-ups due, written summaries not given, and patients due for a comprehensive "
                     "review (high risk, or 10 or more active medications, with none in 12 months).\n\n"
                     "To review any patient's medications: find the patient (Ctrl+K), open the Reviews tab "
                     "of the chart and start a review.")

    def _loaded(self) -> None:
        fit_column(self.table, COLUMNS.index("Practice"), (row.practice for row in self.model.rows))
        if not self.table.currentIndex().isValid() and self.model.rows:
            self.table.setCurrentIndex(self.model.index(0, 0))
        self._update_buttons()

    def _group_changed(self) -> None:
        self.context.settings.review_group = self.group()
        self.model.load(self.group())
        self._show_count()

    def apply_changes(self, changes) -> None:
        if self._shown_once and changes.touches(*WATCHED):
            self.refresh()

    # -- the current row ------------------------------------------------------------------------
    def current_row(self) -> app.WorklistRow | None:
        index = self.table.currentIndex()
        return self.model.rows[index.row()] if index.isValid() and index.row() < len(self.model.rows) else None

    def _update_buttons(self, *_args) -> None:
        row = self.current_row()
        self.open_button.setEnabled(row is not None)
        self.chart_button.setEnabled(row is not None)
        self.start_button.setEnabled(row is not None and row.group in app.DUE_GROUPS)

    def _activated(self, _index) -> None:
        self.open_current()

    def open_current(self) -> None:
        row = self.current_row()
        if row is None:
            return
        if row.review_id is not None:
            open_review(self.context, row.review_id, self)
        else:
            self.open_patient.emit(row.patient_id)

    def open_chart(self) -> None:
        row = self.current_row()
        if row is not None:
            self.open_patient.emit(row.patient_id)

    def start_current(self) -> None:
        row = self.current_row()
        if row is not None and row.group in app.DUE_GROUPS:
            start_review(self.context, row.patient_id, "comprehensive", self)


def reviews_section(context) -> ReviewsSection:
    return ReviewsSection(context)
