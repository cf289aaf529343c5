"""Administration > Practices: each practice's details, opening hours by weekday in its time zone,
its closed days (beside the federal holidays every office keeps), after-hours instructions, its
clinicians and its on-call rota; and creating a practice. Every change is one audited save on
the task runner's writer; "after hours" and each practice's night follow from what is kept here.
"""
from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate, QDateTime, Qt, QTime
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDateEdit, QDateTimeEdit, QDialog, QDialogButtonBox, QFormLayout, QGridLayout, QGroupBox,
    QHBoxLayout, QLabel, QLineEdit, QListWidget, QListWidgetItem, QMessageBox, QPlainTextEdit, QPushButton,
    QScrollArea, QSpinBox, QSplitter, QTabWidget, QTableWidget, QTableWidgetItem, QTimeEdit, QVBoxLayout, QWidget,
)

from application import practices as app
from application.practices import PracticeDetail, PracticeFields
from domain.clock import utcnow
from domain.office_hours import DEFAULT_HOURS, US_ZONES, WEEKDAYS, OpeningHours, to_local
from ui.context import AppContext
from ui.tables import make_read_only_list

ZONE_LABELS = {name: f"{label} — {name}" for name, label in US_ZONES}


def _time(value: dt.time) -> QTime:
    return QTime(value.hour, value.minute)


def _pytime(value: QTime) -> dt.time:
    return dt.time(value.hour(), value.minute())


def _pydate(value: QDate) -> dt.date:
    return dt.date(value.year(), value.month(), value.day())


def _pydatetime(value: QDateTime) -> dt.datetime:
    d, t = value.date(), value.time()
    return dt.datetime(d.year(), d.month(), d.day(), t.hour(), t.minute())


def _scrolling(page: QWidget) -> QScrollArea:
    """The page in a scroll area: a narrow window scrolls it instead of growing wider than the screen."""
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setWidget(page)
    return scroll


def _hint(text: str = "", name: str = "") -> QLabel:
    label = QLabel(text, objectName=name)
    label.setProperty("role", "hint")
    label.setWordWrap(True)
    return label


