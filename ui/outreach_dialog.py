"""Logging an outreach attempt in a few keystrokes: Ctrl+L, the outcome's letter, Enter.

The outcome is one key (Alt+R reached, Alt+L left message, Alt+N no answer, Alt+W wrong number,
Alt+D declined); the channel (phone unless changed), what the try was about (the gap or
referral the dialog was opened from, preselected) and a note are optional. Save runs
``application.outreach.log_outreach`` on the task runner's writer; a broken rule stays in the
dialog as its message, nothing saved. :func:`open_outreach_dialog` is how screens open it.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup, QComboBox, QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit,
    QRadioButton, QVBoxLayout, QWidget,
)

from application import outreach as app
from domain.errors import DomainError

# the outcome buttons' texts: the & letter is the Alt key that chooses it
OUTCOME_KEYS = {"reached": "&Reached", "left_message": "&Left message", "no_answer": "&No answer",
                "wrong_number": "&Wrong number", "declined": "&Declined"}


class OutreachDialog(QDialog):
    logged = Signal(object)  # application.outreach.OutreachLogged

    def __init__(self, context, patient_id: int, patient_name: str, targets: list[app.OutreachTarget], *,
                 gap_id: int | None = None, referral_id: int | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("outreachDialog")
        self.setWindowTitle(f"Log outreach — {patient_name}")
        self.context, self.patient_id = context, patient_id
        self.result_value: app.OutreachLogged | None = None

        intro = QLabel(f"An attempt to reach <b>{patient_name}</b>. Choose the outcome (Alt + its letter), "
                       "then Enter.")
        intro.setWordWrap(True)
        self.outcomes = QButtonGroup(self)
        outcome_row = QHBoxLayout()
        for index, outcome in enumerate(app.OUTCOMES):
            button = QRadioButton(OUTCOME_KEYS[outcome], objectName=f"outcome_{outcome}")
            button.setToolTip(app.OUTCOME_LABELS[outcome])
            self.outcomes.addButton(button, index)
            outcome_row.addWidget(button)
        outcome_row.addStretch(1)
        self.channel_combo = QComboBox(objectName="outreachChannel")
        for channel in app.CHANNELS:
            self.channel_combo.addItem(app.CHANNEL_LABELS[channel], channel)
        self.target_combo = QComboBox(objectName="outreachTarget")
        self.target_combo.addItem("The patient's care in general", (None, None))
        for target in targets:
            self.target_combo.addItem(target.label, (target.gap_id, target.referral_id))
        wanted = (gap_id, referral_id)
        if wanted != (None, None):
            index = next((i for i in range(self.target_combo.count()) if self.target_combo.itemData(i) == wanted), -1)
            if index < 0:  # not among the open ones (a gap since closed): still what the try was about
                self.target_combo.addItem("The gap or referral this was opened from", wanted)
                index = self.target_combo.count() - 1
            self.target_combo.setCurrentIndex(index)
        self.note_edit = QLineEdit(objectName="outreachNote")
        self.note_edit.setPlaceholderText("What was said or left (optional)")
        self.error_label = QLabel(objectName="outreachError")
        self.error_label.setProperty("role", "status-alert")
        self.error_label.setWordWrap(True)
        self.error_label.hide()

        form = QFormLayout()
        outcome_caption = QLabel("Outcome")
        form.addRow(outcome_caption, outcome_row)
        channel_caption = QLabel("&Channel")
        channel_caption.setBuddy(self.channel_combo)
        form.addRow(channel_caption, self.channel_combo)
        target_caption = QLabel("&About")
        target_caption.setBuddy(self.target_combo)
        form.addRow(target_caption, self.target_combo)
        note_caption = QLabel("N&ote")
        note_caption.setBuddy(self.note_edit)
        form.addRow(note_caption, self.note_edit)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setObjectName("outreachSave")
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(620)
        self.outcomes.buttons()[0].setFocus(Qt.FocusReason.OtherFocusReason)

    def outcome(self) -> str | None:
        index = self.outcomes.checkedId()
        return app.OUTCOMES[index] if index >= 0 else None

    def show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))

    def save(self) -> None:
        outcome = self.outcome()
        if outcome is None:
            self.show_error("Choose the outcome: Alt+R reached, Alt+L left message, Alt+N no answer, "
                            "Alt+W wrong number, Alt+D declined.")
            return
        gap_id, referral_id = self.target_combo.currentData()
        pod, patient_id = self.context.pod, self.patient_id
        channel, note = self.channel_combo.currentData(), self.note_edit.text()
        self.buttons.setEnabled(False)
        task = self.context.tasks.write(
            lambda job: app.log_outreach(pod, patient_id=patient_id, channel=channel, outcome=outcome, note=note,
                                         gap_id=gap_id, referral_id=referral_id),
            label="Saving the outreach attempt…", parent=self, on_error=lambda _e: None)
        self.context.tasks.wait_for(task)
        self.buttons.setEnabled(True)
        if task.error is not None:
            self.show_error(str(task.error) if isinstance(task.error, DomainError)
                            else f"It could not be saved: {task.error}")
            return
        self.result_value = task.result
        self.logged.emit(task.result)
        self.accept()


def open_outreach_dialog(context, parent: QWidget, patient_id: int, patient_name: str, *,
                         gap_id: int | None = None, referral_id: int | None = None, on_logged=None):
    """Read what the patient's outreach can be about (off the UI thread), then show the dialog
    (window-modal, not blocking). ``on_logged(OutreachLogged)`` after a save. Returns the read task."""
    pod = context.pod

    def show(targets) -> None:
        dialog = OutreachDialog(context, patient_id, patient_name, targets, gap_id=gap_id, referral_id=referral_id,
                                parent=parent)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        if on_logged is not None:
            dialog.logged.connect(on_logged)
        parent.outreach_dialog = dialog  # for tests and screen readers: the one being shown
        dialog.open()

    return context.tasks.read(lambda job: app.outreach_targets(pod, patient_id), parent=parent, on_done=show)
