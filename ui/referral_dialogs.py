"""Dialogs of the referral workflow: a new referral, moving one along its closed loop, and the
pod's expected days per state and urgency.

Each takes ``submit(...)`` that runs the use case on the task runner's writer and returns None
when it was kept or the rule's message to show; a dialog stays open on a message, with
nothing saved.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from PySide6.QtCore import QDateTime, Qt
from PySide6.QtWidgets import (
    QButtonGroup, QComboBox, QDateTimeEdit, QDialog, QDialogButtonBox, QFormLayout, QGridLayout, QLabel,
    QLineEdit, QRadioButton, QSpinBox, QVBoxLayout, QWidget,
)

from application import referrals as app
from domain.errors import DomainError
from domain.referral import FINAL, MAX_EXPECTED_DAYS

URGENCY_LABELS = {"routine": "Routine", "urgent": "Urgent", "stat": "Stat"}


def run_and_wait(context, parent: QWidget, fn, label: str = "Saving…") -> str | None:
    """Run a use case on the writer and wait for it: None when kept, else the message to show."""
    task = context.tasks.write(lambda job: fn(), label=label, parent=parent, on_error=lambda _e: None)
    context.tasks.wait_for(task)
    if isinstance(task.error, DomainError):
        return str(task.error)
    if task.error is not None:
        return f"It could not be saved: {task.error}"
    return None


class _Dialog(QDialog):
    def __init__(self, title: str, parent: QWidget | None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.error_label = QLabel()
        self.error_label.setObjectName("dialogError")
        self.error_label.setProperty("role", "status-alert")
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)

    def show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))

    def finish(self, message: str | None) -> None:
        if message:
            self.show_error(message)
        else:
            self.accept()

    def save(self) -> None:  # pragma: no cover - every dialog has its own
        raise NotImplementedError


def _row(form: QFormLayout, caption: str, widget: QWidget) -> None:
    label = QLabel(caption)
    label.setBuddy(widget)
    form.addRow(label, widget)


class NewReferralDialog(_Dialog):
    """Specialty, specialist, reason, urgency and referring clinician of a new referral."""

    def __init__(self, patient_name: str, form: app.ReferralForm, submit: Callable[..., str | None],
                 parent: QWidget | None = None):
        super().__init__(f"New referral — {patient_name}", parent)
        self.setObjectName("newReferralDialog")
        self.submit = submit
        self.specialty_combo = QComboBox(objectName="referralSpecialty")
        self.specialty_combo.setEditable(True)
        self.specialty_combo.addItems(form.specialties)
        self.specialty_combo.setCurrentIndex(-1)
        self.specialty_combo.lineEdit().setPlaceholderText("e.g. Cardiology")
        self.specialist_edit = QLineEdit(objectName="referralSpecialist")
        self.specialist_edit.setPlaceholderText("Specialist or service, if known")
        self.reason_edit = QLineEdit(objectName="referralReason")
        self.reason_edit.setPlaceholderText("Why the patient is referred")
        self.urgency_combo = QComboBox(objectName="referralUrgency")
        for urgency in app.URGENCIES:
            self.urgency_combo.addItem(URGENCY_LABELS.get(urgency, urgency), urgency)
        self.clinician_combo = QComboBox(objectName="referralClinician")
        self.clinician_combo.addItem("—", None)
        for clinician_id, name in form.clinicians:
            self.clinician_combo.addItem(name + (" (PCP)" if clinician_id == form.pcp_id else ""), clinician_id)
        if form.pcp_id is not None:
            self.clinician_combo.setCurrentIndex(self.clinician_combo.findData(form.pcp_id))
        fields = QFormLayout()
        _row(fields, "&Specialty", self.specialty_combo)
        _row(fields, "Speciali&st", self.specialist_edit)
        _row(fields, "&Reason", self.reason_edit)
        _row(fields, "&Urgency", self.urgency_combo)
        _row(fields, "Referring &clinician", self.clinician_combo)
        layout = QVBoxLayout(self)
        layout.addLayout(fields)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(520)

    def save(self) -> None:
        self.finish(self.submit(specialty=self.specialty_combo.currentText(), specialist=self.specialist_edit.text(),
                                reason=self.reason_edit.text(), urgency=self.urgency_combo.currentData(),
                                clinician_id=self.clinician_combo.currentData()))


class AdvanceReferralDialog(_Dialog):
    """The states the closed loop allows next (one key each), when, and a note."""

    def __init__(self, card_text: str, state: str, state_since: dt.datetime, submit: Callable[..., str | None],
                 parent: QWidget | None = None):
        super().__init__("Move the referral", parent)
        self.setObjectName("advanceReferralDialog")
        self.submit = submit
        intro = QLabel(f"{card_text}\nNow: {app.LABELS[state]} since {state_since:%m/%d/%Y}. Move it to:")
        intro.setWordWrap(True)
        self.states = QButtonGroup(self)
        choices = QVBoxLayout()
        self.next_states = list(app.NEXT[state])
        for index, target in enumerate(self.next_states):
            button = QRadioButton(f"&{index + 1}  {app.LABELS[target]}", objectName=f"moveTo_{target}")
            self.states.addButton(button, index)
            choices.addWidget(button)
        if self.next_states:
            self.states.button(0).setChecked(True)
        else:
            choices.addWidget(QLabel("Nothing: the referral is final."))
        self.when_edit = QDateTimeEdit(QDateTime.currentDateTime(), objectName="moveWhen")
        self.when_edit.setDisplayFormat("MM/dd/yyyy HH:mm")
        self.when_edit.setCalendarPopup(True)
        self.note_edit = QLineEdit(objectName="moveNote")
        self.note_edit.setPlaceholderText("e.g. appointment 11/20 10:30 with Dr. Okafor")
        fields = QFormLayout()
        _row(fields, "&When", self.when_edit)
        _row(fields, "&Note", self.note_edit)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(choices)
        layout.addLayout(fields)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(480)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(bool(self.next_states))

    def chosen(self) -> str | None:
        index = self.states.checkedId()
        return self.next_states[index] if index >= 0 else None

    def choose(self, state: str) -> None:
        self.states.button(self.next_states.index(state)).setChecked(True)

    def when(self) -> dt.datetime:
        """The chosen moment as naive UTC (typed in local time)."""
        local = self.when_edit.dateTime().toPython()
        return local.astimezone(dt.timezone.utc).replace(tzinfo=None)

    def save(self) -> None:
        state = self.chosen()
        if state is None:
            self.show_error("Choose the state to move the referral to.")
            return
        self.finish(self.submit(state=state, at=self.when(), note=self.note_edit.text()))


class ExpectedDaysDialog(_Dialog):
    """How many days each state may last at each urgency before the referral is overdue."""

    def __init__(self, table: dict, submit: Callable[[dict], str | None], parent: QWidget | None = None):
        super().__init__("Expected days of referral states", parent)
        self.setObjectName("expectedDaysDialog")
        self.submit = submit
        intro = QLabel("A referral is overdue once its state has lasted longer than this many days. "
                       "Changes are kept with who made them and when, and apply to every open referral.")
        intro.setWordWrap(True)
        grid = QGridLayout()
        self.spins: dict[tuple[str, str], QSpinBox] = {}
        for column, urgency in enumerate(app.URGENCIES, start=1):
            header = QLabel(f"<b>{URGENCY_LABELS.get(urgency, urgency)}</b>")
            header.setAlignment(Qt.AlignmentFlag.AlignCenter)
            grid.addWidget(header, 0, column)
        states = [s for s in app.STATES if s not in FINAL]
        for row, state in enumerate(states, start=1):
            grid.addWidget(QLabel(app.LABELS[state]), row, 0)
            for column, urgency in enumerate(app.URGENCIES, start=1):
                spin = QSpinBox(objectName=f"days_{urgency}_{state}")
                spin.setRange(0, MAX_EXPECTED_DAYS + 1)  # out of range is refused by the rule, with a message
                spin.setSuffix(" d")
                spin.setValue(table.get(urgency, {}).get(state, 0))
                self.spins[(urgency, state)] = spin
                grid.addWidget(spin, row, column)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(grid)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(460)

    def values(self) -> dict:
        table: dict = {}
        for (urgency, state), spin in self.spins.items():
            table.setdefault(urgency, {})[state] = spin.value()
        return table

    def save(self) -> None:
        self.finish(self.submit(self.values()))
