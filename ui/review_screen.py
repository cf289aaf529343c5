"""The medication review screen: one review of one patient, in its own window.

A draft is saved as the pharmacist types (a moment after she stops, on the task runner's
writer) and finished explicitly (Ctrl+Enter), so nothing typed is lost if Carepod or the
computer stops. A finished review takes the prescriber's responses, the follow-up and the
written summary. The patient's open CMS122 / CMS165 gaps are shown at the top with their
evidence, so the work on diabetes and blood-pressure medicines goes where the practice needs it.

``open_review(context, review_id)`` reads the review on a reader and shows the window (one
window per review); ``start_review(context, patient_id, review_type)`` opens a new draft.
"""
from __future__ import annotations

import datetime as dt
import logging

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog, QFormLayout, QFrame, QHBoxLayout, QLabel, QLineEdit, QMessageBox,
    QPlainTextEdit, QPushButton, QTabWidget, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget,
)

from application import reviews as app
from domain.clock import today
from domain.errors import DomainError
from domain.medication_review import (
    REVIEW_TYPE_LABELS, REVIEW_TYPES, STATUS_LABELS, SUMMARY_METHOD_LABELS, SUMMARY_METHODS,
    UNABLE_TO_REACH_DAYS, Attempt, failed_attempt_days,
)
from domain.outreach import CHANNELS, OUTCOMES
from ui import format as fmt
from ui import shortcuts
from ui.date_field import DateField
from ui.review_lines import MedicationsPage, ProblemsPage, _combo, _combo_value, _set_combo
from ui.review_printing import print_review_documents
from ui.tasks import error_sentence

log = logging.getLogger(__name__)
AUTOSAVE_MS = 700  # a draft is saved this long after the pharmacist stops typing
PAGES = ("medications", "problems", "follow_up", "outreach")  # the tabs, in order
_OPEN: dict[int, "ReviewScreen"] = {}


def open_windows() -> list["ReviewScreen"]:
    return list(_OPEN.values())


def open_review(context, review_id: int, parent: QWidget | None = None):
    """Show the review's window (read on a reader first); an open one is brought forward."""
    existing = _OPEN.get(review_id)
    if existing is not None:
        existing.raise_()
        existing.activateWindow()
        return None
    return context.tasks.read(lambda job: app.read_review(context.pod, review_id),
                              on_done=lambda sheet: show_review(context, sheet, parent),
                              on_error=lambda error: _cannot_open(parent, error))


def _cannot_open(parent, error: BaseException) -> None:
    text = str(error) if isinstance(error, DomainError) else error_sentence(error)
    QMessageBox.warning(parent, "Cannot open the review", text)


def show_review(context, sheet: app.ReviewSheet, parent: QWidget | None = None) -> "ReviewScreen":
    existing = _OPEN.get(sheet.review.id)
    if existing is not None:
        existing.raise_()
        return existing
    screen = ReviewScreen(context, sheet, parent.window() if parent is not None else None)
    screen.show()
    screen.raise_()
    screen.activateWindow()
    return screen


def start_review(context, patient_id: int, review_type: str, parent: QWidget | None = None):
    """Open a new draft review of the patient with the active medications on record."""
    return context.tasks.write(lambda job: app.start_review(context.pod, patient_id, review_type),
                               label="Starting the review…", parent=parent,
                               on_done=lambda started: open_review(context, started.review_id, parent))


