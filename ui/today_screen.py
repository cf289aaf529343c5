"""Today: what the current staff member should do first, across the practices she covers.

One list in priority order (``application.today``), each row saying why it is there and since
when. From the keyboard: Enter opens the chart, Ctrl+D marks the row done, Ctrl+S snoozes it
until a day with a reason, Ctrl+L logs an outreach attempt, Ctrl+P prints the day sheet, F5
reads the list again. The list is read off the UI thread and again whenever a change touches
what it shows. A user who is not one of the pod's staff is told so, and sees nothing.
"""
from __future__ import annotations

import datetime as dt
import logging

from PySide6.QtCore import QAbstractTableModel, QDate, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QDateEdit, QFileDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget,
)

from application import today as app
from domain.clock import today as clock_today
from domain.errors import DomainError, NotFound
from domain.text import counted
from domain.today import KIND
from ui import shortcuts, style
from ui.latest_read import LatestRead
from ui.outreach_dialog import open_outreach_dialog
from ui.snooze_dialog import SnoozeDialog
from ui.tables import fit_column, worklist_table

log = logging.getLogger(__name__)
COLUMNS = ("Priority", "Practice", "Patient", "MRN", "Why it is here", "Since")
WHY, SINCE = 4, 5
COLUMN_WIDTHS = (176, 76, 170, 86, 560, 88)
KIND_COLOURS = {1: "#a8323e", 2: "#c0582b", 3: "#2c6e8f", 4: "#a77a12", 5: "#7a4f9a", 6: "#4f7d5c", 7: "#5d6b76"}
# the changes that can alter what Today shows
WATCHED = ("user", "today", "tasks", "referrals", "outreach", "calls", "time", "facts", "risk", "gaps", "patients", "staff")
_Index = QModelIndex | QPersistentModelIndex


def order_text() -> str:
    """The priority order, explained in one line under the list."""
    return ("First " + " · ".join(f"{k.priority} {k.label.lower()}" for k in app.KINDS)
            + ". Within each, the longest waiting first.")


