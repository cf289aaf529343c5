"""A titled list of records for the chart's tabs: columns, optional child lines, and a plain
"No … on record" when there is nothing, instead of an empty grid."""
from __future__ import annotations

import dataclasses

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QStackedWidget, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

COLUMN_PADDING = 18


@dataclasses.dataclass
class Line:
    """One record: its cells, optional detail lines under it, and a tooltip."""

    cells: tuple[str, ...]
    children: list["Line"] = dataclasses.field(default_factory=list)
    tooltip: str = ""
    alert: bool = False  # e.g. an overdue referral: shown in bold


class RecordList(QWidget):
    def __init__(self, title: str, columns: tuple[str, ...], empty_text: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.columns, self.empty_text = columns, empty_text
        self.title = QLabel(title)
        self.title.setProperty("role", "sectionTitle")
        self.tree = QTreeWidget()
        self.tree.setColumnCount(len(columns))
        self.tree.setHeaderLabels(list(columns))
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setWordWrap(False)
        self.tree.setRootIsDecorated(False)
        self.tree.header().setStretchLastSection(True)
        self.tree.header().setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.empty = QLabel(empty_text)
        self.empty.setProperty("role", "empty")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.tree)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.title)
        layout.addWidget(self.stack, 1)

    def set_lines(self, lines: list[Line]) -> None:
        self.tree.clear()
        has_children = any(line.children for line in lines)
        self.tree.setRootIsDecorated(has_children)
        for line in lines:
            item = self._item(line)
            self.tree.addTopLevelItem(item)
            for child in line.children:
                item.addChild(self._item(child))
        if has_children:
            self.tree.expandAll()
        for column in range(len(self.columns)):
            self.tree.resizeColumnToContents(column)
            self.tree.setColumnWidth(column, self.tree.columnWidth(column) + COLUMN_PADDING)
        self.stack.setCurrentWidget(self.tree if lines else self.empty)
        if not lines:
            # nothing to scroll: the plain sentence needs only its own height
            self.stack.setMaximumHeight(self.empty.sizeHint().height())
        else:
            self.stack.setMaximumHeight(16777215)

    def _item(self, line: Line) -> QTreeWidgetItem:
        item = QTreeWidgetItem(list(line.cells))
        if line.tooltip:
            for column in range(len(line.cells)):
                item.setToolTip(column, line.tooltip)
        if line.alert:
            font = item.font(0)
            font.setBold(True)
            for column in range(len(line.cells)):
                item.setFont(column, font)
        return item

    # -- for tests and screen readers ----------------------------------------------------
    def is_empty(self) -> bool:
        return self.stack.currentWidget() is self.empty

    def rows(self) -> list[tuple[str, ...]]:
        return [tuple(self.tree.topLevelItem(i).text(c) for c in range(len(self.columns)))
                for i in range(self.tree.topLevelItemCount())]

    def child_rows(self, index: int) -> list[tuple[str, ...]]:
        item = self.tree.topLevelItem(index)
        return [tuple(item.child(i).text(c) for c in range(len(self.columns))) for i in range(item.childCount())]
