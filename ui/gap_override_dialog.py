"""Documents an exclusion or a "patient declined" (reason from the measure's list, a note, the
day it applies from and its source), or marks such documentation entered in error (a note).

The dialog does not decide what is valid: ``submit(answer)`` runs the use case and returns
None when it was kept, or the rule's message to show here. A measurement period that has
ended is changed only after the user confirms that its reported rates will change.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QComboBox, QDateEdit, QDialog, QDialogButtonBox, QFormLayout, QLabel, QMessageBox, QPlainTextEdit,
    QVBoxLayout, QWidget,
)

from domain.clock import today
from domain.gaps import OVERRIDE_SOURCES, period_has_ended

PROMPTS = {
    "exclusion": ("Document an exclusion", "Why is {patient} excluded from {measure}?"),
    "declined": ("Patient declined", "What did {patient} decline for {measure}, and why?"),
    "error": ("Mark entered in error", "Why was this documentation for {measure} entered in error?"),
}


@dataclasses.dataclass(frozen=True)
class OverrideAnswer:
    """What the user entered; ``confirmed_past_period``: agreed that an ended year's rates change."""

    note: str
    reason_code: str = ""
    applies_from: dt.date | None = None
    source: str = ""
    confirmed_past_period: bool = False


class GapOverrideDialog(QDialog):
    def __init__(self, kind: str, measure: str, patient: str, submit: Callable[[OverrideAnswer], str | None],
                 parent: QWidget | None = None, *, reasons: dict[str, str] | None = None,
                 period: tuple[dt.date, dt.date] | None = None):
        super().__init__(parent)
        self.setObjectName("gapOverrideDialog")
        self.kind, self.period = kind, period
        title, prompt = PROMPTS[kind]
        self.setWindowTitle(title)
        self.submit = submit
        # asks whether an ended period may change; tests replace it
        self.confirm_past_period: Callable[[], bool] = self._ask_past_period
        self.prompt = QLabel(prompt.format(patient=patient, measure=measure))
        self.prompt.setWordWrap(True)

        self.reason_combo = QComboBox(objectName="overrideReasonCode")
        self.reason_combo.addItem("Choose the reason…", "")
        for code, label in (reasons or {}).items():
            self.reason_combo.addItem(label, code)
        self.reason_edit = QPlainTextEdit(objectName="overrideReason")
        self.reason_edit.setTabChangesFocus(True)
        self.reason_edit.setMinimumHeight(70)
        self.applies_edit = QDateEdit(objectName="overrideAppliesFrom")
        self.applies_edit.setCalendarPopup(True)
        self.applies_edit.setDisplayFormat("MM/dd/yyyy")
        latest = min(today(), period[1]) if period else today()
        self.applies_edit.setMaximumDate(QDate(latest.year, latest.month, latest.day))
        self.applies_edit.setDate(QDate(latest.year, latest.month, latest.day))
        self.source_combo = QComboBox(objectName="overrideSource")
        self.source_combo.addItem("Choose where it is documented…", "")
        for code, label in OVERRIDE_SOURCES.items():
            self.source_combo.addItem(label, code)

        form = QFormLayout()
        if kind != "error":
            form.addRow("&Reason:", self.reason_combo)
            form.addRow("&Applies from:", self.applies_edit)
            form.addRow("&Source:", self.source_combo)
            form.addRow("&Note:", self.reason_edit)
            self.reason_edit.setPlaceholderText("Details (required for another reason)")
        else:
            form.addRow("&Reason:", self.reason_edit)
        self.past_label = QLabel(objectName="overridePastPeriod")
        self.past_label.setWordWrap(True)
        self.past_label.setProperty("role", "status-alert")
        self.period_ended = ended = kind != "error" and period is not None and period_has_ended(period[1], today())
        if ended:
            self.past_label.setText(
                f"The measurement period ending {period[1]:%m/%d/%Y} is over. Documenting this changes "
                "its gap, and the rates already reported for it will change.")
        self.past_label.setVisible(ended)
        self.error_label = QLabel(objectName="overrideError")
        self.error_label.setProperty("role", "status-alert")
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.prompt)
        layout.addLayout(form)
        layout.addWidget(self.past_label)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self.resize(560, 340 if kind != "error" else 240)

    # -- what was entered --------------------------------------------------------------------
    def reason(self) -> str:
        return self.reason_edit.toPlainText()

    def choose_reason(self, code: str) -> None:
        self.reason_combo.setCurrentIndex(max(self.reason_combo.findData(code), 0))

    def choose_source(self, code: str) -> None:
        self.source_combo.setCurrentIndex(max(self.source_combo.findData(code), 0))

    def set_applies_from(self, day: dt.date) -> None:
        self.applies_edit.setDate(QDate(day.year, day.month, day.day))

    def answer(self, confirmed: bool = False) -> OverrideAnswer:
        if self.kind == "error":
            return OverrideAnswer(self.reason())
        return OverrideAnswer(self.reason(), self.reason_combo.currentData() or "",
                              self.applies_edit.date().toPython(), self.source_combo.currentData() or "",
                              confirmed)

    # -- saving -------------------------------------------------------------------------------
    def _ask_past_period(self) -> bool:
        box = QMessageBox(QMessageBox.Icon.Warning, "The measurement period is over",
                          self.past_label.text() + "\n\nDocument it anyway?",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
        box.setDefaultButton(QMessageBox.StandardButton.No)
        return box.exec() == QMessageBox.StandardButton.Yes

    def save(self) -> None:
        if self.period_ended and not self.confirm_past_period():
            return
        message = self.submit(self.answer(self.period_ended))
        if message:
            self.error_label.setText(message)
            self.error_label.show()
            no_reason = self.kind != "error" and not self.reason_combo.currentData()
            (self.reason_combo if no_reason else self.reason_edit).setFocus()
            return
        self.accept()
