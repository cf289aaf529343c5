"""Administration ▸ Possible duplicates: the same person at two practices.

Candidates found after imports are listed best first; the administrator confirms (the
charts then show each other's record) or dismisses each. Nothing is ever merged.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractItemView, QDialog, QHBoxLayout, QHeaderView, QLabel, QPushButton,
                               QTableWidget, QTableWidgetItem, QVBoxLayout)

COLUMNS = ("Score", "Reason", "Practice", "Patient", "MRN", "Other practice", "Other patient", "Other MRN", "Born")


class DuplicatesDialog(QDialog):
    def __init__(self, context, parent=None):
        super().__init__(parent)
        self.setObjectName("DuplicatesDialog")
        self.setWindowTitle("Possible duplicate patients across practices")
        self.context = context
        self.rows = []
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 8)
        self.note = QLabel()
        self.confirm = QPushButton("&Same person")
        self.confirm.clicked.connect(lambda: self.decide_selected("confirmed"))
        self.dismiss = QPushButton("&Different people")
        self.dismiss.clicked.connect(lambda: self.decide_selected("dismissed"))
        close = QPushButton("Close")
        close.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addWidget(self.confirm)
        buttons.addWidget(self.dismiss)
        buttons.addStretch()
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Records are never merged: confirming lets each chart show the other practice's record."))
        layout.addWidget(self.table)
        layout.addWidget(self.note)
        layout.addLayout(buttons)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.resize(1100, 420)
        self.refresh()

    def refresh(self) -> None:
        from application.duplicates import candidate_links
        from ui.format import date

        self.rows = candidate_links(self.context.pod)
        self.table.setRowCount(len(self.rows))
        for r, link in enumerate(self.rows):
            values = (f"{link.score:.2f}", link.reason, link.a_practice, link.a_name, link.a_mrn,
                      link.b_practice, link.b_name, link.b_mrn, date(link.birth_date))
            for c, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setData(Qt.UserRole, r)
                item.setToolTip(value)
                self.table.setItem(r, c, item)
        # whole reasons, names and MRNs (imported MRNs can be long identifiers): scroll rather than cut
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeToContents)
        header.setStretchLastSection(True)
        self.note.setText(f"{len(self.rows)} candidate(s) to decide." if self.rows else "No candidates to decide.")
        self._update_buttons()

    def _update_buttons(self) -> None:
        chosen = bool(self.table.selectedItems())
        self.confirm.setEnabled(chosen)
        self.dismiss.setEnabled(chosen)

    def decide_selected(self, decision: str):
        """Confirm or dismiss the chosen candidate (saved on the writer; the list is read anew)."""
        from application.duplicates import decide_link

        items = self.table.selectedItems()
        if not items:
            return None
        link = self.rows[items[0].data(Qt.UserRole)]
        return self.context.tasks.write(lambda job: decide_link(self.context.pod, link, decision),
                                        label="Saving the decision…", parent=self, on_done=lambda _c: self.refresh())
