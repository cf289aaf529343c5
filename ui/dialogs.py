"""Small dialogs: About, the keyboard shortcuts, and errors a user can read."""
from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QHeaderView, QMessageBox, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget,
)

from ui import shortcuts


def show_about(parent: QWidget | None) -> None:
    QMessageBox.about(
        parent, "About Carepod",
        "<b>Carepod</b><p>One place for the shared clinical staff of a pod of primary-care "
        "practices: caseload, gaps in care, referrals, after-hours calls, medication reviews "
        "and practice reports.</p>")


def show_error(parent: QWidget | None, title: str, message: str) -> None:
    """An error the user can act on: what failed and why, never a traceback."""
    QMessageBox.critical(parent, title, message)


def show_warning(parent: QWidget | None, title: str, message: str) -> None:
    """Something the user must know about the data (a damaged database), without blocking."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, parent)
    box.setObjectName("warningBox")
    box.open()


class ShortcutsDialog(QDialog):
    """Help > Keyboard shortcuts: the table in :mod:`ui.shortcuts` plus each section's key."""

    def __init__(self, section_keys: list[tuple[str, str]], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        rows = [(shortcuts.display_keys(s.keys), s.description) for s in shortcuts.ALL]
        rows += [(shortcuts.display_keys((keys,)), description) for keys, description in section_keys]
        self.table = QTableWidget(len(rows), 2, self)
        self.table.setObjectName("shortcutTable")
        self.table.setHorizontalHeaderLabels(["Keys", "Action"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        for row, (keys, description) in enumerate(rows):
            self.table.setItem(row, 0, QTableWidgetItem(keys))
            self.table.setItem(row, 1, QTableWidgetItem(description))
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(620, 480)

    def rows(self) -> list[tuple[str, str]]:
        return [(self.table.item(r, 0).text(), self.table.item(r, 1).text()) for r in range(self.table.rowCount())]