class TodayModel(QAbstractTableModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.rows: list[app.TodayRow] = []

    def set_rows(self, rows: list[app.TodayRow]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def row_at(self, row: int) -> app.TodayRow | None:
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802 (Qt's name)
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole and section < len(COLUMNS):
            return COLUMNS[section]
        return None

    def cells(self, row: app.TodayRow) -> tuple[str, ...]:
        return (f"{row.priority} · {row.label}", row.practice_code, row.patient_name, row.mrn, row.reason,
                f"{row.since:%m/%d/%Y}")

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        try:
            row = self.row_at(index.row()) if index.isValid() else None
            if row is None:
                return None
            column = index.column()
            if role == Qt.ItemDataRole.DisplayRole:
                return self.cells(row)[column]
            if role == Qt.ItemDataRole.ToolTipRole:
                if column == 0:
                    return f"Priority {row.priority}: {KIND[row.kind].explanation}"
                return self.cells(row)[column]
            if role == Qt.ItemDataRole.ForegroundRole and column == 0:
                return QBrush(QColor(KIND_COLOURS.get(row.priority, style.TEXT)))
            if role == Qt.ItemDataRole.FontRole and column == 0:
                font = QFont()
                font.setBold(True)
                return font
        except Exception:  # data() is called while painting: it must never raise
            log.exception("Today row %s could not be shown", index.row())
        return None


class TodayScreen(QWidget):
    open_patient = Signal(int)
    loaded = Signal()  # the list (or the reason there is none) is on screen

    def __init__(self, context, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("todayScreen")
        self.context, self.pod = context, context.pod
        self.listing: app.TodayList | None = None
        self._shown_once = False
        self.reads = LatestRead(context, self, self._make_read, self._show, self._failed)
        self.outreach_dialog = None  # the outreach dialog last opened from here
        context.tasks.read(lambda job: app.prepare(), on_error=lambda _error: None)  # the holiday calendar

        title = QLabel("Today")
        title.setProperty("role", "sectionTitle")
        self.staff_label = QLabel(objectName="todayStaff")
        self.staff_label.setWordWrap(True)
        self.day_edit = QDateEdit(objectName="todayDay")
        self.day_edit.setCalendarPopup(True)
        self.day_edit.setDisplayFormat("ddd MM/dd/yyyy")
        self.day_edit.setDate(QDate(clock_today()))
        self.day_edit.dateChanged.connect(self._day_changed)
        self._focus_table = True  # after a read, except while the day is being changed
        day_caption = QLabel("D&ay")
        day_caption.setBuddy(self.day_edit)

        self.open_button = QPushButton("Open chart", objectName="todayOpen")
        self.outreach_button = QPushButton("Log outreach…", objectName="todayOutreach")
        self.done_button = QPushButton("Done", objectName="todayDone")
        self.snooze_button = QPushButton("Snooze…", objectName="todaySnooze")
        self.undo_button = QPushButton("Undo", objectName="todayUndo")
        self.print_button = QPushButton("Print day sheet…", objectName="todayPrint")
        for button, shortcut in ((self.open_button, shortcuts.OPEN_CHART),
                                 (self.outreach_button, shortcuts.LOG_OUTREACH),
                                 (self.done_button, shortcuts.MARK_DONE), (self.snooze_button, shortcuts.SNOOZE),
                                 (self.undo_button, shortcuts.UNDO_MARK),
                                 (self.print_button, shortcuts.PRINT)):
            button.setToolTip(f"{shortcut.description} ({shortcuts.display_keys(shortcut.keys)})")
            button.setAutoDefault(False)
        self.open_button.clicked.connect(self.open_selected)
        self.outreach_button.clicked.connect(self.log_outreach)
        self.done_button.clicked.connect(self.mark_done)
        self.snooze_button.clicked.connect(self.snooze)
        self.undo_button.clicked.connect(self.undo)
        self.last_mark: tuple[int, str] | None = None  # the last Done or Snooze of this session, to undo
        self.print_button.clicked.connect(self.choose_print_file)

        self.summary_label = QLabel(objectName="todaySummary")
        self.summary_label.setWordWrap(True)
        self.message_label = QLabel(objectName="todayMessage")
        self.message_label.setWordWrap(True)
        self.message_label.hide()
        self.empty_label = QLabel(objectName="todayEmpty")
        self.empty_label.setProperty("role", "empty")
        self.empty_label.setWordWrap(True)
        self.empty_label.hide()
        self.order_label = QLabel(order_text(), objectName="todayOrder")
        self.order_label.setProperty("role", "hint")
        self.order_label.setWordWrap(True)

        self.model = TodayModel(self)
        self.table = worklist_table(self.model, "todayTable", COLUMN_WIDTHS, stretch=WHY)
        # the priority and kind never cut, whatever kinds a day's list holds
        fit_column(self.table, 0, (f"{kind.priority} · {kind.label}" for kind in app.KINDS), bold=True)
        self.table.activated.connect(lambda index: self.open_selected())
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._update_buttons())

        top = QHBoxLayout()
        top.addWidget(title)
        top.addSpacing(12)
        top.addWidget(self.staff_label, 1)
        top.addWidget(day_caption)
        top.addWidget(self.day_edit)
        actions = QHBoxLayout()
        for button in (self.open_button, self.outreach_button, self.done_button, self.snooze_button,
                       self.undo_button):
            actions.addWidget(button)
        actions.addStretch(1)
        actions.addWidget(self.print_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 12)
        layout.addLayout(top)
        layout.addWidget(self.summary_label)
        layout.addLayout(actions)
        layout.addWidget(self.message_label)
        # the empty list's sentence takes the table's place (top-left), so nothing drifts down the screen
        layout.addWidget(self.empty_label, 1, Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.order_label)

        shortcuts.bind(shortcuts.MARK_DONE, self, self.mark_done)
        shortcuts.bind(shortcuts.SNOOZE, self, self.snooze)
        shortcuts.bind(shortcuts.UNDO_MARK, self, self.undo)
        shortcuts.bind(shortcuts.LOG_OUTREACH, self, self.log_outreach)
        shortcuts.bind(shortcuts.PRINT, self, self.choose_print_file)
        shortcuts.bind(shortcuts.REFRESH, self, self.refresh)
        self.table.installEventFilter(self)
        self._update_buttons()

    # -- reading -------------------------------------------------------------------------------
    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if not self._shown_once:  # read when first looked at, not at app start
            self._shown_once = True
            self.refresh()
        self.table.setFocus()

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt's name)
        if watched is self.table and event.type() == event.Type.FocusIn:
            self._focus_table = True  # back in the list: later reads keep the focus here
        return super().eventFilter(watched, event)

    def _day_changed(self, _date) -> None:
        self._focus_table = False  # the user is stepping through days: the focus stays with her
        self.refresh()

    def day(self) -> dt.date:
        return self.day_edit.date().toPython()

    def refresh(self):
        """Read the list again (in the background); returns the task, or None when one is running
        (another read follows it)."""
        return self.reads.start()

    def _make_read(self):
        pod, user, day = self.pod, self.context.user, self.day()
        self.summary_label.setText(f"Reading the list for {day:%A %m/%d/%Y}…")
        return lambda job: app.today_list(pod, user, day)

    def _failed(self, error: BaseException) -> None:
        self.listing = None
        self.model.set_rows([])
        self.table.hide()
        if isinstance(error, NotFound):
            self.staff_label.setText("")
            self._show_empty(f"“{self.context.user}” is not one of this pod's staff, so there is no Today list to "
                             "show. Choose who you are with File › Change user (Ctrl+Shift+U).")
        else:
            log.error("Today could not be read", exc_info=(type(error), error, error.__traceback__))
            self._show_empty(f"The list could not be read: {error}")
        self.summary_label.setText("")
        self._update_buttons()
        self.loaded.emit()

    def _show(self, listing: app.TodayList) -> None:
        keep = self.table.currentIndex().row()
        self.listing = listing
        staff = listing.staff
        practices = ", ".join(p.code for p in staff.practices)
        covered = (f"covers {counted(len(staff.practices), 'practice')}: {practices}"
                   if staff.practices else "covers no practices (only her tasks are listed)")
        self.staff_label.setText(f"<b>{staff.name}</b> · {covered}" + ("" if staff.active else " · inactive"))
        self.staff_label.setToolTip("\n".join(f"{p.name} ({p.code})" for p in staff.practices))
        self.model.set_rows(listing.rows)
        fit_column(self.table, 1, (row.practice_code for row in listing.rows))
        self.summary_label.setText(self.summary_text(listing))
        if listing.rows:
            self.empty_label.hide()
            self.table.show()
            row = min(max(keep, 0), len(listing.rows) - 1)
            self.table.setCurrentIndex(self.model.index(row, 0))
            if self._focus_table:
                self.table.setFocus()  # ready for Enter, Ctrl+D, Ctrl+S, Ctrl+L
        else:
            self.table.hide()
            self._show_empty(f"Nothing on the list for {listing.on:%A %m/%d/%Y}.")
        self._update_buttons()
        self.loaded.emit()

    @staticmethod
    def summary_text(listing: app.TodayList) -> str:
        """'1,204 items for Monday 11/02/2026 — 1 Emergency follow-up 3 · 2 Transition of care 1 (…)'."""
        parts = []
        for kind in app.KINDS:
            total = listing.totals.get(kind.name, 0)
            if not total:
                continue
            shown = listing.shown(kind.name)
            more = f" (first {shown:,} shown)" if shown < total else ""
            parts.append(f"{kind.priority} {kind.label} {total:,}{more}")
        head = f"{counted(listing.total, 'item')} for {listing.on:%A %m/%d/%Y}"
        return head + (" — " + " · ".join(parts) if parts else "")

    def _show_empty(self, text: str) -> None:
        self.empty_label.setText(text)
        self.empty_label.show()

    def apply_changes(self, changes) -> None:
        if changes.touches("user"):
            self.last_mark = None  # each user undoes her own
        if self._shown_once and changes.touches(*WATCHED):
            self.refresh()

    # -- the selected row -------------------------------------------------------------------------
    def selected(self) -> app.TodayRow | None:
        index = self.table.currentIndex()
        return self.model.row_at(index.row()) if index.isValid() and self.table.isVisible() else None

    def _update_buttons(self) -> None:
        row = self.selected()
        for button in (self.open_button, self.outreach_button):
            button.setEnabled(row is not None and row.patient_id is not None)
        for button in (self.done_button, self.snooze_button):
            button.setEnabled(row is not None)
        self.print_button.setEnabled(self.listing is not None)
        self.undo_button.setEnabled(self.last_mark is not None)

    def _say(self, text: str, alert: bool = False) -> None:
        self.message_label.setProperty("role", "status-alert" if alert else "hint")
        self.message_label.style().unpolish(self.message_label)
        self.message_label.style().polish(self.message_label)
        self.message_label.setText(text)
        self.message_label.setVisible(bool(text))

    def open_selected(self) -> None:
        row = self.selected()
        if row is None:
            return
        if row.patient_id is None:
            self._say("This call's caller is not a patient of the pod yet: there is no chart to open.", alert=True)
            return
        self.open_patient.emit(row.patient_id)

    def mark_done(self):
        row = self.selected()
        if row is None:
            return None
        pod = self.pod
        what = f"{row.label.lower()} — {row.patient_name}"
        return self.context.tasks.write(lambda job: app.mark_done(pod, row), label="Marking done…", parent=self,
                                        on_done=lambda marked: self._marked(marked, f"Done: {what}."))

    def _marked(self, marked: app.Marked, text: str) -> None:
        self.last_mark = (marked.mark_id, text)
        self._say(f"{text} Undo: Ctrl+Z.")
        self._update_buttons()

    def undo(self):
        """Ctrl+Z: the last Done or Snooze of this session taken back (the mark kept, entered in
        error; a task it completed has its earlier status again); the item is back on the list."""
        if self.last_mark is None:
            return None
        mark_id, text = self.last_mark
        pod = self.pod

        def undone(_changes) -> None:
            self.last_mark = None
            self._say(f"Undone — back on the list: {text.split(': ', 1)[-1]}")
            self._update_buttons()

        def failed(error: BaseException) -> None:
            self.last_mark = None
            self._say(f"It could not be undone: {error}", alert=True)
            self._update_buttons()

        return self.context.tasks.write(lambda job: app.undo_mark(pod, mark_id, reason="undone from Today"),
                                        label="Undoing…", parent=self, on_done=undone, on_error=failed)

    def snooze(self) -> SnoozeDialog | None:
        row = self.selected()
        if row is None:
            return None
        pod, day = self.pod, self.day()
        today = clock_today()

        def submit(until: dt.date, reason: str) -> str | None:
            task = self.context.tasks.write(lambda job: app.snooze(pod, row, until, reason, today=today),
                                            label="Snoozing…", parent=self, on_error=lambda _e: None)
            self.context.tasks.wait_for(task)
            if isinstance(task.error, DomainError):
                return str(task.error)
            if task.error is not None:
                return f"It could not be saved: {task.error}"
            self._marked(task.result, f"Snoozed until {until:%A %m/%d/%Y}: {row.label.lower()} — {row.patient_name}.")
            return None

        dialog = SnoozeDialog(f"{row.label} — {row.patient_name}: {row.reason}", max(today, day), submit, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.snooze_dialog = dialog
        dialog.open()
        return dialog

    def log_outreach(self):
        row = self.selected()
        if row is None or row.patient_id is None:
            return None

        def logged(result) -> None:
            self._say(f"Outreach logged for {row.patient_name}: {result.describe()}.")

        return open_outreach_dialog(self.context, self, row.patient_id, row.patient_name, gap_id=row.gap_id,
                                    referral_id=row.referral_id, on_logged=logged)

    # -- printing -------------------------------------------------------------------------------------
    def choose_print_file(self) -> None:
        if self.listing is None:
            return
        name = f"day-sheet-{self.listing.on.isoformat()}.pdf"
        path, _ = QFileDialog.getSaveFileName(self, "Print the day sheet", name, "PDF files (*.pdf)")
        if path:
            self.print_day_sheet(path if path.lower().endswith(".pdf") else path + ".pdf")

    def print_day_sheet(self, path: str):
        """Write the list as shown to a PDF (off the UI thread); returns the task."""
        listing, pod = self.listing, self.pod
        if listing is None:
            return None
        return self.context.tasks.background(
            lambda job: app.print_day_sheet(pod, listing, path), label="Printing the day sheet…", parent=self,
            on_done=lambda printed: self._say(f"Day sheet written to {printed.path}."))


def today_section(context) -> TodayScreen:
    """The main window's section factory (``ui.sections``)."""
    return TodayScreen(context)
