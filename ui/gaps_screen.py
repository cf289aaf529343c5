"""The Gaps worklist: every gap in care of the pod by measure and practice, open gaps first.

``GapsScreen(context)``; double-click or Enter on a row emits
``open_patient(patient_id)`` for the main window to open that chart.
"""
from __future__ import annotations

import dataclasses
import html
import json

from pathlib import Path

from PySide6.QtCore import QStandardPaths, QTimer, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox, QFileDialog, QHBoxLayout, QHeaderView, QLabel, QLineEdit,
    QMessageBox, QPushButton, QSizePolicy, QTableView, QVBoxLayout, QWidget,
)

from application import gaps as q
from application.practices import practice_codes
from domain.gaps import STATE_LABELS
from ui import format as fmt
from ui import shortcuts
from ui.gaps_model import COLUMNS, WHY_COLUMN, GapTableModel, contact
from ui.tables import fit_column, make_read_only_list
from ui.tasks import error_sentence

TEXT_DELAY_MS = 250
ALL = None
STATE_CHOICES = (("open", "Open"), ("excluded", "Excluded"), ("closed", "Closed"),
                 ("not_applicable", "Not applicable"), (ALL, "All states"))
# the last column (Why) stretches: at 1366 pixels it keeps about 330 of them, on two lines, and
# the line under the table says the chosen row's reason whole
COLUMN_WIDTHS = (210, 84, 84, 72, 78, 64, 94, 112)
PRACTICE_COLUMN = next(i for i, (_caption, key) in enumerate(COLUMNS) if key == "practice")
ROW_LINES = 2  # the patient's name over their phone and language; the reason wrapped


