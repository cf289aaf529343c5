"""The Gaps worklist as a lazy table model: rows arrive a page at a time as the view scrolls.

Sorting is done by the database (``application.gaps``): changing the sort or a
filter drops the loaded rows and asks for the first page again.
"""
from __future__ import annotations

import datetime as dt
import logging

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont
from application import gaps as q
from domain.gaps import STATE_LABELS
from ui import format as fmt

log = logging.getLogger(__name__)

# header, sort key of application.gaps.gap_page (None: not sortable)
COLUMNS: tuple[tuple[str, str | None], ...] = (
    ("Patient", "patient"), ("DOB", "dob"), ("MRN", "mrn"), ("Practice", "practice"),
    ("Measure", "measure"), ("State", "state"), ("Due", "due"), ("Last outreach", "last_outreach"),
    ("Why", None),
)
WHY_COLUMN = len(COLUMNS) - 1
STATE_COLOURS = {"open": "#a8323e", "closed": "#4f7d5c", "excluded": "#5d6b76", "not_applicable": "#8a959e"}
PATIENT_ID_ROLE = Qt.ItemDataRole.UserRole + 1
DUE_COLUMN = 6


def overdue(row: q.GapRow, today: dt.date) -> bool:
    """An open gap whose due date has passed."""
    return row.state == "open" and row.due_date is not None and row.due_date < today


_Index = QModelIndex | QPersistentModelIndex


def measure_label(row: q.GapRow) -> str:
    return row.measure_id if row.group_index == 0 else f"{row.measure_id} · {row.group_index + 1}"


def _cells(row: q.GapRow) -> tuple[str, ...]:
    return (row.patient_name, fmt.date(row.birth_date), row.mrn, row.practice_code, measure_label(row),
            STATE_LABELS.get(row.state, row.state), fmt.date(row.due_date),
            fmt.local_datetime(row.last_outreach_at), row.why)


class GapTableModel(QAbstractTableModel):
    def __init__(self, pod, parent=None):
        super().__init__(parent)
        self.pod = pod
        self.filter = q.GapFilter()
        self.sort_key, self.descending = q.DEFAULT_SORT, False
        self.page_size = q.PAGE_SIZE
        self._rows: list[q.GapRow] = []
        self._cells: list[tuple[str, ...]] = []
        self._after: tuple | None = None
        self._more = False
        self.failed: str = ""  # the last error, shown by the screen instead of a traceback
        self._loaded = False  # nothing is read before the screen sets the first filter

    # -- loading -------------------------------------------------------------------------
    def set_filter(self, flt: q.GapFilter) -> None:
        self.filter, self._loaded = flt, True
        self.reload()

    def reload(self) -> None:
        self.beginResetModel()
        self._rows, self._cells, self._after, self._more = [], [], None, True
        self.failed = ""
        page = self._read_page()
        if page is not None:
            self._take(page)
        self.endResetModel()

    def _read_page(self) -> q.Page | None:
        try:
            return q.gap_page(self.pod, self.filter, sort=self.sort_key, descending=self.descending,
                              after=self._after, limit=self.page_size)
        except Exception as exc:  # a failed read keeps the rows already shown and says why
            log.exception("Could not read the gaps worklist")
            self.failed, self._more = f"Could not read the worklist: {exc}", False
            return None

    def _take(self, page: q.Page) -> None:
        self._rows += page.rows
        self._cells += [_cells(r) for r in page.rows]
        self._after, self._more = page.next_after, page.next_after is not None

    def canFetchMore(self, parent: _Index = QModelIndex()) -> bool:
        return not parent.isValid() and self._more

    def fetchMore(self, parent: _Index = QModelIndex()) -> None:
        if parent.isValid() or not self._more:
            return
        page = self._read_page()
        if page is None:
            return
        if not page.rows:
            self._more = False
            return
        start = len(self._rows)
        self.beginInsertRows(QModelIndex(), start, start + len(page.rows) - 1)
        self._take(page)
        self.endInsertRows()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(COLUMNS) or COLUMNS[column][1] is None:
            return
        self.sort_key = COLUMNS[column][1]
        self.descending = order == Qt.SortOrder.DescendingOrder
        if self._loaded:
            self.reload()

    def sort_column(self) -> int:
        return next(i for i, (_h, key) in enumerate(COLUMNS) if key == self.sort_key)

    # -- reading ---------------------------------------------------------------------------
    def row_at(self, row: int) -> q.GapRow | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def loaded_rows(self) -> list[q.GapRow]:
        return list(self._rows)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(COLUMNS):
            if role == Qt.ItemDataRole.DisplayRole:
                return COLUMNS[section][0]
            if role == Qt.ItemDataRole.ToolTipRole and COLUMNS[section][1] is None:
                return "Why the patient is in, out or excluded (not sortable)"
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        try:
            if not index.isValid() or index.row() >= len(self._rows):
                return None
            row, column = self._rows[index.row()], index.column()
            if role == Qt.ItemDataRole.DisplayRole:
                return self._cells[index.row()][column]
            if role == Qt.ItemDataRole.ToolTipRole:
                if column == WHY_COLUMN:
                    return row.why
                if column == 4:
                    return row.measure_title
                if column == DUE_COLUMN and overdue(row, dt.date.today()):
                    return f"Overdue: due {fmt.date(row.due_date)}"
                return None
            if role == Qt.ItemDataRole.ForegroundRole and column == 5:
                return QBrush(QColor(STATE_COLOURS.get(row.state, "#1f2a33")))
            if column == DUE_COLUMN and overdue(row, dt.date.today()):
                if role == Qt.ItemDataRole.ForegroundRole:
                    return QBrush(QColor(STATE_COLOURS["open"]))
                if role == Qt.ItemDataRole.FontRole:
                    bold = QFont()
                    bold.setBold(True)
                    return bold
            if role == PATIENT_ID_ROLE:
                return row.patient_id
        except Exception:  # data() is called while painting: it must never raise
            log.exception("Gap row %s could not be shown", index.row())
        return None
