"""Call entry: the night nurse documents a call while the caller is on the phone.

Ctrl+Shift+N opens it from anywhere. One box finds the patient across the whole pod by name,
birth date or phone, and the practice follows from the patient; a caller who is not yet a
patient is taken by name, birth date and phone. Every field is reachable from the keyboard
(Tab, and Alt with the underlined letter), and the entry is a **draft saved as she types**: a
short pause in typing writes it to the database, so a crash, a kill or a closed window loses
nothing, and the draft is offered back the next time Carepod starts.

Times are typed and shown in the practice's wall clock (its time zone is named beside them);
they are kept in UTC.
"""
from __future__ import annotations

import datetime as dt
import logging

import shiboken6

from PySide6.QtCore import QDateTime, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QCompleter, QDateTimeEdit, QDialog, QDialogButtonBox, QFormLayout, QFrame, QGridLayout,
    QHBoxLayout, QLabel, QLineEdit, QListWidget, QListWidgetItem, QPlainTextEdit, QPushButton, QScrollArea,
    QSizePolicy, QSpacerItem, QVBoxLayout, QWidget,
)

from application import calls as app
from application.calls import CallEntry, CallRow, PageEntry
from application.patients import search_patients
from domain.calls import DISPOSITION_LABELS, DISPOSITIONS, PAGE_OUTCOME_LABELS, PAGE_OUTCOMES, RELATION_LABELS, RELATIONS
from domain.clock import utcnow
from domain.errors import DomainError
from domain.office_hours import US_ZONES, to_local, to_utc
from ui import format as fmt
from ui import shortcuts
from ui.context import AppContext
from ui.tasks import error_sentence
from ui.wrap_label import WrapLabel

log = logging.getLogger(__name__)
ZONE_NAMES = {name: f"{label} time ({name})" for name, label in US_ZONES}
DRAFT_DELAY_MS = 400  # a pause in typing this long saves the draft
SEARCH_DELAY_MS = 150
RESULTS_SHOWN = 8
QT_DATETIME_FORMAT = "MM/dd/yyyy HH:mm"
DISPOSITION_CHOICES = [("", "Choose the triage level…")] + [
    (code, f"{number}  {DISPOSITION_LABELS[code]}") for number, code in enumerate(DISPOSITIONS, start=1)]


# --- wall-clock times ------------------------------------------------------------------------------

def to_wall(instant_utc: dt.datetime, zone: str | None) -> dt.datetime:
    """A stored instant on the practice's clock (the computer's when no practice is chosen)."""
    if zone:
        return to_local(instant_utc, zone).replace(tzinfo=None)
    return instant_utc.replace(tzinfo=dt.timezone.utc).astimezone().replace(tzinfo=None)


def from_wall(wall: dt.datetime, zone: str | None) -> dt.datetime:
    if zone:
        return to_utc(wall, zone)
    return wall.astimezone().astimezone(dt.timezone.utc).replace(tzinfo=None)


def zone_name(instant_utc: dt.datetime, zone: str | None) -> str:
    if zone:
        return to_local(instant_utc, zone).tzname() or zone
    return f"{instant_utc.replace(tzinfo=dt.timezone.utc).astimezone().tzname()} (your clock)"


def _qdatetime(value: dt.datetime) -> QDateTime:
    return QDateTime(value.year, value.month, value.day, value.hour, value.minute, 0)


def _pydatetime(value: QDateTime) -> dt.datetime:
    d, t = value.date(), value.time()
    return dt.datetime(d.year(), d.month(), d.day(), t.hour(), t.minute())


def patient_label(row) -> str:
    return (f"{row.display_name} · born {fmt.date(row.birth_date)} ({row.age()} y) · MRN {row.mrn} · "
            f"{row.practice_name}" + (f" · {row.phone}" if row.phone else ""))


class _TimeField(QWidget):
    """A date-time in a practice's wall clock, with the zone's name beside it."""

    changed = Signal()

    def __init__(self, name: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.edit = QDateTimeEdit(objectName=name)
        self.edit.setDisplayFormat(QT_DATETIME_FORMAT)
        self.edit.setCalendarPopup(True)
        self.zone_label = QLabel()
        self.zone_label.setProperty("role", "hint")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit)
        row.addWidget(self.zone_label)
        row.addStretch(1)
        self.setFocusProxy(self.edit)
        self._zone: str | None = None
        self._instant = utcnow().replace(second=0, microsecond=0)
        self._show()
        self.edit.dateTimeChanged.connect(self._edited)

    def _show(self) -> None:
        self.edit.blockSignals(True)
        self.edit.setDateTime(_qdatetime(to_wall(self._instant, self._zone)))
        self.edit.blockSignals(False)
        self.zone_label.setText(zone_name(self._instant, self._zone))

    def _edited(self, _value) -> None:
        self._instant = from_wall(_pydatetime(self.edit.dateTime()), self._zone)
        self.zone_label.setText(zone_name(self._instant, self._zone))
        self.changed.emit()

    def instant(self) -> dt.datetime:
        return self._instant

    def set_instant(self, instant: dt.datetime) -> None:
        self._instant = instant.replace(second=0, microsecond=0)
        self._show()
        self.changed.emit()

    def set_zone(self, zone: str | None) -> None:
        """The same instant on another practice's clock."""
        self._zone = zone
        self._show()


