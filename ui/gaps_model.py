"""The Gaps worklist as a lazy table model: rows arrive a page at a time as the view scrolls.

Sorting is done by the database (``application.gaps``): changing the sort or a filter asks for
the first page again. Every read runs on the task runner's read lane, never on the UI thread:
the rows shown stay until the new page arrives (:attr:`GapTableModel.reading` meanwhile), the
newest request wins (a page asked for before the last change is dropped when it arrives), and a
failed read becomes a sentence (:attr:`GapTableModel.failed`), never a traceback.

Only the pages last looked at are kept (:data:`KEPT_PAGES`, a few thousand rows, whatever
was scrolled through): a page dropped is read again, by the same keyset, when the view paints
one of its rows again (blank until it arrives, a few milliseconds later). Scrolling through
200,000 rows kept them all (520 bytes each, 100 MB).

Rows are kept compactly: each a plain tuple of the ``GapRow``'s values (a tuple of strings,
numbers and dates is left alone by Python's garbage collector, so 200,000 rows add nothing to
its pauses), the values many rows share (measure, practice, state, dates, the reason) one object
each; a ``GapRow`` is made when asked for, and the cells' text formatted when painted.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections import OrderedDict

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from application import gaps as q
from domain.gaps import STATE_LABELS
from ui import format as fmt
from ui.tasks import error_sentence

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
# pages kept at most (the view shows a few dozen rows; the others are read again when shown)
KEPT_PAGES = 20
# rows kept as painted (a few screens' worth, of the pages kept; the view paints the visible ones
# again at every step)
SHOWN_ROWS = 400
# shared values kept at most before the next page starts a new set (the reasons differ by row)
SHARED_VALUES = 20_000
# the values of a row that many rows share: kept as one object each
_SHARED_FIELDS = ("birth_date", "practice_code", "measure_id", "measure_title", "state", "period_start",
                  "period_end", "due_date", "why", "language", "status_note")


def overdue(row: q.GapRow, today: dt.date) -> bool:
    """An open gap whose due date has passed, of a patient still in care (no alarm for the gap of
    a patient who has died or moved: nobody is to act on it)."""
    return row.state == "open" and row.due_date is not None and row.due_date < today and not row.status_note


_Index = QModelIndex | QPersistentModelIndex


def measure_label(row: q.GapRow) -> str:
    return row.measure_id if row.group_index == 0 else f"{row.measure_id} · {row.group_index + 1}"


def contact(row: q.GapRow) -> str:
    """'(617) 555-0147 · Spanish': what an outreach call needs, under the patient's name; for a
    patient no longer in care, that instead ("patient deceased 10/11/2025": nobody is to call)."""
    if row.status_note:
        return row.status_note
    return " · ".join(x for x in (fmt.phone(row.phone) or "no phone on record", row.language) if x)


def _cell(row: q.GapRow, column: int) -> str:
    if column == 0:
        return f"{row.patient_name}\n{contact(row)}"
    if column == 1:
        return fmt.date(row.birth_date)
    if column == 2:
        return row.mrn
    if column == 3:
        return row.practice_code
    if column == 4:
        return measure_label(row)
    if column == 5:
        return STATE_LABELS.get(row.state, row.state)
    if column == DUE_COLUMN:
        return fmt.date(row.due_date)
    if column == 7:
        return fmt.local_datetime(row.last_outreach_at)
    return row.why


class GapTableModel(QAbstractTableModel):
    """``GapTableModel(pod, tasks)``: ``tasks`` is the app's task runner (``context.tasks``)."""

    reading_changed = Signal(bool)  # a read is under way (the rows shown are the previous answer's)
    first_page_shown = Signal()  # a new filter's or sort's first page replaced the rows
    read_failed = Signal(str)  # the sentence saying why the worklist could not be read

    def __init__(self, pod, tasks, parent=None):
        super().__init__(parent)
        self.pod, self.tasks = pod, tasks
        self.filter = q.GapFilter()
        self.sort_key, self.descending = q.DEFAULT_SORT, False
        self.page_size = q.PAGE_SIZE
        self._pages: OrderedDict[int, list[tuple]] = OrderedDict()  # page -> its rows' GapRow values, by use
        self._keys: list[tuple | None] = []  # per page read so far: the keyset it is read after
        self._count = 0  # rows read so far (every page but the last is a whole page)
        self._shared: dict = {}
        self._after: tuple | None = None
        self._more = False
        self._generation = 0  # bumped by every new filter or sort: older answers are dropped
        self._task = None  # the read in flight (a first page or the next one)
        self._again: dict[int, object] = {}  # page -> its read again, in flight
        self._shown: dict[int, _Shown] = {}  # row -> as painted; emptied whenever the rows are replaced
        self.failed: str = ""  # the last error, shown by the screen instead of a traceback
        self._loaded = False  # nothing is read before the screen sets the first filter

    # -- loading -------------------------------------------------------------------------
    @property
    def reading(self) -> bool:
        return self._task is not None

    def set_filter(self, flt: q.GapFilter) -> None:
        self.filter, self._loaded = flt, True
        self.reload()

    def reload(self) -> None:
        """Ask for the first page of the filter and sort; the rows shown stay until it arrives."""
        self._generation += 1
        self._shared = {}  # the new rows' shared values (the rows shown keep theirs until replaced)
        self._discard_again()
        self._ask(after=None, on_page=self._replace_rows)

    def _read_page(self, after, on_done, on_error):
        """One page read on the task runner's read lane, its rows made compact there."""
        flt, sort, descending, limit = self.filter, self.sort_key, self.descending, self.page_size
        if len(self._shared) > SHARED_VALUES:
            self._shared = {}  # the rows kept keep theirs
        shared = self._shared

        def read(_job) -> q.Page:
            page = q.gap_page(self.pod, flt, sort=sort, descending=descending, after=after, limit=limit)
            return dataclasses.replace(page, rows=[_compact(row, shared) for row in page.rows])  # tuples

        return self.tasks.read(read, on_done=on_done, on_error=on_error, parent=None)

    def _ask(self, *, after, on_page) -> None:
        if self._task is not None:
            self._task.discard()  # asked before the last change: its answer is not wanted
        generation = self._generation
        self._task = self._read_page(after, lambda page: self._answered(generation, on_page, after, page),
                                     lambda error: self._read_failed(generation, error))
        self.reading_changed.emit(True)

    def _current(self, generation: int) -> bool:
        if generation != self._generation:
            return False  # a newer filter or sort was asked for since
        self._task = None
        self.reading_changed.emit(False)
        return True

    def _answered(self, generation: int, on_page, after, page: q.Page) -> None:
        if self._current(generation):
            on_page(after, page)

    def _replace_rows(self, after, page: q.Page) -> None:
        self.beginResetModel()
        self._shown.clear()
        self._pages = OrderedDict([(0, page.rows)])
        self._keys, self._count = [after], len(page.rows)
        self._after, self._more = page.next_after, page.next_after is not None
        self.failed = ""
        self.endResetModel()
        self.first_page_shown.emit()

    def _append_rows(self, after, page: q.Page) -> None:
        if not page.rows:
            self._more = False
            return
        start = self._count
        self.beginInsertRows(QModelIndex(), start, start + len(page.rows) - 1)
        self._keep(len(self._keys), page.rows)
        self._keys.append(after)
        self._count += len(page.rows)
        self._after, self._more = page.next_after, page.next_after is not None
        self.endInsertRows()

    def _keep(self, number: int, rows: list[tuple]) -> None:
        """Keep a page's rows, dropping the page used longest ago beyond :data:`KEPT_PAGES`."""
        self._pages[number] = rows
        self._pages.move_to_end(number)
        while len(self._pages) > KEPT_PAGES:
            dropped, _rows = self._pages.popitem(last=False)
            for row in range(dropped * self.page_size, (dropped + 1) * self.page_size):
                self._shown.pop(row, None)

    def _values(self, row: int) -> tuple | None:
        """The row's values, or None while its page is read again (asked for here)."""
        if not 0 <= row < self._count:
            return None
        number = row // self.page_size
        page = self._pages.get(number)
        if page is None:
            self._read_again(number)
            return None
        self._pages.move_to_end(number)
        offset = row - number * self.page_size
        return page[offset] if offset < len(page) else None

    def _read_again(self, number: int) -> None:
        """A page dropped from memory and shown again: read by the keyset it was read after."""
        if number in self._again or number >= len(self._keys):
            return
        generation = self._generation

        def arrived(page: q.Page) -> None:
            self._again.pop(number, None)
            if generation != self._generation:
                return
            self._keep(number, page.rows[:self._page_rows(number)])
            first = number * self.page_size
            self.dataChanged.emit(self.index(first, 0), self.index(first + self._page_rows(number) - 1,
                                                                   len(COLUMNS) - 1))

        def failed(error: BaseException) -> None:
            self._again.pop(number, None)
            if generation == self._generation:
                log.error("Could not read a page of the gaps worklist again",
                          exc_info=(type(error), error, error.__traceback__))

        self._again[number] = self._read_page(self._keys[number], arrived, failed)

    def _page_rows(self, number: int) -> int:
        return min(self.page_size, self._count - number * self.page_size)

    def _discard_again(self) -> None:
        for task in self._again.values():
            task.discard()
        self._again.clear()

    def _read_failed(self, generation: int, error: BaseException) -> None:
        if not self._current(generation):
            return
        log.error("Could not read the gaps worklist", exc_info=(type(error), error, error.__traceback__))
        # rows of an earlier filter are not left standing under the new one
        self.beginResetModel()
        self._shown.clear()
        self._pages, self._keys, self._count, self._after, self._more = OrderedDict(), [], 0, None, False
        self.failed = f"The worklist could not be read. {error_sentence(error)}"
        self.endResetModel()
        self.read_failed.emit(self.failed)

    def canFetchMore(self, parent: _Index = QModelIndex()) -> bool:
        return not parent.isValid() and self._more and self._task is None

    def fetchMore(self, parent: _Index = QModelIndex()) -> None:
        if parent.isValid() or not self._more or self._task is not None:
            return
        self._ask(after=self._after, on_page=self._append_rows)

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
        """The row's gap, or None (no such row, or its page is being read again)."""
        values = self._values(row)
        return None if values is None else q.GapRow(*values)

    def loaded_rows(self) -> list[q.GapRow]:
        """The rows held now, in the list's order (every row read, unless more pages than
        :data:`KEPT_PAGES` were)."""
        return [q.GapRow(*values) for number in sorted(self._pages) for values in self._pages[number]]

    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else self._count

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

    def _shown_row(self, number: int) -> _Shown | None:
        """The row as painted (its GapRow and the cells' text made once), or None."""
        shown = self._shown.get(number)
        if shown is None:
            values = self._values(number)
            if values is None:
                return None  # no such row, or its page is on its way again
            if len(self._shown) >= SHOWN_ROWS:
                self._shown.clear()
            shown = self._shown[number] = _Shown(q.GapRow(*values))
        return shown

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        if role not in _ROLES:  # most of what a view asks each cell for (nine roles a paint)
            return None
        try:
            shown = self._shown_row(index.row()) if index.isValid() else None
            if shown is None:
                return None
            row, column = shown.row, index.column()
            if role == Qt.ItemDataRole.DisplayRole:
                return shown.text(column)
            if role == Qt.ItemDataRole.ToolTipRole:
                if column == WHY_COLUMN:
                    return row.why
                if column == 0:
                    return f"{row.patient_name}\nPhone: {fmt.phone(row.phone) or 'none on record'}" + (
                        f"\nPreferred language: {row.language}" if row.language else "") + (
                        f"\n{row.status_note[0].upper()}{row.status_note[1:]}: no outreach about this gap."
                        if row.status_note else "")
                if column == 2:
                    return f"MRN {row.mrn}"
                if column == 4:
                    return row.measure_title
                if column == DUE_COLUMN and overdue(row, dt.date.today()):
                    return f"Overdue: due {fmt.date(row.due_date)}"
                return None
            if role == Qt.ItemDataRole.ForegroundRole and column == 5:
                return QBrush(QColor(STATE_COLOURS.get(row.state, "#1f2a33")))
            if role == Qt.ItemDataRole.ForegroundRole and column == 0 and row.status_note:
                return QBrush(QColor(STATE_COLOURS["not_applicable"]))  # greyed: no longer in care
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


# the roles data() answers; every other is None at once
_ROLES = frozenset(int(r) for r in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole,
                                    Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.FontRole, PATIENT_ID_ROLE))


class _Shown:
    """A row as painted: its GapRow made once, each cell's text when first asked for (a paint asks
    each visible cell for several roles, and every visible row again at every scroll step)."""

    __slots__ = ("row", "_texts")

    def __init__(self, row: q.GapRow):
        self.row, self._texts = row, [None] * len(COLUMNS)

    def text(self, column: int) -> str:
        text = self._texts[column]
        if text is None:
            text = self._texts[column] = _cell(self.row, column)
        return text


def _compact(row: q.GapRow, shared: dict) -> tuple:
    """The row's values, those many rows share replaced by the one object kept for each (made on
    the reader thread: the dictionary is only added to, never changed)."""
    return tuple(shared.setdefault(value, value) if name in _SHARED and value is not None else value
                 for name, value in ((name, getattr(row, name)) for name in _FIELDS))


_FIELDS = tuple(field.name for field in dataclasses.fields(q.GapRow))
_SHARED = frozenset(_SHARED_FIELDS)
