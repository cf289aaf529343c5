"""The table of an import's problems, shared by the Import dialog and the Import history.

A big import can log hundreds of thousands of problems, so the model makes cells only as
they are painted. The file column shows the file's name (the full path is its tooltip and
goes to the CSV); warnings, which refused nothing, are drawn in a muted colour.
"""
from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

from application.imports import PROBLEM_COLUMNS

_WARNING_TEXT = QColor("#7a5a00")
_WIDTHS = (220, 80, 120, 140, 70)  # every column but the reason, which takes the rest


class ProblemsModel(QAbstractTableModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.problems: list = []

    def set_problems(self, problems) -> None:
        self.beginResetModel()
        self.problems = list(problems)
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.problems)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(PROBLEM_COLUMNS)

    def headerData(self, section, orientation, role=Qt.DisplayRole):
        if role == Qt.DisplayRole and orientation == Qt.Horizontal and 0 <= section < len(PROBLEM_COLUMNS):
            return PROBLEM_COLUMNS[section]
        return None

    def data(self, index, role=Qt.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self.problems):
            return None
        problem = self.problems[index.row()]
        if role == Qt.DisplayRole:
            value = problem.as_row()[index.column()]
            return _file_name(value) if index.column() == 0 else value
        if role == Qt.ToolTipRole:
            return problem.as_row()[index.column()] or None
        if role == Qt.ForegroundRole and problem.severity == "warning":
            return QBrush(_WARNING_TEXT)
        return None


def problems_view(model: ProblemsModel, object_name: str) -> QTableView:
    view = QTableView()
    view.setObjectName(object_name)
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectRows)
    view.setEditTriggers(QAbstractItemView.NoEditTriggers)
    view.verticalHeader().setVisible(False)
    view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 8)
    view.setWordWrap(False)
    header = view.horizontalHeader()
    for column, width in enumerate(_WIDTHS):
        header.resizeSection(column, width)
    header.setSectionResizeMode(len(PROBLEM_COLUMNS) - 1, QHeaderView.Stretch)
    return view


def save_problems_as(parent, default_name: str, problems) -> None:
    """Ask where, then write ``problems`` as CSV; a disk error is a message, not a traceback."""
    from PySide6.QtWidgets import QFileDialog, QMessageBox

    from application.imports import write_problems_csv

    path, _ = QFileDialog.getSaveFileName(parent, "Save problems", default_name, "CSV (*.csv)")
    if not path:
        return
    try:
        write_problems_csv(path, problems)
    except OSError as exc:
        QMessageBox.warning(parent, "Could not save", f"{path}: {exc.strerror or exc}")


def _file_name(path: str) -> str:
    return path.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1] or path