class ReviewHeader(QFrame):
    """Who the patient is, what kind of review, and the open gaps the medicines bear on."""

    def __init__(self, sheet: app.ReviewSheet, editable: bool, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("chartHeader")
        p, review = sheet.patient, sheet.review
        name = QLabel(p.display_name, objectName="chartName")
        facts = QLabel(f"{p.age(today())} y · DOB {fmt.date(p.birth_date)} · MRN {p.mrn} · "
                       f"{p.practice_name} ({p.practice_code}) · PCP {p.pcp or 'none attributed'} · "
                       f"{fmt.risk(p.risk_tier)} risk", objectName="reviewPatientFacts")
        facts.setWordWrap(True)
        self.type_combo = _combo([(t, REVIEW_TYPE_LABELS[t]) for t in REVIEW_TYPES], "reviewType")
        _set_combo(self.type_combo, review.review_type)
        self.type_combo.setEnabled(editable)
        self.date_edit = DateField("Review date", objectName="reviewDate")
        self.date_edit.set_date(review.review_date)
        self.date_edit.setEnabled(editable)
        self.status_label = QLabel(objectName="reviewStatus")
        self.status_label.setProperty("role", "value")
        allergies = ", ".join(sheet.data.allergies) or "None known"
        allergy_label = QLabel(f"Allergies: {allergies}", objectName="reviewAllergies")
        allergy_label.setProperty("role", "status-alert" if sheet.data.allergies else "hint")
        allergy_label.setWordWrap(True)

        line = QHBoxLayout()
        line.addWidget(name)
        line.addSpacing(12)
        line.addWidget(facts, 1)
        form = QHBoxLayout()
        for caption, widget in (("Re&view", self.type_combo), ("Dat&e", self.date_edit)):
            label = QLabel(caption)
            label.setBuddy(widget)
            form.addWidget(label)
            form.addWidget(widget)
            form.addSpacing(10)
        form.addWidget(QLabel(f"Pharmacist: {review.pharmacist}"))
        form.addSpacing(16)
        form.addWidget(self.status_label, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.setSpacing(4)
        layout.addLayout(line)
        layout.addLayout(form)
        layout.addWidget(allergy_label)
        self.gap_labels = []
        for gap in sheet.gaps:
            label = QLabel(f"<b>Open gap · {gap.measure_id}</b> {gap.measure_title} "
                           f"({fmt.date(gap.period_start)}–{fmt.date(gap.period_end)}): {gap.why}",
                           objectName="reviewGap")
            label.setWordWrap(True)
            label.setTextFormat(Qt.TextFormat.RichText)
            label.setStyleSheet("background: #fdf3e6; border: 1px solid #e0b070; border-radius: 3px; padding: 4px 8px;")
            label.setToolTip("The practice's open quality gap this patient's medicines bear on")
            self.gap_labels.append(label)
            layout.addWidget(label)


class FollowUpPage(QWidget):
    """The follow-up date, the pharmacist's notes and, after a comprehensive review, the summary."""

    changed = Signal()

    def __init__(self, sheet: app.ReviewSheet, state, editable: bool, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("reviewFollowUp")
        review = sheet.review
        self.follow_up_edit = DateField("Follow-up", objectName="followUpDate")
        self.follow_up_edit.set_date(state.follow_up_date)
        self.follow_up_edit.setPlaceholderText("MM/DD/YYYY or +30")
        self.notes_box = QPlainTextEdit(objectName="reviewNotes")
        self.notes_box.setTabChangesFocus(True)
        self.notes_box.setPlaceholderText("How the review went, who took part (not printed for the patient)")
        self.notes_box.setPlainText(state.notes)
        self.notes_box.setEnabled(editable)
        self.notes_box.setFixedHeight(self.notes_box.fontMetrics().lineSpacing() * 5 + 14)
        self.save_follow_up_button = QPushButton("Save the follow-up (Ctrl+S)", objectName="saveFollowUp")
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        label = QLabel("&Follow-up on")
        label.setBuddy(self.follow_up_edit)
        row = QHBoxLayout()
        row.addWidget(self.follow_up_edit)
        row.addWidget(self.save_follow_up_button)
        row.addStretch(1)
        form.addRow(label, row)
        notes_label = QLabel("&Notes")
        notes_label.setBuddy(self.notes_box)
        form.addRow(notes_label, self.notes_box)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.addLayout(form)

        self.summary_status = QLabel(objectName="summaryStatus")
        self.summary_given_edit = DateField("Summary given on", objectName="summaryGivenOn")
        self.summary_method_combo = _combo([("", "")] + [(m, SUMMARY_METHOD_LABELS[m]) for m in SUMMARY_METHODS],
                                           "summaryMethod")
        self.record_summary_button = QPushButton("Record the summary (Ctrl+S)", objectName="recordSummary")
        if review.review_type == "comprehensive":
            title = QLabel("Written summary for the patient (due within 14 days of a comprehensive review)")
            title.setProperty("role", "sectionTitle")
            status = review.summary_status(today())
            self.summary_status.setText(status.text or "Due once the review is finished")
            self.summary_status.setProperty("role", "status-alert" if status.state == "late" else "value")
            self.summary_given_edit.set_date(review.summary_given_on)
            _set_combo(self.summary_method_combo, review.summary_method)
            finished = review.status == "finished"
            for widget in (self.summary_given_edit, self.summary_method_combo, self.record_summary_button):
                widget.setEnabled(finished)
            summary = QFormLayout()
            summary.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
            summary.addRow(QLabel("Status"), self.summary_status)
            given = QLabel("&Given on")
            given.setBuddy(self.summary_given_edit)
            summary.addRow(given, self.summary_given_edit)
            method = QLabel("&How")
            method.setBuddy(self.summary_method_combo)
            summary.addRow(method, self.summary_method_combo)
            summary.addRow(QLabel(""), self.record_summary_button)
            layout.addSpacing(10)
            layout.addWidget(title)
            layout.addLayout(summary)
        layout.addStretch(1)
        # only now, in its layout (a widget without a parent shown or hidden would be a window)
        self.save_follow_up_button.setVisible(review.status == "finished")
        if editable:
            self.follow_up_edit.date_changed.connect(self.changed.emit)
            self.notes_box.textChanged.connect(self.changed.emit)
        self.follow_up_edit.setEnabled(editable or review.status == "finished")


ATTEMPT_COLUMNS = ("When", "Channel", "Outcome", "By", "Note")


class OutreachPage(QWidget):
    """Attempts to reach the patient for this review; 3 days of failed attempts close it."""

    def __init__(self, sheet: app.ReviewSheet, editable: bool, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("reviewOutreach")
        attempts = sheet.data.attempts
        self.table = QTableWidget(len(attempts), len(ATTEMPT_COLUMNS), objectName="attemptTable")
        self.table.setHorizontalHeaderLabels(list(ATTEMPT_COLUMNS))
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setStretchLastSection(True)
        for row, a in enumerate(attempts):
            for column, value in enumerate((fmt.local_datetime(a.at), fmt.label(a.channel), fmt.label(a.outcome),
                                            a.by, a.note)):
                self.table.setItem(row, column, QTableWidgetItem(value))
        self.table.resizeColumnsToContents()
        days = failed_attempt_days([Attempt(a.at, a.outcome) for a in attempts], sheet.patient.time_zone)
        review = sheet.review
        if review.status == "unable_to_reach":
            text = (f"Closed as unable to reach on {fmt.date(review.finished_at)}: failed attempts on "
                    f"{UNABLE_TO_REACH_DAYS} different days.")
        else:
            text = (f"Failed attempts on {len(days)} of {UNABLE_TO_REACH_DAYS} different days since the patient was "
                    f"last reached (attempts on the same day count once). After {UNABLE_TO_REACH_DAYS}, the review "
                    "is closed as unable to reach.")
        self.status = QLabel(text, objectName="attemptStatus")
        self.status.setWordWrap(True)
        self.empty = QLabel("No attempts to reach the patient for this review yet."
                            + (" Log each call, letter or message below." if editable else ""))
        self.empty.setProperty("role", "empty")
        self.channel_combo = _combo([(c, fmt.label(c)) for c in CHANNELS], "attemptChannel")
        self.outcome_combo = _combo([(o, fmt.label(o)) for o in OUTCOMES], "attemptOutcome")
        self.note_edit = QLineEdit(objectName="attemptNote")
        self.note_edit.setPlaceholderText("Note (e.g. left voicemail with the call-back number)")
        self.log_button = QPushButton("&Log the attempt", objectName="logAttempt")
        form = QHBoxLayout()
        for caption, widget in (("Cha&nnel", self.channel_combo), ("Out&come", self.outcome_combo)):
            label = QLabel(caption)
            label.setBuddy(widget)
            form.addWidget(label)
            form.addWidget(widget)
        form.addWidget(self.note_edit, 1)
        form.addWidget(self.log_button)
        for widget in (self.channel_combo, self.outcome_combo, self.note_edit, self.log_button):
            widget.setEnabled(editable)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.addWidget(self.status)
        layout.addWidget(self.empty)
        layout.addWidget(self.table, 1)
        layout.addLayout(form)
        if not attempts:  # in their layout by now: never windows of their own
            self.table.hide()
            layout.insertStretch(2, 1)
        self.empty.setVisible(not attempts)


class ReviewScreen(QDialog):
    """One medication review; ``reloaded`` fires once it is shown anew after a change (a finish,
    a response), with the keyboard in it; ``saved`` after each save of the draft."""

    reloaded = Signal()
    saved = Signal()

    def __init__(self, context, sheet: app.ReviewSheet, parent: QWidget | None = None):
        super().__init__(parent)
        self.context, self.pod = context, context.pod
        self.setObjectName("reviewScreen")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
        self.setModal(False)
        self.review_id = sheet.review.id
        _OPEN[self.review_id] = self
        self._timer = QTimer(self, singleShot=True, interval=AUTOSAVE_MS)
        self._timer.timeout.connect(self.save_draft)
        self._saving = None  # the save task in flight
        self._dirty = self._again = self._saved_any = False
        self._closing = False
        self.saved_at = None
        self.body: QWidget | None = None
        self.message = QLabel(objectName="reviewMessage")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.message.setOpenExternalLinks(True)
        # no mnemonics here: the pages use the letters; each action has its key, on the button
        self.documents_button = QPushButton("Patient documents… (Ctrl+P)", objectName="printDocuments")
        self.letters_button = QPushButton("Prescriber letters… (Ctrl+Shift+P)", objectName="printLetters")
        self.finish_button = QPushButton("Finish the review (Ctrl+Enter)", objectName="finishReview")
        self.close_button = QPushButton("Close (Esc)", objectName="closeReview")
        self.documents_button.setToolTip("Cover letter, Medication Action Plan and Personal Medication List (Ctrl+P)")
        self.letters_button.setToolTip("One page per prescriber with the recommendations (Ctrl+Shift+P)")
        self.finish_button.setToolTip("Finish the review (Ctrl+Enter)")
        self.documents_button.clicked.connect(lambda: self.print("documents"))
        self.letters_button.clicked.connect(lambda: self.print("letters"))
        self.finish_button.clicked.connect(self.finish)
        self.close_button.clicked.connect(self.close)
        bar = QHBoxLayout()
        bar.addWidget(self.message, 1)
        for button in (self.documents_button, self.letters_button, self.finish_button, self.close_button):
            button.setAutoDefault(False)
            bar.addWidget(button)
        self.outer = QVBoxLayout(self)
        self.outer.setContentsMargins(10, 10, 10, 10)
        self.outer.setSpacing(8)
        self.outer.addLayout(bar)
        for keys, slot in ((shortcuts.REVIEW_ADD, self.add_line), (shortcuts.REVIEW_FINISH, self.finish),
                           (shortcuts.REVIEW_DOCUMENTS, lambda: self.print("documents")),
                           (shortcuts.REVIEW_LETTERS, lambda: self.print("letters")),
                           (shortcuts.REVIEW_SAVE, self.save_now)):
            shortcuts.bind(keys, self, slot, context=Qt.ShortcutContext.WindowShortcut)
        self._build(sheet)
        self._size_to_screen()

    # -- building ----------------------------------------------------------------------------
    def _size_to_screen(self) -> None:
        screen = (self.parent().screen() if self.parent() is not None else None) or QGuiApplication.primaryScreen()
        area = screen.availableGeometry()
        self.resize(min(1500, area.width() - 40), min(940, area.height() - 40))

    def _build(self, sheet: app.ReviewSheet) -> None:
        """(Re)build everything but the button bar from a freshly read review."""
        tab = self.tabs.currentIndex() if self.body is not None else 0
        old = self.body
        size = self.size()  # the size the pharmacist gave the window (both bodies are in it for a moment)
        self.sheet = sheet
        self.review = app.snapshot(sheet.review)  # what the pharmacist edits; a copy goes to each save
        review = self.review
        self.editable = review.status == "draft" and not sheet.review.entered_in_error
        finished = review.status == "finished" and not sheet.review.entered_in_error
        self.setWindowTitle(f"{REVIEW_TYPE_LABELS[review.review_type]} medication review — "
                            f"{sheet.patient.display_name}")
        self.body = QWidget(objectName="reviewBody")
        self.header = ReviewHeader(sheet, self.editable, self.body)
        # the pages are made when first shown: the window opens with the medication list alone
        self._pages: list[QWidget | None] = [None] * len(PAGES)
        self.tabs = QTabWidget(objectName="reviewTabs")
        self.tabs.setDocumentMode(True)
        for _ in PAGES:
            holder = QWidget()
            # the keyboard can rest here while its page is made (else it would have nowhere to go)
            holder.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
            QVBoxLayout(holder).setContentsMargins(0, 0, 0, 0)
            self.tabs.addTab(holder, "")
        self._count_tabs()
        layout = QVBoxLayout(self.body)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        layout.addWidget(self.header)
        layout.addWidget(self.tabs, 1)
        self.page(tab)
        self.outer.insertWidget(0, self.body, 1)
        self.body.show()  # now, not at the next turn of the event loop: the keyboard goes into it below
        self.tabs.setCurrentIndex(tab)
        self.tabs.currentChanged.connect(self._tab_shown)
        self.header.type_combo.currentIndexChanged.connect(self.edited)
        self.header.date_edit.date_changed.connect(self.edited)
        self.finish_button.setEnabled(self.editable)
        self.documents_button.setEnabled(finished)
        self.letters_button.setEnabled(finished and bool(review.problems))
        self._show_status()
        self._tab_shown(self.tabs.currentIndex())
        if old is not None:  # the old fields go once the keyboard is in the new ones
            self.outer.removeWidget(old)
            old.hide()
            old.deleteLater()
            self.outer.activate()
            self.resize(size)  # not grown by the moment both bodies were there (off a laptop's screen)
        self.reloaded.emit()

    # -- the pages ------------------------------------------------------------------------------
    def page(self, index: int) -> QWidget:
        """The page of a tab, made (and wired) the first time it is asked for."""
        if self._pages[index] is None:
            page = getattr(self, f"_make_{PAGES[index]}")()
            self.tabs.widget(index).layout().addWidget(page)
            page.show()  # at once (not at the next turn of the event loop), so it can take the keyboard
            self._pages[index] = page
        return self._pages[index]

    def built(self, name: str) -> QWidget | None:
        return self._pages[PAGES.index(name)]

    medications = property(lambda self: self.page(0))
    problems = property(lambda self: self.page(1))
    follow_up = property(lambda self: self.page(2))
    outreach = property(lambda self: self.page(3))

    def _prescribers(self) -> list[str]:
        return list(dict.fromkeys([*self.sheet.data.clinicians,
                                   *(m.prescriber for m in self.review.medications if m.prescriber)]))

    def _make_medications(self) -> MedicationsPage:
        page = MedicationsPage(self.review.medications, editable=self.editable,
                               conditions=self.sheet.data.conditions, prescribers=self._prescribers())
        page.changed.connect(self.edited)
        return page

    def _make_problems(self) -> ProblemsPage:
        finished = self.review.status == "finished" and not self.sheet.review.entered_in_error
        page = ProblemsPage(self.review.problems, editable=self.editable, responses_open=finished,
                            medication_names=lambda: [m.name for m in self.review.medications if m.name],
                            conditions=self.sheet.data.conditions, prescribers=self._prescribers())
        page.changed.connect(self.edited)
        page.response_requested.connect(self.record_response)
        return page

    def _make_follow_up(self) -> "FollowUpPage":
        page = FollowUpPage(self.sheet, self.review, self.editable)
        page.changed.connect(self.edited)
        page.record_summary_button.clicked.connect(self.record_summary)
        page.save_follow_up_button.clicked.connect(self.save_follow_up)
        return page

    def _make_outreach(self) -> "OutreachPage":
        page = OutreachPage(self.sheet, self.editable)
        page.log_button.clicked.connect(self.log_attempt)
        return page

    def _tab_shown(self, index: int) -> None:
        """Alt+1 … Alt+4: the keyboard lands in the page's list (or its first field)."""
        page = self.page(index)
        if page is self.built("outreach"):
            target = page.channel_combo if page.channel_combo.isEnabled() else page.table
        elif page is self.built("follow_up"):
            target = page.follow_up_edit
        else:
            target = page.table
        target.setFocus(Qt.FocusReason.TabFocusReason)

    def _count_tabs(self) -> None:
        waiting = len(self.review.unreconciled)
        self.tabs.setTabText(0, f"&1 Medications ({len(self.review.medications)}"
                                + (f", {waiting} to reconcile)" if waiting and self.editable else ")"))
        self.tabs.setTabText(1, f"&2 Problems and recommendations ({len(self.review.problems)})")
        self.tabs.setTabText(2, "&3 Follow-up and summary")
        self.tabs.setTabText(3, f"&4 Reaching the patient ({len(self.sheet.data.attempts)})")

    def _show_status(self) -> None:
        review = self.sheet.review
        if review.entered_in_error:
            text = "Entered in error"
        elif review.status == "draft":
            text = "Draft" + (f" — saved {self.saved_at:%H:%M:%S}" if self.saved_at else " — saved as you type")
        elif review.status == "finished":
            text = f"Finished {fmt.local_datetime(review.finished_at)}"
        else:
            text = f"{STATUS_LABELS[review.status]} — closed {fmt.local_datetime(review.finished_at)}"
        self.header.status_label.setText(text)

    def say(self, text: str, *, error: bool = False) -> None:
        self.message.setProperty("role", "status-alert" if error else "hint")
        self.message.setStyleSheet("color: #a8323e; font-weight: bold;" if error else "")
        self.message.setText(text)

    # -- the draft --------------------------------------------------------------------------------
    def _read_header(self) -> None:
        self.review.review_type = _combo_value(self.header.type_combo)
        if self.header.date_edit.is_valid() and self.header.date_edit.date():
            self.review.review_date = self.header.date_edit.date()
        follow_up = self.built("follow_up")
        if follow_up is not None:  # else the page was never shown and its values are as read
            if follow_up.follow_up_edit.is_valid():
                self.review.follow_up_date = follow_up.follow_up_edit.date()
            self.review.notes = follow_up.notes_box.toPlainText().strip()

    def _problems_in_form(self) -> list[str]:
        problems = self.built("problems").date_errors() if self.built("problems") else []
        started = self.built("medications").started_error() if self.built("medications") else ""
        if started:
            problems.append(started)
        fields = [self.header.date_edit] + ([self.follow_up.follow_up_edit] if self.built("follow_up") else [])
        for field in fields:
            if not field.is_valid():
                problems.append(f"{field.caption}: “{field.text()}” is not a date.")
        if not self.header.date_edit.text().strip():
            problems.append("Review date: the review needs its date.")
        return problems

    def edited(self, *_args) -> None:
        if not self.editable:
            return
        self._read_header()
        self._count_tabs()
        self._dirty = True
        self._timer.start()

    def _check(self):
        """The snapshot to save, or None after saying what is wrong (a date half typed…)."""
        problems = self._problems_in_form()
        if problems:
            self.say("Not saved yet: " + " ".join(problems), error=True)
            return None
        state = app.snapshot(self.review)
        try:
            state.validate()
        except DomainError as error:
            self.say(f"Not saved yet: {error}", error=True)
            return None
        return state

    def save_draft(self, *, closing: bool = False):
        """Save the draft now (the autosave's timer calls this); returns the task or None."""
        if not self.editable:
            return None
        if self._saving is not None:
            self._again = True
            return self._saving
        state = self._check()
        if state is None:
            return None
        live = (list(self.review.medications), list(self.review.problems))
        self._dirty = False
        task = self.context.tasks.write(lambda job: app.save_draft(self.pod, state, closing=closing),
                                        label="Saving the draft…", parent=self,
                                        on_done=lambda saved: self._saved(saved, *live),
                                        on_error=self._save_failed)
        self._saving = task
        return task

    def _saved(self, saved: app.DraftSaved, medications: list, problems: list) -> None:
        for line, line_id in zip(medications, saved.medication_ids):
            line.id = line_id
        for line, line_id in zip(problems, saved.problem_ids):
            line.id = line_id
        self._saving = None
        self._saved_any = True
        self.saved_at = fmt_local(saved.saved_at)
        self._show_status()
        if not self._problems_in_form():
            self.say("")
        self.saved.emit()
        if (self._again or self._dirty) and not self._closing:
            self._again = False
            self._timer.start()

    def _save_failed(self, error: BaseException) -> None:
        self._saving = None
        self._dirty = True
        if isinstance(error, DomainError):
            self.say(f"Not saved: {error}", error=True)
        else:
            log.error("saving a review draft failed", exc_info=(type(error), error, error.__traceback__))
            self.say(f"Not saved: {error_sentence(error)}", error=True)

    def save_now(self) -> None:
        """Ctrl+S: a draft is saved at once; in a finished review, what the current page records."""
        if self.editable:
            self._timer.stop()
            self.save_draft()
        elif self.tabs.currentIndex() == PAGES.index("problems"):
            self.record_response(self.problems.current_line())
        elif self.tabs.currentIndex() == PAGES.index("follow_up"):
            self.record_summary() if self.follow_up.summary_given_edit.text().strip() else self.save_follow_up()

    def add_line(self) -> None:
        if self.tabs.currentIndex() == PAGES.index("problems"):
            self.problems.add_problem()
        else:
            self.tabs.setCurrentIndex(PAGES.index("medications"))
            self.medications.add_medication()

    def _wait_for_saves(self) -> bool:
        """Finish every save of the draft (closing, finishing); False when the last could not be made."""
        self._timer.stop()
        if self._saving is not None:
            self.context.tasks.wait_for(self._saving)
        if self._dirty or self._again or (self._closing and self._saved_any):
            self._again = False
            task = self.save_draft(closing=self._closing)
            if task is None:
                return False
            self.context.tasks.wait_for(task)
            return not self._dirty
        return True

    # -- finishing and after -----------------------------------------------------------------------
    def finish(self) -> None:
        if not self.editable:
            return
        self._timer.stop()
        self._read_header()
        if self._saving is not None:
            self.context.tasks.wait_for(self._saving)
        problems = self._problems_in_form()
        if problems:
            self.say("Cannot finish yet: " + " ".join(problems), error=True)
            return
        state = app.snapshot(self.review)
        self.context.tasks.write(lambda job: app.finish_review(self.pod, state), label="Finishing the review…",
                                 parent=self, on_done=lambda _done: self._after("The review is finished."),
                                 on_error=lambda error: self._failed("Cannot finish yet", error))

    def _failed(self, what: str, error: BaseException) -> None:
        text = str(error) if isinstance(error, DomainError) else error_sentence(error)
        self.say(f"{what}: {text}", error=True)

    def _after(self, text: str) -> None:
        """A change was recorded: read the review again and show it as it now is."""
        self._dirty = False
        self.context.tasks.read(lambda job: app.read_review(self.pod, self.review_id),
                                on_done=lambda sheet: self._reloaded(sheet, text),
                                on_error=lambda error: self._failed("Cannot read the review again", error))

    def _reloaded(self, sheet: app.ReviewSheet, text: str) -> None:
        self._build(sheet)
        self.say(text)

    def record_response(self, problem) -> None:
        if problem is None or problem.id is None:
            return
        if not self.problems.responded_edit.is_valid():
            self.say(f"Not recorded: {self.problems.date_errors()[0]}", error=True)
            return
        response, responded_at, note = problem.response, problem.responded_at, problem.response_note
        self.context.tasks.write(
            lambda job: app.record_response(self.pod, problem.id, response, responded_at, note=note),
            label="Recording the response…", parent=self,
            on_done=lambda _c: self._after(f"Response recorded: {fmt.label(response)}."),
            on_error=lambda error: self._failed("Not recorded", error))

    def record_summary(self) -> None:
        page = self.follow_up
        try:
            given_on = page.summary_given_edit.date()
        except DomainError as error:
            self.say(f"Not recorded: {error}", error=True)
            return
        method = _combo_value(page.summary_method_combo)
        self.context.tasks.write(lambda job: app.record_summary(self.pod, self.review_id, given_on, method),
                                 label="Recording the summary…", parent=self,
                                 on_done=lambda _c: self._after("Written summary recorded."),
                                 on_error=lambda error: self._failed("Not recorded", error))

    def save_follow_up(self) -> None:
        try:
            follow_up = self.follow_up.follow_up_edit.date()
        except DomainError as error:
            self.say(f"Not saved: {error}", error=True)
            return
        self.context.tasks.write(lambda job: app.change_follow_up(self.pod, self.review_id, follow_up),
                                 label="Saving the follow-up…", parent=self,
                                 on_done=lambda _c: self._after("Follow-up saved."),
                                 on_error=lambda error: self._failed("Not saved", error))

    def log_attempt(self) -> None:
        page = self.outreach
        channel, outcome = _combo_value(page.channel_combo), _combo_value(page.outcome_combo)
        note = page.note_edit.text()
        if not self._wait_for_saves():
            return
        self.context.tasks.write(lambda job: app.log_attempt(self.pod, self.review_id, channel, outcome, note=note),
                                 label="Logging the attempt…", parent=self, on_done=self._attempt_logged,
                                 on_error=lambda error: self._failed("Not logged", error))

    def _attempt_logged(self, logged: app.AttemptLogged) -> None:
        if logged.unable_to_reach:
            self._after(f"Failed attempts on {UNABLE_TO_REACH_DAYS} different days: the review is closed as "
                        "unable to reach.")
        elif logged.failed_days:
            self._after(f"Attempt logged: failed attempts on {logged.failed_days} of {UNABLE_TO_REACH_DAYS} days.")
        else:
            self._after("Attempt logged.")

    def print(self, which: str) -> None:
        button = self.documents_button if which == "documents" else self.letters_button
        if not button.isEnabled():
            self.say("Finish the review first: the printouts show the reconciled list and the recommendations."
                     if self.editable else "This review has nothing to print there.", error=True)
            return
        print_review_documents(self.context, self, self.sheet, which, on_written=self.say)

    # -- closing ----------------------------------------------------------------------------------
    def done(self, result: int) -> None:
        if self.editable:
            self._closing = True
            self._read_header()
            if not self._wait_for_saves():
                answer = QMessageBox.question(
                    self, "The draft is not saved",
                    f"{self.message.text()}\n\nClose anyway? What was typed since the last save will be lost.",
                    QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
                if answer != QMessageBox.StandardButton.Yes:
                    self._closing = False
                    return
        _OPEN.pop(self.review_id, None)
        super().done(result)
        parent = self.parentWidget()
        if parent is not None and parent.isVisible():
            parent.activateWindow()  # back to the chart or the worklist it was opened from
        self.deleteLater()


def fmt_local(instant: dt.datetime) -> dt.datetime:
    """A stored UTC instant as the local wall clock (for "saved 10:42:03")."""
    return instant.replace(tzinfo=dt.timezone.utc).astimezone().replace(tzinfo=None)
