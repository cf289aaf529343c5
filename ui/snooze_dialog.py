"""Snoozing a Today item: until which day (typed, or a quick choice) and why.

The day is read by ``domain.today.parse_day`` (MM/DD/YYYY, YYYY-MM-DD, +N days) and checked by
the use case (after today, within a year, with a reason); a broken rule is shown here and
nothing is saved. ``submit(until, reason)`` runs the use case and returns None or the message.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget,
)

from domain.business_days import BusinessCalendar
from domain.errors import DomainError
from domain.today import parse_day


class SnoozeDialog(QDialog):
    def __init__(self, what: str, today: dt.date, submit: Callable[[dt.date, str], str | None],
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("snoozeDialog")
        self.setWindowTitle("Snooze")
        self.today, self.submit = today, submit
        prompt = QLabel(f"Take this off Today until a later day:\n{what}")
        prompt.setWordWrap(True)
        self.until_edit = QLineEdit(objectName="snoozeUntil")
        self.until_edit.setPlaceholderText("MM/DD/YYYY, or +7 for a week")
        next_day = BusinessCalendar().next_business_day(today + dt.timedelta(days=1))
        self.until_edit.setText(f"{next_day:%m/%d/%Y}")
        self.until_edit.selectAll()
        quick = QHBoxLayout()
        for text, days in (("Next business day", None), ("In 3 days", 3), ("In a week", 7), ("In 2 weeks", 14)):
            button = QPushButton(text)
            button.setAutoDefault(False)
            day = next_day if days is None else today + dt.timedelta(days=days)
            button.clicked.connect(lambda _checked=False, d=day: self.until_edit.setText(f"{d:%m/%d/%Y}"))
            quick.addWidget(button)
        quick.addStretch(1)
        self.reason_edit = QLineEdit(objectName="snoozeReason")
        self.reason_edit.setPlaceholderText("Why (e.g. patient asked to be called after her appointment)")
        self.error_label = QLabel(objectName="snoozeError")
        self.error_label.setProperty("role", "status-alert")
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        form = QFormLayout()
        until_caption = QLabel("&Until")
        until_caption.setBuddy(self.until_edit)
        form.addRow(until_caption, self.until_edit)
        form.addRow("", quick)
        reason_caption = QLabel("&Reason")
        reason_caption.setBuddy(self.reason_edit)
        form.addRow(reason_caption, self.reason_edit)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(prompt)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(520)
        self.until_edit.setFocus()

    def save(self) -> None:
        try:
            until = parse_day(self.until_edit.text(), self.today)
        except DomainError as exc:
            self._show(str(exc))
            self.until_edit.setFocus()
            return
        message = self.submit(until, self.reason_edit.text())
        if message:
            self._show(message)
            return
        self.accept()

    def _show(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))
