"""After-hours calls (Ctrl+5): the night nurse's overnight log across the pod, the calls waiting
for a call-back, each practice's morning hand-off with its acknowledgements, and the calls no
practice acknowledged by mid-morning (the nurse lead's list).

Times are shown on each practice's own clock. Every read runs on the task runner's readers and
every write on its writer; the section refreshes when a change touches calls.
"""
from __future__ import annotations

import datetime as dt
import logging
import os

from PySide6.QtCore import QDate, QStandardPaths, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QDateEdit, QDialog, QDialogButtonBox, QFileDialog, QHBoxLayout, QHeaderView,
    QInputDialog, QLabel, QListWidget, QListWidgetItem, QMessageBox, QPushButton, QTableWidget, QTableWidgetItem,
    QTabWidget, QVBoxLayout, QWidget,
)

from application import call_printouts as printouts
from application import calls as app
from application.calls import CallRow
from domain.calls import DISPOSITION_LABELS, DISPOSITIONS, duration_label, is_late, practice_action, waited
from domain.errors import DomainError
from domain.office_hours import to_local
from domain.clock import utcnow
from domain.text import counted
from ui import shortcuts, style
from ui.call_entry import PageDialog, open_call_entry
from ui.context import AppContext
from ui.tables import make_read_only_list
from ui.tasks import error_sentence

log = logging.getLogger(__name__)
ALERT = QColor(style.RISK_COLOURS["complex"])
WAITING_TICK_MS = 30_000  # waited times move on without a database read
CallIdRole = Qt.ItemDataRole.UserRole + 1
MAX_COLUMN = 260


def _item(text: str, call_id: int | None = None, *, bold: bool = False, alert: bool = False,
          tooltip: str = "") -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setToolTip(tooltip or text)
    if call_id is not None:
        item.setData(CallIdRole, call_id)
    if bold or alert:
        font = QFont(item.font())
        font.setBold(True)
        item.setFont(font)
    if alert:
        item.setForeground(QBrush(ALERT))
    return item


def short_time(instant: dt.datetime | None, zone: str) -> str:
    """'Sat 10/31 22:40 EDT': a night's moment on the practice's clock, without the year."""
    if instant is None:
        return ""
    local = to_local(instant, zone)
    return local.strftime("%a %m/%d %H:%M ") + (local.tzname() or "")


def disposition_text(call: CallRow) -> str:
    return DISPOSITION_LABELS.get(call.disposition, call.disposition) if call.disposition else "Waiting"


SHORT_RELATIONS = {"parent": "parent", "spouse": "spouse", "child": "son/daughter", "caregiver": "caregiver",
                   "other": "other"}


def caller_text(call: CallRow) -> str:
    relation = SHORT_RELATIONS.get(call.caller_relation, "")
    return call.caller_name + (f" ({relation})" if relation else "")


def patient_text(call: CallRow) -> str:
    if call.patient_id is None:
        return f"{call.patient_display or '—'} (not yet a patient)"
    return call.patient_display


