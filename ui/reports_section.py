"""Reports: each practice's monthly quality report, one at a time or all in one batch.

Choose the month and the practices (listed with their patients and open gaps in the month's
period; a filter narrows the list of a large pod; All / None);
the highlighted practice's report is previewed (Enter or a double-click), printed or saved;
"Write the reports…" writes every checked practice's report into a folder as
``<CODE>-<YYYY-MM>.pdf`` on the background lane, with progress and cancel.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QFileDialog, QGroupBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QMessageBox,
    QPushButton, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget,
)

from application import reports
from domain.text import counted
from ui import format as fmt
from ui.report_actions import ReportActions

CODE_ROLE = Qt.ItemDataRole.UserRole
COLUMNS = ("Practice", "Code", "Patients", "Open gaps")


class ReportsSection(QWidget):
    loaded = Signal()  # the practices and months are listed

    def __init__(self, context, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("reportsSection")
        self.context, self.pod = context, context.pod
        self.actions = ReportActions(context, self)
        self.last_batch: reports.BatchResult | None = None
        self._shown_once = False

        title = QLabel("Reports")
        title.setProperty("role", "sectionTitle")
        intro = QLabel("Each practice's quality report of a month: its rates against the pod's practices, "
                       "and its patients with open gaps in care, measure by measure.")
        intro.setProperty("role", "hint")
        intro.setWordWrap(True)

        self.month_combo = QComboBox(objectName="reportsMonth")
        self.month_combo.setMinimumContentsLength(14)
        month_label = QLabel("&Month")
        month_label.setBuddy(self.month_combo)
        self.filter_edit = QLineEdit(objectName="reportsFilter")
        self.filter_edit.setPlaceholderText("Filter practices by name or code")
        self.filter_edit.setClearButtonEnabled(True)
        self.practice_list = QTreeWidget(objectName="reportsPractices")
        self.practice_list.setColumnCount(len(COLUMNS))
        self.practice_list.setHeaderLabels(COLUMNS)
        self.practice_list.setRootIsDecorated(False)
        self.practice_list.setUniformRowHeights(True)
        self.practice_list.setAlternatingRowColors(True)
        self.practice_list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.practice_list.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, len(COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.overview: reports.ReportsOverview | None = None
        self.all_button = QPushButton("&All", objectName="reportsAll")
        self.none_button = QPushButton("N&one", objectName="reportsNone")
        self.all_button.setToolTip("Check every practice the filter shows")
        self.none_button.setToolTip("Uncheck every practice")
        self.checked_label = QLabel(objectName="reportsChecked")
        self.checked_label.setProperty("role", "hint")

        self.preview_button = QPushButton("&Preview", objectName="reportsPreview")
        self.print_button = QPushButton("P&rint…", objectName="reportsPrint")
        self.save_button = QPushButton("&Save as PDF…", objectName="reportsSave")
        self.current_label = QLabel(objectName="reportsCurrent")
        self.current_label.setWordWrap(True)
        self.current_label.setTextFormat(Qt.TextFormat.PlainText)
        self.period_label = QLabel(objectName="reportsPeriod")
        self.period_label.setProperty("role", "hint")
        self.period_label.setWordWrap(True)
        self.batch_button = QPushButton("&Write the reports of the checked practices…", objectName="reportsBatch")
        self.batch_button.setToolTip("One PDF per practice, <CODE>-<YYYY-MM>.pdf, into a folder you choose")
        self.open_folder_button = QPushButton("Open the fold&er", objectName="reportsOpenFolder")
        self.open_folder_button.setVisible(False)
        self.status_label = QLabel(objectName="reportsStatus")
        self.status_label.setProperty("role", "hint")
        self.status_label.setWordWrap(True)

        one = QGroupBox("The highlighted practice")
        one_layout = QVBoxLayout(one)
        one_layout.addWidget(self.current_label)
        one_layout.addWidget(self.period_label)
        buttons = QHBoxLayout()
        for button in (self.preview_button, self.print_button, self.save_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        one_layout.addLayout(buttons)
        batch = QGroupBox("All checked practices in one batch")
        batch_layout = QVBoxLayout(batch)
        batch_hint = QLabel("The pod's rates are read once; each report is written whole as it is done. "
                            "Cancel keeps the reports already written.")
        batch_hint.setProperty("role", "hint")
        batch_hint.setWordWrap(True)
        batch_layout.addWidget(batch_hint)
        batch_buttons = QHBoxLayout()
        batch_buttons.addWidget(self.batch_button)
        batch_buttons.addWidget(self.open_folder_button)
        batch_buttons.addStretch(1)
        batch_layout.addLayout(batch_buttons)

        left = QVBoxLayout()
        left.addWidget(self.filter_edit)
        left.addWidget(self.practice_list, 1)
        checks = QHBoxLayout()
        checks.addWidget(self.all_button)
        checks.addWidget(self.none_button)
        checks.addStretch(1)
        checks.addWidget(self.checked_label)
        left.addLayout(checks)
        right = QVBoxLayout()
        right.addWidget(one)
        right.addWidget(batch)
        right.addWidget(self.status_label)
        right.addStretch(1)
        body = QHBoxLayout()
        body.addLayout(left, 3)
        body.addSpacing(12)
        body.addLayout(right, 2)
        month_row = QHBoxLayout()
        month_row.addWidget(month_label)
        month_row.addWidget(self.month_combo)
        month_row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 12)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addLayout(month_row)
        layout.addLayout(body, 1)

        self.filter_edit.textChanged.connect(self._filter)
        self.practice_list.currentItemChanged.connect(lambda *_: self._update_buttons())
        self.practice_list.itemChanged.connect(lambda *_: self._update_buttons())
        self.practice_list.itemActivated.connect(lambda *_: self.preview())
        self.month_combo.activated.connect(lambda _i: self.read_overview())
        self.all_button.clicked.connect(lambda: self._check_all(True))
        self.none_button.clicked.connect(lambda: self._check_all(False))
        self.preview_button.clicked.connect(self.preview)
        self.print_button.clicked.connect(self.print_report)
        self.save_button.clicked.connect(self.save)
        self.batch_button.clicked.connect(self.write_batch)
        self.open_folder_button.clicked.connect(self._open_folder)
        self.actions.status.connect(self.status_label.setText)
        self._update_buttons()

    # -- choices ----------------------------------------------------------------------------------------
    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._shown_once:  # nothing is read at app start, only when the section is first shown
            self._shown_once = True
            self.reload()

    def apply_changes(self, changes) -> None:
        if changes.touches("practices", "gaps", "quality") and self._shown_once:
            self.reload()

    def reload(self):
        """Read the months that can be reported on a reader thread, then the chosen month's
        overview; returns the task."""
        pod = self.pod
        return self.context.tasks.read(lambda job: reports.month_choices(pod), parent=self,
                                       on_done=self._fill_months)

    def _fill_months(self, months: list[dt.date]) -> None:
        month = self.month()
        self.month_combo.clear()
        for value in months:
            self.month_combo.addItem(f"{value:%B %Y}", value)
        index = self.month_combo.findText(f"{month:%B %Y}") if month else -1
        self.month_combo.setCurrentIndex(max(index, 0))
        if not months:
            self.status_label.setText("No measurement period has been computed yet: recompute the measures first.")
            self._fill(None)
            return
        self.read_overview()

    def read_overview(self):
        """The chosen month's period and each practice's patients and open gaps (a reader thread)."""
        month, pod = self.month(), self.pod
        if month is None:
            return None
        self.period_label.setText("Counting each practice's open gaps…")
        return self.context.tasks.read(lambda job: reports.reports_overview(pod, month), parent=self,
                                       on_done=self._fill)

    def _fill(self, overview: reports.ReportsOverview | None) -> None:
        self.overview = overview
        checked = set(self.checked_codes())
        current = self.current_code()
        self.practice_list.blockSignals(True)
        self.practice_list.clear()
        for line in overview.practices if overview else ():
            item = QTreeWidgetItem([line.name, line.code, f"{line.patients:,}", f"{line.open_gaps:,}"])
            item.setData(0, CODE_ROLE, line.code)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(0, Qt.CheckState.Checked if line.code in checked else Qt.CheckState.Unchecked)
            for column in (2, 3):
                item.setTextAlignment(column, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.practice_list.addTopLevelItem(item)
            if line.code == current:
                self.practice_list.setCurrentItem(item)
        if self.practice_list.currentItem() is None and self.practice_list.topLevelItemCount():
            self.practice_list.setCurrentItem(self.practice_list.topLevelItem(0))
        self.practice_list.blockSignals(False)
        if overview is not None:
            rates = (f"the rates of the snapshot kept {fmt.local_datetime(overview.snapshot_taken_at)}"
                     if overview.snapshot_taken_at else
                     f"no snapshot was kept in {overview.month:%B %Y}: the rates are computed when a report is made")
            self.period_label.setText(f"Measurement period {fmt.date(overview.period_start)} – "
                                      f"{fmt.date(overview.period_end)}; {rates}.")
            if not overview.practices:
                self.status_label.setText("The pod has no practices yet.")
        else:
            self.period_label.setText("")
        self._filter(self.filter_edit.text())
        self._update_buttons()
        self.loaded.emit()

    def items(self) -> list[QTreeWidgetItem]:
        return [self.practice_list.topLevelItem(row) for row in range(self.practice_list.topLevelItemCount())]

    def _filter(self, text: str) -> None:
        words = text.lower().split()
        for item in self.items():
            words_of = f"{item.text(0)} {item.text(1)}".lower()
            item.setHidden(not all(word in words_of for word in words))

    def _check_all(self, checked: bool) -> None:
        state = Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked
        self.practice_list.blockSignals(True)
        for item in self.items():
            if not checked or not item.isHidden():
                item.setCheckState(0, state)
        self.practice_list.blockSignals(False)
        self._update_buttons()

    def month(self) -> dt.date | None:
        return self.month_combo.currentData()

    def current_code(self) -> str | None:
        item = self.practice_list.currentItem()
        return item.data(0, CODE_ROLE) if item is not None and not item.isHidden() else None

    def checked_codes(self) -> list[str]:
        return [item.data(0, CODE_ROLE) for item in self.items() if item.checkState(0) == Qt.CheckState.Checked]

    def _update_buttons(self) -> None:
        current, month = self.practice_list.currentItem(), self.month()
        has_one = current is not None and month is not None
        for button in (self.preview_button, self.print_button, self.save_button):
            button.setEnabled(has_one)
        self.current_label.setText(
            f"{current.text(0)} ({current.text(1)}) · {month:%B %Y} · {current.text(2)} patients, "
            f"{current.text(3)} open gaps" if has_one else "Choose a practice in the list and a month.")
        checked = len(self.checked_codes())
        self.checked_label.setText(f"{checked} of {self.practice_list.topLevelItemCount()} checked")
        self.batch_button.setEnabled(checked > 0 and month is not None)
        self.batch_button.setText(f"&Write the reports of the {checked} checked practices…" if checked != 1
                                  else "&Write the report of the checked practice…")

    # -- actions ---------------------------------------------------------------------------------------
    def _one(self, action):
        code, month = self.current_code(), self.month()
        return action(code, month) if code and month else None

    def preview(self):
        return self._one(self.actions.preview)

    def print_report(self):
        return self._one(self.actions.print_report)

    def save(self):
        return self._one(self.actions.save)

    def write_batch(self, confirm=None):
        """Ask for a folder (the one last used), then write every checked practice's report there;
        reports of the same month already there are replaced only when the user says so
        (``confirm(text) -> bool``: a test's answer; default, a question)."""
        codes, month = self.checked_codes(), self.month()
        if not codes or month is None:
            return None
        settings = self.context.settings
        folder = QFileDialog.getExistingDirectory(self, f"Folder for the {len(codes)} reports of {month:%B %Y}",
                                                  settings.report_folder)
        if not folder:
            return None
        there = reports.reports_already_in(folder, codes, month)
        if there:
            text = (f"{counted(len(there), 'report')} of {month:%B %Y} already in {folder} "
                    f"({', '.join(p.name for p in there[:3])}{', …' if len(there) > 3 else ''}) would be replaced, "
                    "perhaps after the practices were sent them. Replace them?")
            ask = confirm or (lambda question: QMessageBox.question(
                self, "Replace reports", question, QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.No) == QMessageBox.StandardButton.Yes)
            if not ask(text):
                self.status_label.setText("Nothing was written: choose another folder, or replace them.")
                return None
        pod = self.pod

        def done(result: reports.BatchResult) -> None:
            self.last_batch = result
            settings.report_folder = str(result.folder)
            written = counted(len(result.written), "report")
            self.status_label.setText(
                f"Cancelled: {written} of {len(codes)} written to {result.folder}." if result.cancelled
                else f"{written} of {month:%B %Y} written to {result.folder}.")
            self.open_folder_button.setVisible(bool(result.written))

        return self.context.tasks.background(
            lambda job: reports.write_practice_reports(pod, codes, month, folder, progress=job.progress,
                                                       cancel=job.cancelled),
            label=f"Writing the reports of {len(codes)} practices…", parent=self, on_done=done)

    def _open_folder(self) -> None:
        if self.last_batch is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(Path(self.last_batch.folder))))


def reports_section(context) -> ReportsSection:
    """The main window's section factory (``ui.sections``)."""
    return ReportsSection(context)
