"""A small form for one record (a goal, a task, a time entry): fields in a column, Save and
Cancel. Saving runs the use case on the task runner's writer; a rule it breaks is shown in the
form, which stays open with what was typed, so nothing is lost and nothing half-saved."""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QDate, Qt, QTime
from PySide6.QtWidgets import (
    QComboBox, QDateEdit, QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QPlainTextEdit, QPushButton,
    QSpinBox, QTimeEdit, QVBoxLayout, QWidget,
)

from domain.errors import DomainError
from ui.tasks import error_sentence

DATE_DISPLAY = "MM/dd/yyyy"


@dataclasses.dataclass
class Field:
    name: str
    label: str
    kind: str = "text"  # text, lines, date, time, minutes, choice
    value: Any = None
    choices: tuple[tuple[str, Any], ...] = ()  # (label, value) for a choice
    editable: bool = False  # a choice that also takes typed text
    hint: str = ""  # placeholder text


class FormDialog(QDialog):
    """``FormDialog(context, "Add a goal", [Field(...)], save=lambda values: use_case(...))``."""

    def __init__(self, context, title: str, fields: list[Field], save: Callable[[dict[str, Any]], Any],
                 parent: QWidget | None = None, *, intro: str = "", ok_text: str = "Save"):
        super().__init__(parent)
        self.setObjectName("recordForm")
        self.setWindowTitle(title)
        self.context, self.save = context, save
        self.widgets: dict[str, QWidget] = {}
        self.fields = {f.name: f for f in fields}
        layout = QVBoxLayout(self)
        if intro:
            text = QLabel(intro, objectName="formIntro")
            text.setWordWrap(True)
            text.setProperty("role", "hint")
            layout.addWidget(text)
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        for field in fields:
            widget = self._widget(field)
            widget.setObjectName(f"field_{field.name}")
            self.widgets[field.name] = widget
            form.addRow(field.label + ":", widget)
        layout.addLayout(form)
        self.error = QLabel("", objectName="formError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #a8323e;")
        self.error.hide()
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Save).setText(ok_text)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.setMinimumWidth(520)

    def _widget(self, field: Field) -> QWidget:
        if field.kind == "lines":
            widget = QPlainTextEdit()
            widget.setTabChangesFocus(True)
            widget.setPlainText(field.value or "")
            widget.setFixedHeight(widget.fontMetrics().lineSpacing() * 4 + 12)
            widget.setPlaceholderText(field.hint)
            return widget
        if field.kind == "date":
            widget = QDateEdit()
            widget.setCalendarPopup(True)
            widget.setDisplayFormat(DATE_DISPLAY)
            value = field.value or dt.date.today()
            widget.setDate(QDate(value.year, value.month, value.day))
            return widget
        if field.kind == "time":
            widget = QTimeEdit()
            widget.setDisplayFormat("HH:mm")
            value = field.value or dt.datetime.now().time()
            widget.setTime(QTime(value.hour, value.minute))
            return widget
        if field.kind == "minutes":
            widget = QSpinBox()
            widget.setRange(0, 9999)  # the use case says what is allowed (1 to 600), not the spin box
            widget.setSuffix(" min")
            widget.setValue(int(field.value or 0))
            return widget
        if field.kind == "choice":
            widget = QComboBox()
            widget.setEditable(field.editable)
            for label, value in field.choices:
                widget.addItem(label, value)
            index = next((i for i, (_l, v) in enumerate(field.choices) if v == field.value), -1)
            if index >= 0:
                widget.setCurrentIndex(index)
            elif field.editable and field.value:
                widget.setEditText(str(field.value))
            return widget
        widget = QLineEdit(field.value or "")
        widget.setPlaceholderText(field.hint)
        return widget

    def values(self) -> dict[str, Any]:
        found = {}
        for name, widget in self.widgets.items():
            if isinstance(widget, QPlainTextEdit):
                found[name] = widget.toPlainText()
            elif isinstance(widget, QDateEdit):
                found[name] = widget.date().toPython()
            elif isinstance(widget, QTimeEdit):
                found[name] = widget.time().toPython().replace(second=0, microsecond=0)
            elif isinstance(widget, QSpinBox):
                found[name] = widget.value()
            elif isinstance(widget, QComboBox):
                typed = widget.currentText()
                data = widget.currentData()
                found[name] = data if data is not None and widget.itemText(widget.currentIndex()) == typed else typed
            else:
                found[name] = widget.text()
        return found

    def accept(self) -> None:
        """Save on the writer and wait for it; a broken rule is shown here and the form stays."""
        values = self.values()
        task = self.context.tasks.write(lambda job: self.save(values), label=f"{self.windowTitle()}…",
                                        parent=self, on_error=self._failed)
        self.context.tasks.wait_for(task)
        if task.error is None:
            super().accept()

    def _failed(self, error: BaseException) -> None:
        self.error.setText(str(error) if isinstance(error, DomainError) else error_sentence(error))
        self.error.show()


def open_form(owner: QWidget, title: str, fields: list[Field], save, **more) -> FormDialog:
    """A form opened over ``owner`` (window-modal, not blocking), kept as ``owner.dialog``."""
    owner.dialog = FormDialog(owner.context, title, fields, save, owner, **more)
    owner.dialog.open()
    return owner.dialog


def action_button(text: str, slot, name: str, keys: tuple[str, ...] = ()) -> QPushButton:
    """A button that does one thing; its tooltip names the shortcut that does the same."""
    from ui.shortcuts import display_keys

    button = QPushButton(text, objectName=name)
    if keys:
        button.setToolTip(f"{text.rstrip('…')} ({display_keys(keys)})")
    button.clicked.connect(slot)
    return button