def callback_text(call: CallRow) -> tuple[str, bool]:
    """'12 min' (late when over the 30-minute target), 'live' or 'waiting'."""
    if call.called_back_at is None:
        return "waiting", False
    minutes = int((call.called_back_at - call.received_at).total_seconds() // 60)
    return ("live" if minutes == 0 else f"{minutes} min"), minutes > 30


def acknowledged_text(call: CallRow) -> str:
    if call.acknowledged_at is None:
        return "" if call.waiting else "Not yet"
    return f"{call.acknowledged_by}, {short_time(call.acknowledged_at, call.time_zone)}"


class CallTable(QTableWidget):
    """A read-only table of calls, one call per row, several rows may be selected."""

    def __init__(self, name: str, columns: list[str], parent: QWidget | None = None):
        super().__init__(0, len(columns), parent)
        self.setObjectName(name)
        self.setHorizontalHeaderLabels(columns)
        make_read_only_list(self)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setWordWrap(True)
        self.setShowGrid(False)
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        self.horizontalHeader().setHighlightSections(False)
        self.calls: list[CallRow] = []

    def fill(self, calls: list[CallRow], rows: list[list[QTableWidgetItem]], stretch: int,
             caps: dict[int, int] | None = None) -> None:
        """Show these calls: columns as wide as their content up to their cap (longer text wraps
        onto a second line), the ``stretch`` column taking the room left."""
        self.setSortingEnabled(False)
        self.calls = list(calls)
        self.setRowCount(len(rows))
        for r, items in enumerate(rows):
            for c, item in enumerate(items):
                item.setData(CallIdRole, calls[r].id)
                self.setItem(r, c, item)
        self.resizeColumnsToContents()
        header = self.horizontalHeader()
        caps = caps or {}
        for c in range(self.columnCount()):
            width = min(header.sectionSize(c) + 14, caps.get(c, MAX_COLUMN))
            header.setSectionResizeMode(c, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(c, width)
        header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
        self.resizeRowsToContents()
        if rows:
            self.selectRow(0)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name): wrapped cells follow the width
        super().resizeEvent(event)
        if self.wordWrap() and self.rowCount():
            self.resizeRowsToContents()

    def selected_calls(self) -> list[CallRow]:
        ids = {self.item(i.row(), 0).data(CallIdRole) for i in self.selectionModel().selectedRows()}
        return [c for c in self.calls if c.id in ids]

    def current_call(self) -> CallRow | None:
        row = self.currentRow()
        if row < 0 or self.item(row, 0) is None:
            return None
        call_id = self.item(row, 0).data(CallIdRole)
        return next((c for c in self.calls if c.id == call_id), None)

    def texts(self) -> list[tuple[str, ...]]:
        """The table as shown (tests, screen readers)."""
        return [tuple(self.item(r, c).text() for c in range(self.columnCount())) for r in range(self.rowCount())]


def _button(text: str, name: str, keys: shortcuts.Shortcut | None = None) -> QPushButton:
    button = QPushButton(text, objectName=name)
    button.setAutoDefault(False)
    if keys is not None:
        button.setToolTip(shortcuts.display_keys(keys.keys))
    return button


def _practice_combo(context: AppContext, name: str, everyone: str | None) -> QComboBox:
    combo = QComboBox(objectName=name)
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(28)
    fill_practices(context, combo, everyone)
    return combo


def fill_practices(context: AppContext, combo: QComboBox, everyone: str | None) -> None:
    """The pod's active practices (a practice created or renamed meanwhile included), the choice kept."""
    chosen = combo.currentData()
    combo.blockSignals(True)
    combo.clear()
    if everyone:
        combo.addItem(everyone, None)
    for practice in app.call_practices(context.pod):
        combo.addItem(practice.label, practice.id)
    combo.setCurrentIndex(max(0, combo.findData(chosen)))
    combo.blockSignals(False)


def _date_edit(name: str, day: dt.date) -> QDateEdit:
    edit = QDateEdit(QDate(day.year, day.month, day.day), objectName=name)
    edit.setDisplayFormat("ddd MM/dd/yyyy")
    edit.setCalendarPopup(True)
    return edit


def _pydate(edit: QDateEdit) -> dt.date:
    d = edit.date()
    return dt.date(d.year(), d.month(), d.day())


def _hint(name: str) -> QLabel:
    label = QLabel(objectName=name)
    label.setProperty("role", "hint")
    label.setWordWrap(True)
    return label


class _Page(QWidget):
    """One tab: reads on the task runner, shows what it read."""

    def __init__(self, section: "CallsSection"):
        super().__init__()
        self.section, self.context = section, section.context
        self._task = None

    def lay_out(self, filters: tuple = (), buttons: tuple = ()) -> None:
        """Filters (label, widget) on top, the summary, the table, the actions below."""
        layout = QVBoxLayout(self)
        if filters:
            row = QHBoxLayout()
            for text, widget in filters:
                label = QLabel(text)
                label.setBuddy(widget)
                row.addWidget(label)
                row.addWidget(widget)
                row.addSpacing(10)
            row.addStretch(1)
            layout.addLayout(row)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        actions = QHBoxLayout()
        for button in buttons:
            actions.addWidget(button)
        actions.addStretch(1)
        layout.addLayout(actions)

    def refresh(self) -> None:
        if self._task is not None:
            self._task.discard()
        self._task = self.context.tasks.read(lambda job: self.read(), on_done=self._read_done,
                                             on_error=self._read_failed)

    def _read_done(self, result) -> None:
        self._task = None
        self.show_result(result)

    def _read_failed(self, error: BaseException) -> None:
        self._task = None
        self.summary.setText(str(error) if isinstance(error, DomainError) else error_sentence(error))

    def read(self):
        raise NotImplementedError

    def show_result(self, result) -> None:
        raise NotImplementedError


# -- the overnight log ------------------------------------------------------------------------------

LOG_COLUMNS = ["Received", "Practice", "Patient", "Caller", "Reason", "Disposition", "Call-back", "Acknowledged"]


class OvernightLogPage(_Page):
    def __init__(self, section: "CallsSection"):
        super().__init__(section)
        self.morning = _date_edit("logMorning", app.morning_of_night(dt.datetime.now()))
        self.practice = _practice_combo(self.context, "logPractice", "All practices")
        self.disposition = QComboBox(objectName="logDisposition")
        self.disposition.addItem("All dispositions", None)
        for code in DISPOSITIONS:
            self.disposition.addItem(DISPOSITION_LABELS[code], code)
        self.summary = _hint("logSummary")
        self.table = CallTable("overnightLog", LOG_COLUMNS)
        self.open_button = _button("Open chart", "logOpenChart")
        self.print_button = _button("Print call record…", "logPrint", shortcuts.PRINT_CALLS)
        self.link_button = _button("Link to patient…", "logLink")
        self.error_button = _button("Mark entered in error…", "logEnteredInError")
        self.lay_out((("Night ending the morning of", self.morning), ("Practice", self.practice),
                      ("Disposition", self.disposition)),
                     (self.open_button, self.print_button, self.link_button, self.error_button))
        self.morning.dateChanged.connect(lambda _d: self.refresh())
        self.practice.currentIndexChanged.connect(lambda _i: self.refresh())
        self.disposition.currentIndexChanged.connect(lambda _i: self.refresh())
        self.table.doubleClicked.connect(lambda _i: self.section.open_chart_of(self.table.current_call()))
        self.open_button.clicked.connect(lambda: self.section.open_chart_of(self.table.current_call()))
        self.print_button.clicked.connect(lambda: self.section.print_records(self.table.selected_calls()))
        self.link_button.clicked.connect(lambda: self.section.link_to_patient(self.table.current_call()))
        self.error_button.clicked.connect(lambda: self.section.mark_in_error(self.table.current_call()))
        shortcuts.bind(shortcuts.OPEN_CHART, self.table, lambda: self.section.open_chart_of(self.table.current_call()),
                       context=Qt.ShortcutContext.WidgetShortcut)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self._selection_changed()

    def read(self):
        return app.overnight_log(self.context.pod, _pydate(self.morning), practice_id=self.practice.currentData(),
                                 disposition=self.disposition.currentData())

    def show_result(self, log_: app.OvernightLog) -> None:
        rows = []
        for call in log_.calls:
            callback, late = callback_text(call)
            urgent = call.disposition in ("call_911", "ed_now")
            paged = f" · paged {call.escalated_to}" if call.escalated_to else ""
            rows.append([
                _item(short_time(call.received_at, call.time_zone)), _item(call.practice_code, tooltip=call.practice_name),
                _item(patient_text(call)), _item(caller_text(call)),
                _item(call.reason, tooltip="\n".join(x for x in (call.reason, call.symptoms, call.advice) if x)),
                _item(disposition_text(call) + (" · paged" if paged and call.disposition != "on_call_paged" else ""),
                      bold=urgent, alert=urgent,
                      tooltip=disposition_text(call) + paged),
                _item(callback + (" — late" if late else ""), alert=late),
                _item(acknowledged_text(call), tooltip=("Follow-up needed: " + app.practice_action(
                    call.disposition, call.follow_up_note, call.follow_up_needed)) if call.follow_up_needed else "")])
        self.table.fill(list(log_.calls), rows, stretch=4, caps={2: 150, 3: 160, 5: 200, 7: 130})
        morning = _pydate(self.morning)
        where = "" if self.practice.currentData() is None else f" for {self.practice.currentText()}"
        if log_.calls:
            waiting = sum(1 for c in log_.calls if c.waiting)
            late = sum(1 for c in log_.calls if callback_text(c)[1])
            self.summary.setText(
                f"{counted(len(log_.calls), 'call')}{where} in the night that ends on the "
                f"morning of {morning:%a %m/%d/%Y}, each practice's own night (closing to opening)"
                + (f" · {waiting} waiting for a call-back" if waiting else "")
                + (f" · {late} called back after 30 minutes" if late else "") + ".")
        else:
            self.summary.setText(f"No calls{where} in the night that ends on the morning of {morning:%a %m/%d/%Y}. "
                                 "Choose another night with the date.")
        self._selection_changed()

    def _selection_changed(self) -> None:
        call = self.table.current_call()
        self.open_button.setEnabled(call is not None and call.patient_id is not None)
        self.print_button.setEnabled(bool(self.table.selected_calls()))
        self.link_button.setEnabled(call is not None and call.patient_id is None)
        self.error_button.setEnabled(call is not None)


# -- waiting for a call-back ---------------------------------------------------------------------------

WAITING_COLUMNS = ["Waited", "Received", "Practice", "Caller", "Phone", "Patient", "Reason", "Pages"]


class WaitingPage(_Page):
    def __init__(self, section: "CallsSection"):
        super().__init__(section)
        self.summary = _hint("waitingSummary")
        self.table = CallTable("waitingCalls", WAITING_COLUMNS)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.call_back_button = _button("Call back now", "waitingCallBack", shortcuts.OPEN_CHART)
        self.page_button = _button("Page the on-call clinician…", "waitingPage", shortcuts.PAGE_ON_CALL)
        self.lay_out(buttons=(self.call_back_button, self.page_button))
        self.waiting: list[app.WaitingCall] = []
        self.call_back_button.clicked.connect(self.call_back)
        self.page_button.clicked.connect(self.page)
        self.table.doubleClicked.connect(lambda _i: self.call_back())
        shortcuts.bind(shortcuts.OPEN_CHART, self.table, self.call_back, context=Qt.ShortcutContext.WidgetShortcut)
        shortcuts.bind(shortcuts.PAGE_ON_CALL, self, self.page)
        self._tick = QTimer(self, interval=WAITING_TICK_MS)
        self._tick.timeout.connect(self._show_waited)
        self._tick.start()

    def read(self):
        return app.waiting_calls(self.context.pod)

    def show_result(self, waiting: list[app.WaitingCall]) -> None:
        self.waiting = waiting
        self._show_waited()

    def _show_waited(self) -> None:
        """Waited times as of now (the rows stay as read; only the clock moves)."""
        now = utcnow()
        rows, calls, late_count = [], [], 0
        for entry in self.waiting:
            call = entry.call
            waited_for = waited(call.received_at, now)
            late = is_late(call.received_at, now)
            late_count += late
            pages = "; ".join(f"{p.clinician} ({p.outcome.replace('_', ' ')})" for p in call.pages)
            rows.append([_item(duration_label(waited_for) + (" — late" if late else ""), bold=True, alert=late),
                         _item(short_time(call.received_at, call.time_zone)),
                         _item(call.practice_code, tooltip=call.practice_name), _item(caller_text(call)),
                         _item(call.caller_phone), _item(patient_text(call)), _item(call.reason), _item(pages)])
            calls.append(call)
        current = self.table.current_call()
        self.table.fill(calls, rows, stretch=6, caps={3: 180, 5: 170, 7: 220})
        if current is not None:
            for r, call in enumerate(calls):
                if call.id == current.id:
                    self.table.selectRow(r)
        if calls:
            self.summary.setText(f"{counted(len(calls), 'caller')} waiting for a call-back, "
                                 f"longest first. Target: called back within 30 minutes"
                                 + (f" — {late_count} late." if late_count else "."))
        else:
            self.summary.setText("Nobody is waiting for a call-back.")
        self.call_back_button.setEnabled(bool(calls))
        self.page_button.setEnabled(bool(calls))
        self.section.set_tab_count(self, len(calls), late_count)

    def call_back(self) -> None:
        call = self.table.current_call()
        if call is not None:
            self.section.entry_window = open_call_entry(self.context, self.window(), call=call)

    def page(self) -> None:
        call = self.table.current_call()
        if call is None:
            return
        dialog = PageDialog(self.context, call.practice_id, call.time_zone, self)
        if dialog.exec() == QDialog.DialogCode.Accepted and dialog.page() is not None:
            page = dialog.page()
            self.context.tasks.write(lambda job: app.record_page(self.context.pod, call.id, page),
                                     label="Recording the page…", parent=self)


# -- the morning hand-off ---------------------------------------------------------------------------------

HANDOFF_COLUMNS = ["Received", "Patient", "Caller", "Reason", "Disposition", "The practice must", "Paged",
                   "Acknowledged"]


class HandoffPage(_Page):
    def __init__(self, section: "CallsSection"):
        super().__init__(section)
        self.practice = _practice_combo(self.context, "handoffPractice", None)
        self.morning = _date_edit("handoffMorning", dt.date.today())
        self.summary = _hint("handoffSummary")
        self.table = CallTable("handoffCalls", HANDOFF_COLUMNS)
        self.acknowledge_button = _button("Acknowledge selected", "handoffAcknowledge", shortcuts.ACKNOWLEDGE)
        self.acknowledge_all_button = _button("Acknowledge all", "handoffAcknowledgeAll")
        self.print_button = _button("Print hand-off sheet…", "handoffPrint", shortcuts.PRINT_CALLS)
        self.record_button = _button("Print call records…", "handoffRecords")
        self.lay_out((("Practice", self.practice), ("Morning of", self.morning)),
                     (self.acknowledge_button, self.acknowledge_all_button, self.print_button, self.record_button))
        self.data: app.Handoff | None = None
        self.practice.currentIndexChanged.connect(lambda _i: self.refresh())
        self.morning.dateChanged.connect(lambda _d: self.refresh())
        self.acknowledge_button.clicked.connect(lambda: self.acknowledge(self.table.selected_calls()))
        self.acknowledge_all_button.clicked.connect(lambda: self.acknowledge(self.data.unacknowledged if self.data else []))
        self.print_button.clicked.connect(self.print_sheet)
        self.record_button.clicked.connect(lambda: self.section.print_records(
            self.table.selected_calls() or (list(self.data.calls) if self.data else [])))
        shortcuts.bind(shortcuts.ACKNOWLEDGE, self, lambda: self.acknowledge(self.table.selected_calls()))
        self.table.itemSelectionChanged.connect(self._selection_changed)

    def show_practice(self, practice_id: int, morning: dt.date) -> None:
        self.practice.blockSignals(True)
        self.practice.setCurrentIndex(max(0, self.practice.findData(practice_id)))
        self.practice.blockSignals(False)
        self.morning.setDate(QDate(morning.year, morning.month, morning.day))
        self.refresh()

    def read(self):
        if self.practice.currentData() is None:
            return None
        return app.handoff(self.context.pod, self.practice.currentData(), _pydate(self.morning))

    def show_result(self, data: app.Handoff | None) -> None:
        self.data = data
        if data is None:
            self.table.fill([], [], stretch=5)
            self.summary.setText("The pod has no practice yet.")
            return
        rows = []
        for call in data.calls:
            urgent = call.disposition in ("call_911", "ed_now")
            rows.append([_item(short_time(call.received_at, call.time_zone)), _item(patient_text(call)),
                         _item(caller_text(call)),
                         _item(call.reason, tooltip="\n".join(x for x in (call.reason, call.symptoms, call.advice) if x)),
                         _item(disposition_text(call), bold=urgent, alert=urgent), _item(data.action(call)),
                         _item(call.escalated_to), _item(acknowledged_text(call),
                                                         alert=call.acknowledged_at is None and not call.waiting)])
        self.table.fill(list(data.calls), rows, stretch=5, caps={1: 150, 2: 160, 3: 200, 4: 170, 6: 150, 7: 170})
        pending = len(data.unacknowledged)
        self.summary.setText(
            f"{data.practice_name}: night of {data.night_label} · {len(data.calls)} call"
            f"{'s' if len(data.calls) != 1 else ''}"
            + (f" · {pending} to acknowledge by {data.time(data.acknowledge_by)}" if pending else
               (" · all acknowledged" if data.calls else "")))
        self.acknowledge_all_button.setEnabled(pending > 0)
        self._selection_changed()

    def _selection_changed(self) -> None:
        selected = self.table.selected_calls()
        self.acknowledge_button.setEnabled(any(c.acknowledged_at is None and not c.waiting for c in selected))
        self.record_button.setEnabled(bool(self.data and self.data.calls))
        self.print_button.setEnabled(self.data is not None)

    def acknowledge(self, calls: list[CallRow]):
        ids = [c.id for c in calls if c.acknowledged_at is None and not c.waiting]
        if not ids:
            return None
        return self.context.tasks.write(lambda job: app.acknowledge_calls(self.context.pod, ids),
                                        label="Acknowledging the calls…", parent=self)

    def print_sheet(self) -> None:
        if self.data is None:
            return
        name = f"handoff-{self.data.practice_code}-{self.data.morning.isoformat()}.pdf"
        path = self.section.choose_pdf(name)
        if path:
            self.print_sheet_to(path)

    def print_sheet_to(self, path: str):
        practice_id, morning = self.data.practice_id, self.data.morning
        return self.context.tasks.write(lambda job: printouts.print_handoff(self.context.pod, practice_id, morning, path),
                                        label="Writing the hand-off sheet…", parent=self,
                                        on_done=self.section.printed)


# -- the nurse lead's list ------------------------------------------------------------------------------------

LEAD_COLUMNS = ["Practice", "Received", "Patient", "Disposition", "Acknowledge by", "Overdue by", "The practice must"]


class LeadListPage(_Page):
    def __init__(self, section: "CallsSection"):
        super().__init__(section)
        self.summary = _hint("leadSummary")
        self.table = CallTable("leadList", LEAD_COLUMNS)
        self.acknowledge_button = _button("Acknowledge selected", "leadAcknowledge", shortcuts.ACKNOWLEDGE)
        self.handoff_button = _button("Show the hand-off", "leadShowHandoff")
        self.lay_out(buttons=(self.acknowledge_button, self.handoff_button))
        self.overdue: list[app.OverdueAcknowledgement] = []
        self.acknowledge_button.clicked.connect(self.acknowledge)
        self.handoff_button.clicked.connect(self.show_handoff)
        shortcuts.bind(shortcuts.ACKNOWLEDGE, self, self.acknowledge)

    def read(self):
        return app.lead_list(self.context.pod)

    def show_result(self, overdue: list[app.OverdueAcknowledgement]) -> None:
        self.overdue = overdue
        now = utcnow()
        rows = []
        for entry in overdue:
            call = entry.call
            rows.append([_item(call.practice_code, tooltip=call.practice_name),
                         _item(short_time(call.received_at, call.time_zone)), _item(patient_text(call)),
                         _item(disposition_text(call), bold=call.disposition in ("call_911", "ed_now")),
                         _item(short_time(entry.due, call.time_zone)),
                         _item(duration_label(now - entry.due), alert=True),
                         _item(practice_action(call.disposition, call.follow_up_note, call.follow_up_needed))])
        self.table.fill([e.call for e in overdue], rows, stretch=6, caps={2: 170, 3: 200})
        self.summary.setText(
            f"{counted(len(overdue), 'call')} not acknowledged by mid-morning (two hours after "
            "the practice opened): call the practice, then acknowledge on its behalf." if overdue else
            "Every call was acknowledged by its practice in time.")
        self.acknowledge_button.setEnabled(bool(overdue))
        self.handoff_button.setEnabled(bool(overdue))
        self.section.set_tab_count(self, len(overdue), len(overdue))

    def acknowledge(self):
        ids = [c.id for c in self.table.selected_calls()]
        if not ids:
            return None
        return self.context.tasks.write(lambda job: app.acknowledge_calls(self.context.pod, ids),
                                        label="Acknowledging the calls…", parent=self)

    def show_handoff(self) -> None:
        call = self.table.current_call()
        entry = next((e for e in self.overdue if call and e.call.id == call.id), None)
        if entry is not None:
            morning = to_local(entry.due, call.time_zone).date()
            self.section.show_handoff(call.practice_id, morning)


# -- the drafts offered back ------------------------------------------------------------------------------------

class DraftsDialog(QDialog):
    """Unfinished calls from before (a crash, a closed window): resume or discard each."""

    def __init__(self, section: "CallsSection", drafts: list, parent: QWidget | None = None):
        super().__init__(parent)
        self.section = section
        self.setObjectName("callDrafts")
        self.setWindowTitle("Unfinished after-hours calls")
        self.drafts = drafts
        intro = QLabel("These calls were being entered when Carepod last closed. Nothing typed was lost: resume each "
                       "one to finish it, or discard it.")
        intro.setWordWrap(True)
        self.list = QListWidget(objectName="draftList")
        for draft in drafts:
            item = QListWidgetItem(draft_summary(draft))
            item.setData(Qt.ItemDataRole.UserRole, draft.id)
            self.list.addItem(item)
        self.list.setCurrentRow(0)
        buttons = QDialogButtonBox()
        self.resume_button = buttons.addButton("Resume", QDialogButtonBox.ButtonRole.AcceptRole)
        self.discard_button = buttons.addButton("Discard…", QDialogButtonBox.ButtonRole.DestructiveRole)
        self.later_button = buttons.addButton("Later", QDialogButtonBox.ButtonRole.RejectRole)
        self.resume_button.clicked.connect(self.resume)
        self.discard_button.clicked.connect(self.discard)
        self.later_button.clicked.connect(self.reject)
        self.list.itemActivated.connect(lambda _item: self.resume())
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.list, 1)
        layout.addWidget(buttons)
        self.resize(640, 300)

    def current(self):
        item = self.list.currentItem()
        return None if item is None else next(d for d in self.drafts if d.id == item.data(Qt.ItemDataRole.UserRole))

    def _remove_current(self) -> None:
        self.list.takeItem(self.list.currentRow())
        if self.list.count() == 0:
            self.accept()

    def resume(self):
        draft = self.current()
        if draft is None:
            return None
        window = open_call_entry(self.section.context, self.section.window(), draft=draft)
        self.section.entry_window = window
        self._remove_current()
        return window

    def discard(self, confirm: bool = True) -> None:
        draft = self.current()
        if draft is None:
            return
        if confirm and QMessageBox.question(self, "Discard the call", "Throw this unfinished call away? Nothing of "
                                            "it will be kept.") != QMessageBox.StandardButton.Yes:
            return
        self.section.context.tasks.write(lambda job: app.discard_draft(self.section.context.pod, draft.id),
                                         label="Discarding…", parent=self)
        self._remove_current()