class PageDialog(QDialog):
    """Record a page of the on-call clinician: whom (the rota's clinician now is chosen), when, outcome."""

    def __init__(self, context: AppContext, practice_id: int, zone: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.context, self.practice_id = context, practice_id
        self.setWindowTitle("Page the on-call clinician")
        self.setObjectName("pageDialog")
        self.clinician = QComboBox(objectName="pageClinician")
        self.on_call = QLabel("Reading the rota…", objectName="pageOnCall")
        self.on_call.setProperty("role", "hint")
        self.at = _TimeField("pageAt")
        self.at.set_zone(zone)
        self.outcome = QComboBox(objectName="pageOutcome")
        for code in PAGE_OUTCOMES:
            self.outcome.addItem(PAGE_OUTCOME_LABELS[code], code)
        self.note = QLineEdit(objectName="pageNote")
        self.note.setPlaceholderText("The clinician's instructions, or what was tried")
        form = QFormLayout()
        form.addRow("&Clinician", self.clinician)
        form.addRow("", self.on_call)
        form.addRow("&Paged at", self.at)
        form.addRow("&Outcome", self.outcome)
        form.addRow("&Note", self.note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Record the page")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.setMinimumWidth(520)
        context.tasks.read(lambda job: (app.practice_clinicians(context.pod, practice_id),
                                        app.on_call_now(context.pod, practice_id)),
                           on_done=self._loaded, on_error=self._failed)

    def _loaded(self, result) -> None:
        clinicians, on_call = result
        for clinician_id, name in clinicians:
            self.clinician.addItem(name, clinician_id)
        if on_call is None:
            self.on_call.setText("Nobody is on the rota now: choose whom you paged.")
        else:
            self.on_call.setText(f"On call now by the rota: {on_call[1]}")
            self.clinician.setCurrentIndex(max(0, self.clinician.findData(on_call[0])))
        self.clinician.setFocus()

    def _failed(self, error: BaseException) -> None:
        self.on_call.setText(str(error) if isinstance(error, DomainError) else error_sentence(error))

    def page(self) -> PageEntry | None:
        if self.clinician.currentData() is None:
            return None
        return PageEntry(self.clinician.currentData(), self.at.instant(), self.outcome.currentData(), self.note.text())


class CallEntryWindow(QDialog):
    """One call being entered. ``draft``: resume a saved draft; ``call``: complete a waiting call."""

    saved = Signal(int)  # the call's id

    def __init__(self, context: AppContext, parent: QWidget | None = None, *, draft=None, call: CallRow | None = None):
        super().__init__(parent)
        self.context = context
        self.setObjectName("callEntry")
        self.setWindowTitle("New after-hours call")
        self.setWindowFlag(Qt.WindowType.WindowMaximizeButtonHint, True)
        self.draft_id: int | None = None
        self.call_id: int | None = None
        self.patient_id: int | None = None
        self.pages: list[PageEntry] = []
        self._patient_text = ""
        self._patient_practice: int | None = None
        self._rows: list = []
        self._search_task = None
        self._loading = True  # filling fields (a draft, a waiting call) is not typing
        self._draft_saving = False
        self._draft_dirty = False
        self._saving = False
        self._saving_entry: CallEntry | None = None
        self._closed_for_good = False  # saved or discarded: no more drafts
        self._on_call = None  # (clinician id, name) on call for the practice when received
        self._page_names: dict[int, str] = {}
        self._reads: list = []  # reads under way; their answers are dropped once the window closes
        self._earlier_pages = ""  # pages recorded while the call waited
        self.practices = {p.id: p for p in app.call_practices(context.pod)}
        self.offices = app.office_hours_of(context.pod)
        self._build()
        self._connect()
        if draft is not None:
            self.restore(draft.content, draft.id)
        elif call is not None:
            self.load_waiting_call(call)
        self._loading = False
        self._refresh_hints()
        self.resize(1180, 720)

    # -- building -----------------------------------------------------------------------------
    def _build(self) -> None:
        # who: the patient, the practice, the caller, when
        self.search = QLineEdit(objectName="callPatientSearch")
        self.search.setPlaceholderText("Name, birth date or phone — e.g. okafor gr · 2/28/1951 · 0147")
        self.search.setClearButtonEnabled(True)
        self.search.installEventFilter(self)
        self.results = QListWidget(objectName="callPatientResults")
        self.results.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.results.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.results.setUniformItemSizes(True)
        self.results.hide()
        self.results.installEventFilter(self)
        self.search_hint = QLabel(objectName="callSearchHint")
        self.search_hint.setProperty("role", "hint")
        self.chosen = WrapLabel(objectName="callChosenPatient")
        self.chosen.setWordWrap(True)
        self.chosen.setTextFormat(Qt.TextFormat.PlainText)
        bold = self.chosen.font()
        bold.setBold(True)
        self.chosen.setFont(bold)
        self.chosen.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.not_patient = QCheckBox("No&t yet a patient of the pod", objectName="callNotPatient")
        self.new_name = QLineEdit(objectName="callNewPatientName")
        self.new_name.setPlaceholderText("The patient's name, as the caller gives it")
        self.new_birth = QLineEdit(objectName="callNewPatientBirth")
        self.new_birth.setPlaceholderText("MM/DD/YYYY")
        self.new_box = QWidget()
        new_form = QFormLayout(self.new_box)
        new_form.setContentsMargins(18, 0, 0, 0)
        new_form.addRow("Patient name", self.new_name)
        new_form.addRow("Birth date", self.new_birth)
        self.new_box.hide()
        self.practice = QComboBox(objectName="callPractice")
        self.practice.addItem("Choose the practice…", None)
        for practice in self.practices.values():
            self.practice.addItem(practice.label, practice.id)
        self.practice_info = WrapLabel(objectName="callPracticeInfo")
        self.practice_info.setTextFormat(Qt.TextFormat.PlainText)
        self.practice_info.setProperty("role", "hint")
        self.practice_info.setWordWrap(True)
        self.caller = QLineEdit(objectName="callCallerName")
        self.relation = QComboBox(objectName="callRelation")
        for code in RELATIONS:
            self.relation.addItem(RELATION_LABELS[code], code)
        self.phone = QLineEdit(objectName="callPhone")
        self.phone.setPlaceholderText("Call-back number")
        self.received = _TimeField("callReceived")
        self.now_button = QPushButton("&Now", objectName="callReceivedNow")
        self.now_button.setAutoDefault(False)
        self.live = QCheckBox("Answered l&ive (no call-back)", objectName="callLive")
        self.live.setChecked(True)
        self.callback = _TimeField("callCallback")
        self.callback.setEnabled(False)
        self.timing_hint = QLabel(objectName="callTimingHint")
        self.timing_hint.setProperty("role", "hint")

        who = QFormLayout()
        who.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        who.addRow(self._buddy("&Patient", self.search), self.search)
        who.addRow("", self.results)
        who.addRow("", self.search_hint)
        who.addRow("", self.chosen)
        who.addRow("", self.not_patient)
        who.addRow("", self.new_box)
        who.addRow(self._buddy("Pr&actice", self.practice), self.practice)
        who.addRow("", self.practice_info)
        who.addRow(self._buddy("&Caller", self.caller), self.caller)
        who.addRow(self._buddy("Re&lation", self.relation), self.relation)
        who.addRow(self._buddy("P&hone", self.phone), self.phone)
        received_row = QHBoxLayout()
        received_row.addWidget(self.received)
        received_row.addWidget(self.now_button)
        received_row.addStretch(1)
        who.addRow(self._buddy("R&eceived", self.received), received_row)
        who.addRow("", self.live)
        who.addRow(self._buddy("Call-bac&k at", self.callback), self.callback)
        who.addRow("", self.timing_hint)
        self._who_form = who
        who.setVerticalSpacing(7)

        # triage: reason, symptoms, protocol, confirmations, disposition, pages, advice, follow-up
        self.reason = QLineEdit(objectName="callReason")
        self.reason.setPlaceholderText("In the caller's words: fever, chest pain, medication question…")
        self.symptoms = QPlainTextEdit(objectName="callSymptoms")
        self.symptoms.setTabChangesFocus(True)
        self.symptoms.setFixedHeight(4 * self.fontMetrics().height() + 12)
        self.protocol = QComboBox(objectName="callProtocol")
        self.protocol.setEditable(True)
        self.protocol.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.protocol.addItem("")
        self.protocol.addItems(app.protocol_choices(self.context.pod))
        completer = QCompleter([self.protocol.itemText(i) for i in range(1, self.protocol.count())], self.protocol)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.protocol.setCompleter(completer)
        self.protocol.lineEdit().setPlaceholderText("Type to find: fever, chest, rash…")
        self.protocol.lineEdit().setObjectName("callProtocolText")
        self.protocol_hint = QLabel(objectName="callProtocolHint")
        self.protocol_hint.setProperty("role", "hint")
        self.meds = QCheckBox("&Medications confirmed with the caller", objectName="callMedsConfirmed")
        self.meds_list = WrapLabel(objectName="callMedsList")
        self.allergies = QCheckBox("Aller&gies confirmed with the caller", objectName="callAllergiesConfirmed")
        self.allergy_list = WrapLabel(objectName="callAllergyList")
        for label in (self.meds_list, self.allergy_list):
            label.setProperty("role", "hint")
            label.setWordWrap(True)
        self.disposition = QComboBox(objectName="callDisposition")
        for code, text in DISPOSITION_CHOICES:
            self.disposition.addItem(text, code)
        self.page_button = QPushButton("Page the on-call clinician…", objectName="callPageButton")
        self.page_button.setAutoDefault(False)
        self.page_button.setToolTip(shortcuts.display_keys(shortcuts.PAGE_ON_CALL.keys))
        self.page_list = WrapLabel(objectName="callPages")
        self.page_list.setWordWrap(True)
        self.advice = QPlainTextEdit(objectName="callAdvice")
        self.advice.setTabChangesFocus(True)
        self.advice.setFixedHeight(4 * self.fontMetrics().height() + 12)
        self.repeated = QCheckBox("Caller repeated the advice &back", objectName="callRepeatedBack")
        self.follow_up = QCheckBox("&Follow-up needed by the practice or care manager", objectName="callFollowUp")
        self.follow_note = QLineEdit(objectName="callFollowUpNote")
        self.follow_note.setPlaceholderText("What the practice must do (optional): book a visit this week…")

        triage = QFormLayout()
        triage.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        triage.addRow(self._buddy("&Reason", self.reason), self.reason)
        triage.addRow(self._buddy("S&ymptoms", self.symptoms), self.symptoms)
        triage.addRow(self._buddy("Pr&otocol", self.protocol), self.protocol)
        triage.addRow("", self.protocol_hint)
        triage.addRow("", self.meds)
        triage.addRow("", self.meds_list)
        triage.addRow("", self.allergies)
        triage.addRow("", self.allergy_list)
        triage.addRow(self._buddy("&Disposition", self.disposition), self.disposition)
        page_row = QHBoxLayout()
        page_row.addWidget(self.page_button)
        page_row.addWidget(self.page_list, 1)
        triage.addRow("On-call", page_row)
        triage.addRow(self._buddy("Ad&vice given", self.advice), self.advice)
        triage.addRow("", self.repeated)
        triage.addRow("", self.follow_up)
        triage.addRow(self._buddy("Follow-&up note", self.follow_note), self.follow_note)
        self._triage_form = triage
        triage.setVerticalSpacing(7)

        columns = QWidget(objectName="callColumns")
        grid = QGridLayout(columns)
        grid.setContentsMargins(14, 10, 14, 6)
        grid.setHorizontalSpacing(28)
        grid.addWidget(self._title("Who is calling"), 0, 0)
        grid.addWidget(self._title("Triage"), 0, 1)
        for column, form in enumerate((who, triage)):
            holder = QVBoxLayout()  # the form at its own height; the stretch below takes the rest
            holder.addLayout(form)
            holder.addStretch(1)
            grid.addLayout(holder, 1, column)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        # the room left goes below the forms, never between their rows
        grid.addItem(QSpacerItem(0, 0, QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Expanding), 2, 0)
        grid.setRowStretch(2, 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(columns)

        self.error = QLabel(objectName="callError")
        self.error.setWordWrap(True)
        self.error.setProperty("role", "status-alert")
        self.error.hide()
        self.draft_status = QLabel(objectName="callDraftStatus")
        self.draft_status.setProperty("role", "hint")
        self.discard_button = QPushButton("Discard this call…", objectName="callDiscard")
        self.waiting_button = QPushButton("Save as waiting for call-back", objectName="callSaveWaiting")
        self.waiting_button.setToolTip(shortcuts.display_keys(shortcuts.SAVE_WAITING.keys))
        self.save_button = QPushButton("Save the call", objectName="callSave")
        self.save_button.setToolTip(shortcuts.display_keys(shortcuts.SAVE_CALL.keys))
        for button in (self.discard_button, self.waiting_button, self.save_button):
            button.setAutoDefault(False)
        bottom = QHBoxLayout()
        bottom.setContentsMargins(14, 4, 14, 10)
        bottom.addWidget(self.draft_status, 1)
        bottom.addWidget(self.discard_button)
        bottom.addWidget(self.waiting_button)
        bottom.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.error)
        layout.addLayout(bottom)
        self.error.setContentsMargins(14, 0, 14, 0)

        for label in (self.search_hint, self.timing_hint, self.protocol_hint, self.meds_list, self.allergy_list,
                      self.page_list, self.draft_status, self.error):
            label.setTextFormat(Qt.TextFormat.PlainText)  # what was typed is shown as typed, never as markup
        for widget in (self.results, self.search_hint, self.chosen, self.new_box, self.callback, self.timing_hint,
                       self.protocol_hint, self.meds_list, self.allergy_list):
            self._row(widget, False)
        order = [self.search, self.results, self.not_patient, self.new_name, self.new_birth, self.practice, self.caller,
                 self.relation, self.phone, self.received.edit, self.now_button, self.live, self.callback.edit,
                 self.reason, self.symptoms, self.protocol, self.meds, self.allergies, self.disposition,
                 self.page_button, self.advice, self.repeated, self.follow_up, self.follow_note, self.save_button,
                 self.waiting_button, self.discard_button]
        for first, second in zip(order, order[1:]):
            QWidget.setTabOrder(first, second)

    def _read(self, fn, on_done, on_error=None):
        """A read on the task runner whose answer is dropped if this window has closed meanwhile."""
        task = self.context.tasks.read(lambda job: fn(), on_done=on_done, on_error=on_error or (lambda _e: None))
        self._reads.append(task)
        task.finished.connect(lambda t: self._reads.remove(t) if t in self._reads else None)
        return task

    def _row(self, widget: QWidget, visible: bool) -> None:
        """Show or hide a row of the form (an empty hint takes no room)."""
        for form in (self._who_form, self._triage_form):
            if form.indexOf(widget) >= 0:
                form.setRowVisible(widget, visible)
                return
        widget.setVisible(visible)

    def _hint(self, label: QLabel, text: str) -> None:
        label.setText(text)
        self._row(label, bool(text))

    @staticmethod
    def _buddy(text: str, widget: QWidget) -> QLabel:
        label = QLabel(text)
        label.setBuddy(widget)
        return label

    @staticmethod
    def _title(text: str) -> QLabel:
        label = QLabel(text)
        label.setProperty("role", "sectionTitle")
        return label

    def _connect(self) -> None:
        self._search_timer = QTimer(self, singleShot=True, interval=SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self._run_search)
        self._draft_timer = QTimer(self, singleShot=True, interval=DRAFT_DELAY_MS)
        self._draft_timer.timeout.connect(self.save_draft)
        self.search.textEdited.connect(self._search_edited)
        self.search.returnPressed.connect(self._enter_in_search)
        self.results.itemActivated.connect(lambda item: self.choose_row(self.results.row(item)))
        self.not_patient.toggled.connect(self._not_patient_toggled)
        self.practice.currentIndexChanged.connect(self._practice_changed)
        self.relation.currentIndexChanged.connect(self._relation_changed)
        self.live.toggled.connect(self._live_toggled)
        self.now_button.clicked.connect(lambda: self.received.set_instant(utcnow()))
        self.received.changed.connect(self._refresh_hints)
        self.callback.changed.connect(self._refresh_hints)
        self.protocol.editTextChanged.connect(lambda _t: self._refresh_protocol_hint())
        self.disposition.currentIndexChanged.connect(lambda _i: self._refresh_hints())
        self.follow_up.toggled.connect(lambda _on: self._refresh_hints())
        self.page_button.clicked.connect(self.page_on_call)
        self.save_button.clicked.connect(lambda: self.save(complete=True))
        self.waiting_button.clicked.connect(lambda: self.save(complete=False))
        self.discard_button.clicked.connect(self.discard)
        shortcuts.bind(shortcuts.SAVE_CALL, self, lambda: self.save(complete=True))
        shortcuts.bind(shortcuts.SAVE_WAITING, self, lambda: self.save(complete=False))
        shortcuts.bind(shortcuts.PAGE_ON_CALL, self, self.page_on_call)
        for widget in (self.caller, self.phone, self.new_name, self.new_birth, self.reason, self.follow_note):
            widget.textChanged.connect(self._typed)
        for widget in (self.symptoms, self.advice):
            widget.textChanged.connect(self._typed)
        self.protocol.editTextChanged.connect(self._typed)
        for widget in (self.not_patient, self.live, self.meds, self.allergies, self.repeated, self.follow_up):
            widget.toggled.connect(self._typed)
        for widget in (self.practice, self.relation, self.disposition):
            widget.currentIndexChanged.connect(self._typed)
        self.received.changed.connect(self._typed)
        self.callback.changed.connect(self._typed)

    # -- finding the patient ----------------------------------------------------------------------
    def _search_edited(self, text: str) -> None:
        if self.patient_id is not None and text != self._patient_text:
            self._set_patient(None)  # typing again: a new search
        self._search_timer.start()

    def _run_search(self) -> None:
        self._search_timer.stop()
        text = self.search.text().strip()
        if self._search_task is not None:
            self._search_task.discard()
        if not text:
            self._show_results([], "")
            return
        self._search_task = self._read(
            lambda: search_patients(self.context.pod, text, None, limit=RESULTS_SHOWN + 1),
            on_done=lambda rows: self._show_results(rows, text),
            on_error=lambda error: self._hint(self.search_hint, error_sentence(error)))

    def _show_results(self, rows: list, text: str) -> None:
        self._search_task = None
        self._rows = rows[:RESULTS_SHOWN]
        self.results.clear()
        for row in self._rows:
            item = QListWidgetItem(patient_label(row))
            item.setToolTip(patient_label(row))
            self.results.addItem(item)
        if self._rows:  # as tall as its rows: the form below does not jump further than needed
            self.results.setFixedHeight(2 * self.results.frameWidth() + 4
                                        + len(self._rows) * max(self.results.sizeHintForRow(0), 18))
        self._row(self.results, bool(self._rows))
        if self._rows:
            self.results.setCurrentRow(0)
        if not text:
            self._hint(self.search_hint, "")
        elif not rows:
            self._hint(self.search_hint, f"No patient of the pod matches “{text}”. Try the birth date or phone, or tick "
                                     "“Not yet a patient” (Alt+T).")
        elif len(rows) > RESULTS_SHOWN:
            self._hint(self.search_hint, f"More than {RESULTS_SHOWN} match: add the birth date or given name. "
                                     "Enter takes the highlighted one, ↓ moves.")
        else:
            self._hint(self.search_hint, "Enter takes the highlighted patient; ↓ and ↑ move.")

    def _enter_in_search(self) -> None:
        if self._search_timer.isActive() or self._search_task is not None:
            self._run_search()
            if self._search_task is not None:
                self.context.tasks.wait_for(self._search_task, timeout_s=5)
        if self._rows:
            self.choose_row(max(self.results.currentRow(), 0))

    def choose_row(self, index: int) -> None:
        if 0 <= index < len(self._rows):
            self._set_patient(self._rows[index])
            self.caller.setFocus(Qt.FocusReason.OtherFocusReason)
            self.caller.selectAll()

    def _set_patient(self, row) -> None:
        """The chosen patient (None: none): the practice follows; the caller is the patient until changed."""
        if row is None:
            self.patient_id, self._patient_practice, self._patient_text = None, None, ""
            self._hint(self.chosen, "")
            self.practice.setEnabled(True)
            self._set_context(None)
            self._typed()
            return
        self.not_patient.setChecked(False)
        self.patient_id, self._patient_practice = row.id, row.practice_id
        self._patient_text = f"{row.family}, {row.given}" if row.given else row.family
        self.search.setText(self._patient_text)
        self._row(self.results, False)
        self._hint(self.search_hint, "")
        self._hint(self.chosen, patient_label(row))
        self.practice.setCurrentIndex(max(0, self.practice.findData(row.practice_id)))
        self.practice.setEnabled(False)
        if self.relation.currentData() == "self" and not self.caller.text().strip():
            self.caller.setText(f"{row.given} {row.family}".strip())
        if not self.phone.text().strip():
            self.phone.setText(row.phone)
        self._load_context(row.id)
        self._typed()

    def _load_context(self, patient_id: int) -> None:
        self._hint(self.meds_list, "Reading the medication list…")
        self._read(lambda: app.patient_context(self.context.pod, patient_id), on_done=self._set_context,
                   on_error=lambda _e: self._set_context(None))

    def _set_context(self, context) -> None:
        if context is None or context.patient_id != self.patient_id:
            self._hint(self.meds_list, "")
            self._hint(self.allergy_list, "")
            return
        self._hint(self.meds_list, "On record: " + ("; ".join(context.medications) if context.medications
                                                    else "no active medications"))
        self._hint(self.allergy_list, "On record: " + ("; ".join(context.allergies) if context.allergies
                                                       else "no allergies"))

    def _not_patient_toggled(self, on: bool) -> None:
        self._row(self.new_box, on)
        if on:
            self._set_patient(None)
            self.search.clear()
            self._row(self.results, False)
            self._hint(self.search_hint, "The call is kept without a chart; link it to the patient once registered.")
            self.new_name.setFocus(Qt.FocusReason.OtherFocusReason)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.KeyPress:
            key = event.key()
            if watched is self.search and key in (Qt.Key.Key_Down, Qt.Key.Key_Up) and self._rows:
                step = 1 if key == Qt.Key.Key_Down else -1
                self.results.setCurrentRow(max(0, min(len(self._rows) - 1, self.results.currentRow() + step)))
                return True
            if watched is self.results and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.choose_row(self.results.currentRow())
                return True
        return super().eventFilter(watched, event)

    # -- the practice and its clock ----------------------------------------------------------------
    def practice_id(self) -> int | None:
        return self.practice.currentData()

    def zone(self) -> str | None:
        practice = self.practices.get(self.practice_id())
        return practice.time_zone if practice else None

    def _practice_changed(self, _index: int) -> None:
        zone = self.zone()
        self.received.set_zone(zone)
        self.callback.set_zone(zone)
        self._refresh_hints()
        practice_id = self.practice_id()
        if practice_id is not None:
            received = self.received.instant()
            self._read(lambda: app.on_call_now(self.context.pod, practice_id, received),
                       on_done=lambda found: self._show_on_call(practice_id, found))

    def _show_on_call(self, practice_id: int, found) -> None:
        if practice_id != self.practice_id():
            return
        self._on_call = found
        self._refresh_hints()

    def _relation_changed(self, _index: int) -> None:
        self._refresh_hints()

    def _live_toggled(self, live: bool) -> None:
        self.callback.setEnabled(not live)
        self._row(self.callback, not live)
        if not live and self.callback.instant() < self.received.instant():
            self.callback.set_instant(max(utcnow(), self.received.instant()))
        self._refresh_hints()

    def _refresh_protocol_hint(self) -> None:
        text = " ".join(self.protocol.currentText().split())
        known = {self.protocol.itemText(i).casefold() for i in range(self.protocol.count())}
        self._hint(self.protocol_hint, "" if not text or text.casefold() in known else
                                   "A new protocol: it will be added to the pod's list when the call is saved.")

    def _refresh_hints(self) -> None:
        practice = self.practices.get(self.practice_id())
        if practice is None:
            self.practice_info.setText("The practice is filled in from the patient; for a caller not yet a patient, "
                                       "choose it.")
        else:
            office = self.offices.get(practice.id)
            received = self.received.instant()
            status = ""
            if office is not None:
                window = office.after_hours_window(received)
                status = ("office open at that time" if window is None else
                          f"after hours until {to_wall(window.end, practice.time_zone):%a %H:%M}")
            on_call = getattr(self, "_on_call", None)
            who = f" · on call: {on_call[1]}" if on_call else ""
            instructions = f"\n{practice.after_hours_instructions}" if practice.after_hours_instructions else ""
            zone = ZONE_NAMES.get(practice.time_zone, practice.time_zone)
            self.practice_info.setText(f"{zone} · {status}{who}{instructions}")
        hints = []
        office = self.offices.get(self.practice_id())
        if office is not None and office.is_open(self.received.instant()):
            hints.append("This time is within the practice's office hours: check the time received.")
        if not self.live.isChecked() and self.callback.instant() < self.received.instant():
            hints.append("The call-back is before the call was received.")
        self._hint(self.timing_hint, " ".join(hints))
        self.new_name.setPlaceholderText("The patient's name (the caller's if calling for themselves)")
        lines = [self._earlier_pages] if self._earlier_pages else []
        lines += [self._page_line(i, p) for i, p in enumerate(self.pages)]
        if self.disposition.currentData() == "on_call_paged" and not lines:
            self.page_list.setText("Record the page: the disposition says the on-call clinician was paged.")
        else:
            self.page_list.setText("\n".join(lines) or "Not paged")

    def _page_line(self, index: int, page: PageEntry) -> str:
        name = self._page_names.get(index, "")
        return (f"{to_wall(page.paged_at, self.zone()):%H:%M} {name} — {PAGE_OUTCOME_LABELS.get(page.outcome, page.outcome)}"
                + (f": {page.note}" if page.note else ""))

    # -- paging ---------------------------------------------------------------------------------------
    def page_on_call(self) -> None:
        practice_id = self.practice_id()
        if practice_id is None:
            self._show_error("Choose the practice (or the patient) first: the on-call clinician is the practice's.")
            return
        dialog = PageDialog(self.context, practice_id, self.zone(), self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            page = dialog.page()
            if page is not None:
                self.pages.append(page)
                self._page_names[len(self.pages) - 1] = dialog.clinician.currentText()
                if not self.disposition.currentData():
                    self.disposition.setCurrentIndex(self.disposition.findData("on_call_paged"))
                self._refresh_hints()
                self._typed()

    # -- the draft ------------------------------------------------------------------------------------
    def content(self) -> dict:
        """Every field as typed, for the draft."""
        return {
            "patient_id": self.patient_id, "patient_text": self._patient_text, "chosen": self.chosen.text(),
            "patient_practice": self._patient_practice, "not_patient": self.not_patient.isChecked(),
            "new_name": self.new_name.text(), "new_birth": self.new_birth.text(), "practice_id": self.practice_id(),
            "caller": self.caller.text(), "relation": self.relation.currentData(), "phone": self.phone.text(),
            "received": self.received.instant().isoformat(), "live": self.live.isChecked(),
            "callback": self.callback.instant().isoformat(), "reason": self.reason.text(),
            "symptoms": self.symptoms.toPlainText(), "protocol": self.protocol.currentText(),
            "meds": self.meds.isChecked(), "allergies": self.allergies.isChecked(),
            "disposition": self.disposition.currentData(), "advice": self.advice.toPlainText(),
            "repeated": self.repeated.isChecked(), "follow_up": self.follow_up.isChecked(),
            "follow_note": self.follow_note.text(), "call_id": self.call_id,
            "pages": [{"clinician_id": p.clinician_id, "paged_at": p.paged_at.isoformat(), "outcome": p.outcome,
                       "note": p.note, "name": self._page_names.get(i, "")} for i, p in enumerate(self.pages)],
        }

    def is_blank(self) -> bool:
        c = self.content()
        return not any(c[k] for k in ("patient_id", "new_name", "caller", "phone", "reason", "symptoms", "protocol",
                                      "disposition", "advice", "follow_note", "pages"))

    def restore(self, content: dict, draft_id: int | None) -> None:
        """Fill the form from a draft, exactly as it was typed."""
        self._loading = True
        try:
            self.draft_id = draft_id
            self.call_id = content.get("call_id")
            self.not_patient.setChecked(bool(content.get("not_patient")))
            self.new_name.setText(content.get("new_name", ""))
            self.new_birth.setText(content.get("new_birth", ""))
            self.practice.setCurrentIndex(max(0, self.practice.findData(content.get("practice_id"))))
            if content.get("patient_id") is not None:
                self.patient_id = content["patient_id"]
                self._patient_practice = content.get("patient_practice")
                self._patient_text = content.get("patient_text", "")
                self.search.setText(self._patient_text)
                self._hint(self.chosen, content.get("chosen", ""))
                self.practice.setEnabled(False)
                self._load_context(self.patient_id)
            self.caller.setText(content.get("caller", ""))
            self.relation.setCurrentIndex(max(0, self.relation.findData(content.get("relation", "self"))))
            self.phone.setText(content.get("phone", ""))
            self.received.set_instant(dt.datetime.fromisoformat(content["received"]))
            self.live.setChecked(bool(content.get("live", True)))
            self.callback.set_instant(dt.datetime.fromisoformat(content["callback"]))
            self.reason.setText(content.get("reason", ""))
            self.symptoms.setPlainText(content.get("symptoms", ""))
            self.protocol.setEditText(content.get("protocol", ""))
            self.meds.setChecked(bool(content.get("meds")))
            self.allergies.setChecked(bool(content.get("allergies")))
            self.disposition.setCurrentIndex(max(0, self.disposition.findData(content.get("disposition") or "")))
            self.advice.setPlainText(content.get("advice", ""))
            self.repeated.setChecked(bool(content.get("repeated")))
            self.follow_up.setChecked(bool(content.get("follow_up")))
            self.follow_note.setText(content.get("follow_note", ""))
            self.pages = [PageEntry(p["clinician_id"], dt.datetime.fromisoformat(p["paged_at"]), p["outcome"], p["note"])
                          for p in content.get("pages", [])]
            self._page_names = {i: p.get("name", "") for i, p in enumerate(content.get("pages", []))}
            if self.call_id is not None:
                self.setWindowTitle("Call back a waiting call")
            self.draft_status.setText("Draft restored: nothing typed was lost.")
        finally:
            self._loading = False
        self._refresh_hints()

    def load_waiting_call(self, call: CallRow) -> None:
        """Complete a call that waited for its call-back: what was logged, and the call-back now."""
        content = {
            "patient_id": call.patient_id, "patient_text": call.patient_display if call.patient_id else "",
            "chosen": f"{call.patient_display} · MRN {call.mrn} · {call.practice_name}" if call.patient_id else "",
            "patient_practice": call.practice_id if call.patient_id else None, "not_patient": call.patient_id is None,
            "new_name": call.patient_name, "new_birth": fmt.date(call.patient_birth_date),
            "practice_id": call.practice_id, "caller": call.caller_name, "relation": call.caller_relation or "self",
            "phone": call.caller_phone, "received": call.received_at.isoformat(), "live": False,
            "callback": max(utcnow(), call.received_at).isoformat(), "reason": call.reason, "symptoms": call.symptoms,
            "protocol": call.protocol, "call_id": call.id, "pages": [],
        }
        self._earlier_pages = "\n".join(
            f"{app.practice_time(p.paged_at, call.time_zone, with_date=False)} {p.clinician} — "
            f"{PAGE_OUTCOME_LABELS.get(p.outcome, p.outcome)}" for p in call.pages)
        self.restore(content, None)
        self.draft_status.setText(f"Calling back: waiting since {app.practice_time(call.received_at, call.time_zone)}")

    def _typed(self, *_args) -> None:
        if self._loading:
            return
        self.error.hide()
        self._draft_timer.start()

    def save_draft(self) -> None:
        """Write the draft now (one write at a time; typing meanwhile writes again after)."""
        self._draft_timer.stop()
        if self._draft_saving:
            self._draft_dirty = True
            return
        if self.is_blank() and self.draft_id is None:
            return
        self._draft_saving, self._draft_dirty = True, False
        content, draft_id = self.content(), self.draft_id
        self.context.tasks.write(lambda job: app.save_draft(self.context.pod, draft_id, content),
                                 label="Keeping the draft…", show_progress=False,
                                 on_done=self._draft_saved, on_error=self._draft_failed)

    def _draft_saved(self, result) -> None:
        if not shiboken6.isValid(self):  # the window closed while its last draft was written: it is kept
            return
        self._draft_saving = False
        if self.draft_id is None and self._closed_for_good:
            # saved or discarded while this first draft write was on its way: remove it
            self._drop_draft(result.draft_id)
            return
        self.draft_id = result.draft_id
        self.draft_status.setText(f"Draft kept {dt.datetime.now():%H:%M:%S} — safe if Carepod closes")
        if self._draft_dirty and not self._closed_for_good:
            self.save_draft()

    def _draft_failed(self, error: BaseException) -> None:
        log.error("the call draft could not be kept", exc_info=(type(error), error, error.__traceback__))
        if not shiboken6.isValid(self):
            return
        self._draft_saving = False
        self.draft_status.setText(f"The draft could not be kept: {error_sentence(error)} Keep the window open.")

    # -- saving ----------------------------------------------------------------------------------------
    def entry(self) -> CallEntry:
        birth = app.parse_birth_date(self.new_birth.text()) if self.not_patient.isChecked() else None
        if not self.not_patient.isChecked() and self.patient_id is None:
            raise DomainError("Find the patient (name, birth date or phone), or tick “Not yet a patient” (Alt+T).")
        if self.not_patient.isChecked() and not self.new_name.text().strip() and self.relation.currentData() != "self":
            raise DomainError("Give the patient's name: the caller is not the patient.")
        if not self.caller.text().strip():
            raise DomainError("Give the caller's name.")
        if not self.reason.text().strip():
            raise DomainError("Give the reason for the call.")
        return CallEntry(
            practice_id=self.practice_id(), received_at=self.received.instant(), caller_name=self.caller.text(),
            reason=self.reason.text(), caller_relation=self.relation.currentData(), caller_phone=self.phone.text(),
            patient_id=self.patient_id, patient_name=self.new_name.text() if self.not_patient.isChecked() else "",
            patient_birth_date=birth, called_back_at=None if self.live.isChecked() else self.callback.instant(),
            symptoms=self.symptoms.toPlainText(), protocol=self.protocol.currentText(),
            medications_confirmed=self.meds.isChecked(), allergies_confirmed=self.allergies.isChecked(),
            disposition=self.disposition.currentData() or "", advice=self.advice.toPlainText(),
            advice_repeated_back=self.repeated.isChecked(), follow_up_needed=self.follow_up.isChecked(),
            follow_up_note=self.follow_note.text(), pages=tuple(self.pages), call_id=self.call_id,
            draft_id=self.draft_id)

    def save(self, complete: bool = True):
        """Save the call on the task runner's writer (complete, or waiting for its call-back)."""
        if self._saving:
            return None
        try:
            entry = self.entry()
            if complete and not entry.disposition:
                raise DomainError("Choose the disposition, the triage level (Alt+D), or save the call as waiting "
                                  "for a call-back (Ctrl+Shift+S).")
        except DomainError as exc:
            self._show_error(str(exc))
            return None
        self._saving, self._saving_entry = True, entry
        self._draft_timer.stop()
        label = "Saving the call…" if complete else "Saving the waiting call…"
        return self.context.tasks.write(lambda job: app.save_call(self.context.pod, entry, complete=complete),
                                        label=label, parent=self, on_done=self._saved, on_error=self._save_failed)

    def _saved(self, result) -> None:
        self._saving = False
        self._closed_for_good = True
        if self.draft_id is not None and self.draft_id != self._saving_entry.draft_id:
            # a first draft write landed while the call was being saved: it is not needed
            self._drop_draft(self.draft_id)
        self.draft_id = None
        self.saved.emit(result.call_id)
        self.accept()

    def _save_failed(self, error: BaseException) -> None:
        self._saving = False
        if isinstance(error, DomainError):
            self._show_error(str(error))
        else:
            log.error("saving a call failed", exc_info=(type(error), error, error.__traceback__))
            self._show_error(f"The call was not saved: {error_sentence(error)} The draft is kept.")
        self._draft_timer.start()

    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()

    def discard(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        if not self.is_blank():
            answer = QMessageBox.question(self, "Discard this call", "Throw this call entry away? Nothing of it will "
                                          "be kept.", QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
                                          QMessageBox.StandardButton.Cancel)
            if answer != QMessageBox.StandardButton.Discard:
                return
        self.discard_now()

    def discard_now(self) -> None:
        self._closed_for_good = True
        self._draft_timer.stop()
        if self.draft_id is not None:
            self._drop_draft(self.draft_id)
            self.draft_id = None
        self.reject()

    def _drop_draft(self, draft_id: int) -> None:
        self.context.tasks.write(lambda job: app.discard_draft(self.context.pod, draft_id), show_progress=False,
                                 on_error=lambda _e: None)

    def done(self, result: int) -> None:  # noqa: D401 (Qt's name) — closing keeps the draft
        if not self._closed_for_good and self._draft_timer.isActive():
            self.save_draft()  # what was typed since the last pause
        for task in list(self._reads):
            task.discard()
        super().done(result)

    def reject(self) -> None:
        """Esc or closing the window: the draft stays, offered back later."""
        super().reject()


def open_call_entry(context: AppContext, parent: QWidget | None, *, draft=None, call: CallRow | None = None) -> CallEntryWindow:
    """Show a call entry window (not modal: the nurse can look at a chart meanwhile)."""
    window = CallEntryWindow(context, parent, draft=draft, call=call)
    window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
    window.show()
    window.raise_()
    window.activateWindow()
    if call is None and draft is None:
        window.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
    return window
