"""Administration ▸ Audit trail: every view, change, print and export of the pod, newest first.

Narrowed by staff member, action and days (From/To, on this computer's clock); read a page at
a time on a reader thread as the list scrolls, so a pod with millions of events opens at once.
Enter (or a double-click) on an event about a patient opens that patient's chart. "Verify the
chain" walks the whole hash chain (``application.integrity``) on the task runner, with progress,
and names the first event that was changed, removed or slipped in.
"""
from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QMessageBox, QPushButton, QVBoxLayout, QWidget

from application import audit_trail as app
from application.integrity import NotChained, verify_audit_trail
from application.staff import staff_list
from domain.errors import DomainError
from domain.text import counted
from ui import format as fmt
from ui.date_field import DateField
from ui.empty_view import EmptyViewMessage
from ui.latest_read import LatestRead
from ui.tables import worklist_table

COLUMNS = ("When", "Who", "Action", "Record", "Patient", "Detail")
COLUMN_WIDTHS = (130, 170, 110, 150, 210)
ANY = ""


class AuditModel(QAbstractTableModel):
    """The events read so far; ``wants_more`` asks the page for the next page as the view
    scrolls to the end (Qt's canFetchMore/fetchMore)."""

    wants_more = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.rows: list[app.AuditRow] = []
        self.complete = True
        self.loading = False

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self.texts(row)[index.column()]
        return None

    @staticmethod
    def texts(row: app.AuditRow) -> tuple[str, ...]:
        record = fmt.label(row.record_type) + (f" {row.record_id}" if row.record_id is not None else "")
        return (fmt.local_datetime(row.at), row.actor, fmt.label(row.action), record, row.patient, row.detail)

    def show_first(self, rows: list[app.AuditRow], complete: bool) -> None:
        self.beginResetModel()
        self.rows, self.complete, self.loading = list(rows), complete, False
        self.endResetModel()

    def add_page(self, rows: list[app.AuditRow], complete: bool) -> None:
        self.loading = False
        self.complete = complete
        if rows:
            self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows) + len(rows) - 1)
            self.rows.extend(rows)
            self.endInsertRows()

    def canFetchMore(self, parent=QModelIndex()) -> bool:  # noqa: N802
        return not parent.isValid() and not self.complete and not self.loading

    def fetchMore(self, parent=QModelIndex()) -> None:  # noqa: N802
        if self.canFetchMore(parent):
            self.loading = True
            self.wants_more.emit()


