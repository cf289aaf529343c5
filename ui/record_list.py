"""A titled list of records for the chart's tabs: columns, optional child lines, and a plain
"No … on record" when there is nothing, instead of an empty grid."""
from __future__ import annotations

import dataclasses

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHeaderView, QLabel, QStackedWidget, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget,
)

COLUMN_PADDING = 18
KEY_ROLE = Qt.ItemDataRole.UserRole + 7
UNLIMITED = 16777215  # Qt's QWIDGETSIZE_MAX


@dataclasses.dataclass
class Line:
    """One record: its cells, optional detail lines under it, and a tooltip."""

    cells: tuple[str, ...]
    children: list["Line"] = dataclasses.field(default_factory=list)
    tooltip: str = ""
    alert: bool = False  # e.g. an overdue referral: shown in bold
    key: object = None  # what the line stands for (a record id), for lists a user acts on


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
        self.tree.header().setStretchLastSection(False)
        self.tree.header().setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.empty = QLabel(empty_text)
        self.empty.setProperty("role", "empty")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.tree)
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.layout_.setSpacing(4)
        self.layout_.addWidget(self.title)
        self.layout_.addWidget(self.stack, 1)

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
        header = self.tree.header()
        for column in range(len(self.columns)):
            self.tree.resizeColumnToContents(column)
            self.tree.setColumnWidth(column, self.tree.columnWidth(column) + COLUMN_PADDING)
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
        # the column with the most text (a name, a note) takes the room left; the others fit their content
        widest = max(range(len(self.columns)), key=self.tree.columnWidth)
        header.setSectionResizeMode(widest, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(40)
        self.stack.setCurrentWidget(self.tree if lines else self.empty)
        # no taller than the content: short lists leave the room to the long ones
        body = self._tree_height() if lines else self.empty.sizeHint().height()
        self.stack.setMaximumHeight(body)
        self.setMaximumHeight(min(UNLIMITED, self.title.sizeHint().height() + self.layout_.spacing() + body))

    def _tree_height(self) -> int:
        rows = 0
        for i in range(self.tree.topLevelItemCount()):
            rows += 1 + self.tree.topLevelItem(i).childCount()
        row_height = max(self.tree.sizeHintForRow(0), self.fontMetrics().height() + 4)
        chrome = (self.tree.header().sizeHint().height() + 2 * self.tree.frameWidth()
                  + self.tree.horizontalScrollBar().sizeHint().height())
        return min(UNLIMITED, chrome + rows * row_height)

    def _item(self, line: Line) -> QTreeWidgetItem:
        item = QTreeWidgetItem(list(line.cells))
        item.setData(0, KEY_ROLE, line.key)
        for column, text in enumerate(line.cells):
            # the full text on hover, should a narrow window cut a cell
            tip = "\n".join(x for x in (text, line.tooltip) if x)
            if tip:
                item.setToolTip(column, tip)
        if line.alert:
            font = item.font(0)
            font.setBold(True)
            for column in range(len(line.cells)):
                item.setFont(column, font)
        return item

    def current_key(self):
        """The key of the chosen line (None when none is chosen or it has none)."""
        item = self.tree.currentItem()
        return None if item is None else item.data(0, KEY_ROLE)

    def select_key(self, key) -> bool:
        """Choose the line with ``key`` (a child line too); False when there is none."""
        for i in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(i)
            for item in [top] + [top.child(j) for j in range(top.childCount())]:
                if item.data(0, KEY_ROLE) == key:
                    self.tree.setCurrentItem(item)
                    return True
        return False

    # -- for tests and screen readers ----------------------------------------------------
    def is_empty(self) -> bool:
        return self.stack.currentWidget() is self.empty

    def rows(self) -> list[tuple[str, ...]]:
        return [tuple(self.tree.topLevelItem(i).text(c) for c in range(len(self.columns)))
                for i in range(self.tree.topLevelItemCount())]

    def child_rows(self, index: int) -> list[tuple[str, ...]]:
        item = self.tree.topLevelItem(index)
        return [tuple(item.child(i).text(c) for c in range(len(self.columns))) for i in range(item.childCount())]
