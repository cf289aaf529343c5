"""Asks for the reason of a documented exclusion, a "patient declined", or an entered-in-error mark.

The dialog does not decide what a valid reason is: ``submit(reason)`` runs the
service and returns None when it was kept, or the rule's message to show here.
"""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QVBoxLayout, QWidget,
)

PROMPTS = {
    "exclusion": ("Document an exclusion",
                  "Why is {patient} excluded from {measure}? (e.g. the medical reason, its source and date)"),
    "declined": ("Patient declined", "What did {patient} decline for {measure}, and why?"),
    "error": ("Mark entered in error", "Why was this documentation for {measure} entered in error?"),
}


class GapOverrideDialog(QDialog):
    def __init__(self, kind: str, measure: str, patient: str, submit: Callable[[str], str | None],
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("gapOverrideDialog")
        title, prompt = PROMPTS[kind]
        self.setWindowTitle(title)
        self.submit = submit
        self.prompt = QLabel(prompt.format(patient=patient, measure=measure))
        self.prompt.setWordWrap(True)
        self.reason_edit = QPlainTextEdit(objectName="overrideReason")
        self.reason_edit.setTabChangesFocus(True)
        self.reason_edit.setMinimumHeight(90)
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
        layout.addWidget(self.reason_edit)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self.resize(460, 240)

    def reason(self) -> str:
        return self.reason_edit.toPlainText()

    def save(self) -> None:
        message = self.submit(self.reason())
        if message:
            self.error_label.setText(message)
            self.error_label.show()
            self.reason_edit.setFocus()
            return
        self.accept()