class GapsScreen(QWidget):
    open_patient = Signal(int)
    export_finished = Signal(object)  # rows written, or None (cancelled or failed)

    def __init__(self, context, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("gapsScreen")
        self.context, self.pod, self.settings = context, context.pod, context.settings
        self.export_task = None

        title = QLabel("Gaps in care")
        title.setProperty("role", "sectionTitle")
        self.measure_combo = QComboBox(objectName="gapsMeasure")
        self.practice_combo = QComboBox(objectName="gapsPractice")
        self.state_combo = QComboBox(objectName="gapsState")
        self.period_combo = QComboBox(objectName="gapsPeriod")
        for combo in (self.measure_combo, self.practice_combo):
            # wide enough for the whole name when there is room; narrower (the names elided) on
            # a small screen, so the window still fits a 1366-pixel laptop
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(10)
            combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.text_edit = QLineEdit(objectName="gapsText")
        self.text_edit.setPlaceholderText("Patient name or MRN")
        self.text_edit.setClearButtonEnabled(True)
        self.text_edit.setMinimumWidth(120)
        self.export_button = QPushButton("Export CSV…", objectName="gapsExport")
        self.count_label = QLabel(objectName="gapsCount")
        self.message_label = QLabel(objectName="gapsMessage")
        self.message_label.setProperty("role", "status-alert")
        self.message_label.hide()
        self.reading_label = QLabel("Reading…", objectName="gapsReading")
        self.reading_label.setProperty("role", "hint")
        self.reading_label.hide()

        self.model = GapTableModel(self.pod, context.tasks, self)
        self.model.first_page_shown.connect(self._first_page_shown)
        self.model.read_failed.connect(self._show_message)
        self.model.reading_changed.connect(self.reading_label.setVisible)
        # the counts per state of the filters counted so far (they do not depend on the state
        # chosen), until a change to the gaps or patients arrives: going back to a filter is
        # answered at once
        self._counts: dict[q.GapFilter, q.GapCounts] = {}
        self._count_task = None
        self._count_key: q.GapFilter | None = None
        self._count_state: str | None = None
        self.table = QTableView(objectName="gapsTable")
        self.table.setModel(self.model)
        make_read_only_list(self.table)
        self.table.setWordWrap(True)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().lineSpacing() * ROW_LINES + 10)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setHighlightSections(False)
        for column, width in enumerate(COLUMN_WIDTHS):
            header.resizeSection(column, width)
        # the indicator first: enabling sorting sorts by whatever column it shows
        header.setSortIndicator(self.model.sort_column(), Qt.SortOrder.AscendingOrder)
        self.table.setSortingEnabled(True)
        header.sortIndicatorChanged.connect(self._sort_indicator_changed)
        self.table.activated.connect(self._activated)
        # the chosen row's reason whole, with what an outreach call needs
        self.detail_label = QLabel(objectName="gapsDetail")
        self.detail_label.setWordWrap(True)
        self.detail_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail_label.setMinimumHeight(self.fontMetrics().lineSpacing() * 2 + 6)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._show_detail())
        self.model.modelReset.connect(self._show_detail)
        self.export_label = QLabel(objectName="gapsExported")
        self.export_label.setProperty("role", "hint")
        self.export_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.export_label.hide()
        self.outreach_dialog = None
        shortcuts.bind(shortcuts.LOG_OUTREACH, self, self.log_outreach)

        filters = QHBoxLayout()
        for caption, widget in (("Measure", self.measure_combo), ("Practice", self.practice_combo),
                                ("State", self.state_combo), ("Period", self.period_combo)):
            label = QLabel(caption)
            label.setBuddy(widget)
            filters.addWidget(label)
            # the measure and practice names share the room left with the search box
            filters.addWidget(widget, 1 if widget in (self.measure_combo, self.practice_combo) else 0)
            filters.addSpacing(8)
        filters.addWidget(self.text_edit, 1)
        filters.addWidget(self.export_button)
        counts = QHBoxLayout()
        counts.addWidget(self.count_label)
        counts.addWidget(self.reading_label)
        counts.addStretch(1)
        counts.addWidget(self.message_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 12)
        layout.addWidget(title)
        layout.addLayout(filters)
        layout.addLayout(counts)
        layout.addWidget(self.export_label)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.detail_label)

        self._text_timer = QTimer(self, singleShot=True, interval=TEXT_DELAY_MS)
        self._text_timer.timeout.connect(self.refresh)
        self._practice_codes: dict[int, str] = {}
        self._fill_choices()
        self._restore_filters()
        for combo in (self.measure_combo, self.practice_combo, self.state_combo, self.period_combo):
            combo.currentIndexChanged.connect(self._filter_changed)
        self.text_edit.textChanged.connect(lambda _text: self._text_timer.start())
        self.export_button.clicked.connect(self.export)
        self._shown_once = False  # the worklist is read when first shown, not at app start

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._shown_once:
            self._shown_once = True
            self.refresh()

    # -- filters ---------------------------------------------------------------------------
    def _fill_choices(self) -> None:
        self.measure_combo.addItem("All measures", ALL)
        groups = q.measure_groups(self.pod)
        for measure_id, title in q.measure_choices(self.pod):
            self.measure_combo.addItem(f"{measure_id} — {title}", measure_id)
            self.measure_combo.setItemData(self.measure_combo.count() - 1, title, Qt.ItemDataRole.ToolTipRole)
            for index, group_title in enumerate(groups.get(measure_id, [])):
                self.measure_combo.addItem(f"    {measure_id} · {index + 1} — {group_title}",
                                           measure_key(measure_id, index))
                self.measure_combo.setItemData(self.measure_combo.count() - 1, group_title,
                                               Qt.ItemDataRole.ToolTipRole)
        self.practice_combo.addItem("All practices", ALL)
        for practice_id, code, name in q.practice_choices(self.pod):
            self.practice_combo.addItem(f"{name} ({code})", practice_id)
            self._practice_codes[practice_id] = code
        fit_column(self.table, PRACTICE_COLUMN, practice_codes(self.pod))  # the holding place's too
        for value, text in STATE_CHOICES:
            self.state_combo.addItem(text, value)
        for start, end in q.gap_periods(self.pod):
            self.period_combo.addItem(f"{fmt.date(start)} – {fmt.date(end)}", end)
        self.period_combo.addItem("All periods", ALL)
        self.measure_combo.setMaximumWidth(260)
        self.practice_combo.setMaximumWidth(320)

    def current_filter(self) -> q.GapFilter:
        measure_id, group_index = split_measure_key(self.measure_combo.currentData())
        return q.GapFilter(measure_id=measure_id, group_index=group_index,
                           practice_id=self.practice_combo.currentData(),
                           state=self.state_combo.currentData(),
                           period_end=self.period_combo.currentData(),
                           text=self.text_edit.text())

    def set_filter(self, flt: q.GapFilter) -> None:
        """Show exactly this filter (e.g. from another screen: a practice's open CMS125 gaps)."""
        measure = measure_key(flt.measure_id, flt.group_index) if flt.measure_id else ALL
        for combo, value in ((self.measure_combo, measure), (self.practice_combo, flt.practice_id),
                             (self.state_combo, flt.state), (self.period_combo, flt.period_end)):
            combo.blockSignals(True)
            index = index_of_data(combo, value)
            combo.setCurrentIndex(index if index >= 0 else 0)
            combo.blockSignals(False)
        self.text_edit.blockSignals(True)
        self.text_edit.setText(flt.text)
        self.text_edit.blockSignals(False)
        self.refresh()

    def _filter_changed(self, *_args) -> None:
        self.refresh()
        self._save_filters()

    def refresh(self) -> None:
        """Read the worklist and its counts again (a filter changed, or the gaps did). Both are
        read on the task runner's read lane; the rows and counts shown stay until the answers
        arrive, and only the newest filter's answers are shown."""
        self._text_timer.stop()
        flt = self.current_filter()
        self.model.set_filter(flt)
        self._count(flt)

    def _count(self, flt: q.GapFilter) -> None:
        key = dataclasses.replace(flt, state=None, text=flt.text.strip())
        self._count_state = flt.state
        if key in self._counts:
            self._cancel_count()
            self.count_label.setText(self._count_sentence(self._counts[key], flt.state))
            return
        if self._count_task is not None and self._count_key == key:
            return  # the same counts are on their way; they are shown for the state now chosen
        self._cancel_count()
        self._count_key = key
        self.count_label.setText("Counting…")

        def counted(counts: q.GapCounts) -> None:
            self._count_task = None
            self._counts[key] = counts
            self.count_label.setText(self._count_sentence(counts, self._count_state))

        def failed(error: BaseException) -> None:
            self._count_task = None
            self.count_label.setText("")
            self._show_message(f"The gaps could not be counted. {error_sentence(error)}")

        self._count_task = self.context.tasks.read(lambda _job: q.count_gaps(self.pod, flt), on_done=counted,
                                                   on_error=failed)

    # what a pod with no computed period shows instead of "0 open of 0 gaps"
    NOTHING_COMPUTED = ("No gaps in care computed yet: import the practices' patients (Data ▸ Import data…, Ctrl+I), "
                        "then recompute gaps in care (Data ▸ Recompute, Ctrl+R).")

    def _count_sentence(self, counts: q.GapCounts, state: str | None) -> str:
        if counts.total == 0 and self.period_combo.count() <= 1:  # "All periods" alone: none computed
            return self.NOTHING_COMPUTED
        return self.count_text(counts, state)

    def _cancel_count(self) -> None:
        if self._count_task is not None:
            self._count_task.discard()  # counts of a filter no longer shown
            self._count_task = None

    def _first_page_shown(self) -> None:
        if self.message_label.property("failure"):
            self._show_message("")
        if self.model.rowCount() and not self.table.currentIndex().isValid():
            self.table.setCurrentIndex(self.model.index(0, 0))

    @staticmethod
    def count_text(counts: q.GapCounts, state: str | None) -> str:
        """"4,009 open of 8,735 gaps · 1,428 not applicable": a patient outside a measure's
        population has a row but no gap, so is not counted among the gaps."""
        outside = counts.of("not_applicable")
        total = counts.total - outside
        aside = f" · {outside:,} not applicable" if outside else ""
        if state == "not_applicable":
            return f"{outside:,} not applicable (outside the measures' populations) · {total:,} gaps"
        label = STATE_LABELS.get(state or "open", state).lower()
        return f"{counts.of(state or 'open'):,} {label} of {total:,} gaps{aside}"

    def _show_message(self, text: str, *, failure: bool = True) -> None:
        """A failed read's sentence (taken away by the next answer), or a note (``failure=False``)."""
        self.message_label.setText(text)
        self.message_label.setProperty("failure", bool(text) and failure)
        self.message_label.setVisible(bool(text))

    # -- remembered filters (when the settings module offers ``gaps_filters``) ---------------
    def _save_filters(self) -> None:
        if self.settings is None or not hasattr(type(self.settings), "gaps_filters"):
            return
        flt = self.current_filter()
        self.settings.gaps_filters = json.dumps({
            "measure_id": self.measure_combo.currentData(), "practice_id": flt.practice_id,
            "state": flt.state if flt.state else "all"})

    def _restore_filters(self) -> None:
        if self.settings is None or not hasattr(type(self.settings), "gaps_filters"):
            return
        try:
            saved = json.loads(self.settings.gaps_filters or "{}")
        except ValueError:
            return
        for combo, key in ((self.measure_combo, "measure_id"), (self.practice_combo, "practice_id")):
            index = combo.findData(saved.get(key))
            if index >= 0:
                combo.setCurrentIndex(index)
        state = saved.get("state")
        index = self.state_combo.findData(None if state == "all" else state)
        if state and index >= 0:
            self.state_combo.setCurrentIndex(index)

    # -- table -------------------------------------------------------------------------------
    def _sort_indicator_changed(self, column: int, order: Qt.SortOrder) -> None:
        if column == WHY_COLUMN or COLUMNS[column][1] is None:
            # the explanation is written, not stored: it cannot be ordered by the database
            header = self.table.horizontalHeader()
            header.blockSignals(True)
            header.setSortIndicator(self.model.sort_column(),
                                    Qt.SortOrder.DescendingOrder if self.model.descending
                                    else Qt.SortOrder.AscendingOrder)
            header.blockSignals(False)

    def _show_detail(self) -> None:
        index = self.table.currentIndex()
        row = self.model.row_at(index.row()) if index.isValid() else None
        if row is None:
            self.detail_label.setText("")
            return
        self.detail_label.setText(f"<b>{html.escape(row.patient_name)}</b> · {html.escape(contact(row))} · "
                                  f"{html.escape(measure_text(row))}<br>{html.escape(row.why)}")

    def log_outreach(self):
        """Ctrl+L: log an outreach attempt about the selected row's gap (``ui.outreach_dialog``)."""
        from ui.outreach_dialog import open_outreach_dialog

        row = self.model.row_at(self.table.currentIndex().row())
        if row is None:
            return None
        if row.status_note.startswith("patient deceased"):
            self._show_message(f"{row.patient_name}: {row.status_note}. No outreach is logged about the gaps of a "
                               "patient who has died.", failure=True)
            return None
        return open_outreach_dialog(self.context, self, row.patient_id, row.patient_name, gap_id=row.gap_id,
                                    on_logged=lambda result: self._show_message(
                                        f"Outreach logged for {row.patient_name}: {result.describe()}.",
                                        failure=False))

    def _activated(self, index) -> None:
        row = self.model.row_at(index.row())
        if row is not None:
            self.open_patient.emit(row.patient_id)

    # -- export --------------------------------------------------------------------------------
    def default_export_name(self) -> str:
        flt = self.current_filter()
        measure = (flt.measure_id or "all-measures") + (f"-group{flt.group_index + 1}" if flt.group_index is not None
                                                        else "")
        parts = ["gaps", measure, self._practice_codes.get(flt.practice_id, "all-practices"),
                 flt.state or "all-states"]
        if flt.period_end:
            parts.append(flt.period_end.isoformat())
        return "-".join(parts) + ".csv"

    def export_start_path(self) -> str:
        """Where the save dialog opens: the folder of the last export, else the user's documents
        folder (never the program's working folder), with the file's suggested name."""
        folder = self.settings.export_folder if self.settings is not None else ""
        if not folder or not Path(folder).is_dir():
            folder = (QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
                      or str(Path.home()))
        return str(Path(folder) / self.default_export_name())

    def export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export the gaps worklist", self.export_start_path(),
                                              "CSV files (*.csv)")
        if not path:
            return
        if not path.lower().endswith(".csv"):
            path += ".csv"
        self.start_export(path)

    def start_export(self, path: str):
        """Write the CSV in the background (progress after half a second, with Cancel)."""
        if self.export_task is not None:
            return None
        self.export_button.setEnabled(False)
        flt, sort, descending = self.current_filter(), self.model.sort_key, self.model.descending

        def work(job):
            return q.export_worklist(self.pod, flt, path, sort=sort, descending=descending,
                                     progress=lambda n: job.progress(n, 0, f"Exporting gaps… {n:,} rows"),
                                     cancel=job.cancelled)

        self.export_task = self.context.tasks.background(
            work, label="Exporting gaps…", parent=self, on_done=self._export_done, on_error=self._export_failed)
        return self.export_task

    def _export_finished(self) -> None:
        self.export_task = None
        self.export_button.setEnabled(True)

    def _export_failed(self, error: BaseException) -> None:
        self._export_finished()
        QMessageBox.warning(self, "Export failed", f"The gaps could not be exported:\n{error}")
        self.export_finished.emit(None)

    def _export_done(self, exported) -> None:
        self._export_finished()
        if exported.rows is not None:
            self._show_message("")
            written = Path(exported.path).resolve()
            if self.settings is not None:
                self.settings.export_folder = str(written.parent)  # the next export opens there
            self.export_label.setText(f"Exported {exported.rows:,} gaps to {written}")
            self.export_label.setToolTip(str(written))
            self.export_label.show()
        self.export_finished.emit(exported.rows)

    def apply_changes(self, changes) -> None:
        """Gaps recomputed or documented, patients imported, an outreach logged: read again."""
        if changes.touches("gaps", "patients", "outreach"):
            self._counts.clear()
            self._cancel_count()  # counts read before the change are not kept
            if self._shown_once:
                self.refresh()


def measure_text(row) -> str:
    group = f" · {row.group_index + 1}" if row.group_index else ""
    return f"{row.measure_id}{group} {row.measure_title}"


def measure_key(measure_id: str, group_index: int | None) -> str:
    """The measure chooser's value: "CMS138" (every group) or "CMS138|1" (its second group)."""
    return measure_id if group_index is None else f"{measure_id}|{group_index}"


def split_measure_key(key: str | None) -> tuple[str | None, int | None]:
    if not key or "|" not in key:
        return key, None
    measure_id, _, group = key.partition("|")
    return measure_id, int(group)


def index_of_data(combo, value) -> int:
    """The row whose item data equals ``value``, or -1. ``QComboBox.findData`` cannot find a
    Python date (it compares Qt variants), so a period would never be found by it."""
    return next((i for i in range(combo.count()) if combo.itemData(i) == value), -1)


def gaps_section(context) -> GapsScreen:
    """The main window's section factory (``ui.sections``): the worklist for the app's context."""
    return GapsScreen(context)
