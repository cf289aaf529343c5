"""The patient list as a lazy table model: a page of rows at a time, fetched as the view scrolls."""
from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from application.patients import PAGE_SIZE, PatientRow
from ui import format as fmt

log = logging.getLogger(__name__)

# (text, practice_ids, limit, offset) -> rows: one page of a search
PageFetcher = Callable[[str, "list[int] | None", int, int], list[PatientRow]]

COLUMNS: tuple[tuple[str, Callable[[PatientRow], str]], ...] = (
    ("Name", lambda r: r.display_name),
    ("DOB", lambda r: fmt.date(r.birth_date)),
    ("Age", lambda r: str(r.age())),
    ("Sex", lambda r: fmt.sex(r.sex)),
    ("MRN", lambda r: r.mrn),
    ("Practice", lambda r: r.practice_name),
    ("Phone", lambda r: r.phone),
    ("PCP", lambda r: r.pcp),
    ("Risk tier", lambda r: fmt.risk(r.risk_tier)),
)
AGE_COLUMN = 2
PatientIdRole = Qt.ItemDataRole.UserRole + 1


class PatientTableModel(QAbstractTableModel):
    """Rows of one search; more pages are fetched only when the view scrolls to them."""

    def __init__(self, fetch_page: PageFetcher, page_size: int = PAGE_SIZE, parent=None):
        super().__init__(parent)
        self._fetch_page = fetch_page
        self.page_size = page_size
        self._rows: list[PatientRow] = []
        self._text = ""
        self._practice_ids: list[int] | None = None
        self._complete = True
        self.error = ""  # the last failure, shown by the screen instead of a traceback

    # -- filling ------------------------------------------------------------------------
    def search(self, text: str, practice_ids: list[int] | None) -> None:
        """Replace the rows with the first page of a new search."""
        self.beginResetModel()
        self._text, self._practice_ids = text, practice_ids
        self._rows, self._complete, self.error = [], False, ""
        self._rows = self._page(0)
        self.endResetModel()

    def show_rows(self, rows: list[PatientRow]) -> None:
        """Show a fixed list (recently opened charts) with nothing more to fetch."""
        self.beginResetModel()
        self._text, self._rows, self._complete, self.error = "", list(rows), True, ""
        self.endResetModel()

    def _page(self, offset: int) -> list[PatientRow]:
        try:
            rows = self._fetch_page(self._text, self._practice_ids, self.page_size, offset)
        except Exception as exc:  # the database may be locked or gone: say so, keep the window alive
            log.exception("patient search failed")
            self.error = f"The search could not be run: {exc.__class__.__name__}: {exc}"
            self._complete = True
            return []
        if len(rows) < self.page_size:
            self._complete = True
        return rows

    def canFetchMore(self, parent=QModelIndex()) -> bool:  # noqa: N802 (Qt's names)
        return not parent.isValid() and not self._complete

    def fetchMore(self, parent=QModelIndex()) -> None:  # noqa: N802
        if parent.isValid() or self._complete:
            return
        more = self._page(len(self._rows))
        if not more:
            self._complete = True
            return
        self.beginInsertRows(QModelIndex(), len(self._rows), len(self._rows) + len(more) - 1)
        self._rows.extend(more)
        self.endInsertRows()

    # -- reading ------------------------------------------------------------------------
    @property
    def complete(self) -> bool:
        return self._complete

    def patient_at(self, row: int) -> PatientRow | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole \
                and 0 <= section < len(COLUMNS):
            return COLUMNS[section][0]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role=Qt.ItemDataRole.DisplayRole):
        """Never raises: a row that cannot be shown shows as empty."""
        if not index.isValid() or index.parent().isValid():
            return None
        row = self.patient_at(index.row())
        if row is None or not 0 <= index.column() < len(COLUMNS):
            return None
        try:
            if role == Qt.ItemDataRole.DisplayRole:
                return COLUMNS[index.column()][1](row)
            if role == PatientIdRole:
                return row.id
            if role == Qt.ItemDataRole.ToolTipRole:
                if index.column() == len(COLUMNS) - 1 and row.risk_override_reason:
                    return f"Risk tier set by hand: {row.risk_override_reason}"
                if index.column() == len(COLUMNS) - 1 and not row.risk_tier:
                    return "No risk tier computed yet"
                if row.status != "active":
                    return f"{fmt.label(row.status, fmt.STATUS_LABELS)} patient"
            if role == Qt.ItemDataRole.TextAlignmentRole and index.column() == AGE_COLUMN:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        except Exception:  # a malformed row must not take the window down
            log.exception("cannot show patient row %s", getattr(row, "id", "?"))
        return None