class DetailsForm(QWidget):
    """The practice's particulars: code, name, address, phone, TIN/NPI, zone, instructions, active."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.code = QLineEdit(objectName="practiceCode")
        self.code.setMaxLength(16)
        self.code.setPlaceholderText("OAK")
        self.name = QLineEdit(objectName="practiceName")
        self.address = QLineEdit(objectName="practiceAddress")
        self.phone = QLineEdit(objectName="practicePhone")
        self.tin = QLineEdit(objectName="practiceTin")
        self.tin.setPlaceholderText("12-3456789")
        self.npi = QLineEdit(objectName="practiceNpi")
        self.npi.setPlaceholderText("10 digits")
        self.zone = QComboBox(objectName="practiceZone")
        self.zone.setEditable(True)  # any IANA name; the common US zones are offered
        for name, _label in US_ZONES:
            self.zone.addItem(ZONE_LABELS[name], name)
        self.instructions = QPlainTextEdit(objectName="practiceInstructions")
        self.instructions.setTabChangesFocus(True)
        self.instructions.setFixedHeight(5 * self.fontMetrics().height() + 12)
        self.instructions.setPlaceholderText("What the night nurse must know: whom to page for what, refills, hospital "
                                             "admissions…")
        self.active = QCheckBox("&Active (shown in the pod's lists)", objectName="practiceActive")
        self.active.setChecked(True)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        for text, widget in (("&Code", self.code), ("&Name", self.name), ("A&ddress", self.address),
                             ("P&hone", self.phone), ("&TIN", self.tin), ("N&PI", self.npi), ("Time &zone", self.zone),
                             ("After-hours &instructions", self.instructions)):
            label = QLabel(text)
            label.setBuddy(widget)
            form.addRow(label, widget)
        form.addRow("", self.active)

    def zone_name(self) -> str:
        text = self.zone.currentText().strip()
        data = self.zone.currentData()
        if data and ZONE_LABELS.get(data) == text:
            return data
        return text.split(" — ")[-1]

    def set_zone(self, name: str) -> None:
        index = self.zone.findData(name)
        if index >= 0:
            self.zone.setCurrentIndex(index)
        else:
            self.zone.setEditText(name)

    def fields(self) -> PracticeFields:
        return PracticeFields(code=self.code.text(), name=self.name.text(), address=self.address.text(),
                              phone=self.phone.text(), tin=self.tin.text(), npi=self.npi.text(),
                              after_hours_instructions=self.instructions.toPlainText(), active=self.active.isChecked(),
                              time_zone=self.zone_name())

    def show_detail(self, detail: PracticeDetail) -> None:
        self.code.setText(detail.code)
        self.name.setText(detail.name)
        self.address.setText(detail.address)
        self.phone.setText(detail.phone)
        self.tin.setText(detail.tin)
        self.npi.setText(detail.npi)
        self.set_zone(detail.time_zone)
        self.instructions.setPlainText(detail.after_hours_instructions)
        self.active.setChecked(detail.active)


class HoursGrid(QWidget):
    """Monday to Sunday: open or closed, and the hours on the practice's clock."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(QLabel("Opens"), 0, 1)
        grid.addWidget(QLabel("Closes"), 0, 2)
        self.open: list[QCheckBox] = []
        self.opens: list[QTimeEdit] = []
        self.closes: list[QTimeEdit] = []
        for day, name in enumerate(WEEKDAYS):
            check = QCheckBox(name, objectName=f"hoursOpen{day}")
            opens, closes = QTimeEdit(objectName=f"hoursOpens{day}"), QTimeEdit(objectName=f"hoursCloses{day}")
            for edit in (opens, closes):
                edit.setDisplayFormat("HH:mm")
            check.toggled.connect(opens.setEnabled)
            check.toggled.connect(closes.setEnabled)
            grid.addWidget(check, day + 1, 0)
            grid.addWidget(opens, day + 1, 1)
            grid.addWidget(closes, day + 1, 2)
            self.open.append(check)
            self.opens.append(opens)
            self.closes.append(closes)
        grid.setColumnStretch(3, 1)
        self.show_hours([OpeningHours(d, o, c) for d, (o, c) in DEFAULT_HOURS.items()])

    def show_hours(self, hours) -> None:
        by_day = {h.weekday: h for h in hours}
        for day in range(7):
            row = by_day.get(day)
            self.open[day].setChecked(row is not None)
            self.opens[day].setTime(_time(row.opens if row else dt.time(8)))
            self.closes[day].setTime(_time(row.closes if row else dt.time(17)))
            self.opens[day].setEnabled(row is not None)
            self.closes[day].setEnabled(row is not None)

    def hours(self) -> list[OpeningHours]:
        return [OpeningHours(day, _pytime(self.opens[day].time()), _pytime(self.closes[day].time()))
                for day in range(7) if self.open[day].isChecked()]


class NewPracticeDialog(QDialog):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("newPractice")
        self.setWindowTitle("New practice")
        self.details = DetailsForm()
        self.hours = HoursGrid()
        hours_box = QGroupBox("Opening hours (on the practice's clock)")
        QVBoxLayout(hours_box).addWidget(self.hours)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Create the practice")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.details)
        layout.addWidget(hours_box)
        layout.addWidget(buttons)
        self.resize(640, 620)


