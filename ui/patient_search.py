"""Find a patient: one box for name, MRN, birth date or phone, a practice filter, and the matches."""
from __future__ import annotations

import logging

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox, QHBoxLayout, QLabel, QLineEdit, QTableView, QVBoxLayout, QWidget,
)

from application.patients import has_patients, patients_by_ids, practice_choices, search_patients
from ui import shortcuts
from ui.context import AppContext
from ui.empty_view import EmptyViewMessage
from ui.latest_read import LatestRead
from ui.patient_table_model import COLUMNS, PatientIdRole, PatientTableModel, failure_text
from ui.tables import make_read_only_list

log = logging.getLogger(__name__)
DEBOUNCE_MS = 150
FIT_ROWS = 60  # columns are fitted to the first rows (those in view), not to every row read
# widest a column gets from its content: a 36-character identifier imported as MRN, a long
# practice or name must not push PCP and risk tier off the table (the whole value is its tooltip)
MAX_COLUMN_WIDTHS = {0: 240, 4: 130, 5: 230, 7: 200}
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

        self.model = PatientTableModel(lambda *page: self._fetch_page(*page), parent=self, submit=self._submit)
        # one search read at a time on the task runner; typing meanwhile reads the newest text next
        self.reads = LatestRead(context, self, self._make_read, self._show_result, self._search_failed)
        self._open_when_read = False  # Enter was pressed before the answer came
        self.table = QTableView(objectName="patientResults")
        self.table.setModel(self.model)
        make_read_only_list(self.table)
        self.empty = EmptyViewMessage(self.table)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
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

    def _submit(self, read, on_done, on_error):
        return self.context.tasks.read(lambda job: read(), parent=self, on_done=on_done, on_error=on_error)

    def _load_practices(self) -> None:
        from application.holding import holding_place

        self.practice_combo.addItem("All practices", 0)
        for practice in practice_choices(self.context.pod):
            self.practice_combo.addItem(f"{practice.name} ({practice.code})", practice.id)
        # imported patients whose practice is not known: findable to be assigned, never a practice
        waiting = holding_place(self.context.pod)
        if waiting is not None and waiting.patients:
            self.practice_combo.insertSeparator(self.practice_combo.count())
            self.practice_combo.addItem(f"Waiting for a practice ({waiting.patients:,})", waiting.practice_id)

    def practice_ids(self) -> list[int] | None:
        practice_id = self.practice_combo.currentData()
        return [practice_id] if practice_id else None

    def set_practice(self, practice_id: int | None) -> None:
        index = self.practice_combo.findData(practice_id or 0)
        self.practice_combo.setCurrentIndex(max(index, 0))

    def run_search(self) -> None:
        """Search now (the box waits for a pause in typing before calling this): read on the task
        runner; a search asked for while one is read is made when it ends, with the newest text."""
        self._timer.stop()
        self.reads.start()

    def searching(self) -> bool:
        """A search is being read (or waits for the pause in typing)."""
        return self.reads.running or self._timer.isActive()

    def _make_read(self):
        text, practice_ids = self.search_box.text().strip(), self.practice_ids()
        pod, fetch = self.context.pod, self._fetch_page
        if not text:
            recent = list(self.context.settings.recent_patient_ids)

            def recent_charts(job):
                rows = patients_by_ids(pod, recent)
                return text, practice_ids, rows, bool(rows) or has_patients(pod)
            return recent_charts
        size = self.model.page_size
        return lambda job: (text, practice_ids, fetch(text, practice_ids, size, 0), True)

    # what a pod without patients (a new one) shows in the list
    NO_PATIENTS = ("No patients in this pod yet.\n\nImport the practices' patients (FHIR bundles, NDJSON files "
                   "or CSV panels): Data ▸ Import data… (Ctrl+I).")

    def _show_result(self, result) -> None:
        text, practice_ids, rows, any_patients = result
        self.empty.set_text("" if any_patients else self.NO_PATIENTS)
        if not text:
            self.model.show_rows(rows)
            self.summary.setText("Recently opened charts" if rows else
                                 "Type a name, MRN, birth date or phone number to find a patient." if any_patients
                                 else "No patients in this pod yet.")
        else:
            self.model.show_page(text, practice_ids, rows)
            self.summary.setText(self._describe(text))
        self._shown()

    def _search_failed(self, error: BaseException) -> None:
        log.error("patient search failed", exc_info=(type(error), error, error.__traceback__))
        text = self.search_box.text().strip()
        self.model.show_page(text, self.practice_ids(), [], error=failure_text(error))
        self.summary.setText(self.model.error)
        self._shown()

    def _shown(self) -> None:
        if self.model.rowCount():
            self.table.selectRow(0)
        self.fit_columns()
        if self._open_when_read:
            self._open_when_read = False
            self.open_current()

    def _describe(self, text: str) -> str:
        if self.model.error:
            return self.model.error
        count = self.model.rowCount()
        where = "" if self.practice_ids() is None else f" in {self.practice_combo.currentText()}"
        if count == 0:
            return f"No patient matches “{text}”{where}."
        if not self.model.complete:
            return f"More than {count} patients match “{text}”{where} — scroll for more, or type more to narrow."
        return f"{count} patient{'s match' if count != 1 else ' matches'} “{text}”{where}."

    def fit_columns(self) -> None:
        """Columns as wide as their content, up to a cap (a long MRN is elided in the middle, whole
        in its tooltip), so every column, PCP and risk tier included, stays in view. Measured on
        the first rows (those in view) from their texts: asking the view to measure every cell
        of a page took a hundred milliseconds."""
        header = self.table.horizontalHeader()
        metrics = self.table.fontMetrics()
        rows = [self.model.texts(row) for row in range(min(self.model.rowCount(), FIT_ROWS))]
        margin = 2 * (self.table.style().pixelMetric(self.table.style().PixelMetric.PM_FocusFrameHMargin) + 1) + 8
        for column in range(len(COLUMNS) - 1):  # the last one stretches
            content = max((metrics.horizontalAdvance(texts[column]) for texts in rows), default=0) + margin
            width = max(content, header.sectionSizeFromContents(column).width()) + 16
            header.resizeSection(column, min(width, MAX_COLUMN_WIDTHS.get(column, width)))

    # -- opening -------------------------------------------------------------------------------
    def open_row(self, row: int) -> None:
        patient = self.model.patient_at(row)
        if patient is not None:
            self.chart_requested.emit(patient.id)

    def open_current(self) -> None:
        index = self.table.currentIndex()
        self.open_row(index.row() if index.isValid() else 0)

    def _enter_in_box(self) -> None:
        # Enter right after typing: search now and open the first match of that answer, not the stale one
        if self._timer.isActive():
            self.run_search()
        if self.reads.running:
            self._open_when_read = True
            return
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
