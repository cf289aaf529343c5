"""Find a patient: one box for name, MRN, birth date or phone, a practice filter, and the matches."""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox, QHBoxLayout, QLabel, QLineEdit, QTableView, QVBoxLayout, QWidget,
)

from application.patients import patients_by_ids, practice_choices, search_patients
from ui import shortcuts
from ui.context import AppContext
from ui.patient_table_model import PatientIdRole, PatientTableModel
from ui.tables import make_read_only_list

DEBOUNCE_MS = 150
PLACEHOLDER = "Name, MRN, birth date or phone — e.g. smith jo · M1042 · 3/4/1957 · 1234"


class PatientSearch(QWidget):
    chart_requested = Signal(int)  # patient id

    def __init__(self, context: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.setObjectName("patientSearchPage")

        self.search_box = QLineEdit(objectName="patientSearch")
        self.search_box.setPlaceholderText(PLACEHOLDER)
        self.search_box.setClearButtonEnabled(True)
        self.search_box.installEventFilter(self)
        self.practice_combo = QComboBox(objectName="practiceFilter")
        self.practice_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        practice_label = QLabel("&Practice:")
        practice_label.setBuddy(self.practice_combo)
        self.summary = QLabel(objectName="searchSummary")
        self.summary.setProperty("role", "hint")

        self.model = PatientTableModel(self._fetch_page, parent=self)
        self.table = QTableView(objectName="patientResults")
        self.table.setModel(self.model)
        make_read_only_list(self.table)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setHighlightSections(False)
        self.table.doubleClicked.connect(lambda index: self.open_row(index.row()))
        shortcuts.bind(shortcuts.OPEN_CHART, self.table, self.open_current,
                       context=Qt.ShortcutContext.WidgetShortcut)

        top = QHBoxLayout()
        top.addWidget(self.search_box, 1)
        top.addSpacing(12)
        top.addWidget(practice_label)
        top.addWidget(self.practice_combo)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 8)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)

        self._timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._timer.timeout.connect(self.run_search)
        self.search_box.textChanged.connect(lambda _text: self._timer.start())
        self.search_box.returnPressed.connect(self._enter_in_box)
        self._load_practices()
        self.practice_combo.currentIndexChanged.connect(lambda _i: self.run_search())
        self._restore()

    # -- searching ---------------------------------------------------------------------------
    def _fetch_page(self, text, practice_ids, limit, offset):
        return search_patients(self.context.pod, text, practice_ids, limit=limit, offset=offset)

    def _load_practices(self) -> None:
        self.practice_combo.addItem("All practices", 0)
        for practice in practice_choices(self.context.pod):
            self.practice_combo.addItem(f"{practice.name} ({practice.code})", practice.id)

    def practice_ids(self) -> list[int] | None:
        practice_id = self.practice_combo.currentData()
        return [practice_id] if practice_id else None

    def set_practice(self, practice_id: int | None) -> None:
        index = self.practice_combo.findData(practice_id or 0)
        self.practice_combo.setCurrentIndex(max(index, 0))

    def run_search(self) -> None:
        """Search now (the box waits for a pause in typing before calling this)."""
        self._timer.stop()
        text = self.search_box.text().strip()
        if not text:
            self.model.show_rows(patients_by_ids(self.context.pod, self.context.settings.recent_patient_ids))
            count = self.model.rowCount()
            self.summary.setText("Recently opened charts" if count else
                                 "Type a name, MRN, birth date or phone number to find a patient.")
        else:
            self.model.search(text, self.practice_ids())
            self.summary.setText(self._describe(text))
        if self.model.rowCount():
            self.table.selectRow(0)
        self.fit_columns()

    def _describe(self, text: str) -> str:
        if self.model.error:
            return self.model.error
        count = self.model.rowCount()
        where = "" if self.practice_ids() is None else f" in {self.practice_combo.currentText()}"
        if count == 0:
            return f"No patient matches “{text}”{where}."
        if not self.model.complete:
            return f"More than {count} patients match “{text}”{where} — scroll for more, or type more to narrow."
        return f"{count} patient{'s' if count != 1 else ''} match “{text}”{where}."

    def fit_columns(self) -> None:
        """Columns as wide as their content, so nothing is cut off."""
        self.table.resizeColumnsToContents()
        header = self.table.horizontalHeader()
        for column in range(self.model.columnCount() - 1):  # the last one stretches
            header.resizeSection(column, header.sectionSize(column) + 16)

    # -- opening -------------------------------------------------------------------------------
    def open_row(self, row: int) -> None:
        patient = self.model.patient_at(row)
        if patient is not None:
            self.chart_requested.emit(patient.id)

    def open_current(self) -> None:
        index = self.table.currentIndex()
        self.open_row(index.row() if index.isValid() else 0)

    def _enter_in_box(self) -> None:
        # Enter right after typing: search now rather than on the stale result
        if self._timer.isActive():
            self.run_search()
        self.open_current()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if watched is self.search_box and event.type() == QEvent.Type.KeyPress \
                and event.key() == Qt.Key.Key_Down and self.model.rowCount():
            self.table.setFocus()
            if not self.table.currentIndex().isValid():
                self.table.selectRow(0)
            return True
        return super().eventFilter(watched, event)

    def focus_search(self) -> None:
        self.search_box.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_box.selectAll()

    def patient_id_at(self, row: int) -> int | None:
        return self.model.index(row, 0).data(PatientIdRole)

    # -- remembered ---------------------------------------------------------------------------
    def _restore(self) -> None:
        settings = self.context.settings
        self.set_practice(settings.practice_filter)
        header = settings.results_header
        if not header.isEmpty():
            self.table.horizontalHeader().restoreState(header)
        self.run_search()

    def save_settings(self, settings) -> None:
        settings.practice_filter = self.practice_combo.currentData() or None
        settings.results_header = self.table.horizontalHeader().saveState()