class PracticesPage(QWidget):
    def __init__(self, context: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("practicesPage")
        self.context = context
        self.detail: PracticeDetail | None = None
        self._pending_select: int | None = None
        self._list_reads = 0

        self.list = QListWidget(objectName="practiceList")
        self.list.setMinimumWidth(180)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.new_button = QPushButton("New practice…", objectName="practiceNew")
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.list, 1)
        left_layout.addWidget(self.new_button)

        self.title = QLabel(objectName="practiceTitle")
        self.title.setProperty("role", "sectionTitle")
        self.status = _hint(name="practiceStatus")
        self.tabs = QTabWidget(objectName="practiceTabs")
        self.tabs.addTab(self._details_tab(), "Details")
        self.tabs.addTab(self._calendar_tab(), "Hours and closed days")
        self.tabs.addTab(self._rota_tab(), "Clinicians and on-call rota")
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(12, 4, 4, 4)
        right_layout.addWidget(self.title)
        right_layout.addWidget(self.status)
        right_layout.addWidget(self.tabs, 1)

        splitter = QSplitter(objectName="practiceSplitter")
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([240, 900])
        splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 8)
        layout.addWidget(splitter)

        self.list.currentItemChanged.connect(lambda item, _old: self.load(item.data(Qt.ItemDataRole.UserRole))
                                             if item else None)
        self.new_button.clicked.connect(self.new_practice)
        self.refresh_list()

    # -- building ---------------------------------------------------------------------------------
    def _details_tab(self) -> QWidget:
        self.details = DetailsForm()
        self.save_details_button = QPushButton("Save details", objectName="practiceSaveDetails")
        self.save_details_button.clicked.connect(self.save_details)
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(self.details)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.save_details_button)
        layout.addLayout(row)
        layout.addStretch(1)
        return page

    def _calendar_tab(self) -> QWidget:
        self.hours = HoursGrid()
        self.save_hours_button = QPushButton("Save opening hours", objectName="practiceSaveHours")
        self.save_hours_button.clicked.connect(self.save_hours)
        self.night_hint = _hint(name="practiceNight")
        hours_box = QGroupBox("Opening hours, on the practice's clock")
        hours_box.setToolTip("Outside these hours, and on closed days, calls go to the night nurse.")
        hours_layout = QVBoxLayout(hours_box)
        hours_layout.addWidget(self.hours)
        hours_layout.addWidget(self.night_hint)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.save_hours_button)
        hours_layout.addLayout(row)

        self.closed = QListWidget(objectName="practiceClosedDays")
        self.closed.setMinimumHeight(60)
        self.closed.setMaximumHeight(130)
        self.closed_date = QDateEdit(QDate.currentDate(), objectName="practiceClosedDate")
        self.closed_date.setCalendarPopup(True)
        self.closed_date.setDisplayFormat("ddd MM/dd/yyyy")
        self.closed_reason = QLineEdit(objectName="practiceClosedReason")
        self.closed_reason.setPlaceholderText("Why: staff training day…")
        self.add_closed_button = QPushButton("Add closed day", objectName="practiceAddClosed")
        self.remove_closed_button = QPushButton("Remove selected", objectName="practiceRemoveClosed")
        self.add_closed_button.clicked.connect(self.add_closed_day)
        self.remove_closed_button.clicked.connect(self.remove_closed_day)
        closed_box = QGroupBox("The practice's own closed days")
        closed_layout = QVBoxLayout(closed_box)
        closed_layout.addWidget(self.closed, 1)
        add_row = QHBoxLayout()
        add_row.addWidget(self.closed_date)
        add_row.addWidget(self.closed_reason, 1)
        add_row.addWidget(self.add_closed_button)
        closed_layout.addLayout(add_row)
        closed_layout.addWidget(self.remove_closed_button, 0, Qt.AlignmentFlag.AlignLeft)

        self.holiday_year = QSpinBox(objectName="practiceHolidayYear")
        self.holiday_year.setRange(2000, 2100)
        self.holiday_year.setValue(dt.date.today().year)
        self.holidays = QListWidget(objectName="practiceHolidays")
        self.holidays.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.holiday_year.valueChanged.connect(self._show_holidays)
        holidays_box = QGroupBox("Federal holidays (closed)")
        self.holidays.setMinimumWidth(180)
        holidays_layout = QVBoxLayout(holidays_box)
        year_row = QHBoxLayout()
        year_row.addWidget(QLabel("Year"))
        year_row.addWidget(self.holiday_year)
        year_row.addStretch(1)
        holidays_layout.addLayout(year_row)
        holidays_layout.addWidget(self.holidays, 1)
        self._show_holidays()

        page = QWidget()
        grid = QGridLayout(page)
        grid.addWidget(hours_box, 0, 0)
        grid.addWidget(holidays_box, 0, 1)
        grid.addWidget(closed_box, 1, 0, 1, 2)
        grid.setRowStretch(1, 1)
        grid.setColumnStretch(1, 1)
        return _scrolling(page)

    def _rota_tab(self) -> QWidget:
        self.clinicians = QListWidget(objectName="practiceClinicians")
        self.clinicians.setMaximumHeight(110)
        self.new_given = QLineEdit(objectName="clinicianGiven")
        self.new_given.setPlaceholderText("Given name")
        self.new_family = QLineEdit(objectName="clinicianFamily")
        self.new_family.setPlaceholderText("Family name")
        self.new_credentials = QComboBox(objectName="clinicianCredentials")
        self.new_credentials.addItems(["MD", "DO", "NP", "PA"])
        self.add_clinician_button = QPushButton("Add clinician", objectName="practiceAddClinician")
        self.add_clinician_button.clicked.connect(self.add_clinician)
        clinicians_box = QGroupBox("Clinicians")
        clinicians_layout = QVBoxLayout(clinicians_box)
        clinicians_layout.addWidget(self.clinicians)
        add_row = QHBoxLayout()
        for widget in (self.new_given, self.new_family):
            add_row.addWidget(widget, 1)
        add_row.addWidget(self.new_credentials)
        add_row.addWidget(self.add_clinician_button)
        clinicians_layout.addLayout(add_row)

        self.on_call_now = _hint(name="practiceOnCallNow")
        self.rota = QTableWidget(0, 3, objectName="practiceRota")
        self.rota.setHorizontalHeaderLabels(["From", "To", "On call"])
        make_read_only_list(self.rota)
        self.rota.horizontalHeader().setStretchLastSection(True)
        self.slot_clinician = QComboBox(objectName="slotClinician")
        self.slot_start = QDateTimeEdit(objectName="slotStart")
        self.slot_end = QDateTimeEdit(objectName="slotEnd")
        for edit in (self.slot_start, self.slot_end):
            edit.setDisplayFormat("MM/dd/yyyy HH:mm")
            edit.setCalendarPopup(True)
        self.slot_weeks = QSpinBox(objectName="slotWeeks")
        self.slot_weeks.setRange(1, 52)
        self.slot_weeks.setSuffix(" week(s)")
        self.add_slot_button = QPushButton("Add to the rota", objectName="practiceAddSlot")
        self.remove_slot_button = QPushButton("Remove selected slot", objectName="practiceRemoveSlot")
        self.add_slot_button.clicked.connect(self.add_slot)
        self.remove_slot_button.clicked.connect(self.remove_slot)
        rota_box = QGroupBox("On-call rota, on the practice's clock (where slots overlap, the later one decides)")
        rota_layout = QVBoxLayout(rota_box)
        rota_layout.addWidget(self.on_call_now)
        rota_layout.addWidget(self.rota, 1)
        slot_form = QGridLayout()
        for column, (text, widget) in enumerate((("&Who", self.slot_clinician), ("&From", self.slot_start),
                                                 ("&To", self.slot_end), ("&Repeat weekly for", self.slot_weeks))):
            label = QLabel(text)
            label.setBuddy(widget)
            slot_form.addWidget(label, 0, column)
            slot_form.addWidget(widget, 1, column)
        slot_form.setColumnStretch(4, 1)
        rota_layout.addLayout(slot_form)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_slot_button)
        buttons.addWidget(self.remove_slot_button)
        buttons.addStretch(1)
        rota_layout.addLayout(buttons)
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(clinicians_box)
        layout.addWidget(rota_box, 1)
        return _scrolling(page)

    # -- reading ------------------------------------------------------------------------------------------
    def refresh_list(self, select: int | None = None) -> None:
        """Read the list again, then show ``select`` (else the practice asked for by a read
        still under way, else the one shown)."""
        if select is not None:
            self._pending_select = select
        elif self._list_reads == 0:
            self._pending_select = self.current_id()
        self._list_reads += 1
        self.context.tasks.read(lambda job: app.practices(self.context.pod), on_done=self._show_list,
                                on_error=lambda e: self.status.setText(str(e)))

    def _show_list(self, rows) -> None:
        self._list_reads -= 1
        self.list.blockSignals(True)
        self.list.clear()
        for row in rows:
            item = QListWidgetItem(f"{row.name} ({row.code})" + ("" if row.active else " — inactive"))
            item.setData(Qt.ItemDataRole.UserRole, row.id)
            item.setToolTip(f"{row.name} ({row.code}) · {row.time_zone} · {row.clinicians} clinician"
                            f"{'s' if row.clinicians != 1 else ''}")
            self.list.addItem(item)
        self.list.blockSignals(False)
        wanted = self._pending_select
        index = next((i for i in range(self.list.count())
                      if self.list.item(i).data(Qt.ItemDataRole.UserRole) == wanted), 0)
        if self.list.count():
            self.list.setCurrentRow(index)
            self.load(self.list.item(index).data(Qt.ItemDataRole.UserRole))
        else:
            self.title.setText("No practice yet")
            self.status.setText("Create the pod's first practice with “New practice…”.")
            self.tabs.setEnabled(False)

    def current_id(self) -> int | None:
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    def load(self, practice_id: int) -> None:
        self.context.tasks.read(lambda job: app.practice_detail(self.context.pod, practice_id),
                                on_done=self.show_detail, on_error=lambda e: self.status.setText(str(e)))

    def show_detail(self, detail: PracticeDetail) -> None:
        self.detail = detail
        self.tabs.setEnabled(True)
        self.title.setText(f"{detail.name} ({detail.code})")
        self.details.show_detail(detail)
        self.hours.show_hours(detail.office.hours.values())
        now = utcnow()
        window = detail.office.after_hours_window(now)
        where = "open now" if window is None else \
            f"after hours now, until {to_local(window.end, detail.time_zone):%a %m/%d %H:%M %Z}"
        self.status.setText(f"{detail.time_zone} · {where}" + ("" if detail.hours_set else
                            " · opening hours never set: Monday to Friday 08:00–17:00 is assumed until they are saved"))
        night = detail.office.overnight(dt.date.today() + dt.timedelta(days=1))
        self.night_hint.setText(f"Tonight's calls go to the night nurse from "
                                f"{to_local(night.start, detail.time_zone):%a %H:%M} to "
                                f"{to_local(night.end, detail.time_zone):%a %H:%M %Z}; the hand-off is then.")
        self.closed.clear()
        for day, reason in detail.closed_days:
            item = QListWidgetItem(f"{day:%a %m/%d/%Y} — {reason}")
            item.setData(Qt.ItemDataRole.UserRole, day.isoformat())
            self.closed.addItem(item)
        self.clinicians.clear()
        self.slot_clinician.clear()
        for clinician in detail.clinicians:
            self.clinicians.addItem(clinician.name + ("" if clinician.active else " (inactive)"))
            if clinician.active:
                self.slot_clinician.addItem(clinician.name, clinician.id)
        self._show_rota(detail, now)

    def _show_rota(self, detail: PracticeDetail, now: dt.datetime) -> None:
        zone = detail.time_zone
        self.rota.setRowCount(len(detail.rota))
        on_call = None
        for row, slot in enumerate(detail.rota):
            current = slot.starts_at <= now < slot.ends_at
            if current:
                on_call = slot
            cells = (f"{to_local(slot.starts_at, zone):%a %m/%d %H:%M %Z}", f"{to_local(slot.ends_at, zone):%a %m/%d %H:%M %Z}",
                     slot.clinician + ("  ← on call now" if current else ""))
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, slot.id)
                self.rota.setItem(row, column, item)
        self.rota.resizeColumnsToContents()
        self.on_call_now.setText(f"On call now: {on_call.clinician}" if on_call else
                                 "Nobody is on call now by the rota." if detail.rota else
                                 "No on-call slots from a week back to eight weeks ahead: add them below.")
        # the next slot suggested: this evening's closing to tomorrow's opening
        office = detail.office
        start = office.last_closing(office.next_opening(now))
        end = office.next_opening(start)
        self.slot_start.setDateTime(self._qdatetime(to_local(start, zone)))
        self.slot_end.setDateTime(self._qdatetime(to_local(end, zone)))

    @staticmethod
    def _qdatetime(value: dt.datetime) -> QDateTime:
        return QDateTime(QDate(value.year, value.month, value.day), QTime(value.hour, value.minute))

    def _show_holidays(self) -> None:
        self.holidays.clear()
        for day, name in app.federal_holidays_of(self.holiday_year.value()):
            self.holidays.addItem(f"{day:%a %m/%d/%Y} — {name}")

    def apply_changes(self, changes) -> None:
        if changes.touches("practices"):
            self.refresh_list()

    # -- saving -------------------------------------------------------------------------------------------------
    def _write(self, fn, label: str, on_done=None):
        return self.context.tasks.write(lambda job: fn(), label=label, parent=self, on_done=on_done)

    def save_details(self):
        if self.detail is None:
            return None
        practice_id, fields = self.detail.id, self.details.fields()
        return self._write(lambda: app.update_practice(self.context.pod, practice_id, fields), "Saving the practice…")

    def save_hours(self):
        if self.detail is None:
            return None
        practice_id, hours = self.detail.id, self.hours.hours()
        return self._write(lambda: app.set_opening_hours(self.context.pod, practice_id, hours),
                           "Saving the opening hours…")

    def add_closed_day(self):
        if self.detail is None:
            return None
        practice_id, day, reason = self.detail.id, _pydate(self.closed_date.date()), self.closed_reason.text()
        task = self._write(lambda: app.add_closed_day(self.context.pod, practice_id, day, reason),
                           "Adding the closed day…", on_done=lambda _r: self.closed_reason.clear())
        return task

    def remove_closed_day(self):
        item = self.closed.currentItem()
        if self.detail is None or item is None:
            return None
        practice_id, day = self.detail.id, dt.date.fromisoformat(item.data(Qt.ItemDataRole.UserRole))
        return self._write(lambda: app.remove_closed_day(self.context.pod, practice_id, day), "Removing the closed day…")

    def add_clinician(self):
        if self.detail is None:
            return None
        practice_id = self.detail.id
        given, family, credentials = self.new_given.text(), self.new_family.text(), self.new_credentials.currentText()

        def done(_result) -> None:
            self.new_given.clear()
            self.new_family.clear()
        return self._write(lambda: app.add_clinician(self.context.pod, practice_id, given=given, family=family,
                                                     credentials=credentials), "Adding the clinician…", on_done=done)

    def add_slot(self):
        if self.detail is None or self.slot_clinician.currentData() is None:
            if self.detail is not None:
                QMessageBox.warning(self, "On-call rota", "Add the practice's clinicians first.")
            return None
        practice_id, clinician_id = self.detail.id, self.slot_clinician.currentData()
        start, end = _pydatetime(self.slot_start.dateTime()), _pydatetime(self.slot_end.dateTime())
        weeks = self.slot_weeks.value()
        return self._write(lambda: app.add_on_call_slots(self.context.pod, practice_id, clinician_id, start, end,
                                                         weeks=weeks), "Adding to the rota…")

    def remove_slot(self):
        item = self.rota.item(self.rota.currentRow(), 0) if self.rota.currentRow() >= 0 else None
        if item is None:
            return None
        slot_id = item.data(Qt.ItemDataRole.UserRole)
        return self._write(lambda: app.remove_on_call_slot(self.context.pod, slot_id), "Removing the slot…")

    def new_practice(self) -> None:
        dialog = NewPracticeDialog(self)
        while dialog.exec() == QDialog.DialogCode.Accepted:
            task = self.create_practice(dialog.details.fields(), dialog.hours.hours())
            self.context.tasks.wait_for(task)
            if task.error is None:
                return

    def create_practice(self, fields: PracticeFields, hours: list[OpeningHours]):
        return self._write(lambda: app.create_practice(self.context.pod, fields, hours), "Creating the practice…",
                           on_done=lambda saved: self.refresh_list(select=saved.practice_id))


def practices_page(context: AppContext) -> PracticesPage:
    return PracticesPage(context)
