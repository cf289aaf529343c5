"""The Activity tab's outreach: the attempts on record and logging a new one (Ctrl+L).

After a save the outreach use case's ChangeSet names the patient, so the Patients section reads
the chart again and the new attempt appears in this list.
"""
from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ui import shortcuts
from ui.outreach_dialog import open_outreach_dialog


class OutreachPanel(QWidget):
    def __init__(self, context, chart, attempts: QWidget, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("chartOutreach")
        self.context, self.patient = context, chart.patient
        self.attempts = attempts
        self.outreach_dialog = None
        self.log_button = QPushButton("Log outreach…", objectName="chartLogOutreach")
        self.log_button.setToolTip(f"{shortcuts.LOG_OUTREACH.description} "
                                   f"({shortcuts.display_keys(shortcuts.LOG_OUTREACH.keys)})")
        self.log_button.setAutoDefault(False)
        self.log_button.clicked.connect(self.log_outreach)
        self.message = QLabel(objectName="chartOutreachMessage")
        self.message.setProperty("role", "hint")
        # the list's title and the button on one line
        title = QLabel(attempts.title.text())
        title.setProperty("role", "sectionTitle")
        attempts.title.hide()
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(title)
        row.addSpacing(12)
        row.addWidget(self.log_button)
        row.addWidget(self.message, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(row)
        layout.addWidget(attempts, 1)
        self.setMaximumHeight(attempts.maximumHeight() + self.log_button.sizeHint().height() + 8)
        shortcuts.bind(shortcuts.LOG_OUTREACH, self, self.log_outreach)

    def log_outreach(self):
        return open_outreach_dialog(self.context, self, self.patient.id, self.patient.display_name,
                                    on_logged=lambda result: self.message.setText(result.describe()))