def draft_summary(draft) -> str:
    c = draft.content
    who = c.get("chosen") or c.get("new_name") or c.get("caller") or "caller not named yet"
    reason = c.get("reason") or "no reason typed yet"
    when = draft.updated_at.replace(tzinfo=dt.timezone.utc).astimezone().strftime("%m/%d/%Y %H:%M")
    return f"{when} · {who.split(' · ')[0]} · {reason}"


# -- the section ---------------------------------------------------------------------------------------------------

class CallsSection(QWidget):
    open_patient = Signal(int)

    def __init__(self, context: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("callsSection")
        self.context = context
        self.entry_window = None
        self.drafts_dialog: DraftsDialog | None = None
        self.new_button = _button("New after-hours call", "callsNew", shortcuts.NEW_CALL)
        self.new_button.setText(f"New after-hours call  ({shortcuts.display_keys(shortcuts.NEW_CALL.keys)})")
        self.drafts_button = _button("", "callsDrafts")
        self.drafts_button.hide()
        top = QHBoxLayout()
        top.addWidget(self.new_button)
        top.addWidget(self.drafts_button)
        top.addStretch(1)
        self.tabs = QTabWidget(objectName="callsTabs")
        self.log_page = OvernightLogPage(self)
        self.waiting_page = WaitingPage(self)
        self.handoff_page = HandoffPage(self)
        self.lead_page = LeadListPage(self)
        self._titles = {}
        for page, title in ((self.log_page, "Overnight log"), (self.waiting_page, "Waiting for call-back"),
                            (self.handoff_page, "Morning hand-off"), (self.lead_page, "Not acknowledged")):
            self.tabs.addTab(page, title)
            self._titles[page] = title
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 8)
        layout.addLayout(top)
        layout.addWidget(self.tabs, 1)
        self.new_button.clicked.connect(self.new_call)
        self.drafts_button.clicked.connect(self.offer_drafts)
        self.tabs.currentChanged.connect(lambda _i: self.tabs.currentWidget().refresh())
        shortcuts.bind(shortcuts.PRINT_CALLS, self, self._print_shortcut)
        for page in (self.log_page, self.waiting_page, self.handoff_page, self.lead_page):
            page.refresh()
        QTimer.singleShot(0, self.check_drafts)

    # -- refreshing ---------------------------------------------------------------------------------
    def apply_changes(self, changes) -> None:
        if changes.touches("practices"):
            fill_practices(self.context, self.log_page.practice, "All practices")
            fill_practices(self.context, self.handoff_page.practice, None)
        if changes.touches("calls", "practices"):
            for page in (self.log_page, self.waiting_page, self.handoff_page, self.lead_page):
                page.refresh()
        if changes.touches("drafts", "user"):
            self.check_drafts(offer=False)

    def set_tab_count(self, page: QWidget, count: int, alert: int) -> None:
        index = self.tabs.indexOf(page)
        self.tabs.setTabText(index, f"{self._titles[page]} ({count})" if count else self._titles[page])
        self.tabs.tabBar().setTabTextColor(index, ALERT if alert else QColor(style.TEXT))

    # -- drafts ----------------------------------------------------------------------------------------
    def check_drafts(self, offer: bool = True) -> None:
        """Read the user's unfinished calls; at start-up offer them back."""
        self.context.tasks.read(lambda job: app.call_drafts_of(self.context.pod),
                                on_done=lambda drafts: self._drafts_read(drafts, offer), on_error=lambda _e: None)

    def _drafts_read(self, drafts: list, offer: bool) -> None:
        open_ids = {w.draft_id for w in self.window().findChildren(QDialog) if hasattr(w, "draft_id")}
        drafts = [d for d in drafts if d.id not in open_ids]
        self._drafts = drafts
        self.drafts_button.setVisible(bool(drafts))
        self.drafts_button.setText(f"{len(drafts)} unfinished call{'s' if len(drafts) != 1 else ''} — resume…")
        if offer and drafts:
            self.offer_drafts()

    def offer_drafts(self) -> None:
        drafts = getattr(self, "_drafts", [])
        if not drafts:
            return
        self.drafts_dialog = DraftsDialog(self, drafts, self.window())
        self.drafts_dialog.finished.connect(lambda _r: self.check_drafts(offer=False))
        self.drafts_dialog.open()

    # -- actions ---------------------------------------------------------------------------------------
    def new_call(self):
        self.entry_window = open_call_entry(self.context, self.window())
        return self.entry_window

    def show_handoff(self, practice_id: int, morning: dt.date) -> None:
        self.tabs.setCurrentWidget(self.handoff_page)
        self.handoff_page.show_practice(practice_id, morning)

    def open_chart_of(self, call: CallRow | None) -> None:
        if call is not None and call.patient_id is not None:
            self.open_patient.emit(call.patient_id)

    def _print_shortcut(self) -> None:
        page = self.tabs.currentWidget()
        if page is self.handoff_page:
            self.handoff_page.print_sheet()
        elif page is self.log_page:
            self.print_records(self.log_page.table.selected_calls())

    def choose_pdf(self, name: str) -> str:
        folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation) or os.getcwd()
        path, _ = QFileDialog.getSaveFileName(self, "Save as PDF", os.path.join(folder, name), "PDF files (*.pdf)")
        return path

    def print_records(self, calls: list[CallRow]):
        if not calls:
            return None
        first = calls[0]
        name = (f"call-record-{first.practice_code}-{first.received_at:%Y%m%d-%H%M}.pdf" if len(calls) == 1
                else f"call-records-{len(calls)}.pdf")
        path = self.choose_pdf(name)
        return self.print_records_to([c.id for c in calls], path) if path else None

    def print_records_to(self, call_ids: list[int], path: str):
        return self.context.tasks.write(lambda job: printouts.print_call_records(self.context.pod, call_ids, path),
                                        label="Writing the call records…", parent=self, on_done=self.printed)

    def printed(self, result) -> None:
        QMessageBox.information(self, "Printed", f"{counted(result.calls, 'call')} written "
                                                 f"to {result.path}. Print it from your PDF viewer.")

    def link_to_patient(self, call: CallRow | None) -> None:
        if call is None or call.patient_id is not None:
            return
        text, ok = QInputDialog.getText(self, "Link the call to a patient",
                                        f"The call was about {call.patient_display or call.caller_name}. "
                                        f"Name, MRN or birth date of the patient at {call.practice_name}:")
        if not ok or not text.strip():
            return
        from application.patients import search_patients

        rows = search_patients(self.context.pod, text, [call.practice_id], limit=20)
        if not rows:
            QMessageBox.warning(self, "Link the call", f"No patient of {call.practice_name} matches “{text}”.")
            return
        labels = [f"{r.display_name} · born {r.birth_date:%m/%d/%Y} · MRN {r.mrn}" for r in rows]
        choice, ok = QInputDialog.getItem(self, "Link the call", "The patient:", labels, 0, False)
        if ok:
            patient_id = rows[labels.index(choice)].id
            self.context.tasks.write(lambda job: app.link_call_to_patient(self.context.pod, call.id, patient_id),
                                     label="Linking the call…", parent=self)

    def mark_in_error(self, call: CallRow | None) -> None:
        if call is None:
            return
        reason, ok = QInputDialog.getText(self, "Mark entered in error",
                                          "Why is this call record wrong? It is kept, marked entered-in-error.")
        if ok and reason.strip():
            self.context.tasks.write(lambda job: app.mark_call_entered_in_error(self.context.pod, call.id, reason),
                                     label="Marking the call…", parent=self)

    def save_settings(self, settings) -> None:
        """Nothing to remember beyond the window's layout."""


def calls_section(context: AppContext) -> CallsSection:
    return CallsSection(context)