class AuditTrailPage(QWidget):
    open_patient = Signal(int)

    def __init__(self, context, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.setObjectName("auditTrailPage")
        title = QLabel("Audit trail — who viewed, changed, printed or exported what, newest first")
        title.setObjectName("pageTitle")
        self.who_combo = QComboBox(objectName="auditWho")
        self.who_combo.addItem("Anyone", ANY)
        self.action_combo = QComboBox(objectName="auditAction")
        self.action_combo.addItem("Any action", ANY)
        for action in app.ACTIONS:
            self.action_combo.addItem(fmt.label(action), action)
        self.first_day = DateField("From", objectName="auditFrom")
        self.last_day = DateField("To", objectName="auditTo")
        self.verify_button = QPushButton("&Verify the chain…", objectName="auditVerify")
        self.verify_button.setToolTip("Check that no event was changed, removed or slipped in since it was recorded")
        self.verify_button.clicked.connect(self.verify)
        filters = QHBoxLayout()
        for caption, widget in (("&Who", self.who_combo), ("&Action", self.action_combo),
                                ("F&rom", self.first_day), ("T&o", self.last_day)):
            label = QLabel(caption)
            label.setBuddy(widget)
            filters.addWidget(label)
            filters.addWidget(widget)
        filters.addStretch(1)
        filters.addWidget(self.verify_button)
        self.status_label = QLabel(objectName="auditStatus")
        self.status_label.setProperty("role", "hint")
        self.model = AuditModel(self)
        self.model.wants_more.connect(self._read_more)
        self.table = worklist_table(self.model, "auditTable", COLUMN_WIDTHS)
        self.table.activated.connect(lambda index: self.open_row(index.row()))
        self.empty = EmptyViewMessage(self.table)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addLayout(filters)
        layout.addWidget(self.status_label)
        layout.addWidget(self.table, 1)
        self.reads = LatestRead(context, self, self._make_read, self._show_first, self._failed)
        self._more_task = None
        self._shown_once = False
        self.who_combo.currentIndexChanged.connect(self.refresh)
        self.action_combo.currentIndexChanged.connect(self.refresh)
        self.first_day.editingFinished.connect(self.refresh)
        self.last_day.editingFinished.connect(self.refresh)

    # -- reading ----------------------------------------------------------------------------------
    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        if not self._shown_once:
            self._shown_once = True
            self._fill_staff()
            self.refresh()

    def _fill_staff(self) -> None:
        chosen = self.who_combo.currentData()
        names = sorted({row.name for row in staff_list(self.context.pod)}, key=str.casefold)
        self.who_combo.blockSignals(True)
        self.who_combo.clear()
        self.who_combo.addItem("Anyone", ANY)
        for name in names:
            self.who_combo.addItem(name, name)
        self.who_combo.setCurrentIndex(max(self.who_combo.findData(chosen), 0))
        self.who_combo.blockSignals(False)

    def current_filter(self) -> app.AuditFilter:
        """The filter as chosen; raises DomainError for a date that is not one or From after To."""
        return app.audit_filter(self.who_combo.currentData(), self.action_combo.currentData(),
                                self.first_day.date(), self.last_day.date())

    def refresh(self):
        if not self._shown_once:
            return None
        try:
            self.current_filter()
        except DomainError as error:
            self.status_label.setText(str(error))
            return None
        return self.reads.start()

    def _make_read(self):
        pod, flt = self.context.pod, self.current_filter()
        self.status_label.setText("Reading the audit trail…")
        if self._more_task is not None:
            self._more_task.discard()  # a page of the filter no longer shown
            self._more_task = None
        return lambda job: (flt, app.audit_page(pod, flt))

    def _show_first(self, result) -> None:
        flt, rows = result
        self.filter_shown = flt
        self.model.show_first(rows, complete=len(rows) < app.PAGE_SIZE)
        self._describe()
        if rows:
            self.table.setCurrentIndex(self.model.index(0, 0))

    def _read_more(self) -> None:
        if not self.model.rows:
            self.model.loading = False
            return
        pod, flt, before = self.context.pod, self.filter_shown, self.model.rows[-1].id

        def done(rows) -> None:
            self._more_task = None
            self.model.add_page(rows, complete=len(rows) < app.PAGE_SIZE)
            self._describe()

        def failed(error: BaseException) -> None:
            self._more_task = None
            self.model.loading = False
            self._failed(error)

        self._more_task = self.context.tasks.read(lambda job: app.audit_page(pod, flt, before), parent=self,
                                                  on_done=done, on_error=failed)

    def _describe(self) -> None:
        count = self.model.rowCount()
        chosen = (self.who_combo.currentData(), self.action_combo.currentData(), self.first_day.text().strip(),
                  self.last_day.text().strip())
        if count == 0:
            self.status_label.setText("No event matches these filters." if any(chosen) else "No events recorded yet.")
            self.empty.set_text("" if any(chosen) else
                                "No events recorded yet. Every chart opened, record changed, report printed "
                                "and list exported is listed here, with who did it and when.")
            return
        self.empty.set_text("")
        more = "" if self.model.complete else " — scroll down for older ones"
        self.status_label.setText(f"Newest first · {counted(count, 'event')} shown{more}. "
                                  "Enter opens the patient's chart.")

    def _failed(self, error: BaseException) -> None:
        self.status_label.setText(f"The audit trail could not be read: {error}")

    def apply_changes(self, changes) -> None:
        if changes.touches("staff"):
            self._fill_staff()
        if self._shown_once and self.isVisible():
            self.refresh()  # anything done is an event

    # -- acting on an event ----------------------------------------------------------------------
    def open_row(self, row: int) -> None:
        if 0 <= row < len(self.model.rows) and self.model.rows[row].patient_id is not None:
            self.open_patient.emit(self.model.rows[row].patient_id)

    def verify(self):
        pod = self.context.pod

        def done(verdict) -> None:
            if verdict.ok:
                QMessageBox.information(self, "Audit trail verified",
                                        f"The chain of {verdict.events:,} events holds: no event was changed, "
                                        f"removed or slipped in.\n\nNewest hash: {verdict.last_hash[:16]}… (compare "
                                        "it with one noted earlier, or with a backup's).")
            else:
                QMessageBox.warning(self, "The audit trail was changed", verdict.problem)

        def failed(error: BaseException) -> None:
            text = str(error) if isinstance(error, (NotChained, DomainError)) else f"It could not be checked: {error}"
            QMessageBox.warning(self, "Audit trail not verified", text)

        return self.context.tasks.read(
            lambda job: verify_audit_trail(pod, progress=lambda done_, total: job.progress(
                done_, total, "Verifying the audit trail's chain…")),
            label="Verifying the audit trail…", show_progress=True, parent=self, on_done=done, on_error=failed)


def audit_page(context) -> AuditTrailPage:
    """The Administration section's page factory (``ui.admin_section.PAGES``)."""
    return AuditTrailPage(context)
